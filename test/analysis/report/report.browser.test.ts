/**
 * Real headless Chromium (Debian) opens report.html and compare.html from file:// and checks that
 * every chart rendered with data, nothing logged an error, nothing was fetched from the network;
 * screenshots go to $PERPCARRY_TEST_OUTPUT or <tmp>/perpcarry-test-output/browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { writeFixtureRun } from '../fixture.js';
import { writeReports } from '../../../src/analysis/report/index.js';
import { compareRuns } from '../../../src/analysis/compare.js';
import { isoTime } from '../../../src/core/time.js';
import { inspectPage, launchChromium, type PageProbe } from '../../support/chromium.js';

const tmp = mkdtempSync(join(tmpdir(), 'perpcarry-browser-'));
const shots = process.env['PERPCARRY_TEST_OUTPUT'] ?? join(tmpdir(), 'perpcarry-test-output', 'browser');
let browser: Browser;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Every chart container produced a uPlot with aligned, non-empty data and visible ink. */
function expectChartsRendered(p: PageProbe, ids: string[]): void {
  expect(p.consoleErrors).toEqual([]);
  expect(p.renderErrors).toEqual([]);
  expect(p.externalRequests).toEqual([]);
  expect(p.charts.map((c) => c.id)).toEqual(ids);
  expect(p.chartDivs).toBe(ids.length);
  for (const c of p.charts) {
    expect(c.lengths.length, c.id).toBeGreaterThan(1);
    expect(c.lengths[0], c.id).toBeGreaterThan(0);
    for (const l of c.lengths) expect(l, c.id).toBe(c.lengths[0]);
    expect(c.points, c.id).toBeGreaterThan(0);
    expect(c.width, c.id).toBeGreaterThan(300);
    expect(c.seriesInkPixels, c.id).toBeGreaterThan(400); // the data lines themselves (a flat line across a 550 px plot is ~550), axes and grid excluded
  }
}

