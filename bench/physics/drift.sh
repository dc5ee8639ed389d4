#!/usr/bin/env bash
# Ex-situ PCM accuracy of the demo net's software weights against drift time (issue 13 item 3):
# pcm at t = 0 / 1 h / 1 day / 1 year, with and without global drift compensation, ADC ranges
# calibrated (percentile 99.9). One JSON line per run in $OUT/drift.jsonl.
# Usage: bash bench/physics/drift.sh WEIGHTS.npz OUT_DIR [DIST_DIR (default dist)] [CHIP (default pcm)] [CHIP_DC (default bench/periphery/pcm-dc.json)]
# SEEDS="0 1 2" (default "0"): the chip's noise seed; one line per seed.
set -euo pipefail
W=$1
OUT=$2
DIST=${3:-dist}
CHIP=${4:-pcm}
CHIP_DC=${5:-bench/periphery/pcm-dc.json}
mkdir -p "$OUT"
: > "$OUT/drift.jsonl"
run() { # chip compensation drift seed
  nice env OPENBLAS_NUM_THREADS=1 node "$DIST/cli/main.js" run examples/mnist-demo.json --chip "$1" --weights "$W" --adc-range percentile:99.9 --drift-seconds "$3" --seed "$4" --json 2>/dev/null |
    tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);const o={chip:r.chip,compensation:process.argv[1],driftSeconds:Number(process.argv[2]),seed:Number(process.argv[3]),testAccuracy:r.testAccuracy,maxClipped:Math.max(0,...r.adcSaturation.map(x=>x.fraction))};console.log(JSON.stringify(o))})' "$2" "$3" "$4" >> "$OUT/drift.jsonl"
  tail -1 "$OUT/drift.jsonl"
}
for seed in ${SEEDS:-0}; do
  for t in 0 3600 86400 31536000; do
    run "$CHIP" none "$t" "$seed"
    run "$CHIP_DC" global "$t" "$seed"
  done
done
