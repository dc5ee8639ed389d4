#!/usr/bin/env bash
# In-situ EP on the demo net (1 epoch on 10k training samples, 2k test samples) with the neuron unit and
# the learning-signal path varied (issue 13 item 2, issue 14 item 4). Each variant is a chip JSON of a
# preset plus overrides (hw-models/load.ts). BM=1 adds iterative bound management (≤ 4 re-reads), the
# periphery study's best setting, so that ADC clipping does not mask the neuron unit.
# Usage: [SEEDS="0 1"] [BM=1] [BASE=reram] [VARIANTS="…"] bash bench/neuron/insitu-neuron.sh OUT_DIR
set -euo pipefail
SEEDS=${SEEDS:-0}
BASE=${BASE:-reram}
BM=${BM:-1}
OUT=$1
mkdir -p "$OUT"
TMP=$(mktemp -d)
declare -A V=(
  # The presets' neuron unit before this revision (no source): 256-entry LUT over [−4, 4], 8-bit states forming δ.
  [old-lut8]='{"neuron":{"activation":{"kind":"lut","entries":256,"inputRange":[-4,4]},"stateBits":8,"learningSignal":{"kind":"state-registers"}}}'
  # The preset as revised (reram: NeuRRAM-style neuron; pcm: FP16 digital unit with a float δ path).
  [preset]='{}'
  # δ from the two 8-bit state registers (step 2/255), exact activation.
  [exact-sr8]='{"neuron":{"activation":{"kind":"exact"},"stateBits":8,"learningSignal":{"kind":"state-registers"}}}'
  # Dedicated registers: s⁰ at 16 bits, δ at 8 / 12 / 16 bits over ±0.25, or float; the state register stays 8 bits.
  [dr-8]='{"neuron":{"activation":{"kind":"exact"},"stateBits":8,"learningSignal":{"kind":"difference-register","freeStateBits":16,"deltaBits":8,"deltaRange":0.25}}}'
  [dr-12]='{"neuron":{"activation":{"kind":"exact"},"stateBits":8,"learningSignal":{"kind":"difference-register","freeStateBits":16,"deltaBits":12,"deltaRange":0.25}}}'
  [dr-16]='{"neuron":{"activation":{"kind":"exact"},"stateBits":8,"learningSignal":{"kind":"difference-register","freeStateBits":16,"deltaBits":16,"deltaRange":0.25}}}'
  # The same 8-bit (and 6-bit) δ registers with stochastic rounding (deltaRounding; Gupta et al. 2015).
  [dr-8-sr]='{"neuron":{"activation":{"kind":"exact"},"stateBits":8,"learningSignal":{"kind":"difference-register","freeStateBits":16,"deltaBits":8,"deltaRange":0.25,"deltaRounding":"stochastic"}}}'
  [dr-6-sr]='{"neuron":{"activation":{"kind":"exact"},"stateBits":8,"learningSignal":{"kind":"difference-register","freeStateBits":16,"deltaBits":6,"deltaRange":0.25,"deltaRounding":"stochastic"}}}'
  [dr-float]='{"neuron":{"activation":{"kind":"exact"},"stateBits":8,"learningSignal":{"kind":"difference-register","freeStateBits":"float","deltaBits":"float","deltaRange":1}}}'
  # The LUT with a float δ path: is the LUT or the δ precision the loss?
  [lut-dr-float]='{"neuron":{"activation":{"kind":"lut","entries":256,"inputRange":[-4,4]},"stateBits":8,"learningSignal":{"kind":"difference-register","freeStateBits":"float","deltaBits":"float","deltaRange":1}}}'
  # Everything float (the periphery study's "exact activation and float state register").
  [float-state]='{"neuron":{"activation":{"kind":"exact"},"stateBits":"float","learningSignal":{"kind":"state-registers"}}}'
)
VARIANTS=${VARIANTS:-old-lut8 preset exact-sr8 dr-8 dr-12 dr-16 dr-float lut-dr-float float-state}
for k in $VARIANTS; do
  node -e 'const o=JSON.parse(process.argv[1]);o.base=process.argv[3];o.name=process.argv[3]+"-"+process.argv[2];if(process.argv[4]==="1")o.periphery={adc:{boundManagement:"iterative",maxRereads:4}};console.log(JSON.stringify(o))' "${V[$k]}" "$k" "$BASE" "$BM" > "$TMP/$k.json"
  for seed in $SEEDS; do
    OPENBLAS_NUM_THREADS=1 nice node dist/cli/main.js run examples/mnist-demo.json --chip "$TMP/$k.json" --train --epochs 1 \
      --train-limit 10000 --test-limit 2000 --seed "$seed" --json 2>/dev/null |
      tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(JSON.stringify({base:process.argv[2],bm:process.argv[3]==="1",variant:process.argv[1],seed:r.seed,testAccuracy:r.testAccuracy}))})' "$k" "$BASE" "$BM" >> "$OUT/insitu-neuron.jsonl"
    tail -1 "$OUT/insitu-neuron.jsonl"
  done
done
