#!/usr/bin/env python3
"""Markdown tables from the JSON lines of bench/periphery/*.sh. Usage: tables.py DIR"""
import json
import os
import sys

d = sys.argv[1]


def rows(name):
    p = os.path.join(d, name)
    return [json.loads(l) for l in open(p)] if os.path.exists(p) else []


def sat(r):
    s = [x for x in r.get("adcSaturation", []) if x["fraction"] > 0]
    return ", ".join(f"{x['edge']} {x['read']} {100 * x['fraction']:.2f} %" + (f" ({x['rereads']} re-reads)" if x.get("rereads") else "") for x in s) or "none"


for name, title in [("exsitu.jsonl", "Ex situ"), ("insitu.jsonl", "In situ"), ("insitu-bm.jsonl", "In situ, bound management (4 re-reads)")]:
    rs = rows(name)
    if not rs:
        continue
    print(f"### {title}\n")
    print("| chip | ADC range | drift (s) | test accuracy | clipped conversions (edge, read kind) |")
    print("|---|---|---|---|---|")
    for r in rs:
        print(f"| {r['chip']} | {r['adcRange']} | {r.get('driftSeconds', 0):g} | {100 * r['testAccuracy']:.2f} % | {sat(r)} |")
    print()
for name, title in [("attribution.jsonl", "Ex situ on reram (calibrated), one stage ideal at a time"), ("insitu-neuron.jsonl", "In situ on reram (bound management), neuron unit variants")]:
    rs = rows(name)
    if not rs:
        continue
    print(f"### {title}\n")
    print("| variant | test accuracy |")
    print("|---|---|")
    for r in rs:
        print(f"| {r['variant']} | {100 * r['testAccuracy']:.2f} % |")
    print()
