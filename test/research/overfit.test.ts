import { describe, expect, it } from 'vitest';
import { deflatedSharpe, pboCscv, returnMoments } from '../../src/research/overfit.js';
import { normalCdf, normalInv } from '../../src/research/normal.js';

/**
 * Two rows per group: (m + d, m − d) with d = 0.01 and m = +0.01 ("+") or −0.01 ("−"), i.e. rows
 * (0.02, 0) or (0, −0.02). Over two groups: "++" has Sharpe +k, "−−" −k, "+−" exactly 0 (sum 0).
 */
function column(signs: string): Float64Array {
  const out: number[] = [];
  for (const s of signs) out.push(...(s === '+' ? [0.02, 0] : [0, -0.02]));
  return Float64Array.from(out);
}

describe('PBO by CSCV (S = 4 groups, C(4,2) = 6 splits), hand-worked', () => {
  it('three points whose luck flips between halves: every split picks a point that ranks at or below the median out of sample → PBO 1', () => {
    // A ++−−, B −−++, C +−+−. Splits (train groups → best in train → its test rank among 3, ω = rank/4):
    // {0,1}: A(+k) → test {2,3}: A −k, worst: rank 1, λ = ln(1/3)
    // {0,2}: C(+k) → test {1,3}: C −k: rank 1, ln(1/3)
    // {0,3}: all 0, A (lowest index) → test {1,2}: all 0: rank 2, ω = 0.5, λ = 0
    // {1,2}: all 0, A → test {0,3}: all 0: λ = 0
    // {1,3}: A, B 0, C −k → A → test {0,2}: A 0, B 0, C +k: rank (0 + (2+1)/2) = 1.5, λ = ln(0.375/0.625)
    // {2,3}: B(+k) → test {0,1}: B −k: rank 1, ln(1/3)
    const r = pboCscv([column('++--'), column('--++'), column('+-+-')], 4);
    expect(r.combinations).toBe(6);
    expect(r.rowsUsed).toBe(8);
    const l3 = Math.log(1 / 3);
    const want = [l3, l3, 0, 0, Math.log(0.6), l3];
    r.logits.forEach((l, i) => expect(l).toBeCloseTo(want[i]!, 12));
    expect(r.pbo).toBe(1);
  });

  it('adding a point that earns in every group: it is always picked and ranks above the median → PBO 0', () => {
    // D ++++ first (index 0), then A, B, C as above. D has +k in every half; it wins every training
    // set (ties with A or B go to the lowest index), and out of sample:
    // {0,1}: test D +k, A −k, B +k, C 0 → rank 2 + (2+1)/2 = 3.5 of 4, ω = 0.7, λ = ln(7/3)
    // {0,2},{0,3},{1,2}: D alone on top → rank 4, ω = 0.8, λ = ln 4
    // {1,3}: test D +k, A 0, B 0, C +k → 3.5; {2,3}: test D +k, A +k, B −k, C 0 → 3.5
    const r = pboCscv([column('++++'), column('++--'), column('--++'), column('+-+-')], 4);
    const a = Math.log(7 / 3);
    const b = Math.log(4);
    const want = [a, b, b, b, a, a];
    r.logits.forEach((l, i) => expect(l).toBeCloseTo(want[i]!, 12));
    expect(r.pbo).toBe(0);
  });

  it('drops the earliest rows that do not fill a group, and refuses bad shapes', () => {
    const pad = (c: Float64Array): Float64Array => Float64Array.from([99, ...c]);
    const r = pboCscv([pad(column('++++')), pad(column('++--')), pad(column('--++')), pad(column('+-+-'))], 4);
    expect(r.rowsUsed).toBe(8);
    expect(r.pbo).toBe(0);
    expect(() => pboCscv([column('++')], 2)).toThrow(/two points/);
    expect(() => pboCscv([column('++'), column('+-')], 3)).toThrow(/even/);
    expect(() => pboCscv([column('++'), column('+')], 2)).toThrow(/periods/);
  });
});

describe('deflated Sharpe ratio, hand-computed', () => {
  it('matches the formula worked by hand on five returns and four trials', () => {
    // r = 0.01, 0.02, −0.01, 0.03, 0.00: mean 0.01, deviations 0, .01, −.02, .02, −.01
    // Σd² = 1e-3 → sample sd √(2.5e-4) = 0.0158114, SR̂ = 0.632456; m3 = 0 → skew 0;
    // m4 = 34e-8 / 5 = 6.8e-8, m2 = 2e-4 → kurtosis 6.8e-8 / 4e-8 = 1.7.
    // Trials' Sharpes 1, 0, −1, 0: sample variance 2/3.
    // SR0 = √(2/3) ((1 − γ) Φ⁻¹(3/4) + γ Φ⁻¹(1 − 1/(4e))) = 0.81650 (0.42278 × 0.67449 + 0.57722 × 1.32872) = 0.859055
    // z = (0.632456 − 0.859055) √4 / √(1 − 0 + (1.7 − 1)/4 × 0.4) = −0.438123, DSR = Φ(z) = 0.330648
    // (Φ, Φ⁻¹ values from Python's statistics.NormalDist.)
    const r = Float64Array.from([0.01, 0.02, -0.01, 0.03, 0.0]);
    const m = returnMoments(r);
    expect(m.sharpe).toBeCloseTo(0.6324555320336759, 12);
    expect(m.skew).toBeCloseTo(0, 12);
    expect(m.kurtosis).toBeCloseTo(1.7, 12);
    const d = deflatedSharpe(r, [1, 0, -1, 0]);
    expect(d.sharpeVariance).toBeCloseTo(2 / 3, 14);
    expect(d.sr0).toBeCloseTo(0.8590546886665867, 9);
    expect(d.dsr).toBeCloseTo(0.3306484357219789, 9);
    expect(d.trials).toBe(4);
  });

  it('more trials raise the bar: the same returns deflate further with 100 trials than with 4', () => {
    const r = Float64Array.from([0.01, 0.02, -0.01, 0.03, 0.0]);
    const few = deflatedSharpe(r, [1, 0, -1, 0]);
    const many = deflatedSharpe(r, Array.from({ length: 100 }, (_, i) => [1, 0, -1, 0][i % 4]!));
    expect(many.sr0).toBeGreaterThan(few.sr0);
    expect(many.dsr).toBeLessThan(few.dsr);
    // One trial: no selection, SR0 = 0 (the probabilistic Sharpe ratio against zero).
    expect(deflatedSharpe(r, [0.63]).sr0).toBe(0);
  });
});

describe('normal distribution', () => {
  it('cdf and inverse agree with Python statistics.NormalDist', () => {
    const cdf: [number, number][] = [[-5, 2.8665157186802404e-7], [-1.5, 0.06680720126885809], [0, 0.5], [0.3, 0.6179114221889526], [2.2, 0.9860965524865014], [8, 0.9999999999999993]];
    for (const [x, p] of cdf) expect(Math.abs(normalCdf(x) - p)).toBeLessThan(1e-14);
    const inv: [number, number][] = [[1e-10, -6.361340902404056], [0.01, -2.3263478740408408], [0.3, -0.5244005127080407], [0.5, 0], [0.975, 1.9599639845400536], [0.999999, 4.753424308817089]];
    for (const [p, x] of inv) expect(Math.abs(normalInv(p) - x)).toBeLessThan(1e-9);
  });
});
