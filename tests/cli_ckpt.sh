#!/usr/bin/env bash
# cli_ckpt.sh - the checkpoint as a user meets it: run with storage, resume,
# budgets, and every way a resume can be refused. Usage: cli_ckpt.sh MPIHPO SOURCE_DIR
set -uo pipefail
bin=$1; src=$2
tmp=$(mktemp -d); trap 'kill $bg 2>/dev/null; rm -rf "$tmp"' EXIT
bg=""
fails=0; passes=0
ok()  { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
expect_in() { grep -qF -- "$1" "$2" && ok || { bad "expected '$1' in $2:"; sed 's/^/    /' "$2" | head -20; }; }
cat > "$tmp/s.yaml" <<YAML
study:   {name: ck, direction: maximize, trials: 4, seed: 2}
sampler: {type: tpe}
data:    {path: $src/data/heart.csv, target: HeartDisease, standardize: true}
train:
  epochs: 3
  batch_size: 64
  learning_rate: {float: [1.0e-3, 1.0e-1], log: true}
  optimizer: {categorical: [adam, sgd]}
  n_layers: 1
  n_units: {int: [4, 16]}
YAML
run() { "$bin" "$@" > "$tmp/o" 2> "$tmp/e"; echo $?; }

# 1. A run with storage; the same run again is refused, the file untouched.
[ "$(run run "$tmp/s.yaml" --storage "$tmp/s.h5")" = 0 ] && ok || { bad "run with storage failed"; cat "$tmp/e"; }
expect_in "Every trial is in $tmp/s.h5" "$tmp/o"
sum=$(md5sum < "$tmp/s.h5")
[ "$(run run "$tmp/s.yaml" --storage "$tmp/s.h5")" = 1 ] && ok || bad "run on an existing file was not refused"
expect_in "use \`mpihpo resume $tmp/s.h5\` or --resume" "$tmp/e"
[ "$(md5sum < "$tmp/s.h5")" = "$sum" ] && ok || bad "the refused run changed the file"

# 2. Budgets: the total by default, N more with --more.
[ "$(run resume "$tmp/s.h5")" = 0 ] && ok || bad "resume of a finished study failed"
expect_in "The study already has 4 trials, its whole budget of 4; nothing to run" "$tmp/o"
[ "$(run resume "$tmp/s.h5" --more 2)" = 0 ] && ok || bad "resume --more 2 failed"
expect_in "Resuming study 'ck' from $tmp/s.h5: 4 trials stored" "$tmp/o"
expect_in "finished: 6 trials" "$tmp/o"
grep -q '^Trial 4 finished' "$tmp/o" && grep -q '^Trial 5 finished' "$tmp/o" && ok || bad "trial numbers did not continue at 4"
[ "$(run run "$tmp/s.yaml" --storage "$tmp/s.h5" --resume --trials 8)" = 0 ] && ok || bad "run --resume --trials 8 failed"
expect_in "finished: 8 trials" "$tmp/o"

# 2b. What run was given on its command line survives a resume: the total
#     budget (--trials) and the sampler (--sampler).
[ "$(run run "$tmp/s.yaml" --storage "$tmp/b.h5" --trials 2 --sampler random)" = 0 ] && ok || bad "run --trials 2 failed"
[ "$(run resume "$tmp/b.h5")" = 0 ] && ok || bad "resume of a 2-trial study failed"
expect_in "The study already has 2 trials, its whole budget of 2; nothing to run" "$tmp/o"
[ "$(run resume "$tmp/b.h5" --more 1)" = 0 ] && ok || bad "resume --more 1 failed"
expect_in "sampler random" "$tmp/o"
expect_in "1 more to run, 3 in all" "$tmp/o"
[ "$(run resume "$tmp/b.h5")" = 0 ] && ok || bad "resume after --more failed"
expect_in "its whole budget of 3" "$tmp/o"
[ "$(run run "$tmp/s.yaml" --storage "$tmp/b.h5" --resume --more 1)" = 1 ] && ok || bad "a sampler switch without --sampler was accepted"
expect_in "ran with sampler random, the study file says tpe" "$tmp/e"
[ "$(run run "$tmp/s.yaml" --storage "$tmp/b.h5" --resume --more 1 --sampler tpe)" = 0 ] && ok || bad "--sampler tpe did not switch"
sed 's/^study: *{/pruner: {type: median}\nstudy: {/' "$tmp/s.yaml" > "$tmp/pr.yaml"
[ "$(run run "$tmp/pr.yaml" --storage "$tmp/b.h5" --resume --more 1 --sampler tpe)" = 1 ] && ok || bad "a changed pruner was accepted"
expect_in "ran with pruner none, the study file says median" "$tmp/e"
sed 's/epochs: 3/epochs: 2/' "$tmp/s.yaml" > "$tmp/ep.yaml"
[ "$(run run "$tmp/ep.yaml" --storage "$tmp/b.h5" --resume --more 1 --sampler tpe)" = 0 ] && ok || bad "a changed epoch count was refused"
expect_in "differs from the study file stored in" "$tmp/e"

# 3. A study file that contradicts the checkpoint is refused, naming what differs.
sed 's/direction: maximize/direction: minimize/' "$tmp/s.yaml" > "$tmp/min.yaml"
[ "$(run run "$tmp/min.yaml" --storage "$tmp/s.h5" --resume)" = 1 ] && ok || bad "a changed direction was accepted"
expect_in "maximize" "$tmp/e"; expect_in "minimize" "$tmp/e"
sed 's/\[1.0e-3, 1.0e-1\]/[1.0e-4, 1.0e-1]/' "$tmp/s.yaml" > "$tmp/lr.yaml"
[ "$(run run "$tmp/lr.yaml" --storage "$tmp/s.h5" --resume)" = 1 ] && ok || bad "a changed distribution was accepted"
expect_in "learning_rate" "$tmp/e"
sed 's/\[adam, sgd\]/[sgd, adam]/' "$tmp/s.yaml" > "$tmp/reorder.yaml"
[ "$(run run "$tmp/reorder.yaml" --storage "$tmp/s.h5" --resume --more 1)" = 0 ] && ok || { bad "reordered choices were refused"; cat "$tmp/e"; }
[ "$(md5sum < "$tmp/s.h5")" != "$sum" ] && ok || bad "the file did not grow"

# 4. Truncated and foreign files: a clear error, the file never touched.
head -c 3000 "$tmp/s.h5" > "$tmp/trunc.h5"; sum=$(md5sum < "$tmp/trunc.h5")
[ "$(run resume "$tmp/trunc.h5")" = 1 ] && ok || bad "a truncated file was accepted"
[ "$(md5sum < "$tmp/trunc.h5")" = "$sum" ] && ok || bad "the truncated file was changed"
echo "not hdf5" > "$tmp/text.h5"
[ "$(run resume "$tmp/text.h5")" = 1 ] && ok || bad "a text file was accepted"
expect_in "text.h5" "$tmp/e"
[ "$(run resume "$tmp/none.h5")" = 1 ] && ok || bad "a missing file was accepted"
expect_in "none.h5" "$tmp/e"

# 5. A study file in use is refused, naming the holder.
sed 's/trials: 4/trials: 100000/; s/epochs: 3/epochs: 30/; s/batch_size: 64/batch_size: 2/' "$tmp/s.yaml" > "$tmp/long.yaml"
"$bin" run "$tmp/long.yaml" --storage "$tmp/l.h5" > /dev/null 2>&1 & bg=$!
for _ in $(seq 50); do [ -e "$tmp/l.h5" ] && break; sleep 0.1; done
sleep 0.3
[ "$(run resume "$tmp/l.h5")" = 1 ] && ok || bad "a file in use was opened twice"
expect_in "$bg" "$tmp/e"
kill "$bg"; wait "$bg" 2>/dev/null; bg=""

# 5b. A requeued Slurm job may land on another node after its first node
#     died: it takes over the lock of its own earlier run (lower restart
#     count), and only that.
echo "othernode 12345 777 0" > "$tmp/s.h5.lock"
[ "$(run resume "$tmp/s.h5" --more 1)" = 1 ] && ok || bad "a lock from another host was taken outside Slurm"
[ "$(SLURM_JOB_ID=778 SLURM_RESTART_COUNT=1 run resume "$tmp/s.h5" --more 1)" = 1 ] && ok || bad "another job took the lock"
echo "othernode 12345 777 1" > "$tmp/s.h5.lock"
[ "$(SLURM_JOB_ID=777 SLURM_RESTART_COUNT=1 run resume "$tmp/s.h5" --more 1)" = 1 ] && ok || bad "the same restart took the lock"
echo "othernode 12345 777 0" > "$tmp/s.h5.lock"
[ "$(SLURM_JOB_ID=777 SLURM_RESTART_COUNT=1 run resume "$tmp/s.h5" --more 1)" = 0 ] && ok || { bad "a requeued job could not take its lock"; cat "$tmp/e"; }
expect_in "held by an earlier run of Slurm job 777" "$tmp/e"

# 5c. --retry-interrupted runs a trial stopped by a signal again, with the
#     same parameters, once.
# (A signal can land between two trials, interrupting none; try again then.)
want=""
for attempt in 1 2 3; do
  rm -f "$tmp"/r.h5*
  "$bin" run "$tmp/long.yaml" --storage "$tmp/r.h5" > "$tmp/ro" 2>&1 & bg=$!
  for _ in $(seq 100); do grep -q '^Trial' "$tmp/ro" && break; sleep 0.1; done
  sleep 0.2
  kill -TERM "$bg"; wait "$bg"; rc=$?; bg=""
  [ $rc -eq 3 ] || { bad "SIGTERM gave exit $rc, wanted 3"; break; }
  want=$(sed -n 's/^Trial \([0-9]*\) failed with parameters \({.*}\) because interrupted.*/\2/p' "$tmp/ro")
  [ -n "$want" ] && break
done
[ -n "$want" ] && ok || { bad "no interrupted trial in 3 tries"; tail -3 "$tmp/ro"; }
[ "$(run resume "$tmp/r.h5" --retry-interrupted --more 1)" = 0 ] && ok || { bad "resume --retry-interrupted failed"; cat "$tmp/e"; }
expect_in "1 interrupted trials queued again" "$tmp/o"
got=$(sed -n 's/^Trial [0-9]* finished with value [0-9.]* and parameters \({.*}\)\. Best.*/\1/p' "$tmp/o")
[ "$got" = "$want" ] && ok || bad "the retried trial has $got, wanted $want"
[ "$(run resume "$tmp/r.h5" --retry-interrupted --more 1)" = 0 ] && ok || bad "second resume failed"
expect_in "0 interrupted trials queued again" "$tmp/o"

# 5d. The grid sampler resumed: the rest of the grid, each point once.
sed 's/\[1.0e-3, 1.0e-1\], log: true/[0.01, 0.05], step: 0.02/; s/n_units: {int: \[4, 16\]}/n_units: {int: [4, 12], step: 4}/' "$tmp/s.yaml" > "$tmp/g.yaml"
# 3 x 2 x 3 = 18 points
[ "$(run run "$tmp/g.yaml" --storage "$tmp/g.h5" --sampler grid --trials 7)" = 0 ] && ok || { bad "grid run failed"; cat "$tmp/e"; }
[ "$(run resume "$tmp/g.h5" --trials 40)" = 0 ] && ok || { bad "grid resume failed"; cat "$tmp/e"; }
expect_in "the grid of 18 points is used up" "$tmp/o"
"$bin" export "$tmp/g.h5" --csv - | cut -d, -f6- | sed 1d | cut -d, -f1-3 | sort | uniq -d > "$tmp/dups"
[ "$("$bin" export "$tmp/g.h5" --csv - | sed 1d | wc -l)" -eq 18 ] && [ ! -s "$tmp/dups" ] && ok \
  || { bad "the resumed grid repeated or missed points"; cat "$tmp/dups"; }

# 5e. A mistake found before the study starts (a missing CSV, a parameter
#     name clash) leaves no checkpoint behind, so the corrected run is not
#     refused as "exists".
sed 's#heart.csv#missing.csv#' "$tmp/s.yaml" > "$tmp/nocsv.yaml"
[ "$(run run "$tmp/nocsv.yaml" --storage "$tmp/early.h5")" = 1 ] && ok || bad "a missing CSV was accepted"
[ ! -e "$tmp/early.h5" ] && ok || bad "a missing CSV left $tmp/early.h5 behind"
sed 's/  n_layers: 1/  n_layers: {int: [1, 1], name: n_units}/' "$tmp/s.yaml" > "$tmp/clash.yaml"
[ "$(run run "$tmp/clash.yaml" --storage "$tmp/early.h5")" = 1 ] && ok || bad "a name clash was accepted"
expect_in "is already used by train.n_layers" "$tmp/e"
[ ! -e "$tmp/early.h5" ] && ok || bad "a name clash left $tmp/early.h5 behind"
sed 's/  n_layers: 1/  n_layers: {int: [1, 2], name: n_units_l0}/; s/  n_units: {int: \[4, 16\]}/  n_units: {int: [4, 16], per_layer: true}/' "$tmp/s.yaml" > "$tmp/clash2.yaml"
[ "$(run run "$tmp/clash2.yaml" --storage "$tmp/early.h5")" = 1 ] && ok || bad "a per-layer name clash was accepted"
expect_in "both name a parameter 'n_units_l0'" "$tmp/e"
[ ! -e "$tmp/early.h5" ] && ok || bad "a per-layer name clash left $tmp/early.h5 behind"

# 6. Options that do not fit.
[ "$(run run "$tmp/s.yaml" --more 3)" = 2 ] && ok || bad "--more without --resume accepted"
[ "$(run resume "$tmp/s.h5" --seed 3)" = 2 ] && ok || bad "resume --seed accepted"
[ "$(run run "$tmp/s.yaml" --resume)" = 1 ] && ok || bad "--resume without storage accepted"
expect_in "--resume needs a storage file" "$tmp/e"

# 7. Seeded N + resume to 2N equals a seeded 2N-trial run, also with
#    successive halving, whose rung values are rebuilt on resume (without
#    that the resumed half prunes differently), and with multivariate or group
#    TPE under hyperband, whose joint space is a bracket's (it once came from
#    every trial the sampler had folded in, which on resume were fewer).
#    (The study's name picks the brackets; with "mvhb" the old space differed.)
for case in "{type: tpe}|{type: median}|8|ck" \
            "{type: tpe}|{type: successive_halving, min_resource: 1, reduction_factor: 3}|8|ck" \
            "{type: tpe, multivariate: true, startup_trials: 5}|{type: hyperband, min_resource: 1, max_resource: 9}|20|mvhb" \
            "{type: tpe, multivariate: true, group: true, startup_trials: 5}|{type: hyperband, min_resource: 1, max_resource: 9}|20|mvhb"; do
  IFS='|' read -r sa pr n nm <<< "$case"
  sed "s/^study: *{/pruner: $pr\nstudy: {/; s/^sampler:.*/sampler: $sa/; s/name: ck/name: $nm/; s/trials: 4/trials: $((2 * n))/; s/epochs: 3/epochs: 9/" \
    "$tmp/s.yaml" > "$tmp/eq.yaml"
  rm -f "$tmp"/eq2n.h5* "$tmp"/eqn.h5*
  "$bin" run "$tmp/eq.yaml" --storage "$tmp/eq2n.h5" -q > /dev/null 2>&1
  "$bin" run "$tmp/eq.yaml" --storage "$tmp/eqn.h5" --trials "$n" -q > /dev/null 2>&1
  "$bin" resume "$tmp/eqn.h5" --trials $((2 * n)) -q > /dev/null 2>&1
  "$bin" export "$tmp/eq2n.h5" --csv - | cut -d, -f1,2,6- > "$tmp/a.csv"
  "$bin" export "$tmp/eqn.h5" --csv - | cut -d, -f1,2,6- > "$tmp/b.csv"
  [ "$(wc -l < "$tmp/a.csv")" -eq $((2 * n + 1)) ] && diff -q "$tmp/a.csv" "$tmp/b.csv" > /dev/null && ok \
    || { bad "$n + resume $n differs from $((2 * n)) with sampler $sa, pruner $pr"; diff "$tmp/a.csv" "$tmp/b.csv" | head -5; }
done

# 8. A running trial's curve is in the file while it trains (its RUNNING
#    row is stored again as it reports; MPIHPO_CURVE_SECONDS=0: whenever the
#    curve grew by a quarter), so kill -9 keeps it and the resumed study shows the
#    interrupted trial with its curve.
sed 's/trials: 4/trials: 1/; s/epochs: 3/epochs: 100000/; s/batch_size: 64/batch_size: 2/' "$tmp/s.yaml" > "$tmp/long.yaml"
rm -f "$tmp"/long.h5*
MPIHPO_CURVE_SECONDS=0 "$bin" run "$tmp/long.yaml" --storage "$tmp/long.h5" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
  [ "$("$bin" export "$tmp/long.h5" --intermediate - 2>/dev/null | wc -l)" -gt 3 ] && break
  sleep 0.1
done
"$bin" export "$tmp/long.h5" --csv - 2>/dev/null | grep -q ',RUNNING,' && ok || bad "the trial was not RUNNING when killed"
kill -9 $pid; wait $pid 2>/dev/null
n=$("$bin" export "$tmp/long.h5" --intermediate - 2>/dev/null | tail -n +2 | wc -l)
[ "$n" -ge 3 ] && ok || bad "the killed trial's curve is not in the file ($n values)"
[ "$(run resume "$tmp/long.h5")" = 0 ] && ok || { bad "resume after kill -9 failed"; cat "$tmp/e"; }
"$bin" export "$tmp/long.h5" --csv - | grep -q 'FAIL,0,interrupted' && ok || bad "the killed trial is not FAIL interrupted"
m=$("$bin" export "$tmp/long.h5" --intermediate - | tail -n +2 | wc -l)
[ "$m" -ge "$n" ] && ok || bad "the resumed study lost the curve ($m of $n values)"
MPIHPO_CURVE_SECONDS=soon "$bin" run "$tmp/s.yaml" --storage "$tmp/bad_env.h5" > /dev/null 2> "$tmp/e" && bad "a bad MPIHPO_CURVE_SECONDS was accepted" || ok
expect_in "MPIHPO_CURVE_SECONDS='soon'" "$tmp/e"
[ ! -e "$tmp/bad_env.h5" ] && ok || bad "a bad MPIHPO_CURVE_SECONDS left $tmp/bad_env.h5 behind"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
