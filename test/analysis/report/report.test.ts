import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, cpSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixtureRun } from '../fixture.js';
import { writeReports } from '../../../src/analysis/report/index.js';
import { loadMarketFunding, readRunDir } from '../../../src/analysis/report/run-dir.js';
import { sha256Hex } from '../../../src/data/catalog.js';
import { mkdirSync } from 'node:fs';
import { minMaxDownsample, unionAlign } from '../../../src/analysis/report/downsample.js';
import { parseCsv } from '../../../src/analysis/report/csv.js';
import { main } from '../../../src/cli/main.js';
import { writeSeriesFile } from '../../../src/data/store.js';

const tmp = mkdtempSync(join(tmpdir(), 'perpcarry-report-'));
let good = '';
beforeAll(() => {
  good = writeFixtureRun(tmp, { runId: 'good', days: 3, stepMs: 300_000, liquidateAtFrac: 0.6, leverage: 2, seed: 5 });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Copy the good run to a fresh dir, let `mutate` break it, return the path. */
function broken(name: string, mutate: (dir: string) => void): string {
  const d = join(tmp, name);
  cpSync(good, d, { recursive: true });
  for (const f of ['report.html', 'report.md']) rmSync(join(d, f), { force: true });
  mutate(d);
  return d;
}

function reportFiles(d: string): string[] {
  return readdirSync(d).filter((f) => f.startsWith('report.') || f.includes('.tmp'));
}

async function captureStderr(fn: () => Promise<number>): Promise<{ code: number; err: string }> {
  const orig = process.stderr.write.bind(process.stderr);
  let err = '';
  (process.stderr as unknown as { write: (s: string) => boolean }).write = (s: string) => ((err += s), true);
  try {
    return { code: await fn(), err };
  } finally {
    (process.stderr as unknown as { write: typeof orig }).write = orig;
  }
}

describe('writeReports', () => {
  it('writes a self-contained report.html and a report.md with the key tables', async () => {
    const out = await writeReports(good, { html: true });
    const html = readFileSync(out.html!, 'utf8');
    const md = readFileSync(out.md, 'utf8');
    // offline: uPlot inlined, no external scripts, styles or fonts
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).not.toMatch(/https?:\/\/(?!github\.com\/leeoniya)/);
    for (const id of ['"equity"', '"drawdown"', '"attribution"', '"funding-0"', '"basis"', '"margin-0"']) expect(html).toContain(`"id":${id}`);
    for (const t of ['id="metrics"', 'id="pnl"', 'id="monthly"', 'id="drawdowns"', 'id="trades"', 'id="config"', 'id="liquidations"']) expect(html).toContain(t);
    const s = JSON.parse(readFileSync(join(good, 'summary.json'), 'utf8'));
    expect(md).toContain('## Summary metrics');
    expect(md).toContain('## Monthly returns');
    expect(md).toContain('| 2025-02 |');
    expect(md).toContain('## Largest drawdowns');
    expect(md).toContain('## Trades');
    expect(md).toContain('## Resolved run configuration');
    expect(md).toContain(`| Liquidations | 1 |`);
    expect(md).toContain((s.metrics.totalReturn * 100).toFixed(2) + '%');
    expect(md).toMatch(/\| Funding \| [\d,.]+ \|/);
  });

  it('in-memory equity arrays (as backtest hands them over) give byte-identical reports', async () => {
    const d = broken('in-memory', () => undefined);
    const fromFile = await writeReports(d);
    const html = readFileSync(fromFile.html!, 'utf8');
    const md = readFileSync(fromFile.md, 'utf8');
    const eq = readRunDir(good).equity;
    // a Map in file order, columns longer than ts (the engine's preallocated buffers) are cut to ts
    const columns = new Map(eq.columnOrder.map((c): [string, Float64Array] => {
      const long = new Float64Array(eq.ts.length + 5).fill(123);
      long.set(eq.columns[c]!);
      return [c, long];
    }));
    const out = await writeReports(d, { equity: { ts: eq.ts, columns } });
    expect(readFileSync(out.md, 'utf8')).toBe(md);
    expect(readFileSync(out.html!, 'utf8')).toBe(html);
  });

  it('--no-html writes only report.md', async () => {
    const d = broken('nohtml', () => undefined);
    const out = await writeReports(d, { html: false });
    expect(out.html).toBeNull();
    expect(reportFiles(d)).toEqual(['report.md']);
  });

  it('the CLI regenerates both and exits 0', async () => {
    const d = broken('cli-ok', () => undefined);
    const { code } = await captureStderr(() => main(['report', d]));
    expect(code).toBe(0);
    expect(reportFiles(d).sort()).toEqual(['report.html', 'report.md']);
  });
});

describe('bad run directories: clear error, non-zero exit, nothing written', () => {
  const cases: [string, (d: string) => void, RegExp][] = [
    ['partial', (d) => { unlinkSync(join(d, 'funding.csv')); unlinkSync(join(d, 'trades.csv')); }, /incomplete: missing trades\.csv, funding\.csv/],
    ['no-equity', (d) => unlinkSync(join(d, 'equity.arrow')), /missing equity\.arrow/],
    ['version', (d) => {
      const p = join(d, 'run.json');
      writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), formatVersion: 2 }));
    }, /run\.json: formatVersion 2 is not supported/],
    ['no-version', (d) => writeFileSync(join(d, 'summary.json'), JSON.stringify({ runId: 'good', metrics: {}, pnl: {} })), /summary\.json: no "formatVersion"/],
    ['summary-field', (d) => {
      const p = join(d, 'summary.json');
      const s = JSON.parse(readFileSync(p, 'utf8'));
      delete s.metrics.sharpe;
      writeFileSync(p, JSON.stringify(s));
    }, /summary\.json: missing field\(s\) "metrics\.sharpe"/],
    ['equity-column', (d) => {
      const run = readRunDir(good);
      const cols = { ...run.equity.columns };
      delete cols['pnl_fees'];
      writeSeriesFile(join(d, 'equity.arrow'), { ts: run.equity.ts, columns: cols }, Object.keys(cols));
    }, /equity\.arrow: missing column\(s\) "pnl_fees"/],
    ['csv-row', (d) => writeFileSync(join(d, 'trades.csv'), 'ts,venue,symbol,side,qty,price,fee,slippage,liquidity,tag\n1,binance,X,buy,abc,1,0,0,taker,t\n'), /trades\.csv, row 2, column "qty": not a number: "abc"/],
    ['bad-json', (d) => writeFileSync(join(d, 'run.json'), '{"formatVersion": 1,'), /run\.json: not valid JSON/],
  ];
  for (const [name, mutate, re] of cases) {
    it(name, async () => {
      const d = broken(name, mutate);
      await expect(writeReports(d)).rejects.toThrow(re);
      const { code, err } = await captureStderr(() => main(['report', d]));
      expect(code).not.toBe(0);
      expect(err).toMatch(re);
      expect(err).not.toContain('internal error');
      expect(reportFiles(d)).toEqual([]);
    });
  }
  it('missing directory', async () => {
    const { code, err } = await captureStderr(() => main(['report', join(tmp, 'nope')]));
    expect(code).toBe(1);
    expect(err).toContain(`run directory ${join(tmp, 'nope')} does not exist`);
  });
});

