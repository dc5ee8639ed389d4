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
