import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { adlClosePrice, adlLight, binanceLeveragePnl, hyperliquidAdlIndex, liquidationNeedsAdl, planAdl, queueAdlModel, venueAdlParams, type AdlPositionInput } from '../../src/venue/adl.js';

const pos = (x: Partial<AdlPositionInput>): AdlPositionInput => ({
  instrumentId: 0,
  qty: -1,
  entryPrice: 100,
  markPrice: 90,
  unrealizedPnl: 10,
  walletBalance: 100,
  maintenanceMargin: 1,
  accountValue: 110,
  ...x,
});

describe('Binance leverage-PnL (FAQ 360033525471)', () => {
  it('matches the worked example: uPnL 40.2, wallet 4.27, margin ratio 13.42 % → 9.41 × 0.1342 = 1.26', () => {
    // margin ratio 13.42 % of a 44.47 margin balance ⇒ maintenance margin 5.967874
    const s = binanceLeveragePnl(pos({ unrealizedPnl: 40.2, walletBalance: 4.27, maintenanceMargin: 0.1342 * 44.47 }));
    expect(40.2 / 4.27).toBeCloseTo(9.4145, 4);
    expect(s).toBeCloseTo((40.2 / 4.27) * 0.1342, 12);
    expect(s).toBeCloseTo(1.2634, 4);
  });
  it('floors the wallet at 1, is 0 for a loss or a non-positive margin balance', () => {
    expect(binanceLeveragePnl(pos({ unrealizedPnl: 2, walletBalance: 0.5, maintenanceMargin: 0.25 }))).toBeCloseTo((2 / 1) * (0.25 / 2.5), 12);
    expect(binanceLeveragePnl(pos({ unrealizedPnl: -5 }))).toBe(0);
    expect(binanceLeveragePnl(pos({ unrealizedPnl: 5, walletBalance: -10 }))).toBe(0);
  });
});

describe('Hyperliquid ADL index (docs: (mark/entry) × (notional/account value))', () => {
  it('long 2 ETH from 2000 at mark 2500, account 2000: 1.25 × 2.5 = 3.125', () => {
    expect(hyperliquidAdlIndex(pos({ qty: 2, entryPrice: 2000, markPrice: 2500, unrealizedPnl: 1000, accountValue: 2000 }))).toBeCloseTo(3.125, 12);
  });
  it('short 1 BTC from 100000 at mark 80000, account 40000: (entry/mark) 1.25 × 2 = 2.5', () => {
    expect(hyperliquidAdlIndex(pos({ qty: -1, entryPrice: 100000, markPrice: 80000, unrealizedPnl: 20000, accountValue: 40000 }))).toBeCloseTo(2.5, 12);
  });
});

describe('queue model', () => {
  it('ranks profitable positions only, highest score first, with lights', () => {
    const m = queueAdlModel({ ranking: 'hyperliquid-index', lightThresholds: [0.5, 1, 2, 3] });
    const r = m.rank([
      pos({ instrumentId: 0, qty: 2, entryPrice: 2000, markPrice: 2500, unrealizedPnl: 1000, accountValue: 2000 }), // 3.125
      pos({ instrumentId: 1, qty: -1, entryPrice: 100000, markPrice: 80000, unrealizedPnl: 20000, accountValue: 40000 }), // 2.5
      pos({ instrumentId: 2, qty: -1, entryPrice: 100, markPrice: 110, unrealizedPnl: -10 }), // losing: not ranked
    ]);
    expect(r.map((x) => [x.instrumentId, x.light])).toEqual([
      [0, 5],
      [1, 4],
    ]);
    expect(adlLight(0.49, [0.5, 1, 2, 3])).toBe(1);
    expect(adlLight(1, [0.5, 1, 2, 3])).toBe(3);
  });
  it('draws hits and shares from the seeded RNG, reproducibly, at the configured odds', () => {
    const m = queueAdlModel({ hitProbability: [0, 0, 0, 0, 0.5], minShare: 0.2, maxShare: 0.6 });
    const rank = { instrumentId: 0, score: 9, light: 5 };
    const a = seedrandom('7');
    const b = seedrandom('7');
    const sa = Array.from({ length: 4000 }, () => m.drawShare(rank, a));
    const sb = Array.from({ length: 4000 }, () => m.drawShare(rank, b));
    expect(sa).toEqual(sb);
    const hits = sa.filter((x) => x > 0);
    expect(hits.length / 4000).toBeGreaterThan(0.46);
    expect(hits.length / 4000).toBeLessThan(0.54);
    expect(Math.min(...hits)).toBeGreaterThanOrEqual(0.2);
    expect(Math.max(...hits)).toBeLessThanOrEqual(0.6);
    expect(m.drawShare({ instrumentId: 0, score: 0.01, light: 1 }, a)).toBe(0);
  });
  it('rejects bad params naming them', () => {
    expect(() => queueAdlModel({ minShare: 0 })).toThrow(/minShare/);
    expect(() => queueAdlModel({ lightThresholds: [1, 0.5, 2, 3] })).toThrow(/lightThresholds/);
    expect(() => queueAdlModel({ hitProbability: [0, 0, 0, 0, 2] })).toThrow(/hitProbability/);
  });
});

