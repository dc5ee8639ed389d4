import { makeNoise } from '../simulator/noise';
import { loadNativeAddon } from '../simulator/kernels/native';
import { makeRng } from '../util/rng';

function moments(x: Float32Array) {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let v2 = 0,
    v4 = 0,
    tail = 0;
  // tail2 counts |x − mean| > 4, i.e. beyond 2σ for the std = 2 the normal tests use.
  for (const v of x) {
    const d = v - m;
    v2 += d * d;
    v4 += d ** 4;
    if (Math.abs(d) > 4) tail++;
  }
  v2 /= x.length;
  return { mean: m, variance: v2, kurtosis: v4 / x.length / (v2 * v2), tail2: tail / x.length };
}

describe.each(['native', 'reference'] as const)('noise source (%s)', (backend) => {
  if (backend === 'native' && !loadNativeAddon()) {
    test.skip('native addon unavailable', () => undefined);
    return;
  }
  test('normals have the right moments (mean 0, variance std², kurtosis 3, P(|x|>2σ) = 0.0455)', () => {
    const n = backend === 'native' ? 400000 : 100000;
    const x = new Float32Array(n);
    makeNoise(makeRng(1), backend).addNormal(x, n, 2);
    const s = moments(x);
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    expect(s.variance).toBeGreaterThan(3.9);
    expect(s.variance).toBeLessThan(4.1);
    expect(Math.abs(s.kurtosis - 3)).toBeLessThan(0.08);
    expect(Math.abs(s.tail2 - 0.0455)).toBeLessThan(0.003);
  });

  test('same seed, same numbers; the stream advances; a different seed differs', () => {
    const a = new Float32Array(1000);
    const b = new Float32Array(1000);
    const na = makeNoise(makeRng('s'), backend);
    na.addNormal(a, 1000, 1);
    makeNoise(makeRng('s'), backend).addNormal(b, 1000, 1);
    expect(Array.from(a)).toEqual(Array.from(b));
    const c = new Float32Array(1000);
    na.addNormal(c, 1000, 1);
    expect(Array.from(c)).not.toEqual(Array.from(a));
    const d = new Float32Array(1000);
    makeNoise(makeRng('t'), backend).addNormal(d, 1000, 1);
    expect(Array.from(d)).not.toEqual(Array.from(a));
  });

  test('addNormalVar: per-row, per-element and constant variances add', () => {
    const m = 4,
      cols = 20000;
    const out = new Float32Array(m * cols);
    const rowVar = Float32Array.from([0, 1, 4, 0]);
    const elemVar = new Float32Array(m * cols).fill(0);
    elemVar.fill(9, 3 * cols);
    makeNoise(makeRng(3), backend).addNormalVar(out, m, cols, rowVar, elemVar, 0.25);
    const want = [0.25, 1.25, 4.25, 9.25];
    for (let r = 0; r < m; r++) {
      const row = out.subarray(r * cols, (r + 1) * cols);
      const v = row.reduce((a, x) => a + x * x, 0) / cols;
      expect(Math.abs(v / want[r] - 1)).toBeLessThan(0.05);
    }
  });

  test('uniforms lie in [0, 1) with mean 1/2 and variance 1/12; only n entries are written', () => {
    const u = new Float32Array(100001).fill(-1);
    makeNoise(makeRng(2), backend).fillUniform(u, 100000);
    expect(u[100000]).toBe(-1);
    const s = moments(u.subarray(0, 100000));
    expect(u.subarray(0, 100000).every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(s.variance - 1 / 12)).toBeLessThan(0.002);
  });
});
