/**
 * report.html and report.md of one run: charts (charts.ts) and the tables people read first —
 * summary metrics, PnL attribution, monthly returns, largest drawdowns, trades, resolved config.
 */
import { runCharts } from './charts.js';
import { METRIC_INFO, PNL_INFO, esc, htmlTable, mdTable, mdText } from './format.js';
import { fmt, isoMonth, isoTime, isoWindow } from '../display.js';
import { chartDiv, renderPage } from './page.js';
import { scenarioBands } from './scenario-bands.js';
import type { RunData } from './run-dir.js';
import { METRIC_KEYS, PNL_COMPONENTS } from '../run-format.js';
import type { ReportTables } from './tables.js';
import { roundTripsHtml, roundTripsMd } from './round-trips.js';

/** Most trade rows printed in report.html (the first and last half); trades.csv has them all. */
export const HTML_TRADE_ROWS = 2000;
/** Trade rows in report.md. */
export const MD_TRADE_ROWS = 20;
/** Longest model-parameter JSON shown in the config table. */
const MAX_PARAM_CHARS = 160;

function str(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (Array.isArray(v)) return v.map(str).join(', ');
  if (typeof v === 'object' || typeof v === 'function' || typeof v === 'symbol') return JSON.stringify(v) ?? '–';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only primitives are left here
  return String(v);
}

/** One-line description of the run: strategy, venues, symbol, window. */
export function runTitle(run: RunData): string {
  const r = run.run;
  return `${r.strategy?.name ?? 'run'} · ${str(r.venues)} · ${str(r.symbol)} · ${isoWindow(r.fromMs, r.toMs)}`;
}

/** summary.json `metricFlags` (absent in run directories written before it existed). */
function metricFlags(run: RunData): Record<string, string> {
  const f = run.summary['metricFlags'];
  return f && typeof f === 'object' ? (f as Record<string, string>) : {};
}

function metricRows(run: RunData): string[][] {
  const m = run.summary.metrics;
  const flags = metricFlags(run);
  return METRIC_KEYS.map((k) => [METRIC_INFO[k].label, fmt(m[k], METRIC_INFO[k].unit) + (flags[k] ? ` (${flags[k]})` : ''), METRIC_INFO[k].help]);
}

function pnlRows(run: RunData): string[][] {
  const init = run.summary.metrics.initialEquity ?? NaN;
  return [...PNL_COMPONENTS, 'total' as const].map((c) => {
    const v = run.summary.pnl[c];
    return [PNL_INFO[c]!.label, fmt(v, 'usd'), fmt(v === null ? null : v / init, 'pct'), PNL_INFO[c]!.help];
  });
}

function monthlyRows(t: ReportTables): string[][] {
  return t.monthly.startMs.map((ms, i) => [
    isoMonth(ms), fmt(t.monthly.ret[i], 'pct'), ...PNL_COMPONENTS.map((c) => fmt(t.monthly.pnl[c][i], 'usd')), fmt(t.monthly.close[i], 'usd'),
  ]);
}
const MONTHLY_HEADER = ['Month (UTC)', 'Return', ...PNL_COMPONENTS.map((c) => PNL_INFO[c]!.label), 'End equity'];

function drawdownRows(t: ReportTables): string[][] {
  return t.drawdowns.map((p, i) => [
    String(i + 1), isoTime(p.startMs), isoTime(p.troughMs), p.recoveryMs === null ? 'not recovered' : isoTime(p.recoveryMs), fmt(p.depth, 'pct'), fmt(p.durationHours, 'hours'),
  ]);
}
const DD_HEADER = ['#', 'Start (peak, UTC)', 'Trough (UTC)', 'Recovery (UTC)', 'Depth', 'Duration'];

