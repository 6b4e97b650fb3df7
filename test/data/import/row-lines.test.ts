/**
 * RowLines (src/data/import/series-builder.ts) stores each kept row's source line as runs of
 * consecutive lines: whatever the lines (jumps after blank lines, quoted line breaks, filtered
 * rows, or none at all), every row reads back its own line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RowLines } from '../../../src/data/import/series-builder.js';

describe('RowLines', () => {
  it('property: at(k) is the k-th line pushed (one by one or as runs), for any increasing lines with any jumps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.integer({ min: 2, max: 1000 }) }), { maxLength: 300 }), fc.array(fc.boolean(), { minLength: 301, maxLength: 301 }), (first, steps, asRun) => {
        const lines = [first];
        for (const s of steps) lines.push(lines[lines.length - 1]! + s);
        const r = new RowLines();
        // Consecutive lines go in as one pushRun (as the fast lane records them) or one by one.
        for (let k = 0; k < lines.length; ) {
          let e = k + 1;
          while (e < lines.length && lines[e] === lines[e - 1]! + 1) e++;
          if (asRun[k]) r.pushRun(lines[k]!, e - k);
          else for (let j = k; j < e; j++) r.push(lines[j]!);
          k = e;
        }
        expect(lines.map((_, k) => r.at(k))).toEqual(lines);
      }),
      { numRuns: 500, seed: 1218 },
    );
  });

  it('a plain file is one run: rows 10M apart read back their lines', () => {
    const r = new RowLines();
    for (let k = 0; k < 10_000_000; k++) r.push(k + 2);
    expect([r.at(0), r.at(4_999_999), r.at(9_999_999)]).toEqual([2, 5_000_001, 10_000_001]);
  });
});
