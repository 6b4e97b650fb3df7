/**
 * From source rows to a clean series in three steps, shared by every input format:
 * 1. {@link planColumns}: which source column feeds `ts` and each target column (from the names alone);
 * 2. {@link SeriesBuilder}: rows are typed one at a time into growing Float64Arrays (no row objects,
 *    no per-cell strings on the CSV fast path), so a 10M-row file costs ~8 bytes per cell;
 * 3. finishSeries (finish-series.ts): order, snapping, bar phase, sort, duplicates, window, funding intervals.
 */
import { DataError, UserError } from '../../core/errors.js';
import type { SeriesKind } from '../../core/ids.js';
import { timeframeToMs } from '../../core/time.js';
import { KIND_COLUMNS, NULLABLE_COLUMNS, kindHasTimeframe } from '../schema.js';
import type { CsvRecord } from './csv-stream.js';
import { checkTimeZone, compileTsFormat, epochDigitsToMs, parseTimestampCell, type TsParse, type TsUnit } from './timestamps.js';
import type { ImportFormat, ParseOptions } from './index.js';

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
export function normColumnName(name: string): string {
  return name.toLowerCase().replace(/\(.*?\)/g, '').replace(/[^a-z0-9]/g, '');
}

/**
 * How a target column's cells are read: a required number, a number or empty (null ⇒ NaN), a rate
 * given in percent, or a funding interval (`8`, `8h`, `480m`).
 */
export type CellKind = 'number' | 'nullable' | 'percent' | 'interval';

/** Which source column feeds what, decided from the column names before any row is read. */
export interface ColumnPlan {
  file: string;
  kind: SeriesKind;
  names: readonly string[];
  tsIdx: number;
  tsCol: string;
  /** Output columns in order. */
  targets: string[];
  /** Per target: source column index (−1: none, filled with NaN), its name and how to read it. */
  srcIdx: Int32Array;
  srcName: (string | undefined)[];
  cellKind: readonly CellKind[];
  /** Single-value source feeding open = high = low = close (−1 if none). */
  singleIdx: number;
  /** Row filter: column index → required trimmed text. */
  where: [number, string][];
  tsUnit: TsUnit;
  tz: string;
  tsFormat: ((text: string, tz: string) => TsParse) | undefined;
  shiftMs: number;
  mapping: Record<string, string>;
  notes: string[];
  /** Timestamps may be read as plain digits (unit auto/ms, no format). */
  fastTs: boolean;
  /** Whether the file had an interval column (else intervals are inferred or given). */
  intervalFromColumn: boolean;
}

function findColumn(names: readonly string[], candidates: readonly string[]): number {
  const byNorm = new Map<string, number>();
  names.forEach((n, i) => {
    const k = normColumnName(n);
    if (!byNorm.has(k)) byNorm.set(k, i);
  });
  for (const c of candidates) {
    const hit = byNorm.get(normColumnName(c));
    if (hit !== undefined) return hit;
  }
  return -1;
}

function requireColumn(file: string, names: readonly string[], name: string, option: string): number {
  const i = names.indexOf(name);
  if (i >= 0) return i;
  throw new DataError(file, `unknown column "${name}" given by ${option} (columns: ${names.join(', ')})`, undefined, name);
}

