/**
 * Golden scenarios computed by hand: exact funding, fees, slippage, equity, drawdown, and a
 * liquidation at a hand-computed price and time. Data goes through the real Arrow store.
 */
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import { buildSummary } from '../../src/analysis/run-writer.js';
import type { StrategyFactory, StrategyContext } from '../../src/strategy/types.js';
import { flat, tempDataDir, writeBars, writeFunding } from '../support/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);

/** A scripted strategy: move `perpCash` to the perp account and sell `qty` perp at the start. */
function shortPerp(perpCash: number, qty: number, leverage = 20): StrategyFactory {
  return {
    name: 'golden-short',
    description: 'test',
    params: {},
    universe: (i) => [{ venue: i.venues[0]!, symbol: 'BTC/USDT:USDT' }],
    create: () => ({
      onStart(ctx: StrategyContext) {
        const perp = ctx.market.instrument('binance', 'BTC/USDT:USDT');
        ctx.setLeverage(perp, leverage);
        ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: perpCash });
        ctx.order({ instrument: perp, side: 'sell', qty, tag: 'open' });
      },
    }),
  };
}

describe('golden: funding, fees, slippage, equity, drawdown', () => {
  // Perp bars (no mark series: the perp close is the mark). Short 1 at the first open, 2000.
  const dir = tempDataDir();
  writeBars(dir, 'binance', 'BTC/USDT:USDT', 'ohlcv', '1h', H, T0, [
    [2000, 2010, 1990, 2000],
    [2000, 2100, 2000, 2100],
    [2100, 2100, 1900, 1900],
    [1900, 1960, 1900, 1950],
  ]);
  writeFunding(dir, 'binance', 'BTC/USDT:USDT', [
    [T0 - 6 * H, 0.0001, 8], // history only (before the start)
    [T0 + 2 * H, 0.0001, 8],
    [T0 + 3 * H, -0.0002, 1],
  ]);
  const r = runBacktest({ strategy: shortPerp(5000, 1), venues: ['binance'], symbol: 'BTC/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 4 * H, capital: 10_000, dataDir: dir, markToMarketEnd: true }); // marked to market at the end: the hand numbers below hold no exit (see hold-perp's test for the close)

  test('fill at the first open with 1 bp slippage and the 0.05 % taker fee', () => {
    const t = r.portfolio.trades;
    expect(t).toHaveLength(1);
    expect(t[0]!.ts).toBe(T0);
    expect(t[0]!.side).toBe('sell');
    expect(t[0]!.price).toBeCloseTo(1999.8, 10); // 2000 − 1 bp
    expect(t[0]!.slippage).toBeCloseTo(0.2, 12);
    expect(t[0]!.fee).toBeCloseTo(1999.8 * 0.0005, 12); // 0.9999
  });

  test('funding = −qty × mark × rate, mark = perp close at the settlement, on the position held', () => {
    const f = r.portfolio.fundings;
    expect(f.map((x) => x.ts)).toEqual([T0 + 2 * H, T0 + 3 * H]);
    expect(f[0]!.markPrice).toBe(2100);
    expect(f[0]!.amount).toBeCloseTo(0.21, 12); // −(−1) × 2100 × 0.0001
    expect(f[1]!.markPrice).toBe(1900);
    expect(f[1]!.amount).toBeCloseTo(-0.38, 12); // −(−1) × 1900 × −0.0002
    expect(f[1]!.intervalHours).toBe(1);
  });

  test('equity at every bar and drawdown', () => {
    const { ts, columns } = r.samples.trimmed();
    expect(Array.from(ts)).toEqual([T0 + H, T0 + 2 * H, T0 + 3 * H, T0 + 4 * H]);
    const w = 5000 - 0.9999 - 0.2; // perp wallet after costs
    const expected = [5000 + w, 5000 + w + 0.21 - 100, 5000 + w + 0.21 - 0.38 + 100, 5000 + w + 0.21 - 0.38 + 50];
    const eq = columns.get('equity')!;
    expected.forEach((e, k) => expect(eq[k]).toBeCloseTo(e, 9));
    // The running peak starts at the capital (10000): the entry costs (fee 0.9999 + slippage 0.2)
    // booked before the first sample are already drawdown there.
    const dd = columns.get('drawdown')!;
    expect(dd[0]).toBeCloseTo(expected[0]! / 10_000 - 1, 15); // −1.1999e-4
    expect(dd[0]).toBeCloseTo(-0.00011999, 15);
    expect(dd[1]).toBeCloseTo(expected[1]! / 10_000 - 1, 12); // 9899.0101: −1.009899 %
    expect(dd[2]).toBe(0); // 10098.6301: a new peak
    expect(dd[3]).toBeCloseTo(expected[3]! / expected[2]! - 1, 12);
    const s = buildSummary(r, 'golden');
    expect(s.metrics.maxDrawdown).toBeCloseTo(expected[1]! / 10_000 - 1, 12);
    expect(s.metrics.maxDrawdown).toBeCloseTo(-0.01009899, 12);
    expect(s.metrics.maxDrawdown).toBe(Math.min(...dd));
    // Underwater from the window start T0 (the entry costs were booked there, below the initial
    // capital) to the recovery at T0 + 3h: 3 h (it was 2 h, from the first sample, before the span
    // became the run window).
    expect(s.metrics.maxDrawdownDurationHours).toBe(3);
    expect(s.metrics.finalEquity).toBeCloseTo(expected[3]!, 9);
  });

  test('attribution: funding −0.17, fees −0.9999, slippage −0.2, trading +50', () => {
    expect(r.pnl.funding).toBeCloseTo(-0.17, 12);
    expect(r.pnl.fees).toBeCloseTo(-0.9999, 12);
    expect(r.pnl.slippage).toBeCloseTo(-0.2, 12);
    expect(r.pnl.trading).toBeCloseTo(50, 9);
    expect(r.pnl.total).toBeCloseTo(r.finalEquity - 10_000, 9);
    expect(r.pnl.total).toBeCloseTo(48.6301, 9);
  });
});

describe('golden: liquidation on the mark bar high at a hand-computed price', () => {
  // Short 1 BTC at 20000 with 1000 USDT cross margin, binance BTC tier 1 (0.4 %, deduction 0).
  const dir = tempDataDir();
  writeBars(dir, 'binance', 'BTC/USDT:USDT', 'ohlcv', '1h', H, T0, [
    [20000, 21500, 19900, 20050], // a last-price wick to 21500: must NOT liquidate (mark decides)
    [20050, 20990, 20000, 20900],
    [20900, 21000, 20800, 20950],
  ]);
  writeBars(dir, 'binance', 'BTC/USDT:USDT', 'mark', '1h', H, T0, [
    [20000, 20100, 19900, 20050],
    [20050, 20950, 20000, 20900],
    [20900, 21000, 20800, 20950],
  ]);
  writeFunding(dir, 'binance', 'BTC/USDT:USDT', [
    [T0 + H, 0.0001, 1, NaN], // mark at settlement: the mark bar close at T0+1h = 20050
    [T0 + 2 * H, 0.0001, 1, NaN], // after the liquidation inside the bar ending at T0+2h: no payment
  ]);
  const liqs: number[] = [];
  const factory = shortPerp(1000, 1, 25); // initial margin 800 ≤ 990 after the fee
  const base = factory.create({});
  const withHook: StrategyFactory = { ...factory, create: () => ({ ...base, onLiquidation: (_c, l) => void liqs.push(l.ts, l.price) }) };
  const r = runBacktest({
    strategy: withHook,
    venues: ['binance'],
    symbol: 'BTC/USDT',
    timeframe: '1h',
    fromMs: T0,
    toMs: T0 + 3 * H,
    capital: 1500,
    dataDir: dir,
    models: { slippage: { name: 'fixed', params: { bps: 0 } } },
  });

  const wallet = 1000 - 20000 * 0.0005 + 20050 * 0.0001; // fee 10, funding +2.005 → 992.005
  const lp = (wallet + 0 + 1 * 20000) / (1 * 0.004 + 1); // Binance single-position formula, short

  test('funding before the liquidation uses the mark bar close', () => {
    expect(r.portfolio.fundings).toHaveLength(1);
    expect(r.portfolio.fundings[0]!.amount).toBeCloseTo(2.005, 12);
  });

  test('liquidated at the delivery of the mark bar whose high crossed, at the liquidation price', () => {
    expect(lp).toBeCloseTo(20908.371514, 5);
    const l = r.portfolio.liquidations;
    expect(l).toHaveLength(1);
    expect(l[0]!.ts).toBe(T0 + 2 * H);
    expect(l[0]!.price).toBeCloseTo(lp, 9);
    expect(l[0]!.markPrice).toBe(20950);
    expect(l[0]!.qty).toBe(-1);
    // Margin left after closing at LP equals the maintenance margin there: 0.4 % × LP; the 1.25 %
    // fee is capped at it, so the perp account ends at 0.
    expect(l[0]!.fee).toBeCloseTo(0.004 * lp, 9);
    expect(l[0]!.equityAfter).toBeCloseTo(500, 9);
    expect(liqs).toEqual([T0 + 2 * H, l[0]!.price]);
    const tr = r.portfolio.trades.at(-1)!;
    expect(tr.tag).toBe('liquidation');
    expect(tr.side).toBe('buy');
  });

  test('attribution after liquidation sums to the equity change', () => {
    expect(r.finalEquity).toBeCloseTo(500, 9);
    expect(r.pnl.liquidation).toBeCloseTo(-0.004 * lp, 9);
    expect(r.pnl.trading).toBeCloseTo(20000 - lp, 9);
    expect(r.pnl.total).toBeCloseTo(-1000, 9);
    const s = buildSummary(r, 'liq');
    expect(s.metrics.liquidationCount).toBe(1);
  });
});

test('flat bars helper sanity', () => {
  expect(flat([1, 2])).toEqual([
    [1, 1, 1, 1],
    [2, 2, 2, 2],
  ]);
});
