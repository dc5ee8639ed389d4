#!/bin/sh
# Session 6 quiet-machine check (the lead runs it with nothing else on the machine): the ideal executor
# against the chip executor (ideal chip, reram, pcm) in one process per line (bench/chip-epoch, 10 000 + 1 667
# samples, 1 BLAS thread; chip threads 2 = the default, then 1), then run-quiet.sh's in-situ epochs
# (stochastic coincidence and row programming on 2HL-512, 5 000 + 500 samples, 1 and 2 chip threads).
# Run from the repository root after `npx tsc -p .` and `bash scripts/setup.sh`. ≈ 3 minutes.
#   sh bench/results/speed/run-chip-quiet.sh | tee bench/results/speed/session6-quiet.txt
set -e
export OPENBLAS_NUM_THREADS=1
for rep in 1 2; do
  for t in 2 1; do
    echo "# chip-epoch, run $rep, FRE_CHIP_THREADS=$t, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    FRE_CHIP_THREADS=$t node dist/bench/chip-epoch.js --presets ideal,reram,pcm | tail -n 4
  done
done
sh bench/results/speed/run-quiet.sh
