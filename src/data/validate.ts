/**
 * Series validation: the checks `perpcarry data validate` runs and the engine runs before a
 * backtest (it refuses data with errors unless told to accept them).
 *
 * Severities: `error` = the data is wrong or unusable as is (unordered/duplicate ts, NaN/inf where a
 * value is required, non-positive prices, OHLC inconsistent, funding settlements closer than their
 * interval, rates no venue allows); `warning` = real but notable (gaps, extreme rates, off-grid
 * settlements); `info` = facts worth knowing (funding interval changes, null marks, bars that open
 * off the UTC grid at a constant phase). A bar whose phase differs from the previous bar's (not a
 * whole number of bars after it) is an error.
 */
import type { SeriesKind } from '../core/ids.js';
import { MS_PER_HOUR, isoUtc, timeframeToMs } from '../core/time.js';
import { KIND_COLUMNS, NULLABLE_COLUMNS, kindHasTimeframe } from './schema.js';
import type { SeriesColumns } from './store.js';

export type Severity = 'error' | 'warning' | 'info';

/** One example occurrence of an issue: 0-based row in the series and its ts. */
export interface IssueExample {
  row: number;
  ts: number;
  detail: string;
}

/** A class of problem found in a series, with how often it occurs and a few examples. */
export interface ValidationIssue {
  severity: Severity;
  /** Stable machine-readable code, e.g. `ts-not-increasing`, `gap`, `ohlc-inconsistent`. */
  code: string;
  message: string;
  count: number;
  examples: IssueExample[];
}

/** The result of validating one series. `ok` ⇔ no errors. */
export interface ValidationReport {
  path?: string;
  kind: SeriesKind;
  timeframe?: string;
  rows: number;
  firstTs: number;
  lastTs: number;
  issues: ValidationIssue[];
  /** Bar series: phase of the first bar, ms after the UTC timeframe grid (see {@link barPhaseMs}). */
  phaseMs?: number;
  errors: number;
  warnings: number;
  infos: number;
  ok: boolean;
}

/** Thresholds of the plausibility checks. */
export interface ValidateOptions {
  /** |rate| per interval above this is a warning (default 0.0075 = 0.75%, above Binance/Bybit BTC/ETH caps in the data). */
  rateWarnAbs?: number;
  /** |rate| per interval at or above this is an error: no venue allows it; usually a percent value stored as decimal (default 0.05). */
  rateErrorAbs?: number;
  /** Max examples kept per issue (default 5). */
  maxExamples?: number;
  /**
   * A bar whose open, high, low or close is more than this factor above or below the previous
   * bar's close is an error (default 10: the deepest real move in the data, BTC −52 % in March
   * 2020, is a factor 2; a stray 1e308 or a price in the wrong unit is not).
   */
  priceJumpFactor?: number;
}

/** Funding intervals (hours) venues use: 1 (Hyperliquid, dYdX), 2, 4 and 8 (Binance, Bybit, OKX). */
const KNOWN_INTERVALS = new Set([1, 2, 4, 8]);

class IssueSink {
  readonly map = new Map<string, ValidationIssue>();
  constructor(private readonly maxExamples: number) {}
  add(severity: Severity, code: string, message: string, row: number, ts: number, detail: string): void {
    let it = this.map.get(code);
    if (!it) {
      it = { severity, code, message, count: 0, examples: [] };
      this.map.set(code, it);
    }
    it.count++;
    if (it.examples.length < this.maxExamples) it.examples.push({ row, ts, detail });
  }
}

/**
 * Validate a series of `kind` (bars need `timeframe`). Pure: reads typed arrays, allocates only the
 * report. Column names follow {@link KIND_COLUMNS}; a missing required column is an error.
 */
