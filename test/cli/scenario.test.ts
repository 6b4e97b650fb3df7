/**
 * `backtest --scenario` and `perpcarry scenarios` through the compiled CLI: the bundled Feb 2025
 * discount scenario shocks the replay (not the store), is recorded in run.json, and a rerun from that
 * run.json gives the same summary; bad scenario input is a user error naming the file and field.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempDataDir } from '../support/series.js';

const root = process.cwd();
const bin = join(root, 'bin', 'perpcarry.mjs');
function cli(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
const base = ['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--no-report', '--json'];
type Summary = { metrics: { maxDrawdown: number; finalEquity: number }; pnl: { funding: number } };

describe('backtest --scenario', () => {
  const out = tempDataDir('perpcarry-scen-');

  test('lists the bundled scenarios', () => {
    const r = cli(['scenarios']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('feb-2025-eth-discount');
    expect(r.out).toContain('basis binance ETH perp at -5.8 % to spot, 2025-02-02T22:00Z → 2025-02-03T06:00Z (ramp 180 min)');
    expect(r.out).toContain('funding-death-spiral-90d');
  });

  test('the Feb 2025 discount deepens the drawdown, is recorded in run.json and reruns identically', () => {
    const a = cli([...base, '--out', join(out, 'base')]);
    const b = cli([...base, '--scenario', 'feb-2025-eth-discount', '--out', join(out, 'stress')]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const sa = (JSON.parse(a.out) as { summary: Summary }).summary;
    const sb = (JSON.parse(b.out) as { summary: Summary }).summary;
    // The perp leg is marked 5.8 % under spot at the low, then the discount closes: a deeper drawdown.
    expect(sa.metrics.maxDrawdown).toBeGreaterThan(-0.005);
    expect(sb.metrics.maxDrawdown).toBeLessThan(-0.03);
    // Only one venue in the run: the Bybit and OKX shocks are reported, not silently dropped.
    expect(b.err).toMatch(/shock 2 \(basis\): no ETH perp on bybit in this run/);
    const run = JSON.parse(readFileSync(join(out, 'stress', 'run.json'), 'utf8')) as { scenarios: { name: string; source: string }[] };
    expect(run.scenarios.map((s) => [s.name, s.source])).toEqual([['feb-2025-eth-discount', 'bundled:feb-2025-eth-discount']]);
    const c = cli(['backtest', '--config', join(out, 'stress', 'run.json'), '--no-report', '--json', '--out', join(out, 'rerun')]);
    expect(c.code).toBe(0);
    expect((JSON.parse(c.out) as { summary: Summary }).summary).toEqual(sb);
    // The store was not touched: the base run after the stressed one is unchanged.
    const d = cli([...base, '--out', join(out, 'base2')]);
    expect((JSON.parse(d.out) as { summary: Summary }).summary.metrics).toEqual(sa.metrics);
  });

  test('bad scenario input names the file and field, exit 1', () => {
    const bad = join(out, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'bad', shocks: [{ type: 'basis', venue: 'binance', asset: 'ETH', from: '2025-02-03', to: '2025-02-04', basisPct: 'deep' }] }));
    const r = cli([...base, '--scenario', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad}: shocks[0].basisPct: expected a finite number (got "deep")`);
    const u = cli([...base, '--scenario', 'no-such-scenario']);
    expect(u.code).toBe(1);
    expect(u.err).toMatch(/--scenario "no-such-scenario": not a file nor a bundled scenario \(bundled: .*feb-2025-eth-discount/);
    writeFileSync(bad, '{ "name": ');
    expect(cli([...base, '--scenario', bad]).err).toContain(`${bad}: not valid JSON`);
  });
});
