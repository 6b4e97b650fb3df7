/**
 * `perpcarry compare`: several runs side by side. A metrics table (terminal, compare.md,
 * compare.html) with the best value per row marked, equity / drawdown / distance-to-liquidation
 * curves overlaid, and each run's cumulative PnL attribution side by side on a shared scale.
 * Runs over different windows or input data are compared only with a warning in every output.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../core/fs.js';
import { UserError } from '../core/errors.js';
import { displaySeries, PNL_COLORS, type DisplaySeries } from './report/charts.js';
import { BAND_COLORS, scenarioBands, shiftBands } from './report/scenario-bands.js';
import { alignOffsetMs, progressRows, type AlignRun, type CompareAlign, type ProgressRow } from './compare-align.js';
import { DEFAULT_BUCKETS, minMaxDownsample, unionAlign, type Aligned } from './report/downsample.js';
import { METRIC_INFO, PNL_INFO, esc, htmlTable, mdTable } from './report/format.js';
import { fmt, fmtSigned, isoWindow, type Unit } from './display.js';
import { PALETTE, chartDiv, renderPage, type ChartSpec, type SeriesSpec } from './report/page.js';
import { columnsWithPrefix, readRunDir, type RunData } from './report/run-dir.js';
import { METRIC_KEYS, PNL_COMPONENTS } from './run-format.js';
import { runTitle } from './report/report.js';

/** One row of the comparison table. */
export interface CompareRow {
  key: string;
  label: string;
  help: string;
  unit: Unit;
  better: 1 | -1 | 0;
  values: (number | null)[];
  /** Indices of the runs holding the best value (empty if no direction or all equal). */
  best: number[];
}

/** Everything `compare` computed, before rendering. */
export interface Comparison {
  runs: RunData[];
  /** Column names: run directory names, else run ids, made unique (see {@link runNames}). */
  names: string[];
  /** Parameters that differ between the runs (shown first: they are what the comparison is about). */
  params: { name: string; values: string[] }[];
  rows: CompareRow[];
  /** Human-readable warnings (different windows or input data). */
  warnings: string[];
  /** The shared time axis of the charts and the return-over-time table. */
  align: CompareAlign;
  /** Each run's return since its start at checkpoints of the shared axis. */
  progress: ProgressRow[];
}

/**
 * Indices of the best values in `values` given a direction; none when all tie or no direction.
 * `same` decides ties (default exact equality; compare passes "equal as displayed", so two Sharpes
 * both shown as −13.46 are a tie rather than one of them starred on a 1e-12 difference).
 */
export function bestIndices(values: readonly (number | null)[], better: 1 | -1 | 0, same: (a: number, b: number) => boolean = (a, b) => a === b): number[] {
  if (better === 0) return [];
  const finite = values.map((v, i) => [v, i] as const).filter(([v]) => v !== null && Number.isFinite(v)) as [number, number][];
  if (finite.length < 2) return [];
  const target = better > 0 ? Math.max(...finite.map(([v]) => v)) : Math.min(...finite.map(([v]) => v));
  const idx = finite.filter(([v]) => same(v, target)).map(([, i]) => i);
  return idx.length === finite.length ? [] : idx;
}

/** Warnings when runs differ in window (run.json fromMs/toMs) or input data (data[].sha256). */
export function compatibilityWarnings(runs: readonly RunData[], names: readonly string[], align: CompareAlign = 'calendar'): string[] {
  const w: string[] = [];
  const win = (r: RunData) => isoWindow(r.run.fromMs, r.run.toMs);
  if (runs.some((r) => r.run.fromMs !== runs[0]!.run.fromMs || r.run.toMs !== runs[0]!.run.toMs)) {
    const how = align === 'elapsed' ? 'Curves are aligned by time elapsed since each run\'s start (--align elapsed).' : 'Use --align elapsed to overlay them from each run\'s start.';
    w.push(`runs cover different windows: ${runs.map((r, i) => `${names[i]} ${win(r)}`).join('; ')}. Returns and PnL are not comparable like for like. ${how}`);
  }
  const key = (d: RunData['run']['data'][number]) => [d.venue, d.symbol, d.kind, d.timeframe, d.path].filter((x) => x !== undefined && x !== null).join(' ');
  const maps = runs.map((r) => new Map(r.run.data.map((d) => [key(d), d.sha256])));
  const allKeys = new Set(maps.flatMap((m) => [...m.keys()]));
  const diffs: string[] = [];
  for (const k of allKeys) {
    const shas = maps.map((m) => m.get(k));
    // A file only some runs read (hold-perp reads no spot bars) is not a data difference; two runs
    // reading it with different contents are.
    if (new Set(shas.filter((s) => s !== undefined)).size > 1) {
      diffs.push(`${k}: ${shas.map((s, i) => `${names[i]} ${s === undefined ? 'not used' : s.slice(0, 12)}`).join(', ')}`);
    }
  }
  if (diffs.length) w.push(`runs used different input data (sha256 in run.json differs): ${diffs.slice(0, 6).join('; ')}${diffs.length > 6 ? `; and ${diffs.length - 6} more` : ''}.`);
  return w;
}

