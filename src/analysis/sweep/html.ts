/**
 * sweep.html: one self-contained page (no network): the overfitting odds, a heatmap of the
 * objective over any two params (chosen in the page; other params averaged), parameter stability
 * around the best point, the best runs' daily equity overlaid, and a table sortable by any column.
 * Deterministic: the same rows give the same bytes.
 */
import { writeFileAtomic } from '../../core/fs.js';
import type { PointRow } from './point.js';
import type { Objective, Overfitting } from './results.js';

/** What the page shows. */
export interface SweepPage {
  id: string;
  strategy: string;
  objective: Objective;
  rows: readonly PointRow[];
  /** Best first. */
  ranked: readonly PointRow[];
  overfitting: Overfitting;
  kept: readonly string[];
  base: Record<string, unknown>;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const num = (x: number | null | undefined, d = 4): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : 'n/a');

function oddsHtml(o: Overfitting, trials: number): string {
  const pbo = o.pbo
    ? `<b>PBO ${num(o.pbo.pbo, 3)}</b> — over ${o.pbo.combinations} CSCV splits of ${o.pbo.rowsUsed} days into ${o.pbo.groups} groups, the share where the in-sample best point ranks at or below the median out of sample (logit ≤ 0). Logit quantiles p10/p50/p90: ${num(o.pbo.logitQuantiles.p10, 2)} / ${num(o.pbo.logitQuantiles.p50, 2)} / ${num(o.pbo.logitQuantiles.p90, 2)}.`
    : `PBO not computed: ${esc(o.pboNote ?? '')}`;
  const dsr = o.dsr
    ? `<b>Deflated Sharpe ${num(o.dsr.dsr, 3)}</b> — probability that the best point's true daily Sharpe exceeds ${num(o.dsr.sr0, 4)}, the expected maximum of ${trials} unskilled trials (its daily Sharpe ${num(o.dsr.sharpe, 4)}, ${o.dsr.periods} days, skew ${num(o.dsr.skew, 2)}, kurtosis ${num(o.dsr.kurtosis, 2)}).`
    : `DSR not computed: ${esc(o.dsrNote ?? '')}`;
  return `<ul><li>${pbo}</li><li>${dsr}</li></ul><p class="note">Bailey, Borwein, López de Prado, Zhu (2017), The Probability of Backtest Overfitting; Bailey, López de Prado (2014), The Deflated Sharpe Ratio. Definitions: docs/sweeps.md.</p>`;
}

/** Write sweep.html atomically. */
export function writeSweepHtml(path: string, page: SweepPage): void {
  const swept = Object.keys(page.rows[0]?.params ?? {}).filter((k) => new Set(page.rows.map((r) => String(r.params[k]))).size > 1);
  const data = {
    objective: page.objective,
    swept,
    best: page.ranked[0]?.point ?? null,
    top: page.ranked.slice(0, Math.max(5, page.kept.length)).map((r) => r.point),
    rows: page.rows.map((r) => ({ point: r.point, runId: r.runId, params: r.params, metrics: r.metrics, pnl: r.pnl, dayMs: r.dayMs, dailyClose: r.dailyClose })),
  };
  const json = JSON.stringify(data, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)).replace(/</g, '\\u003c');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sweep ${esc(page.id)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:20px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f4f4f4;cursor:pointer}
