#!/bin/sh
# Second pass (coinc branch): in-situ stochastic-coincidence on 2HL-512 and the reram chip executor,
# before and after back to back in one run, each against the ideal executor of the same run.
# "before" = the addon of the commit before this pass (7392f27), built on its own:
#   OLD_DIR=${TMPDIR:-/tmp}/coinc-old; mkdir -p "$OLD_DIR" && git archive 7392f27 native scripts package.json | tar -x -C "$OLD_DIR"
#   (cd "$OLD_DIR" && FRE_SETUP_FORCE=1 bash scripts/setup.sh)
# and loaded through FRE_NATIVE_ADDON (the TypeScript did not change behaviour in this pass).
# Run from the repository root after `npx tsc -p .` and `FRE_SETUP_FORCE=1 bash scripts/setup.sh`.
set -e
D=bench/results/updates
S=bench/results/speed
OLD_DIR=${OLD_DIR:-${TMPDIR:-/tmp}/coinc-old}
OLD=${OLD:-$OLD_DIR/native/build/Release/fre_blas.node}
export OPENBLAS_NUM_THREADS=1
L2="--epochs 1 --train-limit 5000 --test-limit 500 --json"
sec() { tail -n 1 | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print('$1', round(r['epochSeconds'][0] if 'epochSeconds' in r else r['epochs'][0]['seconds'], 2), 'test acc', r.get('testAccuracy'), 'pulses/sample', r.get('updatePulsesPerTrainingSample'))"; }
coin() { nice node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-stochastic-coincidence.json --train $L2 2>/dev/null; }
rowp() { nice node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-row-programmed.json --train $L2 2>/dev/null; }
{
  for rep in 1 2; do
    echo "# run $rep, $(date -u +%H:%M) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    nice node dist/cli/main.js train $D/mnist-2hl-sgd.json $L2 2>/dev/null | sec "2HL-512: ideal executor (software EP)"
    FRE_NATIVE_ADDON=$OLD rowp | sec "2HL-512: reram row-programmed, before"
    FRE_CHIP_THREADS=1 rowp | sec "2HL-512: reram row-programmed, after, 1 thread"
    FRE_CHIP_THREADS=2 rowp | sec "2HL-512: reram row-programmed, after, 2 threads"
    FRE_NATIVE_ADDON=$OLD coin | sec "2HL-512: reram stochastic-coincidence, before"
    FRE_CHIP_THREADS=1 coin | sec "2HL-512: reram stochastic-coincidence, after, 1 thread"
    FRE_CHIP_THREADS=2 coin | sec "2HL-512: reram stochastic-coincidence, after, 2 threads"
  done
} 2>&1 | tee $S/second-pass-coincidence.txt
{
  echo "# $(date -u +%H:%M) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg); before (7392f27 addon)"
  FRE_NATIVE_ADDON=$OLD nice node dist/bench/chip-epoch.js --spec examples/mnist-2hl.json --train-limit 10000 --presets ideal,reram
  echo "# $(date -u +%H:%M) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg); after, 2 threads"
  FRE_CHIP_THREADS=2 nice node dist/bench/chip-epoch.js --spec examples/mnist-2hl.json --train-limit 10000 --presets ideal,reram
} 2>&1 | grep -v '^{"cpu"' | tee $S/second-pass-chip-epoch.txt
