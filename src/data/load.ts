import { join } from 'node:path';
import type { SeriesKind, Symbol, VenueId } from '../core/ids.js';
import { seriesRelPath } from '../core/ids.js';
import { readSeriesFile, type LoadedSeries, type ReadWindow } from './store.js';

/**
 * Load one stored series for the window [fromMs, toMs) into typed arrays.
 * Throws a DataError naming the file if it is not in the store.
 */
export function loadSeries(
  dataDir: string,
  venue: VenueId,
  symbol: Symbol,
  kind: SeriesKind,
  timeframe: string | undefined,
  window: ReadWindow = {},
): LoadedSeries & { path: string } {
  const path = join(dataDir, seriesRelPath(venue, symbol, kind, timeframe));
  return { ...readSeriesFile(path, window), path };
}
