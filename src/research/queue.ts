/**
 * Scale-out on BullMQ + Redis. A producer (a sweep run with `--queue redis://host:port`) enqueues
 * one job per task (or batch of tasks) on the queue `perpcarry-tasks`; `perpcarry worker` processes
 * on any machine with the data take them, prepare each distinct market once (cached by its key),
 * check that their data files' sha256 equal the producer's (a mismatch fails the job, never a wrong
 * result), run the task on a local thread pool and return the results. A worker killed mid-job
 * loses its lock; BullMQ's stalled-job check (`stalledInterval`) puts the job back on the queue for
 * another worker, so the producer still gets every result.
 *
 * Job data: {@link QueueJobData}; the result is {@link encodeResult} text of the task results.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { relative } from 'node:path';
import { Queue, QueueEvents, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { UserError } from '../core/errors.js';
import { prepareMarket, shockMarket, type MarketRequest, type PreparedMarket } from '../engine/backtest.js';
import { resolveScenario } from '../scenario/bundled.js';
import { scenarioSha256 } from '../scenario/hash.js';
import { parseScenario } from '../scenario/parse.js';
import type { Scenario } from '../scenario/types.js';
import { poolDispatcher, type Dispatcher } from './dispatch.js';
import { shareMarket } from './shared-market.js';
import { decodeResult, encodeResult } from './task.js';

/** Default queue name. */
export const QUEUE_NAME = 'perpcarry-tasks';

/** A data file a market was prepared from, as a worker must find it. */
export interface MarketFile {
  /** Path relative to the data directory. */
  path: string;
  sha256: string;
  rows: number;
  venue: string;
  symbol: string;
  kind: string;
  timeframe: string | null;
}

/** A scenario a market is shocked with, as a worker must find (bundled) or rebuild (file) it. */
export interface MarketScenario {
  name: string;
  /** `bundled:<name>` (the worker uses its own bundled copy) or the producer's file path (the document travels). */
  source: string;
  /** {@link scenarioSha256} of the document. */
  sha256: string;
  doc: unknown;
}

/** A prepared market described for another machine: the request (no data dir), its data and scenarios. */
export interface MarketSpec {
  key: string;
  request: Omit<MarketRequest, 'dataDir'>;
  files: MarketFile[];
  /** Scenarios whose market shocks the market carries, in order (empty: as loaded). */
  scenarios: MarketScenario[];
}

/** One queue job. */
export interface QueueJobData {
  /** Task name: the worker maps it to a task module it knows (never a path from the queue). */
  task: string;
  market: MarketSpec;
  /** {@link encodeResult} text of the payloads. */
  payloads: string;
}

/** Parse `redis://host:port[/db]` into BullMQ connection options; a clear error otherwise. */
export function parseRedisUrl(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--queue ${url}: not a URL; expected redis://host:port`);
  }
  if (u.protocol !== 'redis:') throw new UserError(`--queue ${url}: expected redis://host:port`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db)) throw new UserError(`--queue ${url}: the database must be a number`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    // BullMQ's blocking commands need this; fail fast when Redis is not there.
    maxRetriesPerRequest: null,
  };
}

/**
 * The {@link MarketSpec} of a prepared market (file paths relative to its data directory);
 * `scenarios` are those it was shocked with ({@link shockMarket}), in order.
 */
export function marketSpecOf(p: PreparedMarket, dataDir: string, scenarios: readonly Scenario[] = []): MarketSpec {
  const m = p.market;
  const sc = scenarios.map((x) => ({ name: x.name, source: x.source, sha256: scenarioSha256(x), doc: x.doc }));
  if (sc.map((x) => x.sha256).join(',') !== p.shocked.map((r) => r.sha256).join(',')) throw new Error('marketSpecOf: the scenarios are not those the market was shocked with');
  return {
    key: p.key,
    request: {
      instruments: m.instruments.map((i) => ({ venue: i.venue, symbol: i.symbol })),
      timeframe: m.timeframe,
      fromMs: m.fromMs,
      toMs: m.toMs,
      fundingHistoryDays: p.fundingHistoryDays,
    },
    files: m.files.map((f) => ({ path: relative(dataDir, f.path), sha256: f.sha256, rows: f.rows, venue: f.venue, symbol: f.symbol, kind: f.kind, timeframe: f.timeframe })),
    scenarios: sc,
  };
}

