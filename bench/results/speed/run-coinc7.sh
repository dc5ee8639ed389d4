#!/bin/sh
# Session 7 (branch coinc7): the in-situ stochastic-coincidence epoch on 2HL-512 (5 000 + 500 samples, one BLAS
# thread) against the ideal executor, in one run, with the addon before this session's kernel changes and after.
# Run from the repository root after `npx tsc -p .` and `bash scripts/setup.sh`. FRE_OLD_ADDON: an addon built from
# the previous native/devices.c (e.g. `git show 54e16bf:native/devices.c`, built in a copy of native/ with node-gyp);
# without it only the current addon runs. Prints per case the epoch's wall seconds and the process's CPU seconds
# (user + system, whole process: data loading and the test pass included).
D=bench/results/updates
export OPENBLAS_NUM_THREADS=1
L2="--epochs 1 --train-limit 5000 --test-limit 500 --json"
NEW=$PWD/native/build/Release/fre_blas.node
ep() { python3 -c "import json; r=json.loads(open('$1').read().strip().splitlines()[-1]); print(round(r['epochSeconds'][0] if 'epochSeconds' in r else r['epochs'][0]['seconds'], 3), 'test acc', r.get('testAccuracy'))"; }
T=$(mktemp -d)
for rep in 1 2; do
  echo "# run $rep, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f "%U %S" -o $T/t node dist/cli/main.js train $D/mnist-2hl-sgd.json $L2 >$T/o 2>/dev/null
  echo "ideal executor: epoch $(ep $T/o) | process CPU $(cat $T/t)"
  for addon in ${FRE_OLD_ADDON:+old} new; do
    A=$NEW
    [ $addon = old ] && A=$FRE_OLD_ADDON
    for t in 1 2; do
      FRE_NATIVE_ADDON=$A FRE_CHIP_THREADS=$t /usr/bin/time -f "%U %S" -o $T/t node dist/cli/main.js run $D/mnist-2hl-sgd.json \
        --chip $D/reram-stochastic-coincidence.json --train $L2 >$T/o 2>/dev/null
      echo "coincidence ($addon addon, $t chip thread(s)): epoch $(ep $T/o) | process CPU $(cat $T/t)"
    done
  done
  FRE_CHIP_THREADS=1 /usr/bin/time -f "%U %S" -o $T/t node dist/cli/main.js run $D/mnist-2hl-sgd.json \
    --chip $D/reram-row-programmed.json --train $L2 >$T/o 2>/dev/null
  echo "row-programmed (new addon, 1 chip thread): epoch $(ep $T/o) | process CPU $(cat $T/t)"
done
# CPU seconds of the epoch call alone (chip-epoch: training epoch + test pass of 833 samples, per executor).
for addon in ${FRE_OLD_ADDON:+old} new; do
  A=$NEW
  [ $addon = old ] && A=$FRE_OLD_ADDON
  for t in 1 2; do
    echo "# chip-epoch, $addon addon, FRE_CHIP_THREADS=$t, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    FRE_NATIVE_ADDON=$A FRE_CHIP_THREADS=$t node dist/bench/chip-epoch.js --spec $D/mnist-2hl-sgd.json --train-limit 5000 \
      --presets reram:stochastic-coincidence 2>&1 | tail -2
  done
done
rm -rf $T
