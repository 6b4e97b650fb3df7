/**
 * Scaling: the year set tiled end to end (bench/fixtures.ts) and backtested over 1, 5 and 10 years
 * (delta-neutral, default outputs, whole processes, interleaved 1y 5y 10y per round). Targets
 * (issue 13): time grows linearly — the 10-year run costs at most 2.2× the 5-year one (linear is
 * just under 2×: the fixed start-up cost is shared), by CPU time, which a busy machine disturbs
 * less than wall time — and the 10-year run peaks at ≤ 1.5 GB RSS.
 */
import { join } from 'node:path';
import { tiledStore } from '../fixtures.js';
import { BENCH_DIR, ROOT, backtestArgv, measureProcess, median, reps, spread, type BenchSection, type ProcessMeasure } from '../harness.js';

const YEARS = [1, 5, 10] as const;

const section: BenchSection = {
  name: 'tiled',
  title: 'the year tiled to 10 years: linear time, bounded memory (whole processes)',
  async run(report) {
    const store = await tiledStore(10, (s) => report.note(s));
    const run = (years: number): ProcessMeasure & { events: number; eventsPerSec: number; bytes: number } => {
      const m = measureProcess(process.execPath, backtestArgv(store.dataDir, store.fromMs, store.fromMs + years * store.tileMs, join(BENCH_DIR, `run-tiled-${years}y`)), { cwd: ROOT });
      const timing = (JSON.parse(m.stdout) as { timing: { events: number; eventsPerSec: number; bytesWritten?: number } }).timing;
      return { ...m, events: timing.events, eventsPerSec: timing.eventsPerSec, bytes: timing.bytesWritten ?? NaN };
    };
    run(1); // warm-up: page cache, verification cache
    const rounds = Math.max(1, Math.min(3, reps(3)));
    const by = new Map<number, ReturnType<typeof run>[]>(YEARS.map((y) => [y, []]));
    for (let i = 0; i < rounds; i++) for (const y of YEARS) by.get(y)!.push(run(y));
    const cond = `median of ${rounds}, interleaved`;
    for (const y of YEARS) {
      const rs = by.get(y)!;
      report.figure(
        `${y} y: whole process`,
        median(rs.map((r) => r.wallMs)),
        'ms',
        `${cond}; ${spread(rs.map((r) => r.wallMs))} ms wall, CPU ${median(rs.map((r) => r.cpuMs)).toFixed(0)} ms, ${rs[0]!.events} events, loop ${(median(rs.map((r) => r.eventsPerSec)) / 1e6).toFixed(1)} M ev/s, peak RSS ${median(rs.map((r) => r.maxRssMb)).toFixed(0)} MB, ${(rs[0]!.bytes / 1e6).toFixed(0)} MB written`,
      );
    }
    const cpu = (y: number): number => median(by.get(y)!.map((r) => r.cpuMs));
    report.figure('CPU time per year, 1 y / 5 y / 10 y', cpu(10) / 10, 'ms', `${cpu(1).toFixed(0)} / ${(cpu(5) / 5).toFixed(0)} / ${(cpu(10) / 10).toFixed(0)} ms`);
    report.target('CPU time 10 y / 5 y (linear: < 2)', cpu(10) / cpu(5), '×', '<=', 2.2, cond);
    report.target('10 y: peak RSS', median(by.get(10)!.map((r) => r.maxRssMb)), 'MB', '<=', 1536, `${cond} (GNU time)`);
  },
};

export default section;
