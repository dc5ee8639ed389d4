#!/usr/bin/env python3
"""Table S1: our sweep results (fre sweep *.results.jsonl, best test accuracy per run) against the authors' logged
runs (table-s1-published.json: mean ± std, min, max per depth and β_i), with the distance in the authors' std.
  python3 bench/results/sweeps/s1-compare.py DEPTH RESULTS.jsonl [RESULTS.jsonl ...]
A cell counts as outside when |ours − paper| > 2 std of the authors' runs (a std of 0 is taken as 0.01 points)."""
import json
import os
import statistics
import sys

here = os.path.dirname(os.path.abspath(__file__))
depth = int(sys.argv[1])
published = {c['betaI']: c['test'] for c in json.load(open(os.path.join(here, 'table-s1-published.json')))['cells'] if c['depth'] == depth}
ours = {}
for f in sys.argv[2:]:
    for line in open(f):
        if line.strip():
            r = json.loads(line)
            ours.setdefault(r['point']['betaI'], {})[r['seed']] = 100 * r['metrics']['bestTestAccuracy']
print(f'depth {depth}: β_i | ours per seed | ours mean ± std | authors mean ± std (min–max) | (ours − authors) / authors std')
for b in sorted(published):
    p = published[b]
    runs = [ours.get(b, {})[s] for s in sorted(ours.get(b, {}))]
    if not runs:
        print(f'{b} | – | – | {p["mean"]:.2f} ± {p["std"]:.2f} ({p["min"]:.2f}–{p["max"]:.2f}) | not run')
        continue
    m = statistics.mean(runs)
    z = (m - p['mean']) / max(p['std'], 0.01)
    flag = 'outside 2 std' if abs(z) > 2 else 'within 2 std'
    ours_s = f'{m:.2f} ± {statistics.stdev(runs):.2f} ({len(runs)} seeds)' if len(runs) > 1 else f'{m:.2f} (1 seed)'
    seeds = ' / '.join(f'{v:.2f}' for v in runs)
    print(f'{b} | {seeds} | {ours_s} | {p["mean"]:.2f} ± {p["std"]:.2f} ({p["min"]:.2f}–{p["max"]:.2f}) | {z:+.1f} ({flag})')
