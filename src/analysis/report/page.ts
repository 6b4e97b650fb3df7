/**
 * The self-contained HTML page shared by report.html and compare.html: uPlot (JS and CSS) inlined
 * from node_modules/uplot, chart data embedded as JSON, no network access at all.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DISPLAY_RULES, type Unit } from '../display.js';
import { esc } from './format.js';

/** How a chart axis labels its values: the units of ../display.ts, with the same rules. */
export type AxisUnit = Unit;

/** One line (or point set) of a chart. */
export interface SeriesSpec {
  label: string;
  /** Name of a scale in {@link ChartSpec.scales}. */
  scale: string;
  color: string;
  /** Values aligned with the chart's x; null = no point. */
  values: (number | null)[];
  width?: number;
  dash?: number[];
  /** Draw points only (no line), e.g. funding settlements or liquidation events. */
  pointsOnly?: boolean;
  /** Point diameter in CSS px for pointsOnly series (default 9). */
  pointSize?: number;
  /** Fill the area under the line with this colour. */
  fill?: string;
  /** Draw as steps (position sizes). */
  stepped?: boolean;
}

/**
 * A chart: x in UnixMs (or, with `xMode: 'elapsed'`, ms since each run's start), up to two y
 * scales (left, right), optional vertical event markers.
 */
export interface ChartSpec {
  id: string;
  title: string;
  /** One line under the title saying what is plotted and how (units, downsampling). */
  note?: string;
  x: number[];
  /** `time` (default): x is UnixMs, axis in UTC ISO; `elapsed`: x is ms since the run's start. */
  xMode?: 'time' | 'elapsed';
  series: SeriesSpec[];
  scales: Record<string, { label: string; unit: AxisUnit; side: 'left' | 'right'; /** Fixed [min, max] (shared across small multiples). */ range?: [number, number] }>;
  /** Vertical lines at these times (UnixMs), e.g. liquidations. */
  markers?: { ts: number; label: string }[];
  /**
   * Ranges to shade, same axis as x (stress-scenario shocks, scenario-bands.ts): a translucent
   * band over [fromMs, toMs) with a ribbon along the top, or a line where fromMs = toMs; each named
   * in a legend under the title.
   */
  bands?: { fromMs: number; toMs: number; label: string; color: string }[];
  /** Lines break where consecutive points are further apart than this (missing data), ms. */
  maxGapMs?: number;
  height?: number;
}

