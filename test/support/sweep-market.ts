/** A synthetic year of 1h spot + perp bars and 8h funding for sweep tests (deterministic). */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeBars, writeFunding } from './series.js';

const H = 3_600_000;
export const SWEEP_T0 = Date.UTC(2024, 0, 1);

/**
 * Write `days` of BTC/USDT spot and BTC/USDT:USDT perp 1h bars (a seeded random walk, the perp at a
 * small moving basis) and 8h funding whose rate swings between about −0.01 % and +0.03 %, so that
 * delta-neutral enters and exits. `bump` shifts one perp close (a different data set).
 */
export function writeSweepMarket(dataDir: string, days: number, bump = 0): void {
  const n = days * 24;
  let s = 12345;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  let px = 40_000;
  const spot: number[][] = [];
  const perp: number[][] = [];
  for (let k = 0; k < n; k++) {
    const o = px;
    px = px * (1 + (rnd() - 0.5) * 0.01);
    const c = px;
    const hi = Math.max(o, c) * (1 + rnd() * 0.002);
    const lo = Math.min(o, c) * (1 - rnd() * 0.002);
    spot.push([o, hi, lo, c, 10]);
    const basis = 1 + 0.0005 * Math.sin(k / 50);
    perp.push([o * basis, hi * basis, lo * basis, c * basis + (k === 100 ? bump : 0), 20]);
  }
  writeBars(dataDir, 'binance', 'BTC/USDT', 'ohlcv', '1h', H, SWEEP_T0, spot);
  writeBars(dataDir, 'binance', 'BTC/USDT:USDT', 'ohlcv', '1h', H, SWEEP_T0, perp);
  const funding: [number, number, number][] = [];
  for (let t = SWEEP_T0 - 40 * 24 * H; t <= SWEEP_T0 + n * H; t += 8 * H) {
    const k = (t - SWEEP_T0) / (8 * H);
    funding.push([t, 0.0001 + 0.0002 * Math.sin(k / 9) + (rnd() - 0.5) * 0.0001, 8]);
  }
  writeFunding(dataDir, 'binance', 'BTC/USDT:USDT', funding);
}

/** Every file under a directory (relative path → bytes). */
export function filesOf(dir: string, rel = ''): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const e of readdirSync(join(dir, rel))) {
    const p = join(rel, e);
    if (statSync(join(dir, p)).isDirectory()) for (const [k, v] of filesOf(dir, p)) m.set(k, v);
    else m.set(p, readFileSync(join(dir, p)));
  }
  return m;
}

