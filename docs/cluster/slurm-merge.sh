#!/bin/bash
# Joins the shard results of a sweep run with slurm-array.sh and writes the report.
#   sbatch --dependency=afterok:<array jobid> docs/cluster/slurm-merge.sh examples/sweeps/weight-noise.json
#SBATCH --job-name=fre-sweep-merge
#SBATCH --cpus-per-task=1
#SBATCH --time=00:10:00
#SBATCH --output=%x-%j.out
# A failed array task makes afterok impossible: cancel this job then instead of leaving it pending.
#SBATCH --kill-on-invalid-dep=yes
set -euo pipefail

SWEEP=${1:?usage: sbatch slurm-merge.sh SWEEP.json}
NAME=$(basename "$SWEEP" .json)
cd "$SLURM_SUBMIT_DIR"
OUT=$(realpath -m "${FRE_RESULTS_DIR:-results}/$NAME")
FRE=$(realpath "${FRE_HOME:-$SLURM_SUBMIT_DIR}")/dist/cli/main.js
# merge refuses files of different sweeps and reports runs of the grid that are missing.
node "$FRE" sweep merge "$OUT"/shard-*.jsonl -o "$OUT/all.jsonl"
node "$FRE" sweep report "$OUT/all.jsonl" --svg "$OUT/$NAME.svg" > "$OUT/$NAME.txt"
node "$FRE" sweep report "$OUT/all.jsonl" --csv > "$OUT/$NAME.csv"
