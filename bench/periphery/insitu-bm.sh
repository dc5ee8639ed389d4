#!/usr/bin/env bash
# In-situ EP on the demo net as insitu.sh, on reram and pcm without noise management (*-nonm.json) and
# with iterative bound management (*-bm4.json: noise management and up to 4
# re-reads with the input halved), fixed vs calibrated ADC ranges. Usage: bash bench/periphery/insitu-bm.sh OUT_DIR
set -euo pipefail
SEEDS=${SEEDS:-0 1 2}
OUT=$1
mkdir -p "$OUT"
: > "$OUT/insitu-bm.jsonl"
for chip in reram-nonm pcm-nonm reram-bm4 pcm-bm4; do
  for policy in fixed percentile:99.9; do
    for seed in $SEEDS; do
      node dist/cli/main.js run examples/mnist-demo.json --chip "bench/periphery/$chip.json" --train --epochs 1 --train-limit 10000 --seed "$seed" --adc-range "$policy" --json 2>/dev/null |
        tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(JSON.stringify({seed:r.seed,chip:r.chip,adcRange:process.argv[1],trainSamples:r.trainSamples,testAccuracy:r.testAccuracy,epochSeconds:r.epochSeconds,adcSaturation:r.adcSaturation.map(x=>({edge:x.edge,read:x.read,fraction:x.fraction,rereads:x.rereads}))}))})' "$policy" >> "$OUT/insitu-bm.jsonl"
      tail -1 "$OUT/insitu-bm.jsonl"
    done
  done
done
