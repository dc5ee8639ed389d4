#!/bin/sh
# PCM potentiate-only pairs with refresh (issue 14 item 2) vs the bipolar pair of earlier runs:
# mnist-demo, mixed-precision (Adam), 1 epoch, 10k train / 2k test, seed 0 — the conditions of run.sh.
# Run from the repository root after `npx tsc -p .`; one JSON line per run goes to pair.jsonl.
set -e
D=bench/results/updates
OUT=$D/pair.jsonl
: > $OUT
L="--epochs 1 --train-limit 10000 --test-limit 2000 --json"
line() { tail -n 1 | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r['label']='$1'; print(json.dumps(r))" >> $OUT; }
for w in max x4; do
  node dist/cli/main.js run examples/mnist-demo.json --chip $D/ideal-periphery-pcm-mixed-precision.json --w-max $w --train $L 2>/dev/null | line "ideal periphery + pcm update physics, bipolar pair, mixed-precision, w-max $w"
  node dist/cli/main.js run examples/mnist-demo.json --chip $D/ideal-periphery-pcm-potentiate-only-mixed-precision.json --w-max $w --train $L 2>/dev/null | line "ideal periphery + pcm update physics, potentiate-only pair + refresh, mixed-precision, w-max $w"
  node dist/cli/main.js run examples/mnist-demo.json --chip $D/pcm-mixed-precision.json --w-max $w --train $L 2>/dev/null | line "pcm preset (potentiate-only + refresh), mixed-precision, w-max $w"
  node dist/cli/main.js run examples/mnist-demo.json --chip $D/pcm-mixed-precision.json --w-max $w --adc-range percentile:99.9 --train $L 2>/dev/null | line "pcm preset (potentiate-only + refresh), mixed-precision, w-max $w, ADC ranges calibrated (percentile 99.9)"
done
