/** Venue models: tier deductions, maintenance margin, liquidation price, fees, slippage. */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { buildTierTable, liquidationPrice, maintenanceMargin, tieredMarginModel } from '../../src/venue/margin.js';
import { scheduleFeeModel } from '../../src/venue/fees.js';
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

  test('maintenance margin is continuous at tier boundaries and matches hand values', () => {
    const t = tieredMarginModel().table('binance', 'BTC');
    expect(maintenanceMargin(t, 40_000)).toBeCloseTo(160, 9); // 0.4 %
    expect(maintenanceMargin(t, 100_000)).toBeCloseTo(100_000 * 0.005 - 50, 9);
    for (const f of t.floors.slice(1)) expect(maintenanceMargin(t, f * (1 + 1e-12))).toBeCloseTo(maintenanceMargin(t, f), 3);
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
    expect(f.rate('unknown-venue', 'perp', 'taker')).toBe(0.0005); // default: Binance's
    expect(scheduleFeeModel({ venues: { binance: { spot: { maker: 0, taker: 0 }, perp: { maker: 0, taker: 0.0004 } } } }).rate('binance', 'perp', 'taker')).toBe(0.0004);
  });
  test('fixed and volume-proportional slippage', () => {
    expect(slippageModel('fixed').bps(5, 100)).toBe(1);
    const v = slippageModel('volume', { bps: 2, impactBpsPerPctVolume: 10 });
    expect(v.bps(1, 100)).toBeCloseTo(12, 12); // 1 % of the bar's volume → +10 bp
    expect(v.bps(1, NaN)).toBe(2);
    expect(slippageModel('volume', { maxBps: 50 }).bps(100, 100)).toBe(50);
    expect(() => slippageModel('nope')).toThrow('unknown slippage model "nope"');
  });
});

describe('model params are checked by name', () => {
  test('slippage and interest: unknown names and non-numbers are errors naming the param', () => {
    expect(() => slippageModel('fixed', { bps: NaN })).toThrow('slippage model: param "bps" must be a number ≥ 0 (got NaN)');
    expect(() => slippageModel('volume', { maxBps: -1 })).toThrow('slippage model: param "maxBps" must be a number ≥ 0 (got -1)');
    expect(() => slippageModel('fixed', { bsp: 2 } as never)).toThrow('slippage model: unknown param "bsp" (known: bps, impactBpsPerPctVolume, maxBps)');
    expect(() => slippageModel('fixed', { bps: '2' } as never)).toThrow('param "bps" must be a number ≥ 0 (got 2)');
    expect(() => constantAprInterest({ lendAPR: 0.05 } as never)).toThrow('interest model: unknown param "lendAPR" (known: borrowApr, lendApr)');
    expect(() => constantAprInterest({ borrowApr: Infinity })).toThrow('interest model: param "borrowApr" must be a decimal APR ≥ 0 (got Infinity)');
    expect(constantAprInterest({ lendApr: 0.05 }).params).toEqual({ borrowApr: 0.1, lendApr: 0.05 });
  });
});
