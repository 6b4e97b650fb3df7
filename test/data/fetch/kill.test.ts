/**
 * The CLI as a child process against the loopback emulator: a fetch killed with SIGKILL at several
 * points leaves only valid files, and the rerun ends byte-identical to an uninterrupted fetch.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../../src/data/catalog.js';
import { readSeriesFile } from '../../../src/data/store.js';
import { startEmulator, type Emulator } from './emulator/server.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
let emu: Emulator;
const dirs: string[] = [];
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'perpcarry-kill-'));
  dirs.push(d);
  return d;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `perpcarry …` from source; `killAfter(n)` may SIGKILL it after the n-th data response. */
function cli(args: string[], killAt?: { n: number; delayMs: number }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/data/fetch/run-cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    emu.reset();
    if (killAt) {
      emu.onDataResponse = (n) => {
        if (n === killAt.n) setTimeout(() => child.kill('SIGKILL'), killAt.delayMs);
      };
    }
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const fetchArgs = (dataDir: string): string[] => [
  'data', 'fetch', '--exchange', 'binance', '--symbol', 'BTC/USDT:USDT', '--kinds', 'funding,ohlcv,mark',
  '--since', '2025-10-08', '--until', '2025-10-12', '--data-dir', dataDir, '--api-base', emu.base,
  '--page-limit', '8', '--flush-rows', '1', '--retries', '2', '--backoff-ms', '20', '--now', '2026-11-01',
];

/** Every file under a data dir (relative path → bytes), temp files and machine-local dotfiles (.verified.json cache, locks) excluded. */
function files(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.endsWith('.tmp') && !e.name.startsWith('.')) out[relative(dir, p)] = readFileSync(p);
    }
  };
  walk(dir);
  return out;
}

describe('data fetch killed with SIGKILL', () => {
  it('leaves valid files at every kill point, and the rerun ends byte-identical to an uninterrupted fetch', async () => {
    const whole = tmp();
    const full = await cli([...fetchArgs(whole), '--json']);
    expect(full.stderr).toBe('');
    expect(full.code).toBe(0);
    const summary = JSON.parse(full.stdout) as { series: { kind: string; rowsInFile: number; requests: number }[] };
    expect(summary.series.map((s) => [s.kind, s.rowsInFile])).toEqual([
      ['funding', 12],
      ['ohlcv', 96],
      ['mark', 96],
    ]);
    const totalRequests = summary.series.reduce((a, s) => a + s.requests, 0);
    expect(totalRequests).toBe(36); // 96 h / 8 per page, three series

    const killed = tmp();
    // kill in funding, ohlcv and mark, right after a response and a few ms later (mid-store)
    // (each rerun resumes, so later runs have fewer requests left: the points are per run)
    const points = [
      { n: 4, delayMs: 0 },
      { n: 12, delayMs: 3 },
      { n: 9, delayMs: 1 },
    ];
    for (const killAt of points) {
      const run = await cli(fetchArgs(killed), killAt);
      expect(run.signal).toBe('SIGKILL');
      // every stored file is whole and clean
      const cat = readCatalog(killed);
      for (const e of cat.entries) {
        const s = readSeriesFile(join(killed, e.path));
        for (let i = 1; i < s.ts.length; i++) expect(s.ts[i]!).toBeGreaterThan(s.ts[i - 1]!);
      }
      for (const p of Object.keys(files(killed))) if (p.endsWith('.arrow')) expect(readSeriesFile(join(killed, p)).ts.length).toBeGreaterThan(0);
    }
    const rerun = await cli(fetchArgs(killed));
    expect(rerun.code).toBe(0);
    expect(files(killed)).toEqual(files(whole));
    expect(Object.keys(files(whole)).sort()).toEqual([
      'binance/BTC-USDT-USDT/funding.arrow',
      'binance/BTC-USDT-USDT/mark-1h.arrow',
      'binance/BTC-USDT-USDT/ohlcv-1h.arrow',
      'catalog.json',
    ]);
    // Eight CLI processes run from source through tsx: minutes on a loaded 2-core machine.
  }, 300_000);

  it('an unreachable exchange exits 3 with a clear message and creates nothing', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const dir = join(tmp(), 'store');
    const base = `http://127.0.0.1:${port}`;
    const run = await cli(['data', 'fetch', '--exchange', 'okx', '--symbol', 'BTC/USDT:USDT', '--since', '2026-02-04', '--data-dir', dir, '--api-base', base, '--retries', '1', '--backoff-ms', '10', '--timeout-ms', '2000']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`perpcarry: okx is unreachable at ${base}: okx loadMarkets got no response in 2 attempts`);
    expect(run.stderr).toMatch(/Nothing was stored\.\n$/);
    expect(existsSync(dir)).toBe(false);
  });

  it('bad options are named: unknown symbol, bad kind', async () => {
    const dir = tmp();
    const sym = await cli(['data', 'fetch', '--exchange', 'binance', '--symbol', 'DOGE/USDT:USDT', '--since', '2025-10-08', '--until', '2025-10-09', '--data-dir', dir, '--api-base', emu.base]);
    expect(sym.code).toBe(1);
    expect(sym.stderr).toMatch(/--symbol: binance has no market DOGE\/USDT:USDT/);
    const kind = await cli(['data', 'fetch', '--exchange', 'binance', '--symbol', 'BTC/USDT:USDT', '--kinds', 'funding,trades', '--since', '2025-10-08', '--data-dir', dir, '--api-base', emu.base]);
    expect(kind.code).toBe(1);
    expect(kind.stderr).toMatch(/--kinds: unknown kind "trades"/);
  });
});
