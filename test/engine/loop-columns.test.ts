/**
 * Columns read on first access (src/engine/data.ts over src/data/verified.ts) and the columns the
 * replay loop takes once (src/engine/sources.ts loopColumns): runs on a lazily loaded market
 * equal runs on an eager copy of every column, for the paths that read columns (fills at the next
 * open, volume and stress slippage, limit orders, liquidation and ADL, a strategy reading OHLCV
 * through the market view, an index series); a column the loop was not given throws instead of
 * reading as NaN; a data file changed in place after the load stops the run with a DataError.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DataError } from '../../src/core/errors.js';
import { forgetVerified } from '../../src/data/file-state.js';
import { buildSummary } from '../../src/analysis/run-writer.js';
import { prepareBacktest, runPrepared, type BacktestConfig } from '../../src/engine/backtest.js';
import { barValue, loadMarketData, makeInstruments, type BarSeries, type MarketData } from '../../src/engine/data.js';
import { buildEventSources, loopColumns } from '../../src/engine/sources.js';
import type { Strategy, StrategyFactory } from '../../src/strategy/types.js';
import deltaNeutral from '../../strategies/delta-neutral/index.js';
import holdPerp from '../../strategies/hold-perp/index.js';
import { overwriteDoubleInPlace, tempDataDir, writeBars, writeFunding } from '../support/series.js';

const dataDir = join(process.cwd(), 'data');
const D = Date.UTC;
const eth = { venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: D(2025, 1, 1), toMs: D(2025, 1, 6), dataDir };

/** Every bar column copied into a plain object: the eager market of before. */
function eager(m: MarketData): MarketData {
  const copy = (b: BarSeries | null): BarSeries | null => b && { ts: b.ts.slice(), open: b.open.slice(), high: b.high.slice(), low: b.low.slice(), close: b.close.slice(), volume: b.volume.slice() };
  return { ...m, bars: m.bars.map((b) => copy(b)!), mark: m.mark.map(copy), index: m.index.map(copy) };
}

/** A strategy that reads the whole bar and a short history through the market view, and rests a bid. */
const reader: StrategyFactory = {
  name: 'ohlcv-reader',
  description: 'test',
  params: {},
  universe: () => [{ venue: 'binance', symbol: 'ETH/USDT:USDT' }],
  create(): Strategy {
    let acc = 0;
    return {
      onStart(ctx) {
        ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 50_000 });
      },
      onBar(ctx, bar) {
        acc += bar.open + bar.high - bar.low + (Number.isNaN(bar.volume) ? 0 : bar.volume * 1e-9);
        const w = ctx.market.bars(bar.instrument, 3);
        if (w.length === 3) acc += w.high(0) - w.low(2) + w.open(1);
        if (ctx.orders.list().length === 0 && ctx.portfolio.position(bar.instrument) === 0) {
          ctx.order({ instrument: bar.instrument, side: 'buy', qty: 1, type: 'limit', price: Math.round(bar.close * 0.997 + (acc % 1) * 1e-6) });
        } else if (ctx.portfolio.position(bar.instrument) > 0 && bar.close > bar.open) {
          ctx.order({ instrument: bar.instrument, side: 'sell', qty: 1 });
        }
      },
    };
  },
};

/** Run `config` on its lazily loaded market and on an eager copy; both results as comparable JSON. */
function both(config: BacktestConfig): { lazy: string; eager: string; market: MarketData } {
  forgetVerified();
  prepareBacktest(config); // first sight of the files: hashed, validated, recorded
  const prep = prepareBacktest(config); // a verified version: columns read on first access
  const m = prep.market;
  for (const b of [...m.bars, ...m.mark, ...m.index]) if (b) expect(Object.getOwnPropertyDescriptor(b, 'close')!.get).toBeTypeOf('function');
  const view = (r: ReturnType<typeof runPrepared>): string =>
    JSON.stringify({ summary: { ...buildSummary(r, 'x'), timing: null }, trades: r.portfolio.trades, ledger: r.portfolio.ledger, liq: r.portfolio.liquidations, eq: [...r.samples.columns].map(([k, v]) => [k, Array.from(v)]) });
  const lazy = view(runPrepared(prep));
  return { lazy, eager: view(runPrepared(prep, eager(m))), market: m };
}

