/**
 * Tabular analytics of the report layer. The O(n) reductions over every equity sample (UTC day
 * closes, drawdown episodes) are typed-array scans here and in metrics.ts: a year of 1-minute
 * samples is 525k rows, and a danfojs frame of that size costs seconds and hundreds of MB (row
 * arrays, `transposeArray`). danfojs-node (loaded lazily, see {@link loadDanfo}) then does the
 * tabular work on the small frames: the daily frame (one row per UTC day) grouped into months,
 * the drawdown episodes ranked by depth, and a `describe` of daily returns.
 * Metric definitions match src/analysis/metrics.ts.
 */
import Module, { createRequire } from 'node:module';
import { dayRows, drawdownPeriods, monthStartMs, type DrawdownPeriod } from '../metrics.js';
import type { RunData } from './run-dir.js';
import { PNL_COMPONENTS, type PnlComponent } from '../run-format.js';

/**
 * danfojs-node's core (DataFrame, Series, groupby, describe; everything but file IO). The package
 * main also loads its CSV/Excel/JSON readers (xlsx, request: about 0.3 s) which the report never
 * uses. danfojs-node has no `exports` map and is pinned to an exact version in package.json.
 */
const DANFO_CORE = 'danfojs-node/dist/danfojs-base/index.js';
type Danfo = typeof import('danfojs-node/dist/danfojs-base/index.js');
type DanfoSeries = import('danfojs-node/dist/danfojs-base/index.js').Series;
let danfo: Danfo | undefined;

/**
 * Put mathjs's own single-file build (`mathjs/lib/browser/math.js`, same version, same API; an
 * exported entry of the package) in the CommonJS module cache under the path danfojs-node
 * resolves `require("mathjs")` to. danfojs only calls mean/std/variance/median/mode from it, and
 * the default multi-file entry costs 0.6–1 s to load (about 1,500 files), the bundle about 50 ms.
 * Node documents adding entries to `require.cache`. Skipped if mathjs is already loaded or
 * either path does not resolve (then danfojs loads mathjs the ordinary way).
 */
function preloadMathjsBundle(): void {
  try {
    const req = createRequire(import.meta.url);
    const fromDanfo = createRequire(req.resolve('danfojs-node'));
    const main = fromDanfo.resolve('mathjs');
    if (req.cache[main]) return;
    const bundlePath = fromDanfo.resolve('mathjs/lib/browser/math.js');
    const exports = req(bundlePath) as Record<string, unknown>;
    if (typeof exports['std'] !== 'function' || typeof exports['median'] !== 'function') return;
    const m = new Module(main);
    m.filename = main;
    m.loaded = true;
    m.exports = exports;
    req.cache[main] = m;
  } catch {
    // fall back to the ordinary (slower) load
  }
}

