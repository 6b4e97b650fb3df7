/**
 * `perpcarry sweep` / `walk-forward` / `worker` option handling: flags over the spec file over
 * defaults, then the analysis layer does the work. Thin: parse, call, print.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import { parseInstant, type UnixMs } from '../core/time.js';
import { defaultDataDir } from '../data/catalog.js';
import { axisFromSpec, parseGridArg, parseRangeArgs, type GridAxis } from '../research/grid.js';
import { scenarioDocs, type RunSpec } from '../research/run-spec.js';
import { resolveScenario } from '../scenario/bundled.js';
import { parseParamArgs } from '../strategy/params.js';
import type { ParamSchema, ParamValue } from '../strategy/types.js';
import type { PointPlan, SweepOptions } from '../analysis/sweep/run-sweep.js';
import { resolveWindow } from './backtest-run.js';
import { parseObjective, readSpecFile, type SweepSpecFile } from './sweep-spec.js';

function windowOf(args: Record<string, unknown>, spec: SweepSpecFile): { fromMs: UnixMs; toMs: UnixMs; name: string | null } {
  const win = (args['window'] as string | undefined) ?? (args['from'] === undefined ? spec.window : undefined);
  const from = (args['from'] as string | undefined) ?? (win === undefined ? spec.from : undefined);
  const to = (args['to'] as string | undefined) ?? (win === undefined ? spec.to : undefined);
  if (win !== undefined && (from !== undefined || to !== undefined)) throw new UserError('give either --window or --from/--to, not both');
  if (win !== undefined) {
    const w = resolveWindow(win);
    return { fromMs: w.fromMs, toMs: w.toMs, name: w.name };
  }
  if (from === undefined || to === undefined) throw new UserError('give a window: --window <id|date> or --from ISO --to ISO');
  try {
    return { fromMs: parseInstant(from, '--from'), toMs: parseInstant(to, '--to'), name: null };
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

/**
 * `--scenario` (repeatable; replaces the spec's list) or the spec's `scenarios` (files relative to
 * the spec's folder), loaded and validated now, carried as documents in every point's run spec.
 */
function scenarioField(args: Record<string, unknown>, spec: SweepSpecFile): Pick<RunSpec, 'scenarios'> {
  const flags = Array.isArray(args['scenario']) ? (args['scenario'] as string[]) : [];
  const specDir = typeof args['spec'] === 'string' ? dirname(resolve(args['spec'])) : '.';
  const names = flags.length > 0 ? flags : (spec.scenarios ?? []).map((x) => (/[/\\]|\.json$/.test(x) && !isAbsolute(x) ? join(specDir, x) : x));
  return names.length > 0 ? { scenarios: scenarioDocs(names.map((x) => resolveScenario(x))) } : {};
}

