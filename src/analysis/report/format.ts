/**
 * What the HTML, Markdown and terminal outputs say about each metric (label, unit, which direction
 * is better for `compare`), HTML escaping and Markdown/HTML tables. Numbers and dates themselves
 * are written by ../display.ts.
 */
import type { Unit } from '../display.js';
import type { Metrics } from '../metrics.js';

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
  turnover: { label: 'Turnover', unit: 'ratio', better: 0, help: 'traded notional / mean equity (×)' },
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
