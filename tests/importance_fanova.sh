#!/usr/bin/env bash
# importance_fanova.sh - on the heart study (jobs/heart.yaml, its seed 42),
# mpihpo's PED-ANOVA and Optuna 3.1's fANOVA (run on the exported trials by
# tests/ref/fanova_check.py) name the same most important parameter (issue
# #8). Skipped (77) where Debian's python3-optuna is not installed
# (scripts/setup.sh --peers installs it).
# Usage: importance_fanova.sh MPIHPO SOURCE_DIR
set -uo pipefail
bin=$1; src=$2
if ! /usr/bin/python3 -c 'import optuna, sklearn, pandas' 2>/dev/null; then
  echo "SKIP: needs python3-optuna, python3-sklearn, python3-pandas (scripts/setup.sh --peers)"; exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1
"$bin" run "$src/jobs/heart.yaml" --storage "$tmp/h.h5" -q > /dev/null || { echo "FAIL: the study did not run"; exit 1; }
ours=$("$bin" show "$tmp/h.h5" --importance | sed -n '/^Parameter importances/{n;p;}' | awk '{print $1}')
"$bin" export "$tmp/h.h5" --csv "$tmp/h.csv" || exit 1
/usr/bin/python3 "$src/tests/ref/fanova_check.py" "$tmp/h.csv" > "$tmp/f.txt" || { cat "$tmp/f.txt"; exit 1; }
theirs=$(sed -n 2p "$tmp/f.txt" | awk '{print $1}')
echo "PED-ANOVA: $ours; fANOVA: $theirs"
sed 's/^/  /' "$tmp/f.txt"
if [ -n "$ours" ] && [ "$ours" = "$theirs" ]; then echo "1 passed, 0 failed"; exit 0; fi
echo "FAIL: the most important parameters differ"; echo "0 passed, 1 failed"; exit 1
