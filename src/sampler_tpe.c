/* sampler_tpe.c - the Tree-structured Parzen Estimator sampler ("tpe"),
 * Optuna 4.x behaviour and defaults (../shared/algorithms.md §2.2).
 *
 * For each parameter (univariate) or each joint space (multivariate/group):
 *   1. fewer than startup_trials COMPLETE+PRUNED trials -> uniform draw;
 *   2. split the COMPLETE+PRUNED trials (+ RUNNING ones under constant liar,
 *      always "above") into below = the best gamma(n) and above = the rest;
 *   3. one Parzen estimator each, l(x) over below and g(x) over above, from the
 *      trials that hold every parameter being sampled with the same
 *      distribution: a truncated normal (or categorical) kernel per trial plus
 *      a prior kernel, default (linear forgetting) weights;
 *   4. draw ei_candidates points from l, return the one maximising
 *      log l(x) - log g(x).
 *
 * Kernel space: log parameters live in log space; discrete ones (int, float
 * with step) on the domain widened by half a step, a value scoring the
 * kernel's mass over its cell; log-int parameters have proper discrete
 * kernels in log space (cells [log(v - 1/2), log(v + 1/2)], Optuna >= 4.7).
 *
 * Deliberate differences from Optuna, none changing the distribution:
 *   - univariate kernels with the same (mean, bandwidth) are merged (weights
 *     added), and categorical ones by observed choice. This is exact and makes
 *     an int or categorical parameter cost O(distinct values), not O(trials);
 *   - our RNG stream differs from numpy's, so draws agree only in law;
 *   - ties among equal values in the bandwidth sort go by trial number;
 *   - multivariate bandwidth is the 4.x Scott-like rule
 *     0.2 n^(-1/(d+4)) R per dimension (Optuna 5.0 uses the univariate rule).
 *
 * compat_optuna3 (study file: compat: optuna3) gives Optuna 3.0-3.4's Parzen
 * estimator, the one of Debian's python3-optuna 3.1 (the peer benchmark):
 * the prior mean is one of the neighbours for the univariate bandwidth
 * (removed in 4.9; placed after observations equal to it), continuous
 * kernels lack the -log(sigma) term (_truncnorm.logpdf, optuna#5109, fixed in
 * 3.5; univariate and multivariate), and log int parameters have continuous
 * kernels in log space (<= 4.6), scored at the log of the rounded value.
 * It reproduces 3.1's _ParzenEstimator.log_pdf to 1e-10 (tests/ref/
 * make_tpe_o3_ref.py); off by default: the spec is current Optuna.
 *
 * State and cost. The state folds each trial in once, when it is first seen
 * COMPLETE/PRUNED/FAIL: per (parameter name, distribution) a column of
 * (trial number, kernel-space value) in trial order, per trial its rank keys,
 * and the best 25 COMPLETE and PRUNED trials. It assumes one study's history:
 * trials are appended in number order (a RUNNING last trial may be withdrawn),
 * move only from RUNNING to a final state, and a final trial never changes.
 * On the whole history a call looks only at new slots and at the trials last
 * seen RUNNING (O(new + running)); a filtered view (hyperband's bracket)
 * reads every record's state, O(n). No record walk or name compare per
 * observation. A numeric column also keeps its entries sorted by value
 * (O(column) memmove per new trial), so the bandwidths of g(x) need no sort.
 * Per suggestion then: O(m) to gather a column's m observations below/above
 * (liars merged in by number) and to walk its sorted order, O(ei_candidates
 * x kernels) to score, kernels <= m + 1 (<= 3 x values for a discrete
 * parameter). The log-sum-exp uses fast_exp (a few ulp; results are
 * deterministic but not bit-identical to libm's exp), skips terms below
 * e^-40 of the largest, and runs 4 or 8 lanes at a time with AVX2 or
 * AVX-512 where the CPU has them, with the same bits as the scalar loop
 * (a kernel term costs ~2.5 ns scalar, 1.3 AVX2, 0.6 AVX-512 on the project's
 * machine). No allocation in the hot path once the buffers (kept in the
 * state) have grown to the history's size. */
#include "sampler_tpe.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define TPE_X86 1
#include <immintrin.h>
#else
#define TPE_X86 0
#endif

#define LOG_SQRT_2PI 0.91893853320467274178
#define SQRT1_2      0.70710678118654752440
#define LN_HALF     (-0.69314718055994530942)

/* ==== truncated normal, in log space ===================================== */

double hpo_tpe_log_ndtr_impl(double x)
{
    if (x > 6.0) return log1p(-0.5 * erfc(x * SQRT1_2));        /* 1 - tiny */
    if (x > -30.0) return log(0.5 * erfc(-x * SQRT1_2));
    /* Phi(x) = phi(x)/(-x) * (1 - 1/x^2 + 3/x^4 - 15/x^6 + ...), x <= -30 */
    double x2 = x * x, s = 1.0, term = 1.0;
    for (int k = 1; k < 10; k++) { term *= -(2.0 * k - 1.0) / x2; s += term; }
    return -0.5 * x2 - log(-x) - LOG_SQRT_2PI + log(s);
}

/* log(1 - exp(d)) for d <= 0, accurate near 0 and far below it. */
static double log1mexp(double d)
{
    return d > LN_HALF ? log(-expm1(d)) : log1p(-exp(d));
}

double hpo_tpe_log_gauss_mass_impl(double a, double b)
{
    if (!(a < b)) return -INFINITY;
    if (b <= 0.0) {                           /* both in the left tail */
        double lb = hpo_tpe_log_ndtr_impl(b);
        return lb + log1mexp(hpo_tpe_log_ndtr_impl(a) - lb);
    }
    if (a >= 0.0) {                           /* both in the right tail: mirror */
        double la = hpo_tpe_log_ndtr_impl(-a);
        return la + log1mexp(hpo_tpe_log_ndtr_impl(-b) - la);
    }
    /* a < 0 < b: 1 - Phi(a) - Phi(-b); each erfc term only when it matters
     * (neither, for most kernels: log1p(-0.0) is -0.0, returned directly) */
    if (a < -9.0 && b > 9.0) return -0.0;
    double pa = a < -9.0 ? 0.0 : 0.5 * erfc(-a * SQRT1_2);
    double pb = b > 9.0 ? 0.0 : 0.5 * erfc(b * SQRT1_2);
    return log1p(-pa - pb);
}

static double logaddexp(double x, double y)
{
    if (x == -INFINITY) return y;
    if (y == -INFINITY) return x;
    double m = x > y ? x : y;
    return m + log1p(exp(-fabs(x - y)));
}

/* x with log Phi(x) = y for y <= log(1/2): Acklam's rational guess (its
 * lower-tail branch takes sqrt(-2 log p) directly, so no exp underflow),
 * then Newton on log Phi, which is concave: convergence is monotone. */
