/**
 * The byte-level number readers of the CSV fast lane (src/data/import/decimal.ts) against
 * `Number(text)`: whatever they accept they read to the identical double (−0 included), and they
 * accept every plain decimal whose digits form an integer below 2^53 with ≤ 22 decimals (so the
 * fast lane covers what real files hold: Binance prices, 8-decimal quantities, epoch ms/µs).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteNumberReader, parseEpochDigits, parsePlainDecimal } from '../../../src/data/import/decimal.js';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const decimal = (s: string): number => parsePlainDecimal(bytes(s), 0, s.length);
const TWO_POW_53 = 2n ** 53n;

/** Plain decimals: sign, integer digits (leading zeros too), optional dot and decimals. */
const plainDecimal = fc
  .record({
    sign: fc.constantFrom('', '-', '+'),
    int: fc.stringMatching(/^[0-9]{0,20}$/),
    dot: fc.boolean(),
    frac: fc.stringMatching(/^[0-9]{0,26}$/),
  })
  .map(({ sign, int, dot, frac }) => `${sign}${int}${dot ? `.${frac}` : ''}`);

/** Whether the fast path must accept `s` (a plainDecimal): a digit, digits < 2^53, ≤ 22 decimals. */
function mustAccept(s: string): boolean {
  const body = s.replace(/^[-+]/, '');
  const [int = '', frac = ''] = body.split('.');
  const digits = int + frac;
  return digits.length > 0 && BigInt(digits) < TWO_POW_53 && frac.length <= 22;
}

describe('parsePlainDecimal = Number(text)', () => {
  it('property: generated plain decimals read to Number(text), declined only past 2^53 digits or 22 decimals', () => {
    fc.assert(
      fc.property(plainDecimal, (s) => {
        const v = decimal(s);
        if (mustAccept(s)) expect(Object.is(v, Number(s)), s).toBe(true);
        else expect(v, s).toBeNaN();
      }),
      { numRuns: 20_000, seed: 1201 },
    );
  });

  it('property: doubles printed with 0–20 decimals (toFixed) and as JavaScript prints them', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 20 }), (x, k) => {
        for (const s of [x.toFixed(k), String(x)]) {
          const v = decimal(s);
          // String(x) may use an exponent (1e-7): declined, never misread.
          if (!Number.isNaN(v)) expect(Object.is(v, Number(s)), s).toBe(true);
          else expect(/e/i.test(s) || !mustAccept(s), s).toBe(true);
        }
      }),
      { numRuns: 20_000, seed: 1202 },
    );
  });

  it('property: any text over a number-like alphabet is Number(text) or declined', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[-+0-9.eE ,x]{0,12}$/), (s) => {
        const v = decimal(s);
        if (!Number.isNaN(v)) {
          expect(/^[-+]?(\d+\.?\d*|\.\d+)$/.test(s), s).toBe(true);
          expect(Object.is(v, Number(s)), s).toBe(true);
        }
      }),
      { numRuns: 20_000, seed: 1203 },
    );
  });

  it('hand-picked edges', () => {
    const accepted: [string, number][] = [
      ['0', 0], ['-0', -0], ['-0.000', -0], ['+7', 7], ['.5', 0.5], ['-.5', -0.5], ['5.', 5],
      ['40026.20616194', 40026.20616194], ['0.1', 0.1], ['9007199254740991', 2 ** 53 - 1],
      ['0.0000000000000000000001', 1e-22], ['00000000000000000000001.5', 1.5],
    ];
    for (const [s, want] of accepted) expect(Object.is(decimal(s), want), s).toBe(true);
    for (const s of ['', '-', '+', '.', '-.', '1e5', '1.2.3', ' 1', '1 ', 'NaN', 'Infinity', '0x10', '1,5', '9007199254740992', '0.00000000000000000000001']) {
      expect(decimal(s), JSON.stringify(s)).toBeNaN();
    }
  });

  it('stops at the first byte that cannot continue the number and says where', () => {
    const r = new ByteNumberReader();
    const b = bytes('x,-12.5,7\n');
    expect(r.decimal(b, 2, b.length)).toBe(-12.5);
    expect(r.end).toBe(7);
    expect(r.decimal(b, 8, b.length)).toBe(7);
    expect(r.end).toBe(9);
    expect(r.decimal(b, 1, b.length)).toBeNaN(); // "," starts no number
    expect(r.end).toBe(1);
  });
});

describe('parseEpochDigits = Number(text)', () => {
  it('property: 1–16 digits below 2^53 read exactly; more digits, 2^53 and up, or other bytes declined', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,20}$/), (s) => {
        const v = parseEpochDigits(bytes(s), 0, s.length);
        if (s.length <= 16 && BigInt(s) < TWO_POW_53) expect(v, s).toBe(Number(s));
        else expect(v, s).toBe(-1);
      }),
      { numRuns: 20_000, seed: 1204 },
    );
    for (const s of ['', '-5', '1.5', '17360735400001 ', '2025-01-01']) expect(parseEpochDigits(bytes(s), 0, s.length), s).toBe(-1);
    expect(parseEpochDigits(bytes('1736073540000'), 0, 13)).toBe(1736073540000);
    expect(parseEpochDigits(bytes('1735689600000000'), 0, 16)).toBe(1735689600000000);
  });
});
