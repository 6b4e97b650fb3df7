import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixtureRun } from './fixture.js';
import { bestIndices, buildComparison, compareCharts, compareRuns, runNames, terminalTable } from '../../src/analysis/compare.js';
import type { RunData } from '../../src/analysis/report/run-dir.js';
import { main } from '../../src/cli/main.js';

const tmp = mkdtempSync(join(tmpdir(), 'perpcarry-compare-'));
let a = '';
let b = '';
beforeAll(() => {
  // a: more leverage and funding, pays more fees, gets liquidated; b: cautious
  a = writeFixtureRun(tmp, { runId: 'aggressive', leverage: 2, fundingScale: 3, feeBps: 5, liquidateAtFrac: 0.8, seed: 11, stepMs: 300_000 });
  b = writeFixtureRun(tmp, { runId: 'cautious', leverage: 0.5, fundingScale: 1, feeBps: 2, seed: 11, stepMs: 300_000 });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bestIndices', () => {
  it('picks max or min, marks ties, nothing when all equal or no direction', () => {
    expect(bestIndices([1, 3, 2], 1)).toEqual([1]);
    expect(bestIndices([1, 3, 2], -1)).toEqual([0]);
    expect(bestIndices([3, 3, 2], 1)).toEqual([0, 1]);
    expect(bestIndices([2, 2], 1)).toEqual([]);
    expect(bestIndices([1, 2], 0)).toEqual([]);
    expect(bestIndices([null, 2, NaN], 1)).toEqual([]); // one finite value: nothing to compare
    expect(bestIndices([null, 2, 1], 1)).toEqual([1]);
  });
});

