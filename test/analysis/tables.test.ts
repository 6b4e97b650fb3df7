import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixtureRun } from './fixture.js';
import { readRunDir } from '../../src/analysis/report/run-dir.js';
import { buildTables, dailyLast, loadDanfo } from '../../src/analysis/report/tables.js';
import { createRequire } from 'node:module';
import { dailyCloses, dailyReturns, drawdownPeriods, monthlyReturns, periodReturns, stdSample } from '../../src/analysis/metrics.js';

const tmp = mkdtempSync(join(tmpdir(), 'perpcarry-tables-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('report tables (danfojs)', () => {
  it('daily and monthly tables agree with the typed-array metrics across a month boundary', async () => {
    const dir = writeFixtureRun(tmp, { runId: 'jan-feb', fromMs: Date.UTC(2025, 0, 29), days: 5, stepMs: 300_000, seed: 3 });
    const run = readRunDir(dir);
    const t = await buildTables(run);
    const eq = run.equity.columns['equity']!;
    const init = run.summary.metrics.initialEquity!;
    const ref = dailyReturns(run.equity.ts, eq);
    const refRet = periodReturns(ref.close, init);
    expect(t.daily.startMs).toEqual(Array.from(ref.dayMs));
    t.daily.ret.forEach((r, i) => expect(r).toBeCloseTo(refRet[i]!, 12));
    const mref = monthlyReturns(run.equity.ts, eq);
    const mret = periodReturns(mref.close, init);
    expect(t.monthly.startMs).toEqual([Date.UTC(2025, 0, 1), Date.UTC(2025, 1, 1)]);
    t.monthly.ret.forEach((r, i) => expect(r).toBeCloseTo(mret[i]!, 12));
    // per-period PnL components add up to the change in equity
    for (const tab of [t.daily, t.monthly]) {
      let sum = 0;
      for (const c of Object.values(tab.pnl)) for (const v of c) sum += v;
      expect(sum).toBeCloseTo(tab.close[tab.close.length - 1]! - init, 6);
    }
    // drawdown table: the deepest first, all from the typed-array scan
    const all = drawdownPeriods(run.equity.ts, eq);
    expect(t.drawdownCount).toBe(all.length);
    expect(t.drawdowns[0]!.depth).toBeCloseTo(Math.min(...all.map((p) => p.depth)), 15);
    for (let i = 1; i < t.drawdowns.length; i++) expect(t.drawdowns[i]!.depth).toBeGreaterThanOrEqual(t.drawdowns[i - 1]!.depth);
    const stats = Object.fromEntries(t.dailyReturnStats.map((s) => [s.stat, s.value]));
    expect(stats['count']).toBe(5);
    expect(stats['mean']).toBeCloseTo(refRet.reduce((a, b) => a + b, 0) / 5, 12);
    // danfojs describe's std (mathjs, sample n − 1) is the one Sharpe uses
    expect(stats['std']).toBeCloseTo(stdSample(refRet), 12);
    expect(stats['min']).toBe(Math.min(...refRet));
    expect(stats['max']).toBe(Math.max(...refRet));
  });

  it('dailyLast: last sample of each UTC day, gap days carry the previous close (hand-computed)', () => {
    const d0 = Date.UTC(2025, 0, 30);
    const H = 3_600_000;
    // Jan 30: 00:00 → 1, 12:00 → 2, 23:59 → 3; Jan 31: nothing; Feb 1: 06:00 → 5; Feb 2: 00:00 → 7
    const ts = Float64Array.from([d0, d0 + 12 * H, d0 + 24 * H - 60_000, d0 + 54 * H, d0 + 72 * H]);
    const a = Float64Array.from([1, 2, 3, 5, 7]);
    const b = Float64Array.from([-1, -2, -3, -5, -7]);
    const r = dailyLast(ts, [a, b]);
    expect(Array.from(r.dayMs)).toEqual([d0, d0 + 24 * H, d0 + 48 * H, d0 + 72 * H]);
    expect(Array.from(r.cols[0]!)).toEqual([3, 3, 5, 7]);
    expect(Array.from(r.cols[1]!)).toEqual([-3, -3, -5, -7]);
    // the same day closes as the metrics (Sharpe) resampling
    const ref = dailyCloses(ts, a);
    expect(Array.from(r.dayMs)).toEqual(Array.from(ref.dayMs));
    expect(Array.from(r.cols[0]!)).toEqual(Array.from(ref.close));
    expect(dailyLast(new Float64Array(0), [new Float64Array(0)])).toEqual({ dayMs: new Float64Array(0), cols: [new Float64Array(0)] });
  });

  it('danfojs runs on mathjs\'s single-file build (the fast load path is in effect)', async () => {
    await loadDanfo();
    const req = createRequire(import.meta.url);
    const fromDanfo = createRequire(req.resolve('danfojs-node'));
    expect(req.cache[fromDanfo.resolve('mathjs')]?.exports).toBe(req(fromDanfo.resolve('mathjs/lib/browser/math.js')));
  });
});
