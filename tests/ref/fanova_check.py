#!/usr/bin/python3
"""fanova_check.py - does mpihpo's PED-ANOVA name the same most important
parameter as Optuna 3.1's fANOVA on the same trials? (issue #8)

    /usr/bin/python3 tests/ref/fanova_check.py trials.csv [heart|wide_lr]

reads an `mpihpo export` CSV, rebuilds the COMPLETE trials in an Optuna
study (distributions from the search space named, heart by default: the
parameters every complete trial has), runs FanovaImportanceEvaluator(seed=0)
and prints the importances, most important first.
"""
import sys

import optuna
import pandas as pd
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

# jobs/heart.yaml's search space (the conditional n_units_l1/l2 are left out,
# as both evaluators only score parameters every complete trial has).
HEART = {
    "batch_size": CategoricalDistribution([16, 32, 64]),
    "learning_rate": FloatDistribution(1e-4, 1e-1, log=True),
    "optimizer": CategoricalDistribution(["adam", "rmsprop", "sgd"]),
    "n_layers": IntDistribution(1, 3),
    "n_units_l0": IntDistribution(4, 128),
}
# tests/data/importance_wide_lr.yaml: one layer, plain SGD, the learning
# rate over five decades (it decides nearly everything).
WIDE_LR = {
    "batch_size": CategoricalDistribution([16, 32, 64]),
    "learning_rate": FloatDistribution(1e-5, 1.0, log=True),
    "n_units_l0": IntDistribution(32, 128),
}
SPACES = {"heart": HEART, "wide_lr": WIDE_LR}


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] not in SPACES):
        sys.exit(f"usage: fanova_check.py TRIALS.csv [{'|'.join(SPACES)}]")
    SPACE = SPACES[sys.argv[2] if len(sys.argv) == 3 else "heart"]
    df = pd.read_csv(sys.argv[1])
    df = df[df["state"] == "COMPLETE"]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize")
    for _, row in df.iterrows():
        params = {}
        for name, dist in SPACE.items():
            v = row["params_" + name]
            if isinstance(dist, IntDistribution):
                v = int(v)
            elif isinstance(dist, CategoricalDistribution) and isinstance(dist.choices[0], int):
                v = int(v)
            params[name] = v
        study.add_trial(optuna.trial.create_trial(params=params, distributions=SPACE, value=float(row["value"])))
    imp = optuna.importance.get_param_importances(
        study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
    print(f"fANOVA (Optuna {optuna.__version__}) on {len(df)} COMPLETE trials:")
    for k, v in imp.items():
        print(f"  {k:20s} {v:.4f}")


if __name__ == "__main__":
    main()
