#!/bin/sh
# CPU seconds (user + sys) of the whole process, single-threaded everywhere (OPENBLAS_NUM_THREADS=1,
# FRE_CHIP_THREADS=1): on a shared machine the steadier measure of the work each executor does. Includes
# loading MNIST and the 500-sample test pass (the same for all). BEFORE as in run-pulses.sh.
#   BEFORE=/path/to/fre_blas.node sh bench/results/speed/run-pulses-cpu.sh
D=bench/results/updates
L2="--epochs 1 --train-limit 5000 --test-limit 500 --json"
export OPENBLAS_NUM_THREADS=1 FRE_CHIP_THREADS=1
cpu() { python3 -c "
import resource, subprocess, sys, json, os
out = subprocess.run(sys.argv[2:], capture_output=True, text=True, env=os.environ).stdout.strip().splitlines()[-1]
r = resource.getrusage(resource.RUSAGE_CHILDREN)
j = json.loads(out)
print(sys.argv[1], 'cpu', round(r.ru_utime + r.ru_stime, 2), 's, epoch wall', round(j['epochSeconds'][0], 2), 's')
" "$@"; }
for rep in 1 2; do
  echo "# run $rep, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  cpu "ideal executor" node dist/cli/main.js train $D/mnist-2hl-sgd.json $L2
  FRE_NATIVE_ADDON=$BEFORE cpu "before: coincidence" node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-stochastic-coincidence.json --train $L2
  cpu "after: coincidence" node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-stochastic-coincidence.json --train $L2
  cpu "after: row-programmed" node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-row-programmed.json --train $L2
done
