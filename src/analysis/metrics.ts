/**
 * Performance metrics over an equity curve. Pure functions over typed arrays: they run on the
 * backtest path (no danfojs, no allocation per sample beyond the output arrays).
 *
 * Definitions (the table in docs/reports-and-metrics.md is the reference):
 * - Annualization basis: 365 days (crypto trades every day), `MS_PER_YEAR`.
 * - The span of a run is its window (fromMs, toMs], not first-to-last sample (which is one bar
 *   short): `apr`, drawdown durations and `timeInMarket` use it.
 * - `apr` is SIMPLE: totalReturn × (365 d / span). (Not compounded: compounding a 2-day return to
 *   a year is meaningless noise.)
 * - A day is (00:00, 24:00] UTC: the sample stamped at midnight closes the day before it, so a
 *   window of D whole days yields exactly D daily returns (no one-hour stub). The first day's
 *   return is measured from the initial equity; days without a sample carry the last close.
 * - `annualVol` = sample std (n − 1) of daily returns × √365.
 * - `sharpe` = mean(daily) / std(daily) × √365, risk-free rate 0; `excessSharpe` subtracts the
 *   benchmark's daily rate (benchmarkApr / 365) from every daily return first.
 * - `sortino` = mean(daily) × √365 / downside deviation, downside deviation =
 *   √(Σ min(r, 0)² / n) over all n days (target 0).
 * - Fewer than {@link MIN_DAYS_TO_ANNUALISE} daily returns: Sharpe and Sortino are still computed
 *   but flagged "too short to annualise" ({@link annualisationFlags}).
 * - `maxDrawdown` is ≤ 0: min over samples of equity / running peak − 1 (−0.1 = fell 10 %). The
 *   running peak starts at `initialEquity` (the capital before any trade), so costs booked before
 *   the first sample count; the engine's `drawdown` column uses the same rule.
 * - `calmar` = apr / |maxDrawdown|.
 * - `maxDrawdownDurationHours`: the longest underwater spell, from the peak to the first sample
 *   back at or above that peak (or to the window end if never recovered); the initial capital is a
 *   peak at the window start.
 * - `minLiquidationDistance`: the engine's own liquidation test on every mark bar's adverse extreme
 *   (high for shorts, low for longs): min over bars of (liqPrice − high) / high (shorts) or
 *   (low − liqPrice) / low (longs); 0 when any liquidation happened.
 * Undefined values (too few days, zero volatility, no drawdown) are NaN; JSON writes them as null.
 */
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_YEAR, type UnixMs } from '../core/time.js';

/** Days per year used to annualize daily statistics. */
export const DAYS_PER_YEAR = 365;

/** Fewer daily returns than this: Sharpe/Sortino are shown but flagged "too short to annualise". */
export const MIN_DAYS_TO_ANNUALISE = 30;

/** What the engine hands to {@link computeMetrics}. All arrays are aligned with `ts`. */
export interface MetricsInput {
  /** Equity sample times, UnixMs, strictly increasing. */
  ts: Float64Array;
  /** Total account equity in quote currency at each sample. */
  equity: Float64Array;
  /** Run window start, UnixMs (exclusive: the first bar closes after it). Default `ts[0]`. */
  fromMs?: UnixMs;
  /** Run window end, UnixMs (inclusive). Default the last sample's ts. */
  toMs?: UnixMs;
  /** Gross exposure (Σ |position notional|, quote) at each sample; for timeInMarket. */
  grossExposure?: Float64Array;
  /** Time of the first fill, UnixMs: exposure before the first sample counts from here. */
  firstFillMs?: UnixMs;
  /** Σ |qty × price| over all fills (quote), liquidations included; for turnover. */
  tradedNotional?: number;
  /** Number of fills (rows of trades.csv). */
  tradeCount?: number;
  /** Number of liquidation events. */
  liquidationCount?: number;
  /**
   * Smallest distance to liquidation at any mark bar's adverse extreme (the engine's liquidation
   * test), fraction; NaN if never positioned in a perp.
   */
  minAdverseLiqDistance?: number;
  /** Starting equity; default `equity[0]`. */
  initialEquity?: number;
  /** Benchmark (risk-free) rate, simple APR as a fraction (0.05 = 5 %), for `excessSharpe`. Default 0. */
  benchmarkApr?: number;
}

