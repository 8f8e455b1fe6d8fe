# lib.sh - shared by the Slurm tests (sourced): a private one-node cluster,
# a small study, job polling and the checkpoint checks.
#   . lib.sh MPIHPO SOURCE_DIR
# Never asserts signal or start times: Slurm sends the early signal up to a
# minute early and enforces limits 15-20 s late (cluster-notes.md). Times are
# printed, for docs/cluster.md.

bin=$1; src=$2
here=$src/tests/slurm
py=/usr/bin/python3
fails=0; passes=0
ok()  { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
note() { echo "[$(date +%T.%3N)] $*"; }
finish() { echo "$passes passed, $fails failed"; [ "$fails" -eq 0 ]; }

# Skip (ctest SKIP_RETURN_CODE 77) where there is no Slurm, or not as root.
"$here/cluster.sh" check || exit 77
$py -c 'import csv' 2>/dev/null || { echo "FAIL: needs /usr/bin/python3"; exit 1; }

tmp=$(mktemp -d /tmp/mpihpo-slurm.XXXXXX); chmod 755 "$tmp"   # munged: every directory above its socket enterable by all
cleanup() {
  "$here/cluster.sh" stop "$tmp/cluster" >/dev/null 2>&1
  if [ "$fails" -ne 0 ] || [ -n "${KEEP:-}" ]; then echo "kept $tmp for a look"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM; trap 'exit 130' INT   # so that the cluster is stopped then too
t_start=$(date +%s.%N)
"$here/cluster.sh" start "$tmp/cluster" || { echo "FAIL: the one-node Slurm did not start"; fails=1; exit 1; }
export SLURM_CONF=$tmp/cluster/slurm.conf
# Jobs inherit this environment (sbatch --export=ALL, kept across requeues).
export MPIHPO=$bin OMPI_MCA_mpi_yield_when_idle=1 OPENBLAS_NUM_THREADS=1
unset OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM   # srun needs neither

# study NAME TRIALS: a study whose trials take ~0.3-1 s and report every
# ~15-40 ms (24 short epochs), so a stop is quick. Random sampler: the cost
# of a trial does not grow with the study (these tests are about Slurm).
study() {
  cat > "$tmp/$1.yaml" <<YAML
study:   {name: $1, direction: maximize, trials: $2, seed: 5}
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
}

# submit NAME [sbatch options...] [-- SCRIPT]: jobs/heart.sbatch on study NAME,
# storage $tmp/NAME.h5, output $tmp/NAME.out. Prints the job id.
submit() {
  local name=$1; shift
  local script=$src/jobs/heart.sbatch opts=()
  while [ $# -gt 0 ]; do
    if [ "$1" = -- ]; then script=$2; break; fi
    opts+=("$1"); shift
  done
  (cd "$src" && STUDY=$tmp/$name.yaml STORAGE=$tmp/$name.h5 \
     sbatch --parsable --ntasks=3 --output="$tmp/$name.out" --job-name="$name" "${opts[@]}" "$script")
}

field() { scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# wait_state JOB SECONDS STATE...: poll (sbatch --wait polls every 30 s) until
# the job is in one of STATEs; 1 on timeout.
wait_state() {
  local j=$1 limit=$2; shift 2
  local t0 s; t0=$(date +%s)
  while :; do
    s=$(field "$j" JobState)
    for want in "$@"; do [ "$s" = "$want" ] && return 0; done
    if [ $(($(date +%s) - t0)) -ge "$limit" ]; then
      echo "job $j is '$s' after ${limit}s (wanted $*)"; scontrol show job "$j"; return 1
    fi
    sleep 0.5
  done
}
# wait_done JOB SECONDS: until the job has ended for good (requeues included).
wait_done() { wait_state "$1" "$2" COMPLETED FAILED CANCELLED TIMEOUT NODE_FAIL OUT_OF_MEMORY BOOT_FAIL DEADLINE PREEMPTED; }

# wait_trials FILE N SECONDS: until the job's output shows N finished trials.
wait_trials() {
  local out=$1 n=$2 limit=$3 t0; t0=$(date +%s)
  while [ "$(cat "$out" 2>/dev/null | grep -cE '^Trial [0-9]+ (finished|pruned|failed)')" -lt "$n" ]; do
    [ $(($(date +%s) - t0)) -ge "$limit" ] && { echo "fewer than $n trials in $out after ${limit}s"; return 1; }
    sleep 0.2
  done
}

# check_study NAME BUDGET: the checkpoint holds exactly the budget, trials
# 0..BUDGET-1 once each, none RUNNING; every trial a run printed as finished
# is in the file, COMPLETE, with the same value. Prints the states.
check_study() {
  local name=$1 budget=$2
  "$bin" show "$tmp/$name.h5" > "$tmp/$name.show" 2>&1 && ok || { bad "mpihpo show $name.h5 fails"; cat "$tmp/$name.show"; }
  "$bin" export "$tmp/$name.h5" --csv - > "$tmp/$name.csv" 2> "$tmp/$name.csverr" && ok ||
    { bad "mpihpo export $name.h5 fails"; cat "$tmp/$name.csverr"; return; }
  $py - "$tmp/$name.csv" "$tmp/$name.out" "$budget" <<'PY' && ok || bad "checkpoint $name.h5 (above)"
import csv, re, sys, collections
rows = list(csv.DictReader(open(sys.argv[1])))
budget = int(sys.argv[3])
bad = []
nums = sorted(int(r["number"]) for r in rows)
if len(rows) != budget: bad.append(f"{len(rows)} trials exported, budget {budget}")
if nums != list(range(len(rows))): bad.append(f"trial numbers are not 0..{len(rows)-1} once each")
states = collections.Counter(r["state"] for r in rows)
if states.get("RUNNING"): bad.append(f"{states['RUNNING']} trials left RUNNING")
by = {int(r["number"]): r for r in rows}
printed = 0
for line in open(sys.argv[2], errors="replace"):
    m = re.match(r"Trial (\d+) finished with value ([0-9.eE+-]+) ", line)
    if not m: continue
    printed += 1
    r = by.get(int(m.group(1)))
    if r is None or r["state"] != "COMPLETE": bad.append(f"printed trial {m.group(1)} is {r and r['state']} in the file"); continue
    if abs(float(r["value"]) - float(m.group(2))) > 5e-7: bad.append(f"trial {m.group(1)}: printed {m.group(2)}, stored {r['value']}")
intr = sum(1 for r in rows if r["state"] == "FAIL" and "interrupted" in r["fail_reason"])
print(f"  {len(rows)} trials: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())) +
      f" ({intr} interrupted); {printed} 'finished' lines match the file")
for b in bad[:10]: print("  " + b)
sys.exit(1 if bad else 0)
PY
}

# runs_of OUT: the "mpihpo exited" lines of heart.sbatch, one per run.
runs_of() { grep -E '^== (.* )?(mpihpo exited|job [0-9]+ run|SIGUSR1|SIGTERM|requeueing|stopped|no trial|signalled before)' "$1" | sed 's/^/  /'; }

# secs "HH:MM:SS.mmm" "HH:MM:SS.mmm": seconds between two log times.
secs() { $py -c "import sys
def s(t): h,m,x=t.split(':'); return int(h)*3600+int(m)*60+float(x)
print(f'{s(sys.argv[2])-s(sys.argv[1]):.2f}')" "$1" "$2"; }

# since T0: seconds from T0 (date +%s.%N) to now, one decimal.
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# calibrate: RATE = trials per second of one job with 2 workers, alone, from
# 6 trials of the test study on one process (~4 s). The time-limit test
# sizes its studies with it, so that a fast machine still hits the limits.
calibrate() {
  study cal 6
  local t0; t0=$(date +%s.%N)
  "$bin" run "$tmp/cal.yaml" --quiet >/dev/null 2>&1
  RATE=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", 2 * 6 / (b - a) }')
  echo "  calibration: 6 trials on one process in $(since "$t0") s: ~$RATE trials/s with 2 workers"
}
