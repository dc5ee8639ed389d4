/**
 * Max pooling fused with the layout change around the executor's read (the TypeScript reference of
 * native/conv.c's versions). A conv edge's read comes back position-major, rows [m·P × O] (P = the
 * conv output's H·W positions, O channels); the state layout is [m × O × OH' × OW'] after pooling.
 * Instead of transposing the rows into an NCHW map and pooling that (two passes over m·P·O floats,
 * and a map buffer), these pool straight from the rows, and unpool straight into them:
 *
 *   maxPoolRows     out[b, o, y', x'] += scale·max_window rows[b·P + q, o], then += scale·bias[o];
 *                   argmax[b, o, y', x'] = (b·O + o)·P + q of the maximum, the flat index into the
 *                   NCHW map [m × O × P] that maxPool (pool.ts) would have stored. Ties: the first
 *                   position in row-major window order, as maxPool.
 *                   With pool.argmax = 'activation' only the argmax changes: it is the first position
 *                   of the window's largest hard-sigmoid key clamp(scale·(x + bias[o]), 0, 1), formed
 *                   in float64 as poolKey below (native/conv.c forms the same doubles); the pooled
 *                   value is still the window's maximum x.
 *   maxUnpoolRows   rows = 0, then rows[b·P + q, o] += post[b, o, y', x'] at q = argmax − (b·O + o)·P:
 *                   maxUnpool into the map followed by mapsToRows, in one pass.
 *
 * Each produces exactly the floats of the unfused sequence (rowsToMaps → maxPool → out += scale·map
 * → out += scale·bias; maxUnpool → mapsToRows), in the same order of additions
 * (test/conv-engine.test.ts compares them bit for bit).
 */
import { poolOutShape, type FeatureShape, type PoolSpec } from '../../graph/shapes';

/**
 * The 'activation' argmax key of a conv value x: the hard-sigmoid of the unit's own pre-activation
 * scale·x + scale·b (b = 0 without a bias), in float64. `sb` = scale·b, formed once per channel.
 * Written as two products and a sum (no fused multiply-add), which native/conv.c repeats.
 */
export function poolKey(x: number, scale: number, sb: number): number {
  const z = scale * x + sb;
  return z < 0 ? 0 : z > 1 ? 1 : z;
}

function sizes(pool: PoolSpec, shape: FeatureShape) {
  const out = poolOutShape(pool, shape);
  return { O: shape.channels, H: shape.height, W: shape.width, P: shape.height * shape.width, OH: out.height, OW: out.width };
}

export function maxPoolRows(
  pool: PoolSpec,
  shape: FeatureShape,
  m: number,
  rows: Float32Array,
  out: Float32Array,
  argmax: Int32Array,
  scale: number,
  bias: Float32Array | null,
): void {
  const { O, W, P, OH, OW } = sizes(pool, shape);
  const { size: k, stride: s } = pool;
  const activationKey = pool.kind === 'max' && pool.argmax === 'activation';
  if (rows.length < m * P * O) throw new Error(`maxPoolRows: rows hold ${rows.length} floats, need m·P·O = ${m * P * O}`);
  if (out.length < m * O * OH * OW || argmax.length < m * O * OH * OW)
    throw new Error(`maxPoolRows: out/argmax shorter than m·O·OH·OW = ${m * O * OH * OW}`);
  if (bias && bias.length < O) throw new Error(`maxPoolRows: bias holds ${bias.length} values, need ${O}`);
  for (let b = 0; b < m; b++) {
    for (let o = 0; o < O; o++) {
      const v = bias ? scale * bias[o] : 0;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let bestQ = oy * s * W + ox * s;
          let best = rows[(b * P + bestQ) * O + o];
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const q = (oy * s + ky) * W + ox * s + kx;
              const x = rows[(b * P + q) * O + o];
              if (x > best) {
                best = x;
                bestQ = q;
              }
            }
          }
          // The activation rule moves only the argmax: strict > on the key, so a window saturated
          // at 0 (or with several units at 1) routes through its first such unit.
          if (activationKey) bestQ = keyArgmax(rows, b * P, O, o, oy * s * W + ox * s, W, k, scale, v);
          const i = ((b * O + o) * OH + oy) * OW + ox;
          argmax[i] = (b * O + o) * P + bestQ;
          out[i] += scale * best;
          if (bias) out[i] += v;
        }
      }
    }
  }
}

