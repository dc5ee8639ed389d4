#!/usr/bin/env bash
# Ex-situ accuracy of the demo net's software weights on reram with the new read-physics fields
# (calibrated ADC ranges): the differential pair converted per side, and 1 % low-frequency read
# noise held per sample or redrawn per phase. One JSON line per run in $OUT/variants.jsonl.
# Usage: bash bench/physics/variants.sh WEIGHTS.npz OUT_DIR   (SEEDS="0 1 2" default "0")
set -euo pipefail
W=$1
OUT=$2
mkdir -p "$OUT"
: > "$OUT/variants.jsonl"
for seed in ${SEEDS:-0}; do
  for chip in reram bench/physics/reram-each-side.json bench/physics/reram-lf-sample.json bench/physics/reram-lf-phase.json; do
    nice env OPENBLAS_NUM_THREADS=1 node dist/cli/main.js run examples/mnist-demo.json --chip "$chip" --weights "$W" --adc-range percentile:99.9 --seed "$seed" --json 2>/dev/null |
      tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);const conv=r.adcSaturation.reduce((a,x)=>a+x.conversions,0);const clip=r.adcSaturation.reduce((a,x)=>a+x.clipped,0);console.log(JSON.stringify({chip:r.chip,seed:Number(process.argv[1]),testAccuracy:r.testAccuracy,conversions:conv,clippedFraction:clip/conv}))})' "$seed" >> "$OUT/variants.jsonl"
    tail -1 "$OUT/variants.jsonl"
  done
done
