/** One-line descriptions of shocks, for the terminal, run logs and reports. */
import { isoUtc, MS_PER_MINUTE } from '../core/time.js';
import type { Shock } from './types.js';

const t = (ms: number): string => isoUtc(ms).slice(0, 16).replace('T', ' ');
const on = (venues: readonly string[]): string => (venues.length ? ` on ${venues.join(', ')}` : ' on every venue');

/** `basis binance ETH perp at −5.8 % to spot, 2025-02-02 22:00 → 2025-02-03 06:00 UTC (ramp 90 min)`. */
export function describeShock(s: Shock): string {
  switch (s.type) {
    case 'basis':
      return `basis ${s.venue} ${s.asset} perp at ${s.basisPct} % to spot, ${t(s.fromMs)} → ${t(s.toMs)} UTC${s.rampMs ? ` (ramp ${s.rampMs / MS_PER_MINUTE} min)` : ''}`;
    case 'funding':
      return (
        `funding ${s.mode} ${s.venue} ${s.asset} at ${(s.ratePer8h * 100).toFixed(4)} %/8h from ${t(s.fromMs)} UTC` +
        (Number.isFinite(s.toMs) ? ` to ${t(s.toMs)} UTC` : '') +
        (Number.isFinite(s.settlements) ? ` (at most ${s.settlements} settlements)` : '')
      );
    case 'price-gap':
      return `price gap ${s.asset} ${s.pct > 0 ? '+' : ''}${s.pct} % at ${t(s.atMs)} UTC${on(s.venues)}`;
    case 'outage':
      return `outage ${s.venue} ${t(s.fromMs)} → ${t(s.toMs)} UTC (orders ${s.orders === 'queue' ? 'queued' : 'refused'}, no transfers)`;
    case 'transfer-delay':
      return `transfers${on(s.venues)} ${s.frozen ? 'frozen' : `delayed ${s.delayMs / MS_PER_MINUTE} min`} ${t(s.fromMs)} → ${t(s.toMs)} UTC`;
    case 'liquidity':
      return `slippage × ${s.slippageMultiplier}${on(s.venues)} ${t(s.fromMs)} → ${t(s.toMs)} UTC`;
    case 'adl':
      return `auto-deleveraging on ${s.venue}${s.asset ? ` of ${s.asset} perps` : ''} at ${t(s.atMs)} UTC (${Number.isNaN(s.share) ? 'hit and share drawn by the ADL queue model' : `share ${s.share}`})`;
  }
}
