#!/usr/bin/env python3
"""Drift table from bench/physics/drift.sh output: test accuracy mean ± sample std over seeds, per
drift time, without and with global drift compensation, for each result directory given.
Usage: python3 bench/physics/table.py DIR [DIR ...]"""
import json
import statistics
import sys

LABEL = {0: "0", 3600: "1 h", 86400: "1 day", 31536000: "1 year"}


def cell(v):
    v = [100 * a for a in v]
    if len(v) == 1:
        return f"{v[0]:.2f} %"
    return f"{statistics.mean(v):.2f} ± {statistics.stdev(v):.2f} %"


for d in sys.argv[1:]:
    rows = [json.loads(l) for l in open(f"{d}/drift.jsonl")]
    seeds = sorted({r["seed"] for r in rows})
    print(f"\n{d} (seeds {', '.join(map(str, seeds))})\n")
    print("| drift time | no compensation | global drift compensation | largest clipped fraction |")
    print("|---|---|---|---|")
    for t in LABEL:
        none = [r["testAccuracy"] for r in rows if r["driftSeconds"] == t and r["compensation"] == "none"]
        comp = [r["testAccuracy"] for r in rows if r["driftSeconds"] == t and r["compensation"] == "global"]
        clip = max(r["maxClipped"] for r in rows if r["driftSeconds"] == t)
        print(f"| {LABEL[t]} | {cell(none)} | {cell(comp)} | {100 * clip:.2f} % |")
