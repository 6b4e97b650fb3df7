/**
 * Named crash windows: stress periods a carry strategy must survive. Each window is [startMs, endMs)
 * in UTC; which bundled series cover it is computed from the catalog and the files themselves.
 */
import { join } from 'node:path';
import { MS_PER_HOUR, isoUtc, parseInstant, timeframeToMs } from '../core/time.js';
import { readCatalog, type CatalogEntry } from './catalog.js';
import { lowerBound, readSeriesFile } from './store.js';

/** A named stress window. */
export interface CrashWindow {
  /** Stable id, usable as `--window <id>`. */
  id: string;
  name: string;
  startMs: number;
  endMs: number;
  /** One line: what happened. */
  description: string;
}

const w = (id: string, name: string, start: string, end: string, description: string): CrashWindow => ({
  id,
  name,
  startMs: parseInstant(start),
  endMs: parseInstant(end),
  description,
});

/** The registry, oldest first. */
export const CRASH_WINDOWS: readonly CrashWindow[] = [
  w('2020-03-12', 'COVID crash (Black Thursday)', '2020-03-11', '2020-03-15', 'BTC spot fell 52% from 7,980 (Mar 11 22:00 UTC) to 3,782.13 (Mar 13 02:00); Binance BTC funding hit the −0.30%/8h cap at Mar 13 08:00.'),
  w('2021-05-19', 'May 2021 China-ban crash', '2021-05-18', '2021-05-21', 'Selloff on China crypto restrictions: BTC spot fell from 45,799 (May 18) to 30,000 at 13:00 UTC May 19 (−34%).'),
  w('2022-11-ftx', 'FTX collapse', '2022-11-06', '2022-11-15', 'FTX halted withdrawals and collapsed: BTC spot 21,365 → 15,588 (−27%) and ETH 1,639 → 1,073.53 (−35%) by Nov 9 23:00 UTC.'),
  w('2025-02-03', 'Feb 2025 tariff shock', '2025-02-02', '2025-02-05', 'US tariff announcements: ETH fell to 2,125.01 on Binance spot at 02:00–03:00 UTC Feb 3 (perp 2,080.19, mark 2,157.66), −32% from the Feb 2 00:00 open of 3,117.54.'),
  w('2025-10-10', 'Oct 10 2025 liquidation cascade', '2025-10-10', '2025-10-13', 'US–China tariff threat, the largest liquidation day on record: BTC spot 122,550 → 102,000 (−17%) on Oct 10; perp low 101,516.5 at 21:20 UTC; ETH perp low 3,400.'),
  w('2026-02-05', 'Feb 2026 crash', '2026-02-04', '2026-02-09', 'BTC spot fell from 76,909 (Feb 4) to 60,185 at 00:20 UTC Feb 6 (−22%, 1m mid), the largest drop in the bundled 1m data.'),
];

/** Find a window by id; throws listing the ids. */
export function getCrashWindow(id: string): CrashWindow {
  const hit = CRASH_WINDOWS.find((x) => x.id === id);
  if (!hit) throw new Error(`unknown window "${id}" (known: ${CRASH_WINDOWS.map((x) => x.id).join(', ')})`);
  return hit;
}

/** How one bundled series covers a window. */
export interface WindowCoverage {
  path: string;
  venue: string;
  symbol: string;
  kind: string;
  timeframe?: string;
  /** Rows inside [startMs, endMs). */
  rows: number;
  /** rows / expected rows (bars: window / timeframe; funding: window / interval), in [0, 1]. */
  fraction: number;
}

/** A window with the series that have data inside it. */
export interface WindowReport extends CrashWindow {
  startIso: string;
  endIso: string;
  coverage: WindowCoverage[];
}

function expectedRows(e: CatalogEntry, win: CrashWindow, intervalHours: number): number {
  const span = win.endMs - win.startMs;
  if (e.kind === 'funding') return span / (intervalHours * MS_PER_HOUR);
  return span / timeframeToMs(e.timeframe!);
}

/** Coverage of every registered window by the series of the store at `dataDir`. */
export function windowCoverage(dataDir: string): WindowReport[] {
  const cat = readCatalog(dataDir);
  const loaded = new Map<string, ReturnType<typeof readSeriesFile>>();
  const out: WindowReport[] = [];
  for (const win of CRASH_WINDOWS) {
    const coverage: WindowCoverage[] = [];
    for (const e of cat.entries) {
      if (e.rows === 0 || e.lastTs < win.startMs || e.firstTs >= win.endMs) continue;
      let s = loaded.get(e.path);
      if (!s) {
        s = readSeriesFile(join(dataDir, e.path));
        loaded.set(e.path, s);
      }
      const lo = lowerBound(s.ts, win.startMs);
      const hi = lowerBound(s.ts, win.endMs);
      const rows = hi - lo;
      if (rows === 0) continue;
      const iv = s.columns['interval_hours'];
      const intervalHours = iv && rows > 0 ? iv[hi - 1]! : 8;
      const fraction = Math.min(1, rows / expectedRows(e, win, intervalHours));
      const c: WindowCoverage = { path: e.path, venue: e.venue, symbol: e.symbol, kind: e.kind, rows, fraction: Math.round(fraction * 1000) / 1000 };
      if (e.timeframe) c.timeframe = e.timeframe;
      coverage.push(c);
    }
    out.push({ ...win, startIso: isoUtc(win.startMs), endIso: isoUtc(win.endMs), coverage });
  }
  return out;
}
