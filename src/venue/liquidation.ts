/**
 * Liquidation model `fee-capped-at-margin`: when a perp is liquidated, at what price, and what it
 * costs (Binance's rules, the approximation used for the other venues).
 *
 * - Trigger: on each bar, the mark bar's adverse extreme (high for a short, low for a long)
 *   reaches the position's liquidation price ({@link isLiquidationTriggered}).
 * - Price: the close is at the liquidation price ({@link liquidationPrice}, Binance's
 *   single-position formula with `cum`; checked by the property test "margin balance =
 *   maintenance margin at LP").
 * - Fee: the venue's rate × |qty| × price, capped at the margin left after the close
 *   ({@link liquidationFee}); rates per venue from the profiles, overridable in run.json
 *   `models.margin.params.liquidationFeeRate`.
 */
import type { VenueId } from '../core/ids.js';
import type { TierTable } from './margin.js';
import { VENUE_PROFILES } from './venues/index.js';

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
export const DEFAULT_LIQUIDATION_FEE_RATES: Record<VenueId, number> = Object.fromEntries(Object.values(VENUE_PROFILES).map((p) => [p.id, p.liquidationFeeRate]));

/** What the trigger looks at. */
export interface LiquidationTriggerInput {
  /** Signed position qty (≠ 0). */
  signedQty: number;
  liquidationPrice: number;
  /** The mark bar's high and low (perp bar without a mark series). */
  markHigh: number;
  markLow: number;
}

/** A short is liquidated when the mark high reaches its liquidation price, a long when the low does. */
export function isLiquidationTriggered(input: LiquidationTriggerInput): boolean {
  return input.signedQty < 0 ? input.markHigh >= input.liquidationPrice : input.markLow <= input.liquidationPrice;
}

/** What the fee is computed from. */
export interface LiquidationFeeInput {
  /** The venue's fee rate, decimal of the liquidated notional. */
  feeRate: number;
  /** Signed qty closed. */
  signedQty: number;
  /** Close price (the liquidation price). */
  price: number;
  /** Margin left after the close (isolated: the position's; cross: the account's); the fee never exceeds it. */
  marginLeft: number;
}

/** Liquidation fee, quote units: rate × |qty| × price, capped at the margin left (≥ 0). */
export function liquidationFee(input: LiquidationFeeInput): number {
  return Math.min(input.feeRate * Math.abs(input.signedQty) * input.price, Math.max(0, input.marginLeft));
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
