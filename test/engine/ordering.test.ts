/**
 * The same-timestamp rule and no look-ahead:
 * at an instant t: liquidations inside the bars ending at t → funding settlements at t → onBar →
 * timers → orders fill (at the open of the bar opening at t). A probe strategy records everything
 * it can read; nothing it sees is stamped after `now`.
 */
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import type { Instrument, Strategy, StrategyContext, StrategyFactory } from '../../src/strategy/types.js';
import { tempDataDir, writeBars, writeFunding } from '../support/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 5, 1);
const N = 24;

/** Prices that encode the bar's delivery time: close of the bar delivered at T0 + k·H is 1000 + k. */
function encodedBars(offset: number): number[][] {
  const rows: number[][] = [];
  for (let j = 0; j < N; j++) {
    const k = j + 1; // delivered at T0 + k·H
    rows.push([1000 + offset + j + 0.5, 1000 + offset + k + 0.6, 1000 + offset + j + 0.4, 1000 + offset + k, 10]);
  }
  return rows;
}
const decode = (price: number, offset: number): number => T0 + Math.round(price - 1000 - offset) * H;

function setup(): string {
  const dir = tempDataDir('perpcarry-order-');
  writeBars(dir, 'binance', 'ETH/USDT', 'ohlcv', '1h', H, T0, encodedBars(0));
  writeBars(dir, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, encodedBars(100));
  writeBars(dir, 'binance', 'ETH/USDT:USDT', 'mark', '1h', H, T0, encodedBars(200).map((r) => r.slice(0, 4)));
  writeBars(dir, 'binance', 'ETH/USDT:USDT', 'index', '1h', H, T0, encodedBars(300).map((r) => r.slice(0, 4)));
  // Funding every 4 h (and history before the start); rate encodes the settlement time in hours.
  const rows: [number, number, number][] = [];
  for (let k = -3; k <= N / 4; k++) rows.push([T0 + k * 4 * H, 1e-6 * (k * 4), 4]);
  writeFunding(dir, 'binance', 'ETH/USDT:USDT', rows);
  return dir;
}

function factoryOf(make: () => Strategy): StrategyFactory {
  return {
    name: 'probe',
    description: 'test probe',
    params: {},
    universe: () => [
      { venue: 'binance', symbol: 'ETH/USDT' },
      { venue: 'binance', symbol: 'ETH/USDT:USDT' },
    ],
    create: make,
  };
}

describe('no look-ahead', () => {
  const dir = setup();
  let maxLag = -Infinity; // newest readable stamp − now, over every read (must stay ≤ 0)
  let reads = 0;
  let freshBars = 0;
  let freshFunding = 0;
  const fills: { ts: number; price: number; symbol: string }[] = [];
  const probe = (ctx: StrategyContext): void => {
    for (const ins of ctx.market.instruments()) {
      const note = (stamp: number): void => {
        if (Number.isNaN(stamp)) return;
        reads++;
        maxLag = Math.max(maxLag, stamp - ctx.now);
      };
      const off = ins.type === 'spot' ? 0 : 100;
      const bar = ctx.market.lastBar(ins);
      if (bar) {
        note(bar.openTs + ctx.market.timeframeMs);
        note(decode(bar.close, off));
        note(decode(bar.high - 0.6, off));
      }
      note(decode(ctx.market.close(ins), off));
      if (ins.type === 'perp') {
        note(decode(ctx.market.mark(ins), 200));
        note(decode(ctx.market.index(ins), 300));
        const n = ctx.market.fundingCount(ins);
        for (let k = 0; k < n; k++) {
          note(ctx.market.fundingTs(ins, k));
          note(T0 + Math.round(ctx.market.fundingRate(ins, k) / 1e-6) * H);
        }
      }
    }
  };
  const spec = factoryOf(() => {
    let perp: Instrument;
    return {
      onStart(ctx) {
        perp = ctx.market.instrument('binance', 'ETH/USDT:USDT');
        probe(ctx);
        ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 50_000 });
        ctx.setTimer(T0 + 5 * H + 30 * 60_000, 'half-past');
      },
      onBar(ctx, bar) {
        probe(ctx);
        const off = bar.instrument.type === 'spot' ? 0 : 100;
        if (decode(bar.close, off) === ctx.now) freshBars++;
        if (bar.instrument === perp && ctx.now === T0 + 3 * H) ctx.order({ instrument: perp, side: 'sell', qty: 1, tag: 'at-3h' });
      },
      onFunding(ctx, f) {
        probe(ctx);
        if (T0 + Math.round(f.rate / 1e-6) * H === ctx.now && f.ts === ctx.now) freshFunding++;
      },
      onTimer(ctx, t) {
        probe(ctx);
        expect(t.ts).toBe(T0 + 5 * H + 30 * 60_000);
        expect(ctx.now).toBe(t.ts);
        ctx.order({ instrument: perp, side: 'buy', qty: 1, tag: 'timer' });
      },
      onFill(ctx, f) {
        probe(ctx);
        fills.push({ ts: f.ts, price: f.price, symbol: f.instrument.symbol });
      },
      onEnd: probe,
    };
  });
  runBacktest({ strategy: spec, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + N * H, dataDir: dir, models: { slippage: { params: { bps: 0 } } } });

  test('nothing readable is stamped after now', () => {
    expect(reads).toBeGreaterThan(1000);
    expect(maxLag).toBeLessThanOrEqual(0);
  });

  test('and the view is current: bars and settlements are seen at their own instant', () => {
    expect(freshBars).toBe(2 * N);
    expect(freshFunding).toBe(N / 4);
  });

  test('orders fill at the open of the bar that opens at now, never at an earlier price', () => {
    // Order placed at 3h fills at the open of the perp bar [3h, 4h): 1000 + 100 + 3 + 0.5.
    expect(fills[0]).toEqual({ ts: T0 + 3 * H, price: 1103.5, symbol: 'ETH/USDT:USDT' });
    // Order placed by the 5:30 timer fills at the open of the next bar, [6h, 7h), at 6h.
    expect(fills[1]).toEqual({ ts: T0 + 6 * H, price: 1106.5, symbol: 'ETH/USDT:USDT' });
  });
});

