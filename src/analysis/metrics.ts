/**
 * Performance metrics over an equity curve. Pure functions over typed arrays: they run on the
 * backtest path (no danfojs, no allocation per sample beyond the output arrays).
 *
 * Definitions (also in docs/reports-and-metrics.md):
 * - Annualization basis: 365 days (crypto trades every day), `MS_PER_YEAR`.
 * - `apr` is SIMPLE: totalReturn × (365 d / span), span = last sample ts − first sample ts.
 *   (Not compounded: compounding a 2-day return to a year is meaningless noise.)
 * - Daily returns: equity resampled to UTC day closes (last sample of each UTC day); the first
 *   day's return is measured from the first sample. Days without samples carry the last close.
 * - `annualVol` = sample std (n − 1) of daily returns × √365.
 * - `sharpe` = mean(daily) / std(daily) × √365, risk-free rate 0.
 * - `sortino` = mean(daily) × √365 / downside deviation, downside deviation =
 *   √(Σ min(r, 0)² / n) over all n days (target 0).
 * - `maxDrawdown` is ≤ 0: min over samples of equity / running peak − 1 (−0.1 = fell 10 %). The
 *   running peak starts at `initialEquity` (the capital before any trade), so costs booked before
 *   the first sample count; the engine's `drawdown` column uses the same rule.
 * - `calmar` = apr / |maxDrawdown|.
 * - `maxDrawdownDurationHours`: the longest underwater spell, from the peak sample to the first
 *   sample back at or above that peak (or to the last sample if never recovered); the initial
 *   capital counts as a peak at the first sample's time.
 * Undefined values (too few days, zero volatility, no drawdown) are NaN; JSON writes them as null.
 */
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_YEAR, type UnixMs } from '../core/time.js';

/** Days per year used to annualize daily statistics. */
export const DAYS_PER_YEAR = 365;

/** What the engine hands to {@link computeMetrics}. All arrays are aligned with `ts`. */
export interface MetricsInput {
  /** Equity sample times, UnixMs, strictly increasing. */
  ts: Float64Array;
  /** Total account equity in quote currency at each sample. */
  equity: Float64Array;
  /** Gross exposure (Σ |position notional|, quote) at each sample; for timeInMarket. */
  grossExposure?: Float64Array;
  /** Σ |qty × price| over all fills (quote), liquidations included; for turnover. */
  tradedNotional?: number;
  /** Number of fills (rows of trades.csv). */
  tradeCount?: number;
  /** Number of liquidation events. */
  liquidationCount?: number;
  /** Per perp instrument: |mark − liqPrice| / mark at each sample, NaN when flat. */
  liqDistances?: readonly Float64Array[];
  /** Starting equity; default `equity[0]`. */
  initialEquity?: number;
}

/** The `metrics` object of summary.json (docs/RUN_FORMAT.md). Fractions, not percent. */
export interface Metrics {
  initialEquity: number;
  finalEquity: number;
  /** finalEquity / initialEquity − 1. */
  totalReturn: number;
  /** Simple annualized return: totalReturn × 365 d / span. */
  apr: number;
  /** Annualized volatility of daily returns (√365). */
  annualVol: number;
  /** Annualized Sharpe of daily returns, rf = 0. */
  sharpe: number;
  /** Annualized Sortino of daily returns, target 0. */
  sortino: number;
  /** apr / |maxDrawdown|. */
  calmar: number;
  /** Deepest drawdown, ≤ 0 (fraction of the running peak). */
  maxDrawdown: number;
  /** Longest peak-to-recovery (or peak-to-end) spell, hours. */
  maxDrawdownDurationHours: number;
  /** Fraction of time (time-weighted over sample intervals) with gross exposure > 0. */
  timeInMarket: number;
  /** Traded notional / mean equity over the run (not annualized). */
  turnover: number;
  tradeCount: number;
  liquidationCount: number;
  /** Smallest |mark − liqPrice| / mark seen on any perp position; NaN if never positioned. */
  minLiquidationDistance: number;
}

