"""The 10-layer residual runs against the authors' published curves, epoch by epoch.

python3 bench/results/table2/gap/compare.py   (from the repository root)

published-curves.json holds the per-epoch test accuracies printed in the cell outputs of the
authors' notebooks (10-layer residual, MNIST, beta_i 0.1, 10 runs); the rest are our result files.
"""

import glob
import json
import os
import statistics as st

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def ours(pattern):
    runs = {}
    for f in sorted(glob.glob(os.path.join(ROOT, pattern))):
        d = json.load(open(f))
        runs[f"{d['spec']['dynamics']['nudge']} seed {d['seed']}"] = [100 * e["testAccuracy"] for e in d["epochs"]]
    return runs


def summary(name, curves):
    def at(e):
        v = [c[e - 1] for c in curves if len(c) >= e]
        if not v:
            return "-"
        return f"{st.mean(v):.2f}" + (f" ± {st.stdev(v):.2f}" if len(v) > 1 else "")

    def best(n):
        v = [max(c[:n]) for c in curves if len(c) >= n]
        if not v:
            return "-"
        return f"{st.mean(v):.2f}" + (f" ± {st.stdev(v):.2f}" if len(v) > 1 else "")

    late = [st.mean(c[40:50]) for c in curves if len(c) >= 50]
    late_s = f"{st.mean(late):.2f} ({min(late):.2f}–{max(late):.2f})" if late else "-"
    print(f"| {name} | {len(curves)} | {at(10)} | {best(10)} | {at(20)} | {best(20)} | {best(30)} | {best(50)} | {late_s} |")


pub = [r["testAccuracy"] for r in json.load(open(os.path.join(HERE, "published-curves.json")))["runs"]]
print("| runs | n | epoch 10 | best ≤ 10 | epoch 20 | best ≤ 20 | best ≤ 30 | best ≤ 50 | mean of epochs 41–50 |")
print("|---|---|---|---|---|---|---|---|---|")
summary("authors' code (notebook outputs)", pub)
held = ours("table2-50/mnist-10l-residual-ep-seed*.json")
summary("ours, held nudge (table2-50)", list(held.values()))
graph = ours("table2/gap/mnist-10l-residual-graph-ep-seed*.json")
if graph:
    summary("ours, graph nudge (gap/)", list(graph.values()))
print()
for name, c in {**held, **graph}.items():
    print(name, " ".join(f"{a:.2f}" for a in c[:30]))
