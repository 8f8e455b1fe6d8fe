#!/usr/bin/python3
"""read_ckpt.py - load an mpihpo checkpoint (HDF5) with h5py alone, into pandas.

    /usr/bin/python3 tests/ref/read_ckpt.py heart.h5            # print the trials table
    /usr/bin/python3 tests/ref/read_ckpt.py --check heart.h5    # self-check (used by tests/test_ckpt.c)

Layout and meaning of every dataset: docs/checkpoint.md. Only h5py and numpy
are needed; pandas is used when installed (Debian's h5py works with
/usr/bin/python3 only). The checksum column is not verified here: rows torn
by a crash are dropped by `mpihpo show`/`hpo_ckpt_validate`; this reader
keeps the last row of every trial number among rows whose `number` is set.
"""
import math
import sys

import h5py
import numpy as np

STATES = {0: "RUNNING", 1: "COMPLETE", 2: "PRUNED", 3: "FAIL"}


def _s(x):
    return x.decode("utf-8") if isinstance(x, bytes) else str(x)


def choices_of(group):
    """The typed choices of a categorical distribution subgroup (d0, d1, ...)."""
    out = []
    for text, kind in zip(group.attrs["choices"], group.attrs["choice_types"]):
        text, kind = _s(text), _s(kind)
        conv = {"str": str, "int": int, "float": float, "bool": lambda s: s == "true"}[kind]
        out.append(conv(text))
    return out


def load(path):
    """Return (study attributes, trials as a list of dicts, intermediate rows)."""
    with h5py.File(path, "r") as f:
        attrs = {k: (_s(v) if isinstance(v, (bytes, str)) else v.item() if hasattr(v, "item") else v)
                 for k, v in f.attrs.items()}
        t = f["trials"]
        n = min(len(t[c]) for c in t)                    # rows present in every column
        cols = {c: t[c][:n] for c in t}
        number = cols["number"]
        last = {}                                        # trial number -> its last row
        for row in range(n):
            if number[row] >= 0:
                last[int(number[row])] = row
        params = {}
        for link, g in f["params"].items():
            name = _s(g.attrs["name"])
            kind = _s(g.attrs["kind"])
            m = min(len(g["value"]), n)
            value, dist = g["value"][:m], g["dist"][:m]
            dists = {int(k[1:]): g[k] for k in g if k.startswith("d") and k[1:].isdigit()}
            params[name] = (kind, value, dist, {k: (choices_of(d) if kind == "categorical" else None)
                                                for k, d in dists.items()})
        trials = []
        for num in sorted(last):
            row = last[num]
            rec = {"number": num,
                   "state": STATES.get(int(cols["state"][row]), "?"),
                   "value": float(cols["value"][row]),
                   "datetime_start": float(cols["datetime_start"][row]),
                   "datetime_complete": float(cols["datetime_complete"][row]),
                   "worker": int(cols["worker"][row]),
                   "fail_reason": _s(cols["fail_reason"][row] or b"")}
            for name, (kind, value, dist, chs) in params.items():
                if row >= len(dist) or dist[row] < 0:
                    continue                             # absent: the trial never asked
                v = value[row]
                if kind == "categorical":
                    v = chs[int(dist[row])][int(v)]
                elif kind == "int":
                    v = int(v)
                else:
                    v = float(v)
                rec["params_" + name] = v
            trials.append(rec)
        inter = {c: f["intermediate"][c][:] for c in ("trial", "step", "value")}
    return attrs, trials, inter


def to_pandas(trials):
    import pandas as pd
    df = pd.DataFrame(trials)
    for c in ("datetime_start", "datetime_complete"):
        df[c] = pd.to_datetime(df[c], unit="s")
    return df


def check(path):
    """Self-check against tests/test_ckpt.c's make_history()."""
    attrs, trials, inter = load(path)
    assert attrs["format_version"] == 1, attrs
    assert attrs["study_name"] == "unit" and attrs["direction"] == "maximize", attrs
    assert len(trials) == 13, len(trials)
    t0, t1, t2 = trials[0], trials[1], trials[2]
    assert t0["state"] == "COMPLETE" and t1["state"] == "PRUNED" and t2["state"] == "FAIL"
    assert t2["fail_reason"] == "objective returned nan", t2
    assert t0["params_big"] == -2**63 and t1["params_big"] == 2**63 - 1
    assert "params_units" in t0 and "params_units" not in t1          # absent, not 0
    assert t1["params_n"] == 0                                        # a real 0
    assert t1["params_opt"] == "sgd/momentum" and t0.get("params_opt") is None
    assert t0["params_ci"] == -2**63 and t0["params_cb"] is True
    assert math.isinf(trials[3]["params_cf"]) and trials[4]["params_cf"] == 5e-324
    assert trials[5]["params_mix"] == 1 and type(trials[5]["params_mix"]) is int
    assert trials[12]["state"] == "RUNNING" and trials[12]["params_x"] == 0.25
    steps = inter["step"][inter["trial"] == 3]
    assert list(steps) == [0, 2, 4], steps
    vals = inter["value"][inter["trial"] == 3]
    assert np.isnan(vals[1]), vals
    try:
        df = to_pandas(trials)
        assert len(df) == 13 and df["params_units"].isna().sum() == 9, df
    except ImportError:
        pass
    print("read_ckpt.py: ok")


def main(argv):
    if len(argv) >= 3 and argv[1] == "--check":
        check(argv[2])
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    attrs, trials, _ = load(argv[1])
    print({k: attrs[k] for k in ("study_name", "direction", "sampler", "pruner", "seed")})
    try:
        print(to_pandas(trials).to_string())
    except ImportError:
        for t in trials:
            print(t)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