static double ndtri_exp_low(double y)
{
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                3.754408661907416e+00};
    double x;
    if (y < -3.719339) {                                  /* p < 0.02425 */
        double q = sqrt(-2.0 * y);
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else {
        double q = exp(y) - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    for (int it = 0; it < 8; it++) {
        double lp = hpo_tpe_log_ndtr_impl(x);
        double f = lp - y;
        double dx = f / exp(-0.5 * x * x - LOG_SQRT_2PI - lp);   /* f / (phi/Phi) */
        x -= dx;
        if (fabs(dx) <= 1e-15 * fmax(1.0, fabs(x))) break;
    }
    return x;
}

/* x with log Phi(x) = y, any y <= 0. */
static double ndtri_exp(double y)
{
    if (y <= LN_HALF) return ndtri_exp_low(y);
    return -ndtri_exp_low(log(-expm1(y)));                /* Phi(-x) = 1 - p, exact */
}

double hpo_tpe_ppf_impl(double q, double a, double b)
{
    double lm = hpo_tpe_log_gauss_mass_impl(a, b), x;
    if (lm == -INFINITY) return a;
    if (a < 0.0) {
        x = ndtri_exp(logaddexp(hpo_tpe_log_ndtr_impl(a), log(q) + lm));
    } else {
        x = -ndtri_exp(logaddexp(hpo_tpe_log_ndtr_impl(-b), log1p(-q) + lm));
    }
    if (!(x >= a)) x = a;      /* also nan */
    if (x > b) x = b;
    return x;
}

double hpo_tpe_truncnorm_logpdf_impl(double x, double mu, double sigma, double lo, double hi)
{
    if (x < lo || x > hi) return -INFINITY;
    double z = (x - mu) / sigma;
    return -0.5 * z * z - LOG_SQRT_2PI - log(sigma)
           - hpo_tpe_log_gauss_mass_impl((lo - mu) / sigma, (hi - mu) / sigma);
}

/* ==== gamma, weights, bandwidth ========================================== */

size_t hpo_tpe_gamma_impl(size_t n)
{
    size_t b = (n + 9) / 10;           /* ceil(0.1 n), exact */
    return b < 25 ? b : 25;
}

void hpo_tpe_weights_impl(size_t m, double *w)
{
    if (m < 25) { for (size_t i = 0; i < m; i++) w[i] = 1.0; return; }
    size_t nr = m - 25;                /* np.linspace(1/m, 1, num=nr) */
    double start = 1.0 / (double)m;
    if (nr == 1) w[0] = start;
    else if (nr > 1) {
        double step = (1.0 - start) / (double)(nr - 1);
        for (size_t i = 0; i < nr; i++) w[i] = start + (double)i * step;
        w[nr - 1] = 1.0;
    }
    for (size_t i = nr; i < m; i++) w[i] = 1.0;
}

typedef struct kv { uint64_t key; double v; size_t i; } kv;

/* An order-preserving integer image of a double (no NaN here). */
static uint64_t dkey(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : (u | 0x8000000000000000ULL);
}

/* Stable LSD radix sort of kvs (n) by v, 8 bits a pass; passes where every
 * key shares the byte are skipped. Equal values keep their input (trial)
 * order. tmp: (n) scratch. Cost O(8 (n + 256)); n <= 32: insertion sort. */
static void kv_sort(kv *kvs, kv *tmp, size_t n)
{
    for (size_t i = 0; i < n; i++) kvs[i].key = dkey(kvs[i].v);
    if (n <= 32) {                   /* few (the below group): insertion, as stable */
        for (size_t i = 1; i < n; i++) {
            kv t = kvs[i];
            size_t j = i;
            while (j > 0 && kvs[j - 1].key > t.key) { kvs[j] = kvs[j - 1]; j--; }
            kvs[j] = t;
        }
        return;
    }
    kv *src = kvs, *dst = tmp;
    for (unsigned sh = 0; sh < 64; sh += 8) {
        size_t cnt[256] = {0};
        for (size_t i = 0; i < n; i++) cnt[(src[i].key >> sh) & 255]++;
        if (n == 0 || cnt[(src[0].key >> sh) & 255] == n) continue;
        size_t pos = 0;
        for (int b = 0; b < 256; b++) { size_t c = cnt[b]; cnt[b] = pos; pos += c; }
        for (size_t i = 0; i < n; i++) dst[cnt[(src[i].key >> sh) & 255]++] = src[i];
        kv *t = src; src = dst; dst = t;
    }
    if (src != kvs) memcpy(kvs, src, n * sizeof *kvs);
}

/* Bandwidths of the n means kvs (n), sorted by value: sig[r] belongs to
 * kvs[r]. Clip to [R/min(100,n+2), R]. o3 (Optuna 3.0-4.8): the prior mean
 * (lo+hi)/2 is one of the neighbours, placed after means equal to it (as
 * numpy's argsort puts the prior, the last entry, for small arrays). */
static void bandwidth_sorted(const kv *kvs, size_t n, double lo, double hi, int o3, double *sig)
{
    double R = hi - lo;
    if (o3) {
        /* the combined list: kvs[0..p), pm, kvs[p..n); n + 1 >= 2 entries, so
         * both ends use their inner gap */
        double pm = 0.5 * (lo + hi);
        size_t p = 0;
        while (p < n && kvs[p].v <= pm) p++;
        for (size_t r = 0; r < n; r++) {
            double v = kvs[r].v;
            double left = r > 0 ? (r == p ? v - pm : v - kvs[r - 1].v) : (p == 0 ? v - pm : -INFINITY);
            double right = r + 1 < n ? (r + 1 == p ? pm - v : kvs[r + 1].v - v) : (p == n ? pm - v : -INFINITY);
            sig[r] = left > right ? left : right;     /* no NaN here: fmax without the call */
        }
    } else if (n == 1) {
        sig[0] = fmax(kvs[0].v - lo, hi - kvs[0].v);
    } else {
        for (size_t r = 0; r < n; r++) {
            double left = r > 0 ? kvs[r].v - kvs[r - 1].v : -INFINITY;
            double right = r + 1 < n ? kvs[r + 1].v - kvs[r].v : -INFINITY;
            sig[r] = left > right ? left : right;   /* ends: the inner gap only (endpoints off) */
        }
    }
    double kmax = (double)n + 2.0;       /* 1 + kernels, kernels = n + prior */
    double smin = R / (kmax < 100.0 ? kmax : 100.0);
    for (size_t r = 0; r < n; r++) {
        if (!(sig[r] >= smin)) sig[r] = smin;
        if (sig[r] > R) sig[r] = R;
    }
}

void hpo_tpe_bandwidth_impl(const double *mus, size_t n, double lo, double hi,
                            double *sigma, size_t *work)
{
    /* Test entry point: allocates its own pairs (the sampler reuses its scratch). */
    kv *kvs = hpo_malloc((n ? 2 * n : 1) * sizeof *kvs);
    double *s = hpo_malloc((n ? n : 1) * sizeof *s);
    if (!kvs || !s) { hpo_free(kvs); hpo_free(s); return; }
    for (size_t i = 0; i < n; i++) { kvs[i].v = mus[i]; kvs[i].i = i; }
    kv_sort(kvs, kvs + n, n);
    bandwidth_sorted(kvs, n, lo, hi, 0, s);
    for (size_t r = 0; r < n; r++) { sigma[kvs[r].i] = s[r]; if (work) work[r] = kvs[r].i; }
    hpo_free(kvs);
    hpo_free(s);
}

/* ==== the below/above split ============================================== */

/* slot: history slot (split_impl) or trial number (the sampler's state) */
typedef struct rank_key { double k1, k2; int64_t number; size_t slot; } rank_key;

static int key_less(const rank_key *a, const rank_key *b)
{
    if (a->k1 != b->k1) return a->k1 < b->k1;
    if (a->k2 != b->k2) return a->k2 < b->k2;
    return a->number < b->number;
}

/* Keep the `cap` smallest keys in top (sorted), by insertion. O(n cap) worst,
 * O(n) typically (most keys are rejected by one comparison). */
static void top_insert(rank_key *top, size_t *nt, size_t cap, const rank_key *k)
{
    if (cap == 0) return;
    if (*nt == cap && !key_less(k, &top[cap - 1])) return;
    size_t j = *nt < cap ? (*nt)++ : cap - 1;
    while (j > 0 && key_less(k, &top[j - 1])) { top[j] = top[j - 1]; j--; }
    top[j] = *k;
}

void hpo_tpe_split_impl(const hpo_history *h, int64_t exclude, int constant_liar,
                        unsigned char *label, size_t *n_fin)
{
    size_t n = 0, n_complete = 0;
    for (size_t i = 0; i < h->n; i++) {
        const hpo_trial_rec *r = h->trials[i];
        label[i] = 0;
        if (r->number == exclude) continue;
        if (r->state == HPO_COMPLETE || r->state == HPO_PRUNED) {
            label[i] = 2; n++;
            if (r->state == HPO_COMPLETE) n_complete++;
        } else if (r->state == HPO_RUNNING && constant_liar) {
            label[i] = 2;
        }
    }
    *n_fin = n;
    size_t nb = hpo_tpe_gamma_impl(n), nt = 0;
    rank_key top[25];
    int maxi = h->direction == HPO_MAXIMIZE;
    /* completes by value, best first; NaN last; ties by trial number (stable sort) */
    for (size_t i = 0; i < h->n; i++) {
        const hpo_trial_rec *r = h->trials[i];
        if (label[i] != 2 || r->state != HPO_COMPLETE) continue;
        rank_key k = { isnan(r->value) ? 1.0 : 0.0, isnan(r->value) ? 0.0 : (maxi ? -r->value : r->value),
                       r->number, i };
        top_insert(top, &nt, nb, &k);
    }
    for (size_t j = 0; j < nt; j++) label[top[j].slot] = 1;
    if (nt < nb && n_complete < n) {
        /* fill from pruned trials: deepest step first, then the value at that
         * step (direction-aware, NaN last); never-reported ones after all */
        size_t need = nb - nt, np = 0;
        rank_key ptop[25];
        for (size_t i = 0; i < h->n; i++) {
            const hpo_trial_rec *r = h->trials[i];
            if (label[i] != 2 || r->state != HPO_PRUNED) continue;
            rank_key k = { 1.0, 0.0, r->number, i };
            if (r->n_inter > 0) {
                size_t best = 0;
                for (size_t j = 1; j < r->n_inter; j++) if (r->steps[j] > r->steps[best]) best = j;
                double v = r->inter[best];
                k.k1 = -(double)r->steps[best];
                k.k2 = isnan(v) ? INFINITY : (maxi ? -v : v);
            }
            top_insert(ptop, &np, need, &k);
        }
        for (size_t j = 0; j < np; j++) label[ptop[j].slot] = 1;
    }
}

/* ==== Parzen estimators ================================================== */

enum { DIM_CONT = 0, DIM_DISC, DIM_CAT };

/* One parameter of the space being sampled, in kernel space. */
typedef struct tpe_dim {
    const hpo_dist *d;
    int    kind;
    int    logint;       /* log int: DIM_DISC, cells in log space; DIM_CONT (o3), a
                            continuous kernel scored at the drawn value's log */
    int    o3;           /* Optuna 3.0-3.4 rules (compat_optuna3): the prior mean
                            among the bandwidth neighbours, continuous kernels
                            without -log sigma, log int continuous */
    double lo, hi, R;    /* kernel-space domain (widened by step/2 if discrete, log if log) */
    double step;         /* linear discrete: the cell width; else 0 */
    size_t C;            /* categorical: number of choices */
} tpe_dim;

static void dim_init(tpe_dim *m, const hpo_dist *d, int o3)
{
    memset(m, 0, sizeof *m);
    m->d = d;
    m->o3 = o3;
    switch (d->kind) {
    case HPO_DIST_CAT:
        m->kind = DIM_CAT; m->C = d->n_choices;
        break;
    case HPO_DIST_INT:
        m->kind = o3 && d->log ? DIM_CONT : DIM_DISC;   /* <= 4.6: log int continuous */
        if (d->log) {
            m->logint = 1;
            m->lo = log((double)d->ilo - 0.5); m->hi = log((double)d->ihi + 0.5);
        } else {
            m->step = (double)d->istep;
            m->lo = (double)d->ilo - 0.5 * m->step; m->hi = (double)d->ihi + 0.5 * m->step;
        }
        break;
    case HPO_DIST_FLOAT:
        if (d->fstep > 0) {
            m->kind = DIM_DISC; m->step = d->fstep;
            m->lo = d->flo - 0.5 * m->step; m->hi = d->fhi + 0.5 * m->step;
        } else {
            m->kind = DIM_CONT;
            m->lo = d->log ? log(d->flo) : d->flo; m->hi = d->log ? log(d->fhi) : d->fhi;
        }
        break;
    }
    m->R = m->hi - m->lo;
}

/* A value's place in kernel space: the point x, and for discrete its cell. */
static void dim_point(const tpe_dim *m, hpo_pval v, double *x, double *cl, double *ch)
{
    if (m->kind == DIM_CAT) { *x = (double)v.i; *cl = *ch = *x; return; }
    *x = hpo_dist_to_internal(m->d, v);
    if (m->kind != DIM_DISC) { *cl = *ch = *x; return; }
    if (m->logint) {
        *cl = log((double)v.i - 0.5); *ch = log((double)v.i + 0.5);
    } else {
        *cl = *x - 0.5 * m->step; *ch = *x + 0.5 * m->step;
    }
    if (*cl < m->lo) *cl = m->lo;
    if (*ch > m->hi) *ch = m->hi;
}

/* A mixture of K product kernels over d dims. Arrays are dim-major: [a*cap + k]. */
typedef struct tpe_est {
    size_t K, cap, capd;
    double *logw;     /* (K) log mixture weights, normalised */
    double *cw;       /* (K) cumulative probabilities, for drawing a component */
    double *mu;       /* (d, K) means; categorical: observed index, -1 for the prior */
    double *isig;     /* (d, K) 1/sigma; sigma itself is 1/isig */
    double *c;        /* (d, K) continuous: -log sigma - log sqrt(2 pi) - log Z;
                         discrete: -log Z (Z = kernel mass on the domain) */
    double *catc;     /* (d, 3) categorical log-probabilities: hit, miss, prior */
    double *lwc;      /* (K) univariate continuous: logw + c, the kernel's whole constant */
} tpe_est;

static void est_free(tpe_est *e)
{
    hpo_free(e->logw); hpo_free(e->cw); hpo_free(e->mu); hpo_free(e->isig);
    hpo_free(e->c); hpo_free(e->catc); hpo_free(e->lwc);
    memset(e, 0, sizeof *e);
}

static hpo_status est_reserve(tpe_est *e, size_t K, size_t d)
{
    if (K <= e->cap && d <= e->capd) return HPO_OK;
    size_t cap = K > e->cap ? (K > 2 * e->cap ? K : 2 * e->cap) : e->cap;
    size_t capd = d > e->capd ? d : e->capd;
    double *p[6] = { hpo_malloc(cap * sizeof(double)), hpo_malloc(cap * sizeof(double)),
                     hpo_malloc(cap * capd * sizeof(double)), hpo_malloc(cap * capd * sizeof(double)),
                     hpo_malloc(cap * capd * sizeof(double)), hpo_malloc(cap * sizeof(double)) };
    double *cc = hpo_malloc(3 * capd * sizeof(double));
    if (!p[0] || !p[1] || !p[2] || !p[3] || !p[4] || !p[5] || !cc) {
        for (int i = 0; i < 6; i++) hpo_free(p[i]);
        hpo_free(cc);
        HPO_FAIL(HPO_ENOMEM, "out of memory for a Parzen estimator of %zu kernels", K);
    }
    est_free(e);
    e->logw = p[0]; e->cw = p[1]; e->mu = p[2]; e->isig = p[3]; e->c = p[4]; e->lwc = p[5]; e->catc = cc;
    e->cap = cap; e->capd = capd;
    return HPO_OK;
}

/* Scratch the estimator builder needs: n observations. */
typedef struct tpe_scratch {
    size_t cap;
    double *w;        /* (n) weights */
    double *sig;      /* (n) sorted-order bandwidths */
    double *acc;      /* (n) categorical weight per choice / merge accumulator */
    kv     *kvs;      /* (2n) sort pairs and the radix sort's scratch */
} tpe_scratch;

static void scratch_free(tpe_scratch *s)
{
    hpo_free(s->w); hpo_free(s->sig); hpo_free(s->acc); hpo_free(s->kvs);
    memset(s, 0, sizeof *s);
}

static hpo_status scratch_reserve(tpe_scratch *s, size_t n)
{
    if (n <= s->cap) return HPO_OK;
    size_t cap = n > 2 * s->cap ? n : 2 * s->cap;
    double *w = hpo_malloc(cap * sizeof *w), *sig = hpo_malloc(cap * sizeof *sig);
    double *acc = hpo_malloc(cap * sizeof *acc);
    kv *kvs = hpo_malloc(2 * cap * sizeof *kvs);
    if (!w || !sig || !acc || !kvs) {
        hpo_free(w); hpo_free(sig); hpo_free(acc); hpo_free(kvs);
        HPO_FAIL(HPO_ENOMEM, "out of memory for TPE scratch of %zu observations", n);
    }
    scratch_free(s);
    s->w = w; s->sig = sig; s->acc = acc; s->kvs = kvs; s->cap = cap;
    return HPO_OK;
}

/* The last bandwidth kern_set saw, its log and inverse: many kernels share
 * one (the magic clip's lower bound), and log is a good part of a build. */
typedef struct sig_cache { double sigma, lg, inv; } sig_cache;
#define SIG_CACHE_INIT { NAN, 0.0, 0.0 }

/* Set kernel (a, k) of a numeric dim: mean mu, bandwidth sigma. */
static void kern_set(tpe_est *e, const tpe_dim *m, size_t a, size_t k, double mu, double sigma,
                     sig_cache *sc)
{
    size_t j = a * e->cap + k;
    if (!(sigma == sc->sigma)) { sc->sigma = sigma; sc->lg = log(sigma); sc->inv = 1.0 / sigma; }
    double lz = hpo_tpe_log_gauss_mass_impl((m->lo - mu) / sigma, (m->hi - mu) / sigma);
    e->mu[j] = mu;
    e->isig[j] = sc->inv;
    /* o3: Optuna 3.0-3.4's _truncnorm.logpdf lacks -log(scale) (optuna#5109) */
    e->c[j] = m->kind != DIM_CONT ? -lz : m->o3 ? -LOG_SQRT_2PI - lz : -sc->lg - LOG_SQRT_2PI - lz;
}

static void cat_consts(tpe_est *e, const tpe_dim *m, size_t a, size_t n, double pw)
{
    double C = (double)m->C;
    if (n == 0) { e->catc[3 * a] = e->catc[3 * a + 1] = e->catc[3 * a + 2] = -log(C); return; }
    double nk = (double)n + 1.0, base = pw / nk, tot = 1.0 + C * base;
    e->catc[3 * a + 0] = log((1.0 + base) / tot);    /* observed choice */
    e->catc[3 * a + 1] = log(base / tot);            /* any other choice */
    e->catc[3 * a + 2] = -log(C);                    /* the prior kernel */
}

/* log of a kernel weight; most are 1 (the newest 25) */
static double logw_of(double w) { return w == 1.0 ? 0.0 : log(w); }

/* Build the estimator from n observations X (n, d) (trial-major, kernel-space
 * points; categorical: the index) in trial order. Univariate (d == 1): the
 * neighbour-gap bandwidth and kernel merging. Joint (d > 1): Scott-like
 * bandwidth per dim. sorted (univariate numeric only): X is not read, s->kvs
 * (n) already holds the points sorted by (value, trial number), .i their
 * rank in trial order (the caller reserved the scratch for n + 1). */
static hpo_status est_build(tpe_est *e, tpe_scratch *s, const tpe_dim *dims, size_t d,
                            const double *X, size_t n, double pw, int need_cw, int sorted)
{
    HPO_TRY(est_reserve(e, n + 1, d));
    HPO_TRY(scratch_reserve(s, n + 1));
    hpo_tpe_weights_impl(n, s->w);
    double W = 1.0;
    if (n > 0) { W = pw; for (size_t i = 0; i < n; i++) W += s->w[i]; }
    else pw = 1.0;
    double logW = log(W);
    size_t K = 0;
    if (d == 1) {
        const tpe_dim *m = &dims[0];
        if (m->kind == DIM_CAT) {
            /* acc has room for n+1 weights; with more choices than that,
             * equal observations are merged through a sort instead. */
            if (m->C <= n + 1) {
                for (size_t c = 0; c < m->C; c++) s->acc[c] = 0.0;
                for (size_t i = 0; i < n; i++) s->acc[(size_t)X[i]] += s->w[i];
                for (size_t c = 0; c < m->C; c++) {
                    if (s->acc[c] <= 0) continue;
                    e->mu[K] = (double)c; e->logw[K] = log(s->acc[c]) - logW; K++;
                }
            } else {
                for (size_t i = 0; i < n; i++) { s->kvs[i].v = X[i]; s->kvs[i].i = i; }
                kv_sort(s->kvs, s->kvs + n, n);
                for (size_t r = 0; r < n; r++) {
                    double wsum = s->w[s->kvs[r].i];
                    while (r + 1 < n && s->kvs[r + 1].v == s->kvs[r].v) wsum += s->w[s->kvs[++r].i];
                    e->mu[K] = s->kvs[r].v; e->logw[K] = log(wsum) - logW; K++;
                }
            }
            e->mu[K] = -1.0; e->logw[K] = log(pw) - logW; K++;
            cat_consts(e, m, 0, n, pw);
        } else {
            if (!sorted) {
                for (size_t i = 0; i < n; i++) { s->kvs[i].v = X[i]; s->kvs[i].i = i; }
                kv_sort(s->kvs, s->kvs + n, n);
            }
            if (n > 0) bandwidth_sorted(s->kvs, n, m->lo, m->hi, m->o3, s->sig);
            sig_cache sc = SIG_CACHE_INIT;
            for (size_t r = 0; r < n; r++) {
                double mu = s->kvs[r].v, sg = s->sig[r], wsum = s->w[s->kvs[r].i];
                while (r + 1 < n && s->kvs[r + 1].v == mu && s->sig[r + 1] == sg) wsum += s->w[s->kvs[++r].i];
                kern_set(e, m, 0, K, mu, sg, &sc);
                e->logw[K] = logw_of(wsum) - logW; K++;
            }
            kern_set(e, m, 0, K, 0.5 * (m->lo + m->hi), m->R, &sc);
            e->logw[K] = log(pw) - logW; K++;
            if (m->kind == DIM_CONT)
                for (size_t k = 0; k < K; k++) e->lwc[k] = e->logw[k] + e->c[k];
        }
    } else {
        double scott = 0.2 * pow(n > 1 ? (double)n : 1.0, -1.0 / ((double)d + 4.0));
        double kmax = (double)n + 2.0;
        for (size_t a = 0; a < d; a++) {
            const tpe_dim *m = &dims[a];
            if (m->kind == DIM_CAT) {
                for (size_t i = 0; i < n; i++) e->mu[a * e->cap + i] = X[i * d + a];
                e->mu[a * e->cap + n] = -1.0;
                cat_consts(e, m, a, n, pw);
                continue;
            }
            double sg = scott * m->R, smin = m->R / (kmax < 100.0 ? kmax : 100.0);
            if (sg < smin) sg = smin;
            if (sg > m->R) sg = m->R;
            sig_cache sc = SIG_CACHE_INIT;
            for (size_t i = 0; i < n; i++) kern_set(e, m, a, i, X[i * d + a], sg, &sc);
            kern_set(e, m, a, n, 0.5 * (m->lo + m->hi), m->R, &sc);
        }
        for (size_t i = 0; i < n; i++) e->logw[i] = logw_of(s->w[i]) - logW;
        e->logw[n] = log(pw) - logW;
        K = n + 1;
    }
    e->K = K;
    if (!need_cw) return HPO_OK;          /* g(x) is never drawn from */
    double acc = 0.0;
    for (size_t k = 0; k < K; k++) { acc += exp(e->logw[k]); e->cw[k] = acc; }
    for (size_t k = 0; k < K; k++) e->cw[k] /= acc;
    e->cw[K - 1] = 1.0;
    return HPO_OK;
}

/* exp(y) for -708 <= y <= 0 (the log-sum-exp's terms), without branches or
 * a libm call: y = (k/32) ln 2 + r, |r| <= ln2/64, exp(y) = 2^(k>>5)
 * 2^((k&31)/32) (1 + r + ... + r^6/6!). Truncation < 4e-18; relative error
 * of the result a few ulp (tests: < 5e-16 against exp). Deterministic. */
static const double exp2_32[32] = {
    0x1.0000000000000p+0, 0x1.059b0d3158574p+0, 0x1.0b5586cf9890fp+0, 0x1.11301d0125b51p+0,
    0x1.172b83c7d517bp+0, 0x1.1d4873168b9aap+0, 0x1.2387a6e756238p+0, 0x1.29e9df51fdee1p+0,
    0x1.306fe0a31b715p+0, 0x1.371a7373aa9cbp+0, 0x1.3dea64c123422p+0, 0x1.44e086061892dp+0,
    0x1.4bfdad5362a27p+0, 0x1.5342b569d4f82p+0, 0x1.5ab07dd485429p+0, 0x1.6247eb03a5585p+0,
    0x1.6a09e667f3bcdp+0, 0x1.71f75e8ec5f74p+0, 0x1.7a11473eb0187p+0, 0x1.82589994cce13p+0,
    0x1.8ace5422aa0dbp+0, 0x1.93737b0cdc5e5p+0, 0x1.9c49182a3f090p+0, 0x1.a5503b23e255dp+0,
    0x1.ae89f995ad3adp+0, 0x1.b7f76f2fb5e47p+0, 0x1.c199bdd85529cp+0, 0x1.cb720dcef9069p+0,
    0x1.d5818dcfba487p+0, 0x1.dfc97337b9b5fp+0, 0x1.ea4afa2a490dap+0, 0x1.f50765b6e4540p+0,
};

static inline double fast_exp(double y)
{
    const double shift = 0x1.8p52, inv = 0x1.71547652b82fep+5;       /* 32 / ln 2 */
    const double hi = 0x1.62e42fee00000p-6, lo = 0x1.a39ef35793c76p-38; /* ln2/32 */
    double kd = y * inv + shift;
    uint64_t kb, sb;
    memcpy(&kb, &kd, sizeof kb);
    kd -= shift;
    double r = (y - kd * hi) - kd * lo;
    int64_t k = (int64_t)(kb - 0x4338000000000000ULL);                 /* round(y * inv) */
    int64_t j = k & 31;
    sb = (uint64_t)((k - j) / 32 + 1023) << 52;
    double scale;
    memcpy(&scale, &sb, sizeof scale);
    double p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720))))));
    return scale * exp2_32[j] * p;
}

