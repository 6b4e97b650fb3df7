/**
 * startWriteback: a background fdatasync on a descriptor of its own. It must leave the file as it
 * is, close that descriptor once the sync is done (a run writer calls it for every equity batch),
 * hold at most MAX_WRITEBACKS descriptors however often it is called without the event loop
 * running (a script writing run after run synchronously), and ignore a path that is gone (a hint
 * never fails the write it speeds up).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { MAX_WRITEBACKS, startWriteback } from '../../src/core/fs.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

test.runIf(process.platform === 'linux')('leaves the file intact and closes its descriptors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perpcarry-writeback-'));
  try {
    const path = join(dir, 'a.bin');
    const data = Buffer.alloc(1 << 20, 7);
    writeFileSync(path, data);
    const before = openFds();
    // Synchronously, as a loop of writeRunDir calls would: capped descriptors.
    for (let k = 0; k < 5 * MAX_WRITEBACKS; k++) startWriteback(path);
    expect(openFds()).toBeGreaterThan(before);
    expect(openFds()).toBeLessThanOrEqual(before + MAX_WRITEBACKS);
    startWriteback(join(dir, 'missing.bin'));
    // The callbacks close the descriptors once the syncs are done.
    for (let k = 0; k < 200 && openFds() > before; k++) await new Promise((r) => setTimeout(r, 10));
    expect(openFds()).toBe(before);
    // Once they are done, hints are taken again.
    startWriteback(path);
    expect(openFds()).toBe(before + 1);
    for (let k = 0; k < 200 && openFds() > before; k++) await new Promise((r) => setTimeout(r, 10));
    expect(openFds()).toBe(before);
    expect(readFileSync(path).equals(data)).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
