import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  annualizeFundingRate,
  computeMetrics,
  dailyCloses,
  annualisationFlags,
  dailyReturns,
  drawdownPeriods,
  nonFiniteMetricProblem,
  drawdownSeries,
  monthlyReturns,
  sharpe,
  sortino,
  timeInMarket,
  turnover,
} from '../../src/analysis/metrics.js';

const H = 3_600_000;
const D = 86_400_000;
const T0 = Date.UTC(2025, 1, 2); // 2025-02-02T00:00Z

function hourly(values: number[], start = T0): { ts: Float64Array; equity: Float64Array } {
  return { ts: Float64Array.from(values, (_, i) => start + i * H), equity: Float64Array.from(values) };
}

describe('drawdown', () => {
  // peaks 100 → 110 (h1); dip to 99 (−10 %) recovered at h4 (3 h underwater);
  // new peak 121 (h5); dip to 96.8 (−20 %) at h6, not recovered by h7 (2 h underwater).
  const { ts, equity } = hourly([100, 110, 99, 104.5, 110, 121, 96.8, 115]);

  it('series is equity / running peak − 1', () => {
    const dd = drawdownSeries(equity);
    const expected = [0, 0, -0.1, -0.05, 0, 0, -0.2, 115 / 121 - 1];
    expected.forEach((v, i) => expect(dd[i]).toBeCloseTo(v, 12));
  });

  it('periods: start at the peak, trough, recovery or null, depth, duration', () => {
    const p = drawdownPeriods(ts, equity);
    expect(p).toHaveLength(2);
    expect(p[0]!.startMs).toBe(T0 + 1 * H);
    expect(p[0]!.troughMs).toBe(T0 + 2 * H);
    expect(p[0]!.recoveryMs).toBe(T0 + 4 * H);
    expect(p[0]!.depth).toBeCloseTo(-0.1, 12);
    expect(p[0]!.durationHours).toBe(3);
    expect(p[1]!.startMs).toBe(T0 + 5 * H);
    expect(p[1]!.troughMs).toBe(T0 + 6 * H);
    expect(p[1]!.recoveryMs).toBeNull();
    expect(p[1]!.depth).toBeCloseTo(-0.2, 12);
    expect(p[1]!.durationHours).toBe(2); // to the last sample
  });

  it('max drawdown is the deepest, duration the longest spell (not the deepest one)', () => {
    const m = computeMetrics({ ts, equity });
    expect(m.maxDrawdown).toBeCloseTo(-0.2, 12);
    expect(m.maxDrawdownDurationHours).toBe(3);
  });

  it('a monotone curve has no drawdown and NaN calmar', () => {
    const m = computeMetrics(hourly([1, 2, 3]));
    expect(m.maxDrawdown).toBe(0);
    expect(m.maxDrawdownDurationHours).toBe(0);
    expect(m.calmar).toBeNaN();
  });
});

