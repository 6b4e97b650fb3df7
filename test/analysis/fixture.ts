/**
 * Synthetic but self-consistent run directories per docs/RUN_FORMAT.md, for report/compare tests
 * (before and besides real backtests). A long-spot / short-perp book on one venue:
 * equity = capital + Σ attribution columns at every sample; funding rows sum to pnl_funding;
 * trade fees and slippage sum to −pnl_fees and −pnl_slippage.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSeriesFile } from '../../src/data/store.js';
import { computeMetrics, drawdownSeries } from '../../src/analysis/metrics.js';

export interface FixtureOptions {
  runId: string;
  fromMs?: number;
  days?: number;
  stepMs?: number;
  capital?: number;
  /** Perp notional / capital. */
  leverage?: number;
  /** Multiplies the funding rate path. */
  fundingScale?: number;
  feeBps?: number;
  seed?: number;
  /** Fraction of the run at which the perp leg is liquidated (no liquidation if undefined). */
  liquidateAtFrac?: number;
  /** sha256 recorded for the input data (differs ⇒ compare warns). */
  dataSha?: string;
  /** Write equity.csv too (default true; the readers only need equity.arrow). */
  csv?: boolean;
  /** Extra run.json params. */
  params?: Record<string, unknown>;
}

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAINT_RATE = 0.005;
const LIQ_FEE_RATE = 0.0125;

