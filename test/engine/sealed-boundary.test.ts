/**
 * The sealed strategy boundary (issue 9): a probe strategy HUNTS through everything a hook is
 * handed — ctx, its views, every event, every value a view method returns, their prototypes,
 * getters, symbol and non-enumerable keys, typed arrays — and fails on
 *  - any number that encodes a time after `ctx.now` (the synthetic prices below encode the time
 *    they become known, so a leaked future value is recognisable wherever it turns up), and
 *  - any successful write to what it can reach (assign to every property, push into returned
 *    arrays, write into typed arrays, reassign methods, write `ctx.now`).
 */
import { describe, expect, test } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import type { Instrument, Strategy, StrategyContext, StrategyFactory } from '../../src/strategy/types.js';
import { tempDataDir, writeBars, writeFunding } from '../support/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 5, 1);
const N = 24;

/**
 * Encodings. Bar k (k = 1..N) is delivered at T0 + k·H: high/low/close/volume encode k
 * (`base + k + tag`, integer part k), the open encodes k − 1 (it is known at the bar's open time,
 * fraction .5). Funding rows at T0 + h·H: rate 3.1e-4 + h·1e-7, mark_price 23000 + h.
 */
const BASES = { spot: 11_000, perp: 13_000, mark: 17_000, index: 19_000, spotVol: 60_000, perpVol: 62_000 } as const;
const RATE0 = 3.1e-4;
const FUND_MARK0 = 23_000;

function encodedBars(base: number, volBase: number | null): number[][] {
  const rows: number[][] = [];
  for (let j = 0; j < N; j++) {
    const k = j + 1;
    const row = [base + k + 0.5, base + k + 0.9, base + k + 0.1, base + k + 0.6];
    if (volBase !== null) row.push(volBase + k + 0.3);
    rows.push(row);
  }
  return rows;
}

/** The time a number encodes, or NaN if it encodes none. */
function encodedTime(x: number): number {
  if (!Number.isFinite(x)) return NaN;
  if (x >= T0 - 60 * 86_400_000 && x <= T0 + 366 * 86_400_000) return x; // a timestamp
  for (const b of [BASES.spot, BASES.perp, BASES.mark, BASES.index]) {
    if (x >= b && x < b + N + 2) {
      const k = Math.floor(x - b);
      const frac = x - b - k;
      return T0 + (Math.abs(frac - 0.5) < 1e-6 ? k - 1 : k) * H;
    }
  }
  for (const b of [BASES.spotVol, BASES.perpVol]) if (x >= b && x < b + N + 2) return T0 + Math.floor(x - b) * H;
  if (x >= FUND_MARK0 - 20 && x < FUND_MARK0 + N + 2) return T0 + Math.round(x - FUND_MARK0) * H;
  if (x >= RATE0 - 20e-7 && x < RATE0 + (N + 2) * 1e-7) return T0 + Math.round((x - RATE0) / 1e-7) * H;
  return NaN;
}

