/**
 * `perpcarry montecarlo` implementation: the backtest named by the flags (as `backtest` reads them),
 * prepared once, run on the real market and on N seeded synthetic paths; writes montecarlo.json,
 * paths.csv and fan.html, prints the distribution.
 */
import { join, resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import { isoUtc } from '../core/time.js';
import type { MonteCarloMethod, MonteCarloOptions } from '../research/montecarlo.js';
import { MC_METRICS, summarizeMonteCarlo, writeMonteCarloDir } from '../analysis/montecarlo.js';
import type { MonteCarloDispatch } from '../analysis/montecarlo-paths.js';
import type { BootstrapRegime } from '../scenario/bootstrap.js';
import { buildBacktestConfig } from './backtest-run.js';

/** The Monte Carlo options named by CLI args. */
export function monteCarloOptions(args: Record<string, unknown>): MonteCarloOptions {
  const num = (k: string, d: number): number => (args[k] === undefined ? d : (args[k] as number));
  let regime: BootstrapRegime | null = null;
  if (args['regime-days'] !== undefined) {
    regime = {
      startDay: num('regime-start-day', 0),
      days: args['regime-days'] as number,
      volScale: num('regime-vol-scale', 1),
      fundingPer8h: args['regime-funding'] === undefined ? NaN : (args['regime-funding'] as number),
    };
  } else if (args['regime-funding'] !== undefined || (args['regime-vol-scale'] !== undefined && args['regime-vol-scale'] !== 1)) {
    throw new UserError('--regime-funding / --regime-vol-scale need --regime-days (the regime\'s length)');
  }
  return {
    paths: num('paths', 100),
    seed: num('seed', 1),
    method: (args['method'] as MonteCarloMethod | undefined) ?? 'block-bootstrap',
    blockHours: num('block-hours', 24),
    regime,
    fanPoints: 240,
  };
}

/** Where the paths run: `--jobs N` threads, or `--queue redis://…` (with `--batch`) for `perpcarry worker`s. */
function dispatchOptions(args: Record<string, unknown>): MonteCarloDispatch {
  const jobs = (args['jobs'] as number | undefined) ?? 1;
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new UserError(`--jobs must be a positive integer (got ${jobs})`);
  const batch = (args['batch'] as number | undefined) ?? 1;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new UserError(`--batch must be a positive integer (got ${batch})`);
  if (args['queue'] !== undefined && typeof args['queue'] !== 'string') throw new UserError('--queue needs a URL: redis://host:port');
  return { jobs, batch, ...(typeof args['queue'] === 'string' ? { queue: args['queue'] } : {}) };
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');

/** Handler of `perpcarry montecarlo`. */
export async function montecarloCommandHandler(args: Record<string, unknown>): Promise<void> {
  const opts = monteCarloOptions(args);
  const how = dispatchOptions(args);
  const { config: base } = await buildBacktestConfig(args);
  const warnings: string[] = [];
  const config = { ...base, onLog: (level: 'info' | 'warn', ts: number, message: string) => {
    if (level === 'warn' && warnings.length < 1000) warnings.push(`${isoUtc(ts)} ${message}`);
  } };
  const t0 = performance.now();
  const tty = process.stderr.isTTY && args['json'] !== true;
  const { runMonteCarloPaths } = await import('../analysis/montecarlo-paths.js');
  const { prep, real, fanTs, paths } = await runMonteCarloPaths(config, opts, {
    ...how,
    onProgress: (done, total) => {
      if (tty) process.stderr.write(`\r  paths ${done}/${total}`);
    },
  });
  if (tty) process.stderr.write('\r' + ' '.repeat(30) + '\r');
  const summary = summarizeMonteCarlo(real, paths, fanTs);
  const c = prep.config;
  const runInfo = {
    strategy: { name: c.strategy.name, source: c.strategySource ?? c.strategy.name },
    params: prep.params,
    venues: c.venues,
    symbol: c.symbol,
    timeframe: c.timeframe,
    from: isoUtc(c.fromMs),
    to: isoUtc(c.toMs),
    capital: prep.capital,
    fillAt: prep.fillAt,
    models: prep.models,
    scenarios: (c.scenarios ?? []).map((s) => ({ name: s.name, source: s.source })),
    data: prep.market.files.map((f) => ({ path: f.path.slice(f.path.lastIndexOf('data/') >= 0 ? f.path.lastIndexOf('data/') + 5 : 0), sha256: f.sha256 })),
    montecarlo: { method: opts.method, seed: opts.seed, paths: opts.paths, blockHours: opts.method === 'block-bootstrap' ? opts.blockHours : null, regime: opts.regime },
  };
  const id = `montecarlo-${c.strategy.name}-${c.symbol.replace(/[/:]/g, '-')}-seed${opts.seed}-n${opts.paths}`.replace(/[^A-Za-z0-9._+-]/g, '_');
  const dir = resolve((args['out'] as string | undefined) ?? join('reports', id));
  const title = `Monte Carlo: ${c.strategy.name} ${c.venues.join(',')} ${c.symbol}, ${runInfo.from.slice(0, 10)} → ${runInfo.to.slice(0, 10)}, ${opts.method}, seed ${opts.seed}`;
  writeMonteCarloDir(dir, title, runInfo, real, paths, summary);
  const ms = performance.now() - t0;
  for (const w of warnings.slice(0, 10)) process.stderr.write(`warning: ${w}\n`);
  if (args['json'] === true) {
    process.stdout.write(JSON.stringify({ dir, summary: { ...summary, fan: undefined } }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
    return;
  }
  const lines = [title, `  ${'statistic'.padEnd(24)}${['p5', 'p25', 'p50', 'p75', 'p95', 'real', 'real %ile'].map((h) => h.padStart(10)).join('')}`];
  for (const m of MC_METRICS) {
    const d = summary.metrics[m];
    const f = (v: number): string => (m === 'longestUnderWaterHours' ? (Number.isFinite(v) ? v.toFixed(1) : 'n/a') : pct(v));
    lines.push(`  ${m.padEnd(24)}${[d.p5, d.p25, d.p50, d.p75, d.p95, summary.real[m].value].map((v) => f(v).padStart(10)).join('')}${pct(summary.real[m].percentile).padStart(10)}`);
  }
  lines.push(`  P(liquidation) ${pct(summary.probabilityOfLiquidation)}   P(ADL) ${pct(summary.probabilityOfAdl)}   ${opts.paths} paths in ${(ms / 1000).toFixed(1)} s`);
  lines.push(`  output       ${dir} (montecarlo.json, paths.csv, fan.html)`);
  process.stdout.write(lines.join('\n') + '\n');
}
