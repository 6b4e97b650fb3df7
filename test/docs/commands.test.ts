/**
 * Every command in the docs runs as written, so the docs cannot rot.
 *
 * The convention: a fenced ```sh block holds commands a reader can paste; each
 * line (with `\` continuations joined) that starts with `npx perpcarry` is run here, in order, per
 * file, in a sandbox directory holding a copy of the bundled store and the input files the docs
 * name (built from the bundled data and ../shared/data), with `data fetch` pointed at the loopback
 * exchange emulator. A command must exit 0. Synopses with placeholders (`<run-id>`, `[--json]`) go
 * in ```text blocks, which are not run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { makeZip } from '../support/zip.js';
import { readSeriesFile } from '../../src/data/store.js';
import { readCatalog, findEntry } from '../../src/data/catalog.js';
import { startEmulator, type Emulator } from '../data/fetch/emulator/server.js';
import { ROOT, SHARED, IN_CI, tmpDir } from '../support/paths.js';

/** A documented command: where it is and what it says. */
interface DocCommand {
  file: string;
  line: number;
  command: string;
}

/** The markdown files that hold user-facing commands. */
function docFiles(): string[] {
  const files = [join(ROOT, 'README.md')];
  for (const f of readdirSync(join(ROOT, 'docs')).sort()) if (f.endsWith('.md')) files.push(join(ROOT, 'docs', f));
  for (const d of readdirSync(join(ROOT, 'strategies')).sort()) {
    const readme = join(ROOT, 'strategies', d, 'README.md');
    if (existsSync(readme)) files.push(readme);
  }
  return files;
}

/** `npx perpcarry …` commands of the ```sh blocks of one markdown file, continuations joined. */
export function extractCommands(file: string, text: string): DocCommand[] {
  const out: DocCommand[] = [];
  const lines = text.split('\n');
  let inSh = false;
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (/^\s*```/.test(raw)) {
      if (!inFence) {
        inFence = true;
        inSh = /^\s*```(sh|bash|shell)\s*$/.test(raw);
      } else inFence = inSh = false;
      continue;
    }
    if (!inSh || !/^\s*npx perpcarry\b/.test(raw)) continue;
    const start = i + 1;
    let cmd = raw;
    while (/\\\s*$/.test(cmd) && i + 1 < lines.length) cmd = cmd.replace(/\\\s*$/, ' ') + lines[++i]!.trim();
    out.push({ file: relative(ROOT, file), line: start, command: stripComment(cmd).trim() });
  }
  return out;
}

/** Drop a trailing `# comment` outside quotes. */
function stripComment(cmd: string): string {
  let quote = '';
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(cmd[i - 1]!))) return cmd.slice(0, i);
  }
  return cmd;
}

/** Binance public-data kline CSVs (12 columns, no header) for one month of the bundled BTC/USDT 1h. */
function klineMonthCsv(dataDir: string, year: number, month: number): string {
  const e = findEntry(readCatalog(dataDir), 'binance', 'BTC/USDT', 'ohlcv', '1h');
  if (!e) throw new Error('bundled binance BTC/USDT 1h is missing');
  const from = Date.UTC(year, month - 1, 1);
  const to = Date.UTC(year, month, 1);
  const s = readSeriesFile(join(dataDir, e.path), { fromMs: from, toMs: to - 1 });
  const c = s.columns;
  const rows: string[] = [];
  for (let i = 0; i < s.ts.length; i++) {
    const t = s.ts[i]!;
    if (t < from || t >= to) continue;
    const v = c['volume']![i]!;
    rows.push([t, c['open']![i], c['high']![i], c['low']![i], c['close']![i], v, t + 3_599_999, v * c['close']![i]!, 1000, v / 2, (v * c['close']![i]!) / 2, 0].join(','));
  }
  return rows.join('\n') + '\n';
}

/** Binance public-data fundingRate CSV for one month of the bundled BTC/USDT:USDT funding. */
function fundingMonthCsv(dataDir: string, year: number, month: number): string {
  const e = findEntry(readCatalog(dataDir), 'binance', 'BTC/USDT:USDT', 'funding');
  if (!e) throw new Error('bundled binance BTC/USDT:USDT funding is missing');
  const from = Date.UTC(year, month - 1, 1);
  const to = Date.UTC(year, month, 1);
  const s = readSeriesFile(join(dataDir, e.path), { fromMs: from, toMs: to - 1 });
  const rows = ['calc_time,funding_interval_hours,last_funding_rate'];
  for (let i = 0; i < s.ts.length; i++) {
    const t = s.ts[i]!;
    if (t >= from && t < to) rows.push(`${t},${s.columns['interval_hours']![i]},${s.columns['rate']![i]}`);
  }
  return rows.join('\n') + '\n';
}

