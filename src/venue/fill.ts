/**
 * Fill model for market orders: the reference price is the open of the instrument's next bar
 * (`next-open`, the default: an order placed at `now` cannot trade at a price from before `now`)
 * or the close of the bar that just closed (`close`, optimistic but sometimes wanted). The fill
 * price moves against the order by the slippage model's bps; the fee is the taker rate on the
 * filled notional at the fill price.
 */
import type { FeeModel } from './fees.js';
import type { SlippageModel } from './slippage.js';
import type { Instrument } from './instrument.js';

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
}

/**
 * Price a taker fill of `qty` (> 0) base units in `side` at `refPrice`; `barVolume` is the last
 * closed bar's base volume (for the volume slippage model; NaN if unknown). Writes into `out`.
 */
export function quoteFill(
  out: FillQuote,
  instrument: Instrument,
  side: 'buy' | 'sell',
  qty: number,
  refPrice: number,
  barVolume: number,
  fees: FeeModel,
  slippage: SlippageModel,
): FillQuote {
  const bps = slippage.bps(qty, barVolume);
  const slipPerUnit = (refPrice * bps) / 1e4;
  const price = side === 'buy' ? refPrice + slipPerUnit : refPrice - slipPerUnit;
  out.refPrice = refPrice;
  out.price = price;
  out.slippage = qty * slipPerUnit;
  out.fee = qty * price * fees.rate(instrument.venue, instrument.type, 'taker');
  return out;
}