/** Equity resampled to UTC day closes. */
export interface DailyCloses {
  /** UTC midnight of each day, UnixMs. Consecutive days (gaps filled). */
  dayMs: Float64Array;
  /** Last equity sample at or before the end of that day. */
  close: Float64Array;
}

/**
 * Resample equity to UTC day closes: the last sample of each UTC day; days without samples
 * (gaps) repeat the previous close so that every calendar day between first and last sample exists.
 */
export function dailyCloses(ts: Float64Array, equity: Float64Array): DailyCloses {
  const n = ts.length;
  if (n === 0) return { dayMs: new Float64Array(0), close: new Float64Array(0) };
  const firstDay = Math.floor(ts[0]! / MS_PER_DAY);
  const lastDay = Math.floor(ts[n - 1]! / MS_PER_DAY);
  const days = lastDay - firstDay + 1;
  const dayMs = new Float64Array(days);
  const close = new Float64Array(days);
  close.fill(NaN);
  for (let i = 0; i < n; i++) close[Math.floor(ts[i]! / MS_PER_DAY) - firstDay] = equity[i]!;
  for (let d = 0; d < days; d++) {
    dayMs[d] = (firstDay + d) * MS_PER_DAY;
    if (Number.isNaN(close[d]!)) close[d] = close[d - 1]!; // d > 0: day 0 always has a sample
  }
  return { dayMs, close };
}

/**
 * Simple returns between consecutive closes, the first measured from `base`
 * (returns[i] = close[i] / prev − 1, prev = base for i = 0).
 */
export function periodReturns(close: Float64Array, base: number): Float64Array {
  const r = new Float64Array(close.length);
  let prev = base;
  for (let i = 0; i < close.length; i++) {
    r[i] = close[i]! / prev - 1;
    prev = close[i]!;
  }
  return r;
}

/** Daily simple returns from UTC day closes, the first day measured from the first sample. */
export function dailyReturns(ts: Float64Array, equity: Float64Array): DailyCloses & { ret: Float64Array } {
  const dc = dailyCloses(ts, equity);
  return { ...dc, ret: periodReturns(dc.close, equity.length ? equity[0]! : NaN) };
}

/** Monthly simple returns from UTC month-end closes; the first month from the first sample. */
export function monthlyReturns(ts: Float64Array, equity: Float64Array): { monthMs: Float64Array; close: Float64Array; ret: Float64Array } {
  const n = ts.length;
  const months: number[] = [];
  const closes: number[] = [];
  let cur = NaN;
  for (let i = 0; i < n; i++) {
    const d = new Date(ts[i]!);
    const m = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    if (m !== cur) {
      months.push(m);
      closes.push(equity[i]!);
      cur = m;
    } else closes[closes.length - 1] = equity[i]!;
  }
  const close = Float64Array.from(closes);
  return { monthMs: Float64Array.from(months), close, ret: periodReturns(close, n ? equity[0]! : NaN) };
}

/** Arithmetic mean; NaN for an empty array. */
export function mean(x: Float64Array): number {
  if (x.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

/** Sample standard deviation (n − 1); NaN for fewer than 2 values. */
export function stdSample(x: Float64Array): number {
  const n = x.length;
  if (n < 2) return NaN;
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < n; i++) s += (x[i]! - m) ** 2;
  return Math.sqrt(s / (n - 1));
}

/** Annualized volatility of daily returns: std × √365. */
export function annualVol(daily: Float64Array): number {
  return stdSample(daily) * Math.sqrt(DAYS_PER_YEAR);
}

/** Annualized Sharpe ratio of daily returns with rf = 0; NaN if < 2 days or zero volatility. */
export function sharpe(daily: Float64Array): number {
  const sd = stdSample(daily);
  if (!(sd > 0)) return NaN;
  return (mean(daily) / sd) * Math.sqrt(DAYS_PER_YEAR);
}

/**
 * Annualized Sortino ratio of daily returns, target 0: mean × √365 / √(Σ min(r,0)² / n).
 * NaN if there are < 2 days or no negative day.
 */
export function sortino(daily: Float64Array): number {
  const n = daily.length;
  if (n < 2) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const r = daily[i]!;
    if (r < 0) s += r * r;
  }
  const dd = Math.sqrt(s / n);
  if (!(dd > 0)) return NaN;
  return (mean(daily) * Math.sqrt(DAYS_PER_YEAR)) / dd;
}

