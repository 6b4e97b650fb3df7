/**
 * The full-year Binance BTC 1m set (spot, perp, mark: 525,605 bars each, and the year's funding
 * settlements), delta-neutral held all year: the whole `perpcarry backtest` process (default
 * outputs) side by side with a vectorized static hedge of the same data (bench/notebook.py with
 * numpy, else bench/notebook.ts), interleaved A B A B, one unmeasured warm-up pair first.
 * Targets (issue 13): perpcarry ≤ 4× the notebook and ≤ 1 s whole process, ≤ 400 MB peak RSS,
 * ≥ 25M events/s in the engine loop through the CLI (medians of the pairs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { yearStore, rawArrays } from '../fixtures.js';
import { BENCH_DIR, ROOT, backtestArgv, interleave, measureProcess, median, pythonWithNumpy, reps, spread, type BenchSection, type ProcessMeasure } from '../harness.js';

/** What `perpcarry backtest --json` prints (the fields used here). */
interface CliJson {
  runDir: string;
  summary: { metrics: { totalReturn: number }; pnl: { funding: number } };
  timing: { loadMs: number; loopMs: number; loopCpuMs?: number; loopThreadCpuMs?: number; totalMs: number; events: number; quietEvents?: number; eventsPerSec: number; writeMs?: number; bytesWritten?: number; peakRssMb?: number };
}

