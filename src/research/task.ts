/**
 * The unit of work of the pool and the queue: a job = (prepared-market key, payload) → result,
 * computed by a task function that a task module exports. Generic: a sweep point (payload: a run
 * spec, result: its row), a Monte Carlo path (payload: config + path index), a stress scenario.
 *
 * A task module is an ES module (a file URL) exporting `runTask(prepared, payload)`; it must be
 * importable by a worker thread or process on its own (compiled JS), and its result must be
 * structured-cloneable (thread pool) and JSON-encodable with {@link encodeResult} (queue).
 */
import type { PreparedMarket } from '../engine/backtest.js';

/** A task function: one run (or any work) on a prepared market. */
export type TaskFn<P, R> = (prepared: PreparedMarket, payload: P) => R | Promise<R>;

/** A task module's shape. */
export interface TaskModule<P = unknown, R = unknown> {
  runTask: TaskFn<P, R>;
}

const cache = new Map<string, Promise<TaskModule>>();

/** Import a task module once per process (file URL or path of a JS module). */
export function loadTaskModule<P, R>(url: string): Promise<TaskModule<P, R>> {
  let m = cache.get(url);
  if (!m) {
    m = import(url).then((mod: Partial<TaskModule>) => {
      if (typeof mod.runTask !== 'function') throw new Error(`task module ${url} exports no runTask(prepared, payload)`);
      return mod as TaskModule;
    });
    cache.set(url, m);
  }
  return m as Promise<TaskModule<P, R>>;
}

/**
 * JSON text of a result that keeps NaN and ±Infinity (as {"$num": "NaN"}): metrics such as a
 * Sortino without losing days are not finite, and a queue result must decode to the same values.
 */
export function encodeResult(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { $num: String(v) } : v));
}

/** Inverse of {@link encodeResult}; the caller states what it decoded (`as`). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the decoded type is the caller's claim, as with JSON.parse
export function decodeResult<R>(text: string): R {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === '$num' && typeof o['$num'] === 'string') return Number(o['$num']);
    }
    return v;
  }) as R;
}
