import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { MS_PER_HOUR } from '../../src/core/time.js';
import { makeInstruments, type BarSeries, type MarketData } from '../../src/engine/data.js';
import { bootstrapPath, stationaryIndices } from '../../src/scenario/bootstrap.js';

const T0 = Date.UTC(2024, 0, 1);
const H = MS_PER_HOUR;

/** n hourly bars: spot a random walk, perp = spot × (1 + basis_k), settlements every 8 h with rate = k-th. */
function market(n: number): MarketData {
  const rng = seedrandom('fixture');
  const instruments = makeInstruments([
    { venue: 'binance', symbol: 'BTC/USDT' },
    { venue: 'binance', symbol: 'BTC/USDT:USDT' },
  ]);
  const mk = (): BarSeries => ({ ts: Float64Array.from({ length: n }, (_, k) => T0 + k * H), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) });
  const spot = mk();
  const perp = mk();
  let p = 40000;
  for (let k = 0; k < n; k++) {
    const o = p;
    p = p * Math.exp((rng() - 0.5) * 0.02);
    const basis = 1 + (k % 7) * 1e-4;
    spot.open[k] = o;
    spot.close[k] = p;
    spot.high[k] = Math.max(o, p) * 1.001;
    spot.low[k] = Math.min(o, p) * 0.999;
    spot.volume[k] = k;
    perp.open[k] = o * basis;
    perp.close[k] = p * basis;
    perp.high[k] = spot.high[k]! * basis;
    perp.low[k] = spot.low[k]! * basis;
    perp.volume[k] = 2 * k;
  }
  const ns = Math.floor(n / 8);
  const funding = { ts: Float64Array.from({ length: ns }, (_, k) => T0 + (k + 1) * 8 * H), rate: Float64Array.from({ length: ns }, (_, k) => (k + 1) * 1e-5), intervalHours: new Float64Array(ns).fill(8), markPrice: new Float64Array(ns).fill(NaN) };
  return { instruments, timeframe: '1h', timeframeMs: H, fromMs: T0, toMs: T0 + n * H, bars: [spot, perp], mark: [null, null], index: [null, null], funding: [null, funding], files: [], problems: [] };
}

const opts = { blockHours: 24, regime: null };

describe('stationary bootstrap', () => {
  it('indices stay in 1..n−1, continue blocks, and have the mean block length asked for', () => {
    const n = 20000;
    const idx = stationaryIndices(n, 24, seedrandom('x'));
    let blocks = 1;
    for (let j = 1; j < n; j++) {
      expect(idx[j]).toBeGreaterThanOrEqual(1);
      expect(idx[j]).toBeLessThan(n);
      if (j > 1 && idx[j] !== (idx[j - 1]! + 1 >= n ? 1 : idx[j - 1]! + 1)) blocks++;
    }
    expect((n - 1) / blocks).toBeGreaterThan(20);
    expect((n - 1) / blocks).toBeLessThan(29);
  });

  it('a path is a pure function of (seed, path index); other indices give other paths', () => {
    const m = market(500);
    const a = bootstrapPath(m, opts, 7, 3);
    const b = bootstrapPath(m, opts, 7, 3);
    const c = bootstrapPath(m, opts, 7, 4);
    expect(Array.from(a.market.bars[0]!.close)).toEqual(Array.from(b.market.bars[0]!.close));
    expect(Array.from(a.market.funding[1]!.rate)).toEqual(Array.from(b.market.funding[1]!.rate));
    expect(Array.from(a.sourceIndex)).not.toEqual(Array.from(c.sourceIndex));
    // the real data is untouched
    expect(m.bars[0]!.close).not.toBe(a.market.bars[0]!.close);
  });

  it('keeps bar 0 real, chains the anchor by source moves, keeps the source basis, and carries funding with its source time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), (path) => {
        const m = market(200);
        const { market: syn, sourceIndex: idx } = bootstrapPath(m, { blockHours: 5, regime: null }, 1, path);
        const [s0, p0] = [m.bars[0]!, m.bars[1]!];
        const [s1, p1] = [syn.bars[0]!, syn.bars[1]!];
        expect(s1.close[0]).toBe(s0.close[0]);
        for (let j = 1; j < 200; j++) {
          const s = idx[j]!;
          expect(s1.close[j]! / s1.close[j - 1]!).toBeCloseTo(s0.close[s]! / s0.close[s - 1]!, 10);
          expect(p1.close[j]! / s1.close[j]!).toBeCloseTo(p0.close[s]! / s0.close[s]!, 12);
          expect(p1.high[j]).toBeGreaterThanOrEqual(Math.max(p1.open[j]!, p1.close[j]!));
          expect(s1.volume[j]).toBe(s0.volume[s]);
        }
        // settlement k at T0 + 8(k+1) h: the bar closing then is j = 8(k+1) − 1; its source bar closes at
        // T0 + (idx[j] + 1) h; the rate in force then is that of settlement floor((idx[j] + 1) / 8) − 1.
        const f = syn.funding[1]!;
        for (let k = 0; k < f.ts.length; k++) {
          const j = 8 * (k + 1) - 1;
          const q = Math.floor((idx[j]! + 1) / 8) - 1;
          expect(f.rate[k]).toBeCloseTo(q >= 0 ? (q + 1) * 1e-5 : (k + 1) * 1e-5, 15);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('a regime scales price moves and forces funding over its span only', () => {
    const m = market(24 * 20);
    const regime = { startDay: 5, days: 10, volScale: 0.25, fundingPer8h: -0.0001 };
    const base = bootstrapPath(m, opts, 3, 0).market;
    const low = bootstrapPath(m, { blockHours: 24, regime }, 3, 0).market;
    const logRet = (b: BarSeries, j: number): number => Math.log(b.close[j]! / b.close[j - 1]!);
    for (let j = 24 * 5 + 1; j < 24 * 15; j++) expect(logRet(low.bars[0]!, j)).toBeCloseTo(0.25 * logRet(base.bars[0]!, j), 12);
    expect(logRet(low.bars[0]!, 24 * 16)).toBeCloseTo(logRet(base.bars[0]!, 24 * 16), 12);
    const f = low.funding[1]!;
    for (let k = 0; k < f.ts.length; k++) {
      const inSpan = f.ts[k]! >= T0 + 5 * 24 * H && f.ts[k]! < T0 + 15 * 24 * H;
      if (inSpan) expect(f.rate[k]).toBe(-0.0001);
      else expect(f.rate[k]).toBe(base.funding[1]!.rate[k]);
    }
  });

  it('refuses series that do not share timestamps', () => {
    const m = market(100);
    m.bars[1] = { ...m.bars[1]!, ts: m.bars[1]!.ts.map((t) => t + H) };
    expect(() => bootstrapPath(m, opts, 1, 0)).toThrow(/do not share the timestamps/);
  });
});
