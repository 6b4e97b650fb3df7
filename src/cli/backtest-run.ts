/**
 * `perpcarry backtest` implementation: resolve options (flags over `--config` run.json over
 * defaults), load the strategy, run, write the run directory, print a compact summary.
 * Nothing heavy is imported here: the report writer (danfojs) is loaded only with `--report`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import { MS_PER_DAY, isoUtc, isoWindow, parseInstant, type UnixMs } from '../core/time.js';
import { fmt, fmtSigned } from '../analysis/display.js';
import { readingDataDir } from './data-dir.js';
import { CRASH_WINDOWS } from '../data/windows.js';
import { resolveScenario } from '../scenario/bundled.js';
import { parseScenario } from '../scenario/parse.js';
import type { Scenario } from '../scenario/types.js';
import { runBacktest, type BacktestConfig, type BacktestResult, type ModelsConfig } from '../engine/backtest.js';
import type { MarketData } from '../engine/data.js';
import { loadStrategy } from '../strategy/registry.js';
import { parseParamArgs } from '../strategy/params.js';
import type { ParamValue } from '../strategy/types.js';
import { defaultRunId, writeRunDir, writeRunDirThen, type RunSummary, type RunTiming, type WrittenRun } from '../analysis/run-writer.js';

/** A window argument: a registry id, else a date D meaning [D − 1 day, D + 2 days). */
export function resolveWindow(text: string): { fromMs: UnixMs; toMs: UnixMs; name: string } {
  const hit = CRASH_WINDOWS.find((w) => w.id === text);
  if (hit) return { fromMs: hit.startMs, toMs: hit.endMs, name: hit.id };
  let day: number;
  try {
    day = parseInstant(text, '--window');
  } catch {
    throw new UserError(`--window "${text}": not a known window (${CRASH_WINDOWS.map((w) => w.id).join(', ')}) nor a date like 2025-02-03`);
  }
  const d0 = Math.floor(day / MS_PER_DAY) * MS_PER_DAY;
  return { fromMs: d0 - MS_PER_DAY, toMs: d0 + 2 * MS_PER_DAY, name: text };
}

/** A saved run.json as `--config` reads it. */
export interface SavedRun {
  strategy?: { name?: string; source?: string };
  params?: Record<string, ParamValue>;
  venues?: string[];
  /** One symbol, a comma-separated list, or a list of symbols (multi-asset strategies). */
  symbol?: string | string[];
  timeframe?: string;
  fromMs?: number;
  toMs?: number;
  window?: string | null;
  capital?: number;
  seed?: number;
  fillAt?: 'next-open' | 'close';
  models?: ModelsConfig;
  allowSpotBorrow?: boolean;
  acceptDataErrors?: boolean;
  fundingHistoryDays?: number;
  benchmarkApr?: number;
  markToMarketEnd?: boolean;
  dataDir?: string;
  data?: { path: string; sha256: string }[];
  scenarios?: { name: string; source: string; doc: unknown }[];
}

/** Largest |ms| a JavaScript Date holds (±100 000 000 days). */
const MAX_DATE_MS = 8.64e15;

