/**
 * Pure conversions from ccxt results to perpcarry series columns. No ccxt import here: the shapes
 * below are the subset of ccxt's unified structures that the fetcher reads, so these functions can
 * be unit-tested without loading ccxt.
 */
import type { SeriesKind } from '../../core/ids.js';
import { MS_PER_HOUR, roundTo, type UnixMs } from '../../core/time.js';
import { KIND_COLUMNS } from '../schema.js';
import { sortDedupSeries, type SeriesColumns } from '../store.js';

/** A ccxt OHLCV row: `[ts, open, high, low, close, volume]` (volume may be missing for mark/index). */
export type CcxtOhlcvRow = readonly (number | undefined | null)[];

/** The fields of a ccxt `FundingRateHistory` entry that the fetcher reads. */
export interface CcxtFundingRow {
  timestamp?: number | null;
  fundingRate?: number | null;
  info?: Record<string, unknown>;
}

/** The fields of a ccxt `OpenInterest` history entry that the fetcher reads. */
export interface CcxtOpenInterestRow {
  timestamp?: number | null;
  openInterestAmount?: number | null;
  openInterestValue?: number | null;
}

/**
 * Longest funding interval any supported venue uses (Binance/Bybit/OKX 8h; Hyperliquid 1h).
 * A spacing longer than this between two settlements is a gap (missing rows), not an interval.
 */
export const MAX_FUNDING_INTERVAL_HOURS = 8;

function num(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x.trim() !== '') return Number(x);
  return NaN;
}

/** An empty series with the columns of `kind`. */
export function emptySeries(kind: SeriesKind, n = 0): SeriesColumns {
  const columns: Record<string, Float64Array> = {};
  for (const c of KIND_COLUMNS[kind]) columns[c] = new Float64Array(n).fill(NaN);
  return { ts: new Float64Array(n), columns };
}

/**
 * Keep rows with ts in [fromMs, toMs) and return them sorted by ts, duplicates removed (the last
 * occurrence in input order wins, as in {@link sortDedupSeries}).
 */
export function cleanWindow(s: SeriesColumns, kind: SeriesKind, fromMs: UnixMs, toMs: UnixMs): SeriesColumns {
  const cols = KIND_COLUMNS[kind];
  let keep = 0;
  for (let i = 0; i < s.ts.length; i++) if (s.ts[i]! >= fromMs && s.ts[i]! < toMs) keep++;
  let w = s;
  if (keep !== s.ts.length) {
    w = emptySeries(kind, keep);
    let k = 0;
    for (let i = 0; i < s.ts.length; i++) {
      const t = s.ts[i]!;
      if (!(t >= fromMs && t < toMs)) continue;
      w.ts[k] = t;
      for (const c of cols) w.columns[c]![k] = s.columns[c]![i]!;
      k++;
    }
  }
  return sortDedupSeries(w, cols).series;
}

/**
 * ccxt OHLCV rows → `ohlcv` (with volume) or `mark`/`index` (OHLC only) columns, in input order.
 * Rows without a finite integer timestamp are an exchange bug: they throw, naming the row.
 */
export function ohlcvToSeries(rows: readonly CcxtOhlcvRow[], kind: 'ohlcv' | 'mark' | 'index', what: string): SeriesColumns {
  const s = emptySeries(kind, rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const t = num(r[0]);
    if (!Number.isSafeInteger(t)) throw new Error(`${what}: row ${i} has no valid timestamp (${String(r[0])})`);
    s.ts[i] = t;
    s.columns['open']![i] = num(r[1]);
    s.columns['high']![i] = num(r[2]);
    s.columns['low']![i] = num(r[3]);
    s.columns['close']![i] = num(r[4]);
    if (kind === 'ohlcv') s.columns['volume']![i] = num(r[5]);
  }
  return s;
}

/**
 * ccxt funding-rate history → `funding` columns, in input order. The settlement time is snapped to
 * the hour (Binance stamps settlements 1–15 ms late; every supported venue settles on the hour).
 * `mark_price` comes from the raw `info.markPrice` where the exchange sends it (Binance
 * `/fapi/v1/fundingRate`), else NaN (null). `interval_hours` is left NaN: it is a property of the
 * whole series, see {@link fillFundingIntervals}.
 */
export function fundingToSeries(rows: readonly CcxtFundingRow[], what: string): SeriesColumns {
  const s = emptySeries('funding', rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const t = num(r.timestamp);
    if (!Number.isSafeInteger(t)) throw new Error(`${what}: row ${i} has no valid timestamp (${String(r.timestamp)})`);
    s.ts[i] = roundTo(t, MS_PER_HOUR);
    s.columns['rate']![i] = num(r.fundingRate);
    const mark = num(r.info?.['markPrice']);
    s.columns['mark_price']![i] = Number.isFinite(mark) && mark > 0 ? mark : NaN;
  }
  return s;
}

/** ccxt open-interest history → `open_interest` columns (`oi_qty` base units, `oi_notional` quote). */
export function openInterestToSeries(rows: readonly CcxtOpenInterestRow[], what: string): SeriesColumns {
  const s = emptySeries('open_interest', rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const t = num(r.timestamp);
    if (!Number.isSafeInteger(t)) throw new Error(`${what}: row ${i} has no valid timestamp (${String(r.timestamp)})`);
    s.ts[i] = t;
    s.columns['oi_qty']![i] = num(r.openInterestAmount);
    s.columns['oi_notional']![i] = num(r.openInterestValue);
  }
  return s;
}

/**
 * Fill `interval_hours` of a sorted funding series in place, from the data alone: the interval
 * that ended at settlement i is the spacing to settlement i−1, in whole hours, when that spacing is
 * at most {@link MAX_FUNDING_INTERVAL_HOURS}; a longer spacing is a gap (missing settlements), so
 * the row keeps the previous row's interval. The first row takes the spacing to its successor (or
 * `defaultHours` if that is a gap or there is no successor). Interval changes (Binance 8h → 4h →
 * 1h) are therefore recorded where they happen, never smoothed. The result depends only on the set
 * of timestamps, not on how the rows were paged, which keeps resumed fetches identical to
 * uninterrupted ones. Returns how many rows changed value.
 */
export function fillFundingIntervals(s: SeriesColumns, defaultHours: number): number {
  const ts = s.ts;
  const iv = s.columns['interval_hours']!;
  const n = ts.length;
  let changed = 0;
  const set = (i: number, v: number): void => {
    if (iv[i] !== v) {
      iv[i] = v;
      changed++;
    }
  };
  const spacing = (i: number): number => Math.round((ts[i]! - ts[i - 1]!) / MS_PER_HOUR);
  if (n === 0) return 0;
  let first = defaultHours;
  if (n > 1) {
    const h = spacing(1);
    if (h >= 1 && h <= MAX_FUNDING_INTERVAL_HOURS) first = h;
  }
  set(0, first);
  for (let i = 1; i < n; i++) {
    const h = spacing(i);
    set(i, h >= 1 && h <= MAX_FUNDING_INTERVAL_HOURS ? h : iv[i - 1]!);
  }
  return changed;
}

/** Ts of the interval changes in a funding series with filled intervals: `[ts, fromHours, toHours]`. */
export function fundingIntervalChanges(s: SeriesColumns): [number, number, number][] {
  const iv = s.columns['interval_hours']!;
  const out: [number, number, number][] = [];
  for (let i = 1; i < s.ts.length; i++) if (iv[i] !== iv[i - 1]) out.push([s.ts[i]!, iv[i - 1]!, iv[i]!]);
  return out;
}
