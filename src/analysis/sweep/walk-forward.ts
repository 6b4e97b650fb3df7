/**
 * Walk-forward analysis: on each window, run every point on the training span, pick the best by
 * the objective, run it on the following test span; in-sample against out-of-sample per window,
 * and the out-of-sample daily equity stitched across the test spans (each span compounds from
 * where the previous one ended). Writes walk-forward.json, walk-forward.csv and walk-forward.html.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { mkdirDurable, writeFileAtomic } from '../../core/fs.js';
import { isoUtc } from '../../core/time.js';
import { marketRequestOf, prepareMarket, resolveRun, shockMarket } from '../../engine/backtest.js';
import { inProcessDispatcher, poolDispatcher } from '../../research/dispatch.js';
import { configOf, loadStrategyOnce, type RunSpec } from '../../research/run-spec.js';
import { walkWindows, type WalkWindow } from '../../research/windows.js';
import type { ParamValues } from '../../strategy/types.js';
import { periodReturns, sharpe } from '../metrics.js';
import { perpcarryVersion } from '../run-writer.js';
import type { PointPayload, PointRow } from './point.js';
import { objectiveOf, rankRows, type Objective } from './results.js';
import { scenarioSha256 } from '../../scenario/hash.js';
import { checkObjective, planPoints, SWEEP_TASK_MODULE, type SweepOptions } from './run-sweep.js';

/** Options: a sweep's, plus the spans. */
export interface WalkForwardOptions extends Pick<SweepOptions, 'strategy' | 'base' | 'dataDir' | 'plan' | 'objective' | 'jobs' | 'outRoot' | 'id' | 'onProgress'> {
  trainMs: number;
  testMs: number;
  stepMs: number;
}

/** One window's outcome. */
export interface WindowOutcome extends WalkWindow {
  params: ParamValues;
  inSample: PointRow;
  outOfSample: PointRow;
}

/** What {@link runWalkForward} returns. */
export interface WalkForwardOutcome {
  dir: string;
  windows: WindowOutcome[];
  /** Out-of-sample equity stitched across the test spans, at UTC day closes. */
  stitched: { dayMs: number[]; equity: number[]; totalReturn: number; sharpe: number };
}

async function runAll(o: WalkForwardOptions, specs: RunSpec[]): Promise<PointRow[]> {
  const first = await configOf(specs[0]!, o.dataDir);
  const prepared = shockMarket(prepareMarket(marketRequestOf(first, resolveRun(first))), first.scenarios ?? []);
  const d = o.jobs > 1 ? poolDispatcher<PointPayload, PointRow>(prepared, SWEEP_TASK_MODULE, o.jobs) : inProcessDispatcher<PointPayload, PointRow>(prepared, SWEEP_TASK_MODULE);
  try {
    return await Promise.all(specs.map((run, point) => d.run({ point, run, dataDir: o.dataDir })));
  } finally {
    await d.close();
  }
}

const METRICS = ['totalReturn', 'apr', 'sharpe', 'maxDrawdown'] as const;

/** Run a walk-forward analysis (see the module comment). */
export async function runWalkForward(o: WalkForwardOptions): Promise<WalkForwardOutcome> {
  checkObjective(o.objective);
  const loaded = await loadStrategyOnce(o.strategy);
  const points = planPoints(loaded.factory.params, o.plan, o.base.params);
  const windows = walkWindows(o.base.fromMs, o.base.toMs, o.trainMs, o.testMs, o.stepMs);
  const out: WindowOutcome[] = [];
  let done = 0;
  const total = windows.length * (points.length + 1);
  for (const w of windows) {
    const train = points.map((params): RunSpec => ({ ...o.base, strategy: o.strategy, params, fromMs: w.trainFromMs, toMs: w.trainToMs, window: null }));
    const rows = await runAll(o, train);
    done += rows.length;
    o.onProgress?.(done, total, 0);
    const best = rankRows(rows, o.objective)[0]!;
    if (Number.isNaN(objectiveOf(best, o.objective))) throw new UserError(`walk-forward window ${w.index + 1}: no point has a finite ${o.objective.metric} on ${isoUtc(w.trainFromMs)} → ${isoUtc(w.trainToMs)}`);
    const [oos] = await runAll(o, [{ ...o.base, strategy: o.strategy, params: best.params, fromMs: w.testFromMs, toMs: w.testToMs, window: null }]);
    o.onProgress?.(++done, total, 0);
    out.push({ ...w, params: best.params, inSample: best, outOfSample: oos! });
  }
  // Stitch: each test span's daily closes scaled to continue from the previous span's last level.
  const dayMs: number[] = [];
  const equity: number[] = [];
  let level = o.base.capital;
  for (const w of out) {
    const r = w.outOfSample;
    const k = level / r.metrics.initialEquity;
    r.dailyClose.forEach((c, i) => {
      dayMs.push(r.dayMs[i]!);
      equity.push(c * k);
    });
    level = r.metrics.finalEquity * k;
  }
  const daily = periodReturns(Float64Array.from(equity), o.base.capital);
  const stitched = { dayMs, equity, totalReturn: level / o.base.capital - 1, sharpe: sharpe(daily) };
  const id = o.id ?? `${loaded.factory.name}-${o.base.symbol.replace(/[/:]/g, '-')}-wf-${(o.trainMs / 86_400_000).toFixed(0)}d-${(o.testMs / 86_400_000).toFixed(0)}d-${(o.stepMs / 86_400_000).toFixed(0)}d${scenarioSuffix(o.base.scenarios)}`;
  const dir = join(o.outRoot, id);
  mkdirDurable(dir);
  writeOutputs(dir, id, o, out, stitched);
  return { dir, windows: out, stitched };
}

