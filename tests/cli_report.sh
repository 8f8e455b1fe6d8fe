#!/usr/bin/env bash
# cli_report.sh - `mpihpo show`, `export` and `report` as a user meets them:
# a small study is run into a checkpoint, then shown, exported (and read by
# pandas when /usr/bin/python3 has it) and reported (and rendered by headless
# chromium when it is installed); bad input gives clear errors and non-zero
# exits. Usage: cli_report.sh MPIHPO_BINARY SOURCE_DIR
set -uo pipefail
bin=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
ok()   { passes=$((passes+1)); }
bad()  { echo "FAIL: $*"; fails=$((fails+1)); }
expect_in() { grep -qF -- "$1" "$2" && ok || { bad "expected '$1' in $2:"; sed 's/^/    /' "$2" | head -20; }; }

cat > "$tmp/small.yaml" <<YAML
study:   {name: small, direction: maximize, trials: 10, seed: 7}
sampler: {type: random}
pruner:  {type: median, n_startup_trials: 2}
data:    {path: $src/data/heart.csv, target: HeartDisease, standardize: true}
train:
  epochs: 4
  batch_size: 32
  learning_rate: {float: [1.0e-3, 1.0e-1], log: true}
  optimizer: {categorical: [adam, rmsprop, sgd]}
  n_layers: {int: [1, 2]}
  n_units: {int: [4, 16], per_layer: true}
YAML
h5="$tmp/s.h5"
"$bin" run "$tmp/small.yaml" --storage "$h5" -q > "$tmp/run" 2>&1 || { bad "run --storage failed"; cat "$tmp/run"; }
[ -f "$h5" ] && ok || { bad "no checkpoint written"; echo "$passes passed, $fails failed"; exit 1; }

# 1. show
"$bin" show "$h5" --top 3 --importance > "$tmp/show" 2> "$tmp/show.err"; rc=$?
[ $rc -eq 0 ] && ok || { bad "show exited $rc"; cat "$tmp/show.err"; }
expect_in "Study 'small' (maximize)" "$tmp/show"
expect_in "sampler: random, pruner: median, seed: 7" "$tmp/show"
expect_in "Trials: 10 (" "$tmp/show"
expect_in "Best trial: " "$tmp/show"
expect_in "Top 3 trials:" "$tmp/show"
expect_in "Parameter importances (PED-ANOVA" "$tmp/show"
expect_in "Integrity: ok: 10 trials" "$tmp/show"
[ ! -e "$h5.lock" ] && ok || bad "show left a lock file"
# TPE's settings that differ from the defaults, read back from the stored study file
sed 's/^sampler:.*/sampler: {type: tpe, multivariate: true, startup_trials: 4, compat: optuna3}/; s/trials: 10/trials: 5/' \
  "$tmp/small.yaml" > "$tmp/tpe.yaml"
"$bin" run "$tmp/tpe.yaml" --storage "$tmp/tpe.h5" -q > /dev/null 2>&1 || bad "the TPE study did not run"
"$bin" show "$tmp/tpe.h5" > "$tmp/show2" 2>&1
expect_in "sampler: tpe (multivariate, startup_trials: 4, compat: optuna3), pruner: median" "$tmp/show2"
"$bin" show --help > "$tmp/h" && ok || bad "show --help exit code"
for flag in --top --importance --help; do expect_in "$flag" "$tmp/h"; done

# 2. export: the header, one row per trial, the intermediate values
"$bin" export "$h5" --csv "$tmp/t.csv" --intermediate "$tmp/i.csv" 2> "$tmp/e"; rc=$?
[ $rc -eq 0 ] && ok || { bad "export exited $rc"; cat "$tmp/e"; }
[ "$(head -1 "$tmp/t.csv")" = "number,value,datetime_start,datetime_complete,duration,params_learning_rate,params_n_layers,params_n_units_l0,params_n_units_l1,params_optimizer,state,worker,fail_reason" ] \
  && ok || { bad "CSV header:"; head -1 "$tmp/t.csv"; }
[ "$(wc -l < "$tmp/t.csv")" -eq 11 ] && ok || bad "expected 11 CSV lines, got $(wc -l < "$tmp/t.csv")"
[ "$(head -1 "$tmp/i.csv")" = "trial,step,value" ] && ok || bad "intermediate header"
"$bin" export "$h5" --csv - > "$tmp/t2.csv" && cmp -s "$tmp/t.csv" "$tmp/t2.csv" && ok || bad "--csv - differs from the file"
ncomplete=$(grep -c ',COMPLETE,' "$tmp/t.csv")
if /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  /usr/bin/python3 - "$tmp/t.csv" "$tmp/i.csv" > "$tmp/py" 2>&1 <<'PY' && ok || { bad "pandas check"; cat "$tmp/py"; }
import sys, pandas as pd
t = pd.read_csv(sys.argv[1], parse_dates=["datetime_start", "datetime_complete"])
assert len(t) == 10, len(t)
want = {"number": "int64", "value": "float64", "duration": "float64", "params_learning_rate": "float64",
        "params_n_layers": "int64", "params_n_units_l0": "int64", "params_n_units_l1": "float64",
        "params_optimizer": "object", "state": "object", "worker": "int64"}
