/**
 * Spectral radius of a linear operator given only as a matvec (the block-sparse M), by restarted
 * Arnoldi: build an orthonormal Krylov basis V and the small upper-Hessenberg H = VᵀMV (k × k,
 * full re-orthogonalisation), take the eigenvalues of H (Ritz values) by the Francis double-shift
 * QR algorithm (EISPACK/Numerical Recipes `hqr`), and restart with a polynomial filter whose roots
 * are the unwanted Ritz values (the "exact shifts" of implicitly restarted Arnoldi, applied
 * explicitly in real arithmetic: a complex pair σ, σ̄ as M² − 2Re σ·M + |σ|²). Stops when the
 * largest-modulus Ritz pair has a relative residual ‖My − θy‖/|θ| below `tol`
 * (= |h_{k+1,k}·z_k| / |θ| for the Hessenberg eigenvector z, ‖z‖ = 1).
 *
 * Why not plain power iteration: the dominant eigenvalues of these operators typically come as
 * ±λ pairs (a layered chain is a bipartite graph, so the spectrum is symmetric about 0) or complex
 * conjugate pairs; then ‖M^k v‖ does not settle into a fixed ratio, and its growth rate converges
 * only like 1/k. Ritz values resolve such pairs directly. When the Krylov dimension reaches n the
 * Ritz values are the eigenvalues of M (up to rounding).
 */
import type { Rng } from '../../util/rng';

export interface LinearOperator {
  n: number;
  /** out = M v (overwrite). */
  apply(v: Float64Array, out: Float64Array): void;
}

export interface SpectralRadiusResult {
  value: number;
  /** The Ritz value(s) of largest modulus [re, im]. */
  dominant: [number, number][];
  /** Relative residual of the dominant Ritz pair. */
  residual: number;
  restarts: number;
  matvecs: number;
  converged: boolean;
}

export interface SpectralRadiusOptions {
  rng: Rng;
  /** Krylov dimension (default min(n, 60)). */
  krylov?: number;
  /** Relative residual for convergence (default 1e-9). */
  tol?: number;
  maxRestarts?: number;
}

/**
 * Eigenvalues of an upper-Hessenberg matrix (row-major n × n; entries below the subdiagonal are
 * ignored). Francis double-shift QR with exceptional shifts; the input is not modified.
 */
