#!/usr/bin/python3
"""make_pruner_ref.py - recorded histories and Optuna's prune/keep decisions,
for tests/test_pruner_optuna.c.

Builds random study histories with fixed seeds (several trials running at
once, reports interleaved, NaN and +-inf intermediate values, repeated and
decreasing steps, checks skipped at some reports, prune advice sometimes
ignored, COMPLETE / PRUNED / FAIL endings) and replays each through Optuna's
own pruner with the ask-and-tell interface. Every trial.should_prune() answer
is written next to the report that preceded it, so the C test can rebuild the
same history with hpo_trial_rec records and compare decision by decision.

The oracle is Debian's python3-optuna 3.1 (numpy 1.24); run it with
/usr/bin/python3. The output is committed so the test suite runs without
Optuna:

    /usr/bin/python3 tests/ref/make_pruner_ref.py tests/data/pruner

Line format (one event per line, fields separated by single spaces; values
are Python repr() floats, which strtod reads back exactly, incl. nan/inf):

    case <id> <type> <minimize|maximize> <study_name>
    opt <key> <integer-or-float>          (hpo_pruner_opts field; 0 = auto)
    ask <trial>                           (a new RUNNING trial; numbers 0,1,..)
    report <trial> <step> <value>         (report only, no should_prune call)
    check <trial> <step> <value> <0|1>    (report, then should_prune: Optuna's answer)
    complete <trial> <value>
    pruned <trial>
    fail <trial>
    end
    crc32 <string> <unsigned>             (zlib.crc32 of the string, for hyperband)
"""
import math
import os
import random
import sys
import warnings
import zlib

import optuna
from optuna.trial import TrialState

warnings.filterwarnings("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)
assert optuna.__version__.startswith("3.1"), optuna.__version__


def make_pruner(kind, o):
    if kind == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=o["n_startup_trials"], n_warmup_steps=o["n_warmup_steps"],
            interval_steps=o["interval_steps"], n_min_trials=o["n_min_trials"])
    if kind == "percentile":
        return optuna.pruners.PercentilePruner(
            o["percentile"], n_startup_trials=o["n_startup_trials"],
            n_warmup_steps=o["n_warmup_steps"], interval_steps=o["interval_steps"],
            n_min_trials=o["n_min_trials"])
    if kind == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=o["min_resource"] or "auto", reduction_factor=o["reduction_factor"],
            min_early_stopping_rate=o["min_early_stopping_rate"],
            bootstrap_count=o["bootstrap_count"])
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=o["min_resource"] or 1, max_resource=o["max_resource"] or "auto",
            reduction_factor=o["reduction_factor"], bootstrap_count=o["bootstrap_count"])
    raise ValueError(kind)


DEFAULTS = {
    "median": dict(n_startup_trials=5, n_warmup_steps=0, interval_steps=1, n_min_trials=1),
    "percentile": dict(percentile=25.0, n_startup_trials=5, n_warmup_steps=0, interval_steps=1,
                       n_min_trials=1),
    "successive_halving": dict(min_resource=0, reduction_factor=4, min_early_stopping_rate=0,
                               bootstrap_count=0),
    "hyperband": dict(min_resource=1, max_resource=0, reduction_factor=3, bootstrap_count=0),
}


def int_brackets(rmin, rmax, eta):
    """mpihpo's exact bracket count: 1 + the largest k with rmin * eta^k <= rmax."""
    if rmax < rmin:
        return 0
    k, r = 0, rmin
    while r * eta <= rmax:
        r *= eta
        k += 1
    return k + 1


