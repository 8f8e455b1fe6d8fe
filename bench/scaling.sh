#!/usr/bin/env bash
# scaling.sh - the article's study at -np 1 (one process trains) and -np 3
# (rank 0 coordinates, two workers train) on the same trials budget; prints
# the study's own time (MPI start-up excluded) and the speed-up.
#   bench/scaling.sh [SEEDS] [TRIALS]      (default "1 2 3" and 60)
#   STUDY=bench/heart_fixed.yaml bench/scaling.sh ...   the same work at both sizes
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-"1 2 3"}; trials=${2:-60}; study=${STUDY:-jobs/heart-article.yaml}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1 OPENBLAS_NUM_THREADS=1
out=$(mktemp); trap 'rm -f "$out"' EXIT
secs() { sed -n 's/^Study .* finished: .* in \([0-9.]*\) s$/\1/p' "$out"; }
printf '%-6s %10s %10s %8s\n' seed np1_s np3_s speedup
for s in $seeds; do
  build/mpihpo run "$study" --seed "$s" --trials "$trials" -q > "$out"; a=$(secs)
  mpirun --oversubscribe -np 3 build/mpihpo run "$study" --seed "$s" --trials "$trials" -q > "$out"; b=$(secs)
  printf '%-6s %10s %10s %8.2f\n' "$s" "$a" "$b" "$(awk "BEGIN{print $a/$b}")"
done
