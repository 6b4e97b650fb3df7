/**
 * Load the market data a run needs into typed arrays: per instrument its OHLCV bars, and for perps
 * the mark and index bars (optional) and funding settlements (optional, with history before the
 * window so a strategy can read trailing funding at the start). Checks the loaded rows and refuses
 * bad data unless told to accept it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { parseSymbol, seriesRelPath, type SeriesKind, type Symbol, type VenueId } from '../core/ids.js';
import { MS_PER_DAY, isoUtc, type UnixMs } from '../core/time.js';
import { readCatalog } from '../data/catalog.js';
import type { SeriesColumns } from '../data/store.js';
import { columnValue, hasColumn, loadVerifiedSeries, type VerifiedSeries } from '../data/verified.js';
import { validateSeries } from '../data/validate.js';
import type { Instrument } from '../venue/instrument.js';

/**
 * OHLC(V) bars, stamped at open time. Columns are read-only for everyone (a shocked or
 * resampled market is built from copies).
 *
 * A loaded series ({@link loadMarketData}) reads `ts` at load and each price or volume column on
 * first access, from the verified file (src/data/verified.ts): a run pays only for the columns it
 * touches. Each property access may therefore be a getter: code that reads a column per event
 * takes the array once (src/engine/sources.ts loopColumns) instead of reading the property in
 * its loop. Any object with these six arrays (a copy, a shared-memory market) is a BarSeries too.
 */
export interface BarSeries {
  readonly ts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  /** Base volume (NaN for mark/index or unknown). */
  readonly volume: Float64Array;
}

/** Funding settlements: settlement time, decimal rate per interval, interval hours, mark (NaN if absent). */
export interface FundingSeries {
  ts: Float64Array;
  rate: Float64Array;
  intervalHours: Float64Array;
  markPrice: Float64Array;
}

/** A data file used by a run (run.json `data`). */
export interface DataFileInfo {
  path: string;
  sha256: string;
  rows: number;
  venue: VenueId;
  symbol: Symbol;
  kind: SeriesKind;
  timeframe: string | null;
}

/** Everything the engine replays. Arrays are indexed by instrument id. */
export interface MarketData {
  instruments: Instrument[];
  timeframe: string;
  timeframeMs: number;
  fromMs: UnixMs;
  toMs: UnixMs;
  bars: BarSeries[];
  mark: (BarSeries | null)[];
  index: (BarSeries | null)[];
  funding: (FundingSeries | null)[];
  files: DataFileInfo[];
  /** Problems found in the data (empty when clean). */
  problems: string[];
}

