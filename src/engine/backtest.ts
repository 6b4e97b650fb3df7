/**
 * Programmatic backtest API: resolve a config (params with defaults, models with their full
 * parameter objects), load the data, run the engine. `src/analysis/run-writer.ts` turns the result
 * into summary.json and the run directory.
 *
 * ```ts
 * const { factory } = await loadStrategy('delta-neutral');
 * const result = runBacktest({ strategy: factory, venues: ['binance'], symbol: 'ETH/USDT',
 *   timeframe: '1h', fromMs, toMs, dataDir: 'data' });
 * result.pnl.total; result.samples.trimmed().columns.get('equity');
 * ```
 */
import { createHash } from 'node:crypto';
import { UserError } from '../core/errors.js';
import type { Symbol, VenueId } from '../core/ids.js';
import { isoUtc, timeframeToMs, type UnixMs } from '../core/time.js';
import { buildModels, checkVenues, type ModelsConfig, type ResolvedModels } from '../venue/registry.js';
import type { FillAt } from '../venue/fill.js';
import type { Instrument } from '../venue/instrument.js';
import type { PnlBreakdown } from '../portfolio/records.js';
import { resolveStrategyParams } from '../strategy/params.js';
import { checkHooks } from '../strategy/hooks.js';
import { callStrategy, guardStrategy, originOf, StrategyError, type StrategyOrigin } from '../strategy/guard.js';
import type { ParamValue, ParamValues, Strategy, StrategyFactory, StrategyRunSettings, UniverseInput } from '../strategy/types.js';
import { loadMarketData, makeInstruments, type MarketData } from './data.js';
import { applyMarketShocks, type AppliedShock } from '../scenario/market-shocks.js';
import { VenueConditions } from '../scenario/venue-conditions.js';
import type { Scenario } from '../scenario/types.js';
import { scenarioSha256 } from '../scenario/hash.js';
import { findFundingGaps, fundingGapIssue, type FundingGapIssue } from '../data/funding-gaps.js';
import { runEngine, type EngineOptions, type EngineResult } from './engine.js';
import type { SleepMode } from './sleep.js';

export type { ModelSpec, ModelsConfig, ResolvedModels } from '../venue/registry.js';
export { buildModels } from '../venue/registry.js';

/** Everything a backtest needs. */
export interface BacktestConfig {
  strategy: StrategyFactory;
  /** Built-in name or module path, recorded in run.json. Default: factory.name. */
  strategySource?: string;
  /** The strategy's module file: an exception whose stack points into its folder is reported as the strategy's, with file and line. */
  strategyFile?: string;
  /** Raw params (strings from the CLI or typed values); validated against the schema. */
  params?: Record<string, ParamValue>;
  venues: VenueId[];
  /** One symbol (`ETH/USDT`) or, for a multi-asset strategy, a comma-separated list (`BTC/USDT,ETH/USDT`). */
  symbol: Symbol;
  timeframe: string;
  fromMs: UnixMs;
  toMs: UnixMs;
  /** Named window, recorded in run.json. */
  window?: string | null;
  /** Quote units deposited in the first venue's spot wallet. Default 100000. */
  capital?: number;
  seed?: number;
  fillAt?: FillAt;
  dataDir: string;
  models?: ModelsConfig;
  /** Allow margin borrowing in spot wallets. Default false. */
  allowSpotBorrow?: boolean;
  /**
   * A funding settlement missing inside the window (a gap in a perp's settlement grid):
   * 'warn' (default) runs and lists the gaps (terminal, summary.json `dataIssues`), 'error' refuses.
   */
  onFundingGap?: 'warn' | 'error';
  /** Run even if the data has problems. Default false. */
  acceptDataErrors?: boolean;
  /** Days of funding history before the window (for trailing reads). Default 30. */
  fundingHistoryDays?: number;
  /**
   * Benchmark (risk-free) rate as a simple APR fraction (0.05 = 5 %, e.g. a stablecoin lending
   * rate): summary metrics report the Sharpe in excess of it and the report draws it. Default 0.
   */
  benchmarkApr?: number;
  onProgress?: (fraction: number) => void;
  /** See {@link EngineOptions.onSample}. */
  onSample?: EngineOptions['onSample'];
  onLog?: (level: 'info' | 'warn', ts: UnixMs, message: string) => void;
  /**
   * Leave positions open at the window end, valued at the last prices (no closing fees or
   * slippage). Default false: the run closes every open position after `onEnd` at its last close,
   * with the fill model's slippage and taker fee (trades tagged `close-at-end`).
   */
  markToMarketEnd?: boolean;
  /** Stress scenarios applied to the replay, in order (src/scenario; docs/scenarios.md). */
  scenarios?: readonly Scenario[];
  /**
   * What `ctx.sleep` does (see {@link EngineOptions.sleep}); default `skip`. Not part of the
   * run's identity: the three modes give the same results when the strategy's sleeps hold, and
   * `ignore` is how to check that they do.
   */
  sleep?: SleepMode;
}

