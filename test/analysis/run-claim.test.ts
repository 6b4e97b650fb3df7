/**
 * claimRunDir's commit replaces a run as a whole. Attacked in one process: commits back to back
 * into one directory, each replacing a run of 500 files. At every commit the directory holds
 * exactly the new run (never a mix, never missing), and nothing is left beside it: no temp
 * directory, no replaced run, no lock.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { claimRunDir } from '../../src/analysis/run-claim.js';
import { tmpDir } from '../support/paths.js';

function writeRun(dir: string, k: number): void {
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ k }));
  mkdirSync(join(dir, 'many'));
  for (let f = 0; f < 500; f++) writeFileSync(join(dir, 'many', `${f}.txt`), `${k}`);
}

test('back-to-back commits: the directory is always the new run; nothing is left beside it', () => {
  const work = tmpDir('perpcarry-commit-');
  const out = join(work, 'run');
  try {
    for (let k = 0; k < 4; k++) {
      const claim = claimRunDir(out);
      try {
        writeRun(claim.tmp, k);
        claim.commit();
      } finally {
        claim.release();
      }
      expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'))).toEqual({ k });
      const many = readdirSync(join(out, 'many'));
      expect(many).toHaveLength(500);
      expect(readFileSync(join(out, 'many', '499.txt'), 'utf8')).toBe(String(k));
      expect(readdirSync(work)).toEqual(['run']);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 120_000);