const section: BenchSection = {
  name: 'backtest',
  title: 'full-year BTC 1m, delta-neutral: perpcarry backtest vs a vectorized notebook (whole processes)',
  async run(report) {
    const store = await yearStore((s) => report.note(s));
    const raw = rawArrays(store);
    const out = join(BENCH_DIR, 'run');
    const cliArgs = backtestArgv(store.dataDir, store.fromMs, store.toMs, out);
    const python = pythonWithNumpy();
    const nbCmd = python ?? process.execPath;
    const nbArgs = python ? [join(ROOT, 'bench', 'notebook.py'), raw.dir, join(BENCH_DIR, 'notebook-equity.npy')] : [join(ROOT, 'dist', 'bench', 'notebook.js'), raw.dir, join(BENCH_DIR, 'notebook-equity.f64')];
    const nbName = python ? 'numpy notebook' : 'typed-array notebook (no numpy here)';
    const cli = (): ProcessMeasure & { json: CliJson } => {
      const m = measureProcess(process.execPath, cliArgs, { cwd: ROOT });
      return { ...m, json: JSON.parse(m.stdout) as CliJson };
    };
    const notebook = (): ProcessMeasure => measureProcess(nbCmd, nbArgs, { cwd: ROOT });

    // Warm-up pair (page cache, the store's verification cache): not counted.
    cli();
    notebook();
    const pairs = reps(5);
    const { a: runs, b: nbs, ratios } = interleave(pairs, cli, notebook, (x) => x.wallMs);
    const cond = `median of ${pairs} interleaved pairs`;
    const t = (f: (x: CliJson['timing']) => number | undefined): number => median(runs.map((r) => f(r.json.timing) ?? NaN));
    const wall = median(runs.map((r) => r.wallMs));
    const nbWall = median(nbs.map((r) => r.wallMs));
    const events = runs[0]!.json.timing.events;
    report.note(`${events} events (bar closes of 3 series + settlements); notebook: ${nbName}, ${raw.bars} bars`);
    report.figure(`${nbName}: whole process`, nbWall, 'ms', `${cond}, ${spread(nbs.map((r) => r.wallMs))} ms; CPU ${median(nbs.map((r) => r.cpuMs)).toFixed(0)} ms`);
    report.target('perpcarry backtest: whole process', wall, 'ms', '<=', 1000, `${cond}, ${spread(runs.map((r) => r.wallMs))} ms; CPU ${median(runs.map((r) => r.cpuMs)).toFixed(0)} ms`);
    report.target('perpcarry / notebook, whole process', median(ratios), '×', '<=', 4, `median of ${pairs} pair ratios, ${spread(ratios, 2)}`);
    report.figure('perpcarry / notebook, CPU time', median(runs.map((r, i) => r.cpuMs / nbs[i]!.cpuMs)), '×', `median of ${pairs} pair ratios (user + sys of each process)`);
    report.target('perpcarry peak RSS', median(runs.map((r) => r.maxRssMb)), 'MB', '<=', 400, `${cond}, max ${Math.max(...runs.map((r) => r.maxRssMb)).toFixed(0)} MB (GNU time)`);
    report.target('engine loop through the CLI', t((x) => x.eventsPerSec) / 1e6, 'M ev/s', '>=', 25, `${cond}, wall ${t((x) => x.loopMs).toFixed(1)} ms`);
    report.figure('engine loop, by CPU time', events / t((x) => x.loopCpuMs) / 1e3, 'M ev/s', `${t((x) => x.loopCpuMs).toFixed(1)} ms process CPU (all threads) during the loop`);
    report.figure('engine loop, by its own thread CPU', events / t((x) => x.loopThreadCpuMs) / 1e3, 'M ev/s', `${t((x) => x.loopThreadCpuMs).toFixed(1)} ms CPU of the loop's thread (without JIT and GC threads; what the wall time approaches on an idle machine)`);
    report.figure('load + verify + merge', t((x) => x.loadMs), 'ms', cond);
    report.figure('write run directory', t((x) => x.writeMs), 'ms', cond);
    report.figure('bytes written', (runs[0]!.json.timing.bytesWritten ?? NaN) / 1e6, 'MB', 'default outputs: run.json, summary.json, equity.arrow, CSVs');
    report.figure('in-process total (start → summary)', t((x) => x.totalMs), 'ms', cond);
    report.figure('outside it (exit, spawn)', median(runs.map((r) => r.wallMs - r.json.timing.totalMs)), 'ms', cond);
    // The report a user asks for afterwards (`perpcarry report <dir>`): a figure, no target here.
    const reportRuns = Array.from({ length: Math.min(3, pairs) }, () => measureProcess(process.execPath, [join(ROOT, 'bin', 'perpcarry.mjs'), 'report', out], { cwd: ROOT }));
    report.figure('perpcarry report <run dir>: whole process', median(reportRuns.map((r) => r.wallMs)), 'ms', `median of ${reportRuns.length}; report.md + report.html; peak RSS ${median(reportRuns.map((r) => r.maxRssMb)).toFixed(0)} MB`);
    // Most bars pass while delta-neutral sleeps (ctx.sleep) and are replayed in bulk: the same run
    // with --sleep ignore (onBar at every bar, every instant stepped) must write the same files.
    const quiet = runs[0]!.json.timing.quietEvents ?? 0;
    report.figure('events replayed in bulk while the strategy slept', (100 * quiet) / events, '%', `${quiet} of ${events}`);
    const ignoreOut = join(BENCH_DIR, 'run-sleep-ignore');
    const ignore = measureProcess(process.execPath, [...cliArgs.map((a) => (a === out ? ignoreOut : a)), '--sleep', 'ignore'], { cwd: ROOT });
    const differing = readdirSync(ignoreOut)
      .filter((f) => f !== 'run.json')
      .filter((f) => !existsSync(join(out, f)) || !readFileSync(join(out, f)).equals(readFileSync(join(ignoreOut, f))));
    report.target('run files differing from --sleep ignore', differing.length, 'files', '<=', 0, `${differing.join(', ') || 'none'} (ignore: onBar at every bar, ${ignore.wallMs.toFixed(0)} ms whole process)`);
    const nbSummary = JSON.parse(nbs[0]!.stdout) as { totalReturn: number; funding: number };
    const pc = runs[0]!.json.summary;
    report.note(
      `sanity: perpcarry return ${(pc.metrics.totalReturn * 100).toFixed(2)}% (funding ${pc.pnl.funding.toFixed(0)}), ` +
        `notebook static hedge ${(nbSummary.totalReturn * 100).toFixed(2)}% (funding ${nbSummary.funding.toFixed(0)})`,
    );
  },
};

export default section;
