/**
 * Tiered maintenance margin (a.k.a. leverage brackets / risk limits) and liquidation fees.
 *
 * Maintenance margin of a position = |notional| × rate(tier) − deduction(tier), where the tier is
 * chosen by |notional| and the deduction ("maintenance amount" on Binance, `cum` in
 * `/fapi/v1/leverageBracket`) makes the function continuous:
 * deduction(k) = deduction(k−1) + floor(k) × (rate(k) − rate(k−1)). We store each tier's floor and rate
 * and derive the deductions, exactly as the venues define them.
 *
 * Sources (snapshots; venues change tiers over time, override with `models.margin.params`):
 * - Binance BTCUSDT and ETHUSDT (the defaults): the `/fapi/v1/leverageBracket` answer stored by
 *   freqtrade in `freqtrade/exchange/binance_leverage_tiers.json` (github.com/freqtrade/freqtrade,
 *   commit 01d10aebcab25c526473c603a88e14eb7d9699cc; the file lists the BTC/ETH 240927 and 241227
 *   quarterlies, so the snapshot is from mid-2024). Each tier's `notionalFloor` and `maintMarginRatio`
 *   are copied; the derived deductions equal the file's `cum` values (tested in test/venue/models.test.ts).
 *   Both symbols: 0.4 % up to 50k USDT, 0.5 % to 600k, 0.65 % to 3M, 1 % to 12M, ...
 * - Binance 2021 tables (`BINANCE_TIERS_2021`, for runs on 2021-era data): BTCUSDT as in Binance's
 *   2021-03 bracket table (floors 50k/250k/1M/10M/20M/50M/100M/200M/300M, `cum` 50/1300/16300/...),
 *   ETHUSDT 0.5 % to 10k, 0.65 % to 100k, 1 % to 500k, ... (`cum` 15/365/5365/...), both as
 *   reverse-engineered from Binance's web client in public liquidation calculators
 *   (gist.github.com/highfestiva/b71e76f51eed84d56c1be8ebbcc286b5, 2021-03-26;
 *   gist.github.com/crackcomm/e29582030d9eeac6c6124a7503cd0ac2).
 *   (The gist's ETH table ends at 25 % from 20M; the 50 % tier from 50M is unverified.)
 * - Liquidation price with `cum` (Binance's single-position formula, `liquidationPrice` below): as
 *   in the same gists; checked by the property test "margin balance = maintenance margin at LP".
 * - Bybit BTCUSDT/ETHUSDT, OKX BTC-USDT-SWAP/ETH-USDT-SWAP: upper tiers NOT VERIFIED (approximate
 *   guesses; https://www.bybit.com/en/help-center/article/Risk-Limit-Perpetual-and-Futures,
 *   https://www.okx.com/trade-market/position/swap). What public API answers stored in test fixtures
 *   of other projects show (not live answers, so corroboration only): OKX `/api/v5/public/position-tiers`
 *   tier 1 = mmr 0.004, imr 0.01, 100×, up to 1000 contracts for BTC-USDT (10 BTC at 0.01 BTC each) and
 *   5000 for ETH-USDT (500 ETH): OKX tiers are by position SIZE in contracts, not notional, so the
 *   notional floors here (500k / 300k) match them only near BTC 50k / ETH 600. Bybit
 *   `/v5/market/risk-limit` BTCUSDT: 0.5 % maintenance up to a 2M risk limit (as here), and in a
 *   2026 testnet answer a lower 0.33 % tier up to 300k. Treat Bybit/OKX liquidation prices as approximate.
 */
import type { VenueId } from '../core/ids.js';
import { UserError } from '../core/errors.js';

/** One tier: applies for |notional| > floor (quote units); `rate` is decimal. */
export interface MarginTier {
  floor: number;
  rate: number;
}

/** Tier tables keyed by `<venue>:<base>` (e.g. `binance:BTC`); `default` for anything else. */
export interface MarginModelParams {
  tiers: Record<string, MarginTier[]>;
  default: MarginTier[];
  /**
   * Liquidation fee per venue, decimal of the liquidated notional, charged on top of the close at
   * the liquidation price and capped at the margin left after the close (the venue does not
   * charge more than remains; a shortfall is the insurance fund's).
   */
  liquidationFeeRate: Record<VenueId, number>;
  defaultLiquidationFeeRate: number;
}

/** A tier table with derived deductions, ready for fast lookups. */
export interface TierTable {
  floors: Float64Array;
  rates: Float64Array;
  deductions: Float64Array;
}

/** A named margin model. */
export interface MarginModel {
  readonly name: 'tiered';
  readonly params: MarginModelParams;
  /** The tier table of a perp (`venue`, base asset such as `BTC`). */
  table(venue: VenueId, base: string): TierTable;
  liquidationFeeRate(venue: VenueId): number;
}

const t = (pairs: [number, number][]): MarginTier[] => pairs.map(([floor, rate]) => ({ floor, rate }));

