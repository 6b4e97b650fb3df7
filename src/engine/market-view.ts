/**
 * The strategy's read-only market view, sealed (issue 9): it reads the replay's cursor (how many
 * rows of each series have been delivered) through private state, so nothing reachable from it
 * holds or yields a value stamped after `now`. The bar handed to `onBar` and returned by
 * `lastBar` is one reused cursor per view whose series and row are `#private`; history windows
 * (`bars`, `fundingHistory`) are small objects over the delivered rows with bounded accessors —
 * no column is copied and no typed array is handed out.
 */
import type { UnixMs } from '../core/time.js';
import type { VenueId, Symbol } from '../core/ids.js';
import type { Instrument } from '../venue/instrument.js';
import type { PriceStore } from '../portfolio/prices.js';
import type { BarEvent, BarWindow, FundingWindow, MarketView } from '../strategy/types.js';
import type { BarSeries, FundingSeries, MarketData } from './data.js';

/**
 * How far the replay has advanced, per instrument: the newest delivered row of each bar series
 * (−1 before the first) and the number of funding rows visible (history + settled). Written by
 * the engine only.
 */
export class MarketCursor {
  readonly bar: Int32Array;
  readonly mark: Int32Array;
  readonly index: Int32Array;
  readonly fundingCount: Int32Array;
  constructor(instrumentCount: number) {
    this.bar = new Int32Array(instrumentCount).fill(-1);
    this.mark = new Int32Array(instrumentCount).fill(-1);
    this.index = new Int32Array(instrumentCount).fill(-1);
    this.fundingCount = new Int32Array(instrumentCount);
  }
}

let pointBar: (c: BarCursor, instrument: Instrument, series: BarSeries, row: number) => void;

/**
 * A closed bar as a cursor over (series, row), both private: reading `close` costs one array read
 * and the engine moves it without allocating. Reused: do not retain.
 */
export class BarCursor implements BarEvent {
  #instrument: Instrument;
  #series: BarSeries;
  #row = 0;
  static {
    pointBar = (c, instrument, series, row) => {
      c.#instrument = instrument;
      c.#series = series;
      c.#row = row;
    };
  }
  constructor(instrument: Instrument, series: BarSeries) {
    this.#instrument = instrument;
    this.#series = series;
    Object.freeze(this);
  }
  get instrument(): Instrument {
    return this.#instrument;
  }
  get openTs(): UnixMs {
    return this.#series.ts[this.#row]!;
  }
  get open(): number {
    return this.#series.open[this.#row]!;
  }
  get high(): number {
    return this.#series.high[this.#row]!;
  }
  get low(): number {
    return this.#series.low[this.#row]!;
  }
  get close(): number {
    return this.#series.close[this.#row]!;
  }
  get volume(): number {
    return this.#series.volume[this.#row]!;
  }
}
Object.freeze(BarCursor.prototype);
Object.freeze(BarCursor);

/** Engine side: point a cursor at row `row` of `series`. */
export function moveBarCursor(c: BarCursor, instrument: Instrument, series: BarSeries, row: number): void {
  pointBar(c, instrument, series, row);
}

/** Bounded read of row `start + i` of a column, NaN outside [0, length). */
const at = (col: Float64Array, start: number, length: number, i: number): number => (i >= 0 && i < length ? col[start + i]! : NaN);

