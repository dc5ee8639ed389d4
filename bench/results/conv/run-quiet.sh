#!/usr/bin/env bash
# Conv EP step time against its FLOP floor (issue 18 item 1), before and after, for a quiet machine.
#
#   bash bench/results/conv/run-quiet.sh [BASE] [N]
#
# BASE: the commit to compare against (default 43bd394, before the fused native conv reads); N: training
# samples per run (default 512 = 4 batches). Builds this checkout (tsc + the native addon) and BASE in a
# temporary directory (git archive; node_modules linked, not installed), then alternates
# before/after runs of bench/conv-epoch.ts in two settings:
#   1 core:  OPENBLAS_NUM_THREADS=1 (and one layout thread)
#   2 cores: OpenBLAS's default threads; after: the conv chunks on two threads, one BLAS thread each
# and prints, per run, ms/sample, CPU ms/sample, the floor at that run's GEMM rates (one BLAS thread,
# and at the multithreaded rates where they apply) and the ratios, the same by CPU time (GEMM rates
# and step time both as CPU time: the one-core ratio that survives a loaded machine), plus the sha256
# of the trained weights (the same in every run: the changes are bit-identical on this net). Load
# average first: the wall-time numbers mean something only when it is well below 1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
BASE="${1:-43bd394}"
N="${2:-512}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/conv-base.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

echo "== $(date -u +%FT%TZ) $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== after: $(git -C "$ROOT" rev-parse --short HEAD), before: $BASE, $N samples"
(cd "$ROOT" && npx tsc -p . && bash scripts/setup.sh | tail -1)
git -C "$ROOT" archive "$BASE" | tar -x -C "$TMP"
ln -s "$ROOT/node_modules" "$TMP/node_modules"
# The same benchmark for both (this checkout's bench/conv-epoch.ts runs on the older tree): the same
# floors, CPU-time floor and weight hash for before and after.
cp "$ROOT/bench/conv-epoch.ts" "$TMP/bench/conv-epoch.ts"
(cd "$TMP" && npx tsc -p . && FRE_SETUP_FORCE=1 bash scripts/setup.sh | tail -1)

run() { # label dir env...
  local label="$1" dir="$2"
  shift 2
  echo "-- $label ($*), load $(cut -d' ' -f1 /proc/loadavg)"
  (cd "$dir" && env "$@" node dist/bench/conv-epoch.js --train-limit "$N" --reps 5 2>&1) |
    grep -E 'conv path|GEMM rate|EP training|CPU time|sha256|FLOP floor|by CPU time' | sed 's/^/   /'
}

for round in 1 2; do
  echo "== round $round"
  run "before, 1 core" "$TMP" OPENBLAS_NUM_THREADS=1
  run "after, 1 core" "$ROOT" OPENBLAS_NUM_THREADS=1 FRE_LAYOUT_THREADS=1
  run "before, 2 cores (2 BLAS threads)" "$TMP" OPENBLAS_NUM_THREADS=2
  run "after, 2 cores (2 chunk threads × 1 BLAS thread)" "$ROOT" OPENBLAS_NUM_THREADS=2 FRE_LAYOUT_THREADS=2
done
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
