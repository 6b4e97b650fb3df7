import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { UserError } from '../core/errors.js';
import { requireYargs } from './bundled.js';

/**
 * A CLI command module. Modules must import nothing heavy at top level: handlers import their
 * implementation lazily so that `perpcarry --help` and a backtest do not pay for ccxt or danfojs.
 */
export interface CommandModule {
  register(cli: Argv): Argv;
}

/**
 * Command modules, one per top-level command, in the order `--help` lists them. Each is owned by
 * its layer's maintainer.
 */
const COMMANDS = {
  data: () => import('./commands/data.js'),
  backtest: () => import('./commands/backtest.js'),
  strategies: () => import('./commands/strategies.js'),
  report: () => import('./commands/report.js'),
  compare: () => import('./commands/compare.js'),
  scenarios: () => import('./commands/scenarios.js'),
  montecarlo: () => import('./commands/montecarlo.js'),
  sweep: () => import('./commands/sweep.js'),
  'walk-forward': () => import('./commands/walk-forward.js'),
  worker: () => import('./commands/worker.js'),
} satisfies Record<string, () => Promise<{ default: CommandModule }>>;

/**
 * The command modules `argv` needs: only the named one when `argv` starts with a command name
 * (its help, options and errors name nothing of the others), else all of them (top-level
 * `--help`, "Did you mean …?", options before the command).
 */
async function loadCommands(argv: readonly string[]): Promise<CommandModule[]> {
  const first = argv[0];
  const loaders = first !== undefined && Object.hasOwn(COMMANDS, first) ? [COMMANDS[first as keyof typeof COMMANDS]] : Object.values(COMMANDS);
  const mods = await Promise.all(loaders.map((load) => load()));
  return mods.map((m) => m.default);
}

/**
 * yargs' CommonJS build: its ESM build wraps help through cliui's ESM entry, whose naive `wrap`
 * cuts words in the middle ("perpetual future / s."); the CommonJS one wraps at word boundaries
 * (wrap-ansi). `yargs/yargs` is the plain factory: the package's main entry first builds a
 * singleton instance over process.argv that the CLI never uses (one more instance, and one more
 * package.json search above the cwd, on every start). Its one-file build when current
 * (src/cli/bundled.ts).
 */
const yargs = requireYargs();

/**
 * perpcarry's own version, from the package.json above this module. yargs would guess it from the
 * package.json above the cwd (its CommonJS build has no `require.main` under an ES module entry):
 * "unknown", or another project's version, when run outside this checkout.
 */
function ownVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; ) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'perpcarry' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no (readable) package.json here: look further up
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

/**
 * yargs turns an option given twice into an array (`--since a --since b`), which single-value
 * options then misread ("binance,bybit", "5,6", or a TypeError). Only options declared
 * `array: true` (and positionals such as `more`/`run-dirs`) may repeat; anything else is an error
 * naming the option. A number option that did not parse is one too.
 */
function rejectRepeatedOptions(argv: Record<string, unknown>, y: { getOptions(): { array: string[] } }): void {
  const arrays = new Set<string>(y.getOptions().array);
  for (const [key, value] of Object.entries(argv)) {
    // yargs turns `--capital abc` into NaN; say which option, not "got NaN" further down.
    if (typeof value === 'number' && Number.isNaN(value) && !/[A-Z]/.test(key)) throw new UserError(`--${key} expects a number`, 2);
    if (key === '_' || key === '$0' || !Array.isArray(value) || arrays.has(key)) continue;
    if (/[A-Z]/.test(key)) continue; // camelCase copy of a kebab-case option: reported under its own name
    throw new UserError(`--${key} was given ${value.length} times (${value.map(String).join(', ')}); it takes one value`, 2);
  }
  if (Array.isArray(argv['param']) && (argv['param'] as unknown[]).length === 0) {
    throw new UserError('--param needs a value: --param name=value', 2);
  }
}

/**
 * yargs 17 renders the command's whole help text after every handler it runs, only to cache it for
 * a later failure message (`cacheHelpMessage`): string-width over every option, ~0.1 s of CPU
 * per `perpcarry backtest`. Our `.fail()` throws and `main` prints its own error, so the cache is
 * never read; `--help` still renders on demand (the usage instance computes it when asked). The
 * usage instance is created once per yargs instance and survives its per-command resets.
 */
function skipHelpCache(cli: Argv): void {
  const internal = (cli as unknown as { getInternalMethods?: () => { getUsageInstance(): { cacheHelpMessage?: () => void } } }).getInternalMethods;
  const usage = internal?.call(cli).getUsageInstance();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** Run the CLI with `argv` (without node and script). Returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let cli = yargs(argv)
    .scriptName('perpcarry')
    .usage('$0 <command> [options]\n\nHistorical backtesting for funding-rate arbitrage on perpetual futures.')
    .strict()
    .demandCommand(1, 'Name a command; see --help.')
    .recommendCommands()
    .version(ownVersion())
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new UserError(msg, 2);
    });
  skipHelpCache(cli);
  for (const m of await loadCommands(argv)) cli = m.register(cli);
  // yargs 17 passes the parsing instance as the middleware's second argument (untyped).
  cli = cli.middleware(rejectRepeatedOptions as unknown as (argv: Record<string, unknown>) => void);
  try {
    await cli.parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`perpcarry: ${e.message}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`perpcarry: internal error: ${err.stack ?? String(err)}\n`);
    return 70;
  }
}
