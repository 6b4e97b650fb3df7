/**
 * Importers: read CSV / JSON / parquet files (generic with column mapping, or Binance public-data
 * presets) into a clean {@link SeriesColumns}, then merge it into the Arrow store.
 *
 * `parseSeriesFile` parses without touching the store (for fetchers, benchmarks and dry runs);
 * `importFile` parses and then stores. Parsing completes before anything is written, and the store
 * write is temp file + rename, so bad input or a kill mid-import leaves the store untouched.
 */
import { extname, resolve } from 'node:path';
import { DataError, UserError } from '../../core/errors.js';
import type { SeriesKind, Symbol, VenueId } from '../../core/ids.js';
import { SERIES_KINDS, parseSymbol } from '../../core/ids.js';
import { MS_PER_HOUR, timeframeToMs } from '../../core/time.js';
import { storeSeries, type Provenance, type StoreSeriesResult } from '../catalog.js';
import { KIND_COLUMNS, NULLABLE_COLUMNS, kindHasTimeframe } from '../schema.js';
import type { SeriesColumns } from '../store.js';
import { barPhaseMs, describeBarPhase } from '../validate.js';
import { parseCsv, parseJsonTable, parseParquet, readInputBytes, type RawTable } from './table.js';
import { readZipEntries } from './zip.js';
import { checkTimeZone, compileTsFormat, parseTimestampCell, type TsParse, type TsUnit } from './timestamps.js';

export { parseCsv, parseJsonTable, parseParquet, tableFromRecords, type RawTable } from './table.js';
export { parseTimestampCell, wallTimeToUtc, zoneOffsetMs, type TsUnit } from './timestamps.js';

/** Input formats. `binance-klines` / `binance-funding` are data.binance.vision CSV presets. */
export type ImportFormat = 'csv' | 'json' | 'parquet' | 'binance-klines' | 'binance-funding';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['csv', 'json', 'parquet', 'binance-klines', 'binance-funding'];

/** Column names of a data.binance.vision kline CSV (12 columns; header optional). */
export const BINANCE_KLINE_COLUMNS = [
  'open_time', 'open', 'high', 'low', 'close', 'volume', 'close_time', 'quote_volume', 'count',
  'taker_buy_volume', 'taker_buy_quote_volume', 'ignore',
];
/** Column names of a data.binance.vision fundingRate CSV. */
export const BINANCE_FUNDING_COLUMNS = ['calc_time', 'funding_interval_hours', 'last_funding_rate'];

/** How to read a source file into one series. Everything but file/kind is optional. */
export interface ParseOptions {
  file: string;
  kind: SeriesKind;
  /** Bar timeframe for bar kinds (`1m`, `1h`…). Required for ohlcv/mark/index. */
  timeframe?: string;
  /** Default: from the extension (.csv/.json/.parquet; .zip holding one CSV, as data.binance.vision serves them); CSV headers of the Binance presets are recognised. */
  format?: ImportFormat;
  /** Timestamp column (default: first of timestamp, ts, time, open_time, fundingTime, … present). */
  tsColumn?: string;
  /** Unit of numeric timestamps (default `auto`: by magnitude; Binance 2025+ spot files are µs). */
  tsUnit?: TsUnit;
  /**
   * Added to every timestamp after it is read (and after `timezone`), ms: for sources that stamp rows
   * at a time other than their true open (all_exchanges.csv Bybit/OKX 8h bars: −4 h). Default 0.
   */
  tsShiftMs?: number;
  /** Timestamp format such as `DD/MM/YYYY HH:mm` for non-ISO strings. */
  tsFormat?: string;
  /** IANA zone of timestamps that carry no offset (default UTC), e.g. Europe/London for Binance web exports. */
  timezone?: string;
  /** Target column → source column (e.g. {close: 'c', rate: 'Funding Rate'}). */
  columns?: Record<string, string>;
  /** Single-value source column: bars get open = high = low = close = value, volume null. */
  valueColumn?: string;
  /** Unit of funding rates in the file (default decimal). `percent` accepts "0.01%" or 0.01 and divides by 100. */
  rateUnit?: 'decimal' | 'percent';
  /** Declared row order: `asc` / `desc` are checked; `auto` (default) sorts whatever comes. */
  order?: 'auto' | 'asc' | 'desc';
  /** Funding interval in hours when the file has no interval column (default: inferred from spacing). */
  intervalHours?: number;
  /** Funding: snap settlement ts to this grid (default 1 h) when within `snapToleranceMs`. 0 disables. */
  snapMs?: number;
  /** Max distance to the grid that counts as jitter (default 5 min: Hyperliquid once settled 111 s late); beyond it is an error. */
  snapToleranceMs?: number;
  /** Keep only rows whose column equals the value (string comparison), e.g. {exchange: 'bybit'}. */
  where?: Record<string, string>;
  /** Keep only ts in [fromMs, toMs) (after snapping). */
  fromMs?: number;
  toMs?: number;
  /** CSV: header handling (default auto). */
  header?: boolean | 'auto';
}

