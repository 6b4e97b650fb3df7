/**
 * How every number and date a user reads is written: report.html (tables, and the charts' axes
 * and legends, which receive {@link DISPLAY_RULES} as JSON), report.md, compare (terminal, md,
 * html) and the backtest's terminal summary. Rules in docs/reports-and-metrics.md
 * ("Numbers and dates"). Dates are UTC ISO 8601: an instant `2025-02-03T14:00Z`, a day
 * `2025-02-03`, a month `2025-02`.
 */

/** How a value is displayed. */
export type Unit = 'usd' | 'pct' | 'bps' | 'ratio' | 'hours' | 'int' | 'num';

/** The display rule of one unit. */
export interface DisplayRule {
  /** Fixed decimals; absent: `significant` digits instead. */
  decimals?: number;
  /** Significant digits (for `num`: quantities and prices of any size). */
  significant?: number;
  /** Multiply by this before printing (0.0123 → 1.23 for percent). */
  scale: number;
  /** Printed after the number (`%`, ` bp`, ` h`). */
  suffix: string;
  /** Thousands separators (`12,345.67`). */
  group: boolean;
}

/**
 * One rule per unit: money (quote currency) 2 decimals with thousands separators; percent 2
 * decimals; basis points 1 decimal; ratios (Sharpe, Sortino, Calmar, turnover) 2 decimals; hours 1
 * decimal; counts as integers with separators; quantities and prices 6 significant digits.
 */
export const DISPLAY_RULES: Readonly<Record<Unit, DisplayRule>> = {
  usd: { decimals: 2, scale: 1, suffix: '', group: true },
  pct: { decimals: 2, scale: 100, suffix: '%', group: true },
  bps: { decimals: 1, scale: 1, suffix: ' bp', group: true },
  ratio: { decimals: 2, scale: 1, suffix: '', group: true },
  hours: { decimals: 1, scale: 1, suffix: ' h', group: true },
  int: { decimals: 0, scale: 1, suffix: '', group: true },
  num: { significant: 6, scale: 1, suffix: '', group: true },
};

/** Shown for an undefined value (null, NaN). */
export const MISSING = '–';

// Dates: the one set of helpers, in core so that every layer (scenario descriptions, CLI) uses it.
export { isoDay, isoMonth, isoTime, isoWindow } from '../core/time.js';

/** The number part of `x` (already scaled) under `rule`, without the suffix; ASCII `-` as the minus sign (it pastes into spreadsheets). */
function numberText(x: number, rule: DisplayRule): string {
  const opts: Intl.NumberFormatOptions = rule.decimals !== undefined
    ? { minimumFractionDigits: rule.decimals, maximumFractionDigits: rule.decimals, useGrouping: rule.group }
    : { maximumSignificantDigits: rule.significant, useGrouping: rule.group };
  const s = x.toLocaleString('en-US', opts);
  // −0.001 at 2 decimals prints "-0.00": a sign on a zero is noise.
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** `v` in `unit` ({@link DISPLAY_RULES}); null/undefined/NaN ⇒ `–`, ±Infinity ⇒ `∞`/`−∞`. */
export function fmt(v: number | null | undefined, unit: Unit): string {
  if (v === null || v === undefined || Number.isNaN(v)) return MISSING;
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const rule = DISPLAY_RULES[unit];
  return numberText(v * rule.scale, rule) + rule.suffix;
}

/** {@link fmt} with a `+` on positive values (PnL lines, differences). */
export function fmtSigned(v: number | null | undefined, unit: Unit): string {
  const s = fmt(v, unit);
  return typeof v === 'number' && v > 0 && Number.isFinite(v) && !/^0(\.0*)?\D*$/.test(s) ? `+${s}` : s;
}

/**
 * A duration since a run's start, `+2d 04:00` (days, then hours and minutes); `+0d 00:00` at the
 * start. Used where runs over different windows are aligned by elapsed time.
 */
export function fmtElapsed(ms: number): string {
  if (!Number.isFinite(ms)) return MISSING;
  const sign = ms < 0 ? '−' : '+';
  const totalMin = Math.round(Math.abs(ms) / 60_000);
  const d = Math.floor(totalMin / 1440);
  const h = Math.floor((totalMin % 1440) / 60);
  const m = totalMin % 60;
  return `${sign}${d}d ${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}
