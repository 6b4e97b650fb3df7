/**
 * Overfitting odds of a sweep (docs/sweeps.md has the definitions and the papers):
 *  - PBO, the probability of backtest overfitting, by combinatorially symmetric cross-validation
 *    (CSCV): Bailey, Borwein, López de Prado, Zhu, "The Probability of Backtest Overfitting",
 *    Journal of Computational Finance 20(4), 2017.
 *  - DSR, the deflated Sharpe ratio of the selected point given the number of trials: Bailey,
 *    López de Prado, "The Deflated Sharpe Ratio: Correcting for Selection Bias, Backtest
 *    Overfitting and Non-Normality", Journal of Portfolio Management 40(5), 2014.
 * Inputs are per-period (daily) returns, one column per point; Sharpe ratios here are per period
 * (not annualized), as both papers use them.
 */
import { normalCdf, normalInv } from './normal.js';

/** Euler–Mascheroni constant γ. */
const EULER_GAMMA = 0.5772156649015329;

/** A T × N matrix of returns: `cols[n][t]` = return of point n in period t. */
export type ReturnColumns = readonly Float64Array[];

/**
 * Per-period Sharpe ratio: mean / sample standard deviation. A constant series has no dispersion:
 * +∞ if its mean is positive, −∞ if negative, 0 if zero (so it still ranks).
 */
export function periodSharpe(mean: number, sd: number): number {
  if (sd > 0) return mean / sd;
  return mean > 0 ? Infinity : mean < 0 ? -Infinity : 0;
}

/** Result of {@link pboCscv}. */
export interface PboResult {
  /** Probability of backtest overfitting: share of splits whose in-sample best ranks at or below the out-of-sample median (logit ≤ 0). */
  pbo: number;
  /** Number of submatrices S (even). */
  groups: number;
  /** Rows used (T rounded down to a multiple of S; the earliest rows are dropped). */
  rowsUsed: number;
  /** Splits evaluated: C(S, S/2). */
  combinations: number;
  /** λ_c = ln(ω̄_c / (1 − ω̄_c)) per split, in split order. */
  logits: Float64Array;
}

/** Index combinations of k out of n, lexicographic, calling `visit` with a reused array. */
function forEachCombination(n: number, k: number, visit: (c: Int32Array) => void): void {
  const c = Int32Array.from({ length: k }, (_, i) => i);
  for (;;) {
    visit(c);
    let i = k - 1;
    while (i >= 0 && c[i] === n - k + i) i--;
    if (i < 0) return;
    c[i]!++;
    for (let j = i + 1; j < k; j++) c[j] = c[j - 1]! + 1;
  }
}

/**
 * PBO by CSCV. The T rows are cut into `groups` contiguous blocks of equal size (the earliest
 * T mod S rows dropped). For each way C of choosing S/2 blocks as the training set J (the rest is
 * the test set J̄): n* = the point with the best Sharpe on J (lowest index on ties); its rank r̄ among
 * all points' Sharpe on J̄ (1 = worst, ties share their mean rank); ω̄ = r̄ / (N + 1);
 * λ = ln(ω̄ / (1 − ω̄)). PBO = #{λ ≤ 0} / #C, the paper's φ = ∫_{−∞}^0 f(λ) dλ.
 */
export function pboCscv(cols: ReturnColumns, groups = 16): PboResult {
  const N = cols.length;
  if (N < 2) throw new Error('PBO needs at least two points');
  const T = cols[0]!.length;
  if (!(groups >= 2 && groups % 2 === 0)) throw new Error(`PBO: the number of groups must be even and ≥ 2 (got ${groups})`);
  const size = Math.floor(T / groups);
  if (size < 1) throw new Error(`PBO: ${T} periods cannot be cut into ${groups} groups`);
  const skip = T - size * groups;
  // Per group and point: Σr and Σr² (the split statistics are sums of S/2 of them).
  const sum = new Float64Array(groups * N);
  const sq = new Float64Array(groups * N);
  for (let n = 0; n < N; n++) {
    const r = cols[n]!;
    if (r.length !== T) throw new Error(`PBO: point ${n} has ${r.length} periods, point 0 has ${T}`);
    for (let g = 0; g < groups; g++) {
      let s = 0;
      let q = 0;
      for (let t = skip + g * size; t < skip + (g + 1) * size; t++) {
        s += r[t]!;
        q += r[t]! * r[t]!;
      }
      sum[g * N + n] = s;
      sq[g * N + n] = q;
    }
  }
  const half = groups / 2;
  const rows = half * size;
  const inTrain = new Uint8Array(groups);
  const perfTrain = new Float64Array(N);
  const perfTest = new Float64Array(N);
  const logits: number[] = [];
  const sharpeFrom = (s: number, q: number): number => {
    const m = s / rows;
    const v = Math.max(0, (q - rows * m * m) / (rows - 1));
    return periodSharpe(m, Math.sqrt(v));
  };
  forEachCombination(groups, half, (c) => {
    inTrain.fill(0);
    for (const g of c) inTrain[g] = 1;
    for (let n = 0; n < N; n++) {
      let s0 = 0;
      let q0 = 0;
      let s1 = 0;
      let q1 = 0;
      for (let g = 0; g < groups; g++) {
        if (inTrain[g]) {
          s0 += sum[g * N + n]!;
          q0 += sq[g * N + n]!;
        } else {
          s1 += sum[g * N + n]!;
          q1 += sq[g * N + n]!;
        }
      }
      perfTrain[n] = sharpeFrom(s0, q0);
      perfTest[n] = sharpeFrom(s1, q1);
    }
    let best = 0;
    for (let n = 1; n < N; n++) if (perfTrain[n]! > perfTrain[best]!) best = n;
    const x = perfTest[best]!;
    let below = 0;
    let equal = 0;
    for (let n = 0; n < N; n++) {
      if (perfTest[n]! < x) below++;
      else if (perfTest[n]! === x) equal++;
    }
    const rank = below + (equal + 1) / 2;
    const w = rank / (N + 1);
    logits.push(Math.log(w / (1 - w)));
  });
  const overfit = logits.filter((l) => l <= 0).length;
  return { pbo: overfit / logits.length, groups, rowsUsed: groups * size, combinations: logits.length, logits: Float64Array.from(logits) };
}

