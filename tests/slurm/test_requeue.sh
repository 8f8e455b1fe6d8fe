#!/usr/bin/env bash
# test_requeue.sh - (c) `scontrol requeue` in the middle of a run of
# jobs/heart.sbatch: the run stops (SIGTERM), Slurm starts the job again, the
# new run resumes the checkpoint and the job ends COMPLETED with exactly the
# budget, no trial lost, none RUNNING.
# Usage: test_requeue.sh MPIHPO SOURCE_DIR     (exit 77: no Slurm here)
set -uo pipefail
. "$(dirname "$0")/lib.sh" "$1" "$2"

study rq 60
t0=$(date +%s.%N)
j=$(submit rq --time=5 --signal=B:USR1@30) || { bad "sbatch failed"; finish; exit; }
note "submitted job $j (heart.sbatch, 60 trials)"
wait_trials "$tmp/rq.out" 10 120 || bad "the job did not get going"
tr=$(date +%s.%N); trt=$(date +%T.%3N)
scontrol requeue "$j" && ok || bad "scontrol requeue $j failed"
note "scontrol requeue $j after $(grep -cE '^Trial [0-9]+ (finished|pruned|failed)' "$tmp/rq.out") trials"
wait_state "$j" 60 PENDING RUNNING >/dev/null
# The first run's end: "mpihpo exited" (heart.sbatch survives the SIGTERM).
for _ in $(seq 100); do grep -qE '^== .* mpihpo exited' "$tmp/rq.out" && break; sleep 0.1; done
ex=$(grep -m1 -E '^== .* mpihpo exited' "$tmp/rq.out" | awk '{print $3}')
[ -n "$ex" ] && echo "  requeue -> first run's mpihpo exited: $(secs "$trt" "$ex") s"
wait_done "$j" 240 || bad "job $j did not end"
note "job $j: $(field "$j" JobState), exit $(field "$j" ExitCode), restarts $(field "$j" Restarts); $(since "$tr") s from the requeue to done"
runs_of "$tmp/rq.out"
grep -E '^(mpihpo: stopping|srun: error)' "$tmp/rq.out" | sed 's/^/  /'
[ "$(field "$j" JobState)" = COMPLETED ] && ok || bad "job $j ended $(field "$j" JobState)"
[ "$(field "$j" Restarts)" -ge 1 ] && ok || bad "job $j shows no restart"
[ "$(grep -cE '^== .* job [0-9]+ run [0-9]+ on' "$tmp/rq.out")" -ge 2 ] && ok || bad "the output shows fewer than 2 runs (--open-mode=append?)"
grep -qE '^Resuming study .* trials stored' "$tmp/rq.out" && ok || bad "the second run did not resume"
grep -E '^Resuming study' "$tmp/rq.out" | sed 's/^/  /'
if grep -qE '^== .* mpihpo exited 3;' "$tmp/rq.out"; then echo "  the requeued run stopped cleanly (exit 3)"
else echo "  NOTE: the requeued run did not stop cleanly (see above); its trials resumed as interrupted"; fi
check_study rq 60
note "total $(since "$t0") s"
finish
