#!/usr/bin/env bash
# What the rest of the ex-situ gap is (issue 13): the demo net's software EP weights on reram with
# calibrated ADC ranges, switching one periphery/neuron stage to ideal at a time. One JSON line per
# run in $OUT/attribution.jsonl. Usage: bash bench/periphery/attribution.sh WEIGHTS.npz OUT_DIR
set -euo pipefail
W=$1
OUT=$2
mkdir -p "$OUT"
: > "$OUT/attribution.jsonl"
TMP=$(mktemp -d)
declare -A V=(
  [preset]='{}'
  [exact-activation]='{"neuron":{"activation":{"kind":"exact"}}}'
  [float-state]='{"neuron":{"stateBits":"float"}}'
  [exact-neuron]='{"neuron":{"activation":{"kind":"exact"},"stateBits":"float"}}'
  [no-read-noise]='{"crossbar":{"readNoise":{"sigma":0,"relativeTo":"range"}},"periphery":{"adc":{"outputNoise":0}}}'
  [no-device-noise]='{"crossbar":{"readNoise":{"sigma":0,"relativeTo":"range"},"programmingNoise":{"sigma":0,"relativeTo":"range"},"stuckAt":{"onProbability":0,"offProbability":0}},"periphery":{"adc":{"outputNoise":0}}}'
  [float-converters]='{"periphery":{"dac":{"bits":"float"},"adc":{"bits":"float"}}}'
)
for k in preset exact-activation float-state exact-neuron no-read-noise no-device-noise float-converters; do
  node -e 'const o=JSON.parse(process.argv[1]);o.base="reram";o.name="reram-"+process.argv[2];console.log(JSON.stringify(o))' "${V[$k]}" "$k" > "$TMP/$k.json"
  node dist/cli/main.js run examples/mnist-demo.json --chip "$TMP/$k.json" --weights "$W" --adc-range percentile:99.9 --json 2>/dev/null |
    tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(JSON.stringify({variant:process.argv[1],testAccuracy:r.testAccuracy}))})' "$k" >> "$OUT/attribution.jsonl"
  tail -1 "$OUT/attribution.jsonl"
done
