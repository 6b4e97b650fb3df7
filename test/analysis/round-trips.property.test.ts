/**
 * Round trips, property: over random sequences of spot and perp fills (adds, reduces, exact closes,
 * flips, borrowed spot), funding, hourly interest (base loans, lent and borrowed quote),
 * liquidations and ADL closes on a real Portfolio, the round-trip rows plus the account-level flows
 * sum to the portfolio's attribution, part by part, to 1e-9 relative; and every episode is
 * well formed.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Portfolio } from '../../src/portfolio/portfolio.js';
import { tieredMarginModel } from '../../src/venue/margin.js';
import { constantAprInterest } from '../../src/venue/interest.js';
import type { Instrument } from '../../src/venue/instrument.js';
import type { FillQuote } from '../../src/venue/fill.js';
import { ROUND_TRIP_PARTS, roundTripsOf, roundTripTotals, sumParts } from '../../src/analysis/round-trips.js';

const H = 3_600_000;
const INSTRUMENTS: Instrument[] = [
  { id: 0, venue: 'binance', symbol: 'ETH/USDT', type: 'spot', base: 'ETH', quote: 'USDT' },
  { id: 1, venue: 'binance', symbol: 'ETH/USDT:USDT', type: 'perp', base: 'ETH', quote: 'USDT' },
  { id: 2, venue: 'bybit', symbol: 'ETH/USDT:USDT', type: 'perp', base: 'ETH', quote: 'USDT' },
];

interface Step {
  move: number;
  inst: number;
  action: 'trade' | 'close' | 'flip' | 'funding' | 'liquidate' | 'adl';
  side: 'buy' | 'sell';
  qty: number;
  fee: number;
  slipBps: number;
  rate: number;
  hours: number;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  move: fc.double({ min: -0.05, max: 0.05, noNaN: true }),
  inst: fc.integer({ min: 0, max: 2 }),
  action: fc.constantFrom<Step['action']>('trade', 'trade', 'trade', 'close', 'flip', 'funding', 'funding', 'liquidate', 'adl', 'adl'),
  side: fc.constantFrom<Step['side']>('buy', 'sell'),
  qty: fc.double({ min: 0.001, max: 40, noNaN: true }),
  fee: fc.double({ min: 0, max: 0.001, noNaN: true }),
  slipBps: fc.double({ min: 0, max: 5, noNaN: true }),
  rate: fc.double({ min: -0.003, max: 0.003, noNaN: true }),
  hours: fc.integer({ min: 0, max: 3 }),
});

function quote(ref: number, side: 'buy' | 'sell', qty: number, s: Step): FillQuote {
  const price = ref * (1 + (side === 'buy' ? 1 : -1) * s.slipBps * 1e-4);
  return { refPrice: ref, price, fee: qty * price * s.fee, slippage: qty * Math.abs(price - ref) };
}

/** Apply one random step; refused orders are simply not booked. */
function apply(pf: Portfolio, ts: number, s: Step): void {
  const i = s.inst;
  const ref = i === 0 ? pf.lastPx[i]! : pf.markPx[i]!;
  const q = pf.qty[i]!;
  const trade = (side: 'buy' | 'sell', qty: number, tag: string): void => {
    if (!(qty > 0)) return;
    if (i === 0) pf.spotTrade(ts, i, side, qty, quote(ref, side, qty, s), tag);
    else pf.perpTrade(ts, i, side, qty, quote(ref, side, qty, s), tag);
  };
  if (s.action === 'trade') trade(s.side, s.qty, 'rnd');
  else if (s.action === 'close') trade(q > 0 ? 'sell' : 'buy', Math.abs(q), 'exit');
  else if (s.action === 'flip') trade(q > 0 ? 'sell' : 'buy', Math.abs(q) + s.qty, 'flip');
  else if (s.action === 'funding' && i > 0) pf.applyFunding(ts, i, s.rate, 8, ref);
  else if (s.action === 'liquidate' && i > 0 && q !== 0) pf.checkLiquidation(ts, i, ref * (2 + 20 * Math.abs(s.move)), ref * 0.1);
  else if (s.action === 'adl' && i > 0 && q !== 0) pf.adlClose(ts, i, Math.abs(q) * Math.min(1, s.qty / 40 + 0.3), ref * (1 + (q > 0 ? -1 : 1) * s.slipBps * 1e-3), ref, { share: 1, score: 1, light: 5, cause: 'test' });
}

function runSteps(steps: readonly Step[]): { pf: Portfolio; endTs: number } {
  const pf = new Portfolio({
    instruments: INSTRUMENTS,
    venues: ['binance', 'bybit'],
    margin: tieredMarginModel(),
    interest: constantAprInterest({ borrowApr: 0.2, lendApr: 0.05 }),
    allowSpotBorrow: true,
  });
  let ts = 0;
  for (let i = 0; i < 3; i++) pf.prices.close[i] = pf.prices.mark[i] = 2000;
  pf.deposit(ts, 'binance', 50_000);
  pf.deposit(ts, 'bybit', 30_000);
  pf.transfer(ts, 'binance', 'spot', 'binance', 'perp', 20_000);
  pf.transfer(ts, 'bybit', 'spot', 'bybit', 'perp', 20_000);
  pf.accrueInterest(ts);
  for (const s of steps) {
    ts += s.hours * H + 60_000;
    for (let i = 0; i < 3; i++) pf.prices.close[i] = pf.prices.mark[i] = pf.prices.close[i]! * (1 + s.move * (i === 2 ? -1 : 1));
    pf.accrueInterest(ts);
    apply(pf, ts, s);
  }
  return { pf, endTs: ts };
}

