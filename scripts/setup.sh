#!/usr/bin/env bash
# setup.sh - install, from Debian's archive, exactly the packages mpihpo needs
# that this machine does not have yet. Says what it installs and why; uses sudo
# when not root. Safe to run again (installs nothing when all is present).
#
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --peers    also Optuna + PyTorch (the benchmark peers, ~1 GB)
set -euo pipefail

# package -> why we need it
declare -A why=(
  [build-essential]="C compiler and make"
  [cmake]="the build system"
  [pkg-config]="finds Criterion and libyaml"
  [openmpi-bin]="mpirun, to run a study on many ranks"
  [libopenmpi-dev]="MPI headers and libraries (rank 0 coordinates, workers train)"
  [libhdf5-dev]="HDF5, the checkpoint file format"
  [hdf5-tools]="h5dump, to inspect checkpoints"
  [libopenblas-dev]="CBLAS, the MLP's matrix products"
  [libyaml-dev]="libyaml, reads study files"
  [libcriterion-dev]="Criterion, the unit-test framework"
  [python3-h5py]="reads checkpoints in the crash tests (h5py alone, no mpihpo)"
  [python3-pandas]="checks that exported CSV files load in pandas (tests)"
  [chromium]="renders the HTML report headless in the tests"
  [munge]="authentication for the one-node Slurm of the Slurm tests (tests/slurm/)"
  [slurmctld]="the Slurm controller of the one-node test cluster (sbatch jobs, time limits, requeues)"
  [slurmd]="the Slurm node daemon of the one-node test cluster (runs the test jobs)"
  [slurm-client]="sbatch, srun, scontrol, scancel: submit and steer the test jobs"
)
order=(build-essential cmake pkg-config openmpi-bin libopenmpi-dev libhdf5-dev hdf5-tools
       libopenblas-dev libyaml-dev libcriterion-dev python3-h5py python3-pandas chromium
       munge slurmctld slurmd slurm-client)
if [[ "${1:-}" == "--peers" ]]; then
  why[python3-optuna]="the peer (Optuna) for benchmarks and the pruner oracle"
  why[python3-torch]="the peer (PyTorch) for the heart benchmark"
  why[python3-sklearn]="the peer's train/test split"
  order+=(python3-optuna python3-torch python3-sklearn)
fi

missing=()
for p in "${order[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#order[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${#missing[@]} missing package(s) from Debian's archive:"
for p in "${missing[@]}"; do printf '  %-18s %s\n' "$p" "${why[$p]}"; done

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: not root and no sudo; install the packages above as root" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq -o DPkg::Lock::Timeout=600
"${sudo[@]}" apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
echo "setup: done"
