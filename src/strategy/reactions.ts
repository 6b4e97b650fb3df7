/**
 * Reactions a hedged strategy shares: cancelling what is in flight, and answering an
 * auto-deleveraging (ADL) of one leg (issue 15.2: "strategies can react: re-hedge, unwind the other leg").
 */
import { enumOf } from '../core/schema.js';
import type { AdlEvent, Instrument, RejectEvent, StrategyContext } from './types.js';

/** Cancel every order of the strategy that has not filled (`ctx.orders`); returns how many. */
export function cancelAll(ctx: StrategyContext): number {
  let n = 0;
  for (const o of ctx.orders.list()) if (ctx.cancel(o.id)) n++;
  return n;
}

/**
 * What a hedged strategy does when the venue auto-deleverages part of one leg (`onAdl`):
 * - `rehedge`: re-open the deleveraged qty on the same instrument at the next fill (a taker order
 *   tagged {@link ADL_REHEDGE_TAG}); if the venue refuses it, fall back to `unwind`.
 * - `unwind`: close the same qty of the other leg (tag {@link ADL_UNWIND_TAG}): a smaller book, still hedged.
 * - `ignore`: do nothing in `onAdl`; the strategy's usual rules (a rebalance band, an exit
 *   signal) decide when the naked qty goes.
 */
export type AdlResponse = 'rehedge' | 'unwind' | 'ignore';

/** The responses, in the order `--param adlResponse=` lists them. */
export const ADL_RESPONSES = ['unwind', 'rehedge', 'ignore'] as const satisfies readonly AdlResponse[];

/** Tag of the order that re-opens a deleveraged leg. */
export const ADL_REHEDGE_TAG = 'adl-rehedge';
/** Tag of the order that closes the other leg's now-naked qty. */
export const ADL_UNWIND_TAG = 'adl-unwind';

/**
 * The `adlResponse` param of the built-in hedged strategies. Default `unwind`: ADL strikes in a
 * cascade, when the deleveraged perp trades at a discount to spot (a short is deleveraged because
 * it gained) and the venue's book is thin. Re-opening the short sells the perp at that discount and
 * pays the cascade's slippage, then buys it back when the basis has closed; selling the naked spot
 * takes the spot price, leaves a smaller book that is still hedged, and the strategy's own entry
 * rule grows it again later. Measured on the bundled Oct 10 2025 scenario (delta-neutral, Binance
 * ETH 1h, Oct 8-13, docs/scenarios.md): total PnL -456.37 (unwind), -543.31 (rehedge), -456.70
 * (ignore: its 5 % rebalance band then unwinds the whole book at the same instant).
 */
export const adlResponseParam = enumOf(ADL_RESPONSES, {
  default: 'unwind',
  help: 'When the venue auto-deleverages part of a leg: unwind (close as much of the other leg), rehedge (re-open it; unwind if refused) or ignore',
});

/**
 * Answer `adl` (on one leg of a hedge whose other leg is `other`) as `response` says; returns the
 * id of the order sent (0: none: `ignore`, nothing deleveraged, or no opposite position on `other`).
 */
export function respondToAdl(ctx: StrategyContext, adl: AdlEvent, response: AdlResponse, other: Instrument): number {
  const qty = Math.abs(adl.qty);
  if (!(qty > 0) || response === 'ignore') return 0;
  if (response === 'rehedge') return ctx.order({ instrument: adl.instrument, side: adl.qty < 0 ? 'sell' : 'buy', qty, tag: ADL_REHEDGE_TAG });
  return unwindOther(ctx, other, Math.sign(adl.qty), qty);
}

/**
 * `onReject` of a refused re-hedge (tag {@link ADL_REHEDGE_TAG}): close the other leg instead.
 * `deleveragedSign` is the sign of the deleveraged position (−1 for a short). Returns the order id, 0 if none.
 */
export function unwindAfterRefusedRehedge(ctx: StrategyContext, reject: RejectEvent, other: Instrument): number {
  if (reject.tag !== ADL_REHEDGE_TAG || !(reject.qty > 0)) return 0;
  return unwindOther(ctx, other, reject.side === 'sell' ? -1 : 1, reject.qty);
}

/** Reduce `other` (a position of the sign opposite to `deleveragedSign`) by up to `qty`. */
function unwindOther(ctx: StrategyContext, other: Instrument, deleveragedSign: number, qty: number): number {
  const pos = ctx.portfolio.position(other);
  if (!(Math.sign(pos) === -deleveragedSign)) return 0;
  const q = Math.min(qty, Math.abs(pos));
  return ctx.order({ instrument: other, side: pos > 0 ? 'sell' : 'buy', qty: q, tag: ADL_UNWIND_TAG, ...(other.type === 'perp' ? { reduceOnly: true } : {}) });
}
