/**
 * {@link computeMetrics} over an equity curve that arrives batch by batch: a run writer streams the
 * equity columns to equity.arrow and keeps none of them whole (a year of 1m samples held `equity`
 * and `gross_exposure` in full, 8.4 MB of fresh memory, then read them five more times).
 *
 * One pass, the same figures bit for bit: each figure is the same sequence of floating-point
 * operations as its array version in metrics.ts (day closes, drawdown episodes, time in market,
 * the equity sum for turnover), only carried from batch to batch. test/analysis/metrics-stream.test.ts
 * compares the two on random curves split at random points.
 */
import { MS_PER_DAY, MS_PER_HOUR, type UnixMs } from '../core/time.js';
import { closingDay, metricsFrom, nonFiniteProblem, periodReturns, type Metrics, type MetricsInput, type NonFiniteSample } from './metrics.js';

/** The inputs of {@link computeMetrics} other than the curve; the window is required (it sizes the days). */
export type StreamedMetricsInput = Omit<MetricsInput, 'ts' | 'equity' | 'grossExposure' | 'fromMs' | 'toMs'> & { fromMs: UnixMs; toMs: UnixMs };

/** Metrics of an equity curve fed in consecutive batches ({@link add}), read at the end ({@link finish}). */
export class EquityMetricsStream {
  private readonly input: StreamedMetricsInput;
  private n = 0;
  private initialEquity = NaN;
  private lastEquity = NaN;
  private lastTs = NaN;
  private lastGross = NaN;
  private sum = 0;
  /** Day closes: the equity of each day's last sample, and whether the day has one. */
  private readonly firstDay: number;
  private readonly dayClose: Float64Array;
  private readonly dayHas: Uint8Array;
  /** Drawdown episodes as `drawdownPeriods` walks them. */
  private peak = NaN;
  private peakMs = NaN;
  private inDd = false;
  private troughEq = NaN;
  private maxDrawdown = 0;
  private maxDur = 0;
  private inMs = 0;
  private bad: NonFiniteSample | null = null;

  constructor(input: StreamedMetricsInput) {
    this.input = input;
    this.firstDay = Math.floor(input.fromMs / MS_PER_DAY);
    const lastDay = Math.max(this.firstDay, closingDay(input.toMs));
    const days = lastDay - this.firstDay + 1;
    this.dayClose = new Float64Array(days);
    this.dayHas = new Uint8Array(days);
  }

  /** Samples `[0, length)` of `ts` (increasing, after those already added), `equity` and `gross`. */
  add(ts: Float64Array, equity: Float64Array, gross: Float64Array, length: number): void {
    if (length <= 0) return;
    let k = 0;
    if (this.n === 0) {
      this.first(ts[0]!, equity[0]!, gross[0]!);
      k = 1;
    }
    // One loop (a cold process runs it once: one loop to compile, not five).
    const { firstDay, dayClose, dayHas } = this;
    const lastDay = dayClose.length - 1;
    let { peak, peakMs, inDd, troughEq, maxDrawdown, maxDur, inMs, sum } = this;
    let g = this.lastGross;
    let t = this.lastTs;
    let bad = -1;
    for (let i = k; i < length; i++) {
      const ti = ts[i]!;
      const e = equity[i]!;
      // dayRows: the day's last sample closes it.
      const d = Math.min(lastDay, Math.max(0, closingDay(ti) - firstDay));
      dayClose[d] = e;
      dayHas[d] = 1;
      // drawdownPeriods: an episode ends at the first sample back at its peak.
      if (e >= peak) {
        if (inDd) {
          const depth = troughEq / peak - 1;
          const hours = (ti - peakMs) / MS_PER_HOUR;
          if (depth < maxDrawdown) maxDrawdown = depth;
          if (hours > maxDur) maxDur = hours;
          inDd = false;
        }
        peak = e;
        peakMs = ti;
      } else if (!inDd) {
        inDd = true;
        troughEq = e;
      } else if (e < troughEq) troughEq = e;
      // timeInMarket: the previous sample's exposure held until this one.
      if (g > 0) inMs += ti - t;
      g = gross[i]!;
      t = ti;
      sum += e;
      if (bad < 0 && !Number.isFinite(e)) bad = i;
    }
    this.peak = peak;
    this.peakMs = peakMs;
    this.inDd = inDd;
    this.troughEq = troughEq;
    this.maxDrawdown = maxDrawdown;
    this.maxDur = maxDur;
    this.inMs = inMs;
    this.sum = sum;
    this.lastGross = g;
    this.lastTs = t;
    if (bad >= 0 && !this.bad) this.bad = { index: this.n + bad, value: equity[bad]!, ts: ts[bad]! };
    this.lastEquity = equity[length - 1]!;
    this.n += length;
  }