/** A parsed series plus what the parser did. */
export interface ParsedSeries {
  series: SeriesColumns;
  kind: SeriesKind;
  timeframe?: string;
  format: ImportFormat;
  /** Data rows in the file. */
  rowsRead: number;
  /** Rows dropped by `where` / window filters. */
  rowsFiltered: number;
  /** Identical duplicate rows dropped (same ts and values). */
  duplicatesDropped: number;
  /** Funding rows whose ts was moved to the grid, and the largest move in ms. */
  snapped: number;
  maxJitterMs: number;
  /** Quirks handled and transformations applied, for provenance. */
  notes: string[];
  /** Source → target column mapping used. */
  mapping: Record<string, string>;
}

const TS_CANDIDATES = ['timestamp', 'ts', 'time', 'open_time', 'opentime', 'fundingtime', 'fundingratetimestamp', 'settlement_ts', 'settlementts', 'calc_time', 'calctime', 'date', 'datetime', 't'];
const ALIASES: Record<string, string[]> = {
  open: ['open', 'o', 'open_price'],
  high: ['high', 'h', 'high_price'],
  low: ['low', 'l', 'low_price'],
  close: ['close', 'c', 'close_price'],
  volume: ['volume', 'v', 'vol', 'base_volume'],
  rate: ['rate', 'fundingrate', 'funding_rate', 'last_funding_rate', 'lastfundingrate', 'rate_raw', 'rateraw'],
  interval_hours: ['interval_hours', 'intervalhours', 'funding_interval_hours', 'fundingintervalhours', 'fundinginterval', 'interval'],
  mark_price: ['mark_price', 'markprice'],
  oi_qty: ['oi_qty', 'sum_open_interest', 'sumopeninterest', 'open_interest', 'openinterest'],
  oi_notional: ['oi_notional', 'sum_open_interest_value', 'sumopeninterestvalue', 'oi_usd', 'oiusd'],
};

/** Lower-case, drop a parenthesised suffix and separators: `fundingTime(ms)` → `fundingtime`. */
function norm(name: string): string {
  return name.toLowerCase().replace(/\(.*?\)/g, '').replace(/[^a-z0-9]/g, '');
}

function findColumn(table: RawTable, candidates: readonly string[]): string | undefined {
  const byNorm = new Map<string, string>();
  for (const n of table.names) if (!byNorm.has(norm(n))) byNorm.set(norm(n), n);
  for (const c of candidates) {
    const hit = byNorm.get(norm(c));
    if (hit !== undefined) return hit;
  }
  return undefined;
}

function requireColumn(table: RawTable, name: string, option: string): string {
  if (table.columns.has(name)) return name;
  throw new DataError(table.file, `unknown column "${name}" given by ${option} (columns: ${table.names.join(', ')})`, undefined, name);
}

function formatFromExtension(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.csv' || ext === '.txt' || ext === '' || ext === '.zip') return 'csv';
  throw new UserError(`cannot tell the format of ${file} from its extension; pass --format (${IMPORT_FORMATS.join(', ')})`);
}