/** Result of {@link runBacktest}. */
export interface BacktestResult extends EngineResult {
  config: BacktestConfig;
  params: ParamValues;
  models: ResolvedModels;
  market: MarketData;
  capital: number;
  seed: number;
  fillAt: FillAt;
  /** Effective: asked by the config or by the strategy's runSettings. */
  allowSpotBorrow: boolean;
  pnl: PnlBreakdown;
  initialEquity: number;
  finalEquity: number;
  loadMs: number;
  /** What each scenario's market shocks changed (empty without scenarios). */
  scenarioEffects: { scenario: string; applied: AppliedShock[] }[];
  /** Data problems the run went ahead with (funding gaps inside the window): summary.json `dataIssues`. */
  dataIssues: FundingGapIssue[];
}

/** Earliest and latest instants a run window may touch: the data starts in 2019; 2100 is absurd. */
const WINDOW_MIN_MS = Date.UTC(2009, 0, 1);
const WINDOW_MAX_MS = Date.UTC(2100, 0, 1);

/** Refuse absurd run settings (negative history, windows outside any data, rates outside reason) by name. */
function checkRunSettings(config: BacktestConfig): void {
  const { fromMs, toMs } = config;
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || fromMs < WINDOW_MIN_MS || toMs > WINDOW_MAX_MS) {
    throw new UserError(`window ${Number.isFinite(fromMs) ? isoUtc(fromMs) : fromMs} → ${Number.isFinite(toMs) ? isoUtc(toMs) : toMs} is outside ${isoUtc(WINDOW_MIN_MS)} → ${isoUtc(WINDOW_MAX_MS)}`);
  }
  const h = config.fundingHistoryDays;
  if (h !== undefined && !(Number.isFinite(h) && h >= 0 && h <= 3650)) {
    throw new UserError(`fundingHistoryDays must be between 0 and 3650 days (got ${h})`);
  }
  const b = config.benchmarkApr;
  if (b !== undefined && !(Number.isFinite(b) && b > -1 && b <= 10)) {
    throw new UserError(`--benchmark-apr must be a simple APR fraction in (−1, 10] (0.05 = 5 %; got ${b})`);
  }
}

/**
 * A backtest ready to run: strategy params checked, models built, market loaded and shocked.
 * Preparing depends only on the config; {@link runPrepared} runs it on this market or on another
 * one of the same shape (a Monte Carlo path), as often as wanted (load once, run many).
 */
export interface PreparedBacktest {
  readonly config: BacktestConfig;
  readonly params: ParamValues;
  readonly models: ResolvedModels;
  /** The replayed market: loaded, scenario market shocks applied. */
  readonly market: MarketData;
  readonly scenarioEffects: BacktestResult['scenarioEffects'];
  readonly dataIssues: BacktestResult['dataIssues'];
  readonly capital: number;
  readonly seed: number;
  readonly fillAt: FillAt;
  readonly allowSpotBorrow: boolean;
  readonly loadMs: number;
  /** Engine options except the strategy-specific hooks. */
  readonly engineOptions: EngineOptions;
}

