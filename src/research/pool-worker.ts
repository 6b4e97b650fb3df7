/**
 * Worker-thread side of {@link RunPool}: keeps the prepared markets it has been handed (by key,
 * shared memory, no copy) and runs the task module's `runTask` on them.
 */
import type { PreparedMarket } from '../engine/backtest.js';
import { openShared, type SharedMarket } from './shared-market.js';
import { loadTaskModule } from './task.js';

/** What the pool sends per task. */
export interface PoolTask {
  market: SharedMarket;
  taskModule: string;
  payload: unknown;
}

const markets = new Map<string, PreparedMarket>();

/** Tinypool entry point. */
export default async function run(task: PoolTask): Promise<unknown> {
  let prepared = markets.get(task.market.key);
  if (!prepared) {
    prepared = openShared(task.market);
    markets.set(task.market.key, prepared);
  }
  const mod = await loadTaskModule(task.taskModule);
  return mod.runTask(prepared, task.payload);
}
