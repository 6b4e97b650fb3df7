/**
 * The one-file builds of the CLI (scripts/bundle-cli.ts, src/cli/bundled.ts): used only while the
 * manifest matches every file folded in; a backtest through its bundle writes the same run
 * directory as through the modules tsc wrote, and yargs through its bundle prints the same help and
 * errors as the package, in English and in the user's language (yargs' locale files).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { currentBundle } from '../../src/cli/bundled.js';
import { ROOT, tmpDir } from '../support/paths.js';

/** A directory holding x.bundle.js, two modules it was "built" from and a manifest matching them. */
function fakeBundle(): string {
  const dir = tmpDir('perpcarry-bundle-');
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'x.bundle.js'), 'export const x = 1;\n');
  writeFileSync(join(dir, 'lib', 'a.js'), 'export const a = 1;\n');
  writeFileSync(join(dir, 'b.js'), 'export const b = 2;\n');
  const files = ['x.bundle.js', 'lib/a.js', 'b.js'].map((path) => {
    const st = statSync(join(dir, path));
    return { path, size: st.size, mtimeMs: st.mtimeMs };
  });
  writeFileSync(join(dir, 'x.bundle.json'), JSON.stringify({ bundle: 'x.bundle.js', files }));
  return dir;
}

describe('currentBundle', () => {
  test('a manifest matching every file names the bundle', () => {
    const dir = fakeBundle();
    expect(currentBundle(dir, 'x.bundle.js')).toBe(join(dir, 'x.bundle.js'));
  });

  test('an input rewritten with the same bytes (tsc again without the bundle step) makes it stale', () => {
    const dir = fakeBundle();
    const later = new Date(statSync(join(dir, 'lib', 'a.js')).mtimeMs + 5000);
    utimesSync(join(dir, 'lib', 'a.js'), later, later);
    expect(currentBundle(dir, 'x.bundle.js')).toBeUndefined();
  });

  test('an input of another size, a missing input, an edited bundle, no or a broken manifest: not used', () => {
    const resized = fakeBundle();
    const st = statSync(join(resized, 'b.js'));
    writeFileSync(join(resized, 'b.js'), 'export const b = 20;\n');
    utimesSync(join(resized, 'b.js'), st.atime, st.mtime);
    expect(currentBundle(resized, 'x.bundle.js')).toBeUndefined();

    const missing = fakeBundle();
    writeFileSync(join(missing, 'x.bundle.json'), readFileSync(join(missing, 'x.bundle.json'), 'utf8').replace('lib/a.js', 'lib/gone.js'));
    expect(currentBundle(missing, 'x.bundle.js')).toBeUndefined();

    const edited = fakeBundle();
    writeFileSync(join(edited, 'x.bundle.js'), 'export const x = 2;\n');
    utimesSync(join(edited, 'x.bundle.js'), new Date(0), new Date(0));
    expect(currentBundle(edited, 'x.bundle.js')).toBeUndefined();

    const none = tmpDir('perpcarry-bundle-');
    expect(currentBundle(none, 'x.bundle.js')).toBeUndefined();
    writeFileSync(join(none, 'x.bundle.json'), '{"bundle": "x.bundle.js", "files": "all"}');
    expect(currentBundle(none, 'x.bundle.js')).toBeUndefined();
    writeFileSync(join(none, 'x.bundle.json'), '{"bundle": "x.bundle.js", "files": []}');
    expect(currentBundle(none, 'x.bundle.js')).toBeUndefined(); // the bundle itself must be listed
  });
});

beforeAll(() => {
  const b = spawnSync(process.execPath, [join(ROOT, 'dist', 'scripts', 'bundle-cli.js')], { cwd: ROOT, encoding: 'utf8' });
  expect(b.status, b.stderr).toBe(0);
}, 60_000);

describe('yargs through its bundle', () => {
  /** stdout, stderr and exit code of `perpcarry <args>`, and the yargs files the process loaded. */
  function cli(args: string[], env: Record<string, string>): { text: string; yargsFiles: string[] } {
    const rec = join(tmpDir('perpcarry-bundle-yargs-'), 'imports.txt');
    const r = spawnSync(process.execPath, ['--import', join(ROOT, 'test', 'support', 'record-imports.mjs'), join(ROOT, 'bin', 'perpcarry.mjs'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, COLUMNS: '', ...env, PERPCARRY_RECORD_IMPORTS: rec },
    });
    const yargsFiles = readFileSync(rec, 'utf8')
      .split('\n')
      .filter((m) => /yargs/.test(m))
      .map((m) => m.replace(/^.*\/(node_modules|dist)\//, '$1/'));
    return { text: `exit ${r.status}\n${r.stdout}\n--- stderr\n${r.stderr}`, yargsFiles: [...new Set(yargsFiles)] };
  }

  test.each([
    ['C', 'Unknown argument: foo'],
    ['de_DE.UTF-8', 'Unbekanntes Argument: foo'],
  ])('LANG=%s: the bundle is loaded instead of the package, with the same output', (lang, unknownFoo) => {
    for (const args of [['--help'], ['backtest', '--help'], ['backtest', '--foo', '1'], ['bactest'], ['data']]) {
      const bundled = cli(args, { LANG: lang, LC_ALL: '' });
      const pkg = cli(args, { LANG: lang, LC_ALL: '', PERPCARRY_BUNDLE: '0' });
      expect(bundled.yargsFiles).toEqual(['dist/src/cli/yargs.bundle.cjs']);
      expect(pkg.yargsFiles).toContain('node_modules/yargs/build/index.cjs');
      expect(bundled.text, args.join(' ')).toBe(pkg.text);
      if (args[1] === '--foo') expect(bundled.text).toContain(unknownFoo);
    }
  }, 120_000);
});

describe('perpcarry backtest through the bundle', () => {
  /** Run a real backtest (delta-neutral, ETH Feb 2025 crash window) and return its run directory's files. */
  function run(env: Record<string, string>): { files: Map<string, string>; stdout: string } {
    const out = join(tmpDir('perpcarry-bundle-run-'), 'run');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'perpcarry.mjs'), 'backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--out', out, '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    expect(r.status, r.stderr).toBe(0);
    const files = new Map<string, string>();
    for (const f of readdirSync(out).sort()) files.set(f, readFileSync(join(out, f)).toString('base64'));
    return { files, stdout: r.stdout };
  }

  /** run.json without what differs between any two runs (creation time, timings). */
  const stable = (runJsonBase64: string | undefined): unknown => {
    const j = JSON.parse(Buffer.from(runJsonBase64 ?? '', 'base64').toString('utf8')) as Record<string, unknown>;
    return JSON.stringify(j, (k, v: unknown) => (k === 'createdAt' || k === 'timing' ? undefined : v));
  };

  test('writes the same run directory as the modules tsc wrote', () => {
    const bundled = run({});
    const modules = run({ PERPCARRY_BUNDLE: '0' });
    expect([...bundled.files.keys()]).toEqual([...modules.files.keys()]);
    expect(bundled.files.size).toBeGreaterThan(5);
    for (const [name, bytes] of bundled.files) {
      if (name === 'run.json') expect(stable(bytes)).toBe(stable(modules.files.get(name)));
      else expect(bytes, name).toBe(modules.files.get(name));
    }
    const summary = (s: string): unknown => (JSON.parse(s) as { summary: unknown }).summary;
    expect(summary(bundled.stdout)).toEqual(summary(modules.stdout));
  }, 120_000);
});