/**
 * Run a backtest end to end (synchronous once the strategy factory is loaded):
 * {@link resolveRun} → {@link prepareMarket} → {@link prepareOn} → {@link runPrepared}.
 */
export function runBacktest(config: BacktestConfig): BacktestResult {
  return runPrepared(prepareBacktest(config));
}

/**
 * Run a prepared backtest with a fresh strategy instance, on its own market or on `market` (same
 * instruments, e.g. a synthetic path), with the engine options overridden by `overrides`.
 */
export function runPrepared(prep: PreparedBacktest, market: MarketData = prep.market, overrides: Partial<EngineOptions> = {}): BacktestResult {
  const { config, params } = prep;
  const { strategy, origin } = instantiate(config, params);
  const engine = runGuarded(market, guardStrategy(strategy, origin), { ...prep.engineOptions, ...overrides });
  const pnl = engine.portfolio.pnl();
  const finalEquity = engine.portfolio.equity();
  const { capital, seed, fillAt, allowSpotBorrow, loadMs, scenarioEffects, models, dataIssues } = prep;
  return { ...engine, config, params, models, market, scenarioEffects, dataIssues, capital, seed, fillAt, allowSpotBorrow, pnl, initialEquity: capital, finalEquity, loadMs };
}

/**
 * The symbols of `--symbol`: one (`ETH/USDT`) or a comma-separated list (`BTC/USDT,ETH/USDT`) for
 * multi-asset strategies. Throws a UserError on an empty list or a repeated symbol.
 */
export function splitSymbols(symbol: string | readonly string[]): Symbol[] {
  const list = (typeof symbol === 'string' ? symbol.split(',') : [...symbol]).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new UserError(`--symbol: give at least one symbol (got "${String(symbol)}")`);
  const dup = list.find((s, i) => list.indexOf(s) !== i);
  if (dup !== undefined) throw new UserError(`--symbol lists ${dup} twice`);
  return list;
}

/** The universe input of a config: its venues and symbols, and the resolved params. */
export function universeInputOf(config: BacktestConfig, params: ParamValues): UniverseInput {
  const symbols = splitSymbols(config.symbol);
  return { venues: config.venues, symbol: symbols[0]!, symbols, params };
}

/**
 * A fresh strategy instance for a run: `create(params, run)` with an exception in it reported as
 * the strategy's, and its hook names checked.
 */
function instantiate(config: BacktestConfig, params: ParamValues): { strategy: Strategy; origin: StrategyOrigin } {
  const factory = config.strategy;
  const origin = originOf(factory.name, config.strategyFile);
  const strategy = callStrategy(origin, 'create(params)', () => factory.create(params, universeInputOf(config, params)));
  if (strategy === null || typeof strategy !== 'object') throw new UserError(`strategy ${factory.name}: create(params) returned ${strategy === null ? 'null' : typeof strategy}, not a strategy object`);
  checkHooks(strategy, `strategy ${factory.name}`);
  return { strategy, origin };
}

/** {@link runEngine}, with a strategy's exception reported with its own message (the engine prefixes the event it was at). */
function runGuarded(...args: Parameters<typeof runEngine>): EngineResult {
  try {
    return runEngine(...args);
  } catch (e) {
    if (e instanceof StrategyError) e.message = e.describe();
    throw e;
  }
}

/** A config resolved and checked before any data is touched (params, models, universe). */
export interface ResolvedRun {
  params: ParamValues;
  capital: number;
  seed: number;
  fillAt: FillAt;
  timeframeMs: number;
  allowSpotBorrow: boolean;
  models: ReturnType<typeof buildModels>;
  /** The strategy's universe for these params, in its order. */
  instruments: Instrument[];
}