/** Read a source file into a RawTable according to its format. */
export async function readTable(file: string, format: ImportFormat, header: boolean | 'auto' = 'auto'): Promise<RawTable> {
  let bytes = readInputBytes(file);
  if (extname(file).toLowerCase() === '.zip') {
    // data.binance.vision downloads: one CSV per archive. Row numbers refer to that CSV.
    const entries = readZipEntries(file, bytes).filter((e) => !e.name.startsWith('__MACOSX/'));
    if (entries.length !== 1) throw new DataError(file, `expected one file in the ZIP archive, found ${entries.length} (${entries.map((e) => e.name).join(', ')})`);
    bytes = entries[0]!.data;
  }
  if (format === 'parquet') return parseParquet(file, bytes);
  const text = bytes.toString('utf8');
  if (format === 'json') return parseJsonTable(file, text);
  // Presets: the header line is optional (auto-detected and skipped); names are fixed.
  if (format === 'binance-klines') return parseCsv(file, text, { header: 'auto', names: BINANCE_KLINE_COLUMNS });
  if (format === 'binance-funding') return parseCsv(file, text, { header: 'auto', names: BINANCE_FUNDING_COLUMNS });
  return parseCsv(file, text, { header });
}

/** Detect the Binance presets from a generic CSV's header. */
function detectPreset(table: RawTable): ImportFormat | undefined {
  const n = table.names.map(norm);
  if (n.length === 12 && (n[0] === 'opentime' || n[0] === 'col1') && (n[6] === 'closetime' || n[0] === 'col1')) return 'binance-klines';
  if (n.join(',') === 'calctime,fundingintervalhours,lastfundingrate') return 'binance-funding';
  return undefined;
}

type Cell = unknown;

/** Parse a numeric cell; returns NaN for null/empty only when `nullable`, else throws. */
function numberCell(table: RawTable, col: string, row: number, v: Cell, nullable: boolean, percent: boolean | 'rate-decimal'): number {
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return percent === true ? percentToDecimal(String(v)) : v;
    if (Number.isNaN(v) && nullable) return NaN;
    throw new DataError(table.file, `value is ${v}`, table.rowNumber(row), col);
  }
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) {
    if (nullable) return NaN;
    throw new DataError(table.file, 'empty value', table.rowNumber(row), col);
  }
  if (typeof v !== 'string') throw new DataError(table.file, `not a number: ${JSON.stringify(v)}`, table.rowNumber(row), col);
  if (NUMBER_RE.test(v)) return percent === true ? percentToDecimal(v) : Number(v); // common case
  let s = v.trim();
  if (s.endsWith('%')) {
    if (percent !== true) throw new DataError(table.file, `percent string "${s}" where a decimal was declared (use --rate-unit percent)`, table.rowNumber(row), col);
    s = s.slice(0, -1).trim();
  }
  if (!NUMBER_RE.test(s)) {
    if (/^[-+]?(nan|inf(inity)?)$/i.test(s)) throw new DataError(table.file, `value is ${s}`, table.rowNumber(row), col);
    throw new DataError(table.file, `not a number: "${s}"`, table.rowNumber(row), col);
  }
  return percent === true ? percentToDecimal(s) : Number(s);
}

/**
 * "0.002184" (percent) → 0.00002184 by moving the decimal point in the text, so the result is the
 * double nearest the decimal value (x / 100 in floating point can be off by one ulp).
 */
export function percentToDecimal(s: string): number {
  const m = /^([-+]?)(\d*)\.?(\d*)$/.exec(s);
  if (!m) return Number(s) / 100;
  const [, sign, int, frac] = m as unknown as [string, string, string, string];
  const digits = int.padStart(2, '0');
  return Number(`${sign}${digits.slice(0, -2) || '0'}.${digits.slice(-2)}${frac}`);
}
const NUMBER_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** Parse an interval cell: 8, "8", "8h", "480m" → hours. */
function intervalCell(table: RawTable, col: string, row: number, v: Cell): number {
  const s = String(v ?? '').trim().toLowerCase();
  const m = /^(\d+(\.\d+)?)\s*(h|hr|hours?|m|min)?$/.exec(s);
  if (!m) throw new DataError(table.file, `unparsable funding interval "${s}"`, table.rowNumber(row), col);
  const x = Number(m[1]);
  const h = m[3] && m[3].startsWith('m') ? x / 60 : x;
  if (!(h > 0)) throw new DataError(table.file, `funding interval must be positive, got "${s}"`, table.rowNumber(row), col);
  return h;
}

