/**
 * Run directories under attack with real processes (issue 12): two backtests into one --out never
 * mix (the second waits, then replaces the first run as a whole); SIGINT/SIGTERM while the run is
 * being written leave no temp directory and no lock; a kill -9's leftovers are removed by the next
 * writer; report/compare refuse a run directory missing a required file, naming it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tmpDir } from '../support/paths.js';

const BIN = join(ROOT, 'bin', 'perpcarry.mjs');
const BT = ['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03'];

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('run `npx tsc -p .` first (npm test does)');
});

function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Names in `dir` that a writer leaves behind: temp dirs, old dirs, lock files. */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => /\.(tmp|old)-\d+$|\.lock$|\.tmp$/.test(n));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('run directory claims (real processes)', () => {
  it('two backtests into one --out: both exit 0, the directory holds one whole run (run.json, summary, report agree)', async () => {
    for (let trial = 0; trial < 2; trial++) {
      const work = tmpDir('perpcarry-claim-');
      const out = join(work, 'run');
      const a = start([...BT, '--capital', '100000', '--out', out, '--report']);
      const b = start([...BT, '--capital', '50000', '--out', out, '--report']);
      const [ra, rb] = await Promise.all([a.done, b.done]);
      expect([ra.code, rb.code], ra.stderr + rb.stderr).toEqual([0, 0]);
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { runId: string; capital: number };
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { runId: string; metrics: { initialEquity: number } };
      expect(summary.runId).toBe(run.runId);
      expect(summary.metrics.initialEquity).toBe(run.capital);
      expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(run.runId);
      expect(readdirSync(out).sort()).toEqual(
        ['equity.arrow', 'funding.csv', 'ledger.csv', 'liquidations.csv', 'position-changes.csv', 'positions.csv', 'report.html', 'report.md', 'run.json', 'run.log', 'summary.json', 'trades.csv'],
      );
      expect(leftovers(work)).toEqual([]);
      rmSync(work, { recursive: true, force: true });
    }
  }, 240_000);

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} while the run directory is being written leaves no temp directory and no lock`, async () => {
      const work = tmpDir('perpcarry-sig-');
      const out = join(work, 'run');
      const p = start([...BT, '--out', out, '--report']);
      // Signal as soon as the claim exists (the temp dir appears); the report takes a second or more after it.
      let sent = false;
      for (let i = 0; i < 3000 && !sent; i++) {
        if (readdirSync(work).some((n) => n.startsWith('.run.tmp-'))) {
          p.child.kill(sig);
          sent = true;
        } else await sleep(5);
      }
      const r = await p.done;
      expect(sent).toBe(true);
      expect(r.signal).toBe(sig);
      expect(leftovers(work)).toEqual([]);
      // Either no run at all, or (signal handled only after the commit) a complete one.
      if (existsSync(out)) expect(readdirSync(out)).toContain('report.html');
      rmSync(work, { recursive: true, force: true });
    }, 120_000);
  }

  it('kill -9 leftovers (temp dir and lock of a dead pid) are removed by the next writer', async () => {
    const work = tmpDir('perpcarry-k9-');
    const out = join(work, 'run');
    // A pid that is not alive: spawn a process and wait for it to end.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    mkdirSync(join(work, `.run.tmp-${dead}`));
    writeFileSync(join(work, `.run.tmp-${dead}`, 'equity.arrow'), 'half');
    writeFileSync(join(work, '.run.lock'), JSON.stringify({ pid: Number(dead), host: (await import('node:os')).hostname(), createdAt: 'then', what: 'run' }));
    const r = await start([...BT, '--out', out]).done;
    expect(r.code, r.stderr).toBe(0);
    expect(leftovers(work)).toEqual([]);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('report and compare refuse a run directory missing any required file, naming it', async () => {
    const work = tmpDir('perpcarry-req-');
    const out = join(work, 'run');
    expect((await start([...BT, '--out', out]).done).code).toBe(0);
    for (const f of ['run.json', 'summary.json', 'equity.arrow', 'trades.csv', 'funding.csv', 'positions.csv', 'liquidations.csv', 'ledger.csv']) {
      const broken = join(work, `no-${f}`);
      spawnSync('cp', ['-r', out, broken]);
      rmSync(join(broken, f));
      for (const cmd of [['report', broken], ['compare', broken, out]]) {
        const r = spawnSync(process.execPath, [BIN, ...cmd], { cwd: ROOT, encoding: 'utf8' });
        expect(r.status, `${cmd.join(' ')}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toContain(`is incomplete: missing ${f}`);
      }
    }
    rmSync(work, { recursive: true, force: true });
  }, 240_000);
});
