/**
 * A local pool of worker threads (tinypool) that runs tasks on shared prepared markets. Each
 * thread receives the market's shared columns with every task (a handle, not a copy) and keeps the
 * prepared market by key, so a task costs its own run only.
 *
 * ```ts
 * const pool = new RunPool({ threads: 2, taskModule: new URL('./my-task.js', import.meta.url).href });
 * const market = shareMarket(prepareMarket(req));
 * const rows = await Promise.all(payloads.map((p) => pool.run(market, p)));
 * await pool.close();
 * ```
 */
import Tinypool from 'tinypool';
import type { SharedMarket } from './shared-market.js';
import type { PoolTask } from './pool-worker.js';

/** Options of {@link RunPool}. */
export interface RunPoolOptions {
  /** Worker threads (≥ 1). */
  threads: number;
  /** File URL of the task module (see src/research/task.ts). */
  taskModule: string;
}

/** See the module comment. */
export class RunPool<P, R> {
  readonly #pool: Tinypool;
  readonly #taskModule: string;

  constructor(opts: RunPoolOptions) {
    if (!(Number.isInteger(opts.threads) && opts.threads >= 1)) throw new Error(`RunPool: threads must be a positive integer (got ${opts.threads})`);
    this.#taskModule = opts.taskModule;
    this.#pool = new Tinypool({
      filename: new URL('./pool-worker.js', import.meta.url).href,
      minThreads: opts.threads,
      maxThreads: opts.threads,
      // Threads live for the whole pool: their cached markets and loaded modules are the point.
      idleTimeout: 0,
      isolateWorkers: false,
    });
  }

  /** Run one task on `market` in some thread. */
  run(market: SharedMarket, payload: P): Promise<R> {
    const task: PoolTask = { market, taskModule: this.#taskModule, payload };
    return this.#pool.run(task) as Promise<R>;
  }

  /** Stop the threads. */
  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}
