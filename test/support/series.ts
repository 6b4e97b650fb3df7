/** Test helpers: synthetic series written to a temp data dir through the real store. */
import { closeSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeSeries } from '../../src/data/catalog.js';
import type { SeriesKind, Symbol, VenueId } from '../../src/core/ids.js';

/**
 * Overwrite, in place (same file, same size: not the store's rename), the first float64 equal to
 * `was` in the file at `path` with `now`: a stored file changed behind the store's back. Returns
 * the byte offset written (−1, and nothing written, when `was` is not in the file).
 */
export function overwriteDoubleInPlace(path: string, was: number, now: number): number {
  const needle = Buffer.alloc(8);
  needle.writeDoubleLE(was);
  const at = readFileSync(path).indexOf(needle);
  if (at < 0) return at;
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(now);
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, 8, at);
  } finally {
    closeSync(fd);
  }
  return at;
}

export function tempDataDir(prefix = 'perpcarry-engine-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const prov = { method: 'import' as const, sources: ['synthetic test data'], updatedAt: '2025-01-01T00:00:00.000Z' };

/** Bars from [open, high, low, close(, volume)] rows at `startMs + k × tfMs`. */
export function writeBars(dataDir: string, venue: VenueId, symbol: Symbol, kind: SeriesKind, timeframe: string, tfMs: number, startMs: number, rows: number[][]): void {
  const n = rows.length;
  const ts = new Float64Array(n);
  const cols: Record<string, Float64Array> = { open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n) };
  if (kind === 'ohlcv') cols['volume'] = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const r = rows[k]!;
    ts[k] = startMs + k * tfMs;
    cols['open']![k] = r[0]!;
    cols['high']![k] = r[1]!;
    cols['low']![k] = r[2]!;
    cols['close']![k] = r[3]!;
    if (cols['volume']) cols['volume'][k] = r[4] ?? 1000;
  }
  storeSeries({ ts, columns: cols }, { dataDir, venue, symbol, kind, timeframe, provenance: prov, merge: false });
}

/** Flat bars (o = h = l = c) from a list of prices. */
export function flat(prices: number[]): number[][] {
  return prices.map((p) => [p, p, p, p]);
}

/** Funding rows [tsMs, rate, intervalHours, markPrice(NaN = none)]. */
export function writeFunding(dataDir: string, venue: VenueId, symbol: Symbol, rows: [number, number, number, number?][]): void {
  const n = rows.length;
  const ts = new Float64Array(n);
  const rate = new Float64Array(n);
  const iv = new Float64Array(n);
  const mp = new Float64Array(n);
  rows.forEach((r, k) => {
    ts[k] = r[0];
    rate[k] = r[1];
    iv[k] = r[2];
    mp[k] = r[3] ?? NaN;
  });
  storeSeries({ ts, columns: { rate, interval_hours: iv, mark_price: mp } }, { dataDir, venue, symbol, kind: 'funding', provenance: prov, merge: false });
}