/** Position q of the first largest poolKey in the k×k window whose top-left position is q0. */
function keyArgmax(
  rows: Float32Array,
  row0: number,
  O: number,
  o: number,
  q0: number,
  W: number,
  k: number,
  scale: number,
  sb: number,
): number {
  let bestQ = q0;
  let best = poolKey(rows[(row0 + q0) * O + o], scale, sb);
  for (let ky = 0; ky < k; ky++) {
    for (let kx = 0; kx < k; kx++) {
      const q = q0 + ky * W + kx;
      const key = poolKey(rows[(row0 + q) * O + o], scale, sb);
      if (key > best) {
        best = key;
        bestQ = q;
      }
    }
  }
  return bestQ;
}

export function maxUnpoolRows(
  pool: PoolSpec,
  shape: FeatureShape,
  m: number,
  post: Float32Array,
  argmax: Int32Array,
  rows: Float32Array,
): void {
  const { O, P, OH, OW } = sizes(pool, shape);
  const per = OH * OW;
  if (rows.length < m * P * O) throw new Error(`maxUnpoolRows: rows hold ${rows.length} floats, need m·P·O = ${m * P * O}`);
  if (post.length < m * O * per || argmax.length < m * O * per)
    throw new Error(`maxUnpoolRows: post/argmax shorter than m·O·OH·OW = ${m * O * per}`);
  rows.fill(0, 0, m * P * O);
  for (let b = 0; b < m; b++) {
    for (let o = 0; o < O; o++) {
      const plane = (b * O + o) * P;
      const i0 = (b * O + o) * per;
      for (let i = i0; i < i0 + per; i++) {
        const q = argmax[i] - plane;
        if (q < 0 || q >= P) throw new Error(`maxUnpoolRows: argmax[${i}] = ${argmax[i]} is outside its plane [${plane}, ${plane + P})`);
        rows[(b * P + q) * O + o] += post[i];
      }
    }
  }
}

/**
 * The source rows of a 'map' feedback (graph-format.md `pool.feedback`): every unit of the pre-pool map
 * carries its own activation ρ(scale·z + scale·b) of the read's conv value z (rows [m·P × O], the read's
 * output), and each window's argmax unit carries the pooled state post[b, o, y', x'] instead. `activation`
 * applies ρ in place to the first n floats of a buffer (the engine's). Windows do not overlap (validated),
 * so each argmax unit is written once.
 */
export function mapFeedbackRows(
  pool: PoolSpec,
  shape: FeatureShape,
  m: number,
  z: Float32Array,
  post: Float32Array,
  argmax: Int32Array,
  scale: number,
  bias: Float32Array | null,
  activation: (buf: Float32Array, n: number) => void,
  rows: Float32Array,
): void {
  const { O, P, OH, OW } = sizes(pool, shape);
  const per = OH * OW;
  const n = m * P * O;
  if (rows.length < n || z.length < n)
    throw new Error(`mapFeedbackRows: rows/z hold ${Math.min(rows.length, z.length)} floats, need m·P·O = ${n}`);
  if (post.length < m * O * per || argmax.length < m * O * per)
    throw new Error(`mapFeedbackRows: post/argmax shorter than m·O·OH·OW = ${m * O * per}`);
  for (let i = 0; i < n; i += O) {
    for (let o = 0; o < O; o++) rows[i + o] = Math.fround(scale * z[i + o]) + (bias ? Math.fround(scale * bias[o]) : 0);
  }
  activation(rows, n);
  for (let b = 0; b < m; b++) {
    for (let o = 0; o < O; o++) {
      const plane = (b * O + o) * P;
      const i0 = (b * O + o) * per;
      for (let i = i0; i < i0 + per; i++) {
        const q = argmax[i] - plane;
        if (q < 0 || q >= P) throw new Error(`mapFeedbackRows: argmax[${i}] = ${argmax[i]} is outside its plane [${plane}, ${plane + P})`);
        rows[(b * P + q) * O + o] = post[i];
      }
    }
  }
}

/**
 * A 'state' winner's step (graph-format.md `pool.winner`; EdgeOps.repool explains it), on the read's rows
 * z [m·P × O] and the edge's state: X [m·P × O] (rebuilt as α·z + α·b when `fresh`), per pooled unit
 * winners, extraAt (the position carrying the extra, −1 none), zmax (the read's window maximum), first (the
 * window's first unit of largest key of the rebuilt X) and runner (the first unit of largest key among the
 * others than `first`, −1 none), the last three formed when `fresh`. `prev` holds the previous step's winners
 * (the read's argmax at the batch's first step; may be `winners` itself). h [m × O × OH × OW] is the `to`
 * layer's drive, rewritten where the winner's X differs. Argmax-format indices are chunk-local: sample b is
 * b mod `chunk` in them. This reference scans each window for the first largest key of X; native/conv.c
 * repoolRows decides it from two units (the one carrying the extra and the best of the others, which `first`
 * and `runner` give, since only one unit's X moved), with the same double sums rounded once per store: the
 * same floats (test/pool-winner-state.test.ts). The read's argmax is not `first` in general: rounding
 * α·z + α·b to float32 can tie an earlier unit with it, and a negative α reverses the order
 * (test/pool-winner-ties.test.ts). X is built with α·b in double, as the read adds it to the pooled drive,
 * so X at a winner that is the read's largest z is the drive h + nothing else (h stays as it is there).
 * Returns the first pooled unit whose `prev` (or, when not `fresh`, whose kept extraAt, first or runner)
 * lies outside its plane, or −1.
 */
