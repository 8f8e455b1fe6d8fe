#!/usr/bin/python3
"""Table: mpihpo TPE vs Optuna 3.1 as shipped vs Optuna 3.1 with current rules.

usage: optuna_rules_compare.py MPIHPO.json OPTUNA31.json RULES.json [RULES.json ...]
       optuna_rules_compare.py --alias-json OUT RULES.json [RULES.json ...]
       optuna_rules_compare.py --finals REF LABEL=FILE:SAMPLER[+FILE:SAMPLER...] ...
  MPIHPO.json    bench_tpe quality output (per-seed curves)
  OPTUNA31.json  shared/peers/optuna_quality.py output (samplers tpe, tpe-mv, random)
  RULES.json     bench/optuna_rules.py outputs (tpe-4.9, tpe-fixlog, tpe-mv-4.9, ...), merged
                 by function; for the same function and sampler, seed ranges are concatenated
                 in the order given (e.g. seeds 0-19 then 20-59) and the summaries recomputed
--alias-json: write the merged RULES results with tpe-4.9 renamed tpe and tpe-mv-4.9 renamed
tpe-mv, in optuna_quality.py's format, so that bench/tpe_compare.py can read them.
--finals: regret at the budget only, for labels made of one or more (file, sampler) seed ranges
concatenated (any of the three formats), e.g. 60 seeds from a 0-19 and a 20-59 run; prints mean
± SE and median per label, and each label minus REF (unpaired; paired too when both labels
start with "optuna", whose seeds share their start-up trials).

Mean and median regret after 25/50/100 trials over the seeds. Differences at the budget:
difference of means ± its standard error, unpaired (sqrt(var_a/n_a + var_b/n_b)). For two
Optuna variants the same seed gives the same 10 start-up trials, so the paired difference
(mean ± SE of per-seed differences, and on how many seeds the first is lower) is also shown.
"""
import json
import math
import statistics
import sys

CPS = [25, 50, 100]


def load_optuna(paths):
    out = {}
    for p in paths:
        for f, fr in json.load(open(p))["results"].items():
            d = out.setdefault(f, {"f_star": fr["f_star"]})
            for s, v in fr.items():
                if s == "f_star":
                    continue
                if s not in d:
                    d[s] = v
                    continue
                # same sampler again: concatenate the seeds (needs the per-seed curves)
                old = d[s]
                curves = old["curves"] + v["curves"]
                d[s] = dict(old, curves=curves, final_regret_per_seed=[c[-1] for c in curves],
                            wall_s=old["wall_s"] + v["wall_s"],
                            s_per_study=(old["wall_s"] + v["wall_s"]) / len(curves),
                            regret={n: dict(mean=statistics.fmean([c[int(n) - 1] for c in curves]),
                                            median=statistics.median([c[int(n) - 1] for c in curves]),
                                            min=min(c[int(n) - 1] for c in curves),
                                            max=max(c[int(n) - 1] for c in curves))
                                    for n in old["regret"]})
    return out


def write_alias(out_path, paths):
    res = load_optuna(paths)
    alias = {}
    for f, fr in res.items():
        alias[f] = {"f_star": fr["f_star"]}
        for src, dst in (("tpe-4.9", "tpe"), ("tpe-mv-4.9", "tpe-mv")):
            if src in fr:
                alias[f][dst] = fr[src]
    with open(out_path, "w") as fh:
        json.dump(dict(note="bench/optuna_rules.py results, Optuna 3.1 with current (4.9) kernel "
                            "rules; tpe = tpe-4.9, tpe-mv = tpe-mv-4.9", sources=paths,
                       results=alias), fh, indent=1)


def unpaired(a, b):
    d = statistics.fmean(a) - statistics.fmean(b)
    se = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
    return d, se


def paired(a, b):
    d = [x - y for x, y in zip(a, b)]
    return statistics.fmean(d), statistics.stdev(d) / math.sqrt(len(d)), sum(x < 0 for x in d), len(d)


def fmt_pm(d, se):
    z = d / se if se > 0 else float("nan")
    return f"{d:+.4g} ± {se:.2g} ({z:+.1f} SE)"


def finals_of(spec):
    """'f1.json:tpe+f2.json:tpe' -> {function: [final regret per seed]}"""
    out = {}
    for part in spec.split("+"):
        path, sampler = part.rsplit(":", 1)
        for f, fr in json.load(open(path))["results"].items():
            if sampler not in fr:
                continue
            r = fr[sampler]
            fin = [c[-1] for c in r["curves"]] if "curves" in r else r["final_regret_per_seed"]
            out.setdefault(f, []).extend(fin)
    return out


