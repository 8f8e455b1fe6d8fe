#!/usr/bin/python3
"""Optuna 3.1 (Debian's python3-optuna) with current Optuna's TPE kernel rules patched in.

mpihpo implements current Optuna's TPE (shared/algorithms.md §2.2). Debian's Optuna 3.1
differs from it in two kernel rules; this script switches them in by monkeypatching, so the
peer can be run with the rules mpihpo implements:

  (b) "fixlog": optuna.samplers._tpe._truncnorm.logpdf gets the missing "- log(scale)"
      (optuna issue #5109, fixed by PR #5110 in 3.5). parzen_estimator.py does
      `from optuna.samplers._tpe import _truncnorm as truncnorm` and calls
      `truncnorm.logpdf(...)` through the module attribute at call time, so replacing the
      module attribute is what _ParzenEstimator.log_pdf uses. It affects every continuous
      (q is None) parameter, univariate and multivariate; discrete parameters use
      truncnorm._log_gauss_mass differences (scale-free) and are unaffected.
  (a) "noprior": _ParzenEstimator._calculate_numerical_params (univariate branch only) no
      longer inserts the prior mean among the sorted means before the neighbour gaps are
      computed (removed in Optuna 4.9, PR #6574). Everything else (endpoint rule, magic clip
      R / min(100, 1 + n_obs + 1), prior sigma = R, multivariate Scott bandwidth) is 3.1's.

Sampler names (same construction as shared/peers/optuna_quality.py's make_sampler):
  tpe, tpe-mv                   Optuna 3.1 as shipped
  tpe-fixlog, tpe-mv-fixlog     rule (b) only
  tpe-4.9, tpe-mv-4.9           rules (a) and (b) (for tpe-mv, (a) changes nothing: the
                                multivariate branch never sorts means)
  random

The study loop, the test functions and the JSON format are those of
shared/peers/optuna_quality.py (imported from --peers); per-seed best-so-far regret curves
are added under "curves". bench/tpe_compare.py reads the output (it looks at the sampler
names random/tpe/tpe-mv; bench/optuna_rules_compare.py --alias-json OUT writes a copy with
tpe-4.9 -> tpe and tpe-mv-4.9 -> tpe-mv for it), and bench/optuna_rules_compare.py prints
mpihpo, Optuna 3.1 and Optuna 3.1 with these rules side by side.

  /usr/bin/python3 bench/optuna_rules.py --verify
  /usr/bin/python3 bench/optuna_rules.py --samplers tpe-4.9,tpe-fixlog --functions branin \
      --seeds 20 --json out/optuna_rules_branin.json
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import optuna
from optuna.samplers._tpe import _truncnorm
from optuna.samplers._tpe import parzen_estimator as _pe

_ORIG_LOGPDF = _truncnorm.logpdf
_ORIG_NUMERICAL = _pe._ParzenEstimator._calculate_numerical_params
LOGPDF_CALLS = [0]


# --------------------------------------------------------------------------- rule (b)
def _logpdf_fixed(x, a, b, loc=0, scale=1):
    """3.1's _truncnorm.logpdf plus the "- np.log(scale)" of Optuna >= 3.5."""
    LOGPDF_CALLS[0] += 1
    out = _ORIG_LOGPDF(x, a, b, loc=loc, scale=scale)
    # _ORIG_LOGPDF returns an array of the broadcast shape of (x, a, b); loc/scale broadcast
    # the same way (here: samples[:, None] against per-kernel mus/sigmas).
    return out - np.log(scale)


