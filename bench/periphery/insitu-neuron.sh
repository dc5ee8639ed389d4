#!/usr/bin/env bash
# In-situ EP on the demo net (1 epoch, 10k samples) on reram with iterative bound management, fixed
# ADC range, with the neuron unit as in the preset (256-entry LUT, 8-bit state register) vs exact
# activation and float state register: how much the neuron unit costs in situ (issue 13, item 2).
# Usage: bash bench/periphery/insitu-neuron.sh OUT_DIR
set -euo pipefail
SEEDS=${SEEDS:-0 1 2}
OUT=$1
mkdir -p "$OUT"
: > "$OUT/insitu-neuron.jsonl"
TMP=$(mktemp -d)
declare -A V=(
  [lut8]='{}'
  [exact-activation]='{"neuron":{"activation":{"kind":"exact"}}}'
  [float-state]='{"neuron":{"stateBits":"float"}}'
  [exact-neuron]='{"neuron":{"activation":{"kind":"exact"},"stateBits":"float"}}'
)
for k in lut8 exact-activation float-state exact-neuron; do
  node -e 'const o=JSON.parse(process.argv[1]);o.base="reram";o.name="reram-bm4-"+process.argv[2];o.periphery={adc:{boundManagement:"iterative",maxRereads:4}};console.log(JSON.stringify(o))' "${V[$k]}" "$k" > "$TMP/$k.json"
  for seed in $SEEDS; do
    node dist/cli/main.js run examples/mnist-demo.json --chip "$TMP/$k.json" --train --epochs 1 --train-limit 10000 --seed "$seed" --json 2>/dev/null |
      tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(JSON.stringify({seed:r.seed,variant:process.argv[1],testAccuracy:r.testAccuracy}))})' "$k" >> "$OUT/insitu-neuron.jsonl"
    tail -1 "$OUT/insitu-neuron.jsonl"
  done
done
