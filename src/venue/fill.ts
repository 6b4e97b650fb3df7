/**
 * Fill model for market orders: the reference price is the open of the instrument's next bar
 * (`next-open`, the default: an order placed at `now` cannot trade at a price from before `now`)
 * or the close of the bar that just closed (`close`, optimistic but sometimes wanted). The fill
 * price moves against the order by the slippage model's bps; the fee is the fee model's (taker)
 * on the filled notional at the fill price.
 */
import type { FeeInput, FeeModel } from './fee.js';
import type { SlippageInput, SlippageModel } from './slippage.js';

/** When market orders fill. */
export type FillAt = 'next-open' | 'close';

/** A priced fill before it is booked. Reused by the engine. */
export interface FillQuote {
  /** Reference price (next open or close), before slippage. */
  refPrice: number;
  /** Price including slippage. */
  price: number;
  /** Fee, quote units, ≥ 0. */
  fee: number;
  /** Slippage cost vs the reference, quote units, ≥ 0. */
  slippage: number;
  /** Taker (default, when absent) or maker (a resting limit order: src/venue/limit-fill.ts). */
  liquidity?: 'maker' | 'taker';
}

/** The models a fill is priced with. */
export interface FillModels {
  fees: FeeModel;
  slippage: SlippageModel;
}

/** Reused fee input (one fill at a time; no allocation per fill). */
const feeInput: FeeInput = { instrument: { id: 0, venue: '', symbol: '', type: 'spot', base: '', quote: '' }, side: 'buy', qty: 0, price: 0, liquidity: 'taker', ts: 0 };

/** Price a taker fill of `order.qty` (> 0) at `order.refPrice`. Writes into `out`. */
export function quoteFill(out: FillQuote, order: SlippageInput, models: FillModels): FillQuote {
  const bps = models.slippage.bps(order);
  const refPrice = order.refPrice;
  const qty = order.qty;
  const slipPerUnit = (refPrice * bps) / 1e4;
  const price = order.side === 'buy' ? refPrice + slipPerUnit : refPrice - slipPerUnit;
  out.refPrice = refPrice;
  out.price = price;
  out.slippage = qty * slipPerUnit;
  feeInput.instrument = order.instrument;
  feeInput.side = order.side;
  feeInput.qty = qty;
  feeInput.price = price;
  feeInput.liquidity = 'taker';
  feeInput.ts = order.ts;
  out.fee = models.fees.fee(feeInput);
  return out;
}