/**
 * Check a config and build its models and universe, touching no data. Params first (schema, then
 * the strategy's cross-param checks) and a throwaway instance built from them (each run creates
 * its own), so that a bad param stops the run before any data is loaded.
 */
export function resolveRun(config: BacktestConfig): ResolvedRun {
  const factory = config.strategy;
  const origin = originOf(factory.name, config.strategyFile);
  const params = resolveStrategyParams(factory, config.params ?? {}, origin);
  const input = universeInputOf(config, params);
  instantiate(config, params);
  const capital = config.capital ?? 100_000;
  if (!(capital > 0) || !Number.isFinite(capital)) throw new UserError(`--capital must be a positive number (got ${capital})`);
  const seed = config.seed ?? 1;
  // An integer, so that run.json records it exactly (NaN would be written as null).
  if (!Number.isSafeInteger(seed)) throw new UserError(`--seed must be an integer (got ${seed})`);
  const fillAt = config.fillAt ?? 'next-open';
  if (fillAt !== 'next-open' && fillAt !== 'close') throw new UserError(`--fill-at must be next-open or close (got ${String(fillAt)})`);
  if (config.venues.length === 0) throw new UserError('--venue: give at least one venue');
  const timeframeMs = parseTimeframe(config.timeframe);
  if (!(config.toMs > config.fromMs)) throw new UserError(`empty window: from ${isoUtc(config.fromMs)} is not before to ${isoUtc(config.toMs)}`);
  checkRunSettings(config);
  // Settings implied by the strategy's params (its borrow/lend APR params win over the run config).
  const settings: StrategyRunSettings = callStrategy(origin, 'runSettings(params)', () => factory.runSettings?.(params)) ?? {};
  const interestParams = { ...(config.models?.interest?.params ?? {}), ...(settings.interest ?? {}) };
  const scheduledAdl = (config.scenarios ?? []).some((sc) => sc.shocks.some((s) => s.type === 'adl'));
  const models = buildModels(settings.interest ? { ...config.models, interest: { ...config.models?.interest, params: interestParams } } : config.models, scheduledAdl);
  const specs = callStrategy(origin, 'universe(input)', () => factory.universe(input));
  if (!Array.isArray(specs) || specs.length === 0) throw new UserError(`strategy ${factory.name}: universe() returned no instruments`);
  let instruments: Instrument[];
  try {
    instruments = makeInstruments(specs);
  } catch (e) {
    throw new UserError(`strategy ${factory.name}: universe(): ${(e as Error).message}`);
  }
  checkVenues(new Set([...config.venues, ...instruments.map((x) => x.venue)]), config.models);
  const allowSpotBorrow = config.allowSpotBorrow === true || settings.allowSpotBorrow === true;
  return { params, capital, seed, fillAt, timeframeMs, allowSpotBorrow, models, instruments };
}

function parseTimeframe(timeframe: string): number {
  try {
    return timeframeToMs(timeframe);
  } catch (e) {
    throw new UserError(`--timeframe: ${(e as Error).message}`);
  }
}

/** What a prepared market depends on: data, window, timeframe and the instruments. Nothing else. */
export interface MarketRequest {
  dataDir: string;
  instruments: readonly { venue: VenueId; symbol: Symbol }[];
  timeframe: string;
  fromMs: UnixMs;
  toMs: UnixMs;
  /** Days of funding history before the window. Default 30. */
  fundingHistoryDays?: number;
}

/**
 * A market loaded, verified and checked once, to run many configs on (load once, run many). Immutable
 * by contract: no run writes its columns (scenarios shock a copy, tested), so one instance serves
 * every run of a process and, with SharedArrayBuffer-backed columns (src/research/shared-market.ts),
 * every worker thread.
 */
