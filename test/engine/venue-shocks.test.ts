/**
 * Venue shocks and auto-deleveraging applied by the engine, computed by hand on synthetic bars
 * stored through the real Arrow store: a scheduled ADL (ranking, close at the bar's adverse
 * extreme, `adl` ledger row and attribution line, `onAdl` and a re-hedge), ADL triggered by a gap
 * liquidation, outages (refuse, queue), transfer freeze and delay, liquidity multiplier, and the
 * stress slippage model selected by name.
 */
import { describe, expect, test } from 'vitest';
import { runBacktest, type BacktestConfig } from '../../src/engine/backtest.js';
import { buildSummary } from '../../src/analysis/run-writer.js';
import { parseScenario } from '../../src/scenario/parse.js';
import type { AdlEvent, RejectEvent, StrategyContext, StrategyFactory } from '../../src/strategy/types.js';
import { tempDataDir, writeBars } from '../support/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);
const iso = (ms: number): string => new Date(ms).toISOString();
const PERP = 'BTC/USDT:USDT';

const dir = tempDataDir();
// Perp bars without a mark series (the close is the mark); the price falls 7.5 % in bar 1.
const BARS = [
  [2000, 2010, 1990, 2000],
  [2000, 2000, 1800, 1850],
  [1850, 1900, 1840, 1860],
  [1860, 1870, 1850, 1860],
];
writeBars(dir, 'binance', PERP, 'ohlcv', '1h', H, T0, BARS);
writeBars(dir, 'bybit', PERP, 'ohlcv', '1h', H, T0, BARS);

interface Seen {
  adl: AdlEvent[];
  rejects: RejectEvent['reason'][];
  moved: number[];
}

/** Short `qty` BTC perp on binance at the start (5000 USDT of margin); optional extra actions. */
function shortPerp(seen: Seen, opts: { qty?: number; leverage?: number; rehedge?: boolean; start?: (ctx: StrategyContext) => void; at3?: (ctx: StrategyContext) => void } = {}): StrategyFactory {
  return {
    name: 'shock-probe',
    description: 'test',
    params: {},
    universe: (i) => i.venues.map((venue) => ({ venue, symbol: PERP })),
    create: () => ({
      onStart(ctx: StrategyContext) {
        const perp = ctx.market.instrument('binance', PERP);
        ctx.setLeverage(perp, opts.leverage ?? 20);
        seen.moved.push(ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 5000 }));
        ctx.order({ instrument: perp, side: 'sell', qty: opts.qty ?? 1, tag: 'open' });
        opts.start?.(ctx);
      },
      onBar(ctx: StrategyContext) {
        if (ctx.now === T0 + 3 * H) opts.at3?.(ctx);
      },
      onAdl(ctx: StrategyContext, e: AdlEvent) {
        seen.adl.push(e);
        // The hedge is now short of its perp leg: sell back what was deleveraged.
        if (opts.rehedge) ctx.order({ instrument: e.instrument, side: 'sell', qty: Math.abs(e.qty), tag: 're-hedge' });
      },
      onReject(_ctx: StrategyContext, r: RejectEvent) {
        seen.rejects.push(r.reason);
      },
    }),
  };
}

