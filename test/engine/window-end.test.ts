/**
 * Cash that moves after the last bar close still reaches the last equity sample. OKX 8h bars open at
 * 04/12/20 UTC while funding settles at 00/08/16, so a window ending at 00:00 holds a settlement four
 * hours after its last bar close. The run used to end with "PnL attribution total ≠ equity change".
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import { buildSummary } from '../../src/analysis/run-writer.js';
import holdPerp from '../../strategies/hold-perp/index.js';

const dataDir = join(process.cwd(), 'data');

describe('window end after the last bar close', () => {
  test('a settlement at the window end gets its own final equity sample', () => {
    const r = runBacktest({ strategy: holdPerp, venues: ['okx'], symbol: 'BTC/USDT', timeframe: '8h', fromMs: Date.UTC(2023, 0, 1), toMs: Date.UTC(2023, 1, 1), dataDir, markToMarketEnd: true }); // no closing trades: the last sample differs only by the settlement
    const s = buildSummary(r, 'window-end');
    const { ts, columns } = r.samples.trimmed();
    const n = ts.length;
    // the last bar closes at 2023-01-31 20:00; the settlement at 2023-02-01 00:00 is sampled on its own
    expect(new Date(ts[n - 2]!).toISOString()).toBe('2023-01-31T20:00:00.000Z');
    expect(new Date(ts[n - 1]!).toISOString()).toBe('2023-02-01T00:00:00.000Z');
    const last = r.portfolio.fundings[r.portfolio.fundings.length - 1]!;
    expect(last.ts).toBe(Date.UTC(2023, 1, 1));
    // the final sample differs from the one before by exactly that settlement (prices unchanged)
    const equity = columns.get('equity')!;
    expect(equity[n - 1]! - equity[n - 2]!).toBeCloseTo(last.amount, 9);
    expect(s.pnl.total).toBeCloseTo(s.metrics.finalEquity - s.metrics.initialEquity, 6);
  });
});
