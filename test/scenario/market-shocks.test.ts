import { describe, expect, it } from 'vitest';
import { MS_PER_HOUR } from '../../src/core/time.js';
import { makeInstruments, type BarSeries, type MarketData } from '../../src/engine/data.js';
import { applyMarketShocks, rampWeight } from '../../src/scenario/market-shocks.js';
import { parseScenario } from '../../src/scenario/parse.js';

const T0 = Date.UTC(2025, 1, 2);
const H = MS_PER_HOUR;

function bars(prices: number[][]): BarSeries {
  const n = prices.length;
  const b: BarSeries = { ts: new Float64Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n).fill(NaN) };
  prices.forEach((p, k) => {
    b.ts[k] = T0 + k * H;
    b.open[k] = p[0]!;
    b.high[k] = p[1]!;
    b.low[k] = p[2]!;
    b.close[k] = p[3]!;
  });
  return b;
}

/** Spot at 100 flat, perp at 101 flat (1 % premium), 6 hourly bars, settlements every 2 h. */
function market(): MarketData {
  const instruments = makeInstruments([
    { venue: 'binance', symbol: 'ETH/USDT' },
    { venue: 'binance', symbol: 'ETH/USDT:USDT' },
    { venue: 'bybit', symbol: 'ETH/USDT:USDT' },
  ]);
  const flat = (p: number): number[][] => Array.from({ length: 6 }, () => [p, p, p, p]);
  const funding = { ts: Float64Array.from([2, 4, 6], (h) => T0 + h * H), rate: Float64Array.from([1e-4, 2e-4, 3e-4]), intervalHours: Float64Array.from([8, 8, 1]), markPrice: Float64Array.from([101, 101, NaN]) };
  return {
    instruments,
    timeframe: '1h',
    timeframeMs: H,
    fromMs: T0,
    toMs: T0 + 6 * H,
    bars: [bars(flat(100)), bars(flat(101)), bars(flat(102))],
    mark: [null, bars(flat(101)), null],
    index: [null, null, null],
    funding: [null, funding, null],
    files: [],
    problems: [],
  };
}

const scen = (shocks: unknown[]) => parseScenario('test.json', { name: 't', shocks });

describe('rampWeight', () => {
  it('is 0 outside, linear over the ramp, 1 in the middle', () => {
    expect(rampWeight(T0 - 1, T0, T0 + 4 * H, H)).toBe(0);
    expect(rampWeight(T0, T0, T0 + 4 * H, H)).toBe(0);
    expect(rampWeight(T0 + H / 2, T0, T0 + 4 * H, H)).toBe(0.5);
    expect(rampWeight(T0 + 2 * H, T0, T0 + 4 * H, H)).toBe(1);
    expect(rampWeight(T0 + 3.5 * H, T0, T0 + 4 * H, H)).toBe(0.5);
    expect(rampWeight(T0 + 2 * H, T0, T0 + 4 * H, 0)).toBe(1);
    expect(rampWeight(T0 + 4 * H, T0, T0 + 4 * H, 0)).toBe(0);
  });
});

describe('basis shock', () => {
  it('moves perp and mark to the discount against the same venue spot, ramped, and leaves the input untouched', () => {
    const m = market();
    const s = scen([{ type: 'basis', venue: 'binance', asset: 'ETH', from: '2025-02-02T01:00Z', to: '2025-02-02T05:00Z', basisPct: -5, rampMinutes: 60 }]);
    const out = applyMarketShocks(m, s.shocks);
    const p = out.market.bars[1]!;
    // bar 0 [00:00, 01:00): weights 0 and 0 → unchanged
    expect(p.open[0]).toBe(101);
    expect(p.close[0]).toBe(101);
    // bar 1 [01:00, 02:00): open weight 0 → 101, close weight 1 → 100 × 0.95 = 95
    expect(p.open[1]).toBe(101);
    expect(p.close[1]).toBeCloseTo(95, 12);
    expect(p.high[1]).toBe(101);
    expect(p.low[1]).toBeCloseTo(95, 12);
    // bar 2, 3 fully shocked: 95
    expect(p.open[2]).toBeCloseTo(95, 12);
    expect(p.close[3]).toBeCloseTo(95, 12);
    // bar 4 [04:00, 05:00): open weight 1 → 95, close weight 0 → 101
    expect(p.open[4]).toBeCloseTo(95, 12);
    expect(p.close[4]).toBe(101);
    expect(out.market.mark[1]!.close[2]).toBeCloseTo(95, 12);
    // funding mark at 02:00 and 04:00 (weight 1): the spot close of the bar ending then × 0.95
    expect(out.market.funding[1]!.markPrice[0]).toBeCloseTo(95, 12);
    expect(out.market.funding[1]!.markPrice[1]).toBeCloseTo(95, 12);
    // untouched: the input, spot, and bybit (no bybit spot or index: reported)
    expect(m.bars[1]!.close[2]).toBe(101);
    expect(m.funding[1]!.markPrice[0]).toBe(101);
    expect(out.market.bars[0]).toBe(m.bars[0]);
    expect(out.market.bars[2]).toBe(m.bars[2]);
    expect(out.applied[0]!.rowsChanged).toBe(8); // 4 perp bars + 4 mark bars
  });

  it('reports a shock that matches nothing instead of failing', () => {
    const out = applyMarketShocks(market(), scen([{ type: 'basis', venue: 'okx', asset: 'ETH', from: '2025-02-02T01:00Z', to: '2025-02-02T05:00Z', basisPct: -1 }]).shocks);
    expect(out.warnings[0]).toMatch(/no ETH perp on okx/);
    const bybit = applyMarketShocks(market(), scen([{ type: 'basis', venue: 'bybit', asset: 'ETH', from: '2025-02-02T01:00Z', to: '2025-02-02T05:00Z', basisPct: -1 }]).shocks);
    expect(bybit.warnings[0]).toMatch(/neither a ETH\/USDT spot leg nor an index series/);
  });
});

