#!/bin/sh
# Chip executor vs ideal executor, same run (issue 18 item 2, issue 14's speed item).
# Run from the repository root after `npx tsc -p .` and `bash scripts/setup.sh`; nothing else of
# ours running (the machine is shared: the load average is printed with each block).
set -e
D=bench/results/updates
S=bench/results/speed
export OPENBLAS_NUM_THREADS=1
{
  echo "# $(date -u +%H:%M) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  nice node dist/bench/chip-epoch.js --spec examples/mnist-2hl.json --train-limit 10000 --presets ideal,reram,pcm,sram-8b
  echo "# $(date -u +%H:%M) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  nice node dist/bench/chip-epoch.js --spec examples/mnist-demo.json --train-limit 10000 --presets ideal,reram,pcm,sram-8b
} 2>&1 | grep -v '^{"cpu"' | tee $S/chip-epoch.txt
# In-situ stochastic-coincidence on 2HL-512 (bench/results/updates/speed.sh's 2HL block), 5k samples, twice.
L2="--epochs 1 --train-limit 5000 --test-limit 500 --json"
sec() { tail -n 1 | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print('$1', r['epochSeconds'][0] if 'epochSeconds' in r else r['epochs'][0]['seconds'])"; }
{
  for rep in 1 2; do
    echo "# run $rep, $(date -u +%H:%M) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    nice node dist/cli/main.js train $D/mnist-2hl-sgd.json $L2 2>/dev/null | sec "2HL-512: ideal executor (software EP)"
    nice node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-row-programmed.json --train $L2 2>/dev/null | sec "2HL-512: interpreter, reram row-programmed"
    nice node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-stochastic-coincidence.json --train $L2 2>/dev/null | sec "2HL-512: interpreter, reram stochastic-coincidence"
  done
} 2>&1 | tee $S/coincidence-2hl.txt