  /** The first sample: initial equity, its day, the drawdown's starting peak, exposure before it. */
  private first(t: UnixMs, e: number, g: number): void {
    const { input } = this;
    this.initialEquity = input.initialEquity ?? e;
    const d = Math.min(this.dayClose.length - 1, Math.max(0, closingDay(t) - this.firstDay));
    this.dayClose[d] = e;
    this.dayHas[d] = 1;
    // drawdownPeriods: the first sample is the peak unless the initial capital is above it.
    this.peak = e;
    this.peakMs = t;
    this.troughEq = e;
    const initialPeak = this.initialEquity;
    if (initialPeak > e) {
      this.peak = initialPeak;
      this.inDd = true;
      this.peakMs = Math.min(t, input.fromMs);
    }
    // timeInMarket: what the book held at the first sample, from the first fill on.
    if (g > 0 && input.firstFillMs !== undefined && input.firstFillMs < t) this.inMs += t - Math.max(input.fromMs, input.firstFillMs);
    this.lastGross = g;
    this.lastTs = t;
    this.sum = 0 + e;
    if (!Number.isFinite(e)) this.bad = { index: 0, value: e, ts: t };
  }

  /** Samples added so far. */
  get length(): number {
    return this.n;
  }

  /** The metrics of the samples added (same as {@link computeMetrics} over them). */
  finish(): Metrics {
    const { input, n } = this;
    const { fromMs, toMs } = input;
    let daily: Float64Array = new Float64Array(0);
    let maxDrawdown = 0;
    let maxDur = 0;
    let tim = NaN;
    if (n > 0) {
      const close = new Float64Array(this.dayClose.length);
      let prev = this.initialEquity;
      for (let d = 0; d < close.length; d++) {
        if (this.dayHas[d] === 1) prev = this.dayClose[d]!;
        close[d] = prev;
      }
      daily = periodReturns(close, this.initialEquity);
      maxDrawdown = this.maxDrawdown;
      maxDur = this.maxDur;
      if (this.inDd) {
        const endMs = Math.max(this.lastTs, toMs);
        const depth = this.troughEq / this.peak - 1;
        const hours = (endMs - this.peakMs) / MS_PER_HOUR;
        if (depth < maxDrawdown) maxDrawdown = depth;
        if (hours > maxDur) maxDur = hours;
      }
      tim = this.timeInMarket();
    }
    return metricsFrom(input, {
      initialEquity: n ? this.initialEquity : (input.initialEquity ?? NaN),
      finalEquity: n ? this.lastEquity : NaN,
      fromMs,
      toMs,
      daily,
      drawdown: { maxDrawdown, maxDrawdownDurationHours: maxDur },
      timeInMarket: tim,
      turnover: input.tradedNotional === undefined ? NaN : n > 0 && this.sum / n > 0 ? input.tradedNotional / (this.sum / n) : NaN,
    });
  }

  /** timeInMarket's last term and ratio. */
  private timeInMarket(): number {
    const to = Math.max(this.input.toMs, this.lastTs);
    const span = to - this.input.fromMs;
    if (!(span > 0)) return NaN;
    let inMs = this.inMs;
    if (this.lastGross > 0) inMs += to - this.lastTs;
    return inMs / span;
  }

  /** {@link nonFiniteMetricProblem} for these samples and `m` (from {@link finish}). */
  problem(m: Metrics, describe: (ts: UnixMs) => string): string | null {
    return nonFiniteProblem(m, this.n, this.bad, describe);
  }
}
