/**
 * Seeded Monte Carlo over synthetic market paths: one prepared backtest (strategy, params, models,
 * the real market loaded once) is run on path after path built by the bootstrap in
 * src/scenario/bootstrap.ts. Path `p` is a pure function of (prepared market, options, seed, p):
 * its market comes from `seedrandom("<seed>:<p>")` and the engine's `ctx.rng` (and any seeded model
 * draw) is seeded with {@link pathSeed}, so any single path can be rerun alone, on any worker, in
 * any order, with the same result.
 *
 * A path's outcome is reduced right away to what the distribution needs (metrics inputs and the
 * equity at fixed sample indices for the fan chart), so N paths do not hold N equity curves.
 * src/analysis/montecarlo-paths.ts runs the paths as tasks on the sweep's dispatchers (this
 * process, a thread pool, or BullMQ workers).
 */
import { UserError } from '../core/errors.js';
import { runPrepared, type BacktestResult, type PreparedBacktest } from '../engine/backtest.js';
import { bootstrapPath, type BootstrapRegime } from '../scenario/bootstrap.js';

/** Path generators: `block-bootstrap` (stationary, mean block `blockHours`) or `iid-bootstrap` (block = 1 bar). */
export type MonteCarloMethod = 'block-bootstrap' | 'iid-bootstrap';

/** Options of a Monte Carlo run. */
export interface MonteCarloOptions {
  /** Number of synthetic paths (≥ 1). */
  readonly paths: number;
  /** Base seed (a safe integer). */
  readonly seed: number;
  readonly method: MonteCarloMethod;
  /** Mean block length in hours for `block-bootstrap`. Default 24. */
  readonly blockHours: number;
  /** A forced regime in every path (low volatility, negative funding …), or null. */
  readonly regime: BootstrapRegime | null;
  /** Number of equity points kept per path for the fan chart. Default 240. */
  readonly fanPoints: number;
}

/** What one run (the real path or a synthetic one) leaves for the distribution. */
export interface PathOutcome {
  /** Path index (−1 = the real path). */
  readonly path: number;
  readonly initialEquity: number;
  /** Equity sample times and values (full resolution; consumers reduce them). */
  readonly ts: Float64Array;
  readonly equity: Float64Array;
  readonly liquidations: number;
  /** Auto-deleveraging closes that hit the account. */
  readonly adlEvents: number;
  readonly trades: number;
}

/** Engine seed of path `p`: distinct per path, reproducible from (seed, p). The real path uses `seed`. */
export function pathSeed(seed: number, path: number): number {
  if (path < 0) return seed;
  const s = seed * 1_000_003 + path + 1;
  return Number.isSafeInteger(s) ? s : (seed % 1_000_000_007) * 1_000_003 + path + 1;
}

/** Check options; a bad one is a UserError naming the option. */
export function checkMonteCarloOptions(o: MonteCarloOptions): void {
  if (!Number.isSafeInteger(o.paths) || o.paths < 1 || o.paths > 1_000_000) throw new UserError(`--paths must be an integer in [1, 1000000] (got ${o.paths})`);
  if (!Number.isSafeInteger(o.seed)) throw new UserError(`--seed must be an integer (got ${o.seed})`);
  if (o.method !== 'block-bootstrap' && o.method !== 'iid-bootstrap') throw new UserError(`--method must be block-bootstrap or iid-bootstrap (got ${String(o.method)})`);
  if (!(o.blockHours > 0) || !Number.isFinite(o.blockHours)) throw new UserError(`--block-hours must be a positive number (got ${o.blockHours})`);
  if (!Number.isSafeInteger(o.fanPoints) || o.fanPoints < 2) throw new UserError(`fan points must be an integer ≥ 2 (got ${o.fanPoints})`);
  const r = o.regime;
  if (r) {
    if (!(r.days > 0) || !Number.isFinite(r.days)) throw new UserError(`--regime-days must be a positive number (got ${r.days})`);
    if (!(r.startDay >= 0) || !Number.isFinite(r.startDay)) throw new UserError(`--regime-start-day must be ≥ 0 (got ${r.startDay})`);
    if (!(r.volScale >= 0) || !Number.isFinite(r.volScale)) throw new UserError(`--regime-vol-scale must be ≥ 0 (got ${r.volScale})`);
    if (Number.isFinite(r.fundingPer8h) && !(Math.abs(r.fundingPer8h) < 0.05)) throw new UserError(`--regime-funding is implausible (|rate| must be < 5 % per 8 h, got ${r.fundingPer8h})`);
  }
}

function outcome(path: number, r: BacktestResult): PathOutcome {
  const t = r.samples.trimmed();
  return {
    path,
    initialEquity: r.initialEquity,
    ts: t.ts,
    equity: t.columns.get('equity')!,
    liquidations: r.portfolio.liquidations.length,
    adlEvents: r.portfolio.adl.length,
    trades: r.portfolio.trades.length,
  };
}

/** Run the prepared backtest on its real market (path −1). */
export function runRealPath(prep: PreparedBacktest): PathOutcome {
  return outcome(-1, runPrepared(prep));
}

/** Build synthetic path `p` and run the prepared backtest on it (pure in (prep, opts, p)). */
export function runMonteCarloPath(prep: PreparedBacktest, opts: MonteCarloOptions, p: number): PathOutcome {
  const blockHours = opts.method === 'iid-bootstrap' ? prep.market.timeframeMs / 3_600_000 : opts.blockHours;
  const { market } = bootstrapPath(prep.market, { blockHours, regime: opts.regime }, opts.seed, p);
  return outcome(p, runPrepared(prep, market, { seed: pathSeed(opts.seed, p), onProgress: undefined, onSample: undefined }));
}
