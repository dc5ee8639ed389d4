#!/bin/sh
# In-situ EP on reram with each update scheme vs software EP: mnist-demo, 1 epoch, 10k train / 2k test.
# Run from the repository root after `npx tsc -p .`; one JSON line per run goes to results.jsonl.
set -e
D=bench/results/updates
OUT=$D/results.jsonl
: > $OUT
L="--epochs 1 --train-limit 10000 --test-limit 2000 --json"
line() { tail -n 1 | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r['label']='$1'; print(json.dumps(r))" >> $OUT; }
node dist/cli/main.js train examples/mnist-demo.json $L 2>/dev/null | line "software EP, adam"
node dist/cli/main.js train $D/mnist-demo-sgd.json $L 2>/dev/null | line "software EP, sgd"
for w in max x4; do
  for s in row-programmed mixed-precision; do
    node dist/cli/main.js run examples/mnist-demo.json --chip $D/reram-$s.json --w-max $w --train $L 2>/dev/null | line "reram $s, adam, w-max $w"
  done
  for s in row-programmed mixed-precision stochastic-coincidence; do
    node dist/cli/main.js run $D/mnist-demo-sgd.json --chip $D/reram-$s.json --w-max $w --train $L 2>/dev/null | line "reram $s, sgd, w-max $w"
  done
done
node dist/cli/main.js run $D/mnist-demo-sgd.json --chip ideal --train $L 2>/dev/null | line "ideal chip (exact), sgd"