/**
 * The scenario a worker applies for `want`: its own bundled copy for `bundled:<name>`, else the
 * document sent. Either must hash to the producer's sha256; a difference is pushed to `problems`.
 */
function workerScenario(want: MarketScenario, problems: string[]): Scenario | null {
  let have: Scenario;
  try {
    have = want.source.startsWith('bundled:') ? resolveScenario(want.source.slice('bundled:'.length)) : { ...parseScenario(want.source, want.doc), source: want.source };
  } catch (e) {
    problems.push(`scenario ${want.name} (${want.source}): ${(e as Error).message}`);
    return null;
  }
  const sha = scenarioSha256(have);
  if (sha !== want.sha256) problems.push(`scenario ${want.name} (${want.source}): sha256 ${sha} here, ${want.sha256} in the sweep`);
  return have;
}

/**
 * Prepare a {@link MarketSpec} from this machine's data directory and check it is the same data:
 * every file's sha256 and row count, then the market key. Throws UserError naming each difference.
 */
export function prepareSpec(spec: MarketSpec, dataDir: string): PreparedMarket {
  const p = prepareMarket({ ...spec.request, dataDir });
  const here = marketSpecOf(p, dataDir);
  const problems: string[] = [];
  const id = (f: MarketFile): string => `${f.venue} ${f.symbol} ${f.kind}${f.timeframe ? ` ${f.timeframe}` : ''}`;
  for (const want of spec.files) {
    const have = here.files.find((f) => id(f) === id(want));
    if (!have) problems.push(`${want.path}: missing here (the sweep used sha256 ${want.sha256})`);
    else if (have.sha256 !== want.sha256 || have.rows !== want.rows) {
      problems.push(`${have.path}: sha256 ${have.sha256} (${have.rows} rows) here, ${want.sha256} (${want.rows} rows) in the sweep`);
    }
  }
  for (const have of here.files) if (!spec.files.some((w) => id(w) === id(have))) problems.push(`${have.path}: used here but not by the sweep`);
  if (problems.length > 0) throw new UserError(`the data in ${dataDir} differs from the sweep's:\n  ${problems.join('\n  ')}`);
  const scenarios = spec.scenarios.map((x) => workerScenario(x, problems));
  if (problems.length > 0) throw new UserError(`the scenarios here differ from the sweep's (refusing the job rather than running other shocks):\n  ${problems.join('\n  ')}`);
  const shocked = shockMarket(p, scenarios.filter((x): x is Scenario => x !== null));
  if (shocked.key !== spec.key) throw new UserError(`the data in ${dataDir} differs from the sweep's: market key ${shocked.key} here, ${spec.key} in the sweep`);
  return shocked;
}

/** Options of {@link queueDispatcher}. */
export interface QueueDispatchOptions {
  url: string;
  queueName?: string;
  task: string;
  market: MarketSpec;
  /** Payloads per job. Default 1. */
  batch?: number;
  onLog?: (message: string) => void;
}

/**
 * A {@link Dispatcher} that enqueues tasks on BullMQ and resolves each with the result a worker
 * returned. Payloads submitted in the same tick are grouped into jobs of `batch`.
 */