/** Sweep options from flags and spec (no strategy loaded yet: axes are parsed against its schema later). */
export function sweepOptionsOf(args: Record<string, unknown>): SweepOptions & { spec: SweepSpecFile } {
  const spec = typeof args['spec'] === 'string' ? readSpecFile(args['spec']) : {};
  const strategy = (args['strategy'] as string | undefined) ?? spec.strategy;
  if (!strategy) throw new UserError('--strategy is required (or "strategy" in --spec)');
  const venueArg = (args['venue'] as string | undefined) ?? (Array.isArray(spec.venues) ? spec.venues.join(',') : spec.venues);
  const venues = (venueArg ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);
  if (venues.length === 0) throw new UserError('--venue is required (e.g. --venue binance)');
  const symbol = (args['symbol'] as string | undefined) ?? spec.symbol;
  if (!symbol) throw new UserError('--symbol is required (e.g. --symbol BTC/USDT)');
  const w = windowOf(args, spec);
  const fixed: Record<string, ParamValue> = { ...(spec.fixed ?? {}) };
  if (Array.isArray(args['param'])) Object.assign(fixed, parseParamArgs(args['param'] as string[]));
  const gridArgs = Array.isArray(args['grid']) ? (args['grid'] as string[]) : [];
  const specParams = Object.entries(spec.params ?? {});
  const isRandomAxis = (v: unknown): v is { min: number; max: number } => !!v && typeof v === 'object' && !Array.isArray(v) && 'min' in v && 'max' in v && !('step' in v);
  const specRanges: Record<string, { min: number; max: number }> = { ...(spec.random?.ranges ?? {}) };
  for (const [k, v] of specParams) if (isRandomAxis(v)) specRanges[k] = { min: v.min, max: v.max };
  const axes = (schema: ParamSchema): GridAxis[] => {
    const cliNames = new Set(gridArgs.map((g) => g.split('=')[0]!.trim()));
    const fromSpec = specParams.filter(([k, v]) => !isRandomAxis(v) && !cliNames.has(k)).map(([k, v]) => axisFromSpec(k, v, schema, `--spec ${String(args['spec'])}`));
    return [...fromSpec, ...gridArgs.map((g) => parseGridArg(g, schema))];
  };
  const randomN = (args['random'] as number | undefined) ?? spec.random?.n;
  const ranges = { ...specRanges, ...parseRangeArgs(Array.isArray(args['range']) ? (args['range'] as string[]) : []) };
  const vary = typeof args['vary'] === 'string' ? (args['vary']).split(',').map((s) => s.trim()).filter(Boolean) : spec.random?.vary;
  if (randomN === undefined && (Object.keys(ranges).length > 0 || vary)) {
    if (Object.keys(parseRangeArgs(Array.isArray(args['range']) ? (args['range'] as string[]) : [])).length > 0 || args['vary'] !== undefined) throw new UserError('--range and --vary go with --random N');
  }
  const plan: PointPlan = {
    axes,
    ...(randomN !== undefined ? { random: { n: randomN, seed: (args['seed'] as number | undefined) ?? spec.random?.seed ?? 1, ...(vary ? { names: vary } : {}), ...(Object.keys(ranges).length ? { ranges } : {}) } } : {}),
    ...(spec.constraints ? { constraints: spec.constraints } : {}),
  };
  const jobs = (args['jobs'] as number | undefined) ?? 1;
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new UserError(`--jobs must be a positive integer (got ${jobs})`);
  const keepTop = (args['keep-top'] as number | undefined) ?? spec.keepTop ?? 3;
  if (!(Number.isInteger(keepTop) && keepTop >= 0)) throw new UserError(`--keep-top must be a non-negative integer (got ${keepTop})`);
  const pboGroups = (args['pbo-groups'] as number | undefined) ?? 16;
  if (!(Number.isInteger(pboGroups) && pboGroups >= 2 && pboGroups % 2 === 0)) throw new UserError(`--pbo-groups must be an even integer ≥ 2 (got ${pboGroups})`);
  const dataDir = resolve((args['data-dir'] as string | undefined) ?? defaultDataDir());
  const base: Omit<RunSpec, 'strategy'> = {
    params: fixed,
    venues,
    symbol,
    timeframe: (args['timeframe'] as string | undefined) ?? spec.timeframe ?? '1h',
    fromMs: w.fromMs,
    toMs: w.toMs,
    window: w.name,
    capital: (args['capital'] as number | undefined) ?? spec.capital ?? 100_000,
    seed: (args['run-seed'] as number | undefined) ?? 1,
    fillAt: (args['fill-at'] as 'next-open' | 'close' | undefined) ?? 'next-open',
    models: {},
    allowSpotBorrow: (args['allow-spot-borrow'] as boolean | undefined) ?? false,
    acceptDataErrors: (args['accept-data-errors'] as boolean | undefined) ?? false,
    fundingHistoryDays: 30,
    ...scenarioField(args, spec),
  };
  const isModulePath = /[/\\]|\.([cm]?[jt]s)$/.test(strategy);
  return {
    spec,
    strategy: isModulePath ? resolve(strategy) : strategy,
    base,
    dataDir,
    plan,
    objective: typeof args['objective'] === 'string' ? parseObjective(args['objective']) : parseObjective(spec.objective, `--spec ${String(args['spec'])}: objective`),
    keepTop,
    jobs,
    ...(typeof args['queue'] === 'string' ? { queue: args['queue'] } : {}),
    batch: (args['batch'] as number | undefined) ?? 1,
    outRoot: resolve((args['out'] as string | undefined) ?? 'sweeps'),
    ...(typeof args['id'] === 'string' ? { id: args['id'] } : {}),
    pboGroups,
  };
}

