/**
 * A Monte Carlo run on the sweep's dispatchers: prepare the market once (scenario shocks applied
 * once), run the real path here (its warnings and sample times are the reference), then paths
 * 0 … N−1 as tasks: in this process, on `jobs` worker threads sharing the market, or on a BullMQ
 * queue served by `perpcarry worker`s. Results are placed by path index, so the outputs do not
 * depend on where or in which order paths ran.
 */
import { marketRequestOf, prepareMarket, prepareOn, resolveRun, shockMarket, type BacktestConfig, type PreparedBacktest, type PreparedMarket } from '../engine/backtest.js';
import { inProcessDispatcher, poolDispatcher, type Dispatcher } from '../research/dispatch.js';
import { checkMonteCarloOptions, runRealPath, type MonteCarloOptions } from '../research/montecarlo.js';
import { marketSpecOf, queueDispatcher } from '../research/queue.js';
import { runSpecOf } from '../research/run-spec.js';
import type { Scenario } from '../scenario/types.js';
import { fanTimes, pathStats, type PathStats } from './montecarlo.js';
import { MC_TASK, MC_TASK_MODULE, pathStatsOf, type PathPayload, type PathRow } from './montecarlo-task.js';

/** Where the paths run. */
export interface MonteCarloDispatch {
  /** Local worker threads (1: in this process). */
  jobs: number;
  /** `redis://host:port`: enqueue the paths on BullMQ for `perpcarry worker`s instead. */
  queue?: string;
  /** Paths per queue job (default 1). */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
  onLog?: (message: string) => void;
}

/** What {@link runMonteCarloPaths} returns. */
export interface MonteCarloOutcome {
  prep: PreparedBacktest;
  real: PathStats;
  /** Fan chart times (UnixMs). */
  fanTs: Float64Array;
  /** Paths 0 … N−1 in index order. */
  paths: PathStats[];
}

async function dispatcherOf(how: MonteCarloDispatch, market: PreparedMarket, dataDir: string, scenarios: readonly Scenario[]): Promise<Dispatcher<PathPayload, PathRow>> {
  if (how.queue) return queueDispatcher<PathPayload, PathRow>({ url: how.queue, task: MC_TASK, market: marketSpecOf(market, dataDir, scenarios), batch: how.batch ?? 1, onLog: how.onLog });
  if (how.jobs <= 1) return inProcessDispatcher(market, MC_TASK_MODULE);
  return poolDispatcher(market, MC_TASK_MODULE, how.jobs);
}

/** Run `count` tasks with at most `limit` in flight (memory stays bounded for a million paths). */
async function runBounded(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < count) {
      try {
        await task(next++);
      } catch (e) {
        failed = true; // the other lanes stop taking paths
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, lane));
}

/** See the module comment. Options are checked before any data is read. */
export async function runMonteCarloPaths(config: BacktestConfig, opts: MonteCarloOptions, how: MonteCarloDispatch): Promise<MonteCarloOutcome> {
  checkMonteCarloOptions(opts);
  const run = resolveRun(config);
  const scenarios = config.scenarios ?? [];
  const market = shockMarket(prepareMarket(marketRequestOf(config, run)), scenarios, config.onLog);
  const prep = prepareOn(market, config, run);
  const realPath = runRealPath(prep);
  const fanTs = fanTimes(realPath.ts, opts.fanPoints);
  const real = pathStats(realPath, fanTs);
  const spec = runSpecOf(config);
  const fan = Array.from(fanTs);
  const paths = new Array<PathStats>(opts.paths);
  const d = await dispatcherOf(how, market, config.dataDir, scenarios);
  // Enough in flight to keep every thread (or queue job batch) busy.
  const inFlight = Number.isFinite(d.parallel) ? 2 * d.parallel : Math.max(64, 8 * (how.batch ?? 1));
  let done = 0;
  try {
    await runBounded(opts.paths, inFlight, async (p) => {
      paths[p] = pathStatsOf(await d.run({ run: spec, dataDir: config.dataDir, options: opts, path: p, fanTs: fan }));
      how.onProgress?.(++done, opts.paths);
    });
  } finally {
    await d.close();
  }
  return { prep, real, fanTs, paths };
}