/** Decide the column mapping; throws naming the option or column at fault. */
export function planColumns(file: string, names: readonly string[], opts: Omit<ParseOptions, 'file'>, format: ImportFormat, tableNotes: readonly string[]): ColumnPlan {
  const kind = opts.kind;
  if (!(KIND_COLUMNS as Record<string, unknown>)[kind]) throw new UserError(`unknown kind "${kind}" (expected ${Object.keys(KIND_COLUMNS).join(', ')})`);
  if (kindHasTimeframe(kind)) {
    if (!opts.timeframe) throw new UserError(`kind ${kind} needs --timeframe (e.g. 1m, 1h)`);
    timeframeToMs(opts.timeframe);
  }
  const notes = [...tableNotes];
  const tz = opts.timezone ?? 'UTC';
  try {
    checkTimeZone(tz);
  } catch (e) {
    throw new UserError(`--timezone: ${(e as Error).message}`);
  }
  if (tz !== 'UTC') notes.push(`timestamps without offset read as ${tz} local time`);
  let tsFormat: ColumnPlan['tsFormat'];
  if (opts.tsFormat) {
    try {
      tsFormat = compileTsFormat(opts.tsFormat);
    } catch (e) {
      throw new UserError(`--ts-format: ${(e as Error).message}`);
    }
  }
  const shiftMs = opts.tsShiftMs ?? 0;
  if (!Number.isSafeInteger(shiftMs)) throw new UserError(`tsShiftMs must be an integer number of ms (got ${shiftMs})`);
  const mapping: Record<string, string> = {};
  let tsIdx: number;
  if (opts.tsColumn) tsIdx = requireColumn(file, names, opts.tsColumn, '--ts-column');
  else {
    const presetTs = format === 'binance-klines' ? 'open_time' : format === 'binance-funding' ? 'calc_time' : undefined;
    tsIdx = presetTs !== undefined ? names.indexOf(presetTs) : -1;
    if (tsIdx < 0) tsIdx = findColumn(names, TS_CANDIDATES);
    if (tsIdx < 0) throw new DataError(file, `no timestamp column found (tried ${TS_CANDIDATES.join(', ')}; columns: ${names.join(', ')}); pass --ts-column`);
  }
  const tsCol = names[tsIdx]!;
  mapping['ts'] = tsCol;
  const targets = [...KIND_COLUMNS[kind]];
  const nullable = new Set(NULLABLE_COLUMNS[kind]);
  const explicit = opts.columns ?? {};
  for (const k of Object.keys(explicit)) {
    if (!targets.includes(k)) throw new UserError(`--map ${k}=…: "${k}" is not a column of kind ${kind} (columns: ${targets.join(', ')})`);
  }
  const srcIdx = new Int32Array(targets.length).fill(-1);
  const srcName: (string | undefined)[] = targets.map(() => undefined);
  const percent = opts.rateUnit === 'percent';
  const cellKind = targets.map((t): CellKind => (t === 'interval_hours' ? 'interval' : t === 'rate' && percent ? 'percent' : nullable.has(t) ? 'nullable' : 'number'));
  let singleIdx = -1;
  if (opts.valueColumn) {
    if (kind === 'funding' || kind === 'open_interest') throw new UserError(`--value-column applies to bar kinds (ohlcv, mark, index), not ${kind}`);
    singleIdx = requireColumn(file, names, opts.valueColumn, '--value-column');
    const single = names[singleIdx]!;
    mapping['open,high,low,close'] = single;
    notes.push(`single-value source column "${single}": open = high = low = close = value${kind === 'ohlcv' ? ', volume null' : ''}`);
  } else {
    targets.forEach((t, i) => {
      const idx = explicit[t] !== undefined ? requireColumn(file, names, explicit[t], `--map ${t}=${explicit[t]}`) : findColumn(names, ALIASES[t] ?? [t]);
      if (idx < 0 && !nullable.has(t) && !(kind === 'funding' && t === 'interval_hours')) {
        throw new DataError(file, `no column for "${t}" (columns: ${names.join(', ')}); pass --map ${t}=<column>`, undefined, t);
      }
      srcIdx[i] = idx;
      if (idx >= 0) {
        srcName[i] = names[idx];
        mapping[t] = names[idx]!;
      }
    });
    if (percent && kind === 'funding') notes.push('rate given in percent, divided by 100');
  }
  const where = Object.entries(opts.where ?? {}).map(([c, v]) => [requireColumn(file, names, c, `--where ${c}=${v}`), v] as [number, string]);
  const ivAt = targets.indexOf('interval_hours');
  return {
    file, kind, names, tsIdx, tsCol, targets, srcIdx, srcName, cellKind, singleIdx, where,
    tsUnit: opts.tsUnit ?? 'auto', tz, tsFormat, shiftMs, mapping, notes,
    fastTs: tsFormat === undefined && (opts.tsUnit === undefined || opts.tsUnit === 'auto' || opts.tsUnit === 'ms'),
    intervalFromColumn: ivAt >= 0 && srcIdx[ivAt]! >= 0,
  };
}

const NUMBER_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

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

