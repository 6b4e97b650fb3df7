/**
 * `npm run bench [-- section…]`: runs the bench sections in bench/sections/ (every one, or those
 * named), prints each section's figures and targets, then all targets together, and exits 1 when
 * any target is missed or a section failed (0 only when every target is met). Not part of
 * `npm test`: speed is judged here, never by a timed unit test.
 *
 * Adding a section: a file bench/sections/<name>.ts whose default export is a
 * {@link BenchSection} (see bench/harness.ts); it is picked up by name, in file-name order.
 * `PERPCARRY_BENCH_REPS` changes the repetition counts of the sections that honour it.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineLine, type BenchReport, type BenchSection, type TargetResult } from './harness.js';

const sectionsDir = join(dirname(fileURLToPath(import.meta.url)), 'sections');

async function loadSections(): Promise<BenchSection[]> {
  const files = readdirSync(sectionsDir)
    .filter((f) => f.endsWith('.js'))
    .sort();
  const out: BenchSection[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(sectionsDir, f)).href)) as { default?: BenchSection };
    if (!mod.default || typeof mod.default.run !== 'function') throw new Error(`bench/sections/${f}: no default export with run()`);
    out.push(mod.default);
  }
  return out;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function reporter(section: string, targets: TargetResult[]): BenchReport {
  return {
    figure(label, value, unit, conditions) {
      console.log(`  ${label.padEnd(46)} ${fmt(value).padStart(10)} ${unit.padEnd(9)}${conditions ? `  ${conditions}` : ''}`);
    },
    target(label, value, unit, op, limit, conditions) {
      // NaN (not measured) never meets a target.
      const met = op === '<=' ? value <= limit : value >= limit;
      targets.push({ section, label, value, unit, op, limit, met });
      console.log(`  ${label.padEnd(46)} ${fmt(value).padStart(10)} ${unit.padEnd(9)}  target ${op} ${fmt(limit)}  ${met ? 'ok' : 'MISSED'}${conditions ? `  (${conditions})` : ''}`);
      return met;
    },
    note(text) {
      console.log(`  · ${text}`);
    },
  };
}

const wanted = process.argv.slice(2);
const all = await loadSections();
const unknown = wanted.filter((w) => !all.some((s) => s.name === w));
if (unknown.length) {
  console.error(`bench: no section ${unknown.join(', ')} (sections: ${all.map((s) => s.name).join(', ')})`);
  process.exit(2);
}
const chosen = wanted.length ? all.filter((s) => wanted.includes(s.name)) : all;
console.log(`machine: ${machineLine()}`);
const targets: TargetResult[] = [];
const failed: string[] = [];
for (const s of chosen) {
  console.log(`\n[${s.name}] ${s.title}`);
  const t0 = performance.now();
  try {
    await s.run(reporter(s.name, targets));
  } catch (e) {
    failed.push(s.name);
    console.log(`  FAILED: ${(e as Error).stack ?? String(e)}`);
  }
  console.log(`  (section took ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
const missed = targets.filter((t) => !t.met);
console.log(`\nmachine at the end: ${machineLine()}`);
console.log(`targets: ${targets.length - missed.length} of ${targets.length} met${failed.length ? `; sections failed: ${failed.join(', ')}` : ''}`);
for (const t of missed) console.log(`  MISSED [${t.section}] ${t.label}: ${fmt(t.value)} ${t.unit}, target ${t.op} ${fmt(t.limit)}`);
const ok = missed.length === 0 && failed.length === 0;
console.log(ok ? 'bench: all targets met' : 'bench: TARGETS MISSED');
process.exitCode = ok ? 0 : 1;
