/**
 * Monte Carlo distribution: per-path statistics, their percentiles, the real path's place among
 * them, an equity fan chart, and the output files (montecarlo.json, paths.csv, fan.html).
 *
 * Definitions (fractions, not percent; see docs/montecarlo.md):
 * - `finalReturn` = last equity / initial capital − 1; `apr` its simple annualization over the span
 *   (as in summary.json); `maxDrawdown` ≤ 0 from the running peak that starts at the capital.
 * - `timeUnderWater`: share of the span (time-weighted over sample intervals) during which equity is
 *   below its running peak; `longestUnderWaterHours` the longest such spell (summary.json's
 *   maxDrawdownDurationHours).
 * - Percentiles: linear interpolation between order statistics (type 7, as numpy's default).
 * - The real path's `percentile` for a metric: (paths below + ½ paths equal) / paths.
 * - Probabilities: share of synthetic paths with at least one liquidation (or ADL event).
 * Nothing in the outputs depends on wall time: the same seed writes byte-identical files.
 */
import { join } from 'node:path';
import { mkdirDurable } from '../core/fs.js';
import { writeFileAtomic } from '../core/fs.js';
import { lastAtOrBefore } from '../core/search.js';
import { isoTime } from '../core/time.js';
import { maxDrawdownStats, simpleApr } from './metrics.js';

/** One path reduced to its statistics and its fan points. */
export interface PathStats {
  readonly path: number;
  readonly finalReturn: number;
  readonly apr: number;
  readonly maxDrawdown: number;
  readonly timeUnderWater: number;
  readonly longestUnderWaterHours: number;
  readonly liquidations: number;
  readonly adlEvents: number;
  readonly trades: number;
  /** Equity / capital at the fan times. */
  readonly fan: Float64Array;
}

/** A run's equity as the distribution needs it (the research runner's PathOutcome fits). */
export interface PathEquity {
  readonly path: number;
  readonly initialEquity: number;
  readonly ts: Float64Array;
  readonly equity: Float64Array;
  readonly liquidations: number;
  readonly adlEvents?: number;
  readonly trades: number;
}

/** The statistics the distribution reports, in column order. */
export const MC_METRICS = ['finalReturn', 'apr', 'maxDrawdown', 'timeUnderWater', 'longestUnderWaterHours'] as const;
export type McMetric = (typeof MC_METRICS)[number];

/** Share of the span under the running peak (peak starts at `initial`). */
export function timeUnderWater(ts: Float64Array, equity: Float64Array, initial: number): number {
  const n = ts.length;
  if (n < 2) return 0;
  let peak = initial;
  let under = 0;
  for (let k = 1; k < n; k++) {
    peak = Math.max(peak, equity[k - 1]!);
    if (equity[k - 1]! < peak) under += ts[k]! - ts[k - 1]!;
  }
  return under / (ts[n - 1]! - ts[0]!);
}

/** `points` fan times spread evenly over the real path's samples (first and last included). */
export function fanTimes(ts: Float64Array, points: number): Float64Array {
  const n = ts.length;
  const k = Math.max(2, Math.min(points, n));
  const out = new Float64Array(k);
  for (let j = 0; j < k; j++) out[j] = ts[Math.round((j * (n - 1)) / (k - 1))]!;
  return out;
}

/** Reduce one run to its statistics. */
export function pathStats(o: PathEquity, fanTs: Float64Array): PathStats {
  const { ts, equity } = o;
  const n = ts.length;
  const last = n > 0 ? equity[n - 1]! : o.initialEquity;
  const finalReturn = last / o.initialEquity - 1;
  const dd = maxDrawdownStats(ts, equity, o.initialEquity);
  const fan = new Float64Array(fanTs.length);
  for (let j = 0; j < fanTs.length; j++) fan[j] = n > 0 ? equity[Math.max(0, lastAtOrBefore(ts, fanTs[j]!))]! / o.initialEquity : 1;
  return {
    path: o.path,
    finalReturn,
    apr: n > 1 ? simpleApr(finalReturn, ts[n - 1]! - ts[0]!) : NaN,
    maxDrawdown: dd.maxDrawdown,
    timeUnderWater: timeUnderWater(ts, equity, o.initialEquity),
    longestUnderWaterHours: dd.maxDrawdownDurationHours,
    liquidations: o.liquidations,
    adlEvents: o.adlEvents ?? 0,
    trades: o.trades,
    fan,
  };
}

/** Percentile `q` in [0, 1] of sorted finite values (type 7); NaN when empty. */
export function percentileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Percentile levels reported. */
export const MC_LEVELS = [0.05, 0.25, 0.5, 0.75, 0.95] as const;

/** Distribution of one statistic over the synthetic paths. */
export interface Distribution {
  mean: number;
  min: number;
  p5: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
  max: number;
}

