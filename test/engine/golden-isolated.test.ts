/**
 * Golden, hand-computed: an isolated-margin short liquidated in Binance ETHUSDT tier 3 (0.65 %,
 * cum 950: 600k < notional ≤ 3M USDT), on the mark bar's high, with the fee capped at the margin
 * left (default rate) and below it (a 0.3 % rate, Binance's 2019 FAQ figure for BTCUSDT).
 */
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import type { ModelsConfig } from '../../src/engine/backtest.js';
import type { StrategyContext, StrategyFactory } from '../../src/strategy/types.js';
import { tempDataDir, writeBars } from '../support/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);

/** Isolated mode, 10×, move 80000 to the perp account, sell 300 ETH perp at the first open. */
const shortIsolated: StrategyFactory = {
  name: 'golden-isolated',
  description: 'test',
  params: {},
  universe: (i) => [{ venue: i.venues[0]!, symbol: 'ETH/USDT:USDT' }],
  create: () => ({
    onStart(ctx: StrategyContext) {
      const perp = ctx.market.instrument('binance', 'ETH/USDT:USDT');
      ctx.setMarginMode('binance', 'isolated');
      ctx.setLeverage(perp, 10);
      ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 80_000 });
      ctx.order({ instrument: perp, side: 'sell', qty: 300, tag: 'open' });
    },
  }),
};

function run(models: ModelsConfig) {
  const dir = tempDataDir();
  const bars = [
    [2500, 2510, 2490, 2500],
    [2500, 2700, 2500, 2650], // high 2700 < LP: survives
    [2650, 2760, 2640, 2700], // high 2760 ≥ LP 2735.39: liquidated at T0+3h
  ];
  writeBars(dir, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, bars);
  writeBars(dir, 'binance', 'ETH/USDT:USDT', 'mark', '1h', H, T0, bars);
  return runBacktest({
    strategy: shortIsolated,
    venues: ['binance'],
    symbol: 'ETH/USDT',
    timeframe: '1h',
    fromMs: T0,
    toMs: T0 + 3 * H,
    capital: 100_000,
    dataDir: dir,
    models: { slippage: { name: 'fixed', params: { bps: 0 } }, ...models },
  });
}

// Isolated margin = 300 × 2500 / 10 = 75000; fee 0.05 % × 750000 = 375 from the free perp cash.
// Short: 75000 − 300 (P − 2500) = 300 P × 0.0065 − 950  ⇒  P = (75000 + 950 + 750000) / (300 × 1.0065)
const LP = 825_950 / 301.95; // 2735.38665…, notional 820616 (tier 3)
const MM = 0.0065 * 300 * LP - 950; // 4384.0040 = the isolated margin left at LP

describe('golden: isolated short liquidated above the first tier', () => {
  test('default fee: capped at the margin left, the isolated margin is lost, the free cash is not', () => {
    const r = run({});
    expect(LP).toBeCloseTo(2735.3866534194, 9);
    const l = r.portfolio.liquidations;
    expect(l).toHaveLength(1);
    expect(l[0]!.ts).toBe(T0 + 3 * H);
    expect(l[0]!.price).toBeCloseTo(LP, 9);
    expect(l[0]!.markPrice).toBe(2760);
    expect(l[0]!.fee).toBeCloseTo(MM, 9); // 1.25 % × 820616 = 10257.7 > 4384.0: capped
    // 20000 in spot + 80000 − 75000 − 375 free in the perp account.
    expect(r.finalEquity).toBeCloseTo(24_625, 9);
    expect(r.pnl.trading).toBeCloseTo(300 * (2500 - LP), 9); // −70616.0
    expect(r.pnl.fees).toBeCloseTo(-375, 9);
    expect(r.pnl.liquidation).toBeCloseTo(-MM, 9);
    expect(r.pnl.total).toBeCloseTo(-75_375, 9);
  });

  test('a 0.3 % fee (below the 0.65 % maintenance rate) leaves the rest of the margin with the trader', () => {
    const r = run({ margin: { name: 'tiered', params: { liquidationFeeRate: { binance: 0.003 } } } });
    const fee = 0.003 * 300 * LP; // 2461.848
    expect(r.portfolio.liquidations[0]!.fee).toBeCloseTo(fee, 9);
    expect(r.finalEquity).toBeCloseTo(24_625 + MM - fee, 9); // 26547.156
    expect(r.pnl.total).toBeCloseTo(-75_375 + MM - fee, 9);
  });
});
