/**
 * When `ctx.orders` changes relative to the hooks that report an order's fate (the contract in
 * src/strategy/types.ts, OrdersView): an order is gone before its `onFill`/`onReject` runs; a
 * hedge's second leg is listed during the first leg's `onFill`; both legs of a refused atomic hedge
 * are gone before either `onReject`; the `hedge-unwind` order of a broken hedge has filled before
 * `onReject` of the refused leg and `onHedgeBroken`. Strategies test `ctx.orders.size === 0` in
 * these hooks instead of keeping their own set of pending ids, so each of these is attacked here.
 */
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import type { Instrument, StrategyContext, StrategyFactory } from '../../src/strategy/types.js';
import { tempDataDir, writeBars, writeFunding } from '../support/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 2, 1);

/** `#id status qty hedgeWith` of every listed order, or `none`. */
function listed(ctx: StrategyContext): string {
  const xs = ctx.orders.list();
  return xs.length === 0 ? 'none' : xs.map((o) => `#${o.id} ${o.status} ${o.qty} with #${o.hedgeWith}`).join('; ');
}

/** A strategy that runs `act` at the first perp bar (T0 + 1 h) and logs what ctx.orders shows in each hook. */
function probe(symbols: [string, string], act: (ctx: StrategyContext, a: Instrument, b: Instrument) => void, log: string[], perpCash: number): StrategyFactory {
  return {
    name: 'orders-probe',
    description: 'test',
    params: {},
    universe: () => symbols.map((symbol) => ({ venue: 'binance', symbol })),
    create: () => {
      let a: Instrument;
      let b: Instrument;
      return {
        onStart(ctx) {
          a = ctx.market.instrument('binance', symbols[0]);
          b = ctx.market.instrument('binance', symbols[1]);
          if (perpCash > 0) ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: perpCash });
        },
        onBar(ctx, bar) {
          if (ctx.now !== T0 + H || bar.instrument !== a) return;
          act(ctx, a, b);
          log.push(`placed: ${listed(ctx)}`);
        },
        onFill(ctx, f) {
          log.push(`onFill #${f.orderId} ${f.tag}: ${listed(ctx)}; get(#${f.orderId}) ${ctx.orders.get(f.orderId) === null ? 'null' : 'listed'}`);
        },
        onReject(ctx, r) {
          log.push(`onReject #${r.orderId} ${r.reason}: ${listed(ctx)}`);
        },
        onHedgeBroken(ctx, x) {
          log.push(`onHedgeBroken unwind #${x.unwindOrderId}: ${listed(ctx)}`);
        },
      };
    },
  };
}

function run(symbols: [string, string], act: (ctx: StrategyContext, a: Instrument, b: Instrument) => void, perpCash = 5000): string[] {
  const dir = tempDataDir('perpcarry-orders-view-');
  const flat = (p: number): number[][] => [0, 1, 2, 3].map(() => [p, p, p, p]);
  for (const s of symbols) {
    writeBars(dir, 'binance', s, 'ohlcv', '1h', H, T0, flat(s.startsWith('BTC') ? 1000 : 2000));
    if (s.includes(':')) writeFunding(dir, 'binance', s, [[T0 - 8 * H, 0, 8]]);
  }
  const log: string[] = [];
  runBacktest({ strategy: probe(symbols, act, log, perpCash), venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 4 * H, dataDir: dir, capital: 10_000, markToMarketEnd: true });
  return log;
}

describe('ctx.orders around the hooks that report an order', () => {
  test('a market order is listed until it fills and gone in its own onFill', () => {
    // Before the fix the filled order was still listed (pending) inside its onFill.
    const log = run(['ETH/USDT:USDT', 'ETH/USDT'], (ctx, perp) => {
      ctx.order({ instrument: perp, side: 'buy', qty: 1, tag: 'one' });
      ctx.order({ instrument: perp, side: 'sell', qty: 0.5, tag: 'two' });
    });
    expect(log).toEqual([
      'placed: #1 pending 1 with #0; #2 pending 0.5 with #0',
      'onFill #1 one: #2 pending 0.5 with #0; get(#1) null',
      'onFill #2 two: none; get(#2) null',
    ]);
  });

  test("a hedge: the second leg is listed (its qty set) in the first leg's onFill, nothing in the second's", () => {
    const log = run(['ETH/USDT:USDT', 'ETH/USDT'], (ctx, perp, spot) => void ctx.hedge({ long: spot, short: perp, notional: 4000, tag: 'h' }));
    // Long leg (#1, spot) first: 4000 converted at the 2000 open = 2 ETH; the short leg copies it.
    expect(log).toEqual([
      'placed: #1 pending NaN with #2; #2 pending NaN with #1',
      'onFill #1 h: #2 pending 2 with #1; get(#1) null',
      'onFill #2 h: none; get(#2) null',
    ]);
  });

  test('an atomic hedge refused by the check of both legs: both legs are gone before either onReject', () => {
    const log = run(['ETH/USDT:USDT', 'ETH/USDT'], (ctx, perp, spot) => void ctx.hedge({ long: spot, short: perp, qty: 2 }), 0);
    expect(log).toEqual(['placed: #1 pending 2 with #2; #2 pending NaN with #1', 'onReject #2 insufficient-margin: none', 'onReject #1 insufficient-margin: none']);
  });

  test('a broken atomic hedge: the hedge-unwind order has filled (and left) before onReject and onHedgeBroken', () => {
    // 150 USDT of perp margin at 20×: the ETH long (IM 100) fits alone, the BTC short (IM 50) then does not.
    const log = run(['ETH/USDT:USDT', 'BTC/USDT:USDT'], (ctx, eth, btc) => {
      ctx.setLeverage(eth, 20);
      ctx.setLeverage(btc, 20);
      ctx.hedge({ long: eth, short: btc, qty: 1, tag: 'pair' });
    }, 150);
    expect(log).toEqual([
      'placed: #1 pending 1 with #2; #2 pending NaN with #1',
      'onFill #1 pair: #2 pending 1 with #1; get(#1) null',
      'onFill #3 hedge-unwind: none; get(#3) null',
      'onReject #2 insufficient-margin: none',
      'onHedgeBroken unwind #3: none',
    ]);
  });
});
