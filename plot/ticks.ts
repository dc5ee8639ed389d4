/** Axis domains, "nice" tick positions and deterministic number labels for the SVG plots. */

export interface Ticks {
  /** The axis range actually drawn (data range widened to whole ticks / decades). */
  domain: [number, number];
  /** Tick positions with labels, ascending. */
  ticks: { value: number; label: string }[];
}

/** The nice step (1, 2 or 5 × 10^k) closest to `raw` on a log scale (thresholds √2, √10, √50). */
export function niceStep(raw: number): number {
  const e = Math.floor(Math.log10(raw));
  const f = raw / 10 ** e;
  const m = f >= Math.sqrt(50) ? 10 : f >= Math.sqrt(10) ? 5 : f >= Math.SQRT2 ? 2 : 1;
  return m * 10 ** e;
}

/**
 * A number as short text: up to `decimals` decimals with trailing zeros dropped; exponent form
 * ("2e-5", "3e+6") for very large or very small magnitudes; never "-0".
 */
export function formatNumber(v: number, decimals = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0 || Object.is(v, -0)) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) {
    const [mant, exp] = v.toExponential(Math.max(0, Math.min(decimals, 3))).split('e');
    return `${stripZeros(mant)}e${exp}`;
  }
  const s = stripZeros(v.toFixed(decimals));
  return s === '-0' ? '0' : s;
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  let end = s.length;
  while (s[end - 1] === '0') end--;
  if (s[end - 1] === '.') end--;
  return s.slice(0, end);
}

/** Decimals needed to print multiples of `step` exactly (step is 1, 2 or 5 × 10^k). */
function decimalsFor(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/**
 * Linear ticks covering [lo, hi]: about `target` ticks at a nice step; the domain is widened to the
 * first and last tick unless `fixed` (then the ticks are those inside the given range).
 */
export function linearTicks(lo: number, hi: number, target = 5, fixed = false): Ticks {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep((hi - lo) / Math.max(1, target - 1));
  const dec = decimalsFor(step);
  const k0 = fixed ? Math.ceil(lo / step - 1e-9) : Math.floor(lo / step + 1e-9);
  const k1 = fixed ? Math.floor(hi / step + 1e-9) : Math.ceil(hi / step - 1e-9);
  const ticks: { value: number; label: string }[] = [];
  for (let k = k0; k <= k1; k++) {
    // k·step, rounded to the step's decimals so 0.1·3 prints and plots as 0.3.
    const value = Number((k * step).toFixed(dec));
    ticks.push({ value, label: formatNumber(value, dec) });
  }
  const domain: [number, number] = fixed ? [lo, hi] : [ticks[0].value, ticks[ticks.length - 1].value];
  return { domain, ticks };
}

/**
 * Log ticks covering [lo, hi] (both > 0): one per decade (every 2nd/3rd decade when there are many);
 * with at most two decades also 2× and 5×. The domain is widened to whole decades unless `fixed`.
 */
export function logTicks(lo: number, hi: number, fixed = false): Ticks {
  if (!(lo > 0) || !(hi > 0)) throw new RangeError(`log axis needs positive values, got [${lo}, ${hi}]`);
  if (!(hi > lo)) {
    lo /= 2;
    hi *= 2;
  }
  const e0 = Math.floor(Math.log10(lo) + 1e-9);
  const e1 = Math.ceil(Math.log10(hi) - 1e-9);
  const domain: [number, number] = fixed ? [lo, hi] : [10 ** e0, 10 ** e1];
  const decades = e1 - e0;
  const every = decades > 12 ? 3 : decades > 7 ? 2 : 1;
  const mults = decades <= 2 ? [1, 2, 5] : [1];
  // One style per axis: exponents ("1e-6") for all labels once any decade is outside 1e-3 … 1e4.
  // (decided on the decades inside the domain: a padded range just below 1e-3 still reads 0.001)
  const inside0 = fixed ? Math.ceil(Math.log10(lo) - 1e-9) : e0;
  const inside1 = fixed ? Math.floor(Math.log10(hi) + 1e-9) : e1;
  const expo = inside0 < -3 || inside1 > 4;
  const ticks: { value: number; label: string }[] = [];
  for (let e = e0; e <= e1; e++) {
    if ((e - e0) % every !== 0) continue;
    for (const mult of mults) {
      const value = Number((mult * 10 ** e).toPrecision(12));
      if (value < domain[0] * (1 - 1e-9) || value > domain[1] * (1 + 1e-9)) continue;
      ticks.push({ value, label: expo ? `${mult === 1 ? '' : `${mult}×`}1e${e}` : formatNumber(value, Math.max(0, -e)) });
    }
  }
  return { domain, ticks };
}