# --------------------------------------------------------------------------- rule (a)
def _numerical_params_noprior(self, observations, param_name):
    """Copy of 3.1's _ParzenEstimator._calculate_numerical_params; the only change is in the
    univariate branch: the neighbour gaps are computed over the observations alone (the prior
    mean is not inserted into the sorted list). Marked with "CHANGED"."""
    n_observations = self._n_observations
    consider_prior = self._parameters.consider_prior
    consider_endpoints = self._parameters.consider_endpoints
    consider_magic_clip = self._parameters.consider_magic_clip
    multivariate = self._parameters.multivariate
    sigmas0 = self._sigmas0
    low = self._low[param_name]
    high = self._high[param_name]
    assert low is not None
    assert high is not None
    assert len(observations) == self._n_observations

    if n_observations == 0:
        consider_prior = True

    prior_mu = 0.5 * (low + high)
    prior_sigma = 1.0 * (high - low)

    if consider_prior:
        mus = np.empty(n_observations + 1)
        mus[:n_observations] = observations
        mus[n_observations] = prior_mu
        sigmas = np.empty(n_observations + 1)
    else:
        mus = observations
        sigmas = np.empty(n_observations)

    if multivariate:
        assert sigmas0 is not None
        sigmas[:] = sigmas0 * (high - low)
    else:
        assert sigmas0 is None
        obs_mus = mus[:n_observations]  # CHANGED: observations only (3.1: all of mus)
        sorted_indices = np.argsort(obs_mus)
        sorted_mus = obs_mus[sorted_indices]
        sorted_mus_with_endpoints = np.empty(len(obs_mus) + 2, dtype=float)
        sorted_mus_with_endpoints[0] = low
        sorted_mus_with_endpoints[1:-1] = sorted_mus
        sorted_mus_with_endpoints[-1] = high

        sorted_sigmas = np.maximum(
            sorted_mus_with_endpoints[1:-1] - sorted_mus_with_endpoints[0:-2],
            sorted_mus_with_endpoints[2:] - sorted_mus_with_endpoints[1:-1],
        )

        if not consider_endpoints and sorted_mus_with_endpoints.shape[0] >= 4:
            sorted_sigmas[0] = sorted_mus_with_endpoints[2] - sorted_mus_with_endpoints[1]
            sorted_sigmas[-1] = sorted_mus_with_endpoints[-2] - sorted_mus_with_endpoints[-3]

        # CHANGED: only the observation kernels get a gap sigma; the prior kernel's entry
        # (if any) is overwritten with prior_sigma below, as in 3.1.
        sigmas[:n_observations] = sorted_sigmas[np.argsort(sorted_indices)]
        if len(sigmas) > n_observations:
            sigmas[n_observations:] = prior_sigma

    # We adjust the range of the 'sigmas' according to the 'consider_magic_clip' flag.
    maxsigma = 1.0 * (high - low)
    if consider_magic_clip:
        minsigma = 1.0 * (high - low) / min(100.0, (1.0 + len(mus)))  # len(mus) = n_obs + prior
    else:
        minsigma = _pe.EPS
    sigmas = np.asarray(np.clip(sigmas, minsigma, maxsigma))

    if consider_prior:
        sigmas[n_observations] = prior_sigma

    return mus, sigmas


def set_rules(fixlog, noprior):
    """Switch Optuna 3.1's TPE kernel rules (module-global; affects all samplers)."""
    _truncnorm.logpdf = _logpdf_fixed if fixlog else _ORIG_LOGPDF
    _pe._ParzenEstimator._calculate_numerical_params = (
        _numerical_params_noprior if noprior else _ORIG_NUMERICAL)


RULES = {"": (False, False), "-fixlog": (True, False), "-4.9": (True, True)}


def split_name(name):
    """'tpe-mv-4.9' -> ('tpe-mv', fixlog, noprior)."""
    for suffix, (fixlog, noprior) in RULES.items():
        if suffix and name.endswith(suffix):
            return name[: -len(suffix)], fixlog, noprior
    return name, False, False


