#!/bin/sh
# Both executors on two cores (OPENBLAS_NUM_THREADS=2, FRE_CHIP_THREADS=2), alternating, N pairs.
#   N=4 sh bench/results/speed/run-pulses-twocores.sh
D=bench/results/updates
L2="--epochs 1 --train-limit 5000 --test-limit 500 --json"
export OPENBLAS_NUM_THREADS=2 FRE_CHIP_THREADS=2
sec() { tail -n 1 | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print('$1', round(r['epochSeconds'][0] if 'epochSeconds' in r else r['epochs'][0]['seconds'], 2))"; }
for rep in $(seq ${N:-4}); do
  echo "# pair $rep, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  node dist/cli/main.js train $D/mnist-2hl-sgd.json $L2 2>/dev/null | sec "ideal executor"
  node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-stochastic-coincidence.json --train $L2 2>/dev/null | sec "reram stochastic-coincidence"
done