export async function queueDispatcher<P, R>(o: QueueDispatchOptions): Promise<Dispatcher<P, R>> {
  const connection = parseRedisUrl(o.url);
  const name = o.queueName ?? QUEUE_NAME;
  const queue = new Queue<QueueJobData, string>(name, { connection });
  const events = new QueueEvents(name, { connection });
  events.setMaxListeners(0);
  try {
    await Promise.race([
      Promise.all([queue.waitUntilReady(), events.waitUntilReady()]),
      new Promise((_, rej) => setTimeout(() => rej(new Error('no answer in 10 s')), 10_000).unref()),
    ]);
  } catch (e) {
    await Promise.allSettled([queue.close(), events.close()]);
    throw new UserError(`--queue ${o.url}: cannot reach Redis (${(e as Error).message})`);
  }
  const batch = Math.max(1, Math.floor(o.batch ?? 1));
  // Unique per producer run: a rerun never collides with old jobs kept for inspection.
  const nonce = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  let seq = 0;
  let pending: { payload: P; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const all = pending;
    pending = [];
    for (let i = 0; i < all.length; i += batch) {
      const group = all.slice(i, i + batch);
      const jobId = `${nonce}-${seq++}`;
      const data: QueueJobData = { task: o.task, market: o.market, payloads: encodeResult(group.map((g) => g.payload)) };
      void (async () => {
        try {
          const job = await queue.add(o.task, data, { jobId, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 86_400 } });
          const text = await job.waitUntilFinished(events);
          const results = decodeResult<R[]>(text);
          if (!Array.isArray(results) || results.length !== group.length) throw new Error(`job ${jobId}: ${Array.isArray(results) ? results.length : 'no'} results for ${group.length} tasks`);
          group.forEach((g, k) => g.resolve(results[k]!));
        } catch (e) {
          const msg = (e as Error).message;
          const err = new UserError(`queue job ${jobId} (${o.task}) failed on a worker: ${msg}`);
          group.forEach((g) => g.reject(err));
        }
      })();
    }
  };
  return {
    parallel: Infinity,
    run(payload) {
      return new Promise<R>((resolve, reject) => {
        pending.push({ payload, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    async close() {
      await Promise.allSettled([events.close(), queue.close()]);
    },
  };
}

/** Options of {@link serveQueue}. */
export interface ServeOptions {
  url: string;
  queueName?: string;
  dataDir: string;
  /** Worker threads = jobs processed at once. */
  threads: number;
  /** Task name → task module file URL: the only modules a job can make this worker run. */
  tasks: Readonly<Record<string, string>>;
  /** Lock duration, ms: a job whose worker stops renewing its lock this long is stalled and retried elsewhere. Default 30000. */
  lockMs?: number;
  onLog?: (message: string) => void;
}

/** A running queue worker. */
export interface QueueWorker {
  close(): Promise<void>;
  /** Markets prepared so far (keys). */
  markets(): string[];
}

/** Serve tasks from the queue until closed (see the module comment). */
export async function serveQueue(o: ServeOptions): Promise<QueueWorker> {
  const connection = parseRedisUrl(o.url);
  const me = `${hostname()} pid ${process.pid}`;
  const lockMs = o.lockMs ?? 30_000;
  const dispatchers = new Map<string, Promise<Dispatcher<unknown, unknown>>>();
  const marketOf = (spec: MarketSpec, module: string): Promise<Dispatcher<unknown, unknown>> => {
    const k = `${spec.key}|${module}`;
    let d = dispatchers.get(k);
    if (!d) {
      d = new Promise<Dispatcher<unknown, unknown>>((resolve) => {
        const t0 = performance.now();
        const p = prepareSpec(spec, o.dataDir);
        o.onLog?.(`prepared market ${spec.key.slice(0, 12)} (${spec.request.instruments.map((i) => `${i.venue} ${i.symbol}`).join(', ')} ${spec.request.timeframe}) in ${(performance.now() - t0).toFixed(0)} ms`);
        resolve(poolDispatcher<unknown, unknown>(shareMarket(p), module, o.threads));
      });
      dispatchers.set(k, d);
      d.catch(() => dispatchers.delete(k));
    }
    return d;
  };
  const worker = new Worker<QueueJobData, string>(
    o.queueName ?? QUEUE_NAME,
    async (job: Job<QueueJobData, string>) => {
      const { task, market, payloads } = job.data;
      const module = o.tasks[task];
      if (!module) throw new UnrecoverableError(`worker ${me}: unknown task "${task}" (known: ${Object.keys(o.tasks).join(', ')})`);
      o.onLog?.(`job ${job.id} started (${task})`);
      let d: Dispatcher<unknown, unknown>;
      try {
        d = await marketOf(market, module);
      } catch (e) {
        // Wrong or missing data is not cured by a retry on this worker: fail the job with the reason.
        throw new UnrecoverableError(`worker ${me}: ${(e as Error).message}`);
      }
      const results = await Promise.all(decodeResult<unknown[]>(payloads).map((p) => d.run(p)));
      o.onLog?.(`job ${job.id} done`);
      return encodeResult(results);
    },
    { connection, concurrency: o.threads, lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: 5 },
  );
  worker.on('error', (e) => o.onLog?.(`worker error: ${e.message}`));
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      for (const d of dispatchers.values()) await (await d.catch(() => null))?.close();
    },
    markets: () => [...dispatchers.keys()].map((k) => k.split('|')[0]!),
  };
}