double hpo_tpe_exp_impl(double y) { return fast_exp(y); }

/* ---- the log-sum-exp's two loops: scalar, AVX2, AVX-512 -------------------
 * pass 1: tb[k] = a[k] - (z z)/2, z = (x - mu[k]) is[k], and their maximum;
 * pass 2: sum over k of exp(tb[k] - mx), terms below e^-40 skipped.
 * Terms below e^-40 of the largest change the sum by < K e^-40 relative
 * (4e-14 at 10,000 kernels); fast_exp for the rest. Pass 2 keeps four sums,
 * s_i over k = i mod 4 (the tail into s_0), added as (s0 + s1) + (s2 + s3):
 * the vector loops' four accumulator lanes are exactly these four sums, and
 * every lane does the scalar code's operations in its order (no FMA:
 * -ffp-contract=off), so all give the same bits whatever the CPU (test:
 * tpe_simd). */

static double pass1_scalar(const double *a, const double *mu, const double *is, size_t K, double x,
                           double *tb)
{
    double mx = -INFINITY;
    for (size_t k = 0; k < K; k++) {
        double z = (x - mu[k]) * is[k];
        double t = a[k] - 0.5 * z * z;
        tb[k] = t;
        if (t > mx) mx = t;
    }
    return mx;
}

static double sumexp_scalar(const double *tb, size_t K, double mx)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;   /* four chains: the adds don't wait on each other */
    size_t k = 0;
    for (; k + 4 <= K; k += 4) {
        double y0 = tb[k] - mx, y1 = tb[k + 1] - mx, y2 = tb[k + 2] - mx, y3 = tb[k + 3] - mx;
        s0 += y0 > -40.0 ? fast_exp(y0) : 0.0;
        s1 += y1 > -40.0 ? fast_exp(y1) : 0.0;
        s2 += y2 > -40.0 ? fast_exp(y2) : 0.0;
        s3 += y3 > -40.0 ? fast_exp(y3) : 0.0;
    }
    for (; k < K; k++) { double y = tb[k] - mx; s0 += y > -40.0 ? fast_exp(y) : 0.0; }
    return (s0 + s1) + (s2 + s3);
}

#if TPE_X86
__attribute__((target("avx2")))
static double pass1_avx2(const double *a, const double *mu, const double *is, size_t K, double x,
                         double *tb)
{
    const __m256d vx = _mm256_set1_pd(x), half = _mm256_set1_pd(0.5);
    __m256d vm = _mm256_set1_pd(-INFINITY);
    size_t k = 0;
    for (; k + 4 <= K; k += 4) {
        __m256d z = _mm256_mul_pd(_mm256_sub_pd(vx, _mm256_loadu_pd(mu + k)), _mm256_loadu_pd(is + k));
        __m256d t = _mm256_sub_pd(_mm256_loadu_pd(a + k), _mm256_mul_pd(_mm256_mul_pd(half, z), z));
        _mm256_storeu_pd(tb + k, t);
        vm = _mm256_max_pd(vm, t);
    }
    double m4[4];
    _mm256_storeu_pd(m4, vm);
    double mx = m4[0];
    for (int i = 1; i < 4; i++) if (m4[i] > mx) mx = m4[i];
    for (; k < K; k++) {
        double z = (x - mu[k]) * is[k];
        double t = a[k] - 0.5 * z * z;
        tb[k] = t;
        if (t > mx) mx = t;
    }
    return mx;
}

