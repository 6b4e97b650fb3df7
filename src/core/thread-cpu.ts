/**
 * CPU time of the calling thread (Linux: /proc/thread-self/schedstat, time on CPU in ns), ms; NaN
 * where that file does not exist. `process.cpuUsage()` counts every thread of the process — the
 * JIT compiler threads, GC helpers and background writers too — so on a busy machine it cannot
 * tell the replay loop's own cost from theirs; this can.
 */
import { readFileSync } from 'node:fs';

export function threadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}