describe('same-timestamp order', () => {
  test('liquidation → funding → bars → timers → fills; a settlement pays only the position held over it', () => {
    const dir = tempDataDir('perpcarry-order2-');
    const flat = (p: number, n: number): number[][] => Array.from({ length: n }, () => [p, p, p, p, 1]);
    writeBars(dir, 'binance', 'ETH/USDT', 'ohlcv', '1h', H, T0, flat(2000, 8));
    writeBars(dir, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, flat(2000, 8));
    // The mark spikes inside the bar [3h, 4h): high 2600 liquidates a 20× short.
    const mark = flat(2000, 8).map((r) => r.slice(0, 4));
    mark[3] = [2000, 2600, 2000, 2000];
    writeBars(dir, 'binance', 'ETH/USDT:USDT', 'mark', '1h', H, T0, mark);
    writeFunding(dir, 'binance', 'ETH/USDT:USDT', [
      [T0 + 2 * H, 0.001, 1],
      [T0 + 3 * H, 0.001, 1],
      [T0 + 4 * H, 0.001, 1],
      [T0 + 5 * H, 0.001, 1],
    ]);
    const seq: string[] = [];
    const spec = factoryOf(() => {
      let perp: Instrument;
      return {
        onStart(ctx) {
          perp = ctx.market.instrument('binance', 'ETH/USDT:USDT');
          ctx.setLeverage(perp, 20);
          ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 150 });
        },
        onBar(ctx, b) {
          if (ctx.now === T0 + 2 * H || ctx.now === T0 + 4 * H) seq.push(`${ctx.now / H - T0 / H}h bar ${b.instrument.type}`);
          // Short at the 2h settlement instant: the 2h settlement must not pay it.
          if (b.instrument === perp && ctx.now === T0 + 2 * H) {
            ctx.order({ instrument: perp, side: 'sell', qty: 1, tag: 'short' });
            ctx.setTimer(T0 + 4 * H, 'four');
          }
        },
        onFunding(ctx, f) {
          if (ctx.now <= T0 + 4 * H) seq.push(`${ctx.now / H - T0 / H}h funding qty=${f.qty}`);
        },
        onLiquidation(ctx) {
          seq.push(`${ctx.now / H - T0 / H}h liquidation`);
        },
        onTimer(ctx) {
          seq.push(`${ctx.now / H - T0 / H}h timer`);
          ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 500 });
          ctx.order({ instrument: perp, side: 'buy', qty: 0.5, tag: 'after' });
        },
        onFill(ctx, f) {
          seq.push(`${ctx.now / H - T0 / H}h fill ${f.tag}`);
        },
        onReject(ctx, r) {
          seq.push(`${ctx.now / H - T0 / H}h reject ${r.tag} ${r.reason}`);
        },
      };
    });
    const r = runBacktest({ strategy: spec, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 8 * H, dataDir: dir });
    expect(seq).toEqual([
      '2h funding qty=0',
      '2h bar spot',
      '2h bar perp',
      '2h fill short',
      '3h funding qty=-1',
      '4h liquidation',
      '4h funding qty=0',
      '4h bar spot',
      '4h bar perp',
      '4h timer',
      '4h fill after',
    ]);
    // 3h pays the short opened at 2h; 5h pays the long opened at 4h (after that instant's settlement).
    expect(r.portfolio.fundings.map((f) => [f.ts, f.qty])).toEqual([[T0 + 3 * H, -1], [T0 + 5 * H, 0.5]]);
    expect(r.portfolio.liquidations[0]!.ts).toBe(T0 + 4 * H);
  });
});

