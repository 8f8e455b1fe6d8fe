#!/usr/bin/env bash
# test.sh - README command 2: install what is missing, build, run every test.
# Extra arguments go to ctest, e.g. scripts/test.sh -L quick
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
export OPENBLAS_NUM_THREADS=1
cd "${BUILD_DIR:-build}"
ctest --output-on-failure "$@"
