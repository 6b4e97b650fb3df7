/**
 * Streaming the equity columns: EquitySampler.fillColumns over consecutive row ranges of any size
 * gives the same values, bit for bit, as the whole table at once (the drawdown's running peak
 * carries across ranges), on a real run with trades, settlements and a drawdown.
 */
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import { loadStrategy } from '../../src/strategy/registry.js';
import { ROOT } from '../support/paths.js';
import { join } from 'node:path';

describe('EquitySampler.fillColumns', () => {
  test('ranges of 1, 7 and 1000 rows equal the materialized columns', async () => {
    const { factory } = await loadStrategy('delta-neutral');
    const r = runBacktest({ strategy: factory, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: Date.UTC(2025, 0, 20), toMs: Date.UTC(2025, 1, 10), dataDir: join(ROOT, 'data'), params: { leverage: 3, entryApr: 0.01 } });
    const s = r.samples;
    const whole = s.columns;
    const names = s.columnNames();
    expect([...whole.keys()]).toEqual(names);
    expect(r.portfolio.trades.length).toBeGreaterThan(0);
    expect(Math.min(...whole.get('drawdown')!)).toBeLessThan(0);
    for (const step of [1, 7, 1000]) {
      const got = names.map(() => new Float64Array(s.length));
      const out = names.map(() => new Float64Array(step));
      const cur = s.cursor();
      for (let from = 0; from < s.length; from += step) {
        const to = Math.min(s.length, from + step);
        s.fillColumns(from, to, out, cur);
        out.forEach((a, c) => got[c]!.set(a.subarray(0, to - from), from));
      }
      names.forEach((name, c) => {
        const w = whole.get(name)!;
        expect(got[c]!.every((x, i) => Object.is(x, w[i])), `${name} in steps of ${step}`).toBe(true);
      });
    }
    // The equity-only fill (sweep points) gives the same two columns, in steps too.
    for (const step of [3, 1000]) {
      const eq = new Float64Array(s.length);
      const gross = new Float64Array(s.length);
      const cur = s.cursor();
      for (let from = 0; from < s.length; from += step) {
        const to = Math.min(s.length, from + step);
        s.fillEquity(from, to, eq.subarray(from, to), gross.subarray(from, to), cur);
      }
      expect(eq.every((x, i) => Object.is(x, whole.get('equity')![i])), `equity in steps of ${step}`).toBe(true);
      expect(gross.every((x, i) => Object.is(x, whole.get('gross_exposure')![i])), `gross in steps of ${step}`).toBe(true);
    }
    expect(() => s.fillColumns(5, 6, names.map(() => new Float64Array(1)), s.cursor())).toThrow(/consecutive/);
    expect(() => s.fillEquity(5, 6, new Float64Array(1), new Float64Array(1), s.cursor())).toThrow(/consecutive/);
  });
});
