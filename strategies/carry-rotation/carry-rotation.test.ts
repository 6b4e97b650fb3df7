import { describe, expect, it } from 'vitest';
import factory, { chooseTargets } from './index.js';
import { h, runScenario, tempDataDir, tradeRows, writeFlatBars, writeFunding } from '../../test/support/scenario.js';
import { itWithShared } from '../../test/support/paths.js';
import { runBacktest } from '../../src/engine/backtest.js';
import { join } from 'node:path';

describe('chooseTargets', () => {
  const p = { topN: 2, minApr: 0.05, switchApr: 0.05 };
  it('fills free slots with the best assets above minApr', () => {
    expect(chooseTargets([0.1, 0.3, 0.2, 0.01], [], p)).toEqual([1, 2]);
    expect(chooseTargets([0.1, NaN, 0.04], [], p)).toEqual([0]);
  });
  it('keeps a held asset unless a candidate beats it by more than switchApr', () => {
    expect(chooseTargets([0.1, 0.3, 0.14], [0, 1], p)).toEqual([0, 1]); // 0.14 − 0.10 = 0.04 ≤ 0.05
    expect(chooseTargets([0.1, 0.3, 0.16], [0, 1], p)).toEqual([1, 2]); // 0.16 − 0.10 = 0.06 > 0.05
  });
  it('drops a held asset at or below minApr', () => {
    expect(chooseTargets([0.05, 0.3, 0.06], [0, 1], p)).toEqual([1, 2]);
  });
});

/**
 * Hand-made market, Binance, 1h bars flat: BTC spot and perp at 50000, ETH at 2000 (no mark series:
 * mark = perp close). 8h settlements (rate per 8h):
 *
 *   ts     h(-8)   h(0)    h(8)    h(16)   h(24)    h(32)    h(40)
 *   ETH    0.0001  0.0002  0.0002  0.0002  0.00034  0.00034  0.00034
 *   BTC    0.0001  0.0001  0.0003  0.0003  0.0003   0        0
 *
 * Params: topN 1, lookbackHours 8 (the latest settlement only: APR = rate × 1095), rebalance every
 * 8 h from the first bar (h1, h9, h17, h25, h33, h41), minApr 0.05, switchApr 0.05, leverage 1,
 * cashBuffer 0.01. No slippage; fees: spot 0.1 %, perp 0.05 % (taker), i.e. 0.15 % of the notional
 * per leg pair.
 *
 *  h1  ETH 0.219 > BTC 0.1095: enter ETH. N1 = 100000 × 1/2 × 0.99 = 49500, qty 24.75; fees 74.25.
 *  h8  ETH funding +24.75 × 2000 × 0.0002 = 9.9.
 *  h9  BTC 0.3285 − ETH 0.219 = 0.1095 > 0.05: switch. ETH out (fees 74.25), then BTC in on equity
 *      E1 = 100000 − 148.5 + 9.9 = 99861.4: N2 = E1 × 0.495 = 49431.393, qty N2 / 50000.
 *  h16, h24  BTC funding N2 × 0.0003 = 14.8294179 each.
 *  h25 ETH 0.3723 − BTC 0.3285 = 0.0438 ≤ 0.05: no switch (the threshold holds).
 *  h32 BTC funding 0 (rate 0).
 *  h33 BTC 0 ≤ minApr: out (fees 0.0015 × N2 each way); ETH in on E2 = E1 − 0.003 × N2 + 2 × 14.8294179.
 *  h40 ETH funding N3 × 0.00034, N3 = E2 × 0.495.
 *  h41 hold. End at h44, book open at flat prices: final = E2 − 0.0015 × N3 + 0.00034 × N3.
 */
function market(): string {
  const dir = tempDataDir('rotation');
  const flat = (px: number) => Array.from({ length: 48 }, () => px);
  writeFlatBars(dir, 'binance', 'BTC/USDT', h(0), flat(50000));
  writeFlatBars(dir, 'binance', 'BTC/USDT:USDT', h(0), flat(50000));
  writeFlatBars(dir, 'binance', 'ETH/USDT', h(0), flat(2000));
  writeFlatBars(dir, 'binance', 'ETH/USDT:USDT', h(0), flat(2000));
  const rows = (rates: number[]) => rates.map((r, i) => [h(-8 + 8 * i), r, 8, NaN] as const);
  writeFunding(dir, 'binance', 'ETH/USDT:USDT', rows([0.0001, 0.0002, 0.0002, 0.0002, 0.00034, 0.00034, 0.00034]));
  writeFunding(dir, 'binance', 'BTC/USDT:USDT', rows([0.0001, 0.0001, 0.0003, 0.0003, 0.0003, 0, 0]));
  return dir;
}

const params = { topN: 1, lookbackHours: 8, rebalanceHours: 8, minApr: 0.05, switchApr: 0.05, leverage: 1, cashBuffer: 0.01 };

