/**
 * A venue profile: everything perpcarry assumes about one venue, in one place (LEAN's
 * `BinanceFuturesBrokerageModel`): base-tier fees, maintenance-margin tiers, the liquidation fee,
 * funding conventions. Adding a venue = one profile file here, listed in `index.ts`, plus its
 * data. The fetch facts (page sizes, kinds ccxt can fetch, window conventions) stay in
 * src/data/fetch/venues.ts: the fetch layer sits below this one and is loaded only by `data fetch`.
 */
import type { VenueId } from '../../core/ids.js';
import type { MarginTier } from '../margin.js';

/** Maker and taker rates, decimal of the traded notional (0.0005 = 0.05 %). */
export interface FeeRates {
  maker: number;
  taker: number;
}

/** Rates of one venue for its spot and perp markets. */
export interface VenueFeeRates {
  spot: FeeRates;
  perp: FeeRates;
}

/** How a venue settles funding. */
export interface FundingConventions {
  /** Intervals (hours) its perps have used; the engine reads each settlement's from the data. */
  intervalsHours: readonly number[];
  /** Whether a settlement pays the rate published for the period that just ended (`current`) or the one before (`previous`). */
  ratePeriod: 'current' | 'previous';
  /** Notes a user should know (timestamp jitter, caps, interval changes), with sources. */
  notes: readonly string[];
}

/** One venue's assumptions. */
export interface VenueProfile {
  readonly id: VenueId;
  /** Base-tier fees (VIP 0 / non-VIP, no token discount). */
  readonly fees: VenueFeeRates;
  /** Maintenance-margin tiers by perp base asset (`BTC`); perps without one use the margin model's default table. */
  readonly tiers: Readonly<Record<string, readonly MarginTier[]>>;
  /** Liquidation fee, decimal of the liquidated notional (capped at the margin left: src/venue/liquidation.ts). */
  readonly liquidationFeeRate: number;
  readonly funding: FundingConventions;
}

/** `[[floor, rate], …]` → tiers. */
export const tiers = (pairs: readonly (readonly [number, number])[]): MarginTier[] => pairs.map(([floor, rate]) => ({ floor, rate }));
