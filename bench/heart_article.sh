#!/usr/bin/env bash
# heart_article.sh - the article's study 1 (jobs/heart-article.yaml: 30 TPE
# trials, 30 epochs, batch 2) run by mpihpo and by the Optuna + PyTorch peer,
# side by side in one run, one thread each. Prints wall times, their ratio
# and best validation accuracies.
#
#   bench/heart_article.sh [SEEDS] [PEER_SEEDS]   (default "1 2 3 4 5" and "1")
#
# Needs a build (scripts/build.sh) and the peers (scripts/setup.sh --peers).
# The peer takes ~105 s a seed here.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-"1 2 3 4 5"}
peer_seeds=${2:-"1"}
peers=${PEERS:-../shared/peers}
bin=build/mpihpo
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
calc() { awk "BEGIN { print $* }"; }

printf '%-8s %-6s %10s %10s %12s\n' tool seed wall_s s/trial best_acc
m_walls=(); m_best=()
for s in $seeds; do
  t0=$(date +%s.%N)
  "$bin" run jobs/heart-article.yaml --seed "$s" --quiet > "$out/m$s.txt"
  t1=$(date +%s.%N)
  w=$(calc "$t1 - $t0")
  b=$(sed -n 's/^Best trial [0-9]*: value \([0-9.]*\)$/\1/p' "$out/m$s.txt")
  n=$(sed -n "s/^Study .* finished: \([0-9]*\) trials.*/\1/p" "$out/m$s.txt")
  printf '%-8s %-6s %10.2f %10.4f %12s\n' mpihpo "$s" "$w" "$(calc "$w / $n")" "$b"
  m_walls+=("$w"); m_best+=("$b")
done
p_walls=(); p_best=()
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import optuna, torch' 2>/dev/null; then
  for s in $peer_seeds; do
    t0=$(date +%s.%N)
    /usr/bin/python3 "$peers/optuna_torch_heart.py" --study 1 --seed "$s" --threads 1 \
        --data data/heart.csv --json "$out/p$s.json" > "$out/p$s.txt"
    t1=$(date +%s.%N)
    w=$(calc "$t1 - $t0")
    b=$(/usr/bin/python3 -c "import json,sys; print('%.6f' % json.load(open(sys.argv[1]))['studies'][0]['best_value'])" "$out/p$s.json")
    printf '%-8s %-6s %10.2f %10.4f %12s\n' optuna "$s" "$w" "$(calc "$w / 30")" "$b"
    p_walls+=("$w"); p_best+=("$b")
  done
else
  echo "(peer skipped: /usr/bin/python3 with optuna and torch not found; run scripts/setup.sh --peers)"
fi
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
printf 'mpihpo: median wall %.2f s, median best accuracy %s over %d seeds\n' "$(median "${m_walls[@]}")" "$(median "${m_best[@]}")" "${#m_walls[@]}"
if [ ${#p_walls[@]} -gt 0 ]; then
  printf 'optuna: median wall %.2f s, median best accuracy %s over %d seeds\n' "$(median "${p_walls[@]}")" "$(median "${p_best[@]}")" "${#p_walls[@]}"
  printf 'speed-up (median wall, optuna / mpihpo): %.0fx\n' "$(calc "$(median "${p_walls[@]}") / $(median "${m_walls[@]}")")"
fi