describe('compare', () => {
  it('marks the best value per row: more funding, fewer fees, farther from liquidation', () => {
    const c = buildComparison([a, b]);
    expect(c.warnings).toEqual([]);
    const row = (k: string) => c.rows.find((r) => r.key === k)!;
    const sa = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8'));
    const sb = JSON.parse(readFileSync(join(b, 'summary.json'), 'utf8'));
    expect(sa.pnl.funding).toBeGreaterThan(sb.pnl.funding);
    expect(row('pnl.funding').best).toEqual([0]);
    expect(sa.pnl.fees).toBeLessThan(sb.pnl.fees);
    expect(row('pnl.fees').best).toEqual([1]);
    expect(row('minLiquidationDistance').best).toEqual([1]);
    expect(row('liquidationCount').best).toEqual([1]);
    expect(row('timeInMarket').best).toEqual([]);
    const t = terminalTable(c);
    expect(t).toMatch(/PnL: Funding\s+[\d,.]+ \*\s+[\d,.]+\s*$/m);
    expect(t).toMatch(/PnL: Fees \(− = paid\)\s+-[\d,.]+\s+-[\d,.]+ \*$/m);
    expect(t).not.toContain('WARNING');
    expect(t).toContain('Earned the most funding: aggressive (funding PnL aggressive ');
    expect(t).toContain('Paid the most fees: aggressive (');
    expect(t).toMatch(/Came closest to liquidation: aggressive, liquidated 1 time\(s\) \(aggressive 1×, cautious 0×\)\./);
  });

  it('writes compare.html and compare.md; the CLI prints the table', async () => {
    const out = join(tmp, 'cmp');
    const orig = process.stdout.write.bind(process.stdout);
    let text = '';
    (process.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => ((text += s), true);
    let code: number;
    try {
      code = await main(['compare', a, b, '--out', out]);
    } finally {
      (process.stdout as unknown as { write: typeof orig }).write = orig;
    }
    expect(code).toBe(0);
    expect(text).toContain('aggressive');
    expect(text).toContain(`wrote ${join(out, 'compare.html')}`);
    const html = readFileSync(join(out, 'compare.html'), 'utf8');
    expect(html).toContain('<td class="best">');
    expect(html).not.toContain('class="warn"');
    for (const id of ['equity', 'drawdown', 'liq-distance', 'attribution-0', 'attribution-1']) expect(html).toContain(`"id":"${id}"`);
    const md = readFileSync(join(out, 'compare.md'), 'utf8');
    expect(md).toMatch(/\| PnL: Funding \| [\d,.]+ ★ \| [\d,.]+ \|/);
  });

  it('warns in every output when windows or data differ', async () => {
    const c = writeFixtureRun(tmp, { runId: 'later', fromMs: Date.UTC(2025, 1, 3), seed: 2, stepMs: 300_000 });
    const d = writeFixtureRun(tmp, { runId: 'otherdata', seed: 3, stepMs: 300_000, dataSha: 'c'.repeat(64) });
    const r1 = await compareRuns([a, c], { out: join(tmp, 'w1') });
    expect(r1.comparison.warnings[0]).toMatch(/different windows: aggressive 2025-02-02T00:00Z → 2025-02-04T00:00Z; later 2025-02-03T00:00Z → 2025-02-05T00:00Z/);
    expect(r1.terminal).toMatch(/^WARNING: runs cover different windows/);
    expect(readFileSync(r1.html, 'utf8')).toContain('class="warn"');
    expect(readFileSync(r1.md, 'utf8')).toContain('**Warning:** runs cover different windows');
    const r2 = await compareRuns([a, d], { out: join(tmp, 'w2') });
    expect(r2.comparison.warnings).toHaveLength(1);
    expect(r2.comparison.warnings[0]).toMatch(/different input data.*binance ETH\/USDT ohlcv 1m .*aggressive aaaaaaaaaaaa, otherdata cccccccccccc/);
    expect(readFileSync(r2.html, 'utf8')).toContain('different input data');
  });

  it('a bad run dir: error naming it, non-zero exit, nothing written', async () => {
    const out = join(tmp, 'never');
    const orig = process.stderr.write.bind(process.stderr);
    let err = '';
    (process.stderr as unknown as { write: (s: string) => boolean }).write = (s: string) => ((err += s), true);
    let code: number;
    try {
      code = await main(['compare', a, join(tmp, 'missing-run'), '--out', out]);
    } finally {
      (process.stderr as unknown as { write: typeof orig }).write = orig;
    }
    expect(code).toBe(1);
    expect(err).toContain('missing-run does not exist');
    expect(existsSync(out)).toBe(false);
    await expect(compareRuns([a])).rejects.toThrow(/at least two run directories/);
  });

  it('different capital: equity overlaid as growth of 1', () => {
    const big = writeFixtureRun(tmp, { runId: 'big', capital: 20_000, seed: 11, stepMs: 300_000 });
    const ch = compareCharts(buildComparison([b, big]))[0]!;
    expect(ch.title).toBe('Equity / initial equity, overlaid');
    const first = ch.series.map((s) => s.values.find((v) => v !== null)!);
    for (const v of first) expect(v).toBeGreaterThan(0.9);
    for (const v of first) expect(v).toBeLessThan(1.1);
    expect(compareCharts(buildComparison([a, b]))[0]!.title).toBe('Equity, overlaid');
  });

  it('column names: directory names if unique, else run ids, else id #n', () => {
    const r = (dir: string, runId: string) => ({ dir, run: { runId } }) as unknown as RunData;
    const id2 = 'delta-neutral-ETH-USDT-binance-20250202-20250205-s1-24836ded';
    const id5 = 'delta-neutral-ETH-USDT-binance-20250202-20250205-s1-acba5373';
    expect(runNames([r('/x/lev2', id2), r('/x/lev5', id5)])).toEqual(['lev2', 'lev5']);
    expect(runNames([r(`/reports/${id2}`, id2), r(`/reports/${id5}`, id5)])).toEqual([id2, id5]);
    expect(runNames([r('/a/run', id2), r('/b/run', id5)])).toEqual([id2, id5]);
    expect(runNames([r('/a/run', id2), r('/b/run', id2)])).toEqual([id2, `${id2} #2`]);
  });
});
