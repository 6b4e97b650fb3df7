import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tmpDir } from '../support/paths.js';
import { coverageWarnings } from '../../src/cli/backtest-run.js';
import { makeInstruments, type MarketData } from '../../src/engine/data.js';

const BIN = join(ROOT, 'bin', 'perpcarry.mjs');

/** Run the compiled CLI as a user would (non-TTY, so help wraps at 100 columns). */
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, COLUMNS: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('run `npx tsc -p .` first (npm test does)');
});

describe('perpcarry --help', () => {
  it('wraps at word boundaries (yargs ESM help cut "future/s." and "a/nd")', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('perpcarry <command> [options]');
    expect(r.stdout).toContain('Historical backtesting for funding-rate arbitrage on perpetual futures.\n');
    expect(r.stdout).toMatch(/bounds\s*\n\s+and help/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
  });

  it('--version prints perpcarry\'s version from any working directory (yargs looked above the cwd: "unknown" outside the checkout)', () => {
    const want = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const cwd of [ROOT, tmpDir('perpcarry-version-')]) {
      const r = spawnSync(process.execPath, [BIN, '--version'], { cwd, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${want}\n`);
    }
  });

  it('data --help names its subcommand slot', () => {
    const r = cli(['data', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('perpcarry data <command> [options]');
  });
});

describe('backtest data coverage', () => {
  it('warns when the perp bars end inside the window (ETH perp 1h ends 2026-03-31 03:00)', () => {
    const out = tmpDir('pc-cov-');
    const r = cli(['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT',
      '--from', '2026-03-01', '--to', '2026-05-01', '--no-report', '--out', join(out, 'run')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: binance ETH/USDT:USDT 1h bars cover only 2026-03-01T00:00:00.000Z → 2026-03-31T04:00:00.000Z of the window');
    expect(r.stderr).not.toContain('binance ETH/USDT 1h bars'); // spot 1h runs to 2026-05-16
  });

  it('does not warn about Bybit/OKX 8h bars at 04/12/20 UTC whose last bar would close after the window', () => {
    const out = tmpDir('pc-cov-');
    // the README's ethena-style example: Binance bars at 00/08/16, Bybit/OKX at 04/12/20 UTC
    const r = cli(['backtest', '--strategy', 'ethena-style', '--venue', 'binance,bybit,okx', '--symbol', 'BTC/USDT', '--timeframe', '8h',
      '--from', '2023-01-01', '--to', '2024-07-01', '--param', 'weights=binance:0.5,bybit:0.3,okx:0.2', '--no-report', '--out', join(out, 'run')]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('cover only');
  });

  it('warns when a perp has no funding settlement in the window, and is quiet when all is covered', () => {
    const [spot, perp] = makeInstruments([{ venue: 'bybit', symbol: 'ETH/USDT' }, { venue: 'bybit', symbol: 'ETH/USDT:USDT' }]);
    const H = 3_600_000;
    const bars = (n: number) => {
      const ts = Float64Array.from({ length: n }, (_, i) => i * H);
      const x = new Float64Array(n).fill(1);
      return { ts, open: x, high: x, low: x, close: x, volume: x };
    };
    const market: MarketData = {
      instruments: [spot!, perp!], timeframe: '1h', timeframeMs: H, fromMs: 0, toMs: 8 * H,
      bars: [bars(8), bars(8)], mark: [null, null], index: [null, null],
      // one settlement before the window (trailing history) and none inside it
      funding: [null, { ts: Float64Array.of(0), rate: Float64Array.of(1e-4), intervalHours: Float64Array.of(8), markPrice: Float64Array.of(NaN) }],
      files: [], problems: [],
    };
    expect(coverageWarnings(market)).toEqual(['bybit ETH/USDT:USDT: no funding settlements stored in the window; its funding PnL is zero']);
    market.funding[1] = { ts: Float64Array.of(8 * H), rate: Float64Array.of(1e-4), intervalHours: Float64Array.of(8), markPrice: Float64Array.of(NaN) };
    expect(coverageWarnings(market)).toEqual([]);
    market.bars[0] = bars(5);
    expect(coverageWarnings(market)).toEqual([
      'bybit ETH/USDT 1h bars cover only 1970-01-01T00:00:00.000Z → 1970-01-01T05:00:00.000Z of the window 1970-01-01T00:00:00.000Z → 1970-01-01T08:00:00.000Z (see `perpcarry data list`)',
    ]);
  });
});

describe('backtest --out', () => {
  const run = (out: string) =>
    cli(['backtest', '--strategy', 'hold-perp', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--no-report', '--out', out]);

  it('refuses to replace a file or a non-run directory (it used to delete README.md for --out README.md)', () => {
    const dir = tmpDir('pc-out-');
    const file = join(dir, 'notes.md');
    writeFileSync(file, 'keep me');
    let r = run(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`perpcarry: --out ${file}: exists and is not a directory; give a new or run directory (it is replaced as a whole)\n`);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    const other = join(dir, 'src');
    mkdirSync(other);
    writeFileSync(join(other, 'a.ts'), 'x');
    r = run(other);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--out ${other}: a non-empty directory that is not a run directory (no run.json)`);
    expect(readFileSync(join(other, 'a.ts'), 'utf8')).toBe('x');
    // a path under a file: a clear error naming --out, not an internal error
    r = run(join(file, 'run'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^perpcarry: cannot write the run directory .*notes\.md\/run \(--out\): EEXIST/);
    // an existing run directory is replaced (a rerun)
    expect(run(join(dir, 'run')).code).toBe(0);
    expect(run(join(dir, 'run')).code).toBe(0);
    expect(existsSync(join(dir, 'run', 'run.json'))).toBe(true);
  });
});

describe('report and compare output errors', () => {
  it('name the directory they cannot write, with exit 1, not an internal error', () => {
    const dir = tmpDir('pc-rep-');
    const runDir = join(dir, 'run');
    expect(cli(['backtest', '--strategy', 'hold-perp', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--no-report', '--out', runDir]).code).toBe(0);
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    let r = cli(['compare', runDir, runDir, '--out', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^perpcarry: cannot write compare.html\/compare.md in .*file \(--out\): EEXIST/);
    r = cli(['compare', runDir, runDir, '--out', join(file, 'sub')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(--out): ENOTDIR');
    // something in the way of report.md (a read-only directory acts alike; tests run as root)
    mkdirSync(join(runDir, 'report.md'));
    writeFileSync(join(runDir, 'report.md', 'x'), 'x');
    r = cli(['report', runDir, '--no-html']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^perpcarry: cannot write the report in .*run: /);
    expect(r.stderr).not.toContain('internal error');
  });
});

describe('options given twice', () => {
  it('are an error naming the option (yargs made arrays: "binance,bybit", "5,6", a TypeError for --strategy)', () => {
    let r = cli(['backtest', '--strategy', 'delta-neutral', '--strategy', 'hold-perp', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('perpcarry: --strategy was given 2 times (delta-neutral, hold-perp); it takes one value\n');
    r = cli(['data', 'inspect', 'binance', 'BTC/USDT', 'ohlcv', '--timeframe', '1h', '--timeframe', '8h']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('perpcarry: --timeframe was given 2 times (1h, 8h); it takes one value\n');
    r = cli(['data', 'list', '--data-dir', 'data', '--data-dir', 'data']);
    expect(r.stderr).toContain('--data-dir was given 2 times');
    r = cli(['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--capital', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('perpcarry: --capital expects a number\n');
    r = cli(['data', 'import', 'x.csv', '--venue', 'binance', '--symbol', 'BTC/USDT', '--kind', 'funding', '--interval-hours', 'eight']);
    expect(r.stderr).toBe('perpcarry: --interval-hours expects a number\n');
    r = cli(['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--param']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('perpcarry: --param needs a value: --param name=value\n');
  });

  it('repeatable options and variadic positionals still repeat', () => {
    const dir = tmpDir('pc-rep2-');
    const r = cli(['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03',
      '--param', 'leverage=3', '--param', 'entryApr=0.1', '--no-report', '--json', '--out', join(dir, 'run')]);
    expect(r.code).toBe(0);
    const run = JSON.parse(readFileSync(join(dir, 'run', 'run.json'), 'utf8')) as { params: Record<string, unknown> };
    expect(run.params).toMatchObject({ leverage: 3, entryApr: 0.1 });
    const imp = cli(['data', 'import', join(dir, 'a.csv'), join(dir, 'b.csv'), '--venue', 'binance', '--symbol', 'BTC/USDT', '--kind', 'ohlcv',
      '--timeframe', '1h', '--map', 'open=o', '--map', 'close=c', '--data-dir', join(dir, 'data')]);
    expect(imp.stderr).toBe(`perpcarry: ${join(dir, 'a.csv')}: file not found\n`);
  });
});

describe('compare on real runs', () => {
  it('does not call a file that one strategy does not read "different input data" (delta-neutral vs hold-perp)', () => {
    const dir = tmpDir('pc-cmp-');
    const base = ['--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--no-report'];
    expect(cli(['backtest', '--strategy', 'delta-neutral', ...base, '--out', join(dir, 'dn')]).code).toBe(0);
    expect(cli(['backtest', '--strategy', 'hold-perp', ...base, '--out', join(dir, 'hp')]).code).toBe(0);
    const r = cli(['compare', join(dir, 'dn'), join(dir, 'hp'), '--out', join(dir, 'cmp')]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('WARNING');
    expect(r.stderr).toBe('');
  });
});

describe('backtest --config', () => {
  it('names the run.json and the field at fault (null used to be a TypeError)', () => {
    const dir = tmpDir('pc-cfg-');
    const cfg = join(dir, 'run.json');
    const run = () => cli(['backtest', '--config', cfg, '--no-report', '--out', join(dir, 'out')]);
    writeFileSync(cfg, 'null');
    expect(run()).toMatchObject({ code: 1, stderr: `perpcarry: --config ${cfg}: expected a run.json object (see docs/RUN_FORMAT.md)\n` });
    writeFileSync(cfg, '{}');
    expect(run()).toMatchObject({ code: 1, stderr: `perpcarry: --config ${cfg} names no strategy ("strategy": {"name": …}); give --strategy\n` });
    writeFileSync(cfg, JSON.stringify({ strategy: { name: 'hold-perp' }, venues: 'binance' }));
    expect(run()).toMatchObject({ code: 1, stderr: `perpcarry: --config ${cfg}: "venues" must be an array of venue ids (got "binance")\n` });
    writeFileSync(cfg, JSON.stringify({ strategy: { name: 'hold-perp' }, venues: ['binance'], symbol: 'ETH/USDT', fromMs: '2025-02-02', toMs: 1738713600000 }));
    expect(run()).toMatchObject({ code: 1, stderr: `perpcarry: --config ${cfg}: "fromMs" must be a finite number (got "2025-02-02")\n` });
    // a real run.json reruns
    writeFileSync(cfg, JSON.stringify({ strategy: { name: 'hold-perp' }, venues: ['binance'], symbol: 'ETH/USDT', fromMs: 1738454400000, toMs: 1738713600000 }));
    expect(run().code).toBe(0);
  });
});

describe('data commands with a data directory that does not exist', () => {
  it('list, inspect, windows and reindex name it and exit 1 (list printed "0 series" with exit 0; reindex an ENOENT)', () => {
    const missing = join(tmpDir('pc-dd-'), 'nope');
    for (const args of [['data', 'list'], ['data', 'windows'], ['data', 'reindex'], ['data', 'inspect', 'binance', 'BTC/USDT', 'funding']]) {
      const r = cli([...args, '--data-dir', missing]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toBe(`perpcarry: data directory ${missing} (--data-dir) does not exist\n`);
    }
    expect(cli(['data', 'list', '--data-dir', join(ROOT, 'README.md')]).stderr).toBe(`perpcarry: data directory ${join(ROOT, 'README.md')} (--data-dir) is not a directory\n`);
  });
});

describe('data import into an unwritable store', () => {
  it('names the data directory, exit 1, nothing stored (was an internal ENOTDIR)', () => {
    const dir = tmpDir('pc-imp-');
    const file = join(dir, 'store');
    writeFileSync(file, 'not a directory');
    const r = cli(['data', 'import', join(ROOT, 'test', 'fixtures', 'data', 'ETHUSDT_1h_spot_2025-02-02_roshan.csv'), '--venue', 'binance',
      '--symbol', 'ETH/USDT', '--kind', 'ohlcv', '--timeframe', '1h', '--data-dir', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^perpcarry: cannot write to the data directory .*store \(--data-dir\): ENOTDIR: .*; nothing was stored\n$/);
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });
});
