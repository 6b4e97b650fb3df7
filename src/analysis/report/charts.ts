/**
 * Chart specs of one run (report.html) built from its equity samples, funding settlements and
 * liquidations. Series are min/max-downsampled for display only.
 */
import { MS_PER_YEAR } from '../../core/time.js';
import { fmt } from '../display.js';
import { annualizeFundingRate } from '../metrics.js';
import { DEFAULT_BUCKETS, minMaxDownsample, roundForDisplay, unionAlign, type Aligned } from './downsample.js';
import { PALETTE, type ChartSpec, type SeriesSpec } from './page.js';
import { scenarioBands } from './scenario-bands.js';
import { columnsWithPrefix, loadMarketFunding, type RunData } from './run-dir.js';
import { PNL_COMPONENTS } from '../run-format.js';

/** Attribution component colours, fixed so that runs compare at a glance. */
export const PNL_COLORS: Record<string, string> = {
  funding: '#009E73', trading: '#0072B2', fees: '#D55E00', slippage: '#CC79A7', interest: '#E69F00', liquidation: '#B3261E', adl: '#7F7F7F', total: '#000000',
};

/** Above this many held settlements the funding chart does not mark each with a dot. */
const MAX_HELD_DOTS = 200;

/** Display-downsampled view of every equity column, sharing one x. */
export interface DisplaySeries {
  x: number[];
  col: (name: string) => (number | null)[];
  /** True when the run had more samples than displayed points. */
  downsampled: boolean;
  samples: number;
}

/** Downsample all equity.arrow columns together for display. */
export function displaySeries(run: RunData, buckets = DEFAULT_BUCKETS): DisplaySeries {
  const names = run.equity.columnOrder;
  const a = minMaxDownsample(run.equity.ts, names.map((c) => run.equity.columns[c]!), buckets);
  const idx = new Map(names.map((c, i) => [c, i]));
  return {
    x: a.x,
    col: (name) => {
      const i = idx.get(name);
      if (i === undefined) throw new Error(`equity.arrow has no column "${name}"`);
      return a.ys[i]!;
    },
    downsampled: a.x.length < run.equity.ts.length,
    samples: run.equity.ts.length,
  };
}

function dsNote(d: DisplaySeries): string {
  return d.downsampled ? ` Display: ${fmt(d.samples, 'int')} samples shown as min/max per bucket (${fmt(d.x.length, 'int')} points); metrics use every sample.` : '';
}

/** Perp instruments a run traded: `venue:symbol` keys from pos: columns and funding rows. */
export function tradedInstruments(run: RunData): string[] {
  const keys = new Set<string>();
  for (const c of columnsWithPrefix(run, 'pos')) keys.add(c.slice('pos:'.length));
  for (let i = 0; i < run.funding.ts.length; i++) keys.add(`${run.funding.venue[i]}:${run.funding.symbol[i]}`);
  return [...keys];
}

/** Split `venue:symbol` (the symbol may itself contain `:` as in `BTC/USDT:USDT`). */
function splitKey(key: string): { venue: string; symbol: string } {
  const i = key.indexOf(':');
  return { venue: key.slice(0, i), symbol: key.slice(i + 1) };
}

/**
 * Every chart of report.html, in page order; each marks the run's scenario shocks
 * (scenario-bands.ts), all of them time-axis charts.
 */
export function runCharts(run: RunData, d: DisplaySeries = displaySeries(run)): ChartSpec[] {
  const bands = scenarioBands(run);
  const charts = chartsOf(run, d);
  return bands.length ? charts.map((c) => ({ ...c, bands })) : charts;
}

