#!/bin/sh
# Quiet-machine check at the end of session 4 (nothing else running): the ideal executor, then the chip
# executor's in-situ stochastic coincidence and row programming on 2HL-512 with 1 and 2 chip threads, in one run.
# Run from the repository root after `npx tsc -p .` and `bash scripts/setup.sh`.
set -e
D=bench/results/updates
export OPENBLAS_NUM_THREADS=1
L2="--epochs 1 --train-limit 5000 --test-limit 500 --json"
sec() { tail -n 1 | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print('$1', round(r['epochSeconds'][0] if 'epochSeconds' in r else r['epochs'][0]['seconds'], 2), 'test acc', r.get('testAccuracy'))"; }
for rep in 1 2; do
  echo "# run $rep, $(date -u +%H:%M) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  node dist/cli/main.js train $D/mnist-2hl-sgd.json $L2 2>/dev/null | sec "ideal executor (software EP)"
  for t in 1 2; do
    FRE_CHIP_THREADS=$t node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-stochastic-coincidence.json --train $L2 2>/dev/null | sec "reram stochastic-coincidence, $t chip thread(s)"
    FRE_CHIP_THREADS=$t node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-row-programmed.json --train $L2 2>/dev/null | sec "reram row-programmed, $t chip thread(s)"
  done
done
