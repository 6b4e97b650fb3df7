/**
 * One-file build of `perpcarry backtest`'s implementation: `dist/src/cli/backtest-run.bundle.js`
 * (esbuild, from the modules tsc wrote) and its manifest `backtest-run.bundle.json` (size and mtime
 * of every module folded in). Run after tsc: `npm run build` and `npm test` do.
 *
 * Why: Node 20 resolves, reads, compiles and links each ES module on its own, and has no compile
 * cache; the ~60 modules a backtest imports cost ~40 ms of CPU more than the same code as one file
 * (docs/performance.md). `src/cli/bundled.ts` imports the bundle only while the manifest still
 * matches the modules on disk, so a `tsc` without this step never runs stale code.
 *
 * Left out of the bundle, imported as the modules they are (their relative paths rewritten):
 * `src/core` and `src/strategy`, which strategy modules import too (one copy of UserError,
 * StrategyError and the guard for both sides: `instanceof` and private fields must agree), and
 * the code a plain backtest never runs (report, fetch, research), so that it stays lazy and
 * test/cli/lazy-imports.test.ts sees any import of it. npm packages stay external.
 */
import { build, type Plugin } from 'esbuild';
import { renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The manifest next to a bundle: what it was built from, to tell whether it is still current. */
export interface BundleManifest {
  /** The bundle file, relative to the manifest's directory. */
  bundle: string;
  /** The bundle file's size and mtime, and those of every module folded into it (paths relative to the manifest's directory). */
  files: { path: string; size: number; mtimeMs: number }[];
}

/** Directories under dist/src whose modules are imported, not folded in. */
const KEPT_OUT = ['core', 'strategy', 'analysis/report', 'data/fetch', 'research'];

/** Rewrite imports of kept-out modules to their path relative to the bundle, and mark them external. */
function keepOut(srcDir: string, outDir: string): Plugin {
  const kept = KEPT_OUT.map((d) => join(srcDir, d) + sep);
  return {
    name: 'keep-out',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const abs = resolve(args.resolveDir, args.path);
        if (!kept.some((k) => abs.startsWith(k))) return undefined;
        const rel = relative(outDir, abs).split(sep).join('/');
        return { path: rel.startsWith('.') ? rel : `./${rel}`, external: true };
      });
    },
  };
}

function fileEntry(dir: string, abs: string): BundleManifest['files'][number] {
  const st = statSync(abs);
  return { path: relative(dir, abs).split(sep).join('/'), size: st.size, mtimeMs: st.mtimeMs };
}

/** Bundle `<distSrc>/cli/<name>.js` into `<name>.bundle.js` plus its manifest; returns the manifest. */
export async function bundleCliModule(distSrc: string, name: string): Promise<BundleManifest> {
  const cliDir = join(distSrc, 'cli');
  const outfile = join(cliDir, `${name}.bundle.js`);
  const tmp = `${outfile}.${process.pid}.tmp`;
  const result = await build({
    entryPoints: [join(cliDir, `${name}.js`)],
    outfile: tmp,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Classes and functions keep their names (error names, `constructor.name` in messages).
    keepNames: true,
    packages: 'external',
    metafile: true,
    logLevel: 'warning',
    plugins: [keepOut(distSrc, cliDir)],
  });
  const cwd = process.cwd();
  const inputs = Object.keys(result.metafile.inputs).map((p) => resolve(cwd, p));
  renameSync(tmp, outfile);
  const manifest: BundleManifest = { bundle: `${name}.bundle.js`, files: [fileEntry(cliDir, outfile), ...inputs.map((p) => fileEntry(cliDir, p))] };
  const manifestPath = join(cliDir, `${name}.bundle.json`);
  writeFileSync(`${manifestPath}.${process.pid}.tmp`, JSON.stringify(manifest, null, 1) + '\n');
  renameSync(`${manifestPath}.${process.pid}.tmp`, manifestPath);
  return manifest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // dist/scripts/bundle-cli.js → dist/src
  const distSrc = join(dirname(dirname(fileURLToPath(import.meta.url))), 'src');
  const m = await bundleCliModule(distSrc, 'backtest-run');
  process.stdout.write(`bundle-cli: ${join(distSrc, 'cli', m.bundle)} from ${m.files.length - 1} modules\n`);
}