function setup(): string {
  const dir = tempDataDir('perpcarry-seal-');
  writeBars(dir, 'binance', 'ETH/USDT', 'ohlcv', '1h', H, T0, encodedBars(BASES.spot, BASES.spotVol));
  writeBars(dir, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', H, T0, encodedBars(BASES.perp, BASES.perpVol));
  writeBars(dir, 'binance', 'ETH/USDT:USDT', 'mark', '1h', H, T0, encodedBars(BASES.mark, null));
  writeBars(dir, 'binance', 'ETH/USDT:USDT', 'index', '1h', H, T0, encodedBars(BASES.index, null));
  const rows: [number, number, number, number][] = [];
  for (let h = -12; h <= N; h += 4) rows.push([T0 + h * H, RATE0 + h * 1e-7, 4, FUND_MARK0 + h]);
  writeFunding(dir, 'binance', 'ETH/USDT:USDT', rows);
  return dir;
}

/** Methods that act (place orders, move cash, log, draw): the hunt does not call them. */
const ACTIONS = new Set(['order', 'hedge', 'transfer', 'setTimer', 'setLeverage', 'setMarginMode', 'sleep', 'cancel', 'info', 'warn', 'rng', 'constructor']);
const BUILTIN_PROTOS = new Set<unknown>([
  Object.prototype,
  Function.prototype,
  Array.prototype,
  Object.getPrototypeOf(Int8Array.prototype),
  Float64Array.prototype,
  Float32Array.prototype,
  Int32Array.prototype,
  Uint32Array.prototype,
  Int16Array.prototype,
  Uint16Array.prototype,
  Uint8Array.prototype,
  Int8Array.prototype,
  Map.prototype,
  Set.prototype,
  String.prototype,
  Number.prototype,
  Boolean.prototype,
  Symbol.prototype,
  Error.prototype,
  Date.prototype,
  RegExp.prototype,
  Promise.prototype,
  ArrayBuffer.prototype,
]);
const SENTINEL = Object.freeze({ sentinel: true });

interface Findings {
  future: Map<string, string>;
  writes: Map<string, string>;
  numbersSeen: number;
  objectsSeen: number;
}

/** Walk everything reachable from `roots` at time `now`. */
function hunt(roots: Record<string, unknown>, now: number, instruments: readonly Instrument[], found: Findings): void {
  const visited = new Set<object>();
  const iso = (t: number): string => new Date(t).toISOString();
  const argSets: unknown[][] = [[]];
  for (const k of [0, 1, 2, 3, 5, 23, 24, 25, 50, 1000, -1, -2]) argSets.push([k]);
  for (const ins of instruments) {
    argSets.push([ins], [ins.venue]);
    for (const k of [0, 1, 2, 3, 5, 50, 1000, -1, -2]) argSets.push([ins, k]);
  }
  const number = (x: number, path: string): void => {
    found.numbersSeen++;
    const t = encodedTime(x);
    if (t > now && !found.future.has(path)) found.future.set(path, `${x} encodes ${iso(t)}, now ${iso(now)}`);
  };
  const tryWrite = (target: object, key: PropertyKey, path: string): void => {
    let before: unknown;
    try {
      before = (target as Record<PropertyKey, unknown>)[key];
    } catch {
      return;
    }
    let wrote = false;
    try {
      (target as Record<PropertyKey, unknown>)[key] = SENTINEL;
      wrote = (target as Record<PropertyKey, unknown>)[key] === SENTINEL;
    } catch {
      /* refused: sealed */
    }
    if (wrote) {
      if (!found.writes.has(path)) found.writes.set(path, `assignment to ${String(key)} took effect`);
      try {
        (target as Record<PropertyKey, unknown>)[key] = before;
      } catch {
        /* keep going */
      }
    }
  };
  const walk = (v: unknown, path: string, depth: number): void => {
    if (typeof v === 'number') { number(v, path); return; }
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null) return;
    if (v === SENTINEL || visited.has(v) || BUILTIN_PROTOS.has(v) || depth > 12) return;
    visited.add(v);
    found.objectsSeen++;
    if (ArrayBuffer.isView(v)) {
      const ta = v as unknown as Float64Array;
      if (typeof ta.length === 'number') {
        for (let i = 0; i < ta.length; i++) number(Number(ta[i]), `${path}[${i}]`);
        if (ta.length > 0) {
          const before = ta[0]!;
          try {
            ta[0] = before + 1;
          } catch {
            /* sealed */
          }
          if (ta[0] !== before) {
            found.writes.set(path, 'typed array is writable');
            ta[0] = before;
          }
        }
      }
      return;
    }
    if (Array.isArray(v)) {
      const n = v.length;
      try {
        v.push(SENTINEL);
      } catch {
        /* frozen */
      }
      if (v.length !== n) {
        found.writes.set(path, 'array accepts push');
        v.length = n;
      }
    }
    walkProps(v, v, path, depth);
  };
  const walkProps = (obj: object, receiver: object, path: string, depth: number): void => {
    for (const key of Reflect.ownKeys(obj)) {
      const d = Reflect.getOwnPropertyDescriptor(obj, key)!;
      const p = `${path}.${String(key)}`;
      if (typeof obj === 'function' && (key === 'prototype' || key === 'length' || key === 'name' || key === 'caller' || key === 'arguments')) {
        if (key === 'prototype') walk(d.value, p, depth + 1);
        continue;
      }
      if ('value' in d) {
        const val: unknown = d.value;
        walk(val, p, depth + 1);
        if (typeof val === 'function' && !ACTIONS.has(String(key))) {
          for (const args of argSets) {
            let r: unknown;
            try {
              r = (val as (...a: unknown[]) => unknown).apply(receiver, args);
            } catch {
              continue;
            }
            walk(r, `${p}(${args.map((a) => (typeof a === 'object' && a ? (a as Instrument).symbol : String(a))).join(',')})`, depth + 1);
          }
        }
      } else if (d.get) {
        let val: unknown;
        try {
          val = d.get.call(receiver);
        } catch {
          continue;
        }
        walk(val, p, depth + 1);
      }
      tryWrite(receiver, key, p);
      if (obj !== receiver) tryWrite(obj, key, `${p} (prototype)`);
    }
    const proto: unknown = Reflect.getPrototypeOf(obj);
    if (proto && !BUILTIN_PROTOS.has(proto) && !visited.has(proto)) {
      visited.add(proto);
      walkProps(proto, receiver, `${path}.__proto__`, depth + 1);
    }
  };
  for (const [name, root] of Object.entries(roots)) walk(root, name, 0);
}

