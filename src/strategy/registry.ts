/**
 * Resolve a strategy given on the command line: a built-in name (`delta-neutral` →
 * `dist/strategies/delta-neutral/index.js` when running compiled, `strategies/delta-neutral/index.ts`
 * when running sources; see {@link locateBuiltins}) or a path to a
 * module (`.js`/`.mjs` imported directly, `.ts` through tsx's `tsImport`). The module must
 * default-export a {@link StrategyFactory}.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from '../core/errors.js';
import { checkSchema } from '../core/schema.js';
import type { StrategyFactory } from './types.js';

/** A loaded strategy and where it came from. */
export interface LoadedStrategy {
  factory: StrategyFactory;
  /** Built-in name or the absolute path given. */
  source: string;
  builtin: boolean;
  /** The module file loaded (absolute). */
  file: string;
}

/** The package name that marks perpcarry's root directory (package.json `name`). */
const PACKAGE_NAME = 'perpcarry';

/** Where the built-in strategies live and which file each one is. */
export interface BuiltinLocation {
  /** The perpcarry package root (the directory holding its package.json). */
  root: string;
  /** `<root>/dist/strategies` when running compiled code, `<root>/strategies` when running sources. */
  dir: string;
  /** Module file of a strategy folder: `index.js` (compiled) or `index.ts` (sources, via tsx/vitest). */
  file: 'index.js' | 'index.ts';
}

/**
 * Locate the built-in strategies from the directory of a perpcarry module: walk up to the
 * directory whose package.json is named `perpcarry` (the package root); if the module sits under
 * `<root>/dist/` the compiled `dist/strategies/<name>/index.js` are used, else the sources
 * `strategies/<name>/index.ts`. Unlike a fixed `../..`, this holds whatever the depth of the
 * module (sources under vitest or tsx, compiled under dist/, a bundled copy). Throws a UserError
 * when no perpcarry package.json is above `moduleDir`.
 */
export function locateBuiltins(moduleDir: string): BuiltinLocation {
  let dir = resolve(moduleDir);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      let name: unknown;
      try {
        name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
      } catch {
        name = undefined;
      }
      if (name === PACKAGE_NAME) {
        const rel = relative(dir, resolve(moduleDir));
        const compiled = rel === 'dist' || rel.startsWith('dist' + sep);
        return compiled ? { root: dir, dir: join(dir, 'dist', 'strategies'), file: 'index.js' } : { root: dir, dir: join(dir, 'strategies'), file: 'index.ts' };
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new UserError(`cannot find the built-in strategies: no package.json named "${PACKAGE_NAME}" above ${moduleDir}`);
    dir = up;
  }
}

let cached: BuiltinLocation | undefined;
/** The built-in strategies of this installation (see {@link locateBuiltins}). */
export function builtinLocation(): BuiltinLocation {
  return (cached ??= locateBuiltins(dirname(fileURLToPath(import.meta.url))));
}

/** Directory holding the built-in strategy folders of this installation. */
export function builtinDirectory(): string {
  return builtinLocation().dir;
}

function looksLikePath(spec: string): boolean {
  return spec.includes('/') || spec.includes('\\') || /\.(m?js|ts|mts)$/.test(spec);
}

/** Check that a module's default export is a usable factory; throws a UserError naming what is wrong. */
export function validateFactory(mod: unknown, where: string): StrategyFactory {
  const m = mod as { default?: unknown };
  let f = (m && typeof m === 'object' && 'default' in m ? m.default : undefined) as (Partial<StrategyFactory> & { default?: unknown }) | undefined;
  // A .ts file outside an ESM package is loaded as CommonJS: the factory sits on `default.default`.
  if (f && typeof f === 'object' && f.create === undefined && f.default && typeof f.default === 'object') f = f.default;
  if (!f || typeof f !== 'object') throw new UserError(`${where}: no default export (expected \`export default { name, description, params, universe, create }\`)`);
  const problems: string[] = [];
  if (typeof f.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(f.name)) problems.push('name must be a kebab-case string');
  if (typeof f.description !== 'string') problems.push('description must be a string');
  if (!f.params || typeof f.params !== 'object') problems.push('params must be an object (a ParamSchema)');
  else {
    for (const [k, s] of Object.entries(f.params as Record<string, unknown>)) {
      const type = s && typeof s === 'object' ? (s as { type?: unknown }).type : undefined;
      if (typeof type !== 'string' || !['number', 'integer', 'boolean', 'enum', 'string'].includes(type)) problems.push(`params.${k}: unknown type`);
      else if ((s as { default?: unknown }).default === undefined) problems.push(`params.${k}: default missing (a strategy param needs one)`);
      else problems.push(...checkSchema(s, `params.${k}`));
    }
  }
  if (typeof f.universe !== 'function') problems.push('universe(input) must be a function');
  if (typeof f.create !== 'function') problems.push('create(params) must be a function');
  if (f.validateParams !== undefined && typeof f.validateParams !== 'function') problems.push('validateParams(params), if given, must be a function');
  if (problems.length) throw new UserError(`${where}: default export is not a valid strategy factory: ${problems.join('; ')}`);
  return f as StrategyFactory;
}

