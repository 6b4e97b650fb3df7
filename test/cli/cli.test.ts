import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../data/helpers.js';

const BIN = join(ROOT, 'bin', 'perpcarry.mjs');

/** Run the compiled CLI as a user would (non-TTY, so help wraps at 100 columns). */
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, COLUMNS: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('run `npx tsc -p .` first (npm test does)');
});

describe('perpcarry --help', () => {
  it('wraps at word boundaries (yargs ESM help cut "future/s." and "a/nd")', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('perpcarry <command> [options]');
    expect(r.stdout).toContain('Historical backtesting for funding-rate arbitrage on perpetual futures.\n');
    expect(r.stdout).toMatch(/bounds\s*\n\s+and help/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
  });
});
