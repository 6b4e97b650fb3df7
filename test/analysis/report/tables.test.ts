import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixtureRun } from '../fixture.js';
import { readRunDir } from '../../../src/analysis/report/run-dir.js';
import type { DrawdownPeriod } from '../../../src/analysis/metrics.js';
import { buildTables, dailyLast, deepestCandidates, DRAWDOWN_TABLE_ROWS, loadDanfo } from '../../../src/analysis/report/tables.js';
import { createRequire } from 'node:module';
import { dailyCloses, dailyReturns, drawdownPeriods, monthlyReturns, periodReturns, stdSample } from '../../../src/analysis/metrics.js';

const tmp = mkdtempSync(join(tmpdir(), 'perpcarry-tables-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('report tables (danfojs)', () => {
  it('daily and monthly tables agree with the typed-array metrics across a month boundary', async () => {
    const dir = writeFixtureRun(tmp, { runId: 'jan-feb', fromMs: Date.UTC(2025, 0, 29), days: 5, stepMs: 300_000, seed: 3 });
    const run = readRunDir(dir);
    const t = await buildTables(run);
    const eq = run.equity.columns['equity']!;
    const init = run.summary.metrics.initialEquity!;
    const w = [run.run.fromMs, run.run.toMs] as const;
    const ref = dailyReturns(run.equity.ts, eq, ...w, init);
    const refRet = periodReturns(ref.close, init);
    expect(t.daily.startMs).toEqual(Array.from(ref.dayMs));
    t.daily.ret.forEach((r, i) => expect(r).toBeCloseTo(refRet[i]!, 12));
    const mref = monthlyReturns(run.equity.ts, eq, ...w, init);
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
    const all = drawdownPeriods(run.equity.ts, eq, init);
    expect(t.drawdownCount).toBe(all.length);
    expect(t.drawdowns[0]!.depth).toBeCloseTo(Math.min(...all.map((p) => p.depth)), 15);
    expect(t.drawdowns[0]!.depth).toBeCloseTo(run.summary.metrics.maxDrawdown!, 12); // same rule as summary.json
    for (let i = 1; i < t.drawdowns.length; i++) expect(t.drawdowns[i]!.depth).toBeGreaterThanOrEqual(t.drawdowns[i - 1]!.depth);
    const stats = Object.fromEntries(t.dailyReturnStats.map((s) => [s.stat, s.value]));
    expect(stats['count']).toBe(5);
    expect(stats['mean']).toBeCloseTo(refRet.reduce((a, b) => a + b, 0) / 5, 12);
    // danfojs describe's std (mathjs, sample n − 1) is the one Sharpe uses
    expect(stats['std']).toBeCloseTo(stdSample(refRet), 12);
    expect(stats['min']).toBe(Math.min(...refRet));
    expect(stats['max']).toBe(Math.max(...refRet));
  });

  it('dailyLast: last sample of each (00:00, 24:00] UTC day, gap days carry the previous close (hand-computed)', () => {
    const d0 = Date.UTC(2025, 0, 30);
    const H = 3_600_000;
    // Jan 30: 00:00 → 1 (the window start), 12:00 → 2, 23:59 → 3; Jan 31: nothing;
    // Feb 1: 06:00 → 5 and 24:00 (the Feb 2 00:00 sample, closing Feb 1) → 7
    const ts = Float64Array.from([d0, d0 + 12 * H, d0 + 24 * H - 60_000, d0 + 54 * H, d0 + 72 * H]);
    const a = Float64Array.from([1, 2, 3, 5, 7]);
    const b = Float64Array.from([-1, -2, -3, -5, -7]);
    const r = dailyLast(ts, [a, b]);
    expect(Array.from(r.dayMs)).toEqual([d0, d0 + 24 * H, d0 + 48 * H]);
    expect(Array.from(r.cols[0]!)).toEqual([3, 3, 7]);
    expect(Array.from(r.cols[1]!)).toEqual([-3, -3, -7]);
    // A window past the last sample: Feb 2 carries Feb 1's close; before the first sample, `initial`.
    const w = dailyLast(ts.subarray(3), [a.subarray(3)], { fromMs: d0, toMs: d0 + 96 * H }, [0.5]);
    expect(Array.from(w.cols[0]!)).toEqual([0.5, 0.5, 7, 7]);
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

  it('deepestCandidates: the k deepest episodes (earliest of equal depths), in time order', async () => {
    const fc = (await import('fast-check')).default;
    const ep = (depth: number): DrawdownPeriod => ({ startMs: 0, troughMs: 0, recoveryMs: null, depth, durationHours: 0 });
    expect(deepestCandidates([-0.1, -0.3, -0.2, -0.3, -0.05].map(ep), 2)).toEqual([1, 3]);
    expect(deepestCandidates([-0.2, -0.1, -0.2, -0.2].map(ep), 2)).toEqual([0, 2]);
    expect(deepestCandidates([-0.2, -0.1].map(ep), 5)).toEqual([0, 1]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: -1 }), { maxLength: 300 }), fc.integer({ min: 1, max: 20 }), (depths, k) => {
        const ps = depths.map((d) => ep(d / 100));
        const ref = ps.map((p, i) => ({ d: p.depth, i })).sort((a, b) => a.d - b.d || a.i - b.i).slice(0, k).map((x) => x.i).sort((a, b) => a - b);
        expect(deepestCandidates(ps, k)).toEqual(ref);
      }),
      { numRuns: 200 },
    );
  });

  it('a saw-tooth curve with 100k drawdown episodes: the table is the deepest 10, quickly', async () => {
    const dir = writeFixtureRun(tmp, { runId: 'saw', days: 2, stepMs: 300_000, seed: 4 });
    const n = 200_000;
    const t0 = Date.UTC(2025, 1, 2);
    const ts = Float64Array.from({ length: n }, (_, i) => t0 + i * 1000);
    // every odd sample dips below the previous peak; even samples make a new high
    const eq = Float64Array.from({ length: n }, (_, i) => 100_000 + i - (i % 2 ? 2 + (i % 1000 === 1 ? i / 1000 : 0) : 0));
    const fileRun = readRunDir(dir);
    const columns = new Map(fileRun.equity.columnOrder.map((c): [string, Float64Array] => [c, c === 'equity' ? eq : new Float64Array(n)]));
    const run = readRunDir(dir, { equity: { ts, columns } });
    const t = performance.now();
    const tables = await buildTables(run);
    expect(performance.now() - t).toBeLessThan(3000);
    expect(tables.drawdownCount).toBe(n / 2);
    expect(tables.drawdowns).toHaveLength(DRAWDOWN_TABLE_ROWS);
    // deepest: the dip at i = 199001 (2 + 199 below the peak at i = 199000)
    const top = tables.drawdowns[0]!;
    expect(top.troughMs).toBe(ts[199_001]);
    expect(top.depth).toBeCloseTo((eq[199_001]! / eq[199_000]!) - 1, 15);
    for (let i = 1; i < DRAWDOWN_TABLE_ROWS; i++) expect(tables.drawdowns[i]!.depth).toBeGreaterThanOrEqual(tables.drawdowns[i - 1]!.depth);
  });
});