/** Moments of a return series used by the DSR. */
export interface ReturnMoments {
  /** Periods T. */
  n: number;
  mean: number;
  /** Sample standard deviation (T − 1). */
  sd: number;
  /** Per-period Sharpe ratio mean / sd. */
  sharpe: number;
  /** Skewness γ3 = m3 / m2^1.5 (population central moments). */
  skew: number;
  /** Kurtosis γ4 = m4 / m2² (not excess: 3 for a normal). */
  kurtosis: number;
}

/** {@link ReturnMoments} of a series. */
export function returnMoments(r: Float64Array): ReturnMoments {
  const n = r.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += r[i]!;
  const mean = s / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = r[i]! - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : NaN;
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { n, mean, sd, sharpe: periodSharpe(mean, sd), skew: m2 > 0 ? m3 / m2 ** 1.5 : 0, kurtosis: m2 > 0 ? m4 / (m2 * m2) : 3 };
}

/** Result of {@link deflatedSharpe}. */
export interface DsrResult {
  /** P(true Sharpe > SR0): the deflated Sharpe ratio, in [0, 1]. */
  dsr: number;
  /** Selected point's per-period Sharpe ratio SR̂*. */
  sharpe: number;
  /** Expected maximum per-period Sharpe of `trials` unskilled trials: the benchmark SR0. */
  sr0: number;
  /** Number of trials N. */
  trials: number;
  /** Sample variance of the trials' per-period Sharpe ratios. */
  sharpeVariance: number;
  periods: number;
  skew: number;
  kurtosis: number;
}

/**
 * Deflated Sharpe ratio: DSR = Φ((SR̂* − SR0) √(T − 1) / √(1 − γ3 SR̂* + (γ4 − 1)/4 · SR̂*²)), with
 * SR0 = √V[SR̂] · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))), γ the Euler–Mascheroni constant,
 * V[SR̂] the variance of the trials' Sharpe ratios, T, γ3, γ4 of the selected point's returns.
 * With one trial SR0 = 0 (the probabilistic Sharpe ratio against zero).
 */
export function deflatedSharpe(selected: Float64Array, trialSharpes: readonly number[]): DsrResult {
  const m = returnMoments(selected);
  const N = trialSharpes.length;
  const finite = trialSharpes.filter(Number.isFinite);
  let v = 0;
  if (finite.length > 1) {
    const mu = finite.reduce((a, b) => a + b, 0) / finite.length;
    v = finite.reduce((a, b) => a + (b - mu) ** 2, 0) / (finite.length - 1);
  }
  const sr0 = N > 1 ? Math.sqrt(v) * ((1 - EULER_GAMMA) * normalInv(1 - 1 / N) + EULER_GAMMA * normalInv(1 - 1 / (N * Math.E))) : 0;
  const sr = m.sharpe;
  const denom = Math.sqrt(1 - m.skew * sr + ((m.kurtosis - 1) / 4) * sr * sr);
  const z = ((sr - sr0) * Math.sqrt(m.n - 1)) / denom;
  return { dsr: Number.isFinite(sr) ? normalCdf(z) : NaN, sharpe: sr, sr0, trials: N, sharpeVariance: v, periods: m.n, skew: m.skew, kurtosis: m.kurtosis };
}
