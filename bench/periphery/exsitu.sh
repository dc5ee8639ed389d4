#!/usr/bin/env bash
# Ex-situ deployment of the demo net's software EP weights (issue 13): reram and pcm, the chip's
# fixed ADC full scale vs ranges calibrated per array and read kind (percentile 99.9 of |partial
# sum| over 256 training samples), and PCM accuracy vs drift time. One JSON line per run in
# $OUT/exsitu.jsonl. Usage: bash bench/periphery/exsitu.sh WEIGHTS.npz OUT_DIR
set -euo pipefail
W=$1
OUT=$2
mkdir -p "$OUT"
: > "$OUT/exsitu.jsonl"
run() { # chip policy drift
  node dist/cli/main.js run examples/mnist-demo.json --chip "$1" --weights "$W" --adc-range "$2" --drift-seconds "$3" --json 2>/dev/null |
    tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);const o={chip:r.chip,adcRange:process.argv[1],driftSeconds:Number(process.argv[2]),testAccuracy:r.testAccuracy,adcSaturation:r.adcSaturation.map(x=>({edge:x.edge,read:x.read,fraction:x.fraction}))};console.log(JSON.stringify(o))})' "$2" "$3" >> "$OUT/exsitu.jsonl"
  tail -1 "$OUT/exsitu.jsonl"
}
for chip in ideal reram pcm sram-8b; do
  for policy in fixed percentile:99.9; do run "$chip" "$policy" 0; done
done
for t in 3600 86400 31536000; do
  for policy in fixed percentile:99.9; do run pcm "$policy" "$t"; done
done
# Global drift compensation (bench/periphery/pcm-dc.json: pcm with crossbar.drift.compensation "global").
for t in 0 86400 31536000; do run bench/periphery/pcm-dc.json percentile:99.9 "$t"; done
