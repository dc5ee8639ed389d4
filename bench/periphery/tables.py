#!/usr/bin/env python3
"""Markdown tables from the JSON lines of bench/periphery/*.sh: mean ± sample std over seeds.
Usage: tables.py DIR"""
import json
import os
import statistics
import sys

d = sys.argv[1]


def rows(name):
    p = os.path.join(d, name)
    return [json.loads(l) for l in open(p)] if os.path.exists(p) else []


def groups(rs, key):
    out = {}
    for r in rs:
        out.setdefault(key(r), []).append(r)
    return out


def acc(rs):
    a = [100 * r["testAccuracy"] for r in rs]
    return f"{statistics.mean(a):.2f} ± {statistics.stdev(a):.2f} %" if len(a) > 1 else f"{a[0]:.2f} %"


def sat(rs):
    per = {}
    for r in rs:
        for x in r.get("adcSaturation", []):
            per.setdefault((x["edge"], x["read"]), []).append(x)
    cells = []
    for (e, k), xs in per.items():
        f = statistics.mean(x["fraction"] for x in xs)
        rr = statistics.mean(x.get("rereads", 0) for x in xs)
        if f > 0 or rr > 0:
            cells.append(f"{e} {k} {100 * f:.2f} %" + (f" ({rr:.0f} re-reads)" if rr else ""))
    return ", ".join(cells) or "none"


for name, title in [("exsitu.jsonl", "Ex situ"), ("insitu.jsonl", "In situ (presets)"), ("insitu-bm.jsonl", "In situ, noise management off / bound management on")]:
    rs = rows(name)
    if not rs:
        continue
    print(f"### {title}\n")
    print("| chip | ADC range | drift (s) | seeds | test accuracy | clipped conversions (edge, read kind; mean over seeds) |")
    print("|---|---|---|---|---|---|")
    for (chip, pol, t), g in groups(rs, lambda r: (r["chip"], r["adcRange"], r.get("driftSeconds", 0))).items():
        print(f"| {chip} | {pol} | {t:g} | {len(g)} | {acc(g)} | {sat(g)} |")
    print()
for name, title in [("attribution.jsonl", "Ex situ on reram (calibrated), one stage ideal at a time"), ("insitu-neuron.jsonl", "In situ on reram-bm4, neuron unit variants")]:
    rs = rows(name)
    if not rs:
        continue
    print(f"### {title}\n")
    print("| variant | seeds | test accuracy |")
    print("|---|---|---|")
    for v, g in groups(rs, lambda r: r["variant"]).items():
        print(f"| {v} | {len(g)} | {acc(g)} |")
    print()