def finals_mode(ref, specs):
    labels = [s.split("=", 1)[0] for s in specs]
    data = {s.split("=", 1)[0]: finals_of(s.split("=", 1)[1]) for s in specs}
    for f in data[ref]:
        print(f"\n{f}: regret at the budget")
        for lab in labels:
            v = data[lab].get(f)
            if v:
                print(f"  {lab:26s} {len(v):3d} seeds  mean {statistics.fmean(v):10.4g} ± "
                      f"{statistics.stdev(v) / math.sqrt(len(v)):<8.2g} median {statistics.median(v):10.4g}")
        for lab in labels:
            if lab == ref or f not in data[lab]:
                continue
            a, b = data[lab][f], data[ref][f]
            line = f"  {lab} - {ref}: {fmt_pm(*unpaired(a, b))} unpaired"
            if lab.startswith("optuna") and ref.startswith("optuna") and len(a) == len(b):
                d, se, wins, n = paired(a, b)
                line += f"; paired {d:+.4g} ± {se:.2g}, lower on {wins}/{n} seeds"
            print(line)


def main():
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        ok = len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help")
        print(__doc__.strip(), file=sys.stdout if ok else sys.stderr)
        sys.exit(0 if ok else 2)
    if sys.argv[1] == "--finals":
        finals_mode(sys.argv[2], sys.argv[3:])
        return
    if sys.argv[1] == "--alias-json":
        write_alias(sys.argv[2], sys.argv[3:])
        return
    m = json.load(open(sys.argv[1]))
    o31 = json.load(open(sys.argv[2]))["results"]
    rules = load_optuna(sys.argv[3:])
    budget = m["budget"]
    for f, fr in m["results"].items():
        print(f"\n{f} (f* = {fr['f_star']:.6g}); regret, {m['seeds']} seeds")
        print(f"  {'sampler':24s}" + "".join(f"{'n=' + str(n) + ' mean':>13s}{'median':>10s}" for n in CPS)
              + f"{'SE@' + str(budget):>10s}")
        finals = {}
        for kind in ("tpe", "tpe-mv"):
            rows = [("mpihpo " + kind, "m", kind), ("optuna3.1 " + kind, "o", kind)]
            rows += [("optuna3.1+" + s[len(kind) + 1:] + " " + kind, "r", s)
                     for s in sorted(rules.get(f, {})) if s.startswith(kind + "-")
                     and s[len(kind) + 1:] in ("4.9", "fixlog")]
            for label, who, s in rows:
                if who == "m":
                    if s not in fr:
                        continue
                    row = {n: (statistics.fmean([c[n - 1] for c in fr[s]["curves"]]),
                               statistics.median([c[n - 1] for c in fr[s]["curves"]])) for n in CPS}
                    fin = [c[-1] for c in fr[s]["curves"]]
                else:
                    src = o31.get(f, {}) if who == "o" else rules.get(f, {})
                    if s not in src:
                        continue
                    row = {n: (src[s]["regret"][str(n)]["mean"], src[s]["regret"][str(n)]["median"])
                           for n in CPS}
                    fin = src[s]["final_regret_per_seed"]
                finals[label] = fin
                se = statistics.stdev(fin) / math.sqrt(len(fin))
                print(f"  {label:24s}" + "".join(f"{row[n][0]:13.4g}{row[n][1]:10.4g}" for n in CPS)
                      + f"{se:10.2g}")
        for kind in ("tpe", "tpe-mv"):
            ref = f"optuna3.1+4.9 {kind}"
            if ref not in finals:
                continue
            for a in (f"mpihpo {kind}", f"optuna3.1 {kind}", f"optuna3.1+fixlog {kind}"):
                if a not in finals:
                    continue
                line = f"  n={budget}: {a} - {ref}: {fmt_pm(*unpaired(finals[a], finals[ref]))} unpaired"
                if a.startswith("optuna"):
                    d, se, wins, n = paired(finals[a], finals[ref])
                    line += f"; paired {d:+.4g} ± {se:.2g}, lower on {wins}/{n} seeds"
                print(line)
        for kind in ("tpe", "tpe-mv"):
            a, b = f"mpihpo {kind}", f"optuna3.1 {kind}"
            if a in finals and b in finals:
                print(f"  n={budget}: {a} - {b}: {fmt_pm(*unpaired(finals[a], finals[b]))} unpaired")


if __name__ == "__main__":
    main()