/** The `metrics` object of summary.json (docs/run-format.md). Fractions, not percent. */
export interface Metrics {
  initialEquity: number;
  finalEquity: number;
  /** finalEquity / initialEquity − 1. */
  totalReturn: number;
  /** Simple annualized return: totalReturn × 365 d / window span. */
  apr: number;
  /** Annualized volatility of daily returns (√365). */
  annualVol: number;
  /** Annualized Sharpe of daily returns, rf = 0. */
  sharpe: number;
  /** Annualized Sharpe of daily returns in excess of the benchmark (benchmarkApr / 365 a day). */
  excessSharpe: number;
  /** Annualized Sortino of daily returns, target 0. */
  sortino: number;
  /** apr / |maxDrawdown|. */
  calmar: number;
  /** Deepest drawdown, ≤ 0 (fraction of the running peak). */
  maxDrawdown: number;
  /** Longest peak-to-recovery (or peak-to-window-end) spell, hours. */
  maxDrawdownDurationHours: number;
  /** Fraction of the window (time-weighted) with gross exposure > 0. */
  timeInMarket: number;
  /** Traded notional / mean equity over the run (not annualized). */
  turnover: number;
  tradeCount: number;
  liquidationCount: number;
  /** Smallest distance to liquidation at a mark bar's adverse extreme; 0 if liquidated; NaN if never in a perp. */
  minLiquidationDistance: number;
  /** Number of daily returns ((00:00, 24:00] UTC days of the window) behind vol, Sharpe, Sortino. */
  dailyReturnCount: number;
  /** The benchmark rate used for excessSharpe (simple APR, fraction). */
  benchmarkApr: number;
}

/** Every key of {@link Metrics}, in summary.json order (e.g. the names a sweep objective may take). */
export const METRIC_NAMES: readonly (keyof Metrics)[] = Object.keys({
  initialEquity: 0, finalEquity: 0, totalReturn: 0, apr: 0, annualVol: 0, sharpe: 0, excessSharpe: 0, sortino: 0, calmar: 0, maxDrawdown: 0,
  maxDrawdownDurationHours: 0, timeInMarket: 0, turnover: 0, tradeCount: 0, liquidationCount: 0, minLiquidationDistance: 0, dailyReturnCount: 0, benchmarkApr: 0,
} satisfies Record<keyof Metrics, 0>) as (keyof Metrics)[];

/** Equity resampled to UTC day closes. */
export interface DailyCloses {
  /** UTC midnight at the start of each day, UnixMs. Consecutive days (gaps filled). */
  dayMs: Float64Array;
  /** Equity at the last sample in (day start, day start + 24 h]; carried over days without one. */
  close: Float64Array;
}

/** The UTC day (days since the epoch) a sample at `ts` closes: (00:00, 24:00], so midnight closes the day before. */
export function closingDay(ts: UnixMs): number {
  return Math.ceil(ts / MS_PER_DAY) - 1;
}

/** Day rows of a window: each day's start and the index of its last sample (−1: none, carry the previous close). */
export interface DayRows {
  /** UTC midnight at the start of each day of the window, UnixMs. */
  dayMs: Float64Array;
  /** Index into `ts` of the day's closing sample, or −1 when no sample falls in the day. */
  row: Int32Array;
}

/**
 * The (00:00, 24:00] UTC days of the window (fromMs, toMs] and each day's closing sample. The
 * first day is the one holding the instant just after `fromMs`, the last the one holding `toMs`,
 * so a midnight-to-midnight window of D days has D rows. A sample at or before `fromMs` (the
 * window start itself) counts for the first day.
 */
export function dayRows(ts: Float64Array, fromMs: UnixMs, toMs: UnixMs): DayRows {
  const firstDay = Math.floor(fromMs / MS_PER_DAY);
  const lastDay = Math.max(firstDay, closingDay(toMs));
  const days = lastDay - firstDay + 1;
  const dayMs = new Float64Array(days);
  const row = new Int32Array(days).fill(-1);
  for (let d = 0; d < days; d++) dayMs[d] = (firstDay + d) * MS_PER_DAY;
  for (let i = 0; i < ts.length; i++) {
    const d = Math.min(days - 1, Math.max(0, closingDay(ts[i]!) - firstDay));
    row[d] = i; // ts increasing: the last write is the day's last sample
  }
  return { dayMs, row };
}

/**
 * Resample equity to UTC day closes over the window (default: first to last sample); days without
 * samples repeat the previous close, days before the first sample hold `base` (default equity[0]).
 */