export function repoolRows(
  pool: PoolSpec,
  shape: FeatureShape,
  m: number,
  chunk: number,
  z: Float32Array,
  alpha: number,
  bias: Float32Array | null,
  fresh: boolean,
  prev: Int32Array,
  h: Float32Array,
  X: Float32Array,
  winners: Int32Array,
  extraAt: Int32Array,
  zmax: Float32Array,
  first: Int32Array,
  runner: Int32Array,
): number {
  const { O, W: Wd, P, OH, OW } = sizes(pool, shape);
  const { size: k, stride: st } = pool;
  const activationKey = pool.argmax === 'activation';
  const keyOf = (x: number) => (activationKey ? (x < 0 ? 0 : x > 1 ? 1 : x) : x);
  // The window's first unit of largest key of X (q0 if none is > −∞) and the first largest among the
  // others (−1: none), of the window at q0 of sample b, channel o: a plain scan, into `first2`.
  const first2 = [0, -1];
  const scan = (b: number, o: number, q0: number): void => {
    let f = -1;
    let fk = -Infinity;
    let r = -1;
    let rk = -Infinity;
    for (let ky = 0; ky < k; ky++)
      for (let kx = 0; kx < k; kx++) {
        const q = q0 + ky * Wd + kx;
        const key = keyOf(X[(b * P + q) * O + o]);
        if (key > fk) {
          r = f;
          rk = fk;
          f = q;
          fk = key;
        } else if (key > rk) {
          r = q;
          rk = key;
        }
      }
    first2[0] = f < 0 ? q0 : f;
    first2[1] = r;
  };
  for (let b = 0; b < m; b++) {
    const bl = b % chunk;
    if (fresh) {
      for (let i = b * P * O; i < (b + 1) * P * O; i += O)
        for (let o = 0; o < O; o++) X[i + o] = Math.fround(alpha * z[i + o]) + (bias ? alpha * bias[o] : 0);
    }
    for (let o = 0; o < O; o++) {
      const plane = (bl * O + o) * P;
      const sb = bias ? alpha * bias[o] : 0;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          const i = ((b * O + o) * OH + oy) * OW + ox;
          const q0 = oy * st * Wd + ox * st;
          if (fresh) {
            let zm = z[(b * P + q0) * O + o];
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const v = z[(b * P + q0 + ky * Wd + kx) * O + o];
                if (v > zm) zm = v;
              }
            zmax[i] = zm;
            extraAt[i] = -1;
            scan(b, o, q0);
            first[i] = first2[0];
            runner[i] = first2[1];
          } else {
            const ea = extraAt[i];
            if (ea < -1 || ea >= P || first[i] < 0 || first[i] >= P || runner[i] < -1 || runner[i] >= P) return i;
            if (ea >= 0) {
              const xa = (b * P + ea) * O + o;
              X[xa] = Math.fround(alpha * z[xa]) + sb;
            }
          }
          const zm = zmax[i];
          // The read's pooled own drive α·(max z) + α·b, as the forward added it.
          const extra = h[i] - Math.fround(Math.fround(alpha * zm) + sb);
          const qp = prev[i] - plane;
          if (qp < 0 || qp >= P) return i;
          const xp = (b * P + qp) * O + o;
          X[xp] = Math.fround(X[xp] + extra);
          extraAt[i] = qp;
          // The first largest key of the rebuilt X, with an extra ≥ 0, stays the first largest.
          let bestQ = qp;
          if (!(extra >= 0 && qp === first[i])) {
            scan(b, o, q0);
            bestQ = first2[0];
          }
          winners[i] = plane + bestQ;
          // The previous winner wins again with the read's largest z: h is X there already.
          if (!(bestQ === qp && z[xp] === zm)) h[i] = X[(b * P + bestQ) * O + o];
        }
      }
    }
  }
  return -1;
}
