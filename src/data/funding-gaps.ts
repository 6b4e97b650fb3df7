/**
 * Missing funding settlements. A perp's expected settlement grid comes from its own data: each
 * settlement row carries its native interval (8 h, 4 h, 1 h; it changes over time on Binance,
 * hourly on Hyperliquid), so after a settlement at t with interval h the next one is due at
 * t + h. A missing settlement inside a run window means the run silently books no funding for those
 * hours (Hyperliquid BTC has none from 2025-03-16 19:00 to 03-26 00:00 UTC: 221 hourly settlements).
 *
 * Pure functions over typed arrays; the engine (src/engine/backtest.ts) warns or refuses a run
 * with them, `data inspect --from/--to` lists them.
 */
import { MS_PER_HOUR, isoUtc, type UnixMs } from '../core/time.js';

/**
 * Slack when comparing a settlement's time with the grid: Binance stamps settlements a few ms
 * late (snapped by the importer, but raw stores may keep the jitter), some venues minutes.
 * A quarter of the shortest interval (15 min for hourly funding) tolerates any such lateness and
 * can never hide a whole missing settlement.
 */
const SLACK_FRACTION = 0.25;

/** One run of missing settlements. */
export interface FundingGap {
  /** Last settlement present before the gap (it may lie before the window). */
  afterTs: UnixMs;
  /** First settlement present after the gap (the window end when the data stops inside it). */
  beforeTs: UnixMs;
  /** First and last expected settlement time that is missing. */
  firstMissingTs: UnixMs;
  lastMissingTs: UnixMs;
  /** Number of settlements missing (on the interval in force before the gap). */
  missing: number;
  /** The interval in force, hours. */
  intervalHours: number;
}

/**
 * Gaps in a funding series within the window (fromMs, toMs]: a missing settlement is an expected
 * grid time t (previous settlement + its interval, repeatedly) with fromMs < t ≤ toMs that has
 * no settlement. Settlements before the window anchor the grid at its start; without one, the
 * window start is not checked (the data may simply begin inside the window: coverage warnings say so).
 * `ts` must be increasing; `intervalHours[i]` is the interval of row i (> 0).
 */
export function findFundingGaps(ts: Float64Array, intervalHours: Float64Array, fromMs: UnixMs, toMs: UnixMs): FundingGap[] {
  const out: FundingGap[] = [];
  const n = ts.length;
  for (let i = 0; i < n; i++) {
    const h = intervalHours[i]!;
    if (!(h > 0)) continue;
    const step = h * MS_PER_HOUR;
    const slack = SLACK_FRACTION * step;
    const due = ts[i]! + step;
    if (due > toMs) break; // the next settlement is due after the window
    const next = i + 1 < n ? ts[i + 1]! : Infinity;
    // At an interval switch (Binance 1h back to 8h) the next settlement comes on the new interval:
    // it is on time within the longer of the two.
    const nextStep = i + 1 < n && intervalHours[i + 1]! > 0 ? intervalHours[i + 1]! * MS_PER_HOUR : step;
    if (next <= ts[i]! + Math.max(step, nextStep) + slack) continue;
    // Missing: every grid time from `due` while before the next settlement (minus slack) and ≤ toMs.
    const end = Math.min(next - slack, toMs + slack);
    let first = due;
    while (first <= fromMs + slack && first < end) first += step; // grid times before the window are not ours
    if (!(first < end) || first > toMs + slack) continue;
    const missing = Math.floor((end - first) / step) + 1;
    const last = first + (missing - 1) * step;
    out.push({ afterTs: ts[i]!, beforeTs: next === Infinity ? toMs : next, firstMissingTs: first, lastMissingTs: last, missing, intervalHours: h });
  }
  return out;
}

/** Total settlements missing over the gaps. */
export function missingSettlements(gaps: readonly FundingGap[]): number {
  let m = 0;
  for (const g of gaps) m += g.missing;
  return m;
}

/** `2025-03-16T19:00Z → 2025-03-25T23:00Z (221 hourly settlements missing)`: one gap in words. */
export function describeFundingGap(g: FundingGap): string {
  const t = (x: number): string => isoUtc(x).replace(':00.000Z', 'Z');
  const every = g.intervalHours === 1 ? 'hourly' : `${g.intervalHours}h`;
  return `${t(g.firstMissingTs)} → ${t(g.lastMissingTs)} (${g.missing} ${every} settlement${g.missing === 1 ? '' : 's'} missing; none between ${t(g.afterTs)} and ${t(g.beforeTs)})`;
}

/** A funding gap of one perp inside a run window, as summary.json `dataIssues` lists it. */
export interface FundingGapIssue {
  kind: 'funding-gap';
  venue: string;
  symbol: string;
  /** First and last missing settlement, ISO UTC. */
  firstMissing: string;
  lastMissing: string;
  missing: number;
  intervalHours: number;
  /** The settlements present on either side, ISO UTC. */
  after: string;
  before: string;
  message: string;
}

/** The issue record of a gap of `venue symbol`. */
export function fundingGapIssue(venue: string, symbol: string, g: FundingGap): FundingGapIssue {
  return {
    kind: 'funding-gap',
    venue,
    symbol,
    firstMissing: isoUtc(g.firstMissingTs),
    lastMissing: isoUtc(g.lastMissingTs),
    missing: g.missing,
    intervalHours: g.intervalHours,
    after: isoUtc(g.afterTs),
    before: isoUtc(g.beforeTs),
    message: `${venue} ${symbol} funding gap: ${describeFundingGap(g)}`,
  };
}