describe('display downsampling', () => {
  it('keeps every sample when there are few', () => {
    const ts = Float64Array.from([1, 2, 3]);
    expect(minMaxDownsample(ts, [Float64Array.from([5, NaN, 7])], 10)).toEqual({ x: [1, 2, 3], ys: [[5, null, 7]] });
  });
  it('min/max per bucket in time order, strictly increasing x, global extremes kept', () => {
    const n = 100_000;
    const ts = Float64Array.from({ length: n }, (_, i) => i * 60_000);
    const a = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 700) * 100 + (i === 54_321 ? 500 : 0));
    const b = Float64Array.from({ length: n }, (_, i) => (i < 50_000 ? NaN : -i));
    const d = minMaxDownsample(ts, [a, b], 500);
    expect(d.x.length).toBe(1000);
    for (let i = 1; i < d.x.length; i++) expect(d.x[i]!).toBeGreaterThan(d.x[i - 1]!);
    const ya = d.ys[0]! as number[];
    expect(Math.max(...ya)).toBeCloseTo(Math.max(...a), 4); // the 1-sample spike survives
    expect(Math.min(...ya)).toBeCloseTo(Math.min(...a), 4);
    // bucket 0 of series a: 200 samples rising ⇒ (min, max)
    expect(ya[0]).toBeCloseTo(0, 6);
    expect(ya[1]).toBeCloseTo(Math.sin(199 / 700) * 100, 4);
    // series b: NaN half ⇒ nulls; falling half ⇒ (max, min)
    expect(d.ys[1]![0]).toBeNull();
    expect(d.ys[1]![500]).toBe(-50_000);
    expect(d.ys[1]![501]).toBe(-50_199);
  });
  it('unionAlign merges x and pads with null', () => {
    expect(unionAlign([{ x: [1, 3], ys: [[10, 30]] }, { x: [2, 3], ys: [[200, 300]] }])).toEqual({ x: [1, 2, 3], ys: [[10, null, 30], [null, 200, 300]] });
  });
});