/** Total simple return finalEquity / initialEquity − 1. */
export function totalReturn(initialEquity: number, finalEquity: number): number {
  return finalEquity / initialEquity - 1;
}

/** Simple annualization of a total return over `spanMs`: r × 365 d / span. NaN when span ≤ 0. */
export function simpleApr(totalRet: number, spanMs: number): number {
  return spanMs > 0 ? (totalRet * MS_PER_YEAR) / spanMs : NaN;
}

/** Compounded annual growth: (1 + r)^(365 d / span) − 1. NaN when span ≤ 0. */
export function compoundedApr(totalRet: number, spanMs: number): number {
  return spanMs > 0 ? Math.pow(1 + totalRet, MS_PER_YEAR / spanMs) - 1 : NaN;
}

/**
 * Annualize a funding rate paid every `intervalHours`.
 * simple: rate × settlements per year (0.01 %/8h ⇒ 10.95 %); compounded: (1 + rate)^n − 1 (⇒ 11.57 %).
 */
export function annualizeFundingRate(rate: number, intervalHours: number, mode: 'simple' | 'compounded' = 'simple'): number {
  const n = (DAYS_PER_YEAR * 24) / intervalHours;
  return mode === 'simple' ? rate * n : Math.pow(1 + rate, n) - 1;
}

/**
 * Underwater series: equity / running peak − 1 (≤ 0). Writes into `out` if given. The running
 * peak starts at `initialPeak` when given (the initial capital), else at the first sample.
 */
export function drawdownSeries(equity: Float64Array, out: Float64Array = new Float64Array(equity.length), initialPeak?: number): Float64Array {
  let peak = initialPeak !== undefined && Number.isFinite(initialPeak) ? initialPeak : -Infinity;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i]!;
    if (e > peak) peak = e;
    out[i] = peak > 0 ? e / peak - 1 : 0;
  }
  return out;
}

/** One drawdown episode: from a peak, down to a trough, back to the peak (or not). */
export interface DrawdownPeriod {
  /** Time of the peak sample the decline started from. */
  startMs: UnixMs;
  /** Time of the lowest sample of the episode. */
  troughMs: UnixMs;
  /** First sample at or above the peak again; null if the run ended underwater. */
  recoveryMs: UnixMs | null;
  /** Depth ≤ 0: trough / peak − 1. */
  depth: number;
  /** (recoveryMs ?? last sample ts) − startMs, hours. */
  durationHours: number;
}

/**
 * Every drawdown episode in time order. An episode starts at the last sample at the running peak
 * before equity dips below it and ends at the first sample back at or above that peak.
 * `initialPeak` (the initial capital, equity before any trade) starts the running peak when it is
 * above the first sample: an episode from it starts at the first sample's time.
 */
export function drawdownPeriods(ts: Float64Array, equity: Float64Array, initialPeak?: number): DrawdownPeriod[] {
  const out: DrawdownPeriod[] = [];
  const n = ts.length;
  if (n === 0) return out;
  let peak = equity[0]!;
  let peakIdx = 0;
  let inDd = false;
  let troughIdx = 0;
  if (initialPeak !== undefined && initialPeak > peak) {
    // Already under the initial capital at the first sample.
    peak = initialPeak;
    inDd = true;
  }
  for (let i = 1; i < n; i++) {
    const e = equity[i]!;
    if (e >= peak) {
      if (inDd) {
        out.push({
          startMs: ts[peakIdx]!,
          troughMs: ts[troughIdx]!,
          recoveryMs: ts[i]!,
          depth: equity[troughIdx]! / peak - 1,
          durationHours: (ts[i]! - ts[peakIdx]!) / MS_PER_HOUR,
        });
        inDd = false;
      }
      peak = e;
      peakIdx = i;
    } else if (!inDd) {
      inDd = true;
      troughIdx = i;
    } else if (e < equity[troughIdx]!) troughIdx = i;
  }
  if (inDd) {
    out.push({
      startMs: ts[peakIdx]!,
      troughMs: ts[troughIdx]!,
      recoveryMs: null,
      depth: equity[troughIdx]! / peak - 1,
      durationHours: (ts[n - 1]! - ts[peakIdx]!) / MS_PER_HOUR,
    });
  }
  return out;
}

