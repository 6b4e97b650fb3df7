/**
 * Strategy timers: a queue ordered by due time, then by the order they were set.
 */
import type { UnixMs } from '../core/time.js';

/** One pending timer. */
export interface Timer {
  readonly at: UnixMs;
  readonly seq: number;
  readonly tag: string;
}

/** Due-time ordered queue of timers (few at a time: insertion by a scan from the back). */
export class TimerQueue {
  readonly #queue: Timer[] = [];
  #seq = 0;

  get size(): number {
    return this.#queue.length;
  }

  /** Due time of the next timer (Infinity when none). */
  nextAt(): UnixMs {
    return this.#queue.length > 0 ? this.#queue[0]!.at : Infinity;
  }

  /** Add a timer; ties keep the order they were set in. */
  add(at: UnixMs, tag: string): void {
    const tm: Timer = { at, seq: this.#seq++, tag };
    const q = this.#queue;
    let p = q.length;
    while (p > 0 && q[p - 1]!.at > at) p--;
    q.splice(p, 0, tm);
  }

  /** Remove and return the next timer. */
  pop(): Timer {
    const tm = this.#queue.shift();
    if (!tm) throw new Error('TimerQueue.pop on an empty queue');
    return tm;
  }
}