function sortedFinite(xs: readonly number[]): Float64Array {
  return Float64Array.from(xs.filter((x) => Number.isFinite(x))).sort();
}

/** Distribution of `xs` (non-finite values left out). */
export function distribution(xs: readonly number[]): Distribution {
  const s = sortedFinite(xs);
  let sum = 0;
  for (const x of s) sum += x;
  return {
    mean: s.length ? sum / s.length : NaN,
    min: s.length ? s[0]! : NaN,
    p5: percentileSorted(s, 0.05),
    p25: percentileSorted(s, 0.25),
    p50: percentileSorted(s, 0.5),
    p75: percentileSorted(s, 0.75),
    p95: percentileSorted(s, 0.95),
    max: s.length ? s[s.length - 1]! : NaN,
  };
}

/** Where `x` falls among `xs`: (below + ½ equal) / count of finite values; NaN if none. */
export function percentileRank(xs: readonly number[], x: number): number {
  let below = 0;
  let equal = 0;
  let n = 0;
  for (const v of xs) {
    if (!Number.isFinite(v)) continue;
    n++;
    if (v < x) below++;
    else if (v === x) equal++;
  }
  return n === 0 || !Number.isFinite(x) ? NaN : (below + equal / 2) / n;
}

/** The whole Monte Carlo result as written to montecarlo.json. */
export interface MonteCarloSummary {
  paths: number;
  metrics: Record<McMetric, Distribution>;
  probabilityOfLiquidation: number;
  probabilityOfAdl: number;
  real: Record<McMetric, { value: number; percentile: number }> & { liquidations: number; adlEvents: number };
  fan: { ts: number[]; p5: number[]; p25: number[]; p50: number[]; p75: number[]; p95: number[]; real: number[] };
}

/** Summarize the synthetic paths and place the real one among them. */
export function summarizeMonteCarlo(real: PathStats, paths: readonly PathStats[], fanTs: Float64Array): MonteCarloSummary {
  const metrics = {} as Record<McMetric, Distribution>;
  const realOut = {} as MonteCarloSummary['real'];
  for (const m of MC_METRICS) {
    const xs = paths.map((p) => p[m]);
    metrics[m] = distribution(xs);
    realOut[m] = { value: real[m], percentile: percentileRank(xs, real[m]) };
  }
  realOut.liquidations = real.liquidations;
  realOut.adlEvents = real.adlEvents;
  const k = fanTs.length;
  const fan: MonteCarloSummary['fan'] = { ts: Array.from(fanTs), p5: [], p25: [], p50: [], p75: [], p95: [], real: Array.from(real.fan) };
  const col = new Float64Array(paths.length);
  for (let j = 0; j < k; j++) {
    for (let p = 0; p < paths.length; p++) col[p] = paths[p]!.fan[j]!;
    const s = Float64Array.from(col).sort();
    fan.p5.push(percentileSorted(s, 0.05));
    fan.p25.push(percentileSorted(s, 0.25));
    fan.p50.push(percentileSorted(s, 0.5));
    fan.p75.push(percentileSorted(s, 0.75));
    fan.p95.push(percentileSorted(s, 0.95));
  }
  const n = paths.length;
  return {
    paths: n,
    metrics,
    probabilityOfLiquidation: n ? paths.filter((p) => p.liquidations > 0).length / n : NaN,
    probabilityOfAdl: n ? paths.filter((p) => p.adlEvents > 0).length / n : NaN,
    real: realOut,
    fan,
  };
}

/** Numbers for JSON/CSV: fixed 10 significant digits, so output does not hinge on float printing. */
const num = (x: number): number | null => (Number.isFinite(x) ? Number(x.toPrecision(10)) : null);
const cell = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(10))) : '');

/** paths.csv: one row per path (−1 = the real path). */
export function pathsCsv(real: PathStats, paths: readonly PathStats[]): string {
  const rows = ['path,final_return,apr,max_drawdown,time_under_water,longest_under_water_hours,liquidations,adl_events,trades'];
  for (const p of [real, ...paths]) {
    rows.push([p.path, cell(p.finalReturn), cell(p.apr), cell(p.maxDrawdown), cell(p.timeUnderWater), cell(p.longestUnderWaterHours), p.liquidations, p.adlEvents, p.trades].join(','));
  }
  return rows.join('\n') + '\n';
}

/** montecarlo.json's text. */
export function monteCarloJson(run: Record<string, unknown>, summary: MonteCarloSummary): string {
  return JSON.stringify({ version: 1, run, summary }, (_k, v: unknown) => (typeof v === 'number' ? num(v) : v), 2) + '\n';
}

