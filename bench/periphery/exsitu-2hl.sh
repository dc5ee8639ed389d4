#!/usr/bin/env bash
# Ex-situ deployment of the 2HL-512 Table-1 software EP weights (issue 13): each chip with the fixed
# ADC full scale and with ranges calibrated per array and read kind (percentile 99.9), one JSON line
# per run in $OUT/exsitu-2hl.jsonl. Usage: bash bench/periphery/exsitu-2hl.sh WEIGHTS.npz OUT_DIR
# Environment: CHIPS (presets or chip files; default "ideal reram pcm"), POLICIES (default both),
# DIST (compiled tree, default dist).
set -euo pipefail
W=$1
OUT=$2
DIST=${DIST:-dist}
mkdir -p "$OUT"
run() { # chip policy drift
  OPENBLAS_NUM_THREADS=1 node "$DIST/cli/main.js" run examples/mnist-2hl.json --chip "$1" --weights "$W" --adc-range "$2" --drift-seconds "$3" --json 2>/dev/null |
    tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);const o={net:"mnist-2hl",chip:r.chip,adcRange:process.argv[1],driftSeconds:Number(process.argv[2]),testAccuracy:r.testAccuracy,adcSaturation:r.adcSaturation.filter(x=>x.fraction>0).map(x=>({edge:x.edge,read:x.read,fraction:x.fraction}))};console.log(JSON.stringify(o))})' "$2" "$3" >> "$OUT/exsitu-2hl.jsonl"
  tail -1 "$OUT/exsitu-2hl.jsonl"
}
for chip in ${CHIPS:-ideal reram pcm}; do
  for policy in ${POLICIES:-fixed percentile:99.9}; do run "$chip" "$policy" 0; done
done
