/**
 * `perpcarry sweep`: many configs of one strategy over one prepared market. Plan the points (grid,
 * random, spec file), prepare the market once, skip points already done (same config hash in the
 * sweep's rows.jsonl), run the rest in-process, on a worker-thread pool or through a BullMQ queue,
 * append each row to rows.jsonl as it completes, then write the outputs from the rows in point
 * order: sweep.json, results.csv, results.arrow, sweep.html and the best `keepTop` full run
 * directories (re-run here: runs are deterministic). Nothing in the outputs depends on wall-clock
 * time or completion order, so an interrupted and resumed sweep ends with the same files.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UserError } from '../../core/errors.js';
import { mkdirDurable, writeFileAtomic } from '../../core/fs.js';
import { isoUtc } from '../../core/time.js';
import { marketRequestOf, prepareMarket, prepareOn, resolveRun, runPrepared, shockMarket, type PreparedMarket } from '../../engine/backtest.js';
import type { Scenario } from '../../scenario/types.js';
import { inProcessDispatcher, poolDispatcher, type Dispatcher } from '../../research/dispatch.js';
import { expandGrid, sampleRandom, randomAxes, type GridAxis } from '../../research/grid.js';
import { marketSpecOf, queueDispatcher } from '../../research/queue.js';
import { configOf, loadStrategyOnce, type RunSpec } from '../../research/run-spec.js';
import { decodeResult, encodeResult } from '../../research/task.js';
import type { ParamSchema, ParamValue, ParamValues } from '../../strategy/types.js';
import { METRIC_NAMES } from '../metrics.js';
import { perpcarryVersion, writeRunDir } from '../run-writer.js';
import { writeSweepHtml } from './html.js';
import { identifyPoint, type PointPayload, type PointRow } from './point.js';
import { overfitting, rankRows, writeResults, type Objective, type Overfitting } from './results.js';

/** The sweep's task module (same file in every thread, process and machine). */
export const SWEEP_TASK = 'sweep-point';
export const SWEEP_TASK_MODULE = new URL('./point.js', import.meta.url).href;

/** How the points are chosen. */
export interface PointPlan {
  /** Grid axes (cartesian product), already parsed against the schema by `axes(schema)`. */
  axes: (schema: ParamSchema) => GridAxis[];
  /** Random sampling instead of (or, with grid axes, on top of: each draw combined with every grid point) a pure grid. */
  random?: { n: number; seed: number; names?: string[]; ranges?: Record<string, { min: number; max: number }> };
  /** Conditions a point must meet, e.g. `exitApr < entryApr` (param or number, op, param or number); others are dropped. */
  constraints?: string[];
}

/** A constraint `a op b` (a, b: param names or numbers; op: < <= > >= == !=) as a predicate. */
export function parseConstraint(text: string, schema: ParamSchema): (p: ParamValues) => boolean {
  const m = /^\s*([A-Za-z_][\w]*|[-+]?[\d.]+(?:e[-+]?\d+)?)\s*(<=|>=|==|!=|<|>)\s*([A-Za-z_][\w]*|[-+]?[\d.]+(?:e[-+]?\d+)?)\s*$/i.exec(text);
  if (!m) throw new UserError(`constraint "${text}": expected "a op b" with op one of < <= > >= == != (e.g. "exitApr < entryApr")`);
  const side = (t: string): ((p: ParamValues) => ParamValue) => {
    if (/^[A-Za-z_]/.test(t)) {
      if (!Object.prototype.hasOwnProperty.call(schema, t)) throw new UserError(`constraint "${text}": unknown param "${t}"`);
      return (p) => p[t]!;
    }
    const x = Number(t);
    return () => x;
  };
  const a = side(m[1]!);
  const b = side(m[3]!);
  const op = m[2]!;
  return (p) => {
    const x = a(p);
    const y = b(p);
    switch (op) {
      case '<': return x < y;
      case '<=': return x <= y;
      case '>': return x > y;
      case '>=': return x >= y;
      case '==': return x === y;
      default: return x !== y;
    }
  };
}

/** Everything a sweep needs. */
export interface SweepOptions {
  strategy: string;
  /** The run every point starts from; `params` are the fixed params (overridden by the point's). */
  base: Omit<RunSpec, 'strategy'>;
  dataDir: string;
  plan: PointPlan;
  objective: Objective;
  keepTop: number;
  /** Local worker threads (1: in this thread). */
  jobs: number;
  /** `redis://host:port`: enqueue the points on BullMQ for `perpcarry worker`s instead. */
  queue?: string;
  /** Points per queue job (default 1). */
  batch?: number;
  /** Output root (default ./sweeps); the sweep writes `<root>/<id>/`. */
  outRoot: string;
  /** Sweep id (default from the strategy, symbol and the points' config hashes). */
  id?: string;
  /** CSCV groups S (even). Default 16. */
  pboGroups: number;
  onProgress?: (done: number, total: number, skipped: number) => void;
  onLog?: (message: string) => void;
}

