import { describe, expect, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { runBacktest } from '../../src/engine/backtest.js';
import factory from './index.js';
import { flat, tempDataDir, writeBars, writeFunding } from '../../test/support/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 3, 1);

describe('hold-perp', () => {
  const dir = tempDataDir('perpcarry-hp-');
  writeBars(dir, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, flat([2000, 2100, 2200, 2050]));
  writeFunding(dir, 'binance', 'ETH/USDT:USDT', [[T0 + 2 * H, 0.0002, 8]]);
  const run = (side: string, leverage: number, markToMarketEnd = false) =>
    runBacktest({ strategy: factory, params: { side, leverage }, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 4 * H, dataDir: dir, capital: 10_000, markToMarketEnd });

  test('long 2×, marked to market at the end: PnL = qty × Δmark − fee − slippage + funding, exactly', () => {
    const r = run('long', 2, true);
    expect(r.portfolio.trades).toHaveLength(1);
    expect(r.endOfRun).toEqual({ mode: 'mark-to-market', closed: 0, fees: 0, slippage: 0, failed: 0 });
    const t = r.portfolio.trades[0]!;
    const qty = (10_000 * 2 * 0.99) / 2000; // notional at the first open
    expect(t.qty).toBeCloseTo(qty, 12);
    const fee = qty * 2000 * 1.0001 * 0.0005;
    const slip = qty * 2000 * 0.0001;
    const funding = -qty * 2100 * 0.0002;
    expect(r.pnl.fees).toBeCloseTo(-fee, 9);
    expect(r.pnl.slippage).toBeCloseTo(-slip, 9);
    expect(r.pnl.funding).toBeCloseTo(funding, 9);
    expect(r.finalEquity).toBeCloseTo(10_000 + qty * (2050 - 2000) - fee - slip + funding, 9);
  });

  test('long 2×, book closed at the end (default): the exit at the last close pays 1 bp slippage and the taker fee', () => {
    const r = run('long', 2);
    const qty = (10_000 * 2 * 0.99) / 2000;
    const fee = qty * 2000 * 1.0001 * 0.0005;
    const slip = qty * 2000 * 0.0001;
    const funding = -qty * 2100 * 0.0002;
    // the close: sell qty at the last close 2050, fill 2050 × (1 − 1 bp) = 2049.795
    const exitSlip = qty * 2050 * 0.0001; // 0.50737…
    const exitFee = qty * 2049.795 * 0.0005; // 5.07324…
    const t = r.portfolio.trades;
    expect(t).toHaveLength(2);
    expect(t[1]).toMatchObject({ ts: T0 + 4 * H, side: 'sell', tag: 'close-at-end', liquidity: 'taker' });
    expect(t[1]!.qty).toBeCloseTo(qty, 12);
    expect(t[1]!.price).toBeCloseTo(2049.795, 9);
    expect(t[1]!.fee).toBeCloseTo(exitFee, 9);
    expect(r.portfolio.qty[0]).toBe(0);
    expect(r.endOfRun.mode).toBe('close');
    expect(r.endOfRun.closed).toBe(1);
    expect(r.endOfRun.fees).toBeCloseTo(exitFee, 9);
    expect(r.endOfRun.slippage).toBeCloseTo(exitSlip, 9);
    // ledger: realized PnL at the reference price, then the fee and the slippage, all at the window end
    const end = r.portfolio.ledger.filter((e) => e.ts === T0 + 4 * H).map((e) => [e.type, Number(e.amount.toFixed(9)), e.note]);
    expect(end).toEqual([
      ['realized_pnl', Number((qty * 50).toFixed(9)), `sell ${qty} closes ${qty} [close-at-end]`],
      ['fee', Number((-exitFee).toFixed(9)), 'close-at-end'],
      ['slippage', Number((-exitSlip).toFixed(9)), 'close-at-end'],
    ]);
    expect(r.pnl.fees).toBeCloseTo(-fee - exitFee, 9);
    expect(r.pnl.slippage).toBeCloseTo(-slip - exitSlip, 9);
    expect(r.finalEquity).toBeCloseTo(10_000 + qty * (2050 - 2000) - fee - slip + funding - exitFee - exitSlip, 9);
    expect(r.samples.trimmed().columns.get('equity')!.at(-1)).toBeCloseTo(r.finalEquity, 9);
  });

  test('short mirrors it and receives the funding', () => {
    const r = run('short', 1, true);
    const qty = (10_000 * 0.99) / 2000;
    expect(r.portfolio.qty[0]).toBeCloseTo(-qty, 12);
    expect(r.pnl.funding).toBeCloseTo(qty * 2100 * 0.0002, 9);
    expect(r.pnl.trading).toBeCloseTo(-qty * 50, 9);
  });

  test('bad params are UserErrors naming the param (no cross-param rules: side and leverage are independent)', () => {
    const go = (params: Record<string, string>) => () => runBacktest({ strategy: factory, params, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + H, dataDir: '/nonexistent' });
    expect(go({ side: 'up' })).toThrow(new UserError('strategy hold-perp: param "side": "up" is not one of long, short'));
    expect(go({ leverage: '0' })).toThrow(new UserError('strategy hold-perp: param "leverage": 0 is below the minimum 0.1 ×'));
    expect(go({ leverage: '51' })).toThrow(new UserError('strategy hold-perp: param "leverage": 51 is above the maximum 50 ×'));
    expect(go({ leverage: 'two' })).toThrow('param "leverage": "two" is not a number');
    expect(go({ size: '1' })).toThrow('unknown param "size" (known: side, leverage)');
    expect(factory.validateParams).toBeUndefined();
  });
});