export function hessenbergEigenvalues(H: ArrayLike<number>, n: number): { re: Float64Array; im: Float64Array } {
  // 1-based working copy, as in the classic formulation (fewer translation errors).
  const a: Float64Array[] = [];
  for (let i = 0; i <= n; i++) a.push(new Float64Array(n + 1));
  for (let i = 1; i <= n; i++) for (let j = Math.max(i - 1, 1); j <= n; j++) a[i][j] = H[(i - 1) * n + (j - 1)];
  const wr = new Float64Array(n + 1),
    wi = new Float64Array(n + 1);
  const EPS = 2.220446049250313e-16;
  const sign = (x: number, y: number): number => (y >= 0 ? Math.abs(x) : -Math.abs(x));
  let anorm = 0;
  for (let i = 1; i <= n; i++) for (let j = Math.max(i - 1, 1); j <= n; j++) anorm += Math.abs(a[i][j]);
  let nn = n;
  let t = 0;
  let p = 0,
    q = 0,
    r = 0,
    s = 0,
    w = 0,
    x = 0,
    y = 0,
    z = 0;
  while (nn >= 1) {
    let its = 0;
    let l: number;
    do {
      for (l = nn; l >= 2; l--) {
        s = Math.abs(a[l - 1][l - 1]) + Math.abs(a[l][l]);
        if (s === 0) s = anorm;
        if (Math.abs(a[l][l - 1]) <= EPS * s) {
          a[l][l - 1] = 0;
          break;
        }
      }
      x = a[nn][nn];
      if (l === nn) {
        wr[nn] = x + t;
        wi[nn] = 0;
        nn--;
      } else {
        y = a[nn - 1][nn - 1];
        w = a[nn][nn - 1] * a[nn - 1][nn];
        if (l === nn - 1) {
          p = 0.5 * (y - x);
          q = p * p + w;
          z = Math.sqrt(Math.abs(q));
          x += t;
          if (q >= 0) {
            z = p + sign(z, p);
            wr[nn - 1] = wr[nn] = x + z;
            if (z !== 0) wr[nn] = x - w / z;
            wi[nn - 1] = wi[nn] = 0;
          } else {
            wr[nn - 1] = wr[nn] = x + p;
            wi[nn] = z;
            wi[nn - 1] = -z;
          }
          nn -= 2;
        } else {
          if (its === 60) throw new Error('hessenbergEigenvalues: no convergence after 60 QR iterations');
          if (its === 10 || its === 20 || its === 40) {
            // Exceptional shift.
            t += x;
            for (let i = 1; i <= nn; i++) a[i][i] -= x;
            s = Math.abs(a[nn][nn - 1]) + Math.abs(a[nn - 1][nn - 2]);
            y = x = 0.75 * s;
            w = -0.4375 * s * s;
          }
          ++its;
          let m: number;
          for (m = nn - 2; m >= l; m--) {
            z = a[m][m];
            r = x - z;
            s = y - z;
            p = (r * s - w) / a[m + 1][m] + a[m][m + 1];
            q = a[m + 1][m + 1] - z - r - s;
            r = a[m + 2][m + 1];
            s = Math.abs(p) + Math.abs(q) + Math.abs(r);
            p /= s;
            q /= s;
            r /= s;
            if (m === l) break;
            const u = Math.abs(a[m][m - 1]) * (Math.abs(q) + Math.abs(r));
            const v = Math.abs(p) * (Math.abs(a[m - 1][m - 1]) + Math.abs(z) + Math.abs(a[m + 1][m + 1]));
            if (u <= EPS * v) break;
          }
          for (let i = m + 2; i <= nn; i++) {
            a[i][i - 2] = 0;
            if (i !== m + 2) a[i][i - 3] = 0;
          }
          for (let k = m; k <= nn - 1; k++) {
            if (k !== m) {
              p = a[k][k - 1];
              q = a[k + 1][k - 1];
              r = 0;
              if (k !== nn - 1) r = a[k + 2][k - 1];
              x = Math.abs(p) + Math.abs(q) + Math.abs(r);
              if (x !== 0) {
                p /= x;
                q /= x;
                r /= x;
              }
            }
            s = sign(Math.sqrt(p * p + q * q + r * r), p);
            if (s !== 0) {
              if (k === m) {
                if (l !== m) a[k][k - 1] = -a[k][k - 1];
              } else {
                a[k][k - 1] = -s * x;
              }
              p += s;
              x = p / s;
              y = q / s;
              z = r / s;
              q /= p;
              r /= p;
              for (let j = k; j <= nn; j++) {
                p = a[k][j] + q * a[k + 1][j];
                if (k !== nn - 1) {
                  p += r * a[k + 2][j];
                  a[k + 2][j] -= p * z;
                }
                a[k + 1][j] -= p * y;
                a[k][j] -= p * x;
              }
              const mmin = nn < k + 3 ? nn : k + 3;
              for (let i = l; i <= mmin; i++) {
                p = x * a[i][k] + y * a[i][k + 1];
                if (k !== nn - 1) {
                  p += z * a[i][k + 2];
                  a[i][k + 2] -= p * r;
                }
                a[i][k + 1] -= p * q;
                a[i][k] -= p;
              }
            }
          }
        }
      }
    } while (l < nn - 1);
  }
  return { re: wr.slice(1), im: wi.slice(1) };
}

