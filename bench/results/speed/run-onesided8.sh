#!/bin/sh
# Session 8, branch onesided8: pcm chip-epoch CPU before / after the native one-sided pulses, interleaved.
# Usage (from the repository root): sh bench/results/speed/run-onesided8.sh <base-root> [runs]
# <base-root> holds dist/, native/build, package.json and native/binding.gyp of the tree to compare against
# (here main 7a3fed8's tsc output and addon); the tree of this checkout is "after". One chip thread, one BLAS
# thread, 4 000 training samples, one test sample (the CPU seconds are the training epoch's).
BASE=$1
for i in $(seq 1 "${2:-4}"); do
  for t in before after; do
    if [ "$t" = before ]; then R=$BASE; else R=.; fi
    echo "== $t run $i $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
    FRE_CHIP_THREADS=1 OPENBLAS_NUM_THREADS=1 nice node "$R/dist/bench/chip-epoch.js" --presets pcm --train-limit 4000 --test-limit 1 2>&1 | grep -v '^{'
  done
done
