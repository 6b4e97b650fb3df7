/**
 * The bench harness: what a section of `npm run bench` gets and gives back. A section is one file
 * in bench/sections/ whose default export is a {@link BenchSection}; bench/run.ts runs every
 * section (or those named on the command line), prints their figures and targets, and exits 1 when
 * any target is missed or any section fails. Sections measure whole processes where the claim is
 * about a whole process, interleave the things they compare, and judge on medians, so that a
 * busy machine makes the figures noisy but not the verdict wrong.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (bench files run from dist/bench/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Cache of prepared bench data (gitignored): stores built once, reused by later benches. */
export const BENCH_DIR = join(ROOT, '.bench');

/** A target: `value op limit` must hold. */
export interface TargetResult {
  section: string;
  label: string;
  value: number;
  unit: string;
  op: '<=' | '>=';
  limit: number;
  met: boolean;
}

/** What a section reports into. Figures are printed; targets are printed and decide the exit code. */
export interface BenchReport {
  /** A measured figure (no verdict). `conditions` says how it was measured (median of n, …). */
  figure(label: string, value: number, unit: string, conditions?: string): void;
  /** A measured figure with a limit: missed ⇒ `npm run bench` exits 1. */
  target(label: string, value: number, unit: string, op: '<=' | '>=', limit: number, conditions?: string): boolean;
  /** A free line of context (sanity values, what was compared). */
  note(text: string): void;
}

/** One bench section (a file in bench/sections/, default export). */
export interface BenchSection {
  /** Short name, used to select it: `npm run bench -- <name>`. */
  name: string;
  /** One line: what it measures. */
  title: string;
  run(report: BenchReport): Promise<void> | void;
}

/** Median (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Number of repetitions: `PERPCARRY_BENCH_REPS` or the default. */
export function reps(dflt: number): number {
  const n = Number(process.env['PERPCARRY_BENCH_REPS'] ?? dflt);
  return Number.isInteger(n) && n > 0 ? n : dflt;
}

/** The machine the figures were taken on. */
export function machineLine(): string {
  const c = cpus();
  return `${c.length}× ${c[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`;
}

/** One child process measured from outside: wall time, CPU time and peak RSS of the child itself. */
export interface ProcessMeasure {
  wallMs: number;
  /** User + system CPU time of the child (and its children), ms. */
  cpuMs: number;
  /** Peak resident set size of the child, MB (MiB). */
  maxRssMb: number;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Run `cmd args` to completion and measure it. With GNU time available (`/usr/bin/time`) the
 * child's own CPU time and peak RSS are read from its rusage; without it only wall time is known
 * (cpuMs and maxRssMb are NaN, so a target on them fails rather than passes). A non-zero exit is an
 * error carrying the child's stderr.
 */
export function measureProcess(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): ProcessMeasure {
  const useTime = existsSync(GNU_TIME);
  const dir = useTime ? mkdtempSync(join(tmpdir(), 'perpcarry-bench-')) : '';
  const timeFile = join(dir, 'rusage');
  const argv = useTime ? ['-o', timeFile, '-f', '%e %U %S %M', cmd, ...args] : [...args];
  try {
    const t0 = performance.now();
    const r = spawnSync(useTime ? GNU_TIME : cmd, argv, { encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
    const wallMs = performance.now() - t0;
    const stdout = String(r.stdout);
    const stderr = String(r.stderr);
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${stderr.slice(-4000)}`);
    let cpuMs = NaN;
    let maxRssMb = NaN;
    if (useTime) {
      // The last line: GNU time may prefix a "Command exited…" line.
      const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
      const [, user, sys, rssKb] = last.split(/\s+/).map(Number);
      cpuMs = (user! + sys!) * 1000;
      maxRssMb = rssKb! / 1024;
    }
    return { wallMs, cpuMs, maxRssMb, stdout, stderr };
  } finally {
    if (useTime) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Run `a` and `b` alternately (A B A B …) `pairs` times, so that a load change on the machine hits
 * both alike; returns the measures of each and the per-pair ratios a/b of `key`.
 */
export function interleave<A, B>(pairs: number, a: () => A, b: () => B, key: (x: A | B) => number): { a: A[]; b: B[]; ratios: number[] } {
  const as: A[] = [];
  const bs: B[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const x = a();
    const y = b();
    as.push(x);
    bs.push(y);
    ratios.push(key(x) / key(y));
  }
  return { a: as, b: bs, ratios };
}

/** `min–max` of a list, for the conditions line. */
export function spread(xs: readonly number[], digits = 0): string {
  return `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
}

/**
 * The argv of the benched `perpcarry backtest` run: delta-neutral on Binance BTC/USDT 1m (the
 * bench stores' instruments) over [fromMs, toMs), default outputs into `out`, `--json` summary.
 */
export function backtestArgv(dataDir: string, fromMs: number, toMs: number, out: string): string[] {
  return [
    join(ROOT, 'bin', 'perpcarry.mjs'),
    'backtest',
    '--strategy', 'delta-neutral',
    '--venue', 'binance',
    '--symbol', 'BTC/USDT',
    '--timeframe', '1m',
    '--from', new Date(fromMs).toISOString(),
    '--to', new Date(toMs).toISOString(),
    '--data-dir', dataDir,
    '--out', out,
    '--json',
  ];
}

/** A python3 with numpy, or null. */
export function pythonWithNumpy(): string | null {
  const r = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  return r.status === 0 ? 'python3' : null;
}
