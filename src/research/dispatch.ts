/**
 * Where tasks run: in this thread, on a local worker-thread pool, or on a BullMQ queue served by
 * `perpcarry worker` processes (src/research/queue.ts). All three take the same payloads and give
 * the same results; a sweep (or a Monte Carlo batch) only picks one.
 */
import type { PreparedMarket } from '../engine/backtest.js';
import { RunPool } from './pool.js';
import { shareMarket, type SharedMarket } from './shared-market.js';
import { loadTaskModule } from './task.js';

/** Runs tasks (payload → result) on one prepared market. */
export interface Dispatcher<P, R> {
  /** How many tasks it runs at once (the caller may submit more; they queue). */
  readonly parallel: number;
  run(payload: P): Promise<R>;
  close(): Promise<void>;
}

/** Tasks run one after another in this thread (no copy, no thread start-up). */
export function inProcessDispatcher<P, R>(prepared: PreparedMarket, taskModule: string): Dispatcher<P, R> {
  let chain: Promise<unknown> = Promise.resolve();
  return {
    parallel: 1,
    run(payload) {
      const next = chain.then(async () => {
        const mod = await loadTaskModule<P, R>(taskModule);
        // Yield between tasks so progress output and signals get a turn.
        await new Promise((r) => setImmediate(r));
        return mod.runTask(prepared, payload);
      });
      chain = next.catch(() => undefined);
      return next;
    },
    close: () => Promise.resolve(),
  };
}

/** Tasks run on `threads` worker threads sharing the market's columns (SharedArrayBuffer). */
export function poolDispatcher<P, R>(prepared: PreparedMarket | SharedMarket, taskModule: string, threads: number): Dispatcher<P, R> {
  const shared = 'loadMs' in prepared ? shareMarket(prepared) : prepared;
  const pool = new RunPool<P, R>({ threads, taskModule });
  return { parallel: threads, run: (payload) => pool.run(shared, payload), close: () => pool.close() };
}