/** A run as the time alignment reads it. */
function alignRun(r: RunData): AlignRun {
  return { fromMs: r.run.fromMs, toMs: r.run.toMs, ts: r.equity.ts, equity: r.equity.columns['equity']!, initialEquity: r.summary.metrics.initialEquity ?? r.equity.columns['equity']![0]! };
}

/**
 * Read and validate all runs (before anything is written), build the comparison table. `align`:
 * the time axis of the charts and the return-over-time table (calendar UTC, or elapsed since each
 * run's start).
 */
export function buildComparison(dirs: readonly string[], align: CompareAlign = 'calendar'): Comparison {
  if (dirs.length < 2) throw new UserError(`compare needs at least two run directories, got ${dirs.length}`);
  const runs = dirs.map((d) => readRunDir(d));
  const rows: CompareRow[] = [];
  for (const k of METRIC_KEYS) {
    const info = METRIC_INFO[k];
    const values = runs.map((r) => r.summary.metrics[k]);
    rows.push({ key: k, label: info.label, help: info.help, unit: info.unit, better: info.better, values, best: bestIndices(values, info.better, sameAs(info.unit)) });
  }
  for (const c of [...PNL_COMPONENTS, 'total'] as const) {
    const values = runs.map((r) => r.summary.pnl[c]);
    const label = `PnL: ${PNL_INFO[c]!.label}${c === 'fees' || c === 'slippage' || c === 'liquidation' || c === 'interest' || c === 'adl' ? ' (− = paid)' : ''}`;
    rows.push({ key: `pnl.${c}`, label, help: PNL_INFO[c]!.help, unit: 'usd', better: 1, values, best: bestIndices(values, 1, sameAs('usd')) });
  }
  rows.push(...roundTripRows(runs));
  const names = runNames(runs);
  const progress = progressRows(runs.map(alignRun), align);
  return { runs, names, params: differingParams(runs), rows, warnings: compatibilityWarnings(runs, names, align), align, progress };
}

/** The strategies' round-trip aggregates (summary.json `roundTrips`; – for runs written before it). */
function roundTripRows(runs: readonly RunData[]): CompareRow[] {
  const defs: [string, string, string, Unit, 1 | -1 | 0][] = [
    ['episodes', 'Round trips', 'position episodes, all legs (positions.csv)', 'int', 0],
    ['winRate', 'Round trips: win rate', 'share of closed episodes with net PnL > 0', 'pct', 1],
    ['meanHoldingHours', 'Round trips: mean hold', 'mean holding time of closed episodes, hours', 'hours', 0],
    ['fundingPerCost', 'Round trips: funding / costs', 'funding over fees + slippage + interest', 'ratio', 1],
  ];
  return defs.map(([k, label, help, unit, better]) => {
    const values = runs.map((r) => {
      const v = (r.summary['roundTrips'] as Record<string, unknown> | undefined)?.[k];
      return typeof v === 'number' ? v : null;
    });
    return { key: `roundTrips.${k}`, label, help, unit, better, values, best: bestIndices(values, better, sameAs(unit)) };
  });
}

/** Ties are values that display the same. */
const sameAs = (unit: Unit) => (a: number, b: number) => fmt(a, unit) === fmt(b, unit);

/**
 * Column names: the run directories' names if they are unique (reports/<run-id>/ by default, or
 * what the user chose with `--out`, e.g. `lev2` / `lev5`), else the run ids if unique (`a/run`,
 * `b/run`), else the id with `#n`.
 */
