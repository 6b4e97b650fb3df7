import { describe, expect, it } from 'vitest';
import factory from './index.js';
import { h, runScenario, tempDataDir, tradeRows, writeFlatBars, writeFunding } from '../../test/support/scenario.js';
import { runBacktest } from '../../src/engine/backtest.js';
import { join } from 'node:path';

/**
 * Hand-made market: ETH spot and perp flat at 2000 (1h bars, no mark series, so mark = perp close),
 * Binance 8h settlements: T0−8h and T0 (history) 0.0001, T0+8h 0.0003, T0+16h 0.0003, then 0.
 * Params: signal=latest, entryApr 0.2 (0.0003 × 1095 = 0.3285 clears it, 0.0001 × 1095 = 0.1095 does not),
 * exitApr 0.05, leverage 1, cashBuffer 0.01. No slippage; Binance fees: spot 0.1 %, perp 0.05 %.
 *
 * Entry at the 08:00 bar close (the 08:00 settlement, applied first, set latest = 0.0003), filled at
 * the 08:00 open: notional N = 100000 × 1/2 × 0.99 = 49500, qty 24.75.
 * Fees per side: spot 49.5, perp 24.75. Funding at 16:00 on −24.75 perp: −(−24.75) × 2000 × 0.0003 = 14.85.
 */
function market(): string {
  const dir = tempDataDir('ft');
  const flat = Array.from({ length: 48 }, () => 2000);
  writeFlatBars(dir, 'binance', 'ETH/USDT', h(0), flat);
  writeFlatBars(dir, 'binance', 'ETH/USDT:USDT', h(0), flat);
  writeFunding(dir, 'binance', 'ETH/USDT:USDT', [
    [h(-8), 0.0001, 8, NaN],
    [h(0), 0.0001, 8, NaN],
    [h(8), 0.0003, 8, NaN],
    [h(16), 0.0003, 8, NaN],
    [h(24), 0, 8, NaN],
    [h(32), 0, 8, NaN],
    [h(40), 0, 8, NaN],
  ]);
  return dir;
}

const base = { signal: 'latest', entryApr: 0.2, exitApr: 0.05, minHoldHours: 0, maxHoldHours: 0, cooldownHours: 0, leverage: 1, cashBuffer: 0.01 };

