/** One-line descriptions of shocks, for the terminal, run logs and reports. */
import { isoTime, MS_PER_MINUTE } from '../core/time.js';
import type { Shock } from './types.js';

// UTC ISO 8601 (`2025-02-02T22:00Z`), as every date a user reads.
const t = (ms: number): string => isoTime(ms);
const on = (venues: readonly string[]): string => (venues.length ? ` on ${venues.join(', ')}` : ' on every venue');

/** `basis binance ETH perp at −5.8 % to spot, 2025-02-02T22:00Z → 2025-02-03T06:00Z (ramp 90 min)`. */
export function describeShock(s: Shock): string {
  switch (s.type) {
    case 'basis':
      return `basis ${s.venue} ${s.asset} perp at ${s.basisPct} % to spot, ${t(s.fromMs)} → ${t(s.toMs)}${s.rampMs ? ` (ramp ${s.rampMs / MS_PER_MINUTE} min)` : ''}`;
    case 'funding':
      return (
        `funding ${s.mode} ${s.venue} ${s.asset} at ${(s.ratePer8h * 100).toFixed(4)} %/8h from ${t(s.fromMs)}` +
        (Number.isFinite(s.toMs) ? ` to ${t(s.toMs)}` : '') +
        (Number.isFinite(s.settlements) ? ` (at most ${s.settlements} settlements)` : '')
      );
    case 'price-gap':
      return `price gap ${s.asset} ${s.pct > 0 ? '+' : ''}${s.pct} % at ${t(s.atMs)}${on(s.venues)}`;
    case 'outage':
      return `outage ${s.venue} ${t(s.fromMs)} → ${t(s.toMs)} (orders ${s.orders === 'queue' ? 'queued' : 'refused'}, no transfers)`;
    case 'transfer-delay':
      return `transfers${on(s.venues)} ${s.frozen ? 'frozen' : `delayed ${s.delayMs / MS_PER_MINUTE} min`} ${t(s.fromMs)} → ${t(s.toMs)}`;
    case 'liquidity':
      return `slippage × ${s.slippageMultiplier}${on(s.venues)} ${t(s.fromMs)} → ${t(s.toMs)}`;
    case 'adl':
      return `auto-deleveraging on ${s.venue}${s.asset ? ` of ${s.asset} perps` : ''} at ${t(s.atMs)} (${Number.isNaN(s.share) ? 'hit and share drawn by the ADL queue model' : `share ${s.share}`})`;
  }
}