describe('daily statistics', () => {
  // First sample 100 at day-0 midnight, then day closes at 23:00 giving daily returns
  // +1 %, +2 %, −1 %, +3 %: closes 101, 103.02, 101.9898, 105.049494.
  const closes = [101, 103.02, 101.9898, 105.049494];
  const ts = Float64Array.from([T0, ...closes.map((_, d) => T0 + d * D + 23 * H)]);
  const equity = Float64Array.from([100, ...closes]);

  it('resamples to UTC day closes and returns from the first sample', () => {
    const r = dailyReturns(ts, equity);
    expect(Array.from(r.dayMs)).toEqual([T0, T0 + D, T0 + 2 * D, T0 + 3 * D]);
    expect(Array.from(r.close)).toEqual(closes);
    [0.01, 0.02, -0.01, 0.03].forEach((v, i) => expect(r.ret[i]).toBeCloseTo(v, 12));
  });

  it('sharpe, sortino, vol, apr, calmar by hand', () => {
    const m = computeMetrics({ ts, equity });
    // mean 0.0125; squared deviations sum 8.75e-4 ⇒ sample var 8.75e-4/3
    const sd = Math.sqrt(8.75e-4 / 3);
    expect(m.annualVol).toBeCloseTo(sd * Math.sqrt(365), 10);
    expect(m.sharpe).toBeCloseTo((0.0125 / sd) * Math.sqrt(365), 9);
    expect(m.sharpe).toBeCloseTo(13.98341, 4);
    // downside: only −1 % ⇒ √(1e-4 / 4) = 0.005
    expect(m.sortino).toBeCloseTo((0.0125 * Math.sqrt(365)) / 0.005, 9);
    expect(m.sortino).toBeCloseTo(47.76243, 4);
    expect(m.totalReturn).toBeCloseTo(0.05049494, 12);
    // span: day 0 00:00 → day 3 23:00 = 95 h; simple annualization on 365 d
    expect(m.apr).toBeCloseTo((0.05049494 * 8760) / 95, 10);
    // deepest drawdown 103.02 → 101.9898 = −1 %
    expect(m.maxDrawdown).toBeCloseTo(-0.01, 12);
    expect(m.calmar).toBeCloseTo((0.05049494 * 8760) / 95 / 0.01, 8);
    // peak day 1 23:00, below it at day 2 23:00, back above at day 3 23:00
    expect(m.maxDrawdownDurationHours).toBe(48);
  });

  it('days without samples carry the previous close', () => {
    const dc = dailyCloses(Float64Array.from([T0 + H, T0 + 2 * D + H]), Float64Array.from([5, 7]));
    expect(Array.from(dc.close)).toEqual([5, 5, 7]);
  });

  it('sharpe and sortino are NaN when undefined', () => {
    expect(sharpe(Float64Array.from([0.01]))).toBeNaN();
    expect(sharpe(Float64Array.from([0.01, 0.01]))).toBeNaN();
    expect(sortino(Float64Array.from([0.01, 0.02]))).toBeNaN();
  });
});

describe('monthly returns across a month boundary', () => {
  it('uses month-end closes (the 1st 00:00 sample closes the month before); the first month from the first sample', () => {
    const ts = Float64Array.from([
      Date.UTC(2025, 0, 30), Date.UTC(2025, 0, 31, 23), // January
      Date.UTC(2025, 1, 1), Date.UTC(2025, 1, 28, 23), // February (the Feb 1 00:00 sample closes January)
      Date.UTC(2025, 2, 1, 0), // closes February
    ]);
    const equity = Float64Array.from([100, 110, 99, 121, 108.9]);
    const m = monthlyReturns(ts, equity);
    expect(Array.from(m.monthMs)).toEqual([Date.UTC(2025, 0, 1), Date.UTC(2025, 1, 1)]);
    expect(m.ret[0]).toBeCloseTo(-0.01, 12); // 100 → 99 (Jan closes at Feb 1 00:00)
    expect(m.ret[1]).toBeCloseTo(0.1, 12); // 99 → 108.9 (Feb closes at Mar 1 00:00; the 121 does not matter)
  });
  it('a 2024 run has no 2025-01 row', () => {
    const from = Date.UTC(2024, 0, 1);
    const to = Date.UTC(2025, 0, 1);
    const ts = Float64Array.from({ length: 366 }, (_, i) => from + (i + 1) * D);
    const equity = Float64Array.from(ts, (_, i) => 100 + i);
    const m = monthlyReturns(ts, equity, from, to, 100);
    expect(m.monthMs.length).toBe(12);
    expect(m.monthMs[11]).toBe(Date.UTC(2024, 11, 1));
    expect(m.close[11]).toBe(465); // the 2025-01-01 00:00 sample closes December
  });
});

