/**
 * End to end, as a newcomer would: two real backtests of delta-neutral on the bundled Feb 2–3 2025
 * window with different leverage, `compare`, then Chromium opens compare.html and the page alone
 * must say which run earned more funding, which paid more fees and which came closer to liquidation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inspectPage, launchChromium } from '../support/chromium.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'perpcarry-e2e-'));
const shots = process.env['PERPCARRY_TEST_OUTPUT'] ?? join(tmpdir(), 'perpcarry-test-output', 'browser');
let browser: Browser;

/**
 * Run the compiled CLI as a newcomer would (`npm test` compiles to dist/ first). A subprocess, so
 * the built-in strategy lookup and lazy imports work exactly as installed.
 */
function cli(args: string[]): { code: number; out: string; err: string } {
  const bin = join(root, 'bin', 'perpcarry.mjs');
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does) before this test');
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('backtest ×2 → compare → compare.html in Chromium', () => {
  it('the page tells funding, fees and closeness to liquidation apart', async () => {
    const base = ['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--no-progress', '--report'];
    const runs = [
      { dir: join(tmp, 'lev2'), params: ['--param', 'leverage=2'] },
      { dir: join(tmp, 'lev5'), params: ['--param', 'leverage=5', '--param', 'topUp=false'] },
    ];
    for (const r of runs) {
      const res = cli([...base, ...r.params, '--out', r.dir]);
      expect(res.code, res.err).toBe(0);
      expect(existsSync(join(r.dir, 'report.html')), 'backtest --report writes report.html').toBe(true);
      expect(existsSync(join(r.dir, 'report.md'))).toBe(true);
      // the funding chart shows every settlement of the window from the (verified) data store
      expect(readFileSync(join(r.dir, 'report.html'), 'utf8')).toContain('every settlement in the window (data store, sha256 verified)');
    }
    const out = join(tmp, 'cmp');
    const res = cli(['compare', runs[0]!.dir, runs[1]!.dir, '--out', out]);
    expect(res.code, res.err).toBe(0);
    expect(res.out).toMatch(/param leverage\s+2\s+5/);

    const s = runs.map((r) => JSON.parse(readFileSync(join(r.dir, 'summary.json'), 'utf8')));
    // The two runs really differ on the three questions (otherwise there is nothing to tell apart).
    expect(s[0].pnl.funding).not.toBeCloseTo(s[1].pnl.funding, 2);
    expect(s[0].pnl.fees).not.toBeCloseTo(s[1].pnl.fees, 2);
    expect(s[0].metrics.minLiquidationDistance).not.toBeCloseTo(s[1].metrics.minLiquidationDistance, 3);
    const col = (better: boolean) => (better ? 1 : 2); // table column of the run that should carry ★

    const p = await inspectPage(browser, join(out, 'compare.html'), join(shots, 'e2e-compare.png'));
    expect(p.consoleErrors).toEqual([]);
    expect(p.externalRequests).toEqual([]);
    expect(p.charts.map((c) => c.id)).toEqual(['equity', 'drawdown', 'liq-distance', 'attribution-0', 'attribution-1']);
    for (const c of p.charts) {
      expect(c.lengths[0], c.id).toBeGreaterThan(0);
      expect(c.seriesInkPixels, c.id).toBeGreaterThan(400);
    }
    expect(p.text).toMatch(/param leverage\s+2\s+5/);
    const star = (label: string) => p.bestCells.filter((c) => c.startsWith(`${label}|`)).map((c) => Number(c.split('|')[1]));
    // more funding (higher PnL) gets the star
    expect(star('PnL: Funding')).toEqual([col(s[0].pnl.funding > s[1].pnl.funding)]);
    // paid more fees = more negative fee PnL; the star marks the one that paid less
    expect(star('PnL: Fees (− = paid)')).toEqual([col(s[0].pnl.fees > s[1].pnl.fees)]);
    // closer to liquidation = smaller distance; the star marks the safer one
    expect(star('Closest to liquidation')).toEqual([col(s[0].metrics.minLiquidationDistance > s[1].metrics.minLiquidationDistance)]);
    // leverage 5 without top-up sits closer to liquidation and pays more fees on its larger book
    expect(s[1].metrics.minLiquidationDistance).toBeLessThan(s[0].metrics.minLiquidationDistance);
    expect(s[1].pnl.fees).toBeLessThan(s[0].pnl.fees);
    expect(p.text).not.toContain('Warning');
    // …and in words, at the top of the page
    const names = ['lev2', 'lev5'];
    const moreFunding = names[s[0].pnl.funding > s[1].pnl.funding ? 0 : 1];
    expect(p.text).toMatch(new RegExp(`(Earned the most funding|Best funding result \\(paid the least\\)): ${moreFunding} `));
    expect(p.text).toContain('Paid the most fees: lev5 (');
    expect(p.text).toContain('Came closest to liquidation: lev5 (');
  });
});
