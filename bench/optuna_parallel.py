#!/usr/bin/python3
"""Peer of bench_parallel.c: the sample-efficiency price of parallelism in Optuna.

W workers with equal trial durations are simulated in one process, exactly as
bench_parallel.c does: W trials are RUNNING at any time; a new trial is
study.ask()ed and all its parameters are suggested at its start (the peer's
objective is called on the asked trial right away and its value remembered);
when W trials are running, the oldest one is study.tell()ed. Budget: `budget`
started (and finished) trials. The objective functions and TPE construction
are those of ../../shared/peers/optuna_quality.py ("tpe": TPESampler(seed=seed),
defaults otherwise), with constant_liar set per setting:

  1       1 worker (constant_liar=True; with one worker nothing is ever RUNNING
          while a trial is sampled, so the liar changes nothing)
  liar    W workers, constant_liar=True
  noliar  W workers, constant_liar=False

Regret = best COMPLETE value after the budget - f*. Per seed, the regret, the
wall time and (condmix) the best trial's parameters are kept in the JSON.

  optuna_parallel.py run   [--functions ...] [--settings 1,liar,noliar] [--seeds 20]
                           [--seed0 0] [--workers 7] [--budget 100] [--startup 10]
                           [--jobs 2] --json OUT.json
  optuna_parallel.py table FILE.json [FILE.json ...]   (merge runs, print the table)
  optuna_parallel.py compare --mpihpo BENCH_PARALLEL.json --optuna FILE.json [FILE.json ...]
                           (side by side: mean, median, ratios, per function, over
                            mpihpo's seeds; bench_parallel writes its JSON with
                            `bench_parallel SEEDS 100 7 OUT.json`)

Run with Debian's /usr/bin/python3 and python3-optuna (3.1).
"""
import argparse
import collections
import json
import math
import multiprocessing
import os
import platform
import statistics
import sys
import time
import warnings

PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers")
for p in (PEERS, "/work/shared/peers"):
    if os.path.isfile(os.path.join(p, "optuna_quality.py")):
        sys.path.insert(0, p)
        break

FN_ORDER = ["branin", "hartmann6", "rosenbrock10", "styblinski10", "condmix"]
SETTINGS = ["1", "liar", "noliar"]


def run_one(task):
    """One study: (fname, setting, seed, workers, budget, startup) -> result dict."""
    import optuna
    import optuna_quality as oq

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    fname, setting, seed, W, budget, startup = task
    fn, fstar = oq.FUNCTIONS[fname]
    workers = 1 if setting == "1" else W
    liar = setting != "noliar"
    if startup == 10:
        # the peer's construction for "tpe", with the liar switched per setting
        sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=liar)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=liar, n_startup_trials=startup)
    t0 = time.perf_counter()
    study = optuna.create_study(direction="minimize", sampler=sampler)
    running = collections.deque()
    started = finished = 0
    best, best_params = math.inf, None
    while finished < budget:
        if started < budget and len(running) < workers:
            trial = study.ask()
            value = fn(trial)                      # all parameters suggested at the start
            running.append((trial, value))
            started += 1
            continue
        trial, value = running.popleft()           # the oldest running trial finishes
        study.tell(trial, value)
        finished += 1
        if value < best:
            best, best_params = value, dict(trial.params)
    return dict(function=fname, setting=setting, seed=seed, regret=best - fstar,
                wall_s=time.perf_counter() - t0,
                best_params=best_params if fname == "condmix" else None)


def cmd_run(args):
    import optuna

    fns = args.functions.split(",")
    settings = args.settings.split(",")
    tasks = [(f, s, seed, args.workers, args.budget, args.startup)
             for f in fns for seed in range(args.seed0, args.seed0 + args.seeds) for s in settings]
    print(f"optuna {optuna.__version__}, python {platform.python_version()}, {len(tasks)} studies, "
          f"jobs {args.jobs}, workers {args.workers}, budget {args.budget}, startup {args.startup}",
          flush=True)
    t0 = time.perf_counter()
    out = []
    with multiprocessing.Pool(args.jobs) as pool:
        for i, r in enumerate(pool.imap_unordered(run_one, tasks), 1):
            out.append(r)
            if i % 20 == 0 or i == len(tasks):
                print(f"  {i}/{len(tasks)} studies, {time.perf_counter() - t0:.0f} s", flush=True)
    total = time.perf_counter() - t0
    out.sort(key=lambda r: (FN_ORDER.index(r["function"]), r["seed"], SETTINGS.index(r["setting"])))
    doc = dict(tool="optuna_parallel.py", optuna=optuna.__version__, python=platform.python_version(),
               args=vars(args), total_wall_s=total, studies=out)
    with open(args.json, "w") as fh:
        json.dump(doc, fh, indent=0)
    print(f"total wall time {total:.1f} s ({args.jobs} processes); written {args.json}")
    print_table([doc])


def se(v):
    return statistics.stdev(v) / math.sqrt(len(v)) if len(v) > 1 else float("nan")


def top_share(v, k=2):
    s = sum(v)
    return sum(sorted(v)[-k:]) / s if s > 0 else float("nan")


