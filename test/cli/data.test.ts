import { describe, expect, it, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateStore } from '../../src/data/validate-files.js';
import { readCatalog } from '../../src/data/catalog.js';
import { reindexStore } from '../../src/data/reindex.js';
import { readSeriesFile } from '../../src/data/store.js';
import { FIX, ROOT, bytesOf, tmpDir } from '../support/paths.js';

const BIN = join(ROOT, 'bin', 'perpcarry.mjs');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('run `npx tsc -p .` first (npm test does)');
});

describe('data commands on the bundled store', () => {
  it('data list shows the bundled series', () => {
    const r = cli(['data', 'list', '--json']);
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout) as { path: string }[];
    const paths = entries.map((e) => e.path);
    for (const p of [
      'binance/BTC-USDT-USDT/funding.arrow',
      'binance/ETH-USDT-USDT/funding.arrow',
      'binance/ETH-USDT/ohlcv-1h.arrow',
      'binance/ETH-USDT-USDT/ohlcv-1h.arrow',
      'binance/ETH-USDT-USDT/mark-1h.arrow',
      'binance/BTC-USDT-USDT/index-1m.arrow',
      'bybit/ETH-USDT-USDT/funding.arrow',
      'hyperliquid/BTC-USDC-USDC/funding.arrow',
      'binance/BTC-USD-BTC/ohlcv-8h.arrow',
      'okx/BTC-USD-BTC/funding.arrow',
    ]) expect(paths).toContain(p);
    const text = cli(['data', 'list']);
    expect(text.stdout).toContain(`${entries.length} series in`);
  });

  it('data validate passes on the bundled data (no errors)', () => {
    const r = cli(['data', 'validate', '--json']);
    const out = JSON.parse(r.stdout) as { ok: boolean; files: number; failed: number };
    expect(out).toMatchObject({ ok: true, failed: 0 });
    expect(out.files).toBe(54);
    expect(r.code).toBe(0);
  });

  it('data inspect reports range, gaps, stats and intervals', () => {
    const r = cli(['data', 'inspect', 'binance', 'ETH/USDT:USDT', 'funding', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { rows: number; firstTs: number; missing: number; funding: { intervals: Record<string, number> }; stats: { column: string; min: number; minTs: number }[] };
    expect(s.firstTs).toBe(Date.parse('2019-11-27T08:00:00Z'));
    expect(s.missing).toBe(0);
    expect(s.funding.intervals).toEqual({ '8': s.rows });
    const rate = s.stats.find((c) => c.column === 'rate')!;
    expect(rate.min).toBe(-0.00356332); // 2021-05-19 16:00; gap_fill SOURCES: ETH range −0.00356 to +0.00375
    const text = cli(['data', 'inspect', 'binance', 'BTC/USDT', 'ohlcv', '--timeframe', '1h']);
    expect(text.stdout).toMatch(/gaps\s+17 gap\(s\), \d+ missing 1h bar\(s\)/);
    const bad = cli(['data', 'inspect', 'binance', 'BTC/USDT', 'ohlcv']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('needs --timeframe (stored: 1h, 1m, 5m, 8h)');
  });

  it('data windows lists the registry with coverage computed from the store', () => {
    const r = cli(['data', 'windows', '--json']);
    expect(r.code).toBe(0);
    const ws = JSON.parse(r.stdout) as { id: string; coverage: { path: string; fraction: number }[] }[];
    expect(ws.map((w) => w.id)).toEqual(['2020-03-12', '2021-05-19', '2022-11-ftx', '2025-02-03', '2025-10-10', '2026-02-05']);
    const feb25 = ws.find((w) => w.id === '2025-02-03')!;
    for (const p of ['binance/ETH-USDT/ohlcv-1h.arrow', 'binance/ETH-USDT-USDT/ohlcv-1h.arrow', 'binance/ETH-USDT-USDT/mark-1h.arrow', 'binance/ETH-USDT-USDT/funding.arrow', 'binance/ETH-USDT-USDT/ohlcv-5m.arrow']) {
      expect(feb25.coverage.find((c) => c.path === p)?.fraction, p).toBe(1);
    }
    const feb26 = ws.find((w) => w.id === '2026-02-05')!;
    expect(feb26.coverage.find((c) => c.path === 'binance/BTC-USDT-USDT/mark-1m.arrow')?.fraction).toBe(1);
  });
});

describe('data import / validate through the CLI', () => {
  it('imports a real excerpt, then re-imports without duplicates', () => {
    const dataDir = tmpDir();
    const args = ['data', 'import', join(FIX, 'binance_web_funding_BTCUSDT_dst_2023-10.csv'), '--data-dir', dataDir, '--venue', 'binance', '--symbol', 'BTC/USDT:USDT', '--kind', 'funding',
      '--ts-column', 'Time', '--timezone', 'Europe/London', '--rate-unit', 'percent', '--order', 'desc', '--map', 'rate=Funding Rate', '--map', 'interval_hours=Funding Interval'];
    const a = cli(args);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('11 new, 0 replaced, 0 unchanged');
    const b = cli(args);
    expect(b.stdout).toContain('0 new, 0 replaced, 11 unchanged');
    expect(cli(['data', 'validate', '--data-dir', dataDir]).code).toBe(0);
  });

  it('bad input: non-zero exit, message names file/row/column, store untouched', () => {
    const dataDir = tmpDir();
    const good = join(FIX, 'ETHUSDT_1h_spot_2025-02-02_roshan.csv');
    const base = ['--data-dir', dataDir, '--venue', 'binance', '--symbol', 'ETH/USDT', '--kind', 'ohlcv', '--timeframe', '1h'];
    expect(cli(['data', 'import', good, ...base]).code).toBe(0);
    const before = [bytesOf(join(dataDir, 'binance/ETH-USDT/ohlcv-1h.arrow')), bytesOf(join(dataDir, 'catalog.json'))];
    const lines = readFileSync(good, 'utf8').split('\n');
    lines[3] = lines[3]!.replace(/^(\d+,[^,]+,[^,]+,)[^,]+/, '$1nan');
    const bad = join(dataDir, 'bad.csv');
    writeFileSync(bad, lines.join('\n'));
    const r = cli(['data', 'import', bad, ...base]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}, row 4, column "high": value is nan`);
    const missing = cli(['data', 'import', join(dataDir, 'absent.csv'), ...base]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('absent.csv: file not found');
    const unknownCol = cli(['data', 'import', good, ...base, '--map', 'close=last_price']);
    expect(unknownCol.stderr).toContain('column "last_price": unknown column "last_price"');
    // OHLC inconsistent input is refused before storing
    const ohlc = readFileSync(good, 'utf8').split('\n');
    ohlc[2] = ohlc[2]!.replace(/^(\d+,[^,]+,[^,]+,[^,]+,)[^,]+/, '$13500');
    writeFileSync(bad, ohlc.join('\n'));
    const o = cli(['data', 'import', bad, ...base]);
    expect(o.code).toBe(1);
    expect(o.stderr).toContain('ohlc-inconsistent');
    expect([bytesOf(join(dataDir, 'binance/ETH-USDT/ohlcv-1h.arrow')), bytesOf(join(dataDir, 'catalog.json'))]).toEqual(before);
    // validate a raw file before import
    const v = cli(['data', 'validate', bad, '--kind', 'ohlcv', '--timeframe', '1h', '--json']);
    expect(v.code).toBe(1);
    expect((JSON.parse(v.stdout) as { reports: { issues: { code: string }[] }[] }).reports[0]!.issues.map((i) => i.code)).toContain('ohlc-inconsistent');
  });
});

/** Write `n` consistent synthetic 1m bars as CSV (a deterministic random walk). */
async function writeBigCsv(path: string, n: number, startMs: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('timestamp,open,high,low,close,volume\n');
  let px = 50_000;
  let seed = 0x2545f491;
  const rnd = () => {
    // xorshift32: deterministic, full-period, no float precision loss
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  let chunk = '';
  for (let i = 0; i < n; i++) {
    const o = px;
    const c = o * (1 + (rnd() - 0.5) * 0.002);
    const h = Math.max(o, c) * (1 + rnd() * 0.0005);
    const l = Math.min(o, c) * (1 - rnd() * 0.0005);
    chunk += `${startMs + i * 60_000},${o.toFixed(2)},${h.toFixed(2)},${l.toFixed(2)},${c.toFixed(2)},${(rnd() * 10).toFixed(3)}\n`;
    px = c;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  out.write(chunk);
  await new Promise<void>((r) => out.end(r));
}

describe('an import killed midway leaves the store untouched', () => {
  it('SIGKILL at several points of a big import: Arrow file and catalog byte-identical and valid', async () => {
    const work = tmpDir('perpcarry-kill-');
    const big = join(work, 'big.csv');
    const start = Date.parse('2024-01-01T00:00:00Z');
    await writeBigCsv(big, 1_000_000, start);
    const dataDir = join(work, 'data');
    const base = ['--data-dir', dataDir, '--venue', 'binance', '--symbol', 'BTC/USDT', '--kind', 'ohlcv', '--timeframe', '1m'];
    // existing series: the first day of the same data
    expect(cli(['data', 'import', big, ...base, '--to', '2024-01-02']).code).toBe(0);
    const arrow = join(dataDir, 'binance/BTC-USDT/ohlcv-1m.arrow');
    const before = [bytesOf(arrow)!, bytesOf(join(dataDir, 'catalog.json'))!];
    // time a full import into a scratch store to place the kills
    const scratch = join(work, 'scratch');
    const t0 = Date.now();
    const full = cli(['data', 'import', big, ...base.map((a) => (a === dataDir ? scratch : a))]);
    const fullMs = Date.now() - t0;
    expect(full.code).toBe(0);
    expect(full.stdout).toContain('1000000 new');
    for (const frac of [0.15, 0.35, 0.55]) {
      const child = spawn(process.execPath, [BIN, 'data', 'import', big, ...base], { cwd: ROOT, stdio: 'ignore' });
      const killedBy = await new Promise<NodeJS.Signals | null>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), Math.round(fullMs * frac));
        child.on('exit', (_code, signal) => {
          clearTimeout(timer);
          resolve(signal);
        });
      });
      expect(killedBy, `kill at ${frac} of ${fullMs} ms`).toBe('SIGKILL');
      expect(bytesOf(arrow)!.equals(before[0]!)).toBe(true);
      expect(bytesOf(join(dataDir, 'catalog.json'))!.equals(before[1]!)).toBe(true);
      expect(validateStore(dataDir).every((r) => r.ok)).toBe(true);
      // only hidden temp files may be left behind
      expect(readdirSync(join(dataDir, 'binance/BTC-USDT')).filter((f) => !f.startsWith('.'))).toEqual(['ohlcv-1m.arrow']);
    }
    // Late kills land in the write phase or after it. The series file is replaced by rename, so it
    // is always the old or the complete new series; a kill between the series rename and the
    // catalog rename leaves a stale catalog that validate flags and reindex repairs.
    const oldRows = readCatalog(dataDir).entries[0]!.rows;
    for (const frac of [0.9, 0.97, 1.02]) {
      const child = spawn(process.execPath, [BIN, 'data', 'import', big, ...base], { cwd: ROOT, stdio: 'ignore' });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), Math.round(fullMs * frac));
        child.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const rows = readSeriesFile(arrow).ts.length;
      expect([oldRows, 1_000_000]).toContain(rows);
      const errors = validateStore(dataDir).flatMap((r) => r.issues.filter((i) => i.severity === 'error').map((i) => i.code));
      expect(errors.every((c) => c.startsWith('catalog-'))).toBe(true);
      if (errors.length) reindexStore(dataDir);
      expect(validateStore(dataDir).every((r) => r.ok)).toBe(true);
      expect(readCatalog(dataDir).entries[0]!.rows).toBe(rows);
      if (rows !== oldRows) {
        // restore the old state for the next round
        writeFileSync(arrow, before[0]!);
        writeFileSync(join(dataDir, 'catalog.json'), before[1]!);
      }
    }
  }, 150_000);
});
