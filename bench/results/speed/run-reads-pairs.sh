#!/bin/sh
# Before (BEFORE dir, commit 36c19f7 with this branch's bench/chip-epoch.js) and after, alternated three
# times, one BLAS thread and one chip thread (the work itself, not the scheduler), 5 000 samples, reram.
: "${BEFORE:?set BEFORE to a directory holding commit 36c19f7 built on its own (see above)}"
for i in 1 2 3; do
  for w in before after; do
    dir=.; [ $w = before ] && dir=$BEFORE
    echo "== $w $i $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$dir" && OPENBLAS_NUM_THREADS=1 FRE_CHIP_THREADS=1 node dist/bench/chip-epoch.js --presets reram --train-limit 5000 | tail -n 2)
  done
done