/** Default tier tables (see the module comment for sources). */
export const DEFAULT_MARGIN_TIERS: Record<string, MarginTier[]> = {
  'binance:BTC': t([[0, 0.004], [50_000, 0.005], [600_000, 0.0065], [3_000_000, 0.01], [12_000_000, 0.02], [70_000_000, 0.025], [100_000_000, 0.05], [230_000_000, 0.1], [480_000_000, 0.125], [600_000_000, 0.15], [800_000_000, 0.25], [1_200_000_000, 0.5]]),
  'binance:ETH': t([[0, 0.004], [50_000, 0.005], [600_000, 0.0065], [3_000_000, 0.01], [12_000_000, 0.02], [50_000_000, 0.025], [65_000_000, 0.05], [150_000_000, 0.1], [320_000_000, 0.125], [400_000_000, 0.15], [530_000_000, 0.25], [800_000_000, 0.5]]),
  'bybit:BTC': t([[0, 0.005], [2_000_000, 0.01], [10_000_000, 0.02], [20_000_000, 0.04], [40_000_000, 0.08], [80_000_000, 0.16]]),
  'bybit:ETH': t([[0, 0.005], [1_000_000, 0.01], [5_000_000, 0.02], [10_000_000, 0.04], [20_000_000, 0.08], [40_000_000, 0.16]]),
  'okx:BTC': t([[0, 0.004], [500_000, 0.006], [2_000_000, 0.01], [8_000_000, 0.02], [20_000_000, 0.04], [40_000_000, 0.08], [80_000_000, 0.16]]),
  'okx:ETH': t([[0, 0.004], [300_000, 0.006], [1_000_000, 0.01], [4_000_000, 0.02], [10_000_000, 0.04], [20_000_000, 0.08], [40_000_000, 0.16]]),
};

/**
 * Binance's 2021 BTCUSDT and ETHUSDT tables (see the module comment), for runs on 2021-era data:
 * `models.margin.params.tiers` = `BINANCE_TIERS_2021` in a run.json.
 */
export const BINANCE_TIERS_2021: Record<string, MarginTier[]> = {
  'binance:BTC': t([[0, 0.004], [50_000, 0.005], [250_000, 0.01], [1_000_000, 0.025], [10_000_000, 0.05], [20_000_000, 0.1], [50_000_000, 0.125], [100_000_000, 0.15], [200_000_000, 0.25], [300_000_000, 0.5]]),
  'binance:ETH': t([[0, 0.005], [10_000, 0.0065], [100_000, 0.01], [500_000, 0.02], [1_000_000, 0.05], [2_000_000, 0.1], [5_000_000, 0.125], [10_000_000, 0.15], [20_000_000, 0.25], [50_000_000, 0.5]]),
};

/** A conservative table for perps without a specific one: 1 % then rising. */
export const DEFAULT_OTHER_TIERS: MarginTier[] = t([[0, 0.01], [100_000, 0.025], [1_000_000, 0.05], [5_000_000, 0.1], [20_000_000, 0.25], [50_000_000, 0.5]]);

/**
 * Default liquidation fees (decimal of the liquidated notional at the liquidation price, capped at
 * the margin left after the close, see `MarginModelParams.liquidationFeeRate`).
 *
 * What is sourced for Binance USDⓈ-M: its Liquidation FAQ (support/faq/360033525271, the 2019-era
 * text mirrored at binance.zendesk.com/hc/en-us/articles/360033525271-Liquidation) says "a
 * liquidation fee (0.3 % on BTC/USDT perpetual contract; 0.5 % on all other perpetual contracts)
 * will be charged on the amount liquidated" and that "all orders will be issued at the bankruptcy
 * price", the insurance fund keeping what the close makes above it. Binance now calls it the
 * "Insurance Clearance Fee" and sets it per symbol (its fee overview lists it as a fee "incurred
 * when a position is forcibly liquidated"); the current per-symbol rate could not be sourced.
 * The 1.25 % used here is NOT sourced (the previous figure was from memory). It is kept because,
 * with the cap, any rate at or above the position's maintenance rate takes the whole margin left
 * at the liquidation price, i.e. it reproduces "issued at the bankruptcy price" for a lone position
 * in the first tiers (0.4 %–1 % up to 12M USDT): an isolated or single cross position ends with
 * nothing left, the usual outcome for small accounts per the same FAQ ("the effective maintenance
 * margin is lower than the liquidation fee rate, so they are already bankrupt when first entering
 * liquidation"). Set it to 0.003/0.005 (the 2019 rates) to leave the rest of the maintenance margin
 * with the trader instead. Bybit, OKX and Hyperliquid: 0.5 %, an unverified approximation (their
 * liquidations also close at or toward the bankruptcy price).
 */
export const DEFAULT_LIQUIDATION_FEE_RATES: Record<VenueId, number> = { binance: 0.0125, bybit: 0.005, okx: 0.005, hyperliquid: 0.005 };

