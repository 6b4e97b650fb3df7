/**
 * A source's `offsetMs` (bars delivered at open + timeframe without a shifted copy of the column)
 * merges exactly like the shifted copy it replaces: same times, sources and rows, on both merge
 * paths (a linear scan up to 8 sources, a heap above).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { barDeliveryTimes, mergeSources } from '../../src/replay/merge.js';

const sortedTimes = fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 40 }).map((xs) => Float64Array.from(xs.sort((a, b) => a - b), (x) => x * 60_000));

describe('merge with offsets', () => {
  it('property: offsetMs merges as the shifted copy would (2–12 sources, ties included)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ times: sortedTimes, priority: fc.integer({ min: 0, max: 3 }), offsetMs: fc.constantFrom(0, 60_000, 3_600_000) }), { minLength: 2, maxLength: 12 }),
        (srcs) => {
          const withOffset = mergeSources(srcs.map((s) => ({ deliverTs: s.times, offsetMs: s.offsetMs, priority: s.priority })));
          const shifted = mergeSources(srcs.map((s) => ({ deliverTs: barDeliveryTimes(s.times, s.offsetMs), priority: s.priority })));
          expect(withOffset.length).toBe(shifted.length);
          expect(Array.from(withOffset.ts)).toEqual(Array.from(shifted.ts));
          expect(Array.from(withOffset.src)).toEqual(Array.from(shifted.src));
          expect(Array.from(withOffset.row)).toEqual(Array.from(shifted.row));
        },
      ),
      { numRuns: 200 },
    );
  });
});
