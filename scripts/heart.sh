#!/usr/bin/env bash
# heart.sh - README command 1: install what is missing, build, and run the
# heart study (jobs/heart.yaml) on one process. Extra arguments go to
# `mpihpo run`, e.g. scripts/heart.sh --trials 20 --seed 1
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/mpihpo run jobs/heart.yaml "$@"
