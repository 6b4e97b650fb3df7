/**
 * How the built-in hedged strategies answer auto-deleveraging (`adlResponse`, src/strategy/reactions.ts):
 * hand-computed on synthetic bars stored through the real Arrow store (ADL hits the short leg; the
 * answer leaves the book delta-neutral again), and on the bundled Oct 10 2025 scenario with real
 * Binance data (how many bars the book stays naked after the ADL).
 *
 * Synthetic market (binance, and bybit for the cross-venue book): spot and perp bars alike, no mark
 * series (the perp close is the mark); the price falls 7.5 % in bar k1, so the short is in profit
 * and the venue deleverages half of it at the first bar instant after T0 + 1.5 h, i.e. T0 + 2 h,
 * at k1's high 2000 (the Binance bankruptcy-price stand-in; the mark is 1850). The strategy's answer
 * fills at k2's open 1850 at this same instant, less 1 bp slippage: 1849.815. Fees: spot 0.1 %,
 * perp taker 0.05 % of the fill price.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runBacktest, type BacktestConfig, type BacktestResult } from '../../src/engine/backtest.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { resolveScenario } from '../../src/scenario/bundled.js';
import type { StrategyFactory } from '../../src/strategy/types.js';
import deltaNeutral from '../../strategies/delta-neutral/index.js';
import ethenaStyle from '../../strategies/ethena-style/index.js';
import crossVenueSpread from '../../strategies/cross-venue-spread/index.js';
import carryRotation from '../../strategies/carry-rotation/index.js';
import fundingThreshold from '../../strategies/funding-threshold/index.js';
import reverseCarry from '../../strategies/reverse-carry/index.js';
import { tempDataDir, writeBars, writeFunding } from '../support/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);
const SPOT = 'ETH/USDT';
const PERP = 'ETH/USDT:USDT';
/** |net delta| (base units) below which a book counts as hedged. */
const TOLERANCE = 1e-9;

const BARS = [
  [2000, 2000, 2000, 2000], // k0: delivered T0 + 1 h, the strategy enters; fills at k1's open 2000
  [2000, 2000, 1800, 1850], // k1: delivered T0 + 2 h: ADL of half the short at this bar's high 2000
  [1850, 1900, 1840, 1860], // k2: opens T0 + 2 h: the answer fills at 1850 − 1 bp
  [1860, 1870, 1850, 1860],
];
const ANSWER_PRICE = 1850 * (1 - 1e-4);

/** Spot and perp bars on each venue; funding settled 8 h before T0 at `rates[venue]` per 8 h. */
function market(rates: Record<string, number>, bars = BARS): string {
  const dir = tempDataDir('perpcarry-adl-response-');
  for (const [venue, rate] of Object.entries(rates)) {
    writeBars(dir, venue, SPOT, 'ohlcv', '1h', H, T0, bars);
    writeBars(dir, venue, PERP, 'ohlcv', '1h', H, T0, bars);
    writeFunding(dir, venue, PERP, [[T0 - 8 * H, rate, 8]]);
  }
  return dir;
}
const BINANCE = market({ binance: 0.0003 });
const TWO_VENUES = market({ binance: 0.0001, bybit: 0.0005 });

const adlAt = (venue: string): BacktestConfig['scenarios'] => [parseScenario('adl.json', { name: 'adl', shocks: [{ type: 'adl', venue, at: new Date(T0 + 1.5 * H).toISOString(), share: 0.5 }] })];

function run(strategy: StrategyFactory, params: Record<string, string | number>, extra: Partial<BacktestConfig> = {}): BacktestResult {
  return runBacktest({ strategy, params, venues: ['binance'], symbol: SPOT, timeframe: '1h', fromMs: T0, toMs: T0 + 4 * H, capital: 10_000, dataDir: BINANCE, markToMarketEnd: true, scenarios: adlAt('binance'), ...extra });
}

/** Signed position of `venue`/`symbol` after every trade up to and including `ts`. */
function position(r: BacktestResult, venue: string, symbol: string, ts: number): number {
  let q = 0;
  for (const t of r.portfolio.trades) if (t.venue === venue && t.symbol === symbol && t.ts <= ts) q += t.side === 'buy' ? t.qty : -t.qty;
  return q;
}

/** Trades in [fromTs, toTs) as [tag, venue symbol, side, qty, price, fee]. */
function tradesFrom(r: BacktestResult, fromTs: number, toTs = Infinity): [string, string, string, number, number, number][] {
  return r.portfolio.trades.filter((t) => t.ts >= fromTs && t.ts < toTs).map((t) => [t.tag, `${t.venue} ${t.symbol}`, t.side, t.qty, t.price, t.fee]);
}