export function runNames(runs: readonly RunData[]): string[] {
  const bases = runs.map((r) => basename(r.dir));
  if (new Set(bases).size === bases.length) return bases;
  const ids = runs.map((r) => r.run.runId);
  if (new Set(ids).size === ids.length) return ids;
  const seen = new Map<string, number>();
  return ids.map((n) => {
    const c = (seen.get(n) ?? 0) + 1;
    seen.set(n, c);
    return c > 1 ? `${n} #${c}` : n;
  });
}

/** Strategy parameters (and strategy name) whose values differ between runs: what sets them apart. */
export function differingParams(runs: readonly RunData[]): { name: string; values: string[] }[] {
  const out: { name: string; values: string[] }[] = [];
  const show = (v: unknown) => (v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v));
  const strategies = runs.map((r) => r.run.strategy?.name ?? '–');
  if (new Set(strategies).size > 1) out.push({ name: 'strategy', values: strategies });
  const keys = new Set(runs.flatMap((r) => Object.keys(r.run.params ?? {})));
  for (const k of keys) {
    const vals = runs.map((r) => show((r.run.params ?? {})[k]));
    if (new Set(vals).size > 1) out.push({ name: k, values: vals });
  }
  const scen = runs.map((r) => scenarioNames(r).join(' + ') || 'none');
  if (new Set(scen).size > 1) out.push({ name: 'scenarios', values: scen });
  for (const k of ['capital', 'seed', 'timeframe', 'fillAt'] as const) {
    const vals = runs.map((r) => show(r.run[k]));
    if (new Set(vals).size > 1) out.push({ name: k, values: vals });
  }
  return out;
}

/** Names of the stress scenarios a run was replayed under (run.json `scenarios`). */
export function scenarioNames(run: RunData): string[] {
  const sc = run.run['scenarios'];
  return Array.isArray(sc) ? sc.map((x) => nameOf(x)) : [];
}

/** One line of what a scenario cost: stressed − base. */
export interface ScenarioCostLine {
  label: string;
  unit: Unit;
  base: number | null;
  stressed: number | null;
  /** stressed − base (null when either is undefined). */
  delta: number | null;
}

/** A stressed run set against the base run (the first run without scenarios). */
export interface ScenarioCost {
  base: string;
  stressed: string;
  scenarios: string[];
  lines: ScenarioCostLine[];
}

/**
 * What each stressed run's scenarios cost against the base run, line by line: every PnL
 * attribution line and the total (quote units; negative = the scenario cost that much), then
 * final equity, max drawdown and liquidations. Empty when no run is a base or none is stressed.
 */
export function scenarioCosts(c: Comparison): ScenarioCost[] {
  const b = c.runs.findIndex((r) => scenarioNames(r).length === 0);
  if (b < 0) return [];
  const base = c.runs[b]!;
  const out: ScenarioCost[] = [];
  c.runs.forEach((r, i) => {
    const names = scenarioNames(r);
    if (i === b || names.length === 0) return;
    const line = (label: string, unit: Unit, x: number | null | undefined, y: number | null | undefined): ScenarioCostLine => {
      const bx = x ?? null;
      const sy = y ?? null;
      return { label, unit, base: bx, stressed: sy, delta: bx === null || sy === null ? null : sy - bx };
    };
    const lines: ScenarioCostLine[] = [];
    const pnlKeys = [...new Set([...PNL_COMPONENTS, ...Object.keys(r.summary.pnl), ...Object.keys(base.summary.pnl)])].filter((k) => k !== 'total');
    for (const k of pnlKeys) {
      const bp = (base.summary.pnl as Record<string, number | null>)[k];
      const sp = (r.summary.pnl as Record<string, number | null>)[k];
      lines.push(line(`PnL: ${PNL_INFO[k]?.label ?? k}`, 'usd', bp ?? 0, sp ?? 0));
    }
    lines.push(line('PnL: Total', 'usd', base.summary.pnl.total, r.summary.pnl.total));
    lines.push(line('Final equity', 'usd', base.summary.metrics.finalEquity, r.summary.metrics.finalEquity));
    lines.push(line('Max drawdown', 'pct', base.summary.metrics.maxDrawdown, r.summary.metrics.maxDrawdown));
    lines.push(line('Liquidations', 'int', base.summary.metrics.liquidationCount, r.summary.metrics.liquidationCount));
    out.push({ base: c.names[b]!, stressed: c.names[i]!, scenarios: names, lines });
  });
  return out;
}