/** What a finished sweep reports (stdout; wall-clock figures are never written to its files). */
export interface SweepOutcome {
  dir: string;
  id: string;
  points: number;
  skipped: number;
  ran: number;
  best: PointRow | undefined;
  overfitting: Overfitting;
  timing: { prepareMs: number; runMs: number; writeMs: number; pointsPerSec: number; bytesWritten: number; /** CPU time of this process (all its threads) while running points, ms. */ runCpuMs: number };
}

/** The points' params (fixed params under each point's). */
export function planPoints(schema: ParamSchema, plan: PointPlan, fixed: Record<string, ParamValue>): ParamValues[] {
  const axes = plan.axes(schema);
  let pts = expandGrid(axes);
  if (plan.random) {
    const taken = new Set(axes.map((a) => a.name));
    const names = plan.random.names ?? (plan.random.ranges ? Object.keys(plan.random.ranges) : undefined);
    const raxes = randomAxes(schema, names?.filter((n) => !taken.has(n)), plan.random.ranges ?? {}).filter((a) => !taken.has(a.name));
    const draws = sampleRandom(raxes, schema, plan.random.n, plan.random.seed);
    pts = draws.flatMap((d) => pts.map((g) => ({ ...d, ...g })));
  }
  if (pts.length === 1 && Object.keys(pts[0]!).length === 0) throw new UserError('sweep: no params to vary; give --grid name=v1,v2,… , --random N or --spec');
  const keep = (plan.constraints ?? []).map((c) => parseConstraint(c, schema));
  const defaults: ParamValues = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, v.default]));
  const out = pts.map((p) => ({ ...fixed, ...p })).filter((p) => keep.every((k) => k({ ...defaults, ...p })));
  if (out.length === 0) throw new UserError(`sweep: the constraints (${(plan.constraints ?? []).join('; ')}) leave no point`);
  return out;
}

function bytesOf(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? bytesOf(p) : readFileSync(p).byteLength;
  }
  return n;
}

/** Rows already in the journal (a torn last line from a killed process is ignored). */
function readJournal(path: string): PointRow[] {
  if (!existsSync(path)) return [];
  const out: PointRow[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(decodeResult<PointRow>(line));
    } catch {
      // A line cut by a kill mid-write: that point simply runs again.
    }
  }
  return out;
}

/** Refuse an objective that is not a summary metric, before anything runs. */
export function checkObjective(o: Objective): void {
  if (!(METRIC_NAMES as readonly string[]).includes(o.metric)) throw new UserError(`--objective ${o.metric}: not a summary metric (metrics: ${METRIC_NAMES.join(', ')})`);
  if (o.direction !== 'max' && o.direction !== 'min') throw new UserError(`--objective ${o.metric}:${String(o.direction)}: the direction must be max or min`);
}

