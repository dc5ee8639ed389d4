#!/bin/bash
# Joins the shard results of a sweep run with slurm-array.sh and writes the report.
#   sbatch --dependency=afterok:<array jobid> docs/cluster/slurm-merge.sh examples/sweeps/weight-noise.json
#SBATCH --job-name=fre-sweep-merge
#SBATCH --cpus-per-task=1
#SBATCH --time=00:10:00
#SBATCH --output=sweep-logs/%x-%j.out
set -euo pipefail

SWEEP=${1:?usage: sbatch slurm-merge.sh SWEEP.json}
NAME=$(basename "$SWEEP" .json)
OUT=${FRE_RESULTS_DIR:-results}/$NAME
cd "${FRE_HOME:-$SLURM_SUBMIT_DIR}"
# merge refuses files of different sweeps and reports runs of the grid that are missing.
node dist/cli/main.js sweep merge "$OUT"/shard-*.jsonl -o "$OUT/all.jsonl"
node dist/cli/main.js sweep report "$OUT/all.jsonl" --svg "$OUT/$NAME.svg" > "$OUT/$NAME.txt"
node dist/cli/main.js sweep report "$OUT/all.jsonl" --csv > "$OUT/$NAME.csv"