export interface PreparedMarket {
  readonly market: MarketData;
  /**
   * Identity of the market: sha256 (hex) of the instruments, timeframe, window, funding history and
   * every data file's sha256 and row count. Equal keys ⇒ equal columns; caches of prepared markets
   * are keyed by it.
   */
  readonly key: string;
  readonly fundingHistoryDays: number;
  /** Wall time of loading and verifying, ms. */
  readonly loadMs: number;
  /**
   * Scenarios whose market shocks are already in `market`, in order ({@link shockMarket}); empty
   * for a market as loaded. Runs of configs with exactly these scenarios reuse the shocked columns.
   */
  readonly shocked: readonly ShockRecord[];
}

/** A scenario applied to a prepared market: its name, content hash and what its market shocks changed. */
export interface ShockRecord {
  readonly scenario: string;
  /** {@link scenarioSha256} of the scenario's document. */
  readonly sha256: string;
  readonly applied: readonly AppliedShock[];
}

/** The market request a config implies (its universe resolved by {@link resolveRun}). */
export function marketRequestOf(config: BacktestConfig, run: Pick<ResolvedRun, 'instruments'>): MarketRequest {
  return {
    dataDir: config.dataDir,
    instruments: run.instruments.map((i) => ({ venue: i.venue, symbol: i.symbol })),
    timeframe: config.timeframe,
    fromMs: config.fromMs,
    toMs: config.toMs,
    fundingHistoryDays: config.fundingHistoryDays ?? 30,
  };
}

/** {@link PreparedMarket.key} of a loaded market. */
export function marketKey(market: MarketData, fundingHistoryDays: number): string {
  const id = {
    instruments: market.instruments.map((i) => `${i.venue}|${i.symbol}`),
    timeframe: market.timeframe,
    fromMs: market.fromMs,
    toMs: market.toMs,
    fundingHistoryDays,
    data: market.files.map((f) => [f.venue, f.symbol, f.kind, f.timeframe, f.rows, f.sha256]),
  };
  return createHash('sha256').update(JSON.stringify(id)).digest('hex');
}

/** Load, verify and check a market once (see {@link PreparedMarket}). Throws UserError on bad input. */
export function prepareMarket(req: MarketRequest): PreparedMarket {
  const timeframeMs = parseTimeframe(req.timeframe);
  if (!(req.toMs > req.fromMs)) throw new UserError(`empty window: from ${isoUtc(req.fromMs)} is not before to ${isoUtc(req.toMs)}`);
  const t0 = performance.now();
  const market = loadMarketData({
    dataDir: req.dataDir,
    instruments: makeInstruments(req.instruments),
    timeframe: req.timeframe,
    timeframeMs,
    fromMs: req.fromMs,
    toMs: req.toMs,
    fundingHistoryDays: req.fundingHistoryDays,
  });
  return preparedFrom(market, req.fundingHistoryDays ?? 30, performance.now() - t0);
}

/**
 * Wrap loaded (or rebuilt, e.g. shared) market data as a frozen {@link PreparedMarket}. With
 * `shocked` scenarios the key also covers their content hashes, in order.
 */
export function preparedFrom(market: MarketData, fundingHistoryDays: number, loadMs = 0, shocked: readonly ShockRecord[] = []): PreparedMarket {
  for (const part of [market.bars, market.mark, market.index, market.funding, market.files, market.problems, market.instruments]) Object.freeze(part);
  const base = marketKey(market, fundingHistoryDays);
  const key = shocked.length === 0 ? base : createHash('sha256').update(`${base}|scenarios:${shocked.map((r) => r.sha256).join(',')}`).digest('hex');
  return Object.freeze({ market: Object.freeze(market), key, fundingHistoryDays, loadMs, shocked: Object.freeze([...shocked]) });
}

/**
 * The market of `prepared` with the market shocks of `scenarios` applied once, in order, to copies
 * of the columns they touch (the prepared market is never written): every run of a sweep or Monte
 * Carlo batch under these scenarios shares it, and its key names them. Warnings go to `onLog`.
 */
