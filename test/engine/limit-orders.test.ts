/**
 * Limit and post-only orders, hand-computed: a resting limit fills only when a LATER bar trades
 * THROUGH its price (a touch is not enough; `penetrationBps` asks for more), at the limit price,
 * maker fee, no slippage; a post-only order that would cross is refused; a plain limit that
 * crosses takes liquidity at the reference price like a market order; good-till orders expire;
 * open orders are listed in ctx.orders and cancellable; a maker hedge rests its perp leg and takes
 * the spot leg when it fills. Binance perp: maker 0.02 %, taker 0.05 %; spot 0.1 %; slippage 1 bp.
 */
import { describe, expect, test } from 'vitest';
import { runBacktest, type BacktestConfig } from '../../src/engine/backtest.js';
import type { Instrument, OrderInfo, Strategy, StrategyContext, StrategyFactory } from '../../src/strategy/types.js';
import { tempDataDir, writeBars, writeFunding } from '../support/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 2, 1);

/** Perp (and spot) bars; the perp's k-th bar opens at T0 + k h and is delivered at T0 + (k+1) h. */
function market(perp: number[][], spot?: number[][]): string {
  const dir = tempDataDir('perpcarry-limit-');
  writeBars(dir, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, perp);
  writeBars(dir, 'binance', 'ETH/USDT', 'ohlcv', '1h', H, T0, spot ?? perp);
  writeFunding(dir, 'binance', 'ETH/USDT:USDT', [[T0 - 8 * H, 0, 8]]);
  return dir;
}

const BARS = [
  [2000, 2010, 1995, 2000], // k0 T0      → delivered T0+1h: the strategy places its orders here
  [2000, 2005, 1990, 2001], // k1 T0+1h   → touches 1990: no fill
  [2001, 2002, 1989.5, 1995], // k2 T0+2h → through 1990 by 0.5 (2.5 bp): fills at T0+3h
  [1995, 2003, 1988, 2000], // k3 T0+3h   → through 1990 by 2 (10 bp)
  [2000, 2004, 1999, 2002], // k4 T0+4h
];

interface Script {
  /** Called in onBar of the perp at `ctx.now === T0 + at·h`. */
  at: Record<number, (ctx: StrategyContext, perp: Instrument, spot: Instrument) => void>;
}

function scripted(s: Script, log: string[]): StrategyFactory {
  return {
    name: 'limit-script',
    description: 'test',
    params: {},
    universe: () => [
      { venue: 'binance', symbol: 'ETH/USDT' },
      { venue: 'binance', symbol: 'ETH/USDT:USDT' },
    ],
    create(): Strategy {
      let perp: Instrument;
      let spot: Instrument;
      return {
        onStart(ctx) {
          perp = ctx.market.instrument('binance', 'ETH/USDT:USDT');
          spot = ctx.market.instrument('binance', 'ETH/USDT');
          ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 5000 });
        },
        onBar(ctx, bar) {
          if (bar.instrument !== perp) return;
          s.at[(ctx.now - T0) / H]?.(ctx, perp, spot);
        },
        onFill(ctx, f) {
          log.push(`${(ctx.now - T0) / H}h fill #${f.orderId} ${f.instrument.symbol} ${f.side} ${f.qty} @ ${f.price} fee ${f.fee.toFixed(6)} slip ${f.slippage.toFixed(6)} ${f.liquidity} ${f.tag}`);
        },
        onReject(ctx, r) {
          log.push(`${(ctx.now - T0) / H}h reject #${r.orderId} ${r.reason} ${r.tag}`);
        },
        onHedgeBroken(ctx, b) {
          log.push(`${(ctx.now - T0) / H}h broken ${b.longOrderId}/${b.shortOrderId} filled #${b.filledOrderId} ${b.qty} refused #${b.refusedOrderId} ${b.reason} unwind #${b.unwindOrderId}`);
        },
      };
    },
  };
}

function run(s: Script, extra: Partial<BacktestConfig> = {}, bars = BARS): { log: string[]; r: ReturnType<typeof runBacktest> } {
  const log: string[] = [];
  const r = runBacktest({ strategy: scripted(s, log), venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + bars.length * H, dataDir: market(bars), capital: 10_000, markToMarketEnd: true, ...extra });
  return { log, r };
}