/* fast_exp on four lanes: the same operations in the same order */
__attribute__((target("avx2")))
static inline __m256d fast_exp_avx2(__m256d y)
{
    const __m256d shift = _mm256_set1_pd(0x1.8p52), inv = _mm256_set1_pd(0x1.71547652b82fep+5);
    const __m256d hi = _mm256_set1_pd(0x1.62e42fee00000p-6), lo = _mm256_set1_pd(0x1.a39ef35793c76p-38);
    __m256d kd = _mm256_add_pd(_mm256_mul_pd(y, inv), shift);
    __m256i kb = _mm256_castpd_si256(kd);
    kd = _mm256_sub_pd(kd, shift);
    __m256d r = _mm256_sub_pd(_mm256_sub_pd(y, _mm256_mul_pd(kd, hi)), _mm256_mul_pd(kd, lo));
    __m256i k = _mm256_sub_epi64(kb, _mm256_set1_epi64x(0x4338000000000000LL));
    __m256i j = _mm256_and_si256(k, _mm256_set1_epi64x(31));
    /* ((k - j) / 32 + 1023) << 52 == (k - j) << 47 + (1023 << 52) mod 2^64, k - j a multiple of 32 */
    __m256i sb = _mm256_add_epi64(_mm256_slli_epi64(_mm256_sub_epi64(k, j), 47),
                                  _mm256_set1_epi64x(0x3ff0000000000000LL));
    __m256d scale = _mm256_castsi256_pd(sb);
    __m256d t = _mm256_i64gather_pd(exp2_32, j, 8);
    __m256d p = _mm256_add_pd(_mm256_set1_pd(1.0 / 120), _mm256_mul_pd(r, _mm256_set1_pd(1.0 / 720)));
    p = _mm256_add_pd(_mm256_set1_pd(1.0 / 24), _mm256_mul_pd(r, p));
    p = _mm256_add_pd(_mm256_set1_pd(1.0 / 6), _mm256_mul_pd(r, p));
    p = _mm256_add_pd(_mm256_set1_pd(0.5), _mm256_mul_pd(r, p));
    p = _mm256_add_pd(_mm256_set1_pd(1.0), _mm256_mul_pd(r, p));
    p = _mm256_add_pd(_mm256_set1_pd(1.0), _mm256_mul_pd(r, p));
    return _mm256_mul_pd(_mm256_mul_pd(scale, t), p);
}