function readConfig(path: string): SavedRun {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new UserError(`--config ${abs}: file not found`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(abs, 'utf8'));
  } catch (e) {
    throw new UserError(`--config ${abs}: not valid JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`--config ${abs}: expected a run.json object (see docs/RUN_FORMAT.md)`);
  const r = raw as Record<string, unknown>;
  // Fields a hand-edited run.json may get wrong: each one named, instead of a TypeError later.
  const bad = (field: string, want: string): never => {
    throw new UserError(`--config ${abs}: "${field}" must be ${want} (got ${JSON.stringify(r[field])})`);
  };
  const isObj = (x: unknown): boolean => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (r['strategy'] !== undefined && !isObj(r['strategy'])) bad('strategy', 'an object with "name" or "source"');
  if (r['params'] !== undefined && !isObj(r['params'])) bad('params', 'an object of name: value');
  if (r['models'] !== undefined && !isObj(r['models'])) bad('models', 'an object');
  if (r['venues'] !== undefined && !(Array.isArray(r['venues']) && r['venues'].every((v) => typeof v === 'string'))) bad('venues', 'an array of venue ids');
  for (const k of ['timeframe', 'dataDir'] as const) if (r[k] !== undefined && typeof r[k] !== 'string') bad(k, 'a string');
  for (const k of ['markToMarketEnd', 'allowSpotBorrow', 'acceptDataErrors'] as const) if (r[k] !== undefined && typeof r[k] !== 'boolean') bad(k, 'true or false');
  if (r['symbol'] !== undefined && typeof r['symbol'] !== 'string' && !(Array.isArray(r['symbol']) && r['symbol'].length > 0 && r['symbol'].every((v) => typeof v === 'string'))) {
    bad('symbol', 'a symbol such as "ETH/USDT" or a list of them');
  }
  for (const k of ['fromMs', 'toMs', 'capital', 'seed', 'fundingHistoryDays', 'benchmarkApr'] as const) {
    if (r[k] !== undefined && !(typeof r[k] === 'number' && Number.isFinite(r[k]))) bad(k, 'a finite number');
  }
  for (const k of ['fromMs', 'toMs'] as const) {
    if (r[k] !== undefined && !(Number.isSafeInteger(r[k]) && Math.abs(r[k] as number) <= MAX_DATE_MS)) bad(k, 'an integer epoch ms within the Date range');
  }
  if (r['data'] !== undefined && !Array.isArray(r['data'])) bad('data', 'an array');
  (Array.isArray(r['data']) ? (r['data'] as unknown[]) : []).forEach((d, i) => {
    if (!isObj(d) || typeof (d as Record<string, unknown>)['path'] !== 'string' || typeof (d as Record<string, unknown>)['sha256'] !== 'string') {
      throw new UserError(`--config ${abs}: "data[${i}]" must be an object {path, sha256, …} (got ${JSON.stringify(d)})`);
    }
  });
  if (r['scenarios'] !== undefined && !(Array.isArray(r['scenarios']) && r['scenarios'].every((x) => isObj(x) && isObj((x as Record<string, unknown>)['doc'])))) {
    bad('scenarios', 'an array of {name, source, doc}');
  }
  return r;
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const pct = (x: number): string => fmt(x, 'pct');
const money = (x: number): string => fmtSigned(x, 'usd');

/** Events per second for humans: `12.3 M events/s`, or `28.8 k events/s` below a million (a short run). */
export function rate(eventsPerSec: number): string {
  if (!Number.isFinite(eventsPerSec)) return 'n/a';
  return eventsPerSec >= 1e6 ? `${(eventsPerSec / 1e6).toFixed(1)} M events/s` : `${(eventsPerSec / 1e3).toFixed(1)} k events/s`;
}

/** The compact stdout summary. */
export function formatSummary(s: RunSummary, r: BacktestResult, dir: string, timing: RunTiming, reported = false): string {
  const m = s.metrics;
  const p = s.pnl;
  const lines = [
    `${s.strategy}  ${s.venues.join(',')} ${s.symbol}  ${isoWindow(r.config.fromMs, r.config.toMs)}  (${r.config.timeframe}, ${fmt(r.samples.length, 'int')} samples)`,
    `  equity       ${fmt(m.initialEquity, 'usd')} → ${fmt(m.finalEquity, 'usd')}   return ${pct(m.totalReturn)}   APR ${pct(m.apr)} (simple)`,
    `  risk         maxDD ${pct(m.maxDrawdown)} (${fmt(m.maxDrawdownDurationHours, 'hours')})   vol ${pct(m.annualVol)}   sharpe ${fmt(m.sharpe, 'ratio')}${m.benchmarkApr ? ` (excess of ${pct(m.benchmarkApr)}: ${fmt(m.excessSharpe, 'ratio')})` : ''}   sortino ${fmt(m.sortino, 'ratio')}   calmar ${fmt(m.calmar, 'ratio')}   (daily returns × √365${s.metricFlags.sharpe ? `; ${s.metricFlags.sharpe}` : ''})`,
    `  pnl          funding ${money(p.funding)}  trading ${money(p.trading)}  fees ${money(p.fees)}  slippage ${money(p.slippage)}  interest ${money(p.interest)}  liquidation ${money(p.liquidation)}${p.adl ? `  adl ${money(p.adl)}` : ''}  = ${money(p.total)}`,
    `  activity     trades ${fmt(m.tradeCount, 'int')}  liquidations ${fmt(m.liquidationCount, 'int')}  min liq distance ${pct(m.minLiquidationDistance)}  time in market ${pct(m.timeInMarket)}  turnover ${fmt(m.turnover, 'ratio')}×`,
    ...ordersLines(s),
    `  book end     ${s.endOfRun.mode === 'close' ? `closed at the last close with costs: ${s.endOfRun.closed} position(s), fees ${money(-s.endOfRun.fees)}, slippage ${money(-s.endOfRun.slippage)} (trades tagged close-at-end; --mark-to-market-end to leave them open)` : 'marked to market (--mark-to-market-end): open positions valued at the last prices, no exit costs'}`,
    `  speed        ${timing.events} events in ${f(timing.loopMs, 1)} ms (${rate(timing.eventsPerSec)}${timing.quietEvents ? `; ${f((100 * timing.quietEvents) / timing.events, 1)} % replayed in bulk while the strategy slept` : ''}), load ${f(timing.loadMs, 1)} ms, write ${f(timing.writeMs ?? NaN, 0)} ms (${f((timing.bytesWritten ?? NaN) / 1e6, 1)} MB), total ${f(timing.totalMs, 0)} ms`,
    `  report       ${dir}${reported ? '' : `   (report.html: npx perpcarry report ${dir})`}`,
  ];
  return lines.join('\n') + '\n';
}

/**
 * The orders line of the terminal summary, marked `!` when orders were refused or a hedge broke:
 * a strategy that meant to trade and did not (or ran one leg naked) must not look like a quiet run.
 */
function ordersLines(s: RunSummary): string[] {
  const o = s.orders;
  if (o.rejected === 0 && o.hedgesBroken === 0 && o.expired === 0 && o.makerFills === 0) return [];
  const reasons = Object.entries(o.rejectedByReason).map(([k, n]) => `${k} ${n}`).join(', ');
  const parts = [`rejected ${o.rejected}${reasons ? ` (${reasons})` : ''}`];
  if (o.hedgesRefused) parts.push(`hedges refused whole ${o.hedgesRefused}`);
  parts.push(`broken hedges ${o.hedgesBroken}${o.hedgesBroken ? ` (unwound ${o.hedgesUnwound}, kept ${o.hedgesBroken - o.hedgesUnwound})` : ''}`);
  if (o.expired) parts.push(`limit orders expired ${o.expired}`);
  if (o.makerFills) parts.push(`maker fills ${o.makerFills}`);
  const alarm = o.rejected > 0 || o.hedgesBroken > 0;
  return [`${alarm ? '!' : ' '} orders       ${parts.join('  ')}`];
}

/**
 * Where the loaded data does not span the run window: OHLCV bars that start late or end early, and
 * perps without a single funding settlement in the window (their carry would silently be zero).
 * The run still goes ahead (a window may deliberately reach past the data); the user is told.
 */
export function coverageWarnings(market: MarketData): string[] {
  const out: string[] = [];
  const tf = market.timeframeMs;
  market.instruments.forEach((ins, i) => {
    const b = market.bars[i];
    if (b && b.ts.length > 0) {
      const firstClose = b.ts[0]! + tf;
      const lastClose = b.ts[b.ts.length - 1]! + tf;
      // A missing bar is one that would have closed inside (fromMs, toMs]; bars at another phase
      // (Bybit/OKX 8h at 04/12/20 UTC) legitimately close up to one timeframe inside either end.
      if (firstClose > market.fromMs + tf || lastClose + tf <= market.toMs) {
        out.push(
          `${ins.venue} ${ins.symbol} ${market.timeframe} bars cover only ${isoUtc(b.ts[0]!)} → ${isoUtc(lastClose)} of the window ` +
            `${isoUtc(market.fromMs)} → ${isoUtc(market.toMs)} (see \`perpcarry data list\`)`,
        );
      }
    }
    if (ins.type === 'perp') {
      const fs = market.funding[i];
      let n = 0;
      if (fs) for (let k = 0; k < fs.ts.length; k++) if (fs.ts[k]! > market.fromMs && fs.ts[k]! <= market.toMs) n++;
      if (n === 0) out.push(`${ins.venue} ${ins.symbol}: no funding settlements stored in the window; its funding PnL is zero`);
    }
  });
  return out;
}

