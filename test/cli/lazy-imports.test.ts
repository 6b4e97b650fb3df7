/**
 * Lazy imports (issue 13): a backtest loads neither ccxt, danfojs/tensorflow nor the report code
 * unless it writes a report; `--report` does load the report code. Every module the CLI process
 * loads is recorded by test/support/record-imports.mjs (ESM resolve hook + CommonJS Module._load).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, tmpDir } from '../support/paths.js';

function loadedModules(extra: string[]): string[] {
  const dir = tmpDir('perpcarry-lazy-');
  const rec = join(dir, 'imports.txt');
  const r = spawnSync(
    process.execPath,
    ['--import', join(ROOT, 'test', 'support', 'record-imports.mjs'), join(ROOT, 'bin', 'perpcarry.mjs'), 'backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--out', join(dir, 'run'), '--json', ...extra],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PERPCARRY_RECORD_IMPORTS: rec } },
  );
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(rec, 'utf8').trim().split('\n');
}

const heavy = (mods: string[]): string[] => mods.filter((m) => /node_modules\/(ccxt|danfojs-node|@tensorflow|mathjs|uplot)\/|dist\/src\/(analysis\/report|data\/fetch)\//.test(m));

describe('lazy imports', () => {
  test('a backtest without --report loads no ccxt, danfojs, tensorflow, mathjs, uplot or report code', () => {
    const mods = loadedModules([]);
    // the recorder works: it saw the engine and the run writer
    expect(mods.some((m) => m.includes('dist/src/engine/'))).toBe(true);
    expect(mods.some((m) => m.includes('dist/src/analysis/run-writer.js'))).toBe(true);
    expect(heavy(mods)).toEqual([]);
    // apache-arrow comes in as its one-file build (src/data/arrow-lib.ts), not its ~200 ES modules.
    const arrow = [...new Set(mods.filter((m) => m.includes('node_modules/apache-arrow/')).map((m) => m.replace(/^.*node_modules\/apache-arrow\//, '')))];
    expect(arrow).toEqual(['Arrow.esnext.min.js']);
  }, 60_000);

  test('--report loads the report code (and so the recorder would see a regression)', () => {
    const mods = loadedModules(['--report', '--no-html']);
    expect(heavy(mods).some((m) => m.includes('dist/src/analysis/report/'))).toBe(true);
    expect(heavy(mods).some((m) => m.includes('node_modules/danfojs-node/'))).toBe(true);
  }, 60_000);
});
