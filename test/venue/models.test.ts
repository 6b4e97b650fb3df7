/** Venue models: tier deductions, maintenance margin, liquidation price, fees, slippage. */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { BINANCE_TIERS_2021, buildTierTable, maintenanceMargin, tieredMarginModel } from '../../src/venue/margin.js';
import { liquidationPrice } from '../../src/venue/liquidation.js';
import { scheduleFeeModel } from '../../src/venue/fee.js';
import type { SlippageInput } from '../../src/venue/slippage.js';
import { slippageModel } from '../../src/venue/slippage.js';
import { constantAprInterest } from '../../src/venue/interest.js';

describe('margin tiers', () => {
  test('deductions derived from floors and rates equal Binance\'s published `cum` (leverageBracket BTCUSDT)', () => {
    // notionalFloor / maintMarginRatio / cum as returned by /fapi/v1/leverageBracket for BTCUSDT (2022 snapshot).
    const floors = [0, 50_000, 250_000, 3_000_000, 20_000_000, 40_000_000, 100_000_000, 120_000_000, 200_000_000];
    const rates = [0.004, 0.005, 0.01, 0.025, 0.05, 0.1, 0.125, 0.15, 0.25];
    const cum = [0, 50, 1300, 46300, 546300, 2546300, 5046300, 8046300, 28046300];
    const t = buildTierTable(floors.map((floor, k) => ({ floor, rate: rates[k]! })));
    expect(Array.from(t.deductions)).toEqual(cum);
  });

  test('default Binance BTCUSDT/ETHUSDT tiers = the stored /fapi/v1/leverageBracket answer (freqtrade, mid-2024)', () => {
    // notionalFloor, maintMarginRatio and cum copied from freqtrade/exchange/binance_leverage_tiers.json
    // (commit 01d10aebcab25c526473c603a88e14eb7d9699cc), "BTC/USDT:USDT" and "ETH/USDT:USDT".
    const model = tieredMarginModel();
    const btc = model.table('binance', 'BTC');
    expect(Array.from(btc.floors)).toEqual([0, 50e3, 600e3, 3e6, 12e6, 70e6, 100e6, 230e6, 480e6, 600e6, 800e6, 1200e6]);
    expect(Array.from(btc.rates)).toEqual([0.004, 0.005, 0.0065, 0.01, 0.02, 0.025, 0.05, 0.1, 0.125, 0.15, 0.25, 0.5]);
    const btcCum = [0, 50, 950, 11450, 131450, 481450, 2981450, 14481450, 26481450, 41481450, 121481450, 421481450];
    btcCum.forEach((c, k) => expect(btc.deductions[k]).toBeCloseTo(c, 6));
    const eth = model.table('binance', 'ETH');
    expect(Array.from(eth.floors)).toEqual([0, 50e3, 600e3, 3e6, 12e6, 50e6, 65e6, 150e6, 320e6, 400e6, 530e6, 800e6]);
    expect(Array.from(eth.rates)).toEqual([0.004, 0.005, 0.0065, 0.01, 0.02, 0.025, 0.05, 0.1, 0.125, 0.15, 0.25, 0.5]);
    const ethCum = [0, 50, 950, 11450, 131450, 381450, 2006450, 9506450, 17506450, 27506450, 80506450, 280506450];
    ethCum.forEach((c, k) => expect(eth.deductions[k]).toBeCloseTo(c, 6));
  });

  test('2021 Binance tables reproduce the `cum` of the 2021 liquidation calculators', () => {
    // gist highfestiva/b71e76f5 (BTCUSDT, 2021-03-26) and crackcomm/e2958203 (ETHUSDT).
    const btc = buildTierTable(BINANCE_TIERS_2021['binance:BTC']!);
    [0, 50, 1300, 16300, 266300, 1266300, 2516300, 5016300, 25016300, 100016300].forEach((c, k) => expect(btc.deductions[k]).toBeCloseTo(c, 6));
    const eth = buildTierTable(BINANCE_TIERS_2021['binance:ETH']!);
    [0, 15, 365, 5365, 35365, 135365, 260365, 510365, 2510365].forEach((c, k) => expect(eth.deductions[k]).toBeCloseTo(c, 6));
  });

  test('maintenance margin is continuous at tier boundaries and matches hand values', () => {
    const t = tieredMarginModel().table('binance', 'BTC');
    expect(maintenanceMargin(t, 40_000)).toBeCloseTo(160, 9); // 0.4 %
    expect(maintenanceMargin(t, 100_000)).toBeCloseTo(100_000 * 0.005 - 50, 9);
    for (const f of t.floors.slice(1)) expect(Math.abs(maintenanceMargin(t, f * (1 + 1e-12)) - maintenanceMargin(t, f))).toBeLessThan(1e-9 * f);
    expect(maintenanceMargin(t, 0)).toBe(0);
  });

  test('bad tables are refused', () => {
    expect(() => buildTierTable([{ floor: 10, rate: 0.01 }])).toThrow('floors must start at 0');
    expect(() => buildTierTable([{ floor: 0, rate: 0.02 }, { floor: 5, rate: 0.01 }])).toThrow('rates must not decrease');
  });

  test('at the liquidation price, margin balance = maintenance margin (any tier, long and short)', () => {
    const model = tieredMarginModel();
    fc.assert(
      fc.property(
        fc.constantFrom('binance:BTC', 'binance:ETH', 'bybit:BTC', 'okx:ETH'),
        fc.double({ min: 0.01, max: 5000, noNaN: true }),
        fc.double({ min: 1000, max: 100_000, noNaN: true }),
        fc.double({ min: 0.02, max: 1, noNaN: true }),
        fc.boolean(),
        (key, aq, entry, marginFrac, long) => {
          const [venue, base] = key.split(':') as [string, string];
          const t = model.table(venue, base);
          const q = long ? aq : -aq;
          const margin = aq * entry * marginFrac;
          const lp = liquidationPrice(t, q, entry, margin);
          if (long && lp < entry * 1e-6) return; // (nearly) fully backed long: cannot be liquidated
          expect(lp).toBeGreaterThan(0);
          const mb = margin + q * (lp - entry);
          const mm = maintenanceMargin(t, aq * lp);
          expect(Math.abs(mb - mm)).toBeLessThan(1e-6 * Math.max(1, aq * lp));
          // and one tick to the safe side is not liquidated
          const safe = long ? lp * 1.001 : lp * 0.999;
          expect(margin + q * (safe - entry)).toBeGreaterThan(maintenanceMargin(t, aq * safe));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('fees and slippage', () => {
  test('base-tier schedules', () => {
    const f = scheduleFeeModel();
    expect(f.rate('binance', 'perp', 'taker')).toBe(0.0005);
    expect(f.rate('binance', 'perp', 'maker')).toBe(0.0002);
    expect(f.rate('binance', 'spot', 'taker')).toBe(0.001);
    expect(f.rate('bybit', 'perp', 'taker')).toBe(0.00055);
    expect(f.rate('okx', 'spot', 'maker')).toBe(0.0008);
    expect(() => f.rate('unknown-venue', 'perp', 'taker')).toThrow('models.fee.params.venues.unknown-venue: no fee rates for venue "unknown-venue"');
    expect(scheduleFeeModel({ venues: { binance: { spot: { maker: 0, taker: 0 }, perp: { maker: 0, taker: 0.0004 } } } }).rate('binance', 'perp', 'taker')).toBe(0.0004);
  });
  test('fixed and volume-proportional slippage', () => {
    const order = (qty: number, volume: number): SlippageInput => ({
      instrument: { id: 0, venue: 'binance', symbol: 'ETH/USDT', type: 'spot', base: 'ETH', quote: 'USDT' },
      side: 'buy',
      qty,
      refPrice: 2000,
      bar: { open: 2000, high: 2010, low: 1990, close: 2000, volume },
      ts: 0,
    });
    expect(slippageModel('fixed').bps(order(5, 100))).toBe(1);
    const v = slippageModel('volume', { bps: 2, impactBpsPerPctVolume: 10 });
    expect(v.bps(order(1, 100))).toBeCloseTo(12, 12); // 1 % of the bar's volume → +10 bp
    expect(v.bps(order(1, NaN))).toBe(2);
    expect(slippageModel('volume', { maxBps: 50 }).bps(order(100, 100))).toBe(50);
    expect(() => slippageModel('nope')).toThrow('unknown slippage model "nope"');
  });
});

describe('model params are checked by name', () => {
  test('slippage and interest: unknown names and non-numbers are errors naming the param', () => {
    expect(() => slippageModel('fixed', { bps: NaN })).toThrow(/^models\.slippage\.params\.bps: /);
    expect(() => slippageModel('volume', { maxBps: -1 })).toThrow(/^models\.slippage\.params\.maxBps: .*-1/);
    expect(() => slippageModel('fixed', { bsp: 2 })).toThrow(/^models\.slippage\.params\.bsp: unknown/);
    expect(() => slippageModel('fixed', { bps: 'abc' })).toThrow(/^models\.slippage\.params\.bps: /);
    expect(() => constantAprInterest({ lendAPR: 0.05 })).toThrow(/^models\.interest\.params\.lendAPR: unknown/);
    expect(() => constantAprInterest({ borrowApr: Infinity })).toThrow(/^models\.interest\.params\.borrowApr: /);
    expect(constantAprInterest({ lendApr: 0.05 }).params).toEqual({ borrowApr: 0.1, lendApr: 0.05 });
  });
});
