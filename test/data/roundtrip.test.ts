import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { readCatalog } from '../../src/data/catalog.js';
import { KIND_COLUMNS } from '../../src/data/schema.js';
import { encodeSeries, readSeriesFile, writeSeriesFile } from '../../src/data/store.js';
import { ROOT, tmpDir } from '../support/paths.js';

describe('Arrow round trip', () => {
  it('property: any ts (safe integers) and float64 values survive write → read bit for bit (NaN as null); the streamed file is encodeSeries\' bytes, its sha256 and size reported', () => {
    const dir = tmpDir();
    let k = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.double(), fc.double()), { maxLength: 200 }),
        (rows) => {
          const ts = Float64Array.from(rows, (r) => r[0]);
          const a = Float64Array.from(rows, (r) => r[1]);
          const b = Float64Array.from(rows, (r) => r[2]);
          const p = join(dir, `p${k++}.arrow`);
          const written = writeSeriesFile(p, { ts, columns: { a, b } }, ['a', 'b'], { 'perpcarry.kind': 'x' });
          // The streamed file is the bytes encodeSeries builds in memory, and its sha256/size are those bytes'.
          const bytes = readFileSync(p);
          if (!bytes.equals(encodeSeries({ ts, columns: { a, b } }, ['a', 'b'], { 'perpcarry.kind': 'x' }))) return false;
          if (written.bytes !== bytes.length || written.sha256 !== createHash('sha256').update(bytes).digest('hex')) return false;
          const s = readSeriesFile(p);
          const same = (x: Float64Array, y: Float64Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]) || (Number.isNaN(v) && Number.isNaN(y[i]!)));
          return same(s.ts, ts) && same(s.columns['a']!, a) && same(s.columns['b']!, b);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('every bundled file re-encodes to the identical bytes from what it loads', () => {
    const data = join(ROOT, 'data');
    for (const e of readCatalog(data).entries) {
      const p = join(data, e.path);
      const s = readSeriesFile(p);
      const again = encodeSeries(s, KIND_COLUMNS[e.kind], s.metadata);
      expect(Buffer.from(again).equals(readFileSync(p)), e.path).toBe(true);
    }
  });
});
