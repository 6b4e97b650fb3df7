/**
 * Drawdown starts from the initial capital (equity before any trade), in the metrics
 * (`maxDrawdown`, its duration, the episodes) as in the engine's `drawdown` column.
 */
import { describe, expect, test } from 'vitest';
import { computeMetrics, drawdownPeriods, drawdownSeries, maxDrawdownStats } from '../../src/analysis/metrics.js';

const H = 3_600_000;
const ts = Float64Array.of(1, 2, 3, 4, 5).map((h) => h * H);

describe('drawdown from the initial capital', () => {
  // Capital 1000; 10 of entry costs are booked before the first sample.
  const equity = Float64Array.of(990, 995, 1001, 980, 1002);

  test('series: the peak starts at the initial capital when given', () => {
    expect(Array.from(drawdownSeries(equity, undefined, 1000))).toEqual([990 / 1000 - 1, 995 / 1000 - 1, 0, 980 / 1001 - 1, 0]);
    // Without it the first sample is the peak (the entry costs vanish).
    expect(drawdownSeries(equity)[0]).toBe(0);
    // A capital below the first sample changes nothing.
    expect(Array.from(drawdownSeries(equity, undefined, 900))).toEqual(Array.from(drawdownSeries(equity)));
  });

  test('episodes: one from the capital at the first sample, recovered at 3h; then 1001 → 980 → 1002', () => {
    expect(drawdownPeriods(ts, equity, 1000)).toEqual([
      { startMs: 1 * H, troughMs: 1 * H, recoveryMs: 3 * H, depth: 990 / 1000 - 1, durationHours: 2 },
      { startMs: 3 * H, troughMs: 4 * H, recoveryMs: 5 * H, depth: 980 / 1001 - 1, durationHours: 2 },
    ]);
    expect(drawdownPeriods(ts, equity)).toHaveLength(1);
    // Never recovered: underwater to the last sample.
    expect(drawdownPeriods(ts, Float64Array.of(999, 998, 997, 999, 999.5), 1000)).toEqual([
      { startMs: 1 * H, troughMs: 3 * H, recoveryMs: null, depth: 997 / 1000 - 1, durationHours: 4 },
    ]);
  });

  test('computeMetrics uses initialEquity as the first peak', () => {
    // Entry costs of 2 % then flat: the only drawdown is the cost.
    const flat = Float64Array.of(980, 980, 980, 980, 980);
    const m = computeMetrics({ ts, equity: flat, initialEquity: 1000 });
    expect(m.maxDrawdown).toBeCloseTo(-0.02, 15);
    expect(m.maxDrawdownDurationHours).toBe(4);
    expect(m.calmar / (m.apr / 0.02)).toBeCloseTo(1, 12);
    expect(maxDrawdownStats(ts, flat)).toEqual({ maxDrawdown: 0, maxDrawdownDurationHours: 0 });
    // initialEquity defaults to the first sample: no change for curves without a known capital.
    expect(computeMetrics({ ts, equity: flat }).maxDrawdown).toBe(0);
    expect(computeMetrics({ ts, equity, initialEquity: 1000 }).maxDrawdown).toBe(980 / 1001 - 1);
  });
});
