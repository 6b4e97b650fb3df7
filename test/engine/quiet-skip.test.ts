/**
 * `ctx.sleep` and the bulk replay of quiet stretches (src/engine/sleep.ts, quiet-skip.ts): a run
 * gives the same files whether sleeps are skipped in bulk (`--sleep skip`, the default), stepped
 * through instant by instant (`step`) or ignored (`ignore`: onBar at every bar). Real CLI runs on
 * the bundled data: every documented typical run of docs/strategies.md, delta-neutral on 12 days of
 * BTC 1m bars, and a 20× hold-perp liquidated inside a skipped stretch. The comparison is attacked:
 * a strategy whose sleep breaks its promise gives different results, and the check sees it.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/engine/backtest.js';
import type { StrategyFactory } from '../../src/strategy/types.js';
import { spawnAsync } from '../support/spawn.js';
import { documentedRuns } from '../support/documented-runs.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'perpcarry.mjs');
const dataDir = join(root, 'data');
const out = mkdtempSync(join(tmpdir(), 'perpcarry-sleep-'));

interface Ran {
  /** Every file of the run directory but run.json (wall-clock timing, createdAt), by name. */
  files: Map<string, Buffer>;
  events: number;
  quietEvents: number;
}

async function backtest(args: string[], sleep: string, name: string): Promise<Ran> {
  const dir = join(out, `${name}-${sleep}`);
  const r = await spawnAsync(process.execPath, [bin, 'backtest', ...args, '--sleep', sleep, '--json', '--out', dir], { cwd: root, env: { ...process.env, PERPCARRY_DATA_DIR: dataDir } });
  expect(r.code, r.err).toBe(0);
  const { timing } = JSON.parse(r.out) as { timing: { events: number; quietEvents: number } };
  const files = new Map(readdirSync(dir).filter((f) => f !== 'run.json').map((f) => [f, readFileSync(join(dir, f))]));
  return { files, events: timing.events, quietEvents: timing.quietEvents };
}

/** The same run directory, file by file (names listed so a failure says which file differs). */
function expectSameFiles(a: Ran, b: Ran): void {
  expect([...b.files.keys()].sort()).toEqual([...a.files.keys()].sort());
  for (const [f, bytes] of a.files) expect(b.files.get(f)!.equals(bytes), `${f} differs`).toBe(true);
}