describe('delta-neutral: ADL of half the short, hand-computed', () => {
  // Entry at T0 + 1 h: notional = 10 000 × 2/3 × 0.99 = 6600, converted at the 2000 open: 3.3 ETH a leg.
  const Q = 3.3;
  const HALF = Q / 2;
  const params = { lookback: 1, topUp: 0 };

  test('the entry and the ADL: 3.3 ETH a leg; 1.65 of the short bought back at 2000 (mark 1850)', () => {
    const r = run(deltaNeutral, { ...params, adlResponse: 'unwind' });
    expect(position(r, 'binance', SPOT, T0 + H)).toBeCloseTo(Q, 12);
    expect(position(r, 'binance', PERP, T0 + H)).toBeCloseTo(-Q, 12);
    const a = r.portfolio.adl;
    expect(a).toHaveLength(1);
    expect(a[0]!.qty).toBeCloseTo(-HALF, 12);
    expect([a[0]!.ts, a[0]!.price, a[0]!.markPrice]).toEqual([T0 + 2 * H, 2000, 1850]);
    expect(r.pnl.adl).toBeCloseTo(-HALF * 150, 9); // the concession 1.65 × (2000 − 1850)
  });

  test('unwind: sells the naked 1.65 ETH of spot at 1849.815 (fee 0.1 %): flat delta, half the book', () => {
    const r = run(deltaNeutral, { ...params, adlResponse: 'unwind' });
    const t = tradesFrom(r, T0 + 2 * H);
    expect(t.map((x) => x.slice(0, 3))).toEqual([['adl', `binance ${PERP}`, 'buy'], ['adl-unwind', `binance ${SPOT}`, 'sell']]);
    const [, , , qty, price, fee] = t[1]!;
    expect(qty).toBeCloseTo(HALF, 12);
    expect(price).toBeCloseTo(ANSWER_PRICE, 9);
    expect(fee).toBeCloseTo(HALF * ANSWER_PRICE * 0.001, 9); // 3.0521948
    for (const ts of [T0 + 2 * H, T0 + 3 * H, T0 + 4 * H]) {
      expect(Math.abs(position(r, 'binance', SPOT, ts) + position(r, 'binance', PERP, ts))).toBeLessThan(TOLERANCE);
      expect(position(r, 'binance', SPOT, ts)).toBeCloseTo(HALF, 12);
    }
  });

  test('rehedge: sells 1.65 perp again at 1849.815 (fee 0.05 %): flat delta, the whole book', () => {
    const r = run(deltaNeutral, { ...params, adlResponse: 'rehedge' });
    const t = tradesFrom(r, T0 + 2 * H);
    expect(t.map((x) => x.slice(0, 3))).toEqual([['adl', `binance ${PERP}`, 'buy'], ['adl-rehedge', `binance ${PERP}`, 'sell']]);
    const [, , , qty, price, fee] = t[1]!;
    expect(qty).toBeCloseTo(HALF, 12);
    expect(price).toBeCloseTo(ANSWER_PRICE, 9);
    expect(fee).toBeCloseTo(HALF * ANSWER_PRICE * 0.0005, 9); // 1.5260974
    for (const ts of [T0 + 2 * H, T0 + 3 * H, T0 + 4 * H]) {
      expect(Math.abs(position(r, 'binance', SPOT, ts) + position(r, 'binance', PERP, ts))).toBeLessThan(TOLERANCE);
      expect(position(r, 'binance', PERP, ts)).toBeCloseTo(-Q, 12);
    }
  });

  test('ignore, rebalance band off (1): the 1.65 ETH stay naked to the end', () => {
    const r = run(deltaNeutral, { ...params, adlResponse: 'ignore', rebalanceBand: 1 });
    expect(tradesFrom(r, T0 + 2 * H).map((x) => x[0])).toEqual(['adl']);
    for (const ts of [T0 + 2 * H, T0 + 3 * H, T0 + 4 * H]) expect(position(r, 'binance', SPOT, ts) + position(r, 'binance', PERP, ts)).toBeCloseTo(HALF, 12);
  });

  test('ignore with the default 5 % band: onBar at the same instant unwinds the whole book (3.3 spot + 1.65 perp), re-entered an hour later', () => {
    const r = run(deltaNeutral, { ...params, adlResponse: 'ignore' });
    const t = tradesFrom(r, T0 + 2 * H, T0 + 3 * H);
    expect(t.map((x) => [x[0], x[2], x[3]])).toEqual([['adl', 'buy', expect.closeTo(HALF, 12)], ['rebalance', 'sell', Q], ['rebalance', 'buy', expect.closeTo(HALF, 12)]]);
    expect(position(r, 'binance', SPOT, T0 + 2 * H)).toBe(0);
    expect(position(r, 'binance', PERP, T0 + 2 * H)).toBeCloseTo(0, 12);
    // Twice the qty of an unwind traded, then a new entry (two more fills) at T0 + 3 h as the signal still holds.
    expect(tradesFrom(r, T0 + 3 * H).map((x) => x[0])).toEqual(['enter', 'enter']);
  });
});