describe('limit orders: trade-through fill rule', () => {
  test('a touch does not fill; the first later bar through the price fills at the limit, maker fee 0.02 %, no slippage', () => {
    const { log, r } = run({ at: { 1: (ctx, perp) => ctx.order({ instrument: perp, side: 'buy', qty: 1, type: 'limit', price: 1990, tag: 'lim' }) } });
    // Placed at T0+1h, on the book at the 2000 open of k1 (not crossing). k1 low 1990 = touch; k2 low 1989.5 → filled, delivered T0+3h.
    expect(log).toEqual(['3h fill #1 ETH/USDT:USDT buy 1 @ 1990 fee 0.398000 slip 0.000000 maker lim']);
    const t = r.portfolio.trades[0]!;
    expect(t).toMatchObject({ ts: T0 + 3 * H, side: 'buy', qty: 1, price: 1990, slippage: 0, liquidity: 'maker', tag: 'lim' });
    expect(t.fee).toBeCloseTo(0.398, 12); // 1990 × 0.0002
    expect(r.portfolio.entry[1]).toBe(1990);
    expect(r.orders.makerFills).toBe(1);
    // ledger at the fill: the maker fee only (no slippage flow)
    expect(r.portfolio.ledger.filter((e) => e.ts === T0 + 3 * H).map((e) => [e.type, e.amount, e.note])).toEqual([['fee', -0.398, 'lim']]);
    expect(r.pnl.slippage).toBe(0);
  });

  test('penetrationBps 5: 1989.5 (2.5 bp through) is not enough, 1988 (10 bp) is', () => {
    const { log } = run({ at: { 1: (ctx, perp) => ctx.order({ instrument: perp, side: 'buy', qty: 1, type: 'limit', price: 1990 }) } }, { models: { limitFill: { name: 'trade-through', params: { penetrationBps: 5 } } } });
    expect(log).toEqual(['4h fill #1 ETH/USDT:USDT buy 1 @ 1990 fee 0.398000 slip 0.000000 maker ']);
  });

  test('a sell limit fills on a high above it: 2003 at k3, maker', () => {
    const { log } = run({ at: { 1: (ctx, perp) => ctx.order({ instrument: perp, side: 'sell', qty: 2, type: 'limit', price: 2002.5 }) } });
    // k1 high 2005 > 2002.5 — but k1 opened at T0+1h = when the order reached the book: it counts (a later bar).
    expect(log).toEqual(['2h fill #1 ETH/USDT:USDT sell 2 @ 2002.5 fee 0.801000 slip 0.000000 maker ']);
  });

  test('post-only that would cross is refused; a plain limit that crosses fills at the open as a taker', () => {
    const { log, r } = run({
      at: {
        1: (ctx, perp) => {
          ctx.order({ instrument: perp, side: 'buy', qty: 1, type: 'limit', price: 2000, postOnly: true, tag: 'po' });
          ctx.order({ instrument: perp, side: 'buy', qty: 1, type: 'limit', price: 2000.5, tag: 'cross' });
        },
      },
    });
    // Reference = next open 2000: buy 2000 ≥ 2000 crosses → refused; 2000.5 → taker at 2000 + 1 bp = 2000.2, fee 2000.2 × 0.0005.
    expect(log).toEqual(['1h reject #1 post-only-would-cross po', '1h fill #2 ETH/USDT:USDT buy 1 @ 2000.2 fee 1.000100 slip 0.200000 taker cross']);
    expect(r.orders.rejectedByReason).toEqual({ 'post-only-would-cross': 1 });
    expect(r.portfolio.trades[0]!.liquidity).toBe('taker');
  });

  test('good-till: bars closing after the time do not count, the order expires at it', () => {
    const { log, r } = run({ at: { 1: (ctx, perp) => ctx.order({ instrument: perp, side: 'buy', qty: 1, type: 'limit', price: 1989, timeInForce: { goodTillMs: T0 + 3 * H } }) } });
    // k1 (low 1990) and k2 (low 1989.5) close by T0+3h and stay above 1989; k3 (1988) closes at T0+4h: too late.
    expect(log).toEqual(['3h reject #1 expired ']);
    expect(r.orders.expired).toBe(1);
    expect(r.rejected).toBe(0);
    expect(r.portfolio.trades).toHaveLength(0);
  });

  test('ctx.orders lists pending and open orders (frozen); ctx.cancel removes one', () => {
    const seen: string[] = [];
    const show = (xs: readonly OrderInfo[]): string => xs.map((o) => `#${o.id} ${o.status} ${o.type} ${o.side} ${o.qty} @ ${o.price} placed ${(o.placedTs - T0) / H}h ${o.tag}`).join('; ');
    let ids: number[] = [];
    const { log } = run({
      at: {
        1: (ctx, perp) => {
          ids = [ctx.order({ instrument: perp, side: 'buy', qty: 1, type: 'limit', price: 1950, tag: 'deep' }), ctx.order({ instrument: perp, side: 'buy', qty: 0.5, tag: 'mkt' })];
          seen.push(show(ctx.orders.list()));
          expect(Object.isFrozen(ctx.orders.list())).toBe(true);
          expect(Object.isFrozen(ctx.orders.get(ids[0]!))).toBe(true);
        },
        2: (ctx, perp) => {
          seen.push(show(ctx.orders.list(perp)));
          seen.push(`size ${ctx.orders.size} cancel ${ctx.cancel(ids[0]!)} again ${ctx.cancel(ids[0]!)} filled ${ctx.cancel(ids[1]!)} size ${ctx.orders.size}`);
        },
      },
    });
    expect(seen).toEqual([
      '#1 pending limit buy 1 @ 1950 placed 1h deep; #2 pending market buy 0.5 @ NaN placed 1h mkt',
      '#1 open limit buy 1 @ 1950 placed 1h deep',
      'size 1 cancel true again false filled false size 0',
    ]);
    expect(log).toEqual(['1h fill #2 ETH/USDT:USDT buy 0.5 @ 2000.2 fee 0.500050 slip 0.100000 taker mkt']);
  });

  test('bad limit requests are errors naming the field', () => {
    const bad = (f: (ctx: StrategyContext, perp: Instrument) => void): (() => unknown) => () => run({ at: { 1: f } });
    expect(bad((ctx, perp) => ctx.order({ instrument: perp, side: 'buy', qty: 1, type: 'limit' }))).toThrow(/limit order needs a positive finite price/);
    expect(bad((ctx, perp) => ctx.order({ instrument: perp, side: 'buy', qty: 1, price: 1990 }))).toThrow(/price, postOnly and timeInForce are for limit orders/);
    expect(bad((ctx, perp) => ctx.order({ instrument: perp, side: 'buy', qty: 1, type: 'limit', price: 1990, timeInForce: { goodTillMs: T0 } }))).toThrow(/goodTillMs .* must be after now/);
  });
});