describe('csv reader', () => {
  it('handles quotes, CRLF and a missing trailing newline', () => {
    const t = parseCsv('a,b\r\n1,"x,""y"""\r\n2,z', 'f.csv');
    expect(t.rows).toBe(2);
    expect(t.cols['b']).toEqual(['x,"y"', 'z']);
  });
  it('names file and line of a ragged row', () => {
    expect(() => parseCsv('a,b\n1\n', 'f.csv')).toThrow(/f\.csv, row 2: expected 2 fields, found 1/);
  });
});

it('no temp files are left behind', () => {
  expect(existsSync(good)).toBe(true);
  expect(readdirSync(good).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});

describe('market funding enrichment (settlements while flat)', () => {
  it('reads the funding file named in run.json only if its sha256 still matches', () => {
    const d = broken('market', () => undefined);
    const dataDir = join(tmp, 'datadir');
    const rel = 'binance/ETH_USDT_USDT/funding.arrow';
    mkdirSync(join(dataDir, 'binance', 'ETH_USDT_USDT'), { recursive: true });
    const t0 = Date.UTC(2025, 1, 2);
    const ts = Float64Array.from({ length: 12 }, (_, i) => t0 + i * 8 * 3_600_000);
    writeSeriesFile(join(dataDir, rel), { ts, columns: { rate: ts.map(() => 0.0001), interval_hours: ts.map(() => 8), mark_price: ts.map(() => NaN) } }, ['rate', 'interval_hours', 'mark_price']);
    const p = join(d, 'run.json');
    const run = JSON.parse(readFileSync(p, 'utf8'));
    run.dataDir = dataDir;
    run.data[1].sha256 = sha256Hex(readFileSync(join(dataDir, rel)));
    writeFileSync(p, JSON.stringify(run));
    const ok = loadMarketFunding(readRunDir(d));
    expect(ok.skipped).toEqual([]);
    // the run spans 3 days from t0: settlements at 0, 8, …, 72 h ⇒ 10 rows inside [from, to]
    expect(ok.series.get('binance:ETH/USDT:USDT')!.ts.length).toBe(10);
    run.data[1].sha256 = 'f'.repeat(64);
    writeFileSync(p, JSON.stringify(run));
    const changed = loadMarketFunding(readRunDir(d));
    expect(changed.series.size).toBe(0);
    expect(changed.skipped).toEqual([`${rel} (changed since the run)`]);
  });
});

describe('display downsampling properties', () => {
  it('keeps each series envelope (global min and max), strictly increasing x, ≤ 2 points per bucket', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(NaN)), { minLength: 1, maxLength: 3000 }),
        fc.integer({ min: 1, max: 400 }),
        (vals, buckets) => {
          const v = Float64Array.from(vals);
          const ts = Float64Array.from(vals, (_, i) => 1_700_000_000_000 + i * 60_000);
          const d = minMaxDownsample(ts, [v], buckets);
          expect(d.x.length).toBeLessThanOrEqual(Math.max(2 * buckets, vals.length));
          for (let i = 1; i < d.x.length; i++) expect(d.x[i]!).toBeGreaterThan(d.x[i - 1]!);
          const finite = vals.filter((x) => !Number.isNaN(x));
          const shown = d.ys[0]!.filter((x): x is number => x !== null);
          if (finite.length === 0) expect(shown).toEqual([]);
          else {
            expect(Math.max(...shown)).toBeCloseTo(Math.max(...finite), 0);
            expect(Math.min(...shown)).toBeCloseTo(Math.min(...finite), 0);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
