/** The part of jstat (npm, no bundled types) that fre uses: Student's t quantiles for confidence intervals. */
declare module 'jstat' {
  export const jStat: {
    studentt: { inv(p: number, dof: number): number; cdf(x: number, dof: number): number };
  };
}
