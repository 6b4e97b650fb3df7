/**
 * Round trips on real data: 2024 on the bundled Binance 1h set with each strategy's defaults. The
 * rows sum to the run's attribution (1e-9 relative, part by part) and a few figures are pinned: a
 * change here means the engine, a strategy default or the round-trip rules changed.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import { ROUND_TRIP_PARTS, roundTripsOf, roundTripStats, roundTripTotals } from '../../src/analysis/round-trips.js';
import type { PnlBreakdown } from '../../src/portfolio/records.js';
import type { StrategyFactory } from '../../src/strategy/types.js';
import deltaNeutral from '../../strategies/delta-neutral/index.js';
import fundingThreshold from '../../strategies/funding-threshold/index.js';

const dataDir = join(process.cwd(), 'data');

function run(strategy: unknown, symbol: string) {
  const r = runBacktest({ strategy: strategy as StrategyFactory, venues: ['binance'], symbol, timeframe: '1h', fromMs: Date.UTC(2024, 0, 1), toMs: Date.UTC(2025, 0, 1), dataDir });
  const rt = roundTripsOf(r.portfolio, r.config.toMs);
  return { r, rt, stats: roundTripStats(rt.rows, rt.account) };
}

function expectIdentity(tot: PnlBreakdown, pnl: PnlBreakdown): void {
  for (const k of [...ROUND_TRIP_PARTS, 'total'] as const) {
    expect(Math.abs(tot[k] - pnl[k]), `${k}: rows ${tot[k]} vs summary ${pnl[k]}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(pnl[k])));
  }
}

describe('round trips over 2024 (binance 1h, defaults)', () => {
  test('delta-neutral ETH: 3 spot/perp pairs, the last closed at the window end; rows = attribution; funding 8848.72 on 761.35 of costs', () => {
    const { r, rt, stats } = run(deltaNeutral, 'ETH/USDT');
    expectIdentity(roundTripTotals(rt), r.pnl);
    expect(rt.account).toEqual([]);
    expect(rt.rows.map((x) => `${x.type} ${x.side} ${x.exitReason}`)).toEqual(['spot long exit', 'perp short exit', 'spot long exit', 'perp short exit', 'spot long close-at-end', 'perp short close-at-end']);
    // The first pair: opened 2024-01-01 01:00, closed 2024-08-06 08:00 (5239 h), 28.7517 ETH.
    const [spot, perp] = rt.rows;
    expect(spot).toMatchObject({ openTs: Date.UTC(2024, 0, 1, 1), closeTs: Date.UTC(2024, 7, 6, 8), holdingHours: 5239, entryPrice: 2295.52, fills: 4 });
    expect(perp).toMatchObject({ openTs: Date.UTC(2024, 0, 1, 1), closeTs: Date.UTC(2024, 7, 6, 8), holdingHours: 5239, entryPrice: 2297.41, fills: 4 });
    expect(spot!.qty).toBeCloseTo(28.751655398, 8);
    expect(perp!.funding).toBeCloseTo(5939.325065650, 6);
    expect(spot!.trading + perp!.trading).toBeCloseTo(17779.414861982 - 17765.853158891, 5); // the hedge nets the price move
    expect(stats).toMatchObject({ episodes: 6, closed: 6, open: 0, winRate: 0.5 });
    expect(stats.meanHoldingHours).toBeCloseTo(2695.6667, 4);
    expect(stats.funding).toBeCloseTo(8848.716490, 5);
    expect(stats.costs).toBeCloseTo(761.351650, 5);
    expect(stats.fundingPerCost).toBeCloseTo(11.6224, 4);
  }, 120_000);

  test('funding-threshold BTC: 37 pairs held ≤ 1 week; rows = attribution; funding 0.84 of costs', () => {
    const { r, rt, stats } = run(fundingThreshold, 'BTC/USDT');
    expectIdentity(roundTripTotals(rt), r.pnl);
    expect(stats).toMatchObject({ episodes: 74, closed: 74, open: 0, winRate: 0.5 });
    expect(stats.meanHoldingHours).toBeCloseTo(155.6757, 4);
    expect(stats.funding).toBeCloseTo(7018.688694, 5);
    expect(stats.costs).toBeCloseTo(8349.848471, 5);
    expect(stats.fundingPerCost).toBeCloseTo(0.840577, 6);
    expect(Math.max(...rt.rows.map((x) => x.holdingHours))).toBeLessThanOrEqual(168);
    expect(rt.rows[0]).toMatchObject({ symbol: 'BTC/USDT', side: 'long', entryPrice: 42475.23, exitPrice: 43632, holdingHours: 168, exitReason: 'max-hold' });
    expect(rt.rows[1]).toMatchObject({ symbol: 'BTC/USDT:USDT', side: 'short', entryPrice: 42503.5, exitPrice: 43621.9, holdingHours: 168, exitReason: 'max-hold' });
    expect(rt.rows[1]!.funding).toBeCloseTo(270.024086, 5);
  }, 120_000);
});