/**
 * Parse a source file into a clean series (sorted, strictly increasing ts, no duplicates) without
 * touching the store. Throws DataError naming file, row and column on bad input.
 */
export async function parseSeriesFile(opts: ParseOptions): Promise<ParsedSeries> {
  let format = opts.format ?? formatFromExtension(opts.file);
  let table = await readTable(opts.file, format, opts.header);
  if (format === 'csv') {
    const preset = detectPreset(table);
    if (preset && !opts.columns && !opts.tsColumn) {
      format = preset;
      if (preset === 'binance-klines') table = await readTable(opts.file, preset);
    }
  }
  return parseSeriesTable(table, { ...opts, format });
}

/** Like {@link parseSeriesFile} for a table already in memory (e.g. records from an API). */
export function parseSeriesTable(table: RawTable, opts: Omit<ParseOptions, 'file'> & { file?: string }): ParsedSeries {
  const file = table.file;
  const kind = opts.kind;
  if (!SERIES_KINDS.includes(kind)) throw new UserError(`unknown kind "${kind}" (expected ${SERIES_KINDS.join(', ')})`);
  if (kindHasTimeframe(kind)) {
    if (!opts.timeframe) throw new UserError(`kind ${kind} needs --timeframe (e.g. 1m, 1h)`);
    timeframeToMs(opts.timeframe);
  }
  const format = opts.format ?? 'csv';
  const notes = [...table.notes];
  const tz = opts.timezone ?? 'UTC';
  try {
    checkTimeZone(tz);
  } catch (e) {
    throw new UserError(`--timezone: ${(e as Error).message}`);
  }
  if (tz !== 'UTC') notes.push(`timestamps without offset read as ${tz} local time`);
  let fmt: ((text: string, tz: string) => TsParse) | undefined;
  if (opts.tsFormat) {
    try {
      fmt = compileTsFormat(opts.tsFormat);
    } catch (e) {
      throw new UserError(`--ts-format: ${(e as Error).message}`);
    }
  }
  const tsUnit = opts.tsUnit ?? 'auto';
  // ---- column mapping
  const mapping: Record<string, string> = {};
  let tsCol: string;
  if (opts.tsColumn) tsCol = requireColumn(table, opts.tsColumn, '--ts-column');
  else {
    const presetTs = format === 'binance-klines' ? 'open_time' : format === 'binance-funding' ? 'calc_time' : undefined;
    const found = presetTs ?? findColumn(table, TS_CANDIDATES);
    if (!found) throw new DataError(file, `no timestamp column found (tried ${TS_CANDIDATES.join(', ')}; columns: ${table.names.join(', ')}); pass --ts-column`);
    tsCol = found;
  }
  mapping['ts'] = tsCol;
  const targets = KIND_COLUMNS[kind];
  const nullable = new Set(NULLABLE_COLUMNS[kind]);
  const explicit = opts.columns ?? {};
  for (const k of Object.keys(explicit)) {
    if (!targets.includes(k)) throw new UserError(`--map ${k}=…: "${k}" is not a column of kind ${kind} (columns: ${targets.join(', ')})`);
  }
  const sourceOf: Record<string, string | undefined> = {};
  let single: string | undefined;
  if (opts.valueColumn) {
    if (kind === 'funding' || kind === 'open_interest') throw new UserError(`--value-column applies to bar kinds (ohlcv, mark, index), not ${kind}`);
    single = requireColumn(table, opts.valueColumn, '--value-column');
    mapping['open,high,low,close'] = single;
    notes.push(`single-value source column "${single}": open = high = low = close = value${kind === 'ohlcv' ? ', volume null' : ''}`);
  } else {
    for (const t of targets) {
      if (explicit[t] !== undefined) sourceOf[t] = requireColumn(table, explicit[t]!, `--map ${t}=${explicit[t]}`);
      else sourceOf[t] = findColumn(table, ALIASES[t] ?? [t]);
      if (sourceOf[t] === undefined && !nullable.has(t) && !(kind === 'funding' && t === 'interval_hours')) {
        throw new DataError(file, `no column for "${t}" (columns: ${table.names.join(', ')}); pass --map ${t}=<column>`, undefined, t);
      }
      if (sourceOf[t] !== undefined) mapping[t] = sourceOf[t]!;
    }
  }
  // ---- row filter
  const where = Object.entries(opts.where ?? {}).map(([c, v]) => [requireColumn(table, c, `--where ${c}=${v}`), v] as const);
  const n = table.rowCount;
  const keep: number[] = [];
  for (let r = 0; r < n; r++) {
    let ok = true;
    for (const [c, v] of where) if (String(table.columns.get(c)![r] ?? '').trim() !== v) ok = false;
    if (ok) keep.push(r);
  }
  const m = keep.length;
  // ---- timestamps
  const ts = new Float64Array(m);
  const shiftMs = opts.tsShiftMs ?? 0;
  if (!Number.isSafeInteger(shiftMs)) throw new UserError(`tsShiftMs must be an integer number of ms (got ${shiftMs})`);
  const tsCells = table.columns.get(tsCol)!;
  for (let k = 0; k < m; k++) {
    const r = keep[k]!;
    const p = parseTimestampCell(tsCells[r], tsUnit, tz, fmt);
    if (!p.ok) throw new DataError(file, p.reason, table.rowNumber(r), tsCol);
    ts[k] = p.ts + shiftMs;
  }
  if (shiftMs !== 0) notes.push(`timestamps shifted by ${shiftMs / MS_PER_HOUR} h after reading (tsShiftMs ${shiftMs})`);
  // ---- values
  const columns: Record<string, Float64Array> = {};
  const percent = opts.rateUnit === 'percent';
  if (single) {
    const cells = table.columns.get(single)!;
    const v = new Float64Array(m);
    for (let k = 0; k < m; k++) v[k] = numberCell(table, single, keep[k]!, cells[keep[k]!], false, false);
    for (const t of ['open', 'high', 'low', 'close']) columns[t] = t === 'open' ? v : v.slice();
    if (kind === 'ohlcv') columns['volume'] = new Float64Array(m).fill(NaN);
  } else {
    for (const t of targets) {
      const src = sourceOf[t];
      const out = new Float64Array(m);
      if (src === undefined) {
        out.fill(NaN);
      } else {
        const cells = table.columns.get(src)!;
        for (let k = 0; k < m; k++) {
          const r = keep[k]!;
          out[k] = t === 'interval_hours' ? intervalCell(table, src, r, cells[r]) : numberCell(table, src, r, cells[r], nullable.has(t), t === 'rate' ? percent : false);
        }
      }
      columns[t] = out;
    }
    if (percent && kind === 'funding') notes.push('rate given in percent, divided by 100');
  }
  // ---- order
  const declared = opts.order ?? 'auto';
  let asc = true;
  let desc = true;
  for (let k = 1; k < m; k++) {
    if (!(ts[k]! > ts[k - 1]!)) asc = false;
    if (!(ts[k]! < ts[k - 1]!)) desc = false;
  }
  if (declared === 'asc' && !asc) {
    const k = firstBreak(ts, (a, b) => b > a);
    throw new DataError(file, `rows are not in strictly increasing time order as declared by --order asc`, table.rowNumber(keep[k]!), tsCol);
  }
  if (declared === 'desc' && !desc) {
    const k = firstBreak(ts, (a, b) => b < a);
    throw new DataError(file, `rows are not in strictly decreasing time order as declared by --order desc`, table.rowNumber(keep[k]!), tsCol);
  }
  if (m > 1 && desc && !asc) notes.push('rows were newest-first; reversed');
  // ---- funding: snap to grid, interval
  let snapped = 0;
  let maxJitterMs = 0;
  if (kind === 'funding') {
    const grid = opts.snapMs ?? MS_PER_HOUR;
    const tol = opts.snapToleranceMs ?? 300_000;
    if (grid > 0) {
      for (let k = 0; k < m; k++) {
        const g = Math.round(ts[k]! / grid) * grid;
        const d = Math.abs(ts[k]! - g);
        if (d > tol) throw new DataError(file, `settlement time ${new Date(ts[k]!).toISOString()} is ${d} ms from the ${grid / 60000}-minute grid (tolerance ${tol} ms)`, table.rowNumber(keep[k]!), tsCol);
        if (d > 0) {
          snapped++;
          if (d > maxJitterMs) maxJitterMs = d;
          ts[k] = g;
        }
      }
      if (snapped > 0) notes.push(`${snapped} settlement times snapped to the ${grid / 60000}-minute grid (max jitter ${maxJitterMs} ms)`);
    }
  } else if (opts.timeframe && m > 0) {
    // Bars may open off the UTC grid (Bybit/OKX 8h bars at 04/12/20 UTC), but every bar of one
    // series opens at the same phase: a change means mis-read times (local time taken as UTC).
    const tf = timeframeToMs(opts.timeframe);
    let first = 0;
    for (let k = 1; k < m; k++) if (ts[k]! < ts[first]!) first = k;
    const phase = barPhaseMs(ts[first]!, tf);
    for (let k = 0; k < m; k++) {
      const ph = barPhaseMs(ts[k]!, tf);
      if (ph !== phase) {
        throw new DataError(
          file,
          `bar time ${new Date(ts[k]!).toISOString()} is off the phase of the series: ${describeBarPhase(opts.timeframe, ph)}, but the first bar ` +
            `(${new Date(ts[first]!).toISOString()}, row ${table.rowNumber(keep[first]!)}) says ${describeBarPhase(opts.timeframe, phase)}; a series of ` +
            `${opts.timeframe} bars keeps one phase (local times read as UTC? see --timezone)`,
          table.rowNumber(keep[k]!),
          tsCol,
        );
      }
    }
    if (phase !== 0) notes.push(describeBarPhase(opts.timeframe, phase));
  }
  // ---- sort (stable) and drop identical duplicates; conflicting duplicates are an error
  const idx = Array.from({ length: m }, (_, k) => k);
  if (!asc) idx.sort((a, b) => ts[a]! - ts[b]! || a - b);
  const names = Object.keys(columns);
  const outIdx: number[] = [];
  let dups = 0;
  for (const k of idx) {
    const prev = outIdx.length ? outIdx[outIdx.length - 1]! : -1;
    if (prev >= 0 && ts[prev] === ts[k]) {
      const same = names.every((c) => {
        const a = columns[c]![prev]!;
        const b = columns[c]![k]!;
        return a === b || (Number.isNaN(a) && Number.isNaN(b));
      });
      if (!same) {
        throw new DataError(file, `two rows for ${new Date(ts[k]!).toISOString()} with different values (rows ${table.rowNumber(keep[prev]!)} and ${table.rowNumber(keep[k]!)})`, table.rowNumber(keep[k]!), tsCol);
      }
      dups++;
      continue;
    }
    outIdx.push(k);
  }
  if (dups > 0) notes.push(`${dups} identical duplicate rows dropped`);
  // ---- window filter
  const from = opts.fromMs ?? -Infinity;
  const to = opts.toMs ?? Infinity;
  const final = outIdx.filter((k) => ts[k]! >= from && ts[k]! < to);
  const rowsFiltered = n - m + (outIdx.length - final.length);
  const outTs = new Float64Array(final.length);
  const outCols: Record<string, Float64Array> = {};
  for (const c of names) outCols[c] = new Float64Array(final.length);
  final.forEach((k, j) => {
    outTs[j] = ts[k]!;
    for (const c of names) outCols[c]![j] = columns[c]![k]!;
  });
  if (kind === 'funding') inferIntervals(outTs, outCols['interval_hours']!, opts.intervalHours, sourceOf['interval_hours'] !== undefined, notes);
  return {
    series: { ts: outTs, columns: outCols },
    kind,
    timeframe: kindHasTimeframe(kind) ? opts.timeframe : undefined,
    format,
    rowsRead: n,
    rowsFiltered,
    duplicatesDropped: dups,
    snapped,
    maxJitterMs,
    notes,
    mapping,
  };
}

