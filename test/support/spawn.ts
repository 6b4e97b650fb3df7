import { spawn } from 'node:child_process';

/** What a finished child process left. */
export interface Ran {
  code: number;
  out: string;
  err: string;
}

/**
 * Run a command without blocking the test worker: a long spawnSync starves vitest's RPC on a
 * loaded machine and fails the run with "Timeout calling onTaskUpdate".
 */
export function spawnAsync(cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 300_000 });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}
