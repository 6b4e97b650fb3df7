/** `perpcarry worker` handler: serve queue tasks (sweep points, Monte Carlo paths) until SIGINT/SIGTERM. */
import { resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import { defaultDataDir } from '../data/catalog.js';

/** Handler of `perpcarry worker`. */
export async function workerCommandHandler(args: Record<string, unknown>): Promise<void> {
  const jobs = (args['jobs'] as number | undefined) ?? 1;
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new UserError(`--jobs must be a positive integer (got ${jobs})`);
  const lockMs = (args['lock-ms'] as number | undefined) ?? 30_000;
  if (!(Number.isFinite(lockMs) && lockMs >= 500)) throw new UserError(`--lock-ms must be at least 500 (got ${lockMs})`);
  const dataDir = resolve((args['data-dir'] as string | undefined) ?? defaultDataDir());
  const { serveQueue } = await import('../research/queue.js');
  const { SWEEP_TASK, SWEEP_TASK_MODULE } = await import('../analysis/sweep/run-sweep.js');
  const { MC_TASK, MC_TASK_MODULE } = await import('../analysis/montecarlo-task.js');
  const log = (m: string): void => void process.stdout.write(`${new Date().toISOString()} ${m}\n`);
  const w = await serveQueue({ url: args['queue'] as string, dataDir, threads: jobs, tasks: { [SWEEP_TASK]: SWEEP_TASK_MODULE, [MC_TASK]: MC_TASK_MODULE }, lockMs, onLog: log });
  log(`worker ready: ${args['queue'] as string}, ${jobs} thread(s), data ${dataDir}`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      log('stopping');
      void w.close().then(done, done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
