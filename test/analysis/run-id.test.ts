/**
 * Default run ids: one per resolved config (a short sha256 of it), so runs that differ only in
 * params or models write different report directories, and the same config always the same one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { canonicalJson, configHash, defaultRunId } from '../../src/analysis/run-writer.js';
import { runBacktest, type BacktestConfig } from '../../src/engine/backtest.js';
import holdPerp from '../../strategies/hold-perp/index.js';
import { flat, tempDataDir, writeBars, writeFunding } from '../support/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);

describe('default run id', () => {
  const dir = tempDataDir('perpcarry-runid-');
  writeBars(dir, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, flat([2000, 2010, 2020, 2030]));
  writeFunding(dir, 'binance', 'ETH/USDT:USDT', [[T0 + 2 * H, 0.0001, 8]]);
  const base: BacktestConfig = { strategy: holdPerp, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + 4 * H, dataDir: dir };
  const id = (over: Partial<BacktestConfig> = {}): string => defaultRunId(runBacktest({ ...base, ...over }));

  test('names the run and ends in 8 hex digits of the config hash; deterministic', () => {
    const a = id();
    expect(a).toMatch(/^hold-perp-ETH-USDT-binance-20250101-20250101T0400-s1-[0-9a-f]{8}$/);
    expect(id()).toBe(a);
    // Defaults given explicitly, or as CLI strings, resolve to the same config.
    expect(id({ params: { side: 'long', leverage: '1' } })).toBe(a);
    // The window's name and the data location are not part of the config.
    expect(id({ window: 'named' })).toBe(a);
  });

  test('differs when anything that decides the results differs', () => {
    const a = id();
    const others = [
      id({ params: { leverage: 2 } }),
      id({ params: { side: 'short' } }),
      id({ capital: 50_000 }),
      id({ seed: 2 }),
      id({ fillAt: 'close' }),
      id({ models: { slippage: { params: { bps: 2 } } } }),
      id({ models: { interest: { params: { lendApr: 0.05 } } } }),
      id({ toMs: T0 + 3 * H }),
      id({ fundingHistoryDays: 10 }),
    ];
    expect(new Set([a, ...others]).size).toBe(others.length + 1);
    // Same readable prefix for a params-only change: only the hash tells them apart.
    expect(others[0]!.slice(0, -9)).toBe(a.slice(0, -9));
  });

  test('a seed must be an integer (run.json records it exactly)', () => {
    expect(() => runBacktest({ ...base, seed: NaN })).toThrow('--seed must be an integer (got NaN)');
    expect(() => runBacktest({ ...base, seed: 1.5 })).toThrow('--seed must be an integer (got 1.5)');
  });

  test('the hash is the sha256 of the canonical (key-sorted) JSON of the resolved config', () => {
    expect(canonicalJson({ b: 1, a: { d: NaN, c: [2, { f: 1, e: 0 }] } })).toBe('{"a":{"c":[2,{"e":0,"f":1}],"d":null},"b":1}');
    const r = runBacktest(base);
    expect(configHash(r)).toMatch(/^[0-9a-f]{8}$/);
    expect(defaultRunId(r).endsWith(configHash(r))).toBe(true);
  });

  test('CLI: two backtests differing only in a param write two report dirs; --out still wins', () => {
    const cwd = tempDataDir('perpcarry-runid-cli-');
    const bin = join(process.cwd(), 'bin', 'perpcarry.mjs');
    const run = (...extra: string[]) =>
      spawnSync(process.execPath, [bin, 'backtest', '--strategy', 'hold-perp', '--venue', 'binance', '--symbol', 'ETH/USDT', '--from', '2025-01-01', '--to', '2025-01-01T04:00Z', '--data-dir', dir, '--no-report', '--json', ...extra], { cwd, encoding: 'utf8' });
    const r1 = run('--param', 'leverage=1');
    const r2 = run('--param', 'leverage=2');
    expect(r1.status).toBe(0);
    expect(r2.status).toBe(0);
    const d1 = JSON.parse(r1.stdout).runDir as string;
    const d2 = JSON.parse(r2.stdout).runDir as string;
    expect(d1).not.toBe(d2);
    expect(readdirSync(join(cwd, 'reports')).sort()).toEqual([d1, d2].map((d) => d.slice(d.lastIndexOf('/') + 1)).sort());
    expect(JSON.parse(readFileSync(join(d1, 'run.json'), 'utf8')).params.leverage).toBe(1);
    expect(JSON.parse(readFileSync(join(d2, 'run.json'), 'utf8')).params.leverage).toBe(2);
    // Rerun of the first: same id, same directory (replaced atomically).
    expect(JSON.parse(run('--param', 'leverage=1').stdout).runDir).toBe(d1);
    const out = join(cwd, 'mine');
    const r3 = run('--param', 'leverage=2', '--out', out);
    expect(JSON.parse(r3.stdout).runDir).toBe(out);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).runId).toBe(d2.slice(d2.lastIndexOf('/') + 1));
  });
});