def run_case(out, cid, kind, direction, opts, seed, n_trials=40, max_steps=20, conc=3,
             p_nan=0.0, p_inf=0.0, p_check=1.0, p_ignore=0.1, p_fail=0.03, p_repeat=0.0,
             p_decrease=0.0, stride=1, decimals=None, study_name=None):
    rng = random.Random(seed)
    o = dict(DEFAULTS[kind])
    o.update(opts)
    name = study_name or "pruner-ref-%d" % cid
    study = optuna.create_study(direction=direction, study_name=name,
                                pruner=make_pruner(kind, o))
    out.append("case %d %s %s %s" % (cid, kind, direction, name))
    for k, v in o.items():
        out.append("opt %s %r" % (k, v))
    sign = 1.0 if direction == "minimize" else -1.0
    active = {}          # number -> dict(trial, steps, vals, pos)
    started = 0
    counts = [0, 0]

    def fmt(v):
        return repr(float(v))

    while started < n_trials or active:
        if started < n_trials and (len(active) < conc and rng.random() < 0.7 or not active):
            t = study.ask()
            assert t.number == started
            started += 1
            out.append("ask %d" % t.number)
            n = rng.randint(0, max_steps) if rng.random() < 0.08 else rng.randint(
                max(1, max_steps // 3), max_steps)
            q = rng.random()
            a = rng.uniform(0.2, 2.0)
            offs = rng.choice([0, 0, 0, 1])
            steps = [offs + i * stride for i in range(n)]
            vals = []
            for s in steps:
                v = q + a / (1.0 + s) + rng.gauss(0, 0.05)
                v = sign * v if direction == "minimize" else 1.0 - v
                if decimals is not None:
                    v = round(v, decimals)
                r = rng.random()
                if r < p_nan:
                    v = math.nan
                elif r < p_nan + p_inf:
                    v = rng.choice([math.inf, -math.inf])
                vals.append(v)
            active[t.number] = dict(trial=t, steps=steps, vals=vals, pos=0)
            continue
        num = rng.choice(sorted(active))
        a = active[num]
        t = a["trial"]
        if a["pos"] < len(a["steps"]):
            i = a["pos"]
            if i + 1 < len(a["steps"]) and rng.random() < p_decrease:   # next two swapped: a decrease
                a["steps"][i], a["steps"][i + 1] = a["steps"][i + 1], a["steps"][i]
                a["vals"][i], a["vals"][i + 1] = a["vals"][i + 1], a["vals"][i]
            step, val = a["steps"][i], a["vals"][i]
            a["pos"] += 1
            if i > 0 and rng.random() < p_repeat:                # a step already reported
                step = a["steps"][rng.randrange(i)]
                a["pos"] -= 1
            t.report(val, step)
            if rng.random() < p_check:
                d = 1 if t.should_prune() else 0
                counts[d] += 1
                out.append("check %d %d %s %d" % (num, step, fmt(val), d))
                if d and rng.random() >= p_ignore:
                    study.tell(t, state=TrialState.PRUNED)
                    out.append("pruned %d" % num)
                    del active[num]
            else:
                out.append("report %d %d %s" % (num, step, fmt(val)))
            continue
        if rng.random() < p_fail:
            study.tell(t, state=TrialState.FAIL)
            out.append("fail %d" % num)
        else:
            fv = [v for v in a["vals"] if math.isfinite(v)]
            v = fv[-1] if fv else rng.random()
            study.tell(t, v)
            out.append("complete %d %s" % (num, fmt(v)))
        del active[num]
    out.append("end")
    if kind == "hyperband":
        p = study.pruner
        if p._n_brackets is not None:
            want = int_brackets(o["min_resource"] or 1, p._max_resource, o["reduction_factor"])
            assert p._n_brackets == want, (cid, p._n_brackets, want, "float log differs: pick another R")
    return counts


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/data/pruner"
    os.makedirs(outdir, exist_ok=True)
    cases = {
        "median": [
            ("median", "minimize", {}, dict()),
            ("median", "maximize", {}, dict()),
            ("median", "minimize", {}, dict(p_nan=0.08, p_inf=0.02)),
            ("median", "maximize", {}, dict(p_nan=0.08, p_inf=0.02, conc=5)),
            ("median", "minimize", dict(n_warmup_steps=4, interval_steps=3), dict(p_check=0.7, p_decrease=0.1)),
            ("median", "maximize", dict(n_warmup_steps=3, interval_steps=2), dict(stride=3, p_check=0.8)),
            ("median", "minimize", dict(n_startup_trials=2, n_min_trials=3), dict(decimals=1)),
            ("median", "maximize", dict(n_startup_trials=0), dict(decimals=2, p_repeat=0.05, p_decrease=0.05)),
        ],
        "percentile": [
            ("percentile", "minimize", dict(percentile=25.0), dict()),
            ("percentile", "maximize", dict(percentile=25.0), dict(p_nan=0.06)),
            ("percentile", "minimize", dict(percentile=75.0, n_warmup_steps=2, interval_steps=4), dict(p_check=0.8)),
            ("percentile", "maximize", dict(percentile=90.0, n_min_trials=4), dict(decimals=1, p_nan=0.05)),
            ("percentile", "minimize", dict(percentile=0.0), dict(decimals=1)),
            ("percentile", "maximize", dict(percentile=100.0), dict(decimals=1)),
            ("percentile", "minimize", dict(percentile=33.3, interval_steps=5, n_warmup_steps=1),
             dict(p_inf=0.03, p_nan=0.03, p_repeat=0.05, p_decrease=0.05)),
            ("percentile", "maximize", dict(percentile=12.5, n_startup_trials=8), dict(conc=6)),
        ],
        "successive_halving": [
            ("successive_halving", "minimize", {}, dict()),
            ("successive_halving", "maximize", {}, dict()),
            ("successive_halving", "minimize", {}, dict(max_steps=260, n_trials=25, conc=4)),
            ("successive_halving", "maximize", dict(min_resource=1, reduction_factor=3), dict(conc=5, p_nan=0.05)),
            ("successive_halving", "minimize", dict(min_resource=2, reduction_factor=2),
             dict(p_check=0.6, decimals=1, p_decrease=0.1)),
            ("successive_halving", "maximize", dict(min_resource=1, reduction_factor=2, min_early_stopping_rate=1),
             dict(p_ignore=0.4, p_nan=0.04)),
            ("successive_halving", "minimize", dict(min_resource=1, reduction_factor=3, bootstrap_count=2),
             dict(conc=4, p_ignore=0.3)),
            ("successive_halving", "maximize", dict(min_resource=3, reduction_factor=4),
             dict(max_steps=60, stride=2, p_repeat=0.04, p_decrease=0.04, decimals=2)),
            ("successive_halving", "minimize", {}, dict(p_nan=0.05, p_inf=0.03, conc=8, n_trials=60)),
        ],
        "hyperband": [
            ("hyperband", "minimize", {}, dict(max_steps=27, n_trials=60, conc=4)),
            ("hyperband", "maximize", {}, dict(max_steps=27, n_trials=60, conc=4)),
            ("hyperband", "minimize", dict(max_resource=81), dict(max_steps=81, n_trials=50, conc=5)),
            ("hyperband", "maximize", dict(max_resource=20, reduction_factor=2),
             dict(max_steps=20, n_trials=60, p_nan=0.05, p_decrease=0.08, p_repeat=0.03)),
            ("hyperband", "minimize", dict(min_resource=2, max_resource=54), dict(max_steps=54, n_trials=50, p_check=0.7)),
            ("hyperband", "maximize", dict(max_resource=30, bootstrap_count=1),
             dict(max_steps=30, n_trials=60, conc=6, p_ignore=0.3, decimals=2)),
            ("hyperband", "minimize", dict(reduction_factor=2), dict(max_steps=16, n_trials=70, conc=5, p_nan=0.04, p_inf=0.02)),
        ],
    }
    total = {}
    cid = 0
    for fname, lst in cases.items():
        out = ["# generated by tests/ref/make_pruner_ref.py with Optuna %s; do not edit" % optuna.__version__]
        c = [0, 0]
        for kind, direction, opts, kw in lst:
            cid += 1
            name = "hb-study-%d" % cid if kind == "hyperband" else None
            k = run_case(out, cid, kind, direction, opts, seed=1000 + cid, study_name=name, **kw)
            c[0] += k[0]
            c[1] += k[1]
        if fname == "hyperband":
            for s in ["hb-study-1_0", "hb-study-1_17", "mpihpo_42", "", "The quick brown fox jumps over the lazy dog"]:
                out.append("crc32 %s %d" % (s if s else "-", zlib.crc32(s.encode())))
        with open(os.path.join(outdir, fname + ".txt"), "w") as f:
            f.write("\n".join(out) + "\n")
        total[fname] = c
        print("%-20s keep %5d prune %5d" % (fname, c[0], c[1]))
    print("total decisions", sum(a + b for a, b in total.values()))


if __name__ == "__main__":
    main()