/** Import danfojs-node's core once, on first use (the report tables only, never the backtest loop). */
export async function loadDanfo(): Promise<Danfo> {
  if (!danfo) {
    preloadMathjsBundle();
    try {
      danfo = (await import(DANFO_CORE)) as Danfo;
    } catch {
      // a danfojs-node release with another layout: its main entry has the same classes
      danfo = await import('danfojs-node');
    }
  }
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

/** Several aligned columns resampled to UTC day closes. */
export interface DailyLast {
  /** UTC midnight at the start of each (00:00, 24:00] day of the window, UnixMs. */
  dayMs: Float64Array;
  /** Per input column: its value at the last sample of each day (gap days repeat the previous day). */
  cols: Float64Array[];
}

/**
 * Resample aligned columns to UTC day closes in one O(n) pass over `ts` (strictly increasing),
 * with metrics.ts's day rule: a day is (00:00, 24:00], so the midnight sample closes the day
 * before; the days are those of the window (default first to last sample). Days without samples
 * carry the previous day's value, days before the first sample `initial[k]` (default the first
 * sample's value), so the report's daily returns are the ones Sharpe is computed from.
 */
export function dailyLast(ts: Float64Array, cols: readonly Float64Array[], window?: { fromMs: number; toMs: number }, initial?: readonly number[]): DailyLast {
  const n = ts.length;
  if (n === 0) return { dayMs: new Float64Array(0), cols: cols.map(() => new Float64Array(0)) };
  const { dayMs, row } = dayRows(ts, window?.fromMs ?? ts[0]!, window?.toMs ?? ts[n - 1]!);
  const out = cols.map((c, k) => {
    const o = new Float64Array(dayMs.length);
    let prev = initial?.[k] ?? c[0]!;
    for (let d = 0; d < row.length; d++) {
      if (row[d]! >= 0) prev = c[row[d]!]!;
      o[d] = prev;
    }
    return o;
  });
  return { dayMs, cols: out };
}

/** Values of column `col` of a danfojs frame (columns are properties of the frame). */
function seriesValues(df: object, col: string): number[] {
  return (df as Record<string, DanfoSeries>)[col]!.values as number[];
}

/** Turn period-end closes and cumulative PnL into returns and per-period PnL. */
function periodTable(startMs: number[], g: Record<string, ArrayLike<number>>, initialEquity: number): PeriodTable {
  const close = Array.from(g['equity']!);
  const ret = close.map((c, i) => c / (i === 0 ? initialEquity : close[i - 1]!) - 1);
  const pnl = {} as Record<PnlComponent, number[]>;
  for (const c of PNL_COMPONENTS) {
    const cum = Array.from(g[`pnl_${c}`]!);
    pnl[c] = cum.map((v, i) => v - (i === 0 ? 0 : cum[i - 1]!));
  }
  return { startMs, close, ret, pnl };
}

/** How many of the deepest drawdowns the report lists. */
export const DRAWDOWN_TABLE_ROWS = 10;

/**
 * Indices, in time order, of the `k` deepest episodes (of equally deep ones the earliest): the
 * only ones that can make the table. A noisy minute-level curve has tens of thousands of episodes
 * and danfojs's `sortValues` grows faster than linearly (100k rows: seconds), so it ranks only these.
 */
export function deepestCandidates(periods: readonly DrawdownPeriod[], k: number): number[] {
  if (periods.length <= k) return periods.map((_, i) => i);
  const depth = Float64Array.from(periods, (p) => p.depth);
  const cut = depth.slice().sort()[k - 1]!; // typed-array sort is numeric, ascending (NaN last)
  if (Number.isNaN(cut)) return periods.flatMap((p, i) => (Number.isNaN(p.depth) ? [] : [i])); // < k real depths
  let deeper = 0;
  for (let i = 0; i < depth.length; i++) if (depth[i]! < cut) deeper++;
  let ties = k - deeper; // how many episodes exactly at the cut still fit
  const out: number[] = [];
  for (let i = 0; i < depth.length; i++) {
    if (depth[i]! < cut) out.push(i);
    else if (depth[i] === cut && ties > 0) {
      out.push(i);
      ties--;
    }
  }
  return out;
}

/**
 * Build the report tables for a run. Typed-array scans reduce the equity samples to day closes
 * and drawdown episodes; danfojs groups the daily frame into months, ranks the episodes and
 * describes the daily returns.
 */
export async function buildTables(run: RunData): Promise<ReportTables> {
  const dfd = await loadDanfo();
  const { ts, columns } = run.equity;
  const initialEquity = run.summary.metrics.initialEquity ?? columns['equity']![0]!;
  const names = ['equity', ...PNL_COMPONENTS.map((c) => `pnl_${c}`)];

  // Daily resampling: last sample of each (00:00, 24:00] UTC day of the window (O(n), typed arrays);
  // before the first sample the equity is the initial capital and no PnL has accrued.
  const window = { fromMs: run.run.fromMs, toMs: run.run.toMs };
  const dl = dailyLast(ts, names.map((c) => columns[c]!), window, names.map((c) => (c === 'equity' ? initialEquity : 0)));
  const dayMs = Array.from(dl.dayMs);
  const daily: Record<string, number[]> = {};
  names.forEach((c, k) => (daily[c] = Array.from(dl.cols[k]!)));
  const dailyTable = periodTable(dayMs, daily, initialEquity);

  // Monthly: danfojs groups the daily frame by UTC month and keeps each month's last day.
  const frame: Record<string, number[]> = { month: dayMs.map(monthStartMs), ...daily };
  const g = new dfd.DataFrame(frame).groupby(['month']).last().sortValues('month', { ascending: true });
  const monthly: Record<string, number[]> = {};
  for (const c of names) monthly[c] = seriesValues(g, c);
  const monthlyTable = periodTable(seriesValues(g, 'month'), monthly, initialEquity);

  // Drawdown episodes (sequential scan in metrics.ts; the running peak starts at the initial
  // equity, as for summary.json maxDrawdown), ranked by depth with danfojs.
  const periods = drawdownPeriods(ts, columns['equity']!, initialEquity, window);
  let drawdowns: DrawdownPeriod[] = [];
  if (periods.length > 0) {
    const cand = deepestCandidates(periods, DRAWDOWN_TABLE_ROWS);
    const df = new dfd.DataFrame({ idx: cand, depth: cand.map((i) => periods[i]!.depth) });
    const top = df.sortValues('depth', { ascending: true }).head(Math.min(DRAWDOWN_TABLE_ROWS, cand.length));
    drawdowns = seriesValues(top, 'idx').map((i) => periods[i]!);
  }

  // describe() of daily returns.
  let dailyReturnStats: DescribeTable = [];
  if (dailyTable.ret.length > 0) {
    const d = new dfd.DataFrame({ ret: dailyTable.ret }).describe();
    const stats = d.index as string[];
    const vals = seriesValues(d, 'ret');
    dailyReturnStats = stats.map((s, i) => ({ stat: s, value: Number(vals[i]) }));
  }

  return { daily: dailyTable, monthly: monthlyTable, drawdowns, drawdownCount: periods.length, dailyReturnStats };
}
