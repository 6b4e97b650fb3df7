/**
 * Tabular analytics of the report layer, done with danfojs-node (loaded lazily: it costs about a
 * second to import, so only `report`/`compare` pay for it, never the backtest loop):
 * daily resampling (UTC day closes), monthly returns and PnL by component, the largest-drawdowns
 * table and a `describe` of daily returns. Metric definitions match src/analysis/metrics.ts.
 */
import { MS_PER_DAY } from '../../core/time.js';
import { drawdownPeriods, type DrawdownPeriod } from '../metrics.js';
import { PNL_COMPONENTS, type PnlComponent, type RunData } from './run-dir.js';

type Danfo = typeof import('danfojs-node');
let danfo: Danfo | undefined;
/** Import danfojs-node once, on first use. */
async function loadDanfo(): Promise<Danfo> {
  danfo ??= await import('danfojs-node');
  return danfo;
}

/** Period (day or month) rows: close equity, simple return, PnL per component within the period. */
export interface PeriodTable {
  /** Period start, UnixMs (UTC midnight / first of month). */
  startMs: number[];
  /** Equity at the last sample of the period. */
  close: number[];
  /** close / previous close − 1; the first period from the initial equity. */
  ret: number[];
  /** PnL earned within the period per attribution component (quote). */
  pnl: Record<PnlComponent, number[]>;
}

/** `describe()` of daily returns: statistic name → value. */
export type DescribeTable = { stat: string; value: number }[];

/** All report tables derived from a run. */
export interface ReportTables {
  daily: PeriodTable;
  monthly: PeriodTable;
  /** Largest drawdowns, deepest first. */
  drawdowns: DrawdownPeriod[];
  /** Total number of drawdown episodes (the table keeps the deepest). */
  drawdownCount: number;
  dailyReturnStats: DescribeTable;
}

function monthStartMs(dayMs: number): number {
  const d = new Date(dayMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Group rows by a key column with danfojs and keep the last row of each group (rows are time-ordered). */
async function lastPerGroup(data: Record<string, ArrayLike<number>>, key: string): Promise<Record<string, number[]>> {
  const dfd = await loadDanfo();
  const cols: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(data)) cols[k] = Array.from(v);
  const df = new dfd.DataFrame(cols);
  const g = df.groupby([key]).last().sortValues(key, { ascending: true });
  const out: Record<string, number[]> = {};
  for (const k of Object.keys(data)) out[k] = (g[k] as import('danfojs-node').Series).values as number[];
  return out;
}

/** Turn period-end closes and cumulative PnL into returns and per-period PnL. */
function periodTable(startMs: number[], g: Record<string, number[]>, initialEquity: number): PeriodTable {
  const close = g['equity']!;
  const ret = close.map((c, i) => c / (i === 0 ? initialEquity : close[i - 1]!) - 1);
  const pnl = {} as Record<PnlComponent, number[]>;
  for (const c of PNL_COMPONENTS) {
    const cum = g[`pnl_${c}`]!;
    pnl[c] = cum.map((v, i) => v - (i === 0 ? 0 : cum[i - 1]!));
  }
  return { startMs, close, ret, pnl };
}

/** How many of the deepest drawdowns the report lists. */
export const DRAWDOWN_TABLE_ROWS = 10;

/** Build the report tables for a run (danfojs does the grouping, sorting and describe). */
export async function buildTables(run: RunData): Promise<ReportTables> {
  const dfd = await loadDanfo();
  const { ts, columns } = run.equity;
  const n = ts.length;
  const initialEquity = run.summary.metrics.initialEquity ?? columns['equity']![0]!;

  // Daily resampling: last sample of each UTC day.
  const day = new Float64Array(n);
  for (let i = 0; i < n; i++) day[i] = Math.floor(ts[i]! / MS_PER_DAY) * MS_PER_DAY;
  const sel: Record<string, ArrayLike<number>> = { day, equity: columns['equity']! };
  for (const c of PNL_COMPONENTS) sel[`pnl_${c}`] = columns[`pnl_${c}`]!;
  const daily = await lastPerGroup(sel, 'day');
  const dailyTable = periodTable(daily['day']!, daily, initialEquity);

  // Monthly: last day of each UTC month, from the daily table.
  const month = daily['day']!.map(monthStartMs);
  const mSel: Record<string, ArrayLike<number>> = { month, equity: daily['equity']! };
  for (const c of PNL_COMPONENTS) mSel[`pnl_${c}`] = daily[`pnl_${c}`]!;
  const monthly = await lastPerGroup(mSel, 'month');
  const monthlyTable = periodTable(monthly['month']!, monthly, initialEquity);

  // Drawdown episodes (sequential scan in metrics.ts), ranked by depth with danfojs.
  const periods = drawdownPeriods(ts, columns['equity']!);
  let drawdowns: DrawdownPeriod[] = [];
  if (periods.length > 0) {
    const df = new dfd.DataFrame({ idx: periods.map((_, i) => i), depth: periods.map((p) => p.depth) });
    const top = df.sortValues('depth', { ascending: true }).head(Math.min(DRAWDOWN_TABLE_ROWS, periods.length));
    drawdowns = ((top['idx'] as import('danfojs-node').Series).values as number[]).map((i) => periods[i]!);
  }

  // describe() of daily returns.
  let dailyReturnStats: DescribeTable = [];
  if (dailyTable.ret.length > 0) {
    const d = new dfd.DataFrame({ ret: dailyTable.ret }).describe();
    const stats = d.index as string[];
    const vals = (d['ret'] as import('danfojs-node').Series).values as number[];
    dailyReturnStats = stats.map((s, i) => ({ stat: s, value: Number(vals[i]) }));
  }

  return { daily: dailyTable, monthly: monthlyTable, drawdowns, drawdownCount: periods.length, dailyReturnStats };
}