function tradeRow(run: RunData, i: number): string[] {
  const t = run.trades;
  return [isoTime(t.ts[i]), t.venue[i]!, t.symbol[i]!, t.side[i]!, fmt(t.qty[i], 'num'), fmt(t.price[i], 'num'), fmt(t.fee[i], 'usd'), fmt(t.slippage[i], 'usd'), t.liquidity[i]!, t.tag[i]!];
}
const TRADE_HEADER = ['Time (UTC)', 'Venue', 'Symbol', 'Side', 'Qty', 'Price', 'Fee', 'Slippage', 'Liquidity', 'Tag'];

function liquidationRows(run: RunData): string[][] {
  const l = run.liquidations;
  return Array.from(l.ts, (ts, i) => [
    isoTime(ts), l.venue[i]!, l.symbol[i]!, fmt(l.qty[i], 'num'), fmt(l.price[i], 'num'), fmt(l.markPrice[i], 'num'), fmt(l.fee[i], 'usd'), fmt(l.equityBefore[i], 'usd'), fmt(l.equityAfter[i], 'usd'),
  ]);
}
const LIQ_HEADER = ['Time (UTC)', 'Venue', 'Symbol', 'Qty', 'Price', 'Mark', 'Fee', 'Equity before', 'Equity after'];

/**
 * adl.csv as table rows. PnL is the row's `adl` attribution line (−cost: the close at `price`
 * against the mark; the PnL realized at the mark is in trading); light is the venue's ADL queue
 * quantile (1–5, 5 = first in line).
 */
function adlRows(run: RunData): string[][] {
  const a = run.adl;
  return Array.from(a.ts, (ts, i) => [
    isoTime(ts), a.venue[i]!, a.symbol[i]!, fmt(a.qty[i], 'num'), fmt(a.share[i], 'pct'), fmt(a.price[i], 'num'), fmt(a.markPrice[i], 'num'),
    fmt(-a.cost[i]!, 'usd'), fmt(a.score[i], 'num'), fmt(a.light[i], 'int'), a.cause[i]!,
  ]);
}
const ADL_HEADER = ['Time (UTC)', 'Venue', 'Symbol', 'Qty closed', 'Share', 'Price', 'Mark', 'PnL (adl line)', 'Rank score', 'Quantile (1–5)', 'Cause'];
const ADL_NOTE = 'Auto-deleveraging closes (adl.csv): PnL is the adl attribution line, the close price against the mark; the PnL realized at the mark is in trading. Quantile: the venue\'s ADL queue position, 5 = first in line.';

function fundingSummaryRows(run: RunData): string[][] {
  const f = run.funding;
  const by = new Map<string, { n: number; amount: number; aprSum: number }>();
  for (let i = 0; i < f.ts.length; i++) {
    const k = `${f.venue[i]} ${f.symbol[i]}`;
    const e = by.get(k) ?? { n: 0, amount: 0, aprSum: 0 };
    e.n++;
    e.amount += f.amount[i]!;
    e.aprSum += (f.rate[i]! * 365 * 24) / f.intervalHours[i]!;
    by.set(k, e);
  }
  return [...by].map(([k, e]) => [k, String(e.n), fmt(e.amount, 'usd'), fmt(e.aprSum / e.n, 'pct')]);
}
const FUNDING_HEADER = ['Instrument', 'Settlements held', 'Funding PnL', 'Mean rate APR (simple)'];

function paramRows(run: RunData): string[][] {
  const r = run.run;
  const rows: string[][] = [
    ['run id', r.runId], ['strategy', `${r.strategy?.name ?? '–'} (${r.strategy?.source ?? '–'})`], ['venues', str(r.venues)], ['symbol', str(r.symbol)],
    ['window', `${isoWindow(r.fromMs, r.toMs)}${r['window'] ? ` (${str(r['window'])})` : ''}`],
    ['timeframe', str(r.timeframe)], ['capital', str(r.capital)], ['seed', str(r['seed'])], ['fill at', str(r['fillAt'])],
  ];
  for (const [k, v] of Object.entries(r.params ?? {})) rows.push([`param ${k}`, str(v)]);
  const models = r['models'];
  if (models && typeof models === 'object')
    for (const [k, v] of Object.entries(models as Record<string, { name?: string; params?: unknown }>)) {
      const p = v?.params ? JSON.stringify(v.params) : '';
      // Margin tier tables run to kilobytes: abbreviate here, run.json below has them whole.
      rows.push([`model ${k}`, `${v?.name ?? '–'} ${p.length > MAX_PARAM_CHARS ? `${p.slice(0, MAX_PARAM_CHARS)}… (see run.json)` : p}`]);
    }
  return rows;
}