/** Series colours (colour-blind friendly, Okabe–Ito plus extras). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000', '#8C564B', '#7F7F7F'];

let uplotAssets: { js: string; css: string } | undefined;
/** uPlot's minified IIFE bundle and CSS, read once from the installed package. */
export function uplotInline(): { js: string; css: string } {
  if (!uplotAssets) {
    const req = createRequire(import.meta.url);
    const js = readFileSync(req.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    const css = readFileSync(req.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    uplotAssets = { js, css };
  }
  return uplotAssets;
}

/** JSON safe to embed in a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const CSS = `
:root{--fg:#1b1f24;--muted:#5b6570;--line:#d8dde3;--bg:#fff;--alt:#f6f8fa;--good:#0a7d32;--bad:#b3261e;--warn-bg:#fff4e5;--warn:#8a4b00}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0}
main{max-width:1280px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:16px 0 4px}
.sub{color:var(--muted);margin:0 0 12px}
.note{color:var(--muted);font-size:12px;margin:0 0 4px}
.warn{background:var(--warn-bg);color:var(--warn);border:1px solid #f0c27b;border-radius:6px;padding:10px 14px;margin:12px 0;font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px;margin:12px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 10px;background:var(--alt)}
.card .k{color:var(--muted);font-size:12px}.card .v{font-size:18px;font-weight:600;font-variant-numeric:tabular-nums}
.chart{margin:12px 0 20px}.chart h3{margin-bottom:0}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums;font-size:13px}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:right;white-space:nowrap}
th{background:var(--alt);font-weight:600}td:first-child,th:first-child{text-align:left}
td.l{text-align:left}td.wrap{white-space:normal;overflow-wrap:anywhere;max-width:760px}td.pos{color:var(--good)}td.neg{color:var(--bad)}
td.param{background:#eef3fb;font-weight:600}td.best{background:#e3f5e8;font-weight:700}td.best::after{content:" ★";color:var(--good)}
.scroll{max-height:480px;overflow:auto;border:1px solid var(--line);display:inline-block;max-width:100%}
.scroll table{margin:0}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--alt);border:1px solid var(--line);padding:10px;overflow:auto;max-height:520px;font-size:12px}
.u-legend{font-size:12px}.u-legend .u-marker{width:12px;height:3px}
ul.band-legend{list-style:none;margin:2px 0 0;padding:0;font-size:12px;color:var(--muted)}
ul.band-legend li{display:inline-block;margin:0 14px 2px 0}ul.band-legend .sw{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:-1px;border-radius:2px}
`;

/**
 * Client renderer: builds one uPlot per ChartSpec; exposes `window.__perpcarry` =
 * { charts: [{id, plot, points}] , errors: [] } for tests.
 */
const CLIENT_JS = String.raw`
(function(){
  var data = JSON.parse(document.getElementById('perpcarry-charts').textContent);
  var state = window.__perpcarry = { charts: [], errors: [] };
  // Number rules of src/analysis/display.ts, passed in as JSON so page and tables agree.
  var RULES = JSON.parse(document.getElementById('perpcarry-rules').textContent);
  function numText(rule, x, decimals){
    var o = decimals != null ? { minimumFractionDigits: decimals, maximumFractionDigits: decimals }
      : rule.decimals != null ? { minimumFractionDigits: rule.decimals, maximumFractionDigits: rule.decimals }
      : { maximumSignificantDigits: rule.significant };
    o.useGrouping = rule.group;
    var s = x.toLocaleString('en-US', o);
    return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
  }
  function fmtVal(unit, v){
    if (v == null || !isFinite(v)) return '–';
    var r = RULES[unit];
    return numText(r, v * r.scale) + r.suffix;
  }
  // Axis ticks: the unit's decimals, or more when the tick step needs them to tell ticks apart.
  function axisVals(unit){ return function(u, splits, ai, space, incr){
    var r = RULES[unit], d = r.decimals;
    if (d != null && incr > 0) d = Math.min(8, Math.max(d, Math.ceil(-Math.log10(incr * r.scale) - 1e-9)));
    return splits.map(function(v){ return v == null ? '' : numText(r, v * r.scale, d) + r.suffix; });
  }; }
  // UTC ISO 8601, as the tables: 2025-02-03T14:00Z (seconds only when nonzero), a day 2025-02-03.
  function isoTime(sec){
    var iso = new Date(Math.round(sec * 1000)).toISOString();
    if (iso.slice(16) === ':00.000Z') return iso.slice(0, 16) + 'Z';
    return iso.slice(19) === '.000Z' ? iso.slice(0, 19) + 'Z' : iso;
  }
  function isoTicks(u, splits, ai, space, incr){
    return splits.map(function(v){
      if (v == null) return '';
      var t = isoTime(v);
      return incr >= 86400 && t.slice(11, 17) === '00:00Z' ? t.slice(0, 10) : t;
    });
  }
  function elapsedText(sec, withTime){
    var m = Math.round(Math.abs(sec) / 60), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
    var s = (sec < 0 ? '−' : '+') + d + 'd';
    return withTime ? s + ' ' + (h < 10 ? '0' : '') + h + ':' + (mm < 10 ? '0' : '') + mm : s;
  }
  var ELAPSED_INCRS = [60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000];
  function markerPlugin(markers){
    return { hooks: { draw: [function(u){
      if (!markers || !markers.length) return;
      var ctx = u.ctx; ctx.save(); ctx.strokeStyle = 'rgba(200,0,0,0.85)'; ctx.lineWidth = 2 * devicePixelRatio;
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      markers.forEach(function(m){
        var x = Math.round(u.valToPos(m.ts/1000, 'x', true));
        ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
      });
      ctx.restore();
    }]}};
  }
  // Scenario shocks: a translucent band under the series; on top, each shock in its own lane along
  // the plot's top edge (a ribbon over its range, a tick at an instant) so overlapping shocks stay
  // apart, and an instant's vertical line below the lanes. Drawn pixel ranges are kept for tests.
  var LANE_PX = 5;
  function bandPx(u, b){
    var x0 = u.valToPos(b.fromMs / 1000, 'x', true), x1 = u.valToPos(b.toMs / 1000, 'x', true);
    var l = u.bbox.left, r = u.bbox.left + u.bbox.width;
    return { x0: Math.max(l, Math.min(r, x0)), x1: Math.max(l, Math.min(r, x1)) };
  }
  function bandPlugin(bands, rec){
    if (!bands || !bands.length) return { hooks: {} };
    return { hooks: {
      drawClear: [function(u){
        var ctx = u.ctx; ctx.save(); ctx.globalAlpha = 0.13;
        bands.forEach(function(b){
          if (b.toMs <= b.fromMs) return;
          var p = bandPx(u, b); ctx.fillStyle = b.color; ctx.fillRect(p.x0, u.bbox.top, Math.max(1, p.x1 - p.x0), u.bbox.height);
        });
        ctx.restore();
      }],
      draw: [function(u){
        var ctx = u.ctx, dpr = devicePixelRatio, lane = LANE_PX * dpr, below = u.bbox.top + bands.length * lane;
        ctx.save(); rec.length = 0;
        bands.forEach(function(b, i){
          var p = bandPx(u, b), y = u.bbox.top + i * lane;
          ctx.fillStyle = b.color; ctx.strokeStyle = b.color;
          if (b.toMs > b.fromMs) ctx.fillRect(p.x0, y, Math.max(dpr, p.x1 - p.x0), lane);
          else {
            ctx.fillRect(p.x0 - dpr, y, 2 * dpr, lane);
            ctx.lineWidth = 2 * dpr; ctx.setLineDash([]); ctx.beginPath(); ctx.moveTo(p.x0, below); ctx.lineTo(p.x0, u.bbox.top + u.bbox.height); ctx.stroke();
          }
          rec.push({ label: b.label, color: b.color, fromMs: b.fromMs, toMs: b.toMs, x0Px: p.x0, x1Px: p.x1, ribbonY: y + lane / 2 });
        });
        ctx.restore();
      }],
    }};
  }
  // Break a line where consecutive points are further apart than maxGapSec (missing data), instead
  // of drawing a diagonal over the hole; gaps are canvas-pixel ranges, as uPlot's own null gaps.
  function timeGaps(maxGapSec){
    return function(u, sidx, idx0, idx1, nullGaps){
      var xs = u.data[0], ys = u.data[sidx], out = nullGaps.slice(), prev = -1;
      for (var i = idx0; i <= idx1; i++) {
        if (ys[i] == null) continue;
        if (prev >= 0 && xs[i] - xs[prev] > maxGapSec)
          out.push([Math.round(u.valToPos(xs[prev], 'x', true)) + 1, Math.round(u.valToPos(xs[i], 'x', true)) - 1]);
        prev = i;
      }
      return out.sort(function(a, b){ return a[0] - b[0]; });
    };
  }
  function build(spec){
    var host = document.getElementById('chart-' + spec.id);
    var el = host.querySelector('.plot');
    var width = Math.max(320, el.clientWidth || host.clientWidth || 900);
    var scaleNames = Object.keys(spec.scales);
    var elapsed = spec.xMode === 'elapsed';
    var scales = { x: { time: !elapsed } };
    // Time axis in UTC ISO (the data and every table are UTC), whatever the browser's zone.
    var axes = [elapsed
      ? { label: 'elapsed since each run\'s start', labelSize: 18, space: 90, incrs: ELAPSED_INCRS,
          values: function(u, splits, ai, space, incr){ return splits.map(function(v){ return v == null ? '' : elapsedText(v, incr < 86400); }); } }
      : { label: 'time (UTC)', labelSize: 18, space: 130, values: isoTicks }];
    scaleNames.forEach(function(name){
      var s = spec.scales[name];
      scales[name] = s.range ? { auto: false, range: s.range } : { auto: true };
      axes.push({ scale: name, label: s.label, side: s.side === 'right' ? 1 : 3, size: 72,
        values: axisVals(s.unit), grid: { show: s.side !== 'right' } });
    });
    // Reserve the right-axis gutter on every chart so stacked charts share the same x pixels.
    if (!scaleNames.some(function(n){ return spec.scales[n].side === 'right'; }))
      axes.push({ scale: scaleNames[0], side: 1, size: 72, label: ' ', grid: { show: false }, ticks: { show: false },
        values: function(u, splits){ return splits.map(function(){ return ''; }); } });
    var series = [{ label: elapsed ? 'elapsed' : 'time (UTC)', value: function(u, v){ return v == null ? '–' : elapsed ? elapsedText(v, true) : isoTime(v); } }];
    spec.series.forEach(function(s){
      var unit = spec.scales[s.scale].unit;
      var o = { label: s.label, scale: s.scale, stroke: s.color, width: s.width || 1.5, spanGaps: !s.pointsOnly,
        value: function(u, v){ return fmtVal(unit, v); } };
      if (s.dash) o.dash = s.dash;
      if (s.fill) o.fill = s.fill;
      if (s.stepped) o.paths = uPlot.paths.stepped({ align: 1 });
      if (s.pointsOnly) { o.paths = function(){ return null; }; o.points = { show: true, size: s.pointSize || 9, stroke: s.color, fill: s.color }; }
      else { o.points = { show: false }; if (spec.maxGapMs) o.gaps = timeGaps(spec.maxGapMs / 1000); }
      series.push(o);
    });
    var bandRec = [];
    var d = [spec.x.map(function(t){ return t/1000; })].concat(spec.series.map(function(s){ return s.values; }));
    var opts = { width: width, height: spec.height || 300, scales: scales, axes: axes, series: series,
      tzDate: function(ts){ return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); },
      cursor: { drag: { x: true, y: false } }, legend: { live: true }, plugins: [markerPlugin(spec.markers), bandPlugin(spec.bands, bandRec)] };
    var plot = new uPlot(opts, d, el);
    var pts = 0; spec.series.forEach(function(s){ s.values.forEach(function(v){ if (v != null) pts++; }); });
    state.charts.push({ id: spec.id, plot: plot, points: pts, xLength: spec.x.length, bands: bandRec });
  }
  data.forEach(function(spec){ try { build(spec); } catch (e) { state.errors.push(spec.id + ': ' + e.message); console.error(e); } });
  var t; window.addEventListener('resize', function(){ clearTimeout(t); t = setTimeout(function(){
    state.charts.forEach(function(c){ var el = c.plot.root.parentNode; c.plot.setSize({ width: Math.max(320, el.clientWidth), height: c.plot.height }); });
  }, 100); });
})();
`;

/**
 * The gap above which a chart's lines break: 5 × the median spacing of its x (robust to the
 * min/max downsampling, which keeps spacing even), so a hole in the data shows as a hole.
 */
export function gapThresholdMs(x: readonly number[]): number | undefined {
  if (x.length < 3) return undefined;
  const dx = new Float64Array(x.length - 1);
  for (let i = 1; i < x.length; i++) dx[i - 1] = x[i]! - x[i - 1]!;
  dx.sort();
  const med = dx[dx.length >> 1]!;
  return med > 0 ? 5 * med : undefined;
}

/** The legend naming a chart's shaded scenario ranges (empty without bands). */
function bandLegend(spec: ChartSpec): string {
  if (!spec.bands?.length) return '';
  const item = (b: NonNullable<ChartSpec['bands']>[number]): string =>
    `<li><span class="sw" style="background:${esc(b.color)}"></span>${b.toMs > b.fromMs ? 'band' : 'line'}: ${esc(b.label)}</li>`;
  return `<ul class="band-legend">${spec.bands.map(item).join('')}</ul>`;
}

/** HTML container for a chart (the renderer fills `.plot`). */
export function chartDiv(spec: ChartSpec): string {
  return `<div class="chart" id="chart-${esc(spec.id)}"><h3>${esc(spec.title)}</h3>${spec.note ? `<p class="note">${esc(spec.note)}</p>` : ''}${bandLegend(spec)}<div class="plot"></div></div>`;
}

/** A complete self-contained HTML document. `body` is trusted HTML built by the report code. */
export function renderPage(title: string, body: string, charts: readonly ChartSpec[]): string {
  const u = uplotInline();
  charts = charts.map((c) => (c.maxGapMs !== undefined ? c : { ...c, maxGapMs: gapThresholdMs(c.x) }));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<style>${u.css}</style>
<style>${CSS}</style>
</head><body><main>
${body}
</main>
<script>${u.js}</script>
<script type="application/json" id="perpcarry-rules">${scriptJson(DISPLAY_RULES)}</script>
<script type="application/json" id="perpcarry-charts">${scriptJson(charts)}</script>
<script>${CLIENT_JS}</script>
</body></html>
`;
}
