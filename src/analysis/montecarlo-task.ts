/**
 * One Monte Carlo path as a task of the sweep's dispatchers (src/research/dispatch.ts): the same
 * `runTask` runs in this process, in a tinypool thread and in a `perpcarry worker` process. The
 * payload names the run (a {@link RunSpec}), the Monte Carlo options and the path index; the
 * worker rebuilds path p itself from the prepared market it shares ((seed, p) fix every draw), so
 * no path data travels, and reduces it to its statistics right away.
 */
import { canonicalJson } from '../core/canonical-json.js';
import { prepareOn, type PreparedBacktest, type PreparedMarket } from '../engine/backtest.js';
import { runMonteCarloPath, type MonteCarloOptions } from '../research/montecarlo.js';
import { configOf, type RunSpec } from '../research/run-spec.js';
import { pathStats, type PathStats } from './montecarlo.js';

/** Task name a queue worker maps to this module. */
export const MC_TASK = 'montecarlo-path';
/** This module's URL (the pool and the worker import it by URL). */
export const MC_TASK_MODULE = new URL('./montecarlo-task.js', import.meta.url).href;

/** Payload of one path. */
export interface PathPayload {
  run: RunSpec;
  /** Recorded in the config only; the market is already prepared. */
  dataDir: string;
  options: MonteCarloOptions;
  /** Path index p ≥ 0: the path is drawn from `seedrandom("<seed>:<p>")`. */
  path: number;
  /** Fan chart times (UnixMs), taken from the real path's samples. */
  fanTs: number[];
}

/** {@link PathStats} as plain data (structured clone and JSON keep it exactly). */
export type PathRow = Omit<PathStats, 'fan'> & { fan: number[] };

/** Back to {@link PathStats}. */
export function pathStatsOf(row: PathRow): PathStats {
  return { ...row, fan: Float64Array.from(row.fan) };
}

/** Prepared backtests of this thread, by market key and run spec (a batch reuses one). */
const preps = new Map<string, Promise<PreparedBacktest>>();

function preparedRun(prepared: PreparedMarket, payload: PathPayload): Promise<PreparedBacktest> {
  const key = `${prepared.key}|${canonicalJson(payload.run)}`;
  let p = preps.get(key);
  if (!p) {
    // One Monte Carlo run at a time per thread in practice; keep the cache from growing without bound.
    if (preps.size >= 8) preps.clear();
    p = configOf(payload.run, payload.dataDir).then((config) => prepareOn(prepared, config));
    preps.set(key, p);
    p.catch(() => preps.delete(key));
  }
  return p;
}

/** Build path `payload.path`, run it and reduce it (the task function). */
export async function runTask(prepared: PreparedMarket, payload: PathPayload): Promise<PathRow> {
  const prep = await preparedRun(prepared, payload);
  const stats = pathStats(runMonteCarloPath(prep, payload.options, payload.path), Float64Array.from(payload.fanTs));
  return { ...stats, fan: Array.from(stats.fan) };
}
