import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import factory from './index.js';
import { h, runScenario, tempDataDir, writeFlatBars, writeFunding } from '../../test/support/scenario.js';
import { runBacktest } from '../../src/engine/backtest.js';

/**
 * Hand-made market: ETH spot and perp on Binance and Bybit, all flat at 2000; both venues settle
 * every 8h with the same rates: T0−8h, T0 −0.0001; T0+8h +0.0002; T0+16h +0.0002; T0+24h −0.0001;
 * T0+32h −0.0001. Params: weights binance:0.75,bybit:0.25, lookbackHours 1 (the latest 8h
 * settlement), entryApr 0.05, exitApr 0, leverage 2, lendApr 0.05, cashBuffer 0.01. No slippage.
 *
 * Lending first (−0.1095 APR): the 100000 sits in the spot wallets (75000 / 25000) and earns
 * r = 0.05 / 8760 per hour, charged at each hour boundary on the balance then (compounding).
 * 08:00: APR +0.219 > 0.05 ⇒ hedge: equity E8 = 100000 (1 + r)^7 (hours 01…07), notionals
 * N_b = E8 × 0.75 × 2/3 × 0.99, N_y = E8 × 0.25 × 2/3 × 0.99, perp margin m = N/2 × 1.01 + 0.002 N.
 * Funding: +0.0002 N at 16:00, −0.0001 N at 24:00 on each venue's short perp.
 * 24:00: APR −0.1095 ≤ 0 ⇒ unwind; everything back to spot wallets, lending again.
 */
function market(at24: Record<string, number> = {}): string {
  const dir = tempDataDir('eth');
  const flat = Array.from({ length: 40 }, () => 2000);
  for (const v of ['binance', 'bybit']) {
    writeFlatBars(dir, v, 'ETH/USDT', h(0), flat);
    writeFlatBars(dir, v, 'ETH/USDT:USDT', h(0), flat);
    writeFunding(dir, v, 'ETH/USDT:USDT', [
      [h(-8), -0.0001, 8, NaN],
      [h(0), -0.0001, 8, NaN],
      [h(8), 0.0002, 8, NaN],
      [h(16), 0.0002, 8, NaN],
      [h(24), at24[v] ?? -0.0001, 8, NaN],
      [h(32), -0.0001, 8, NaN],
    ]);
  }
  return dir;
}

describe('ethena-style on a hand-made market', () => {
  it('lends, hedges by weight when funding turns positive, unwinds to lending when it turns negative; funding vs lending split', () => {
    const r = runScenario({
      strategy: factory,
      params: { weights: 'binance:0.75,bybit:0.25', lookbackHours: 1, entryApr: 0.05, exitApr: 0, leverage: 2, lendApr: 0.05, cashBuffer: 0.01 },
      venues: ['binance', 'bybit'],
      symbol: 'ETH/USDT',
      dataDir: market(),
      hours: 36,
    });
    const rate = 0.05 / 8760;
    const E8 = 100_000 * (1 + rate) ** 8; // 8 h of lending (charged in arrears at 01…08) before the 08:00 decision
    const Nb = E8 * 0.75 * (2 / 3) * 0.99;
    const Ny = E8 * 0.25 * (2 / 3) * 0.99;
    const margin = (n: number) => (n / 2) * 1.01 + 0.002 * n;
    // Trades: 08:00 buy spot / sell perp on each venue, qty = N / 2000; 24:00 the reverse.
    const rows = r.portfolio.trades.map((t) => [(t.ts - h(0)) / 3_600_000, t.venue, t.symbol, t.side]);
    expect(rows).toEqual([
      [8, 'binance', 'ETH/USDT', 'buy'],
      [8, 'binance', 'ETH/USDT:USDT', 'sell'],
      [8, 'bybit', 'ETH/USDT', 'buy'],
      [8, 'bybit', 'ETH/USDT:USDT', 'sell'],
      [24, 'binance', 'ETH/USDT:USDT', 'buy'],
      [24, 'binance', 'ETH/USDT', 'sell'],
      [24, 'bybit', 'ETH/USDT:USDT', 'buy'],
      [24, 'bybit', 'ETH/USDT', 'sell'],
    ]);
    expect(r.portfolio.trades[0]!.qty).toBeCloseTo(Nb / 2000, 9);
    expect(r.portfolio.trades[2]!.qty).toBeCloseTo(Ny / 2000, 9);
    // Funding per leg.
    const fund = (v: string) => r.portfolio.fundings.filter((f) => f.venue === v && f.amount !== 0).map((f) => f.amount);
    expect(fund('binance')).toEqual([expect.closeTo(0.0002 * Nb, 9), expect.closeTo(-0.0001 * Nb, 9)]);
    expect(fund('bybit')).toEqual([expect.closeTo(0.0002 * Ny, 9), expect.closeTo(-0.0001 * Ny, 9)]);
    const F = 0.0001 * (Nb + Ny);
    const fees = 2 * (Nb * (0.001 + 0.0005) + Ny * (0.001 + 0.00055));
    expect(r.pnl.funding).toBeCloseTo(F, 9);
    expect(r.pnl.fees).toBeCloseTo(-fees, 9);
    // Lending, in arrears at each hour boundary on the balance held over the hour: 8 h (00…08) on
    // 100000; 16 h (08…24) hedged on the spot cash left after buying; 12 h (24…36) on everything
    // after the unwind.
    const IA = 100_000 * ((1 + rate) ** 8 - 1);
    const idle = 0.75 * E8 - margin(Nb) - 1.001 * Nb + (0.25 * E8 - margin(Ny) - 1.001 * Ny);
    const IB = idle * ((1 + rate) ** 16 - 1);
    const E24 = 100_000 + IA + IB + F - fees;
    const IC = E24 * ((1 + rate) ** 12 - 1);
    expect(r.pnl.interest).toBeCloseTo(IA + IB + IC, 8);
    expect(r.finalEquity).toBeCloseTo(E24 + IC, 8);
    expect(r.models.interest.params).toMatchObject({ lendApr: 0.05 });
    // The strategy's own end-of-run split.
    const end = r.log.find((l) => l.message.startsWith('ethena-style:'))!.message;
    expect(end).toContain('1 hedges, 1 unwinds (0 to re-size near liquidation), 16 h hedged / 20 h lending');
    expect(end).toContain(`funding ${F.toFixed(2)}`);
  });

  it('unwindRule: weighted mean vs every venue', () => {
    // At 24:00 Binance settles −0.0004 (APR −0.438) but Bybit +0.0001 (+0.1095): the equal-weight mean
    // is −0.164 ⇒ "weighted" unwinds at 24:00; "all" waits until 32:00 when both are −0.0001.
    const dir = market({ binance: -0.0004, bybit: 0.0001 });
    const times = (unwindRule: string) =>
      runScenario({ strategy: factory, params: { lookbackHours: 1, unwindRule }, venues: ['binance', 'bybit'], symbol: 'ETH/USDT', dataDir: dir, hours: 36 })
        .portfolio.trades.map((t) => (t.ts - h(0)) / 3_600_000);
    expect(times('weighted')).toEqual([8, 8, 8, 8, 24, 24, 24, 24]);
    expect(times('all')).toEqual([8, 8, 8, 8, 32, 32, 32, 32]);
  });

  it('a zero weight leaves a venue out', () => {
    const r = runScenario({
      strategy: factory,
      params: { weights: 'binance:1,bybit:0', lookbackHours: 1 },
      venues: ['binance', 'bybit'],
      symbol: 'ETH/USDT',
      dataDir: market(),
      hours: 36,
    });
    expect(r.portfolio.trades.filter((t) => t.venue === 'bybit')).toHaveLength(0);
    expect(r.portfolio.trades.filter((t) => t.venue === 'binance').map((t) => (t.ts - h(0)) / 3_600_000)).toEqual([8, 8, 24, 24]);
  });
});

