/**
 * Portfolio.markAtMarginRatio (the wake level of delta-neutral's sleep): hand-computed tier
 * solution for a short, NaN for a long, and a property test that the level is safe — the ratio stays
 * below the target at every mark on the near side of it — and tight (just past it, the ratio is
 * reached). A level that is not safe would let a sleeping strategy miss a top-up.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Portfolio } from '../../src/portfolio/portfolio.js';
import { tieredMarginModel } from '../../src/venue/margin.js';
import { constantAprInterest } from '../../src/venue/interest.js';
import type { Instrument } from '../../src/venue/instrument.js';

const BTC: Instrument = { id: 0, venue: 'binance', symbol: 'BTC/USDT:USDT', type: 'perp', base: 'BTC', quote: 'USDT' };
const ETH: Instrument = { id: 1, venue: 'binance', symbol: 'ETH/USDT:USDT', type: 'perp', base: 'ETH', quote: 'USDT' };

/** A cross account holding `qty` BTC perp entered at `entry`, `wallet` of perp cash, marked at `mark`. */
function account(qty: number, entry: number, wallet: number, mark: number): Portfolio {
  const pf = new Portfolio({ instruments: [BTC, ETH], venues: ['binance'], margin: tieredMarginModel(), interest: constantAprInterest() });
  pf.deposit(0, 'binance', wallet + 1e6);
  pf.transfer(0, 'binance', 'spot', 'binance', 'perp', wallet);
  pf.setLeverage(0, 20);
  pf.markPx[0] = entry;
  expect(pf.perpTrade(0, 0, qty < 0 ? 'sell' : 'buy', Math.abs(qty), { refPrice: entry, price: entry, fee: 0, slippage: 0 }, 't')).toBeNull();
  pf.markPx[0] = mark;
  return pf;
}

describe('markAtMarginRatio, hand-computed (Binance BTC tiers: 0.4 % to 50k notional, then 0.5 % less 50)', () => {
  test('short 1 BTC at 50,000 with 10,000 wallet: ratio 0.5 at m = (0.5 × 60,000 + 50) / 0.505', () => {
    const pf = account(-1, 50_000, 10_000, 50_000);
    // Tier 1 (0.4 %) gives m = 30,000 / 0.504 = 59,523.8: notional above 50k, not in tier 1.
    // Tier 2: 0.005 m − 50 = 0.5 × (10,000 − (m − 50,000)) → m = 30,050 / 0.505.
    const exact = 30_050 / 0.505; // 59,504.9504…
    const level = pf.markAtMarginRatio(0, 0, 0.5);
    expect(level).toBeCloseTo(exact * (1 - 1e-9), 6);
    expect(pf.marginRatioAtMark(0, 0, level)).toBeLessThan(0.5);
    expect(pf.marginRatioAtMark(0, 0, exact * (1 + 1e-9))).toBeGreaterThanOrEqual(0.5);
  });

  test('NaN for a long: an over-collateralized long\'s ratio rises with the price (not monotone)', () => {
    const pf = account(1, 50_000, 60_000, 50_000);
    // 1 BTC long, wallet 60k: ratio 200 / 60,000 at 50k, 450 / 110,000 at 100k (higher).
    expect(pf.marginRatioAtMark(0, 0, 100_000)).toBeGreaterThan(pf.marginRatioAtMark(0, 0, 50_000));
    expect(pf.markAtMarginRatio(0, 0, 0.5)).toBeNaN();
  });

  test('NaN with a second open perp on the account, or when the ratio is already reached', () => {
    const pf = account(-1, 50_000, 10_000, 50_000);
    expect(pf.markAtMarginRatio(0, 0, 0.0001)).toBeNaN(); // 0.4 % × 50k / 10k = 0.02 ≥ 0.0001
    pf.markPx[1] = 2500;
    expect(pf.perpTrade(0, 1, 'buy', 1, { refPrice: 2500, price: 2500, fee: 0, slippage: 0 }, 't')).toBeNull();
    expect(pf.markAtMarginRatio(0, 0, 0.5)).toBeNaN();
  });
});

test('property (shorts): the level is safe (ratio below target at every mark under it) and tight (reached just past it)', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.01, max: 50, noNaN: true }),
      fc.double({ min: 1_000, max: 100_000, noNaN: true }),
      fc.double({ min: 0.05, max: 1, noNaN: true }),
      fc.double({ min: 0.9, max: 1.1, noNaN: true }),
      fc.double({ min: 0.02, max: 0.95, noNaN: true }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 20, maxLength: 20 }),
      (qty, entry, walletShare, markMove, ratio, us) => {
        const q = -qty;
        const pf = account(q, entry, qty * entry * walletShare, entry * markMove);
        const mark = entry * markMove;
        const level = pf.markAtMarginRatio(0, 0, ratio);
        if (Number.isNaN(level)) {
          // Only when the ratio is already reached at the mark.
          expect(pf.marginRatioAtMark(0, 0, mark)).toBeGreaterThanOrEqual(ratio);
          return;
        }
        // Safe: every mark from a tenth of the mark up to the level, and the level itself.
        for (const u of us) expect(pf.marginRatioAtMark(0, 0, mark * 0.1 + u * (level - mark * 0.1))).toBeLessThan(ratio);
        expect(pf.marginRatioAtMark(0, 0, level)).toBeLessThan(ratio);
        // Tight: 1e-6 past the level the ratio is reached.
        expect(pf.marginRatioAtMark(0, 0, level * (1 + 1e-6))).toBeGreaterThanOrEqual(ratio);
      },
    ),
    { numRuns: 400 },
  );
});
