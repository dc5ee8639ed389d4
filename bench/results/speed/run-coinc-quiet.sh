#!/bin/sh
# Issue 14's speed target in one process (bench/chip-epoch): the ideal executor (1 and 2 BLAS threads) and the chip
# executor's in-situ epoch with stochastic coincidence and row programming on 2HL-512 (SGD spec of
# bench/results/updates), 10 000 + 1 667 samples, chip threads 1 and 2, OPENBLAS_NUM_THREADS=1.
#   sh bench/results/speed/run-coinc-quiet.sh | tee bench/results/speed/session8-coinc-quiet.txt
set -e
export OPENBLAS_NUM_THREADS=1
for rep in 1 2 3; do
  for t in 1 2; do
    echo "# run $rep, FRE_CHIP_THREADS=$t, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    FRE_CHIP_THREADS=$t node dist/bench/chip-epoch.js --spec bench/results/updates/mnist-2hl-sgd.json \
      --presets reram:stochastic-coincidence,reram:row-programmed --ideal-blas-threads 1,2 | tail -n 4
  done
done
