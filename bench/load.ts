/**
 * Load-speed benchmark of the Arrow store: writes a 10M-row OHLCV file (int64 ts + 5 float64
 * columns, 1-minute bars) and measures reading it into typed arrays with `readSeriesFile`.
 *
 * Run: `npx tsc -p . && node dist/bench/load.js [rows]` (default 10,000,000).
 * Cases: all values present (zero-copy float64 columns); 1% nulls in `volume` (null bitmap →
 * NaN copy for that column); a one-month window of the same file.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KIND_COLUMNS } from '../src/data/schema.js';
import { readSeriesFile, writeSeriesFile, type SeriesColumns } from '../src/data/store.js';

function makeSeries(n: number, nullEvery: number): SeriesColumns {
  const ts = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  let px = 60_000;
  let seed = 0x9e3779b9;
  const start = Date.UTC(2010, 0, 1);
  for (let i = 0; i < n; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    const r = (seed >>> 0) / 4294967296;
    ts[i] = start + i * 60_000;
    open[i] = px;
    const c = px * (1 + (r - 0.5) * 0.002);
    close[i] = c;
    high[i] = Math.max(px, c) * 1.0002;
    low[i] = Math.min(px, c) * 0.9998;
    volume[i] = nullEvery > 0 && i % nullEvery === 0 ? NaN : r * 10;
    px = c;
  }
  return { ts, columns: { open, high, low, close, volume } };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function bench(label: string, path: string, runs: number, window?: { fromMs: number; toMs: number }): void {
  const times: number[] = [];
  let rows = 0;
  let check = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const s = readSeriesFile(path, window);
    const t1 = process.hrtime.bigint();
    times.push(Number(t1 - t0) / 1e6);
    rows = s.ts.length;
    // touch the data so nothing is lazily skipped
    check += s.ts[rows - 1]! + s.columns['close']![rows - 1]!;
  }
  const ms = median(times);
  const bytes = statSync(path).size;
  process.stdout.write(
    `${label.padEnd(34)} ${String(rows).padStart(10)} rows  median ${ms.toFixed(1).padStart(7)} ms  ` +
      `${((rows / ms) * 1000 / 1e6).toFixed(1).padStart(6)} M rows/s  ${((bytes / 1e6 / ms) * 1000).toFixed(0).padStart(5)} MB/s (file ${(bytes / 1e6).toFixed(0)} MB)  [${check > 0 ? 'ok' : '?'}]\n`,
  );
}

const n = Number(process.argv[2] ?? 10_000_000);
const dir = mkdtempSync(join(tmpdir(), 'perpcarry-bench-load-'));
try {
  const cols = KIND_COLUMNS.ohlcv;
  const dense = join(dir, 'dense.arrow');
  const sparse = join(dir, 'nulls.arrow');
  let t = Date.now();
  writeSeriesFile(dense, makeSeries(n, 0), cols, { 'perpcarry.kind': 'ohlcv', 'perpcarry.timeframe': '1m' });
  process.stdout.write(`wrote ${n} rows (no nulls) in ${Date.now() - t} ms\n`);
  t = Date.now();
  writeSeriesFile(sparse, makeSeries(n, 100), cols, { 'perpcarry.kind': 'ohlcv', 'perpcarry.timeframe': '1m' });
  process.stdout.write(`wrote ${n} rows (1% null volume) in ${Date.now() - t} ms\n`);
  const from = Date.UTC(2015, 0, 1);
  bench('full load, no nulls', dense, 5);
  bench('full load, 1% null volume', sparse, 5);
  bench('1-month window [2015-01, 2015-02)', dense, 5, { fromMs: from, toMs: Date.UTC(2015, 1, 1) });
  process.stdout.write(`node ${process.version}, ${process.arch}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
