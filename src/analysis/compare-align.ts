/**
 * How `compare` puts runs on one time axis. `calendar` (default): every run at its own UTC
 * times, so runs over different windows sit side by side. `elapsed`: every run's time measured
 * from its own window start (`fromMs`), so a Feb 2025 and an Oct 2025 crash run overlay from
 * hour 0. Used by the overlaid charts and by the return-over-time table.
 */
import { lastAtOrBefore } from '../core/search.js';
import { MS_PER_DAY, MS_PER_HOUR, isoTime } from '../core/time.js';
import { fmtElapsed } from './display.js';

/** The time axis of a comparison. */
export type CompareAlign = 'calendar' | 'elapsed';
/** Every {@link CompareAlign}, default first. */
export const COMPARE_ALIGNS: readonly CompareAlign[] = ['calendar', 'elapsed'];

/** A run's window `[fromMs, toMs]` (UnixMs) and its equity samples. */
export interface AlignRun {
  fromMs: number;
  toMs: number;
  /** Sample times, UnixMs, increasing. */
  ts: Float64Array;
  /** Equity at each sample, quote. */
  equity: Float64Array;
  /** Equity before the first sample (the capital), quote. */
  initialEquity: number;
}

/** What is subtracted from a run's times on the shared axis, ms: 0 (calendar) or its `fromMs` (elapsed). */
export function alignOffsetMs(run: Pick<AlignRun, 'fromMs'>, align: CompareAlign): number {
  return align === 'elapsed' ? run.fromMs : 0;
}

/** The shared axis' span, ms: calendar [earliest start, latest end]; elapsed [0, longest window]. */
export function alignedSpan(runs: readonly Pick<AlignRun, 'fromMs' | 'toMs'>[], align: CompareAlign): [number, number] {
  const lo = Math.min(...runs.map((r) => r.fromMs - alignOffsetMs(r, align)));
  const hi = Math.max(...runs.map((r) => r.toMs - alignOffsetMs(r, align)));
  return [lo, hi];
}

/**
 * About `n` evenly spaced checkpoints over `[lo, hi]`, ms on the shared axis: the step is a whole
 * number of hours (of days from a day up), the first point `lo`, the last `hi`.
 */
export function checkpoints(lo: number, hi: number, n = 8): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, n);
  const unit = raw >= MS_PER_DAY ? MS_PER_DAY : MS_PER_HOUR;
  const step = Math.max(1, Math.round(raw / unit)) * unit;
  const out: number[] = [];
  for (let x = lo; x < hi; x += step) out.push(x);
  out.push(hi);
  return out;
}

/**
 * A run's equity at UnixMs `t`: the last sample at or before `t` (a sample holds until the next),
 * the initial equity inside the window before the first sample, null outside `[fromMs, toMs]`.
 */
export function equityAt(run: AlignRun, t: number): number | null {
  if (t < run.fromMs || t > run.toMs) return null;
  const found = lastAtOrBefore(run.ts, t);
  return found < 0 ? run.initialEquity : run.equity[found]!;
}

/** One row of the return-over-time table. */
export interface ProgressRow {
  /** Position on the shared axis, ms (UnixMs for calendar, ms since start for elapsed). */
  x: number;
  /** `2025-02-03T12:00Z` (calendar) or `+1d 12:00` (elapsed). */
  label: string;
  /** Per run: equity / initial − 1 at that point; null where the point is outside the run's window. */
  returns: (number | null)[];
}

/** Each run's return since its start at the checkpoints of the shared axis. */
export function progressRows(runs: readonly AlignRun[], align: CompareAlign, n = 8): ProgressRow[] {
  const [lo, hi] = alignedSpan(runs, align);
  return checkpoints(lo, hi, n).map((x) => ({
    x,
    label: align === 'elapsed' ? fmtElapsed(x) : isoTime(x),
    returns: runs.map((r) => {
      const e = equityAt(r, x + alignOffsetMs(r, align));
      return e === null ? null : e / r.initialEquity - 1;
    }),
  }));
}
