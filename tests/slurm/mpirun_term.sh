#!/usr/bin/env bash
# mpirun_term.sh - outside Slurm: under `mpirun -np 3`, SIGTERM to rank 0
# stops the study cleanly (exit 3, every finished trial stored, none left
# RUNNING); SIGUSR1 to a worker rank does the same; `mpihpo resume` then
# finishes exactly the budget.
# Usage: mpirun_term.sh MPIHPO SOURCE_DIR MPIEXEC [mpiexec flags...]
set -uo pipefail
bin=$1; src=$2; mpiexec=$3; shift 3; flags=("$@")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1 OPENBLAS_NUM_THREADS=1
fails=0; passes=0
ok()  { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
budget=50
cat > "$tmp/m.yaml" <<YAML
study:   {name: term, direction: maximize, trials: $budget, seed: 5}
sampler: {type: random}
pruner:  {type: none}
data:    {path: $src/data/heart.csv, target: HeartDisease, standardize: true}
train:
  epochs: 24
  batch_size: 1
  learning_rate: {float: [1.0e-4, 1.0e-1], log: true}
  optimizer: {categorical: [adam, rmsprop, sgd]}
  n_layers: 2
  n_units: {int: [64, 128], per_layer: true}
YAML

rank_pid() {   # rank_pid MPIRUN_PID RANK: the pid of that rank (a descendant of mpirun)
  local p q
  for p in $(pgrep -P "$1"); do
    if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then echo "$p"; return; fi
    q=$(rank_pid "$p" "$2"); [ -n "$q" ] && { echo "$q"; return; }
  done
}
trials_done() { cat "$tmp/out" 2>/dev/null | grep -cE '^Trial [0-9]+ (finished|pruned|failed)'; }

# stop_round ROUND RANK SIGNAL: start or resume, signal RANK after a few trials.
stop_round() {
  local round=$1 rank=$2 sig=$3 cmd
  cmd=(run "$tmp/m.yaml" --storage "$tmp/m.h5" --resume)
  local before; before=$(trials_done)
  setsid "$mpiexec" -n 3 "${flags[@]}" "$bin" "${cmd[@]}" >> "$tmp/out" 2>> "$tmp/err" &
  local mp=$! t0; t0=$(date +%s)
  while [ "$(trials_done)" -lt $((before + 6)) ] && kill -0 "$mp" 2>/dev/null; do
    [ $(($(date +%s) - t0)) -gt 120 ] && break; sleep 0.1
  done
  local pid; pid=$(rank_pid "$mp" "$rank")
  if [ -z "$pid" ]; then bad "round $round: no rank $rank under mpirun $mp"; kill -9 -- "-$mp"; wait "$mp"; return; fi
  local ts; ts=$(date +%s.%N)
  kill "-$sig" "$pid"
  wait "$mp"; local rc=$?
  local dt; dt=$(awk -v a="$ts" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  echo "round $round: SIG$sig to rank $rank after $(( $(trials_done) - before )) trials: mpirun exited $rc after $dt s"
  [ "$rc" -eq 3 ] && ok || { bad "round $round: exit $rc, wanted 3 (stopped, resumable)"; tail -5 "$tmp/err"; }
  grep -q "stopping on signal" "$tmp/err" && ok || bad "round $round: no 'stopping on signal' message"
  "$bin" show "$tmp/m.h5" > "$tmp/show" 2>&1 && ok || { bad "round $round: show fails"; cat "$tmp/show"; }
  grep '^Trials:' "$tmp/show" | sed 's/^/  /'
  grep -qE '^Trials: .* 0 RUNNING\)' "$tmp/show" && ok || bad "round $round: trials left RUNNING after a clean stop"
}
stop_round 1 0 TERM
stop_round 2 2 USR1
# Resume to the end.
timeout 300 "$mpiexec" -n 3 "${flags[@]}" "$bin" resume "$tmp/m.h5" >> "$tmp/out" 2>> "$tmp/err"; rc=$?
[ "$rc" -eq 0 ] && ok || { bad "the final resume exited $rc"; tail -5 "$tmp/err"; }
grep -E '^Resuming study' "$tmp/out" | sed 's/^/  /'
"$bin" export "$tmp/m.h5" --csv - > "$tmp/m.csv" && ok || bad "export fails"
/usr/bin/python3 - "$tmp/m.csv" "$budget" <<'PY' && ok || bad "the checkpoint (above)"
import csv, sys, collections
rows = list(csv.DictReader(open(sys.argv[1]))); budget = int(sys.argv[2])
nums = sorted(int(r["number"]) for r in rows)
st = collections.Counter(r["state"] for r in rows)
print(f"  {len(rows)} trials: " + ", ".join(f"{k} {v}" for k, v in sorted(st.items())))
sys.exit(0 if nums == list(range(budget)) and not st.get("RUNNING") else 1)
PY
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