/** Unit-norm eigenvector z of the k × k Hessenberg H for eigenvalue θ, by two steps of inverse iteration (complex). */
function hessenbergEigenvector(H: Float64Array, k: number, re: number, im: number): { re: Float64Array; im: Float64Array } {
  let hn = 0;
  for (let i = 0; i < k * k; i++) hn = Math.max(hn, Math.abs(H[i]));
  const shiftRe = re + 1e-10 * (hn + Math.hypot(re, im) + 1e-300);
  // Dense complex Gaussian elimination with partial pivoting on (H − θ'I); factor once, solve twice.
  const Ar = new Float64Array(k * k),
    Ai = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      Ar[i * k + j] = j >= i - 1 ? H[i * k + j] : 0;
      if (i === j) {
        Ar[i * k + j] -= shiftRe;
        Ai[i * k + j] = -im;
      }
    }
  const piv = new Int32Array(k);
  for (let c = 0; c < k; c++) {
    let best = c,
      bv = -1;
    for (let r = c; r < k; r++) {
      const v = Math.hypot(Ar[r * k + c], Ai[r * k + c]);
      if (v > bv) {
        bv = v;
        best = r;
      }
    }
    piv[c] = best;
    if (best !== c)
      for (let j = 0; j < k; j++) {
        let tmp = Ar[c * k + j];
        Ar[c * k + j] = Ar[best * k + j];
        Ar[best * k + j] = tmp;
        tmp = Ai[c * k + j];
        Ai[c * k + j] = Ai[best * k + j];
        Ai[best * k + j] = tmp;
      }
    let pr = Ar[c * k + c];
    const pi = Ai[c * k + c];
    if (pr === 0 && pi === 0) {
      pr = 1e-300;
      Ar[c * k + c] = pr;
    }
    const d = pr * pr + pi * pi;
    for (let r = c + 1; r < k; r++) {
      const xr = Ar[r * k + c],
        xi = Ai[r * k + c];
      if (xr === 0 && xi === 0) continue;
      const fr = (xr * pr + xi * pi) / d,
        fi = (xi * pr - xr * pi) / d;
      Ar[r * k + c] = fr;
      Ai[r * k + c] = fi;
      for (let j = c + 1; j < k; j++) {
        const ur = Ar[c * k + j],
          ui = Ai[c * k + j];
        Ar[r * k + j] -= fr * ur - fi * ui;
        Ai[r * k + j] -= fr * ui + fi * ur;
      }
    }
  }
  let zr = new Float64Array(k).fill(1),
    zi = new Float64Array(k);
  for (let iter = 0; iter < 2; iter++) {
    const br = zr.slice(),
      bi = zi.slice();
    for (let c = 0; c < k; c++) {
      const pc = piv[c];
      if (pc !== c) {
        let t = br[c];
        br[c] = br[pc];
        br[pc] = t;
        t = bi[c];
        bi[c] = bi[pc];
        bi[pc] = t;
      }
      for (let r = c + 1; r < k; r++) {
        const fr = Ar[r * k + c],
          fi = Ai[r * k + c];
        br[r] -= fr * br[c] - fi * bi[c];
        bi[r] -= fr * bi[c] + fi * br[c];
      }
    }
    for (let r = k - 1; r >= 0; r--) {
      let sr = br[r],
        si = bi[r];
      for (let j = r + 1; j < k; j++) {
        sr -= Ar[r * k + j] * br[j] - Ai[r * k + j] * bi[j];
        si -= Ar[r * k + j] * bi[j] + Ai[r * k + j] * br[j];
      }
      const pr = Ar[r * k + r],
        pi = Ai[r * k + r],
        d = pr * pr + pi * pi;
      br[r] = (sr * pr + si * pi) / d;
      bi[r] = (si * pr - sr * pi) / d;
    }
    let nrm = 0;
    for (let i = 0; i < k; i++) nrm += br[i] * br[i] + bi[i] * bi[i];
    nrm = Math.sqrt(nrm);
    if (!(nrm > 0) || !Number.isFinite(nrm)) break;
    for (let i = 0; i < k; i++) {
      br[i] /= nrm;
      bi[i] /= nrm;
    }
    zr = br;
    zi = bi;
  }
  return { re: zr, im: zi };
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

