/**
 * The one-file builds of the CLI's start-up (scripts/bundle-cli.ts), used only while current.
 * A bundle's manifest lists the size and mtime of the bundle and of every file folded into it;
 * if any of them differs or is missing (tsc ran again without the bundle step, a file was edited,
 * a package was reinstalled or unpacked with reset mtimes) the modules themselves are loaded
 * instead, so a stale bundle never runs. The check is one small JSON read and a `stat` per file
 * (~60 for the backtest, 15 for yargs: < 1 ms). `PERPCARRY_BUNDLE=0` always takes the modules
 * (stack traces then name each module's file).
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A bundle manifest as scripts/bundle-cli.ts writes it (paths relative to its directory). */
interface Manifest {
  bundle: string;
  files: { path: string; size: number; mtimeMs: number }[];
}

function isManifest(x: unknown): x is Manifest {
  const m = x as Partial<Manifest> | null;
  return !!m && typeof m.bundle === 'string' && Array.isArray(m.files) && m.files.every((f) => f && typeof f.path === 'string' && typeof f.size === 'number' && typeof f.mtimeMs === 'number');
}

/**
 * The path of `<dir>/<bundle>` (e.g. `x.bundle.js`) when its manifest (`x.bundle.json`) lists it
 * and matches every file it lists (size and mtime), else undefined.
 */
export function currentBundle(dir: string, bundle: string): string | undefined {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(join(dir, bundle.replace(/\.c?js$/, '.json')), 'utf8'));
  } catch {
    return undefined;
  }
  if (!isManifest(manifest) || manifest.bundle !== bundle || !manifest.files.some((f) => f.path === bundle)) return undefined;
  for (const f of manifest.files) {
    const st = statSync(join(dir, f.path), { throwIfNoEntry: false });
    if (!st || st.size !== f.size || st.mtimeMs !== f.mtimeMs) return undefined;
  }
  return join(dir, bundle);
}

const HERE = dirname(fileURLToPath(import.meta.url));
const useBundles = (): boolean => process.env['PERPCARRY_BUNDLE'] !== '0';

/** `perpcarry backtest`'s implementation: its bundle when current, else ./backtest-run.js. */
export async function importBacktestRun(): Promise<typeof import('./backtest-run.js')> {
  const bundle = useBundles() ? currentBundle(HERE, 'backtest-run.bundle.js') : undefined;
  return bundle ? ((await import(pathToFileURL(bundle).href)) as typeof import('./backtest-run.js')) : import('./backtest-run.js');
}

/**
 * yargs' CommonJS factory (`yargs/yargs`): its bundle with its dependencies when current, else the
 * package (15 files to resolve and compile).
 */
export function requireYargs(): typeof import('yargs/yargs') {
  const require = createRequire(import.meta.url);
  const bundle = useBundles() ? currentBundle(HERE, 'yargs.bundle.cjs') : undefined;
  return (bundle ? require(bundle) : require('yargs/yargs')) as typeof import('yargs/yargs');
}
