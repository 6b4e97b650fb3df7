/**
 * Stress scenarios: a named list of shocks applied to a replay. Market shocks rewrite copies of the
 * loaded price and funding columns before the replay (the stored data is never touched); venue
 * shocks (outages, transfer delays, liquidity stress) are conditions the engine consults while it
 * runs. Every time range is half-open `[fromMs, toMs)` in UTC ms.
 */
import type { UnixMs } from '../core/time.js';
import type { VenueId } from '../core/ids.js';

/**
 * Perp (and its mark) moved to a discount or premium to the same venue's spot:
 * `perp = spot × (1 + basisPct / 100 × w(t))`, with `w` ramping linearly 0 → 1 over `rampMs` after
 * `fromMs`, holding 1, and 1 → 0 over `rampMs` before `toMs`. The reference is the venue's spot
 * bars of the same asset, else the perp's index series.
 */
export interface BasisShock {
  readonly type: 'basis';
  readonly venue: VenueId;
  /** Base asset, e.g. `ETH`: every perp of that base on the venue is shocked. */
  readonly asset: string;
  readonly fromMs: UnixMs;
  readonly toMs: UnixMs;
  /** Target basis in percent of spot (−5.8 = a 5.8 % discount). */
  readonly basisPct: number;
  /** Length of the ramp in and of the ramp out, ms (0 = a step). */
  readonly rampMs: number;
}

/**
 * Funding settlements in `[fromMs, toMs)` (or the first `settlements` of them) of the asset's perps
 * on a venue: replaced by `rate` (`override`), raised to at least it (`floor`) or lowered to at most
 * it (`cap`). The rate is a decimal per 8 hours, scaled to each settlement's own interval
 * (`rate × intervalHours / 8`), so one number works for 8h and hourly venues alike.
 */
export interface FundingShock {
  readonly type: 'funding';
  readonly venue: VenueId;
  readonly asset: string;
  readonly fromMs: UnixMs;
  readonly toMs: UnixMs;
  /** At most this many settlements are changed (Infinity = all in the range). */
  readonly settlements: number;
  /** Decimal per 8 h: −0.00078 = −0.078 %/8h. */
  readonly ratePer8h: number;
  readonly mode: 'override' | 'floor' | 'cap';
}

/**
 * Every instrument of an asset (spot, perp, mark, index, and funding mark prices), on the listed
 * venues or all, jumps by `pct` at `atMs`: prices stamped at or after `atMs` are scaled by
 * `1 + pct/100`; the bar that contains `atMs` opens at the old level and closes at the new one.
 */
export interface PriceGapShock {
  readonly type: 'price-gap';
  readonly asset: string;
  /** Venues affected; empty = all venues of the run. */
  readonly venues: readonly VenueId[];
  readonly atMs: UnixMs;
  readonly pct: number;
}

/** A venue refuses (or queues until it reopens) orders and all transfers in `[fromMs, toMs)`. */
export interface OutageShock {
  readonly type: 'outage';
  readonly venue: VenueId;
  readonly fromMs: UnixMs;
  readonly toMs: UnixMs;
  readonly orders: 'refuse' | 'queue';
}

/**
 * Transfers between venues requested in `[fromMs, toMs)` arrive `delayMs` later (the cash is in
 * flight, in neither account), or are refused when `frozen` (withdrawals paused).
 */
export interface TransferDelayShock {
  readonly type: 'transfer-delay';
  /** Venue the cash leaves; empty = any. */
  readonly venues: readonly VenueId[];
  readonly fromMs: UnixMs;
  readonly toMs: UnixMs;
  readonly delayMs: number;
  readonly frozen: boolean;
}

/** Slippage multiplied by `slippageMultiplier` on a venue (or all) in `[fromMs, toMs)`. */
export interface LiquidityShock {
  readonly type: 'liquidity';
  readonly venues: readonly VenueId[];
  readonly fromMs: UnixMs;
  readonly toMs: UnixMs;
  readonly slippageMultiplier: number;
}

/** Auto-deleveraging forced at a time: a share of the ranked profitable perp positions is closed. */
export interface AdlShock {
  readonly type: 'adl';
  readonly venue: VenueId;
  /** Asset whose perps are deleveraged; empty = every perp on the venue. */
  readonly asset: string;
  readonly atMs: UnixMs;
  /** Share of each ranked position closed, in (0, 1]; NaN (not given): the ADL model draws hit and share (seeded). */
  readonly share: number;
}

/** One shock of a scenario. */
export type Shock = BasisShock | FundingShock | PriceGapShock | OutageShock | TransferDelayShock | LiquidityShock | AdlShock;

/** Shocks that rewrite market data before the replay. */
export type MarketShock = BasisShock | FundingShock | PriceGapShock;

/** A named scenario, as loaded from a file (its source recorded in run.json). */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** File it came from (bundled scenarios: `bundled:<name>`). */
  readonly source: string;
  /** The validated document as written (recorded in run.json, so a rerun rebuilds the same shocks). */
  readonly doc: unknown;
  readonly shocks: readonly Shock[];
}

/** The time range a shock covers, for marking it on charts: `[fromMs, toMs)` (a point: from = to). */
export function shockRange(s: Shock): { fromMs: UnixMs; toMs: UnixMs } {
  switch (s.type) {
    case 'price-gap':
    case 'adl':
      return { fromMs: s.atMs, toMs: s.atMs };
    default:
      return { fromMs: s.fromMs, toMs: s.toMs };
  }
}
