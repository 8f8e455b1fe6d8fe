#!/usr/bin/env bash
# importance_fanova.sh - mpihpo's PED-ANOVA and Optuna 3.1's fANOVA (run on
# the exported trials by tests/ref/fanova_check.py) name the same most
# important parameter where one parameter decides (tests/data/
# importance_wide_lr.yaml), issue #8. The heart study's comparison is printed
# too but not judged: with 6-9 COMPLETE trials (the pruned study) the two
# measures disagree as often as not, and which trials complete depends on
# the CPU's OpenBLAS kernels. Skipped (77) where Debian's python3-optuna is
# not installed (scripts/setup.sh --peers installs it).
# Usage: importance_fanova.sh MPIHPO SOURCE_DIR
set -uo pipefail
bin=$1; src=$2
if ! /usr/bin/python3 -c 'import optuna, sklearn, pandas' 2>/dev/null; then
  echo "SKIP: needs python3-optuna, python3-sklearn, python3-pandas (scripts/setup.sh --peers)"; exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1
# compare STUDY.yaml SPACE: print both rankings; sets ours, theirs
compare() {
  rm -f "$tmp/h.h5"
  "$bin" run "$1" --storage "$tmp/h.h5" -q > /dev/null || { echo "FAIL: $1 did not run"; exit 1; }
  "$bin" show "$tmp/h.h5" --importance | sed -n '/^Parameter importances/,/^$/p' > "$tmp/p.txt"
  ours=$(sed -n 2p "$tmp/p.txt" | awk '{print $1}')
  "$bin" export "$tmp/h.h5" --csv "$tmp/h.csv" || exit 1
  /usr/bin/python3 "$src/tests/ref/fanova_check.py" "$tmp/h.csv" "$2" > "$tmp/f.txt" || { cat "$tmp/f.txt"; exit 1; }
  theirs=$(sed -n 2p "$tmp/f.txt" | awk '{print $1}')
  echo "$(basename "$1"): PED-ANOVA: $ours; fANOVA: $theirs"
  sed 's/^/  /' "$tmp/p.txt" "$tmp/f.txt"
}
compare "$src/jobs/heart.yaml" heart
echo "  (not judged: see the comment at the top)"
compare "$src/tests/data/importance_wide_lr.yaml" wide_lr
if [ -n "$ours" ] && [ "$ours" = "$theirs" ]; then echo "1 passed, 0 failed"; exit 0; fi
echo "FAIL: the most important parameters differ"; echo "0 passed, 1 failed"; exit 1
