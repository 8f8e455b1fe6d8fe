#!/usr/bin/python3
"""Reference numbers for tests/test_tpe.c's compat: optuna3 tests: Optuna 3.1's
own _ParzenEstimator.log_pdf (Debian's python3-optuna), built as 3.1's
TPESampler builds it with its defaults (consider_prior, prior_weight 1.0,
magic clip, endpoints off, default_weights), on fixed histories.

Run: /usr/bin/python3 tests/ref/make_tpe_o3_ref.py
It refuses any Optuna but 3.0-3.4 (3.5 fixed the missing -log(scale)).
Observation lists stay below 16 entries where a value ties the prior mean
(numpy's argsort is an insertion sort there, so the prior, the last entry,
sorts after equal observations, as mpihpo's compat mode does)."""
import optuna
import numpy as np
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import default_weights

major, minor = (int(v) for v in optuna.__version__.split(".")[:2])
assert major == 3 and minor <= 4, f"needs Optuna 3.0-3.4, found {optuna.__version__}"


def params(multivariate):
    # TPESampler.__init__ defaults in 3.1
    return _ParzenEstimatorParameters(consider_prior=True, prior_weight=1.0, consider_magic_clip=True,
                                      consider_endpoints=False, weights=default_weights,
                                      multivariate=multivariate)


def logpdf(space, obs, at, multivariate=False):
    o = {k: np.asarray(v, dtype=float) for k, v in obs.items()}
    pe = _ParzenEstimator(o, space, params(multivariate))
    return pe.log_pdf({k: np.asarray(v, dtype=float) for k, v in at.items()})


def show(name, vals):
    print(f"/* {name} */")
    print("{" + ", ".join(repr(float(v)) for v in vals) + "}")


# 1. float [-5, 10]: 30 observations (the weight ramp: 5 old ones), points
rng = np.random.RandomState(7)
obs30 = list(np.round(rng.uniform(-5, 10, 30), 6))
print("/* obs30 */")
print("{" + ", ".join(repr(float(v)) for v in obs30) + "}")
pts = [-5.0, -4.1, 0.0, 1.1, 2.5, 3.3, 9.99]
show("float [-5,10], 30 obs", logpdf({"x": FloatDistribution(-5, 10)}, {"x": obs30}, {"x": pts}))
# 2. float, 1 observation (its sigma is the gap to the prior mean)
show("float [-5,10], obs {-4.1}", logpdf({"x": FloatDistribution(-5, 10)}, {"x": [-4.1]}, {"x": pts}))
# 3. float, an observation on the prior mean 2.5 and two equal ones
o3 = [2.5, -4.1, 2.5, 7.0, 0.3, 9.5, 2.5]
show("float [-5,10], obs on the prior mean", logpdf({"x": FloatDistribution(-5, 10)}, {"x": o3}, {"x": pts}))
# 4. log float [1e-5, 1e-1] (condmix's learning rate), points in the external scale
olr = [1e-3, 3e-4, 2e-2, 5e-5, 1.2e-3, 8e-2]
plr = [1e-5, 1e-4, 1e-3, 4.5e-3, 1e-1]
show("log float [1e-5,1e-1]", logpdf({"x": FloatDistribution(1e-5, 1e-1, log=True)}, {"x": olr}, {"x": plr}))
# 5. int [0, 10] (discrete: cell masses; only the bandwidth rule changes); 5 is the prior mean
oi = [5, 2, 2, 9, 5, 0]
pi = list(range(11))
show("int [0,10]", logpdf({"k": IntDistribution(0, 10)}, {"k": oi}, {"k": pi}))
# 6. log int [1, 100]: continuous in log space in 3.x
oli = [3, 10, 10, 64]
pli = [1, 3, 4, 10, 57, 100]
show("log int [1,100]", logpdf({"u": IntDistribution(1, 100, log=True)}, {"u": oli}, {"u": pli}))
# 7. multivariate (Scott bandwidth): float x [-5,10], log float y [1e-3, 1], int k [0,10]
mv_space = {"x": FloatDistribution(-5, 10), "y": FloatDistribution(1e-3, 1.0, log=True),
            "k": IntDistribution(0, 10)}
mv_obs = {"x": [-4.1, 0.0, 3.3, 7.7, 1.1], "y": [0.01, 0.5, 0.002, 0.1, 0.03], "k": [1, 4, 4, 10, 7]}
mv_at = {"x": [-4.0, 0.5, 3.0, 9.0], "y": [0.01, 0.3, 0.005, 0.9], "k": [1, 4, 5, 10]}
show("multivariate x, y(log), k", logpdf(mv_space, mv_obs, mv_at, multivariate=True))
