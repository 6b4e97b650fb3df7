/**
 * Limit-order fill model `trade-through`: when does a resting limit order fill on bar data?
 *
 * A bar only says how far the price went, not where the order stood in the queue at its price.
 * The queue assumption here: every order already resting at the limit price is ahead of ours, and
 * the volume traded AT the price is assumed to have gone to them. So a bar that only touches the
 * price (buy: low = price) does not fill; the price must trade THROUGH it, by more than
 * `penetrationBps` of the price:
 *   buy fills  ⇔ bar low  < price × (1 − penetrationBps / 10 000)
 *   sell fills ⇔ bar high > price × (1 + penetrationBps / 10 000)
 * Only bars that open at or after the order reached the book count (a later bar: the order cannot
 * trade on a price from before it existed). The fill is the whole order, at the limit price (a
 * resting order trades at its own price, also when the bar gapped through it), charged the maker
 * fee, with no slippage. Orders that cross when they reach the book are not resting: a post-only
 * order is refused, a plain limit order takes liquidity like a market order (see docs/models-and-venues.md).
 */
import { number, object, parse } from '../core/schema.js';

/** Parameters of the `trade-through` model. */
export interface LimitFillModelParams {
  /**
   * How far past the limit price a bar must trade before a resting order counts as filled, basis
   * points of the price. 0 (default): strictly through (a touch is not enough).
   */
  penetrationBps: number;
}

/** What the model sees of one resting order and one later bar. */
export interface LimitFillInput {
  side: 'buy' | 'sell';
  /** The order's limit price, quote per base. */
  limitPrice: number;
  /** The bar's high and low (last-price OHLCV of the order's instrument). */
  barHigh: number;
  barLow: number;
}

/** A named limit-fill model. */
export interface LimitFillModel {
  readonly name: 'trade-through';
  readonly params: LimitFillModelParams;
  /** Whether the bar fills the resting order. */
  fills(input: LimitFillInput): boolean;
}

/** Schema of the `trade-through` params (validated like every model's: unknown keys are errors). */
export const limitFillParamsSchema = object({
  penetrationBps: number({ default: 0, min: 0, max: 10_000, unit: 'bps', help: 'how far past the limit price a bar must trade to fill a resting order (0: strictly through, a touch does not fill)' }),
});

/** Build the `trade-through` model from (partial) params; a bad value names `path`. */
export function tradeThroughLimitFill(params: unknown = {}, path = 'models.limitFill.params'): LimitFillModel {
  const p: LimitFillModelParams = Object.freeze(parse(limitFillParamsSchema, params, path));
  const down = 1 - p.penetrationBps / 1e4;
  const up = 1 + p.penetrationBps / 1e4;
  return Object.freeze({
    name: 'trade-through' as const,
    params: p,
    fills(x: LimitFillInput): boolean {
      return x.side === 'buy' ? x.barLow < x.limitPrice * down : x.barHigh > x.limitPrice * up;
    },
  });
}

/** Build a limit-fill model by name (`trade-through`, the only one so far). */
export function limitFillModel(name: string, params: unknown = {}): LimitFillModel {
  if (name !== 'trade-through') throw new Error(`unknown limit-fill model "${name}" (available: trade-through)`);
  return tradeThroughLimitFill(params);
}

/**
 * Whether a limit order crosses the market when it reaches the book: a buy at or above the
 * reference price (sell: at or below). The reference is the price a market order placed at the
 * same time would fill at before slippage: the next bar's open (`fillAt: next-open`), else the
 * latest close.
 */
export function limitCrosses(side: 'buy' | 'sell', limitPrice: number, refPrice: number): boolean {
  return side === 'buy' ? limitPrice >= refPrice : limitPrice <= refPrice;
}
