#!/bin/sh
# bench/run_tpe.sh - TPE quality and cost, mpihpo beside Optuna, in one run.
#   sh bench/run_tpe.sh [seeds] [budget]       (from the repository root)
# Needs gcc, Debian's /usr/bin/python3 with python3-optuna, and ../shared/peers.
# Writes its JSON and text into bench/out/.
set -e
cd "$(dirname "$0")"
SEEDS=${1:-20}
BUDGET=${2:-100}
PEERS=${PEERS:-../../shared/peers}
mkdir -p out
make -s bench_tpe
echo "== quality: optuna ($SEEDS seeds, $BUDGET trials)"
/usr/bin/python3 "$PEERS/optuna_quality.py" --samplers random,tpe,tpe-mv --seeds "$SEEDS" \
    --budget "$BUDGET" --json out/optuna_quality.json > out/optuna_quality.txt
echo "== quality: mpihpo"
./bench_tpe quality "$SEEDS" "$BUDGET" > out/mpihpo_quality.json
/usr/bin/python3 tpe_compare.py out/mpihpo_quality.json out/optuna_quality.json | tee out/quality.txt
echo "== cost per suggestion: optuna (last 100 trials before N)"
/usr/bin/python3 "$PEERS/optuna_tpe_overhead.py" --samplers tpe --checkpoints 100,1000,2000 \
    --json out/optuna_overhead.json | tee out/optuna_overhead.txt
echo "== cost per suggestion: mpihpo"
./bench_tpe overhead 100,1000,2000,10000 tpe | tee out/mpihpo_overhead.txt
