#!/usr/bin/python3
"""Reference numbers for tests/test_tpe.c, computed independently of mpihpo
with mpmath (50 digits) and scipy. Run: /usr/bin/python3 tests/ref/make_tpe_ref.py"""
import math
import mpmath as mp
from scipy.stats import norm
mp.mp.dps = 50

def Phi(x): return mp.ncdf(mp.mpf(x))
def log_ndtr(x): return mp.log(Phi(x))
def log_mass(a, b):
    if a > 0: a, b = -b, -a          # mirror: no cancellation near 1
    return mp.log(Phi(b) - Phi(a))
def tn_logpdf(x, mu, s, lo, hi):
    x, mu, s = mp.mpf(x), mp.mpf(mu), mp.mpf(s)
    z = (x - mu) / s
    return -z*z/2 - mp.log(s) - mp.log(mp.sqrt(2*mp.pi)) - log_mass((lo-mu)/s, (hi-mu)/s)
def ppf(q, a, b):
    a, b, q = mp.mpf(a), mp.mpf(b), mp.mpf(q)
    if a > 0: return -ppf(1 - q, -b, -a)
    target = Phi(a) + q*(Phi(b)-Phi(a))
    if target < mp.mpf('1e-300') or a < -8:
        # solve in log space
        lt = mp.log(Phi(a)) + mp.log1p(q*(Phi(b)-Phi(a))/Phi(a)) if Phi(a) > 0 else None
        return mp.findroot(lambda x: mp.log(Phi(x)) - lt, (a + b)/2 if b - a < 5 else a + 0.1)
    return mp.findroot(lambda x: Phi(x) - target, (a+b)/2)

print("/* log_ndtr */")
for x in [-40, -31, -29, -10, -3, -0.5, 0, 2, 7, 12]:
    print(f"{{{x!r}, {mp.nstr(log_ndtr(x), 20)}}},")
print("/* log_gauss_mass */")
for a, b in [(-1, 1), (-40, -39), (-12, -11.5), (5, 6), (30, 31), (-0.1, 0.2), (-50, 50), (2, 2.001)]:
    print(f"{{{a!r}, {b!r}, {mp.nstr(log_mass(a, b), 20)}}},")
print("/* ppf */")
for q, a, b in [(0.5, -1, 1), (0.1, -2, 3), (0.9, 0.5, 4), (0.3, -40, -38), (0.7, 20, 25), (0.01, -3, -2), (0.999, -1, 0.5)]:
    print(f"{{{q!r}, {a!r}, {b!r}, {mp.nstr(ppf(q, a, b), 20)}}},")
print("/* truncnorm logpdf (x, mu, sigma, lo, hi) */")
for x, mu, s, lo, hi in [(0.3, 0.5, 0.2, 0, 1), (0.95, 0.1, 0.05, 0, 1), (-4.0, 2.0, 1.0, -5, 5)]:
    print(f"{{{x!r}, {mu!r}, {s!r}, {lo!r}, {hi!r}, {mp.nstr(tn_logpdf(x, mu, s, lo, hi), 20)}}},")

# --- estimators by hand: mixture of truncated normals, prior at mid with sigma R
def mix_cont(mus, sig, w, x, lo, hi):
    tot = sum(w)
    return mp.log(sum(mp.mpf(wi)/tot * mp.e**tn_logpdf(x, m, s, lo, hi) for m, s, wi in zip(mus, sig, w)))
print("/* float [0,1], obs 0.2 0.5 0.55 0.9: sigmas .3 .3 .35 .35, prior .5/1 */")
mus = [0.2, 0.5, 0.55, 0.9, 0.5]; sig = [0.3, 0.3, 0.35, 0.35, 1.0]; w = [1]*5
for x in [0.3, 0.7, 0.01]:
    print(f"{{{x!r}, {mp.nstr(mix_cont(mus, sig, w, x, 0, 1), 20)}}},")
def mix_disc(mus, sig, w, cl, ch, lo, hi):
    tot = sum(w)
    return mp.log(sum(mp.mpf(wi)/tot * (Phi((ch-m)/s) - Phi((cl-m)/s)) / (Phi((hi-m)/s) - Phi((lo-m)/s))
                      for m, s, wi in zip(mus, sig, w)))
print("/* int [1,5], obs 2 2 4: domain [.5,5.5], sigmas 1 2 2, prior 3/5 */")
mus = [2, 2, 4, 3]; sig = [1, 2, 2, 5]; w = [1]*4
for v in range(1, 6):
    print(f"{{{v}, {mp.nstr(mix_disc(mus, sig, w, v-0.5, v+0.5, 0.5, 5.5), 20)}}},")
print("/* int [1,100] log, obs 3 10: log domain [log .5, log 100.5] */")
lo, hi = mp.log(0.5), mp.log(100.5); R = hi - lo
m1, m2 = mp.log(3), mp.log(10)
s1 = s2 = m2 - m1   # two obs: inner gap each
smin = R / 4        # n=2: 1 + (2 + prior) = 4
s1 = max(s1, smin); s2 = max(s2, smin)
mus = [m1, m2, (lo+hi)/2]; sig = [s1, s2, R]; w = [1]*3
for v in [1, 3, 4, 10, 57, 100]:
    print(f"{{{v}, {mp.nstr(mix_disc(mus, sig, w, mp.log(v-0.5), mp.log(v+0.5), lo, hi), 20)}}},")
