/**
 * Concurrent writers with real processes (issue 12): imports started together into one series,
 * and into different series, must keep every row and every catalog entry.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCatalog } from '../../src/data/catalog.js';
import { readSeriesFile } from '../../src/data/store.js';
import { validateStore } from '../../src/data/validate-files.js';
import { ROOT, tmpDir } from '../support/paths.js';

const BIN = join(ROOT, 'bin', 'perpcarry.mjs');
const H = 3_600_000;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('run `npx tsc -p .` first (npm test does)');
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** 10 hourly bars starting at `startMs`, prices distinct per file. */
function barsCsv(path: string, startMs: number, px: number): void {
  const lines = ['ts,open,high,low,close,volume'];
  for (let k = 0; k < 10; k++) lines.push(`${startMs + k * H},${px + k},${px + k + 1},${px - 1},${px + k},${k + 1}`);
  writeFileSync(path, lines.join('\n') + '\n');
}

const T0 = Date.parse('2025-01-01T00:00:00Z');

/** stderr without the lock-wait notices (printed when a lock is held > 1 s: timing, not failure). */
function notWaiting(stderr: string): string {
  return stderr.split('\n').filter((l) => l !== '' && !/^perpcarry: waiting for .*: locked by pid \d+/.test(l)).join('\n');
}

describe('concurrent imports (real processes)', () => {
  it('two imports into one series keep all 20 rows (3 trials)', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const work = tmpDir('perpcarry-conc-');
      const dataDir = join(work, 'data');
      barsCsv(join(work, 'a.csv'), T0, 100);
      barsCsv(join(work, 'b.csv'), T0 + 10 * H, 200);
      const args = (f: string) => ['data', 'import', join(work, f), '--data-dir', dataDir, '--venue', 'binance', '--symbol', 'BTC/USDT', '--kind', 'ohlcv', '--timeframe', '1h'];
      const [a, b] = await Promise.all([run(args('a.csv')), run(args('b.csv'))]);
      expect([a.code, b.code, notWaiting(a.stderr + b.stderr)]).toEqual([0, 0, '']);
      expect(a.stdout).toContain('imported 10 rows');
      expect(b.stdout).toContain('imported 10 rows');
      const s = readSeriesFile(join(dataDir, 'binance/BTC-USDT/ohlcv-1h.arrow'));
      expect(s.ts.length).toBe(20);
      expect(Array.from(s.ts)).toEqual(Array.from({ length: 20 }, (_, k) => T0 + k * H));
      expect(Array.from(s.columns['close']!.subarray(0, 2))).toEqual([100, 101]);
      expect(Array.from(s.columns['close']!.subarray(10, 12))).toEqual([200, 201]);
      const cat = readCatalog(dataDir);
      expect(cat.entries.map((e) => [e.path, e.rows])).toEqual([['binance/BTC-USDT/ohlcv-1h.arrow', 20]]);
      expect(validateStore(dataDir).every((r) => r.ok)).toBe(true);
      // no lock or temp file left behind
      expect(readdirSync(join(dataDir, 'binance/BTC-USDT')).filter((f) => f !== 'ohlcv-1h.arrow')).toEqual([]);
      expect(readdirSync(dataDir).filter((f) => f.endsWith('.lock') || f.endsWith('.tmp'))).toEqual([]);
    }
  }, 120_000);

  it('eight imports into eight series leave eight catalog entries', async () => {
    const work = tmpDir('perpcarry-conc8-');
    const dataDir = join(work, 'data');
    const symbols = ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'ADA', 'BNB', 'LTC'];
    symbols.forEach((s, k) => barsCsv(join(work, `${s}.csv`), T0, 100 * (k + 1)));
    const results = await Promise.all(
      symbols.map((s) => run(['data', 'import', join(work, `${s}.csv`), '--data-dir', dataDir, '--venue', 'binance', '--symbol', `${s}/USDT`, '--kind', 'ohlcv', '--timeframe', '1h'])),
    );
    for (const r of results) expect([r.code, notWaiting(r.stderr)]).toEqual([0, '']);
    const cat = readCatalog(dataDir);
    expect(cat.entries.map((e) => e.path).sort()).toEqual(symbols.map((s) => `binance/${s}-USDT/ohlcv-1h.arrow`).sort());
    let rows = 0;
    for (const e of cat.entries) {
      const s = readSeriesFile(join(dataDir, e.path));
      expect(s.ts.length).toBe(10);
      rows += s.ts.length;
      expect(e.rows).toBe(10);
    }
    expect(rows).toBe(80);
    expect(validateStore(dataDir).every((r) => r.ok)).toBe(true);
  }, 120_000);
});
