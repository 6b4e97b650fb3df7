/**
 * The instant walk (src/replay/instants.ts) delivers exactly the merged stream of mergeSources:
 * walking the instants and listing, per instant, each source's rows in the walk's source order
 * gives the same (time, source, row) sequence — ties across sources and repeated times within a
 * source included — and it refuses an unsorted source when it reaches the row going back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeSources } from '../../src/replay/merge.js';
import { InstantWalk } from '../../src/replay/instants.js';

const sortedTimes = fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }).map((xs) => Float64Array.from(xs.sort((a, b) => a - b), (x) => x * 60_000));

describe('InstantWalk', () => {
  it('property: the walk lists the merged stream, event for event (1–12 sources)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ times: sortedTimes, priority: fc.integer({ min: 0, max: 3 }), offsetMs: fc.constantFrom(0, 60_000, 3_600_000) }), { minLength: 1, maxLength: 12 }),
        (srcs) => {
          const sources = srcs.map((s) => ({ deliverTs: s.times, offsetMs: s.offsetMs, priority: s.priority }));
          const m = mergeSources(sources);
          const walk = new InstantWalk(sources);
          const ts: number[] = [];
          const src: number[] = [];
          const row: number[] = [];
          let instants = 0;
          let last = -Infinity;
          for (let t = walk.advance(); t !== Infinity; t = walk.advance()) {
            expect(t).toBeGreaterThan(last);
            last = t;
            instants++;
            let here = 0;
            for (const s of walk.order) {
              for (let r = walk.first[s]!; r < walk.next[s]!; r++) {
                ts.push(t);
                src.push(s);
                row.push(r);
                here++;
              }
            }
            expect(here).toBeGreaterThan(0);
            expect(walk.delivered).toBe(ts.length);
          }
          // Done: every range empty, nothing more delivered.
          expect(walk.advance()).toBe(Infinity);
          expect(walk.delivered).toBe(m.length);
          for (const s of walk.order) expect(walk.next[s]).toBe(walk.first[s]);
          expect(walk.total).toBe(m.length);
          expect(ts).toEqual(Array.from(m.ts));
          expect(src).toEqual(Array.from(m.src));
          expect(row).toEqual(Array.from(m.row));
          expect(instants).toBe(new Set(ts).size);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses an unsorted source, naming it and the row', () => {
    const walk = new InstantWalk([{ deliverTs: Float64Array.of(1, 2), priority: 0 }, { deliverTs: Float64Array.of(5, 3), priority: 1 }]);
    expect(walk.advance()).toBe(1);
    expect(walk.advance()).toBe(2);
    expect(() => walk.advance()).toThrow('merge source 1 is not sorted at row 1 (5 then 3)');
    // NaN times are not sorted either.
    const nan = new InstantWalk([{ deliverTs: Float64Array.of(1, NaN, 3), priority: 0 }]);
    expect(() => nan.advance()).toThrow('merge source 0 is not sorted at row 1 (1 then NaN)');
  });
});
