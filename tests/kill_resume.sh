#!/usr/bin/env bash
# kill_resume.sh - kill -9 a study at random moments and resume it, again and
# again (issue #6). After every kill: each trial whose "finished" line was
# printed is in the checkpoint with the same parameters and value; at the end
# no trial is RUNNING, numbers are unique and 0..budget-1, and the study has
# exactly its budget.
# Usage: kill_resume.sh MPIHPO SOURCE_DIR NP KILLS [MPIEXEC [flags...]]
set -uo pipefail
bin=$1; src=$2; np=$3; kills=$4; shift 4
mpiexec=${1:-}; [ $# -gt 0 ] && shift; flags=("$@")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1 OPENBLAS_NUM_THREADS=1
py=/usr/bin/python3
if ! $py -c 'import h5py' 2>/dev/null; then echo "kill_resume: needs python3-h5py (scripts/setup.sh installs it)"; exit 1; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
budget=${KILL_BUDGET:-$([ "$np" -gt 1 ] && echo 700 || echo 400)}   # KILL_BUDGET for long soaks
cat > "$tmp/k.yaml" <<YAML
study:   {name: kill, direction: maximize, trials: $budget, seed: 11}
sampler: {type: tpe}
pruner:  {type: none}
data:    {path: $src/data/heart.csv, target: HeartDisease, standardize: true}
train:
  epochs: 30
  batch_size: {categorical: [2, 4]}
  learning_rate: {float: [1.0e-4, 1.0e-1], log: true}
  optimizer: {categorical: [adam, rmsprop, sgd]}
  n_layers: {int: [1, 2]}
  n_units: {int: [4, 64], per_layer: true}
YAML
launch() {   # start the study (first time) or resume it, in its own process group
  local cmd=(run "$tmp/k.yaml" --storage "$tmp/k.h5")
  [ -e "$tmp/k.h5" ] && cmd=(resume "$tmp/k.h5")
  if [ "$np" -gt 1 ]; then
    setsid "$mpiexec" -n "$np" "${flags[@]}" "$bin" "${cmd[@]}" >> "$tmp/out" 2>> "$tmp/err" &
  else
    setsid "$bin" "${cmd[@]}" >> "$tmp/out" 2>> "$tmp/err" &
  fi
  pid=$!
}
tree() { local p; for p in $(pgrep -P "$1"); do tree "$p"; done; echo "$1"; }
kill_all() {   # kill -9 the job and every process under it, and wait until they are gone
  local pids; pids=$(tree "$1")
  kill -9 -- "-$1" $pids 2>/dev/null
  wait "$1" 2>/dev/null
  for _ in $(seq 50); do
    local alive=0; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break; sleep 0.1
  done
}
fails=0; passes=0; done_early=0
for k in $(seq "$kills"); do
  launch
  # MPI start-up takes ~0.5-1 s here: kill after it, at a random moment.
  sleep "$([ "$np" -gt 1 ] && echo 1 || echo 0).$((RANDOM % 4))$((RANDOM % 9 + 1))"
  if kill -0 "$pid" 2>/dev/null; then
    kill_all "$pid"                      # the whole job: mpirun and every rank, or the one process
  else
    wait "$pid"; rc=$?
    if [ $rc -ne 0 ]; then echo "FAIL: a run between kills exited $rc:"; tail -3 "$tmp/err"; fails=$((fails+1)); fi
    done_early=1; break
  fi
done
# Finish the study.
launch; wait "$pid"; rc=$?
[ $rc -eq 0 ] && passes=$((passes+1)) || { echo "FAIL: the final resume exited $rc"; tail -5 "$tmp/err"; fails=$((fails+1)); }
$py - "$src/tests/ref" "$tmp/k.h5" "$tmp/out" "$budget" <<'PY'
import re, sys, math
sys.path.insert(0, sys.argv[1])
import read_ckpt
attrs, trials, inter = read_ckpt.load(sys.argv[2])
budget = int(sys.argv[4])
bad = 0
def fail(msg):
    global bad; bad += 1; print("FAIL:", msg)
nums = [t["number"] for t in trials]
if nums != list(range(budget)): fail(f"trial numbers are {nums[:5]}...{nums[-5:]} ({len(nums)}), wanted 0..{budget-1}")
if any(t["state"] == "RUNNING" for t in trials): fail("a trial is left RUNNING")
by = {t["number"]: t for t in trials}
printed = 0
for line in open(sys.argv[3]):
    m = re.match(r"Trial (\d+) finished with value ([0-9.]+) and parameters \{(.*)\}\. Best", line)
    if not m: continue
    printed += 1
    n, v = int(m.group(1)), float(m.group(2))
    t = by.get(n)
    if t is None or t["state"] != "COMPLETE": fail(f"printed trial {n} is {t and t['state']} in the file"); continue
    if abs(t["value"] - v) > 5e-7: fail(f"trial {n}: printed {v}, stored {t['value']}")
    for kv in m.group(3).split(", "):
        name, val = kv.split(": ", 1)
        s = t.get("params_" + name)
        if s is None: fail(f"trial {n}: parameter {name} missing"); continue
        if isinstance(s, str): ok = s == val
        elif isinstance(s, int): ok = s == int(val)
        else: ok = s == float(val)
        if not ok: fail(f"trial {n}: {name} printed {val}, stored {s}")
interrupted = sum(1 for t in trials if t["state"] == "FAIL" and "interrupted" in t["fail_reason"])
print(f"{len(trials)} trials in the file, {printed} finished lines checked, {interrupted} interrupted")
sys.exit(1 if bad else 0)
PY
[ $? -eq 0 ] && passes=$((passes+1)) || fails=$((fails+1))
grep -c "^Resuming study" "$tmp/out" | sed 's/^/resumed times: /'
[ $done_early -eq 1 ] && echo "(the study finished before all $kills kills)"
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
