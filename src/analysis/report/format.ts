/**
 * Formatting shared by the HTML, Markdown and terminal outputs: how each metric is shown, which
 * direction is better (for `compare`), HTML escaping and Markdown tables.
 */
import type { Metrics } from '../metrics.js';

/** How a value is displayed. */
export type Unit = 'pct' | 'usd' | 'num' | 'ratio' | 'hours' | 'int';

/** Display metadata of one summary metric. */
export interface MetricInfo {
  label: string;
  unit: Unit;
  /** +1: higher is better; −1: lower is better; 0: no better (just informative). */
  better: 1 | -1 | 0;
  help: string;
}

/** Display metadata per summary.json metric. */
export const METRIC_INFO: Record<keyof Metrics, MetricInfo> = {
  initialEquity: { label: 'Initial equity', unit: 'usd', better: 0, help: 'Starting capital (quote)' },
  finalEquity: { label: 'Final equity', unit: 'usd', better: 1, help: 'Equity at the last sample (quote)' },
  totalReturn: { label: 'Total return', unit: 'pct', better: 1, help: 'final / initial − 1' },
  apr: { label: 'APR (simple)', unit: 'pct', better: 1, help: 'total return × 365 d / window span, not compounded' },
  annualVol: { label: 'Annual volatility', unit: 'pct', better: -1, help: 'std of daily returns × √365' },
  sharpe: { label: 'Sharpe (daily, ann.)', unit: 'ratio', better: 1, help: 'mean / std of daily returns × √365, rf = 0' },
  excessSharpe: { label: 'Excess Sharpe (daily, ann.)', unit: 'ratio', better: 1, help: 'mean of (daily return − benchmark APR / 365) / std × √365' },
  sortino: { label: 'Sortino (daily, ann.)', unit: 'ratio', better: 1, help: 'mean × √365 / downside deviation (target 0)' },
  calmar: { label: 'Calmar', unit: 'ratio', better: 1, help: 'APR / |max drawdown|' },
  maxDrawdown: { label: 'Max drawdown', unit: 'pct', better: 1, help: 'deepest equity / peak − 1 (≤ 0; closer to 0 is better)' },
  maxDrawdownDurationHours: { label: 'Longest drawdown', unit: 'hours', better: -1, help: 'peak to recovery (or to the window end), hours' },
  timeInMarket: { label: 'Time in market', unit: 'pct', better: 0, help: 'share of the window with gross exposure > 0' },
  turnover: { label: 'Turnover', unit: 'num', better: 0, help: 'traded notional / mean equity (×)' },
  tradeCount: { label: 'Trades', unit: 'int', better: 0, help: 'number of fills' },
  liquidationCount: { label: 'Liquidations', unit: 'int', better: -1, help: 'number of liquidation events' },
  minLiquidationDistance: {
    label: 'Closest to liquidation', unit: 'pct', better: 1,
    help: 'smallest distance from a mark bar\'s adverse extreme (high for shorts, low for longs) to the liquidation price, over that extreme; 0 if liquidated',
  },
  dailyReturnCount: { label: 'Daily returns', unit: 'int', better: 0, help: 'UTC days (00:00, 24:00] of the window; < 30: ratios too short to annualise' },
  benchmarkApr: { label: 'Benchmark APR', unit: 'pct', better: 0, help: 'benchmark / risk-free rate (--benchmark-apr), simple' },
};

/** Display metadata per PnL attribution component (all signed PnL; costs are negative). */
export const PNL_INFO: Record<string, { label: string; help: string }> = {
  funding: { label: 'Funding', help: 'funding received (+) or paid (−)' },
  trading: { label: 'Trading', help: 'price PnL of positions, realized and unrealized' },
  fees: { label: 'Fees', help: 'trading fees (negative = paid)' },
  slippage: { label: 'Slippage', help: 'slippage cost (negative)' },
  interest: { label: 'Interest', help: 'borrow/lend interest' },
  liquidation: { label: 'Liquidation', help: 'liquidation fees and losses' },
  adl: { label: 'ADL', help: 'auto-deleveraging: closes at a price worse than the mark (the realized PnL at the mark is in trading)' },
  total: { label: 'Total PnL', help: 'final − initial equity' },
};

/** Format a value for display; null/NaN ⇒ "–". */
export function fmt(v: number | null | undefined, unit: Unit): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  switch (unit) {
    case 'pct':
      return `${(v * 100).toFixed(Math.abs(v) < 0.001 && v !== 0 ? 4 : 2)}%`;
    case 'usd':
      return v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    case 'ratio':
      return v.toFixed(2);
    case 'hours':
      return v.toFixed(1);
    case 'int':
      return String(Math.round(v));
    case 'num':
      return Math.abs(v) >= 1000 ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(Number(v.toPrecision(6)));
  }
}

/** `2025-02-03 08:00` (UTC) for a UnixMs; seconds shown only when nonzero. */
export function fmtTime(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  const iso = new Date(ms).toISOString();
  const s = iso.slice(17, 19);
  return iso.slice(0, 10) + ' ' + iso.slice(11, 16) + (s !== '00' ? `:${s}` : '');
}

/** `2025-02` for the month starting at `ms`. */
export function fmtMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** Escape text for HTML element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Text for Markdown: `&`, `<`, `>` as entities (Markdown passes raw HTML through, so a venue name
 * or trade tag such as `<img onerror=…>` must not become markup), `|` escaped, newlines as spaces.
 */
export function mdText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A Markdown table (cells escaped by {@link mdText}). */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const cell = mdText;
  const sep = header.map((_, i) => ((align?.[i] ?? 'r') === 'l' ? ':---' : '---:'));
  return [header, sep, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

/** An HTML table; `cls[i]` adds a class to column i's cells; cells are escaped unless `raw`. */
export function htmlTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  opts: { id?: string; raw?: boolean; cellClass?: (row: number, col: number) => string | undefined; titles?: readonly (string | undefined)[] } = {},
): string {
  const e = (s: string) => (opts.raw ? s : esc(s));
  const head = header.map((h, i) => `<th${opts.titles?.[i] ? ` title="${esc(opts.titles[i])}"` : ''}>${esc(h)}</th>`).join('');
  const body = rows
    .map((r, ri) => `<tr>${r.map((c, ci) => {
      const cls = opts.cellClass?.(ri, ci);
      return `<td${cls ? ` class="${cls}"` : ''}>${e(c)}</td>`;
    }).join('')}</tr>`)
    .join('\n');
  return `<table${opts.id ? ` id="${opts.id}"` : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}