function chartsOf(run: RunData, d: DisplaySeries): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const venues = columnsWithPrefix(run, 'equity_spot').map((c) => c.slice('equity_spot:'.length));
  for (const c of columnsWithPrefix(run, 'equity_perp')) {
    const v = c.slice('equity_perp:'.length);
    if (!venues.includes(v)) venues.push(v);
  }

  // 1. Equity. The total on its own (left) axis, so a −0.24 % move over a run is visible; the
  // account split, whose swings are far larger (a hedged book moves value between spot and perp),
  // on the right axis.
  const bench = run.summary.metrics.benchmarkApr ?? 0;
  const initialEq = run.summary.metrics.initialEquity ?? run.equity.columns['equity']![0]!;
  const eqSeries: SeriesSpec[] = [{ label: 'Total equity', scale: 'total', color: '#000000', values: d.col('equity'), width: 2 }];
  if (bench !== 0) {
    // Simple interest from the window start: the benchmark's equity with the same capital.
    const fromMs = run.run.fromMs;
    eqSeries.push({
      label: `benchmark ${fmt(bench, 'pct')} APR (simple)`, scale: 'total', color: '#7F7F7F', width: 1.5, dash: [8, 4],
      values: d.x.map((t) => roundForDisplay(initialEq * (1 + (bench * (t - fromMs)) / MS_PER_YEAR))),
    });
  }
  let split = false;
  venues.forEach((v, i) => {
    for (const kind of ['spot', 'perp'] as const) {
      const name = `equity_${kind}:${v}`;
      if (run.equity.columns[name]) {
        split = true;
        eqSeries.push({ label: `${v} ${kind}`, scale: 'usd', color: PALETTE[(2 * i + (kind === 'perp' ? 1 : 0)) % PALETTE.length]!, values: d.col(name), width: 1, dash: [4, 3] });
      }
    }
  });
  charts.push({
    id: 'equity', title: 'Equity', x: d.x, series: eqSeries,
    scales: {
      total: { label: 'total equity (quote)', unit: 'usd', side: 'left' },
      ...(split ? { usd: { label: 'per account (quote)', unit: 'usd' as const, side: 'right' as const } } : {}),
    },
    note:
      'Total account equity (left axis) and its split per venue account (right axis: spot / perp margin balance incl. unrealized PnL).' +
      (bench !== 0 ? ` Grey dashed: the initial capital growing at the benchmark rate ${fmt(bench, 'pct')} (simple).` : '') +
      dsNote(d),
  });

  // 2. Drawdown
  charts.push({
    id: 'drawdown', title: 'Drawdown (underwater)', x: d.x, height: 220,
    series: [{ label: 'drawdown', scale: 'pct', color: '#B3261E', fill: 'rgba(179,38,30,0.18)', values: d.col('drawdown') }],
    scales: { pct: { label: 'equity / peak − 1', unit: 'pct', side: 'left' } },
    note: 'Equity relative to its running peak.' + dsNote(d),
  });

  // 3. Cumulative PnL attribution
  const initial = run.summary.metrics.initialEquity ?? run.equity.columns['equity']![0]!;
  const eqCol = run.equity.columns['equity']!;
  const total = new Float64Array(eqCol.length);
  for (let i = 0; i < eqCol.length; i++) total[i] = eqCol[i]! - initial;
  const totalDs = minMaxDownsample(run.equity.ts, [total], DEFAULT_BUCKETS);
  charts.push({
    id: 'attribution', title: 'Cumulative PnL attribution', x: d.x,
    series: [
      ...PNL_COMPONENTS.map((c) => ({ label: c, scale: 'usd', color: PNL_COLORS[c]!, values: d.col(`pnl_${c}`), width: 1.8 })),
      { label: 'total (equity − initial)', scale: 'usd', color: PNL_COLORS['total']!, values: totalDs.ys[0]!, width: 1.2, dash: [5, 4] },
    ],
    scales: { usd: { label: 'PnL (quote)', unit: 'usd', side: 'left' } },
    note: 'Signed PnL since start per source; fees, slippage, interest and liquidation are costs (negative). The components sum to the total.' + dsNote(d),
  });

  // 4. Funding rate (annualized, simple) per traded instrument with position overlaid
  const instruments = tradedInstruments(run);
  const market: ReturnType<typeof loadMarketFunding> = instruments.length ? loadMarketFunding(run) : { series: new Map(), skipped: [] };
  instruments.forEach((key, k) => {
    const { venue, symbol } = splitKey(key);
    const fx: number[] = [];
    const fy: (number | null)[] = [];
    for (let i = 0; i < run.funding.ts.length; i++) {
      if (run.funding.venue[i] !== venue || run.funding.symbol[i] !== symbol) continue;
      fx.push(run.funding.ts[i]!);
      fy.push(roundForDisplay(annualizeFundingRate(run.funding.rate[i]!, run.funding.intervalHours[i]!, 'simple')));
    }
    const color = PALETTE[(k * 2) % PALETTE.length]!;
    const parts: Aligned[] = [];
    const series: SeriesSpec[] = [];
    const m = market.series.get(key);
    // Dots for held settlements help on short runs; on long ones they bury the line (the
    // position overlay already shows when the book was in).
    const dots = fx.length <= MAX_HELD_DOTS;
    if (m) {
      parts.push({ x: Array.from(m.ts), ys: [Array.from(m.ts, (_, i) => roundForDisplay(annualizeFundingRate(m.rate[i]!, m.intervalHours[i]!, 'simple')))] });
      series.push({ label: 'funding APR (simple), every settlement', scale: 'apr', color, width: 1.5, values: [] });
      if (dots) {
        series.push({ label: 'settlements the book held', scale: 'apr', color: '#000000', pointsOnly: true, pointSize: fx.length > 30 ? 5 : 8, values: [] });
        parts.push({ x: fx, ys: [fy] });
      }
    } else {
      series.push({ label: 'funding APR (simple), settlements held', scale: 'apr', color, width: 2, values: [] });
      parts.push({ x: fx, ys: [fy] });
    }
    const posName = `pos:${key}`;
    const hasPos = !!run.equity.columns[posName];
    if (hasPos) {
      parts.push({ x: d.x, ys: [d.col(posName)] });
      series.push({ label: 'position (base qty)', scale: 'qty', color: '#7F7F7F', stepped: true, width: 1.2, values: [] });
    }
    const a = unionAlign(parts);
    series.forEach((sp, i) => (sp.values = a.ys[i]!));
    const src = m
      ? `Line: every settlement in the window (data store, sha256 verified); ${dots ? 'black dots' : 'not marked'}: the ${fx.length} settlements the book held (funding.csv).`
      : `Rate at the ${fx.length} settlements the book held (funding.csv)${market.skipped.length ? `; settlements while flat unavailable: ${market.skipped.join(', ')}` : ''}.`;
    charts.push({
      id: `funding-${k}`, title: `Funding rate, annualized: ${venue} ${symbol}`, x: a.x, series,
      scales: { apr: { label: 'funding APR (simple)', unit: 'pct', side: 'left' }, ...(hasPos ? { qty: { label: 'position (base qty, signed)', unit: 'num' as const, side: 'right' as const } } : {}) },
      note: `${src} APR = rate × settlements per year (simple, 365 d).${hasPos ? ' Grey: signed perp position.' : ''}`,
    });
  });

  // 5. Basis
  const basisCols = columnsWithPrefix(run, 'basis_bps');
  if (basisCols.length) {
    charts.push({
      id: 'basis', title: 'Basis: perp vs spot', x: d.x, height: 240,
      series: basisCols.map((c, i) => ({ label: c.slice('basis_bps:'.length), scale: 'bps', color: PALETTE[i % PALETTE.length]!, values: d.col(c) })),
      scales: { bps: { label: 'basis (bps)', unit: 'bps', side: 'left' } },
      note: '(perp close / spot close − 1) × 10,000.' + dsNote(d),
    });
  }

  // 6. Margin ratio and distance to liquidation per perp account
  const marginVenues = columnsWithPrefix(run, 'margin_ratio').map((c) => c.slice('margin_ratio:'.length));
  const liqCols = columnsWithPrefix(run, 'liq_distance');
  marginVenues.forEach((venue, k) => {
    const myLiq = liqCols.filter((c) => c.startsWith(`liq_distance:${venue}:`));
    const mr = run.equity.columns[`margin_ratio:${venue}`]!;
    let any = myLiq.length > 0;
    for (let i = 0; i < mr.length && !any; i++) if (mr[i]! > 0) any = true;
    if (!any) return; // a spot-only venue: no margin to show
    const markers: { ts: number; label: string }[] = [];
    for (let i = 0; i < run.liquidations.ts.length; i++)
      if (run.liquidations.venue[i] === venue) markers.push({ ts: run.liquidations.ts[i]!, label: `liquidation ${run.liquidations.symbol[i]}` });
    const series: SeriesSpec[] = [{ label: 'margin ratio (maint / balance)', scale: 'frac', color: '#D55E00', values: d.col(`margin_ratio:${venue}`), width: 2 }];
    myLiq.forEach((c, i) => series.push({ label: `distance to liquidation ${c.slice(`liq_distance:${venue}:`.length)}`, scale: 'frac', color: PALETTE[(i * 2) % PALETTE.length]!, values: d.col(c) }));
    let x = d.x;
    if (markers.length) {
      const a = unionAlign([{ x: d.x, ys: series.map((s) => s.values) }, { x: markers.map((m) => m.ts), ys: [markers.map(() => 0)] }]);
      x = a.x;
      series.forEach((s, i) => (s.values = a.ys[i]!));
      series.push({ label: 'liquidation', scale: 'frac', color: '#B3261E', values: a.ys[series.length]!, pointsOnly: true });
    }
    charts.push({
      id: `margin-${k}`, title: `Margin ratio and distance to liquidation: ${venue} perp account`, x, series, markers,
      scales: { frac: { label: 'fraction', unit: 'pct', side: 'left' } },
      note: `Margin ratio = maintenance margin / margin balance (liquidation at 100%). Distance = |mark − liquidation price| / mark. ${markers.length ? `Red dashed lines: ${markers.length} liquidation event(s).` : 'No liquidations.'}` + dsNote(d),
    });
  });
  return charts;
}