function firstBreak(ts: Float64Array, ok: (a: number, b: number) => boolean): number {
  for (let k = 1; k < ts.length; k++) if (!ok(ts[k - 1]!, ts[k]!)) return k;
  return 0;
}

/**
 * Fill `interval_hours` when the file has no interval column: a fixed `--interval-hours`, else the
 * spacing to the previous settlement, except across a gap (a step longer than the steps on both
 * sides and a multiple of the next one) where the next step is used. A single row with nothing to infer from is an error.
 */
export function inferIntervals(ts: Float64Array, iv: Float64Array, fixedHours: number | undefined, fromColumn: boolean, notes: string[]): void {
  if (fromColumn) return;
  const n = ts.length;
  if (fixedHours !== undefined) {
    iv.fill(fixedHours);
    notes.push(`interval_hours = ${fixedHours} (given)`);
    return;
  }
  if (n < 2) {
    if (n === 1) throw new UserError('cannot infer the funding interval from a single settlement; pass --interval-hours');
    return;
  }
  const step = (k: number) => (ts[k]! - ts[k - 1]!) / MS_PER_HOUR;
  for (let k = 0; k < n; k++) {
    const prev = k > 0 ? step(k) : undefined;
    const next = k + 1 < n ? step(k + 1) : undefined;
    const before = k > 1 ? step(k - 1) : undefined;
    let h: number;
    if (prev === undefined) h = next!;
    else if (
      next !== undefined &&
      prev > next &&
      (before === undefined || prev > before) &&
      Math.abs(prev / next - Math.round(prev / next)) < 1e-9
    ) {
      // A step longer than both neighbours and a multiple of the next one: missing settlements.
      h = next;
    } else h = prev;
    iv[k] = h;
  }
  notes.push('interval_hours inferred from the spacing of consecutive settlements');
}

