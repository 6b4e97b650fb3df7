import { describe, expect, expectTypeOf, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { boolean, checkSchema, describe as describeSchema, enumOf, integer, number, object, oneOf, parse, parseFields, record, string, type Infer, type SchemaError } from '../../src/core/schema.js';

const fee = object({
  venues: record(
    object({
      spot: object({ maker: number({ default: 0.001, min: 0, help: 'spot maker' }), taker: number({ default: 0.001, min: 0, help: 'spot taker' }) }),
      perp: object({ maker: number({ default: 0.0002, min: 0, max: 0.01, help: 'perp maker' }), taker: number({ default: 0.0005, min: 0, max: 0.01, help: 'perp taker' }) }),
    }),
    { keys: ['binance', 'bybit', 'okx', 'hyperliquid'] },
  ),
  mode: enumOf(['schedule', 'flat'], { default: 'schedule', help: 'fee mode' }),
  tier: integer({ default: 0, min: 0, max: 9, help: 'VIP tier' }),
  bnb: boolean({ default: false, help: 'BNB discount' }),
  note: string({ optional: true, help: 'free text' }),
});

describe('schema parse', () => {
  it('applies defaults at every depth and returns a fresh object', () => {
    const raw = { venues: { binance: { perp: { taker: '0.0004' } } } };
    const p = parse(fee, raw, 'models.fee.params');
    expect(p).toEqual({
      venues: { binance: { spot: { maker: 0.001, taker: 0.001 }, perp: { maker: 0.0002, taker: 0.0004 } } },
      mode: 'schedule',
      tier: 0,
      bnb: false,
      note: undefined,
    });
    expect(raw).toEqual({ venues: { binance: { perp: { taker: '0.0004' } } } });
    expect(parse(fee, undefined).venues).toEqual({});
  });

  it('errors carry the full dotted path', () => {
    const bad = (raw: unknown, msg: string) => {
      let m = '(no error)';
      try {
        parse(fee, raw, 'models.fee.params');
      } catch (e) {
        m = (e as Error).message;
      }
      expect(m).toBe(msg);
    };
    bad({ venues: { binance: { perp: { taker: 0.5 } } } }, 'models.fee.params.venues.binance.perp.taker: 0.5 is above the maximum 0.01');
    bad({ venues: { binance: { perp: { taker: -1 } } } }, 'models.fee.params.venues.binance.perp.taker: -1 is below the minimum 0');
    bad({ venues: { binance: { perp: { takr: 1 } } } }, 'models.fee.params.venues.binance.perp.takr: unknown key (known: maker, taker)');
    bad({ venues: { binanse: {} } }, 'models.fee.params.venues.binanse: unknown key (known: binance, bybit, okx, hyperliquid)');
    bad({ venues: { binance: { perp: { taker: '0x10' } } } }, 'models.fee.params.venues.binance.perp.taker: "0x10" is not a number (perp taker)');
    bad({ venues: { binance: 3 } }, 'models.fee.params.venues.binance: expected an object, got 3');
    bad({ venues: [] }, 'models.fee.params.venues: expected an object, got an array');
    bad({ mode: 'x' }, 'models.fee.params.mode: "x" is not one of schedule, flat');
    bad({ tier: 1.5 }, 'models.fee.params.tier: 1.5 is not an integer');
    bad({ bnb: 'maybe' }, 'models.fee.params.bnb: "maybe" is not a boolean (true/false)');
    const e = (() => {
      try {
        parse(fee, { tier: 99 }, 'models.fee.params');
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(UserError);
    expect((e as SchemaError).path).toBe('models.fee.params.tier');
    expect((e as SchemaError).exitCode).toBe(1);
  });

  it('looks keys up as own properties only', () => {
    for (const k of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__']) {
      const raw = JSON.parse(`{"${k}": 1}`) as unknown;
      expect(() => parse(fee, raw, 'p')).toThrow(`p.${k}: unknown key (known: venues, mode, tier, bnb, note)`);
      expect(() => parse(fee, { venues: JSON.parse(`{"${k}": {}}`) as unknown }, 'p')).toThrow(`p.venues.${k}: unknown key`);
    }
    // An open record takes any key, `__proto__` included, as an own data property.
    const open = record(number({ help: 'x' }));
    const v = parse(open, JSON.parse('{"__proto__": 2, "a": 1}') as unknown);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toBe(2);
  });

  it('required and optional keys', () => {
    const s = object({ a: number({ help: 'needed' }), b: number({ help: 'maybe', optional: true }) });
    expect(() => parse(s, {}, 'x')).toThrow('x.a: missing (needed)');
    expect(parse(s, { a: '2' })).toEqual({ a: 2, b: undefined });
    expect(parseFields({ k: number({ default: 1, help: 'k' }) }, { k: 3 })).toEqual({ k: 3 });
  });

  it('infers value types', () => {
    type Fee = Infer<typeof fee>;
    expectTypeOf<Fee['venues']['binance']>().toEqualTypeOf<{ spot: { maker: number; taker: number }; perp: { maker: number; taker: number } }>();
    expectTypeOf<keyof Fee['venues']>().toEqualTypeOf<string>();
    expectTypeOf<Fee['mode']>().toEqualTypeOf<'schedule' | 'flat'>();
    expectTypeOf<Fee['tier']>().toEqualTypeOf<number>();
    expectTypeOf<Fee['bnb']>().toEqualTypeOf<boolean>();
    expectTypeOf<Fee['note']>().toEqualTypeOf<string | undefined>();
    const _o = oneOf(['x', 'y'], { default: 'y', help: 'h' });
    expectTypeOf<Infer<typeof _o>>().toEqualTypeOf<'x' | 'y'>();
    const _plain = { type: 'number', default: 1, help: 'plain object form' } as const;
    expectTypeOf<Infer<typeof _plain>>().toEqualTypeOf<number>();
  });

  it('checkSchema reports malformed plain-object schemas with paths', () => {
    expect(checkSchema(fee)).toEqual([]);
    expect(checkSchema({ type: 'object', fields: { a: { type: 'number', help: 'a', default: 'x' }, b: { type: 'nope' }, c: { type: 'enum', values: [], help: 'c' } } })).toEqual([
      'a: default: "x" is not a number (a)',
      'b: unknown type "nope"',
      'c: values must be a non-empty list of strings',
    ]);
    expect(() => enumOf(['a'], { default: 'b' as 'a', help: 'h' })).toThrow('enumOf: default "b" is not one of a');
  });

  it('describe prints one line per leaf', () => {
    expect(describeSchema(object({ v: record(object({ t: number({ default: 1, min: 0, unit: 'bps', help: 'taker' }) }), { keys: ['a', 'b'] }) }))).toEqual(['v.{a|b}.t (number, default 1, 0.., bps): taker']);
  });

  it('builders print as plain JSON', () => {
    expect(JSON.parse(JSON.stringify(number({ default: 2, min: 0.1, unit: 'x', help: 'lev' })))).toEqual({ type: 'number', default: 2, min: 0.1, unit: 'x', help: 'lev' });
  });
});