export function validateSeries(series: SeriesColumns, kind: SeriesKind, timeframe?: string, opts: ValidateOptions = {}): ValidationReport {
  const sink = new IssueSink(opts.maxExamples ?? 5);
  const ts = series.ts;
  const n = ts.length;
  const cols = KIND_COLUMNS[kind];
  const nullable = new Set(NULLABLE_COLUMNS[kind]);
  for (const c of cols) {
    const col = series.columns[c];
    if (!col) sink.add('error', 'missing-column', `column "${c}" is missing`, -1, NaN, c);
    else if (col.length !== n) sink.add('error', 'column-length', `column "${c}" has a different length than ts`, -1, NaN, `${c}: ${col.length} vs ${n}`);
  }
  if (n === 0) sink.add('warning', 'empty', 'series has no rows', -1, NaN, '');
  // ---- timestamps
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    if (!Number.isSafeInteger(t)) sink.add('error', 'ts-not-integer', 'ts is not an integer ms', i, t, String(t));
    if (i > 0) {
      const p = ts[i - 1]!;
      if (t === p) sink.add('error', 'duplicate-ts', 'duplicate timestamps', i, t, isoUtc(t));
      else if (t < p) sink.add('error', 'ts-not-increasing', 'timestamps go backwards', i, t, `${isoUtc(p)} then ${isoUtc(t)}`);
    }
  }
  // ---- values: finiteness, positivity
  for (const c of cols) {
    const col = series.columns[c];
    if (!col || col.length !== n) continue;
    // Per column, not per cell: these loops run over every value of a 10M-row import.
    const isPrice = c === 'open' || c === 'high' || c === 'low' || c === 'close' || c === 'mark_price';
    const isQty = c === 'volume' || c === 'oi_qty' || c === 'oi_notional';
    const required = !nullable.has(c);
    for (let i = 0; i < n; i++) {
      const v = col[i]!;
      if (Number.isNaN(v)) {
        if (required) sink.add('error', 'nan', 'NaN/null where a value is required', i, ts[i]!, c);
      } else if (!Number.isFinite(v)) sink.add('error', 'infinite', 'infinite value', i, ts[i]!, `${c} = ${v}`);
      else if (isPrice && v <= 0) sink.add('error', 'non-positive-price', 'price ≤ 0', i, ts[i]!, `${c} = ${v}`);
      else if (isQty && v < 0) sink.add('error', 'negative-quantity', 'negative volume / open interest', i, ts[i]!, `${c} = ${v}`);
    }
  }
  // ---- OHLC consistency
  const o = series.columns['open'];
  const h = series.columns['high'];
  const l = series.columns['low'];
  const cl = series.columns['close'];
  if (o && h && l && cl && o.length === n && h.length === n && l.length === n && cl.length === n) {
    for (let i = 0; i < n; i++) {
      const oi = o[i]!;
      const hi = h[i]!;
      const li = l[i]!;
      const ci = cl[i]!;
      if (!(li <= oi && li <= ci && oi <= hi && ci <= hi && li <= hi)) {
        if ([oi, hi, li, ci].some((x) => Number.isNaN(x))) continue; // reported as nan
        sink.add('error', 'ohlc-inconsistent', 'OHLC inconsistent (need low ≤ open, close ≤ high)', i, ts[i]!, `o=${oi} h=${hi} l=${li} c=${ci}`);
      }
    }
  }
  // ---- implausible jumps bar to bar (a finite 1e308 passes every check above and makes equity infinite)
  if (o && h && l && cl && o.length === n && h.length === n && l.length === n && cl.length === n) {
    const k = opts.priceJumpFactor ?? 10;
    for (let i = 1; i < n; i++) {
      const prev = cl[i - 1]!;
      if (!(prev > 0) || !Number.isFinite(prev)) continue;
      const hiRatio = h[i]! / prev;
      const loRatio = l[i]! / prev;
      if (hiRatio > k || loRatio < 1 / k) {
        sink.add('error', 'price-jump', `price jumps by more than ×${k} from the previous close (plausibility factor)`, i, ts[i]!, `previous close ${prev}, bar high ${h[i]} low ${l[i]}`);
      }
    }
  }
  // ---- bars: phase and gaps. A bar series may open off the UTC grid (e.g. 8h bars at 04/12/20 UTC):
  // the phase (open mod timeframe) is a property of the series, reported as info. It must not
  // change inside the series: consecutive opens are a whole number of bars apart (more = gap).
  let phaseMs: number | undefined;
  if (kindHasTimeframe(kind)) {
    if (!timeframe) sink.add('error', 'no-timeframe', 'bar series without a timeframe', -1, NaN, '');
    else {
      const tf = timeframeToMs(timeframe);
      if (n > 0 && Number.isFinite(ts[0]!)) phaseMs = barPhaseMs(ts[0]!, tf);
      let minSpacingMs = Infinity;
      for (let i = 1; i < n; i++) {
        const t = ts[i]!;
        const p = ts[i - 1]!;
        const d = t - p;
        if (!(d > 0)) continue; // reported as duplicate / backwards
        if (d < minSpacingMs) minSpacingMs = d;
        // The next bar exactly one timeframe on (integer ms) keeps the phase and leaves no gap:
        // nearly every row, decided without the two float modulos below.
        if (d === tf && Number.isSafeInteger(t) && Number.isSafeInteger(p)) continue;
        const ph = barPhaseMs(t, tf);
        const prevPh = barPhaseMs(p, tf);
        if (ph !== prevPh) {
          sink.add('error', 'bar-phase-change', `bar phase changes inside the series (a ${timeframe} series keeps one phase)`, i, t,
            `${isoUtc(p)} then ${isoUtc(t)}: ${d} ms apart, not a whole number of ${timeframe} bars (phase ${formatOffset(prevPh)} → ${formatOffset(ph)})`);
        }
        if (d < tf) sink.add('error', 'bar-spacing', `bars closer than ${timeframe}`, i, t, `${d} ms after the previous bar`);
        else if (d > tf && ph === prevPh) {
          const missing = Math.round(d / tf) - 1;
          sink.add('warning', 'gap', `gaps (missing ${timeframe} bars)`, i, t, `${missing} bar(s) missing after ${isoUtc(p)}`);
        }
      }
      // Hourly bars imported with --timeframe 5m pass every check above as "5m bars with 11 missing
      // after each": when no two bars of 3+ are one timeframe apart, the timeframe is wrong.
      if (n >= 3 && Number.isFinite(minSpacingMs) && minSpacingMs > tf && minSpacingMs % tf === 0) {
        sink.add('error', 'timeframe-mismatch',
          `no two bars are ${timeframe} apart (the closest are ${formatOffset(minSpacingMs)} apart): these look like ${formatOffset(minSpacingMs)} bars, not ${timeframe} (check --timeframe)`,
          -1, NaN, `smallest spacing ${minSpacingMs} ms over ${n} bars`);
      }
      if (phaseMs !== undefined && phaseMs !== 0 && !sink.map.has('bar-phase-change')) {
        sink.add('info', 'bar-phase', describeBarPhase(timeframe, phaseMs), 0, ts[0]!, `phase ${phaseMs} ms`);
      }
    }
  }
  // ---- funding
  if (kind === 'funding') validateFunding(series, sink, opts);
  const issues = [...sink.map.values()].sort((a, b) => sevRank(a.severity) - sevRank(b.severity) || a.code.localeCompare(b.code));
  const count = (s: Severity) => issues.filter((x) => x.severity === s).length;
  const rep: ValidationReport = {
    kind,
    rows: n,
    firstTs: n ? ts[0]! : NaN,
    lastTs: n ? ts[n - 1]! : NaN,
    issues,
    errors: count('error'),
    warnings: count('warning'),
    infos: count('info'),
    ok: count('error') === 0,
  };
  if (timeframe) rep.timeframe = timeframe;
  if (phaseMs !== undefined) rep.phaseMs = phaseMs;
  return rep;
}

