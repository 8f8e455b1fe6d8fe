#!/usr/bin/env bash
# cluster.sh - a one-node Slurm cluster for the tests, every file under DIR.
#
#   tests/slurm/cluster.sh start DIR     munged, slurmctld, slurmd (as root, no
#                                        systemd, private ports); waits until the
#                                        node is idle and prints the SLURM_CONF line
#   tests/slurm/cluster.sh stop DIR      cancels every job, stops the three daemons
#                                        by the PIDs in their pid files; safe to
#                                        run twice or on a cluster that never started
#   tests/slurm/cluster.sh check         exit 0 if this machine can run it, else
#                                        print "SKIP: why" and exit 77
#
# Client commands need SLURM_CONF=DIR/slurm.conf. The recipe and the timings
# are in ../shared/cluster-notes.md; docs/cluster.md says what the tests found.
# Environment: SLURM_TEST_CPUS (CPUs the node declares, default 8: more ranks
# than cores need no --overcommit), SLURM_TEST_PORT (first port tried, 16817).
set -uo pipefail

SKIP=77
skip() { echo "SKIP: $*"; exit $SKIP; }

check() {
  local c missing=()
  for c in munged munge unmunge slurmctld slurmd sbatch srun scontrol scancel squeue sinfo; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  [ ${#missing[@]} -eq 0 ] || skip "no Slurm here (missing ${missing[*]}; scripts/setup.sh installs munge slurmctld slurmd slurm-client)"
  [ "$(id -u)" -eq 0 ] || skip "the one-node Slurm runs slurmd as root; not root here"
  [ -e /usr/lib/x86_64-linux-gnu/slurm-wlm/mpi_pmix.so ] || ls /usr/lib/*/slurm*/mpi_pmix*.so >/dev/null 2>&1 ||
    skip "Slurm has no PMIx plugin (srun --mpi=pmix)"
}

port_busy() {   # is a TCP port listened on? (/proc: works without ss/netstat)
  local hex; hex=$(printf '%04X' "$1")
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" {f=1} END {exit !f}'
}

pid_of() { [ -s "$1" ] && cat "$1" 2>/dev/null; }

term_pid() {    # term_pid PIDFILE NAME: SIGTERM the daemon if it is ours and alive
  local pid; pid=$(pid_of "$1") || return 0
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "$2" "/proc/$pid/comm" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  return 0
}
reap_pid() {    # reap_pid PIDFILE NAME: wait up to 10 s for it to go, then SIGKILL
  local pid; pid=$(pid_of "$1") || return 0
  if [ -n "$pid" ] && grep -q "$2" "/proc/$pid/comm" 2>/dev/null; then
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && { echo "cluster: $2 ($pid) ignored SIGTERM; SIGKILL"; kill -KILL "$pid" 2>/dev/null; }
  fi
  rm -f "$1"
}

start() {
  local dir=$1
  check
  mkdir -p "$dir" || exit 1
  dir=$(cd "$dir" && pwd)
  [ -e "$dir/slurm.conf" ] && [ -n "$(pid_of "$dir/run/slurmctld.pid")" ] &&
    kill -0 "$(pid_of "$dir/run/slurmctld.pid")" 2>/dev/null && { echo "cluster: already running in $dir"; exit 1; }
  chmod 755 "$dir"   # munged refuses a socket directory that others cannot enter
  local up=$dir
  while [ "$up" != / ]; do
    up=$(dirname "$up")
    [ "$(( $(stat -c %a "$up" | sed 's/^\(.*\)\(.\)$/\2/') & 1 ))" -eq 1 ] ||
      { echo "cluster: munged needs every directory above $dir enterable by all; $up is not (chmod o+x)"; exit 1; }
  done
  mkdir -p "$dir"/{munge,state,spool,log,run,tmp}
  chmod 755 "$dir/munge"; chmod 1777 "$dir/tmp"
  local host; host=$(hostname -s)

  # 1. munge: a private key and socket.
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1k count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  munged --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
         --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
         --seed-file="$dir/munge/munged.seed" || { echo "cluster: munged did not start"; cat "$dir/log/munged.log"; exit 1; }
  munge -n -S "$dir/munge/munge.sock" | unmunge -S "$dir/munge/munge.sock" >/dev/null ||
    { echo "cluster: munge -n | unmunge fails"; exit 1; }

  # 2. Two free private ports.
  local p=${SLURM_TEST_PORT:-16817}
  while port_busy "$p" || port_busy $((p + 1)); do p=$((p + 2)); done
  local cpus=${SLURM_TEST_CPUS:-8}
  # Job ids unique on this host: srun's PMIx namespace is slurm.pmix.JOB.STEP and
  # Open MPI names its shared-memory files after it, so two test clusters that
  # both run "job 1" at once share those files (seen: hangs in MPI_Allreduce,
  # a segfault in the vader BTL). The port pair is unique while a cluster runs.
  local first=$(( ( (RANDOM % 6000) * 10 + (p - 16817) / 2 % 10 ) * 1000 + 1 ))

  # 3. slurm.conf: every path under DIR (cluster-notes.md says why each key).
  cat > "$dir/slurm.conf" <<CONF
ClusterName=mpihpotest
FirstJobId=$first
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$p
SlurmdPort=$((p + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=5
MinJobAge=300
InactiveLimit=0
MpiDefault=none
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=4000 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  echo "PMIxCliTmpDirBase=$dir/tmp" > "$dir/mpi.conf"

  # 4. The daemons (absolute -f path: a relative one hangs slurmd for 60 s).
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$dir/slurm.conf" || { echo "cluster: slurmctld did not start"; tail "$dir/log/slurmctld.log"; exit 1; }
  slurmd -f "$dir/slurm.conf" || { echo "cluster: slurmd did not start"; tail "$dir/log/slurmd.log"; exit 1; }
  local state=""
  for _ in $(seq 300); do
    state=$(sinfo -h -o %t 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 0.1
  done
  if [ "$state" != idle ]; then
    echo "cluster: the node is '$state', not idle, after 30 s"
    tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log"
    stop "$dir"; exit 1
  fi
  echo "export SLURM_CONF=$dir/slurm.conf   # one-node Slurm up: node $host, $cpus CPUs, ports $p/$((p + 1))"
}

stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  if [ -e "$dir/slurm.conf" ] && [ -n "$(pid_of "$dir/run/slurmctld.pid")" ] &&
     kill -0 "$(pid_of "$dir/run/slurmctld.pid")" 2>/dev/null; then
    export SLURM_CONF=$dir/slurm.conf
    scancel --quiet --full -u root 2>/dev/null   # every job, every step, the batch shells too
    # Let slurmd end the jobs' processes before it goes (KillWait=5).
    for _ in $(seq 150); do
      [ -z "$(squeue -h -t R,CG,S 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  # The two Slurm daemons take 1-2 s each to go: stop them together, munge last.
  term_pid "$dir/run/slurmd.pid" slurmd; term_pid "$dir/run/slurmctld.pid" slurmctld
  reap_pid "$dir/run/slurmd.pid" slurmd; reap_pid "$dir/run/slurmctld.pid" slurmctld
  term_pid "$dir/run/munged.pid" munged; reap_pid "$dir/run/munged.pid" munged
  return 0
}

case "${1:-}" in
  start) [ $# -eq 2 ] || { echo "usage: $0 start DIR" >&2; exit 2; }; start "$2" ;;
  stop)  [ $# -eq 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
  check) check ;;
  *) echo "usage: $0 start|stop DIR | check" >&2; exit 2 ;;
esac
