/**
 * Verified reads (issue 12 item 1, issue 13 item 2): corrupt, swapped or mistyped files are
 * refused naming the file and what differs; hashes and validation are cached per file version;
 * reindex refuses files whose metadata contradicts their path; stale locks are recovered.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { Field, Float64, Int32, Int64, RecordBatch, Schema, Struct, Table, makeData, tableToIPC } from 'apache-arrow';
import { readCatalog, storeSeries } from '../../src/data/catalog.js';
import { fileStatePath, forgetVerified } from '../../src/data/file-state.js';
import { reindexStore } from '../../src/data/reindex.js';
import { readSeriesFile } from '../../src/data/store.js';
import { loadVerifiedSeries } from '../../src/data/verified.js';
import { validateStore } from '../../src/data/validate-files.js';
import { withLock } from '../../src/core/lock.js';
import { UserError } from '../../src/core/errors.js';
import { flat, writeBars, writeFunding } from '../support/series.js';
import { tmpDir } from '../support/paths.js';

const H = 3_600_000;
const T0 = Date.parse('2025-01-01T00:00:00Z');

function store(): string {
  const d = tmpDir('perpcarry-verify-');
  writeBars(d, 'binance', 'BTC/USDT:USDT', 'ohlcv', '1h', H, T0, flat([100, 101, 102, 103]));
  writeBars(d, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, flat([10, 11, 12, 13]));
  writeFunding(d, 'binance', 'ETH/USDT:USDT', [[T0, 0.0001, 8], [T0 + 8 * H, -0.0002, 8], [T0 + 16 * H, 0.0003, 8]]);
  return d;
}

const ethBars = { venue: 'binance', symbol: 'ETH/USDT:USDT', kind: 'ohlcv' as const, timeframe: '1h' };
const ethFunding = { venue: 'binance', symbol: 'ETH/USDT:USDT', kind: 'funding' as const };

describe('verified reads', () => {
  it('a clean file loads; its sha and validation are recorded per version and reused', () => {
    const d = store();
    const s = loadVerifiedSeries(d, ethBars);
    expect(Array.from(s.columns['close']!)).toEqual([10, 11, 12, 13]);
    expect(s.sha256).toBe(readCatalog(d).entries.find((e) => e.path === 'binance/ETH-USDT-USDT/ohlcv-1h.arrow')!.sha256);
    expect(s.fileErrors).toBe(0);
    const states = JSON.parse(readFileSync(fileStatePath(d), 'utf8')) as Record<string, { sha256: string; errors: number; bytes: number }>;
    expect(states['binance/ETH-USDT-USDT/ohlcv-1h.arrow']).toMatchObject({ sha256: s.sha256, errors: 0 });
    // a touched file (same bytes, new mtime) is a new version: hashed again, still fine
    forgetVerified();
    utimesSync(join(d, 'binance/ETH-USDT-USDT/ohlcv-1h.arrow'), new Date(), new Date(Date.now() + 5000));
    expect(loadVerifiedSeries(d, ethBars).sha256).toBe(s.sha256);
  });

  it('a float overwritten in funding.arrow (rate ×50) is refused naming the file and the sha256', () => {
    const d = store();
    const p = join(d, 'binance/ETH-USDT-USDT/funding.arrow');
    loadVerifiedSeries(d, ethFunding); // verified once: the cache must not hide a later change
    const bytes = readFileSync(p);
    const needle = Buffer.alloc(8);
    needle.writeDoubleLE(-0.0002);
    const at = bytes.indexOf(needle);
    expect(at).toBeGreaterThan(0);
    bytes.writeDoubleLE(-0.01, at);
    writeFileSync(p, bytes);
    expect(() => loadVerifiedSeries(d, ethFunding)).toThrow(/funding\.arrow: file bytes differ from the catalog \(sha256 .*data validate.*data reindex/);
    expect(validateStore(d).find((r) => r.path === p)!.issues.map((i) => i.code)).toContain('catalog-sha256');
  });

  it("BTC's bars copied over ETH's: the load says which metadata differs; reindex refuses and lists it", () => {
    const d = store();
    copyFileSync(join(d, 'binance/BTC-USDT-USDT/ohlcv-1h.arrow'), join(d, 'binance/ETH-USDT-USDT/ohlcv-1h.arrow'));
    expect(() => loadVerifiedSeries(d, ethBars)).toThrow(/ETH-USDT-USDT\/ohlcv-1h\.arrow: file bytes differ from the catalog/);
    const rx = reindexStore(d);
    expect(rx.skipped).toEqual([
      { path: 'binance/ETH-USDT-USDT/ohlcv-1h.arrow', reason: 'its metadata says binance BTC/USDT:USDT ohlcv 1h, which belongs at binance/BTC-USDT-USDT/ohlcv-1h.arrow, not here (copied or moved?)' },
    ]);
    const paths = readCatalog(d).entries.map((e) => e.path);
    expect(paths).toEqual(['binance/BTC-USDT-USDT/ohlcv-1h.arrow', 'binance/ETH-USDT-USDT/funding.arrow']);
    // even with a catalog entry forged to match the bytes, the metadata check refuses it
    const cat = JSON.parse(readFileSync(join(d, 'catalog.json'), 'utf8')) as { entries: { path: string }[] };
    const btc = cat.entries.find((e) => e.path === 'binance/BTC-USDT-USDT/ohlcv-1h.arrow')!;
    cat.entries.push({ ...btc, path: 'binance/ETH-USDT-USDT/ohlcv-1h.arrow' });
    writeFileSync(join(d, 'catalog.json'), JSON.stringify(cat));
    expect(() => loadVerifiedSeries(d, ethBars)).toThrow(/schema metadata does not match the series this path holds: symbol "BTC\/USDT:USDT" where "ETH\/USDT:USDT" is expected/);
  });

  it('a funding file at an ohlcv path is not indexed', () => {
    const d = store();
    copyFileSync(join(d, 'binance/ETH-USDT-USDT/funding.arrow'), join(d, 'binance/ETH-USDT-USDT/ohlcv-4h.arrow'));
    const rx = reindexStore(d);
    expect(rx.skipped.map((s) => s.path)).toEqual(['binance/ETH-USDT-USDT/ohlcv-4h.arrow']);
    expect(rx.skipped[0]!.reason).toMatch(/belongs at binance\/ETH-USDT-USDT\/funding\.arrow/);
  });

  it('int64 / int32 value columns are an error naming the column, not read as float64', () => {
    const d = tmpDir('perpcarry-types-');
    const p = join(d, 'x.arrow');
    const n = 3;
    const fields = [new Field('ts', new Int64(), false), new Field('open', new Int32(), true), new Field('close', new Float64(), true)];
    const children = [
      makeData({ type: new Int64(), length: n, nullCount: 0, data: new BigInt64Array([1n, 2n, 3n]) }),
      makeData({ type: new Int32(), length: n, nullCount: 0, data: new Int32Array([1, 2, 3]) }),
      makeData({ type: new Float64(), length: n, nullCount: 0, data: new Float64Array([1, 2, 3]) }),
    ];
    const schema = new Schema(fields);
    const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children: children as never }));
    writeFileSync(p, tableToIPC(new Table(schema, [batch]), 'file'));
    expect(() => readSeriesFile(p)).toThrow(/x\.arrow, column "open": column "open" must be float64, found Int32/);
  });

  it('reindex rebuilds an unreadable catalog (invalid JSON, null, [null]) and skips a truncated file', () => {
    for (const bad of ['{"version": 1, "entries": [', 'null', '[null]', '{"version":1,"entries":[null]}']) {
      const d = store();
      const p = join(d, 'binance/BTC-USDT-USDT/ohlcv-1h.arrow');
      writeFileSync(p, readFileSync(p).subarray(0, 200));
      writeFileSync(join(d, 'catalog.json'), bad);
      expect(() => readCatalog(d)).toThrow(UserError);
      const rx = reindexStore(d);
      expect(rx.catalogProblem).toMatch(/catalog\.json/);
      expect(rx.skipped.map((s) => s.path)).toEqual(['binance/BTC-USDT-USDT/ohlcv-1h.arrow']);
      expect(readCatalog(d).entries.map((e) => e.path)).toEqual(['binance/ETH-USDT-USDT/funding.arrow', 'binance/ETH-USDT-USDT/ohlcv-1h.arrow']);
    }
  });

  it('a symlink loop in the store does not hang or crash reindex/validate', () => {
    const d = store();
    mkdirSync(join(d, 'loop'));
    symlinkSync(join(d, 'loop'), join(d, 'loop', 'again'));
    const rx = reindexStore(d);
    expect(rx.entries).toBe(3);
    expect(validateStore(d).every((r) => r.ok)).toBe(true);
  });
});

describe('lock files', () => {
  it('a lock left by a dead pid is taken over', () => {
    const d = tmpDir('perpcarry-lock-');
    const lock = join(d, '.x.lock');
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), createdAt: '2025-01-01', what: 'x' }));
    expect(withLock(lock, 'x', () => 42, { timeoutMs: 2000 })).toBe(42);
    expect(existsSync(lock)).toBe(false);
  });

  it('a lock held by a live process makes the next writer wait, then fail naming the holder', async () => {
    const d = tmpDir('perpcarry-lock-');
    const lock = join(d, '.x.lock');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(lock, JSON.stringify({ pid: child.pid, host: hostname(), createdAt: '2025-01-01T00:00:00Z', what: 'x' }));
    const waits: string[] = [];
    try {
      expect(() => withLock(lock, 'series x', () => 1, { timeoutMs: 1500, onWait: (m) => waits.push(m) })).toThrow(new RegExp(`series x is locked by pid ${child.pid} since 2025-01-01T00:00:00Z`));
      expect(waits).toEqual([`waiting for series x: locked by pid ${child.pid} since 2025-01-01T00:00:00Z`]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('stored series identity on merge', () => {
  it('an import into a path holding another series is refused, nothing written', () => {
    const d = store();
    const eth = join(d, 'binance/ETH-USDT-USDT/ohlcv-1h.arrow');
    copyFileSync(join(d, 'binance/BTC-USDT-USDT/ohlcv-1h.arrow'), eth);
    const before = readFileSync(eth);
    const prov = { method: 'import' as const, sources: ['t'], updatedAt: '' };
    const one = { ts: new Float64Array([T0 + 10 * H]), columns: { open: new Float64Array([1]), high: new Float64Array([1]), low: new Float64Array([1]), close: new Float64Array([1]), volume: new Float64Array([1]) } };
    expect(() => storeSeries(one, { dataDir: d, venue: 'binance', symbol: 'ETH/USDT:USDT', kind: 'ohlcv', timeframe: '1h', provenance: prov })).toThrow(/not the series its path names \(symbol "BTC\/USDT:USDT" where the path says "ETH\/USDT:USDT"\)/);
    expect(readFileSync(eth).equals(before)).toBe(true);
  });
});
