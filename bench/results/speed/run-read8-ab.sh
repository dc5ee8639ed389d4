#!/bin/sh
# Session 8 (branch read8): base and new builds interleaved, one process at a time, one chip thread and one BLAS
# thread (one core each): bench/chip-epoch's training epoch (--test-limit 1) on the SGD 2HL-512 spec, the ideal
# executor and the chip on reram (row-programmed) and reram with stochastic coincidence, CPU seconds.
# <root> holds dist/ and native/build of a tree (e.g. a copy of the base commit's, built there).
#   sh bench/results/speed/run-read8-ab.sh <rounds> <presets> <root>... | tee bench/results/speed/session8-read8-ab.txt
export OPENBLAS_NUM_THREADS=1 FRE_CHIP_THREADS=1
R=$1; P=$2; shift 2
for r in $(seq 1 "$R"); do
  for d in "$@"; do
    echo "# $d round $r $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    node "$d/dist/bench/chip-epoch.js" --spec bench/results/updates/mnist-2hl-sgd.json --presets "$P" --test-limit 1 | grep -E "ideal executor|netlist"
  done
done
