#!/usr/bin/env python3
"""Mean ± std (over seeds) of the test accuracy per chip, bound management and neuron variant, as a
markdown table, from bench/results/neuron/insitu-neuron.jsonl (bench/neuron/insitu-neuron.sh)."""
import json
import statistics
import sys
from collections import OrderedDict

rows = OrderedDict()
for line in open(sys.argv[1] if len(sys.argv) > 1 else 'bench/results/neuron/insitu-neuron.jsonl'):
    r = json.loads(line)
    rows.setdefault((r['base'], r['bm'], r['variant']), []).append(100 * r['testAccuracy'])
print('| chip | bound mgmt | neuron variant | seeds | test accuracy (%) |')
print('|---|---|---|---|---|')
for (base, bm, variant), v in rows.items():
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    print(f"| {base} | {'iterative ≤ 4' if bm else 'none'} | {variant} | {len(v)} | {statistics.mean(v):.2f} ± {sd:.2f} |")