describe('ADL trigger, price and plan', () => {
  it('a liquidation triggers ADL only when the bar never traded at its liquidation price', () => {
    expect(liquidationNeedsAdl(1, 95, 94.5, 90)).toBe(true); // long, the whole bar below 95: gapped through
    expect(liquidationNeedsAdl(1, 95, 100, 94)).toBe(false); // the bar traded at 95: closed inside it
    expect(liquidationNeedsAdl(-1, 105, 110, 105.5)).toBe(true); // short, the whole bar above 105
    expect(liquidationNeedsAdl(-1, 105, 106, 100)).toBe(false);
    expect(liquidationNeedsAdl(0, 105, 110, 106)).toBe(false);
  });
  it('closes at the mark or at the bar extreme adverse to the deleveraged side, never better than the mark', () => {
    expect(adlClosePrice(-2, 100, 104, 97, 'adverse-extreme')).toBe(104); // short bought back at the high
    expect(adlClosePrice(2, 100, 104, 97, 'adverse-extreme')).toBe(97); // long sold at the low
    expect(adlClosePrice(-2, 105, 104, 97, 'adverse-extreme')).toBe(105); // mark above the perp bar: the mark
    expect(adlClosePrice(-2, 100, 104, 97, 'mark')).toBe(100);
    expect(venueAdlParams('hyperliquid')).toMatchObject({ ranking: 'hyperliquid-index', price: 'mark' });
    expect(venueAdlParams('binance')).toMatchObject({ ranking: 'binance-leverage-pnl', price: 'adverse-extreme' });
  });
  it('a delta-neutral short in profit on Binance, by hand: score, light and a scenario share', () => {
    // Short 10 ETH from 3000, mark 2500: uPnL 5000. Cross wallet 15000; maintenance 10 × 2500 × 0.4 % = 100.
    // pnl% = 5000 / 15000; margin ratio = 100 / (15000 + 5000) = 0.005; score = 0.3333 × 0.005 = 0.0016667 → light 1.
    const m = queueAdlModel(venueAdlParams('binance'));
    const short = pos({ instrumentId: 3, qty: -10, entryPrice: 3000, markPrice: 2500, unrealizedPnl: 5000, walletBalance: 15000, maintenanceMargin: 100, accountValue: 20000 });
    const losing = pos({ instrumentId: 4, qty: 1, entryPrice: 3000, markPrice: 2500, unrealizedPnl: -500 });
    const plan = planAdl(m, [short, losing], seedrandom('1'), 0.5);
    expect(plan).toHaveLength(1);
    expect(plan[0]!.instrumentId).toBe(3);
    expect(plan[0]!.score).toBeCloseTo(1 / 600, 12);
    expect(plan[0]!.light).toBe(1);
    expect(plan[0]!.share).toBe(0.5);
  });
  it('without a share the model draws per ranked position, two draws each, reproducibly', () => {
    const m = queueAdlModel({ hitProbability: [1, 1, 1, 1, 1], minShare: 0.2, maxShare: 0.6 });
    const ps = [pos({ instrumentId: 0 }), pos({ instrumentId: 1, unrealizedPnl: 20 })];
    const a = planAdl(m, ps, seedrandom('s'));
    const r = seedrandom('s');
    const draws = [r(), r(), r(), r()];
    // ranked: instrument 1 (higher pnl%) first; share = 0.2 + 0.4 × second draw of its pair
    expect(a.map((x) => x.instrumentId)).toEqual([1, 0]);
    expect(a[0]!.share).toBeCloseTo(0.2 + 0.4 * draws[1]!, 12);
    expect(a[1]!.share).toBeCloseTo(0.2 + 0.4 * draws[3]!, 12);
  });
});