test('--fill-at close: an order placed at now fills at the close of the bar that just ended', () => {
  const dir = setup();
  const fills: number[][] = [];
  const spec = factoryOf(() => {
    let perp: Instrument;
    return {
      onStart(ctx) {
        perp = ctx.market.instrument('binance', 'ETH/USDT:USDT');
        ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 50_000 });
      },
      onBar(ctx, bar) {
        if (bar.instrument === perp && ctx.now === T0 + 3 * H) ctx.order({ instrument: perp, side: 'sell', qty: 1 });
      },
      onFill(ctx, f) {
        fills.push([f.ts, f.price]);
      },
    };
  });
  runBacktest({ strategy: spec, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + N * H, dataDir: dir, fillAt: 'close', models: { slippage: { params: { bps: 0 } } } });
  expect(fills).toEqual([[T0 + 3 * H, 1103]]); // close of the perp bar [2h, 3h)
});

describe('funding mark price at a settlement t', () => {
  // Flat bars, bar j opens at T0 + j·h and is delivered at T0 + (j+1)·h: perp 2000 + j, mark 2000.5 + j.
  // Short 1 perp from the first open; settlements at 2h (row mark_price 1950) and 3h (no mark_price).
  const run = (withMark: boolean) => {
    const dir = tempDataDir('perpcarry-fmark-');
    const perp = Array.from({ length: 6 }, (_, j) => 2000 + j);
    writeBars(dir, 'binance', 'ETH/USDT', 'ohlcv', '1h', H, T0, perp.map((p) => [p, p, p, p, 1]));
    writeBars(dir, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, perp.map((p) => [p, p, p, p, 1]));
    if (withMark) writeBars(dir, 'binance', 'ETH/USDT:USDT', 'mark', '1h', H, T0, perp.map((p) => [p + 0.5, p + 0.5, p + 0.5, p + 0.5]));
    writeFunding(dir, 'binance', 'ETH/USDT:USDT', [
      [T0 + 2 * H, 0.001, 1, 1950],
      [T0 + 3 * H, 0.001, 1, NaN],
    ]);
    const spec = factoryOf(() => ({
      onStart(ctx) {
        const p = ctx.market.instrument('binance', 'ETH/USDT:USDT');
        ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 5000 });
        ctx.order({ instrument: p, side: 'sell', qty: 1 });
      },
    }));
    return runBacktest({ strategy: spec, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 6 * H, dataDir: dir }).portfolio.fundings.map((f) => [f.ts - T0, f.markPrice, f.amount]);
  };

  test("the row's mark_price when present, else the close of the mark bar ending at t", () => {
    // 3h: the mark bar [2h, 3h) closes at 2002.5. Amount = −(−1) × mark × 0.001.
    expect(run(true)).toEqual([
      [2 * H, 1950, expect.closeTo(1.95, 12)],
      [3 * H, 2002.5, expect.closeTo(2.0025, 12)],
    ]);
  });

  test('else (no mark series) the close of the perp bar ending at t', () => {
    expect(run(false)).toEqual([
      [2 * H, 1950, expect.closeTo(1.95, 12)],
      [3 * H, 2002, expect.closeTo(2.002, 12)],
    ]);
  });
});
