/**
 * Walk-forward windows: consecutive (train, test) spans over a range, the test span right after
 * its training span, the pair moved forward by `step`. Only windows whose test span ends inside
 * the range are made.
 */
import { UserError } from '../core/errors.js';
import { MS_PER_DAY, type UnixMs } from '../core/time.js';

/** One walk-forward window. */
export interface WalkWindow {
  index: number;
  trainFromMs: UnixMs;
  trainToMs: UnixMs;
  testFromMs: UnixMs;
  testToMs: UnixMs;
}

/** `90d`, `12h`, `4w` → ms. */
export function parseSpan(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(h|d|w)\s*$/.exec(text);
  if (!m) throw new UserError(`${option} ${text}: expected a span such as 90d, 12h or 4w`);
  const ms = Number(m[1]) * (m[2] === 'h' ? 3_600_000 : m[2] === 'd' ? MS_PER_DAY : 7 * MS_PER_DAY);
  if (!(ms > 0)) throw new UserError(`${option} ${text}: must be positive`);
  return ms;
}

/** The windows of [fromMs, toMs) (see the module comment). */
export function walkWindows(fromMs: UnixMs, toMs: UnixMs, trainMs: number, testMs: number, stepMs: number): WalkWindow[] {
  const out: WalkWindow[] = [];
  for (let s = fromMs; s + trainMs + testMs <= toMs; s += stepMs) {
    out.push({ index: out.length, trainFromMs: s, trainToMs: s + trainMs, testFromMs: s + trainMs, testToMs: s + trainMs + testMs });
  }
  if (out.length === 0) throw new UserError(`walk-forward: train + test (${(trainMs + testMs) / MS_PER_DAY} d) do not fit in the window (${(toMs - fromMs) / MS_PER_DAY} d)`);
  return out;
}
