#!/bin/sh
# Session 9 (branch chip9) A/B: chip-epoch (2HL-512, 10 000 + 1 667 samples; ideal chip and reram; the ideal
# executor on 1 and 2 BLAS threads in the same process) for a base tree and this one, alternating, N rounds.
# Each process runs in its own session with its scheduler autogroup at nice −20 (root): the lead's SCHED_IDLE
# background jobs sit in another autogroup, which would otherwise take half the CPUs (session 7's note).
#   BASE=/path/to/base-tree N=3 sh bench/results/speed/run-chip9-ab.sh | tee bench/results/speed/session9-chip9-ab.txt
set -e
N=${N:-3}
PRIO() { setsid -w sh -c 'echo -20 > /proc/self/autogroup && exec "$@"' sh "$@"; }
export OPENBLAS_NUM_THREADS=1
export FRE_CHIP_THREADS=${FRE_CHIP_THREADS:-2}
load() { echo "$(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"; }
for rep in $(seq 1 "$N"); do
  for tree in "$BASE" .; do
    echo "# $([ "$tree" = . ] && echo chip9 || echo base), run $rep, $(load)"
    PRIO node "$tree/dist/bench/chip-epoch.js" --presets ${PRESETS:-ideal,reram} --ideal-blas-threads 1,2 | tail -n 4
  done
done
