#!/usr/bin/env python3
"""The conv rows: our bench/reproduce runs (one JSON per seed, test accuracy per epoch) against the authors' runs
as their notebooks printed them (published-curves.json: 5 runs × 40 epochs per row).
  python3 bench/results/conv/conv-compare.py ROW [LABEL=]RUN.json [...]      ROW: table1-ep-sgd, table2-ep-adamw, …
Prints, per epoch, our runs (named by LABEL, else by seed) beside the authors' mean and range, then each side's
best-of-epochs (the tables' number) as mean ± std and our distance in the authors' std. A run still going is compared
over the epochs it has. Two runs of the same seed (a paired run: same initial weights and batches, one change) also
get the second minus the first, epoch by epoch, over the epochs both have."""
import json
import os
import statistics
import sys

here = os.path.dirname(os.path.abspath(__file__))
rows = {r['name']: r for r in json.load(open(os.path.join(here, 'published-curves.json')))['rows']}
if len(sys.argv) < 3 or sys.argv[1] not in rows:
    sys.exit(f'usage: conv-compare.py ROW RUN.json [...]; ROW is one of {", ".join(rows)}')
row = rows[sys.argv[1]]
theirs = row['runs']
ours = []
seeds = []
for a in sys.argv[2:]:
    label, f = a.split('=', 1) if '=' in a else (None, a)
    d = json.load(open(f))
    seeds.append(d['seed'])
    ours.append((label or d['seed'], [100 * e['testAccuracy'] for e in d['epochs']]))
# The per-epoch table runs as far as any run and the authors' curves go; the best-of comparison only over the epochs
# every run has, so a run still going is compared over the epochs it has, also beside a finished one.
n = min(max(len(c) for _, c in ours), min(len(r) for r in theirs))
m = min(n, min(len(c) for _, c in ours))
print(f"{row['name']}: {row['settings']}")
print(f'epoch | ours (run: %) | authors mean (min–max) of {len(theirs)} runs')
for k in range(n):
    t = [r[k] for r in theirs]
    o = ' '.join(f'{s}: {c[k]:.2f}' for s, c in ours if k < len(c))
    print(f'{k + 1:2d} | {o} | {statistics.mean(t):.2f} ({min(t):.2f}–{max(t):.2f})')
tb = [max(r) for r in theirs]
ob = [max(c[:m]) for _, c in ours]
ts = statistics.stdev(tb)
print(f"authors' best of 40: {' '.join(f'{b:.2f}' for b in tb)} → {statistics.mean(tb):.2f} ± {ts:.2f}", end='')
print(f" (paper {row['paper']['mean']} ± {row['paper']['std']})" if row['paper'] else '')
# Over the same epochs as ours, so a run still going is not compared with 40-epoch bests.
tn = [max(r[:m]) for r in theirs]
tm, tsd = statistics.mean(tn), max(statistics.stdev(tn), 0.01)
if len(set(seeds)) < len(seeds):
    # Runs sharing a seed are variants of one run, not a sample of seeds: each against the authors on its own.
    print(f"ours, best of {m}: " + '; '.join(f'{lab} {b:.2f} ({(b - tm) / tsd:+.1f} std)' for (lab, _), b in zip(ours, ob))
          + f"; authors' best of their first {m}: {tm:.2f} ± {statistics.stdev(tn):.2f}")
else:
    om = statistics.mean(ob)
    sd = f' ± {statistics.stdev(ob):.2f}' if len(ob) > 1 else ''
    print(f"ours, best of {m}: {' '.join(f'{b:.2f}' for b in ob)} → {om:.2f}{sd}; authors' best of their first {m}: "
          f'{tm:.2f} ± {statistics.stdev(tn):.2f}; distance {(om - tm) / tsd:+.1f} of their std')
if len(ours) == 2 and seeds[0] == seeds[1]:
    (la, a), (lb, b) = ours
    d = [y - x for x, y in zip(a, b)]
    print(f'paired, {lb} − {la} over epochs 1–{len(d)}: mean {statistics.mean(d):+.3f} points, '
          f'{sum(v > 0 for v in d)} higher / {sum(v < 0 for v in d)} lower / {sum(v == 0 for v in d)} equal; '
          f'best {max(b[:len(d)]):.2f} against {max(a[:len(d)]):.2f}')