.heat td{width:64px;height:26px;color:#000}.note{color:#666;font-size:12px}select{margin:0 8px}
</style></head><body>
<h1>Sweep ${esc(page.id)}</h1>
<p>${esc(page.strategy)} · ${esc(String(page.base['symbol']))} on ${esc((page.base['venues'] as string[] | undefined)?.join(',') ?? '')} · ${esc(String(page.base['fromIso']))} → ${esc(String(page.base['toIso']))} · ${page.rows.length} points · objective <b>${esc(page.objective.metric)}</b> (${page.objective.direction})</p>
<h2>Overfitting odds</h2>${oddsHtml(page.overfitting, page.rows.length)}
<h2>Heatmap of ${esc(page.objective.metric)}</h2>
<div>x <select id="hx"></select> y <select id="hy"></select> <span class="note">cells average the points with those two values</span></div>
<div id="heat"></div>
<h2>Parameter stability around the best point</h2><p class="note">The objective as one param moves, the others held at the best point's values.</p><div id="stab"></div>
<h2>Best runs' equity (daily closes)</h2><div id="eq"></div>
<h2>All points</h2><p class="note">Click a column to sort.</p><div id="tbl"></div>
<script id="data" type="application/json">${json}</script>
<script>
const D = JSON.parse(document.getElementById('data').textContent);
const M = D.objective.metric, sign = D.objective.direction === 'max' ? 1 : -1;
const obj = (r) => r.metrics[M];
const fmt = (x) => x === null || x === undefined ? 'n/a' : typeof x === 'number' ? (Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(4)) : String(x);
function color(v, lo, hi) { if (v === null || hi === lo) return '#eee'; const t = sign * (v - lo) / (hi - lo) + (sign < 0 ? 1 : 0); const g = Math.round(90 + 150 * t), r = Math.round(240 - 150 * t); return 'rgb(' + r + ',' + g + ',120)'; }
const names = D.swept.length ? D.swept : Object.keys(D.rows[0].params);
for (const id of ['hx', 'hy']) { const s = document.getElementById(id); for (const n of names) s.add(new Option(n, n)); }
document.getElementById('hy').value = names[1] || names[0];
function heat() {
  const x = document.getElementById('hx').value, y = document.getElementById('hy').value;
  const xs = [...new Set(D.rows.map((r) => r.params[x]))].sort((a, b) => a > b ? 1 : -1), ys = [...new Set(D.rows.map((r) => r.params[y]))].sort((a, b) => a > b ? 1 : -1);
  const cell = new Map();
  for (const r of D.rows) { const k = r.params[x] + '|' + r.params[y]; const c = cell.get(k) || []; if (obj(r) !== null) c.push(obj(r)); cell.set(k, c); }
  const vals = [...cell.values()].filter((c) => c.length).map((c) => c.reduce((a, b) => a + b, 0) / c.length);
  const lo = Math.min(...vals), hi = Math.max(...vals);
  let h = '<table class="heat"><tr><th>' + y + ' \\\\ ' + x + '</th>' + xs.map((v) => '<th>' + fmt(v) + '</th>').join('') + '</tr>';
  for (const yv of ys) { h += '<tr><th>' + fmt(yv) + '</th>'; for (const xv of xs) { const c = cell.get(xv + '|' + yv) || []; const v = c.length ? c.reduce((a, b) => a + b, 0) / c.length : null; h += '<td style="background:' + color(v, lo, hi) + '">' + fmt(v) + '</td>'; } h += '</tr>'; }
  document.getElementById('heat').innerHTML = h + '</table>';
}
document.getElementById('hx').onchange = heat; document.getElementById('hy').onchange = heat; heat();
const best = D.rows.find((r) => r.point === D.best);
let st = '';
if (best) for (const p of names) {
  const line = D.rows.filter((r) => names.every((q) => q === p || r.params[q] === best.params[q])).sort((a, b) => a.params[p] > b.params[p] ? 1 : -1);
  st += '<p><b>' + p + '</b></p><table><tr><th>' + p + '</th>' + line.map((r) => '<td' + (r.point === best.point ? ' style="font-weight:bold"' : '') + '>' + fmt(r.params[p]) + '</td>').join('') + '</tr><tr><th>' + M + '</th>' + line.map((r) => '<td>' + fmt(obj(r)) + '</td>').join('') + '</tr></table>';
}
document.getElementById('stab').innerHTML = st;
(function () {
  const W = 900, H = 300, top = D.top.map((p) => D.rows.find((r) => r.point === p)).filter(Boolean);
  if (!top.length) return;
  const all = top.flatMap((r) => r.dailyClose.map((v) => v / r.metrics.initialEquity));
  const lo = Math.min(...all), hi = Math.max(...all), n = Math.max(...top.map((r) => r.dailyClose.length));
  const cols = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f'];
  let s = '<svg width="' + W + '" height="' + (H + 20) + '" viewBox="0 0 ' + W + ' ' + (H + 20) + '">';
  top.forEach((r, i) => { const pts = r.dailyClose.map((v, k) => (k / Math.max(1, n - 1) * (W - 10) + 5).toFixed(1) + ',' + (H - ((v / r.metrics.initialEquity - lo) / ((hi - lo) || 1)) * (H - 10) - 5).toFixed(1)).join(' '); s += '<polyline fill="none" stroke-width="1.5" stroke="' + cols[i % cols.length] + '" points="' + pts + '"><title>point ' + r.point + '</title></polyline>'; });
  s += '<text x="5" y="' + (H + 15) + '" font-size="11">equity / initial: ' + lo.toFixed(4) + ' … ' + hi.toFixed(4) + ' · ' + top.map((r, i) => 'point ' + r.point + ' (' + cols[i % cols.length] + ')').join(', ') + '</text></svg>';
  document.getElementById('eq').innerHTML = s;
})();
const cols = ['point', ...names.map((n) => 'param.' + n), M, ...Object.keys(D.rows[0].metrics).filter((k) => k !== M), ...Object.keys(D.rows[0].pnl).map((k) => 'pnl.' + k), 'runId'];
const val = (r, c) => c === 'point' ? r.point : c === 'runId' ? r.runId : c.startsWith('param.') ? r.params[c.slice(6)] : c.startsWith('pnl.') ? r.pnl[c.slice(4)] : r.metrics[c];
let sortCol = M, dir = -sign;
function table() {
  const rows = [...D.rows].sort((a, b) => { const x = val(a, sortCol), y = val(b, sortCol); if (x === y) return a.point - b.point; if (x === null) return 1; if (y === null) return -1; return (x > y ? 1 : -1) * dir; });
  document.getElementById('tbl').innerHTML = '<table><tr>' + cols.map((c) => '<th data-c="' + c + '">' + c + (c === sortCol ? (dir > 0 ? ' ▲' : ' ▼') : '') + '</th>').join('') + '</tr>' + rows.map((r) => '<tr>' + cols.map((c) => '<td>' + fmt(val(r, c)) + '</td>').join('') + '</tr>').join('') + '</table>';
  for (const th of document.querySelectorAll('#tbl th')) th.onclick = () => { const c = th.dataset.c; dir = c === sortCol ? -dir : 1; sortCol = c; table(); };
}
table();
</script></body></html>
`;
  writeFileAtomic(path, html);
}
