/**
 * Cross margin, two perps on one account, hand-computed: Binance's cross liquidation price of one
 * position backs it with the wallet plus the other positions' unrealized PnL minus their
 * maintenance margin (WB − TMM1 + UPNL1), and the liquidation fee is capped at the cross margin left.
 */
import { expect, test } from 'vitest';
import { Portfolio } from '../../src/portfolio/portfolio.js';
import { tieredMarginModel } from '../../src/venue/margin.js';
import { constantAprInterest } from '../../src/venue/interest.js';
import type { Instrument } from '../../src/venue/instrument.js';
import type { FillQuote } from '../../src/venue/fill.js';

test('cross: BTC short liquidation price includes the ETH long loss and its maintenance margin', () => {
  const instruments: Instrument[] = [
    { id: 0, venue: 'binance', symbol: 'BTC/USDT:USDT', type: 'perp', base: 'BTC', quote: 'USDT' },
    { id: 1, venue: 'binance', symbol: 'ETH/USDT:USDT', type: 'perp', base: 'ETH', quote: 'USDT' },
  ];
  const pf = new Portfolio({ instruments, venues: ['binance'], margin: tieredMarginModel(), interest: constantAprInterest() });
  const q = (refPrice: number): FillQuote => ({ refPrice, price: refPrice, fee: 0, slippage: 0 });
  pf.deposit(0, 'binance', 100_000);
  pf.transfer(0, 'binance', 'spot', 'binance', 'perp', 20_000);
  pf.markPx[0] = 50_000;
  pf.markPx[1] = 2500;
  expect(pf.perpTrade(0, 0, 'sell', 4, q(50_000), 't')).toBeNull(); // 200k notional, IM 10000 at 20×
  expect(pf.perpTrade(0, 1, 'buy', 40, q(2500), 't')).toBeNull(); // 100k notional, IM 5000
  pf.markPx[1] = 2400; // ETH uPnL −4000; its MM at 96k (tier 2): 96000 × 0.005 − 50 = 430
  // BTC backing = 20000 − 4000 − 430 = 15570; tier 2 (0.5 %, cum 50):
  // P = (15570 + 50 + 4 × 50000) / (4 × 0.005 + 4) = 215620 / 4.02
  const lp = 215_620 / 4.02; // 53636.8159…, notional 214547 (tier 2)
  expect(pf.liquidationPrice(0)).toBeCloseTo(lp, 9);
  // At lp the account's margin balance equals the total maintenance margin.
  pf.markPx[0] = lp;
  expect(pf.perpEquity(0)).toBeCloseTo(0.005 * 4 * lp - 50 + 430, 9);
  expect(pf.marginRatio(0)).toBeCloseTo(1, 12);
  // A mark bar whose high reaches lp liquidates BTC there; 1.25 % × 214547 = 2681.8 exceeds the
  // cross margin left (= the total maintenance margin, 1452.74), so the fee takes all of it and
  // the account's margin balance (wallet + ETH uPnL) ends at 0: ETH is liquidated next.
  pf.markPx[0] = 53_000;
  expect(pf.checkLiquidation(3_600_000, 0, 53_700, 52_900)).toBe(true);
  const l = pf.liquidations[0]!;
  expect(l.price).toBeCloseTo(lp, 9);
  expect(l.fee).toBeCloseTo(0.005 * 4 * lp - 50 + 430, 9);
  expect(pf.qty[0]).toBe(0);
  expect(pf.perpEquity(0)).toBeCloseTo(0, 9);
  expect(pf.equity()).toBeCloseTo(80_000, 9);
});

test('minAdverseLiqDistance: the liquidation test as a distance, at each bar\'s adverse extreme', () => {
  const instruments: Instrument[] = [{ id: 0, venue: 'binance', symbol: 'ETH/USDT:USDT', type: 'perp', base: 'ETH', quote: 'USDT' }];
  const pf = new Portfolio({ instruments, venues: ['binance'], margin: tieredMarginModel(), interest: constantAprInterest() });
  const q = (refPrice: number): FillQuote => ({ refPrice, price: refPrice, fee: 0, slippage: 0 });
  pf.deposit(0, 'binance', 10_000);
  pf.transfer(0, 'binance', 'spot', 'binance', 'perp', 1_000);
  pf.markPx[0] = 2000;
  expect(pf.minAdverseLiqDistance).toBe(Infinity);
  expect(pf.perpTrade(0, 0, 'sell', 1, q(2000), 't')).toBeNull(); // short 1 ETH on 1000 of margin
  const lp = pf.liquidationPrice(0); // tier 1: (1000 + 2000) / (1 + mmr) ≈ 2980
  expect(lp).toBeGreaterThan(2900);
  // Bar 1: close 2000 but high 2600: distance from the high, (lp − 2600) / 2600, not from the close.
  expect(pf.checkLiquidation(3_600_000, 0, 2600, 1990)).toBe(false);
  expect(pf.minAdverseLiqDistance).toBeCloseTo((lp - 2600) / 2600, 12);
  // Bar 2: a lower high does not raise the minimum.
  expect(pf.checkLiquidation(7_200_000, 0, 2100, 1990)).toBe(false);
  expect(pf.minAdverseLiqDistance).toBeCloseTo((lp - 2600) / 2600, 12);
  // Bar 3: the high crosses lp: liquidated, the distance is ≤ 0.
  expect(pf.checkLiquidation(10_800_000, 0, 3100, 2000)).toBe(true);
  expect(pf.minAdverseLiqDistance).toBeCloseTo((lp - 3100) / 3100, 12);
  expect(pf.minAdverseLiqDistance).toBeLessThan(0);
  // equityBefore values the short at the liquidation price (the mark was left at 2000 here):
  // 10000 − (lp − 2000), not the equity at the bar's mark.
  expect(pf.liquidations[0]!.equityBefore).toBeCloseTo(10_000 - (lp - 2000), 9);
});
