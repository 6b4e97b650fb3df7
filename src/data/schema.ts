import type { SeriesKind } from '../core/ids.js';

/**
 * Value columns of each series kind, in file order (the `ts` column always comes first and is
 * int64 UTC ms in the file). All value columns are float64; a null is read back as NaN.
 * - ohlcv: bar open time `ts`; `volume` in the base asset.
 * - mark / index: bar open time `ts`; OHLC of the mark or index price.
 * - funding: `ts` is the settlement instant snapped to the settlement boundary; `rate` is a decimal
 *   per interval (0.0001 = 0.01% per interval); `interval_hours` the interval that ended at `ts`;
 *   `mark_price` the mark at settlement, or null when the source lacks it.
 * - open_interest: `ts`; `oi_qty` in base units, `oi_notional` in quote units (either may be null).
 */
export const KIND_COLUMNS: Record<SeriesKind, readonly string[]> = {
  ohlcv: ['open', 'high', 'low', 'close', 'volume'],
  mark: ['open', 'high', 'low', 'close'],
  index: ['open', 'high', 'low', 'close'],
  funding: ['rate', 'interval_hours', 'mark_price'],
  open_interest: ['oi_qty', 'oi_notional'],
};

/** Columns that may hold nulls (NaN in memory). Others must be finite. */
export const NULLABLE_COLUMNS: Record<SeriesKind, readonly string[]> = {
  ohlcv: ['volume'],
  mark: [],
  index: [],
  funding: ['mark_price'],
  open_interest: ['oi_qty', 'oi_notional'],
};

/** Whether a kind is bar-like (has a timeframe and OHLC). */
export function kindHasTimeframe(kind: SeriesKind): boolean {
  return kind !== 'funding';
}