/** The scenario-cost tables as text rows: [line, base, stressed, stressed − base]. */
function scenarioCostRows(sc: ScenarioCost): string[][] {
  return sc.lines.map((l) => [l.label, fmt(l.base, l.unit), fmt(l.stressed, l.unit), fmtSigned(l.delta, l.unit)]);
}

/**
 * Plain-language answers to the questions people compare runs for: who earned the most funding,
 * who paid the most fees, who came closest to liquidation, who returned the most.
 */
export function headlines(c: Comparison): string[] {
  const pick = (vals: (number | null)[], dir: 1 | -1): number | null => {
    let best: number | null = null;
    vals.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      if (best === null || (dir > 0 ? v > vals[best]! : v < vals[best]!)) best = i;
    });
    if (best === null) return null;
    const b = vals[best]!;
    return vals.every((v) => v === b) ? null : best;
  };
  const list = (vals: (number | null)[], f: (v: number | null) => string) => c.names.map((n, i) => `${n} ${f(vals[i]!)}`).join(', ');
  const out: string[] = [];
  const funding = c.runs.map((r) => r.summary.pnl.funding);
  const fi = pick(funding, 1);
  // Funding PnL can be negative for every run (the book paid funding): say so rather than "earned".
  const fundingVerb = fi !== null && funding[fi]! <= 0 ? 'Best funding result (paid the least)' : 'Earned the most funding';
  out.push(fi === null ? `Funding: equal in all runs (${fmt(funding[0], 'usd')}).` : `${fundingVerb}: ${c.names[fi]} (funding PnL ${list(funding, (v) => fmt(v, 'usd'))}).`);
  const fees = c.runs.map((r) => r.summary.pnl.fees);
  const fe = pick(fees, -1);
  out.push(fe === null ? `Fees: equal in all runs (${fmt(fees[0], 'usd')}).` : `Paid the most fees: ${c.names[fe]} (${list(fees, (v) => (v === null ? '–' : fmt(-v, 'usd')))} paid).`);
  const liqs = c.runs.map((r) => r.summary.metrics.liquidationCount);
  const dist = c.runs.map((r) => r.summary.metrics.minLiquidationDistance);
  const li = pick(liqs, 1);
  const di = pick(dist, -1);
  if (li !== null) out.push(`Came closest to liquidation: ${c.names[li]}, liquidated ${liqs[li]} time(s) (${list(liqs, (v) => `${v ?? 0}×`)}).`);
  else if (di !== null) out.push(`Came closest to liquidation: ${c.names[di]} (closest distance to the liquidation price: ${list(dist, (v) => fmt(v, 'pct'))}).`);
  else out.push('Distance to liquidation: no difference (or no perp positions).');
  const ret = c.runs.map((r) => r.summary.metrics.totalReturn);
  const ri = pick(ret, 1);
  if (ri !== null) out.push(`Highest total return: ${c.names[ri]} (${list(ret, (v) => fmt(v, 'pct'))}).`);
  return out;
}

/** The side-by-side table for a terminal; best values end in `*`. */
export function terminalTable(c: Comparison): string {
  const header = ['metric', ...c.names];
  const body = [
    ...c.params.map((p) => [`param ${p.name}`, ...p.values.map((v) => `${v}  `)]),
    ...c.rows.map((r) => [r.label, ...r.values.map((v, i) => fmt(v, r.unit) + (r.best.includes(i) ? ' *' : '  '))]),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((s, i) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('  ');
  const out: string[] = [];
  for (const w of c.warnings) out.push(`WARNING: ${w}`);
  out.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line));
  out.push('', ...headlines(c));
  out.push('', `Return over time (${progressNote(c)}):`);
  const pr = [progressHeader(c), ...progressTableRows(c)];
  const pw = pr[0]!.map((_, i) => Math.max(...pr.map((r) => r[i]!.length)));
  for (const r of pr) out.push('  ' + r.map((x, i) => (i === 0 ? x.padEnd(pw[i]!) : x.padStart(pw[i]!))).join('  '));
  for (const sc of scenarioCosts(c)) {
    out.push('', `What ${sc.scenarios.join(' + ')} cost (${sc.stressed} − ${sc.base}), line by line:`);
    const rows = [['line', sc.base, sc.stressed, 'difference'], ...scenarioCostRows(sc)];
    const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) out.push('  ' + r.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  '));
  }
  out.push('', '* = best in row (higher return/PnL/distance to liquidation, lower vol/drawdown duration/liquidations; PnL costs are negative, so the best fees value is the run that paid least).');
  for (const w of c.warnings) out.push(`WARNING: ${w}`);
  return out.join('\n');
}