describe('lazily loaded markets replay exactly like eager ones', () => {
  const cases: [string, BacktestConfig][] = [
    ['delta-neutral ETH 1h, fixed slippage (fills at the next open)', { ...eth, strategy: deltaNeutral }],
    ['delta-neutral ETH 1h, volume slippage', { ...eth, strategy: deltaNeutral, models: { slippage: { name: 'volume' } } }],
    ['delta-neutral ETH 1h, stress slippage (observes every bar)', { ...eth, strategy: deltaNeutral, models: { slippage: { name: 'stress' } } }],
    ['hold-perp long 5x ETH 1h: liquidated on the mark low', { ...eth, strategy: holdPerp, params: { side: 'long', leverage: 5 } }],
    ['a strategy reading OHLCV and history, resting limit bids', { ...eth, strategy: reader, symbol: 'ETH/USDT:USDT' }],
    ['delta-neutral BTC 1m with an index series, Oct 10-11 2025', { ...eth, strategy: deltaNeutral, symbol: 'BTC/USDT', timeframe: '1m', fromMs: D(2025, 9, 10), toMs: D(2025, 9, 11) }],
  ];
  for (const [name, config] of cases) {
    test(name, { timeout: 60_000 }, () => {
      const r = both(config);
      expect(r.lazy).toBe(r.eager);
      const trades = (JSON.parse(r.lazy) as { trades: { liquidity: string }[] }).trades;
      expect(trades.length).toBeGreaterThan(0);
      if (config.strategy === reader) expect(trades.filter((t) => t.liquidity === 'maker').length).toBeGreaterThan(2);
    });
  }

  test('the BTC 1m market has an index series and shares one time column (spot, perp, mark, index)', () => {
    forgetVerified();
    const config = { ...eth, strategy: deltaNeutral, symbol: 'BTC/USDT', timeframe: '1m', fromMs: D(2025, 9, 10), toMs: D(2025, 9, 11) };
    prepareBacktest(config);
    const m = prepareBacktest(config).market;
    const ts = m.bars[0]!.ts;
    expect(ts.length).toBe(1440);
    expect([m.bars[1]!.ts, m.mark[1]!.ts, m.index[1]!.ts].every((x) => x === ts)).toBe(true);
  });
});

describe('loopColumns', () => {
  test('the loop gets plain arrays of what it reads; a column it was not given throws when read', () => {
    forgetVerified();
    const config = { ...eth, strategy: deltaNeutral, symbol: 'BTC/USDT', timeframe: '1m', fromMs: D(2025, 9, 10), toMs: D(2025, 9, 11) };
    const m = prepareBacktest(config).market;
    const src = buildEventSources(m);
    const [spot, perp] = [0, 1];
    const plain = loopColumns(m, src, { observeBars: false });
    const isArray = (a: Float64Array): boolean => Object.getPrototypeOf(a) === Float64Array.prototype && a.length === 1440;
    expect(isArray(plain.ohlcv[spot]!.close) && isArray(plain.ohlcv[perp]!.close)).toBe(true);
    expect(isArray(plain.mark[perp]!.high) && isArray(plain.mark[perp]!.low) && isArray(plain.mark[perp]!.close)).toBe(true);
    expect(plain.ohlcv[spot]!.close).toBe(m.bars[spot]!.close);
    for (const c of ['open', 'high', 'low', 'volume'] as const) {
      expect(() => plain.ohlcv[spot]![c][5], c).toThrow(/engine bug: the replay loop read column element 5/);
      expect(() => plain.ohlcv[perp]![c][0], c).toThrow(/engine bug/);
    }
    expect(() => plain.mark[perp]!.open[0]).toThrow(/engine bug/);
    // the index source: only its times (the market view reads its close itself)
    const ix = plain.bySource.find((b, s) => b && src.kind[s] === 2)!;
    expect(ix.ts).toBe(m.index[perp]!.ts);
    expect(() => ix.close[0]).toThrow(/engine bug/);
    // a slippage model observing bars gets every OHLCV column
    const all = loopColumns(m, src, { observeBars: true });
    for (const c of ['open', 'high', 'low', 'close', 'volume'] as const) expect(all.ohlcv[spot]![c]).toBe(m.bars[spot]![c]);
    // a perp without a mark series: its own bars stand in for the mark, high and low taken
    const noMark = { ...m, mark: m.mark.map(() => null) };
    const nm = loopColumns(noMark, buildEventSources(noMark), { observeBars: false });
    expect(isArray(nm.ohlcv[perp]!.high) && isArray(nm.ohlcv[perp]!.low)).toBe(true);
    expect(() => nm.ohlcv[spot]!.high[0]).toThrow(/engine bug/);
  });
});

