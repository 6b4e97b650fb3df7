import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lastAtOrBefore } from '../../src/core/search.js';

describe('lastAtOrBefore', () => {
  it('hand cases: before, equal, between, after, duplicates, empty', () => {
    const ts = Float64Array.from([10, 20, 20, 30]);
    expect(lastAtOrBefore(ts, 5)).toBe(-1);
    expect(lastAtOrBefore(ts, 10)).toBe(0);
    expect(lastAtOrBefore(ts, 19.5)).toBe(0);
    expect(lastAtOrBefore(ts, 20)).toBe(2);
    expect(lastAtOrBefore(ts, 1e9)).toBe(3);
    expect(lastAtOrBefore(new Float64Array(0), 1)).toBe(-1);
  });

  it('equals a linear scan on any sorted column', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 })), fc.integer({ min: -60, max: 60 }), (xs, t) => {
        const ts = Float64Array.from(xs.sort((a, b) => a - b));
        let want = -1;
        for (let i = 0; i < ts.length; i++) if (ts[i]! <= t) want = i;
        expect(lastAtOrBefore(ts, t)).toBe(want);
      }),
    );
  });
});