__attribute__((target("avx2")))
static double sumexp_avx2(const double *tb, size_t K, double mx)
{
    const __m256d vmx = _mm256_set1_pd(mx), cut = _mm256_set1_pd(-40.0);
    __m256d acc = _mm256_setzero_pd();
    size_t k = 0;
    for (; k + 4 <= K; k += 4) {
        __m256d y = _mm256_sub_pd(_mm256_loadu_pd(tb + k), vmx);
        __m256d keep = _mm256_cmp_pd(y, cut, _CMP_GT_OQ);
        if (!_mm256_movemask_pd(keep)) continue;     /* 4 neighbours far from x: adding +0.0 */
        acc = _mm256_add_pd(acc, _mm256_and_pd(keep, fast_exp_avx2(y)));
    }
    double s[4];
    _mm256_storeu_pd(s, acc);
    for (; k < K; k++) { double y = tb[k] - mx; s[0] += y > -40.0 ? fast_exp(y) : 0.0; }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* AVX-512: eight kernels a step, their first four lanes added to the four
 * sums, then the other four, as the scalar loop does over two steps. */
__attribute__((target("avx512f")))
static double pass1_avx512(const double *a, const double *mu, const double *is, size_t K, double x,
                           double *tb)
{
    const __m512d vx = _mm512_set1_pd(x), half = _mm512_set1_pd(0.5);
    __m512d vm = _mm512_set1_pd(-INFINITY);
    size_t k = 0;
    for (; k + 8 <= K; k += 8) {
        __m512d z = _mm512_mul_pd(_mm512_sub_pd(vx, _mm512_loadu_pd(mu + k)), _mm512_loadu_pd(is + k));
        __m512d t = _mm512_sub_pd(_mm512_loadu_pd(a + k), _mm512_mul_pd(_mm512_mul_pd(half, z), z));
        _mm512_storeu_pd(tb + k, t);
        vm = _mm512_max_pd(vm, t);
    }
    double m8[8];
    _mm512_storeu_pd(m8, vm);
    double mx = m8[0];
    for (int i = 1; i < 8; i++) if (m8[i] > mx) mx = m8[i];
    for (; k < K; k++) {
        double z = (x - mu[k]) * is[k];
        double t = a[k] - 0.5 * z * z;
        tb[k] = t;
        if (t > mx) mx = t;
    }
    return mx;
}

/* fast_exp on eight lanes; the table by two two-source permutes, no gather */
__attribute__((target("avx512f")))
static inline __m512d fast_exp_avx512(__m512d y)
{
    const __m512d shift = _mm512_set1_pd(0x1.8p52), inv = _mm512_set1_pd(0x1.71547652b82fep+5);
    const __m512d hi = _mm512_set1_pd(0x1.62e42fee00000p-6), lo = _mm512_set1_pd(0x1.a39ef35793c76p-38);
    __m512d kd = _mm512_add_pd(_mm512_mul_pd(y, inv), shift);
    __m512i kb = _mm512_castpd_si512(kd);
    kd = _mm512_sub_pd(kd, shift);
    __m512d r = _mm512_sub_pd(_mm512_sub_pd(y, _mm512_mul_pd(kd, hi)), _mm512_mul_pd(kd, lo));
    __m512i k = _mm512_sub_epi64(kb, _mm512_set1_epi64(0x4338000000000000LL));
    __m512i j = _mm512_and_si512(k, _mm512_set1_epi64(31));
    __m512i sb = _mm512_add_epi64(_mm512_slli_epi64(_mm512_sub_epi64(k, j), 47),
                                  _mm512_set1_epi64(0x3ff0000000000000LL));
    __m512d scale = _mm512_castsi512_pd(sb);
    /* exp2_32[j]: entries j & 15 of [0, 16) and of [16, 32), chosen by bit 4 */
    __m512d t = _mm512_permutex2var_pd(_mm512_loadu_pd(exp2_32), j, _mm512_loadu_pd(exp2_32 + 8));
    __m512d t2 = _mm512_permutex2var_pd(_mm512_loadu_pd(exp2_32 + 16), j, _mm512_loadu_pd(exp2_32 + 24));
    t = _mm512_mask_blend_pd(_mm512_test_epi64_mask(j, _mm512_set1_epi64(16)), t, t2);
    __m512d p = _mm512_add_pd(_mm512_set1_pd(1.0 / 120), _mm512_mul_pd(r, _mm512_set1_pd(1.0 / 720)));
    p = _mm512_add_pd(_mm512_set1_pd(1.0 / 24), _mm512_mul_pd(r, p));
    p = _mm512_add_pd(_mm512_set1_pd(1.0 / 6), _mm512_mul_pd(r, p));
    p = _mm512_add_pd(_mm512_set1_pd(0.5), _mm512_mul_pd(r, p));
    p = _mm512_add_pd(_mm512_set1_pd(1.0), _mm512_mul_pd(r, p));
    p = _mm512_add_pd(_mm512_set1_pd(1.0), _mm512_mul_pd(r, p));
    return _mm512_mul_pd(_mm512_mul_pd(scale, t), p);
}

__attribute__((target("avx512f")))
static double sumexp_avx512(const double *tb, size_t K, double mx)
{
    const __m512d vmx = _mm512_set1_pd(mx), cut = _mm512_set1_pd(-40.0);
    __m256d acc = _mm256_setzero_pd();
    size_t k = 0;
    for (; k + 8 <= K; k += 8) {
        __m512d y = _mm512_sub_pd(_mm512_loadu_pd(tb + k), vmx);
        __mmask8 keep = _mm512_cmp_pd_mask(y, cut, _CMP_GT_OQ);
        if (!keep) continue;                          /* 8 neighbours far from x: adding +0.0 */
        __m512d e = _mm512_maskz_mov_pd(keep, fast_exp_avx512(y));
        acc = _mm256_add_pd(acc, _mm512_castpd512_pd256(e));       /* k .. k+3 */
        acc = _mm256_add_pd(acc, _mm512_extractf64x4_pd(e, 1));    /* k+4 .. k+7 */
    }
    double s[4];
    _mm256_storeu_pd(s, acc);
    for (; k + 4 <= K; k += 4)
        for (int i = 0; i < 4; i++) { double y = tb[k + i] - mx; s[i] += y > -40.0 ? fast_exp(y) : 0.0; }
    for (; k < K; k++) { double y = tb[k] - mx; s[0] += y > -40.0 ? fast_exp(y) : 0.0; }
    return (s[0] + s[1]) + (s[2] + s[3]);
}
#endif

/* Which loops est_logpdf runs: the widest the CPU has. The only file-scope
 * state here; results do not depend on it (see above). Set once by isa_init
 * (tpe_create, the test entry points) or by hpo_tpe_isa_impl. */
enum { TPE_ISA_UNSET = -1, TPE_ISA_SCALAR = 0, TPE_ISA_AVX2 = 1, TPE_ISA_AVX512 = 2 };
static int g_isa = TPE_ISA_UNSET;

static int isa_best(void)
{
#if TPE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return TPE_ISA_AVX512;
    if (__builtin_cpu_supports("avx2")) return TPE_ISA_AVX2;
#endif
    return TPE_ISA_SCALAR;
}

static void isa_init(void)
{
    if (g_isa == TPE_ISA_UNSET) g_isa = isa_best();
}

int hpo_tpe_isa_impl(int isa)
{
    isa_init();
    int old = g_isa;
    if (isa >= 0) g_isa = isa > isa_best() ? isa_best() : isa;
    return old;
}

static double pass1(const double *a, const double *mu, const double *is, size_t K, double x, double *tb)
{
#if TPE_X86
    if (g_isa == TPE_ISA_AVX512) return pass1_avx512(a, mu, is, K, x, tb);
    if (g_isa == TPE_ISA_AVX2) return pass1_avx2(a, mu, is, K, x, tb);
#endif
    return pass1_scalar(a, mu, is, K, x, tb);
}

static double sumexp(const double *tb, size_t K, double mx)
{
#if TPE_X86
    if (g_isa == TPE_ISA_AVX512) return sumexp_avx512(tb, K, mx);
    if (g_isa == TPE_ISA_AVX2) return sumexp_avx2(tb, K, mx);
#endif
    return sumexp_scalar(tb, K, mx);
}

/* log density of the estimator at one point: x (d) kernel-space points, cl/ch
 * (d) discrete cells, ci (d) categorical indices. tb: (K) scratch. */
static double est_logpdf(const tpe_est *e, const tpe_dim *dims, size_t d, const double *x,
                         const double *cl, const double *ch, double *tb)
{
    size_t K = e->K, cap = e->cap;
    double mx = -INFINITY;
    if (d == 1 && dims[0].kind == DIM_CONT) {                /* the hot loop */
        mx = pass1(e->lwc, e->mu, e->isig, K, x[0], tb);
    } else {
        for (size_t k = 0; k < K; k++) tb[k] = e->logw[k];
        for (size_t a = 0; a < d; a++) {
            const tpe_dim *m = &dims[a];
            const double *mu = e->mu + a * cap, *is = e->isig + a * cap, *c = e->c + a * cap;
            if (m->kind == DIM_CONT) {
                for (size_t k = 0; k < K; k++) {
                    double z = (x[a] - mu[k]) * is[k];
                    tb[k] += c[k] - 0.5 * z * z;
                }
            } else if (m->kind == DIM_DISC) {
                for (size_t k = 0; k < K; k++)
                    tb[k] += c[k] + hpo_tpe_log_gauss_mass_impl((cl[a] - mu[k]) * is[k], (ch[a] - mu[k]) * is[k]);
            } else {
                const double *cc = e->catc + 3 * a;
                for (size_t k = 0; k < K; k++)
                    tb[k] += mu[k] < 0 ? cc[2] : (mu[k] == x[a] ? cc[0] : cc[1]);
            }
        }
        for (size_t k = 0; k < K; k++) if (tb[k] > mx) mx = tb[k];
    }
    if (mx == -INFINITY) return -INFINITY;
    return mx + log(sumexp(tb, K, mx));
}

/* Draw one value of dim a from component k of e. */
static void est_draw(const tpe_est *e, const tpe_dim *m, size_t a, size_t k, hpo_rng *rng,
                     hpo_pval *v, double *x, double *cl, double *ch)
{
    size_t j = a * e->cap + k;
    if (m->kind == DIM_CAT) {
        double u = hpo_rng_uniform(rng), acc = 0.0;
        const double *cc = e->catc + 3 * a;
        size_t c = 0;
        for (; c + 1 < m->C; c++) {
            double p = e->mu[j] < 0 ? exp(cc[2]) : (e->mu[j] == (double)c ? exp(cc[0]) : exp(cc[1]));
            acc += p;
            if (u < acc) break;
        }
        v->i = (int64_t)c;
        *x = *cl = *ch = (double)c;
        return;
    }
    double sigma = 1.0 / e->isig[j], mu = e->mu[j];
    double z = hpo_tpe_ppf_impl(hpo_rng_uniform(rng), (m->lo - mu) / sigma, (m->hi - mu) / sigma);
    double xs = mu + sigma * z;
    if (xs < m->lo) xs = m->lo;
    if (xs > m->hi) xs = m->hi;
    *v = hpo_dist_from_internal(m->d, xs);     /* rounds to the grid, clips */
    if (m->kind == DIM_CONT && !m->logint) { *x = *cl = *ch = xs; return; }
    dim_point(m, *v, x, cl, ch);      /* on the grid: scored where it was rounded to */
}

/* ==== the sampler state ================================================== */

/* A parameter the multivariate modes have seen in a finished trial. */
typedef struct tpe_param {
    char    *name;
    hpo_dist dist;       /* first seen */
} tpe_param;

/* The relative search space over a set of finished trials: how many hold each
 * parameter of the table with its first-seen distribution (the intersection
 * is those held by all), and the co-occurrence partition (group mode). */
typedef struct tpe_space {
    size_t *count;       /* (n) */
    size_t *group;       /* (n) group id; SIZE_MAX: in none of the trials */
    size_t n;            /* entries set up: the table's first n parameters */
    size_t cap_count, cap_group;
    size_t n_groups;
} tpe_space;

/* The joint sample of a RUNNING trial, handed out by `sample`. */
typedef struct tpe_joint {
    int64_t   number;
    size_t    n;
    size_t   *pidx;      /* (n) into params */
    hpo_pval *v;         /* (n) */
} tpe_joint;

/* One observation column: every COMPLETE or PRUNED trial holding parameter
 * `name` with distribution `dist`, in trial-number order. A trial enters its
 * columns once, when the sampler first sees it finished; nothing in a column
 * changes afterwards (trials only move from RUNNING to a final state). */
typedef struct tpe_col {
    char    *name;
    hpo_dist dist;
    size_t   n, cap;
    int64_t *num;        /* (n) trial numbers, increasing */
    double  *x;          /* (n) kernel-space points (categorical: the choice index) */
    /* numeric columns: the same entries sorted by (point, trial number), so
     * the bandwidths need no sort per call (categorical: NULL) */
    int64_t *snum;       /* (n) trial numbers */
    double  *sx;         /* (n) points, increasing in dkey order (-0.0 before +0.0) */
} tpe_col;

enum { FIN_NONE = 0, FIN_COMPLETE, FIN_PRUNED, FIN_FAIL };   /* not yet final, or how it ended */
#define IS_FIN(f) ((f) == FIN_COMPLETE || (f) == FIN_PRUNED)

#define TPE_TOP 25       /* gamma(n) <= 25: the most a split ever puts below */

typedef struct tpe_state {
    hpo_sampler_opts o;
    /* ---- the history, folded in once per trial (indexed by trial number) */
    size_t cap_num;
    unsigned char *fin;      /* (cap_num) FIN_*: how the trial was folded in */
    double *key1, *key2;     /* (cap_num) rank keys, direction-free (see trial_key) */
    unsigned char *lab;      /* (cap_num) this call's labels: 0 unused, 1 below, 2 above */
    size_t *rank;            /* (cap_num) this call's gather: an above trial's row in Xa */
    size_t cursor;           /* whole history: slots [0, cursor) have been looked at */
    size_t num_hi;           /* 1 + the largest number of a COMPLETE/PRUNED trial folded in */
    int64_t *runl; size_t n_run, cap_run;   /* whole history: looked at while RUNNING, increasing */
    size_t n_fin, n_comp;    /* folded in: COMPLETE + PRUNED, COMPLETE */
    int dir;                 /* direction the tops are ranked for; -1 none yet */
    rank_key ctop[TPE_TOP], ptop[TPE_TOP];   /* best COMPLETE / PRUNED trials folded in */
    size_t n_ctop, n_ptop;
    tpe_col **cols; size_t n_cols, cap_cols;
    /* ---- per call */
    const hpo_trial_rec **liar; size_t n_liar, cap_liar;  /* RUNNING trials (constant liar), by number */
    size_t call_fin;         /* COMPLETE + PRUNED trials in this call's history */
    size_t cap_obs;
    double *Xb, *Xa;         /* (cap_obs, d) observations below / above */
    double *tb;              /* (cap_obs + 1) per-kernel scratch */
    kv     *lsrt;            /* (cap_obs) gather: the liars' above rows {_, Xa[row][0], row} */
    size_t n_lsrt;
    tpe_est lb, la;          /* l(x), g(x) */
    tpe_scratch scr;
    size_t cap_cand;
    double *cx, *ccl, *cch;  /* (n_cand, d) candidates in kernel space */
    hpo_pval *cv;            /* (n_cand, d) candidates as values */
    double *csc;             /* (n_cand) their scores */
    tpe_dim *dims;           /* (cap_d) */
    const hpo_dist **dd;     /* (cap_d) */
    const char **dn;         /* (cap_d) */
    size_t *hint;            /* (cap_d) where the parameter sat in the last record read */
    tpe_col **gcol;          /* (cap_d) the dims' columns */
    size_t *gpos;            /* (cap_d) merge positions in them */
    size_t cap_d;
    /* ---- multivariate / group */
    tpe_param *params; size_t n_params, cap_params;
    tpe_space all;           /* over every finished trial folded in */
    tpe_space view;          /* over a filtered view's finished trials (this call) */
    int viewed;              /* this call's history is a filtered view */
    size_t *gmap; size_t cap_gmap;     /* group id remap scratch */
    tpe_joint *joint; size_t n_joint, cap_joint;
    /* ---- tests (hpo_tpe_probe_impl) */
    int    ref_sort;         /* g(x) from sorting the gathered points, not the sorted columns */
    double last_score;       /* log l - log g of the last suggestion's chosen candidate */
} tpe_state;

static hpo_status grow(void **p, size_t *cap, size_t need, size_t el)
{
    if (need <= *cap) return HPO_OK;
    size_t c = need > 2 * *cap ? need : 2 * *cap;
    void *q = hpo_realloc(*p, c * el);
    HPO_CHECK(q, HPO_ENOMEM, "out of memory for TPE buffers (%zu elements)", c);
    *p = q;
    *cap = c;
    return HPO_OK;
}

/* Per-number arrays for trial numbers < n; new entries not seen. */
static hpo_status reserve_num(tpe_state *s, size_t n)
{
    if (n <= s->cap_num) return HPO_OK;
    size_t c = n > 2 * s->cap_num ? n : 2 * s->cap_num;
    unsigned char *f = hpo_realloc(s->fin, c);
    HPO_CHECK(f, HPO_ENOMEM, "out of memory for TPE trial table");
    memset(f + s->cap_num, 0, c - s->cap_num);
    s->fin = f;
    unsigned char *l = hpo_realloc(s->lab, c);
    HPO_CHECK(l, HPO_ENOMEM, "out of memory for TPE trial table");
    s->lab = l;
    double *k = hpo_realloc(s->key1, c * sizeof *k);
    HPO_CHECK(k, HPO_ENOMEM, "out of memory for TPE trial table");
    s->key1 = k;
    k = hpo_realloc(s->key2, c * sizeof *k);
    HPO_CHECK(k, HPO_ENOMEM, "out of memory for TPE trial table");
    s->key2 = k;
    size_t *rk = hpo_realloc(s->rank, c * sizeof *rk);
    HPO_CHECK(rk, HPO_ENOMEM, "out of memory for TPE trial table");
    s->rank = rk;
    s->cap_num = c;
    return HPO_OK;
}

static hpo_status reserve_obs(tpe_state *s, size_t n, size_t d)
{
    size_t need = (n + 1) * d;
    if (need <= s->cap_obs) return HPO_OK;
    size_t c = need > 2 * s->cap_obs ? need : 2 * s->cap_obs;
    double *b = hpo_realloc(s->Xb, c * sizeof *b);
    HPO_CHECK(b, HPO_ENOMEM, "out of memory for %zu TPE observations", n);
    s->Xb = b;
    double *a = hpo_realloc(s->Xa, c * sizeof *a);
    HPO_CHECK(a, HPO_ENOMEM, "out of memory for %zu TPE observations", n);
    s->Xa = a;
    double *t = hpo_realloc(s->tb, (c + 1) * sizeof *t);
    HPO_CHECK(t, HPO_ENOMEM, "out of memory for %zu TPE observations", n);
    s->tb = t;
    kv *ls = hpo_realloc(s->lsrt, c * sizeof *ls);
    HPO_CHECK(ls, HPO_ENOMEM, "out of memory for %zu TPE observations", n);
    s->lsrt = ls;
    s->cap_obs = c;
    return HPO_OK;
}

static hpo_status reserve_dims(tpe_state *s, size_t d, size_t nc)
{
    size_t cd = s->cap_d;
    HPO_TRY(grow((void **)&s->dims, &cd, d, sizeof *s->dims));
    cd = s->cap_d;
    HPO_TRY(grow((void **)&s->dd, &cd, d, sizeof *s->dd));
    cd = s->cap_d;
    HPO_TRY(grow((void **)&s->dn, &cd, d, sizeof *s->dn));
    cd = s->cap_d;
    HPO_TRY(grow((void **)&s->hint, &cd, d, sizeof *s->hint));
    cd = s->cap_d;
    HPO_TRY(grow((void **)&s->gcol, &cd, d, sizeof *s->gcol));
    cd = s->cap_d;
    HPO_TRY(grow((void **)&s->gpos, &cd, d, sizeof *s->gpos));
    s->cap_d = cd;
    size_t need = nc * d;
    if (need > s->cap_cand) {
        size_t c = need > 2 * s->cap_cand ? need : 2 * s->cap_cand;
        double *a = hpo_realloc(s->cx, c * sizeof *a);
        HPO_CHECK(a, HPO_ENOMEM, "out of memory for TPE candidates");
        s->cx = a;
        a = hpo_realloc(s->ccl, c * sizeof *a);
        HPO_CHECK(a, HPO_ENOMEM, "out of memory for TPE candidates");
        s->ccl = a;
        a = hpo_realloc(s->cch, c * sizeof *a);
        HPO_CHECK(a, HPO_ENOMEM, "out of memory for TPE candidates");
        s->cch = a;
        hpo_pval *v = hpo_realloc(s->cv, c * sizeof *v);
        HPO_CHECK(v, HPO_ENOMEM, "out of memory for TPE candidates");
        s->cv = v;
        a = hpo_realloc(s->csc, c * sizeof *a);       /* c >= nc: d >= 1 */
        HPO_CHECK(a, HPO_ENOMEM, "out of memory for TPE candidates");
        s->csc = a;
        s->cap_cand = c;
    }
    return HPO_OK;
}

static const tpe_joint *joint_find(const tpe_state *s, int64_t number)
{
    for (size_t i = 0; i < s->n_joint; i++)
        if (s->joint[i].number == number) return &s->joint[i];
    return NULL;
}

/* Value of parameter (name, dist) in trial r: its record, or, for a RUNNING
 * trial, the joint sample stored for it. 0 if it has none. */
static int trial_value(const tpe_state *s, const hpo_trial_rec *r, const char *name,
                       const hpo_dist *dist, size_t *hint, hpo_pval *v)
{
    /* trials usually suggest in the same order: try last trial's position first */
    const hpo_param_rec *p = NULL;
    if (*hint < r->n_params && strcmp(r->params[*hint].name, name) == 0) p = &r->params[*hint];
    else if ((p = hpo_rec_find_param(r, name)) != NULL) *hint = (size_t)(p - r->params);
    if (p) {
        if (!hpo_dist_equal(&p->dist, dist)) return 0;
        *v = p->v;
        return 1;
    }
    if (r->state != HPO_RUNNING || !s->n_joint) return 0;
    const tpe_joint *j = joint_find(s, r->number);
    if (!j) return 0;
    for (size_t i = 0; i < j->n; i++) {
        const tpe_param *q = &s->params[j->pidx[i]];
        if (strcmp(q->name, name) == 0 && hpo_dist_equal(&q->dist, dist)) { *v = j->v[i]; return 1; }
    }
    return 0;
}

/* ---- folding finished trials in ----------------------------------------- */

static tpe_col *col_find(const tpe_state *s, const char *name, const hpo_dist *d)
{
    for (size_t i = 0; i < s->n_cols; i++)
        if (strcmp(s->cols[i]->name, name) == 0 && hpo_dist_equal(&s->cols[i]->dist, d)) return s->cols[i];
    return NULL;
}

static void col_free(tpe_col *c)
{
    if (!c) return;
    hpo_free(c->name); hpo_dist_clear(&c->dist); hpo_free(c->num); hpo_free(c->x);
    hpo_free(c->snum); hpo_free(c->sx);
    hpo_free(c);
}

/* The column of (name, d), created if new, with room for one more entry. */
static hpo_status col_get(tpe_state *s, const char *name, const hpo_dist *d, tpe_col **out)
{
    tpe_col *c = col_find(s, name, d);
    if (!c) {
        HPO_TRY(grow((void **)&s->cols, &s->cap_cols, s->n_cols + 1, sizeof *s->cols));
        c = hpo_calloc(1, sizeof *c);
        HPO_CHECK(c, HPO_ENOMEM, "out of memory for a TPE observation column");
        c->name = hpo_strdup(name);
        if (!c->name || hpo_dist_copy(&c->dist, d) != HPO_OK) {
            hpo_free(c->name); hpo_free(c);
            HPO_FAIL(HPO_ENOMEM, "out of memory for a TPE observation column");
        }
        s->cols[s->n_cols++] = c;
    }
    if (c->n + 1 > c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        int64_t *num = hpo_realloc(c->num, cap * sizeof *num);
        HPO_CHECK(num, HPO_ENOMEM, "out of memory for a TPE observation column");
        c->num = num;
        double *x = hpo_realloc(c->x, cap * sizeof *x);
        HPO_CHECK(x, HPO_ENOMEM, "out of memory for a TPE observation column");
        c->x = x;
        if (c->dist.kind != HPO_DIST_CAT) {
            num = hpo_realloc(c->snum, cap * sizeof *num);
            HPO_CHECK(num, HPO_ENOMEM, "out of memory for a TPE observation column");
            c->snum = num;
            x = hpo_realloc(c->sx, cap * sizeof *x);
            HPO_CHECK(x, HPO_ENOMEM, "out of memory for a TPE observation column");
            c->sx = x;
        }
        c->cap = cap;
    }
    *out = c;
    return HPO_OK;
}

/* (x, a) before (y, b) in the order of the sorted columns */
static int pt_less(double x, int64_t a, double y, int64_t b)
{
    uint64_t kx = dkey(x), ky = dkey(y);
    return kx != ky ? kx < ky : a < b;
}

/* Insert (number, x) in number order; trials finish nearly in order, so the
 * place is found from the end. Numeric columns: also in the sorted arrays,
 * by bisection and one memmove, O(n). Room reserved by col_get. */
static void col_insert(tpe_col *c, int64_t number, double x)
{
    size_t j = c->n;
    while (j > 0 && c->num[j - 1] > number) { c->num[j] = c->num[j - 1]; c->x[j] = c->x[j - 1]; j--; }
    c->num[j] = number;
    c->x[j] = x;
    if (c->sx) {
        size_t lo = 0, hi = c->n;            /* first entry after (x, number) */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (pt_less(x, number, c->sx[mid], c->snum[mid])) hi = mid; else lo = mid + 1;
        }
        memmove(c->sx + lo + 1, c->sx + lo, (c->n - lo) * sizeof *c->sx);
        memmove(c->snum + lo + 1, c->snum + lo, (c->n - lo) * sizeof *c->snum);
        c->sx[lo] = x;
        c->snum[lo] = number;
    }
    c->n++;
}

