/**
 * Lazy imports (issue 13): a backtest loads neither ccxt, danfojs/tensorflow nor the report code
 * unless it writes a report; `--report` does load the report code. A backtest over files already
 * verified reads its windows without apache-arrow (src/data/ipc-window.ts), so it must not load
 * Arrow at all; only the first run over a file (whole-file read, hash, validation) may. Every
 * module the CLI process loads is recorded by test/support/record-imports.mjs (ESM resolve hook +
 * CommonJS Module._load); when the process loads the one-file build of the backtest
 * (scripts/bundle-cli.ts), the modules folded into it (its manifest) count as loaded too.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ROOT, tmpDir } from '../support/paths.js';

const BUNDLE = join(ROOT, 'dist', 'src', 'cli', 'backtest-run.bundle.js');

/** A data directory with the bundled Binance ETH series and the catalog (a copy: the runs record their verdicts in it). */
function ethDataDir(): string {
  const dir = join(tmpDir('perpcarry-lazy-data-'), 'data');
  mkdirSync(join(dir, 'binance'), { recursive: true });
  cpSync(join(ROOT, 'data', 'catalog.json'), join(dir, 'catalog.json'));
  for (const series of ['ETH-USDT', 'ETH-USDT-USDT']) cpSync(join(ROOT, 'data', 'binance', series), join(dir, 'binance', series), { recursive: true });
  return dir;
}

/** True when `mods` has the backtest bundle. */
const bundleLoaded = (mods: string[]): boolean => mods.some((m) => m.endsWith('dist/src/cli/backtest-run.bundle.js'));

/**
 * The modules (one `esm <url>` or `cjs <path>` per line) loaded by `perpcarry <argv>`, plus
 * `bundled <path>` for each module folded into the backtest bundle when that was loaded.
 */
function loadedModules(argv: string[], env: Record<string, string> = {}): string[] {
  const dir = tmpDir('perpcarry-lazy-');
  const rec = join(dir, 'imports.txt');
  const r = spawnSync(process.execPath, ['--import', join(ROOT, 'test', 'support', 'record-imports.mjs'), join(ROOT, 'bin', 'perpcarry.mjs'), ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env, PERPCARRY_RECORD_IMPORTS: rec },
  });
  expect(r.status, r.stderr).toBe(0);
  const mods = readFileSync(rec, 'utf8').trim().split('\n');
  if (!bundleLoaded(mods)) return mods;
  const manifest = JSON.parse(readFileSync(BUNDLE.replace(/\.js$/, '.json'), 'utf8')) as { files: { path: string }[] };
  return [...mods, ...manifest.files.map((f) => `bundled ${resolve(dirname(BUNDLE), f.path)}`)];
}

function backtestModules(dataDir: string, extra: string[], env: Record<string, string> = {}): string[] {
  const out = join(tmpDir('perpcarry-lazy-run-'), 'run');
  return loadedModules(['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--data-dir', dataDir, '--out', out, '--json', ...extra], env);
}

/** Code a plain backtest never needs: exchange fetching, dataframes, charts, queues, worker pools, browsers, reports, research. */
const HEAVY = /node_modules\/(ccxt|danfojs-node|@tensorflow|mathjs|uplot|bullmq|ioredis|tinypool|playwright-core|@sparticuz|hyparquet|fzstd|yaml|tsx)\/|dist\/src\/(analysis\/report|data\/fetch|research)\//;
const heavy = (mods: string[]): string[] => mods.filter((m) => HEAVY.test(m));
const arrowFiles = (mods: string[]): string[] => [...new Set(mods.filter((m) => m.includes('node_modules/apache-arrow/')).map((m) => m.replace(/^.*node_modules\/apache-arrow\//, '')))];
const commandModules = (mods: string[]): string[] => [...new Set(mods.filter((m) => m.includes('dist/src/cli/commands/')).map((m) => m.replace(/^.*dist\/src\/cli\/commands\//, '')))].sort();

describe('lazy imports', () => {
  let dataDir = '';
  let firstRun: string[] = [];
  beforeAll(() => {
    // The bundle current for the modules tsc wrote (npm test builds it; a bare tsc leaves it stale).
    const b = spawnSync(process.execPath, [join(ROOT, 'dist', 'scripts', 'bundle-cli.js')], { cwd: ROOT, encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
    dataDir = ethDataDir();
    // First sight of the files: read whole, hashed, validated (the Arrow fallback path).
    firstRun = backtestModules(dataDir, []);
  }, 120_000);

  test('the first run over unverified files decodes them with the one-file Arrow build, nothing heavier', () => {
    expect(firstRun.some((m) => m.includes('dist/src/engine/'))).toBe(true);
    expect(heavy(firstRun)).toEqual([]);
    // apache-arrow comes in as its one-file build (src/data/arrow-lib.ts), not its ~200 ES modules.
    expect(arrowFiles(firstRun)).toEqual(['Arrow.esnext.min.js']);
  });

  test.each([
    ['its one-file build', {}],
    ['the modules tsc wrote (PERPCARRY_BUNDLE=0)', { PERPCARRY_BUNDLE: '0' }],
  ])('a backtest over verified files, through %s, loads no apache-arrow, ccxt, danfojs, report code nor the other commands', (_how, env: Record<string, string>) => {
    const mods = backtestModules(dataDir, [], env);
    expect(bundleLoaded(mods)).toBe(env['PERPCARRY_BUNDLE'] !== '0');
    // the recorder works: it saw the engine, the window reader and the run writer
    expect(mods.some((m) => m.includes('dist/src/engine/engine.js'))).toBe(true);
    expect(mods.some((m) => m.includes('dist/src/data/ipc-window.js'))).toBe(true);
    expect(mods.some((m) => m.includes('dist/src/analysis/run-writer.js'))).toBe(true);
    expect(heavy(mods)).toEqual([]);
    expect(arrowFiles(mods)).toEqual([]);
    expect(commandModules(mods)).toEqual(['backtest.js']);
  }, 60_000);

  test('--report loads the report code (and so the recorder would see a regression)', () => {
    const mods = backtestModules(dataDir, ['--report', '--no-html']);
    expect(heavy(mods).some((m) => m.includes('dist/src/analysis/report/'))).toBe(true);
    expect(heavy(mods).some((m) => m.includes('node_modules/danfojs-node/'))).toBe(true);
  }, 60_000);

  test('top-level --help still loads every command module (it lists them all)', () => {
    expect(commandModules(loadedModules(['--help']))).toEqual(['backtest.js', 'compare.js', 'data.js', 'montecarlo.js', 'report.js', 'scenarios.js', 'strategies.js', 'sweep.js', 'walk-forward.js', 'worker.js']);
  }, 60_000);
});
