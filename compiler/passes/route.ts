/**
 * route: one dimension-order (XY) route for every ordered pair of distinct sites that exchange
 * data — along x first, then y; deadlock-free on a mesh and the same path for every packet of a pair.
 */
import { transfers } from '../dataflow';
import type { CompilerIR, Pass } from '../ir';

export function xyPath(src: number, dst: number, meshWidth: number): number[] {
  let x = src % meshWidth;
  let y = Math.floor(src / meshWidth);
  const tx = dst % meshWidth;
  const ty = Math.floor(dst / meshWidth);
  const path = [src];
  while (x !== tx) {
    x += tx > x ? 1 : -1;
    path.push(y * meshWidth + x);
  }
  while (y !== ty) {
    y += ty > y ? 1 : -1;
    path.push(y * meshWidth + x);
  }
  return path;
}

export const route: Pass = {
  name: 'route',
  help: 'XY (dimension-order) routes between every pair of cores that exchange data',
  run(ir: CompilerIR): void {
    const pairs = new Set<string>();
    const list: [number, number][] = [];
    for (const t of transfers(ir)) {
      const s = ir.cores[t.src].site;
      const d = ir.cores[t.dst].site;
      const key = `${s}>${d}`;
      if (s === d || pairs.has(key)) continue;
      pairs.add(key);
      list.push([s, d]);
    }
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    ir.routes = list.map(([src, dst], id) => ({ id, src, dst, path: xyPath(src, dst, ir.chip.noc.meshWidth) }));
  },
};