static long param_find(const tpe_state *s, const char *name)
{
    for (size_t i = 0; i < s->n_params; i++)
        if (strcmp(s->params[i].name, name) == 0) return (long)i;
    return -1;
}

/* Set up sp's entries for the table's parameters [sp->n, n_params): none
 * held yet, in no group. */
static hpo_status space_extend(tpe_state *s, tpe_space *sp)
{
    HPO_TRY(grow((void **)&sp->count, &sp->cap_count, s->n_params, sizeof *sp->count));
    HPO_TRY(grow((void **)&sp->group, &sp->cap_group, s->n_params, sizeof *sp->group));
    for (; sp->n < s->n_params; sp->n++) { sp->count[sp->n] = 0; sp->group[sp->n] = SIZE_MAX; }
    return HPO_OK;
}

/* Add one finished trial, whose parameters are all in the table, to sp:
 * counts, and every group split into "group & this trial" and the rest
 * (Optuna's group decomposition). On failure sp is unchanged. */
static hpo_status space_add(tpe_state *s, tpe_space *sp, const hpo_trial_rec *r)
{
    HPO_TRY(space_extend(s, sp));
    HPO_TRY(grow((void **)&s->gmap, &s->cap_gmap, sp->n_groups + r->n_params + 1, sizeof *s->gmap));
    for (size_t g = 0; g <= sp->n_groups; g++) s->gmap[g] = SIZE_MAX;
    size_t next = sp->n_groups;     /* ids for "group & this trial" parts */
    for (size_t p = 0; p < r->n_params; p++) {
        size_t q = (size_t)param_find(s, r->params[p].name);
        if (hpo_dist_equal(&s->params[q].dist, &r->params[p].dist)) sp->count[q]++;
        size_t g = sp->group[q] == SIZE_MAX ? sp->n_groups : sp->group[q];   /* new: one new group */
        if (s->gmap[g] == SIZE_MAX) s->gmap[g] = next++;
        sp->group[q] = s->gmap[g];
    }
    /* compact group ids to 0..n_groups-1, in order of first parameter */
    size_t ng = 0;
    for (size_t g = 0; g < next; g++) s->gmap[g] = SIZE_MAX;
    for (size_t q = 0; q < sp->n; q++) {
        if (sp->group[q] == SIZE_MAX) continue;
        if (s->gmap[sp->group[q]] == SIZE_MAX) s->gmap[sp->group[q]] = ng++;
        sp->group[q] = s->gmap[sp->group[q]];
    }
    sp->n_groups = ng;
    return HPO_OK;
}

static void space_free(tpe_space *sp)
{
    hpo_free(sp->count);
    hpo_free(sp->group);
}

/* Fold one finished trial into the multivariate parameter table and the
 * whole history's space. Every allocation comes first: on failure the space
 * is unchanged; the table may hold new, still unused parameters.
 * Cost O(params^2). */
static hpo_status fold_params(tpe_state *s, const hpo_trial_rec *r)
{
    for (size_t p = 0; p < r->n_params; p++) {
        if (param_find(s, r->params[p].name) >= 0) continue;
        HPO_TRY(grow((void **)&s->params, &s->cap_params, s->n_params + 1, sizeof *s->params));
        tpe_param *q = &s->params[s->n_params];
        memset(q, 0, sizeof *q);
        q->name = hpo_strdup(r->params[p].name);
        HPO_CHECK(q->name, HPO_ENOMEM, "out of memory for a parameter name");
        if (hpo_dist_copy(&q->dist, &r->params[p].dist) != HPO_OK) {
            hpo_free(q->name);
            HPO_FAIL(HPO_ENOMEM, "out of memory for a distribution");
        }
        s->n_params++;
    }
    return space_add(s, &s->all, r);
}

/* Direction-free rank keys of a finished trial (Optuna's _split_trials):
 * COMPLETE: (0, value), NaN (1, 0); PRUNED: (-deepest step, value there),
 * never reported (1, 0). rank_of applies the direction and puts NaN last. */
static void trial_key(const hpo_trial_rec *r, double *k1, double *k2)
{
    if (r->state == HPO_COMPLETE) {
        *k1 = isnan(r->value) ? 1.0 : 0.0;
        *k2 = isnan(r->value) ? 0.0 : r->value;
        return;
    }
    *k1 = 1.0; *k2 = 0.0;
    if (r->n_inter > 0) {
        size_t best = 0;
        for (size_t j = 1; j < r->n_inter; j++) if (r->steps[j] > r->steps[best]) best = j;
        *k1 = -(double)r->steps[best];
        *k2 = r->inter[best];          /* NaN: ranked last (rank_of) */
    }
}

static rank_key rank_of(const tpe_state *s, size_t num, int maxi)
{
    double k2 = s->key2[num];
    rank_key k = { s->key1[num], isnan(k2) ? INFINITY : (maxi ? -k2 : k2), (int64_t)num, num };
    return k;
}

/* Fold a final trial in (once): its columns, keys, tops and, multivariate,
 * the parameter table. On failure nothing is marked folded; columns may have
 * grown room or gained empty siblings, which is harmless. */
static hpo_status ingest(tpe_state *s, const hpo_trial_rec *r)
{
    size_t num = (size_t)r->number;
    if (s->fin[num]) return HPO_OK;
    if (r->state == HPO_FAIL) { s->fin[num] = FIN_FAIL; return HPO_OK; }
    for (size_t p = 0; p < r->n_params; p++) {
        tpe_col *c;
        HPO_TRY(col_get(s, r->params[p].name, &r->params[p].dist, &c));
    }
    if (s->o.multivariate) HPO_TRY(fold_params(s, r));
    for (size_t p = 0; p < r->n_params; p++) {
        tpe_col *c = col_find(s, r->params[p].name, &r->params[p].dist);
        tpe_dim m;
        double x, cl, ch;
        dim_init(&m, &c->dist, 0);      /* the point does not depend on o3 */
        dim_point(&m, r->params[p].v, &x, &cl, &ch);
        col_insert(c, r->number, x);
    }
    trial_key(r, &s->key1[num], &s->key2[num]);
    s->fin[num] = r->state == HPO_COMPLETE ? FIN_COMPLETE : FIN_PRUNED;
    if (num + 1 > s->num_hi) s->num_hi = num + 1;
    s->n_fin++;
    if (r->state == HPO_COMPLETE) s->n_comp++;
    if (s->dir >= 0) {
        rank_key k = rank_of(s, num, s->dir);
        if (r->state == HPO_COMPLETE) top_insert(s->ctop, &s->n_ctop, TPE_TOP, &k);
        else top_insert(s->ptop, &s->n_ptop, TPE_TOP, &k);
    }
    return HPO_OK;
}

/* Rank the tops afresh for direction maxi (first call, or a changed one). */
static void tops_rebuild(tpe_state *s, int maxi)
{
    s->n_ctop = s->n_ptop = 0;
    s->dir = maxi;
    for (size_t num = 0; num < s->cap_num; num++) {
        if (!IS_FIN(s->fin[num])) continue;
        rank_key k = rank_of(s, num, maxi);
        if (s->fin[num] == FIN_PRUNED) top_insert(s->ptop, &s->n_ptop, TPE_TOP, &k);
        else top_insert(s->ctop, &s->n_ctop, TPE_TOP, &k);
    }
}

/* Labels below (1) / above (2) for the n finished trials whose top lists are
 * ctop, ptop (Optuna's _split_trials: the best gamma(n) COMPLETE trials, then
 * PRUNED ones by depth and value when too few). lab already holds 2 for every
 * finished trial in the history. */