/** Options for {@link importFile}: parsing plus where to store. */
export interface ImportOptions extends ParseOptions {
  dataDir: string;
  venue: VenueId;
  symbol: Symbol;
  /** Extra provenance sources (e.g. `repo @ commit : path`); the file path is always recorded. */
  sources?: string[];
  /** Extra provenance notes. */
  notes?: string[];
  method?: Provenance['method'];
  /** ISO time recorded as provenance.updatedAt (default now; the bundle passes a fixed date for determinism). */
  updatedAt?: string;
  /** Record the file path as given instead of resolved (the bundle records repo-relative paths). */
  sourceLabel?: string;
}

/** Result of an import: parse statistics plus the store result. */
export interface ImportResult extends StoreSeriesResult {
  parsed: ParsedSeries;
}

/** Parse `opts.file` and merge it into the store (see {@link storeParsed}). */
export async function importFile(opts: ImportOptions): Promise<ImportResult> {
  try {
    parseSymbol(opts.symbol);
  } catch (e) {
    throw new UserError(`--symbol: ${(e as Error).message}`);
  }
  const parsed = await parseSeriesFile(opts);
  return storeParsed(parsed, opts);
}

/** Store a parsed series: merge without duplicates, atomic write, catalog update, provenance. */
export function storeParsed(parsed: ParsedSeries, opts: Omit<ImportOptions, 'kind'> & { kind?: SeriesKind }): ImportResult {
  if (parsed.series.ts.length === 0) throw new DataError(opts.file, 'no rows left to import (check --where / --from / --to)');
  const details: Record<string, string> = { format: parsed.format, mapping: JSON.stringify(parsed.mapping) };
  for (const k of ['tsUnit', 'tsFormat', 'timezone', 'rateUnit', 'order', 'intervalHours', 'valueColumn'] as const) {
    const v = opts[k];
    if (v !== undefined) details[k] = String(v);
  }
  if (opts.where) details['where'] = JSON.stringify(opts.where);
  const provenance: Provenance = {
    method: opts.method ?? 'import',
    sources: [...(opts.sources ?? []), opts.sourceLabel ?? resolve(opts.file)],
    notes: [...parsed.notes, ...(opts.notes ?? [])],
    details,
    updatedAt: opts.updatedAt ?? new Date().toISOString(),
  };
  const res = storeSeries(parsed.series, {
    dataDir: opts.dataDir,
    venue: opts.venue,
    symbol: opts.symbol,
    kind: parsed.kind,
    timeframe: parsed.timeframe,
    provenance,
  });
  return { ...res, parsed };
}
