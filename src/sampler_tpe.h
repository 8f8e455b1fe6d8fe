/* sampler_tpe.h - Optuna's TPE sampler ("tpe"): the pieces the tests pin.
 *
 * The sampler itself is reached through hpo_sampler_tpe (sampler.h's table).
 * What follows are its numerical parts, exposed for tests/test_tpe.c only
 * (names end in _impl): truncated-normal tails, Optuna's gamma and weights,
 * the neighbour-gap bandwidth, the below/above split, and one parameter's
 * Parzen estimator as a log-density.
 *
 * Reference: Optuna 4.x `optuna/samplers/_tpe/{sampler,parzen_estimator,
 * _truncnorm}.py`, ../shared/algorithms.md §2.2 (4.9 bandwidth: no prior mean
 * among the neighbours). Where we differ it says so below. With
 * hpo_sampler_opts.compat_optuna3 the estimator is Optuna 3.0-3.4's (pinned
 * against 3.1's own log_pdf: tests/ref/make_tpe_o3_ref.py). */
#ifndef HPO_SAMPLER_TPE_H
#define HPO_SAMPLER_TPE_H

#include "sampler.h"

extern const hpo_sampler_ops hpo_sampler_tpe;

/* log Phi(x), the log of the standard normal CDF; accurate in both tails
 * (erfc in the middle, asymptotic series below -30). */
double hpo_tpe_log_ndtr_impl(double x);
/* log(Phi(b) - Phi(a)) for a <= b, without cancellation in either tail; -inf if a == b. */
double hpo_tpe_log_gauss_mass_impl(double a, double b);
/* Inverse CDF of the standard normal truncated to [a, b] at quantile q in [0, 1]
 * (Optuna's _truncnorm.ppf: left/right case split, log space). */
double hpo_tpe_ppf_impl(double q, double a, double b);
/* log-density at x of N(mu, sigma) truncated to [lo, hi]. */
double hpo_tpe_truncnorm_logpdf_impl(double x, double mu, double sigma, double lo, double hi);

/* exp(y) for -708 <= y <= 0, table + polynomial, a few ulp: the estimator's
 * log-sum-exp uses it for every kernel term. */
double hpo_tpe_exp_impl(double y);

/* Which loops the log-sum-exp runs: 0 scalar, 1 AVX2, 2 AVX-512F (x86-64).
 * isa >= 0 selects (capped at what the CPU has), -1 only asks; returns the
 * previous choice. The default is the best the CPU has; every choice gives
 * bit-identical results (tests compare them). */
int    hpo_tpe_isa_impl(int isa);

/* A TPE state (hpo_sampler_tpe.create's) for tests: ref_sort >= 0 sets how
 * g(x) of a numeric parameter gets its sorted points (1: by sorting the
 * gathered points, the reference; 0: from the sorted columns, the default).
 * Returns log l - log g of the candidate the last TPE suggestion chose. */
double hpo_tpe_probe_impl(void *state, int ref_sort);

/* n_below = min(ceil(0.1 n), 25). */
size_t hpo_tpe_gamma_impl(size_t n);
/* Optuna's default_weights(m) into w (m): ones if m < 25, else a ramp from
 * 1/m to 1 over the oldest m-25 and ones for the newest 25. Not normalised. */
void   hpo_tpe_weights_impl(size_t m, double *w);
/* Univariate bandwidths (4.9 rule): sigma[i] for observation mus[i] on the
 * kernel-space domain [lo, hi]: max gap to the sorted neighbours, endpoints
 * off (the extreme observations use their inner gap when n >= 2), magic clip
 * to [R / min(100, n + 2), R], R = hi - lo. work: (n) scratch. Cost O(n log n). */
void   hpo_tpe_bandwidth_impl(const double *mus, size_t n, double lo, double hi,
                              double *sigma, size_t *work);

/* Labels of the below/above split (Optuna's _split_trials), one per history
 * slot: 0 = not used, 1 = below, 2 = above. The trial numbered `exclude` is
 * not used. RUNNING trials go above when constant_liar, FAIL never count.
 * *n_fin receives the number of COMPLETE + PRUNED trials. Cost O(n). */
void   hpo_tpe_split_impl(const hpo_history *h, int64_t exclude, int constant_liar,
                          unsigned char *label, size_t *n_fin);

/* log of one parameter's Parzen estimator (observations obs (n) in trial
 * order, default weights, prior prior_weight) at each of at (n_at) into out.
 * For discrete distributions this is the log of the kernel mass of the cell;
 * for log distributions it is the density in log space (no Jacobian), as in
 * Optuna. Returns HPO_ENOMEM with out untouched. */
hpo_status hpo_tpe_logpdf_impl(const hpo_dist *d, const hpo_pval *obs, size_t n, double prior_weight,
                               const hpo_pval *at, size_t n_at, double *out);
/* The same for nd parameters d (nd): nd == 1 the univariate estimator, nd > 1
 * the joint (multivariate) one; obs (n, nd) and at (n_at, nd) trial-major.
 * o3: compat_optuna3's rules (Optuna 3.0-3.4). */
hpo_status hpo_tpe_logpdf_joint_impl(const hpo_dist *const *d, size_t nd, const hpo_pval *obs, size_t n,
                                     double prior_weight, int o3, const hpo_pval *at, size_t n_at,
                                     double *out);

#endif