function probeFactory(found: Findings, stats: { hooks: Record<string, number> }): StrategyFactory {
  return {
    name: 'hunter',
    description: 'walks everything it is handed',
    params: {},
    universe: () => [
      { venue: 'binance', symbol: 'ETH/USDT' },
      { venue: 'binance', symbol: 'ETH/USDT:USDT' },
    ],
    create(): Strategy {
      let spot: Instrument;
      let perp: Instrument;
      const look = (hook: string, ctx: StrategyContext, ev?: unknown): void => {
        stats.hooks[hook] = (stats.hooks[hook] ?? 0) + 1;
        const now = ctx.now;
        if (ctx.orders.list().some((o) => o.status === 'open')) stats.hooks['sawOpenOrder'] = (stats.hooks['sawOpenOrder'] ?? 0) + 1;
        hunt({ ctx, ...(ev === undefined ? {} : { event: ev }) }, now, [spot, perp], found);
        // Writes that the walk may not try (ctx.now is read through a getter on some shapes).
        try {
          (ctx as { now: number }).now = now + 10 * H;
        } catch {
          /* sealed */
        }
        if (ctx.now !== now) {
          found.writes.set('ctx.now', 'ctx.now is writable');
          try {
            (ctx as { now: number }).now = now;
          } catch {
            /* */
          }
        }
      };
      return {
        onStart(ctx) {
          spot = ctx.market.instrument('binance', 'ETH/USDT');
          perp = ctx.market.instrument('binance', 'ETH/USDT:USDT');
          look('onStart', ctx);
          ctx.transfer({ fromVenue: 'binance', fromAccount: 'spot', toVenue: 'binance', toAccount: 'perp', amount: 20_000 });
          ctx.setTimer(T0 + 5 * H + 30 * 60_000, 'half-past');
          // A limit order far below the market rests all run: ctx.orders always holds an open order to hunt through.
          ctx.order({ instrument: perp, side: 'buy', qty: 0.25, type: 'limit', price: 1000, tag: 'resting' });
        },
        onBar(ctx, bar) {
          look('onBar', ctx, bar);
          if (bar.instrument === perp && ctx.now === T0 + 2 * H) {
            ctx.order({ instrument: spot, side: 'buy', qty: 0.5, tag: 'spot' });
            ctx.order({ instrument: perp, side: 'buy', qty: 0.5, tag: 'perp' });
          }
        },
        onFunding(ctx, f) {
          look('onFunding', ctx, f);
        },
        onTimer(ctx, t) {
          look('onTimer', ctx, t);
          ctx.order({ instrument: perp, side: 'sell', qty: 5, reduceOnly: true, tag: 'reduce' });
          ctx.order({ instrument: spot, side: 'sell', qty: 100, tag: 'too-much' });
        },
        onFill(ctx, f) {
          look('onFill', ctx, f);
        },
        onReject(ctx, r) {
          look('onReject', ctx, r);
        },
        onEnd(ctx) {
          look('onEnd', ctx);
        },
      };
    },
  };
}

