/**
 * Real-data regression on the bundled store (data/): headline numbers pinned. A change here means
 * the engine's accounting, the models' defaults or the bundled data changed: say which in the commit.
 * Also: two runs of the same config write byte-identical summary.json, funding.csv and ledger.csv.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import { buildSummary, writeRunDir } from '../../src/analysis/run-writer.js';
import deltaNeutral from '../../strategies/delta-neutral/index.js';
import holdPerp from '../../strategies/hold-perp/index.js';
import { tempDataDir } from '../support/series.js';

const dataDir = join(process.cwd(), 'data');
const D = Date.UTC;

describe('bundled data regression (binance)', () => {
  test('delta-neutral ETH/USDT 1h, 2025-02-02 → 02-05 (the npm start run)', () => {
    const r = runBacktest({ strategy: deltaNeutral, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: D(2025, 1, 2), toMs: D(2025, 1, 5), dataDir });
    const s = buildSummary(r, 'reg');
    expect(r.samples.length).toBe(72);
    expect(s.metrics.tradeCount).toBe(4); // enters at 01:00 Feb 2, exits when trailing funding turns ≤ 0
    expect(r.portfolio.fundings).toHaveLength(6);
    expect(s.metrics.finalEquity).toBeCloseTo(99760.21002336245, 6);
    expect(s.pnl.funding).toBeCloseTo(-19.647198482617025, 8);
    expect(s.pnl.fees).toBeCloseTo(-189.4408314443736, 8);
    expect(s.pnl.slippage).toBeCloseTo(-25.256868699368866, 8);
    expect(s.pnl.trading).toBeCloseTo(-5.4450780111938, 6);
    expect(s.metrics.maxDrawdown).toBeCloseTo(-0.0028891047917236623, 10);
    expect(s.metrics.liquidationCount).toBe(0);
    // Flat at the window end (it exited on Feb 4): closing the book changes nothing here.
    expect(r.endOfRun).toEqual({ mode: 'close', closed: 0, fees: 0, slippage: 0, failed: 0 });
  });

  test('delta-neutral ETH/USDT 1h, Feb 1 → 6 2025 (issue 11): 5 daily returns, midnight closes the day, APR over 120 h', () => {
    const r = runBacktest({ strategy: deltaNeutral, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: D(2025, 1, 1), toMs: D(2025, 1, 6), dataDir, benchmarkApr: 0.05 });
    const s = buildSummary(r, 'reg');
    expect(s.metrics.finalEquity).toBeCloseTo(99780.95571075255, 6);
    expect(s.metrics.dailyReturnCount).toBe(5); // was 6 with a one-hour stub (the Feb 6 00:00 sample)
    expect(s.metrics.sharpe).toBeCloseTo(-12.667578305355152, 8); // was −9.86 with the stub
    expect(s.metrics.sortino).toBeCloseTo(-11.407338185492614, 8);
    expect(s.metrics.apr).toBeCloseTo(-0.002190442892474498 * 365 / 5, 12); // −15.99 %, was −16.12 % over 119 h
    expect(s.metrics.excessSharpe).toBeLessThan(s.metrics.sharpe);
    expect(s.metricFlags.sharpe).toBe('too short to annualise: 5 daily returns (< 30)');
    // Distance from each mark bar's adverse extreme (high for the short perp), below the 49.83 % at closes.
    expect(s.metrics.minLiquidationDistance).toBeCloseTo(0.4920490847492111, 10);
  });

  test('hold-perp long 5× is liquidated in the Feb 3 2025 crash', () => {
    const r = runBacktest({ strategy: holdPerp, params: { side: 'long', leverage: 5 }, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: D(2025, 1, 2), toMs: D(2025, 1, 5), dataDir });
    const l = r.portfolio.liquidations;
    expect(l).toHaveLength(1);
    expect(new Date(l[0]!.ts).toISOString()).toBe('2025-02-03T02:00:00.000Z');
    // 158.8458 ETH long, notional at LP 397,310 USDT: Binance ETHUSDT tier 2 (0.5 %, cum 50) of the
    // mid-2024 bracket table; LP = (W + 50 − q·entry) / (q·0.005 − q) with W = 99,626.2652 (perp wallet)
    // and entry 3116.2300 (ref price). Fee = the whole maintenance margin left: 0.005·q·LP − 50.
    expect(l[0]!.price).toBeCloseTo(2501.232794226299, 6);
    expect(r.finalEquity).toBeCloseTo(0, 6);
    expect(r.pnl.liquidation).toBeCloseTo(-1936.5514309630962, 6);
    expect(r.pnl.total).toBeCloseTo(-100_000, 6);
    expect(buildSummary(r, 'reg').metrics.minLiquidationDistance).toBe(0); // liquidated
  });

  test('delta-neutral BTC/USDT 1m at 10×, Oct 10 2025 cascade: no liquidation, 8.98 % closest', () => {
    const r = runBacktest({ strategy: deltaNeutral, params: { leverage: 10, entryApr: -0.5, exitApr: -1 }, venues: ['binance'], symbol: 'BTC/USDT', timeframe: '1m', fromMs: D(2025, 9, 10), toMs: D(2025, 9, 13), dataDir });
    const s = buildSummary(r, 'reg');
    expect(r.samples.length).toBe(4320);
    expect(r.portfolio.fundings).toHaveLength(9);
    // The hedge open at the window end is closed at the last 1m closes (close-at-end): 2 taker fills,
    // fees 127.54 and slippage 17.00 more; trading −16.36 → +0.61 (the perp was valued at its mark,
    // it closes at its last price). Marked to market (--mark-to-market-end) it stays 99839.28741722918.
    expect(s.metrics.finalEquity).toBeCloseTo(99711.7186551285, 6);
    expect(r.endOfRun).toMatchObject({ mode: 'close', closed: 2 });
    expect(r.endOfRun.fees).toBeCloseTo(127.53824793145922, 8);
    expect(s.pnl.fees).toBeCloseTo(-262.5196252401587, 8);
    expect(s.pnl.funding).toBeCloseTo(8.623854807459356, 8);
    expect(s.metrics.minLiquidationDistance).toBeCloseTo(0.08980617901095587, 10);
    expect(s.metrics.maxDrawdown).toBeCloseTo(-0.024569975475211225, 10);
    const mtm = runBacktest({ strategy: deltaNeutral, params: { leverage: 10, entryApr: -0.5, exitApr: -1 }, venues: ['binance'], symbol: 'BTC/USDT', timeframe: '1m', fromMs: D(2025, 9, 10), toMs: D(2025, 9, 13), dataDir, markToMarketEnd: true });
    expect(mtm.finalEquity).toBeCloseTo(99839.28741722918, 6);
    expect(mtm.pnl.fees).toBeCloseTo(-134.98137730869942, 8);
  });
});

test('determinism: two runs give byte-identical summary.json, funding.csv, ledger.csv', () => {
  const out = tempDataDir('perpcarry-det-');
  const dirs = ['a', 'b'].map((x) => {
    const r = runBacktest({ strategy: deltaNeutral, params: { leverage: 3, entryApr: 0.01 }, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: D(2025, 0, 20), toMs: D(2025, 1, 10), dataDir, seed: 7 });
    const dir = join(out, x);
    writeRunDir(r, dir, { runId: 'det', createdAt: new Date().toISOString(), timing: { loadMs: r.loadMs, loopMs: r.loopMs, totalMs: 0, events: r.events, eventsPerSec: 0 }, csv: true });
    return dir;
  });
  for (const f of ['summary.json', 'funding.csv', 'ledger.csv', 'trades.csv', 'positions.csv', 'position-changes.csv', 'equity.csv', 'equity.arrow']) {
    const a = readFileSync(join(dirs[0]!, f));
    const b = readFileSync(join(dirs[1]!, f));
    expect(a.length).toBeGreaterThan(0);
    expect(a.equals(b), f).toBe(true);
  }
  // run.json differs only in wall-clock fields.
  const ra = JSON.parse(readFileSync(join(dirs[0]!, 'run.json'), 'utf8')) as Record<string, unknown>;
  const rb = JSON.parse(readFileSync(join(dirs[1]!, 'run.json'), 'utf8')) as Record<string, unknown>;
  for (const k of ['createdAt', 'timing']) {
    delete ra[k];
    delete rb[k];
  }
  expect(ra).toEqual(rb);
});
