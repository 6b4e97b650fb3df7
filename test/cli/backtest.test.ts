/**
 * `perpcarry backtest` end to end through the compiled CLI (`npm test` compiles first): output,
 * the run directory, rerun from run.json, refusal of bad data, strategy loading errors.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { readSeriesFile } from '../../src/data/store.js';
import { tempDataDir, writeBars, writeFunding } from '../support/series.js';

const root = process.cwd();
const bin = join(root, 'bin', 'perpcarry.mjs');

function cli(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'commands', 'backtest.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does) before these tests');
});

describe('backtest CLI', () => {
  const out = tempDataDir('perpcarry-cli-');
  const runA = join(out, 'a');

  test('runs delta-neutral on the bundled Feb 2025 window, prints the summary, writes the run dir', () => {
    const r = cli(['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--out', runA]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('delta-neutral  binance ETH/USDT  2025-02-02T00:00Z → 2025-02-05T00:00Z');
    expect(r.out).toMatch(/pnl +funding -19\.65 +trading -5\.45 +fees -189\.44/);
    expect(r.out).toContain(`report       ${runA}`);
    // A short run reads in k events/s, not "0.0 M events/s".
    // … and says how many of them were replayed in bulk while the strategy slept (ctx.sleep).
    expect(r.out).toMatch(/speed +225 events in [\d.]+ ms \([\d.]+ [kM] events\/s; [\d.]+ % replayed in bulk while the strategy slept\)/);
    const files = readdirSync(runA).sort();
    // The default outputs: no equity.csv (--csv), no report (--report; the summary says how).
    expect(files).toEqual(['equity.arrow', 'funding.csv', 'ledger.csv', 'liquidations.csv', 'position-changes.csv', 'positions.csv', 'run.json', 'run.log', 'summary.json', 'trades.csv']);
    expect(r.out).toContain(`npx perpcarry report ${runA}`);
    // position-changes.csv: the entry (spot long, perp short in equal qty) and the exit, hand-checkable
    // against trades.csv.
    const pos = readFileSync(join(runA, 'position-changes.csv'), 'utf8').trim().split('\n');
    expect(pos[0]).toBe('ts,venue,symbol,type,qty,entryPrice,price,notional,isolatedMargin,liquidationPrice');
    const trades = readFileSync(join(runA, 'trades.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const first = pos.slice(1, 3).map((l) => l.split(','));
    expect(first.map((c) => [c[2], c[3]])).toEqual([['ETH/USDT', 'spot'], ['ETH/USDT:USDT', 'perp']]);
    expect(Number(first[0]![4])).toBe(Number(trades[0]![4]));
    expect(Number(first[1]![4])).toBe(-Number(trades[1]![4]));
    // The perp's entry is its fill's reference price (the slippage is booked apart): 3149.685 sold + 0.315 slippage.
    expect(Number(first[1]![5])).toBeCloseTo(Number(trades[1]![5]) + Number(trades[1]![7]) / Number(trades[1]![4]), 9);
    expect(Number(first[1]![5])).toBeCloseTo(3150, 9);
    // positions.csv: the round trips, one per leg, entered at the fills' reference prices and
    // closed by the strategy's exit (tag exit); the rows sum to the attribution.
    const rt = readFileSync(join(runA, 'positions.csv'), 'utf8').trim().split('\n');
    const rtHeader = rt[0]!.split(',');
    expect(rt[0]).toBe('venue,symbol,type,side,openTs,openIso,closeTs,closeIso,qty,entryPrice,exitPrice,holdingHours,funding,trading,fees,slippage,interest,liquidation,adl,net,exitReason,fills');
    const rtRows = rt.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, k) => [rtHeader[k]!, v])));
    expect(rtRows.map((x) => [x['symbol'], x['type'], x['side'], x['exitReason']])).toEqual([['ETH/USDT', 'spot', 'long', 'exit'], ['ETH/USDT:USDT', 'perp', 'short', 'exit']]);
    expect(Number(rtRows[1]!['entryPrice'])).toBeCloseTo(3150, 9);
    expect(Number(rtRows[0]!['qty'])).toBe(Number(trades[0]![4]));
    const pnl = JSON.parse(readFileSync(join(runA, 'summary.json'), 'utf8')).pnl as Record<string, number>;
    for (const k of ['funding', 'trading', 'fees', 'slippage', 'interest', 'liquidation', 'adl', 'net'] as const) {
      const sum = rtRows.reduce((a, x) => a + Number(x[k]), 0);
      expect(sum, k).toBeCloseTo(k === 'net' ? pnl['total']! : pnl[k]!, 9);
    }
    expect(pnl['funding']).toBeCloseTo(-19.65, 2);
    const run = JSON.parse(readFileSync(join(runA, 'run.json'), 'utf8'));
    expect(run.params).toEqual({ leverage: 2, entryApr: 0.05, exitApr: 0, lookback: 9, rebalanceBand: 0.05, topUp: true, topUpRatio: 0.5, minLiqDistance: 0.15, marginMode: 'cross', adlResponse: 'unwind' });
    expect(run.window).toBe('2025-02-03');
    expect(run.data.length).toBe(4);
    expect(run.data[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    const summary = readFileSync(join(runA, 'summary.json'), 'utf8');
    expect(summary).not.toMatch(/Ms"|createdAt|timing/);
    // No temp directory left behind.
    expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  test('--config run.json reruns to a byte-identical summary', () => {
    const runB = join(out, 'b');
    const r = cli(['backtest', '--config', join(runA, 'run.json'), '--out', runB, '--no-report', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.runDir).toBe(runB);
    expect(readFileSync(join(runB, 'summary.json')).equals(readFileSync(join(runA, 'summary.json')))).toBe(true);
    expect(readFileSync(join(runB, 'ledger.csv')).equals(readFileSync(join(runA, 'ledger.csv')))).toBe(true);
    expect(readFileSync(join(runB, 'equity.arrow')).equals(readFileSync(join(runA, 'equity.arrow')))).toBe(true);
  });

  test('--csv adds equity.csv (every sample, the same values as equity.arrow); --report adds report.md/html', () => {
    const runC = join(out, 'c');
    const r = cli(['backtest', '--config', join(runA, 'run.json'), '--out', runC, '--csv', '--report', '--no-html']);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(runC).sort()).toEqual(['equity.arrow', 'equity.csv', 'funding.csv', 'ledger.csv', 'liquidations.csv', 'position-changes.csv', 'positions.csv', 'report.md', 'run.json', 'run.log', 'summary.json', 'trades.csv']);
    const md = readFileSync(join(runC, 'report.md'), 'utf8');
    expect(md).toContain('## Round trips');
    expect(md).toMatch(/\| delta-neutral \(all legs\) \| 2 \| 2 \| 0 \|/);
    const lines = readFileSync(join(runC, 'equity.csv'), 'utf8').trim().split('\n');
    const eq = readSeriesFile(join(runC, 'equity.arrow'));
    expect(lines[0]).toBe(['ts', ...Object.keys(eq.columns)].join(','));
    expect(lines.length - 1).toBe(eq.ts.length);
    const last = lines[lines.length - 1]!.split(',');
    expect(Number(last[0])).toBe(eq.ts[eq.ts.length - 1]);
    expect(Number(last[1])).toBeCloseTo(eq.columns['equity']![eq.ts.length - 1]!, 4);
  });

  test('bad params, windows and strategies give clear errors and a non-zero exit', () => {
    const base = ['backtest', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--no-report', '--out', join(out, 'x')];
    let r = cli([...base, '--strategy', 'delta-neutral', '--param', 'leverage=abc']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('param "leverage": "abc" is not a number');
    r = cli([...base, '--strategy', 'delta-neutral', '--param', 'levrage=2']);
    expect(r.err).toContain('unknown param "levrage" (known: leverage, entryApr');
    // Cross-param rules (exitApr < entryApr) are user errors too, not internal errors with a stack.
    r = cli([...base, '--strategy', 'delta-neutral', '--param', 'exitApr=0', '--param', 'entryApr=0']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('perpcarry: strategy delta-neutral: invalid params: exitApr (0) must be below entryApr (0) for hysteresis (given: exitApr=0 entryApr=0)\n');
    r = cli([...base, '--strategy', 'hold-perp', '--param', 'leverage=0.01']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('perpcarry: strategy hold-perp: param "leverage": 0.01 is below the minimum 0.1 ×\n');
    // A strategy whose create() throws on its params: reported with the strategy's message.
    const picky = join(out, 'picky.js');
    writeFileSync(picky, 'export default { name: "picky", description: "d", params: {}, universe: (i) => [{ venue: i.venues[0], symbol: i.symbol }], create() { throw new Error("picky: needs more"); } };\n');
    r = cli([...base, '--strategy', picky]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`perpcarry: strategy picky threw in create(params): Error: picky: needs more\n  at ${picky}:1:${r.err.match(/picky\.js:1:(\d+)/)?.[1]} (strategy code)\n`);
    r = cli([...base, '--strategy', 'no-such-strategy']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('unknown strategy "no-such-strategy"');
    const bad = join(out, 'bad.ts');
    writeFileSync(bad, 'export default { name: "Bad Name", params: {} };\n');
    r = cli([...base, '--strategy', bad]);
    expect(r.err).toContain('not a valid strategy factory');
    expect(r.err).toContain('name must be a kebab-case string');
    const broken = join(out, 'broken.js');
    writeFileSync(broken, 'export default {;\n');
    r = cli([...base, '--strategy', broken]);
    expect(r.err).toContain(`strategy ${broken} failed to load`);
    r = cli(['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', 'someday']);
    expect(r.err).toContain('--window "someday": not a known window');
    expect(existsSync(join(out, 'x'))).toBe(false);
  });

  test('a user strategy in TypeScript loads from a path', () => {
    const file = join(out, 'my-hold.ts');
    writeFileSync(
      file,
      `import type { StrategyFactory } from '${join(root, 'src', 'strategy', 'types.js')}';
const f: StrategyFactory = {
  name: 'my-hold', description: 'buy spot and hold', params: { frac: { type: 'number', default: 0.5, min: 0, max: 1, help: 'fraction' } },
  universe: (i) => [{ venue: i.venues[0]!, symbol: i.symbol }],
  create: (p) => ({ onStart(ctx) { ctx.order({ instrument: ctx.market.instruments()[0]!, side: 'buy', notional: 100000 * (p.frac as number) * 0.99 }); } }),
};
export default f;
`,
    );
    const r = cli(['backtest', '--strategy', file, '--param', 'frac=0.25', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--no-report', '--json', '--out', join(out, 'user')]);
    expect(r.err).toBe('');
    const j = JSON.parse(r.out);
    expect(j.summary.strategy).toBe('my-hold');
    // the buy, and the sale that closes the book at the window end (default since issue 11.2)
    expect(j.summary.metrics.tradeCount).toBe(2);
  });
});

describe('data validation at backtest time', () => {
  test('refuses data with errors unless --accept-data-errors', () => {
    const dir = tempDataDir('perpcarry-bad-');
    const H = 3_600_000;
    const t0 = Date.UTC(2025, 0, 1);
    const rows = Array.from({ length: 48 }, () => [100, 101, 99, 100, 1]);
    rows[5] = [100, 99, 101, 100, 1]; // low > high
    writeBars(dir, 'binance', 'ETH/USDT', 'ohlcv', '1h', H, t0, rows);
    writeBars(dir, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, t0, Array.from({ length: 48 }, () => [100, 101, 99, 100, 1]));
    writeFunding(dir, 'binance', 'ETH/USDT:USDT', [[t0 + 8 * H, 0.0001, 8]]);
    const args = ['backtest', '--strategy', 'hold-perp', '--venue', 'binance', '--symbol', 'ETH/USDT', '--from', '2025-01-01', '--to', '2025-01-03', '--data-dir', dir, '--no-report', '--out', join(dir, 'run')];
    // hold-perp only loads the perp: make it load the bad spot via delta-neutral instead.
    args[2] = 'delta-neutral';
    let r = cli(args);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('binance/ETH-USDT/ohlcv-1h.arrow');
    expect(r.err).toContain('--accept-data-errors');
    expect(existsSync(join(dir, 'run'))).toBe(false);
    r = cli([...args, '--accept-data-errors']);
    expect(r.code).toBe(0);
  });
});

test('events/s in the summary: M from a million up, k below', async () => {
  const { rate } = await import('../../src/cli/backtest-run.js');
  expect(rate(14_734_000)).toBe('14.7 M events/s');
  expect(rate(36_123)).toBe('36.1 k events/s');
  expect(rate(NaN)).toBe('n/a');
});