describe('carry-rotation on a hand-made market', () => {
  it('rotates into the best payer, holds while a switch would not clear switchApr, leaves an asset at minApr', () => {
    const r = runScenario({ strategy: factory, params, venues: ['binance'], symbol: 'ETH/USDT,BTC/USDT', dataDir: market(), hours: 44, markToMarketEnd: true }); // the rotation's own trades only
    const e1 = 100000 - 148.5 + 9.9;
    const n2 = e1 * 0.495;
    const e2 = e1 - 0.003 * n2 + 2 * n2 * 0.0003;
    const n3 = e2 * 0.495;
    expect(r.rejected).toBe(0);
    expect(tradeRows(r).map(([t, , sym, side, qty, px, fee]) => [t, sym, side, qty, px, fee])).toEqual([
      [1, 'ETH/USDT', 'buy', 24.75, 2000, 49.5],
      [1, 'ETH/USDT:USDT', 'sell', 24.75, 2000, 24.75],
      [9, 'ETH/USDT:USDT', 'buy', 24.75, 2000, 24.75],
      [9, 'ETH/USDT', 'sell', 24.75, 2000, 49.5],
      [9, 'BTC/USDT', 'buy', expect.closeTo(n2 / 50000, 12), 50000, expect.closeTo(n2 * 0.001, 9)],
      [9, 'BTC/USDT:USDT', 'sell', expect.closeTo(n2 / 50000, 12), 50000, expect.closeTo(n2 * 0.0005, 9)],
      [33, 'BTC/USDT:USDT', 'buy', expect.closeTo(n2 / 50000, 12), 50000, expect.closeTo(n2 * 0.0005, 9)],
      [33, 'BTC/USDT', 'sell', expect.closeTo(n2 / 50000, 12), 50000, expect.closeTo(n2 * 0.001, 9)],
      [33, 'ETH/USDT', 'buy', expect.closeTo(n3 / 2000, 12), 2000, expect.closeTo(n3 * 0.001, 9)],
      [33, 'ETH/USDT:USDT', 'sell', expect.closeTo(n3 / 2000, 12), 2000, expect.closeTo(n3 * 0.0005, 9)],
    ]);
    const paid = r.portfolio.fundings.filter((f) => f.amount !== 0).map((f) => [(f.ts - h(0)) / 3_600_000, f.symbol, f.amount]);
    expect(paid).toEqual([
      [8, 'ETH/USDT:USDT', expect.closeTo(9.9, 9)],
      [16, 'BTC/USDT:USDT', expect.closeTo(n2 * 0.0003, 9)],
      [24, 'BTC/USDT:USDT', expect.closeTo(n2 * 0.0003, 9)],
      [40, 'ETH/USDT:USDT', expect.closeTo(n3 * 0.00034, 9)],
    ]);
    // 9.9 + 2 × 14.8294179 + 16.7867073 = 56.3455431 of funding.
    expect(r.pnl.funding).toBeCloseTo(9.9 + 2 * n2 * 0.0003 + n3 * 0.00034, 9);
    expect(r.pnl.funding).toBeCloseTo(56.3455431, 6);
    expect(r.finalEquity).toBeCloseTo(e2 - 0.0015 * n3 + 0.00034 * n3, 6);
    expect(r.finalEquity).toBeCloseTo(99685.4924, 3);
  });

  it('topN 2 holds both; a one-asset --symbol holds the carry on it alone', () => {
    const dir = market();
    const both = runScenario({ strategy: factory, params: { ...params, topN: 2 }, venues: ['binance'], symbol: 'ETH/USDT,BTC/USDT', dataDir: dir, hours: 44 });
    // h1: both above minApr: one slot each, N = 100000 / 2 × 0.495 = 24750 per asset.
    expect(tradeRows(both).slice(0, 4).map(([t, , sym, side, qty]) => [t, sym, side, qty])).toEqual([
      [1, 'ETH/USDT', 'buy', 12.375],
      [1, 'ETH/USDT:USDT', 'sell', 12.375],
      [1, 'BTC/USDT', 'buy', 0.495],
      [1, 'BTC/USDT:USDT', 'sell', 0.495],
    ]);
    const one = runScenario({ strategy: factory, params, venues: ['binance'], symbol: 'ETH/USDT', dataDir: dir, hours: 44 });
    expect(new Set(one.portfolio.trades.map((t) => t.symbol))).toEqual(new Set(['ETH/USDT', 'ETH/USDT:USDT']));
  });
});

describe('carry-rotation on bundled data', () => {
  itWithShared()('Binance BTC and ETH, 1h, 2023-01-01 → 2026-01-01: pinned', () => {
    const r = runBacktest({
      strategy: factory,
      venues: ['binance'],
      symbol: 'BTC/USDT,ETH/USDT',
      timeframe: '1h',
      fromMs: Date.UTC(2023, 0, 1),
      toMs: Date.UTC(2026, 0, 1),
      dataDir: join(import.meta.dirname, '..', '..', 'data'),
      markToMarketEnd: true, // pinned before close-at-end existed (closing adds 2 trades)
    });
    expect(r.portfolio.trades.length).toBe(122);
    expect(r.portfolio.liquidations.length).toBe(0);
    expect(r.pnl.funding).toBeCloseTo(17136.83, 1);
    expect(r.finalEquity).toBeCloseTo(109638.50, 1);
  }, 120_000);
});
