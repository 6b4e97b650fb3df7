/**
 * compare's time alignment with hand-computed values: two runs over different windows (a 2-day
 * February run and a 1-day March run), each with a few equity samples.
 */
import { describe, expect, it } from 'vitest';
import { alignOffsetMs, alignedSpan, checkpoints, equityAt, progressRows, type AlignRun } from '../../src/analysis/compare-align.js';

const H = 3_600_000;
const D = 24 * H;
const feb = Date.UTC(2025, 1, 1);
const mar = Date.UTC(2025, 2, 1);
// A: 1000 → 1010 at +12h → 1020 at +24h → 990 at +36h → 1000 at +48h (window 2 days).
const A: AlignRun = { fromMs: feb, toMs: feb + 2 * D, ts: Float64Array.from([12, 24, 36, 48], (h) => feb + h * H), equity: Float64Array.from([1010, 1020, 990, 1000]), initialEquity: 1000 };
// B: 500 → 505 at +12h → 510 at +24h (window 1 day).
const B: AlignRun = { fromMs: mar, toMs: mar + D, ts: Float64Array.from([12, 24], (h) => mar + h * H), equity: Float64Array.from([505, 510]), initialEquity: 500 };

describe('compare alignment', () => {
  it('offsets and span: calendar keeps UTC times, elapsed starts every run at 0', () => {
    expect(alignOffsetMs(B, 'calendar')).toBe(0);
    expect(alignOffsetMs(B, 'elapsed')).toBe(mar);
    expect(alignedSpan([A, B], 'calendar')).toEqual([feb, mar + D]);
    expect(alignedSpan([A, B], 'elapsed')).toEqual([0, 2 * D]);
  });

  it('checkpoints: whole-hour steps, first and last point included', () => {
    expect(checkpoints(0, 2 * D, 8)).toEqual([0, 6, 12, 18, 24, 30, 36, 42, 48].map((h) => h * H));
    // 10 h in 4 steps: 2.5 h rounds to 3 h (rounding half up), then the end.
    expect(checkpoints(0, 10 * H, 4)).toEqual([0, 3 * H, 6 * H, 9 * H, 10 * H]);
    // 40 days in 8: 5-day steps.
    expect(checkpoints(0, 40 * D, 8)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40].map((d) => d * D));
  });

  it('equity at a time: last sample at or before it, capital before the first, null outside the window', () => {
    expect(equityAt(A, feb)).toBe(1000);
    expect(equityAt(A, feb + 11 * H)).toBe(1000);
    expect(equityAt(A, feb + 12 * H)).toBe(1010);
    expect(equityAt(A, feb + 30 * H)).toBe(1020);
    expect(equityAt(A, feb + 48 * H)).toBe(1000);
    expect(equityAt(A, feb + 49 * H)).toBeNull();
    expect(equityAt(A, feb - 1)).toBeNull();
  });

  it('elapsed: both runs compared at the same hours since their start', () => {
    const rows = progressRows([A, B], 'elapsed', 4);
    expect(rows.map((r) => r.label)).toEqual(['+0d 00:00', '+0d 12:00', '+1d 00:00', '+1d 12:00', '+2d 00:00']);
    // A: 1000, 1010, 1020, 990, 1000 → 0, +1 %, +2 %, −1 %, 0; B: 500, 505, 510, then its window has ended.
    const ret = rows.map((r) => r.returns.map((v) => (v === null ? null : Math.round(v * 1e6) / 1e6)));
    expect(ret).toEqual([[0, 0], [0.01, 0.01], [0.02, 0.02], [-0.01, null], [0, null]]);
  });

  it('calendar: the same UTC times, so a run is blank outside its own window', () => {
    const rows = progressRows([A, B], 'calendar', 4);
    // Span Feb 1 → Mar 2 (29 days) in 4: 7-day steps (7.25 d rounds to 7).
    expect(rows.map((r) => r.label)).toEqual(['2025-02-01T00:00Z', '2025-02-08T00:00Z', '2025-02-15T00:00Z', '2025-02-22T00:00Z', '2025-03-01T00:00Z', '2025-03-02T00:00Z']);
    expect(rows[0]!.returns).toEqual([0, null]);
    expect(rows[1]!.returns).toEqual([null, null]);
    expect(rows[4]!.returns).toEqual([null, 0]);
    expect(rows[5]!.returns[1]).toBeCloseTo(0.02, 12);
  });
});