/** The last `length` delivered bars of one instrument, oldest first; a view, not a copy. */
class BarWindowView implements BarWindow {
  readonly #series: BarSeries;
  readonly #start: number;
  readonly #length: number;
  constructor(series: BarSeries, start: number, length: number) {
    this.#series = series;
    this.#start = start;
    this.#length = length;
    Object.freeze(this);
  }
  get length(): number {
    return this.#length;
  }
  openTs(i: number): UnixMs {
    return at(this.#series.ts, this.#start, this.#length, i);
  }
  open(i: number): number {
    return at(this.#series.open, this.#start, this.#length, i);
  }
  high(i: number): number {
    return at(this.#series.high, this.#start, this.#length, i);
  }
  low(i: number): number {
    return at(this.#series.low, this.#start, this.#length, i);
  }
  close(i: number): number {
    return at(this.#series.close, this.#start, this.#length, i);
  }
  volume(i: number): number {
    return at(this.#series.volume, this.#start, this.#length, i);
  }
}
Object.freeze(BarWindowView.prototype);
Object.freeze(BarWindowView);

/** The last `length` visible funding settlements of one perp, oldest first; a view, not a copy. */
class FundingWindowView implements FundingWindow {
  readonly #series: FundingSeries;
  readonly #start: number;
  readonly #length: number;
  constructor(series: FundingSeries, start: number, length: number) {
    this.#series = series;
    this.#start = start;
    this.#length = length;
    Object.freeze(this);
  }
  get length(): number {
    return this.#length;
  }
  ts(i: number): UnixMs {
    return at(this.#series.ts, this.#start, this.#length, i);
  }
  rate(i: number): number {
    return at(this.#series.rate, this.#start, this.#length, i);
  }
  intervalHours(i: number): number {
    return at(this.#series.intervalHours, this.#start, this.#length, i);
  }
}
Object.freeze(FundingWindowView.prototype);
Object.freeze(FundingWindowView);

const EMPTY_BARS: BarSeries = { ts: new Float64Array(0), open: new Float64Array(0), high: new Float64Array(0), low: new Float64Array(0), close: new Float64Array(0), volume: new Float64Array(0) };
const EMPTY_FUNDING: FundingSeries = { ts: new Float64Array(0), rate: new Float64Array(0), intervalHours: new Float64Array(0), markPrice: new Float64Array(0) };

/** Build the sealed market view of a run: a frozen object of closures over private state. */
export function createMarketView(market: MarketData, cursor: MarketCursor, prices: PriceStore): MarketView {
  const instruments = market.instruments;
  const listed = Object.freeze([...instruments]);
  const byKey = new Map<string, Instrument>();
  for (const ins of instruments) byKey.set(`${ins.venue}|${ins.symbol}`, ins);
  const lastBarCursor = new BarCursor(instruments[0]!, market.bars[0] ?? EMPTY_BARS);
  const idOf = (ins: Instrument): number => {
    if (!ins || instruments[ins.id] !== ins) throw new Error('not an instrument of this run (use ctx.market.instrument(venue, symbol))');
    return ins.id;
  };
  /** Row of the k-th newest visible settlement (k = 0 newest), or −1. */
  const fundingRow = (ins: Instrument, k: number): number => {
    const r = cursor.fundingCount[idOf(ins)]! - 1 - k;
    return r < 0 || k < 0 ? -1 : r;
  };
  const close = close_(prices);
  const view: MarketView = {
    timeframeMs: market.timeframeMs,
    instruments: () => listed,
    instrument(venue: VenueId, symbol: Symbol) {
      const ins = byKey.get(`${venue}|${symbol}`);
      if (!ins) throw new Error(`instrument ${venue} ${symbol} is not loaded in this run (loaded: ${instruments.map((x) => `${x.venue} ${x.symbol}`).join(', ')})`);
      return ins;
    },
    close,
    mark: (ins) => prices.mark[idOf(ins)]!,
    index(ins) {
      const r = cursor.index[idOf(ins)]!;
      return r < 0 ? NaN : market.index[ins.id]!.close[r]!;
    },
    fundingCount: (ins) => cursor.fundingCount[idOf(ins)]!,
    fundingRate(ins, k = 0) {
      const r = fundingRow(ins, k);
      return r < 0 ? NaN : market.funding[ins.id]!.rate[r]!;
    },
    fundingIntervalHours(ins, k = 0) {
      const r = fundingRow(ins, k);
      return r < 0 ? NaN : market.funding[ins.id]!.intervalHours[r]!;
    },
    fundingTs(ins, k = 0) {
      const r = fundingRow(ins, k);
      return r < 0 ? NaN : market.funding[ins.id]!.ts[r]!;
    },
    trailingFundingApr(ins, lookback) {
      const end = cursor.fundingCount[idOf(ins)]!;
      const n = Math.min(end, Math.max(0, Math.floor(lookback)));
      if (n === 0) return NaN;
      const f = market.funding[ins.id]!;
      let s = 0;
      for (let r = end - n; r < end; r++) s += (f.rate[r]! * 8760) / f.intervalHours[r]!;
      return s / n;
    },
    lastBar(ins) {
      const r = cursor.bar[idOf(ins)]!;
      if (r < 0) return null;
      moveBarCursor(lastBarCursor, ins, market.bars[ins.id]!, r);
      return lastBarCursor;
    },
    bars(ins, n) {
      const end = cursor.bar[idOf(ins)]! + 1;
      const len = Math.min(end, Math.max(0, Math.floor(n)));
      return new BarWindowView(market.bars[ins.id] ?? EMPTY_BARS, end - len, len);
    },
    fundingHistory(ins, n) {
      const end = cursor.fundingCount[idOf(ins)]!;
      const len = Math.min(end, Math.max(0, Math.floor(n)));
      return new FundingWindowView(market.funding[ins.id] ?? EMPTY_FUNDING, end - len, len);
    },
  };
  return Object.freeze(view);
}

/** `close(ins)`: a closure of its own so the hot read stays one typed-array load. */
function close_(prices: PriceStore): (ins: Instrument) => number {
  const px = prices.close;
  return (ins) => px[ins.id]!;
}
