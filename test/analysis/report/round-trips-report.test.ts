/**
 * positions.csv (round trips) through the real writer and reader, and the report's round-trip
 * section: the file reads back to the same rows, sums to summary.json `pnl`, and report.md/html
 * show the aggregates; a run directory from before round trips gets a note, not an error.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../src/engine/backtest.js';
import { writeRunDir } from '../../../src/analysis/run-writer.js';
import { writeReports } from '../../../src/analysis/report/index.js';
import { readRunDir } from '../../../src/analysis/report/run-dir.js';
import { roundTripsFromTable } from '../../../src/analysis/report/round-trips.js';
import { ROUND_TRIP_PARTS, roundTripsOf } from '../../../src/analysis/round-trips.js';
import deltaNeutral from '../../../strategies/delta-neutral/index.js';
import { buildComparison } from '../../../src/analysis/compare.js';
import { writeFixtureRun } from '../fixture.js';

const dataDir = join(process.cwd(), 'data');

describe('positions.csv round trips in the run directory and the report', () => {
  const out = mkdtempSync(join(tmpdir(), 'perpcarry-rt-'));
  // Delta-neutral ETH over Jan 20 → Feb 10 2025, leverage 3: enters, tops up, is closed at the end.
  const r = runBacktest({ strategy: deltaNeutral, params: { leverage: 3, entryApr: 0.01 }, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: Date.UTC(2025, 0, 20), toMs: Date.UTC(2025, 1, 10), dataDir });
  const dir = join(out, 'run');
  const written = writeRunDir(r, dir, { runId: 'rt', createdAt: '2026-12-02T00:00:00.000Z', timing: { loadMs: 0, loopMs: 0, totalMs: 0, events: 0, eventsPerSec: 0 } });

  it('reads back to exactly the rows the run computed; the rows sum to summary.json pnl', () => {
    const run = readRunDir(dir);
    expect(run.roundTrips).not.toBeNull();
    const back = roundTripsFromTable(run.roundTrips!);
    const mem = roundTripsOf(r.portfolio, r.config.toMs);
    expect(back.rows).toEqual(mem.rows);
    expect(back.rows.length).toBeGreaterThanOrEqual(2);
    for (const k of ROUND_TRIP_PARTS) {
      const sum = [...back.rows, ...back.account].reduce((s, x) => s + x[k], 0);
      expect(Math.abs(sum - run.summary.pnl[k]!), k).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(run.summary.pnl[k]!)));
    }
    const s = written.summary.roundTrips;
    expect(s.episodes).toBe(back.rows.length);
    expect(s.net).toBeCloseTo(written.summary.pnl.total, 9);
    const json = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { roundTrips: Record<string, unknown> };
    expect(Object.keys(json.roundTrips)).toEqual(['episodes', 'closed', 'open', 'winRate', 'meanHoldingHours', 'funding', 'costs', 'fundingPerCost', 'net']);
    // The position snapshots stay, under their new name.
    expect(readFileSync(join(dir, 'position-changes.csv'), 'utf8').split('\n')[0]).toBe('ts,venue,symbol,type,qty,entryPrice,price,notional,isolatedMargin,liquidationPrice');
  }, 120_000);

  it('report.md and report.html show the aggregates and every episode, with the total equal to the attribution', async () => {
    await writeReports(dir);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    const s = written.summary.roundTrips;
    expect(md).toContain('## Round trips');
    expect(md).toContain(`| delta-neutral (all legs) | ${s.episodes} | ${s.closed} | ${s.open} |`);
    expect(md).toContain('| binance ETH/USDT:USDT perp |');
    const total = written.summary.pnl.total.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    expect(md).toMatch(new RegExp(`\\| Σ all rows = PnL attribution \\|.*\\| ${total.replace(/[.]/g, '\\.')} \\|`));
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('id="round-trip-stats"');
    expect((/<table id="round-trips">[\s\S]*?<\/table>/.exec(html)?.[0].match(/<tr>/g) ?? []).length).toBe(1 + s.episodes + 1);
  }, 120_000);

  it('a run directory from before round trips (positions.csv holds snapshots) is still read and reported, with a note', async () => {
    const old = writeFixtureRun(out, { runId: 'old', days: 3 });
    expect(readRunDir(old).roundTrips).toBeNull();
    await writeReports(old, { html: false });
    expect(readFileSync(join(old, 'report.md'), 'utf8')).toContain('This run directory predates round trips');
  });

  it('compare shows each run\'s round-trip aggregates (– for a run from before them)', () => {
    const old = writeFixtureRun(out, { runId: 'old-cmp', days: 3 });
    const c = buildComparison([dir, old]);
    const s = written.summary.roundTrips;
    const row = (k: string) => c.rows.find((x) => x.key === `roundTrips.${k}`)!.values;
    expect(row('episodes')).toEqual([s.episodes, null]);
    expect(row('winRate')).toEqual([s.winRate, null]);
    expect(row('meanHoldingHours')).toEqual([s.meanHoldingHours, null]);
    expect(row('fundingPerCost')).toEqual([s.fundingPerCost, null]);
  }, 120_000);
});