/** Min over a run's liq_distance columns at each sample (NaN when flat everywhere). */
function closestLiquidation(run: RunData): Float64Array | null {
  const cols = columnsWithPrefix(run, 'liq_distance').map((c) => run.equity.columns[c]!);
  if (!cols.length) return null;
  const n = run.equity.ts.length;
  const out = new Float64Array(n).fill(NaN);
  for (const c of cols) for (let i = 0; i < n; i++) if (c[i]! < out[i]! || (Number.isNaN(out[i]!) && !Number.isNaN(c[i]!))) out[i] = c[i]!;
  return out;
}

/** A display series with its x moved `offsetMs` earlier (elapsed alignment). */
function shiftX(d: DisplaySeries, offsetMs: number): DisplaySeries {
  return offsetMs === 0 ? d : { ...d, x: d.x.map((t) => t - offsetMs) };
}

/** The return-over-time table as text rows: [time or elapsed, return per run]. */
function progressTableRows(c: Comparison): string[][] {
  return c.progress.map((p) => [p.label, ...p.returns.map((v) => fmt(v, 'pct'))]);
}

/** Header of the return-over-time table. */
function progressHeader(c: Comparison): string[] {
  return [c.align === 'elapsed' ? 'Elapsed since start' : 'Time (UTC)', ...c.names];
}

/** What the return-over-time table shows, in one sentence. */
function progressNote(c: Comparison): string {
  return c.align === 'elapsed'
    ? 'Return since each run\'s start, with runs aligned by time elapsed since their own window start (--align elapsed); – where a run\'s window has ended.'
    : 'Return since each run\'s start at the same UTC times (calendar alignment, the default; --align elapsed measures from each run\'s own start); – outside a run\'s window.';
}

/** Chart specs of compare.html. */
export function compareCharts(c: Comparison): ChartSpec[] {
  const offsets = c.runs.map((r) => alignOffsetMs(r.run, c.align));
  const xMode = c.align === 'elapsed' ? 'elapsed' as const : 'time' as const;
  const ds = c.runs.map((r, i) => shiftX(displaySeries(r), offsets[i]!));
  const initials = c.runs.map((r) => r.summary.metrics.initialEquity ?? r.equity.columns['equity']![0]!);
  const overlay = (id: string, title: string, note: string, col: string, unit: 'usd' | 'pct' | 'num', label: string, scaleBy?: number[]): ChartSpec => {
    const a = unionAlign(ds.map((d, i): Aligned => ({ x: d.x, ys: [scaleBy ? d.col(col).map((v) => (v === null ? null : v / scaleBy[i]!)) : d.col(col)] })));
    return {
      id, title, note, x: a.x, xMode,
      series: c.names.map((n, i): SeriesSpec => ({ label: n, scale: 'y', color: PALETTE[i % PALETTE.length]!, values: a.ys[i]!, width: 2 })),
      scales: { y: { label, unit, side: 'left' } },
    };
  };
  const charts: ChartSpec[] = [
    new Set(initials).size > 1
      ? overlay('equity', 'Equity / initial equity, overlaid', `Growth of 1 unit of capital: the runs started with different capital (${c.names.map((n, i) => `${n} ${fmt(initials[i], 'usd')}`).join(', ')}).`, 'equity', 'num', 'equity / initial', initials)
      : overlay('equity', 'Equity, overlaid', 'Total equity of each run (quote).', 'equity', 'usd', 'equity (quote)'),
    overlay('drawdown', 'Drawdown, overlaid', 'Equity / running peak − 1.', 'drawdown', 'pct', 'drawdown'),
  ];
  // Distance to liquidation: the closest perp position of each run at each sample.
  const liqParts: Aligned[] = [];
  const liqNames: number[] = [];
  c.runs.forEach((r, i) => {
    const cl = closestLiquidation(r);
    if (!cl) return;
    const part = minMaxDownsample(r.equity.ts, [cl], DEFAULT_BUCKETS);
    liqParts.push({ x: part.x.map((t) => t - offsets[i]!), ys: part.ys });
    liqNames.push(i);
  });
  if (liqParts.length) {
    const a = unionAlign(liqParts);
    const markers = c.runs.flatMap((r, i) => Array.from(r.liquidations.ts, (ts) => ({ ts: ts - offsets[i]!, label: `${c.names[i]} liquidation` })));
    charts.push({
      id: 'liq-distance', title: 'Distance to liquidation (closest perp position), overlaid', x: a.x, xMode, markers,
      series: liqNames.map((ri, k): SeriesSpec => ({ label: c.names[ri]!, scale: 'y', color: PALETTE[ri % PALETTE.length]!, values: a.ys[k]!, width: 2 })),
      scales: { y: { label: '|mark − liq price| / mark', unit: 'pct', side: 'left' } },
      note: `Lower = closer to liquidation. ${markers.length ? `Red dashed lines: ${markers.length} liquidation event(s).` : 'No liquidations.'}`,
    });
  }
  // Attribution small multiples on one shared y range.
  let lo = 0;
  let hi = 0;
  for (const r of c.runs)
    for (const comp of PNL_COMPONENTS) {
      const col = r.equity.columns[`pnl_${comp}`]!;
      for (let i = 0; i < col.length; i++) {
        if (col[i]! < lo) lo = col[i]!;
        if (col[i]! > hi) hi = col[i]!;
      }
    }
  const pad = (hi - lo) * 0.05 || 1;
  c.runs.forEach((r, i) => {
    const d = ds[i]!;
    charts.push({
      id: `attribution-${i}`, title: `PnL attribution: ${c.names[i]}`, x: d.x, xMode, height: 260,
      series: PNL_COMPONENTS.map((comp) => ({ label: comp, scale: 'usd', color: PNL_COLORS[comp]!, values: d.col(`pnl_${comp}`), width: 1.8 })),
      scales: { usd: { label: 'PnL (quote)', unit: 'usd', side: 'left', range: [lo - pad, hi + pad] } },
      note: 'Cumulative signed PnL per source; same scale for every run.',
    });
  });
  return withBands(c, charts, offsets);
}

