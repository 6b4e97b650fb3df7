/**
 * The last step from source rows to a clean series, shared by every input format: the rows a
 * {@link SeriesBuilder} typed, in file order, become a strictly increasing series. In order:
 * declared row order checked, funding settlement times snapped to the hour, bar phase checked,
 * sorted with identical duplicates dropped, cut to the `[fromMs, toMs)` window, funding intervals
 * inferred. Errors name the file, the source row and the timestamp column.
 */
import { DataError, UserError } from '../../core/errors.js';
import { MS_PER_HOUR, timeframeToMs } from '../../core/time.js';
import { kindHasTimeframe } from '../schema.js';
import { gatherRows, lowerBound } from '../store.js';
import { barPhaseMs, describeBarPhase } from '../validate.js';
import type { ImportFormat, ParseOptions, ParsedSeries } from './index.js';
import type { RowLines, SeriesBuilder } from './series-builder.js';

/** Columns being finished: `ts` and the target columns in plan order, all the same length. */
interface Rows {
  ts: Float64Array;
  cols: Float64Array[];
}

/** Order, snap, check phase, sort, drop identical duplicates, window, intervals. */
export function finishSeries(b: SeriesBuilder, opts: Omit<ParseOptions, 'file'>, format: ImportFormat): ParsedSeries {
  const p = b.plan;
  const m = b.n;
  const rows: Rows = { ts: b.ts.subarray(0, m), cols: b.cols.map((c) => c.subarray(0, m)) };
  if (p.shiftMs !== 0) p.notes.push(`timestamps shifted by ${p.shiftMs / MS_PER_HOUR} h after reading (tsShiftMs ${p.shiftMs})`);
  const order = checkOrder(b, rows.ts, opts.order ?? 'auto');
  const snap = p.kind === 'funding' ? snapSettlements(b, rows.ts, opts) : { snapped: 0, maxJitterMs: 0 };
  if (p.kind !== 'funding' && opts.timeframe && m > 0) checkBarPhase(b, opts.timeframe, rows.ts);
  const sorted = sortedRows(b, rows, order, snap.snapped);
  if (sorted.dups > 0) p.notes.push(`${sorted.dups} identical duplicate rows dropped`);
  const window = windowOf(b, sorted, opts);
  if (p.kind === 'funding') inferIntervals(window.ts, window.columns['interval_hours']!, opts.intervalHours, p.intervalFromColumn, p.notes);
  return {
    series: { ts: window.ts, columns: window.columns },
    kind: p.kind,
    timeframe: kindHasTimeframe(p.kind) ? opts.timeframe : undefined,
    format,
    rowsRead: b.rowsRead,
    rowsFiltered: b.rowsWhere + (sorted.ts.length - window.ts.length),
    duplicatesDropped: sorted.dups,
    snapped: snap.snapped,
    maxJitterMs: snap.maxJitterMs,
    notes: p.notes,
    mapping: p.mapping,
  };
}

/** Whether `ts` is strictly increasing / strictly decreasing; a declared order that does not hold is an error at its first break. */
function checkOrder(b: SeriesBuilder, ts: Float64Array, declared: 'auto' | 'asc' | 'desc'): { asc: boolean; desc: boolean } {
  let asc = true;
  let desc = true;
  for (let k = 1; k < ts.length; k++) {
    if (!(ts[k]! > ts[k - 1]!)) asc = false;
    if (!(ts[k]! < ts[k - 1]!)) desc = false;
  }
  const p = b.plan;
  if (declared === 'asc' && !asc) {
    const k = firstBreak(ts, (a, c) => c > a);
    throw new DataError(p.file, `rows are not in strictly increasing time order as declared by --order asc`, b.lines.at(k), p.tsCol);
  }
  if (declared === 'desc' && !desc) {
    const k = firstBreak(ts, (a, c) => c < a);
    throw new DataError(p.file, `rows are not in strictly decreasing time order as declared by --order desc`, b.lines.at(k), p.tsCol);
  }
  if (ts.length > 1 && desc && !asc) p.notes.push('rows were newest-first; reversed');
  return { asc, desc };
}

/**
 * Funding settlements within the tolerance of the grid (default: the hour ± 5 min) are moved onto
 * it in place (Binance stamps them 1–16 ms late, Hyperliquid up to 111 s); farther is an error.
 */
function snapSettlements(b: SeriesBuilder, ts: Float64Array, opts: Omit<ParseOptions, 'file'>): { snapped: number; maxJitterMs: number } {
  const grid = opts.snapMs ?? MS_PER_HOUR;
  const tol = opts.snapToleranceMs ?? 300_000;
  let snapped = 0;
  let maxJitterMs = 0;
  if (grid <= 0) return { snapped, maxJitterMs };
  for (let k = 0; k < ts.length; k++) {
    const g = Math.round(ts[k]! / grid) * grid;
    const d = Math.abs(ts[k]! - g);
    if (d > tol) {
      throw new DataError(b.plan.file, `settlement time ${new Date(ts[k]!).toISOString()} is ${d} ms from the ${grid / 60000}-minute grid (tolerance ${tol} ms)`, b.lines.at(k), b.plan.tsCol);
    }
    if (d > 0) {
      snapped++;
      if (d > maxJitterMs) maxJitterMs = d;
      ts[k] = g;
    }
  }
  if (snapped > 0) b.plan.notes.push(`${snapped} settlement times snapped to the ${grid / 60000}-minute grid (max jitter ${maxJitterMs} ms)`);
  return { snapped, maxJitterMs };
}

