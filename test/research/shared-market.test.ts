/**
 * Load once, run many: a prepared market is frozen, its key names its data, runs never write its
 * columns, and its shared copy (SharedArrayBuffer) runs to the same row.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { marketRequestOf, prepareMarket, resolveRun } from '../../src/engine/backtest.js';
import type { MarketData } from '../../src/engine/data.js';
import { configOf, type RunSpec } from '../../src/research/run-spec.js';
import { isShared, openShared, shareMarket } from '../../src/research/shared-market.js';
import { runTask } from '../../src/analysis/sweep/point.js';
import { tempDataDir } from '../support/series.js';
import { writeSweepMarket } from '../support/sweep-market.js';

function digest(m: MarketData): string {
  const h = createHash('sha256');
  for (const b of [...m.bars, ...m.mark, ...m.index]) if (b) for (const c of [b.ts, b.open, b.high, b.low, b.close, b.volume]) h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  for (const f of m.funding) if (f) for (const c of [f.ts, f.rate, f.intervalHours, f.markPrice]) h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  return h.digest('hex');
}

describe('prepared market', () => {
  const data = tempDataDir('perpcarry-prepared-');
  writeSweepMarket(data, 60);
  const spec: RunSpec = {
    strategy: 'delta-neutral', params: { leverage: 3, entryApr: 0.02 }, venues: ['binance'], symbol: 'BTC/USDT', timeframe: '1h',
    fromMs: Date.UTC(2024, 0, 1), toMs: Date.UTC(2024, 1, 20), window: null, capital: 100_000, seed: 1, fillAt: 'next-open',
    models: {}, allowSpotBorrow: false, acceptDataErrors: false, fundingHistoryDays: 30,
  };

  it('is frozen, keyed by its data, untouched by runs; its shared copy gives the same row', async () => {
    const cfg = await configOf(spec, data);
    const p = prepareMarket(marketRequestOf(cfg, resolveRun(cfg)));
    expect(Object.isFrozen(p.market)).toBe(true);
    expect(Object.isFrozen(p.market.bars)).toBe(true);
    expect(p.key).toMatch(/^[0-9a-f]{64}$/);
    const before = digest(p.market);
    const a = await runTask(p, { point: 0, run: spec, dataDir: data });
    const b = await runTask(p, { point: 0, run: { ...spec, params: { leverage: 5, entryApr: 0.05 } }, dataDir: data });
    expect(a.metrics.tradeCount).toBeGreaterThan(0);
    expect(b.metrics.finalEquity).not.toBe(a.metrics.finalEquity);
    expect(digest(p.market)).toBe(before);
    const shared = openShared(shareMarket(p));
    expect(isShared(shared.market)).toBe(true);
    expect(isShared(p.market)).toBe(false);
    expect(shared.key).toBe(p.key);
    expect(digest(shared.market)).toBe(before);
    expect(await runTask(shared, { point: 0, run: spec, dataDir: data })).toEqual(a);
    // The same request prepared again has the same key; other data (one close moved) another.
    const again = prepareMarket(marketRequestOf(cfg, resolveRun(cfg)));
    expect(again.key).toBe(p.key);
    // Series of one load share their time column; their shared copies share one copy of it.
    expect(again.market.bars[1]!.ts).toBe(again.market.bars[0]!.ts);
    const sharedAgain = shareMarket(again).market;
    expect(sharedAgain.bars[1]!.ts).toBe(sharedAgain.bars[0]!.ts);
    expect(sharedAgain.bars[0]!.close).not.toBe(sharedAgain.bars[1]!.close);
    expect(digest(sharedAgain)).toBe(before);
    const other = tempDataDir('perpcarry-prepared-other-');
    writeSweepMarket(other, 60, 10);
    const cfg2 = await configOf(spec, other);
    expect(prepareMarket(marketRequestOf(cfg2, resolveRun(cfg2))).key).not.toBe(p.key);
    // A config whose window differs from the prepared market's is refused.
    await expect(runTask(p, { point: 0, run: { ...spec, toMs: Date.UTC(2024, 1, 10) }, dataDir: data })).rejects.toThrow(/the prepared market is 1h/);
  }, 60_000);
});
