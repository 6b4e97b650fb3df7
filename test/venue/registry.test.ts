/**
 * The model registry and venue profiles: every model param is validated with the schema mechanism
 * and a bad one names its run.json path; unknown keys too; a venue without a profile is an error
 * listing the known ones unless run.json supplies a full profile. The two reported cases (a
 * negative taker fee that earned +12,628 with exit 0; `"abc"` that made every metric n/a) are run
 * through the real CLI with `--config`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildModels, checkVenues } from '../../src/venue/registry.js';
import { VENUE_PROFILES, knownVenues, venueProfile } from '../../src/venue/venues/index.js';
import { DEFAULT_FEE_RATES } from '../../src/venue/fee.js';
import { DEFAULT_MARGIN_TIERS } from '../../src/venue/margin.js';
import { DEFAULT_LIQUIDATION_FEE_RATES } from '../../src/venue/liquidation.js';

describe('registry: every param validated, errors name the run.json path', () => {
  test('a negative taker fee is refused', () => {
    expect(() => buildModels({ fee: { params: { venues: { binance: { perp: { taker: -0.0005 } } } } } })).toThrow(/^models\.fee\.params\.venues\.binance\.perp\.taker: .*-0\.0005.*minimum 0/);
  });
  test('"abc" where a number belongs is refused', () => {
    expect(() => buildModels({ fee: { params: { venues: { binance: { spot: { maker: 'abc' } } } } } })).toThrow(/^models\.fee\.params\.venues\.binance\.spot\.maker: /);
    expect(() => buildModels({ slippage: { params: { bps: 'abc' } } })).toThrow(/^models\.slippage\.params\.bps: /);
    expect(() => buildModels({ interest: { params: { borrowApr: 'abc' } } })).toThrow(/^models\.interest\.params\.borrowApr: /);
    expect(() => buildModels({ margin: { params: { liquidationFeeRate: { binance: 'abc' } } } })).toThrow(/^models\.margin\.params\.liquidationFeeRate\.binance: /);
    expect(() => buildModels({ margin: { params: { tiers: { 'binance:BTC': [{ floor: 0, rate: 'abc' }] } } } })).toThrow(/^models\.margin\.params\.tiers\.binance:BTC\[0\]\.rate: /);
  });
  test('unknown keys are refused at every level, own properties only', () => {
    expect(() => buildModels({ fee: { params: { venues: { binance: { perp: { takr: 0.0004 } } } } } })).toThrow(/^models\.fee\.params\.venues\.binance\.perp\.takr: unknown/);
    expect(() => buildModels({ fee: { params: { default: {} } } })).toThrow(/^models\.fee\.params\.default: unknown/);
    expect(() => buildModels({ margin: { params: { defaultLiquidationFeeRate: 0.01 } } })).toThrow(/^models\.margin\.params\.defaultLiquidationFeeRate: unknown key/);
    expect(() => buildModels({ fees: {} } as never)).toThrow(/^models\.fees: unknown model/);
    expect(() => buildModels({ fee: { nmae: 'schedule' } } as never)).toThrow(/^models\.fee\.nmae: unknown key/);
    expect(() => buildModels(JSON.parse('{"slippage":{"params":{"__proto__":{"bps":5}}}}') as never)).toThrow(/^models\.slippage\.params\.__proto__: unknown/);
  });
  test('unknown model names list the available ones', () => {
    expect(() => buildModels({ fee: { name: 'flat' } })).toThrow('unknown fee model "flat" (available: schedule)');
    expect(() => buildModels({ slippage: { name: 'nope' } })).toThrow('unknown slippage model "nope" (available: fixed, volume, stress)');
  });
  test('tier tables: bad shapes and non-monotone tables name the table', () => {
    expect(() => buildModels({ margin: { params: { tiers: { 'binance:BTC': { floor: 0, rate: 0.01 } } } } })).toThrow(/^models\.margin\.params\.tiers\.binance:BTC: expected a list/);
    expect(() => buildModels({ margin: { params: { tiers: { 'binance:BTC': [{ floor: 0, rate: 0.02 }, { floor: 10, rate: 0.01 }] } } } })).toThrow(/models\.margin\.params\.tiers\.binance:BTC\[1\]: rates must not decrease/);
  });
  test('partial overrides merge over the profile; the rest keeps the profile values', () => {
    const m = buildModels({ fee: { params: { venues: { binance: { perp: { taker: 0.0004 } } } } } });
    expect(m.fee.rate('binance', 'perp', 'taker')).toBe(0.0004);
    expect(m.fee.rate('binance', 'perp', 'maker')).toBe(0.0002);
    expect(m.fee.rate('bybit', 'perp', 'taker')).toBe(0.00055);
    // A maker rebate is allowed (down to −0.1 %).
    expect(buildModels({ fee: { params: { venues: { okx: { perp: { maker: -0.00005 } } } } } }).fee.rate('okx', 'perp', 'maker')).toBe(-0.00005);
  });
  test('the resolved models (run.json) rebuild to the same models', () => {
    const a = buildModels({ slippage: { name: 'volume', params: { bps: 2 } }, interest: { params: { lendApr: 0.03 } } });
    const b = buildModels({
      fee: a.resolved.fee as never,
      slippage: a.resolved.slippage as never,
      margin: a.resolved.margin as never,
      interest: a.resolved.interest as never,
    });
    expect(b.resolved).toEqual(a.resolved);
  });
});

describe('venue profiles', () => {
  test('the four profiles feed the model defaults', () => {
    expect(knownVenues()).toEqual(['binance', 'bybit', 'hyperliquid', 'okx']);
    expect(DEFAULT_FEE_RATES['bybit']).toEqual({ spot: { maker: 0.001, taker: 0.001 }, perp: { maker: 0.0002, taker: 0.00055 } });
    expect(Object.keys(DEFAULT_MARGIN_TIERS)).toEqual(['binance:BTC', 'binance:ETH', 'bybit:BTC', 'bybit:ETH', 'okx:BTC', 'okx:ETH']);
    expect(DEFAULT_LIQUIDATION_FEE_RATES).toEqual({ binance: 0.0125, bybit: 0.005, okx: 0.005, hyperliquid: 0.005 });
    expect(VENUE_PROFILES['hyperliquid']!.funding.intervalsHours).toEqual([1]);
    expect(VENUE_PROFILES['okx']!.funding.ratePeriod).toBe('previous');
  });
  test('a venue without a profile is an error listing the known ones', () => {
    expect(() => venueProfile('kraken')).toThrow('venue "kraken" has no profile (known: binance, bybit, hyperliquid, okx)');
    expect(() => checkVenues(['binance', 'kraken'])).toThrow('venue "kraken" has no profile (known: binance, bybit, hyperliquid, okx)');
    expect(() => venueProfile('toString')).toThrow('venue "toString" has no profile');
  });
  test('…unless run.json supplies a full profile (fees and liquidation fee); half a profile is named', () => {
    const fees = { venues: { kraken: { spot: { maker: 0.0016, taker: 0.0026 }, perp: { maker: 0.0002, taker: 0.0005 } } } };
    const margin = { liquidationFeeRate: { kraken: 0.005 } };
    expect(() => checkVenues(['kraken'], { fee: { params: fees }, margin: { params: margin } })).not.toThrow();
    const m = buildModels({ fee: { params: fees }, margin: { params: margin } });
    expect(m.fee.rate('kraken', 'spot', 'taker')).toBe(0.0026);
    expect(m.margin.liquidationFeeRate('kraken')).toBe(0.005);
    expect(() => checkVenues(['kraken'], { fee: { params: fees } })).toThrow('missing models.margin.params.liquidationFeeRate.kraken');
    // A custom venue's fees must be complete: there is no profile to fill them in.
    expect(() => buildModels({ fee: { params: { venues: { kraken: { perp: { maker: 0, taker: 0.0005 } } } } } })).toThrow(/^models\.fee\.params\.venues\.kraken\.spot\.maker: /);
  });
});

describe('through the CLI with --config run.json', () => {
  const root = process.cwd();
  const bin = join(root, 'bin', 'perpcarry.mjs');
  const cli = (args: string[]): { code: number; out: string; err: string } => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  };
  const dir = mkdtempSync(join(tmpdir(), 'perpcarry-registry-'));
  const base = ['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--no-report'];

  test('a negative taker fee and "abc" are exit 1 naming the path', { timeout: 120_000 }, () => {
    const ok = cli([...base, '--out', join(dir, 'ok')]);
    expect(ok.code).toBe(0);
    const runJson = JSON.parse(readFileSync(join(dir, 'ok', 'run.json'), 'utf8')) as { models: { fee: { params: { venues: Record<string, { perp: { taker: unknown } }> } } } };
    runJson.models.fee.params.venues['binance']!.perp.taker = -0.0005;
    writeFileSync(join(dir, 'neg.json'), JSON.stringify(runJson));
    const neg = cli(['backtest', '--config', join(dir, 'neg.json'), '--out', join(dir, 'neg'), '--no-report']);
    expect(neg.code).toBe(1);
    expect(neg.err).toMatch(/models\.fee\.params\.venues\.binance\.perp\.taker: .*minimum 0/);
    runJson.models.fee.params.venues['binance']!.perp.taker = 'abc';
    writeFileSync(join(dir, 'abc.json'), JSON.stringify(runJson));
    const abc = cli(['backtest', '--config', join(dir, 'abc.json'), '--out', join(dir, 'abc'), '--no-report']);
    expect(abc.code).toBe(1);
    expect(abc.err).toContain('models.fee.params.venues.binance.perp.taker');
  });
});