describe('funding shock', () => {
  it('overrides N settlements at a per-8h rate scaled to each interval', () => {
    const out = applyMarketShocks(market(), scen([{ type: 'funding', venue: 'binance', asset: 'ETH', from: '2025-02-02T03:00Z', settlements: 5, ratePer8h: -0.00078 }]).shocks);
    const f = out.market.funding[1]!;
    expect(Array.from(f.rate)).toEqual([1e-4, -0.00078, -0.00078 / 8]);
    expect(out.applied[0]!.rowsChanged).toBe(2);
  });
  it('floor and cap', () => {
    const floor = applyMarketShocks(market(), scen([{ type: 'funding', venue: 'binance', asset: 'ETH', from: '2025-02-02', to: '2025-02-03', ratePer8h: 0.00015, mode: 'floor' }]).shocks);
    expect(Array.from(floor.market.funding[1]!.rate)).toEqual([0.00015, 2e-4, 3e-4]);
    const cap = applyMarketShocks(market(), scen([{ type: 'funding', venue: 'binance', asset: 'ETH', from: '2025-02-02', settlements: 2, ratePer8h: 0.00015, mode: 'cap' }]).shocks);
    expect(Array.from(cap.market.funding[1]!.rate)).toEqual([1e-4, 0.00015, 3e-4]);
  });
});

describe('price gap', () => {
  it('scales every instrument of the asset from t; the bar containing t closes at the new level', () => {
    const out = applyMarketShocks(market(), scen([{ type: 'price-gap', asset: 'ETH', at: '2025-02-02T02:30Z', pct: -20 }]).shocks);
    const spot = out.market.bars[0]!;
    expect(spot.close[1]).toBe(100);
    expect(spot.open[2]).toBe(100);
    expect(spot.close[2]).toBeCloseTo(80, 12);
    expect(spot.low[2]).toBeCloseTo(80, 12);
    expect(spot.high[2]).toBe(100);
    expect(spot.open[3]).toBeCloseTo(80, 12);
    expect(out.market.bars[2]!.close[5]).toBeCloseTo(81.6, 12);
    expect(out.market.mark[1]!.close[4]).toBeCloseTo(80.8, 12);
    expect(out.market.funding[1]!.markPrice[0]).toBe(101); // 02:00 settlement, before the gap
    expect(out.market.funding[1]!.markPrice[1]).toBeCloseTo(80.8, 12);
  });
});

describe('scenario files', () => {
  it('name the file and the field at fault', () => {
    expect(() => parseScenario('s.json', { name: 'x', shocks: [{ type: 'basis', venue: 'binance', asset: 'ETH', from: '2025-02-02', to: '2025-02-03', basisPct: 'x' }] })).toThrow(
      /s\.json: shocks\[0\]\.basisPct: expected a finite number/,
    );
    expect(() => parseScenario('s.json', { name: 'x', shocks: [{ type: 'basis', venue: 'binance', asset: 'ETH', from: '2025-02-02', to: '2025-02-03', basisPct: -5, ramp: 3 }] })).toThrow(
      /shocks\[0\]\.ramp: unknown field/,
    );
    expect(() => parseScenario('s.json', { name: 'x', shocks: [{ type: 'crash' }] })).toThrow(/shocks\[0\]\.type: unknown shock type "crash"/);
    expect(() => parseScenario('s.json', { name: 'x', shocks: [{ type: 'outage', venue: 'binance', from: '2025-02-03', to: '2025-02-02' }] })).toThrow(/shocks\[0\]\.to: must be after from/);
    expect(() => parseScenario('s.json', { name: 'x', shocks: [{ type: 'funding', venue: 'binance', asset: 'ETH', from: '2025-02-03', ratePer8h: 0.001 }] })).toThrow(/settlements: give settlements/);
    expect(() => parseScenario('s.json', { name: 'x', shocks: [{ type: 'basis', venue: 'binance', asset: 'ETH', from: '2025-02-02', to: 'soon', basisPct: -5 }] })).toThrow(/shocks\[0\]\.to: cannot parse/);
    expect(() => parseScenario('s.json', { name: 'x', shocks: [{ type: 'outage', venue: '../x', from: '2025-02-02', to: '2025-02-03' }] })).toThrow(/venue: "..\/x" is not a venue id/);
    expect(() => parseScenario('s.json', { name: 'x', shocks: [], toString: 1 })).toThrow(/toString: unknown field/);
    expect(() => parseScenario('s.json', { name: 'x', shocks: [{ type: 'constructor' }] })).toThrow(/unknown shock type "constructor"/);
  });
});