export function spectralRadius(op: LinearOperator, o: SpectralRadiusOptions): SpectralRadiusResult {
  const n = op.n;
  if (n === 0) return { value: 0, dominant: [], residual: 0, restarts: 0, matvecs: 0, converged: true };
  const k = Math.max(1, Math.min(n, o.krylov ?? 60));
  const tol = o.tol ?? 1e-9;
  const maxRestarts = o.maxRestarts ?? 200;
  let matvecs = 0;
  const mv = (v: Float64Array, out: Float64Array): void => {
    op.apply(v, out);
    matvecs++;
  };

  let v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = o.rng.normal();
  const V: Float64Array[] = Array.from({ length: k + 1 }, () => new Float64Array(n));
  const H = new Float64Array((k + 1) * k);
  const tmp = new Float64Array(n),
    tmp2 = new Float64Array(n);
  let best: SpectralRadiusResult = { value: 0, dominant: [], residual: Infinity, restarts: 0, matvecs: 0, converged: false };

  for (let restart = 0; restart <= maxRestarts; restart++) {
    const nv = norm(v);
    if (!(nv > 0)) {
      for (let i = 0; i < n; i++) v[i] = o.rng.normal();
    }
    const nv2 = norm(v);
    for (let i = 0; i < n; i++) V[0][i] = v[i] / nv2;
    H.fill(0);
    let dim = k;
    let hScale = 0;
    for (let j = 0; j < k; j++) {
      const wv = V[j + 1];
      mv(V[j], wv);
      // Modified Gram-Schmidt, twice (full re-orthogonalisation).
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i <= j; i++) {
          let d = 0;
          const vi = V[i];
          for (let q = 0; q < n; q++) d += vi[q] * wv[q];
          H[i * k + j] += d;
          for (let q = 0; q < n; q++) wv[q] -= d * vi[q];
        }
      }
      const h = norm(wv);
      H[(j + 1) * k + j] = h;
      for (let i = 0; i <= j + 1; i++) hScale = Math.max(hScale, Math.abs(H[i * k + j]));
      if (h <= 1e-13 * Math.max(hScale, 1e-300) || j + 1 === n) {
        // Invariant subspace (or the whole space): the Ritz values are exact eigenvalues.
        dim = j + 1;
        H[(j + 1) * k + j] = 0;
        break;
      }
      for (let q = 0; q < n; q++) wv[q] /= h;
    }
    const Hk = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) Hk[i * dim + j] = H[i * k + j];
    const { re, im } = hessenbergEigenvalues(Hk, dim);
    const order = Array.from({ length: dim }, (_, i) => i).sort(
      (a, b) => Math.hypot(re[b], im[b]) - Math.hypot(re[a], im[a]) || re[b] - re[a] || im[b] - im[a],
    );
    const top = order[0];
    const theta = Math.hypot(re[top], im[top]);
    const hLast = H[dim * k + (dim - 1)];
    let residual = 0;
    if (hLast !== 0 && theta > 0) {
      const z = hessenbergEigenvector(Hk, dim, re[top], im[top]);
      residual = (Math.abs(hLast) * Math.hypot(z.re[dim - 1], z.im[dim - 1])) / theta;
    } else if (hLast !== 0) {
      residual = Infinity;
    }
    const dominant = order.filter((i) => Math.hypot(re[i], im[i]) >= theta * (1 - 1e-9)).map((i) => [re[i], im[i]] as [number, number]);
    best = { value: theta, dominant, residual, restarts: restart, matvecs, converged: residual <= tol };
    if (best.converged) return best;

    // Restart: filter v = V[0] with the unwanted Ritz values as roots (exact shifts).
    const wanted = Math.max(1, Math.min(dim - 1, Math.ceil(dim / 3)));
    const cut = Math.hypot(re[order[wanted - 1]], im[order[wanted - 1]]);
    v = V[0].slice();
    for (let i = 0; i < dim; i++) {
      const mod = Math.hypot(re[i], im[i]);
      if (mod >= cut * (1 - 1e-12)) continue; // wanted (keeps conjugate pairs together: equal moduli)
      if (im[i] < 0) continue; // the pair is applied once, from its im > 0 member
      mv(v, tmp);
      if (im[i] === 0) {
        for (let q = 0; q < n; q++) v[q] = tmp[q] - re[i] * v[q];
      } else {
        mv(tmp, tmp2);
        const a2 = 2 * re[i],
          m2 = re[i] * re[i] + im[i] * im[i];
        for (let q = 0; q < n; q++) v[q] = tmp2[q] - a2 * tmp[q] + m2 * v[q];
      }
      const nn = norm(v);
      if (!(nn > 0) || !Number.isFinite(nn)) break;
      for (let q = 0; q < n; q++) v[q] /= nn;
    }
  }
  return best;
}
