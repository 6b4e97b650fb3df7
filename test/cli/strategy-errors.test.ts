/**
 * Errors that name the culprit, through the real CLI process: an exception in a user strategy's
 * hook is reported as the strategy's (file:line, hook, ctx.now, exit 1), a misspelled hook is an
 * error, param names are own properties only, and every warning of a run lands in run.log.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { spawnAsync, type Ran } from '../support/spawn.js';

const root = process.cwd();
const bin = join(root, 'bin', 'perpcarry.mjs');
const dir = mkdtempSync(join(tmpdir(), 'perpcarry-strategy-errors-'));

function cli(args: string[]): Promise<Ran> {
  return spawnAsync(process.execPath, [bin, ...args], { cwd: root });
}

const base = (file: string, out: string): string[] => ['backtest', '--strategy', file, '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--out', join(dir, out)];

/** A TypeScript strategy whose onBar throws on its 6th call; the throw is on line 9 of the file. */
const THROWING_TS = `import type { StrategyFactory } from 'perpcarry';
let n = 0;
const f: StrategyFactory = {
  name: 'boom', description: 'throws', params: {},
  universe: (i) => [{ venue: i.venues[0]!, symbol: i.symbol }],
  create: () => ({
    onBar(ctx) {
      n++;
      if (n === 6) throw new RangeError('kaboom ' + String(n));
    },
  }),
};
export default f;
`;

describe('strategy errors through the CLI', () => {
  test('an exception in a hook names the file and line, the hook and ctx.now; exit 1, nothing written', { timeout: 120_000 }, async () => {
    const file = join(dir, 'boom.ts');
    writeFileSync(file, THROWING_TS);
    const r = await cli(base(file, 'boom'));
    expect(r.code).toBe(1);
    // The window 2025-02-03 starts 2025-02-02T00:00Z; the 6th 1h spot bar closes at 06:00.
    expect(r.err).toMatch(new RegExp(`^perpcarry: strategy boom threw in onBar at ctx\\.now = 2025-02-02T06:00:00\\.000Z: RangeError: kaboom 6\\n  at ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:9:\\d+ \\(strategy code\\)\\n$`));
    expect(r.err).not.toContain('internal error');
    expect(existsSync(join(dir, 'boom'))).toBe(false);
  });

  test('a misspelled hook is an error naming the known hooks', { timeout: 120_000 }, async () => {
    const file = join(dir, 'typo.mjs');
    writeFileSync(file, `export default { name: 'typo', description: 'd', params: {}, universe: (i) => [{ venue: i.venues[0], symbol: i.symbol }], create: () => ({ onbar() {}, onFills() {} }) };\n`);
    const r = await cli(base(file, 'typo'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'perpcarry: strategy typo: unknown hook "onbar" (did you mean onBar?); unknown hook "onFills" (did you mean onFill?); the hooks are onStart, onBar, onFunding, onFill, onLiquidation, onAdl, onTimer, onReject, onHedgeBroken, onEnd\n',
    );
  });

  test('--param names are own properties of the schema: toString, constructor, __proto__ are unknown', { timeout: 120_000 }, async () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const r = await cli([...base('delta-neutral', 'p'), '--param', `${name}=1`]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`perpcarry: strategy delta-neutral: unknown param "${name}" (known: leverage, entryApr, exitApr, lookback, rebalanceBand, topUp, topUpRatio, minLiqDistance, marginMode, adlResponse)\n`);
    }
  });

  test('every warning goes to run.log; the terminal shows the first five and the path', { timeout: 120_000 }, async () => {
    const file = join(dir, 'chatty.mjs');
    writeFileSync(
      file,
      `export default { name: 'chatty', description: 'd', params: {}, universe: (i) => [{ venue: i.venues[0], symbol: i.symbol }],
  create: () => { let n = 0; return { onBar(ctx) { if (n < 12) ctx.log.warn('note ' + ++n); }, onEnd(ctx) { ctx.log.info('done after ' + n); } }; } };\n`,
    );
    const out = join(dir, 'chatty');
    const r = await cli(base(file, 'chatty'));
    expect(r.code).toBe(0);
    const shown = r.err.split('\n').filter((l) => l.startsWith('warning: '));
    expect(shown).toEqual([
      'warning: 2025-02-02T01:00:00.000Z note 1',
      'warning: 2025-02-02T02:00:00.000Z note 2',
      'warning: 2025-02-02T03:00:00.000Z note 3',
      'warning: 2025-02-02T04:00:00.000Z note 4',
      'warning: 2025-02-02T05:00:00.000Z note 5',
      `warning: … 7 more; all 12 in ${join(out, 'run.log')}`,
    ]);
    const log = readFileSync(join(out, 'run.log'), 'utf8').split('\n');
    expect(log[0]).toBe('# 12 warning(s)');
    expect(log.slice(1, 13)).toEqual(Array.from({ length: 12 }, (_, i) => `warning: 2025-02-02T${String(i + 1).padStart(2, '0')}:00:00.000Z note ${i + 1}`));
    expect(log[13]).toBe('# 13 log line(s) (strategy and engine, in order)');
    expect(log[14]).toBe('2025-02-02T01:00:00.000Z warn note 1');
    expect(log[26]).toBe('2025-02-05T00:00:00.000Z info done after 12');
  });
});
