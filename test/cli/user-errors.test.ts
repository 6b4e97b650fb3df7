/**
 * Issue 12, item 5: every user mistake and damaged input the attacks found, run through the real
 * CLI: each must exit 1 with a message naming the file, row, field or option — never exit 70 or a
 * stack trace, never an unhandled rejection after the right error.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeriesFile } from '../../src/data/store.js';
import { FIX, ROOT, tmpDir } from '../support/paths.js';

const BIN = join(ROOT, 'bin', 'perpcarry.mjs');
const BT = ['backtest', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03'];
const IMPORT = ['data', 'import'];
const BARS = ['--venue', 'binance', '--symbol', 'BTC/USDT', '--kind', 'ohlcv', '--timeframe', '1h'];

let work: string;
let baseRun: string;

/** Run the CLI without blocking the test worker (a blocked worker misses vitest's RPC deadlines). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A private copy of the bundled store. */
function store(name: string): string {
  const d = join(work, name);
  cpSync(join(ROOT, 'data'), d, { recursive: true });
  return d;
}

/** A private copy of a complete run directory. */
function runCopy(name: string): string {
  const d = join(work, name);
  cpSync(baseRun, d, { recursive: true });
  return d;
}

function editJson(path: string, edit: (j: Record<string, unknown>) => void): void {
  const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(j);
  writeFileSync(path, JSON.stringify(j));
}

/** Multiply the stored float64 `value` (found by its exact bytes) by `factor` inside `file`. */
function patchFloat(file: string, value: number, factor: number): void {
  const b = readFileSync(file);
  const needle = Buffer.alloc(8);
  needle.writeDoubleLE(value);
  const at = b.indexOf(needle);
  if (at < 0) throw new Error(`value ${value} not found in ${file}`);
  b.writeDoubleLE(value * factor, at);
  writeFileSync(file, b);
}

