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
 * - Binance BTCUSDT: "Updates to Leverage and Margin Tiers of Binance Futures Contracts (2021-03-18)",
 *   https://www.binance.com/en/support/announcement/86cf9aa472574b8cb2e05bb751c2a9a6 ; formula:
 *   https://www.binance.com/en/futures/trading-rules/perpetual/leverage-margin
 * - Binance ETHUSDT: same tier page (2021 snapshot, 10k/100k/500k/1M/2M/5M/10M/20M floors).
 * - Bybit BTCUSDT/ETHUSDT: risk-limit tables, https://www.bybit.com/en/help-center/article/Risk-Limit-Perpetual-and-Futures
 *   (approximate ladder; only the first tier matters below 2M USDT notional).
 * - OKX BTC-USDT-SWAP/ETH-USDT-SWAP: position tiers, https://www.okx.com/trade-market/position/swap
 *   (approximate ladder; first tier 0.4 %).
 * Verify against the venues' APIs (Binance `/fapi/v1/leverageBracket`, Bybit `/v5/market/risk-limit`,
 * OKX `/api/v5/public/position-tiers`) before relying on the upper tiers.
 */
import type { VenueId } from '../core/ids.js';

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
  'binance:BTC': t([[0, 0.004], [50_000, 0.005], [250_000, 0.01], [1_000_000, 0.025], [10_000_000, 0.05], [20_000_000, 0.1], [50_000_000, 0.125], [100_000_000, 0.15], [200_000_000, 0.25], [300_000_000, 0.5]]),
  'binance:ETH': t([[0, 0.005], [10_000, 0.0065], [100_000, 0.01], [500_000, 0.02], [1_000_000, 0.05], [2_000_000, 0.1], [5_000_000, 0.125], [10_000_000, 0.15], [20_000_000, 0.25], [50_000_000, 0.5]]),
  'bybit:BTC': t([[0, 0.005], [2_000_000, 0.01], [10_000_000, 0.02], [20_000_000, 0.04], [40_000_000, 0.08], [80_000_000, 0.16]]),
  'bybit:ETH': t([[0, 0.005], [1_000_000, 0.01], [5_000_000, 0.02], [10_000_000, 0.04], [20_000_000, 0.08], [40_000_000, 0.16]]),
  'okx:BTC': t([[0, 0.004], [500_000, 0.006], [2_000_000, 0.01], [8_000_000, 0.02], [20_000_000, 0.04], [40_000_000, 0.08], [80_000_000, 0.16]]),
  'okx:ETH': t([[0, 0.004], [300_000, 0.006], [1_000_000, 0.01], [4_000_000, 0.02], [10_000_000, 0.04], [20_000_000, 0.08], [40_000_000, 0.16]]),
};

/** A conservative table for perps without a specific one: 1 % then rising. */
export const DEFAULT_OTHER_TIERS: MarginTier[] = t([[0, 0.01], [100_000, 0.025], [1_000_000, 0.05], [5_000_000, 0.1], [20_000_000, 0.25], [50_000_000, 0.5]]);

/**
 * Default liquidation fees: Binance charges a liquidation clearance fee (1.25 % of notional for
 * BTCUSDT/ETHUSDT per its "Liquidation Protocols" FAQ, https://www.binance.com/en/support/faq/360033525271);
 * Bybit and OKX close at the bankruptcy price so the remaining maintenance margin goes to the
 * insurance fund; we model that as a 0.5 % fee capped at the remaining margin (an approximation).
 */
export const DEFAULT_LIQUIDATION_FEE_RATES: Record<VenueId, number> = { binance: 0.0125, bybit: 0.005, okx: 0.005, hyperliquid: 0.005 };

/** Build the tier table with deductions from floors and rates; validates monotonicity. */
export function buildTierTable(tiers: readonly MarginTier[], what = 'tiers'): TierTable {
  if (tiers.length === 0) throw new Error(`${what}: need at least one tier`);
  const n = tiers.length;
  const floors = new Float64Array(n);
  const rates = new Float64Array(n);
  const deductions = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const tier = tiers[k]!;
    if (!(tier.rate > 0 && tier.rate <= 1)) throw new Error(`${what}[${k}]: rate ${tier.rate} must be in (0, 1]`);
    if (k === 0 ? tier.floor !== 0 : !(tier.floor > tiers[k - 1]!.floor)) throw new Error(`${what}[${k}]: floors must start at 0 and increase`);
    if (k > 0 && !(tier.rate >= tiers[k - 1]!.rate)) throw new Error(`${what}[${k}]: rates must not decrease`);
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