describe('--sleep skip | step | ignore give the same run directory (real CLI, bundled data)', () => {
  it.each(documentedRuns().map(([name, args]): [string, string[]] => [name, ['--strategy', name, ...args]]))('%s (documented typical run)', { timeout: 240_000 }, async (name, args) => {
    const skip = await backtest(args, 'skip', name);
    const ignore = await backtest(args, 'ignore', name);
    expectSameFiles(skip, ignore);
    expect(ignore.quietEvents).toBe(0);
  });

  it('delta-neutral BTC/USDT 1m, Oct 8–20 2025 (the Oct 10 crash): the slept bars are replayed in bulk, nothing changes', { timeout: 240_000 }, async () => {
    const args = ['--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '1m', '--from', '2025-10-08', '--to', '2025-10-20', '--param', 'entryApr=0.01', '--param', 'leverage=5'];
    const [skip, step, ignore] = [await backtest(args, 'skip', 'dn-1m'), await backtest(args, 'step', 'dn-1m'), await backtest(args, 'ignore', 'dn-1m')];
    expectSameFiles(skip, step);
    expectSameFiles(skip, ignore);
    expect(readFileSync(join(out, 'dn-1m-skip', 'trades.csv'), 'utf8').trim().split('\n').length).toBeGreaterThan(2);
    // Most bars of the 12 days pass while it sleeps; only `skip` replays them in bulk.
    expect(skip.quietEvents / skip.events).toBeGreaterThan(0.9);
    expect(step.quietEvents).toBe(0);
  });

  it('hold-perp 8× long through Feb 2–3 2025 (no onBar: always quiet): liquidated at the same bar', { timeout: 240_000 }, async () => {
    const args = ['--strategy', 'hold-perp', '--venue', 'binance', '--symbol', 'ETH/USDT', '--from', '2025-01-25', '--to', '2025-02-06', '--param', 'leverage=8'];
    const skip = await backtest(args, 'skip', 'hold-20x');
    const step = await backtest(args, 'step', 'hold-20x');
    expectSameFiles(skip, step);
    const liq = readFileSync(join(out, 'hold-20x-skip', 'liquidations.csv'), 'utf8').trim().split('\n');
    expect(liq.length).toBe(2); // header + the liquidation
    // Every settlement (8 h of 1h bars) is replayed on its own: at most 7 of 8 bars in bulk.
    expect(skip.quietEvents / skip.events).toBeGreaterThan(0.8);
  });

  it('hold-perp 1× long, window ending 5 h after a settlement: the book is closed at the window end, not at the last stepped instant', { timeout: 240_000 }, async () => {
    const args = ['--strategy', 'hold-perp', '--venue', 'binance', '--symbol', 'ETH/USDT', '--from', '2025-03-01', '--to', '2025-03-04T05:00:00Z'];
    const skip = await backtest(args, 'skip', 'hold-end');
    expectSameFiles(skip, await backtest(args, 'step', 'hold-end'));
    const trades = readFileSync(join(out, 'hold-end-skip', 'trades.csv'), 'utf8').trim().split('\n');
    // close-at-end at the last instant (05:00), not at the last stepped one (the 00:00 settlement)
    expect(trades[2]!.split(',')[0]).toBe(String(Date.UTC(2025, 2, 4, 5)));
  });
});

describe('timers between the bars of a skipped stretch', () => {
  /** No onBar (always quiet); a timer every 5 h 30 min reads the latest close and mark of the perp. */
  const seen: number[][] = [];
  const clock: StrategyFactory = {
    name: 'timer-reader',
    description: 'test: reads prices at timers that fall between bars',
    params: {},
    universe: (i) => [{ venue: i.venues[0]!, symbol: 'ETH/USDT:USDT' }],
    create: () => ({
      onStart(ctx) {
        ctx.setTimer(ctx.now + 5.5 * 3_600_000, 't');
      },
      onTimer(ctx) {
        const perp = ctx.market.instruments()[0]!;
        seen.push([ctx.now, ctx.market.close(perp), ctx.market.mark(perp)]);
        ctx.setTimer(ctx.now + 5.5 * 3_600_000, 't');
      },
    }),
  };
  const run = (sleep: 'skip' | 'step'): { seen: number[][]; quiet: number } => {
    seen.length = 0;
    const r = runBacktest({ strategy: clock, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: Date.UTC(2025, 1, 1), toMs: Date.UTC(2025, 1, 8), dataDir, sleep });
    return { seen: seen.map((x) => [...x]), quiet: r.quietEvents };
  };

  it('see the same latest close and mark whether the bars before them were skipped or stepped', () => {
    const skip = run('skip');
    const step = run('step');
    expect(skip.seen.length).toBe(30); // 7 days / 5.5 h
    expect(skip.seen).toEqual(step.seen);
    expect(skip.seen.every(([, c, m]) => c! > 0 && m! > 0)).toBe(true);
    expect(skip.quiet).toBeGreaterThan(0);
    expect(step.quiet).toBe(0);
  });
});

describe('two isolated perps, no onBar (the general scan: one pass per open perp)', () => {
  /** Long BTC and short ETH perps at 8× isolated, opened at the start and held through Feb 2–3 2025. */
  const pair: StrategyFactory = {
    name: 'isolated-pair',
    description: 'test: two open perps, so quiet stretches take the general scan',
    params: {},
    universe: (i) => [
      { venue: i.venues[0]!, symbol: 'BTC/USDT:USDT' },
      { venue: i.venues[0]!, symbol: 'ETH/USDT:USDT' },
    ],
    create: () => ({
      onStart(ctx) {
        const [btc, eth] = ctx.market.instruments();
        ctx.setMarginMode(btc!.venue, 'isolated');
        ctx.setLeverage(btc!, 8);
        ctx.setLeverage(eth!, 8);
        ctx.transfer({ fromVenue: btc!.venue, fromAccount: 'spot', toVenue: btc!.venue, toAccount: 'perp', amount: 50_000 });
        ctx.order({ instrument: btc!, side: 'buy', notional: 100_000, tag: 'long' });
        ctx.order({ instrument: eth!, side: 'sell', notional: 100_000, tag: 'short' });
      },
    }),
  };
  const run = (sleep: 'skip' | 'step') => {
    const r = runBacktest({ strategy: pair, venues: ['binance'], symbol: 'BTC/USDT', timeframe: '1h', fromMs: Date.UTC(2025, 0, 25), toMs: Date.UTC(2025, 1, 8), dataDir, sleep });
    const cols = Object.fromEntries([...r.samples.columns].map(([k, v]) => [k, Array.from(v)]));
    return { trades: r.portfolio.trades, liquidations: r.portfolio.liquidations, ledger: r.portfolio.ledger, closest: r.portfolio.minAdverseLiqDistance, ts: Array.from(r.samples.ts), cols, quiet: r.quietEvents };
  };

  it('skip and step give the same trades, liquidations, ledger, closest approach and equity columns', () => {
    const skip = run('skip');
    const step = run('step');
    expect(skip.trades.length).toBeGreaterThanOrEqual(2);
    expect(skip.quiet).toBeGreaterThan(0);
    expect(skip.trades).toEqual(step.trades);
    expect(skip.liquidations).toEqual(step.liquidations);
    expect(skip.ledger).toEqual(step.ledger);
    expect(skip.closest).toBe(step.closest);
    expect(Number.isFinite(skip.closest)).toBe(true);
    expect(skip.ts).toEqual(step.ts);
    expect(skip.cols).toEqual(step.cols);
  });
});

describe('series at other phases (Binance 8h bars at 00/08/16, Bybit at 04/12/20)', () => {
  /** A small long perp on each venue, no onBar: the samples of a skip are the union of both venues' bar times. */
  const both: StrategyFactory = {
    name: 'two-phases',
    description: 'test: quiet stretches over series whose bars close at different hours',
    params: {},
    universe: (i) => i.venues.map((venue) => ({ venue, symbol: 'BTC/USDT:USDT' })),
    create: () => ({
      onStart(ctx) {
        for (const ins of ctx.market.instruments()) {
          ctx.transfer({ fromVenue: ctx.market.instruments()[0]!.venue, fromAccount: 'spot', toVenue: ins.venue, toAccount: 'perp', amount: 20_000 });
          ctx.order({ instrument: ins, side: 'buy', notional: 20_000, tag: 'long' });
        }
      },
    }),
  };
  const run = (sleep: 'skip' | 'step') => {
    const r = runBacktest({ strategy: both, venues: ['binance', 'bybit'], symbol: 'BTC/USDT', timeframe: '8h', fromMs: Date.UTC(2023, 5, 1), toMs: Date.UTC(2023, 8, 1), dataDir, sleep });
    return { trades: r.portfolio.trades, ledger: r.portfolio.ledger, fundings: r.portfolio.fundings, closest: r.portfolio.minAdverseLiqDistance, ts: Array.from(r.samples.ts), cols: Object.fromEntries([...r.samples.columns].map(([k, v]) => [k, Array.from(v)])), quiet: r.quietEvents };
  };

  it('skip and step sample the same instants (every 4 h) and give the same run', () => {
    const skip = run('skip');
    const step = run('step');
    expect(skip.quiet).toBeGreaterThan(0);
    expect(new Set(skip.ts.slice(1, 40).map((t) => new Date(t).getUTCHours() % 4))).toEqual(new Set([0]));
    expect(skip.ts).toEqual(step.ts);
    expect(skip.trades).toEqual(step.trades);
    expect(skip.ledger).toEqual(step.ledger);
    expect(skip.fundings).toEqual(step.fundings);
    expect(skip.closest).toBe(step.closest);
    expect(skip.cols).toEqual(step.cols);
  });
});

describe('the comparison catches a sleep that breaks its promise', () => {
  const T_BUY = Date.UTC(2025, 1, 3, 5);
  /** Buys ETH spot at the bar of 05:00 Feb 3 — but at every earlier bar sleeps until 10:00, past it. */
  const liar: StrategyFactory = {
    name: 'liar',
    description: 'test: a sleep that skips a bar it acts on',
    params: {},
    universe: (i) => [{ venue: i.venues[0]!, symbol: 'ETH/USDT' }],
    create: () => {
      let bought = false;
      return {
        onBar(ctx, ev) {
          if (bought) return;
          if (ctx.now >= T_BUY) {
            bought = true;
            ctx.order({ instrument: ev.instrument, side: 'buy', qty: 1, tag: 'buy' });
          } else ctx.sleep({ untilMs: T_BUY + 5 * 3_600_000 });
        },
      };
    },
  };
  const run = (sleep: 'skip' | 'step' | 'ignore'): number[] =>
    runBacktest({ strategy: liar, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: Date.UTC(2025, 1, 2), toMs: Date.UTC(2025, 1, 4), dataDir, sleep }).portfolio.trades.map((t) => t.ts);

  it('ignore buys at the 05:00 bar; skip and step at 10:00, when the broken sleep ends', () => {
    const ignore = run('ignore');
    const skip = run('skip');
    expect(ignore[0]).toBe(T_BUY); // next-open fill: the open of the bar opening at 05:00
    expect(skip[0]).toBe(T_BUY + 5 * 3_600_000);
    expect(run('step')).toEqual(skip);
    expect(skip).not.toEqual(ignore);
  });
});
