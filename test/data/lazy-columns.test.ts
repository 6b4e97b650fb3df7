/**
 * Lazy columns of a verified window (src/data/verified.ts, src/data/ipc-window.ts openWindow):
 * a column read on first access equals the eager whole-file read bit for bit; it comes from the
 * bytes verified at load even after the path was replaced (rename) and is refused when the file
 * was changed in place; a touch alone (same bytes) is re-hashed and accepted. Bar series with the
 * same times share one `ts` array, and only when every value is equal.
 */
import { closeSync, openSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.js';
import { forgetVerified } from '../../src/data/file-state.js';
import { openWindow } from '../../src/data/ipc-window.js';
import { decodeSeries, writeSeriesFile, type ReadWindow } from '../../src/data/store.js';
import { loadVerifiedSeries, setLazyDescriptorLimit, type VerifiedSeries } from '../../src/data/verified.js';
import { loadMarketData, makeInstruments } from '../../src/engine/data.js';
import { overwriteDoubleInPlace, tempDataDir, writeBars } from '../support/series.js';

const M = 60_000;
const T0 = Date.parse('2025-03-01T00:00:00Z');
/** More rows than one 8192-row compare chunk of ipc-window.ts, so a difference can hide past it. */
const N = 20_000;

/** Bars with distinct values per column and row (volume null every 7th row). */
function rows(n: number, seed: number): number[][] {
  return Array.from({ length: n }, (_, k) => {
    const c = 100 + seed + Math.sin(k / 50) * 3 + k * 1e-4;
    return [c - 0.25, c + 1.5 + (k % 5) * 0.01, c - 1.25, c, k % 7 === 3 ? NaN : 10 + k];
  });
}

const perp = { venue: 'binance', symbol: 'BTC/USDT:USDT', kind: 'ohlcv' as const, timeframe: '1m' };
const mark = { venue: 'binance', symbol: 'BTC/USDT:USDT', kind: 'mark' as const, timeframe: '1m' };
const rel = 'binance/BTC-USDT-USDT/ohlcv-1m.arrow';

function store(): string {
  const d = tempDataDir('perpcarry-lazy-');
  writeBars(d, 'binance', 'BTC/USDT:USDT', 'ohlcv', '1m', M, T0, rows(N, 0));
  writeBars(d, 'binance', 'BTC/USDT:USDT', 'mark', '1m', M, T0, rows(N, 1));
  writeBars(d, 'binance', 'BTC/USDT', 'ohlcv', '1m', M, T0, rows(N, 2));
  return d;
}

/** A window read lazily: verified once (the eager first-sight path), then loaded again. */
function lazyLoad(d: string, req: typeof perp | typeof mark, w: ReadWindow = {}): VerifiedSeries {
  forgetVerified();
  loadVerifiedSeries(d, req, w);
  const s = loadVerifiedSeries(d, req, w);
  for (const name of Object.keys(s.columns)) expect(Object.getOwnPropertyDescriptor(s.columns, name)!.get, name).toBeTypeOf('function');
  return s;
}

const bytes = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('lazy columns of a verified window', () => {
  it('every column of any window equals the whole-file decode bit for bit', () => {
    const d = store();
    const p = join(d, rel);
    const windows: ReadWindow[] = [{}, { fromMs: T0 + 17 * M, toMs: T0 + 9_000 * M }, { fromMs: T0 + 12_345.5 * M }, { toMs: T0 + 3 * M }, { fromMs: T0 + 5 * M, toMs: T0 + 5 * M }, { fromMs: T0 - 100 * M, toMs: T0 + 30_000 * M }];
    for (const w of windows) {
      const want = decodeSeries(p, readFileSync(p), w);
      const got = lazyLoad(d, perp, w);
      expect(bytes(got.ts).equals(bytes(want.ts))).toBe(true);
      expect(Object.keys(got.columns)).toEqual(Object.keys(want.columns));
      for (const name of Object.keys(want.columns)) expect(bytes(got.columns[name]!).equals(bytes(want.columns[name]!)), name).toBe(true);
      expect(got.fileRows).toBe(N);
    }
    // the nulls came through as NaN
    expect(Number.isNaN(lazyLoad(d, perp).columns['volume']![3])).toBe(true);
  });

  it('the path replaced by rename after the load: a later column read still returns the verified bytes', () => {
    const d = store();
    const s = lazyLoad(d, perp);
    const before = Float64Array.from(decodeSeries(join(d, rel), readFileSync(join(d, rel))).columns['close']!);
    // The store writes a new file and renames it over the path (another import, a fetch).
    writeBars(d, 'binance', 'BTC/USDT:USDT', 'ohlcv', '1m', M, T0, rows(N, 50));
    expect(decodeSeries(join(d, rel), readFileSync(join(d, rel))).columns['close']![0]).toBe(before[0]! + 50);
    expect(bytes(s.columns['close']!).equals(bytes(before))).toBe(true);
  });

  it('bytes changed in place after the load: the column read throws a DataError naming the file', () => {
    const d = store();
    const p = join(d, rel);
    const s = lazyLoad(d, perp);
    expect(s.columns['open']![0]).toBe(99.75); // one column read: the descriptor stays open for the rest
    expect(overwriteDoubleInPlace(p, rows(N, 0)[1234]![1]!, 1e9)).toBeGreaterThan(0); // a high
    expect(() => s.columns['high']).toThrow(DataError);
    expect(() => s.columns['high']).toThrow(/ohlcv-1m\.arrow: changed in place while this run was reading it \(sha256 now .* verified .*\)/);
  });

  it('a touch after the load (new mtime, same bytes) is hashed again and the columns are served', () => {
    const d = store();
    const p = join(d, rel);
    const s = lazyLoad(d, perp);
    utimesSync(p, new Date(), new Date(Date.now() + 60_000));
    const want = decodeSeries(p, readFileSync(p));
    for (const name of ['low', 'close', 'volume']) expect(bytes(s.columns[name]!).equals(bytes(want.columns[name]!)), name).toBe(true);
  });

  it('past the descriptor limit the oldest window lets go and, asked later, accepts only the verified bytes at the path', () => {
    const prev = setLazyDescriptorLimit(1);
    try {
      const d = store();
      const markRel = 'binance/BTC-USDT-USDT/mark-1m.arrow';
      const wantPerp = decodeSeries(join(d, rel), readFileSync(join(d, rel)));
      const wantMark = decodeSeries(join(d, markRel), readFileSync(join(d, markRel)));
      const a = lazyLoad(d, perp);
      const b = lazyLoad(d, mark); // a lets go of its descriptor
      expect(bytes(a.columns['close']!).equals(bytes(wantPerp.columns['close']!))).toBe(true); // the same file at the path: served; b lets go
      // the mark replaced by rename with other bars: b refuses; its close column was never read
      writeBars(d, 'binance', 'BTC/USDT:USDT', 'mark', '1m', M, T0, rows(N, 9));
      expect(() => b.columns['close']).toThrow(/mark-1m\.arrow: replaced or changed since the load \(sha256 now .*\), and this market had let go of its descriptor .*load the market again/);
      // the perp stored again with the same bytes (a new inode): a's next column is served from them
      writeBars(d, 'binance', 'BTC/USDT:USDT', 'ohlcv', '1m', M, T0, rows(N, 0));
      lazyLoad(d, mark); // a lets go again
      expect(bytes(a.columns['high']!).equals(bytes(wantPerp.columns['high']!))).toBe(true);
      expect(wantMark.columns['close']![0]).not.toBe(decodeSeries(join(d, markRel), readFileSync(join(d, markRel))).columns['close']![0]);
    } finally {
      setLazyDescriptorLimit(prev);
    }
  });

  it('a series read with another series\' time column as candidate shares it only when every value is equal', () => {
    const d = store();
    const a = lazyLoad(d, perp);
    forgetVerified();
    loadVerifiedSeries(d, mark);
    const b = loadVerifiedSeries(d, mark, {}, undefined, { tsCandidates: [a.ts] });
    expect(b.ts).toBe(a.ts);
    // The same times but one bar 1 ms late, past the first compare chunk: same length, first and last.
    const ts = Float64Array.from(a.ts);
    ts[15_000]! += 1;
    const close = new Float64Array(N).fill(1);
    const p = join(d, 'late.arrow');
    writeSeriesFile(p, { ts, columns: { close } }, ['close']);
    const fd = openSync(p, 'r');
    try {
      const w = openWindow(fd, {}, { tsCandidates: [a.ts] })!;
      expect(w.ts).not.toBe(a.ts);
      expect(w.ts[15_000]).toBe(T0 + 15_000 * M + 1);
      expect(bytes(w.ts).equals(bytes(ts))).toBe(true);
      // a window of it that ends before the late bar is the candidate's first 15,000 rows: shared
      // only with a candidate of exactly that length
      const head = a.ts.slice(0, 15_000);
      expect(openWindow(fd, { toMs: T0 + 15_000 * M }, { tsCandidates: [a.ts, head] })!.ts).toBe(head);
    } finally {
      closeSync(fd);
    }
  });

  it('a market load shares one time column across spot, perp and mark bars of the same grid and reads no price column', () => {
    const d = store();
    const load = (): ReturnType<typeof loadMarketData> =>
      loadMarketData({ dataDir: d, instruments: makeInstruments([{ venue: 'binance', symbol: 'BTC/USDT' }, { venue: 'binance', symbol: 'BTC/USDT:USDT' }]), timeframe: '1m', timeframeMs: M, fromMs: T0 + 10 * M, toMs: T0 + 10_000 * M });
    load(); // first sight: hashed, validated and recorded
    const m = load();
    expect(m.bars[1]!.ts).toBe(m.bars[0]!.ts);
    expect(m.mark[1]!.ts).toBe(m.bars[0]!.ts);
    expect(m.bars[0]!.ts.length).toBe(9_990);
    // every price column is still behind its getter; reading one reads the window of the file
    for (const b of [m.bars[0]!, m.bars[1]!, m.mark[1]!]) for (const c of ['open', 'high', 'low', 'close', 'volume']) expect(Object.getOwnPropertyDescriptor(b, c)!.get, c).toBeTypeOf('function');
    expect(m.mark[1]!.close[0]).toBe(rows(N, 1)[10]![3]);
    expect(Number.isNaN(m.mark[1]!.volume[0])).toBe(true);
  });
});