/** `-sc<hash>` for runs under scenarios (so a stressed walk-forward does not overwrite the plain one), else empty. */
function scenarioSuffix(docs: RunSpec['scenarios']): string {
  if (!docs || docs.length === 0) return '';
  return `-sc${createHash('sha256').update(docs.map((d) => scenarioSha256(d)).join(',')).digest('hex').slice(0, 8)}`;
}

function writeOutputs(dir: string, id: string, o: WalkForwardOptions, windows: WindowOutcome[], stitched: WalkForwardOutcome['stitched']): void {
  const m = (r: PointRow, k: string): number => (r.metrics as unknown as Record<string, number>)[k]!;
  const json = {
    formatVersion: 1,
    perpcarryVersion: perpcarryVersion(),
    id,
    strategy: o.strategy,
    base: { ...o.base, fromIso: isoUtc(o.base.fromMs), toIso: isoUtc(o.base.toMs) },
    spans: { trainMs: o.trainMs, testMs: o.testMs, stepMs: o.stepMs },
    objective: o.objective,
    windows: windows.map((w) => ({
      index: w.index,
      train: [isoUtc(w.trainFromMs), isoUtc(w.trainToMs)],
      test: [isoUtc(w.testFromMs), isoUtc(w.testToMs)],
      params: w.params,
      inSample: { runId: w.inSample.runId, metrics: w.inSample.metrics, pnl: w.inSample.pnl },
      outOfSample: { runId: w.outOfSample.runId, metrics: w.outOfSample.metrics, pnl: w.outOfSample.pnl },
    })),
    stitched,
  };
  writeFileAtomic(join(dir, 'walk-forward.json'), JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  const paramNames = Object.keys(windows[0]?.params ?? {});
  const head = ['window', 'trainFrom', 'trainTo', 'testFrom', 'testTo', ...paramNames.map((p) => `param.${p}`), ...METRICS.flatMap((k) => [`is.${k}`, `oos.${k}`])];
  const cell = (x: unknown): string => (typeof x === 'number' ? (Number.isFinite(x) ? String(x) : '') : String(x));
  const lines = [head.join(',')];
  for (const w of windows) {
    lines.push([w.index + 1, isoUtc(w.trainFromMs), isoUtc(w.trainToMs), isoUtc(w.testFromMs), isoUtc(w.testToMs), ...paramNames.map((p) => w.params[p]), ...METRICS.flatMap((k) => [m(w.inSample, k), m(w.outOfSample, k)])].map(cell).join(','));
  }
  writeFileAtomic(join(dir, 'walk-forward.csv'), lines.join('\n') + '\n');
  writeFileAtomic(join(dir, 'walk-forward.html'), pageOf(id, o.objective, windows, stitched, paramNames));
}

function pageOf(id: string, obj: Objective, windows: WindowOutcome[], stitched: WalkForwardOutcome['stitched'], paramNames: string[]): string {
  const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');
  const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
  const m = (r: PointRow, k: string): number => (r.metrics as unknown as Record<string, number>)[k]!;
  const rows = windows
    .map(
      (w) =>
        `<tr><td>${w.index + 1}</td><td>${isoUtc(w.trainFromMs).slice(0, 10)} → ${isoUtc(w.trainToMs).slice(0, 10)}</td><td>${isoUtc(w.testFromMs).slice(0, 10)} → ${isoUtc(w.testToMs).slice(0, 10)}</td>` +
        paramNames.map((p) => `<td>${esc(String(w.params[p]))}</td>`).join('') +
        `<td>${pct(m(w.inSample, 'totalReturn'))}</td><td>${pct(m(w.outOfSample, 'totalReturn'))}</td><td>${f2(m(w.inSample, 'sharpe'))}</td><td>${f2(m(w.outOfSample, 'sharpe'))}</td><td>${pct(m(w.inSample, 'maxDrawdown'))}</td><td>${pct(m(w.outOfSample, 'maxDrawdown'))}</td></tr>`,
    )
    .join('\n');
  const W = 900;
  const H = 260;
  const lo = Math.min(...stitched.equity);
  const hi = Math.max(...stitched.equity);
  const pts = stitched.equity.map((v, i) => `${((i / Math.max(1, stitched.equity.length - 1)) * (W - 10) + 5).toFixed(1)},${(H - ((v - lo) / (hi - lo || 1)) * (H - 10) - 5).toFixed(1)}`).join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>walk-forward ${esc(id)}</title>
<style>body{font:14px system-ui,sans-serif;margin:20px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f4f4f4}</style></head><body>
<h1>Walk-forward ${esc(id)}</h1>
<p>Objective ${esc(obj.metric)} (${obj.direction}), chosen on each training span and run on the test span after it. Out-of-sample stitched: return ${pct(stitched.totalReturn)}, Sharpe ${f2(stitched.sharpe)} (daily, annualized √365).</p>
<h2>In-sample vs out-of-sample</h2>
<table><tr><th>#</th><th>train</th><th>test</th>${paramNames.map((p) => `<th>${esc(p)}</th>`).join('')}<th>IS return</th><th>OOS return</th><th>IS Sharpe</th><th>OOS Sharpe</th><th>IS maxDD</th><th>OOS maxDD</th></tr>
${rows}
</table>
<h2>Stitched out-of-sample equity (daily closes)</h2>
<svg width="${W}" height="${H + 20}"><polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${pts}"/><text x="5" y="${H + 15}" font-size="11">${lo.toFixed(2)} … ${hi.toFixed(2)}</text></svg>
</body></html>
`;
}