export function shockMarket(prepared: PreparedMarket, scenarios: readonly Scenario[], onLog?: BacktestConfig['onLog']): PreparedMarket {
  if (scenarios.length === 0) return prepared;
  if (prepared.shocked.length > 0) throw new Error('shockMarket: the market is already shocked');
  let market = prepared.market;
  const shocked: ShockRecord[] = [];
  for (const sc of scenarios) {
    const r = applyMarketShocks(market, sc.shocks);
    market = r.market;
    shocked.push({ scenario: sc.name, sha256: scenarioSha256(sc), applied: r.applied });
    for (const w of r.warnings) onLog?.('warn', market.fromMs, `scenario ${sc.name}: ${w}`);
  }
  return preparedFrom({ ...market }, prepared.fundingHistoryDays, prepared.loadMs, shocked);
}

/** Throws unless a prepared market is the one a config needs (same instruments, timeframe, window). */
function checkPreparedFits(prepared: PreparedMarket, config: BacktestConfig, run: ResolvedRun): void {
  const m = prepared.market;
  const want = run.instruments.map((i) => `${i.venue} ${i.symbol}`).join(', ');
  const have = m.instruments.map((i) => `${i.venue} ${i.symbol}`).join(', ');
  if (want !== have) throw new UserError(`the prepared market holds ${have}, but this config's universe is ${want}`);
  if (m.timeframe !== config.timeframe || m.fromMs !== config.fromMs || m.toMs !== config.toMs || prepared.fundingHistoryDays !== (config.fundingHistoryDays ?? 30)) {
    throw new UserError(
      `the prepared market is ${m.timeframe} ${isoUtc(m.fromMs)} → ${isoUtc(m.toMs)} (funding history ${prepared.fundingHistoryDays} d), ` +
        `the config asks ${config.timeframe} ${isoUtc(config.fromMs)} → ${isoUtc(config.toMs)} (${config.fundingHistoryDays ?? 30} d)`,
    );
  }
}

/** Check a config, build its models, load and shock its market (see {@link PreparedBacktest}). */
export function prepareBacktest(config: BacktestConfig): PreparedBacktest {
  const run = resolveRun(config);
  return prepareOn(prepareMarket(marketRequestOf(config, run)), config, run);
}

/** `--slippage volume` prices an order by its share of the bar's volume: refuse series without one. */
function checkVolumes(market: MarketData): void {
  for (const ins of market.instruments) {
    const v = market.bars[ins.id]!.volume;
    let known = 0;
    for (let i = 0; i < v.length; i++) if (v[i]! > 0) known++;
    if (known === 0) {
      throw new UserError(
        `--slippage volume: ${ins.venue} ${ins.symbol} ${market.timeframe} bars have no volume in the window (the model would price every order as fixed); use --slippage fixed or import bars with volume`,
      );
    }
  }
}

/**
 * Missing funding settlements inside the run window, per perp (src/data/funding-gaps.ts): each is
 * logged as a warning, or, with `onFundingGap: 'error'`, the run is refused listing them.
 */
function fundingGapIssues(market: MarketData, config: BacktestConfig): FundingGapIssue[] {
  const issues: FundingGapIssue[] = [];
  for (const ins of market.instruments) {
    const f = market.funding[ins.id];
    if (ins.type !== 'perp' || !f) continue;
    for (const g of findFundingGaps(f.ts, f.intervalHours, market.fromMs, market.toMs)) issues.push(fundingGapIssue(ins.venue, ins.symbol, g));
  }
  if (issues.length > 0 && config.onFundingGap === 'error') {
    throw new UserError(
      `funding settlements are missing inside the window (--on-funding-gap error); the run would book no funding for them:\n  ${issues.map((i) => i.message).join('\n  ')}`,
    );
  }
  for (const i of issues) config.onLog?.('warn', config.fromMs, i.message);
  return issues;
}