const scenario = (shocks: unknown[]) => parseScenario('test.json', { name: 'test', shocks });
const run = (strategy: StrategyFactory, extra: Partial<BacktestConfig> = {}) =>
  runBacktest({ strategy, venues: ['binance'], symbol: 'BTC/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 4 * H, capital: 10_000, dataDir: dir, markToMarketEnd: true, ...extra });
const fresh = (): Seen => ({ adl: [], rejects: [], moved: [] });

describe('scheduled ADL', () => {
  const seen = fresh();
  const r = run(shortPerp(seen, { rehedge: true }), { scenarios: [scenario([{ type: 'adl', venue: 'binance', at: iso(T0 + 1.5 * H), share: 0.5 }])] });

  test('half the profitable short closes at the first bar close after the ADL time, at the bar high (bankruptcy stand-in)', () => {
    const a = r.portfolio.adl;
    expect(a).toHaveLength(1);
    expect(a[0]!.ts).toBe(T0 + 2 * H);
    expect(a[0]!.qty).toBe(-0.5);
    // Binance preset: a short is bought back at max(mark, bar high) = max(1850, 2000).
    expect(a[0]!.price).toBe(2000);
    expect(a[0]!.markPrice).toBe(1850);
    expect(a[0]!.cost).toBeCloseTo(0.5 * 150, 10);
    // Score: uPnL 150 / wallet (5000 − fee 0.9999 − slippage 0.2) × maintenance 1850 × 0.4 % / (wallet + 150).
    const wallet = 5000 - 1999.8 * 0.0005 - 0.2;
    expect(a[0]!.score).toBeCloseTo((150 / wallet) * ((1850 * 0.004) / (wallet + 150)), 12);
    expect(a[0]!.light).toBe(1);
    expect(a[0]!.cause).toBe('scenario:test');
  });

  test('ledger: the close at the mark is trading PnL, the concession an `adl` row; attribution adds up', () => {
    const rows = r.portfolio.ledger.filter((e) => e.ts === T0 + 2 * H && (e.type === 'realized_pnl' || e.type === 'adl'));
    expect(rows.map((e) => [e.type, e.amount])).toEqual([
      ['realized_pnl', 75], // 0.5 × (2000 − 1850), closed at the mark
      ['adl', -75], // 0.5 × (2000 − 1850) given up to the bankruptcy stand-in
    ]);
    expect(r.pnl.adl).toBeCloseTo(-75, 10);
    const s = buildSummary(r, 'test'); // throws if the attribution does not sum to the equity change
    expect(s.pnl.adl).toBeCloseTo(-75, 10);
    expect(r.samples.trimmed().columns.get('pnl_adl')![3]).toBeCloseTo(-75, 10);
  });

  test('onAdl sees the close and the strategy re-hedges at the next open', () => {
    expect(seen.adl).toHaveLength(1);
    const e = seen.adl[0]!;
    expect([e.qty, e.remainingQty, e.share, e.price, e.markPrice]).toEqual([-0.5, -0.5, 0.5, 2000, 1850]);
    expect(Object.isFrozen(e)).toBe(true);
    const t = r.portfolio.trades;
    expect(t.map((x) => [x.ts, x.side, x.qty, x.tag])).toEqual([
      [T0, 'sell', 1, 'open'],
      [T0 + 2 * H, 'buy', 0.5, 'adl'],
      [T0 + 2 * H, 'sell', 0.5, 're-hedge'],
    ]);
    expect(r.portfolio.qty[0]).toBe(-1);
  });

  test('an ADL without a share is drawn by the model, reproducibly from the seed', () => {
    const shock = [{ type: 'adl', venue: 'binance', at: iso(T0 + 1.5 * H) }];
    const ra = run(shortPerp(fresh()), { scenarios: [scenario(shock)], models: { adl: { params: { hitProbability: [1, 1, 1, 1, 1], minShare: 0.2, maxShare: 0.4 } } }, seed: 3 });
    const rb = run(shortPerp(fresh()), { scenarios: [scenario(shock)], models: { adl: { params: { hitProbability: [1, 1, 1, 1, 1], minShare: 0.2, maxShare: 0.4 } } }, seed: 3 });
    expect(ra.portfolio.adl).toHaveLength(1);
    expect(ra.portfolio.adl[0]!.share).toBeGreaterThanOrEqual(0.2);
    expect(ra.portfolio.adl[0]!.share).toBeLessThanOrEqual(0.4);
    expect(rb.portfolio.adl[0]!.share).toBe(ra.portfolio.adl[0]!.share);
    expect(ra.models.adl?.name).toBe('queue');
  });

  test('a losing position is never deleveraged', () => {
    const up = fresh();
    const rl = run(shortPerp(up, { start: () => undefined }), { scenarios: [scenario([{ type: 'adl', venue: 'binance', at: iso(T0 + 0.5 * H), share: 1 }])] });
    // At T0 + 1 h the mark is 2000 = entry: no profit, nothing closed.
    expect(rl.portfolio.adl).toHaveLength(0);
    expect(rl.pnl.adl).toBe(0);
  });
});

describe('ADL triggered by a liquidation the bar never traded at', () => {
  test('a long liquidated through a gap deleverages the profitable short on the same venue', () => {
    const d = tempDataDir();
    // ETH long gaps down through its liquidation price between bars (bar 2 opens and stays below it).
    writeBars(d, 'binance', PERP, 'ohlcv', '1h', H, T0, [
      [2000, 2000, 2000, 2000],
      [2000, 2000, 1990, 1990],
      [1500, 1510, 1490, 1500],
      [1500, 1500, 1500, 1500],
    ]);
    writeBars(d, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, [
      [100, 100, 100, 100],
      [100, 100, 99, 99],
      [60, 61, 59, 60],
      [60, 60, 60, 60],
    ]);
    const seen = fresh();
    const f: StrategyFactory = {
      name: 'gap',
      description: 'test',
      params: {},
      universe: () => [
        { venue: 'binance', symbol: PERP },
        { venue: 'binance', symbol: 'ETH/USDT:USDT' },
      ],
      create: () => ({
        onStart(ctx: StrategyContext) {
          const btc = ctx.market.instrument('binance', PERP);
          const eth = ctx.market.instrument('binance', 'ETH/USDT:USDT');
          ctx.setMarginMode('binance', 'isolated');
          ctx.setLeverage(eth, 10);
          ctx.setLeverage(btc, 2);
          ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 5000 });
          ctx.order({ instrument: btc, side: 'sell', qty: 1 });
          ctx.order({ instrument: eth, side: 'buy', qty: 10 });
        },
        onAdl(_ctx: StrategyContext, e: AdlEvent) {
          seen.adl.push(e);
        },
      }),
    };
    const r = runBacktest({ strategy: f, venues: ['binance'], symbol: 'BTC/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 4 * H, capital: 10_000, dataDir: d, markToMarketEnd: true, models: { adl: { params: { hitProbability: [1, 1, 1, 1, 1], minShare: 1, maxShare: 1 } } } });
    expect(r.portfolio.liquidations.map((l) => [l.ts, l.symbol])).toEqual([[T0 + 3 * H, 'ETH/USDT:USDT']]);
    expect(r.portfolio.liquidations[0]!.price).toBeGreaterThan(61); // the bar never traded there
    expect(r.portfolio.adl.map((a) => [a.ts, a.symbol, a.qty, a.cause])).toEqual([[T0 + 3 * H, PERP, -1, 'liquidation']]);
    expect(seen.adl).toHaveLength(1);
    buildSummary(r, 'test');
  });
});

describe('outages, transfers, liquidity', () => {
  const outage = (orders: string) => scenario([{ type: 'outage', venue: 'binance', from: iso(T0), to: iso(T0 + 2 * H), orders }]);

  test('outage refuse: the order is rejected with venue-outage, and so is the transfer', () => {
    const seen = fresh();
    const r = run(shortPerp(seen), { scenarios: [outage('refuse')] });
    expect(seen.rejects).toEqual(['venue-outage']);
    expect(seen.moved).toEqual([0]);
    expect(r.portfolio.trades).toHaveLength(0);
    expect(r.portfolio.ledger.filter((e) => e.type.startsWith('transfer'))).toHaveLength(0);
  });

  test('outage queue: an order placed while the venue is down waits and fills at the first open after it is back', () => {
    const seen = fresh();
    const late = scenario([{ type: 'outage', venue: 'binance', from: iso(T0 + 0.5 * H), to: iso(T0 + 2 * H), orders: 'queue' }]);
    const f = shortPerp(seen, { start: (ctx) => ctx.setTimer(T0 + 0.75 * H, 'add') });
    const withTimer: StrategyFactory = {
      ...f,
      create: (p) => ({
        ...f.create(p),
        onTimer(ctx: StrategyContext) {
          ctx.order({ instrument: ctx.market.instrument('binance', PERP), side: 'sell', qty: 0.5, tag: 'add' });
        },
      }),
    };
    const r = run(withTimer, { scenarios: [late] });
    expect(seen.rejects).toEqual([]);
    expect(r.portfolio.trades.map((t) => [t.ts, t.qty, t.price])).toEqual([
      [T0, 1, 2000 * (1 - 1e-4)],
      [T0 + 2 * H, 0.5, 1850 * (1 - 1e-4)],
    ]);
    // Without the outage the timer's order fills at the next open, T0 + 1 h.
    const r0 = run(withTimer);
    expect(r0.portfolio.trades[1]!.ts).toBe(T0 + H);
  });

  test('transfer freeze refuses cross-venue transfers; a delay moves the cash at the first instant after it arrives', () => {
    const frozen = fresh();
    const cross = (ctx: StrategyContext) => {
      frozen.moved.push(ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'bybit', toAccount: 'perp', amount: 1000 }));
    };
    const rf = run(shortPerp(frozen, { start: cross }), { venues: ['binance', 'bybit'], scenarios: [scenario([{ type: 'transfer-delay', venues: ['binance'], from: iso(T0), to: iso(T0 + H), frozen: true }])] });
    expect(frozen.moved).toEqual([5000, 0]); // spot → perp inside binance is not a withdrawal
    expect(rf.portfolio.ledger.filter((e) => e.venue === 'bybit')).toHaveLength(0);
    const delayed = fresh();
    const cross2 = (ctx: StrategyContext) => {
      delayed.moved.push(ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'bybit', toAccount: 'perp', amount: 1000 }));
    };
    const rd = run(shortPerp(delayed, { start: cross2 }), { venues: ['binance', 'bybit'], scenarios: [scenario([{ type: 'transfer-delay', from: iso(T0), to: iso(T0 + H), delayMinutes: 90 }])] });
    expect(delayed.moved).toEqual([5000, 0]);
    const ins = rd.portfolio.ledger.filter((e) => e.type === 'transfer_in' && e.venue === 'bybit');
    expect(ins.map((e) => [e.ts, e.amount])).toEqual([[T0 + 2 * H, 1000]]);
    buildSummary(rd, 'test');
  });

  test('liquidity ×5: the 1 bp fixed slippage becomes 5 bp inside the range only', () => {
    const r = run(shortPerp(fresh(), { at3: (ctx) => ctx.order({ instrument: ctx.market.instrument('binance', PERP), side: 'buy', qty: 1, tag: 'close' }) }), {
      scenarios: [scenario([{ type: 'liquidity', venues: ['binance'], from: iso(T0), to: iso(T0 + H), slippageMultiplier: 5 }])],
    });
    expect(r.portfolio.trades.map((t) => t.price)).toEqual([2000 * (1 - 5e-4), 1860 * (1 + 1e-4)]);
  });
});

describe('stress slippage selected by name', () => {
  test('calm first fill at the base cost; after the 10 % bar the cost is scaled by range / typical range', () => {
    const close3 = (ctx: StrategyContext) => ctx.order({ instrument: ctx.market.instrument('binance', PERP), side: 'buy', qty: 1, tag: 'close' });
    const r = run(shortPerp(fresh(), { at3: close3 }), { models: { slippage: { name: 'stress', params: {} } } });
    expect(r.models.slippage.name).toBe('stress');
    const t = r.portfolio.trades;
    expect(t[0]!.slippage).toBeCloseTo(2000 * 1e-4, 10); // no bar seen yet: baseBps 1
    // At T0 + 3 h: last bar [1850, 1900, 1840, 1860] (volume 1000); typical = EWMA of bars 0 and 1.
    const alpha = 1 - 2 ** (-1 / 72);
    const r0 = Math.log(2010 / 1990);
    const r1 = Math.log(2000 / 1800);
    const typical = r0 + alpha * (r1 - r0);
    const range = Math.log(1900 / 1840);
    const bps = (range / typical) * (1 + typical * 1e4 * Math.sqrt(1 / 1000));
    expect(t[1]!.slippage).toBeCloseTo((1860 * bps) / 1e4, 9);
  });
});
