import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { readCatalog } from '../../src/data/catalog.js';
import { KIND_COLUMNS } from '../../src/data/schema.js';
import { encodeSeries, readSeriesFile, writeSeriesFile } from '../../src/data/store.js';
import { ROOT, tmpDir } from '../support/paths.js';

describe('Arrow round trip', () => {
  it('property: any ts (safe integers) and float64 values survive write → read bit for bit (NaN as null)', () => {
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
          writeSeriesFile(p, { ts, columns: { a, b } }, ['a', 'b']);
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
