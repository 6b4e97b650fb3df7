/**
 * Issue 12, item 6: import fuzzed with generated CSV and JSON (fast-check). Whatever the input,
 * an import either stores what it parsed or fails with a UserError (exit 1, never an internal
 * error), and a failure writes nothing: the store's files are byte-identical afterwards. A
 * successful import round-trips: the stored file holds exactly the parsed rows. The streaming CSV
 * reader agrees with the in-memory reader (parseCsv + parseSeriesTable) on every input, and gives
 * the same series however its input is cut into chunks.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors.js';
import { CsvSeriesStream, importFile, parseCsv, parseSeriesFile, parseSeriesTable, type ParseOptions } from '../../../src/data/import/index.js';
import { CsvRecordReader } from '../../../src/data/import/csv-stream.js';
import { readSeriesFile } from '../../../src/data/store.js';
import { tmpDir } from '../../support/paths.js';

const work = tmpDir('perpcarry-fuzz-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);

/** Every file under `dir` with its bytes (the store's state). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (!n.startsWith('.verified') && !n.endsWith('.lock')) out.set(p, readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return out;
}

/** Cells that are sometimes right and often wrong. */
const cell = fc.oneof(
  { weight: 30, arbitrary: fc.double({ min: 0.01, max: 1e6, noNaN: true }).map((x) => String(x)) },
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 100000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'NaN', '-1', '0', '1e400', 'abc', '"1,5"', '"a""b"', '1.2.3', '+7', '.5', '0.001%', '\u00e9') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
const tsCell = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0, max: 200 }).map((k) => String(T0 + k * H)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 200 }).map((k) => new Date(T0 + k * H).toISOString()) },
  { weight: 1, arbitrary: fc.constantFrom('', 'x', '1735689600000000000000000', '-5', '2025-13-01', String(T0 + 1)) },
);
const header = fc.constantFrom('ts,open,high,low,close,volume', 'timestamp,o,h,l,c,v', 'ts,close,open', 'time,open,high,low,close,volume,extra', '');
const csvText = header
  .chain((h) => {
    const width = h ? h.split(',').length : 6;
    // Mostly rows of the header's width (so that parsing reaches the cells), sometimes not.
    const row = fc.tuple(tsCell, fc.oneof({ weight: 9, arbitrary: fc.array(cell, { minLength: width - 1, maxLength: width - 1 }) }, { weight: 1, arbitrary: fc.array(cell, { maxLength: 8 }) }));
    return fc.record({
      header: fc.constant(h),
      rows: fc.array(row, { minLength: 0, maxLength: 25 }),
      eol: fc.constantFrom('\n', '\r\n'),
      bom: fc.boolean(),
      trailing: fc.boolean(),
    });
  })
  .map(({ header: h, rows, eol, bom, trailing }) => {
    const lines: string[] = h ? [h] : [];
    for (const [ts, cells] of rows) lines.push([ts, ...cells].join(','));
    return (bom ? '\ufeff' : '') + lines.join(eol) + (trailing && lines.length ? eol : '');
  });

/** Valid bars: the values must come back bit for bit. */
const validBars = fc
  .uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 40 })
  .chain((ks) =>
    fc.tuple(
      fc.constant(ks),
      fc.array(fc.tuple(fc.double({ min: 1, max: 1e5, noNaN: true }), fc.double({ min: 0, max: 1e3, noNaN: true })), { minLength: ks.length, maxLength: ks.length }),
    ),
  );

let seq = 0;

async function attempt(text: string, ext: string, opts: Partial<ParseOptions>, dataDir: string): Promise<'stored' | 'refused'> {
  const file = join(work, `in-${seq++}${ext}`);
  writeFileSync(file, text);
  const before = snapshot(dataDir);
  try {
    const r = await importFile({ file, dataDir, venue: 'binance', symbol: 'BTC/USDT', kind: 'ohlcv', timeframe: '1h', ...opts });
    const stored = readSeriesFile(join(dataDir, r.entry.path));
    // Round trip: every parsed row is in the store with the same values.
    const p = r.parsed.series;
    for (let i = 0; i < p.ts.length; i++) {
      const j = stored.ts.indexOf(p.ts[i]!);
      expect(j).toBeGreaterThanOrEqual(0);
      for (const c of Object.keys(p.columns)) expect(Object.is(stored.columns[c]![j], p.columns[c]![i]) || (Number.isNaN(stored.columns[c]![j]!) && Number.isNaN(p.columns[c]![i]!))).toBe(true);
    }
    return 'stored';
  } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`internal error on input ${JSON.stringify(text)}: ${String((e as Error).stack)}`, { cause: e });
    expect(snapshot(dataDir)).toEqual(before);
    return 'refused';
  } finally {
    rmSync(file, { force: true });
  }
}

