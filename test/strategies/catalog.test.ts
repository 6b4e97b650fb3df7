import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { builtinFactories, formatStrategies, listingOf, paramRange } from '../../src/cli/commands/strategies.js';
import { parseWeights } from '../../strategies/ethena-style/index.js';
import { perpSymbolOn } from '../../strategies/cross-venue-spread/index.js';

const root = join(import.meta.dirname, '..', '..');
const MINE = ['cross-venue-spread', 'ethena-style', 'funding-threshold', 'reverse-carry'];

describe('built-in strategy catalog', () => {
  it('lists every folder under strategies/ with its factory name, params valid against their own bounds', async () => {
    const folders = readdirSync(join(root, 'strategies')).filter((d) => existsSync(join(root, 'strategies', d, 'index.ts'))).sort();
    const factories = await builtinFactories();
    expect(factories.map((f) => f.name)).toEqual(folders);
    for (const name of MINE) expect(folders).toContain(name);
    for (const f of factories) {
      expect(f.description.length).toBeGreaterThan(10);
      for (const [k, spec] of Object.entries(f.params)) {
        expect(spec.help.length, `${f.name}.${k} help`).toBeGreaterThan(5);
        if (spec.type === 'number' || spec.type === 'integer') {
          if (spec.min !== undefined) expect(spec.default, `${f.name}.${k}`).toBeGreaterThanOrEqual(spec.min);
          if (spec.max !== undefined) expect(spec.default, `${f.name}.${k}`).toBeLessThanOrEqual(spec.max);
        }
        if (spec.type === 'enum') expect(spec.values).toContain(spec.default);
      }
    }
  });

  it('formats a table with each param, its default, bounds and unit', async () => {
    const text = formatStrategies((await builtinFactories()).map(listingOf));
    expect(text).toMatch(/^funding-threshold {2}— {2}Delta-neutral carry/m);
    expect(text).toMatch(/ {2}entryApr +number +0\.1 +\[-10, 10\] +decimal APR \(simple\) +Enter when the signal is above this/);
    expect(text).toMatch(/ {2}signal +enum +mean +latest\|mean/);
    expect(text).toMatch(/ {2}weights +string +"" +/);
    expect(paramRange({ type: 'number', default: 1, min: 0, help: 'x' })).toBe('≥ 0');
    expect(paramRange({ type: 'integer', default: 1, max: 9, help: 'x' })).toBe('≤ 9');
    expect(paramRange({ type: 'boolean', default: true, help: 'x' })).toBe('');
  });

  it('`perpcarry strategies --json` prints the same listing from the built CLI', () => {
    const bin = join(root, 'bin', 'perpcarry.mjs');
    const r = spawnSync(process.execPath, [bin, 'strategies', '--json'], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; params: Record<string, { default: unknown }> }[];
    const byName = new Map(list.map((s) => [s.name, s]));
    for (const name of MINE) expect(byName.has(name), name).toBe(true);
    expect(byName.get('reverse-carry')!.params.borrowApr!.default).toBe(0.05);
    expect(byName.get('cross-venue-spread')!.params.lookbackHours!.default).toBe(24);
    const text = spawnSync(process.execPath, [bin, 'strategies'], { cwd: root, encoding: 'utf8' });
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('ethena-style  —  ');
  });
});

describe('helpers', () => {
  it('parseWeights: empty = equal, by name, by position; errors name the problem', () => {
    expect(parseWeights('', ['binance', 'bybit'])).toEqual([0.5, 0.5]);
    expect(parseWeights('binance:3,okx:1', ['binance', 'bybit', 'okx'])).toEqual([0.75, 0, 0.25]);
    expect(parseWeights('1,1,2', ['binance', 'bybit', 'okx'])).toEqual([0.25, 0.25, 0.5]);
    expect(() => parseWeights('kraken:1', ['binance'])).toThrow(/venue "kraken" which is not in the run/);
    expect(() => parseWeights('1,2', ['binance'])).toThrow(/2 weights for 1 venues/);
    expect(() => parseWeights('-1,2', ['binance', 'bybit'])).toThrow(/non-negative/);
    expect(() => parseWeights('0,0', ['binance', 'bybit'])).toThrow(/sum to zero/);
  });

  it('parseWeights: normalized weights are non-negative and sum to 1 (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 5 }).filter((a) => a.some((x) => x > 0)), (raw) => {
        const venues = raw.map((_, i) => `v${i}`);
        const w = parseWeights(raw.join(','), venues);
        expect(w.every((x) => x >= 0)).toBe(true);
        expect(Math.abs(w.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
        const byName = parseWeights(raw.map((x, i) => `v${i}:${x}`).join(','), venues);
        expect(byName).toEqual(w);
      }),
    );
  });

  it('perpSymbolOn maps Hyperliquid to its USDC perp', () => {
    expect(perpSymbolOn('binance', 'BTC/USDT')).toBe('BTC/USDT:USDT');
    expect(perpSymbolOn('hyperliquid', 'BTC/USDT')).toBe('BTC/USDC:USDC');
    expect(perpSymbolOn('bybit', 'ETH/USDT:USDT')).toBe('ETH/USDT:USDT');
  });
});
