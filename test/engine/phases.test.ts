/**
 * Instruments whose bars open at different phases (the bundled Binance 8h bars open at 00/08/16 UTC,
 * the Bybit/OKX ones at 04/12/20): each bar is delivered at open + timeframe, the merged stream is
 * time-ordered, equity is sampled at every instant where a bar of any series closes, funding at
 * 00/08/16 takes the row's mark_price, else the latest perp close at or before t (no look-ahead),
 * and the window holds the bars that close inside (from, to]. Every number below is by hand.
 */
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import type { Instrument, StrategyFactory } from '../../src/strategy/types.js';
import { tempDataDir, writeBars, writeFunding } from '../support/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 1, 28); // 2024-02-28 00:00 UTC, on the 8h grid
const h = (x: number): number => T0 + x * H;

/**
 * binance BTC/USDT spot: 8h bars opening at T0 + 8j h (phase 0), flat at 100 + j, j = 0..6.
 * bybit BTC/USDT:USDT perp: 8h bars opening at T0 − 4 h + 8j h (phase 4 h), open 200 + j,
 * close 200.5 + j, j = 0..7; no mark series. Funding (bybit, 8 h): 0 h (history), 8 h rate 0.001
 * no mark, 16 h rate 0.001 mark_price 250, 24 h rate −0.002 no mark.
 */
function setup(): string {
  const dir = tempDataDir('perpcarry-phase-');
  writeBars(dir, 'binance', 'BTC/USDT', 'ohlcv', '8h', 8 * H, T0, Array.from({ length: 7 }, (_, j) => [100 + j, 100 + j, 100 + j, 100 + j, 1]));
  writeBars(dir, 'bybit', 'BTC/USDT:USDT', 'ohlcv', '8h', 8 * H, h(-4), Array.from({ length: 8 }, (_, j) => [200 + j, 200.6 + j, 199.9 + j, 200.5 + j, 1]));
  writeFunding(dir, 'bybit', 'BTC/USDT:USDT', [
    [h(0), 0.005, 8, NaN],
    [h(8), 0.001, 8, NaN],
    [h(16), 0.001, 8, 250],
    [h(24), -0.002, 8, NaN],
  ]);
  return dir;
}

describe('two instruments at different bar phases (00/08/16 and 04/12/20 UTC)', () => {
  const dir = setup();
  const bars: [number, string, number, number][] = []; // [now, venue, openTs, close seen for the other instrument]
  const seenPerpClose: [number, number][] = [];
  const spec: StrategyFactory = {
    name: 'phase-probe',
    description: 'test probe',
    params: {},
    universe: () => [
      { venue: 'binance', symbol: 'BTC/USDT' },
      { venue: 'bybit', symbol: 'BTC/USDT:USDT' },
    ],
    create: () => {
      let spot: Instrument;
      let perp: Instrument;
      return {
        onStart(ctx) {
          spot = ctx.market.instrument('binance', 'BTC/USDT');
          perp = ctx.market.instrument('bybit', 'BTC/USDT:USDT');
          ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'bybit', toAccount: 'perp', amount: 10_000 });
          ctx.order({ instrument: spot, side: 'buy', qty: 1, tag: 'spot' });
          ctx.order({ instrument: perp, side: 'sell', qty: 1, tag: 'perp' });
        },
        onBar(ctx, bar) {
          const other = bar.instrument === spot ? perp : spot;
          bars.push([ctx.now - T0, bar.instrument.venue, bar.openTs - T0, ctx.market.close(other)]);
          seenPerpClose.push([ctx.now - T0, ctx.market.close(perp)]);
        },
      };
    },
  };
  const r = runBacktest({
    strategy: spec,
    venues: ['binance', 'bybit'],
    symbol: 'BTC/USDT',
    timeframe: '8h',
    fromMs: T0,
    toMs: h(48),
    dataDir: dir,
    capital: 100_000,
    models: { slippage: { params: { bps: 0 } } },
    markToMarketEnd: true, // the fills under test only (no closing trades at the end)
  });

  test('bars arrive at open + 8 h, time-ordered, and the window holds the bars closing in (from, to]', () => {
    // bybit bar opening at −4 h (before from) closes at 4 h: in; binance bar opening at 48 h and the
    // bybit bar opening at 44 h close after to: out.
    expect(bars.map(([now, v, open]) => [now / H, v, open / H])).toEqual([
      [4, 'bybit', -4],
      [8, 'binance', 0],
      [12, 'bybit', 4],
      [16, 'binance', 8],
      [20, 'bybit', 12],
      [24, 'binance', 16],
      [28, 'bybit', 20],
      [32, 'binance', 24],
      [36, 'bybit', 28],
      [40, 'binance', 32],
      [44, 'bybit', 36],
      [48, 'binance', 40],
    ]);
  });

  test('no look-ahead: the other venue shows its latest close at or before now', () => {
    // At 8 h the bybit perp shows the close of its bar [−4 h, 4 h) = 200.5, not [4 h, 12 h) (202.5 at 12 h).
    expect(bars.map(([now, , , other]) => [now / H, other])).toEqual([
      [4, NaN], // no binance bar has closed yet
      [8, 200.5],
      [12, 100],
      [16, 201.5],
      [20, 101],
      [24, 202.5],
      [28, 102],
      [32, 203.5],
      [36, 103],
      [40, 204.5],
      [44, 104],
      [48, 205.5],
    ]);
  });

  test('orders placed at from fill at the open of each instrument\'s first bar opening at or after it', () => {
    // spot: the bar opening at 0 h (open 100); perp: the bar opening at 4 h (open 201), filled at 4 h.
    expect(r.portfolio.trades.map((t) => [(t.ts - T0) / H, t.venue, t.side, t.qty, t.price])).toEqual([
      [0, 'binance', 'buy', 1, 100],
      [4, 'bybit', 'sell', 1, 201],
    ]);
  });

  test('funding at 00/08/16 on 04/12/20 bars: row mark_price, else the latest perp close at or before t', () => {
    // 0 h is history. 8 h: latest perp close = bar [−4, 4) closed at 4 h, 200.5: −(−1) × 200.5 × 0.001.
    // 16 h: the row's mark_price 250. 24 h: bar [12, 20) closed at 20 h, 202.5: 1 × 202.5 × −0.002.
    expect(r.portfolio.fundings.map((f) => [(f.ts - T0) / H, f.qty, f.markPrice, f.amount])).toEqual([
      [8, -1, 200.5, expect.closeTo(0.2005, 12)],
      [16, -1, 250, expect.closeTo(0.25, 12)],
      [24, -1, 202.5, expect.closeTo(-0.405, 12)],
    ]);
    expect(r.pnl.funding).toBeCloseTo(0.2005 + 0.25 - 0.405, 12);
  });

  test('equity is sampled at every instant where a bar of either series closes', () => {
    expect(Array.from(r.samples.ts.subarray(0, r.samples.length), (t) => (t - T0) / H)).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48]);
    // The last sample values each instrument at its latest close: spot 105 (bar [40, 48)), perp 205.5
    // (bar [36, 44)). Long 1 spot from 100, short 1 perp from 201: trading PnL = 5 + (201 − 205.5).
    expect(r.pnl.trading).toBeCloseTo(5 - 4.5, 9);
    expect(seenPerpClose.at(-1)).toEqual([48 * H, 205.5]);
  });
});
