"""Sudden collapses in the 20-layer residual runs: the authors' and ours, epoch by epoch.

python3 bench/results/table2/gap/collapses.py   (from the repository root)

A collapse is an epoch whose test accuracy is more than 5 points below the epoch before. The paper
reports the best test accuracy over 50 epochs, so a collapse after a run's best epoch does not show in
its mean; one before it does. published-curves-20l.json holds the per-epoch accuracies printed in the
authors' notebook; the rest are our result files.
"""

import glob
import json
import os
import statistics as st

HERE = os.path.dirname(os.path.abspath(__file__))


def collapses(acc):
    return [(i + 1, acc[i - 1], acc[i]) for i in range(1, len(acc)) if acc[i] < acc[i - 1] - 5]


def row(name, acc):
    best = max(acc)
    at = acc.index(best) + 1
    drops = collapses(acc)
    before = [d for d in drops if d[0] < at]
    shown = ", ".join(f"epoch {e}: {a:.2f} → {b:.2f}" for e, a, b in drops) or "none"
    print(f"| {name} | {len(acc)} | {best:.2f} ({at}) | {shown} | {'yes' if before else 'no'} |")
    return best


print("| run | epochs | best (epoch) | collapses (> 5 points in one epoch) | a collapse before the best epoch? |")
print("|---|---|---|---|---|")
pub = json.load(open(os.path.join(HERE, "published-curves-20l.json")))["runs"]
bests = [row(f"authors' run {i + 1}", r["testAccuracy"]) for i, r in enumerate(pub)]
ours = []
for f in sorted(glob.glob(os.path.join(HERE, "mnist-20l-residual-graph-ep-seed*.json"))):
    d = json.load(open(f))
    ours.append(row(f"ours, seed {d['seed']}", [100 * e["testAccuracy"] for e in d["epochs"]]))
print()
print(f"authors: best {st.mean(bests):.2f} ± {st.stdev(bests):.2f} over {len(bests)} runs, "
      f"{sum(1 for r in pub if collapses(r['testAccuracy']))} of {len(pub)} with a collapse")
if len(ours) > 1:
    print(f"ours: best {st.mean(ours):.2f} ± {st.stdev(ours):.2f} over {len(ours)} seeds")
