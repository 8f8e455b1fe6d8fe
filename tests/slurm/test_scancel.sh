#!/usr/bin/env bash
# test_scancel.sh - (d) scancel in the middle of jobs/heart.sbatch leaves a
# resumable checkpoint: it opens, holds every finished trial and no RUNNING
# one when the stop was clean; submitting the script again finishes exactly
# the budget.
# Usage: test_scancel.sh MPIHPO SOURCE_DIR     (exit 77: no Slurm here)
set -uo pipefail
. "$(dirname "$0")/lib.sh" "$1" "$2"

study sc 50
t0=$(date +%s.%N)
j=$(submit sc --time=5 --signal=B:USR1@30) || { bad "sbatch failed"; finish; exit; }
note "submitted job $j (heart.sbatch, 50 trials)"
wait_trials "$tmp/sc.out" 8 120 || bad "the job did not get going"
tc=$(date +%s.%N); tct=$(date +%T.%3N)
scancel "$j" && ok || bad "scancel $j failed"
wait_done "$j" 60 || bad "job $j did not end"
note "job $j: $(field "$j" JobState), exit $(field "$j" ExitCode); $(since "$tc") s from scancel to the end"
[ "$(field "$j" JobState)" = CANCELLED ] && ok || bad "job $j ended $(field "$j" JobState), wanted CANCELLED"
for _ in $(seq 50); do grep -qE '^== .* mpihpo exited' "$tmp/sc.out" && break; sleep 0.1; done
runs_of "$tmp/sc.out"
grep -E '^(mpihpo: stopping|srun: error)' "$tmp/sc.out" | sed 's/^/  /'
ex=$(grep -m1 -E '^== .* mpihpo exited' "$tmp/sc.out" | awk '{print $3}')
[ -n "$ex" ] && echo "  scancel -> mpihpo exited: $(secs "$tct" "$ex") s"
"$bin" show "$tmp/sc.h5" > "$tmp/sc.show1" 2>&1 && ok || { bad "sc.h5 does not open after scancel"; cat "$tmp/sc.show1"; }
grep '^Trials:' "$tmp/sc.show1" | sed 's/^/  after scancel: /'
if grep -qE '^== .* mpihpo exited 3;' "$tmp/sc.out"; then
  echo "  clean stop: mpihpo exited 3"
  grep -qE '^Trials: .* 0 RUNNING\)' "$tmp/sc.show1" && ok || bad "a clean stop left RUNNING trials"
else
  echo "  NOTE: no clean stop after scancel (the ranks were killed; their trials resume as interrupted)"
fi
j2=$(submit sc --time=5 --signal=B:USR1@30)
wait_done "$j2" 180 || bad "job $j2 did not end"
note "job $j2 (submitted again): $(field "$j2" JobState), exit $(field "$j2" ExitCode)"
[ "$(field "$j2" JobState)" = COMPLETED ] && ok || bad "job $j2 ended $(field "$j2" JobState)"
grep -E '^Resuming study' "$tmp/sc.out" | sed 's/^/  /'
check_study sc 50
note "total $(since "$t0") s"
finish
