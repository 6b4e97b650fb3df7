/**
 * Window reads straight from the file (src/data/ipc-window.ts) against the whole-file decoder: the
 * same rows, values (NaN for nulls), metadata and row count, for any window; files it does not
 * handle (several record batches, a non-float64 column) are declined, never misread.
 */
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Field, Int32, Int64, RecordBatch, Schema, Struct, Table, makeData, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Float64IpcFileWriter } from '../../src/data/ipc-writer.js';
import { readWindowFromFd } from '../../src/data/ipc-window.js';
import { decodeSeries, writeSeriesFile, type ReadWindow } from '../../src/data/store.js';
import { tmpDir } from '../support/paths.js';

const same = (x: Float64Array, y: Float64Array): boolean => x.length === y.length && x.every((v, i) => Object.is(v, y[i]) || (Number.isNaN(v) && Number.isNaN(y[i]!)));

function windowOf(path: string, w: ReadWindow): ReturnType<typeof readWindowFromFd> {
  const fd = openSync(path, 'r');
  try {
    return readWindowFromFd(fd, w);
  } finally {
    closeSync(fd);
  }
}

describe('window reads from the Arrow file', () => {
  it('property: any window of any stored series equals the whole-file decode of it', () => {
    const dir = tmpDir('perpcarry-window-');
    let k = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -8.64e12, max: 8.64e12 }), { maxLength: 300 }),
        fc.array(fc.double(), { maxLength: 300 }),
        fc.option(fc.integer({ min: -9e12, max: 9e12 }), { nil: undefined }),
        fc.option(fc.integer({ min: -9e12, max: 9e12 }), { nil: undefined }),
        (tsList, values, fromMs, toMs) => {
          const ts = Float64Array.from(tsList.sort((a, b) => a - b));
          const a = Float64Array.from(ts, (_, i) => values[i % Math.max(1, values.length)] ?? NaN);
          const b = Float64Array.from(ts, (_, i) => (i % 7 === 3 ? NaN : i * 1.5));
          const p = join(dir, `w${k++}.arrow`);
          writeSeriesFile(p, { ts, columns: { a, b } }, ['a', 'b'], { 'perpcarry.kind': 'test', note: 'é ✓' });
          const w: ReadWindow = { fromMs, toMs };
          const want = decodeSeries(p, readFileSync(p), w);
          const got = windowOf(p, w);
          expect(got).not.toBeNull();
          expect(got!.fileRows).toBe(ts.length);
          expect(got!.metadata).toEqual(want.metadata);
          return same(got!.ts, want.ts) && same(got!.columns['a']!, want.columns['a']!) && same(got!.columns['b']!, want.columns['b']!);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('declines a file of several record batches and a file with an int32 column', () => {
    const dir = tmpDir('perpcarry-window-');
    const multi = join(dir, 'multi.arrow');
    const wr = new Float64IpcFileWriter(multi, ['x']);
    wr.writeBatch(Float64Array.of(1, 2), [Float64Array.of(10, 20)], 2);
    wr.writeBatch(Float64Array.of(3), [Float64Array.of(30)], 1);
    wr.close();
    expect(windowOf(multi, {})).toBeNull();
    expect(decodeSeries(multi, readFileSync(multi)).columns['x']).toEqual(Float64Array.of(10, 20, 30));

    const fields = [new Field('ts', new Int64(), false), new Field('n', new Int32(), true)];
    const data = makeData({
      type: new Struct(fields),
      length: 2,
      nullCount: 0,
      children: [makeData({ type: new Int64(), length: 2, nullCount: 0, data: BigInt64Array.of(1n, 2n) }), makeData({ type: new Int32(), length: 2, nullCount: 0, data: Int32Array.of(5, 6) })],
    });
    const schema = new Schema(fields);
    const int32 = join(dir, 'int32.arrow');
    writeFileSync(int32, tableToIPC(new Table(schema, [new RecordBatch(schema, data)]), 'file'));
    expect(windowOf(int32, {})).toBeNull();
  });
});
