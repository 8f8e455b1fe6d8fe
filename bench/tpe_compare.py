#!/usr/bin/python3
"""Print mpihpo's TPE quality beside Optuna's (bench/run_tpe.sh runs both).

usage: tpe_compare.py mpihpo_quality.json optuna_quality.json
Mean/median regret after 25/50/100 trials over the seeds; for mpihpo, the
paired difference to random (same seed = same 10 start-up trials); for
mpihpo vs Optuna (different random streams, so unpaired) the difference of
the means with its standard error."""
import json, math, statistics, sys

m = json.load(open(sys.argv[1]))
try:
    o = json.load(open(sys.argv[2]))["results"]
except (OSError, IndexError):
    o = {}
cps = [25, 50, 100]
for f, fr in m["results"].items():
    print(f"\n{f} (f* = {fr['f_star']:.6g}); regret, {m['seeds']} seeds")
    print(f"  {'sampler':16s}" + "".join(f"{'n=' + str(n) + ' mean':>13s}{'median':>10s}" for n in cps))
    for s in ("random", "tpe", "tpe-mv"):
        for who, src in (("mpihpo", fr), ("optuna", o.get(f, {}))):
            if s not in src:
                continue
            if who == "mpihpo":
                vals = {n: [c[n - 1] for c in src[s]["curves"]] for n in cps}
                row = {n: (statistics.fmean(v), statistics.median(v)) for n, v in vals.items()}
            else:
                row = {n: (src[s]["regret"][str(n)]["mean"], src[s]["regret"][str(n)]["median"]) for n in cps}
            print(f"  {who + ' ' + s:16s}" + "".join(f"{row[n][0]:13.4g}{row[n][1]:10.4g}" for n in cps))
    rnd = [c[-1] for c in fr["random"]["curves"]]
    for s in ("tpe", "tpe-mv"):
        fin = [c[-1] for c in fr[s]["curves"]]
        d = [a - b for a, b in zip(fin, rnd)]
        wins = sum(x < 0 for x in d)
        se = statistics.stdev(d) / math.sqrt(len(d))
        line = (f"  mpihpo {s} - random at n={m['budget']}: mean {statistics.fmean(d):.4g} ± {se:.2g} (paired), "
                f"better on {wins}/{len(d)} seeds")
        if s in o.get(f, {}):
            of = o[f][s]["final_regret_per_seed"]
            diff = statistics.fmean(fin) - statistics.fmean(of)
            se2 = math.sqrt(statistics.variance(fin) / len(fin) + statistics.variance(of) / len(of))
            line += f"; mpihpo - optuna: {diff:.4g} ± {se2:.2g} (unpaired)"
        print(line)
