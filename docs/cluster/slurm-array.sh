#!/bin/bash
# One sweep spread over a Slurm job array: task I of N runs `fre sweep --shard I/N` (the runs whose
# index mod N = I) on the cores it was given and writes its own results file on shared storage.
# A re-queued or re-submitted task continues with --resume instead of starting over.
#
#   sbatch docs/cluster/slurm-array.sh examples/sweeps/weight-noise.json
#   # when all tasks are done (or chain it: see slurm-merge.sh):
#   sbatch --dependency=afterok:<jobid> docs/cluster/slurm-merge.sh examples/sweeps/weight-noise.json
#
# Size --array to the sweep: `fre sweep FILE --dry-run | head -1` prints the number of runs; more
# tasks than runs leaves some tasks empty (they exit at once). Options given to sbatch override the
# #SBATCH lines (e.g. `sbatch --array=0-3 --cpus-per-task=2 slurm-array.sh …` on a small machine).
# Paths (the sweep file, FRE_RESULTS_DIR) are relative to the folder you submit from; FRE_HOME is
# the fre checkout (default: that same folder).
#
# The log goes to the submit folder: Slurm opens --output before the script runs, so a log folder
# would have to exist already (a missing one fails the task with no output at all).
#SBATCH --job-name=fre-sweep
#SBATCH --array=0-15
#SBATCH --cpus-per-task=8
#SBATCH --mem-per-cpu=1G
#SBATCH --time=02:00:00
#SBATCH --requeue
#SBATCH --output=%x-%A_%a.out
set -euo pipefail

SWEEP=${1:?usage: sbatch slurm-array.sh SWEEP.json}
NAME=$(basename "$SWEEP" .json)
cd "$SLURM_SUBMIT_DIR"
# Absolute before any cd: relative paths mean the submit folder, wherever fre lives.
SWEEP=$(realpath "$SWEEP")
OUT=$(realpath -m "${FRE_RESULTS_DIR:-results}/$NAME")
N=${SLURM_ARRAY_TASK_COUNT}      # the array size (0-15 → 16)
I=${SLURM_ARRAY_TASK_ID}         # 0 … N−1 with --array=0-…
mkdir -p "$OUT"

# The checkout (with dist/ built: npx tsc -p .) must be on a path every node sees, or in the image.
FRE=$(realpath "${FRE_HOME:-$SLURM_SUBMIT_DIR}")/dist/cli/main.js
exec node "$FRE" sweep "$SWEEP" \
  --shard "$I/$N" \
  --workers "${SLURM_CPUS_PER_TASK:-1}" \
  --out "$OUT/shard-$I-of-$N.jsonl" \
  --resume \
  --progress lines
