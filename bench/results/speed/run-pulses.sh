#!/bin/sh
# Session 5 (pulses branch): the in-situ stochastic-coincidence epoch on 2HL-512 against the ideal executor,
# before and after the coincidence-kernel changes, in one run. Run from the repository root after
# `npx tsc -p .` and `bash scripts/setup.sh`. BEFORE = the addon built from commit 36c19f7 (the same
# sources built on their own: `git archive 36c19f7 | tar -x -C DIR`, node_modules linked,
# `FRE_SETUP_FORCE=1 bash scripts/setup.sh` there), loaded through FRE_NATIVE_ADDON; the TypeScript is
# the same for both (this change added only an optional addon method).
#   BEFORE=/path/to/fre_blas.node sh bench/results/speed/run-pulses.sh
set -e
D=bench/results/updates
L2="--epochs 1 --train-limit 5000 --test-limit 500 --json"
AFTER=native/build/Release/fre_blas.node
sec() { tail -n 1 | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print('$1', round(r['epochSeconds'][0] if 'epochSeconds' in r else r['epochs'][0]['seconds'], 2), 'test acc', r.get('testAccuracy'), 'pulses/sample', r.get('updatePulsesPerTrainingSample'))"; }
coinc() { FRE_NATIVE_ADDON=$1 FRE_CHIP_THREADS=$2 node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-stochastic-coincidence.json --train $L2 2>/dev/null; }
for rep in 1 2; do
  echo "# run $rep, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  export OPENBLAS_NUM_THREADS=1
  node dist/cli/main.js train $D/mnist-2hl-sgd.json $L2 2>/dev/null | sec "ideal executor, 1 BLAS thread"
  for t in 1 2; do
    [ -n "$BEFORE" ] && coinc $BEFORE $t | sec "before: reram stochastic-coincidence, $t chip thread(s)"
    coinc $AFTER $t | sec "after: reram stochastic-coincidence, $t chip thread(s)"
  done
  FRE_CHIP_THREADS=2 node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-row-programmed.json --train $L2 2>/dev/null | sec "after: reram row-programmed, 2 chip threads"
  echo "# both executors on two cores, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  export OPENBLAS_NUM_THREADS=2
  node dist/cli/main.js train $D/mnist-2hl-sgd.json $L2 2>/dev/null | sec "ideal executor, 2 BLAS threads"
  coinc $AFTER 2 | sec "after: reram stochastic-coincidence, 2 chip threads, 2 BLAS threads"
done