# --------------------------------------------------------------------------- verification
def verify(logpdf_bin=None):
    """For a fixed history on [-5, 10]: the density exp(log_pdf) integrates to ~1 with the
    patch and to sum_k w_k sigma_k without it; sigmas under rule (a); the patched function is
    the one the sampler calls."""
    from optuna.distributions import FloatDistribution
    from optuna.samplers._tpe.sampler import default_weights

    low, high = -5.0, 10.0
    obs = np.array([-4.1, -2.0, 0.3, 0.35, 1.1, 3.2, 7.0, 9.6])
    space = {"x": FloatDistribution(low, high)}
    xs = np.linspace(low, high, 300001)
    ok = True
    for multivariate in (False, True):
        params = _pe._ParzenEstimatorParameters(
            consider_prior=True, prior_weight=1.0, consider_magic_clip=True,
            consider_endpoints=False, weights=default_weights, multivariate=multivariate)
        print(f"\n{'multivariate' if multivariate else 'univariate'} estimator, observations "
              f"{obs.tolist()} in [{low}, {high}], prior weight 1")
        for label, fixlog, noprior in (("3.1 as shipped", False, False), ("fixlog (b)", True, False),
                                       ("4.9 rules (a)+(b)", True, True)):
            set_rules(fixlog, noprior)
            LOGPDF_CALLS[0] = 0
            pe = _pe._ParzenEstimator({"x": obs}, space, params)
            lp = pe.log_pdf({"x": xs})
            dens = np.exp(lp)
            integral = float(np.sum((dens[1:] + dens[:-1]) * 0.5 * np.diff(xs)))  # trapezoid
            w, s = pe._weights, pe._sigmas["x"]
            print(f"  {label:18s} integral of exp(log_pdf) = {integral:.6f}   "
                  f"sum_k w_k*sigma_k = {float(np.sum(w * s)):.6f}   truncnorm.logpdf calls "
                  f"through the patch: {LOGPDF_CALLS[0]}")
            print(f"  {'':18s} sigmas (obs..., prior) = {np.array2string(s, precision=4)}")
            if fixlog and abs(integral - 1) > 1e-6:
                ok = False
            if not fixlog and abs(integral - float(np.sum(w * s))) > 1e-6 * float(np.sum(w * s)):
                ok = False
            if fixlog and LOGPDF_CALLS[0] == 0:
                ok = False

    # Rule (a) by hand for the univariate case: gaps over the sorted observations only.
    set_rules(True, True)
    params = _pe._ParzenEstimatorParameters(True, 1.0, True, False, default_weights, False)
    s = _pe._ParzenEstimator({"x": obs}, space, params)._sigmas["x"]
    srt = np.sort(obs)
    gaps = np.diff(srt)
    want = np.empty(len(srt))
    want[0], want[-1] = gaps[0], gaps[-1]
    want[1:-1] = np.maximum(gaps[:-1], gaps[1:])
    want = np.clip(want, (high - low) / min(100, len(obs) + 2), high - low)
    want_by_obs = want[np.argsort(np.argsort(obs))]
    print(f"\nrule (a) by hand (gaps over sorted observations, inner gap at the ends, clip "
          f"[R/{min(100, len(obs) + 2)}, R]): {np.array2string(want_by_obs, precision=4)}; "
          f"patched estimator agrees: {np.allclose(s[:-1], want_by_obs, rtol=0, atol=1e-15)}")
    ok = ok and np.allclose(s[:-1], want_by_obs, rtol=0, atol=1e-15) and s[-1] == high - low

    # The sampler's path uses the patch: count calls during a short study.
    import optuna_quality as oq
    for name in ("tpe-4.9", "tpe-mv-4.9"):
        base, fixlog, noprior = split_name(name)
        set_rules(fixlog, noprior)
        LOGPDF_CALLS[0] = 0
        study = optuna.create_study(sampler=oq.make_sampler(base, 0))
        study.optimize(oq.branin, n_trials=15)
        print(f"{name}: 15-trial Branin study called the patched truncnorm.logpdf "
              f"{LOGPDF_CALLS[0]} times")
        ok = ok and LOGPDF_CALLS[0] > 0
    if logpdf_bin:
        ok = compare_with_mpihpo(logpdf_bin) and ok
    set_rules(False, False)
    print("\nverification", "PASSED" if ok else "FAILED")
    return ok


