/**
 * The price store: the latest close and mark per instrument, as the replay has revealed them.
 * The engine writes it as bars are absorbed; the portfolio and the equity sampler read it.
 */

/** Latest prices per instrument id, NaN until the first bar. */
export class PriceStore {
  /** Latest closed bar's close (OHLCV series). */
  readonly close: Float64Array;
  /** Latest mark: close of the mark series, else the perp's own close; NaN for spot. */
  readonly mark: Float64Array;

  constructor(instrumentCount: number) {
    this.close = new Float64Array(instrumentCount).fill(NaN);
    this.mark = new Float64Array(instrumentCount).fill(NaN);
  }

  /** A bar of instrument `i` closed at `closePx`. */
  setClose(i: number, closePx: number): void {
    this.close[i] = closePx;
  }

  /** A mark bar (or, without a mark series, the perp's own bar) of instrument `i` closed at `markPx`. */
  setMark(i: number, markPx: number): void {
    this.mark[i] = markPx;
  }
}
