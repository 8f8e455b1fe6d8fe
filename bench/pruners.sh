#!/usr/bin/env bash
# pruners.sh - the article's study 2 (jobs/heart-study2.yaml: define-by-run
# n_layers 1..3, 30 epochs, batch 2) without a pruner and with each pruner,
# over several seeds: best accuracy, epochs trained, wall time. Then the
# pruned study given the unpruned study's total epochs (more trials). Side by
# side: the Optuna + PyTorch peer with --pruner median and sha (one seed).
#
#   bench/pruners.sh [SEEDS] [PEER_SEEDS]     (default "1 2 3 4 5" and "1")
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-"1 2 3 4 5"}; peer_seeds=${2:-"1"}
peers=${PEERS:-../shared/peers}
bin=build/mpihpo
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

variant() {  # "{type: ..., key: value}" -> the study file with that pruner
  awk -v block="$1" '/^pruner:/ {print "pruner: " block; skip = 1; next}
                     skip && /^[^ ]/ {skip = 0} !skip {print}' jobs/heart-study2.yaml |
    sed "s|path: ../data/heart.csv|path: $PWD/data/heart.csv|" > "$out/s.yaml"
}
run_one() {  # seed trials -> "best epochs wall"
  local t0 t1; t0=$(date +%s.%N)
  "$bin" run "$out/s.yaml" --seed "$1" --trials "$2" > "$out/o.txt"
  t1=$(date +%s.%N)
  awk -v w="$(awk "BEGIN{print $t1-$t0}")" '
    /^Trial [0-9]+ finished/ {e += 30}
    /^Trial [0-9]+ pruned at step/ {for (i=1;i<=NF;i++) if ($i=="step") e += $(i+1)+1}
    /^Best trial/ {b=$NF}
    END {printf "%s %d %.2f\n", b, e, w}' "$out/o.txt"
}

printf '%-34s %8s %10s %10s %8s\n' "pruner (30 trials, median of seeds)" best_acc epochs wall_s trials
declare -A E
names=("none" "median" "percentile 25" "successive_halving" "sha r=1 eta=3" "hyperband 1..30")
blocks=("{type: none}" "{type: median}" "{type: percentile, percentile: 25}" "{type: successive_halving}"
        "{type: successive_halving, min_resource: 1, reduction_factor: 3}"
        "{type: hyperband, min_resource: 1, max_resource: 30}")
for i in "${!names[@]}"; do
  p=${names[$i]}
  variant "${blocks[$i]}"
  bs=(); es=(); ws=()
  for s in $seeds; do read -r b e w <<< "$(run_one "$s" 30)"; bs+=("$b"); es+=("$e"); ws+=("$w"); done
  E[$p]=$(median "${es[@]}")
  printf '%-34s %8s %10s %10s %8s\n' "$p" "$(median "${bs[@]}")" "${E[$p]}" "$(median "${ws[@]}")" 30
done

echo
echo "same total epochs as the unpruned study (${E[none]}): successive halving (default) with more trials"
variant "{type: successive_halving}"
# Match the epochs: start from the 30-trial ratio, then rescale the number of
# trials until the median epochs are within 3 % of the unpruned study's.
n=$(awk "BEGIN{printf \"%d\", 30 * ${E[none]} / ${E[successive_halving]}}")
for round in 1 2 3 4; do
  bs=(); es=(); ws=()
  for s in $seeds; do read -r b e w <<< "$(run_one "$s" "$n")"; bs+=("$b"); es+=("$e"); ws+=("$w"); done
  me=$(median "${es[@]}")
  awk "BEGIN{exit !($me >= 0.97 * ${E[none]} && $me <= 1.03 * ${E[none]})}" && break
  n=$(awk "BEGIN{printf \"%d\", $n * ${E[none]} / $me + 0.5}")
done
printf '%-34s %8s %10s %10s %8s\n' "successive_halving, same epochs" "$(median "${bs[@]}")" "$me" "$(median "${ws[@]}")" "$n"

if /usr/bin/python3 -c 'import optuna, torch' 2>/dev/null; then
  echo
  echo "peer: $peers/optuna_torch_heart.py --study 2 (Optuna + PyTorch, one thread)"
  printf '%-34s %8s %10s %10s %8s\n' "pruner" best_acc epochs wall_s trials
  for p in median sha; do
    for s in $peer_seeds; do
      /usr/bin/python3 "$peers/optuna_torch_heart.py" --study 2 --pruner "$p" --seed "$s" --threads 1 \
          --data data/heart.csv --json "$out/p.json" > /dev/null
      /usr/bin/python3 - "$out/p.json" "$p" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["studies"][0]
print("%-34s %8.6f %10d %10.2f %8d" % ("optuna " + sys.argv[2], d["best_value"], d["epochs_total"], d["wall_s"], d["n_trials"]))
PY
    done
  done
else
  echo "(peer skipped: run scripts/setup.sh --peers)"
fi