describe('the other hedged built-ins', () => {
  test('ethena-style (one venue), rehedge: the deleveraged short is sold again at 1849.815, delta flat', () => {
    const r = run(ethenaStyle, { adlResponse: 'rehedge', lookbackHours: 24 });
    const adl = r.portfolio.adl[0]!;
    const t = tradesFrom(r, T0 + 2 * H);
    expect(t.map((x) => x.slice(0, 3))).toEqual([['adl', `binance ${PERP}`, 'buy'], ['adl-rehedge', `binance ${PERP}`, 'sell']]);
    expect(t[1]![3]).toBeCloseTo(-adl.qty, 12);
    expect(t[1]![4]).toBeCloseTo(ANSWER_PRICE, 9);
    expect(Math.abs(position(r, 'binance', SPOT, T0 + 4 * H) + position(r, 'binance', PERP, T0 + 4 * H))).toBeLessThan(TOLERANCE);
  });

  test('cross-venue-spread (long binance, short bybit), unwind: half the binance long is sold, both legs equal again', () => {
    // Funding 0.01 % vs 0.05 % per 8 h: spread 0.04 % × 1095 = 43.8 % APR > entryApr 20 %: long binance, short bybit.
    const r = run(crossVenueSpread, { adlResponse: 'unwind' }, { venues: ['binance', 'bybit'], dataDir: TWO_VENUES, scenarios: adlAt('bybit') });
    const adl = r.portfolio.adl[0]!;
    expect(adl.symbol).toBe(PERP);
    expect(adl.venue).toBe('bybit');
    const t = tradesFrom(r, T0 + 2 * H);
    expect(t.map((x) => x.slice(0, 3))).toEqual([['adl', `bybit ${PERP}`, 'buy'], ['adl-unwind', `binance ${PERP}`, 'sell']]);
    expect(t[1]![3]).toBeCloseTo(-adl.qty, 12);
    expect(t[1]![4]).toBeCloseTo(ANSWER_PRICE, 9);
    expect(t[1]![5]).toBeCloseTo(-adl.qty * ANSWER_PRICE * 0.0005, 9);
    expect(Math.abs(position(r, 'binance', PERP, T0 + 4 * H) + position(r, 'bybit', PERP, T0 + 4 * H))).toBeLessThan(TOLERANCE);
  });

  test('carry-rotation (one asset), unwind by default: the naked spot is sold, delta flat', () => {
    const r = run(carryRotation, {});
    const adl = r.portfolio.adl[0]!;
    const t = tradesFrom(r, T0 + 2 * H);
    expect(t.map((x) => x.slice(0, 3))).toEqual([['adl', `binance ${PERP}`, 'buy'], ['adl-unwind', `binance ${SPOT}`, 'sell']]);
    expect(t[1]![3]).toBeCloseTo(-adl.qty, 12);
    expect(t[1]![5]).toBeCloseTo(-adl.qty * ANSWER_PRICE * 0.001, 9);
    expect(Math.abs(position(r, 'binance', SPOT, T0 + 4 * H) + position(r, 'binance', PERP, T0 + 4 * H))).toBeLessThan(TOLERANCE);
  });
});

