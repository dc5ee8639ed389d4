#!/bin/sh
# Session 6 (branch reads2): run-quiet.sh's in-situ epochs (2HL-512, 5 000 + 500 samples, 1 BLAS thread; the
# ideal executor, then stochastic coincidence and row programming with 1 and 2 chip threads) in the tree
# before ($BEFORE: 43bd394 built on its own) and after, alternating.
#   BEFORE=DIR_OF_THE_BUILD_BEFORE sh bench/results/speed/run-reads2-insitu.sh | tee bench/results/speed/reads2-insitu.txt
AFTER=$(pwd)
for v in "$BEFORE" "$AFTER" "$BEFORE" "$AFTER"; do
  echo "## $(basename $v)"
  (cd "$v" && sh "$AFTER/bench/results/speed/run-quiet.sh" | sed -n '1,6p')
done
