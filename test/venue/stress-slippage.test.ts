/**
 * Stress-aware slippage: hand-computed costs through the tracker, the square-root law and the
 * stress ratio as properties, param validation, and on the bundled Binance ETH perp hours: the
 * Feb 2–3 2025 crash costs more than calm weeks.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { readSeriesFile } from '../../src/data/store.js';
import { DEFAULT_STRESS_SLIPPAGE_PARAMS, StressTracker, stressSlippageBps, stressSlippageModel } from '../../src/venue/stress-slippage.js';
import { ROOT } from '../support/paths.js';

const H = 3_600_000;
/** A bar whose log range is exactly `r` (high = low × e^r). */
const bar = (t: StressTracker, r: number, volume: number): void => t.observe(0, 100 * Math.exp(r), 100, volume);
type Model = ReturnType<typeof stressSlippageModel>;
const tracker = (m: Model): StressTracker => new StressTracker(1, H, m.params.halfLifeHours);
const bpsFor = (m: Model, t: StressTracker, qty: number): number => stressSlippageBps(m.params, qty, t.volume[0]!, t.rangeLog[0]!, t.typicalRangeLog[0]!);

describe('stress slippage model', () => {
  test('hand-computed costs bar by bar (half-life = one bar, so the EWMA weight is 1/2)', () => {
    const m = stressSlippageModel({ halfLifeHours: 1 });
    const t = tracker(m);
    expect(t.alpha).toBe(0.5);
    expect(bpsFor(m, t, 1)).toBe(1); // nothing seen: the base cost only
    bar(t, 0.01, 100);
    expect(bpsFor(m, t, 1)).toBe(1); // one bar: no typical range yet
    bar(t, 0.01, 100);
    // typical 0.01 (100 bps), range 0.01: stress 1; impact 1 × 100 × √(1/100) = 10
    expect(bpsFor(m, t, 1)).toBeCloseTo(11, 10);
    bar(t, 0.04, 400);
    // typical still 0.01; range 0.04: stress 4; impact 100 × √(1/400) = 5 → 4 × (1 + 5) = 24
    expect(t.typicalRangeLog[0]).toBeCloseTo(0.01, 12);
    expect(bpsFor(m, t, 1)).toBeCloseTo(24, 10);
    bar(t, 0.01, 25);
    // typical 0.01 + 0.5 × (0.04 − 0.01) = 0.025 (250 bps); range below it: stress 1; impact 250 × √(1/25) = 50
    expect(t.typicalRangeLog[0]).toBeCloseTo(0.025, 12);
    expect(bpsFor(m, t, 1)).toBeCloseTo(51, 10);
    // no volume: the impact term is left out, the stress part stays
    bar(t, 0.1, NaN);
    expect(t.typicalRangeLog[0]).toBeCloseTo(0.0175, 12);
    expect(bpsFor(m, t, 1)).toBeCloseTo(0.1 / 0.0175, 10);
  });

  test('caps: maxStress, stressExponent and maxBps', () => {
    const p = { ...DEFAULT_STRESS_SLIPPAGE_PARAMS, baseBps: 2, impactCoef: 0 };
    expect(stressSlippageBps(p, 1, 1, 0.5, 0.01)).toBe(2 * 20); // ratio 50 capped at 20
    expect(stressSlippageBps({ ...p, stressExponent: 0.5 }, 1, 1, 0.04, 0.01)).toBeCloseTo(2 * 2, 12);
    expect(stressSlippageBps({ ...p, maxBps: 7 }, 1, 1, 0.5, 0.01)).toBe(7);
  });

  test('square-root law: 4× the size costs 2× the impact; cost never falls with range or size', () => {
    const p = { ...DEFAULT_STRESS_SLIPPAGE_PARAMS, baseBps: 0, maxBps: 1e9, maxStress: 1e3 };
    expect(stressSlippageBps(p, 4, 100, 0.01, 0.01) / stressSlippageBps(p, 1, 100, 0.01, 0.01)).toBeCloseTo(2, 12);
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-5, max: 0.5, noNaN: true }),
        fc.double({ min: 1e-5, max: 0.5, noNaN: true }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        (qty, vol, range, typical, k) => {
          const q = { ...DEFAULT_STRESS_SLIPPAGE_PARAMS };
          const b = stressSlippageBps(q, qty, vol, range, typical);
          expect(b).toBeGreaterThanOrEqual(q.baseBps);
          expect(b).toBeLessThanOrEqual(q.maxBps);
          expect(stressSlippageBps(q, qty * k, vol, range, typical)).toBeGreaterThanOrEqual(b);
          expect(stressSlippageBps(q, qty, vol, range * k, typical)).toBeGreaterThanOrEqual(b);
        },
      ),
    );
  });

  test('bad params name the field; unknown ones too', () => {
    expect(() => stressSlippageModel({ maxStress: 0.5 })).toThrow(/models\.slippage\.params\.maxStress: 0\.5 is below the minimum 1/);
    expect(() => stressSlippageModel({ impact: 1 })).toThrow(/models\.slippage\.params\.impact: unknown key/);
  });

  test('real data (bundled Binance ETHUSDT perp, 1h): Feb 2–3 2025 costs more than three calm weeks', () => {
    const file = join(ROOT, 'data', 'binance', 'ETH-USDT-USDT', 'ohlcv-1h.arrow');
    const s = readSeriesFile(file, { fromMs: Date.parse('2024-11-01T00:00Z'), toMs: Date.parse('2025-02-28T00:00Z') });
    const { high, low, close, volume } = s.columns;
    const m = stressSlippageModel();
    const t = tracker(m);
    // Cost of a 100k USDT market order decided after each hour closed, by UTC day.
    const byDay = new Map<string, number[]>();
    for (let k = 0; k < s.ts.length; k++) {
      t.observe(0, high![k]!, low![k]!, volume![k]!);
      const day = new Date(s.ts[k]!).toISOString().slice(0, 10);
      if (!byDay.has(day)) byDay.set(day, []);
      byDay.get(day)!.push(bpsFor(m, t, 100_000 / close![k]!));
    }
    const span = (from: string, days: number): { mean: number; max: number } => {
      const xs: number[] = [];
      for (let d = 0; d < days; d++) xs.push(...byDay.get(new Date(Date.parse(from) + d * 86_400_000).toISOString().slice(0, 10))!);
      return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, max: Math.max(...xs) };
    };
    const crash = span('2025-02-02', 2);
    const calm = [span('2025-01-21', 7), span('2024-12-10', 7), span('2025-02-17', 7)];
    // Measured: crash mean 4.94 bp, max 23.7 bp; calm weeks mean 3.16–3.64 bp, max 5.5–9.3 bp.
    for (const c of calm) {
      expect(crash.mean).toBeGreaterThan(1.25 * c.mean);
      expect(crash.max).toBeGreaterThan(2.5 * c.max);
    }
    expect(crash.max).toBeGreaterThan(20);
  });
});