def print_table(docs):
    per = collections.defaultdict(dict)          # (fn, setting) -> seed -> regret
    walls = collections.defaultdict(list)
    for d in docs:
        for r in d["studies"]:
            per[(r["function"], r["setting"])][r["seed"]] = r["regret"]
            walls[r["setting"]].append(r["wall_s"])
    fns = [f for f in FN_ORDER if any((f, s) in per for s in SETTINGS)]
    args = docs[0]["args"]
    seeds = sorted({s for v in per.values() for s in v})
    print(f"\nOptuna {docs[0]['optuna']}: mean regret after {args['budget']} trials over {len(seeds)} seeds "
          f"({seeds[0]}..{seeds[-1]}; TPE; {args['workers']} workers simulated; startup {args['startup']})")
    print(f"{'function':14s} {'1 worker':>12s} {'W, liar':>12s} {'W, no liar':>12s} {'liar/1':>10s} {'noliar/1':>10s}")
    extra = []
    for f in fns:
        v = {s: [per[(f, s)][k] for k in sorted(per[(f, s)])] for s in SETTINGS if (f, s) in per}
        m = {s: statistics.fmean(x) for s, x in v.items()}
        row = f"{f:14s} " + " ".join(f"{m[s]:12.4g}" if s in m else f"{'-':>12s}" for s in SETTINGS)
        for s in ("liar", "noliar"):
            row += f" {m[s] / m['1']:10.2f}" if s in m and "1" in m else f" {'-':>10s}"
        print(row)
        med = " ".join(f"{statistics.median(v[s]):10.4g}" if s in v else f"{'-':>10s}" for s in SETTINGS)
        ses = " ".join(f"{se(v[s]):9.3g}" if s in v else f"{'-':>9s}" for s in SETTINGS)
        tops = " ".join(f"{100 * top_share(v[s]):3.0f}%" if s in v else "  - " for s in SETTINGS)
        line = f"{f:14s} median {med} | SE of mean {ses} | top-2 seeds hold {tops} of the sum"
        if "1" in v and "liar" in v:
            common = sorted(set(per[(f, '1')]) & set(per[(f, 'liar')]))
            dd = [per[(f, "liar")][k] - per[(f, "1")][k] for k in common]
            wins = sum(x < 0 for x in dd)
            worse = sum(x > 0 for x in dd)
            line += (f" | paired (W liar - 1): {statistics.fmean(dd):+.4g} +- {se(dd):.3g}, "
                     f"W liar better on {wins}, worse on {worse} of {len(dd)}")
        extra.append(line)
    print("(columns: 1 worker, W liar, W no liar)")
    for line in extra:
        print(line)
    print("seconds per study: " + ", ".join(
        f"{s} {statistics.fmean(walls[s]):.2f}" for s in SETTINGS if walls[s]))


def load_optuna(files):
    per = collections.defaultdict(dict)          # (fn, setting) -> seed -> regret
    for f in files:
        for r in json.load(open(f))["studies"]:
            per[(r["function"], r["setting"])][r["seed"]] = r["regret"]
    return per


def cmd_compare(args):
    m = json.load(open(args.mpihpo))
    per = load_optuna(args.optuna)
    lo, hi = m["seed0"], m["seed0"] + m["seeds"]         # the same seeds on both sides
    per = {k: {sd: r for sd, r in v.items() if lo <= sd < hi} for k, v in per.items()}
    per = {k: v for k, v in per.items() if v}
    print(f"mean (median) regret after {m['trials']} trials; {m['workers']} workers simulated; "
          f"seeds {lo}..{hi - 1} (Optuna: those of them it was run on, count in 'seeds')")
    print(f"{'function':13s} {'side':7s} {'seeds':>5s} {'1 worker':>20s} {'W, liar':>20s} {'W, no liar':>20s} "
          f"{'liar/1':>7s} {'noliar/1':>8s}")
    for f in FN_ORDER:
        rows = []
        if f in m["results"]:
            rows.append(("mpihpo", {s: m["results"][f][s] for s in SETTINGS}))
        if any((f, s) in per for s in SETTINGS):
            rows.append(("optuna", {s: [per[(f, s)][k] for k in sorted(per[(f, s)])] for s in SETTINGS if (f, s) in per}))
        for side, v in rows:
            ns = sorted({len(x) for x in v.values()})
            cells = " ".join(f"{statistics.fmean(v[s]):9.4g} ({statistics.median(v[s]):8.3g})" if s in v else f"{'-':>20s}"
                             for s in SETTINGS)
            ratios = " ".join(f"{statistics.fmean(v[s]) / statistics.fmean(v['1']):{w}.2f}" if s in v and "1" in v
                              else f"{'-':>{w}s}" for s, w in (("liar", 7), ("noliar", 8)))
            print(f"{f:13s} {side:7s} {'/'.join(map(str, ns)):>5s} {cells} {ratios}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--functions", default=",".join(FN_ORDER))
    r.add_argument("--settings", default=",".join(SETTINGS))
    r.add_argument("--seeds", type=int, default=20)
    r.add_argument("--seed0", type=int, default=0)
    r.add_argument("--workers", type=int, default=7)
    r.add_argument("--budget", type=int, default=100)
    r.add_argument("--startup", type=int, default=10, help="n_startup_trials (diagnostic; default 10)")
    r.add_argument("--jobs", type=int, default=2, help="processes (the machine has 2 cores)")
    r.add_argument("--json", required=True)
    t = sub.add_parser("table")
    t.add_argument("files", nargs="+")
    c = sub.add_parser("compare")
    c.add_argument("--mpihpo", required=True)
    c.add_argument("--optuna", nargs="+", required=True)
    args = ap.parse_args()
    if args.cmd == "run":
        cmd_run(args)
    elif args.cmd == "compare":
        cmd_compare(args)
    else:
        docs = [json.load(open(f)) for f in args.files]
        print_table(docs)


if __name__ == "__main__":
    main()