describe('funding-threshold on a hand-made market', () => {
  const dir = market();
  const run = (p: Record<string, number | string>) =>
    runScenario({ strategy: factory, params: { ...base, ...p }, venues: ['binance'], symbol: 'ETH/USDT', dataDir: dir, hours: 44 });

  it('enters when the latest rate clears entryApr, collects funding on the short perp, exits when it drops', () => {
    const r = run({});
    expect(tradeRows(r)).toEqual([
      [8, 'binance', 'ETH/USDT', 'buy', 24.75, 2000, 49.5],
      [8, 'binance', 'ETH/USDT:USDT', 'sell', 24.75, 2000, 24.75],
      // 24:00: settlement (rate 0) first, then the bar close sees latest APR 0 ≤ 0.05 ⇒ exit at the 24:00 open.
      [24, 'binance', 'ETH/USDT:USDT', 'buy', 24.75, 2000, 24.75],
      [24, 'binance', 'ETH/USDT', 'sell', 24.75, 2000, 49.5],
    ]);
    const paid = r.portfolio.fundings.filter((f) => f.amount !== 0);
    expect(paid.map((f) => [f.ts, f.qty, f.markPrice, f.rate])).toEqual([[h(16), -24.75, 2000, 0.0003]]);
    expect(paid[0]!.amount).toBeCloseTo(14.85, 9);
    expect(r.pnl.funding).toBeCloseTo(14.85, 9);
    expect(r.pnl.fees).toBeCloseTo(-148.5, 9); // 2 × (49.5 + 24.75)
    expect(r.pnl.trading).toBeCloseTo(0, 9);
    expect(r.finalEquity).toBeCloseTo(100_000 + 14.85 - 148.5, 9); // 99866.35
  });

  it('maxHoldHours forces the exit, cooldownHours blocks the re-entry', () => {
    // Entered 08:00; at the 16:00 bar it has held 8 h ⇒ forced exit (after the 16:00 settlement paid 14.85).
    // Cooldown 8 h ⇒ no entry before 24:00, when the latest rate is 0.
    const r = run({ maxHoldHours: 8, cooldownHours: 8 });
    expect(tradeRows(r).map((t) => [t[0], t[2], t[3]])).toEqual([
      [8, 'ETH/USDT', 'buy'],
      [8, 'ETH/USDT:USDT', 'sell'],
      [16, 'ETH/USDT:USDT', 'buy'],
      [16, 'ETH/USDT', 'sell'],
    ]);
    expect(r.pnl.funding).toBeCloseTo(14.85, 9);
    expect(r.finalEquity).toBeCloseTo(99866.35, 9);
  });

  it('without a cooldown the forced exit re-enters at the next bar, paying fees twice', () => {
    // Exit at 16:00, re-entry at 17:00 (latest still 0.0003) sized on equity 99866.35:
    // N2 = 99866.35 × 0.5 × 0.99 = 49433.84325, fees 1.5 × 0.001 × N2 per side; exit at 24:00.
    const r = run({ maxHoldHours: 8 });
    expect(tradeRows(r).map((t) => t[0])).toEqual([8, 8, 16, 16, 17, 17, 24, 24]);
    const n2 = 99866.35 * 0.5 * 0.99;
    expect(r.portfolio.trades[4]!.qty * 2000).toBeCloseTo(n2, 6);
    expect(r.finalEquity).toBeCloseTo(99866.35 - 2 * 0.0015 * n2, 6);
  });

  it('minHoldHours keeps the book through a low signal', () => {
    // At 24:00 it has held 16 h < 24 ⇒ stays; at 32:00 (held 24 h, latest 0) ⇒ exit.
    const r = run({ minHoldHours: 24 });
    expect(tradeRows(r).map((t) => t[0])).toEqual([8, 8, 32, 32]);
    expect(r.pnl.funding).toBeCloseTo(14.85, 9);
  });

  it('signal=mean waits for the trailing mean: with entryApr 0.25, latest enters at 08:00, mean(2) at 16:00', () => {
    // 08:00: latest 0.0003 ⇒ 0.3285 > 0.25; mean of (0.0001, 0.0003) = 0.0002 ⇒ 0.219 ≤ 0.25.
    // 16:00: mean of (0.0003, 0.0003) ⇒ 0.3285 ⇒ enter; 24:00: mean (0.0003, 0) = 0.164 > 0.05 holds;
    // 32:00: mean (0, 0) = 0 ⇒ exit. The 16:00 entry misses the 16:00 payment: no funding at all.
    expect(tradeRows(run({ entryApr: 0.25 })).map((t) => t[0])).toEqual([8, 8, 24, 24]);
    const r = run({ entryApr: 0.25, signal: 'mean', lookback: 2 });
    expect(tradeRows(r).map((t) => t[0])).toEqual([16, 16, 32, 32]);
    expect(r.pnl.funding).toBe(0);
    expect(r.pnl.fees).toBeCloseTo(-148.5, 9);
  });

  it('logs funding captured against fees paid at the end', () => {
    const end = run({}).log.find((l) => l.message.startsWith('funding-threshold:'))!.message;
    expect(end).toBe('funding-threshold: 1 entries, 0 forced exits at max hold; funding captured 14.85 vs fees + slippage paid 148.50');
  });

  it('rejects exitApr above entryApr with a clear message', () => {
    expect(() => run({ exitApr: 0.3 })).toThrow(/exitApr \(0.3\) must not exceed entryApr \(0.2\)/);
  });
});

describe('funding-threshold on bundled data', () => {
  it('Binance ETH, Nov 2022 (FTX): pinned headline numbers', () => {
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
      fees: +r.pnl.fees.toFixed(2),
      total: +r.pnl.total.toFixed(2),
      finalEquity: +r.finalEquity.toFixed(2),
    };
    // The hedge open at the window end is closed at the last closes (close-at-end, 2 more fills; marked
    // to market before: 6 trades, fees −292.15, total −315.43, final equity 99684.57).
    expect(pinned).toEqual({ trades: 8, funding: 28.65, fees: -392.63, total: -427.24, finalEquity: 99572.76 });
    expect(Math.abs(r.finalEquity - 100_000 - r.pnl.total)).toBeLessThan(1e-6);
  });
});
