import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'perpcarry.mjs');
const WINDOW = ['--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03'];

/** Run the built CLI (npm test compiles dist/ first). */
function cli(args: string[], cwd = root) {
  return spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, PERPCARRY_DATA_DIR: join(root, 'data') } });
}

describe('user strategies loaded from a path', () => {
  it('the README example runs as written: perpcarry backtest --strategy ./examples/my-strategy.ts', () => {
    const out = mkdtempSync(join(tmpdir(), 'perpcarry-user-'));
    const r = cli(['backtest', '--strategy', './examples/my-strategy.ts', ...WINDOW, '--out', join(out, 'run'), '--no-report', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { summary } = JSON.parse(r.stdout) as { summary: { strategy: string; metrics: { tradeCount: number; finalEquity: number }; pnl: { total: number } } };
    expect(summary.strategy).toBe('my-carry');
    // Pinned: it hedges once when trailing funding clears 5 % APR and unwinds when it drops (4 fills).
    expect(summary.metrics.tradeCount).toBe(4);
    expect(summary.metrics.finalEquity).toBeCloseTo(99829.19, 2);
    const run = JSON.parse(readFileSync(join(out, 'run', 'run.json'), 'utf8')) as { strategy: { source: string } };
    expect(run.strategy.source).toBe(join(root, 'examples', 'my-strategy.ts'));
  });

  it('the example is self-contained: a copy outside the repo runs too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perpcarry-user-copy-'));
    copyFileSync(join(root, 'examples', 'my-strategy.ts'), join(dir, 'my-strategy.ts'));
    // Loaded as CommonJS (no package.json says "module"): 'perpcarry' is not installed there, and the error says what to do.
    let r = cli(['backtest', '--strategy', './my-strategy.ts', ...WINDOW, '--out', join(dir, 'run'), '--no-report', '--json'], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`put {"type": "module"} in a package.json beside it, rename it .mts, or npm install perpcarry there`);
    // As ESM, `import … from 'perpcarry'` binds to the running installation, with no perpcarry installed there.
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    r = cli(['backtest', '--strategy', './my-strategy.ts', ...WINDOW, '--out', join(dir, 'run'), '--no-report', '--json'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    expect((JSON.parse(r.stdout) as { summary: { metrics: { tradeCount: number } } }).summary.metrics.tradeCount).toBe(4);
  });

  it('the README shows the example verbatim', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain(readFileSync(join(root, 'examples', 'my-strategy.ts'), 'utf8').trim());
  });

  const bad = (name: string, text: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'perpcarry-bad-'));
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it.each([
    ['a file with a syntax error', bad('syntax.ts', 'export default {\n'), /strategy .*syntax\.ts failed to load: [\s\S]*Expected identifier but found end of file/],
    ['a file that throws while loading', bad('throws.mjs', 'throw new Error("boom at import");\n'), /strategy .*throws\.mjs failed to load: boom at import/],
    ['a file with no default export', bad('nodefault.mjs', 'export const x = 1;\n'), /nodefault\.mjs: no default export \(expected `export default \{ name, description, params, universe, create \}`\)/],
    ['a default export that is not a factory', bad('nofactory.ts', "export default { name: 'x', description: 'd', params: {} };\n"), /nofactory\.ts: default export is not a valid strategy factory: universe\(input\) must be a function; create\(params\) must be a function/],
    ['a missing file', join(tmpdir(), 'perpcarry-no-such-dir', 'missing.ts'), /strategy file not found: .*missing\.ts/],
  ])('%s gives a clear error and a non-zero exit, writing nothing', (_what, file, message) => {
    const out = join(mkdtempSync(join(tmpdir(), 'perpcarry-bad-out-')), 'run');
    const r = cli(['backtest', '--strategy', file, ...WINDOW, '--out', out, '--no-report']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^perpcarry: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/internal error| {4}at /);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});