describe('report.html and compare.html in Chromium', () => {
  it('report.html: every chart rendered with data, no console errors, offline', async () => {
    const d = writeFixtureRun(tmp, { runId: 'liq', leverage: 2, liquidateAtFrac: 0.7, seed: 4 });
    const out = await writeReports(d);
    const p = await inspectPage(browser, out.html!, join(shots, 'report.png'));
    expectChartsRendered(p, ['equity', 'drawdown', 'attribution', 'funding-0', 'basis', 'margin-0']);
    // Time axes in UTC ISO 8601 (a day tick as 2025-02-03, else to the minute with Z), the legend too.
    for (const c of p.charts) {
      expect(c.xTicks.length, c.id).toBeGreaterThan(2);
      for (const t of c.xTicks) expect(t, c.id).toMatch(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}Z)?$/);
      expect(c.x0Label, c.id).toBe(isoTime(c.x0 * 1000));
    }
    expect(p.charts[0]!.x0Label).toBe('2025-02-02T00:00Z');
    // Tables in the same form: the first trade's time and the run window.
    expect(p.text).toContain('2025-02-02T00:00Z → 2025-02-04T00:00Z');
    expect(p.text).not.toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    console.log('series ink per chart:', p.charts.map((c) => `${c.id} ${c.seriesInkPixels}/${c.inkPixels}`).join(', '));
    expect(p.text).toContain('Largest drawdowns');
    expect(p.text).toContain('Monthly returns');
    expect(statSync(join(shots, 'report.png')).size).toBeGreaterThan(50_000);
  });

  it('a year of 1-minute samples: downsampled for display, opens fast', async () => {
    const d = writeFixtureRun(tmp, { runId: 'year', days: 365, stepMs: 60_000, csv: false, seed: 9 });
    const t0 = Date.now();
    const out = await writeReports(d);
    const buildMs = Date.now() - t0;
    const size = statSync(out.html!).size;
    const t1 = Date.now();
    const p = await inspectPage(browser, out.html!, join(shots, 'report-year.png'));
    const openMs = Date.now() - t1;
    expectChartsRendered(p, ['equity', 'drawdown', 'attribution', 'funding-0', 'basis', 'margin-0']);
    expect(p.charts[0]!.lengths[0]).toBeLessThanOrEqual(3200); // 525,600 samples → ≤ 2 points per bucket
    expect(p.text).toContain('525,600 samples shown as min/max per bucket');
    expect(size).toBeLessThan(2_000_000);
    // Speed is measured by npm run bench, not by a timed test (TEAM.md): the time is printed only.
    console.log(`year of 1m: report built in ${buildMs} ms, ${(size / 1e6).toFixed(2)} MB, opened+probed+screenshot in ${openMs} ms`);
  });

  it('compare.html: overlays and attribution rendered, best per row marked', async () => {
    const a = writeFixtureRun(tmp, { runId: 'aggressive', leverage: 2, fundingScale: 3, feeBps: 5, liquidateAtFrac: 0.8, seed: 11 });
    const b = writeFixtureRun(tmp, { runId: 'cautious', leverage: 0.5, fundingScale: 1, feeBps: 2, seed: 11 });
    const r = await compareRuns([a, b], { out: join(tmp, 'cmp') });
    const p = await inspectPage(browser, r.html, join(shots, 'compare.png'));
    expectChartsRendered(p, ['equity', 'drawdown', 'liq-distance', 'attribution-0', 'attribution-1']);
    // column 1 = aggressive, 2 = cautious
    expect(p.bestCells.find((c) => c.startsWith('PnL: Funding|'))).toMatch(/^PnL: Funding\|1\|/);
    expect(p.bestCells.find((c) => c.startsWith('PnL: Fees'))).toMatch(/\|2\|/);
    expect(p.bestCells.find((c) => c.startsWith('Closest to liquidation|'))).toMatch(/\|2\|/);
    expect(p.text).not.toContain('Warning');
  });

  it('compare.html --align elapsed: runs over different windows overlay from their own start', async () => {
    const a = writeFixtureRun(tmp, { runId: 'e1', seed: 1, days: 2, stepMs: 3_600_000 });
    const b = writeFixtureRun(tmp, { runId: 'e2', seed: 2, days: 1, stepMs: 3_600_000, fromMs: Date.UTC(2025, 2, 10) });
    const r = await compareRuns([a, b], { out: join(tmp, 'cmpe'), align: 'elapsed' });
    const p = await inspectPage(browser, r.html, join(shots, 'compare-elapsed.png'));
    expectChartsRendered(p, ['equity', 'drawdown', 'liq-distance', 'attribution-0', 'attribution-1']);
    for (const c of p.charts) {
      // x is seconds since each run's start: the first sample of both runs is at +0d 00:00, none beyond 2 days.
      expect(c.x0, c.id).toBe(0);
      expect(c.x0Label, c.id).toBe('+0d 00:00');
      for (const t of c.xTicks) expect(t, c.id).toMatch(/^\+\d+d( \d{2}:\d{2})?$/);
    }
    const eq = r.comparison.runs.map((run) => run.equity.columns['equity']!);
    // The table compares both at the same elapsed hours: at +1d 00:00 run e2's 24th hourly sample (index 24 − 1 … its last).
    const row = r.comparison.progress.find((x) => x.label === '+1d 00:00')!;
    expect(row.returns[0]).toBeCloseTo(eq[0]![24]! / 10_000 - 1, 12);
    expect(row.returns[1]).toBeCloseTo(eq[1]![23]! / 10_000 - 1, 12);
    expect(p.text).toContain('Elapsed since start');
    expect(p.text).toContain('aligned by time elapsed');
  });

  it('compare.html over different windows shows the warning', async () => {
    const a = writeFixtureRun(tmp, { runId: 'w1', seed: 1 });
    const b = writeFixtureRun(tmp, { runId: 'w2', seed: 1, fromMs: Date.UTC(2025, 1, 3) });
    const r = await compareRuns([a, b], { out: join(tmp, 'cmpw') });
    const p = await inspectPage(browser, r.html, join(shots, 'compare-warning.png'));
    expect(p.consoleErrors).toEqual([]);
    expect(p.text).toContain('Warning: runs cover different windows');
  });
});