describe('a data file changed after the load', () => {
  test('changed in place between prepare and run: the run stops with a DataError naming the file', () => {
    const H = 3_600_000;
    const T0 = D(2025, 2, 1);
    const dir = tempDataDir('perpcarry-loopcols-');
    const closes = Array.from({ length: 48 }, (_, k) => 2000 + k);
    const bars = closes.map((c) => [c, c + 5, c - 5, c, 100]);
    writeBars(dir, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, bars);
    writeBars(dir, 'binance', 'ETH/USDT', 'ohlcv', '1h', H, T0, bars);
    writeFunding(dir, 'binance', 'ETH/USDT:USDT', [[T0 + 8 * H, 0.0001, 8], [T0 + 16 * H, 0.0001, 8]]);
    const config: BacktestConfig = { strategy: deltaNeutral, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 48 * H, dataDir: dir };
    forgetVerified();
    prepareBacktest(config);
    const prep = prepareBacktest(config);
    const p = join(dir, 'binance/ETH-USDT-USDT/ohlcv-1h.arrow');
    expect(overwriteDoubleInPlace(p, 2030, 1)).toBeGreaterThan(0); // close of bar 30 (and open of it)
    expect(() => runPrepared(prep)).toThrow(DataError);
    expect(() => runPrepared(prep)).toThrow(/ETH-USDT-USDT\/ohlcv-1h\.arrow: changed in place while this run was reading it/);
  });
});

describe('barValue: one value of a column not read yet', () => {
  const H = 3_600_000;
  const T0 = D(2025, 2, 1);
  const rowsOf = (k: number): number[] => [2000 + k + 0.25, 2010 + k, 1990 + k, 2000 + k, k % 5 === 0 ? NaN : 100 + k];
  function loaded(): { dir: string; market: MarketData } {
    const dir = tempDataDir('perpcarry-barvalue-');
    writeBars(dir, 'binance', 'ETH/USDT', 'ohlcv', '1h', H, T0, Array.from({ length: 200 }, (_, k) => rowsOf(k)));
    const opts = { dataDir: dir, instruments: makeInstruments([{ venue: 'binance', symbol: 'ETH/USDT' }]), timeframe: '1h', timeframeMs: H, fromMs: T0, toMs: T0 + 200 * H };
    forgetVerified();
    loadMarketData(opts);
    return { dir, market: loadMarketData(opts) };
  }
  function writeInPlace(dir: string, value: number, replacement: number): void {
    expect(overwriteDoubleInPlace(join(dir, 'binance/ETH-USDT/ohlcv-1h.arrow'), value, replacement)).toBeGreaterThan(0);
  }

  test('equals the column, nulls as NaN; single reads check the file version like a column read', () => {
    const { dir, market } = loaded();
    const b = market.bars[0]!;
    for (const r of [0, 1, 5, 77, 199]) {
      const want = rowsOf(r);
      expect([barValue(b, 'open', r), barValue(b, 'high', r), barValue(b, 'low', r), barValue(b, 'close', r), barValue(b, 'volume', r)]).toEqual(want);
    }
    writeInPlace(dir, 2010 + 150, 1);
    expect(() => barValue(b, 'open', 3)).toThrow(/ohlcv-1h\.arrow: changed in place while this run was reading it/);
  });

  test('after 64 single reads the next one takes the whole column, which later writes cannot reach', () => {
    const { dir, market } = loaded();
    const b = market.bars[0]!;
    for (let r = 0; r < 64; r++) expect(barValue(b, 'open', r)).toBe(rowsOf(r)[0]);
    expect(barValue(b, 'high', 64)).toBe(rowsOf(64)[1]); // the 65th: the high column read whole
    writeInPlace(dir, 2000 + 120 + 0.25, 7); // an open: the open column is still unread
    expect(barValue(b, 'high', 120)).toBe(rowsOf(120)[1]);
    expect(() => barValue(b, 'open', 120)).toThrow(/changed in place/);
  });
});