/**
 * Phase of a bar open within its timeframe: `ts mod timeframe` in [0, timeframe), ms since the Unix
 * epoch grid. 0 = on the UTC grid (8h bars at 00/08/16 UTC); 4 h for 8h bars at 04/12/20 UTC.
 */
export function barPhaseMs(ts: number, timeframeMs: number): number {
  return ((ts % timeframeMs) + timeframeMs) % timeframeMs;
}

/** A duration in ms as `4h`, `30m`, `4h30m`, `3d`, `15s` (for phase offsets). */
export function formatOffset(ms: number): string {
  if (ms === 0) return '0';
  const parts: string[] = [];
  let r = ms;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (r >= size) {
      parts.push(`${Math.floor(r / size)}${unit}`);
      r %= size;
    }
  }
  return parts.join('');
}

/**
 * One line describing the phase of a bar series, e.g. `8h bars open at 04/12/20 UTC (offset 4h
 * from the UTC grid)` or `1h bars open at HH:30 UTC (offset 30m from the UTC grid)`.
 */
export function describeBarPhase(timeframe: string, phaseMs: number): string {
  const tf = timeframeToMs(timeframe);
  const off = `offset ${formatOffset(phaseMs)} from the UTC grid`;
  const DAY = 86_400_000;
  if (tf <= DAY && DAY % tf === 0) {
    const hhmm = (t: number): string => {
      const h = String(Math.floor(t / MS_PER_HOUR)).padStart(2, '0');
      const m = Math.floor((t % MS_PER_HOUR) / 60_000);
      const sec = (t % 60_000) / 1000;
      return sec ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : m ? `${h}:${String(m).padStart(2, '0')}` : h;
    };
    if (tf >= MS_PER_HOUR && DAY / tf <= 12) {
      const opens: string[] = [];
      for (let t = phaseMs; t < DAY; t += tf) opens.push(hhmm(t));
      return `${timeframe} bars open at ${opens.join('/')} UTC (${off})`;
    }
    const within = phaseMs % MS_PER_HOUR;
    if (tf <= MS_PER_HOUR && within === phaseMs) return `${timeframe} bars open ${formatOffset(phaseMs)} past the ${timeframe} UTC grid (${off})`;
  }
  return `${timeframe} bars open ${formatOffset(phaseMs)} after the Unix-epoch ${timeframe} grid (${off})`;
}

