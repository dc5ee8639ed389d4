#!/bin/sh
# Session 8 (branch read8): the whole-run byte checks, one root after the other (each holds dist/ and native/build,
# e.g. a copy of the base commit's): the CLI's in-situ coincidence run (1 and 2 chip threads) and the ideal executor's
# training (fre train), 2 000 + 500 samples; sha256 of the JSON without its timing and provenance fields (equal
# lines: the same results), the JSON kept in $OUT.
#   OUT=/tmp sh bench/results/speed/read8-bytes.sh <base root> . | tee bench/results/speed/session8-read8-bytes.txt
export OPENBLAS_NUM_THREADS=1
strip='let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(JSON.stringify(j,(k,v)=>/second|elapsed|wall|time|kernels|version|date|host|machine|command|provenance|commit|dirty/i.test(k)?undefined:v));})'
for root in "$@"; do
  for t in 1 2; do
    echo "== $root coincidence FRE_CHIP_THREADS=$t"
    FRE_CHIP_THREADS=$t node $root/dist/cli/main.js run bench/results/updates/mnist-2hl-sgd.json --chip bench/results/updates/reram-stochastic-coincidence.json --train --epochs 1 --train-limit 2000 --test-limit 500 --json 2>/dev/null | node -e "$strip" | tee -a "${OUT:-/tmp}/bytes-json-$(basename $root).txt" | sha256sum
  done
  echo "== $root ideal train"
  node $root/dist/cli/main.js train examples/mnist-2hl.json --epochs 1 --train-limit 2000 --test-limit 500 --json 2>/dev/null | node -e "$strip" | tee -a "${OUT:-/tmp}/bytes-json-$(basename $root).txt" | sha256sum
done
