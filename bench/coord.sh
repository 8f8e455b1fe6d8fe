#!/usr/bin/env bash
# coord.sh - the coordinator's throughput and latency with 1, 3, 7 and 15
# workers running a zero-cost objective (bench/bench_coord.c).
#   bench/coord.sh [trials] [sampler] [pruner]   (default 5000 random none)
# With pruner none a report is a NOTE (sent, not answered: 19 messages per
# trial); with median every report is judged (a round trip: 24).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1 OPENBLAS_NUM_THREADS=1
trials=${1:-5000}; sampler=${2:-random}; pruner=${3:-none}
echo "machine: $(nproc) cores; sampler $sampler; pruner $pruner; $trials trials"
printf '%7s %8s %8s %10s %12s %10s %10s %10s %10s\n' workers trials wall_s trials/s msgs/s sug_med_us sug_p99_us rep_med_us rep_p99_us
for w in 1 3 7 15; do
  mpiexec --oversubscribe -n $((w + 1)) build/bench_coord "$trials" "$sampler" "$pruner"
done