def compare_with_mpihpo(binary):
    """mpihpo's hpo_tpe_logpdf_impl vs Optuna 3.1's _ParzenEstimator.log_pdf (univariate,
    one float parameter) under each rule set: max |difference| over 201 points."""
    import subprocess
    from optuna.distributions import FloatDistribution
    from optuna.samplers._tpe.sampler import default_weights

    rng = np.random.RandomState(1)
    cases = [(-5.0, 10.0, np.array([-4.1, -2.0, 0.3, 0.35, 1.1, 3.2, 7.0, 9.6])),
             (-5.0, 10.0, np.array([3.0])),
             (0.0, 1.0, np.array([0.9, 0.1])),
             (0.0, 1.0, rng.uniform(0, 1, 40)),       # > 25 observations: weight ramp
             (-5.0, 5.0, rng.uniform(-5, 5, 150))]    # magic clip at R/100
    params = _pe._ParzenEstimatorParameters(True, 1.0, True, False, default_weights, False)
    print("\nmpihpo hpo_tpe_logpdf_impl (committed code) vs Optuna 3.1 log_pdf, max |diff| "
          "over 201 points in the domain:")
    ok = True
    for lo, hi, obs in cases:
        xs = np.linspace(lo, hi, 201)
        inp = f"{lo!r} {hi!r} {len(obs)}\n" + " ".join(repr(float(v)) for v in obs) + \
            f"\n{len(xs)}\n" + " ".join(repr(float(v)) for v in xs) + "\n"
        mp = np.array([float(v) for v in subprocess.run(
            [binary], input=inp, capture_output=True, text=True, check=True).stdout.split()])
        row = []
        for fixlog, noprior in ((False, False), (True, False), (True, True)):
            set_rules(fixlog, noprior)
            op = _pe._ParzenEstimator({"x": obs}, {"x": FloatDistribution(lo, hi)}, params).log_pdf({"x": xs})
            row.append(float(np.max(np.abs(op - mp))))
        print(f"  [{lo:g}, {hi:g}], {len(obs):3d} obs: 3.1 {row[0]:.3g}   fixlog {row[1]:.3g}   "
              f"4.9 rules {row[2]:.3g}")
        ok = ok and row[2] < 1e-9
    return ok


# --------------------------------------------------------------------------- benchmark
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "..", "..", "shared", "peers"),
                    help="folder holding optuna_quality.py (default ../../shared/peers from here)")
    ap.add_argument("--functions", default="branin,hartmann6,rosenbrock10,styblinski10,condmix")
    ap.add_argument("--samplers", default="tpe-4.9,tpe-fixlog")
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first..first+seeds-1")
    ap.add_argument("--json", default="optuna_rules.json")
    ap.add_argument("--verify", action="store_true", help="only run the patch verification")
    ap.add_argument("--logpdf-bin", help="with --verify: compiled bench/optuna_rules_logpdf.c; "
                    "compare mpihpo's hpo_tpe_logpdf_impl with the patched Optuna log_pdf")
    args = ap.parse_args()

    sys.path.insert(0, os.path.abspath(args.peers))
    import optuna_quality as oq

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    if args.verify:
        sys.exit(0 if verify(args.logpdf_bin) else 1)

    samplers = args.samplers.split(",")
    checkpoints = [n for n in (10, 25, 50, 100, 200, 500) if n < args.budget] + [args.budget]
    print(f"optuna {optuna.__version__} with patched rules, python {platform.python_version()}, "
          f"budget {args.budget}, seeds {args.first_seed}..{args.first_seed + args.seeds - 1}, "
          f"samplers {samplers}", flush=True)
    t_all = time.perf_counter()
    report = {}
    for fname in args.functions.split(","):
        fn, fstar = oq.FUNCTIONS[fname]
        report[fname] = {"f_star": fstar}
        for sname in samplers:
            base, fixlog, noprior = split_name(sname)
            set_rules(fixlog, noprior)
            t0 = time.perf_counter()
            curves = []
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                study = optuna.create_study(direction="minimize", sampler=oq.make_sampler(base, seed))
                study.optimize(fn, n_trials=args.budget)
                curves.append([v - fstar for v in oq.best_curve(study)])
            wall = time.perf_counter() - t0
            rows = {}
            for n in checkpoints:
                vals = [c[n - 1] for c in curves]
                rows[n] = dict(mean=statistics.fmean(vals), median=statistics.median(vals),
                               min=min(vals), max=max(vals))
            report[fname][sname] = dict(wall_s=wall, s_per_study=wall / args.seeds, regret=rows,
                                        final_regret_per_seed=[c[-1] for c in curves],
                                        rules=dict(fixlog=fixlog, noprior_gaps=noprior),
                                        curves=curves)
            r = rows[args.budget]
            print(f"{fname:13s} {sname:14s} n={args.budget}: mean {r['mean']:.4g} median "
                  f"{r['median']:.4g}  {wall:.1f}s ({wall / args.seeds:.2f} s/study)", flush=True)
    set_rules(False, False)
    total = time.perf_counter() - t_all
    print(f"total wall time {total:.1f}s")
    with open(args.json, "w") as fh:
        json.dump(dict(args=vars(args), optuna=optuna.__version__, python=platform.python_version(),
                       total_wall_s=total, results=report), fh, indent=1)
    print(f"summary written to {args.json}")


if __name__ == "__main__":
    main()
