/**
 * Every bundled scenario, run with delta-neutral and ethena-style against its base run on the
 * bundled data: what it cost, line by line (figures in docs/scenarios.md).
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runBacktest, type BacktestConfig, type BacktestResult } from '../../src/engine/backtest.js';
import { resolveScenario } from '../../src/scenario/bundled.js';
import { loadStrategy } from '../../src/strategy/registry.js';
import { ROOT } from '../support/paths.js';

async function pair(strategy: string, cfg: Omit<BacktestConfig, 'strategy' | 'dataDir'>, scenario: string): Promise<[BacktestResult, BacktestResult]> {
  const { factory } = await loadStrategy(strategy);
  const base = { ...cfg, strategy: factory, dataDir: join(ROOT, 'data') };
  return [runBacktest(base), runBacktest({ ...base, scenarios: [resolveScenario(scenario)] })];
}
const eth1h = (from: string, to: string) => ({ venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: Date.parse(from), toMs: Date.parse(to) });
const eth8h3 = (from: string, to: string) => ({ venues: ['binance', 'bybit', 'okx'], symbol: 'ETH/USDT', timeframe: '8h', fromMs: Date.parse(from), toMs: Date.parse(to) });

describe('bundled scenarios', () => {
  test('feb-2025-eth-discount: the 5.8 % discount deepens both books\' drawdowns to over 3 %', async () => {
    for (const s of ['delta-neutral', 'ethena-style']) {
      const [b, x] = await pair(s, eth1h('2025-02-02', '2025-02-05'), 'feb-2025-eth-discount');
      expect(b.samples.trimmed().columns.get('drawdown')!.reduce((m, v) => Math.min(m, v), 0)).toBeGreaterThan(-0.005);
      expect(x.samples.trimmed().columns.get('drawdown')!.reduce((m, v) => Math.min(m, v), 0)).toBeLessThan(-0.03);
    }
  }, 120_000);

  test('oct-2025-adl: half the delta-neutral short deleveraged at the bar high, the naked spot sold at ×10 slippage; ethena-style (unwound then) untouched', async () => {
    const [b, x] = await pair('delta-neutral', eth1h('2025-10-08', '2025-10-13'), 'oct-2025-adl');
    expect(b.pnl.adl).toBe(0);
    expect(x.portfolio.adl).toHaveLength(1);
    expect(x.portfolio.adl[0]!.share).toBe(0.5);
    expect(x.pnl.adl).toBeCloseTo(-385.6, 1);
    // adlResponse=unwind sells the 7.38 naked ETH at ×10 slippage during the cascade: −24.25 → −47.88
    // (the whole book, unwound by the rebalance band with adlResponse=ignore: −100.58).
    expect(x.pnl.slippage).toBeLessThan(1.5 * b.pnl.slippage);
    expect(x.portfolio.trades.filter((t) => t.tag === 'adl-unwind').map((t) => [t.ts, t.qty])).toEqual([[Date.UTC(2025, 9, 10, 22), x.portfolio.adl[0]!.qty * -1]]);
    expect(x.finalEquity).toBeLessThan(b.finalEquity - 200);
    const [eb, ex] = await pair('ethena-style', eth1h('2025-10-08', '2025-10-13'), 'oct-2025-adl');
    expect(ex.portfolio.adl).toHaveLength(0);
    expect(ex.finalEquity).toBeCloseTo(eb.finalEquity, 6);
  }, 120_000);

  test('funding-death-spiral-90d: delta-neutral loses about half its funding; ethena-style lends instead', async () => {
    const [b, x] = await pair('delta-neutral', eth1h('2024-03-01', '2024-07-01'), 'funding-death-spiral-90d');
    expect(x.pnl.funding).toBeLessThan(0.6 * b.pnl.funding);
    const [eb, ex] = await pair('ethena-style', eth8h3('2024-03-01', '2024-07-01'), 'funding-death-spiral-90d');
    expect(ex.pnl.funding).toBeLessThan(0.6 * eb.pnl.funding);
    expect(ex.pnl.interest).toBeGreaterThan(10 * eb.pnl.interest);
  }, 180_000);

  test('withdrawal-freeze-unwind: transfers out of Binance refused, both books pay for the unwind', async () => {
    const [b, x] = await pair('delta-neutral', eth1h('2024-02-20', '2024-03-20'), 'withdrawal-freeze-unwind');
    expect(x.finalEquity).toBeLessThan(b.finalEquity - 500);
    const [eb, ex] = await pair('ethena-style', eth8h3('2024-02-20', '2024-03-20'), 'withdrawal-freeze-unwind');
    expect(ex.finalEquity).toBeLessThan(eb.finalEquity - 200);
    expect(ex.log.some((l) => /refused: withdrawals from binance are frozen/.test(l.message))).toBe(true);
  }, 180_000);
});