const signClass = (s: string) => (s.startsWith('-') || s.startsWith('−') ? 'neg' : s === '–' || /^0(\.0+)?%?$/.test(s) ? undefined : 'pos');

/** Headline numbers shown as cards at the top of the page. */
function cards(run: RunData): string {
  const m = run.summary.metrics;
  const p = run.summary.pnl;
  const items: [string, string][] = [
    ['Total return', fmt(m.totalReturn, 'pct')], ['APR (simple)', fmt(m.apr, 'pct')], ['Sharpe', fmt(m.sharpe, 'ratio')],
    ['Max drawdown', fmt(m.maxDrawdown, 'pct')], ['Funding PnL', fmt(p.funding, 'usd')], ['Fees', fmt(p.fees, 'usd')],
    ['Closest to liquidation', fmt(m.minLiquidationDistance, 'pct')], ['Liquidations', fmt(m.liquidationCount, 'int')],
  ];
  return `<div class="cards">${items.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`).join('')}</div>`;
}

/**
 * A banner when the strategy never traded: every figure below is then the untouched capital, which
 * is easy to misread as a result. Says why where the run can: the strategy's entry threshold.
 */
export function neverTradedText(run: RunData): string | null {
  if (run.trades.ts.length > 0) return null;
  const p = run.run.params ?? {};
  const entry = Object.entries(p).filter(([k]) => /^(entry|min)(Apr|Spread|Funding)/i.test(k) || /threshold/i.test(k));
  const why = entry.length
    ? ` Its entry condition was never met: ${entry.map(([k, v]) => `${k} = ${String(v)}`).join(', ')} (signal below threshold for the whole window).`
    : '';
  return `The strategy never traded in this window (${isoWindow(run.run.fromMs, run.run.toMs)}): no fills, equity stayed at the initial capital.${why}`;
}

function neverTradedBanner(run: RunData): string {
  const t = neverTradedText(run);
  return t ? `<div class="warn" id="never-traded">${esc(t)}</div>` : '';
}

/**
 * What the page says above the numbers about orders and the end of the run: refused orders and
 * broken hedges (a strategy that did not trade as it meant to, or ran one leg naked) and how the
 * book was left at the window end. From summary.json `orders` / `endOfRun` (absent in older runs).
 */
export function runNotices(run: RunData): { warn: string[]; info: string[] } {
  const s = run.summary as unknown as Record<string, unknown>;
  const o = s['orders'] as { rejected: number; rejectedByReason: Record<string, number>; hedgesRefused: number; hedgesBroken: number; hedgesUnwound: number; expired: number; makerFills: number } | undefined;
  const e = s['endOfRun'] as { mode: string; closed: number; fees: number; slippage: number } | undefined;
  const warn: string[] = [];
  const info: string[] = [];
  if (o && o.rejected > 0) {
    const why = Object.entries(o.rejectedByReason).map(([k, n]) => `${k} ${n}`).join(', ');
    warn.push(`${o.rejected} order(s) rejected (${why})${o.hedgesRefused ? `; ${o.hedgesRefused} hedge(s) refused whole by the check of both legs` : ''}.`);
  }
  if (o && o.hedgesBroken > 0) warn.push(`${o.hedgesBroken} hedge(s) broken (one leg refused after the other filled): ${o.hedgesUnwound} unwound (trades tagged hedge-unwind), ${o.hedgesBroken - o.hedgesUnwound} kept as a naked leg (atomic: false).`);
  if (o && (o.expired > 0 || o.makerFills > 0)) info.push(`Limit orders: ${o.makerFills} maker fill(s), ${o.expired} expired.`);
  if (e) {
    info.push(
      e.mode === 'close'
        ? `Book closed at the window end: ${e.closed} open position(s) closed at their last close with slippage and taker fee (fees ${fmt(-e.fees, 'usd')}, slippage ${fmt(-e.slippage, 'usd')}; trades tagged close-at-end).`
        : 'Book marked to market at the window end (--mark-to-market-end): open positions valued at the last prices, no exit costs.',
    );
  }
  return { warn, info };
}

function noticesHtml(run: RunData): string {
  const { warn, info } = runNotices(run);
  const w = warn.map((x) => `<p class="warn" style="border-left:4px solid #c0392b;padding:6px 10px;background:rgba(192,57,43,.08);font-weight:600">${esc(x)}</p>`);
  const i = info.map((x) => `<p class="note">${esc(x)}</p>`);
  return [...w, ...i].join('\n');
}

/** Build report.html (self-contained) for a run. */
export function buildReportHtml(run: RunData, t: ReportTables): string {
  const charts = runCharts(run);
  const tr = run.trades;
  let tradeIdx: number[];
  let tradeNote = `${tr.ts.length} fills.`;
  if (tr.ts.length > HTML_TRADE_ROWS) {
    const h = HTML_TRADE_ROWS / 2;
    tradeIdx = [...Array.from({ length: h }, (_, i) => i), ...Array.from({ length: h }, (_, i) => tr.ts.length - h + i)];
    tradeNote = `${tr.ts.length} fills; showing the first and last ${h} (trades.csv has them all).`;
  } else tradeIdx = Array.from({ length: tr.ts.length }, (_, i) => i);
  const tradeRows = tradeIdx.map((i) => tradeRow(run, i));
  const pnl = pnlRows(run);
  const monthly = monthlyRows(t);

  const body = `
