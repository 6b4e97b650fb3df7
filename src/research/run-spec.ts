/**
 * A run described as plain data (no functions): what a pool thread, a queue job or a file carries
 * to name one run. {@link configOf} turns it back into a {@link BacktestConfig} on any machine.
 */
import type { ModelsConfig, BacktestConfig } from '../engine/backtest.js';
import type { UnixMs } from '../core/time.js';
import { loadStrategy, type LoadedStrategy } from '../strategy/registry.js';
import type { FillAt } from '../venue/fill.js';
import type { ParamValue } from '../strategy/types.js';

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
  };
}
