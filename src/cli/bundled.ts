/**
 * The one-file builds of CLI implementations (scripts/bundle-cli.ts), used only while current.
 * A bundle's manifest lists the size and mtime of the bundle and of every module folded into it;
 * if any of them differs or is missing (tsc ran again without the bundle step, a file was edited,
 * a package was unpacked with reset mtimes) the modules tsc wrote are imported instead, so a
 * stale bundle never runs. The check is one small JSON read and ~60 `stat`s (< 1 ms).
 */
import { readFileSync, statSync } from 'node:fs';
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
 * The file URL of `<dir>/<name>.bundle.js` when its manifest `<name>.bundle.json` matches every
 * file it lists (size and mtime), else undefined.
 */
export function currentBundle(dir: string, name: string): string | undefined {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(join(dir, `${name}.bundle.json`), 'utf8'));
  } catch {
    return undefined;
  }
  if (!isManifest(manifest) || manifest.bundle !== `${name}.bundle.js` || !manifest.files.some((f) => f.path === manifest.bundle)) return undefined;
  for (const f of manifest.files) {
    const st = statSync(join(dir, f.path), { throwIfNoEntry: false });
    if (!st || st.size !== f.size || st.mtimeMs !== f.mtimeMs) return undefined;
  }
  return pathToFileURL(join(dir, manifest.bundle)).href;
}

/**
 * `perpcarry backtest`'s implementation: its bundle when current, else ./backtest-run.js.
 * `PERPCARRY_BUNDLE=0` always takes the modules (stack traces name each module's file).
 */
export async function importBacktestRun(): Promise<typeof import('./backtest-run.js')> {
  const bundle = process.env['PERPCARRY_BUNDLE'] === '0' ? undefined : currentBundle(dirname(fileURLToPath(import.meta.url)), 'backtest-run');
  return bundle ? ((await import(bundle)) as typeof import('./backtest-run.js')) : import('./backtest-run.js');
}
