/** The one display format: hand-written expected strings for every unit and date helper. */
import { describe, expect, it } from 'vitest';
import { fmt, fmtElapsed, fmtSigned, isoDay, isoMonth, isoTime, isoWindow } from '../../src/analysis/display.js';

describe('fmt: one rule per unit', () => {
  it('money: 2 decimals, thousands separators, no sign on a rounded zero', () => {
    expect(fmt(1234567.891, 'usd')).toBe('1,234,567.89');
    expect(fmt(-189.444, 'usd')).toBe('-189.44');
    expect(fmt(-0.004, 'usd')).toBe('0.00');
    expect(fmt(0, 'usd')).toBe('0.00');
  });
  it('percent: 2 decimals of the fraction × 100', () => {
    expect(fmt(0.123456, 'pct')).toBe('12.35%');
    expect(fmt(-0.0005, 'pct')).toBe('-0.05%');
    expect(fmt(0.00004, 'pct')).toBe('0.00%');
    expect(fmt(12.5, 'pct')).toBe('1,250.00%');
  });
  it('bps 1 decimal, ratio 2, hours 1, int with separators, num 6 significant digits', () => {
    expect(fmt(-35.04, 'bps')).toBe('-35.0 bp');
    expect(fmt(-12.674, 'ratio')).toBe('-12.67');
    expect(fmt(6024, 'hours')).toBe('6,024.0 h');
    expect(fmt(525600, 'int')).toBe('525,600');
    expect(fmt(97123.456, 'num')).toBe('97,123.5');
    expect(fmt(0.0123456789, 'num')).toBe('0.0123457');
  });
  it('undefined and infinite values', () => {
    expect(fmt(null, 'usd')).toBe('–');
    expect(fmt(NaN, 'pct')).toBe('–');
    expect(fmt(Infinity, 'ratio')).toBe('∞');
    expect(fmt(-Infinity, 'ratio')).toBe('−∞');
  });
  it('signed: + only on values that do not print as zero', () => {
    expect(fmtSigned(19.654, 'usd')).toBe('+19.65');
    expect(fmtSigned(-19.654, 'usd')).toBe('-19.65');
    expect(fmtSigned(0.001, 'usd')).toBe('0.00');
    expect(fmtSigned(0.0123, 'pct')).toBe('+1.23%');
  });
});

describe('dates: UTC ISO 8601', () => {
  const t = Date.UTC(2025, 1, 3, 14, 0);
  it('instants to the minute with Z, seconds and ms only when present', () => {
    expect(isoTime(t)).toBe('2025-02-03T14:00Z');
    expect(isoTime(t + 5_000)).toBe('2025-02-03T14:00:05Z');
    expect(isoTime(t + 5_123)).toBe('2025-02-03T14:00:05.123Z');
    expect(isoTime(null)).toBe('–');
  });
  it('days, months and windows', () => {
    expect(isoDay(t)).toBe('2025-02-03');
    expect(isoMonth(t)).toBe('2025-02');
    expect(isoWindow(Date.UTC(2025, 1, 2), Date.UTC(2025, 1, 5))).toBe('2025-02-02T00:00Z → 2025-02-05T00:00Z');
  });
  it('elapsed durations', () => {
    expect(fmtElapsed(0)).toBe('+0d 00:00');
    expect(fmtElapsed((2 * 24 + 4) * 3_600_000 + 30 * 60_000)).toBe('+2d 04:30');
    expect(fmtElapsed(-90 * 60_000)).toBe('−0d 01:30');
  });
});
