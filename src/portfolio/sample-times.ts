/**
 * The times of a run's equity samples, run-length encoded: runs of evenly spaced times (the bar
 * grid) as (first row, first time, step). A 1m year is one run; each gap in the data starts a new
 * one. The replay appends a time per sample without touching fresh memory (the column of a 1m year
 * is 4.2 MB, and first-touch page faults cost ~3 ms per MB on the VMs this was measured on); the
 * column is built once, when a reader asks for it after the run.
 */
import type { UnixMs } from '../core/time.js';

/** Initial capacity of the run arrays (grown by doubling). */
const INITIAL_RUNS = 16;

/** Sample times as runs of evenly spaced times; see the module doc. */
export class SampleTimes {
  /** Time of the last row pushed (NaN before the first). */
  last = NaN;
  private runs = 0;
  private firstRow = new Int32Array(INITIAL_RUNS);
  private firstTs = new Float64Array(INITIAL_RUNS);
  /** Step of each run, ms (NaN while the run has one row). */
  private step = new Float64Array(INITIAL_RUNS);
  private cache: Float64Array | null = null;

  /**
   * Append row `row` at time `ts` (rows are pushed in order 0, 1, 2, …). A time extends the last
   * run only when it equals that run's first time + rows × step exactly, so {@link column}
   * rebuilds every time bit for bit.
   */
  push(row: number, ts: UnixMs): void {
    this.last = ts;
    this.cache = null;
    const k = this.runs - 1;
    if (k >= 0) {
      const m = row - this.firstRow[k]!;
      const step = this.step[k]!;
      if (m === 1 && Number.isNaN(step)) {
        const d = ts - this.firstTs[k]!;
        // The step must rebuild this row exactly (a tiny fractional step may not).
        if (this.firstTs[k]! + d === ts) {
          this.step[k] = d;
          return;
        }
      } else if (this.firstTs[k]! + m * step === ts) return;
    }
    this.startRun(row, ts);
  }

  /**
   * Append rows `row`, `row` + 1, … at the distinct times `times[r] + offsetMs` for r in
   * [from, to) (non-decreasing; equal times are one row). Same runs as pushing them one by one.
   * Returns the number of rows appended.
   */
  pushTimes(row: number, times: Float64Array, from: number, to: number, offsetMs: number): number {
    let n = row;
    for (let r = from; r < to; r++) {
      const t = times[r]! + offsetMs;
      // A repeated time is the same instant (one sample).
      if (n > row && t === this.last) continue;
      this.push(n++, t);
    }
    return n - row;
  }

  /** Replace the time of the last row, `row` (a resample after the last instant). */
  replaceLast(row: number, ts: UnixMs): void {
    const k = this.runs - 1;
    if (k < 0 || this.firstRow[k]! > row) throw new Error(`SampleTimes.replaceLast: no row ${row}`);
    const m = row - this.firstRow[k]!;
    if (m === 0) this.runs--;
    else if (m === 1) this.step[k] = NaN;
    this.push(row, ts);
  }

  /** The times of rows [0, length) as a column; cached until the next push. */
  column(length: number): Float64Array {
    if (this.cache?.length === length) return this.cache;
    const out = new Float64Array(length);
    for (let k = 0; k < this.runs; k++) {
      const r0 = this.firstRow[k]!;
      const r1 = Math.min(length, k + 1 < this.runs ? this.firstRow[k + 1]! : length);
      const t0 = this.firstTs[k]!;
      const step = this.step[k]!;
      if (r0 < r1) out[r0] = t0;
      for (let r = r0 + 1; r < r1; r++) out[r] = t0 + (r - r0) * step;
    }
    this.cache = out;
    return out;
  }

  /** Number of runs (a regular grid without gaps is one). */
  get runCount(): number {
    return this.runs;
  }

  private startRun(row: number, ts: UnixMs): void {
    if (this.runs === this.firstRow.length) this.grow();
    const k = this.runs++;
    this.firstRow[k] = row;
    this.firstTs[k] = ts;
    this.step[k] = NaN;
  }

  private grow(): void {
    const n = this.firstRow.length * 2;
    const firstRow = new Int32Array(n);
    const firstTs = new Float64Array(n);
    const step = new Float64Array(n);
    firstRow.set(this.firstRow);
    firstTs.set(this.firstTs);
    step.set(this.step);
    this.firstRow = firstRow;
    this.firstTs = firstTs;
    this.step = step;
  }
}