/** The input files the docs' import/validate examples name, made in the sandbox. */
function makeInputFiles(dir: string, dataDir: string): void {
  for (const m of [1, 2, 3]) {
    const name = `BTCUSDT-1h-2025-0${m}`;
    writeFileSync(join(dir, `${name}.zip`), makeZip(`${name}.csv`, Buffer.from(klineMonthCsv(dataDir, 2025, m))));
  }
  writeFileSync(join(dir, 'BTCUSDT-fundingRate-2025-01.csv'), fundingMonthCsv(dataDir, 2025, 1));
  writeFileSync(join(dir, 'some.csv'), fundingMonthCsv(dataDir, 2025, 2));
  const shared: [string, string][] = [
    ['funding/Funding Rate History_BTCUSDT Perpetual_2024-08-09.csv', 'Funding Rate History_BTCUSDT Perpetual_2024-08-09.csv'],
    ['prices/binance_btc_1m_2025_2026/BTCUSDT_perp_mark_1m.parquet', 'BTCUSDT_perp_mark_1m.parquet'],
  ];
  for (const [from, to] of shared) if (existsSync(join(SHARED, from))) copyFileSync(join(SHARED, from), join(dir, to));
}

const all: DocCommand[] = docFiles().flatMap((f) => extractCommands(f, readFileSync(f, 'utf8')));
const byFile = new Map<string, DocCommand[]>();
for (const c of all) byFile.set(c.file, [...(byFile.get(c.file) ?? []), c]);

/** The test's environment with fetch pointed at the emulator and the default data dir (./data). */
function sandboxEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PERPCARRY_FETCH_API_BASE: emu.base };
  delete env['PERPCARRY_DATA_DIR'];
  return env;
}

/** Run a shell command asynchronously (the emulator answers from this process's event loop). */
function run(cmd: string, cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', cmd], { cwd, env: sandboxEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

let emu: Emulator;
let sandbox: string;
const cli = join(ROOT, 'bin', 'perpcarry.mjs');

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('run `npx tsc -p tsconfig.json` first (npm test does)');
  if (!existsSync(SHARED) && IN_CI) throw new Error(`shared data missing at ${SHARED}`);
  emu = await startEmulator();
  sandbox = tmpDir('perpcarry-docs-');
});

afterAll(async () => {
  await emu?.close();
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
});

describe('the extractor', () => {
  it('joins continuations, strips comments outside quotes, reads only sh blocks', () => {
    const md = ['```text', 'npx perpcarry data list [--json]', '```', '```sh', 'npx perpcarry data import "a # b.csv" --x \\', '  --y 1   # note', 'echo hi', '```'].join('\n');
    expect(extractCommands(join(ROOT, 'x.md'), md)).toEqual([{ file: 'x.md', line: 5, command: 'npx perpcarry data import "a # b.csv" --x  --y 1' }]);
  });

  it('finds the documented commands (README, docs/, strategy READMEs)', () => {
    expect(all.length).toBeGreaterThan(15);
    expect(byFile.has('README.md')).toBe(true);
  });
});

describe.each([...byFile.keys()])('commands in %s run as written', (file) => {
  it(
    'each exits 0',
    async () => {
      // One fresh copy of the store per doc file: its commands run in order (later ones read earlier outputs).
      const dir = join(sandbox, file.replace(/[^A-Za-z0-9]+/g, '_'));
      mkdirSync(dir, { recursive: true });
      cpSync(join(ROOT, 'data'), join(dir, 'data'), { recursive: true });
      symlinkSync(join(ROOT, 'examples'), join(dir, 'examples'));
      makeInputFiles(dir, join(dir, 'data'));
      for (const c of byFile.get(file)!) {
        const shellCmd = c.command.replace(/^npx perpcarry\b/, `node ${JSON.stringify(cli)}`);
        const r = await run(shellCmd, dir);
        const where = `${c.file}:${c.line}: ${c.command}`;
        expect(r.status, `${where}\nexit ${r.status}\n${r.stderr}\n${r.stdout.slice(-2000)}`).toBe(0);
      }
    },
    600_000,
  );
});

