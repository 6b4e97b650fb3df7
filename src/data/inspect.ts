/**
 * Summary of one series for `perpcarry data inspect`: range, rows, gaps, per-column statistics and,
 * for funding, interval changes and the annualised mean rate.
 */
import type { SeriesKind } from '../core/ids.js';
import { MS_PER_HOUR, MS_PER_YEAR, isoUtc, timeframeToMs } from '../core/time.js';
import { describeFundingGap, findFundingGaps, type FundingGap } from './funding-gaps.js';
import type { SeriesColumns } from './store.js';
import { barPhaseMs, describeBarPhase } from './validate.js';

/** Statistics of one value column (NaN excluded). */
export interface ColumnStats {
  column: string;
  nulls: number;
  min: number;
  max: number;
  mean: number;
  /** Row of the min / max (0-based) and its ts. */
  minTs: number;
  maxTs: number;
}

/** A run of missing rows between two present ones. */
export interface GapRange {
  /** Last ts present before the gap and first ts after it. */
  afterTs: number;
  beforeTs: number;
  missing: number;
}

/** A change of funding interval at a settlement. */
export interface IntervalChange {
  ts: number;
  fromHours: number;
  toHours: number;
}

export interface SeriesSummary {
  kind: SeriesKind;
  timeframe?: string;
  rows: number;
  firstTs: number;
  lastTs: number;
  /** Bar series: phase of the bar opens, ms after the UTC timeframe grid (0 = on it), and in words. */
  phaseMs?: number;
  phase?: string;
  /** Bar series: rows whose phase differs from the previous bar's (an error in `data validate`). */
  phaseChanges?: number;
  /** Total missing bars / settlements, and the largest gap ranges (up to 10, largest first). */
  missing: number;
  gapCount: number;
  largestGaps: GapRange[];
  stats: ColumnStats[];
  funding?: {
    intervalChanges: IntervalChange[];
    /** Hours → number of settlements with that interval. */
    intervals: Record<string, number>;
    /** Mean of rate / interval_hours × 24 × 365 (simple, not compounded), a decimal per year. */
    meanApr: number;
    positiveFraction: number;
    /** Mean rate per 8 h (rate / interval_hours × 8), decimal. */
    meanPer8h: number;
    /**
     * Compounded APR: the growth of 1 unit receiving every settlement of the range,
     * (Π (1 + rate))^(365 d / span) − 1, span = first to last settlement plus one interval.
     */
    compoundedApr: number;
    /** Settlements missing on the data's own grid within the range (src/data/funding-gaps.ts). */
    gaps: FundingGap[];
  };
  /** The range asked with --from/--to (ISO UTC), when one was. */
  range?: { from: string; to: string };
}

/** Summarise a series (typed-array loops, no row objects). */
export function inspectSeries(
  series: SeriesColumns,
  kind: SeriesKind,
  timeframe?: string,
  range?: { fromMs: number; toMs: number },
  /** The whole series when `series` is a range of it: funding gaps are found on its grid. */
  whole: SeriesColumns = series,
): SeriesSummary {
  const ts = series.ts;
  const n = ts.length;
  const gaps: GapRange[] = [];
  let missing = 0;
  const iv = series.columns['interval_hours'];
  const tf = kind === 'funding' ? 0 : timeframe ? timeframeToMs(timeframe) : 0;
  for (let i = 1; i < n; i++) {
    const step = kind === 'funding' ? (iv && iv[i]! > 0 ? iv[i]! : 8) * MS_PER_HOUR : tf;
    if (!(step > 0)) break;
    const m = Math.round((ts[i]! - ts[i - 1]!) / step) - 1;
    if (m > 0) {
      missing += m;
      gaps.push({ afterTs: ts[i - 1]!, beforeTs: ts[i]!, missing: m });
    }
  }
  const gapCount = gaps.length;
  gaps.sort((a, b) => b.missing - a.missing || a.afterTs - b.afterTs);
  const stats: ColumnStats[] = [];
  for (const [name, col] of Object.entries(series.columns)) {
    let nulls = 0;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let minTs = NaN;
    let maxTs = NaN;
    for (let i = 0; i < n; i++) {
      const v = col[i]!;
      if (Number.isNaN(v)) {
        nulls++;
        continue;
      }
      sum += v;
      if (v < min) {
        min = v;
        minTs = ts[i]!;
      }
      if (v > max) {
        max = v;
        maxTs = ts[i]!;
      }
    }
    const k = n - nulls;
    stats.push({ column: name, nulls, min: k ? min : NaN, max: k ? max : NaN, mean: k ? sum / k : NaN, minTs, maxTs });
  }
  const out: SeriesSummary = {
    kind,
    rows: n,
    firstTs: n ? ts[0]! : NaN,
    lastTs: n ? ts[n - 1]! : NaN,
    missing,
    gapCount,
    largestGaps: gaps.slice(0, 10),
    stats,
  };
  if (timeframe) out.timeframe = timeframe;
  if (range) out.range = { from: isoUtc(range.fromMs), to: isoUtc(range.toMs) };
  if (tf > 0 && n > 0) {
    const ph = barPhaseMs(ts[0]!, tf);
    let changes = 0;
    for (let i = 1; i < n; i++) if (barPhaseMs(ts[i]!, tf) !== barPhaseMs(ts[i - 1]!, tf)) changes++;
    out.phaseMs = ph;
    out.phase = ph === 0 ? `${timeframe} bars open on the UTC grid (offset 0)` : describeBarPhase(timeframe!, ph);
    out.phaseChanges = changes;
  }
  if (kind === 'funding') {
    const rate = series.columns['rate']!;
    const changes: IntervalChange[] = [];
    const intervals: Record<string, number> = {};
    let aprSum = 0;
    let pos = 0;
    let logGrowth = 0;
    for (let i = 0; i < n; i++) {
      const h = iv ? iv[i]! : 8;
      intervals[String(h)] = (intervals[String(h)] ?? 0) + 1;
      if (i > 0 && iv && iv[i - 1] !== h) changes.push({ ts: ts[i]!, fromHours: iv[i - 1]!, toHours: h });
      aprSum += (rate[i]! / h) * 24 * 365;
      logGrowth += Math.log1p(rate[i]!);
      if (rate[i]! > 0) pos++;
    }
    const meanApr = n ? aprSum / n : NaN;
    const spanMs = n ? ts[n - 1]! - ts[0]! + (iv ? iv[0]! : 8) * MS_PER_HOUR : NaN;
    out.funding = {
      intervalChanges: changes,
      intervals,
      meanApr,
      positiveFraction: n ? pos / n : NaN,
      meanPer8h: meanApr * (8 / (24 * 365)),
      compoundedApr: n ? Math.expm1((logGrowth * MS_PER_YEAR) / spanMs) : NaN,
      gaps: fundingGapsOf(whole, range ?? (n ? { fromMs: ts[0]!, toMs: ts[n - 1]! } : undefined)),
    };
  }
  return out;
}