describe('edges of the run window (issue 11)', () => {
  // Window Feb 2 00:00 → Feb 5 00:00 (3 days), hourly samples at 01:00 … Feb 5 00:00 (72).
  const from = T0;
  const to = T0 + 3 * D;
  const ts = Float64Array.from({ length: 72 }, (_, i) => from + (i + 1) * H);
  const equity = new Float64Array(72).fill(100);
  for (let i = 0; i < 72; i++) {
    const t = ts[i]!;
    equity[i] = t < T0 + D ? 100 : t < T0 + 2 * D ? 101 : t < T0 + 3 * D ? 99.99 : 102;
  }
  // Closes: Feb 2 ↦ sample at Feb 3 00:00 = 101; Feb 3 ↦ Feb 4 00:00 = 99.99; Feb 4 ↦ Feb 5 00:00 = 102.

  it('a D-day window yields D daily returns: the midnight sample closes the day before', () => {
    const r = dailyReturns(ts, equity, from, to, 100);
    expect(Array.from(r.dayMs)).toEqual([T0, T0 + D, T0 + 2 * D]);
    expect(Array.from(r.close)).toEqual([101, 99.99, 102]);
    expect(r.ret[0]).toBeCloseTo(0.01, 14);
    expect(r.ret[1]).toBeCloseTo(99.99 / 101 - 1, 14);
    expect(r.ret[2]).toBeCloseTo(102 / 99.99 - 1, 14);
  });

  it('sharpe from those 3 returns, flagged too short to annualise; excess sharpe over the benchmark', () => {
    const m = computeMetrics({ ts, equity, fromMs: from, toMs: to, initialEquity: 100, benchmarkApr: 0.0365 });
    const r = [0.01, 99.99 / 101 - 1, 102 / 99.99 - 1];
    const mu = (r[0]! + r[1]! + r[2]!) / 3;
    const sd = Math.sqrt(r.reduce((a, x) => a + (x - mu) ** 2, 0) / 2);
    expect(m.dailyReturnCount).toBe(3);
    expect(m.sharpe).toBeCloseTo((mu / sd) * Math.sqrt(365), 10);
    expect(m.excessSharpe).toBeCloseTo(((mu - 0.0001) / sd) * Math.sqrt(365), 10);
    expect(m.benchmarkApr).toBe(0.0365);
    expect(annualisationFlags(m).sharpe).toBe('too short to annualise: 3 daily returns (< 30)');
    expect(annualisationFlags({ dailyReturnCount: 30 })).toEqual({});
  });

  it('APR spans the window (72 h), not first-to-last sample (71 h)', () => {
    const m = computeMetrics({ ts, equity, fromMs: from, toMs: to, initialEquity: 100 });
    expect(m.apr).toBeCloseTo(0.02 * 365 / 3, 12); // 2.4333…, not 0.02 × 8760 / 71
  });

  it('drawdown from the initial capital starts at the window start and an unrecovered one lasts to the window end', () => {
    // 10 h window, capital 100, first sample (h1) already 99 after entry costs, never recovered.
    const t = Float64Array.from({ length: 10 }, (_, i) => from + (i + 1) * H);
    const e = new Float64Array(10).fill(99);
    const p = drawdownPeriods(t, e, 100, { fromMs: from, toMs: from + 10 * H });
    expect(p).toHaveLength(1);
    expect(p[0]!.startMs).toBe(from);
    expect(p[0]!.durationHours).toBe(10);
    // Peak at h3, down from h4, not recovered by the window end at h12 (last sample h10): 9 h.
    const e2 = Float64Array.from([100, 100, 101, 100.5, 100.5, 100.5, 100.5, 100.5, 100.5, 100.5]);
    const m = computeMetrics({ ts: t, equity: e2, fromMs: from, toMs: from + 12 * H, initialEquity: 100 });
    expect(m.maxDrawdownDurationHours).toBe(9);
  });

  it('time in market is a share of the window; the first bar counts from the first fill', () => {
    // Window 4 h; samples h1..h4; in the market from a fill at the window start until h3.
    const t = Float64Array.from([from + H, from + 2 * H, from + 3 * H, from + 4 * H]);
    expect(timeInMarket(t, Float64Array.from([5, 5, 0, 0]), from, from + 4 * H, from)).toBe(0.75); // [from, h3) of 4 h
    // Without a fill time the first bar does not count; the last sample holds to the window end.
    expect(timeInMarket(t, Float64Array.from([5, 5, 0, 3]), from, from + 5 * H)).toBe(3 / 5);
  });
});