describe('ethena-style on bundled data', () => {
  it('Binance, Bybit, OKX BTC on 8h bars, 2023-01 → 2024-07: pinned funding vs lending split', () => {
    const r = runBacktest({
      strategy: factory,
      params: { weights: 'binance:0.5,bybit:0.3,okx:0.2' },
      venues: ['binance', 'bybit', 'okx'],
      symbol: 'BTC/USDT',
      timeframe: '8h',
      fromMs: Date.UTC(2023, 0, 1),
      toMs: Date.UTC(2024, 6, 1),
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
    // BTC rose ~4× over the window: without re-sizing (minLiqDistance 0) the 2× shorts are liquidated
    // 4 times; with minLiqDistance 0.15 the book re-sizes twice near liquidation instead. Binance bars
    // close at 00/08/16 UTC, Bybit/OKX bars at 04/12/20 (their true opens): decisions every 4 h, each
    // venue's hedge legs fill together at that venue's next open. (Before the Bybit/OKX bars were
    // stamped at their true opens: 210 trades, funding 11146.94, total 8099.36.)
    // (Before lending interest was charged in arrears, i.e. on the balance held over each 8 h gap rather
    // than the one after the trades at its end: interest 1006.5, funding 11158.37, total 8277.24.)
    // (Before the book was closed at the window end (close-at-end: 6 more taker fills on the three
    // venues' open hedges), marked to market: 198 trades, fees −3484.21, total 8279.7.)
    expect(pinned).toEqual({ trades: 204, funding: 11158.63, interest: 1008.79, fees: -3586.86, total: 8163.5, liquidations: 0 });
    // Each venue's hedge trades at that venue's bar opens: Binance at 00/08/16 UTC, Bybit/OKX at 04/12/20
    // (the closing trades at the window end aside: they fill at the last close).
    expect(r.portfolio.trades.slice(198).every((t) => t.tag === 'close-at-end')).toBe(true);
    for (const t of r.portfolio.trades.slice(0, 198)) expect(((t.ts % (8 * 3_600_000)) / 3_600_000), `${t.venue} ${new Date(t.ts).toISOString()}`).toBe(t.venue === 'binance' ? 0 : 4);
    expect(r.portfolio.trades.slice(0, 198).filter((t) => t.venue === 'bybit').length).toBe(66);
    expect(r.models.interest.params).toMatchObject({ lendApr: 0.05 });
  });
});
