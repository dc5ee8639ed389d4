#!/bin/sh
# Quiet-machine check (the lead runs it with nothing else on the machine): the ideal executor against the chip
# executor (ideal chip, reram, pcm) in one process per line (bench/chip-epoch, 10 000 + 1 667 samples; chip
# threads 2 = the default, then 1; OPENBLAS_NUM_THREADS=1, so the chip's reads run side by side on both chip
# threads, session 7). Each process runs the ideal executor twice, on 1 and on 2 BLAS threads
# (--ideal-blas-threads 1,2), so each chip line has its ratio to both: 1 BLAS thread (as before) and the
# like-for-like figure (both executors on both cores). Then run-quiet.sh's in-situ epochs (stochastic
# coincidence and row programming on 2HL-512, 5 000 + 500 samples, 1 and 2 chip threads).
# Run from the repository root after `npx tsc -p .` and `bash scripts/setup.sh`. ≈ 3 minutes.
#   sh bench/results/speed/run-chip-quiet.sh | tee bench/results/speed/session7-quiet.txt
set -e
export OPENBLAS_NUM_THREADS=1
for rep in 1 2; do
  for t in 2 1; do
    echo "# chip-epoch, run $rep, FRE_CHIP_THREADS=$t, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    FRE_CHIP_THREADS=$t node dist/bench/chip-epoch.js --presets ideal,reram,pcm --ideal-blas-threads 1,2 | tail -n 5
  done
done
sh bench/results/speed/run-quiet.sh
