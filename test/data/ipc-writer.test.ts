/**
 * The streaming Arrow IPC file writer: several record batches, NaN as null only where present,
 * read back bit for bit by apache-arrow's own reader and by readSeriesFile; matches what
 * encodeSeries (tableToIPC) stores.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Float64IpcFileWriter } from '../../src/data/ipc-writer.js';
import { readSeriesFile } from '../../src/data/store.js';
import { tmpDir } from '../support/paths.js';

describe('Float64IpcFileWriter', () => {
  const dir = tmpDir('perpcarry-ipc-');

  test('two batches, a NaN in one: the reader sees one table of 10 rows with that null', () => {
    const path = join(dir, 'two.arrow');
    const w = new Float64IpcFileWriter(path, ['a', 'b'], { 'perpcarry.format': 'x' });
    const ts = Float64Array.from({ length: 10 }, (_, i) => 1_735_689_600_000 + i * 60_000);
    w.writeBatch(ts, [Float64Array.of(1, 2, 3, 4, 5, 6, 7), Float64Array.of(NaN, -0.5, 3, 4, 5, 6, 1e300)], 7);
    w.writeBatch(ts.subarray(7), [Float64Array.of(8, 9, 10), Float64Array.of(1, 2, 3)], 3);
    w.close();
    const bytes = readFileSync(path);
    expect(w.bytesWritten).toBe(bytes.length);
    const t = tableFromIPC(bytes);
    expect(t.numRows).toBe(10);
    expect(t.batches.length).toBe(2);
    expect(t.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['ts:Int64', 'a:Float64', 'b:Float64']);
    expect(t.schema.metadata.get('perpcarry.format')).toBe('x');
    expect(t.getChild('b')!.nullCount).toBe(1);
    expect(t.batches[1]!.getChild('b')!.nullCount).toBe(0);
    const s = readSeriesFile(path);
    expect([...s.ts]).toEqual([...ts]);
    expect([...s.columns['a']!]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([...s.columns['b']!]).toEqual([NaN, -0.5, 3, 4, 5, 6, 1e300, 1, 2, 3]);
    expect(s.metadata['perpcarry.format']).toBe('x');
  });

  test('property: any split into batches reads back the same columns, NaN included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double(), fc.double({ noNaN: true })), { minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 8 }),
        (rows, sizes) => {
          const n = rows.length;
          const ts = Float64Array.from(rows, (_, i) => -5_000_000_000 + i * 1000);
          const a = Float64Array.from(rows, (r) => r[0]);
          const b = Float64Array.from(rows, (r) => r[1]);
          const path = join(dir, 'prop.arrow');
          const w = new Float64IpcFileWriter(path, ['a', 'b']);
          for (let from = 0, k = 0; from < n; k++) {
            const len = Math.min(n - from, sizes[k % sizes.length]!);
            w.writeBatch(ts.subarray(from), [a.subarray(from), b.subarray(from)], len);
            from += len;
          }
          w.close();
          const s = readSeriesFile(path);
          expect(s.ts).toEqual(ts);
          // Object.is per value: -0 and NaN exactly as written.
          expect([...s.columns['a']!].every((x, i) => Object.is(x, a[i]))).toBe(true);
          expect([...s.columns['b']!].every((x, i) => Object.is(x, b[i]))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('a non-integer ts and a short column are errors naming the file', () => {
    const path = join(dir, 'bad.arrow');
    const w = new Float64IpcFileWriter(path, ['a']);
    expect(() => w.writeBatch(Float64Array.of(1.5), [Float64Array.of(1)], 1)).toThrow(/bad\.arrow: ts\[0\] = 1\.5 is not an integer ms/);
    expect(() => w.writeBatch(Float64Array.of(1, 2), [Float64Array.of(1)], 2)).toThrow(/bad\.arrow: column 0 has 1 rows, batch has 2/);
    w.abort();
  });
});
