#!/usr/bin/env bash
# Instructions executed by the chip executor's training steps (bench/chip-steps.ts: B batches of 500
# samples of 2HL-512 in situ, step + SGD + commit), counted by callgrind only between the markers: a
# load-independent measure for before/after comparisons on a shared machine.
#
#   bash bench/callgrind-chip.sh [CHIP] [B] [OUT] [DIST]   (defaults: reram, 1 batch, callgrind-chip.out, this tree's dist)
#
# One BLAS thread and one chip thread, OpenBLAS's Haswell kernels (valgrind does not emulate AVX-512, so
# the addon's AVX-512 paths are not the ones counted either). Prints the total and the top functions.
set -euo pipefail
cd "$(dirname "$0")/.."
CHIP="${1:-reram}"
B="${2:-1}"
OUT="${3:-callgrind-chip.out}"
DIST="${4:-dist}"
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
FRE_CHIP_THREADS=1 OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$OUT" node dist/bench/chip-steps.js --dist "$DIST" --chip "$CHIP" --batches "$B" --callgrind-markers >"$LOG" 2>&1 &
VG=$!
wait_for() { until grep -q "$1" "$LOG"; do kill -0 "$VG" 2>/dev/null || { cat "$LOG"; exit 1; }; sleep 0.2; done; }
wait_for 'steps: start'
callgrind_control -i on "$VG" >/dev/null
wait_for 'steps: end'
callgrind_control -i off "$VG" >/dev/null
wait "$VG"
grep -v '^==' "$LOG" | grep -E 'samples' || true
callgrind_annotate "$OUT" 2>/dev/null | sed -n '/Ir/,$p' | head -30
