/**
 * Each strategy's defaults over 2024 on the bundled Binance 1h data (issue 11.5): never liquidated,
 * and the outcome a researcher would expect of the defaults (carry strategies earn the 2024
 * funding, reverse-carry stays out of a year of positive funding). A change here means a default
 * or the engine changed: say which in the commit.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runBacktest, type BacktestConfig } from '../../src/engine/backtest.js';
import { buildSummary } from '../../src/analysis/run-writer.js';
import type { StrategyFactory } from '../../src/strategy/types.js';
import deltaNeutral from '../../strategies/delta-neutral/index.js';
import ethenaStyle from '../../strategies/ethena-style/index.js';
import fundingThreshold from '../../strategies/funding-threshold/index.js';
import holdPerp from '../../strategies/hold-perp/index.js';
import reverseCarry from '../../strategies/reverse-carry/index.js';
import carryRotation from '../../strategies/carry-rotation/index.js';
import crossVenueSpread from '../../strategies/cross-venue-spread/index.js';

const dataDir = join(process.cwd(), 'data');
const Y2024 = { fromMs: Date.UTC(2024, 0, 1), toMs: Date.UTC(2025, 0, 1) };

function run(strategy: unknown, over: Partial<BacktestConfig> = {}) {
  const r = runBacktest({ strategy: strategy as StrategyFactory, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', ...Y2024, dataDir, ...over });
  return { r, s: buildSummary(r, 'defaults-2024') };
}

describe('strategy defaults over 2024 (binance 1h)', () => {
  for (const symbol of ['BTC/USDT', 'ETH/USDT']) {
    test(`delta-neutral ${symbol}: never liquidated (was 2× on BTC, Mar 4 and Nov 21, 1× on ETH), earns the carry`, () => {
      const { s } = run(deltaNeutral, { symbol });
      expect(s.metrics.liquidationCount).toBe(0);
      expect(s.metrics.minLiquidationDistance).toBeGreaterThan(0.1);
      expect(s.metrics.totalReturn).toBeGreaterThan(0.05); // 8.84 % BTC, 8.20 % ETH
      expect(s.metrics.maxDrawdown).toBeGreaterThan(-0.01); // was −5.1 % on ETH
    }, 120_000);

    test(`ethena-style ${symbol}: never liquidated, earns the carry`, () => {
      const { s } = run(ethenaStyle, { symbol });
      expect(s.metrics.liquidationCount).toBe(0);
      expect(s.metrics.totalReturn).toBeGreaterThan(0.05);
    }, 120_000);

    test(`funding-threshold ${symbol}: never liquidated, costs and funding roughly balance`, () => {
      const { s } = run(fundingThreshold, { symbol });
      expect(s.metrics.liquidationCount).toBe(0);
      expect(Math.abs(s.metrics.totalReturn)).toBeLessThan(0.03);
    }, 120_000);

    test(`hold-perp ${symbol}: a 1× long is never liquidated and follows the price`, () => {
      const { s } = run(holdPerp, { symbol });
      expect(s.metrics.liquidationCount).toBe(0);
      expect(s.metrics.totalReturn).toBeGreaterThan(0.2); // BTC +100.7 %, ETH +27.3 % in 2024
    }, 120_000);

    test(`reverse-carry ${symbol}: 2024 funding was positive, so it never trades`, () => {
      const { s } = run(reverseCarry, { symbol });
      expect(s.metrics.tradeCount).toBe(0);
      expect(s.metrics.finalEquity).toBe(100_000);
    }, 120_000);
  }

  test('carry-rotation BTC+ETH: never liquidated, earns the carry', () => {
    const { s } = run(carryRotation, { symbol: 'BTC/USDT,ETH/USDT' });
    expect(s.metrics.liquidationCount).toBe(0);
    expect(s.metrics.totalReturn).toBeGreaterThan(0.05);
  }, 120_000);

  test('cross-venue-spread binance+bybit (8h, 2024 H1, the only overlap): never liquidated', () => {
    const { s } = run(crossVenueSpread, { venues: ['binance', 'bybit'], symbol: 'BTC/USDT', timeframe: '8h', fromMs: Date.UTC(2024, 0, 1), toMs: Date.UTC(2024, 6, 1) });
    expect(s.metrics.liquidationCount).toBe(0);
  }, 120_000);
});
