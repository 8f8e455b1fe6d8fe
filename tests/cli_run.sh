#!/usr/bin/env bash
# cli_run.sh - the mpihpo command as a user meets it: a small heart study,
# reproducibility by seed, help texts, and bad input giving clear errors and
# non-zero exits. Usage: cli_run.sh MPIHPO_BINARY SOURCE_DIR
set -uo pipefail
bin=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
ok()   { passes=$((passes+1)); }
bad()  { echo "FAIL: $*"; fails=$((fails+1)); }
expect_in() { grep -qF -- "$1" "$2" && ok || { bad "expected '$1' in $2:"; sed 's/^/    /' "$2" | head -20; }; }

cat > "$tmp/small.yaml" <<YAML
study:   {name: small, direction: maximize, trials: 4, seed: 7}
sampler: {type: random}
data:    {path: $src/data/heart.csv, target: HeartDisease, standardize: true}
train:
  epochs: 3
  batch_size: 32
  learning_rate: {float: [1.0e-3, 1.0e-1], log: true}
  optimizer: {categorical: [adam, rmsprop, sgd]}
  n_layers: {int: [1, 2]}
  n_units: {int: [4, 16], per_layer: true}
YAML

# 1. A run: one line per trial, then the summary.
"$bin" run "$tmp/small.yaml" > "$tmp/out1" 2> "$tmp/err1"; rc=$?
[ $rc -eq 0 ] && ok || { bad "run exited $rc"; cat "$tmp/err1"; }
[ "$(grep -c '^Trial [0-9]* finished with value 0\.[0-9]* and parameters {learning_rate: ' "$tmp/out1")" -eq 4 ] && ok \
  || { bad "expected 4 Optuna-style trial lines"; cat "$tmp/out1"; }
expect_in "Best is trial" "$tmp/out1"
expect_in "Study 'small' finished: 4 trials (4 complete, 0 pruned, 0 failed)" "$tmp/out1"
expect_in "Best trial " "$tmp/out1"
expect_in "Seed: 7" "$tmp/out1"
expect_in "734 train / 184 validation rows, 20 features, 2 classes" "$tmp/out1"

# 2. Same seed, same trials (lines without the timing); another seed differs.
"$bin" run "$tmp/small.yaml" > "$tmp/out2" 2>/dev/null
diff <(grep '^Trial' "$tmp/out1") <(grep '^Trial' "$tmp/out2") > /dev/null && ok || bad "same seed gave other trials"
"$bin" run "$tmp/small.yaml" --seed 8 --trials 2 > "$tmp/out3" 2>/dev/null
[ "$(grep -c '^Trial' "$tmp/out3")" -eq 2 ] && ok || bad "--trials 2 did not run 2 trials"
diff <(grep '^Trial' "$tmp/out1" | head -2) <(grep '^Trial' "$tmp/out3") > /dev/null && bad "--seed 8 gave seed 7's trials" || ok

# 3. Help texts name every flag.
"$bin" --help > "$tmp/h" && ok || bad "--help exit code"
expect_in "run STUDY.yaml" "$tmp/h"
"$bin" run --help > "$tmp/rh" && ok || bad "run --help exit code"
for flag in --trials --seed --timeout --sampler --blas-threads --quiet --help-config --help; do expect_in "$flag" "$tmp/rh"; done
"$bin" run --help-config > "$tmp/hc" && ok || bad "--help-config exit code"
expect_in "reduction_factor" "$tmp/hc"

# 4. Bad input: clear message, non-zero exit, never a crash (exit >= 128).
check_err() {   # expected-exit message-fragment args...
  local want=$1 frag=$2; shift 2
  "$bin" "$@" > "$tmp/o" 2> "$tmp/e"; local rc=$?
  [ $rc -eq "$want" ] && ok || { bad "'$*' exited $rc, wanted $want"; cat "$tmp/e"; }
  expect_in "$frag" "$tmp/e"
}
check_err 2 "unknown command 'frobnicate'" frobnicate
check_err 2 "--trials expects an integer >= 1, got 'many'" run "$tmp/small.yaml" --trials many
check_err 2 "--seed expects an integer >= 0" run "$tmp/small.yaml" --seed -3
check_err 2 "expected one study file" run
check_err 1 "nope.yaml" run "$tmp/nope.yaml"
printf 'study: {direction: maximize\n' > "$tmp/broken.yaml"
check_err 1 "broken.yaml:" run "$tmp/broken.yaml"
sed 's/reduction_factor/x/; s/trials: 4/trails: 4/' "$tmp/small.yaml" > "$tmp/typo.yaml"
check_err 1 "did you mean 'trials'" run "$tmp/typo.yaml"
sed 's#heart.csv#missing.csv#' "$tmp/small.yaml" > "$tmp/nodata.yaml"
check_err 1 "missing.csv" run "$tmp/nodata.yaml"
sed 's/target: HeartDisease/target: Heart/' "$tmp/small.yaml" > "$tmp/notarget.yaml"
check_err 1 "HeartDisease" run "$tmp/notarget.yaml"
sed 's/\[1.0e-3, 1.0e-1\], log: true/[0.0, 1.0e-1], log: true/' "$tmp/small.yaml" > "$tmp/badlog.yaml"
check_err 1 "learning_rate" run "$tmp/badlog.yaml"

# 5. Mistakes only the whole train: section shows fail before any trial
#    (found by a newcomer test): a name clash, a grid over a float range,
#    impossible sizes; a shrunk step range is warned about.
sed 's/  n_layers: {int: \[1, 2\]}/  n_layers: {int: [1, 2], name: n_units_l1}/' "$tmp/small.yaml" > "$tmp/clash.yaml"
check_err 1 "both name a parameter 'n_units_l1'" run "$tmp/clash.yaml"
grep -q '^Trial' "$tmp/o" && bad "a trial ran before the clash was reported" || ok
check_err 1 "the grid sampler needs train.learning_rate to have a step" run "$tmp/small.yaml" --sampler grid
sed 's/  n_units: {int: \[4, 16\], per_layer: true}/  n_units: 2000000000/' "$tmp/small.yaml" > "$tmp/huge.yaml"
check_err 1 "train.n_units can be 2000000000; at most 1048576" run "$tmp/huge.yaml"
sed 's/  learning_rate: {float: \[1.0e-3, 1.0e-1\], log: true}/  learning_rate: {float: [0.01, 0.1], step: 0.04}/;
     s/  n_units: {int: \[4, 16\], per_layer: true}/  n_units: {int: [4, 10], step: 4, per_layer: true}/' "$tmp/small.yaml" > "$tmp/grid.yaml"
"$bin" run "$tmp/grid.yaml" --sampler grid --trials 500 > "$tmp/o" 2> "$tmp/e" && ok || { bad "grid run failed"; cat "$tmp/e"; }
expect_in "high 10 is replaced by 8" "$tmp/e"
expect_in "high 0.1 is replaced by 0.09" "$tmp/e"
# lr {0.01, 0.05, 0.09} x optimizer 3 x n_layers 2 x n_units_l0 2 x n_units_l1 2 = 72 points
expect_in "The study stops: the grid of 72 points is used up." "$tmp/o"
expect_in "finished: 72 trials" "$tmp/o"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
