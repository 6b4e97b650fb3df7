/**
 * A run described as plain data (no functions): what a pool thread, a queue job or a file carries
 * to name one run. {@link configOf} turns it back into a {@link BacktestConfig} on any machine.
 */
import type { ModelsConfig, BacktestConfig } from '../engine/backtest.js';
import type { UnixMs } from '../core/time.js';
import { loadStrategy, type LoadedStrategy } from '../strategy/registry.js';
import type { FillAt } from '../venue/fill.js';
import type { ParamValue } from '../strategy/types.js';
import { parseScenario } from '../scenario/parse.js';
import type { Scenario } from '../scenario/types.js';

/** See the module comment. Fields as in {@link BacktestConfig}. */
export interface RunSpec {
  /** Built-in strategy name or an absolute module path. */
  strategy: string;
  params: Record<string, ParamValue>;
  venues: string[];
  symbol: string;
  timeframe: string;
  fromMs: UnixMs;
  toMs: UnixMs;
  window: string | null;
  capital: number;
  seed: number;
  fillAt: FillAt;
  models: ModelsConfig;
  allowSpotBorrow: boolean;
  acceptDataErrors: boolean;
  fundingHistoryDays: number;
  /** Stress scenarios as validated documents (so a worker needs no scenario file); absent = none. */
  scenarios?: ScenarioDoc[];
  /** See {@link BacktestConfig.benchmarkApr} (simple APR fraction). Absent = 0. */
  benchmarkApr?: number;
  /** See {@link BacktestConfig.markToMarketEnd}. */
  markToMarketEnd?: boolean;
  /** See {@link BacktestConfig.onFundingGap}. */
  onFundingGap?: 'warn' | 'error';
}

/** A scenario carried as data: name, where it came from (`bundled:<name>` or a file) and its document. */
export interface ScenarioDoc {
  name: string;
  source: string;
  doc: unknown;
}

/** The documents of loaded scenarios (what a {@link RunSpec} carries). */
export function scenarioDocs(scenarios: readonly Scenario[]): ScenarioDoc[] {
  return scenarios.map((s) => ({ name: s.name, source: s.source, doc: s.doc }));
}

/** Scenarios rebuilt from their documents (validated again; the source is kept as recorded). */
export function scenariosOf(docs: readonly ScenarioDoc[] | undefined): Scenario[] {
  return (docs ?? []).map((d) => ({ ...parseScenario(d.source, d.doc), source: d.source }));
}

/**
 * The run spec of a backtest config (the inverse of {@link configOf}): what a pool thread or a
 * queue worker needs to rebuild the same config. Callbacks are not carried.
 */
export function runSpecOf(c: BacktestConfig): RunSpec {
  return {
    strategy: c.strategySource ?? c.strategy.name,
    params: { ...(c.params ?? {}) },
    venues: [...c.venues],
    symbol: c.symbol,
    timeframe: c.timeframe,
    fromMs: c.fromMs,
    toMs: c.toMs,
    window: c.window ?? null,
    capital: c.capital ?? 100_000,
    seed: c.seed ?? 1,
    fillAt: c.fillAt ?? 'next-open',
    models: c.models ?? {},
    allowSpotBorrow: c.allowSpotBorrow ?? false,
    acceptDataErrors: c.acceptDataErrors ?? false,
    fundingHistoryDays: c.fundingHistoryDays ?? 30,
    ...(c.scenarios && c.scenarios.length > 0 ? { scenarios: scenarioDocs(c.scenarios) } : {}),
    ...(c.benchmarkApr !== undefined ? { benchmarkApr: c.benchmarkApr } : {}),
    ...(c.markToMarketEnd !== undefined ? { markToMarketEnd: c.markToMarketEnd } : {}),
    ...(c.onFundingGap !== undefined ? { onFundingGap: c.onFundingGap } : {}),
  };
}

const strategies = new Map<string, Promise<LoadedStrategy>>();

/** Load a strategy once per process. */
export function loadStrategyOnce(spec: string): Promise<LoadedStrategy> {
  let s = strategies.get(spec);
  if (!s) {
    s = loadStrategy(spec);
    strategies.set(spec, s);
    s.catch(() => strategies.delete(spec));
  }
  return s;
}

/** The backtest config of a run spec, with `dataDir` recorded (a prepared market reads no data). */
export async function configOf(spec: RunSpec, dataDir: string): Promise<BacktestConfig> {
  const loaded = await loadStrategyOnce(spec.strategy);
  return {
    strategy: loaded.factory,
    strategySource: loaded.source,
    strategyFile: loaded.file,
    params: spec.params,
    venues: spec.venues,
    symbol: spec.symbol,
    timeframe: spec.timeframe,
    fromMs: spec.fromMs,
    toMs: spec.toMs,
    window: spec.window,
    capital: spec.capital,
    seed: spec.seed,
    fillAt: spec.fillAt,
    dataDir,
    models: spec.models,
    allowSpotBorrow: spec.allowSpotBorrow,
    acceptDataErrors: spec.acceptDataErrors,
    fundingHistoryDays: spec.fundingHistoryDays,
    ...(spec.scenarios && spec.scenarios.length > 0 ? { scenarios: scenariosOf(spec.scenarios) } : {}),
    ...(spec.benchmarkApr !== undefined ? { benchmarkApr: spec.benchmarkApr } : {}),
    ...(spec.markToMarketEnd !== undefined ? { markToMarketEnd: spec.markToMarketEnd } : {}),
    ...(spec.onFundingGap !== undefined ? { onFundingGap: spec.onFundingGap } : {}),
  };
}
