/**
 * `perpcarry`: the public API. The strategy-authoring API (also at `perpcarry/strategy`), the
 * programmatic backtest (load a strategy, run it over stored data) and the schema builders.
 *
 * ```ts
 * import { defineStrategy, number, spotPerp } from 'perpcarry';
 * ```
 */
export * from './strategy/index.js';
export { runBacktest, splitSymbols } from './engine/backtest.js';
export type { BacktestConfig, BacktestResult, ModelsConfig, ModelSpec, ResolvedModels } from './engine/backtest.js';
export { loadStrategy, validateFactory } from './strategy/registry.js';
export type { LoadedStrategy } from './strategy/registry.js';
export { resolveParams, resolveStrategyParams, describeParams } from './strategy/params.js';
export { StrategyError } from './strategy/guard.js';
export { parseInstant, isoUtc } from './core/time.js';
export { DataError } from './core/errors.js';
export { defaultDataDir } from './data/catalog.js';
export { buildSummary, writeRunDir } from './analysis/run-writer.js';
export type { RunSummary, WriteRunOptions } from './analysis/run-writer.js';
