/**
 * Scenarios shipped with perpcarry (`scenarios/<name>.json` at the package root), listed by
 * `perpcarry scenarios` and named on the command line by their name.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.js';
import { readScenarioFile } from './parse.js';
import type { Scenario } from './types.js';

/** The bundled scenarios directory (works from src/ under tsx and from dist/). */
export function bundledScenarioDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const cand = join(dir, 'scenarios');
    if (existsSync(join(dir, 'package.json')) && existsSync(cand)) return cand;
    dir = dirname(dir);
  }
  throw new Error('bundled scenarios directory not found next to package.json');
}

/** Every bundled scenario, sorted by name. */
export function listBundledScenarios(): Scenario[] {
  const dir = bundledScenarioDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readScenarioFile(join(dir, f)));
}

/**
 * Resolve a `--scenario` argument: a path to a `.json` file, else the name of a bundled scenario.
 * Unknown names are an error listing the bundled ones.
 */
export function resolveScenario(arg: string): Scenario {
  if (arg.endsWith('.json') || arg.includes('/') || existsSync(arg)) {
    const p = resolve(arg);
    if (!existsSync(p)) throw new UserError(`--scenario ${arg}: no such file`);
    return readScenarioFile(p);
  }
  const dir = bundledScenarioDir();
  const file = join(dir, `${arg}.json`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(arg) || !existsSync(file)) {
    const names = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    throw new UserError(`--scenario "${arg}": not a file nor a bundled scenario (bundled: ${names.join(', ')}; see \`perpcarry scenarios\`)`);
  }
  const s = readScenarioFile(file);
  return { ...s, source: `bundled:${arg}` };
}