/** Progress on stderr (TTY only): points done, rate and ETA. */
export function pointsProgress(enabled: boolean): { update: (done: number, total: number, skipped: number) => void; done: () => void } {
  const tty = enabled && process.stderr.isTTY;
  let t0 = 0;
  let base = 0;
  let shown = false;
  return {
    update(done, total, skipped) {
      if (!tty) return;
      if (t0 === 0) {
        t0 = performance.now();
        base = skipped;
      }
      const s = (performance.now() - t0) / 1000;
      const rate = s > 0 ? (done - base) / s : 0;
      const eta = rate > 0 ? (total - done) / rate : NaN;
      const w = 30;
      const n = Math.round((done / total) * w);
      shown = true;
      process.stderr.write(`\r  points [${'#'.repeat(n)}${'.'.repeat(w - n)}] ${done}/${total}${skipped ? ` (${skipped} done before)` : ''}  ${rate.toFixed(1)} pts/s  ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)} s` : '…'}   `);
    },
    done() {
      if (shown) process.stderr.write('\r' + ' '.repeat(90) + '\r');
    },
  };
}

const f = (x: number | undefined | null, d = 3): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** Handler of `perpcarry sweep`. */
export async function sweepCommandHandler(args: Record<string, unknown>): Promise<void> {
  const opts = sweepOptionsOf(args);
  if (opts.spec.walkForward) throw new UserError('--spec has "walkForward": run it with `perpcarry walk-forward --spec …`');
  const bar = pointsProgress(args['progress'] !== false && args['json'] !== true);
  const { runSweep } = await import('../analysis/sweep/run-sweep.js');
  let out;
  try {
    out = await runSweep({ ...opts, onProgress: bar.update });
  } finally {
    bar.done();
  }
  if (args['json'] === true) {
    const { best, ...rest } = out;
    process.stdout.write(JSON.stringify({ ...rest, best: best ? { point: best.point, runId: best.runId, params: best.params, metrics: best.metrics } : null }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
    return;
  }
  const o = out.overfitting;
  const b = out.best;
  const lines = [
    `sweep ${out.id}: ${out.points} points (${out.ran} run, ${out.skipped} already done)`,
    `  best         point ${b?.point ?? 'n/a'} ${b ? JSON.stringify(b.params) : ''}`,
    `               ${opts.objective.metric} ${f(b ? (b.metrics as unknown as Record<string, number>)[opts.objective.metric] : NaN, 4)}   return ${f(b ? b.metrics.totalReturn * 100 : NaN, 2)}%   maxDD ${f(b ? b.metrics.maxDrawdown * 100 : NaN, 2)}%`,
    `  overfitting  PBO ${o.pbo ? f(o.pbo.pbo) : `n/a (${o.pboNote})`}   deflated Sharpe ${o.dsr ? f(o.dsr.dsr) : `n/a (${o.dsrNote})`}`,
    `  speed        prepare ${f(out.timing.prepareMs, 0)} ms, ${out.ran} points in ${f(out.timing.runMs / 1000, 2)} s (${f(out.timing.pointsPerSec, 2)} points/s), write ${f(out.timing.writeMs, 0)} ms (${f(out.timing.bytesWritten / 1e6, 2)} MB in the sweep dir)`,
    `  output       ${out.dir}/ (sweep.html, results.csv, results.arrow, sweep.json)`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** Handler of `perpcarry walk-forward`. */
export async function walkForwardCommandHandler(args: Record<string, unknown>): Promise<void> {
  const opts = sweepOptionsOf(args);
  const { parseSpan } = await import('../research/windows.js');
  const wf = opts.spec.walkForward;
  const train = (args['train'] as string | undefined) ?? wf?.train;
  const test = (args['test'] as string | undefined) ?? wf?.test;
  if (!train || !test) throw new UserError('walk-forward needs --train and --test spans (e.g. --train 90d --test 30d), or walkForward in --spec');
  const testMs = parseSpan(test, '--test');
  const stepArg = (args['step'] as string | undefined) ?? wf?.step;
  const bar = pointsProgress(args['progress'] !== false && args['json'] !== true);
  const { runWalkForward } = await import('../analysis/sweep/walk-forward.js');
  let out;
  try {
    out = await runWalkForward({ ...opts, trainMs: parseSpan(train, '--train'), testMs, stepMs: stepArg ? parseSpan(stepArg, '--step') : testMs, onProgress: bar.update });
  } finally {
    bar.done();
  }
  if (args['json'] === true) {
    process.stdout.write(JSON.stringify({ dir: out.dir, windows: out.windows.map((w) => ({ index: w.index, params: w.params, inSample: w.inSample.metrics, outOfSample: w.outOfSample.metrics })), stitched: { totalReturn: out.stitched.totalReturn, sharpe: out.stitched.sharpe } }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
    return;
  }
  const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');
  const lines = [`walk-forward: ${out.windows.length} windows`, '  #  test span                  params → IS return / OOS return'];
  for (const w of out.windows) {
    lines.push(`  ${String(w.index + 1).padStart(2)} ${new Date(w.testFromMs).toISOString().slice(0, 10)} → ${new Date(w.testToMs).toISOString().slice(0, 10)}  ${JSON.stringify(w.params)} → ${pct(w.inSample.metrics.totalReturn)} / ${pct(w.outOfSample.metrics.totalReturn)}`);
  }
  lines.push(`  stitched out-of-sample: return ${pct(out.stitched.totalReturn)}, Sharpe ${f(out.stitched.sharpe, 2)}`, `  output ${out.dir}/ (walk-forward.html, walk-forward.csv, walk-forward.json)`);
  process.stdout.write(lines.join('\n') + '\n');
}