/**
 * Mark every run's scenario shocks on the charts (on the shared axis): the overlays get the shocks
 * of every run, named with the run; `attribution-i` those of run i.
 */
function withBands(c: Comparison, charts: ChartSpec[], offsets: readonly number[]): ChartSpec[] {
  let k = 0;
  // One colour per shock across the page, so a shock has the same colour on every chart.
  const per = c.runs.map((r, i) => shiftBands(scenarioBands(r), offsets[i]!).map((b) => ({ ...b, label: `${c.names[i]} · ${b.label}`, color: BAND_COLORS[k++ % BAND_COLORS.length]! })));
  const all = per.flat();
  return charts.map((ch) => {
    const m = /^attribution-(\d+)$/.exec(ch.id);
    const bands = m ? per[Number(m[1])]! : all;
    return bands.length ? { ...ch, bands } : ch;
  });
}

/** compare.html: warnings, table with best marked, overlaid curves, attribution side by side. */
export function compareHtml(c: Comparison): string {
  const charts = compareCharts(c);
  const warn = c.warnings.map((w) => `<div class="warn">⚠ Warning: ${esc(w)}</div>`).join('\n');
  const np = c.params.length;
  const rows = [
    ...c.params.map((p) => [`param ${p.name}`, ...p.values, 'differs between the runs']),
    ...c.rows.map((r) => [r.label, ...r.values.map((v) => fmt(v, r.unit)), r.help]),
  ];
  const table = htmlTable(['Metric', ...c.names, 'Definition'], rows, {
    id: 'compare',
    cellClass: (ri, ci) =>
      ci === c.names.length + 1 ? 'l' : ri < np ? 'param' : ci >= 1 && c.rows[ri - np]!.best.includes(ci - 1) ? 'best' : undefined,
  });
  const attrCharts = charts.filter((ch) => ch.id.startsWith('attribution-'));
  const other = charts.filter((ch) => !ch.id.startsWith('attribution-'));
  const runsList = c.runs
    .map((r, i) => `<li><b>${esc(c.names[i]!)}</b>: ${esc(runTitle(r))} · params ${esc(JSON.stringify(r.run.params ?? {}))}</li>`)
    .join('\n');
  const body = `
<h1>perpcarry compare: ${c.names.map(esc).join(' vs ')}</h1>
${warn}
<ul class="sub">${runsList}</ul>
<h2>In short</h2>
<ul id="headlines">${headlines(c).map((h) => `<li>${esc(h)}</li>`).join('')}</ul>
${scenarioCosts(c)
  .map(
    (sc) =>
      `<h2>What ${esc(sc.scenarios.join(' + '))} cost (${esc(sc.stressed)} − ${esc(sc.base)})</h2>\n` +
      htmlTable(['Line', sc.base, sc.stressed, 'Difference'], scenarioCostRows(sc), { id: `scenario-cost-${esc(sc.stressed)}` }),
  )
  .join('\n')}
<h2>Metrics side by side</h2>
<p class="note">★ marks the best value in each row: higher return, Sharpe, PnL and distance to liquidation; lower volatility, drawdown duration and liquidation count. PnL costs (fees, slippage) are negative, so ★ on fees marks the run that paid the least.</p>
${table}
<h2>Return over time</h2>
<p class="note">${esc(progressNote(c))}</p>
${htmlTable(progressHeader(c), progressTableRows(c), { id: 'progress' })}
<h2>Curves overlaid</h2>
${other.map(chartDiv).join('\n')}
<h2>PnL attribution side by side</h2>
<div class="grid2">${attrCharts.map(chartDiv).join('\n')}</div>
${warn}
`;
  return renderPage(`perpcarry compare ${c.names.join(' vs ')}`, body, charts);
}

