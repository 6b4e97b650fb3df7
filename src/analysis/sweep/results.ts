/**
 * A sweep's result files from its rows: results.csv and results.arrow (one row per point), the
 * overfitting statistics (PBO by CSCV over the points' daily returns, deflated Sharpe of the best
 * point), and the ranking by the objective.
 */
import { writeFileAtomic } from '../../core/fs.js';
import { writeTableFile, type TableColumn } from '../../data/table-file.js';
import { deflatedSharpe, pboCscv, returnMoments, type DsrResult, type PboResult } from '../../research/overfit.js';
import type { ParamValue } from '../../strategy/types.js';
import { periodReturns } from '../metrics.js';
import type { PointRow } from './point.js';

/** What ranks points: a summary metric, higher or lower is better. */
export interface Objective {
  metric: string;
  direction: 'max' | 'min';
}

/** Metric names a row has (the objective must be one of them). */
export function metricNames(row: PointRow): string[] {
  return Object.keys(row.metrics);
}

/** The objective's value of a row (NaN if not finite). */
export function objectiveOf(row: PointRow, o: Objective): number {
  const v = (row.metrics as unknown as Record<string, number>)[o.metric];
  return typeof v === 'number' ? v : NaN;
}

/** Points ordered best first by the objective; NaN last; ties by point index. */
export function rankRows(rows: readonly PointRow[], o: Objective): PointRow[] {
  const sign = o.direction === 'max' ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = objectiveOf(a, o);
    const y = objectiveOf(b, o);
    if (Number.isNaN(x) !== Number.isNaN(y)) return Number.isNaN(x) ? 1 : -1;
    if (!Number.isNaN(x) && x !== y) return sign * (x - y);
    return a.point - b.point;
  });
}

/** Daily simple returns of a row (first day from the initial equity). */
export function rowDailyReturns(r: PointRow): Float64Array {
  return periodReturns(Float64Array.from(r.dailyClose), r.metrics.initialEquity);
}

/** Overfitting statistics of a sweep (null parts when they cannot be computed, with the reason). */
export interface Overfitting {
  pbo: (Omit<PboResult, 'logits'> & { logitQuantiles: { p10: number; p50: number; p90: number } }) | null;
  pboNote: string | null;
  dsr: (DsrResult & { point: number }) | null;
  dsrNote: string | null;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))]! : NaN;
}

/** PBO over all points' daily returns (S groups, fewer when the days are few) and the best point's DSR. */
export function overfitting(rows: readonly PointRow[], best: PointRow | undefined, groups: number): Overfitting {
  const out: Overfitting = { pbo: null, pboNote: null, dsr: null, dsrNote: null };
  const cols = rows.map(rowDailyReturns);
  const T = cols.length ? cols[0]!.length : 0;
  let S = groups;
  while (S > 2 && Math.floor(T / S) < 2) S -= 2;
  if (rows.length < 2) out.pboNote = 'PBO needs at least two points';
  else if (Math.floor(T / S) < 2) out.pboNote = `PBO needs at least ${2 * S} days of returns (the run has ${T})`;
  else if (cols.some((c) => c.length !== T)) out.pboNote = 'points have different day counts';
  else {
    const r = pboCscv(cols, S);
    const sorted = Float64Array.from(r.logits).sort();
    const { logits: _l, ...rest } = r;
    out.pbo = { ...rest, logitQuantiles: { p10: quantile(sorted, 0.1), p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) } };
  }
  if (!best) out.dsrNote = 'no point';
  else if (T < 3) out.dsrNote = `DSR needs at least 3 days (the run has ${T})`;
  else {
    const sharpes = cols.map((c) => returnMoments(c).sharpe);
    out.dsr = { ...deflatedSharpe(cols[rows.indexOf(best)]!, sharpes), point: best.point };
  }
  return out;
}

/** The columns of results.csv/arrow, in order: point, ids, params, metrics, PnL parts, events. */
function tableColumns(rows: readonly PointRow[]): TableColumn[] {
  const first = rows[0];
  if (!first) return [];
  const cols: TableColumn[] = [
    { name: 'point', type: 'float64', values: Float64Array.from(rows, (r) => r.point) },
    { name: 'configHash', type: 'utf8', values: rows.map((r) => r.configHash) },
    { name: 'runId', type: 'utf8', values: rows.map((r) => r.runId) },
  ];
  for (const k of Object.keys(first.params)) {
    const v: ParamValue = first.params[k]!;
    const name = `param.${k}`;
    if (typeof v === 'number') cols.push({ name, type: 'float64', values: Float64Array.from(rows, (r) => r.params[k] as number) });
    else if (typeof v === 'boolean') cols.push({ name, type: 'bool', values: rows.map((r) => r.params[k] as boolean) });
    else cols.push({ name, type: 'utf8', values: rows.map((r) => String(r.params[k])) });
  }
  for (const k of Object.keys(first.metrics)) cols.push({ name: k, type: 'float64', values: Float64Array.from(rows, (r) => (r.metrics as unknown as Record<string, number>)[k]!) });
  for (const k of Object.keys(first.pnl)) cols.push({ name: `pnl.${k}`, type: 'float64', values: Float64Array.from(rows, (r) => (r.pnl as unknown as Record<string, number>)[k]!) });
  cols.push({ name: 'events', type: 'float64', values: Float64Array.from(rows, (r) => r.events) });
  return cols;
}

function csvCell(c: TableColumn, i: number): string {
  if (c.type === 'float64') {
    const x = c.values[i]!;
    return Number.isFinite(x) ? String(x) : Number.isNaN(x) ? '' : String(x);
  }
  const s = String(c.values[i]);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Write results.csv and results.arrow (rows in point order; numbers in shortest round-trip form). */
export function writeResults(csvPath: string, arrowPath: string, rows: readonly PointRow[], metadata: Record<string, string>): void {
  const cols = tableColumns(rows);
  const lines = [cols.map((c) => c.name).join(',')];
  for (let i = 0; i < rows.length; i++) lines.push(cols.map((c) => csvCell(c, i)).join(','));
  writeFileAtomic(csvPath, lines.join('\n') + '\n');
  writeTableFile(arrowPath, cols, metadata);
}