static void label_below(unsigned char *lab, size_t n, size_t n_comp, const rank_key *ctop, size_t n_ctop,
                        const rank_key *ptop, size_t n_ptop)
{
    size_t nb = hpo_tpe_gamma_impl(n), k = 0;
    for (; k < nb && k < n_ctop; k++) lab[ctop[k].slot] = 1;
    if (k < nb && n_comp < n)
        for (size_t j = 0; j < nb - k && j < n_ptop; j++) lab[ptop[j].slot] = 1;
}

/* Slot i of h holds trial i (the whole history, not a view; also an empty one). */
static int slots_are_numbers(const hpo_history *h)
{
    return h->n == 0 || (h->trials[0]->number == 0 && (size_t)h->trials[h->n - 1]->number + 1 == h->n);
}

/* Bring the state up to date with history h for trial `self`: fold in newly
 * finished trials, list the RUNNING ones (constant liar), label the split.
 *
 * Whole history (slot i holds trial i, the usual case): only slots past the
 * cursor and trials last seen RUNNING are looked at, O(new + running).
 * A filtered view (hyperband's bracket): every record's state is read, O(n);
 * the split is ranked over the view's finished trials.
 * Either way the columns are not walked here. */
static hpo_status sync_history(tpe_state *s, const hpo_history *h, int64_t self)
{
    int maxi = h->direction == HPO_MAXIMIZE;
    s->n_liar = 0;
    s->call_fin = 0;
    s->viewed = 0;
    if (h->n == 0) return HPO_OK;
    size_t top = (size_t)h->trials[h->n - 1]->number + 1;
    HPO_TRY(reserve_num(s, top));
    HPO_TRY(grow((void **)&s->liar, &s->cap_liar, h->n, sizeof *s->liar));
    /* slot i holds trial i, and no trial folded in lies outside h (with
     * hyperband a bracket's view can hold trials 0..n-1 while later ones of
     * other brackets have finished) */
    int whole = slots_are_numbers(h) && s->num_hi <= top;
    if (whole) {
        /* a withdrawn last trial (trial_start failed) was RUNNING: forget it */
        if (h->n < s->cursor) {
            while (s->n_run && (size_t)s->runl[s->n_run - 1] >= h->n) s->n_run--;
            s->cursor = h->n;
        }
        HPO_TRY(grow((void **)&s->runl, &s->cap_run, s->n_run + (h->n - s->cursor), sizeof *s->runl));
        size_t k = 0;
        hpo_status st = HPO_OK;
        for (size_t i = 0; i < s->n_run; i++) {
            const hpo_trial_rec *r = h->trials[s->runl[i]];
            if (st == HPO_OK && r->state != HPO_RUNNING) {
                st = ingest(s, r);
                if (st == HPO_OK) continue;
            }
            s->runl[k++] = s->runl[i];
        }
        s->n_run = k;
        HPO_TRY(st);
        for (; s->cursor < h->n; s->cursor++) {
            const hpo_trial_rec *r = h->trials[s->cursor];
            if (r->state == HPO_RUNNING) s->runl[s->n_run++] = r->number;
            else HPO_TRY(ingest(s, r));
        }
        if (s->dir != maxi) tops_rebuild(s, maxi);
        if (s->o.constant_liar)
            for (size_t i = 0; i < s->n_run; i++)
                if (s->runl[i] != self) s->liar[s->n_liar++] = h->trials[s->runl[i]];
        memset(s->lab, 2, h->n);
        label_below(s->lab, s->n_fin, s->n_comp, s->ctop, s->n_ctop, s->ptop, s->n_ptop);
        s->call_fin = s->n_fin;
        return HPO_OK;
    }
    /* a view */
    s->viewed = 1;
    for (size_t i = 0; i < h->n; i++) {
        const hpo_trial_rec *r = h->trials[i];
        if (r->state != HPO_RUNNING) HPO_TRY(ingest(s, r));
    }
    if (s->dir != maxi) tops_rebuild(s, maxi);
    memset(s->lab, 0, top > s->num_hi ? top : s->num_hi);   /* also trials outside the view */
    rank_key ctop[TPE_TOP], ptop[TPE_TOP];
    size_t nct = 0, npt = 0, n = 0, nc = 0;
    for (size_t i = 0; i < h->n; i++) {
        const hpo_trial_rec *r = h->trials[i];
        size_t num = (size_t)r->number;
        if (r->state == HPO_RUNNING) {
            if (s->o.constant_liar && r->number != self) s->liar[s->n_liar++] = r;
            continue;
        }
        if (!IS_FIN(s->fin[num])) continue;
        rank_key k = rank_of(s, num, maxi);
        s->lab[num] = 2;
        n++;
        if (r->state == HPO_COMPLETE) { nc++; top_insert(ctop, &nct, TPE_TOP, &k); }
        else top_insert(ptop, &npt, TPE_TOP, &k);
    }
    label_below(s->lab, n, nc, ctop, nct, ptop, npt);
    s->call_fin = n;
    return HPO_OK;
}

/* Append the liar trials numbered below `upto` that hold every dim to the
 * above rows (Xa), noting their rows in s->rank; *li: next liar. */
static void flush_liars(tpe_state *s, size_t d, int64_t upto, size_t *li, size_t *na)
{
    for (; *li < s->n_liar && s->liar[*li]->number < upto; (*li)++) {
        const hpo_trial_rec *r = s->liar[*li];
        double *row = s->Xa + *na * d;
        size_t a = 0;
        for (; a < d; a++) {
            hpo_pval v; double cl, ch;
            if (!trial_value(s, r, s->dn[a], s->dd[a], &s->hint[a], &v)) break;
            dim_point(&s->dims[a], v, &row[a], &cl, &ch);
        }
        if (a == d) {
            s->rank[r->number] = *na;
            s->lsrt[s->n_lsrt++] = (kv){ 0, row[0], *na };
            (*na)++;
        }
    }
}

/* The observations of dims (s->dn, s->dd) below (Xb) and above (Xa), in trial
 * order: finished trials holding every dim (a merge of their columns by trial
 * number) and, above, the liar trials; s->rank[number] = an above trial's row.
 * Labels from sync_history. Cost O(column length + liars). */
static void gather(tpe_state *s, size_t d, size_t *nb_out, size_t *na_out)
{
    size_t nb = 0, na = 0, li = 0;
    int have = 1;
    s->n_lsrt = 0;
    for (size_t a = 0; a < d; a++) {
        s->gcol[a] = col_find(s, s->dn[a], s->dd[a]);
        s->gpos[a] = 0;
        s->hint[a] = 0;
        have &= s->gcol[a] != NULL;
    }
    if (have) {
        const tpe_col *c0 = s->gcol[0];
        for (size_t i = 0; i < c0->n; i++) {
            int64_t num = c0->num[i];
            unsigned char lb = s->lab[num];
            if (!lb) continue;
            size_t a = 1;
            for (; a < d; a++) {
                const tpe_col *c = s->gcol[a];
                size_t p = s->gpos[a];
                while (p < c->n && c->num[p] < num) p++;
                s->gpos[a] = p;
                if (p == c->n || c->num[p] != num) break;
            }
            if (a < d) continue;
            double *row;
            if (lb == 1) row = s->Xb + nb++ * d;
            else {
                if (li < s->n_liar) flush_liars(s, d, num, &li, &na);
                s->rank[num] = na;
                row = s->Xa + na++ * d;
            }
            row[0] = c0->x[i];
            for (a = 1; a < d; a++) row[a] = s->gcol[a]->x[s->gpos[a]];
        }
    }
    flush_liars(s, d, INT64_MAX, &li, &na);
    *nb_out = nb;
    *na_out = na;
}

/* Univariate numeric, after gather: the na above points into kvs (na) sorted
 * by (point, trial number), .i = row in Xa (= rank in trial order), exactly
 * what kv_sort of Xa gives, from the column's sorted arrays and the liars
 * (s->lsrt). Ranks grow with trial numbers, so ties go by rank. Cost
 * O(column length + liars^2), no sort. */
static void above_sorted(tpe_state *s, size_t na, kv *kvs)
{
    kv *ls = s->lsrt;
    size_t nl = s->n_lsrt, o = 0, l = 0;
    for (size_t i = 0; i < nl; i++) {        /* few: insertion sort by (key, rank) */
        kv t = ls[i];
        t.key = dkey(t.v);
        size_t j = i;
        while (j > 0 && (ls[j - 1].key > t.key || (ls[j - 1].key == t.key && ls[j - 1].i > t.i))) {
            ls[j] = ls[j - 1];
            j--;
        }
        ls[j] = t;
    }
    const tpe_col *c = s->gcol[0];
    for (size_t j = 0; c && j < c->n; j++) {
        int64_t num = c->snum[j];
        if (s->lab[num] != 2) continue;
        kv t = { dkey(c->sx[j]), c->sx[j], s->rank[num] };
        while (l < nl && (ls[l].key < t.key || (ls[l].key == t.key && ls[l].i < t.i))) kvs[o++] = ls[l++];
        kvs[o++] = t;
    }
    while (l < nl) kvs[o++] = ls[l++];
    assert(o == na);
    (void)na;
}

/* Sample the d parameters (s->dn, s->dd) jointly (d == 1: univariate) with
 * the state synced to the history. Results into out (d). */
static hpo_status tpe_core(tpe_state *s, size_t d, hpo_rng *rng, hpo_pval *out)
{
    size_t nfin = SIZE_MAX;            /* rows: at most the shortest column + the liars */
    for (size_t a = 0; a < d; a++) {
        const tpe_col *c = col_find(s, s->dn[a], s->dd[a]);
        size_t n = c ? c->n : 0;
        if (n < nfin) nfin = n;
    }
    HPO_TRY(reserve_obs(s, nfin + s->n_liar, d));
    size_t nc = s->o.ei_candidates > 0 ? (size_t)s->o.ei_candidates : 1;
    HPO_TRY(reserve_dims(s, d, nc));
    for (size_t a = 0; a < d; a++) dim_init(&s->dims[a], s->dd[a], s->o.compat_optuna3);
    size_t nb, na;
    gather(s, d, &nb, &na);
    double pw = s->o.prior_weight > 0 ? s->o.prior_weight : 1.0;
    HPO_TRY(est_build(&s->lb, &s->scr, s->dims, d, s->Xb, nb, pw, 1, 0));
    /* g(x) of a numeric parameter: its points come sorted from the column */
    int sorted = d == 1 && s->dims[0].kind != DIM_CAT && !s->ref_sort;
    if (sorted) {
        HPO_TRY(scratch_reserve(&s->scr, na + 1));
        above_sorted(s, na, s->scr.kvs);
    }
    HPO_TRY(est_build(&s->la, &s->scr, s->dims, d, s->Xa, na, pw, 0, sorted));
    /* candidates from l(x) */
    for (size_t j = 0; j < nc; j++) {
        double u = hpo_rng_uniform(rng);
        size_t lo = 0, hi = s->lb.K - 1;                /* first k with cw[k] > u */
        while (lo < hi) { size_t mid = (lo + hi) / 2; if (s->lb.cw[mid] > u) hi = mid; else lo = mid + 1; }
        for (size_t a = 0; a < d; a++)
            est_draw(&s->lb, &s->dims[a], a, lo, rng, &s->cv[j * d + a],
                     &s->cx[j * d + a], &s->ccl[j * d + a], &s->cch[j * d + a]);
    }
    /* argmax of log l - log g (first on ties). A candidate equal to an earlier
     * one (common for discrete and categorical parameters) has its score. */
    size_t best = 0;
    double bscore = -INFINITY;
    for (size_t j = 0; j < nc; j++) {
        const double *xj = s->cx + j * d, *lj = s->ccl + j * d, *hj = s->cch + j * d;
        size_t i = 0;
        for (; i < j; i++)
            if (memcmp(xj, s->cx + i * d, d * sizeof *xj) == 0 && memcmp(lj, s->ccl + i * d, d * sizeof *lj) == 0 &&
                memcmp(hj, s->cch + i * d, d * sizeof *hj) == 0) break;
        double sc;
        if (i < j) sc = s->csc[i];
        else {
            double l = est_logpdf(&s->lb, s->dims, d, xj, lj, hj, s->tb);
            double g = est_logpdf(&s->la, s->dims, d, xj, lj, hj, s->tb);
            sc = l - g;
            if (isnan(sc)) sc = -INFINITY;
        }
        s->csc[j] = sc;
        if (sc > bscore || j == 0) { bscore = sc; best = j; }
    }
    for (size_t a = 0; a < d; a++) out[a] = s->cv[best * d + a];
    s->last_score = bscore;
    return HPO_OK;
}

