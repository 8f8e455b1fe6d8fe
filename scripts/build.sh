#!/usr/bin/env bash
# build.sh - configure and build mpihpo into build/ (Release with debug info).
# Extra arguments go to cmake's configure step, e.g. -DHPO_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
      "-DMPIEXEC_PREFLAGS=--allow-run-as-root;--oversubscribe" "$@" >/dev/null
cmake --build "$BUILD" -j "$(nproc)"
