/**
 * Monte Carlo: distribution arithmetic by hand; a path is pure in (seed, path index) whatever
 * order paths run in; the CLI writes byte-identical outputs for the same seed and different ones
 * for another seed; bad options are user errors naming the option.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { distribution, fanTimes, pathStats, percentileRank, percentileSorted, timeUnderWater } from '../../src/analysis/montecarlo.js';
import { prepareBacktest } from '../../src/engine/backtest.js';
import { pathSeed, runMonteCarloPath, type MonteCarloOptions } from '../../src/research/montecarlo.js';
import { loadStrategy } from '../../src/strategy/registry.js';
import { ROOT, tmpDir } from '../support/paths.js';

const H = 3_600_000;

describe('distribution arithmetic', () => {
  test('percentiles interpolate between order statistics (numpy type 7)', () => {
    const s = Float64Array.from([1, 2, 3, 4, 5]);
    expect(percentileSorted(s, 0.5)).toBe(3);
    expect(percentileSorted(s, 0.25)).toBe(2);
    expect(percentileSorted(s, 0.05)).toBeCloseTo(1.2, 12); // h = 0.2
    expect(percentileSorted(s, 0.95)).toBeCloseTo(4.8, 12);
    const d = distribution([5, 1, NaN, 3, 2, 4]);
    expect([d.min, d.p50, d.max, d.mean]).toEqual([1, 3, 5, 3]);
    expect(percentileRank([1, 2, 3, 4], 3)).toBe(0.625); // 2 below, 1 equal: (2 + 0.5) / 4
    expect(percentileRank([1, 2, 3, 4], 0)).toBe(0);
  });

  test('time under water is time-weighted from a peak that starts at the capital', () => {
    const ts = Float64Array.from([0, 1, 2, 4, 8].map((h) => h * H));
    // 100 (at peak) | 99 under for 1 h | 101 new peak for 2 h | 100 under for 4 h
    expect(timeUnderWater(ts, Float64Array.from([100, 99, 101, 100, 102]), 100)).toBeCloseTo(5 / 8, 12);
    // Costs paid before the first sample: under water from the start.
    expect(timeUnderWater(ts, Float64Array.from([99, 99, 99, 99, 99]), 100)).toBe(1);
    const st = pathStats({ path: 0, initialEquity: 100, ts, equity: Float64Array.from([100, 99, 101, 100, 102]), liquidations: 0, trades: 0 }, fanTimes(ts, 3));
    expect(st.finalReturn).toBeCloseTo(0.02, 12);
    expect(st.maxDrawdown).toBeCloseTo(-0.01, 12);
    expect(Array.from(st.fan)).toEqual([1, 1.01, 1.02]); // samples 0, 2, 4
  });
});

describe('paths are pure in (seed, path index)', () => {
  test('path 3 is the same run alone, after others, and from a second preparation', async () => {
    const { factory } = await loadStrategy('delta-neutral');
    const cfg = { strategy: factory, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: Date.parse('2025-01-20'), toMs: Date.parse('2025-02-10'), dataDir: join(ROOT, 'data'), seed: 5 };
    const opts: MonteCarloOptions = { paths: 4, seed: 5, method: 'block-bootstrap', blockHours: 12, regime: null, fanPoints: 10 };
    const a = prepareBacktest(cfg);
    const alone = runMonteCarloPath(a, opts, 3);
    for (let p = 0; p < 3; p++) runMonteCarloPath(a, opts, p);
    const after = runMonteCarloPath(a, opts, 3);
    const fresh = runMonteCarloPath(prepareBacktest(cfg), opts, 3);
    expect(Array.from(after.equity)).toEqual(Array.from(alone.equity));
    expect(Array.from(fresh.equity)).toEqual(Array.from(alone.equity));
    const other = runMonteCarloPath(a, opts, 2);
    expect(Array.from(other.equity)).not.toEqual(Array.from(alone.equity));
    expect(pathSeed(5, 3)).not.toBe(pathSeed(5, 2));
    expect(pathSeed(5, -1)).toBe(5);
  }, 60_000);
});

describe('perpcarry montecarlo', () => {
  const out = tmpDir('perpcarry-mc-');
  const bin = join(ROOT, 'bin', 'perpcarry.mjs');
  const cli = (args: string[]): { code: number; out: string; err: string } => {
    const r = spawnSync(process.execPath, [bin, 'montecarlo', ...args], { encoding: 'utf8', cwd: ROOT });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  };
  const base = ['--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--from', '2025-01-20', '--to', '2025-02-10', '--paths', '12'];
  const files = ['montecarlo.json', 'paths.csv', 'fan.html'];

  test('same seed: byte-identical outputs; another seed: different ones', () => {
    const r1 = cli([...base, '--seed', '9', '--out', join(out, 'a')]);
    const r2 = cli([...base, '--seed', '9', '--out', join(out, 'b')]);
    const r3 = cli([...base, '--seed', '10', '--out', join(out, 'c')]);
    expect([r1.code, r2.code, r3.code]).toEqual([0, 0, 0]);
    for (const f of files) expect(readFileSync(join(out, 'b', f)).equals(readFileSync(join(out, 'a', f)))).toBe(true);
    expect(readFileSync(join(out, 'c', 'paths.csv'), 'utf8')).not.toBe(readFileSync(join(out, 'a', 'paths.csv'), 'utf8'));
    const j = JSON.parse(readFileSync(join(out, 'a', 'montecarlo.json'), 'utf8')) as { summary: { paths: number; metrics: { finalReturn: { p5: number; p95: number } }; real: { finalReturn: { percentile: number } }; fan: { p50: number[] } } };
    expect(j.summary.paths).toBe(12);
    expect(j.summary.metrics.finalReturn.p5).toBeLessThan(j.summary.metrics.finalReturn.p95);
    expect(j.summary.real.finalReturn.percentile).toBeGreaterThanOrEqual(0);
    expect(j.summary.fan.p50.length).toBe(240);
    // paths.csv: the real path (−1) and paths 0 … 11
    expect(readFileSync(join(out, 'a', 'paths.csv'), 'utf8').trim().split('\n').map((l) => l.split(',')[0])).toEqual(['path', '-1', ...Array.from({ length: 12 }, (_, i) => String(i))]);
    expect(readFileSync(join(out, 'a', 'fan.html'), 'utf8')).toContain('<svg');
  }, 180_000);

  test('a regime of negative funding drags the median return below the unforced one', () => {
    const r = cli([...base, '--seed', '9', '--regime-days', '21', '--regime-vol-scale', '0.5', '--regime-funding', '-0.0003', '--out', join(out, 'regime'), '--json']);
    expect(r.code).toBe(0);
    const forced = JSON.parse(readFileSync(join(out, 'regime', 'montecarlo.json'), 'utf8')) as { summary: { metrics: { finalReturn: { p50: number } } }; run: { montecarlo: { regime: { days: number } } } };
    const free = JSON.parse(readFileSync(join(out, 'a', 'montecarlo.json'), 'utf8')) as typeof forced;
    expect(forced.run.montecarlo.regime.days).toBe(21);
    expect(forced.summary.metrics.finalReturn.p50).toBeLessThan(free.summary.metrics.finalReturn.p50);
  }, 120_000);

  test('bad options name the option, exit 1', () => {
    expect(cli([...base.slice(0, -2), '--paths', '0']).err).toContain('--paths must be an integer in [1, 1000000] (got 0)');
    const r = cli([...base, '--regime-funding', '-0.001']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('--regime-funding / --regime-vol-scale need --regime-days');
  }, 60_000);
});
