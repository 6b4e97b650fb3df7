import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDataDir } from '../data/catalog.js';
import { builtinLocation } from '../strategy/registry.js';

/**
 * The data directory a reading command (backtest, data list) uses when none is given:
 * `$PERPCARRY_DATA_DIR`, else `./data` if it exists, else the data bundled with this installation
 * (`<package>/data`, shipped in the npm package), so that `npx perpcarry backtest …` works in a
 * fresh folder. Commands that write (import, fetch) keep `./data`: they never write into the package.
 */
export function readingDataDir(): string {
  if (process.env.PERPCARRY_DATA_DIR !== undefined) return defaultDataDir();
  const local = defaultDataDir();
  if (existsSync(local)) return local;
  const bundled = join(builtinLocation().root, 'data');
  return existsSync(join(bundled, 'catalog.json')) ? bundled : local;
}
