/** Strategy registry and parameter parsing. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { builtinDirectory, loadStrategy, locateBuiltins, validateFactory } from '../../src/strategy/registry.js';
import { UserError } from '../../src/core/errors.js';
import { parseParamArgs, resolveParams, resolveStrategyParams } from '../../src/strategy/params.js';
import type { ParamSchema } from '../../src/strategy/types.js';

describe('registry', () => {
  test('resolves built-ins by name (from sources under vitest)', async () => {
    const dn = await loadStrategy('delta-neutral');
    expect(dn.factory.name).toBe('delta-neutral');
    expect(dn.builtin).toBe(true);
    const hp = await loadStrategy('hold-perp');
    expect(Object.keys(hp.factory.params)).toEqual(['side', 'leverage']);
  });
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  test('built-ins come from <root>/strategies/*.ts under vitest, dist/strategies/*.js when compiled', () => {
    expect(builtinDirectory()).toBe(join(root, 'strategies'));
    expect(locateBuiltins(join(root, 'src', 'strategy'))).toEqual({ root, dir: join(root, 'strategies'), file: 'index.ts' });
    expect(locateBuiltins(join(root, 'dist', 'src', 'strategy'))).toEqual({ root, dir: join(root, 'dist', 'strategies'), file: 'index.js' });
  });
  test('the root is the package.json named perpcarry, whatever the depth of the module', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'perpcarry-registry-'));
    writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'perpcarry' }));
    // A nested package.json of another name (e.g. a vendored dependency) is walked past.
    mkdirSync(join(tmp, 'lib', 'vendor', 'x', 'y'), { recursive: true });
    writeFileSync(join(tmp, 'lib', 'vendor', 'package.json'), JSON.stringify({ name: 'other' }));
    expect(locateBuiltins(join(tmp, 'lib', 'vendor', 'x', 'y'))).toEqual({ root: tmp, dir: join(tmp, 'strategies'), file: 'index.ts' });
    expect(locateBuiltins(join(tmp, 'dist'))).toEqual({ root: tmp, dir: join(tmp, 'dist', 'strategies'), file: 'index.js' });
    // A fixed ../.. from one level under the root would have pointed above it.
    expect(locateBuiltins(join(tmp, 'src')).dir).toBe(join(tmp, 'strategies'));
    const lone = mkdtempSync(join(tmpdir(), 'no-package-'));
    expect(() => locateBuiltins(lone)).toThrow(`no package.json named "perpcarry" above ${lone}`);
  });
  test('unknown names and bad exports are clear errors', async () => {
    await expect(loadStrategy('nope')).rejects.toThrow(/unknown strategy "nope": not a built-in \(.*delta-neutral, .*hold-perp/);
    await expect(loadStrategy('./does/not/exist.ts')).rejects.toThrow('strategy file not found');
    expect(() => validateFactory({}, 'x.js')).toThrow('x.js: no default export');
    expect(() => validateFactory({ default: { name: 'ok', description: 'd', params: { a: { type: 'number', default: 1 } }, universe: () => [], create: () => ({}) } }, 'y.js')).toThrow('params.a: help text missing');
  });
});

describe('params', () => {
  const schema: ParamSchema = {
    lev: { type: 'number', default: 2, min: 0.1, max: 20, unit: '×', help: 'leverage' },
    n: { type: 'integer', default: 9, min: 1, help: 'count' },
    on: { type: 'boolean', default: true, help: 'flag' },
    mode: { type: 'enum', default: 'cross', values: ['cross', 'isolated'], help: 'mode' },
  };
  test('defaults, coercion from strings', () => {
    expect(resolveParams(schema, {}, 's')).toEqual({ lev: 2, n: 9, on: true, mode: 'cross' });
    expect(resolveParams(schema, parseParamArgs(['lev=3.5', 'n=4', 'on=false', 'mode=isolated']), 's')).toEqual({ lev: 3.5, n: 4, on: false, mode: 'isolated' });
  });
  test('errors name the param and the rule', () => {
    expect(() => resolveParams(schema, { lev: '50' }, 's')).toThrow('strategy s: param "lev": 50 is above the maximum 20 ×');
    expect(() => resolveParams(schema, { n: '1.5' }, 's')).toThrow('param "n": 1.5 is not an integer');
    expect(() => resolveParams(schema, { on: 'maybe' }, 's')).toThrow('param "on": "maybe" is not a boolean');
    expect(() => resolveParams(schema, { mode: 'x' }, 's')).toThrow('param "mode": "x" is not one of cross, isolated');
    expect(() => resolveParams(schema, { levv: 1 }, 's')).toThrow('unknown param "levv" (known: lev, n, on, mode)');
    expect(() => parseParamArgs(['novalue'])).toThrow('--param "novalue": expected name=value');
    // Own-property lookups only: names on Object.prototype are unknown params, not found through the prototype chain.
    for (const k of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
      expect(() => resolveParams(schema, parseParamArgs([`${k}=1`]), 's')).toThrow(`strategy s: unknown param "${k}" (known: lev, n, on, mode)`);
    }
    // Decimal notation only (Number() would take these).
    for (const bad of ['0x10', '0b1', ' ', 'Infinity', '1,5']) expect(() => resolveParams(schema, { lev: bad }, 's')).toThrow(`param "lev": "${bad}" is not a number`);
    expect(resolveParams(schema, { lev: '+.5' }, 's').lev).toBe(0.5);
    expect(resolveParams(schema, { lev: '1e1' }, 's').lev).toBe(10);
  });
  test('cross-param checks: every problem listed with the given params; a throwing check is reported, not crashed on', () => {
    const f = {
      name: 'x',
      params: { lo: { type: 'number', default: 1, help: 'low' }, hi: { type: 'number', default: 2, help: 'high' } } as ParamSchema,
      validateParams: (p: Record<string, unknown>) => (Number(p.lo) > Number(p.hi) ? [`lo (${String(p.lo)}) must not exceed hi (${String(p.hi)})`] : []),
    };
    expect(resolveStrategyParams(f, { lo: '1.5' })).toEqual({ lo: 1.5, hi: 2 });
    expect(() => resolveStrategyParams(f, { lo: '3' })).toThrow(new UserError('strategy x: invalid params: lo (3) must not exceed hi (2) (given: lo=3)'));
    const g = { ...f, params: { ...f.params, lo: { type: 'number', default: 5, help: 'low' } } as ParamSchema };
    expect(() => resolveStrategyParams(g, {})).toThrow('strategy x: invalid params: lo (5) must not exceed hi (2) (the defaults)');
    const h = { ...f, validateParams: () => { throw new Error('boom'); } };
    expect(() => resolveStrategyParams(h, {})).toThrow(new UserError('strategy x: invalid params: validateParams threw Error: boom (the defaults)'));
  });
});