/** compare.md: warnings and the table (best marked with ★). */
export function compareMd(c: Comparison): string {
  const rows = [
    ...c.params.map((p) => [`param ${p.name}`, ...p.values]),
    ...c.rows.map((r) => [r.label, ...r.values.map((v, i) => fmt(v, r.unit) + (r.best.includes(i) ? ' ★' : ''))]),
  ];
  const lines = [`# perpcarry compare: ${c.names.join(' vs ')}`, ''];
  for (const w of c.warnings) lines.push(`> **Warning:** ${w}`, '');
  c.runs.forEach((r, i) => lines.push(`- **${c.names[i]}**: ${runTitle(r)}; params \`${JSON.stringify(r.run.params ?? {})}\``));
  lines.push('', ...headlines(c).map((h) => `- ${h}`));
  lines.push('', mdTable(['Metric', ...c.names], rows, ['l']), '', '★ = best in row.', '');
  lines.push('## Return over time', '', progressNote(c), '', mdTable(progressHeader(c), progressTableRows(c), ['l']), '');
  for (const sc of scenarioCosts(c)) {
    lines.push(`## What ${sc.scenarios.join(' + ')} cost (${sc.stressed} − ${sc.base})`, '', mdTable(['Line', sc.base, sc.stressed, 'Difference'], scenarioCostRows(sc), ['l']), '');
  }
  return lines.join('\n');
}

/** Options of {@link compareRuns}. */
export interface CompareOptions {
  /** Output directory for compare.html / compare.md (default: `<parent of first run>/compare-<hash>`). */
  out?: string;
  /** Time axis: `calendar` (default, UTC times) or `elapsed` (since each run's window start). */
  align?: CompareAlign;
}

/** Compare runs: validate all, then write compare.html and compare.md atomically; return the terminal table. */
export async function compareRuns(dirs: readonly string[], opts: CompareOptions = {}): Promise<{ outDir: string; html: string; md: string; terminal: string; comparison: Comparison }> {
  const c = buildComparison(dirs, opts.align);
  const html = compareHtml(c);
  const md = compareMd(c);
  // Elapsed alignment gets its own default directory, so it does not replace the calendar one.
  const hash = createHash('sha256').update(c.runs.map((r) => r.run.runId).join('\n') + (c.align === 'elapsed' ? '\nelapsed' : '')).digest('hex').slice(0, 8);
  const outDir = resolve(opts.out ?? join(dirname(c.runs[0]!.dir), `compare-${hash}`));
  const htmlPath = join(outDir, 'compare.html');
  const mdPath = join(outDir, 'compare.md');
  try {
    writeFileAtomic(htmlPath, html);
    writeFileAtomic(mdPath, md);
  } catch (e) {
    // EEXIST/ENOTDIR (a file in the way), EACCES/EROFS (read-only): the user's --out, not a bug.
    if ((e as NodeJS.ErrnoException).code) throw new UserError(`cannot write compare.html/compare.md in ${outDir}${opts.out ? ' (--out)' : ''}: ${(e as Error).message}`);
    throw e;
  }
  return { outDir, html: htmlPath, md: mdPath, terminal: terminalTable(c), comparison: c };
}

/** A scenario's name as recorded in run.json, or '?'. */
function nameOf(x: unknown): string {
  const name = (x as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '?';
}