function fundingGapsOf(s: SeriesColumns, range: { fromMs: number; toMs: number } | undefined): FundingGap[] {
  const iv = s.columns['interval_hours'];
  return iv && range ? findFundingGaps(s.ts, iv, range.fromMs, range.toMs) : [];
}

/** Human-readable rendering of a summary. */
export function formatSummary(s: SeriesSummary, title: string): string {
  const iso = (t: number) => (Number.isFinite(t) ? isoUtc(t).slice(0, 16).replace('T', ' ') : '-');
  const lines = [
    title,
    `  rows      ${s.rows}`,
    `  range     ${iso(s.firstTs)} → ${iso(s.lastTs)} UTC${s.range ? ` (rows in --from ${s.range.from} --to ${s.range.to})` : ''}`,
    `  gaps      ${s.gapCount} gap(s), ${s.missing} missing ${s.kind === 'funding' ? 'settlement(s)' : `${s.timeframe} bar(s)`}`,
  ];
  if (s.phase !== undefined) lines.push(`  phase     ${s.phase}${s.phaseChanges ? `; PHASE CHANGES ×${s.phaseChanges} (see data validate)` : ''}`);
  for (const g of s.largestGaps.slice(0, 5)) lines.push(`            ${iso(g.afterTs)} → ${iso(g.beforeTs)}: ${g.missing} missing`);
  lines.push('  column           nulls          min          max         mean   (min at / max at)');
  for (const c of s.stats) {
    const f = (x: number) => (Number.isFinite(x) ? (Math.abs(x) < 0.01 && x !== 0 ? x.toExponential(4) : x.toFixed(4)) : 'NaN').padStart(12);
    lines.push(`  ${c.column.padEnd(14)} ${String(c.nulls).padStart(7)} ${f(c.min)} ${f(c.max)} ${f(c.mean)}   (${iso(c.minTs)} / ${iso(c.maxTs)})`);
  }
  if (s.funding) {
    const f = s.funding;
    lines.push(`  intervals ${Object.entries(f.intervals).map(([h, k]) => `${h}h×${k}`).join(', ')}`);
    lines.push(`  interval changes: ${f.intervalChanges.length ? f.intervalChanges.map((c) => `${iso(c.ts)} ${c.fromHours}h→${c.toHours}h`).join(', ') : 'none'}`);
    lines.push(`  mean rate ${(f.meanPer8h * 100).toFixed(4)}% per 8h; annualised ${(f.meanApr * 100).toFixed(2)}% simple (rate × settlements per year), ${(f.compoundedApr * 100).toFixed(2)}% compounded (Π(1 + rate) over the range, to a year)`);
    lines.push(`  positive  ${(f.positiveFraction * 100).toFixed(1)}% of settlements`);
    lines.push(`  funding gaps (missing on the data's own settlement grid): ${f.gaps.length ? '' : 'none'}`);
    for (const g of f.gaps.slice(0, 20)) lines.push(`            ${describeFundingGap(g)}`);
    if (f.gaps.length > 20) lines.push(`            … ${f.gaps.length - 20} more (--json lists them all)`);
  }
  return lines.join('\n');
}