describe('funding-threshold and reverse-carry', () => {
  test('funding-threshold, unwind: the naked spot is sold at 1849.815, delta flat', () => {
    const r = run(fundingThreshold, {});
    const adl = r.portfolio.adl[0]!;
    const t = tradesFrom(r, T0 + 2 * H);
    expect(t.map((x) => x.slice(0, 3))).toEqual([['adl', `binance ${PERP}`, 'buy'], ['adl-unwind', `binance ${SPOT}`, 'sell']]);
    expect(t[1]![3]).toBeCloseTo(-adl.qty, 12);
    expect(t[1]![4]).toBeCloseTo(ANSWER_PRICE, 9);
    expect(Math.abs(position(r, 'binance', SPOT, T0 + 4 * H) + position(r, 'binance', PERP, T0 + 4 * H))).toBeLessThan(TOLERANCE);
  });

  test('reverse-carry (long perp, borrowed spot), after a rally: the long is deleveraged at the bar low 2000, the borrowed spot bought back at 2150.215', () => {
    // Funding −0.03 %/8 h: enter long perp / short spot at T0 + 1 h; k1 rallies to 2150, the long is in profit.
    const rally = [
      [2000, 2000, 2000, 2000],
      [2000, 2200, 2000, 2150],
      [2150, 2160, 2140, 2150],
      [2150, 2160, 2140, 2150],
    ];
    const r = run(reverseCarry, {}, { dataDir: market({ binance: -0.0003 }, rally) });
    const adl = r.portfolio.adl[0]!;
    expect(adl.qty).toBeGreaterThan(0);
    expect([adl.price, adl.markPrice]).toEqual([2000, 2150]); // a long is closed at the bar low (never better than the mark)
    const t = tradesFrom(r, T0 + 2 * H);
    expect(t.map((x) => x.slice(0, 3))).toEqual([['adl', `binance ${PERP}`, 'sell'], ['adl-unwind', `binance ${SPOT}`, 'buy']]);
    expect(t[1]![3]).toBeCloseTo(adl.qty, 12);
    expect(t[1]![4]).toBeCloseTo(2150 * (1 + 1e-4), 9);
    expect(Math.abs(position(r, 'binance', SPOT, T0 + 4 * H) + position(r, 'binance', PERP, T0 + 4 * H))).toBeLessThan(TOLERANCE);
    expect(position(r, 'binance', SPOT, T0 + 4 * H)).toBeLessThan(0);
  });
});

/** Hourly instants from the first ADL to the end of the run at which |spot + perp| exceeds the tolerance. */
function nakedBars(r: BacktestResult): number {
  const from = r.portfolio.adl[0]!.ts;
  let n = 0;
  for (let ts = from; ts < r.config.toMs; ts += H) {
    if (Math.abs(position(r, 'binance', SPOT, ts) + position(r, 'binance', PERP, ts)) > TOLERANCE) n++;
  }
  return n;
}

describe('bundled oct-2025-adl, delta-neutral on Binance ETH 1h, Oct 8-13 2025 (real data)', () => {
  const cfg = { strategy: deltaNeutral, venues: ['binance'], symbol: SPOT, timeframe: '1h', fromMs: Date.UTC(2025, 9, 8), toMs: Date.UTC(2025, 9, 13), dataDir: join(process.cwd(), 'data'), scenarios: [resolveScenario('oct-2025-adl')] };
  const go = (params: Record<string, string | number>): BacktestResult => runBacktest({ ...cfg, params });

  test('unwind and rehedge leave the book naked 0 bars after the ADL at 22:00 UTC; ignore without the band, 26 bars', () => {
    const unwind = go({});
    expect(unwind.params['adlResponse']).toBe('unwind');
    expect(unwind.portfolio.adl).toHaveLength(1);
    expect(unwind.portfolio.adl[0]!.ts).toBe(Date.UTC(2025, 9, 10, 22));
    expect(nakedBars(unwind)).toBe(0);
    expect(nakedBars(go({ adlResponse: 'rehedge' }))).toBe(0);
    // The default 5 % band unwinds the whole book in onBar at the same instant: 0 bars too.
    expect(nakedBars(go({ adlResponse: 'ignore' }))).toBe(0);
    // Without it, 7.38 ETH of spot stay naked from 22:00 Oct 10 until the exit signal at 00:00 Oct 12: 26 bars.
    const loose = go({ adlResponse: 'ignore', rebalanceBand: 1 });
    expect(nakedBars(loose)).toBe(26);
    expect(loose.portfolio.trades.filter((t) => t.tag === 'exit').map((t) => t.ts)).toEqual([Date.UTC(2025, 9, 12), Date.UTC(2025, 9, 12)]);
  }, 120_000);

  test('what each answer cost on that day (total PnL, pinned; docs/scenarios.md)', () => {
    expect(go({}).pnl.total).toBeCloseTo(-456.37, 2);
    expect(go({ adlResponse: 'rehedge' }).pnl.total).toBeCloseTo(-543.31, 2);
    expect(go({ adlResponse: 'ignore' }).pnl.total).toBeCloseTo(-456.7, 2);
    // The naked 7.38 ETH rode the fall from 3946 to 3746 until the exit: trading −1361.00.
    const loose = go({ adlResponse: 'ignore', rebalanceBand: 1 });
    expect(loose.pnl.total).toBeCloseTo(-1928.11, 2);
    expect(loose.pnl.trading).toBeCloseTo(-1361.0, 2);
  }, 120_000);
});
