/**
 * One-file builds for the CLI's start-up, each with a manifest (`<name>.json`: size and mtime of the
 * bundle and of every file folded in), written into dist/src/cli after tsc (`npm run build`,
 * `npm test` and `npm run bench` run this):
 * - `backtest-run.bundle.js`: `perpcarry backtest`'s implementation, from the modules tsc wrote.
 * - `yargs.bundle.cjs`: yargs' CommonJS factory (`yargs/yargs`) with its 14 dependencies.
 *
 * Why: Node 20 resolves, reads, compiles and links each module on its own (and has no compile
 * cache); the ~60 modules a backtest imports and yargs' 15 files cost tens of ms of CPU more than
 * the same code as one file each (docs/performance.md). src/cli/bundled.ts uses a bundle only while
 * its manifest still matches the files on disk, so a `tsc` without this step never runs stale code.
 *
 * Left out of the backtest bundle, imported as the modules they are (relative paths rewritten):
 * `src/core` and `src/strategy`, which strategy modules import too (one copy of UserError,
 * StrategyError and the guard for both sides: `instanceof` and private fields must agree), and
 * the code a plain backtest never runs (report, fetch, research), so that it stays lazy and
 * test/cli/lazy-imports.test.ts sees any import of it. npm packages stay external.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBundle } from '../src/cli/bundled.js';
import { acquireLock } from '../src/core/lock.js';

/** The manifest next to a bundle: what it was built from, to tell whether it is still current. */
export interface BundleManifest {
  /** The bundle file, relative to the manifest's directory. */
  bundle: string;
  /** The bundle file's size and mtime, and those of every file folded into it (paths relative to the manifest's directory). */
  files: { path: string; size: number; mtimeMs: number }[];
}

/** Directories under dist/src whose modules the backtest bundle imports instead of folding them in. */
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

/** Keep every bare import (npm packages, Node built-ins) external except the packages named, which are folded in. */
function externalPackagesExcept(folded: readonly string[]): Plugin {
  return {
    name: 'external-packages-except',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        const parts = args.path.split('/');
        const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
        return folded.includes(name) ? undefined : { path: args.path, external: true };
      });
    },
  };
}

/** Replace the one occurrence of each `[from, to]` in `text` (of `path`); throws when one is not there exactly once. */
function replaceOnce(path: string, text: string, edits: readonly (readonly [string, string])[]): string {
  for (const [from, to] of edits) {
    if (text.split(from).length !== 2) throw new Error(`bundle-cli: ${path} no longer has exactly one ${from}; check scripts/bundle-cli.ts against this yargs version`);
    text = text.replace(from, to);
  }
  return text;
}

/**
 * Two edits to yargs' build file, so that the bundle behaves as the package does:
 * - its messages come from `<yargs>/locales/<lang>.json`, found from `__dirname` of the build file
 *   (in the bundle: dist/src/cli); they are looked up from the installed package instead;
 * - it requires `node:assert` at load (~5 ms of CPU) for two internal consistency checks that a
 *   normal run passes; a check now compares with Object.is (as `assert.strictEqual` and
 *   `notStrictEqual` do) and hands a failing pair to `assert`, which throws its usual error.
 */
const yargsBuildEdits: Plugin = {
  name: 'yargs-build-edits',
  setup(b) {
    b.onLoad({ filter: /[\\/]yargs[\\/]build[\\/]index\.cjs$/ }, (args) => ({
      contents: replaceOnce(args.path, readFileSync(args.path, 'utf8'), [
        ['re(__dirname,"../locales")', 're(require("path").dirname(require.resolve("yargs/package.json")),"locales")'],
        ['var t=require("assert");', ''],
        ['assert:{notStrictEqual:t.notStrictEqual,strictEqual:t.strictEqual}', 'assert:{notStrictEqual:(a,b,m)=>{if(Object.is(a,b))require("assert").notStrictEqual(a,b,m)},strictEqual:(a,b,m)=>{if(!Object.is(a,b))require("assert").strictEqual(a,b,m)}}'],
      ]),
      loader: 'js',
    }));
  },
};