let hookRegistered = false;

/**
 * When running compiled (dist/), make `import … from 'perpcarry'` in a strategy file resolve to this
 * installation (src/strategy/import-hook.ts). Under vitest/tsx on the sources, the package's own
 * `exports` already resolve (self-reference), so nothing is registered.
 */
function bindPackageImports(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  const loc = builtinLocation();
  if (loc.file !== 'index.js') return;
  const dist = join(loc.root, 'dist', 'src');
  const entries = {
    [PACKAGE_NAME]: pathToFileURL(join(dist, 'index.js')).href,
    [`${PACKAGE_NAME}/strategy`]: pathToFileURL(join(dist, 'strategy', 'index.js')).href,
  };
  register(pathToFileURL(join(dist, 'strategy', 'import-hook.js')).href, { data: { entries } });
}

/** Load a strategy by built-in name or module path. */
export async function loadStrategy(spec: string, cwd = process.cwd()): Promise<LoadedStrategy> {
  // Stack frames of compiled strategies (dist/strategies) point at their .ts lines: an exception in
  // strategy code is reported with the file and line the author wrote. Enabled here, not at CLI
  // start: Node reads and parses the source map of every module compiled while it is on (~0.1 s
  // of CPU over the CLI and engine modules, which a backtest imports before its strategy).
  process.setSourceMapsEnabled(true);
  if (!looksLikePath(spec)) {
    const loc = builtinLocation();
    const file = join(loc.dir, spec, loc.file);
    if (!/^[a-z0-9][a-z0-9-]*$/.test(spec) || !existsSync(file)) {
      const known = existsSync(loc.dir) ? readdirSync(loc.dir).filter((d) => existsSync(join(loc.dir, d, loc.file))).sort() : [];
      throw new UserError(`unknown strategy "${spec}": not a built-in (${known.length ? known.join(', ') : `none found in ${relative(loc.root, loc.dir)}/`}); give a path to a .js or .ts module for your own`);
    }
    const mod = loc.file === 'index.js' ? await importOrExplain(pathToFileURL(file).href, file) : await importTs(file);
    return { factory: validateFactory(mod, `strategy ${spec} (${file})`), source: spec, builtin: true, file };
  }
  const abs = resolve(cwd, spec);
  if (!existsSync(abs)) throw new UserError(`strategy file not found: ${abs}`);
  // Only a user's file can import 'perpcarry'; the built-ins import the sources relatively. The hook
  // runs on a loader thread that every later import waits on (~0.15 s of a backtest), so a run of a
  // built-in does without it.
  bindPackageImports();
  let mod: unknown;
  if (/\.(ts|mts)$/.test(abs)) mod = await importTs(abs);
  else mod = await importOrExplain(pathToFileURL(abs).href, abs);
  return { factory: validateFactory(mod, `strategy ${abs}`), source: abs, builtin: false, file: abs };
}

/**
 * Import a TypeScript module: natively when the runtime already handles .ts (vitest, tsx), else
 * through tsx's `tsImport`.
 */
async function importTs(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  try {
    return await import(url);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw new UserError(`strategy ${file} failed to load: ${(e as Error).message}`);
  }
  const { tsImport } = (await import('tsx/esm/api')) as { tsImport: (specifier: string, parent: string) => Promise<unknown> };
  try {
    return await tsImport(url, import.meta.url);
  } catch (e) {
    throw new UserError(`strategy ${file} failed to load: ${(e as Error).message}${cjsHint(e)}`);
  }
}

/**
 * A `.ts` file outside an ESM package is loaded as CommonJS, where `require('perpcarry')` is not
 * redirected to this installation (only ESM imports are): say how to make it ESM.
 */
function cjsHint(e: unknown): string {
  const m = (e as Error).message ?? '';
  if (!/Cannot find (module|package) 'perpcarry(\/strategy)?'/.test(m) || !m.includes('Require stack')) return '';
  return `\n  (this .ts file was loaded as CommonJS, where 'perpcarry' resolves only if installed next to it: put {"type": "module"} in a package.json beside it, rename it .mts, or npm install perpcarry there)`;
}

async function importOrExplain(url: string, file: string): Promise<unknown> {
  try {
    return await import(url);
  } catch (e) {
    throw new UserError(`strategy ${file} failed to load: ${(e as Error).message}`);
  }
}
