#!/bin/sh
# The read path on threads (session 5, branch reads): before (BEFORE=dir holding commit 36c19f7 built on
# its own, with this commit's dist/bench/chip-epoch.js copied in so that both print CPU seconds) and after,
# back to back, in two configurations. Run from the repository root after `npx tsc -p .` and
# `bash scripts/setup.sh`. Prints the load average before each run.
: "${BEFORE:?set BEFORE to a directory holding commit 36c19f7 built on its own (see above)}"
run() { # label, dir, environment...
  label=$1; dir=$2; shift 2
  echo "== $label ($*) $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "$dir" && env "$@" node dist/bench/chip-epoch.js --presets ideal,reram,pcm | tail -n 4)
}
# One BLAS thread for both executors (the chip's read path: FRE_CHIP_THREADS unset = the online cores).
run before-1blas "$BEFORE" OPENBLAS_NUM_THREADS=1
run after-1blas . OPENBLAS_NUM_THREADS=1
run after-1blas-1chip . OPENBLAS_NUM_THREADS=1 FRE_CHIP_THREADS=1
# Both executors get the same two cores: two BLAS threads, and two chip threads for the reads.
run before-2cores "$BEFORE" OPENBLAS_NUM_THREADS=2
run after-2cores . OPENBLAS_NUM_THREADS=2 FRE_CHIP_THREADS=2
