#!/bin/sh
# Session 6 (branch reads2): whole-process CPU seconds (user + system, all threads; includes ≈ 0.7 s of loading
# MNIST and the test pass, common to all) of run-quiet.sh's in-situ epochs, one chip thread and one BLAS
# thread, before ($BEFORE: 43bd394 built on its own) and after, alternating N times.
#   BEFORE=DIR_OF_THE_BUILD_BEFORE N=3 sh bench/results/speed/run-reads2-insitu-cpu.sh | tee bench/results/speed/reads2-insitu-cpu.txt
AFTER=$(pwd)
D=bench/results/updates
L2="--epochs 1 --train-limit 5000 --test-limit 500 --json"
export OPENBLAS_NUM_THREADS=1 FRE_CHIP_THREADS=1
cpu() { python3 -c 'import resource,subprocess,sys; subprocess.run(sys.argv[2:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL); r=resource.getrusage(resource.RUSAGE_CHILDREN); print(sys.argv[1], round(r.ru_utime+r.ru_stime,2))' "$@"; }
for rep in $(seq ${N:-3}); do
  for v in "$BEFORE" "$AFTER"; do
    echo "# $(basename $v), pair $rep, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    cd "$v"
    cpu "ideal executor" node dist/cli/main.js train $D/mnist-2hl-sgd.json $L2
    cpu "reram stochastic-coincidence" node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-stochastic-coincidence.json --train $L2
    cpu "reram row-programmed" node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-row-programmed.json --train $L2
    cd "$AFTER"
  done
done
