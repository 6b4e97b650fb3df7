/**
 * Round trips, golden: a perp position opened, added to, partly reduced, flipped, paid funding on
 * both sides of the flip and closed at the window end, every cell computed by hand. Binance perp:
 * taker fee 0.05 % of the fill price, fixed slippage 1 bp of the booking price.
 */
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import { roundTripStats, roundTripsOf, roundTripTotals, type RoundTrip } from '../../src/analysis/round-trips.js';
import type { StrategyFactory } from '../../src/strategy/types.js';
import { flat, tempDataDir, writeBars, writeFunding } from '../support/series.js';
import { shortSpot } from '../support/strategies.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);
const PERP = 'BTC/USDT:USDT';

/**
 * Orders at the instants their fills happen (each fills at the next bar's open): T0 buy 1 (`open`),
 * T0+1h buy 1 (`add`), T0+2h sell 0.5 (`trim`), T0+3h sell 3 (`flip`: closes 1.5, opens 1.5 short).
 */
function script(): StrategyFactory {
  return {
    name: 'round-trip-script',
    description: 'test',
    params: {},
    universe: (i) => [{ venue: i.venues[0]!, symbol: PERP }],
    create: () => {
      let bars = 0;
      return {
        onStart(ctx) {
          const perp = ctx.market.instrument('binance', PERP);
          ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 5000 });
          ctx.order({ instrument: perp, side: 'buy', qty: 1, tag: 'open' });
        },
        onBar(ctx, ev) {
          bars++;
          const plan: Record<number, ['buy' | 'sell', number, string]> = { 1: ['buy', 1, 'add'], 2: ['sell', 0.5, 'trim'], 3: ['sell', 3, 'flip'] };
          const p = plan[bars];
          if (p) ctx.order({ instrument: ev.instrument, side: p[0], qty: p[1], tag: p[2] });
        },
      };
    },
  };
}