/** Run a sweep (see the module comment). */
export async function runSweep(o: SweepOptions): Promise<SweepOutcome> {
  checkObjective(o.objective);
  const loaded = await loadStrategyOnce(o.strategy);
  const fixed = o.base.params;
  const pointParams = planPoints(loaded.factory.params, o.plan, fixed);
  const specs: RunSpec[] = pointParams.map((params) => ({ ...o.base, strategy: o.strategy, params }));
  // Check every point before loading data: a bad combination names its point.
  const first = await configOf(specs[0]!, o.dataDir);
  const resolved = resolveRun(first);
  const t0 = performance.now();
  const scenarios = first.scenarios ?? [];
  const prepared: PreparedMarket = shockMarket(prepareMarket(marketRequestOf(first, resolved)), scenarios, (_l, _t, m) => o.onLog?.(m));
  const prepareMs = performance.now() - t0;
  const payloads: PointPayload[] = specs.map((run, point) => ({ point, run, dataDir: o.dataDir }));
  const ids: { configHash: string; runId: string }[] = [];
  for (const p of payloads) {
    try {
      ids.push(await identifyPoint(prepared, p));
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`sweep point ${p.point} (${JSON.stringify(p.run.params)}): ${e.message}`);
      throw e;
    }
  }
  const id = o.id ?? `${loaded.factory.name}-${o.base.symbol.replace(/[/:]/g, '-')}-${createHash('sha256').update(ids.map((x) => x.configHash).join(',')).digest('hex').slice(0, 10)}`;
  if (!/^[A-Za-z0-9._+-]+$/.test(id)) throw new UserError(`--id "${id}": use letters, digits and . _ + - only`);
  const dir = join(o.outRoot, id);
  mkdirDurable(dir);
  const journal = join(dir, 'rows.jsonl');
  // Resume: rows whose config hash is a point of this sweep are done.
  const byHash = new Map<string, PointRow>();
  for (const r of readJournal(journal)) byHash.set(r.configHash, r);
  const rows: (PointRow | undefined)[] = ids.map((x, i) => {
    const r = byHash.get(x.configHash);
    return r && { ...r, point: i };
  });
  const todo = payloads.filter((_, i) => !rows[i]);
  const skipped = payloads.length - todo.length;
  o.onProgress?.(skipped, payloads.length, skipped);
  const tRun0 = performance.now();
  const cpu0 = process.cpuUsage();
  if (todo.length > 0) {
    const dispatcher = await makeDispatcher(o, prepared, scenarios);
    let done = skipped;
    try {
      await Promise.all(
        todo.map(async (p) => {
          const row = await dispatcher.run(p);
          if (row.configHash !== ids[p.point]!.configHash) throw new Error(`internal: point ${p.point} ran as config ${row.configHash}, expected ${ids[p.point]!.configHash}`);
          rows[p.point] = row;
          appendFileSync(journal, encodeResult(row) + '\n');
          o.onProgress?.(++done, payloads.length, skipped);
        }),
      );
    } finally {
      await dispatcher.close();
    }
  }
  const runMs = performance.now() - tRun0;
  const cpu1 = process.cpuUsage(cpu0);
  const runCpuMs = (cpu1.user + cpu1.system) / 1000;
  const tWrite0 = performance.now();
  const all = rows as PointRow[];
  const ranked = rankRows(all, o.objective);
  const best = ranked[0];
  const odds = overfitting(all, best, o.pboGroups);
  writeFileAtomic(journal, all.map((r) => encodeResult(r)).join('\n') + '\n');
  writeResults(join(dir, 'results.csv'), join(dir, 'results.arrow'), all, { 'perpcarry.sweep': id, 'perpcarry.objective': `${o.objective.metric}:${o.objective.direction}` });
  const kept = await writeKeptRuns(dir, ranked.slice(0, Math.max(0, o.keepTop)), specs, prepared, o.dataDir);
  const sweepJson = {
    formatVersion: 1,
    perpcarryVersion: perpcarryVersion(),
    id,
    strategy: { name: loaded.factory.name, source: loaded.source },
    base: { ...o.base, fromIso: isoUtc(o.base.fromMs), toIso: isoUtc(o.base.toMs) },
    plan: {
      axes: o.plan.axes(loaded.factory.params),
      random: o.plan.random ?? null,
      constraints: o.plan.constraints ?? [],
    },
    objective: o.objective,
    keepTop: o.keepTop,
    points: all.length,
    market: { key: prepared.key, data: prepared.market.files.map((f) => ({ ...f, path: relative(o.dataDir, f.path) })), scenarios: prepared.shocked },
    best: best ? { point: best.point, runId: best.runId, configHash: best.configHash, params: best.params, objective: (best.metrics as unknown as Record<string, number>)[o.objective.metric] } : null,
    overfitting: odds,
    keptRuns: kept,
  };
  writeFileAtomic(join(dir, 'sweep.json'), JSON.stringify(sweepJson, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  writeSweepHtml(join(dir, 'sweep.html'), { id, strategy: loaded.factory.name, objective: o.objective, rows: all, ranked, overfitting: odds, kept, base: sweepJson.base });
  const writeMs = performance.now() - tWrite0;
  return {
    dir,
    id,
    points: all.length,
    skipped,
    ran: todo.length,
    best,
    overfitting: odds,
    timing: { prepareMs, runMs, writeMs, pointsPerSec: todo.length > 0 ? todo.length / (runMs / 1000) : NaN, bytesWritten: bytesOf(dir), runCpuMs },
  };
}

async function makeDispatcher(o: SweepOptions, prepared: PreparedMarket, scenarios: readonly Scenario[]): Promise<Dispatcher<PointPayload, PointRow>> {
  if (o.queue) return queueDispatcher<PointPayload, PointRow>({ url: o.queue, task: SWEEP_TASK, market: marketSpecOf(prepared, o.dataDir, scenarios), batch: o.batch ?? 1, onLog: o.onLog });
  if (o.jobs <= 1) return inProcessDispatcher(prepared, SWEEP_TASK_MODULE);
  return poolDispatcher(prepared, SWEEP_TASK_MODULE, o.jobs);
}

/** Re-run the best points and write their full run directories under runs/ (others removed). */
async function writeKeptRuns(dir: string, best: readonly PointRow[], specs: readonly RunSpec[], prepared: PreparedMarket, dataDir: string): Promise<string[]> {
  const runsDir = join(dir, 'runs');
  const keep = new Set(best.map((r) => r.runId));
  if (existsSync(runsDir)) for (const e of readdirSync(runsDir)) if (!keep.has(e)) rmSync(join(runsDir, e), { recursive: true, force: true });
  if (best.length === 0) return [];
  mkdirSync(runsDir, { recursive: true });
  for (const r of best) {
    const result = runPrepared(prepareOn(prepared, await configOf(specs[r.point]!, dataDir)));
    // No wall-clock values: a rerun of the sweep writes the same bytes.
    writeRunDir(result, join(runsDir, r.runId), {
      runId: r.runId,
      createdAt: 'not recorded (kept run of a sweep, re-run deterministically)',
      timing: { loadMs: 0, loopMs: 0, totalMs: 0, events: result.events, eventsPerSec: 0 },
    });
  }
  return best.map((r) => r.runId);
}