<h1>perpcarry report: ${esc(run.run.runId)}</h1>
<p class="sub">${esc(runTitle(run))}</p>
${neverTradedBanner(run)}
${cards(run)}
${noticesHtml(run)}
<h2>Charts</h2>
${charts.map(chartDiv).join('\n')}
<h2>Summary metrics</h2>
<p class="note">Annualization on 365 days: Sharpe, Sortino and volatility from daily returns × √365, a day being (00:00, 24:00] UTC (the midnight sample closes the day before); fewer than 30 daily returns are flagged "too short to annualise". APR is simple (not compounded) over the run window; max drawdown ≤ 0.</p>
${htmlTable(['Metric', 'Value', 'Definition'], metricRows(run), { id: 'metrics', cellClass: (_, c) => (c === 2 ? 'l wrap' : undefined) })}
<h2>PnL attribution</h2>
${htmlTable(['Source', 'PnL (quote)', '% of initial equity', 'Meaning'], pnl, { id: 'pnl', cellClass: (r, c) => (c === 3 ? 'l' : c === 1 ? signClass(pnl[r]![1]!) : undefined) })}
<h3>Funding by instrument</h3>
${htmlTable(FUNDING_HEADER, fundingSummaryRows(run), { id: 'funding' })}
<h2>Monthly returns</h2>
${htmlTable(MONTHLY_HEADER, monthly, { id: 'monthly', cellClass: (r, c) => (c >= 1 && c <= 7 ? signClass(monthly[r]![c]!) : undefined) })}
<h3>Daily returns (describe)</h3>
${htmlTable(['Statistic', 'Daily return'], t.dailyReturnStats.map((s) => [s.stat, s.stat === 'count' ? String(s.value) : fmt(s.value, 'pct')]), { id: 'daily-stats' })}
<h2>Largest drawdowns</h2>
<p class="note">${t.drawdownCount} drawdown episode(s); the ${t.drawdowns.length} deepest. Duration runs from the peak to the first sample back at the peak (or to the end of the run).</p>
${htmlTable(DD_HEADER, drawdownRows(t), { id: 'drawdowns' })}
<h2>Liquidations</h2>
${run.liquidations.ts.length ? htmlTable(LIQ_HEADER, liquidationRows(run), { id: 'liquidations' }) : '<p>None.</p>'}
<h2>Auto-deleveraging</h2>
${run.adl.ts.length ? `<p class="note">${esc(ADL_NOTE)}</p>\n${htmlTable(ADL_HEADER, adlRows(run), { id: 'adl' })}` : '<p>None.</p>'}
${roundTripsHtml(run)}
<h2>Trades</h2>
<p class="note">${esc(tradeNote)} Fee and slippage are positive costs in quote units.</p>
<div class="scroll">${htmlTable(TRADE_HEADER, tradeRows, { id: 'trades' })}</div>
<h2>Resolved run configuration</h2>
${htmlTable(['Setting', 'Value'], paramRows(run), { id: 'config', cellClass: (_, c) => (c === 1 ? 'l wrap' : undefined) })}
<details><summary>run.json</summary><pre>${esc(JSON.stringify(run.run, null, 2))}</pre></details>
`;
  return renderPage(`perpcarry ${run.run.runId}`, body, charts);
}

/** Build report.md: the key tables for a terminal or a pull request. */
export function buildReportMd(run: RunData, t: ReportTables): string {
  const lines: string[] = [];
  lines.push(`# perpcarry report: ${mdText(String(run.run.runId))}`, '', mdText(runTitle(run)), '');
  const notes = runNotices(run);
  for (const w of notes.warn) lines.push(`> **Warning:** ${mdText(w)}`, '');
  for (const x of notes.info) lines.push(mdText(x), '');
  const shocks = scenarioBands(run);
  if (shocks.length) lines.push('## Stress scenarios', '', ...shocks.map((b) => `- ${mdText(b.label)}`), '');
  lines.push('## Summary metrics', '', mdTable(['Metric', 'Value', 'Definition'], metricRows(run), ['l', 'r', 'l']), '');
  lines.push('## PnL attribution', '', mdTable(['Source', 'PnL (quote)', '% of initial', 'Meaning'], pnlRows(run), ['l', 'r', 'r', 'l']), '');
  const fr = fundingSummaryRows(run);
  if (fr.length) lines.push('### Funding by instrument', '', mdTable(FUNDING_HEADER, fr, ['l']), '');
  lines.push('## Monthly returns', '', mdTable(MONTHLY_HEADER, monthlyRows(t), ['l']), '');
  lines.push('## Largest drawdowns', '', t.drawdowns.length ? mdTable(DD_HEADER, drawdownRows(t)) : 'None.', '');
  lines.push('## Liquidations', '', run.liquidations.ts.length ? mdTable(LIQ_HEADER, liquidationRows(run), ['l', 'l', 'l']) : 'None.', '');
  lines.push('## Auto-deleveraging', '', ...(run.adl.ts.length ? [ADL_NOTE, '', mdTable(ADL_HEADER, adlRows(run), ['l', 'l', 'l'])] : ['None.']), '');
  lines.push(...roundTripsMd(run));
  const n = run.trades.ts.length;
  lines.push('## Trades', '', `${n} fills${n > MD_TRADE_ROWS ? `; the first ${MD_TRADE_ROWS} (trades.csv has them all)` : ''}.`, '');
  if (n) lines.push(mdTable(TRADE_HEADER, Array.from({ length: Math.min(n, MD_TRADE_ROWS) }, (_, i) => tradeRow(run, i)), ['l', 'l', 'l', 'l']), '');
  lines.push('## Resolved run configuration', '', mdTable(['Setting', 'Value'], paramRows(run), ['l', 'l']), '');
  return lines.join('\n');
}