/** Build the tier table with deductions from floors and rates; validates monotonicity. */
export function buildTierTable(tiers: readonly MarginTier[], what = 'tiers'): TierTable {
  if (!Array.isArray(tiers)) throw new UserError(`${what}: expected an array of {floor, rate}, got ${JSON.stringify(tiers)}`);
  if (tiers.length === 0) throw new UserError(`${what}: need at least one tier`);
  const n = tiers.length;
  const floors = new Float64Array(n);
  const rates = new Float64Array(n);
  const deductions = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const tier = tiers[k]!;
    if (tier === null || typeof tier !== 'object') throw new UserError(`${what}[${k}]: expected {floor, rate}, got ${JSON.stringify(tier)}`);
    if (!(tier.rate > 0 && tier.rate <= 1)) throw new UserError(`${what}[${k}]: rate ${tier.rate} must be in (0, 1]`);
    if (k === 0 ? tier.floor !== 0 : !(tier.floor > tiers[k - 1]!.floor)) throw new UserError(`${what}[${k}]: floors must start at 0 and increase`);
    if (k > 0 && !(tier.rate >= tiers[k - 1]!.rate)) throw new UserError(`${what}[${k}]: rates must not decrease`);
    floors[k] = tier.floor;
    rates[k] = tier.rate;
    deductions[k] = k === 0 ? 0 : deductions[k - 1]! + tier.floor * (tier.rate - tiers[k - 1]!.rate);
  }
  return { floors, rates, deductions };
}

/** Index of the tier for an absolute notional (tier k covers floor(k) < notional ≤ floor(k+1)). */
export function tierIndex(table: TierTable, absNotional: number): number {
  const f = table.floors;
  const last = f.length - 1;
  // Scan up from the first tier: realistic positions sit in the first one or two.
  let k = 0;
  while (k < last && absNotional > f[k + 1]!) k++;
  return k;
}

/** Maintenance margin (quote units) of a position with |notional| `absNotional`. */
export function maintenanceMargin(table: TierTable, absNotional: number): number {
  if (absNotional <= 0) return 0;
  const k = tierIndex(table, absNotional);
  return absNotional * table.rates[k]! - table.deductions[k]!;
}

/** The `tiered` margin model with optional overrides. */
export function tieredMarginModel(params: Partial<MarginModelParams> = {}): MarginModel {
  const full: MarginModelParams = {
    tiers: { ...DEFAULT_MARGIN_TIERS, ...(params.tiers ?? {}) },
    default: params.default ?? DEFAULT_OTHER_TIERS,
    liquidationFeeRate: { ...DEFAULT_LIQUIDATION_FEE_RATES, ...(params.liquidationFeeRate ?? {}) },
    defaultLiquidationFeeRate: params.defaultLiquidationFeeRate ?? 0.01,
  };
  const cache = new Map<string, TierTable>();
  return {
    name: 'tiered',
    params: full,
    table(venue, base) {
      const key = `${venue}:${base}`;
      let tbl = cache.get(key);
      if (!tbl) {
        tbl = buildTierTable(full.tiers[key] ?? full.default, `margin tiers ${key}`);
        cache.set(key, tbl);
      }
      return tbl;
    },
    liquidationFeeRate(venue) {
      return full.liquidationFeeRate[venue] ?? full.defaultLiquidationFeeRate;
    },
  };
}

/**
 * Liquidation price of one position given the margin that backs it, solving
 * `W + q·(P − entry) = |q|·P·rate(k) − deduction(k)` for P with the tier k at P's notional
 * (Binance's single-position formula). `backingMargin` is the isolated margin, or for cross the
 * wallet balance plus the other positions' unrealized PnL minus their maintenance margin.
 * Returns NaN when flat, 0 when the position can never be liquidated (a long fully backed), and
 * Infinity never (a short always has a finite price).
 */
export function liquidationPrice(table: TierTable, qty: number, entryPrice: number, backingMargin: number): number {
  if (qty === 0) return NaN;
  const side = qty > 0 ? 1 : -1;
  const aq = Math.abs(qty);
  const n = table.floors.length;
  // Try tiers from the top: the first solution whose notional lies in its tier wins.
  let fallback = NaN;
  for (let k = n - 1; k >= 0; k--) {
    const rate = table.rates[k]!;
    const ded = table.deductions[k]!;
    const denom = aq * rate - side * aq;
    const p = (backingMargin + ded - side * aq * entryPrice) / denom;
    if (!(p > 0)) {
      if (side > 0 && k === 0) return 0;
      continue;
    }
    const notional = aq * p;
    const lo = table.floors[k]!;
    const hi = k + 1 < n ? table.floors[k + 1]! : Infinity;
    if (notional > lo && notional <= hi) return p;
    if (k === 0 && Number.isNaN(fallback)) fallback = p;
  }
  return side > 0 ? Math.max(0, fallback) : fallback;
}
