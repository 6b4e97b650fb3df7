/**
 * Spot borrow interest, hand-computed: charged in arrears at each UTC hour boundary on the balance
 * held over the hour that ends there (valued at the close at the boundary), so a loan held for h
 * whole hours pays exactly h hours, whatever the bar timeframe.
 */
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import { tempDataDir, writeBars } from '../support/series.js';
import { shortSpot } from '../support/strategies.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);

const interestRows = (r: ReturnType<typeof runBacktest>) => r.portfolio.ledger.filter((e) => e.type === 'interest');

describe('spot borrow interest', () => {
  test('1h bars: a base loan from T0+1h to the end (T0+4h) pays 3 hours, at the closes at T0+2h, 3h, 4h (2100, 2200, 2300)', () => {
    const dir = tempDataDir();
    // closes 2000, 2100, 2200, 2300 at T0+1h .. T0+4h
    writeBars(dir, 'binance', 'ETH/USDT', 'ohlcv', '1h', H, T0, [
      [2000, 2000, 2000, 2000],
      [2050, 2100, 2050, 2100],
      [2150, 2200, 2150, 2200],
      [2250, 2300, 2250, 2300],
    ]);
    const r = runBacktest({ strategy: shortSpot(2), venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 4 * H, capital: 10_000, dataDir: dir, allowSpotBorrow: true });
    expect(r.portfolio.trades[0]!.ts).toBe(T0 + H); // fills at the open of the bar opening at T0+1h
    const rows = interestRows(r);
    expect(rows.map((e) => e.ts)).toEqual([T0 + 2 * H, T0 + 3 * H, T0 + 4 * H]);
    const perHour = 0.1 / 8760;
    expect(rows[0]!.amount).toBeCloseTo(-2 * 2100 * perHour, 12); // −0.047945…
    expect(rows[1]!.amount).toBeCloseTo(-2 * 2200 * perHour, 12);
    expect(rows[2]!.amount).toBeCloseTo(-2 * 2300 * perHour, 12);
    expect(r.pnl.interest).toBeCloseTo(-2 * (2100 + 2200 + 2300) * perHour, 12); // −0.150685…
  });

  test('8h bars: a loan opened at T0+8h and held to T0+24h pays 16 hours, none before it exists', () => {
    const dir = tempDataDir();
    writeBars(dir, 'binance', 'ETH/USDT', 'ohlcv', '8h', 8 * H, T0, [
      [2000, 2000, 2000, 2000],
      [2000, 2400, 2000, 2400],
      [2400, 2400, 1800, 1800],
    ]);
    const r = runBacktest({ strategy: shortSpot(1), venues: ['binance'], symbol: 'ETH/USDT', timeframe: '8h', fromMs: T0, toMs: T0 + 24 * H, capital: 10_000, dataDir: dir, allowSpotBorrow: true });
    expect(r.portfolio.trades[0]!.ts).toBe(T0 + 8 * H);
    const rows = interestRows(r);
    const perHour = 0.1 / 8760;
    // Held over [T0+8h, T0+24h): 8 h valued at the close at T0+16h, 8 h at the close at T0+24h.
    expect(rows.map((e) => e.ts)).toEqual([T0 + 16 * H, T0 + 24 * H]);
    expect(rows[0]!.amount).toBeCloseTo(-1 * 2400 * 8 * perHour, 12);
    expect(rows[1]!.amount).toBeCloseTo(-1 * 1800 * 8 * perHour, 12);
    expect(r.pnl.interest).toBeCloseTo(-(2400 + 1800) * 8 * perHour, 12); // −0.383562…
  });
});
