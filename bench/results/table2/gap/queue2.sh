#!/bin/bash
# After queue.sh: the 10-layer graph runs continued to 30 epochs, one at a time.
cd "$(git rev-parse --show-toplevel)" || exit 1
D=bench/results/table2/gap
run() { OPENBLAS_NUM_THREADS=1 nice -n 5 node dist/bench/reproduce.js $D/$1.json --algo ep --seeds $2 --epochs $3 --out $D --resume >> $D/graph.log 2>&1; }
run mnist-10l-residual-graph 0 30; run mnist-10l-residual-graph 1 30; run mnist-10l-residual-graph 2 30
