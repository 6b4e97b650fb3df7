import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixtureRun } from './fixture.js';
import { readRunDir } from '../../src/analysis/report/run-dir.js';
import { buildTables } from '../../src/analysis/report/tables.js';
import { dailyReturns, drawdownPeriods, monthlyReturns, periodReturns } from '../../src/analysis/metrics.js';

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
  });
});