/* A distribution with one point: returns 1 and the value. */
static int single_value(const hpo_dist *d, hpo_pval *v)
{
    switch (d->kind) {
    case HPO_DIST_FLOAT:
        if (d->flo == d->fhi) { v->f = d->flo; return 1; }
        return 0;
    case HPO_DIST_INT:
        if (d->ilo == d->ihi) { v->i = d->ilo; return 1; }
        return 0;
    case HPO_DIST_CAT:
        if (d->n_choices == 1) { v->i = 0; return 1; }
        return 0;
    }
    return 0;
}

static void tpe_destroy(void *state);

static hpo_status tpe_create(const hpo_sampler_opts *o, void **state)
{
    HPO_CHECK(o->startup_trials >= 0, HPO_EINVAL, "tpe: startup_trials must be >= 0 (got %lld)",
              (long long)o->startup_trials);
    HPO_CHECK(o->ei_candidates >= 1, HPO_EINVAL, "tpe: ei_candidates must be >= 1 (got %lld)",
              (long long)o->ei_candidates);
    HPO_CHECK(o->prior_weight > 0 && isfinite(o->prior_weight), HPO_EINVAL,
              "tpe: prior_weight must be > 0 (got %g)", o->prior_weight);
    isa_init();
    tpe_state *s = hpo_calloc(1, sizeof *s);
    HPO_CHECK(s, HPO_ENOMEM, "out of memory for the TPE sampler");
    s->o = *o;
    s->o.type = "tpe";
    s->dir = -1;
    if (s->o.group) s->o.multivariate = 1;      /* Optuna: group needs multivariate */
    *state = s;
    return HPO_OK;
}

/* ---- multivariate / group: the relative search space -------------------- */

static void joint_free(tpe_joint *j)
{
    hpo_free(j->pidx);
    hpo_free(j->v);
    memset(j, 0, sizeof *j);
}

/* Drop the joint samples of trials that have finished, and of `self`'s
 * number (a stale one: a trial withdrawn before it ran). A trial h does not
 * hold is dropped only when h is the whole history (it was withdrawn): a
 * view (hyperband's bracket) does not show the RUNNING trials of other
 * brackets, whose samples they still need. Those are dropped by a later
 * call whose view holds them finished, or by destroy. */
static void joint_purge(tpe_state *s, const hpo_history *h, int64_t self)
{
    int whole = slots_are_numbers(h);
    size_t k = 0;
    for (size_t i = 0; i < s->n_joint; i++) {
        int64_t num = s->joint[i].number;
        const hpo_trial_rec *r = NULL;
        if (num >= 0 && (size_t)num < h->n && h->trials[num]->number == num) r = h->trials[num];
        else for (size_t t = 0; t < h->n; t++) if (h->trials[t]->number == num) { r = h->trials[t]; break; }
        int keep = num != self && (r ? r->state == HPO_RUNNING : !whole);
        if (keep) s->joint[k++] = s->joint[i];
        else joint_free(&s->joint[i]);
    }
    s->n_joint = k;
}

static int cmp_name(const void *a, const void *b, const tpe_param *p)
{
    return strcmp(p[*(const size_t *)a].name, p[*(const size_t *)b].name);
}

/* insertion sort of parameter indices by name (spaces are small) */
static void sort_by_name(size_t *idx, size_t n, const tpe_param *p)
{
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i], j = i;
        while (j > 0 && cmp_name(&v, &idx[j - 1], p) < 0) { idx[j] = idx[j - 1]; j--; }
        idx[j] = v;
    }
}

/* The space over the view h's finished trials (all folded in already). */
static hpo_status view_space(tpe_state *s, const hpo_history *h)
{
    tpe_space *sp = &s->view;
    sp->n = 0;
    sp->n_groups = 0;
    HPO_TRY(space_extend(s, sp));
    for (size_t i = 0; i < h->n; i++) {
        const hpo_trial_rec *r = h->trials[i];
        if (r->state != HPO_RUNNING && IS_FIN(s->fin[r->number])) HPO_TRY(space_add(s, sp, r));
    }
    return HPO_OK;
}

static hpo_status tpe_trial_begin(void *state, const hpo_history *h, hpo_trial_rec *t, hpo_rng *rng)
{
    tpe_state *s = state;
    if (!s->o.multivariate) return HPO_OK;
    joint_purge(s, h, t->number);
    HPO_TRY(sync_history(s, h, t->number));
    size_t n_fin = s->call_fin;   /* the finished trials h holds (a bracket's, with hyperband) */
    if (n_fin == 0 || n_fin < (size_t)s->o.startup_trials) return HPO_OK;
    const tpe_space *sp = &s->all;
    HPO_TRY(space_extend(s, &s->all));
    if (s->viewed) {
        HPO_TRY(view_space(s, h));
        sp = &s->view;
    }
    /* the space: parameters in every finished trial with one distribution
     * (multivariate) or every parameter, by group (group), single-valued dropped */
    size_t *idx = hpo_malloc((s->n_params ? s->n_params : 1) * sizeof *idx);
    HPO_CHECK(idx, HPO_ENOMEM, "out of memory for the relative search space");
    size_t m = 0;
    for (size_t p = 0; p < s->n_params; p++) {
        hpo_pval one;
        if (single_value(&s->params[p].dist, &one)) continue;
        if (sp->group[p] == SIZE_MAX) continue;                 /* in none of h's trials */
        if (!s->o.group && sp->count[p] != n_fin) continue;
        idx[m++] = p;
    }
    hpo_status st = HPO_OK;
    tpe_joint j = { t->number, 0, NULL, NULL };
    if (m == 0) goto done;
    j.pidx = hpo_malloc(m * sizeof *j.pidx);
    j.v = hpo_malloc(m * sizeof *j.v);
    HPO_CHECK_GOTO(j.pidx && j.v, done, HPO_ENOMEM, "out of memory for a joint sample");
    size_t ng = s->o.group ? sp->n_groups : 1;
    for (size_t g = 0; g < ng; g++) {
        size_t d = 0;
        size_t *gi = idx + j.n;            /* this group's parameters, packed after the previous */
        for (size_t q = j.n; q < m; q++) {
            if (s->o.group && sp->group[idx[q]] != g) continue;
            size_t tmp = idx[j.n + d]; idx[j.n + d] = idx[q]; idx[q] = tmp;
            d++;
        }
        if (d == 0) continue;
        sort_by_name(gi, d, s->params);
        HPO_TRY_GOTO(reserve_dims(s, d, (size_t)s->o.ei_candidates), done);
        for (size_t a = 0; a < d; a++) { s->dn[a] = s->params[gi[a]].name; s->dd[a] = &s->params[gi[a]].dist; }
        HPO_TRY_GOTO(tpe_core(s, d, rng, j.v + j.n), done);
        for (size_t a = 0; a < d; a++) j.pidx[j.n + a] = gi[a];
        j.n += d;
    }
    if (j.n) {
        HPO_TRY_GOTO(grow((void **)&s->joint, &s->cap_joint, s->n_joint + 1, sizeof *s->joint), done);
        s->joint[s->n_joint++] = j;
        j.pidx = NULL; j.v = NULL;
    }
done:
    hpo_free(idx);
    joint_free(&j);
    return st;
}

static hpo_status tpe_sample(void *state, const hpo_history *h, const hpo_trial_rec *t,
                             const char *name, const hpo_dist *d, hpo_rng *rng, hpo_pval *out)
{
    tpe_state *s = state;
    if (single_value(d, out)) return HPO_OK;
    if (s->o.multivariate && s->n_joint) {
        const tpe_joint *j = joint_find(s, t->number);
        for (size_t i = 0; j && i < j->n; i++) {
            const tpe_param *q = &s->params[j->pidx[i]];
            if (strcmp(q->name, name) == 0 && hpo_dist_equal(&q->dist, d)) { *out = j->v[i]; return HPO_OK; }
        }
    }
    HPO_TRY(sync_history(s, h, t->number));
    if (s->call_fin < (size_t)s->o.startup_trials || s->call_fin == 0) {
        *out = hpo_sample_uniform(d, rng);
        return HPO_OK;
    }
    HPO_TRY(reserve_dims(s, 1, (size_t)s->o.ei_candidates));
    s->dn[0] = name;
    s->dd[0] = d;
    HPO_TRY(tpe_core(s, 1, rng, out));
    return HPO_OK;
}

static void tpe_destroy(void *state)
{
    tpe_state *s = state;
    if (!s) return;
    hpo_free(s->fin); hpo_free(s->lab); hpo_free(s->key1); hpo_free(s->key2); hpo_free(s->runl);
    for (size_t i = 0; i < s->n_cols; i++) col_free(s->cols[i]);
    hpo_free(s->cols);
    hpo_free(s->liar);
    hpo_free(s->Xb); hpo_free(s->Xa); hpo_free(s->tb); hpo_free(s->lsrt); hpo_free(s->rank);
    est_free(&s->lb); est_free(&s->la);
    scratch_free(&s->scr);
    hpo_free(s->cx); hpo_free(s->ccl); hpo_free(s->cch); hpo_free(s->cv); hpo_free(s->csc);
    hpo_free(s->dims); hpo_free(s->dd); hpo_free(s->dn); hpo_free(s->hint);
    hpo_free(s->gcol); hpo_free(s->gpos);
    for (size_t i = 0; i < s->n_params; i++) { hpo_free(s->params[i].name); hpo_dist_clear(&s->params[i].dist); }
    hpo_free(s->params);
    space_free(&s->all);
    space_free(&s->view);
    hpo_free(s->gmap);
    for (size_t i = 0; i < s->n_joint; i++) joint_free(&s->joint[i]);
    hpo_free(s->joint);
    hpo_free(s);
}

const hpo_sampler_ops hpo_sampler_tpe = {
    .name = "tpe",
    .create = tpe_create,
    .trial_begin = tpe_trial_begin,
    .sample = tpe_sample,
    .destroy = tpe_destroy,
};

/* ==== test entry points ================================================== */

double hpo_tpe_probe_impl(void *state, int ref_sort)
{
    tpe_state *s = state;
    if (ref_sort >= 0) s->ref_sort = ref_sort;
    return s->last_score;
}

hpo_status hpo_tpe_logpdf_joint_impl(const hpo_dist *const *d, size_t nd, const hpo_pval *obs, size_t n,
                                     double prior_weight, int o3, const hpo_pval *at, size_t n_at, double *out)
{
    isa_init();
    tpe_est e;
    tpe_scratch sc;
    memset(&e, 0, sizeof e);
    memset(&sc, 0, sizeof sc);
    hpo_status st = HPO_OK;
    tpe_dim *m = hpo_malloc((nd ? nd : 1) * sizeof *m);
    double *X = hpo_malloc((n * nd + 1) * sizeof *X), *tb = hpo_malloc((n + 2) * sizeof *tb);
    double *p = hpo_malloc((3 * nd + 1) * sizeof *p);       /* one point: x, cl, ch (nd each) */
    HPO_CHECK_GOTO(m && X && tb && p, out_free, HPO_ENOMEM, "out of memory");
    for (size_t a = 0; a < nd; a++) dim_init(&m[a], d[a], o3);
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < nd; a++) { double cl, ch; dim_point(&m[a], obs[i * nd + a], &X[i * nd + a], &cl, &ch); }
    HPO_TRY_GOTO(est_build(&e, &sc, m, nd, X, n, prior_weight, 1, 0), out_free);
    for (size_t i = 0; i < n_at; i++) {
        for (size_t a = 0; a < nd; a++) dim_point(&m[a], at[i * nd + a], &p[a], &p[nd + a], &p[2 * nd + a]);
        out[i] = est_logpdf(&e, m, nd, p, p + nd, p + 2 * nd, tb);
    }
out_free:
    hpo_free(m); hpo_free(X); hpo_free(tb); hpo_free(p);
    est_free(&e);
    scratch_free(&sc);
    return st;
}

hpo_status hpo_tpe_logpdf_impl(const hpo_dist *d, const hpo_pval *obs, size_t n, double prior_weight,
                               const hpo_pval *at, size_t n_at, double *out)
{
    return hpo_tpe_logpdf_joint_impl(&d, 1, obs, n, prior_weight, 0, at, n_at, out);
}
