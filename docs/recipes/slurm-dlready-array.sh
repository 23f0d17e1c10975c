#!/bin/bash
# Slurm: check every GPU node of a partition with one array job, then merge.
#
#   sbatch --array=0-$((NNODES-1)) --nodelist=... docs/recipes/slurm-dlready-array.sh
#   # or let Slurm spread the tasks: one task per node, exclusive
#
# Each array task runs the readiness suite on its own node and writes
# reports/$(hostname).json; the last step (run after the array, see below) merges
# them into fleet.html with outliers flagged against the fleet median.
#SBATCH --job-name=dlready
#SBATCH --partition=gpu
#SBATCH --array=0-7
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --gres=gpu:1
#SBATCH --exclusive
#SBATCH --time=00:30:00
#SBATCH --output=reports/dlready-%A_%a.out

set -euo pipefail

REPORTS="${DLREADY_REPORTS:-$PWD/reports}"
TIER="${DLREADY_TIER:-standard}"
PYTHON="${DLREADY_PYTHON:-python3}"
mkdir -p "$REPORTS"
node="$(hostname -s)"

# The gate itself: the exit status is the node's verdict (0 ready, 1 not ready, ...).
status=0
"$PYTHON" -m pytest --dlready --dlready-require-gpu --dlready-tier="$TIER" \
    --dlready-json="$REPORTS/$node.json" --dlready-html="$REPORTS/$node.html" \
    -p no:cacheprovider -q || status=$?
echo "dlready: node $node exit status $status (array task ${SLURM_ARRAY_TASK_ID:-none})"

# Merge after the whole array (submit separately):
#   sbatch --dependency=afterany:$ARRAY_JOB_ID --wrap \
#     "python3 -m pytest_dlready merge reports/*.json -o reports/fleet.html -o reports/fleet.json"
exit "$status"