describe('maker hedge', () => {
  test('the perp leg rests as a post-only sell 10 bp above the close; when it fills, the spot leg is bought at the next open', () => {
    const { log, r } = run({ at: { 1: (ctx, perp, spot) => void ctx.hedge({ long: spot, short: perp, qty: 1, tag: 'mk', maker: { offsetBps: 10 } }) } });
    // Latest perp close 2000 → sell limit 2002 (ids: long = spot #2, short = perp #1). k1 high 2005 > 2002:
    // filled at T0+2h at 2002, fee 2002 × 0.0002 = 0.4004; spot buys 1 at k2's open 2001 + 1 bp = 2001.2001, fee 0.1 %.
    expect(log).toEqual([
      `2h fill #1 ETH/USDT:USDT sell 1 @ ${2000 * (1 + 10 / 1e4)} fee 0.400400 slip 0.000000 maker mk`,
      '2h fill #2 ETH/USDT buy 1 @ 2001.2001 fee 2.001200 slip 0.200100 taker mk',
    ]);
    expect(r.portfolio.trades.map((t) => t.liquidity)).toEqual(['maker', 'taker']);
  });
});

describe('atomic hedges', () => {
  test("the issue's case: perp leg without margin — atomic: both legs refused before either is sent; atomic false: a naked spot long", () => {
    const script = (atomic: boolean): Script => ({
      at: {
        1: (ctx, perp, spot) => {
          // Move the perp margin back to spot: the short leg cannot be margined.
          ctx.transfer({ fromVenue: 'binance', fromAccount: 'perp', toVenue: 'binance', toAccount: 'spot', amount: 5000 });
          ctx.hedge({ long: spot, short: perp, qty: 2, atomic });
        },
      },
    });
    const atomic = run(script(true));
    // The partner is told first, then the leg whose check failed (the long leg is checked for both).
    expect(atomic.log).toEqual(['1h reject #2 insufficient-margin hedge', '1h reject #1 insufficient-margin hedge']);
    expect(atomic.r.portfolio.trades).toHaveLength(0);
    expect(atomic.r.orders).toMatchObject({ rejected: 2, hedgesRefused: 1, hedgesBroken: 0 });
    const loose = run(script(false));
    expect(loose.log).toEqual([
      '1h fill #1 ETH/USDT buy 2 @ 2000.2 fee 4.000400 slip 0.400000 taker hedge',
      '1h reject #2 insufficient-margin hedge',
      '1h broken 1/2 filled #1 2 refused #2 insufficient-margin unwind #0',
    ]);
    expect(loose.r.orders).toMatchObject({ hedgesBroken: 1, hedgesUnwound: 0 });
    expect(loose.r.portfolio.qty[0]).toBe(2); // the naked long the issue reported
  });

  test('second leg refused at fill time (shared perp account): the first is unwound (hedge-unwind), onHedgeBroken tells', () => {
    const dir = tempDataDir('perpcarry-atomic-');
    writeBars(dir, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, BARS.map(() => [2000, 2000, 2000, 2000]));
    writeBars(dir, 'binance', 'BTC/USDT:USDT', 'ohlcv', '1h', H, T0, BARS.map(() => [1000, 1000, 1000, 1000]));
    for (const s of ['ETH/USDT:USDT', 'BTC/USDT:USDT']) writeFunding(dir, 'binance', s, [[T0 - 8 * H, 0, 8]]);
    const log: string[] = [];
    const factory = (atomic: boolean): StrategyFactory => ({
      name: 'two-perps',
      description: 'test',
      params: {},
      universe: () => [
        { venue: 'binance', symbol: 'ETH/USDT:USDT' },
        { venue: 'binance', symbol: 'BTC/USDT:USDT' },
      ],
      create: () => {
        const inner = scripted({ at: {} }, log).create({});
        return {
          ...inner,
          onStart(ctx) {
            ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 150 });
          },
          onBar(ctx, bar) {
            // 150 USDT at 20×: ETH long 1 needs 100 + costs, BTC short 1 needs 50 — each alone fits, both do not.
            if (ctx.now !== T0 + H || bar.instrument.symbol !== 'ETH/USDT:USDT') return;
            ctx.hedge({ long: bar.instrument, short: ctx.market.instrument('binance', 'BTC/USDT:USDT'), qty: 1, tag: 'pair', atomic });
          },
        };
      },
    });
    const r = runBacktest({ strategy: factory(true), venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 5 * H, dataDir: dir, capital: 10_000 });
    // ETH long 1 at 2000 + 1 bp = 2000.2 (fee 1.0001, slip 0.2); BTC short refused: IM 100 + 50 > 150 − 1.2001;
    // the ETH leg is sold back at 2000 − 1 bp = 1999.8 (fee 0.9999, slip 0.2).
    expect(log).toEqual([
      '1h fill #1 ETH/USDT:USDT buy 1 @ 2000.2 fee 1.000100 slip 0.200000 taker pair',
      '1h fill #3 ETH/USDT:USDT sell 1 @ 1999.8 fee 0.999900 slip 0.200000 taker hedge-unwind',
      '1h reject #2 insufficient-margin pair',
      '1h broken 1/2 filled #1 1 refused #2 insufficient-margin unwind #3',
    ]);
    expect(r.portfolio.qty[0]).toBe(0);
    expect(r.orders).toMatchObject({ rejected: 1, hedgesBroken: 1, hedgesUnwound: 1 });
    expect(r.portfolio.perpFree[0]).toBeCloseTo(150 - 2.4, 9);
    expect(r.portfolio.ledger.filter((e) => e.note.includes('hedge-unwind')).map((e) => e.type)).toEqual(['fee', 'slippage']);
    expect(r.pnl.total).toBeCloseTo(-2.4, 9);
    log.length = 0;
    const kept = runBacktest({ strategy: factory(false), venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 5 * H, dataDir: dir, capital: 10_000, markToMarketEnd: true });
    expect(log.slice(-1)).toEqual(['1h broken 1/2 filled #1 1 refused #2 insufficient-margin unwind #0']);
    expect(kept.portfolio.qty[0]).toBe(1);
    expect(kept.orders).toMatchObject({ hedgesBroken: 1, hedgesUnwound: 0 });
  });
});
