#!/usr/bin/env bash
# test_complete.sh - (a) sbatch jobs/heart.sbatch on a small study completes;
# its checkpoint holds the whole study.
# Usage: test_complete.sh MPIHPO SOURCE_DIR     (exit 77: no Slurm here)
set -uo pipefail
. "$(dirname "$0")/lib.sh" "$1" "$2"

study a 30
t0=$(date +%s.%N)
j=$(submit a --time=5 --signal=B:USR1@30) || { bad "sbatch failed"; finish; exit; }
note "submitted job $j (heart.sbatch, 30 trials, 3 tasks)"
wait_done "$j" 120 || bad "job $j did not end"
note "job $j: $(field "$j" JobState), exit $(field "$j" ExitCode), restarts $(field "$j" Restarts); $(since "$t0") s from sbatch to done"
[ "$(field "$j" JobState)" = COMPLETED ] && ok || { bad "job state $(field "$j" JobState)"; cat "$tmp/a.out"; }
[ "$(field "$j" ExitCode)" = 0:0 ] && ok || bad "exit code $(field "$j" ExitCode)"
runs_of "$tmp/a.out"
grep -q '^== .* mpihpo exited 0; 30 trials stored' "$tmp/a.out" && ok || bad "heart.sbatch did not report 30 trials stored"
check_study a 30
finish
