#!/usr/bin/env bash
# In-situ EP on reram (1 epoch on the first 5000 training samples, 2000 test samples, calibrated
# ADC ranges) with 1 % low-frequency read noise held per sample (free and nudged phases share it)
# vs redrawn per phase, against the preset. One JSON line per run in $OUT/insitu-lf.jsonl.
# Usage: bash bench/physics/insitu-lf.sh OUT_DIR   (SEEDS default "0")
set -euo pipefail
OUT=$1
mkdir -p "$OUT"
: > "$OUT/insitu-lf.jsonl"
for seed in ${SEEDS:-0}; do
  for chip in reram bench/physics/reram-lf-sample.json bench/physics/reram-lf-phase.json; do
    nice env OPENBLAS_NUM_THREADS=1 node dist/cli/main.js run examples/mnist-demo.json --chip "$chip" --train --epochs 1 --train-limit 5000 --test-limit 2000 --adc-range percentile:99.9 --seed "$seed" --json 2>/dev/null |
      tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(JSON.stringify({chip:r.chip,seed:Number(process.argv[1]),testAccuracy:r.testAccuracy}))})' "$seed" >> "$OUT/insitu-lf.jsonl"
    tail -1 "$OUT/insitu-lf.jsonl"
  done
done