/** Build dense instrument handles from (venue, symbol) pairs, de-duplicated in first-seen order. */
export function makeInstruments(specs: readonly { venue: VenueId; symbol: Symbol }[]): Instrument[] {
  const out: Instrument[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    const key = `${s.venue}|${s.symbol}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const p = parseSymbol(s.symbol);
    out.push(Object.freeze({ id: out.length, venue: s.venue, symbol: s.symbol, type: p.isPerp ? 'perp' : 'spot', base: p.base, quote: p.quote }));
  }
  return out;
}

/** Options of {@link loadMarketData}. */
export interface LoadMarketOptions {
  dataDir: string;
  instruments: Instrument[];
  timeframe: string;
  timeframeMs: number;
  fromMs: UnixMs;
  toMs: UnixMs;
  /** Days of funding history before `fromMs` to load for trailing-funding reads. Default 30. */
  fundingHistoryDays?: number;
}

function col(s: SeriesColumns, name: string, path: string): Float64Array {
  const c = s.columns[name];
  if (!c) throw new UserError(`${path}: missing column "${name}"`);
  return c;
}

/**
 * All-NaN columns by length, for series without volume (mark, index). Market columns are never
 * written, so the series of one load share one (on the 1m year: 4.2 MB less to allocate and fill
 * per mark or index series).
 */
function nanColumns(): (n: number) => Float64Array {
  const byLength = new Map<number, Float64Array>();
  return (n) => {
    let c = byLength.get(n);
    if (!c) {
      c = new Float64Array(n).fill(NaN);
      byLength.set(n, c);
    }
    return c;
  };
}

/** A price or volume column of a {@link BarSeries}. */
export type BarColumn = 'open' | 'high' | 'low' | 'close' | 'volume';

/**
 * Single values read from a loaded series before its column is read whole: after this many, the
 * next read takes the whole column (a strategy that fills at every bar's open pays one column
 * read, not a system call per fill).
 */
const SINGLE_READS = 64;

/** Single-value readers of loaded series (see {@link barValue}). */
const barValues = new WeakMap<BarSeries, (column: BarColumn, row: number) => number>();

/**
 * `series[column][row]`, reading only that value from the verified file when the column of a
 * loaded series has not been read yet (src/data/verified.ts columnValue) — what the order book
 * needs at a fill (the next bar's open) and a slippage model per order, without 4.2 MB of column
 * per year of 1m. The same value as the column read whole, bit for bit.
 */
export function barValue(series: BarSeries, column: BarColumn, row: number): number {
  const one = barValues.get(series);
  return one ? one(column, row) : series[column][row]!;
}

/**
 * The bars of a loaded series: `ts` as read, each other column taken from `s.columns` on first
 * access (a getter there reads it from the verified file) and kept. `volume` is the all-NaN
 * column when the kind has none.
 */
function toBars(s: SeriesColumns, path: string, withVolume: boolean, nan: (n: number) => Float64Array): BarSeries {
  for (const c of ['open', 'high', 'low', 'close']) if (!hasColumn(s.columns, c)) throw new UserError(`${path}: missing column "${c}"`);
  const n = s.ts.length;
  const hasVolume = withVolume && hasColumn(s.columns, 'volume');
  const taken: Partial<Record<BarColumn, Float64Array>> = {};
  const take = (c: BarColumn): Float64Array => (taken[c] ??= c === 'volume' && !hasVolume ? nan(n) : col(s, c, path));
  const bars: BarSeries = {
    ts: s.ts,
    get open() {
      return take('open');
    },
    get high() {
      return take('high');
    },
    get low() {
      return take('low');
    },
    get close() {
      return take('close');
    },
    get volume() {
      return take('volume');
    },
  };
  let singles = 0;
  barValues.set(bars, (c, row) => {
    const whole = taken[c];
    if (whole) return whole[row]!;
    if (c === 'volume' && !hasVolume) return NaN;
    if (++singles <= SINGLE_READS) {
      const v = columnValue(s.columns, c, row);
      if (v !== undefined) return v;
    }
    return take(c)[row]!;
  });
  return bars;
}

/** Append the errors of a validation report to `problems` (file, row, ts, detail). */
function collectErrors(series: SeriesColumns, kind: SeriesKind, timeframe: string | undefined, path: string, problems: string[]): void {
  const rep = validateSeries(series, kind, timeframe);
  for (const issue of rep.issues) {
    if (issue.severity !== 'error') continue;
    const ex = issue.examples.map((e) => `window row ${e.row + 1} (${Number.isFinite(e.ts) ? isoUtc(e.ts) : e.ts}): ${e.detail}`).join('; ');
    problems.push(`${path}: ${issue.message} ×${issue.count}${ex ? ` — e.g. ${ex}` : ''}`);
  }
}

/**
 * Load the series of every instrument for the window: bars that close (open + timeframe) in
 * (fromMs, toMs], at whatever phase they open, and funding settlements (plus
 * `fundingHistoryDays` before fromMs for trailing signals). OHLCV at the run timeframe is required;
 * mark/index at the run timeframe and funding are loaded when present (a perp without funding
 * data simply never settles, and a warning-level problem is NOT raised: some venues lack it).
 */
export function loadMarketData(opts: LoadMarketOptions): MarketData {
  const { dataDir, instruments, timeframe, fromMs, toMs } = opts;
  // A bar belongs to the window when it is delivered in it: open + timeframe in (fromMs, toMs].
  // For bars on the UTC grid and a window on it, that is open in [fromMs, toMs); for bars at another
  // phase (Bybit/OKX 8h bars at 04/12/20 UTC) it keeps the bar straddling fromMs (closed after it)
  // and drops the one that would close after toMs.
  const barWindow = { fromMs: fromMs - opts.timeframeMs + 1, toMs: toMs - opts.timeframeMs + 1 };
  const files: DataFileInfo[] = [];
  const problems: string[] = [];
  // Every file is verified against the catalog (metadata, column types, sha256) before use;
  // hashes and whole-file validation are cached per file version by the data layer.
  const catalog = readCatalog(dataDir);
  // Bar series on the same grid share one time column (compared bit for bit at load).
  const barTimes: Float64Array[] = [];
  const read = (ins: Instrument, kind: SeriesKind, window: { fromMs: number; toMs: number }): VerifiedSeries => {
    const s = loadVerifiedSeries(dataDir, { venue: ins.venue, symbol: ins.symbol, kind, timeframe: kind === 'funding' ? undefined : timeframe }, window, catalog, {
      tsCandidates: kind === 'funding' ? [] : barTimes,
    });
    if (kind !== 'funding' && !barTimes.includes(s.ts)) barTimes.push(s.ts);
    return s;
  };
  const bars: BarSeries[] = [];
  const mark: (BarSeries | null)[] = [];
  const index: (BarSeries | null)[] = [];
  const funding: (FundingSeries | null)[] = [];
  const histMs = (opts.fundingHistoryDays ?? 30) * MS_PER_DAY;
  const nan = nanColumns();
  const addFile = (s: VerifiedSeries, rows: number, ins: Instrument, kind: SeriesKind, tf: string | null): void => {
    files.push({ path: s.path, sha256: s.sha256, rows, venue: ins.venue, symbol: ins.symbol, kind, timeframe: tf });
  };
  // A window of a file that validated clean as a whole needs no second look.
  const check = (s: VerifiedSeries, kind: SeriesKind, tf: string | undefined): void => {
    if (s.fileErrors > 0) collectErrors(s, kind, tf, s.path, problems);
  };
  for (const ins of instruments) {
    const rel = (kind: SeriesKind): string => seriesRelPath(ins.venue, ins.symbol, kind, kind === 'funding' ? undefined : timeframe);
    const ohlcvPath = join(dataDir, rel('ohlcv'));
    if (!existsSync(ohlcvPath)) {
      throw new UserError(`no ${timeframe} bars for ${ins.venue} ${ins.symbol}: ${ohlcvPath} does not exist (import or fetch it: see \`perpcarry data --help\`)`);
    }
    const o = read(ins, 'ohlcv', barWindow);
    if (o.ts.length === 0) throw new UserError(`${ohlcvPath}: no bars closing in (${isoUtc(fromMs)}, ${isoUtc(toMs)}]`);
    const b = toBars(o, ohlcvPath, true, nan);
    check(o, 'ohlcv', timeframe);
    bars.push(b);
    addFile(o, b.ts.length, ins, 'ohlcv', timeframe);
    if (ins.type === 'perp') {
      const mp = join(dataDir, rel('mark'));
      if (existsSync(mp)) {
        const ms = read(ins, 'mark', barWindow);
        const m = toBars(ms, mp, false, nan);
        check(ms, 'mark', timeframe);
        mark.push(m.ts.length ? m : null);
        addFile(ms, m.ts.length, ins, 'mark', timeframe);
      } else mark.push(null);
      const ip = join(dataDir, rel('index'));
      if (existsSync(ip)) {
        const xs = read(ins, 'index', barWindow);
        const x = toBars(xs, ip, false, nan);
        check(xs, 'index', timeframe);
        index.push(x.ts.length ? x : null);
        addFile(xs, x.ts.length, ins, 'index', timeframe);
      } else index.push(null);
      const fp = join(dataDir, rel('funding'));
      if (existsSync(fp)) {
        const f = read(ins, 'funding', { fromMs: fromMs - histMs, toMs: toMs + 1 });
        const fs: FundingSeries = {
          ts: f.ts,
          rate: col(f, 'rate', fp),
          intervalHours: col(f, 'interval_hours', fp),
          markPrice: f.columns['mark_price'] ?? new Float64Array(f.ts.length).fill(NaN),
        };
        check(f, 'funding', undefined);
        funding.push(fs);
        addFile(f, fs.ts.length, ins, 'funding', null);
      } else funding.push(null);
    } else {
      mark.push(null);
      index.push(null);
      funding.push(null);
    }
  }
  return { instruments, timeframe, timeframeMs: opts.timeframeMs, fromMs, toMs, bars, mark, index, funding, files, problems };
}
