/**
 * The column-by-column fill of the equity columns (src/portfolio/equity-segment.ts) against the
 * row-by-row definition (EquitySampler.fillColumnsByRow), bit for bit (Object.is: NaN and −0
 * included), on random portfolios: one or two venues, spot and one or two perps per venue, cross
 * and isolated accounts, perps with and without a mark series, bar series with gaps and other
 * phases, trades, transfers and funding between samples, segments longer than a scratch chunk,
 * and batches of any size.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { EquitySampler, type ClosingBars } from '../../src/portfolio/equity.js';
import { Portfolio } from '../../src/portfolio/portfolio.js';
import { tieredMarginModel } from '../../src/venue/margin.js';
import { constantAprInterest } from '../../src/venue/interest.js';
import type { Instrument } from '../../src/venue/instrument.js';

const TF = 60_000;
const VENUES = ['binance', 'bybit'] as const;

interface Op {
  row: number;
  kind: 'spot' | 'perp' | 'transfer' | 'funding';
  /** Index into the instruments of the op's kind. */
  pick: number;
  side: 'buy' | 'sell';
  size: number;
}

const caseArb = fc.record({
  venues: fc.integer({ min: 1, max: 2 }),
  twoPerps: fc.boolean(),
  isolated: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  withMark: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  rows: fc.integer({ min: 2, max: 1400 }),
  /** Per series: probability a bar is missing, and whether the series runs half a bar off the samples. */
  gaps: fc.array(fc.double({ min: 0, max: 0.3, noNaN: true }), { minLength: 16, maxLength: 16 }),
  phase: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
  vol: fc.double({ min: 0.0001, max: 0.02, noNaN: true }),
  seed: fc.integer({ min: 1, max: 1e9 }),
  ops: fc.array(
    fc.record({
      row: fc.integer({ min: 0, max: 1399 }),
      kind: fc.constantFrom<Op['kind']>('spot', 'perp', 'perp', 'transfer', 'funding'),
      pick: fc.integer({ min: 0, max: 7 }),
      side: fc.constantFrom<Op['side']>('buy', 'sell'),
      size: fc.double({ min: 0.01, max: 3, noNaN: true }),
    }),
    { maxLength: 25 },
  ),
  batch: fc.integer({ min: 1, max: 2000 }),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/** A small deterministic generator (the case's seed), so the price paths shrink with the case. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 4294967296;
  };
}

/** Build the portfolio, its bars and a sampler; replay the ops; return the sampler. */
function build(c: Case): { sampler: EquitySampler } {
  const instruments: Instrument[] = [];
  for (let v = 0; v < c.venues; v++) {
    const venue = VENUES[v]!;
    instruments.push({ id: instruments.length, venue, symbol: 'ETH/USDT', type: 'spot', base: 'ETH', quote: 'USDT' });
    instruments.push({ id: instruments.length, venue, symbol: 'ETH/USDT:USDT', type: 'perp', base: 'ETH', quote: 'USDT' });
    if (c.twoPerps) instruments.push({ id: instruments.length, venue, symbol: 'BTC/USDT:USDT', type: 'perp', base: 'BTC', quote: 'USDT' });
  }
  const pf = new Portfolio({ instruments, venues: VENUES.slice(0, c.venues), margin: tieredMarginModel(), interest: constantAprInterest() });
  const rand = rng(c.seed);
  const n = c.rows;
  // Per instrument a close series and (perps, when asked) a mark series, with gaps and phases.
  const series = (k: number, base: number): ClosingBars => {
    const ts: number[] = [];
    const close: number[] = [];
    let p = base;
    const off = c.phase[k % 16] ? TF / 2 : 0;
    for (let b = -1; b < n + 1; b++) {
      p *= 1 + c.vol * (rand() * 2 - 1);
      if (rand() < c.gaps[k % 16]!) continue;
      ts.push(b * TF + off);
      close.push(p);
    }
    return { ts: Float64Array.from(ts), close: Float64Array.from(close) };
  };
  const close = instruments.map((ins, k) => series(k, ins.base === 'BTC' ? 60_000 : 3000));
  const mark = instruments.map((ins, k) => (ins.type === 'perp' && c.withMark[k % 4] ? series(k + 8, ins.base === 'BTC' ? 60_000 : 3000) : ins.type === 'perp' ? close[k]! : null));
  const sampler = new EquitySampler(pf, { close, mark, offsetMs: TF });
  for (let v = 0; v < c.venues; v++) {
    pf.deposit(0, VENUES[v]!, 100_000);
    if (c.isolated[v]) pf.setMarginMode(VENUES[v]!, 'isolated');
    pf.transfer(0, VENUES[v]!, 'spot', VENUES[v]!, 'perp', 30_000);
  }
  const spots = instruments.filter((x) => x.type === 'spot');
  const perps = instruments.filter((x) => x.type === 'perp');
  const latest = (b: ClosingBars | null, t: number): number => {
    if (!b) return NaN;
    let r = -1;
    while (r + 1 < b.ts.length && b.ts[r + 1]! + TF <= t) r++;
    return r < 0 ? NaN : b.close[r]!;
  };
  const ops = [...c.ops].sort((a, b) => a.row - b.row);
  let next = 0;
  for (let row = 0; row < n; row++) {
    const t = (row + 1) * TF;
    instruments.forEach((_, i) => {
      pf.lastPx[i] = latest(close[i]!, t);
      pf.markPx[i] = latest(mark[i]!, t);
    });
    for (; next < ops.length && ops[next]!.row <= row; next++) {
      const op = ops[next]!;
      if (op.kind === 'spot') {
        const ins = spots[op.pick % spots.length]!;
        const px = pf.lastPx[ins.id]!;
        if (px > 0) pf.spotTrade(t, ins.id, op.side, op.size, { refPrice: px, price: px, fee: 0.5, slippage: 0.1 }, 't');
      } else if (op.kind === 'perp') {
        const ins = perps[op.pick % perps.length]!;
        const px = pf.markPx[ins.id]!;
        if (px > 0) pf.perpTrade(t, ins.id, op.side, ins.base === 'BTC' ? op.size / 20 : op.size, { refPrice: px, price: px, fee: 0.3, slippage: 0.2 }, 't');
      } else if (op.kind === 'transfer') {
        const venue = VENUES[op.pick % c.venues]!;
        const [from, to] = op.side === 'buy' ? (['spot', 'perp'] as const) : (['perp', 'spot'] as const);
        const amount = Math.min(op.size * 1000, pf.withdrawable(pf.venueIndex(venue), from));
        const target = to === 'perp' && c.isolated[op.pick % c.venues] ? perps.find((x) => x.venue === venue)!.id : -1;
        if (amount > 0) pf.transfer(t, venue, from, venue, to, amount, target);
      } else {
        const ins = perps[op.pick % perps.length]!;
        const px = pf.markPx[ins.id]!;
        if (px > 0 && pf.qty[ins.id] !== 0) pf.applyFunding(t, ins.id, (op.size - 1.5) * 0.001, 8, px);
      }
    }
    sampler.sample(t);
  }
  return { sampler };
}

/** Every column of rows [0, length) in batches of `batch` rows, by `fill`. */
function fillAll(s: EquitySampler, batch: number, how: 'fillColumns' | 'fillColumnsByRow'): Float64Array[] {
  const names = s.columnNames();
  const whole = names.map(() => new Float64Array(s.length));
  const out = names.map(() => new Float64Array(batch).fill(12345));
  const cur = s.cursor();
  for (let from = 0; from < s.length; from += batch) {
    const to = Math.min(s.length, from + batch);
    s[how](from, to, out, cur);
    out.forEach((a, c) => whole[c]!.set(a.subarray(0, to - from), from));
  }
  return whole;
}

function firstDifference(a: Float64Array[], b: Float64Array[], names: string[]): string | null {
  for (let c = 0; c < a.length; c++) {
    for (let r = 0; r < a[c]!.length; r++) {
      if (!Object.is(a[c]![r], b[c]![r])) return `${names[c]} row ${r}: ${a[c]![r]} (columns) vs ${b[c]![r]} (rows)`;
    }
  }
  return null;
}

describe('EquitySampler column-by-column fill', () => {
  test('equals the row-by-row fill bit for bit on random portfolios', () => {
    let multiPerpCross = 0;
    let isolatedOpen = 0;
    let longSegments = 0;
    let columnarOpen = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const { sampler } = build(c);
        const names = sampler.columnNames();
        const fast = fillAll(sampler, c.batch, 'fillColumns');
        const slow = fillAll(sampler, c.batch, 'fillColumnsByRow');
        expect(firstDifference(fast, slow, names)).toBeNull();
        // What the case exercised (both paths, chunk boundaries).
        const pos = names.map((x, k) => (x.startsWith('pos:') ? k : -1)).filter((k) => k >= 0);
        for (let r = 0; r < sampler.length; r++) {
          const open = pos.filter((k) => fast[k]![r] !== 0);
          if (c.isolated.slice(0, c.venues).some((x) => x) && open.length > 0) isolatedOpen++;
          if (!c.isolated[0] && open.filter((k) => names[k]!.includes(':binance:')).length >= 2) multiPerpCross++;
          if (c.venues === 1 && !c.isolated[0] && open.length === 1) columnarOpen++;
        }
        if (c.rows > 600 && c.ops.filter((o) => o.kind !== 'funding').length < 3) longSegments++;
      }),
      { numRuns: 120 },
    );
    expect(multiPerpCross).toBeGreaterThan(0);
    expect(isolatedOpen).toBeGreaterThan(0);
    expect(longSegments).toBeGreaterThan(0);
    expect(columnarOpen).toBeGreaterThan(0);
  });

  test('the materialized columns use the same fill', () => {
    const c = fc.sample(caseArb, { seed: 7, numRuns: 1 })[0]!;
    const { sampler } = build({ ...c, rows: 900, venues: 2, twoPerps: false, isolated: [false, false] });
    const names = sampler.columnNames();
    const slow = fillAll(sampler, 900, 'fillColumnsByRow');
    const cols = sampler.columns;
    expect(firstDifference(names.map((x) => cols.get(x)!), slow, names)).toBeNull();
  });
});
