/**
 * `perpcarry sweep` through the compiled CLI on a synthetic year of 1h data: rows equal single runs,
 * local thread pool equals in-process, a sweep killed with SIGKILL mid-way resumes to identical files.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { decodeResult } from '../../src/research/task.js';
import type { PointRow } from '../../src/analysis/sweep/point.js';
import { tempDataDir } from '../support/series.js';
import { filesOf, writeSweepMarket } from '../support/sweep-market.js';

const root = process.cwd();
const bin = join(root, 'bin', 'perpcarry.mjs');
const data = tempDataDir('perpcarry-sweep-data-');
const out = tempDataDir('perpcarry-sweep-out-');
const base = ['--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'BTC/USDT', '--from', '2024-01-01', '--to', '2024-12-31', '--data-dir', data, '--no-progress'];
const grid = ['--grid', 'leverage=1,2,3', '--grid', 'entryApr=0.02:0.1:0.04', '--grid', 'lookback=3,9'];

function cli(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function sweepDir(root: string): string {
  const ids = readdirSync(root);
  expect(ids.length).toBe(1);
  return join(root, ids[0]!);
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'commands', 'sweep.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does)');
  writeSweepMarket(data, 366);
});

describe('perpcarry sweep', () => {
  test('18 grid points: rows equal single backtests of the same configs, summary for summary', () => {
    const r = cli(['sweep', ...base, ...grid, '--keep-top', '2', '--out', join(out, 'a')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/18 points \(18 run, 0 already done\)/);
    const dir = sweepDir(join(out, 'a'));
    const rows = readFileSync(join(dir, 'rows.jsonl'), 'utf8').trim().split('\n').map((l) => decodeResult<PointRow>(l));
    expect(rows.map((x) => x.point)).toEqual(Array.from({ length: 18 }, (_, i) => i));
    // Cartesian, last axis fastest: point 5 = leverage 1, entryApr 0.1, lookback 9.
    expect(rows[5]!.params).toMatchObject({ leverage: 1, entryApr: 0.1, lookback: 9 });
    // The runs differ (the grid matters) and some trade.
    expect(new Set(rows.map((x) => x.metrics.finalEquity)).size).toBeGreaterThan(5);
    expect(rows.some((x) => x.metrics.tradeCount > 0)).toBe(true);
    for (const k of [0, 7, 17]) {
      const p = rows[k]!.params;
      const single = join(out, `single-${k}`);
      const b = cli(['backtest', ...base.filter((a) => a !== '--no-progress'), '--param', `leverage=${p['leverage']}`, '--param', `entryApr=${p['entryApr']}`, '--param', `lookback=${p['lookback']}`, '--out', single]);
      expect(b.code).toBe(0);
      const summary = JSON.parse(readFileSync(join(single, 'summary.json'), 'utf8')) as { metrics: unknown; pnl: unknown; runId: string };
      const norm = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
      expect(norm(rows[k]!.metrics)).toEqual(summary.metrics);
      expect(norm(rows[k]!.pnl)).toEqual(summary.pnl);
      expect(rows[k]!.runId).toBe(summary.runId);
    }
    // Outputs: results in two formats, the page, two kept runs re-run in full.
    expect(readdirSync(dir).sort()).toEqual(['results.arrow', 'results.csv', 'rows.jsonl', 'runs', 'sweep.html', 'sweep.json', 'sweep.lock'].filter((f) => f !== 'sweep.lock' || existsSync(join(dir, f))));
    expect(readdirSync(join(dir, 'runs')).length).toBe(2);
    const csv = readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv.length).toBe(19);
    expect(csv[0]).toMatch(/^point,configHash,runId,param\.leverage,param\.entryApr,param\.exitApr,param\.lookback,.*,sharpe,.*,pnl\.funding,.*pnl\.total,events$/);
    const sj = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as { points: number; overfitting: { pbo: { combinations: number; pbo: number }; dsr: { trials: number } }; market: { data: { sha256: string }[] } };
    expect(sj.points).toBe(18);
    expect(sj.overfitting.pbo.combinations).toBe(12870);
    expect(sj.overfitting.pbo.pbo).toBeGreaterThanOrEqual(0);
    expect(sj.overfitting.pbo.pbo).toBeLessThanOrEqual(1);
    expect(sj.overfitting.dsr.trials).toBe(18);
    expect(sj.market.data.map((d) => d.sha256).every((h) => /^[0-9a-f]{64}$/.test(h))).toBe(true);
    const html = readFileSync(join(dir, 'sweep.html'), 'utf8');
    expect(html).toContain('PBO');
    expect(html).toContain('Deflated Sharpe');
  }, 240_000);

  test('--jobs 2 (worker threads) writes the same files as in-process; a rerun skips every point and changes nothing', () => {
    const r = cli(['sweep', ...base, ...grid, '--keep-top', '2', '--jobs', '2', '--out', join(out, 'b')]);
    expect(r.code).toBe(0);
    const a = filesOf(sweepDir(join(out, 'a')));
    const b = filesOf(sweepDir(join(out, 'b')));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(b.get(k)!.equals(v), k).toBe(true);
    const again = cli(['sweep', ...base, ...grid, '--keep-top', '2', '--out', join(out, 'b')]);
    expect(again.out).toMatch(/18 points \(0 run, 18 already done\)/);
    const b2 = filesOf(sweepDir(join(out, 'b')));
    for (const [k, v] of a) expect(b2.get(k)!.equals(v), k).toBe(true);
  }, 240_000);

  test('killed with SIGKILL mid-sweep, the rerun runs only the missing points and ends with identical files', async () => {
    const dirRoot = join(out, 'c');
    const child = spawn(process.execPath, [bin, 'sweep', ...base, ...grid, '--keep-top', '2', '--out', dirRoot], { cwd: root, stdio: 'ignore' });
    // Kill once a few rows are journaled, before the sweep ends.
    await new Promise<void>((done, fail) => {
      const timer = setInterval(() => {
        const ids = existsSync(dirRoot) ? readdirSync(dirRoot) : [];
        const j = ids.length ? join(dirRoot, ids[0]!, 'rows.jsonl') : '';
        if (j && existsSync(j) && readFileSync(j, 'utf8').split('\n').length > 4) {
          clearInterval(timer);
          child.kill('SIGKILL');
          done();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        fail(new Error('the sweep ended before it could be killed'));
      });
    });
    await new Promise((r) => child.once('exit', r));
    const dir = sweepDir(dirRoot);
    expect(existsSync(join(dir, 'results.csv'))).toBe(false);
    const r = cli(['sweep', ...base, ...grid, '--keep-top', '2', '--out', dirRoot]);
    expect(r.code).toBe(0);
    const m = /18 points \((\d+) run, (\d+) already done\)/.exec(r.out);
    expect(Number(m![2])).toBeGreaterThanOrEqual(4);
    expect(Number(m![1])).toBeGreaterThan(0);
    const a = filesOf(sweepDir(join(out, 'a')));
    const c = filesOf(dir);
    expect([...c.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(c.get(k)!.equals(v), k).toBe(true);
  }, 240_000);

  test('bad input names the option or spec field before anything runs: unknown param, out of bounds, bad objective, bad spec fields', () => {
    const r1 = cli(['sweep', ...base, '--grid', 'levrage=1,2', '--out', join(out, 'bad')]);
    expect(r1.code).toBe(1);
    expect(r1.err).toContain('--grid levrage=1,2: unknown param "levrage"');
    const r2 = cli(['sweep', ...base, '--grid', 'leverage=1,50', '--out', join(out, 'bad')]);
    expect(r2.code).toBe(1);
    expect(r2.err).toContain('leverage" = 50 is above its maximum 20');
    // Refused before the market is prepared or any point runs: no sweep directory appears.
    const r3 = cli(['sweep', ...base, '--grid', 'leverage=1,2', '--objective', 'sharp', '--out', join(out, 'bad-objective')]);
    expect(r3.code).toBe(1);
    expect(r3.err).toContain('--objective sharp: not a summary metric (metrics: initialEquity, finalEquity, totalReturn, apr,');
    expect(existsSync(join(out, 'bad-objective'))).toBe(false);
    const wf = cli(['walk-forward', ...base, '--grid', 'leverage=1,2', '--train', '120d', '--test', '60d', '--objective', 'sharpe:maximum', '--out', join(out, 'bad-objective')]);
    expect(wf.code).toBe(1);
    expect(wf.err).toContain('--objective sharpe:maximum: expected metric[:max|min]');
    // A spec file: every wrong field is named by its path.
    const specCases: [string, string][] = [
      ['random: { n: 5, sed: 3 }', '"random.sed" is not a field here (fields: n, seed, vary, ranges)'],
      ['objective: { metric: sharpe, direction: up }', '"objective.direction" must be max or min (got "up")'],
      ['objective: sharpe_ratio', 'objective sharpe_ratio: not a summary metric'],
      ['keepTop: -1', '"keepTop" must be a non-negative integer (got -1)'],
      ['fixed: { leverage: [1, 2] }', '"fixed.leverage" must be a number, string or boolean'],
      ['walkForward: { train: 90d }', '"walkForward" needs train and test spans'],
      ['scenario: [x]', '"scenario" is not a field here'],
      ['scenarios: no-such-scenario', '"scenarios" must be a list of strings'],
    ];
    for (const [k, [yaml, msg]] of specCases.entries()) {
      const file = join(out, `bad-spec-${k}.yaml`);
      writeFileSync(file, `params:\n  leverage: [1, 2]\n${yaml}\n`);
      const r = cli(['sweep', ...base, '--spec', file, '--out', join(out, 'bad-objective')]);
      expect(r.code, yaml).toBe(1);
      expect(r.err, yaml).toContain(`--spec ${file}`);
      expect(r.err, yaml).toContain(msg);
    }
    expect(existsSync(join(out, 'bad-objective'))).toBe(false);
  }, 240_000);

  test('--scenario: a row under a scenario equals the single backtest with it; recorded in sweep.json, part of the config hash and the market key', () => {
    const scenario = join(out, 'funding-flip.json');
    writeFileSync(scenario, JSON.stringify({ name: 'test-funding-flip', shocks: [{ type: 'funding', venue: 'binance', asset: 'BTC', from: '2024-03-01', to: '2024-06-01', ratePer8h: -0.0005 }] }));
    const pts = ['--grid', 'leverage=1,2', '--grid', 'entryApr=0.02', '--keep-top', '1'];
    const plain = cli(['sweep', ...base, ...pts, '--out', join(out, 'sc-plain'), '--json']);
    const shocked = cli(['sweep', ...base, ...pts, '--scenario', scenario, '--out', join(out, 'sc'), '--json']);
    expect([plain.code, shocked.code]).toEqual([0, 0]);
    const rowsOf = (d: string): PointRow[] => readFileSync(join(sweepDir(d), 'rows.jsonl'), 'utf8').trim().split('\n').map((l) => decodeResult<PointRow>(l));
    const p = rowsOf(join(out, 'sc-plain'));
    const q = rowsOf(join(out, 'sc'));
    const single = join(out, 'sc-single');
    const b = cli(['backtest', ...base.filter((a) => a !== '--no-progress'), '--param', 'leverage=2', '--param', 'entryApr=0.02', '--scenario', scenario, '--out', single]);
    expect(b.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(single, 'summary.json'), 'utf8')) as { metrics: unknown; pnl: { funding: number }; runId: string };
    const norm = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
    expect(norm(q[1]!.metrics)).toEqual(summary.metrics);
    expect(norm(q[1]!.pnl)).toEqual(summary.pnl);
    expect(q[1]!.runId).toBe(summary.runId);
    // The scenario mattered: three months of −0.05 %/8h funding cost the carry book, and the ids differ.
    expect(q[1]!.pnl.funding).toBeLessThan(p[1]!.pnl.funding);
    expect(q[1]!.configHash).not.toBe(p[1]!.configHash);
    const sj = (d: string): { base: { scenarios?: { name: string; doc: unknown }[] }; market: { key: string; scenarios: { scenario: string; sha256: string }[] } } => JSON.parse(readFileSync(join(sweepDir(d), 'sweep.json'), 'utf8')) as never;
    const a = sj(join(out, 'sc-plain'));
    const c = sj(join(out, 'sc'));
    expect(a.base.scenarios).toBeUndefined();
    expect(c.base.scenarios!.map((x) => x.name)).toEqual(['test-funding-flip']);
    expect(c.market.scenarios.map((x) => x.scenario)).toEqual(['test-funding-flip']);
    expect(c.market.scenarios[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(c.market.key).not.toBe(a.market.key);
    // A missing scenario is refused before anything runs.
    const bad = cli(['sweep', ...base, ...pts, '--scenario', 'no-such-scenario', '--out', join(out, 'sc-bad')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--scenario "no-such-scenario": not a file nor a bundled scenario');
    expect(existsSync(join(out, 'sc-bad'))).toBe(false);
  }, 240_000);

  test('walk-forward: each window picks its best training point and runs it on the next span; the stitched OOS return compounds the windows', () => {
    const r = cli(['walk-forward', ...base, '--grid', 'leverage=1,3', '--grid', 'entryApr=0.02,0.1', '--train', '120d', '--test', '60d', '--out', join(out, 'wf'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { dir: string; windows: unknown[] };
    // 2024-01-01 → 2024-12-31 (365 d): windows start every 60 d while 180 d fit: 4 windows.
    expect(j.windows.length).toBe(4);
    const wf = JSON.parse(readFileSync(join(j.dir, 'walk-forward.json'), 'utf8')) as { windows: { train: string[]; test: string[]; params: unknown; outOfSample: { metrics: { totalReturn: number } } }[]; stitched: { totalReturn: number } };
    expect(wf.windows[0]!.train).toEqual(['2024-01-01T00:00:00.000Z', '2024-04-30T00:00:00.000Z']);
    expect(wf.windows[0]!.test).toEqual(['2024-04-30T00:00:00.000Z', '2024-06-29T00:00:00.000Z']);
    const product = wf.windows.reduce((acc, w) => acc * (1 + w.outOfSample.metrics.totalReturn), 1);
    expect(wf.stitched.totalReturn).toBeCloseTo(product - 1, 10);
    // The chosen params are the in-sample best by Sharpe among the four: check window 1 by running its grid as a sweep.
    const s = cli(['sweep', ...base.map((a) => (a === '2024-12-31' ? '2024-04-30' : a)), '--grid', 'leverage=1,3', '--grid', 'entryApr=0.02,0.1', '--keep-top', '0', '--out', join(out, 'wf-check'), '--json']);
    expect(s.code).toBe(0);
    expect((JSON.parse(s.out) as { best: { params: unknown } }).best.params).toEqual(wf.windows[0]!.params);
    expect(readFileSync(join(j.dir, 'walk-forward.csv'), 'utf8').split('\n')[0]).toMatch(/^window,trainFrom,trainTo,testFrom,testTo,param\.leverage,.*is\.totalReturn,oos\.totalReturn/);
  }, 240_000);
});
