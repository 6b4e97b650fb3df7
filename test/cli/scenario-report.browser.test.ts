/**
 * A stressed run as a researcher reads it (issue 15): a real backtest of delta-neutral over the
 * Oct 10 2025 cascade under the bundled `oct-2025-adl` scenario, then report.html and compare.html
 * (base vs stressed, calendar and elapsed) in real headless Chromium. Every time-axis chart must
 * shade the scenario's shocks at their times (found by colour on the canvas and mapped back through
 * the chart's x scale) and name them in a legend; the ADL table shows adl.csv's row; the
 * attribution has its ADL line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { inspectPage, launchChromium, type ChartProbe } from '../support/chromium.js';
import { ROOT } from '../support/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'perpcarry-scenario-report-'));
const shots = process.env['PERPCARRY_TEST_OUTPUT'] ?? join(tmpdir(), 'perpcarry-test-output', 'browser');
let browser: Browser;

function cli(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'perpcarry.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const T = (iso: string): number => Date.parse(iso);
const FROM = T('2025-10-08T00:00Z');
/** The shocks of scenarios/oct-2025-adl.json, by hand: a 2-hour liquidity band and two ADL instants. */
const SHOCKS = [
  { label: 'oct-2025-adl: slippage × 10 on binance, hyperliquid 2025-10-10T21:00Z → 2025-10-10T23:00Z', fromMs: T('2025-10-10T21:00Z'), toMs: T('2025-10-10T23:00Z') },
  { label: 'oct-2025-adl: auto-deleveraging on binance at 2025-10-10T21:20Z (share 0.5)', fromMs: T('2025-10-10T21:20Z'), toMs: T('2025-10-10T21:20Z') },
  { label: 'oct-2025-adl: auto-deleveraging on hyperliquid at 2025-10-10T21:20Z (share 1)', fromMs: T('2025-10-10T21:20Z'), toMs: T('2025-10-10T21:20Z') },
];

/**
 * Every chart carries the shocks (given on the chart's axis, labels prefixed in compare) and
 * shows them where they belong: within 1.5 px of the range, through the x scale.
 */
function expectBands(charts: readonly ChartProbe[], shocks: readonly { label: string; fromMs: number; toMs: number }[]): void {
  expect(charts.length).toBeGreaterThan(2);
  for (const c of charts) {
    expect(c.bands.map((b) => [b.label, b.fromMs, b.toMs]), c.id).toEqual(shocks.map((s) => [s.label, s.fromMs, s.toMs]));
    expect(c.bandLegend, c.id).toEqual(shocks.map((s) => `${s.toMs > s.fromMs ? 'band' : 'line'}: ${s.label}`));
    // ms per canvas pixel of this chart (x span / plot width).
    const msPerPx = ((c.xScaleMax - c.xScaleMin) * 1000) / c.plotWidthPx;
    // Each shock has its own lane: a range's ribbon spans [from, to), an instant's tick [t − 1 px, t + 1 px).
    for (const b of c.bands) {
      expect(b.seenFromMs, `${c.id} ${b.label}`).not.toBeNull();
      const [from, to] = b.toMs > b.fromMs ? [b.fromMs, b.toMs] : [b.fromMs - msPerPx, b.fromMs + msPerPx];
      expect(Math.abs(b.seenFromMs! - from), `${c.id} ${b.label} start`).toBeLessThanOrEqual(1.5 * msPerPx);
      expect(Math.abs(b.seenToMs! - to), `${c.id} ${b.label} end`).toBeLessThanOrEqual(1.5 * msPerPx);
    }
  }
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does) before this test');
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('scenario ranges and ADL in report.html and compare.html (Chromium)', () => {
  const base = ['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--from', '2025-10-08', '--to', '2025-10-13', '--no-progress'];
  const stressed = join(tmp, 'stressed');
  const plain = join(tmp, 'base');

  it('report.html: every chart shades the shocks at their times, the ADL table and line', async () => {
    const r = cli([...base, '--scenario', 'oct-2025-adl', '--report', '--out', stressed]);
    expect(r.code, r.err).toBe(0);
    const p = await inspectPage(browser, join(stressed, 'report.html'), join(shots, 'report-scenario.png'));
    expect(p.consoleErrors).toEqual([]);
    expect(p.renderErrors).toEqual([]);
    expect(p.charts.map((c) => c.id)).toEqual(['equity', 'drawdown', 'attribution', 'funding-0', 'basis', 'margin-0']);
    expectBands(p.charts, SHOCKS);
    // UTC ISO on the time axes.
    for (const c of p.charts) for (const t of c.xTicks) expect(t, c.id).toMatch(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}Z)?$/);
    // adl.csv: 7.379908757491725 ETH of the short bought back at 22:00 (first bar close after 21:20) at the bar
    // high 3980.68 with the mark at 3928.430216: cost 7.3799 × 52.2498 = 385.5986, share 0.5, light 1.
    expect(p.tables['adl']).toEqual([['2025-10-10T22:00Z', 'binance', 'ETH/USDT:USDT', '-7.37991', '50.00%', '3,980.68', '3,928.43', '-385.60', '0.00138813', '1', 'scenario:oct-2025-adl']]);
    expect(p.tables['pnl']!.find((row) => row[0] === 'ADL')!.slice(0, 3)).toEqual(['ADL', '-385.60', '-0.39%']);
    const attribution = p.charts.find((c) => c.id === 'attribution')!;
    expect(attribution.seriesLabels).toContain('adl');
  }, 600_000);

  it('compare.html: base vs stressed, the stressed run\'s shocks on every chart, calendar and elapsed', async () => {
    const r = cli([...base, '--out', plain]);
    expect(r.code, r.err).toBe(0);
    const named = SHOCKS.map((s) => ({ ...s, label: `stressed · ${s.label}` }));
    const cal = cli(['compare', plain, stressed, '--out', join(tmp, 'cmp')]);
    expect(cal.code, cal.err).toBe(0);
    const p = await inspectPage(browser, join(tmp, 'cmp', 'compare.html'), join(shots, 'compare-scenario.png'));
    expect(p.consoleErrors).toEqual([]);
    expect(p.charts.map((c) => c.id)).toEqual(['equity', 'drawdown', 'liq-distance', 'attribution-0', 'attribution-1']);
    // attribution-0 is the base run's: no scenario, no bands.
    expect(p.charts[3]!.bands).toEqual([]);
    expectBands(p.charts.filter((c) => c.id !== 'attribution-0'), named);
    expect(p.text).toContain('What oct-2025-adl cost (stressed − base)');

    const el = cli(['compare', plain, stressed, '--align', 'elapsed', '--out', join(tmp, 'cmpe')]);
    expect(el.code, el.err).toBe(0);
    const q = await inspectPage(browser, join(tmp, 'cmpe', 'compare.html'), join(shots, 'compare-scenario-elapsed.png'));
    expect(q.consoleErrors).toEqual([]);
    // Same window: on the elapsed axis each shock sits at its time since 2025-10-08T00:00Z (21:00 on day 2 = +2d 21:00).
    expectBands(q.charts.filter((c) => c.id !== 'attribution-0'), named.map((s) => ({ ...s, fromMs: s.fromMs - FROM, toMs: s.toMs - FROM })));
    for (const c of q.charts) for (const t of c.xTicks) expect(t, c.id).toMatch(/^\+\d+d( \d{2}:\d{2})?$/);
  }, 600_000);
});