describe('import fuzz (fast-check)', () => {
  it('generated CSV: a UserError or a stored round trip; a failure leaves the store byte-identical', async () => {
    const dataDir = join(work, 'store-csv');
    mkdirSync(dataDir, { recursive: true });
    const outcomes = { stored: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(csvText, async (text) => {
        outcomes[await attempt(text, '.csv', {}, dataDir)]++;
      }),
      { numRuns: 150, seed: 1212 },
    );
    // The generator reaches both sides.
    expect(outcomes.stored).toBeGreaterThan(5);
    expect(outcomes.refused).toBeGreaterThan(5);
  }, 300_000);

  it('generated JSON documents: a UserError or a stored round trip', async () => {
    const dataDir = join(work, 'store-json');
    mkdirSync(dataDir, { recursive: true });
    const rec = fc.record(
      { ts: fc.oneof(fc.integer({ min: 0, max: 100 }).map((k) => T0 + k * H), fc.constant(null), fc.string({ maxLength: 4 })), open: fc.oneof(fc.double(), fc.string({ maxLength: 3 }), fc.constant(null)), high: fc.double({ min: 1, max: 10 }), low: fc.double({ min: 0.5, max: 1 }), close: fc.double({ min: 1, max: 2 }) },
      { requiredKeys: ['ts', 'close'] },
    );
    const doc = fc.oneof(
      fc.array(rec, { maxLength: 10 }).map((a) => JSON.stringify(a)),
      fc.array(rec, { maxLength: 10 }).map((a) => JSON.stringify({ data: a })),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 20 }),
    );
    await fc.assert(
      fc.asyncProperty(doc, async (text) => {
        await attempt(text, '.json', {}, dataDir);
      }),
      { numRuns: 100, seed: 1213 },
    );
  }, 300_000);

  it('valid bars round-trip bit for bit through CSV import', async () => {
    await fc.assert(
      fc.asyncProperty(validBars, async ([ks, vals]) => {
        const dataDir = join(work, `store-valid-${seq++}`);
        const lines = ['ts,open,high,low,close,volume'];
        ks.forEach((k, i) => {
          const [px, vol] = vals[i]!;
          lines.push(`${T0 + k * H},${px},${px},${px},${px},${vol}`);
        });
        const file = join(work, `valid-${seq++}.csv`);
        writeFileSync(file, lines.join('\n') + '\n');
        const r = await importFile({ file, dataDir, venue: 'binance', symbol: 'BTC/USDT', kind: 'ohlcv', timeframe: '1h' });
        const s = readSeriesFile(join(dataDir, r.entry.path));
        const order = ks.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0]);
        expect(Array.from(s.ts)).toEqual(order.map(([k]) => T0 + k * H));
        expect(Array.from(s.columns['close']!)).toEqual(order.map(([, i]) => vals[i]![0]));
        expect(Array.from(s.columns['volume']!)).toEqual(order.map(([, i]) => vals[i]![1]));
        rmSync(dataDir, { recursive: true, force: true });
      }),
      { numRuns: 60, seed: 1214 },
    );
  }, 300_000);

  it('the streaming CSV reader agrees with the in-memory one (same series, or both a UserError)', async () => {
    await fc.assert(
      fc.asyncProperty(csvText, async (text) => {
        const file = join(work, `diff-${seq++}.csv`);
        writeFileSync(file, text);
        const opts = { kind: 'ohlcv' as const, timeframe: '1h' };
        const streamed = await parseSeriesFile({ file, ...opts }).then((p) => p, (e: unknown) => e);
        let inMemory: unknown;
        try {
          inMemory = parseSeriesTable(parseCsv(file, text), opts);
        } catch (e) {
          inMemory = e;
        }
        rmSync(file, { force: true });
        if (streamed instanceof Error || inMemory instanceof Error) {
          expect(streamed).toBeInstanceOf(UserError);
          expect(inMemory).toBeInstanceOf(UserError);
          return;
        }
        const a = streamed as Awaited<ReturnType<typeof parseSeriesFile>>;
        const b = inMemory as ReturnType<typeof parseSeriesTable>;
        expect(Array.from(a.series.ts)).toEqual(Array.from(b.series.ts));
        for (const c of Object.keys(b.series.columns)) expect(Array.from(a.series.columns[c]!)).toEqual(Array.from(b.series.columns[c]!));
        expect(a.notes).toEqual(b.notes);
        expect([a.rowsRead, a.rowsFiltered, a.duplicatesDropped]).toEqual([b.rowsRead, b.rowsFiltered, b.duplicatesDropped]);
      }),
      { numRuns: 300, seed: 1215 },
    );
  }, 300_000);

  it('a streamed series is the same however the bytes are split into chunks (fast lane and general path meet at every cut)', () => {
    // Mostly plain rows (the fast lane's), sometimes a cell only the general path reads.
    const plainish = fc
      .record({
        rows: fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.array(fc.oneof({ weight: 20, arbitrary: fc.double({ min: 0.5, max: 1e5, noNaN: true }).map((x) => x.toFixed(8)) }, { weight: 1, arbitrary: cell }), { minLength: 5, maxLength: 5 })), { maxLength: 40 }),
        eol: fc.constantFrom('\n', '\r\n'),
        trailing: fc.boolean(),
      })
      .map(({ rows, eol, trailing }) => ['ts,open,high,low,close,volume', ...rows.map(([k, c]) => [String(T0 + k * H), ...c].join(','))].join(eol) + (trailing ? eol : ''));
    const parse = (bytes: Buffer, cuts: number[]): unknown => {
      const stream = new CsvSeriesStream({ file: 'f.csv', kind: 'ohlcv', timeframe: '1h' }, 'csv', 16);
      try {
        let at = 0;
        for (const c of [...cuts.filter((x) => x < bytes.length)].sort((a, b) => a - b)) {
          stream.push(bytes.subarray(at, c));
          at = c;
        }
        stream.push(bytes.subarray(at));
        const p = stream.finish();
        return { ts: Array.from(p.series.ts), cols: Object.entries(p.series.columns).map(([k, v]) => [k, Array.from(v)]), notes: p.notes, rows: p.rowsRead };
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        return e.message;
      }
    };
    fc.assert(
      fc.property(fc.oneof(plainish, csvText), fc.array(fc.nat(2000), { maxLength: 12 }), (text, cuts) => {
        const bytes = Buffer.from(text);
        expect(parse(bytes, cuts)).toEqual(parse(bytes, []));
      }),
      { numRuns: 400, seed: 1217 },
    );
  });

  it('the record reader gives the same records however the bytes are split into chunks', () => {
    const read = (bytes: Buffer, cuts: number[]): string[] | string => {
      const out: string[] = [];
      const r = new CsvRecordReader('f.csv', (rec) => out.push(`${rec.line}:${Array.from({ length: rec.count }, (_, c) => `${rec.text(c)}|${rec.fastNumber(c)}`).join(';')}`), ',', 16);
      try {
        let at = 0;
        for (const c of [...cuts.filter((x) => x < bytes.length)].sort((a, b) => a - b)) {
          r.push(bytes.subarray(at, c));
          at = c;
        }
        r.push(bytes.subarray(at));
        r.end();
        return [...out, ...r.notes];
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        return e.message;
      }
    };
    fc.assert(
      fc.property(csvText, fc.array(fc.nat(400), { maxLength: 12 }), (text, cuts) => {
        const bytes = Buffer.from(text);
        expect(read(bytes, cuts)).toEqual(read(bytes, []));
      }),
      { numRuns: 400, seed: 1216 },
    );
  });
});

