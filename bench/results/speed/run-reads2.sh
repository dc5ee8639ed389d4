#!/bin/sh
# Session 6 (branch reads2): before (the branch point 43bd394, built on its own in $BEFORE with this branch's
# native addon, which only adds functions) and after, alternating, in one run; bench/chip-epoch prints each
# call's wall seconds and CPU seconds (all threads) and the ratio to the ideal executor of the same process.
#   BEFORE=DIR_OF_THE_BUILD_BEFORE sh bench/results/speed/run-reads2.sh | tee bench/results/speed/reads2-run1.txt
export OPENBLAS_NUM_THREADS=1
AFTER=$(pwd)
for rep in 1 2; do
  for t in 2 1; do
    for v in "$BEFORE" "$AFTER"; do
      echo "# $(basename $v), run $rep, FRE_CHIP_THREADS=$t, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
      (cd "$v" && FRE_CHIP_THREADS=$t node dist/bench/chip-epoch.js --presets ideal,reram,pcm --train-limit ${LIMIT:-10000} | tail -n 4)
    done
  done
done
