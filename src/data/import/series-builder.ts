/**
 * From source rows to a clean series in three steps, shared by every input format:
 * 1. {@link planColumns}: which source column feeds `ts` and each target column (from the names alone);
 * 2. {@link SeriesBuilder}: rows are typed one at a time into growing Float64Arrays (no row objects,
 *    no per-cell strings on the CSV fast path), so a 10M-row file costs ~8 bytes per cell;
 * 3. {@link finishSeries}: order, snapping, bar phase, sort, duplicates, window, funding intervals.
 */
import { DataError, UserError } from '../../core/errors.js';
import type { SeriesKind } from '../../core/ids.js';
import { MS_PER_HOUR, timeframeToMs } from '../../core/time.js';
import { KIND_COLUMNS, NULLABLE_COLUMNS, kindHasTimeframe } from '../schema.js';
import { barPhaseMs, describeBarPhase } from '../validate.js';
import type { CsvRecord } from './csv-stream.js';
import { checkTimeZone, compileTsFormat, epochDigitsToMs, parseTimestampCell, type TsParse, type TsUnit } from './timestamps.js';
import type { ImportFormat, ParseOptions, ParsedSeries } from './index.js';

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

/** Rows typed so far: `ts`, one Float64Array per target and each row's source line. */
export class SeriesBuilder {
  readonly plan: ColumnPlan;
  n = 0;
  cap = 0;
  ts: Float64Array = new Float64Array(0);
  cols: Float64Array[];
  /** 1-based source row (line or element) of each kept row, for error messages. */
  lines: Float64Array = new Float64Array(0);
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
    this.lines = grow(this.lines);
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
    this.lines[k] = line;
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
    this.lines[k] = line;
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

/** Order, snap, check phase, sort, drop identical duplicates, window, intervals. */
export function finishSeries(b: SeriesBuilder, opts: Omit<ParseOptions, 'file'>, format: ImportFormat): ParsedSeries {
  const p = b.plan;
  const file = p.file;
  const notes = p.notes;
  const m = b.n;
  let ts: Float64Array = b.ts.subarray(0, m);
  let cols: Float64Array[] = b.cols.map((c) => c.subarray(0, m));
  const lines: Float64Array = b.lines.subarray(0, m);
  if (p.shiftMs !== 0) notes.push(`timestamps shifted by ${p.shiftMs / MS_PER_HOUR} h after reading (tsShiftMs ${p.shiftMs})`);
  const declared = opts.order ?? 'auto';
  let asc = true;
  let desc = true;
  for (let k = 1; k < m; k++) {
    if (!(ts[k]! > ts[k - 1]!)) asc = false;
    if (!(ts[k]! < ts[k - 1]!)) desc = false;
  }
  if (declared === 'asc' && !asc) {
    const k = firstBreak(ts, (a, c) => c > a);
    throw new DataError(file, `rows are not in strictly increasing time order as declared by --order asc`, lines[k], p.tsCol);
  }
  if (declared === 'desc' && !desc) {
    const k = firstBreak(ts, (a, c) => c < a);
    throw new DataError(file, `rows are not in strictly decreasing time order as declared by --order desc`, lines[k], p.tsCol);
  }
  if (m > 1 && desc && !asc) notes.push('rows were newest-first; reversed');
  let snapped = 0;
  let maxJitterMs = 0;
  if (p.kind === 'funding') {
    const grid = opts.snapMs ?? MS_PER_HOUR;
    const tol = opts.snapToleranceMs ?? 300_000;
    if (grid > 0) {
      for (let k = 0; k < m; k++) {
        const g = Math.round(ts[k]! / grid) * grid;
        const d = Math.abs(ts[k]! - g);
        if (d > tol) throw new DataError(file, `settlement time ${new Date(ts[k]!).toISOString()} is ${d} ms from the ${grid / 60000}-minute grid (tolerance ${tol} ms)`, lines[k], p.tsCol);
        if (d > 0) {
          snapped++;
          if (d > maxJitterMs) maxJitterMs = d;
          ts[k] = g;
        }
      }
      if (snapped > 0) notes.push(`${snapped} settlement times snapped to the ${grid / 60000}-minute grid (max jitter ${maxJitterMs} ms)`);
    }
  } else if (opts.timeframe && m > 0) {
    checkBarPhase(file, opts.timeframe, ts, lines, p.tsCol, notes);
  }
  // Snapping can make a strictly increasing series equal at neighbours: re-check.
  if (asc) for (let k = 1; k < m && asc; k++) if (!(ts[k]! > ts[k - 1]!)) asc = false;
  let dups = 0;
  if (!asc) {
    const sorted = sortDedup(file, p.tsCol, ts, cols, lines, desc && snapped === 0);
    ts = sorted.ts;
    cols = sorted.cols;
    dups = sorted.dups;
  }
  if (dups > 0) notes.push(`${dups} identical duplicate rows dropped`);
  // Window filter on the sorted series: a contiguous range.
  const from = opts.fromMs ?? -Infinity;
  const to = opts.toMs ?? Infinity;
  const lo = lowerBound(ts, from);
  const hi = lowerBound(ts, to);
  const outTs = ts.subarray(lo, hi);
  const outCols: Record<string, Float64Array> = {};
  p.targets.forEach((t, i) => (outCols[t] = cols[i]!.subarray(lo, hi)));
  const rowsFiltered = b.rowsWhere + (ts.length - (hi - lo));
  if (p.kind === 'funding') inferIntervals(outTs, outCols['interval_hours']!, opts.intervalHours, p.intervalFromColumn, notes);
  return {
    series: { ts: outTs, columns: outCols },
    kind: p.kind,
    timeframe: kindHasTimeframe(p.kind) ? opts.timeframe : undefined,
    format,
    rowsRead: b.rowsRead,
    rowsFiltered,
    duplicatesDropped: dups,
    snapped,
    maxJitterMs,
    notes,
    mapping: p.mapping,
  };
}

/**
 * Bars may open off the UTC grid (Bybit/OKX 8h bars at 04/12/20 UTC), but every bar of one series
 * opens at the same phase: a change means mis-read times (local time taken as UTC).
 */
function checkBarPhase(file: string, timeframe: string, ts: Float64Array, lines: Float64Array, tsCol: string, notes: string[]): void {
  const m = ts.length;
  const tf = timeframeToMs(timeframe);
  let first = 0;
  for (let k = 1; k < m; k++) if (ts[k]! < ts[first]!) first = k;
  const phase = barPhaseMs(ts[first]!, tf);
  for (let k = 0; k < m; k++) {
    const ph = barPhaseMs(ts[k]!, tf);
    if (ph !== phase) {
      throw new DataError(
        file,
        `bar time ${new Date(ts[k]!).toISOString()} is off the phase of the series: ${describeBarPhase(timeframe, ph)}, but the first bar ` +
          `(${new Date(ts[first]!).toISOString()}, row ${lines[first]}) says ${describeBarPhase(timeframe, phase)}; a series of ` +
          `${timeframe} bars keeps one phase (local times read as UTC? see --timezone)`,
        lines[k],
        tsCol,
      );
    }
  }
  if (phase !== 0) notes.push(describeBarPhase(timeframe, phase));
}

/**
 * Stable sort by ts (reversal for a strictly decreasing series), dropping identical duplicates;
 * duplicates with different values are an error naming both rows.
 */
function sortDedup(
  file: string,
  tsCol: string,
  ts: Float64Array,
  cols: Float64Array[],
  lines: Float64Array,
  strictlyDesc: boolean,
): { ts: Float64Array; cols: Float64Array[]; lines: Float64Array; dups: number } {
  const m = ts.length;
  const idx = new Uint32Array(m);
  for (let k = 0; k < m; k++) idx[k] = strictlyDesc ? m - 1 - k : k;
  if (!strictlyDesc) idx.sort((a, b) => ts[a]! - ts[b]! || a - b);
  const keep = new Uint32Array(m);
  let n = 0;
  let dups = 0;
  for (let j = 0; j < m; j++) {
    const k = idx[j]!;
    if (n > 0) {
      const prev = keep[n - 1]!;
      if (ts[prev] === ts[k]) {
        const same = cols.every((c) => c[prev] === c[k] || (Number.isNaN(c[prev]!) && Number.isNaN(c[k]!)));
        if (!same) throw new DataError(file, `two rows for ${new Date(ts[k]!).toISOString()} with different values (rows ${lines[prev]} and ${lines[k]})`, lines[k], tsCol);
        dups++;
        continue;
      }
    }
    keep[n++] = k;
  }
  const gather = (a: Float64Array): Float64Array => {
    const out = new Float64Array(n);
    for (let j = 0; j < n; j++) out[j] = a[keep[j]!]!;
    return out;
  };
  return { ts: gather(ts), cols: cols.map(gather), lines: gather(lines), dups };
}

function lowerBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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

/** A parsed cell as text: strings as they are, numbers and booleans printed, null/undefined as '', anything else as JSON. */
function cellText(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : v === null || v === undefined ? '' : JSON.stringify(v);
}
