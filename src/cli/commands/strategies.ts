import type { Argv } from 'yargs';
import type { CommandModule } from '../main.js';
import type { ParamSpec, StrategyFactory } from '../../strategy/types.js';

/** One built-in strategy as `perpcarry strategies --json` prints it. */
export interface StrategyListing {
  name: string;
  description: string;
  params: Record<string, ParamSpec>;
}

/** Bounds or allowed values of a param as text: `[1, 20]`, `≥ 0`, `latest|mean`, or ``. */
export function paramRange(spec: ParamSpec): string {
  if (spec.type === 'enum') return spec.values.join('|');
  if (spec.type !== 'number' && spec.type !== 'integer') return '';
  const lo = spec.min;
  const hi = spec.max;
  if (lo !== undefined && hi !== undefined) return `[${lo}, ${hi}]`;
  if (lo !== undefined) return `≥ ${lo}`;
  if (hi !== undefined) return `≤ ${hi}`;
  return '';
}

/** Human-readable listing: per strategy a header line and a param table. */
export function formatStrategies(list: readonly StrategyListing[]): string {
  const out: string[] = [];
  for (const s of list) {
    out.push(`${s.name}  —  ${s.description}`);
    const rows = Object.entries(s.params).map(([k, spec]) => [
      k,
      spec.type,
      spec.type === 'string' ? JSON.stringify(spec.default) : String(spec.default),
      paramRange(spec),
      'unit' in spec && spec.unit !== undefined ? spec.unit : '',
      spec.help,
    ]);
    if (rows.length === 0) {
      out.push('  (no params)', '');
      continue;
    }
    const head = ['param', 'type', 'default', 'bounds', 'unit', 'help'];
    const widths = head.map((h, i) => (i === head.length - 1 ? 0 : Math.max(h.length, ...rows.map((r) => r[i]!.length))));
    const fmt = (r: string[]) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
    out.push(fmt(head), ...rows.map(fmt), '');
  }
  out.push(`${list.length} built-in strategies. Use one with: perpcarry backtest --strategy <name> --param k=v …`);
  out.push('A strategy of your own: perpcarry backtest --strategy ./path/to/strategy.ts (see docs/strategies.md).');
  return out.join('\n') + '\n';
}

/** The listing of a factory (params in declaration order). */
export function listingOf(f: StrategyFactory): StrategyListing {
  return { name: f.name, description: f.description, params: f.params };
}

/**
 * Load every built-in strategy: each folder under `strategies/` with an `index.js` (compiled, when
 * running from dist/) or `index.ts` (running from source under tsx/vitest), sorted by name, each
 * checked with the registry's `validateFactory`. (The registry's `loadStrategy` resolves one name to
 * `index.js` only, so it cannot list from source.)
 */
export async function builtinFactories(): Promise<StrategyFactory[]> {
  const { readdirSync, existsSync } = await import('node:fs');
  const { dirname, join, resolve } = await import('node:path');
  const { fileURLToPath, pathToFileURL } = await import('node:url');
  // This file is <root>/src/cli/commands/strategies.{ts,js}; built-ins are <root>/strategies/<name>/.
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'strategies');
  const out: StrategyFactory[] = [];
  for (const name of readdirSync(root).sort()) {
    const file = ['index.js', 'index.ts'].map((f) => join(root, name, f)).find((f) => existsSync(f));
    if (file === undefined) continue;
    const { validateFactory } = await import('../../strategy/registry.js');
    out.push(validateFactory(await import(pathToFileURL(file).href), `built-in strategy ${file}`));
  }
  return out;
}

/** `perpcarry strategies [--json]`: list the built-in strategies with their params, defaults and help. */
const strategiesCommand: CommandModule = {
  register(cli: Argv): Argv {
    return cli.command(
      'strategies',
      'List the built-in strategies with their params, defaults, bounds and help',
      (y) => y.option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
      async (args) => {
        const list = (await builtinFactories()).map(listingOf);
        process.stdout.write(args.json ? JSON.stringify(list, null, 2) + '\n' : formatStrategies(list));
      },
    );
  },
};
export default strategiesCommand;