/** Deepest drawdown (≤ 0) and the longest underwater spell in hours; the peak starts at `initialPeak` if given. */
export function maxDrawdownStats(ts: Float64Array, equity: Float64Array, initialPeak?: number): { maxDrawdown: number; maxDrawdownDurationHours: number } {
  let maxDrawdown = 0;
  let maxDur = 0;
  for (const p of drawdownPeriods(ts, equity, initialPeak)) {
    if (p.depth < maxDrawdown) maxDrawdown = p.depth;
    if (p.durationHours > maxDur) maxDur = p.durationHours;
  }
  return { maxDrawdown, maxDrawdownDurationHours: maxDur };
}

/**
 * Fraction of the run's time with gross exposure > 0, time-weighted: sample i holds over
 * [ts[i], ts[i+1]). NaN for fewer than 2 samples.
 */
export function timeInMarket(ts: Float64Array, grossExposure: Float64Array): number {
  const n = ts.length;
  if (n < 2) return NaN;
  let inMs = 0;
  for (let i = 0; i < n - 1; i++) if (grossExposure[i]! > 0) inMs += ts[i + 1]! - ts[i]!;
  return inMs / (ts[n - 1]! - ts[0]!);
}

/** Turnover: traded notional (quote) / mean equity over the run. Not annualized. */
export function turnover(tradedNotional: number, equity: Float64Array): number {
  const m = mean(equity);
  return m > 0 ? tradedNotional / m : NaN;
}

/** Smallest non-NaN value over several series; NaN if all are NaN or there are none. */
export function minOver(series: readonly Float64Array[]): number {
  let m = Infinity;
  for (const s of series) for (let i = 0; i < s.length; i++) if (s[i]! < m) m = s[i]!;
  return m === Infinity ? NaN : m;
}

/** Every summary.json metric from an equity curve and the engine's exposure/trade tallies. */
export function computeMetrics(input: MetricsInput): Metrics {
  const { ts, equity } = input;
  const n = ts.length;
  if (equity.length !== n) throw new Error(`computeMetrics: equity has ${equity.length} samples, ts has ${n}`);
  const initialEquity = input.initialEquity ?? (n ? equity[0]! : NaN);
  const finalEquity = n ? equity[n - 1]! : NaN;
  const tr = totalReturn(initialEquity, finalEquity);
  const spanMs = n ? ts[n - 1]! - ts[0]! : 0;
  const apr = simpleApr(tr, spanMs);
  // Daily returns measured from initialEquity so a first-bar cost is not lost.
  const dc = dailyCloses(ts, equity);
  const daily = periodReturns(dc.close, initialEquity);
  const dd = maxDrawdownStats(ts, equity, initialEquity);
  return {
    initialEquity,
    finalEquity,
    totalReturn: tr,
    apr,
    annualVol: annualVol(daily),
    sharpe: sharpe(daily),
    sortino: sortino(daily),
    calmar: dd.maxDrawdown < 0 ? apr / -dd.maxDrawdown : NaN,
    maxDrawdown: dd.maxDrawdown,
    maxDrawdownDurationHours: dd.maxDrawdownDurationHours,
    timeInMarket: input.grossExposure ? timeInMarket(ts, input.grossExposure) : NaN,
    turnover: input.tradedNotional !== undefined ? turnover(input.tradedNotional, equity) : NaN,
    tradeCount: input.tradeCount ?? 0,
    liquidationCount: input.liquidationCount ?? 0,
    minLiquidationDistance: input.liqDistances ? minOver(input.liqDistances) : NaN,
  };
}