function run(markToMarketEnd: boolean) {
  const dir = tempDataDir();
  // Opens (= closes) 2000, 2100, 2200, 2000 at T0 … T0+3h; the last bar closes at 1800.
  writeBars(dir, 'binance', PERP, 'ohlcv', '1h', H, T0, [...flat([2000, 2100, 2200, 2000]), [1900, 1900, 1800, 1800]]);
  writeFunding(dir, 'binance', PERP, [
    [T0 - 6 * H, 0.0001, 2],
    [T0, 0.0001, 2], // flat at T0's settlement (the open fills after it): nothing paid
    [T0 + 2 * H, 0.0001, 2], // long 2 at mark 2100: −2 × 2100 × 0.0001 = −0.42
    [T0 + 4 * H, 0.0002, 2], // short 1.5 at mark 2000: +1.5 × 2000 × 0.0002 = +0.6
  ]);
  return runBacktest({ strategy: script(), venues: ['binance'], symbol: 'BTC/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 5 * H, capital: 10_000, dataDir: dir, markToMarketEnd });
}

/** The long episode: every cell by hand. */
const LONG: Partial<RoundTrip> = {
  venue: 'binance', symbol: PERP, type: 'perp', side: 'long', openTs: T0, closeTs: T0 + 3 * H, qty: 2,
  entryPrice: 2050, // (1 × 2000 + 1 × 2100) / 2
  exitPrice: 2050, // (0.5 × 2200 + 1.5 × 2000) / 2
  holdingHours: 3, exitReason: 'flip', fills: 4, liquidation: 0, adl: 0, interest: 0,
};
// fees: 2000.2 × 0.0005 + 2100.21 × 0.0005 + 0.5 × 2199.78 × 0.0005 + half of 3 × 1999.8 × 0.0005
const LONG_FEES = -(1.0001 + 1.050105 + 0.549945 + 1.49985); // −4.1
const LONG_SLIP = -(0.2 + 0.21 + 0.11 + 0.3); // −0.82
// trim realizes 0.5 × (2200 − 2050) = +75, the flip's close 1.5 × (2000 − 2050) = −75

describe('round trips golden: add, partial reduce, flip, funding, close at the end', () => {
  const r = run(false);
  const rt = roundTripsOf(r.portfolio, r.config.toMs);

  test('two episodes of the perp leg, no account-level flow', () => {
    expect(rt.rows).toHaveLength(2);
    expect(rt.account).toEqual([]);
  });

  test('long episode: entry, exit, funding −0.42, trading 0, fees −4.1, slippage −0.82, net −5.34', () => {
    const a = rt.rows[0]!;
    expect(a).toMatchObject(LONG);
    expect(a.funding).toBeCloseTo(-0.42, 12);
    expect(a.trading).toBeCloseTo(0, 9);
    expect(a.fees).toBeCloseTo(LONG_FEES, 12);
    expect(a.fees).toBeCloseTo(-4.1, 12);
    expect(a.slippage).toBeCloseTo(LONG_SLIP, 12);
    expect(a.net).toBeCloseTo(-5.34, 9);
  });

  test('short episode opened by the flip, closed at the end: trading +300, funding +0.6, net 297.180015', () => {
    const b = rt.rows[1]!;
    expect(b).toMatchObject({ side: 'short', openTs: T0 + 3 * H, closeTs: T0 + 5 * H, qty: 1.5, entryPrice: 2000, exitPrice: 1800, holdingHours: 2, exitReason: 'close-at-end', fills: 2 });
    expect(b.funding).toBeCloseTo(0.6, 12);
    expect(b.trading).toBeCloseTo(300, 9); // 1.5 × (2000 − 1800)
    // half the flip's fee, then the close: 1.5 × 1800.18 × 0.0005
    expect(b.fees).toBeCloseTo(-(1.49985 + 1.350135), 12);
    expect(b.slippage).toBeCloseTo(-(0.3 + 0.27), 12);
    expect(b.net).toBeCloseTo(297.180015, 9);
  });

  test('the rows sum to the run attribution', () => {
    const tot = roundTripTotals(rt);
    for (const k of ['funding', 'trading', 'fees', 'slippage', 'interest', 'liquidation', 'adl', 'total'] as const) expect(tot[k]).toBeCloseTo(r.pnl[k], 9);
    expect(r.pnl.total).toBeCloseTo(-5.34 + 297.180015, 9);
  });

  test('aggregates: win rate 1/2, mean holding 2.5 h, funding / costs = 0.18 / 8.339985', () => {
    const s = roundTripStats(rt.rows, rt.account);
    expect(s).toMatchObject({ episodes: 2, closed: 2, open: 0, winRate: 0.5, meanHoldingHours: 2.5 });
    expect(s.funding).toBeCloseTo(0.18, 12);
    expect(s.costs).toBeCloseTo(4.1 + 0.82 + 2.849985 + 0.57, 9);
    expect(s.fundingPerCost).toBeCloseTo(0.18 / 8.339985, 12);
  });
});

describe('round trips golden: --mark-to-market-end leaves the short open', () => {
  const r = run(true);
  const rt = roundTripsOf(r.portfolio, r.config.toMs);

  test('open row: no close time, exit reason open, exit price the last mark, unrealized trading PnL', () => {
    expect(rt.rows[0]).toMatchObject(LONG);
    const b = rt.rows[1]!;
    expect(b).toMatchObject({ side: 'short', openTs: T0 + 3 * H, qty: 1.5, entryPrice: 2000, exitPrice: 1800, holdingHours: 2, exitReason: 'open', fills: 1 });
    expect(b.closeTs).toBeNaN();
    expect(b.trading).toBeCloseTo(300, 9);
    expect(b.fees).toBeCloseTo(-1.49985, 12);
    expect(b.slippage).toBeCloseTo(-0.3, 12);
    expect(b.net).toBeCloseTo(300 + 0.6 - 1.49985 - 0.3, 9);
    const s = roundTripStats(rt.rows, rt.account);
    expect(s).toMatchObject({ episodes: 2, closed: 1, open: 1, winRate: 0, meanHoldingHours: 3 });
  });

  test('the rows sum to the run attribution', () => {
    const tot = roundTripTotals(rt);
    for (const k of ['funding', 'trading', 'fees', 'slippage', 'total'] as const) expect(tot[k]).toBeCloseTo(r.pnl[k], 9);
  });
});

describe('round trips golden: a borrowed spot leg owns its borrow interest; quote interest is the account row', () => {
  const dir = tempDataDir();
  // closes 2000, 2100, 2200, 2300 at T0+1h … T0+4h (test/engine/interest.test.ts's series)
  writeBars(dir, 'binance', 'ETH/USDT', 'ohlcv', '1h', H, T0, [[2000, 2000, 2000, 2000], [2050, 2100, 2050, 2100], [2150, 2200, 2150, 2200], [2250, 2300, 2250, 2300]]);
  const r = runBacktest({
    strategy: shortSpot(2), venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 4 * H, capital: 10_000, dataDir: dir, allowSpotBorrow: true,
    models: { interest: { params: { borrowApr: 0.1, lendApr: 0.05 } } },
  });
  const rt = roundTripsOf(r.portfolio, r.config.toMs);
  const perHour = 0.1 / 8760;

  test('the short spot episode: opened T0+1h at 2050, bought back at the end at 2300, pays 2 × (2100 + 2200 + 2300) × 10 %/8760', () => {
    expect(rt.rows).toHaveLength(1);
    const s = rt.rows[0]!;
    expect(s).toMatchObject({ type: 'spot', side: 'short', openTs: T0 + H, closeTs: T0 + 4 * H, qty: 2, entryPrice: 2050, exitPrice: 2300, holdingHours: 3, exitReason: 'close-at-end', fills: 2 });
    expect(s.interest).toBeCloseTo(-2 * (2100 + 2200 + 2300) * perHour, 12); // −0.150685
    expect(s.trading).toBeCloseTo(2 * (2050 - 2300), 9); // −500
  });

  test('the wallet\'s lent cash earns 5 % as the account row; rows + account = the attribution', () => {
    expect(rt.account).toHaveLength(1);
    const quote = r.portfolio.ledger.filter((e) => e.type === 'interest' && e.symbol === '').reduce((a, e) => a + e.amount, 0);
    expect(quote).toBeGreaterThan(0);
    expect(rt.account[0]!.interest).toBe(quote);
    // cash ≥ 10,000 all along, lent at 5 %: at least 3 h × 10,000 × 0.05 / 8760
    expect(quote).toBeGreaterThan((3 * 10_000 * 0.05) / 8760);
    const tot = roundTripTotals(rt);
    for (const k of ['interest', 'trading', 'fees', 'slippage', 'total'] as const) expect(tot[k]).toBeCloseTo(r.pnl[k], 9);
  });
});
