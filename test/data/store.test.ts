import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSeriesFile, writeSeriesFile, mergeSeries, sortDedupSeries } from '../../src/data/store.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'perpcarry-store-'));
}

describe('Arrow store', () => {
  it('round-trips ts, values, NaN-as-null and metadata bit-exactly', () => {
    const dir = tmp();
    const p = join(dir, 'x.arrow');
    const ts = new Float64Array([-86_400_000, 0, 1_700_000_000_000, 2 ** 52]);
    const a = new Float64Array([1.5, -0, 5e-324, 1.7976931348623157e308]);
    const b = new Float64Array([NaN, 2, NaN, 0.1 + 0.2]);
    writeSeriesFile(p, { ts, columns: { a, b } }, ['a', 'b'], { 'perpcarry.kind': 'ohlcv' });
    const s = readSeriesFile(p);
    expect(Array.from(s.ts)).toEqual(Array.from(ts));
    expect(Object.is(s.columns['a']![1], -0)).toBe(true);
    expect(Array.from(s.columns['a']!)).toEqual(Array.from(a));
    expect(Array.from(s.columns['b']!)).toEqual([NaN, 2, NaN, 0.30000000000000004]);
    expect(s.metadata['perpcarry.kind']).toBe('ohlcv');
    // writing the read series again gives the same bytes
    const p2 = join(dir, 'y.arrow');
    writeSeriesFile(p2, s, ['a', 'b'], s.metadata);
    expect(readFileSync(p2).equals(readFileSync(p))).toBe(true);
  });

  it('reads a [from, to) window', () => {
    const p = join(tmp(), 'w.arrow');
    const ts = new Float64Array([10, 20, 30, 40, 50]);
    writeSeriesFile(p, { ts, columns: { v: new Float64Array([1, 2, 3, 4, 5]) } }, ['v']);
    const s = readSeriesFile(p, { fromMs: 20, toMs: 50 });
    expect(Array.from(s.ts)).toEqual([20, 30, 40]);
    expect(Array.from(s.columns['v']!)).toEqual([2, 3, 4]);
    expect(s.fileRows).toBe(5);
  });

  it('merges without duplicates, incoming rows winning on equal ts', () => {
    const existing = { ts: new Float64Array([1, 2, 3]), columns: { v: new Float64Array([10, 20, 30]) } };
    const incoming = { ts: new Float64Array([3, 4]), columns: { v: new Float64Array([31, 40]) } };
    const m = mergeSeries(existing, incoming, ['v']);
    expect(Array.from(m.merged.ts)).toEqual([1, 2, 3, 4]);
    expect(Array.from(m.merged.columns['v']!)).toEqual([10, 20, 31, 40]);
    expect([m.added, m.replaced, m.unchanged]).toEqual([1, 1, 0]);
  });

  it('sorts and drops duplicate timestamps keeping the last occurrence', () => {
    const s = { ts: new Float64Array([3, 1, 2, 1]), columns: { v: new Float64Array([30, 10, 20, 11]) } };
    const r = sortDedupSeries(s, ['v']);
    expect(Array.from(r.series.ts)).toEqual([1, 2, 3]);
    expect(Array.from(r.series.columns['v']!)).toEqual([11, 20, 30]);
    expect(r.duplicates).toBe(1);
  });
});