/** Parse a numeric cell of any format; NaN for null/empty only when `nullable`, else throws. */
function numberCell(file: string, line: number, col: string, v: unknown, nullable: boolean, percent: boolean): number {
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return percent ? percentToDecimal(String(v)) : v;
    if (Number.isNaN(v) && nullable) return NaN;
    throw new DataError(file, `value is ${v}`, line, col);
  }
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) {
    if (nullable) return NaN;
    throw new DataError(file, 'empty value', line, col);
  }
  if (typeof v !== 'string') throw new DataError(file, `not a number: ${JSON.stringify(v)}`, line, col);
  if (NUMBER_RE.test(v)) return percent ? percentToDecimal(v) : Number(v);
  let s = v.trim();
  if (s.endsWith('%')) {
    if (!percent) throw new DataError(file, `percent string "${s}" where a decimal was declared (use --rate-unit percent)`, line, col);
    s = s.slice(0, -1).trim();
  }
  if (!NUMBER_RE.test(s)) {
    if (/^[-+]?(nan|inf(inity)?)$/i.test(s)) throw new DataError(file, `value is ${s}`, line, col);
    throw new DataError(file, `not a number: "${s.length > 60 ? `${s.slice(0, 60)}…` : s}"`, line, col);
  }
  return percent ? percentToDecimal(s) : Number(s);
}

/** Parse an interval cell: 8, "8", "8h", "480m" → hours. */
function intervalCell(file: string, line: number, col: string, v: unknown): number {
  const s = cellText(v).trim().toLowerCase();
  const m = /^(\d+(\.\d+)?)\s*(h|hr|hours?|m|min)?$/.exec(s);
  if (!m) throw new DataError(file, `unparsable funding interval "${s.length > 60 ? `${s.slice(0, 60)}…` : s}"`, line, col);
  const x = Number(m[1]);
  const h = m[3] && m[3].startsWith('m') ? x / 60 : x;
  if (!(h > 0)) throw new DataError(file, `funding interval must be positive, got "${s}"`, line, col);
  return h;
}

/**
 * The source line (1-based row) of each kept row, for error messages, stored as runs: a run
 * starts only where a row's line is not the previous row's + 1 (after the header, a blank line,
 * a quoted line break, a filtered row). A plain CSV is one run, so 10M rows do not cost 80 MB of
 * line numbers that only an error message would read.
 */
export class RowLines {
  /** Per run: its first row and that row's line. */
  private readonly runRow: number[] = [];
  private readonly runLine: number[] = [];
  private rows = 0;
  private lastLine = NaN;

  /** Record the line of the next row. */
  push(line: number): void {
    if (line !== this.lastLine + 1) {
      this.runRow.push(this.rows);
      this.runLine.push(line);
    }
    this.lastLine = line;
    this.rows++;
  }

  /** Record the lines of the next `count` rows: `first`, `first + 1`, … (a block of plain records). */
  pushRun(first: number, count: number): void {
    if (count <= 0) return;
    this.push(first);
    this.lastLine = first + count - 1;
    this.rows += count - 1;
  }

  /** Line of row `row` (0-based, < rows pushed). */
  at(row: number): number {
    const starts = this.runRow;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= row) lo = mid;
      else hi = mid - 1;
    }
    return this.runLine[lo]! + (row - starts[lo]!);
  }
}

/** Rows typed so far: `ts`, one Float64Array per target and each row's source line. */
export class SeriesBuilder {
  readonly plan: ColumnPlan;
  n = 0;
  cap = 0;
  ts: Float64Array = new Float64Array(0);
  cols: Float64Array[];
  /** 1-based source row (line or element) of each kept row, for error messages. */
  readonly lines = new RowLines();
  /** Data rows seen (before filters). */
  rowsRead = 0;
  /** Rows dropped by `where`. */
  rowsWhere = 0;

  constructor(plan: ColumnPlan, capacity = 1024) {
    this.plan = plan;
    this.cols = plan.targets.map(() => new Float64Array(0));
    this.reserve(capacity);
  }

  /** Make room for at least `rows` rows (one allocation when the caller can estimate the count). */
  reserve(rows: number): void {
    if (rows <= this.cap) return;
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(rows);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.ts = grow(this.ts);
    this.cols = this.cols.map(grow);
    this.cap = rows;
  }

