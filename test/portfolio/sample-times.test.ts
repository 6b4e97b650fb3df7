/**
 * SampleTimes (the run-length code of the equity sample times): the column rebuilt from the runs is
 * the pushed times bit for bit, whatever the gaps, repeats and fractional steps; bulk pushes and a
 * replaced last time give the same runs as pushing one by one.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { SampleTimes } from '../../src/portfolio/sample-times.js';

/** Non-decreasing times: stretches of a regular step, gaps, repeats, fractional ms. */
const timesArb = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.oneof(fc.constant(60_000), fc.constant(0), fc.double({ min: 0.001, max: 5e6, noNaN: true })), fc.double({ min: 0, max: 1e7, noNaN: true })), { minLength: 1, maxLength: 12 })
  .map((runs) => {
    const out: number[] = [];
    let t = 1.7e12;
    for (const [n, step, gap] of runs) {
      t += gap;
      for (let k = 0; k < n; k++) out.push((t += step));
    }
    return out;
  });

test('column(n) is every pushed time, bit for bit; a 1m grid is one run', () => {
  fc.assert(
    fc.property(timesArb, (times) => {
      const st = new SampleTimes();
      times.forEach((t, r) => st.push(r, t));
      expect(Array.from(st.column(times.length))).toEqual(times);
      expect(st.last).toBe(times[times.length - 1]);
    }),
    { numRuns: 300 },
  );
  const grid = new SampleTimes();
  for (let r = 0; r < 525_600; r++) grid.push(r, 1.7e12 + r * 60_000);
  expect(grid.runCount).toBe(1);
});

test('pushTimes (distinct times of a column plus an offset) = pushing them one by one', () => {
  fc.assert(
    fc.property(timesArb, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), (times, cut0, cut1) => {
      const col = Float64Array.from(times);
      const from = Math.min(cut0, col.length);
      const to = Math.max(from, col.length - cut1);
      const off = 60_000;
      const a = new SampleTimes();
      a.push(0, 1); // an earlier row
      const n = a.pushTimes(1, col, from, to, off);
      const b = new SampleTimes();
      b.push(0, 1);
      let row = 1;
      let last = NaN;
      for (let r = from; r < to; r++) {
        const t = col[r]! + off;
        if (row > 1 && t === last) continue;
        b.push(row++, t);
        last = t;
      }
      expect(n).toBe(row - 1);
      expect(Array.from(a.column(1 + n))).toEqual(Array.from(b.column(row)));
      expect(a.runCount).toBe(b.runCount);
    }),
    { numRuns: 300 },
  );
});

test('replaceLast: the last row takes the new time, runs stay exact', () => {
  fc.assert(
    fc.property(timesArb, fc.double({ min: 0, max: 1e6, noNaN: true }), (times, later) => {
      const st = new SampleTimes();
      times.forEach((t, r) => st.push(r, t));
      const n = times.length;
      const t = times[n - 1]! + later;
      st.replaceLast(n - 1, t);
      expect(Array.from(st.column(n))).toEqual([...times.slice(0, -1), t]);
    }),
    { numRuns: 300 },
  );
});
