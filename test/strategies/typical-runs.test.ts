/**
 * Every documented "typical run" trades on the window it names: each row of the table in
 * docs/strategies.md, and the README's own-strategy example command, run through the real CLI on
 * the bundled data. A documented run that makes no trade teaches nothing (the README example with
 * `minApr=0.08` and funding-threshold's old typical run made none on their windows).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnAsync } from '../support/spawn.js';
import { documentedRuns } from '../support/documented-runs.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'perpcarry.mjs');
const out = mkdtempSync(join(tmpdir(), 'perpcarry-typical-'));

/** The `npx perpcarry backtest --strategy ./examples/my-strategy.ts …` command of README.md's sh block. */
function readmeExampleArgs(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const sh = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ' ')).join('\n');
  const line = sh.split('\n').find((l) => l.startsWith('npx perpcarry backtest --strategy ./examples/my-strategy.ts'));
  if (line === undefined) throw new Error('README.md: no sh block runs ./examples/my-strategy.ts');
  return line.replace(/^npx perpcarry /, '').trim().split(/\s+/);
}

async function trades(args: string[], name: string): Promise<{ code: number; trades: number; err: string }> {
  const r = await spawnAsync(process.execPath, [bin, ...args, '--json', '--out', join(out, name)], { cwd: root, env: { ...process.env, PERPCARRY_DATA_DIR: join(root, 'data') } });
  if (r.code !== 0) return { code: r.code, trades: NaN, err: r.err };
  const { summary } = JSON.parse(r.out) as { summary: { metrics: { tradeCount: number } } };
  return { code: 0, trades: summary.metrics.tradeCount, err: r.err };
}

describe('documented typical runs trade', () => {
  const runs = documentedRuns();

  it('the table lists every built-in strategy once', () => {
    const builtins = readdirSync(join(root, 'strategies'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(runs.map(([name]) => name).sort()).toEqual(builtins);
  });

  it.each(documentedRuns())('%s', { timeout: 180_000 }, async (name, args) => {
    const r = await trades(['backtest', '--strategy', name, ...args], name);
    expect(r.code, r.err).toBe(0);
    expect(r.trades).toBeGreaterThan(0);
  });

  it('the README example command', { timeout: 180_000 }, async () => {
    const args = readmeExampleArgs();
    expect(args.slice(0, 3)).toEqual(['backtest', '--strategy', './examples/my-strategy.ts']);
    expect(args).toContain('--param');
    const r = await trades(args, 'readme-example');
    expect(r.code, r.err).toBe(0);
    expect(r.trades).toBe(4);
  });
});