function fileEntry(dir: string, abs: string): BundleManifest['files'][number] {
  const st = statSync(abs);
  return { path: relative(dir, abs).split(sep).join('/'), size: st.size, mtimeMs: st.mtimeMs };
}

/** Build `options` into `<dir>/<bundle>` (temp file + rename) and write its manifest `<dir>/<bundle minus .js/.cjs>.json`. */
async function writeBundle(dir: string, bundle: string, options: BuildOptions): Promise<BundleManifest> {
  const outfile = join(dir, bundle);
  const tmp = `${outfile}.${process.pid}.tmp`;
  const result = await build({ ...options, outfile: tmp, bundle: true, platform: 'node', target: 'node20', metafile: true, logLevel: 'warning' });
  const stdin = options.stdin?.sourcefile !== undefined ? resolve(options.stdin.resolveDir ?? '.', options.stdin.sourcefile) : undefined;
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => resolve(process.cwd(), p))
    .filter((p) => p !== stdin);
  renameSync(tmp, outfile);
  // The recipe (this script) counts as an input: a changed recipe makes the bundles stale.
  const recipe = fileURLToPath(import.meta.url);
  const manifest: BundleManifest = { bundle, files: [fileEntry(dir, outfile), fileEntry(dir, recipe), ...inputs.map((p) => fileEntry(dir, p))] };
  const manifestPath = join(dir, bundle.replace(/\.c?js$/, '.json'));
  writeFileSync(`${manifestPath}.${process.pid}.tmp`, JSON.stringify(manifest, null, 1) + '\n');
  renameSync(`${manifestPath}.${process.pid}.tmp`, manifestPath);
  return manifest;
}

/** Write both bundles into `<distSrc>/cli`; returns their manifests. */
export async function bundleCli(distSrc: string): Promise<BundleManifest[]> {
  const cliDir = join(distSrc, 'cli');
  const backtest = await writeBundle(cliDir, 'backtest-run.bundle.js', {
    entryPoints: [join(cliDir, 'backtest-run.js')],
    format: 'esm',
    // Classes and functions keep their names (error names, `constructor.name` in messages).
    keepNames: true,
    // npm packages stay external, except seedrandom: a CommonJS package of 8 files that Node would
    // lex for its exports and load one by one. Its `require('crypto')` (autoseed only) needs a
    // real `require` in the ES module bundle.
    plugins: [keepOut(distSrc, cliDir), externalPackagesExcept(['seedrandom'])],
    banner: { js: "import { createRequire as __perpcarryCreateRequire } from 'node:module';\nconst require = __perpcarryCreateRequire(import.meta.url);" },
  });
  const yargs = await writeBundle(cliDir, 'yargs.bundle.cjs', {
    stdin: { contents: "module.exports = require('yargs/yargs');", resolveDir: cliDir, sourcefile: 'yargs-entry.cjs', loader: 'js' },
    format: 'cjs',
    minifyWhitespace: true,
    // Read at run time, from the bundle's place (see yargsBuildEdits).
    external: ['yargs/package.json'],
    plugins: [yargsBuildEdits],
  });
  return [backtest, yargs];
}

/** The bundles {@link bundleCli} writes, as src/cli/bundled.ts looks them up. */
export const CLI_BUNDLES = ['backtest-run.bundle.js', 'yargs.bundle.cjs'] as const;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // dist/scripts/bundle-cli.js → dist/src
  const distSrc = join(dirname(dirname(fileURLToPath(import.meta.url))), 'src');
  const cliDir = join(distSrc, 'cli');
  // One writer at a time (tests run this in parallel); bundles still current are left alone.
  const release = acquireLock(join(cliDir, '.bundle.lock'), 'the CLI bundles');
  try {
    if (CLI_BUNDLES.every((b) => currentBundle(cliDir, b))) process.stdout.write(`bundle-cli: ${cliDir}: bundles up to date\n`);
    else for (const m of await bundleCli(distSrc)) process.stdout.write(`bundle-cli: ${join(cliDir, m.bundle)} from ${m.files.length - 2} files\n`);
  } finally {
    release();
  }
}