/** A ZIP archive with the given entries; `declare` overrides an entry's declared uncompressed size. */
function zip(entries: { name: string; data: Buffer; declare?: number }[], cdOffsetDelta = 0): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let off = 0;
  for (const e of entries) {
    const comp = deflateRawSync(e.data);
    const name = Buffer.from(e.name);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(e.declare ?? e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(comp.length, 20);
    ch.writeUInt32LE(e.declare ?? e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(off, 42);
    locals.push(lh, name, comp);
    central.push(ch, name);
    off += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(off + cdOffsetDelta, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

const CSV_OK = 'ts,open,high,low,close,volume\n1735689600000,1,2,0.5,1,1\n1735693200000,1,2,0.5,1,1\n';

interface Case {
  name: string;
  /** Prepares inputs in `work`; returns the CLI arguments (and env). */
  setup: () => { args: string[]; env?: Record<string, string> };
  message: RegExp;
}

const cases: Case[] = [
  {
    name: 'a rate overwritten in funding.arrow (×50): backtest refuses the file, naming it',
    setup: () => {
      const d = store('corrupt-rate');
      const f = join(d, 'binance/ETH-USDT-USDT/funding.arrow');
      const s = readSeriesFile(f, { fromMs: Date.parse('2025-02-03T00:00Z'), toMs: Date.parse('2025-02-03T00:00:01Z') });
      patchFloat(f, s.columns['rate']![0]!, 50);
      return { args: [...BT, '--data-dir', d, '--out', join(work, 'o1')] };
    },
    message: /ETH-USDT-USDT\/funding\.arrow: file bytes differ from the catalog \(sha256/,
  },
  {
    name: "BTC's ohlcv-1h.arrow copied over ETH's: backtest refuses it",
    setup: () => {
      const d = store('btc-over-eth');
      cpSync(join(d, 'binance/BTC-USDT-USDT/ohlcv-1h.arrow'), join(d, 'binance/ETH-USDT-USDT/ohlcv-1h.arrow'));
      return { args: [...BT, '--data-dir', d, '--out', join(work, 'o2')] };
    },
    message: /ETH-USDT-USDT\/ohlcv-1h\.arrow/,
  },
  {
    name: "BTC's ohlcv-1h.arrow copied over ETH's: reindex skips it, saying whose it is",
    setup: () => {
      const d = store('btc-over-eth-reindex');
      cpSync(join(d, 'binance/BTC-USDT-USDT/ohlcv-1h.arrow'), join(d, 'binance/ETH-USDT-USDT/ohlcv-1h.arrow'));
      return { args: ['data', 'reindex', '--data-dir', d] };
    },
    message: /skipped binance\/ETH-USDT-USDT\/ohlcv-1h\.arrow: its metadata says binance BTC\/USDT:USDT ohlcv 1h/,
  },
  {
    name: 'a funding file at an ohlcv path: reindex skips it',
    setup: () => {
      const d = store('funding-at-ohlcv');
      cpSync(join(d, 'binance/ETH-USDT-USDT/funding.arrow'), join(d, 'binance/ETH-USDT-USDT/ohlcv-8h.arrow'));
      return { args: ['data', 'reindex', '--data-dir', d] };
    },
    message: /skipped binance\/ETH-USDT-USDT\/ohlcv-8h\.arrow: its metadata says binance ETH\/USDT:USDT funding/,
  },
  {
    name: 'a truncated Arrow file: reindex rebuilds the rest and lists it',
    setup: () => {
      const d = store('truncated');
      const f = join(d, 'binance/ETH-USDT/ohlcv-1h.arrow');
      writeFileSync(f, readFileSync(f).subarray(0, 1000));
      return { args: ['data', 'reindex', '--data-dir', d] };
    },
    message: /skipped binance\/ETH-USDT\/ohlcv-1h\.arrow/,
  },
  ...(['null', '[null]', '{"version":1,"entries":[null]}'] as const).map((text) => ({
    name: `catalog.json ${text}`,
    setup: () => {
      const d = store(`catalog-${text.length}`);
      writeFileSync(join(d, 'catalog.json'), text);
      return { args: ['data', 'list', '--data-dir', d] };
    },
    message: /catalog\.json: .*(expected a catalog object|entry 0: not an object)/,
  })),
  {
    name: 'a catalog entry without provenance',
    setup: () => {
      const d = store('no-provenance');
      editJson(join(d, 'catalog.json'), (j) => delete (j['entries'] as Record<string, unknown>[])[0]!['provenance']);
      return { args: [...BT, '--data-dir', d, '--out', join(work, 'o3')] };
    },
    message: /catalog\.json: entry 0 \(binance\/BTC-USD-BTC\/funding\.arrow\): no provenance object/,
  },
  {
    name: 'a symlink loop in the store: reindex does not follow it and lists it',
    setup: () => {
      const d = store('symlinks');
      symlinkSync('loop1', join(d, 'binance', 'loop2'));
      symlinkSync('loop2', join(d, 'binance', 'loop1'));
      return { args: ['data', 'reindex', '--data-dir', d] };
    },
    message: /skipped .*binance\/loop1: symbolic link \(not followed\)/,
  },
  {
    name: '--timeframe 1x',
    setup: () => {
      writeFileSync(join(work, 'ok.csv'), CSV_OK);
      return { args: [...IMPORT, 'ok.csv', '--data-dir', join(work, 'd-tf'), '--venue', 'binance', '--symbol', 'BTC/USDT', '--kind', 'ohlcv', '--timeframe', '1x'] };
    },
    message: /invalid timeframe "1x"/,
  },
  {
    name: 'a 25-digit timestamp',
    setup: () => {
      writeFileSync(join(work, 'ts25.csv'), 'ts,open,high,low,close,volume\n1735689600000000000000000,1,2,0.5,1,1\n');
      return { args: [...IMPORT, 'ts25.csv', '--data-dir', join(work, 'd-ts'), ...BARS] };
    },
    message: /ts25\.csv, row 2, column "ts": timestamp 1735689600000000000000000 is outside years 0001-9999/,
  },
  {
    name: 'a non-number in a price column',
    setup: () => {
      writeFileSync(join(work, 'nan.csv'), 'ts,open,high,low,close,volume\n1735689600000,1,2,0.5,abc,1\n');
      return { args: [...IMPORT, 'nan.csv', '--data-dir', join(work, 'd-nan'), ...BARS] };
    },
    message: /nan\.csv, row 2, column "close": not a number: "abc"/,
  },
  {
    name: 'a row with a missing field',
    setup: () => {
      writeFileSync(join(work, 'short.csv'), 'ts,open,high,low,close,volume\n1735689600000,1,2,0.5,1,1\n1735693200000,1,2,0.5\n');
      return { args: [...IMPORT, 'short.csv', '--data-dir', join(work, 'd-short'), ...BARS] };
    },
    message: /short\.csv, row 3: has 4 fields, expected 6/,
  },
  {
    name: '--symbol ../../x on import',
    setup: () => ({ args: [...IMPORT, 'ok.csv', '--data-dir', join(work, 'd-sym'), '--venue', 'binance', '--symbol', '../../x', '--kind', 'ohlcv', '--timeframe', '1h'] }),
    message: /invalid symbol "\.\.\/\.\.\/x"/,
  },
  {
    name: 'backtest --venue ../../x never reads outside the store',
    setup: () => ({ args: ['backtest', '--strategy', 'delta-neutral', '--venue', '../../x', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--data-dir', join(ROOT, 'data'), '--out', join(work, 'o4')] }),
    // Refused before any path is built: not a venue id, or (checked first) no venue profile.
    message: /venue "\.\.\/\.\.\/x" (has no profile|is not a valid)|invalid venue "\.\.\/\.\.\/x"/,
  },
  {
    name: 'data inspect ../../etc',
    setup: () => ({ args: ['data', 'inspect', '../../etc', 'BTC/USDT:USDT', 'funding', '--data-dir', join(ROOT, 'data')] }),
    message: /invalid venue "\.\.\/\.\.\/etc"/,
  },
  {
    name: 'run.json fromMs 9e15 (backtest --config)',
    setup: () => {
      const r = runCopy('run-from');
      editJson(join(r, 'run.json'), (j) => (j['fromMs'] = 9e15));
      return { args: ['backtest', '--config', join(r, 'run.json'), '--data-dir', join(ROOT, 'data'), '--out', join(work, 'o5')] };
    },
    message: /run-from\/run\.json: "fromMs" must be an integer epoch ms/,
  },
  {
    name: 'run.json data: [null] (backtest --config)',
    setup: () => {
      const r = runCopy('run-data');
      editJson(join(r, 'run.json'), (j) => (j['data'] = [null]));
      return { args: ['backtest', '--config', join(r, 'run.json'), '--data-dir', join(ROOT, 'data'), '--out', join(work, 'o6')] };
    },
    message: /run-data\/run\.json: "data\[0\]" must be an object/,
  },
  {
    name: 'run.json data: [null] (report)',
    setup: () => {
      const r = runCopy('run-data-report');
      editJson(join(r, 'run.json'), (j) => (j['data'] = [null]));
      return { args: ['report', r] };
    },
    message: /run\.json: "data\[0\]" must be an object/,
  },
  {
    name: 'summary.json metrics: null (report)',
    setup: () => {
      const r = runCopy('sum-null');
      editJson(join(r, 'summary.json'), (j) => (j['metrics'] = null));
      return { args: ['report', r] };
    },
    message: /summary\.json: "metrics" must be an object, got null/,
  },
  {
    name: 'summary.json metrics: null (compare)',
    setup: () => ({ args: ['compare', join(work, 'sum-null'), baseRun] }),
    message: /summary\.json: "metrics" must be an object, got null/,
  },
  {
    name: 'invalid margin tiers in run.json',
    setup: () => {
      const r = runCopy('tiers');
      editJson(join(r, 'run.json'), (j) => {
        const m = j['models'] as { margin: { params: { tiers: Record<string, unknown> } } };
        m.margin.params.tiers['binance:ETH'] = [{ floor: -5, rate: 'x' }];
      });
      return { args: ['backtest', '--config', join(r, 'run.json'), '--data-dir', join(ROOT, 'data'), '--out', join(work, 'o7')] };
    },
    // The model registry validates run.json model params by schema and names the path.
    message: /models\.margin\.params\.tiers\.binance:ETH\[0\]\.floor: -5 is below the minimum 0/,
  },
  {
    name: 'a run directory without ledger.csv (report)',
    setup: () => {
      const r = runCopy('no-ledger');
      rmSync(join(r, 'ledger.csv'));
      return { args: ['report', r] };
    },
    message: /is incomplete: missing ledger\.csv/,
  },
  {
    name: 'a parquet file with corrupt data pages: one error, no unhandled rejection after it',
    setup: () => {
      const b = readFileSync(join(FIX, 'BTCUSDT_funding_1m.parquet'));
      for (let i = 100; i < b.length / 2; i++) b[i] = (i * 7) & 255;
      writeFileSync(join(work, 'corrupt.parquet'), b);
      return { args: [...IMPORT, 'corrupt.parquet', '--data-dir', join(work, 'd-pq'), '--venue', 'binance', '--symbol', 'BTC/USDT:USDT', '--kind', 'funding', '--map', 'rate=funding_rate'] };
    },
    message: /^perpcarry: corrupt\.parquet: cannot decode parquet data \([^\n]*\)\n$/,
  },
  {
    name: 'a 1 MB zip declaring a 1 GB entry is refused before inflating',
    setup: () => {
      writeFileSync(join(work, 'bomb.zip'), zip([{ name: 'a.csv', data: Buffer.alloc(1 << 20, 0x30), declare: 1 << 30 }]));
      return { args: [...IMPORT, 'bomb.zip', '--data-dir', join(work, 'd-zip1'), ...BARS] };
    },
    message: /bomb\.zip: ZIP entry a\.csv declares 1073741824 bytes from \d+ compressed .*refusing to inflate/,
  },
  {
    name: 'a zip of eight entries is refused before inflating',
    setup: () => {
      writeFileSync(join(work, 'eight.zip'), zip(Array.from({ length: 8 }, (_, k) => ({ name: `p${k}.csv`, data: Buffer.from(CSV_OK) }))));
      return { args: [...IMPORT, 'eight.zip', '--data-dir', join(work, 'd-zip8'), ...BARS] };
    },
    message: /eight\.zip: expected one file in the ZIP archive, found 8/,
  },
  {
    name: 'a zip whose entry inflates past its declared size stops at it',
    setup: () => {
      writeFileSync(join(work, 'liar.zip'), zip([{ name: 'a.csv', data: Buffer.from(CSV_OK.repeat(20)), declare: 100 }]));
      return { args: [...IMPORT, 'liar.zip', '--data-dir', join(work, 'd-zipl'), ...BARS] };
    },
    message: /liar\.zip: ZIP entry a\.csv: inflates past the 100 bytes its header declares/,
  },
  {
    name: 'a zip with a corrupt central-directory offset',
    setup: () => {
      writeFileSync(join(work, 'cd.zip'), zip([{ name: 'a.csv', data: Buffer.from(CSV_OK) }], 1_000_000));
      return { args: [...IMPORT, 'cd.zip', '--data-dir', join(work, 'd-zipc'), ...BARS] };
    },
    message: /cd\.zip: corrupt ZIP archive: central directory .* lies outside the file/,
  },
  {
    name: 'data fetch without DNS fails at once, without retries',
    setup: () => ({
      args: ['data', 'fetch', '--data-dir', join(work, 'd-fetch'), '--exchange', 'binance', '--symbol', 'BTC/USDT:USDT', '--since', '2025-01-01', '--until', '2025-01-02', '--kinds', 'funding'],
      env: { PERPCARRY_FETCH_API_BASE: 'http://perpcarry-no-such-host.invalid' },
    }),
    message: /binance is unreachable at http:\/\/perpcarry-no-such-host\.invalid: cannot resolve perpcarry-no-such-host\.invalid .*Nothing was stored/,
  },
];

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('run `npx tsc -p .` first (npm test does)');
  work = tmpDir('perpcarry-usererr-');
  baseRun = join(work, 'base-run');
  const r = await cli([...BT, '--data-dir', join(ROOT, 'data'), '--out', baseRun]);
  if (r.code !== 0) throw new Error(`base run failed: ${r.stderr}`);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('user errors exit 1 with a message naming what is wrong (real CLI processes)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { args, env } = c.setup();
      const r = await cli(args, env);
      expect(r.stderr).not.toMatch(/internal error|Unhandled| {4}at /);
      // reindex lists what it skipped on stdout (and exits 1); errors go to stderr.
      expect(args[1] === 'reindex' ? r.stdout : r.stderr).toMatch(c.message);
      expect(r.code, r.stderr).toBe(1);
      if (c.name.includes('without DNS')) expect(r.stderr).not.toMatch(/retry/);
    }, 120_000);
  }

  it('a read-only data directory on reindex is an error naming it (not root: root writes anyway)', async () => {
    if (process.getuid?.() === 0) return; // permission bits do not stop root
    const d = store('readonly');
    writeFileSync(join(d, 'catalog.json'), '{bad');
    chmodSync(d, 0o555);
    try {
      const r = await cli(['data', 'reindex', '--data-dir', d]);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.stderr).toContain(d);
      expect(r.code).toBe(1);
    } finally {
      chmodSync(d, 0o755);
    }
  }, 120_000);

  it('an unreadable catalog is rebuilt by reindex (exit 0), and report.md escapes HTML in what it embeds', async () => {
    const d = store('badjson');
    writeFileSync(join(d, 'catalog.json'), '{bad');
    const r = await cli(['data', 'reindex', '--data-dir', d]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('the old catalog was unreadable');
    expect((await cli(['data', 'list', '--data-dir', d])).code).toBe(0);
    const run = runCopy('html');
    const trades = readFileSync(join(run, 'trades.csv'), 'utf8').trim().split('\n');
    trades[1] = trades[1]!.replace(/,[^,]*$/, ',<img src=x onerror=alert(1)>');
    writeFileSync(join(run, 'trades.csv'), trades.join('\n') + '\n');
    const rep = await cli(['report', run]);
    expect(rep.code, rep.stderr).toBe(0);
    const md = readFileSync(join(run, 'report.md'), 'utf8');
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(md).not.toContain('<img');
  }, 120_000);
});
