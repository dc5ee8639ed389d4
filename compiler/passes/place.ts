/**
 * place: put the logical cores on mesh sites, minimising Σ traffic × hops (Manhattan distance, as
 * XY routing travels). Greedy construction — the busiest core at the mesh centre, then repeatedly
 * the core with most traffic to those placed, at the free site cheapest for it — followed by
 * pairwise swaps (also into free sites) while any swap lowers the cost. Deterministic: ties go to
 * the lower id.
 */
import { transfers } from '../dataflow';
import type { CompilerIR, Pass } from '../ir';

export const place: Pass = {
  name: 'place',
  help: 'place cores on the mesh: greedy by traffic from the centre, then improving swaps',
  run(ir: CompilerIR): void {
    const W = ir.chip.noc.meshWidth;
    const H = ir.chip.noc.meshHeight;
    const n = ir.cores.length;
    const traffic: Map<number, number>[] = ir.cores.map(() => new Map());
    for (const t of transfers(ir)) {
      if (t.src === t.dst) continue;
      traffic[t.src].set(t.dst, (traffic[t.src].get(t.dst) ?? 0) + t.bits);
      traffic[t.dst].set(t.src, (traffic[t.dst].get(t.src) ?? 0) + t.bits);
    }
    const dist = (a: number, b: number) => Math.abs((a % W) - (b % W)) + Math.abs(Math.floor(a / W) - Math.floor(b / W));
    const centre = Math.floor(H / 2) * W + Math.floor(W / 2);
    const site = new Array<number>(n).fill(-1);
    const taken = new Map<number, number>();
    const costOf = (c: number, s: number): number => {
      let sum = 0;
      for (const [o, bits] of traffic[c]) if (site[o] >= 0 && o !== c) sum += bits * dist(s, site[o]);
      return sum;
    };
    const total = (c: number) => [...traffic[c].values()].reduce((a, b) => a + b, 0);

    // Greedy construction.
    const order: number[] = [];
    const placed = new Set<number>();
    while (order.length < n) {
      let best = -1;
      let bestScore = -1;
      for (let c = 0; c < n; c++) {
        if (placed.has(c)) continue;
        let score = 0;
        for (const [o, bits] of traffic[c]) if (placed.has(o)) score += bits;
        // Nothing connected yet: start a new cluster with the busiest remaining core.
        const key = placed.size === 0 || score === 0 ? total(c) * 1e-12 : score;
        if (key > bestScore) {
          bestScore = key;
          best = c;
        }
      }
      let bestSite = -1;
      let bestCost = Infinity;
      for (let s = 0; s < W * H; s++) {
        if (taken.has(s)) continue;
        const cost = costOf(best, s) + dist(s, centre) * 1e-9;
        if (cost < bestCost) {
          bestCost = cost;
          bestSite = s;
        }
      }
      site[best] = bestSite;
      taken.set(bestSite, best);
      placed.add(best);
      order.push(best);
    }

    // Improving swaps: core ↔ core, or core → free site, while the total cost drops.
    for (let round = 0; round < 20; round++) {
      let improved = false;
      for (let c = 0; c < n; c++) {
        for (let s = 0; s < W * H; s++) {
          if (s === site[c]) continue;
          const other = taken.get(s);
          const before = costOf(c, site[c]) + (other !== undefined ? costOf(other, s) : 0);
          const from = site[c];
          site[c] = s;
          if (other !== undefined) site[other] = from;
          const after = costOf(c, s) + (other !== undefined ? costOf(other, from) : 0);
          if (after < before - 1e-9) {
            taken.delete(from);
            taken.delete(s);
            taken.set(s, c);
            if (other !== undefined) taken.set(from, other);
            improved = true;
          } else {
            site[c] = from;
            if (other !== undefined) site[other] = s;
          }
        }
      }
      if (!improved) break;
    }
    ir.cores.forEach((c, i) => {
      c.site = site[i];
    });
  },
};
