/**
 * EquityMetricsStream (the run writer's one-pass metrics) against computeMetrics over the whole
 * arrays, bit for bit (Object.is on every metric) and the same non-finite message, on random
 * curves split into random batches: samples at irregular times across many UTC days (some at midnight), windows that
 * start before and end after the samples, flat stretches (zero exposure), an initial capital above
 * or below the first sample, first fills before the first sample, NaN and infinite equity.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { computeMetrics, METRIC_NAMES, nonFiniteMetricProblem } from '../../src/analysis/metrics.js';
import { EquityMetricsStream } from '../../src/analysis/metrics-stream.js';

const M = 60_000;
const T0 = Date.UTC(2025, 4, 9, 18, 40);

const curveArb = fc.record({
  steps: fc.array(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 150 })), { minLength: 0, maxLength: 400 }),
  moves: fc.array(fc.double({ min: -0.01, max: 0.01, noNaN: true }), { minLength: 400, maxLength: 400 }),
  exposed: fc.array(fc.constantFrom(0, 0, 1, 2.5), { minLength: 400, maxLength: 400 }),
  bad: fc.option(fc.record({ at: fc.integer({ min: 0, max: 399 }), value: fc.constantFrom(NaN, Infinity, -Infinity) })),
  capitalShift: fc.constantFrom(0, 0, -50, 50, 0.001),
  fromBefore: fc.integer({ min: -3000, max: 0 }),
  toAfter: fc.integer({ min: -100, max: 3000 }),
  firstFill: fc.option(fc.integer({ min: -500, max: 500 })),
  withCapital: fc.boolean(),
  tradedNotional: fc.option(fc.double({ min: 0, max: 1e7, noNaN: true })),
  cuts: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 8 }),
});

describe('EquityMetricsStream', () => {
  test('equals computeMetrics on random curves in random batches', () => {
    let withDrawdown = 0;
    let recovered = 0;
    fc.assert(
      fc.property(curveArb, (c) => {
        const n = c.steps.length;
        const ts = new Float64Array(n);
        const equity = new Float64Array(n);
        const gross = new Float64Array(n);
        let t = T0;
        let e = 100_000;
        for (let i = 0; i < n; i++) {
          // Steps of 20 minutes from 18:40: about one sample in 72 lands on a midnight.
          t += c.steps[i]! * 20 * M;
          e *= 1 + c.moves[i]!;
          ts[i] = t;
          equity[i] = e;
          gross[i] = c.exposed[i]! * e;
        }
        if (c.bad && c.bad.at < n) equity[c.bad.at] = c.bad.value;
        const fromMs = (n ? ts[0]! : T0) + c.fromBefore * M;
        const toMs = Math.max(fromMs + M, (n ? ts[n - 1]! : T0) + c.toAfter * M);
        const input = {
          fromMs,
          toMs,
          firstFillMs: c.firstFill === null ? undefined : (n ? ts[0]! : T0) + c.firstFill * M,
          tradedNotional: c.tradedNotional ?? undefined,
          tradeCount: 3,
          liquidationCount: 0,
          minAdverseLiqDistance: 0.2,
          initialEquity: c.withCapital ? 100_000 + c.capitalShift : undefined,
          benchmarkApr: 0.05,
        };
        const want = computeMetrics({ ...input, ts, equity, grossExposure: gross });
        const stream = new EquityMetricsStream(input);
        const cuts = [0, ...c.cuts.filter((x) => x < n).sort((a, b) => a - b), n];
        for (let k = 0; k + 1 < cuts.length; k++) {
          const [a, b] = [cuts[k]!, cuts[k + 1]!];
          // Batch buffers longer than the batch, as the run writer's are.
          const pad = (x: Float64Array): Float64Array => Float64Array.from([...x.subarray(a, b), 7, 7]);
          stream.add(pad(ts), pad(equity), pad(gross), b - a);
        }
        const got = stream.finish();
        for (const k of METRIC_NAMES) expect(Object.is(got[k], want[k]), `${k}: ${got[k]} streamed vs ${want[k]}`).toBe(true);
        const iso = (x: number): string => new Date(x).toISOString();
        expect(stream.problem(got, iso)).toBe(nonFiniteMetricProblem(want, ts, equity, iso));
        if (want.maxDrawdown < 0) withDrawdown++;
        if (want.maxDrawdownDurationHours > 0 && Number.isFinite(want.maxDrawdown)) recovered++;
      }),
      { numRuns: 400 },
    );
    expect(withDrawdown).toBeGreaterThan(50);
    expect(recovered).toBeGreaterThan(50);
  });
});
