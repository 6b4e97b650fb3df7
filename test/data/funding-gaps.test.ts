/**
 * Missing funding settlements (issue 11.3): hand-made grids, then the real Hyperliquid BTC hole
 * of March 2025 through a backtest (warning, summary.json dataIssues, --on-funding-gap error).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFundingGap, findFundingGaps, missingSettlements } from '../../src/data/funding-gaps.js';
import { runBacktest } from '../../src/engine/backtest.js';
import { buildSummary } from '../../src/analysis/run-writer.js';
import holdPerp from '../../strategies/hold-perp/index.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 2, 1);
const grid = (hours: number[], iv: number | number[]) => ({
  ts: Float64Array.from(hours, (h) => T0 + h * H),
  iv: Float64Array.from(hours, (_, i) => (Array.isArray(iv) ? iv[i]! : iv)),
});

describe('findFundingGaps (hand-made grids)', () => {
  it('an 8h grid with 00:00 and 08:00 of day 2 missing: one gap of 2, exact range', () => {
    const { ts, iv } = grid([0, 8, 16, 40, 48], 8);
    const g = findFundingGaps(ts, iv, T0, T0 + 48 * H);
    expect(g).toHaveLength(1);
    expect(g[0]!.firstMissingTs).toBe(T0 + 24 * H);
    expect(g[0]!.lastMissingTs).toBe(T0 + 32 * H);
    expect(g[0]!.missing).toBe(2);
    expect(g[0]!.afterTs).toBe(T0 + 16 * H);
    expect(g[0]!.beforeTs).toBe(T0 + 40 * H);
    expect(describeFundingGap(g[0]!)).toBe('2025-03-02T00:00Z → 2025-03-02T08:00Z (2 8h settlements missing; none between 2025-03-01T16:00Z and 2025-03-02T16:00Z)');
  });

  it('only the part inside the window (fromMs, toMs] counts; complete grids and ms jitter are not gaps', () => {
    const { ts, iv } = grid([0, 8, 16, 40, 48], 8);
    // Window (T0 + 28h, T0 + 48h]: the missing 24:00 is before it, 32:00 inside.
    const g = findFundingGaps(ts, iv, T0 + 28 * H, T0 + 48 * H);
    expect(g.map((x) => [x.firstMissingTs, x.missing])).toEqual([[T0 + 32 * H, 1]]);
    // Window ending before the gap.
    expect(findFundingGaps(ts, iv, T0, T0 + 16 * H)).toEqual([]);
    // Binance stamps a few ms late: 00:00:00.004 and 08:00:00.011 are on time.
    const jitter = Float64Array.from([T0, T0 + 8 * H + 4, T0 + 16 * H + 11, T0 + 24 * H]);
    expect(findFundingGaps(jitter, new Float64Array(4).fill(8), T0, T0 + 24 * H)).toEqual([]);
  });

  it('interval switches (8h → 4h, 4h → 8h, 1h → 8h) are not gaps; a 4h grid with one hole is', () => {
    const a = grid([0, 8, 12, 16, 20, 24, 32], [8, 8, 4, 4, 4, 4, 8]);
    expect(findFundingGaps(a.ts, a.iv, T0, T0 + 32 * H)).toEqual([]);
    const b = grid([0, 1, 2, 3, 8, 16], [1, 1, 1, 1, 8, 8]);
    expect(findFundingGaps(b.ts, b.iv, T0, T0 + 16 * H)).toEqual([]);
    const c = grid([0, 4, 12, 16], 4);
    const g = findFundingGaps(c.ts, c.iv, T0, T0 + 16 * H);
    expect(g.map((x) => [x.firstMissingTs, x.lastMissingTs, x.missing])).toEqual([[T0 + 8 * H, T0 + 8 * H, 1]]);
  });

  it('data ending inside the window: the settlements due up to the window end are missing', () => {
    const { ts, iv } = grid([0, 1, 2], 1);
    const g = findFundingGaps(ts, iv, T0, T0 + 6 * H);
    expect(g.map((x) => [x.firstMissingTs, x.lastMissingTs, x.missing])).toEqual([[T0 + 3 * H, T0 + 6 * H, 4]]);
    expect(missingSettlements(g)).toBe(4);
  });
});

describe('Hyperliquid BTC, March 2025 (bundled data)', () => {
  const dataDir = join(process.cwd(), 'data');
  const config = {
    strategy: holdPerp, venues: ['hyperliquid'], symbol: 'BTC/USDC', timeframe: '1h',
    fromMs: Date.UTC(2025, 2, 10), toMs: Date.UTC(2025, 3, 1), dataDir,
  };
  const exact = 'hyperliquid BTC/USDC:USDC funding gap: 2025-03-16T20:00Z → 2025-03-25T23:00Z (220 hourly settlements missing; none between 2025-03-16T19:00Z and 2025-03-26T00:00Z)';

  it('a run over the hole warns with the exact range and lists it in summary.json dataIssues', () => {
    const warnings: string[] = [];
    const r = runBacktest({ ...config, onLog: (level, _ts, m) => level === 'warn' && warnings.push(m) });
    expect(warnings).toContain(exact);
    const s = buildSummary(r, 'gap');
    expect(s.dataIssues).toHaveLength(1);
    expect(s.dataIssues[0]).toMatchObject({ kind: 'funding-gap', firstMissing: '2025-03-16T20:00:00.000Z', lastMissing: '2025-03-25T23:00:00.000Z', missing: 220, after: '2025-03-16T19:00:00.000Z', before: '2025-03-26T00:00:00.000Z' });
    // 22 days × 24 = 528 hourly settlements due in the window, 220 missing: the book held 308.
    expect(r.portfolio.fundings).toHaveLength(22 * 24 - 220);
  });

  it('--on-funding-gap error refuses the run naming the gap', () => {
    expect(() => runBacktest({ ...config, onFundingGap: 'error' })).toThrow(exact);
  });

  it('a window clear of the hole has no data issues', () => {
    const r = runBacktest({ ...config, fromMs: Date.UTC(2025, 2, 27), toMs: Date.UTC(2025, 3, 10) });
    expect(buildSummary(r, 'ok').dataIssues).toEqual([]);
  });
});

describe('data inspect funding statistics for a range', () => {
  it('mean per 8h, share positive, simple and compounded APR, gaps of the range (hand-computed)', async () => {
    const { inspectSeries } = await import('../../src/data/inspect.js');
    // Four 8h settlements at 0.01 %, 0.02 %, −0.01 %, 0.02 %, then one missing (day 2 08:00), one more.
    const ts = Float64Array.from([0, 8, 16, 24, 40].map((h) => T0 + h * H));
    const rate = Float64Array.from([0.0001, 0.0002, -0.0001, 0.0002, 0.0001]);
    const s = { ts, columns: { rate, interval_hours: new Float64Array(5).fill(8) } };
    const f = inspectSeries(s, 'funding', undefined, { fromMs: T0, toMs: T0 + 40 * H }).funding!;
    const mean = 0.0005 / 5;
    expect(f.meanPer8h).toBeCloseTo(mean, 15);
    expect(f.meanApr).toBeCloseTo(mean * 1095, 12); // simple: × settlements per year
    expect(f.positiveFraction).toBe(0.8);
    // compounded: Π(1 + r) over 48 h (first to last settlement + one interval), to 365 d
    const growth = 1.0001 * 1.0002 * 0.9999 * 1.0002 * 1.0001;
    expect(f.compoundedApr).toBeCloseTo(growth ** (365 * 24 / 48) - 1, 10);
    expect(f.gaps.map((g) => [g.firstMissingTs, g.missing])).toEqual([[T0 + 32 * H, 1]]);
  });
});
