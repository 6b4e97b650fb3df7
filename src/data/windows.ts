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
  w('2020-03-12', 'COVID crash (Black Thursday)', '2020-03-11', '2020-03-15', 'BTC fell about 50% in two days (Mar 12–13 2020); Binance BTC funding hit −0.3%/8h, the cap, at 2020-03-13 08:00.'),
  w('2021-05-19', 'May 2021 China-ban crash', '2021-05-18', '2021-05-21', 'BTC dropped ~30% intraday on May 19 2021 amid China crypto restrictions and record liquidations.'),
  w('2022-11-ftx', 'FTX collapse', '2022-11-06', '2022-11-15', 'FTX halted withdrawals and failed (Nov 8–11 2022); BTC −25%, ETH funding on Binance reached −0.3%/8h.'),
  w('2025-02-03', 'Feb 2025 tariff shock', '2025-02-02', '2025-02-05', 'US tariff announcements: ETH fell to 2125.01 on Binance spot at 02:05 UTC Feb 3 (perp 2080.19, mark 2157.66), −32% from the Feb 2 00:00 open of 3117.54.'),
  w('2025-10-10', 'Oct 10 2025 liquidation cascade', '2025-10-10', '2025-10-13', 'US–China tariff threat on Oct 10 2025: the largest liquidation day on record; BTC perp low 101,516 at 21:20 UTC, ETH 3,400.'),
  w('2026-02-05', 'Feb 2026 crash', '2026-02-04', '2026-02-09', 'BTC fell ~16% intraday on Feb 5–6 2026, the largest drop in the 1m Binance dataset.'),
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