for c, d in want.items():
    assert str(t[c].dtype) == d, (c, t[c].dtype, d)
assert str(t.datetime_start.dtype).startswith("datetime64"), t.datetime_start.dtype
assert list(t.number) == list(range(10))
assert set(t.state) <= {"COMPLETE", "PRUNED", "FAIL", "RUNNING"}
assert (t.params_n_units_l1.isna() == (t.params_n_layers == 1)).all(), "absent where n_layers is 1"
i = pd.read_csv(sys.argv[2])
assert list(i.columns) == ["trial", "step", "value"] and len(i) > 0
PY
else echo "note: /usr/bin/python3 has no pandas; CSV dtype check skipped"; fi

# 3. report: one page, four charts, one polyline per COMPLETE trial
"$bin" report "$h5" -o "$tmp/r.html" 2> "$tmp/e"; rc=$?
[ $rc -eq 0 ] && ok || { bad "report exited $rc"; cat "$tmp/e"; }
[ "$(grep -o '<svg ' "$tmp/r.html" | wc -l)" -eq 4 ] && ok || bad "expected 4 charts"
[ "$(grep -o 'class="pc-line"' "$tmp/r.html" | wc -l)" -eq "$ncomplete" ] && ok || bad "pc-line count != $ncomplete COMPLETE trials"
[ "$(grep -o 'class="hist-pt"' "$tmp/r.html" | wc -l)" -eq "$ncomplete" ] && ok || bad "hist-pt count != $ncomplete"
grep -q '<script src\|<link ' "$tmp/r.html" && bad "the page loads something" || ok
best=$(grep '^Best trial: ' "$tmp/show" | sed 's/^Best trial: \([0-9]*\), value.*/\1/')
grep -q "<td id=\"best\">$best, value " "$tmp/r.html" && ok || bad "best trial $best not in the page"
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chrome" ]; then
  timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
     --screenshot="$tmp/r.png" --window-size=1200,3000 "file://$tmp/r.html" > "$tmp/chrome.log" 2>&1
  [ -s "$tmp/r.png" ] && ok || { bad "chromium made no screenshot"; tail -5 "$tmp/chrome.log"; }
  timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
     --dump-dom "file://$tmp/r.html" > "$tmp/dom.html" 2> /dev/null
  [ "$(grep -o '<svg ' "$tmp/dom.html" | wc -l)" -eq 4 ] && ok || bad "chromium's DOM does not hold the 4 charts"
else echo "note: chromium not installed; rendering check skipped"; fi

# 4. bad input: clear message, non-zero exit, never a crash
check_err() {   # expected-exit message-fragment args...
  local want=$1 frag=$2; shift 2
  "$bin" "$@" > "$tmp/o" 2> "$tmp/e"; local rc=$?
  [ $rc -eq "$want" ] && ok || { bad "'$*' exited $rc, wanted $want"; cat "$tmp/e"; }
  expect_in "$frag" "$tmp/e"
}
echo "number,value" > "$tmp/foreign.h5"
head -c 2000 "$h5" > "$tmp/trunc.h5"
for cmd in show "export --csv $tmp/x.csv" "report -o $tmp/x.html"; do
  check_err 1 "No such file or directory" $cmd "$tmp/missing.h5"
  check_err 1 "not an mpihpo checkpoint" $cmd "$tmp/foreign.h5"
  check_err 1 "trunc.h5" $cmd "$tmp/trunc.h5"
done
check_err 1 "cannot write $tmp/nodir/t.csv" export "$h5" --csv "$tmp/nodir/t.csv"
check_err 1 "cannot write $tmp/nodir/r.html" report "$h5" -o "$tmp/nodir/r.html"
check_err 2 "give the page to write with -o" report "$h5"
check_err 2 "nothing to write" export "$h5"
check_err 2 "--top expects an integer >= 0" show "$h5" --top many
check_err 2 "expected one checkpoint file" show
[ ! -e "$tmp/x.csv" ] && [ ! -e "$tmp/x.html" ] && ok || bad "a failed command left an output file"
ls "$tmp"/*.tmp > /dev/null 2>&1 && bad "temporary files left" || ok

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