describe('exposure helpers', () => {
  it('timeInMarket is time-weighted over sample intervals', () => {
    const ts = Float64Array.from([0, H, 2 * H, 4 * H]);
    expect(timeInMarket(ts, Float64Array.from([0, 5, 0, 3]))).toBe(0.25);
  });
  it('turnover = traded notional / mean equity', () => {
    expect(turnover(300, Float64Array.from([100, 200]))).toBe(2);
  });
  it('computeMetrics passes tallies; a liquidation sets the distance to 0', () => {
    const { ts, equity } = hourly([100, 100, 100]);
    const base = { ts, equity, tradeCount: 4, tradedNotional: 50, grossExposure: Float64Array.from([0, 1, 1]), minAdverseLiqDistance: 0.2 };
    const m = computeMetrics({ ...base, liquidationCount: 0 });
    expect(m.tradeCount).toBe(4);
    expect(m.turnover).toBe(0.5);
    expect(m.timeInMarket).toBe(0.5);
    expect(m.minLiquidationDistance).toBe(0.2);
    const liq = computeMetrics({ ...base, liquidationCount: 1 });
    expect(liq.liquidationCount).toBe(1);
    expect(liq.minLiquidationDistance).toBe(0);
    expect(computeMetrics({ ts, equity }).minLiquidationDistance).toBeNaN();
  });
});

describe('non-finite metrics are refused with their cause', () => {
  it('names the metric and the first non-finite equity sample', () => {
    const ts = Float64Array.from([T0 + H, T0 + 2 * H]);
    const equity = Float64Array.from([100, Infinity]);
    const m = computeMetrics({ ts, equity, initialEquity: 100 });
    const msg = nonFiniteMetricProblem(m, ts, equity, (t) => new Date(t).toISOString());
    expect(msg).toMatch(/^metrics finalEquity, totalReturn, apr.* not finite: equity is Infinity at 2025-02-02T02:00:00.000Z \(sample 2\)/);
    const ok = Float64Array.from([100, 101]);
    expect(nonFiniteMetricProblem(computeMetrics({ ts, equity: ok, initialEquity: 100 }), ts, ok, String)).toBeNull();
  });
});

describe('funding annualization', () => {
  it('0.01 % per 8 h is 10.95 % simple, 11.57 % compounded', () => {
    expect(annualizeFundingRate(0.0001, 8)).toBeCloseTo(0.1095, 12);
    expect(annualizeFundingRate(0.0001, 8, 'compounded')).toBeCloseTo(Math.pow(1.0001, 1095) - 1, 12);
    expect(annualizeFundingRate(0.0001, 8, 'compounded')).toBeCloseTo(0.1157, 4);
    expect(annualizeFundingRate(0.0000125, 1)).toBeCloseTo(0.1095, 12); // hourly eighth
  });
});

describe('properties', () => {
  const curve = fc
    .array(fc.double({ min: 0.5, max: 2, noNaN: true }), { minLength: 2, maxLength: 200 })
    .map((mult) => {
      const eq = new Float64Array(mult.length);
      let e = 1000;
      for (let i = 0; i < mult.length; i++) eq[i] = e = e * mult[i]!;
      return eq;
    });
  it('drawdown ≤ 0, max drawdown = min of the series, daily returns compound to the total', () => {
    fc.assert(
      fc.property(curve, fc.integer({ min: 1, max: 30 }), (eq, stepH) => {
        const ts = Float64Array.from(eq, (_, i) => T0 + i * stepH * H);
        const dd = drawdownSeries(eq);
        let min = 0;
        for (const v of dd) {
          expect(v).toBeLessThanOrEqual(0);
          min = Math.min(min, v);
        }
        const m = computeMetrics({ ts, equity: eq });
        expect(m.maxDrawdown).toBeCloseTo(min, 12);
        const r = dailyReturns(ts, eq).ret;
        let g = 1;
        for (const x of r) g *= 1 + x;
        expect(g).toBeCloseTo(eq[eq.length - 1]! / eq[0]!, 8);
        const periods = drawdownPeriods(ts, eq);
        for (const p of periods) {
          expect(p.troughMs).toBeGreaterThan(p.startMs);
          if (p.recoveryMs !== null) expect(p.recoveryMs).toBeGreaterThan(p.troughMs);
        }
      }),
      { numRuns: 200 },
    );
  });
});