/**
 * Bars may open off the UTC grid (Bybit/OKX 8h bars at 04/12/20 UTC), but every bar of one series
 * opens at the same phase: a change means mis-read times (local time taken as UTC).
 */
function checkBarPhase(b: SeriesBuilder, timeframe: string, ts: Float64Array): void {
  const m = ts.length;
  const tf = timeframeToMs(timeframe);
  let first = 0;
  for (let k = 1; k < m; k++) if (ts[k]! < ts[first]!) first = k;
  const phase = barPhaseMs(ts[first]!, tf);
  for (let k = 0; k < m; k++) {
    // One timeframe after a bar already checked: the same phase (ts are integer ms), no modulo needed.
    if (k > 0 && ts[k]! - ts[k - 1]! === tf) continue;
    const ph = barPhaseMs(ts[k]!, tf);
    if (ph !== phase) {
      throw new DataError(
        b.plan.file,
        `bar time ${new Date(ts[k]!).toISOString()} is off the phase of the series: ${describeBarPhase(timeframe, ph)}, but the first bar ` +
          `(${new Date(ts[first]!).toISOString()}, row ${b.lines.at(first)}) says ${describeBarPhase(timeframe, phase)}; a series of ` +
          `${timeframe} bars keeps one phase (local times read as UTC? see --timezone)`,
        b.lines.at(k),
        b.plan.tsCol,
      );
    }
  }
  if (phase !== 0) b.plan.notes.push(describeBarPhase(timeframe, phase));
}

/** The rows in strictly increasing ts order: as they are when already so (no copy), else sorted and deduplicated. */
function sortedRows(b: SeriesBuilder, rows: Rows, order: { asc: boolean; desc: boolean }, snapped: number): Rows & { dups: number } {
  const ts = rows.ts;
  // Snapping can make a strictly increasing series equal at neighbours: re-check.
  let asc = order.asc;
  if (asc && snapped > 0) for (let k = 1; k < ts.length && asc; k++) if (!(ts[k]! > ts[k - 1]!)) asc = false;
  if (asc) return { ...rows, dups: 0 };
  return sortDedup(b, rows, order.desc && snapped === 0);
}

/**
 * Stable sort by ts (reversal for a strictly decreasing series), dropping identical duplicates;
 * duplicates with different values are an error naming both rows.
 */
function sortDedup(b: SeriesBuilder, rows: Rows, strictlyDesc: boolean): Rows & { dups: number } {
  const { ts, cols } = rows;
  const m = ts.length;
  const idx = new Uint32Array(m);
  for (let k = 0; k < m; k++) idx[k] = strictlyDesc ? m - 1 - k : k;
  if (!strictlyDesc) idx.sort((x, y) => ts[x]! - ts[y]! || x - y);
  const keep = new Uint32Array(m);
  let n = 0;
  let dups = 0;
  for (let j = 0; j < m; j++) {
    const k = idx[j]!;
    if (n > 0) {
      const prev = keep[n - 1]!;
      if (ts[prev] === ts[k]) {
        if (!sameValues(cols, prev, k)) duplicateError(b, ts[k]!, b.lines, prev, k);
        dups++;
        continue;
      }
    }
    keep[n++] = k;
  }
  return { ts: gatherRows(ts, keep, n), cols: cols.map((c) => gatherRows(c, keep, n)), dups };
}

function sameValues(cols: readonly Float64Array[], a: number, b: number): boolean {
  return cols.every((c) => c[a] === c[b] || (Number.isNaN(c[a]!) && Number.isNaN(c[b]!)));
}

function duplicateError(b: SeriesBuilder, t: number, lines: RowLines, prev: number, k: number): never {
  throw new DataError(b.plan.file, `two rows for ${new Date(t).toISOString()} with different values (rows ${lines.at(prev)} and ${lines.at(k)})`, lines.at(k), b.plan.tsCol);
}

/** The sorted rows in `[fromMs, toMs)` (a contiguous range: views, no copy), columns by target name. */
function windowOf(b: SeriesBuilder, rows: Rows, opts: Omit<ParseOptions, 'file'>): { ts: Float64Array; columns: Record<string, Float64Array> } {
  const lo = lowerBound(rows.ts, opts.fromMs ?? -Infinity);
  const hi = lowerBound(rows.ts, opts.toMs ?? Infinity);
  const columns: Record<string, Float64Array> = {};
  b.plan.targets.forEach((t, i) => (columns[t] = rows.cols[i]!.subarray(lo, hi)));
  return { ts: rows.ts.subarray(lo, hi), columns };
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
  for (let k = 0; k < n; k++) iv[k] = inferredInterval(ts, k);
  notes.push('interval_hours inferred from the spacing of consecutive settlements');
}

/** The interval (hours) of settlement `k` inferred from its neighbours (see {@link inferIntervals}). */
function inferredInterval(ts: Float64Array, k: number): number {
  const n = ts.length;
  const step = (j: number): number => (ts[j]! - ts[j - 1]!) / MS_PER_HOUR;
  const prev = k > 0 ? step(k) : undefined;
  const next = k + 1 < n ? step(k + 1) : undefined;
  const before = k > 1 ? step(k - 1) : undefined;
  if (prev === undefined) return next!;
  // A step longer than both neighbours and a multiple of the next one: missing settlements.
  const acrossGap = next !== undefined && prev > next && (before === undefined || prev > before) && Math.abs(prev / next - Math.round(prev / next)) < 1e-9;
  return acrossGap ? next : prev;
}