/** Write a complete run directory at `join(parent, runId)` and return its path. */
export function writeFixtureRun(parent: string, o: FixtureOptions): string {
  const dir = join(parent, o.runId);
  mkdirSync(dir, { recursive: true });
  const fromMs = o.fromMs ?? Date.UTC(2025, 1, 2);
  const days = o.days ?? 2;
  const stepMs = o.stepMs ?? 60_000;
  const capital = o.capital ?? 10_000;
  const lev = o.leverage ?? 0.5;
  const fs = o.fundingScale ?? 1;
  const feeRate = (o.feeBps ?? 5) / 1e4;
  const slipRate = 1 / 1e4;
  const rand = rng(o.seed ?? 1);
  const n = Math.round((days * 86_400_000) / stepMs);
  const toMs = fromMs + n * stepMs;
  const liqIdx = o.liquidateAtFrac === undefined ? -1 : Math.floor(n * o.liquidateAtFrac);

  const cols: Record<string, Float64Array> = {};
  const names = [
    'equity', 'drawdown', 'gross_exposure', 'net_exposure', 'pnl_funding', 'pnl_trading', 'pnl_fees',
    'pnl_slippage', 'pnl_interest', 'pnl_liquidation', 'equity_spot:binance', 'equity_perp:binance',
    'margin_ratio:binance', 'pos:binance:ETH/USDT:USDT', 'liq_distance:binance:ETH/USDT:USDT', 'basis_bps:binance:ETH',
  ];
  for (const c of names) cols[c] = new Float64Array(n);
  const ts = new Float64Array(n);

  const trades: string[] = ['ts,venue,symbol,side,qty,price,fee,slippage,liquidity,tag'];
  const funding: string[] = ['ts,venue,symbol,qty,markPrice,rate,intervalHours,amount'];
  const liqs: string[] = ['ts,venue,symbol,qty,price,markPrice,fee,equityBefore,equityAfter'];

  let spot = 3000;
  let basis = 0.0005;
  const S0 = spot;
  const P0 = spot * (1 + basis);
  const q = (capital * lev) / P0; // base qty: long spot q, short perp q
  const spotCash = capital / 2 - q * S0; // spot account after buying
  let fees = 0;
  let slip = 0;
  let fund = 0;
  let liqPnl = 0;
  let realizedTrading = 0;
  let posPerp = -q;
  const posSpot = q;
  let entryPerp = P0;
  const entrySpot = S0;
  let tradeCount = 0;
  let traded = 0;
  const trade = (t: number, sym: string, side: string, qty: number, px: number, tag: string) => {
    const fee = qty * px * feeRate;
    const sl = qty * px * slipRate;
    fees -= fee;
    slip -= sl;
    traded += qty * px;
    tradeCount++;
    trades.push(`${t},binance,${sym},${side},${qty},${px},${fee},${sl},taker,${tag}`);
  };
  trade(fromMs, 'ETH/USDT', 'buy', q, S0, 'open');
  trade(fromMs, 'ETH/USDT:USDT', 'sell', q, P0, 'open');
  let liqCount = 0;

  for (let i = 0; i < n; i++) {
    const t = fromMs + i * stepMs;
    ts[i] = t;
    if (i > 0) {
      spot *= 1 + (rand() - 0.5) * 0.004;
      basis += (0.0005 - basis) * 0.05 + (rand() - 0.5) * 0.0004;
    }
    const perp = spot * (1 + basis);
    if (i > 0 && t % (8 * 3_600_000) === 0 && posPerp !== 0) {
      const rate = fs * (0.0001 + 0.0002 * Math.sin(i / 500));
      const amount = -posPerp * perp * rate;
      fund += amount;
      funding.push(`${t},binance,ETH/USDT:USDT,${posPerp},${perp},${rate},8,${amount}`);
    }
    if (i === liqIdx && posPerp !== 0) {
      const unreal = posPerp * (perp - entryPerp);
      const before = capital + fund + fees + slip + liqPnl + realizedTrading + unreal + posSpot * (spot - entrySpot);
      const lfee = Math.abs(posPerp) * perp * LIQ_FEE_RATE;
      liqPnl -= lfee;
      realizedTrading += unreal;
      trades.push(`${t},binance,ETH/USDT:USDT,buy,${-posPerp},${perp},0,0,taker,liquidation`);
      tradeCount++;
      traded += -posPerp * perp;
      liqs.push(`${t},binance,ETH/USDT:USDT,${-posPerp},${perp},${perp},${lfee},${before},${before - lfee}`);
      liqCount++;
      posPerp = 0;
      entryPerp = perp;
    }
    const unrealPerp = posPerp * (perp - entryPerp);
    const unrealSpot = posSpot * (spot - entrySpot);
    const trading = realizedTrading + unrealPerp + unrealSpot;
    const equity = capital + fund + fees + slip + liqPnl + trading;
    cols['pnl_funding']![i] = fund;
    cols['pnl_trading']![i] = trading;
    cols['pnl_fees']![i] = fees;
    cols['pnl_slippage']![i] = slip;
    cols['pnl_interest']![i] = 0;
    cols['pnl_liquidation']![i] = liqPnl;
    cols['equity']![i] = equity;
    const eqSpot = spotCash + posSpot * spot;
    cols['equity_spot:binance']![i] = eqSpot;
    cols['equity_perp:binance']![i] = equity - eqSpot;
    const perpEq = equity - eqSpot;
    cols['gross_exposure']![i] = Math.abs(posPerp) * perp + Math.abs(posSpot) * spot;
    cols['net_exposure']![i] = posPerp * perp + posSpot * spot;
    cols['margin_ratio:binance']![i] = posPerp === 0 ? 0 : (MAINT_RATE * Math.abs(posPerp) * perp) / perpEq;
    cols['pos:binance:ETH/USDT:USDT']![i] = posPerp;
    // short liquidates where perpEq + posPerp·(L − perp) = maint·|pos|·L
    const liqPrice = posPerp === 0 ? NaN : (perpEq - posPerp * perp) / (MAINT_RATE * Math.abs(posPerp) - posPerp);
    cols['liq_distance:binance:ETH/USDT:USDT']![i] = posPerp === 0 ? NaN : Math.abs(perp - liqPrice) / perp;
    cols['basis_bps:binance:ETH']![i] = (perp / spot - 1) * 1e4;
  }
  drawdownSeries(cols['equity']!, cols['drawdown']);

  writeSeriesFile(join(dir, 'equity.arrow'), { ts, columns: cols }, names);
  if (o.csv !== false) {
    const csvLines = ['ts,' + names.join(',')];
    for (let i = 0; i < n; i++) csvLines.push(`${ts[i]!},` + names.map((c) => (Number.isNaN(cols[c]![i]!) ? '' : String(cols[c]![i]))).join(','));
    writeFileSync(join(dir, 'equity.csv'), csvLines.join('\n') + '\n');
  }
  writeFileSync(join(dir, 'trades.csv'), trades.join('\n') + '\n');
  writeFileSync(join(dir, 'funding.csv'), funding.join('\n') + '\n');
  writeFileSync(join(dir, 'liquidations.csv'), liqs.join('\n') + '\n');
  writeFileSync(join(dir, 'ledger.csv'), 'seq,ts,venue,account,type,symbol,amount,balanceAfter,note\n' + `1,${fromMs},binance,spot,deposit,,${capital / 2},${capital / 2},\n`);
  writeFileSync(join(dir, 'positions.csv'), 'ts,venue,symbol,type,qty,entryPrice,price,notional,isolatedMargin,liquidationPrice\n');

  const m = computeMetrics({
    ts, equity: cols['equity']!, initialEquity: capital, grossExposure: cols['gross_exposure']!, tradedNotional: traded,
    tradeCount, liquidationCount: liqCount, fromMs, toMs,
    minAdverseLiqDistance: ((m) => (m === Infinity ? NaN : m))(cols['liq_distance:binance:ETH/USDT:USDT']!.reduce((m, x) => (x < m ? x : m), Infinity)),
  });
  const nul = (x: number) => (Number.isFinite(x) ? x : null);
  const metrics = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, nul(v)]));
  const last = n - 1;
  const pnl = {
    funding: fund, trading: cols['pnl_trading']![last]!, fees, slippage: slip, interest: 0, liquidation: liqPnl,
    total: cols['equity']![last]! - capital,
  };
  const dataSha = o.dataSha ?? 'a'.repeat(64);
  const run = {
    formatVersion: 1, perpcarryVersion: '0.1.0', runId: o.runId, createdAt: '2025-01-01T00:00:00.000Z',
    strategy: { name: 'fixture-carry', source: 'test/analysis/fixture.ts' },
    params: { leverage: lev, fundingScale: fs, feeBps: o.feeBps ?? 5, ...o.params },
    venues: ['binance'], symbol: 'ETH/USDT', timeframe: stepMs === 60_000 ? '1m' : `${stepMs / 60_000}m`,
    fromMs, toMs, fromIso: new Date(fromMs).toISOString(), toIso: new Date(toMs).toISOString(), window: null,
    capital, seed: o.seed ?? 1, fillAt: 'next-open',
    models: { fee: { name: 'flat', params: { takerBps: o.feeBps ?? 5 } }, slippage: { name: 'fixed-bps', params: { bps: 1 } },
      margin: { name: 'flat', params: { maint: MAINT_RATE } }, liquidation: { name: 'flat', params: { fee: LIQ_FEE_RATE } },
      interest: { name: 'none', params: {} } },
    data: [
      { path: 'binance/ETH_USDT/ohlcv_1m.arrow', sha256: dataSha, rows: n, venue: 'binance', symbol: 'ETH/USDT', kind: 'ohlcv', timeframe: '1m' },
      { path: 'binance/ETH_USDT_USDT/funding.arrow', sha256: 'b'.repeat(64), rows: 6, venue: 'binance', symbol: 'ETH/USDT:USDT', kind: 'funding', timeframe: null },
    ],
    timing: { loadMs: 1, loopMs: 1, totalMs: 2, events: n, eventsPerSec: n * 1000 },
  };
  const summary = {
    formatVersion: 1, runId: o.runId, strategy: 'fixture-carry', venues: ['binance'], symbol: 'ETH/USDT',
    fromIso: run.fromIso, toIso: run.toIso, metrics, pnl,
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(run, null, 2) + '\n');
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return dir;
}
