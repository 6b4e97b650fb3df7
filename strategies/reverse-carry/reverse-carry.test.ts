import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import factory from './index.js';
import { h, runScenario, tempDataDir, tradeRows, writeFlatBars, writeFunding } from '../../test/support/scenario.js';
import { runBacktest } from '../../src/engine/backtest.js';

/**
 * Hand-made market: ETH spot and perp flat at 2000 (1h bars; mark = perp close). Binance 8h
 * settlements: T0−8h, T0 (history) −0.0001; T0+8h −0.0004; T0+16h −0.0004; T0+24h +0.0001; then 0.
 * Params: lookback 1, entryApr −0.2 (−0.0004 × 1095 = −0.438 is below, −0.1095 is not), exitApr 0,
 * leverage 1, cashBuffer 0.01, borrowApr 0.05 (default). No slippage; fees spot 0.1 %, perp 0.05 %.
 *
 * Entry at the 08:00 bar, filled at the 08:00 open: N = 100000 × 1/2 × 0.99 = 49500, qty 24.75 long
 * perp / 24.75 borrowed spot sold. Funding on +24.75: 16:00 −24.75 × 2000 × (−0.0004) = +19.8;
 * 24:00 −24.75 × 2000 × 0.0001 = −4.95 (rate recovered: APR +0.1095 ≥ 0 ⇒ exit at the 24:00 open).
 * Borrow interest is charged at each hour boundary on the balance held then (after that instant's
 * fills), Binance-style: hours 08:00 … 23:00 = 16 charges of 24.75 × 2000 × 0.05 / 8760.
 */
function market(): string {
  const dir = tempDataDir('rc');
  const flat = Array.from({ length: 40 }, () => 2000);
  writeFlatBars(dir, 'binance', 'ETH/USDT', h(0), flat);
  writeFlatBars(dir, 'binance', 'ETH/USDT:USDT', h(0), flat);
  writeFunding(dir, 'binance', 'ETH/USDT:USDT', [
    [h(-8), -0.0001, 8, NaN],
    [h(0), -0.0001, 8, NaN],
    [h(8), -0.0004, 8, NaN],
    [h(16), -0.0004, 8, NaN],
    [h(24), 0.0001, 8, NaN],
    [h(32), 0, 8, NaN],
  ]);
  return dir;
}

const base = { lookback: 1, entryApr: -0.2, exitApr: 0, leverage: 1, cashBuffer: 0.01 };

describe('reverse-carry on a hand-made market', () => {
  const dir = market();
  const run = (p: Record<string, number>) =>
    runScenario({ strategy: factory, params: { ...base, ...p }, venues: ['binance'], symbol: 'ETH/USDT', dataDir: dir, hours: 36 });

  it('longs the perp and shorts borrowed spot on negative funding, receives funding, pays borrow interest, exits on recovery', () => {
    const r = run({});
    expect(tradeRows(r)).toEqual([
      [8, 'binance', 'ETH/USDT:USDT', 'buy', 24.75, 2000, 24.75],
      [8, 'binance', 'ETH/USDT', 'sell', 24.75, 2000, 49.5],
      [24, 'binance', 'ETH/USDT', 'buy', 24.75, 2000, 49.5],
      [24, 'binance', 'ETH/USDT:USDT', 'sell', 24.75, 2000, 24.75],
    ]);
    const paid = r.portfolio.fundings.filter((f) => f.amount !== 0);
    expect(paid.map((f) => [f.ts, f.qty, f.rate])).toEqual([
      [h(16), 24.75, -0.0004],
      [h(24), 24.75, 0.0001],
    ]);
    expect(paid[0]!.amount).toBeCloseTo(19.8, 9);
    expect(paid[1]!.amount).toBeCloseTo(-4.95, 9);
    const hourly = (24.75 * 2000 * 0.05) / 8760;
    const interest = r.portfolio.ledger.filter((e) => e.type === 'interest');
    // In arrears: the boundaries 09…24 each charge the hour before them, [08, 24) = 16 h held.
    expect(interest.map((e) => (e.ts - h(0)) / 3_600_000)).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    for (const e of interest) expect(e.amount).toBeCloseTo(-hourly, 12);
    expect(r.pnl.interest).toBeCloseTo(-16 * hourly, 9); // −4.5205…
    expect(r.pnl.funding).toBeCloseTo(14.85, 9);
    expect(r.pnl.fees).toBeCloseTo(-148.5, 9);
    expect(r.finalEquity).toBeCloseTo(100_000 + 14.85 - 148.5 - 16 * hourly, 9);
    expect(r.models.interest.params).toMatchObject({ borrowApr: 0.05 });
  });

  it('the borrowApr param sets the interest model of the run', () => {
    const r = run({ borrowApr: 0.2 });
    expect(r.pnl.interest).toBeCloseTo((-16 * 24.75 * 2000 * 0.2) / 8760, 9);
    expect(r.models.interest.params).toMatchObject({ borrowApr: 0.2 });
  });

  it('stays flat while funding is not negative enough', () => {
    const r = run({ entryApr: -0.5 });
    expect(r.portfolio.trades).toHaveLength(0);
    expect(r.finalEquity).toBe(100_000);
  });
});

describe('reverse-carry on bundled data', () => {
  it('Binance ETH, Nov 2022 (FTX, funding went deeply negative): pinned headline numbers', () => {
    const r = runBacktest({
      strategy: factory,
      venues: ['binance'],
      symbol: 'ETH/USDT',
      timeframe: '1h',
      fromMs: Date.UTC(2022, 10, 1),
      toMs: Date.UTC(2022, 11, 1),
      dataDir: join(import.meta.dirname, '..', '..', 'data'),
    });
    const pinned = {
      trades: r.portfolio.trades.length,
      funding: +r.pnl.funding.toFixed(2),
      interest: +r.pnl.interest.toFixed(2),
      fees: +r.pnl.fees.toFixed(2),
      total: +r.pnl.total.toFixed(2),
      liquidations: r.portfolio.liquidations.length,
    };
    // (Interest −28.16, total −77.75 before interest was charged in arrears: the hour after the entry fill
    // was charged at the entry instant and the hour before the exit fill was not.)
    expect(pinned).toEqual({ trades: 4, funding: 122.21, interest: -28.14, fees: -193.08, total: -77.73, liquidations: 0 });
    // The short spot leg is borrowed: its position went negative.
    expect(r.portfolio.trades.some((t) => t.symbol === 'ETH/USDT' && t.side === 'sell' && t.tag === 'entry')).toBe(true);
  });
});