describe('market history windows', () => {
  test('bars(ins, n) and fundingHistory(ins, n) show the last n rows up to now, oldest first, read-only', () => {
    const dir = setup();
    const seen: string[] = [];
    const factory: StrategyFactory = {
      ...probeFactory({ future: new Map(), writes: new Map(), numbersSeen: 0, objectsSeen: 0 }, { hooks: {} }),
      create: () => ({
        onBar(ctx, bar) {
          if (bar.instrument.type !== 'perp' || (ctx.now !== T0 + 2 * H && ctx.now !== T0 + 8 * H)) return;
          const w = ctx.market.bars(bar.instrument, 3);
          const f = ctx.market.fundingHistory(bar.instrument, 2);
          const cols = [w.length, ...Array.from({ length: w.length }, (_, i) => `${(w.openTs(i) - T0) / H}:${w.close(i)}`), w.close(w.length), w.close(-1)];
          const fund = [f.length, (f.ts(0) - T0) / H, (f.ts(1) - T0) / H, f.rate(1), f.intervalHours(1), f.ts(2)];
          seen.push(JSON.stringify([(ctx.now - T0) / H, cols, fund]));
          expect(() => {
            (w as unknown as { length: number }).length = 99;
          }).toThrow();
        },
      }),
    };
    runBacktest({ strategy: factory, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: T0, toMs: T0 + N * H, dataDir: dir });
    expect(seen).toEqual([
      JSON.stringify([2, [2, '0:13001.6', '1:13002.6', null, null], [2, -4, 0, RATE0, 4, null]]),
      JSON.stringify([8, [3, '5:13006.6', '6:13007.6', '7:13008.6', null, null], [2, 4, 8, RATE0 + 8e-7, 4, null]]),
    ]);
  });
});

describe('sealed strategy boundary: a probe that hunts', () => {
  const found: Findings = { future: new Map(), writes: new Map(), numbersSeen: 0, objectsSeen: 0 };
  const stats = { hooks: {} as Record<string, number> };
  const dir = setup();
  runBacktest({
    strategy: probeFactory(found, stats),
    venues: ['binance'],
    symbol: 'ETH/USDT',
    timeframe: '1h',
    fromMs: T0,
    toMs: T0 + N * H,
    dataDir: dir,
    models: { slippage: { params: { bps: 0 } } },
  });

  test('the hunt reached every hook and read a lot', () => {
    expect(stats.hooks['onBar']).toBe(2 * N);
    expect(stats.hooks['onFunding']).toBe(N / 4);
    expect(stats.hooks['onFill']).toBeGreaterThanOrEqual(3);
    expect(stats.hooks['onReject']).toBeGreaterThanOrEqual(1);
    expect(stats.hooks['onTimer']).toBe(1);
    // ctx.orders (list(), get(id), size) was walked while it held the resting limit order
    expect(stats.hooks['sawOpenOrder']).toBeGreaterThan(2 * N);
    expect(found.numbersSeen).toBeGreaterThan(10_000);
  });

  test('the encoding is recognised (self-check of the hunter)', () => {
    expect(encodedTime(BASES.perp + 3 + 0.6)).toBe(T0 + 3 * H);
    expect(encodedTime(BASES.perp + 3 + 0.5)).toBe(T0 + 2 * H);
    expect(encodedTime(RATE0 + 8e-7)).toBe(T0 + 8 * H);
    expect(encodedTime(FUND_MARK0 + 4)).toBe(T0 + 4 * H);
    // …and a leak would be found: hunting an object with a future value reports it.
    const f: Findings = { future: new Map(), writes: new Map(), numbersSeen: 0, objectsSeen: 0 };
    hunt({ leaky: { series: Float64Array.of(BASES.spot + 5 + 0.6) } }, T0 + 4 * H, [], f);
    expect([...f.future.keys()]).toEqual(['leaky.series[0]']);
    expect([...f.writes.keys()]).toEqual(['leaky.series']);
  });

  test('nothing reachable yields a value stamped after now', () => {
    expect({ leaks: found.future.size, first: [...found.future].map(([p, m]) => `${p}: ${m}`).slice(0, 25) }).toEqual({ leaks: 0, first: [] });
  });

  test('nothing reachable can be written', () => {
    expect({ writes: found.writes.size, first: [...found.writes].map(([p, m]) => `${p}: ${m}`).slice(0, 40) }).toEqual({ writes: 0, first: [] });
  });
});