export function dailyCloses(ts: Float64Array, equity: Float64Array, fromMs?: UnixMs, toMs?: UnixMs, base?: number): DailyCloses {
  const n = ts.length;
  if (n === 0) return { dayMs: new Float64Array(0), close: new Float64Array(0) };
  const { dayMs, row } = dayRows(ts, fromMs ?? ts[0]!, toMs ?? ts[n - 1]!);
  const close = new Float64Array(dayMs.length);
  let prev = base ?? equity[0]!;
  for (let d = 0; d < row.length; d++) {
    if (row[d]! >= 0) prev = equity[row[d]!]!;
    close[d] = prev;
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

/** Daily simple returns from UTC day closes, the first day measured from `base` (default the first sample). */
export function dailyReturns(ts: Float64Array, equity: Float64Array, fromMs?: UnixMs, toMs?: UnixMs, base?: number): DailyCloses & { ret: Float64Array } {
  const b = base ?? (equity.length ? equity[0]! : NaN);
  const dc = dailyCloses(ts, equity, fromMs, toMs, b);
  return { ...dc, ret: periodReturns(dc.close, b) };
}

/**
 * Monthly simple returns from UTC month-end closes (a month ends at 24:00 of its last day, so the
 * sample at 1 Jan 00:00 closes December); the first month from `base` (default the first sample).
 */
export function monthlyReturns(ts: Float64Array, equity: Float64Array, fromMs?: UnixMs, toMs?: UnixMs, base?: number): { monthMs: Float64Array; close: Float64Array; ret: Float64Array } {
  const dc = dailyCloses(ts, equity, fromMs, toMs, base);
  const months: number[] = [];
  const closes: number[] = [];
  for (let d = 0; d < dc.dayMs.length; d++) {
    const m = monthStartMs(dc.dayMs[d]!);
    if (months.length === 0 || months[months.length - 1] !== m) {
      months.push(m);
      closes.push(dc.close[d]!);
    } else closes[closes.length - 1] = dc.close[d]!;
  }
  const close = Float64Array.from(closes);
  return { monthMs: Float64Array.from(months), close, ret: periodReturns(close, base ?? (equity.length ? equity[0]! : NaN)) };
}

/** UTC midnight of the first day of the month holding `ms`. */
export function monthStartMs(ms: UnixMs): UnixMs {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
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

/**
 * Annualized Sharpe ratio of daily returns over a daily benchmark rate (default 0):
 * mean(r − rfDaily) / std(r) × √365. NaN if < 2 days or zero volatility.
 */
export function sharpe(daily: Float64Array, rfDaily = 0): number {
  const sd = stdSample(daily);
  if (!(sd > 0)) return NaN;
  return ((mean(daily) - rfDaily) / sd) * Math.sqrt(DAYS_PER_YEAR);
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
  /** (recoveryMs ?? window end) − startMs, hours. */
  durationHours: number;
}

/**
 * Every drawdown episode in time order. An episode starts at the last sample at the running peak
 * before equity dips below it and ends at the first sample back at or above that peak.
 * `initialPeak` (the initial capital, equity before any trade) starts the running peak when it is
 * above the first sample: an episode from it starts at the window start (`window.fromMs`, else the
 * first sample's time). An episode not recovered lasts to the window end (`window.toMs`, else the
 * last sample).
 */
export function drawdownPeriods(ts: Float64Array, equity: Float64Array, initialPeak?: number, window?: { fromMs: UnixMs; toMs: UnixMs }): DrawdownPeriod[] {
  const out: DrawdownPeriod[] = [];
  const n = ts.length;
  if (n === 0) return out;
  let peak = equity[0]!;
  let inDd = false;
  let troughIdx = 0;
  // When the decline started from the initial capital, it started at the window start.
  let peakMs = ts[0]!;
  if (initialPeak !== undefined && initialPeak > peak) {
    // Already under the initial capital at the first sample.
    peak = initialPeak;
    inDd = true;
    if (window) peakMs = Math.min(ts[0]!, window.fromMs);
  }
  const endMs = window ? Math.max(ts[n - 1]!, window.toMs) : ts[n - 1]!;
  for (let i = 1; i < n; i++) {
    const e = equity[i]!;
    if (e >= peak) {
      if (inDd) {
        out.push({
          startMs: peakMs,
          troughMs: ts[troughIdx]!,
          recoveryMs: ts[i]!,
          depth: equity[troughIdx]! / peak - 1,
          durationHours: (ts[i]! - peakMs) / MS_PER_HOUR,
        });
        inDd = false;
      }
      peak = e;
      peakMs = ts[i]!;
    } else if (!inDd) {
      inDd = true;
      troughIdx = i;
    } else if (e < equity[troughIdx]!) troughIdx = i;
  }
  if (inDd) {
    out.push({
      startMs: peakMs,
      troughMs: ts[troughIdx]!,
      recoveryMs: null,
      depth: equity[troughIdx]! / peak - 1,
      durationHours: (endMs - peakMs) / MS_PER_HOUR,
    });
  }
  return out;
}

/** Deepest drawdown (≤ 0) and the longest underwater spell in hours; the peak starts at `initialPeak` if given. */
export function maxDrawdownStats(
  ts: Float64Array,
  equity: Float64Array,
  initialPeak?: number,
  window?: { fromMs: UnixMs; toMs: UnixMs },
): { maxDrawdown: number; maxDrawdownDurationHours: number } {
  let maxDrawdown = 0;
  let maxDur = 0;
  for (const p of drawdownPeriods(ts, equity, initialPeak, window)) {
    if (p.depth < maxDrawdown) maxDrawdown = p.depth;
    if (p.durationHours > maxDur) maxDur = p.durationHours;
  }
  return { maxDrawdown, maxDrawdownDurationHours: maxDur };
}

/**
 * Fraction of the window with gross exposure > 0, time-weighted: sample i holds over
 * [ts[i], ts[i+1]), the last sample to `toMs`. Before the first sample the book holds what it holds
 * at it from `firstFillMs` on (a fill at the window start is in the market for the whole first
 * bar). The denominator is the window `toMs − fromMs` (default: first to last sample). NaN for an
 * empty window.
 */
export function timeInMarket(ts: Float64Array, grossExposure: Float64Array, fromMs?: UnixMs, toMs?: UnixMs, firstFillMs?: UnixMs): number {
  const n = ts.length;
  if (n === 0) return NaN;
  const from = fromMs ?? ts[0]!;
  const to = Math.max(toMs ?? ts[n - 1]!, ts[n - 1]!);
  const span = to - from;
  if (!(span > 0)) return NaN;
  let inMs = 0;
  if (grossExposure[0]! > 0 && firstFillMs !== undefined && firstFillMs < ts[0]!) inMs += ts[0]! - Math.max(from, firstFillMs);
  for (let i = 0; i < n - 1; i++) if (grossExposure[i]! > 0) inMs += ts[i + 1]! - ts[i]!;
  if (grossExposure[n - 1]! > 0) inMs += to - ts[n - 1]!;
  return inMs / span;
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

/** Why a Sharpe/Sortino value should not be read as an annual figure, or null when it can be. */
export function annualisationFlag(dailyReturnCount: number): string | null {
  return dailyReturnCount < MIN_DAYS_TO_ANNUALISE
    ? `too short to annualise: ${dailyReturnCount} daily return${dailyReturnCount === 1 ? '' : 's'} (< ${MIN_DAYS_TO_ANNUALISE})`
    : null;
}

/** Flags per metric (summary.json `metricFlags`): the annualised ratios of a short window. */
export function annualisationFlags(m: Pick<Metrics, 'dailyReturnCount'>): Partial<Record<keyof Metrics, string>> {
  const f = annualisationFlag(m.dailyReturnCount);
  return f ? { sharpe: f, excessSharpe: f, sortino: f, annualVol: f } : {};
}

/** Every summary.json metric from an equity curve and the engine's exposure/trade tallies. */
export function computeMetrics(input: MetricsInput): Metrics {
  const { ts, equity } = input;
  const n = ts.length;
  if (equity.length !== n) throw new Error(`computeMetrics: equity has ${equity.length} samples, ts has ${n}`);
  const initialEquity = input.initialEquity ?? (n ? equity[0]! : NaN);
  const fromMs = input.fromMs ?? (n ? ts[0]! : NaN);
  const toMs = input.toMs ?? (n ? ts[n - 1]! : NaN);
  return metricsFrom(input, {
    initialEquity,
    finalEquity: n ? equity[n - 1]! : NaN,
    fromMs,
    toMs,
    // Daily returns over the window's (00:00, 24:00] days, the first from initialEquity so a
    // first-bar cost is not lost.
    daily: n ? dailyReturns(ts, equity, fromMs, toMs, initialEquity).ret : new Float64Array(0),
    drawdown: maxDrawdownStats(ts, equity, initialEquity, { fromMs, toMs }),
    timeInMarket: input.grossExposure ? timeInMarket(ts, input.grossExposure, fromMs, toMs, input.firstFillMs) : NaN,
    turnover: input.tradedNotional !== undefined ? turnover(input.tradedNotional, equity) : NaN,
  });
}

/** What {@link metricsFrom} reads from the equity curve (computed over arrays, or streamed: metrics-stream.ts). */
export interface CurveFigures {
  initialEquity: number;
  finalEquity: number;
  /** The window as {@link computeMetrics} resolves it. */
  fromMs: UnixMs;
  toMs: UnixMs;
  /** Daily returns ({@link dailyReturns} over the window, the first from initialEquity). */
  daily: Float64Array;
  drawdown: { maxDrawdown: number; maxDrawdownDurationHours: number };
  timeInMarket: number;
  turnover: number;
}

/** The metrics object from the curve's figures and the engine's tallies in `input`. */
export function metricsFrom(input: Omit<MetricsInput, 'ts' | 'equity' | 'grossExposure'>, c: CurveFigures): Metrics {
  const tr = totalReturn(c.initialEquity, c.finalEquity);
  const apr = simpleApr(tr, c.toMs - c.fromMs);
  const { daily, drawdown: dd } = c;
  const benchmarkApr = input.benchmarkApr ?? 0;
  const liquidationCount = input.liquidationCount ?? 0;
  const dist = input.minAdverseLiqDistance ?? NaN;
  return {
    initialEquity: c.initialEquity,
    finalEquity: c.finalEquity,
    totalReturn: tr,
    apr,
    annualVol: annualVol(daily),
    sharpe: sharpe(daily),
    excessSharpe: sharpe(daily, benchmarkApr / DAYS_PER_YEAR),
    sortino: sortino(daily),
    calmar: dd.maxDrawdown < 0 ? apr / -dd.maxDrawdown : NaN,
    maxDrawdown: dd.maxDrawdown,
    maxDrawdownDurationHours: dd.maxDrawdownDurationHours,
    timeInMarket: c.timeInMarket,
    turnover: c.turnover,
    tradeCount: input.tradeCount ?? 0,
    liquidationCount,
    // A liquidation means the distance reached zero, whatever the bars before it showed.
    minLiquidationDistance: liquidationCount > 0 ? 0 : dist < 0 ? 0 : dist,
    dailyReturnCount: daily.length,
    benchmarkApr,
  };
}

/** The metrics that must be finite whenever the run has samples (the others may be undefined: NaN). */
const MUST_BE_FINITE: readonly (keyof Metrics)[] = ['initialEquity', 'finalEquity', 'totalReturn', 'apr', 'maxDrawdown', 'maxDrawdownDurationHours'];

/**
 * Refuse metrics that are not finite where they must be, or infinite anywhere: the name of the
 * metric and its cause (the first non-finite equity sample, with its time) instead of a silent
 * n/a with exit 0. `describe(ts)` formats a sample time. Returns the message, or null when fine.
 */
export function nonFiniteMetricProblem(m: Metrics, ts: Float64Array, equity: Float64Array, describe: (ts: UnixMs) => string): string | null {
  let bad: NonFiniteSample | null = null;
  for (let i = 0; i < equity.length; i++) {
    if (!Number.isFinite(equity[i]!)) {
      bad = { index: i, value: equity[i]!, ts: ts[i]! };
      break;
    }
  }
  return nonFiniteProblem(m, ts.length, bad, describe);
}

/** The first equity sample that is not finite: its row, value and time. */
export interface NonFiniteSample {
  index: number;
  value: number;
  ts: UnixMs;
}

/** {@link nonFiniteMetricProblem} from the number of samples and the first non-finite one (null: none). */
export function nonFiniteProblem(m: Metrics, samples: number, bad: NonFiniteSample | null, describe: (ts: UnixMs) => string): string | null {
  const names: string[] = [];
  for (const k of Object.keys(m) as (keyof Metrics)[]) {
    const v = m[k];
    if (v === Infinity || v === -Infinity || (Number.isNaN(v) && MUST_BE_FINITE.includes(k) && samples > 0)) names.push(k);
  }
  if (names.length === 0 && !bad) return null;
  const cause = bad
    ? `equity is ${bad.value} at ${describe(bad.ts)} (sample ${bad.index + 1}): a price or balance overflowed, which data validation should have caught (run \`perpcarry data validate\`)`
    : 'an input to it is not finite';
  return `metric${names.length === 1 ? '' : 's'} ${names.length ? names.join(', ') : 'equity'} not finite: ${cause}`;
}