/** Progress bar on stderr (TTY only), shown once a run has taken more than a second. */
function progressBar(enabled: boolean): { update: (fraction: number) => void; done: () => void } {
  const t0 = performance.now();
  let shown = false;
  const tty = enabled && process.stderr.isTTY;
  return {
    update(fraction) {
      if (!tty || performance.now() - t0 < 1000) return;
      shown = true;
      const w = 30;
      const n = Math.round(fraction * w);
      process.stderr.write(`\r  replay [${'#'.repeat(n)}${'.'.repeat(w - n)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
    },
    done() {
      if (shown) process.stderr.write('\r' + ' '.repeat(50) + '\r');
    },
  };
}

/** Warnings shown on the terminal; the rest are in run.log. */
export const TERMINAL_WARNINGS = 5;

/**
 * The text of `run.log`: every warning of the run (data coverage, changed data, scenario notes,
 * engine and strategy warnings), then every log line of the run in time order.
 */
export function runLogText(warnings: readonly string[], log: readonly { level: 'info' | 'warn'; ts: UnixMs; message: string }[]): string {
  const lines = [`# ${warnings.length} warning(s)`, ...warnings.map((w) => `warning: ${w}`), `# ${log.length} log line(s) (strategy and engine, in order)`];
  for (const l of log) lines.push(`${isoUtc(l.ts)} ${l.level} ${l.message}`);
  return lines.join('\n') + '\n';
}

/** The first {@link TERMINAL_WARNINGS} warnings on stderr, and where the rest are. */
function printWarnings(warnings: readonly string[], logPath: string): void {
  for (const w of warnings.slice(0, TERMINAL_WARNINGS)) process.stderr.write(`warning: ${w}\n`);
  if (warnings.length > TERMINAL_WARNINGS) process.stderr.write(`warning: … ${warnings.length - TERMINAL_WARNINGS} more; all ${warnings.length} in ${logPath}\n`);
  else if (warnings.length > 0) process.stderr.write(`(warnings also in ${logPath})\n`);
}

/**
 * The backtest config named by CLI args (flags over `--config` run.json over defaults), without
 * progress or log hooks; `backtest` and `montecarlo` share it.
 */
export async function buildBacktestConfig(args: Record<string, unknown>): Promise<{ config: BacktestConfig; saved: SavedRun }> {
  const saved: SavedRun = typeof args['config'] === 'string' ? readConfig(args['config']) : {};
  const strategySpec = (args['strategy'] as string | undefined) ?? saved.strategy?.source ?? saved.strategy?.name;
  if (!strategySpec) {
    if (typeof args['config'] === 'string') throw new UserError(`--config ${resolve(args['config'])} names no strategy ("strategy": {"name": …}); give --strategy`);
    throw new UserError('--strategy is required (a built-in name such as delta-neutral, or a module path), or give --config run.json');
  }
  const venueArg = args['venue'] as string | undefined;
  const venues = venueArg ? venueArg.split(',').map((v) => v.trim().toLowerCase()).filter(Boolean) : saved.venues;
  if (!venues || venues.length === 0) throw new UserError('--venue is required (e.g. --venue binance)');
  const savedSymbol = Array.isArray(saved.symbol) ? saved.symbol.join(',') : saved.symbol;
  const symbol = (args['symbol'] as string | undefined) ?? savedSymbol;
  if (!symbol) throw new UserError('--symbol is required (e.g. --symbol ETH/USDT, or BTC/USDT,ETH/USDT for a multi-asset strategy)');
  let fromMs: number | undefined;
  let toMs: number | undefined;
  let windowName: string | null = null;
  const win = args['window'] as string | undefined;
  const fromArg = args['from'] as string | undefined;
  const toArg = args['to'] as string | undefined;
  if (win !== undefined && (fromArg !== undefined || toArg !== undefined)) throw new UserError('give either --window or --from/--to, not both');
  if (win !== undefined) {
    const w = resolveWindow(win);
    fromMs = w.fromMs;
    toMs = w.toMs;
    windowName = w.name;
  } else if (fromArg !== undefined || toArg !== undefined) {
    if (fromArg === undefined || toArg === undefined) throw new UserError('--from and --to go together');
    try {
      fromMs = parseInstant(fromArg, '--from');
      toMs = parseInstant(toArg, '--to');
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  } else {
    fromMs = saved.fromMs;
    toMs = saved.toMs;
    windowName = saved.window ?? null;
  }
  if (fromMs === undefined || toMs === undefined) throw new UserError('give a window: --window <id|date> or --from ISO --to ISO');
  const rawParams: Record<string, ParamValue> = { ...(saved.params ?? {}) };
  if (Array.isArray(args['param'])) {
    // Own data properties (Object.assign would send a `__proto__` key to the prototype setter and
    // drop it silently instead of reporting an unknown param).
    for (const [k, v] of Object.entries(parseParamArgs(args['param'] as string[]))) Object.defineProperty(rawParams, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  const models: ModelsConfig = { ...(saved.models ?? {}) };
  if (args['slippage'] !== undefined || args['slippage-bps'] !== undefined) {
    const name = (args['slippage'] as string | undefined) ?? models.slippage?.name ?? 'fixed';
    // fixed and volume share their params; switching to or from stress starts from its defaults.
    const sameFamily = (name === 'stress') === ((models.slippage?.name ?? 'fixed') === 'stress');
    const prev = sameFamily ? ((models.slippage?.params ?? {})) : {};
    models.slippage = {
      name,
      // The fixed part is `bps` in fixed/volume, `baseBps` in stress.
      params: { ...prev, ...(args['slippage-bps'] !== undefined ? { [name === 'stress' ? 'baseBps' : 'bps']: args['slippage-bps'] as number } : {}) },
    };
  }
  const dataDir = resolve((args['data-dir'] as string | undefined) ?? saved.dataDir ?? readingDataDir());
  const scenarioArgs = Array.isArray(args['scenario']) ? (args['scenario'] as string[]) : [];
  const scenarios: Scenario[] =
    scenarioArgs.length > 0
      ? scenarioArgs.map((a) => resolveScenario(a))
      : (saved.scenarios ?? []).map((s, i) => ({ ...parseScenario(`${String(args['config'])}: scenarios[${i}].doc`, s.doc), source: s.source }));
  const loaded = await loadStrategy(strategySpec);
  const config: BacktestConfig = {
    strategy: loaded.factory,
    strategySource: loaded.source,
    strategyFile: loaded.file,
    params: rawParams,
    venues,
    symbol,
    timeframe: (args['timeframe'] as string | undefined) ?? saved.timeframe ?? '1h',
    fromMs,
    toMs,
    window: windowName,
    capital: (args['capital'] as number | undefined) ?? saved.capital ?? 100_000,
    seed: (args['seed'] as number | undefined) ?? saved.seed ?? 1,
    fillAt: (args['fill-at'] as 'next-open' | 'close' | undefined) ?? saved.fillAt ?? 'next-open',
    dataDir,
    models,
    allowSpotBorrow: (args['allow-spot-borrow'] as boolean | undefined) ?? saved.allowSpotBorrow ?? false,
    acceptDataErrors: (args['accept-data-errors'] as boolean | undefined) ?? saved.acceptDataErrors ?? false,
    fundingHistoryDays: saved.fundingHistoryDays,
    benchmarkApr: (args['benchmark-apr'] as number | undefined) ?? saved.benchmarkApr,
    onFundingGap: (args['on-funding-gap'] as 'warn' | 'error' | undefined) ?? 'warn',
    markToMarketEnd: (args['mark-to-market-end'] as boolean | undefined) ?? saved.markToMarketEnd ?? false,
    scenarios,
    sleep: (args['sleep'] as 'skip' | 'step' | 'ignore' | undefined) ?? 'skip',
  };
  return { config, saved };
}

/** Handler of `perpcarry backtest`. */
export async function backtestCommandHandler(args: Record<string, unknown>): Promise<void> {
  const { config: base, saved } = await buildBacktestConfig(args);
  const bar = progressBar(args['progress'] !== false && args['json'] !== true);
  const warnings: string[] = [];
  const config: BacktestConfig = {
    ...base,
    onProgress: (x) => bar.update(x),
    onLog: (level, ts, message) => {
      if (level === 'warn') warnings.push(`${isoUtc(ts)} ${message}`);
    },
  };
  let result: BacktestResult;
  try {
    result = runBacktest(config);
  } finally {
    bar.done();
  }
  warnings.unshift(...coverageWarnings(result.market));
  // A rerun from run.json: say so if the data changed since.
  if (saved.data) {
    for (const d of saved.data) {
      const now = result.market.files.find((x) => x.path.endsWith(d.path));
      if (now && now.sha256 !== d.sha256) warnings.push(`data file ${d.path} changed since the saved run (sha256 differs): results may differ`);
    }
  }
  const runId = defaultRunId(result);
  const outDir = resolve((args['out'] as string | undefined) ?? join('reports', runId));
  const timing: RunTiming = {
    loadMs: result.loadMs + result.mergeMs,
    loopMs: result.loopMs,
    loopCpuMs: result.loopCpuMs,
    ...(Number.isFinite(result.loopThreadCpuMs) ? { loopThreadCpuMs: result.loopThreadCpuMs } : {}),
    totalMs: 0,
    events: result.events,
    quietEvents: result.quietEvents,
    eventsPerSec: result.loopMs > 0 ? result.events / (result.loopMs / 1000) : 0,
  };
  const rss = (): number => process.resourceUsage().maxRSS / 1024;
  timing.totalMs = performance.now();
  timing.peakRssMb = rss();
  const runOpts = { runId, createdAt: new Date().toISOString(), timing, csv: args['csv'] === true, extraFiles: { 'run.log': runLogText(warnings, result.log) } };
  let reportNote = '';
  let written: WrittenRun;
  if (args['report'] === true) {
    // The reports are written inside the claimed temp directory: the run appears with them or not at all.
    let reportMs = 0;
    const w = await writeRunDirThen(result, outDir, runOpts, async (tmpDir) => {
      const reportT0 = performance.now();
      try {
        const rep = await import('../analysis/report/index.js');
        // Hand over the equity arrays just written to equity.arrow: the report need not re-read them.
        await rep.writeReports(tmpDir, { html: args['html'] !== false, equity: result.samples.trimmed() });
      } finally {
        reportMs = performance.now() - reportT0;
      }
    });
    if (w.finishError) reportNote = `report writer failed: ${w.finishError.message} (the run directory is complete; retry with \`perpcarry report ${w.dir}\`)`;
    timing.reportMs = reportMs;
    written = w;
  } else written = writeRunDir(result, outDir, runOpts);
  const { summary, dir } = written;
  timing.writeMs = written.writeMs;
  timing.bytesWritten = written.bytes;
  timing.totalMs = performance.now();
  timing.peakRssMb = rss();
  printWarnings(warnings, join(dir, 'run.log'));
  if (reportNote) process.stderr.write(`warning: ${reportNote}\n`);
  if (args['json'] === true) process.stdout.write(JSON.stringify({ runDir: dir, summary, timing }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  else process.stdout.write(formatSummary(summary, result, dir, timing, args['report'] === true && !reportNote));
}
