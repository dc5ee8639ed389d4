#!/usr/bin/env bash
# Instructions executed by N conv EP training samples (examples/mnist-conv.json), counted by
# callgrind only while the steps run (node start-up, data loading and the GEMM-rate measurement are
# excluded): a load-independent measure for before/after comparisons on a shared machine.
#
#   bash bench/callgrind-conv.sh [N] [OUT]     (default N = 16 samples, OUT = callgrind-conv.out)
#
# One BLAS thread, OpenBLAS's Haswell kernels (valgrind does not emulate AVX-512). Prints the total
# and the top functions. Needs valgrind (Debian package valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-16}"
OUT="${2:-callgrind-conv.out}"
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$OUT" node dist/bench/conv-epoch.js --train-limit "$N" --steps-only --callgrind-markers >"$LOG" 2>&1 &
VG=$!
wait_for() { until grep -q "$1" "$LOG"; do kill -0 "$VG" 2>/dev/null || { cat "$LOG"; exit 1; }; sleep 0.2; done; }
wait_for 'steps: start'
callgrind_control -i on "$VG" >/dev/null
wait_for 'steps: end'
callgrind_control -i off "$VG" >/dev/null
wait "$VG"
grep -v '^==' "$LOG" | grep -E 'EP training' || true
callgrind_annotate "$OUT" 2>/dev/null | sed -n '/Ir/,$p' | head -30