  /** Index of the next row, making room for it (doubling) when full. */
  nextRow(): number {
    if (this.n === this.cap) this.reserve(Math.max(1024, this.cap * 2));
    return this.n;
  }

  /** Add one row given as raw cells (JSON/parquet values or CSV strings). */
  addRaw(cell: (c: number) => unknown, line: number): void {
    const p = this.plan;
    this.rowsRead++;
    for (const [c, v] of p.where) {
      if (cellText(cell(c)).trim() !== v) {
        this.rowsWhere++;
        return;
      }
    }
    const k = this.nextRow();
    const t = parseTimestampCell(cell(p.tsIdx), p.tsUnit, p.tz, p.tsFormat);
    if (!t.ok) throw new DataError(p.file, t.reason, line, p.tsCol);
    this.ts[k] = t.ts + p.shiftMs;
    this.fillValues(k, (c) => cell(c), line);
    this.lines.push(line);
    this.n = k + 1;
  }

  /** Add one CSV record: numbers read from the bytes where exact, else as {@link addRaw}. */
  addCsv(r: CsvRecord): void {
    const p = this.plan;
    this.rowsRead++;
    if (r.count !== p.names.length) {
      throw new DataError(p.file, `has ${r.count} fields, expected ${p.names.length} (${p.names.join(',')})`, r.line);
    }
    for (const [c, v] of p.where) {
      if (r.text(c).trim() !== v) {
        this.rowsWhere++;
        return;
      }
    }
    const k = this.nextRow();
    // Epoch digits (the common case) skip the string; anything else takes the general path.
    const u = p.fastTs ? r.epochDigits(p.tsIdx) : -1;
    let ts = u >= 0 ? epochDigitsToMs(u, p.tsUnit) : NaN;
    if (Number.isNaN(ts)) {
      const t = parseTimestampCell(r.text(p.tsIdx), p.tsUnit, p.tz, p.tsFormat);
      if (!t.ok) throw new DataError(p.file, t.reason, r.line, p.tsCol);
      ts = t.ts;
    }
    this.ts[k] = ts + p.shiftMs;
    const line = r.line;
    if (p.singleIdx >= 0) {
      let v = r.fastNumber(p.singleIdx);
      if (Number.isNaN(v)) v = numberCell(p.file, line, p.names[p.singleIdx]!, r.text(p.singleIdx), false, false);
      this.putSingle(k, v);
    } else {
      const cols = this.cols;
      for (let i = 0; i < cols.length; i++) {
        const c = p.srcIdx[i]!;
        if (c < 0) {
          cols[i]![k] = NaN;
          continue;
        }
        const ck = p.cellKind[i]!;
        let v = ck === 'number' || ck === 'nullable' ? r.fastNumber(c) : NaN;
        if (Number.isNaN(v)) v = this.slowCell(i, r.text(c), line);
        cols[i]![k] = v;
      }
    }
    this.lines.push(line);
    this.n = k + 1;
  }

  private fillValues(k: number, cell: (c: number) => unknown, line: number): void {
    const p = this.plan;
    if (p.singleIdx >= 0) {
      this.putSingle(k, numberCell(p.file, line, p.names[p.singleIdx]!, cell(p.singleIdx), false, false));
      return;
    }
    for (let i = 0; i < this.cols.length; i++) {
      const c = p.srcIdx[i]!;
      this.cols[i]![k] = c < 0 ? NaN : this.slowCell(i, cell(c), line);
    }
  }

  private slowCell(i: number, v: unknown, line: number): number {
    const p = this.plan;
    const ck = p.cellKind[i]!;
    const name = p.srcName[i]!;
    if (ck === 'interval') return intervalCell(p.file, line, name, v);
    return numberCell(p.file, line, name, v, ck === 'nullable', ck === 'percent');
  }

  private putSingle(k: number, v: number): void {
    this.plan.targets.forEach((t, i) => (this.cols[i]![k] = t === 'volume' ? NaN : v));
  }
}

/** A parsed cell as text: strings as they are, numbers and booleans printed, null/undefined as '', anything else as JSON. */
function cellText(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : v === null || v === undefined ? '' : JSON.stringify(v);
}
