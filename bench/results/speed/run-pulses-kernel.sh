#!/bin/sh
# The coincidence kernel alone (bench/coincide-kernel.ts: one 256 × 256 reram tile, 500 samples a call),
# before (BEFORE = the 36c19f7 addon, see run-pulses.sh) and after, interleaved: R rounds of 8 calls each
# (the first call of a process dropped), CPU ns per applied pulse, min and median over all calls.
# T chip threads (default 1). Run from the repository root.
#   BEFORE=/path/to/fre_blas.node R=5 sh bench/results/speed/run-pulses-kernel.sh
R=${R:-5}
AFTER=native/build/Release/fre_blas.node
TMP=$(mktemp -d)
echo "# $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg), $R rounds, ${T:-1} chip thread(s)"
for round in $(seq $R); do
  for which in before after; do
    a=$AFTER; [ $which = before ] && a=$BEFORE
    FRE_NATIVE_ADDON=$a FRE_CHIP_THREADS=${T:-1} node dist/bench/coincide-kernel.js --reps 8 | grep -o "ns/pulse [0-9.]*" | awk '{print $2}' | tail -n +2 >> $TMP/$which
  done
done
for which in before after; do
  echo "$which: CPU ns per pulse min $(sort -n $TMP/$which | head -1) median $(sort -n $TMP/$which | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') over $(wc -l < $TMP/$which) calls"
done
echo "# end $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rm -r $TMP
