/**
 * The converters' one rounding rule (docs/netlist.md, "Rounding at a code boundary"): the code of v,
 * already clipped to [lo, hi], as lo + k·step with k = floor((v − lo)/step + 0.5), in double with a
 * division. native/periphery.c fre_code is the same expression, so both backends give the same bytes.
 * Math.floor(x + 0.5), not Math.round(x): the two differ at x = 0.49999999999999994.
 */
export function codeOf(v: number, lo: number, step: number): number {
  return lo + Math.floor((v - lo) / step + 0.5) * step;
}