function sevRank(s: Severity): number {
  return s === 'error' ? 0 : s === 'warning' ? 1 : 2;
}

function validateFunding(series: SeriesColumns, sink: IssueSink, opts: ValidateOptions): void {
  const ts = series.ts;
  const n = ts.length;
  const rate = series.columns['rate'];
  const iv = series.columns['interval_hours'];
  const mark = series.columns['mark_price'];
  const warnAbs = opts.rateWarnAbs ?? 0.0075;
  const errAbs = opts.rateErrorAbs ?? 0.05;
  if (rate && rate.length === n) {
    for (let i = 0; i < n; i++) {
      const r = Math.abs(rate[i]!);
      if (r >= errAbs) sink.add('error', 'rate-implausible', `|rate| ≥ ${errAbs} per interval: no venue allows it (percent stored as decimal?)`, i, ts[i]!, `rate = ${rate[i]}`);
      else if (r > warnAbs) sink.add('warning', 'rate-extreme', `|rate| > ${warnAbs} per interval (beyond the usual BTC/ETH caps)`, i, ts[i]!, `rate = ${rate[i]}`);
    }
  }
  let nullMarks = 0;
  if (mark && mark.length === n) for (let i = 0; i < n; i++) if (Number.isNaN(mark[i]!)) nullMarks++;
  if (nullMarks > 0) sink.add('info', 'mark-null', `${nullMarks} of ${n} settlements have no mark price`, -1, NaN, `${nullMarks} rows`);
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    const off = ((t % MS_PER_HOUR) + MS_PER_HOUR) % MS_PER_HOUR;
    if (off !== 0) {
      const jitter = off < MS_PER_HOUR / 2 ? off : off - MS_PER_HOUR;
      sink.add('warning', 'settlement-jitter', 'settlement ts not on the hour (import snaps exchange jitter; stored data should not have it)', i, t, `${jitter} ms`);
    }
  }
  if (!iv || iv.length !== n) return;
  for (let i = 0; i < n; i++) {
    const x = iv[i]!;
    if (!(x > 0)) continue; // NaN/≤0 reported below
    if (!KNOWN_INTERVALS.has(x)) sink.add('warning', 'interval-unusual', 'funding interval not one of 1, 2, 4, 8 h', i, ts[i]!, `${x} h`);
    if (x === 8 && ((ts[i]! / MS_PER_HOUR) % 8 + 8) % 8 !== 0) sink.add('info', 'interval-off-grid', '8h settlement not at 00/08/16 UTC', i, ts[i]!, isoUtc(ts[i]!));
    if (i > 0) {
      const stepH = (ts[i]! - ts[i - 1]!) / MS_PER_HOUR;
      if (stepH < x - 1e-9 && stepH > 0) sink.add('error', 'interval-mismatch', 'settlements closer together than the declared interval', i, ts[i]!, `step ${stepH} h, interval ${x} h`);
      else if (stepH > x + 1e-9) sink.add('warning', 'gap', 'gaps (missing settlements)', i, ts[i]!, `${Math.round(stepH / x) - 1} settlement(s) missing after ${isoUtc(ts[i - 1]!)}`);
      const prev = iv[i - 1]!;
      if (prev !== x) sink.add('info', 'interval-change', 'funding interval changes', i, ts[i]!, `${prev} h → ${x} h at ${isoUtc(ts[i]!)}`);
    }
  }
  for (let i = 0; i < n; i++) if (!(iv[i]! > 0) && !Number.isNaN(iv[i]!)) sink.add('error', 'interval-non-positive', 'interval_hours ≤ 0', i, ts[i]!, String(iv[i]));
}

/** One-line-per-issue text rendering of a report. */
export function formatReport(rep: ValidationReport): string {
  const head = `${rep.path ?? '(series)'}: ${rep.kind}${rep.timeframe ? ' ' + rep.timeframe : ''}, ${rep.rows} rows` +
    (rep.rows ? ` ${isoUtc(rep.firstTs).slice(0, 16)} → ${isoUtc(rep.lastTs).slice(0, 16)}` : '') +
    ` — ${rep.ok ? 'OK' : 'FAIL'} (${rep.errors} error, ${rep.warnings} warning, ${rep.infos} info classes)`;
  const lines = [head];
  for (const it of rep.issues) {
    const ex = it.examples.map((e) => (e.row >= 0 ? `row ${e.row} ${Number.isFinite(e.ts) ? isoUtc(e.ts).slice(0, 19) : ''}: ${e.detail}` : e.detail)).join('; ');
    lines.push(`  ${it.severity.padEnd(7)} ${it.code} ×${it.count}: ${it.message}${ex ? ` [${ex}${it.count > it.examples.length ? '; …' : ''}]` : ''}`);
  }
  return lines.join('\n');
}
