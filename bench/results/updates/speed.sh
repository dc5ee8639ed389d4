#!/bin/sh
# Epoch time of in-situ stochastic-coincidence vs the ideal executor (software EP) and the exact
# interpreter, mnist-demo-sgd, 1 epoch on 10k samples, interleaved twice (the machine is shared:
# read the spread, not one number). Run from the repository root after `npx tsc -p .`.
D=bench/results/updates
L="--epochs 1 --train-limit 10000 --test-limit 2000 --json"
sec() { tail -n 1 | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print('$1', r['epochSeconds'][0] if 'epochSeconds' in r else r['epochs'][0]['seconds'])"; }
for rep in 1 2; do
  node dist/cli/main.js train $D/mnist-demo-sgd.json $L 2>/dev/null | sec "ideal executor (software EP)"
  node dist/cli/main.js run $D/mnist-demo-sgd.json --chip ideal --train $L 2>/dev/null | sec "interpreter, ideal chip (exact updates)"
  node dist/cli/main.js run $D/mnist-demo-sgd.json --chip $D/reram-row-programmed.json --train $L 2>/dev/null | sec "interpreter, reram row-programmed"
  node dist/cli/main.js run $D/mnist-demo-sgd.json --chip $D/reram-stochastic-coincidence.json --train $L 2>/dev/null | sec "interpreter, reram stochastic-coincidence"
done
# 2HL-512 (examples/mnist-2hl.json with SGD lr 1.0, for the speed comparison only), 5k samples, once.
L2="--epochs 1 --train-limit 5000 --test-limit 500 --json"
node dist/cli/main.js train $D/mnist-2hl-sgd.json $L2 2>/dev/null | sec "2HL-512: ideal executor (software EP)"
node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-row-programmed.json --train $L2 2>/dev/null | sec "2HL-512: interpreter, reram row-programmed"
node dist/cli/main.js run $D/mnist-2hl-sgd.json --chip $D/reram-stochastic-coincidence.json --train $L2 2>/dev/null | sec "2HL-512: interpreter, reram stochastic-coincidence"
