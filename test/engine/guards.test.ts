/**
 * Guards of issue 11.6: settings and data that used to pass silently are errors naming the cause.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { runBacktest } from '../../src/engine/backtest.js';
import { validateSeries } from '../../src/data/validate.js';
import deltaNeutral from '../../strategies/delta-neutral/index.js';

const dataDir = join(process.cwd(), 'data');
const base = { strategy: deltaNeutral, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: Date.UTC(2025, 1, 2), toMs: Date.UTC(2025, 1, 5), dataDir };

describe('run settings', () => {
  test('fundingHistoryDays −1e9 (the strategy never traded) is an error naming it', () => {
    expect(() => runBacktest({ ...base, fundingHistoryDays: -1e9 })).toThrow(new UserError('fundingHistoryDays must be between 0 and 3650 days (got -1000000000)'));
  });
  test('a window outside 2009 → 2100 is an error', () => {
    expect(() => runBacktest({ ...base, fromMs: Date.UTC(1900, 0, 1) })).toThrow(/window 1900-01-01T00:00:00.000Z → .* is outside 2009-01-01/);
    expect(() => runBacktest({ ...base, toMs: 8.64e15 })).toThrow(/is outside/);
  });
  test('--benchmark-apr 5 (meant 5 %?) is accepted as 500 %, 50 is refused', () => {
    expect(() => runBacktest({ ...base, benchmarkApr: 50 })).toThrow('--benchmark-apr must be a simple APR fraction in (−1, 10]');
  });
});

describe('data', () => {
  test('--slippage volume on bars without volume (binance BTC 1m) is an error', () => {
    const cfg = { ...base, symbol: 'BTC/USDT', timeframe: '1m', fromMs: Date.UTC(2025, 9, 10), toMs: Date.UTC(2025, 9, 11), models: { slippage: { name: 'volume' } } };
    expect(() => runBacktest(cfg)).toThrow('--slippage volume: binance BTC/USDT 1m bars have no volume in the window');
    // The 1h bars have volume: the same model runs.
    expect(runBacktest({ ...base, models: { slippage: { name: 'volume' } } }).portfolio.trades.length).toBe(4);
  });

  test('a price jumping by more than ×10 bar to bar is a validation error; a −52 % crash is not', () => {
    const H = 3_600_000;
    const bars = (close: number[]) => ({
      ts: Float64Array.from(close, (_, i) => i * H),
      columns: { open: Float64Array.from(close), high: Float64Array.from(close), low: Float64Array.from(close), close: Float64Array.from(close), volume: new Float64Array(close.length).fill(1) },
    });
    const bad = validateSeries(bars([2000, 2001, 1e308, 2002]), 'ohlcv', '1h');
    const jump = bad.issues.find((i) => i.code === 'price-jump')!;
    expect(jump.severity).toBe('error');
    expect(jump.count).toBe(2); // up to 1e308, and back down
    expect(jump.examples[0]!.row).toBe(2);
    expect(validateSeries(bars([7980, 5000, 3782.13, 5000]), 'ohlcv', '1h').issues.find((i) => i.code === 'price-jump')).toBeUndefined();
  });
});