describe('round trips: the rows sum to the attribution', () => {
  test('random fills, funding, interest, liquidations and ADL: Σ rows + account = pnl per part (1e-9 relative), episodes well formed', () => {
    let sawFlip = 0;
    let sawOpen = 0;
    let sawAccount = 0;
    let sawLiq = 0;
    let sawAdl = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'large' }), (steps) => {
        const { pf, endTs } = runSteps(steps);
        const rt = roundTripsOf(pf, endTs);
        const tot = roundTripTotals(rt);
        const pnl = pf.pnl();
        for (const k of [...ROUND_TRIP_PARTS, 'total'] as const) {
          expect(Math.abs(tot[k] - pnl[k]), `${k}: rows ${tot[k]} vs pnl ${pnl[k]}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(pnl[k])));
        }
        for (const r of rt.rows) {
          expect(r.net).toBeCloseTo(sumParts(r), 9);
          expect(r.qty).toBeGreaterThan(0);
          expect(r.fees).toBeLessThanOrEqual(0);
          expect(r.slippage).toBeLessThanOrEqual(0);
          expect(r.holdingHours).toBeGreaterThanOrEqual(0);
          expect(Number.isNaN(r.closeTs)).toBe(r.exitReason === 'open');
          expect(Number.isFinite(r.entryPrice) && Number.isFinite(r.exitPrice)).toBe(true);
          if (r.exitReason === 'flip') sawFlip++;
          if (r.exitReason === 'open') sawOpen++;
          if (r.exitReason === 'liquidation') {
            sawLiq++;
            expect(r.liquidation).toBeLessThanOrEqual(0);
          }
          if (r.adl !== 0) sawAdl++;
        }
        // Only quote interest (lent or borrowed cash) is account-level here.
        for (const a of rt.account) {
          expect(a).toMatchObject({ funding: 0, trading: 0, fees: 0, slippage: 0, liquidation: 0, adl: 0 });
          if (a.interest !== 0) sawAccount++;
        }
        // At most one open episode per leg, and it matches a nonzero end position.
        const open = rt.rows.filter((r) => r.exitReason === 'open');
        expect(open.length).toBe(INSTRUMENTS.filter((ins) => pf.qty[ins.id] !== 0).length);
      }),
      { numRuns: 300, seed: 20261202 },
    );
    // The generator reaches the cases the property is about.
    expect(sawFlip).toBeGreaterThan(200);
    expect(sawOpen).toBeGreaterThan(200);
    expect(sawAccount).toBeGreaterThan(200);
    expect(sawLiq).toBeGreaterThan(20);
    expect(sawAdl).toBeGreaterThan(10);
    console.log(`round-trip property: ${sawFlip} flips, ${sawOpen} open at the end, ${sawLiq} liquidations, ${sawAdl} ADL episodes, ${sawAccount} account lines`);
  });

  test('a liquidation closes its episode with reason liquidation and carries its fee; an ADL cost lands on the episode it closed', () => {
    const { pf, endTs } = runSteps([
      { move: 0, inst: 1, action: 'trade', side: 'sell', qty: 150, fee: 0.0005, slipBps: 1, rate: 0, hours: 1 },
      { move: 0, inst: 1, action: 'liquidate', side: 'buy', qty: 1, fee: 0, slipBps: 0, rate: 0, hours: 1 },
      { move: 0, inst: 2, action: 'trade', side: 'buy', qty: 1, fee: 0, slipBps: 0, rate: 0, hours: 1 },
      { move: 0, inst: 2, action: 'adl', side: 'buy', qty: 40, fee: 0, slipBps: 2, rate: 0, hours: 1 },
    ]);
    // A short of 150 (300,000 notional) on 20,000 of margin: liquidated by the bar high at 2 × 2000.
    const rt = roundTripsOf(pf, endTs);
    expect(pf.liquidations).toHaveLength(1);
    const perp = rt.rows.filter((r) => r.venue === 'binance' && r.type === 'perp');
    expect(perp).toHaveLength(1);
    const l = pf.liquidations[0]!;
    expect(perp[0]).toMatchObject({ exitReason: 'liquidation', closeTs: l.ts, qty: 150, entryPrice: 2000, exitPrice: l.price });
    expect(perp[0]!.liquidation).toBe(0 - l.fee);
    expect(perp[0]!.trading).toBeCloseTo(150 * (2000 - l.price), 6);
    const adl = rt.rows.filter((r) => r.venue === 'bybit');
    expect(adl).toHaveLength(1);
    expect(adl[0]).toMatchObject({ exitReason: 'adl', qty: 1, entryPrice: 2000, exitPrice: 2000, trading: 0 });
    // ADL at 2000 × (1 − 2e-3) = 1996 vs the mark 2000: cost 1 × 4
    expect(adl[0]!.adl).toBeCloseTo(-4, 9);
    expect(pf.pnl().adl).toBeCloseTo(-4, 9);
  });
});