const pctText = (x: number, d = 2): string => (Number.isFinite(x) ? `${(x * 100).toFixed(d)} %` : 'n/a');

/** fan.html: an inline-SVG fan chart of equity / capital (5–95 % and 25–75 % bands, median, real path) and the table. */
export function fanChartHtml(title: string, summary: MonteCarloSummary): string {
  const W = 900;
  const Hh = 360;
  const pad = { l: 64, r: 16, t: 16, b: 36 };
  const f = summary.fan;
  const all = [...f.p5, ...f.p95, ...f.real].filter((x) => Number.isFinite(x));
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!(hi > lo)) {
    lo -= 0.01;
    hi += 0.01;
  }
  const t0 = f.ts[0]!;
  const t1 = f.ts[f.ts.length - 1]!;
  const x = (t: number): number => pad.l + ((t - t0) / Math.max(1, t1 - t0)) * (W - pad.l - pad.r);
  const y = (v: number): number => pad.t + (1 - (v - lo) / (hi - lo)) * (Hh - pad.t - pad.b);
  const line = (ys: number[]): string => ys.map((v, j) => `${j ? 'L' : 'M'}${x(f.ts[j]!).toFixed(1)},${y(v).toFixed(1)}`).join('');
  const band = (a: number[], b: number[]): string => `${line(a)}${b.map((v, j) => ({ v, j })).reverse().map(({ v, j }) => `L${x(f.ts[j]!).toFixed(1)},${y(v).toFixed(1)}`).join('')}Z`;
  const ticks: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    ticks.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/><text x="${pad.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${pctText(v - 1, 1)}</text>`);
  }
  const xl = [t0, t1].map((t, k) => `<text x="${x(t).toFixed(1)}" y="${Hh - 12}" text-anchor="${k ? 'end' : 'start'}">${isoTime(t)}</text>`);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${Hh}" font-family="sans-serif" font-size="11">` +
    ticks.join('') +
    xl.join('') +
    `<path d="${band(f.p95, f.p5)}" fill="#0072B2" fill-opacity="0.15"/>` +
    `<path d="${band(f.p75, f.p25)}" fill="#0072B2" fill-opacity="0.3"/>` +
    `<path d="${line(f.p50)}" fill="none" stroke="#0072B2" stroke-width="1.5"/>` +
    `<path d="${line(f.real)}" fill="none" stroke="#D55E00" stroke-width="1.5"/>` +
    `</svg>`;
  const labels: Record<McMetric, string> = {
    finalReturn: 'final return',
    apr: 'APR (simple)',
    maxDrawdown: 'max drawdown',
    timeUnderWater: 'time under water',
    longestUnderWaterHours: 'longest under water (h)',
  };
  const fmt = (m: McMetric, v: number): string => (m === 'longestUnderWaterHours' ? (Number.isFinite(v) ? v.toFixed(1) : 'n/a') : pctText(v));
  const rows = MC_METRICS.map((m) => {
    const d = summary.metrics[m];
    const r = summary.real[m];
    return `<tr><td>${labels[m]}</td>${[d.p5, d.p25, d.p50, d.p75, d.p95, d.mean].map((v) => `<td>${fmt(m, v)}</td>`).join('')}<td>${fmt(m, r.value)}</td><td>${pctText(r.percentile, 0)}</td></tr>`;
  });
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:960px}td,th{padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}table{border-collapse:collapse}tr:nth-child(even){background:#f6f6f6}</style></head><body>
<h1>${esc(title)}</h1>
<p>${summary.paths} synthetic paths. Equity / capital: 5–95 % band (light), 25–75 % band (dark), median (blue), the real path (orange).</p>
${svg}
<h2>Distribution</h2>
<table><tr><th>statistic</th><th>p5</th><th>p25</th><th>p50</th><th>p75</th><th>p95</th><th>mean</th><th>real path</th><th>real's percentile</th></tr>
${rows.join('\n')}
</table>
<p>Probability of at least one liquidation: ${pctText(summary.probabilityOfLiquidation, 1)}; of at least one auto-deleveraging: ${pctText(summary.probabilityOfAdl, 1)}.</p>
</body></html>
`;
}

/** Write montecarlo.json, paths.csv and fan.html into `dir` (each file atomically). */
export function writeMonteCarloDir(dir: string, title: string, run: Record<string, unknown>, real: PathStats, paths: readonly PathStats[], summary: MonteCarloSummary): string[] {
  mkdirDurable(dir);
  const files: [string, string][] = [
    ['montecarlo.json', monteCarloJson(run, summary)],
    ['paths.csv', pathsCsv(real, paths)],
    ['fan.html', fanChartHtml(title, summary)],
  ];
  for (const [name, text] of files) writeFileAtomic(join(dir, name), text);
  return files.map(([n]) => join(dir, n));
}
