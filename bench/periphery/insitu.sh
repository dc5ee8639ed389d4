#!/usr/bin/env bash
# In-situ EP on the demo net (issue 13): 1 epoch on the first 10k training samples, full test set,
# on reram, pcm, sram-8b, with the chip's fixed ADC full scale vs ranges calibrated at compile time
# (percentile 99.9 over 256 samples, from the seed's initial weights). One JSON line per run in
# $OUT/insitu.jsonl. Usage: bash bench/periphery/insitu.sh OUT_DIR
set -euo pipefail
SEEDS=${SEEDS:-0 1 2}
OUT=$1
mkdir -p "$OUT"
: > "$OUT/insitu.jsonl"
for chip in ideal reram pcm sram-8b; do
  for policy in fixed percentile:99.9; do
    for seed in $SEEDS; do
      node dist/cli/main.js run examples/mnist-demo.json --chip "$chip" --train --epochs 1 --train-limit 10000 --seed "$seed" --adc-range "$policy" --json 2>/dev/null |
        tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(JSON.stringify({seed:r.seed,chip:r.chip,adcRange:process.argv[1],trainSamples:r.trainSamples,testAccuracy:r.testAccuracy,epochSeconds:r.epochSeconds,adcSaturation:r.adcSaturation.map(x=>({edge:x.edge,read:x.read,fraction:x.fraction}))}))})' "$policy" >> "$OUT/insitu.jsonl"
      tail -1 "$OUT/insitu.jsonl"
    done
  done
done