/**
 * The market a config replays on `prepared`: its scenarios' market shocks applied to copies, or,
 * when `prepared` was shocked with exactly these scenarios ({@link shockMarket}), its own columns.
 */
function replayedMarket(prepared: PreparedMarket, config: BacktestConfig): { replayed: MarketData; scenarioEffects: BacktestResult['scenarioEffects'] } {
  const scenarios = config.scenarios ?? [];
  if (prepared.shocked.length > 0) {
    const want = scenarios.map((sc) => `${sc.name} ${scenarioSha256(sc)}`).join(', ');
    const have = prepared.shocked.map((r) => `${r.scenario} ${r.sha256}`).join(', ');
    if (want !== have) throw new UserError(`the prepared market is shocked by scenarios [${have}], the config asks [${want || 'none'}]`);
    return { replayed: prepared.market, scenarioEffects: prepared.shocked.map((r) => ({ scenario: r.scenario, applied: [...r.applied] })) };
  }
  const scenarioEffects: BacktestResult['scenarioEffects'] = [];
  let replayed: MarketData = prepared.market;
  for (const sc of scenarios) {
    const shocked = applyMarketShocks(replayed, sc.shocks);
    replayed = shocked.market;
    scenarioEffects.push({ scenario: sc.name, applied: shocked.applied });
    for (const w of shocked.warnings) config.onLog?.('warn', config.fromMs, `scenario ${sc.name}: ${w}`);
  }
  return { replayed, scenarioEffects };
}

/**
 * Bind a config to an already prepared market (no data read; `config.dataDir` is only recorded).
 * Scenario shocks are applied to a copy; the prepared market is never written.
 */
export function prepareOn(prepared: PreparedMarket, config: BacktestConfig, resolved?: ResolvedRun): PreparedBacktest {
  const run = resolved ?? resolveRun(config);
  checkPreparedFits(prepared, config, run);
  const market = prepared.market;
  const { replayed, scenarioEffects } = replayedMarket(prepared, config);
  if (market.problems.length > 0 && !config.acceptDataErrors) {
    throw new UserError(
      `the data has problems; fix them (see \`perpcarry data validate\`) or pass --accept-data-errors:\n  ${market.problems.slice(0, 10).join('\n  ')}${market.problems.length > 10 ? `\n  … and more` : ''}`,
    );
  }
  const dataIssues = fundingGapIssues(market, config);
  if (run.models.slippage.name === 'volume') checkVolumes(market);
  for (const ins of market.instruments) {
    if (ins.type === 'perp' && !market.funding[ins.id]) config.onLog?.('warn', config.fromMs, `no funding data for ${ins.venue} ${ins.symbol}: its positions will never settle funding`);
    if (ins.type === 'perp' && !market.mark[ins.id]) config.onLog?.('info', config.fromMs, `no ${config.timeframe} mark series for ${ins.venue} ${ins.symbol}: the perp close stands in for the mark`);
  }
  const { models, params, capital, seed, fillAt, allowSpotBorrow } = run;
  const engineOptions: EngineOptions = {
    venues: config.venues,
    capital,
    seed,
    fillAt,
    fees: models.fee,
    slippage: models.slippage,
    margin: models.margin,
    interest: models.interest,
    limitFill: models.limitFill,
    closeAtEnd: config.markToMarketEnd !== true,
    allowSpotBorrow,
    params,
    conditions: new VenueConditions(config.scenarios ?? []),
    adl: models.adl,
    onProgress: config.onProgress,
    onSample: config.onSample,
    onLog: config.onLog,
    sleep: config.sleep ?? 'skip',
  };
  return { config, params, models: models.resolved, market: replayed, scenarioEffects, dataIssues, capital, seed, fillAt, allowSpotBorrow, loadMs: prepared.loadMs, engineOptions };
}
