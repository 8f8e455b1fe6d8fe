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
 * Against Optuna 3.1 (Debian's python3-optuna, the peer benchmark) expect
 * different choices by design: 3.1 puts the prior mean among the neighbours
 * for the bandwidth (removed in 4.9) and its truncnorm.logpdf lacks the
 * -log(sigma) term (fixed later). With both 3.1 rules switched in, this
 * estimator reproduces 3.1's _ParzenEstimator.log_pdf to 10 digits
 * (docs/benchmarks-tpe.md).
 *
 * Cost per suggestion: O(n) for the split and the observations, O(m log m) to
 * sort the m observations of a continuous parameter, and
 * O(ei_candidates x kernels) to score, kernels <= m + 1 (<= 3 x values for a
 * discrete parameter). No allocation in the hot path once the scratch buffers
 * (kept in the state) have grown to the history's size. */
#include "sampler_tpe.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

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
    /* a < 0 < b: 1 - Phi(a) - Phi(-b); each erfc term only when it matters */
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
 * order. tmp: (n) scratch. Cost O(8 (n + 256)). */
static void kv_sort(kv *kvs, kv *tmp, size_t n)
{
    for (size_t i = 0; i < n; i++) kvs[i].key = dkey(kvs[i].v);
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

/* Sort the n means (kv[i] = {mus[i], i}) and give each its bandwidth in sorted
 * order: sig[r] belongs to observation kvs[r].i. Clip to [R/min(100,n+2), R]. */
static void bandwidth_sorted(kv *kvs, kv *tmp, size_t n, double lo, double hi, double *sig)
{
    double R = hi - lo;
    kv_sort(kvs, tmp, n);
    if (n == 1) {
        sig[0] = fmax(kvs[0].v - lo, hi - kvs[0].v);
    } else {
        for (size_t r = 0; r < n; r++) {
            double left = r > 0 ? kvs[r].v - kvs[r - 1].v : -INFINITY;
            double right = r + 1 < n ? kvs[r + 1].v - kvs[r].v : -INFINITY;
            sig[r] = fmax(left, right);   /* ends: the inner gap only (endpoints off) */
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
    bandwidth_sorted(kvs, kvs + n, n, lo, hi, s);
    for (size_t r = 0; r < n; r++) { sigma[kvs[r].i] = s[r]; if (work) work[r] = kvs[r].i; }
    hpo_free(kvs);
    hpo_free(s);
}

/* ==== the below/above split ============================================== */

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
    int    logint;       /* discrete in log space (cells in log space) */
    double lo, hi, R;    /* kernel-space domain (widened by step/2 if discrete, log if log) */
    double step;         /* linear discrete: the cell width; else 0 */
    size_t C;            /* categorical: number of choices */
} tpe_dim;

static void dim_init(tpe_dim *m, const hpo_dist *d)
{
    memset(m, 0, sizeof *m);
    m->d = d;
    switch (d->kind) {
    case HPO_DIST_CAT:
        m->kind = DIM_CAT; m->C = d->n_choices;
        break;
    case HPO_DIST_INT:
        m->kind = DIM_DISC;
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
} tpe_est;

static void est_free(tpe_est *e)
{
    hpo_free(e->logw); hpo_free(e->cw); hpo_free(e->mu); hpo_free(e->isig);
    hpo_free(e->c); hpo_free(e->catc);
    memset(e, 0, sizeof *e);
}

static hpo_status est_reserve(tpe_est *e, size_t K, size_t d)
{
    if (K <= e->cap && d <= e->capd) return HPO_OK;
    size_t cap = K > e->cap ? (K > 2 * e->cap ? K : 2 * e->cap) : e->cap;
    size_t capd = d > e->capd ? d : e->capd;
    double *p[5] = { hpo_malloc(cap * sizeof(double)), hpo_malloc(cap * sizeof(double)),
                     hpo_malloc(cap * capd * sizeof(double)), hpo_malloc(cap * capd * sizeof(double)),
                     hpo_malloc(cap * capd * sizeof(double)) };
    double *cc = hpo_malloc(3 * capd * sizeof(double));
    if (!p[0] || !p[1] || !p[2] || !p[3] || !p[4] || !cc) {
        for (int i = 0; i < 5; i++) hpo_free(p[i]);
        hpo_free(cc);
        HPO_FAIL(HPO_ENOMEM, "out of memory for a Parzen estimator of %zu kernels", K);
    }
    est_free(e);
    e->logw = p[0]; e->cw = p[1]; e->mu = p[2]; e->isig = p[3]; e->c = p[4]; e->catc = cc;
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

/* Set kernel (a, k) of a numeric dim: mean mu, bandwidth sigma. */
static void kern_set(tpe_est *e, const tpe_dim *m, size_t a, size_t k, double mu, double sigma)
{
    size_t j = a * e->cap + k;
    double lz = hpo_tpe_log_gauss_mass_impl((m->lo - mu) / sigma, (m->hi - mu) / sigma);
    e->mu[j] = mu;
    e->isig[j] = 1.0 / sigma;
    e->c[j] = m->kind == DIM_CONT ? -log(sigma) - LOG_SQRT_2PI - lz : -lz;
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

/* Build the estimator from n observations X (n, d) (trial-major, kernel-space
 * points; categorical: the index) in trial order. Univariate (d == 1): the
 * neighbour-gap bandwidth and kernel merging. Joint (d > 1): Scott-like
 * bandwidth per dim. */
static hpo_status est_build(tpe_est *e, tpe_scratch *s, const tpe_dim *dims, size_t d,
                            const double *X, size_t n, double pw)
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
            for (size_t i = 0; i < n; i++) { s->kvs[i].v = X[i]; s->kvs[i].i = i; }
            if (n > 0) bandwidth_sorted(s->kvs, s->kvs + n, n, m->lo, m->hi, s->sig);
            for (size_t r = 0; r < n; r++) {
                double mu = s->kvs[r].v, sg = s->sig[r], wsum = s->w[s->kvs[r].i];
                while (r + 1 < n && s->kvs[r + 1].v == mu && s->sig[r + 1] == sg) wsum += s->w[s->kvs[++r].i];
                kern_set(e, m, 0, K, mu, sg);
                e->logw[K] = log(wsum) - logW; K++;
            }
            kern_set(e, m, 0, K, 0.5 * (m->lo + m->hi), m->R);
            e->logw[K] = log(pw) - logW; K++;
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
            for (size_t i = 0; i < n; i++) kern_set(e, m, a, i, X[i * d + a], sg);
            kern_set(e, m, a, n, 0.5 * (m->lo + m->hi), m->R);
        }
        for (size_t i = 0; i < n; i++) e->logw[i] = log(s->w[i]) - logW;
        e->logw[n] = log(pw) - logW;
        K = n + 1;
    }
    e->K = K;
    double acc = 0.0;
    for (size_t k = 0; k < K; k++) { acc += exp(e->logw[k]); e->cw[k] = acc; }
    for (size_t k = 0; k < K; k++) e->cw[k] /= acc;
    e->cw[K - 1] = 1.0;
    return HPO_OK;
}

/* log density of the estimator at one point: x (d) kernel-space points, cl/ch
 * (d) discrete cells, ci (d) categorical indices. tb: (K) scratch. */
static double est_logpdf(const tpe_est *e, const tpe_dim *dims, size_t d, const double *x,
                         const double *cl, const double *ch, double *tb)
{
    size_t K = e->K, cap = e->cap;
    double mx = -INFINITY;
    if (d == 1 && dims[0].kind == DIM_CONT) {                /* the hot loop */
        const double *mu = e->mu, *is = e->isig, *c = e->c, *lw = e->logw;
        double xv = x[0];
        for (size_t k = 0; k < K; k++) {
            double z = (xv - mu[k]) * is[k];
            double t = lw[k] + c[k] - 0.5 * z * z;
            tb[k] = t;
            if (t > mx) mx = t;
        }
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
    /* terms below e^-40 of the largest change the sum by < 1e-17 relative:
     * skip their exp (most kernels, far from x, once the history is long) */
    double sum = 0.0, cut = mx - 40.0;
    for (size_t k = 0; k < K; k++) if (tb[k] > cut) sum += exp(tb[k] - mx);
    return mx + log(sum);
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
    if (m->kind == DIM_CONT) { *x = *cl = *ch = xs; return; }
    dim_point(m, *v, x, cl, ch);
}

/* ==== the sampler state ================================================== */

/* A parameter the multivariate modes have seen in a finished trial. */
typedef struct tpe_param {
    char    *name;
    hpo_dist dist;       /* first seen */
    size_t   count;      /* finished trials holding it with this distribution */
    size_t   group;      /* group id (group mode) */
} tpe_param;

/* The joint sample of a RUNNING trial, handed out by `sample`. */
typedef struct tpe_joint {
    int64_t   number;
    size_t    n;
    size_t   *pidx;      /* (n) into params */
    hpo_pval *v;         /* (n) */
} tpe_joint;

typedef struct tpe_state {
    hpo_sampler_opts o;
    size_t cap_hist;
    unsigned char *label;    /* (cap_hist) split labels */
    unsigned char *seen;     /* (cap_hist) finished trial already folded into params */
    size_t cap_obs;
    double *Xb, *Xa;         /* (cap_obs, d) observations below / above */
    double *tb;              /* (cap_obs + 1) per-kernel scratch */
    tpe_est lb, la;          /* l(x), g(x) */
    tpe_scratch scr;
    size_t cap_cand;
    double *cx, *ccl, *cch;  /* (n_cand, d) candidates in kernel space */
    hpo_pval *cv;            /* (n_cand, d) candidates as values */
    tpe_dim *dims;           /* (cap_d) */
    const hpo_dist **dd;     /* (cap_d) */
    const char **dn;         /* (cap_d) */
    size_t *hint;            /* (cap_d) where the parameter sat in the last trial's record */
    size_t cap_d;
    /* multivariate / group */
    tpe_param *params; size_t n_params, cap_params;
    size_t n_fin_seen;       /* finished trials folded in */
    size_t n_groups;
    size_t *gmap; size_t cap_gmap;     /* group id remap scratch */
    tpe_joint *joint; size_t n_joint, cap_joint;
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

static hpo_status reserve_hist(tpe_state *s, size_t n)
{
    if (n <= s->cap_hist) return HPO_OK;
    size_t c = n > 2 * s->cap_hist ? n : 2 * s->cap_hist;
    unsigned char *l = hpo_realloc(s->label, c);
    HPO_CHECK(l, HPO_ENOMEM, "out of memory for TPE labels");
    s->label = l;
    unsigned char *z = hpo_realloc(s->seen, c);
    HPO_CHECK(z, HPO_ENOMEM, "out of memory for TPE labels");
    memset(z + s->cap_hist, 0, c - s->cap_hist);
    s->seen = z;
    s->cap_hist = c;
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

/* Sample the d parameters (s->dn, s->dd) jointly (d == 1: univariate) with
 * labels already in s->label. Results into out (d). */
static hpo_status tpe_core(tpe_state *s, const hpo_history *h, size_t d, hpo_rng *rng, hpo_pval *out)
{
    HPO_TRY(reserve_obs(s, h->n, d));
    size_t nc = s->o.ei_candidates > 0 ? (size_t)s->o.ei_candidates : 1;
    HPO_TRY(reserve_dims(s, d, nc));
    for (size_t a = 0; a < d; a++) dim_init(&s->dims[a], s->dd[a]);
    /* observations: trials holding every parameter, in trial order */
    size_t nb = 0, na = 0;
    for (size_t a = 0; a < d; a++) s->hint[a] = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (!s->label[i]) continue;
        const hpo_trial_rec *r = h->trials[i];
        double *row = s->label[i] == 1 ? s->Xb + nb * d : s->Xa + na * d;
        size_t a = 0;
        for (; a < d; a++) {
            hpo_pval v; double cl, ch;
            if (!trial_value(s, r, s->dn[a], s->dd[a], &s->hint[a], &v)) break;
            dim_point(&s->dims[a], v, &row[a], &cl, &ch);
        }
        if (a < d) continue;
        if (s->label[i] == 1) nb++; else na++;
    }
    double pw = s->o.prior_weight > 0 ? s->o.prior_weight : 1.0;
    HPO_TRY(est_build(&s->lb, &s->scr, s->dims, d, s->Xb, nb, pw));
    HPO_TRY(est_build(&s->la, &s->scr, s->dims, d, s->Xa, na, pw));
    /* candidates from l(x) */
    for (size_t j = 0; j < nc; j++) {
        double u = hpo_rng_uniform(rng);
        size_t lo = 0, hi = s->lb.K - 1;                /* first k with cw[k] > u */
        while (lo < hi) { size_t mid = (lo + hi) / 2; if (s->lb.cw[mid] > u) hi = mid; else lo = mid + 1; }
        for (size_t a = 0; a < d; a++)
            est_draw(&s->lb, &s->dims[a], a, lo, rng, &s->cv[j * d + a],
                     &s->cx[j * d + a], &s->ccl[j * d + a], &s->cch[j * d + a]);
    }
    /* argmax of log l - log g (first on ties) */
    size_t best = 0;
    double bscore = -INFINITY;
    for (size_t j = 0; j < nc; j++) {
        double l = est_logpdf(&s->lb, s->dims, d, s->cx + j * d, s->ccl + j * d, s->cch + j * d, s->tb);
        double g = est_logpdf(&s->la, s->dims, d, s->cx + j * d, s->ccl + j * d, s->cch + j * d, s->tb);
        double sc = l - g;
        if (isnan(sc)) sc = -INFINITY;
        if (sc > bscore || j == 0) { bscore = sc; best = j; }
    }
    for (size_t a = 0; a < d; a++) out[a] = s->cv[best * d + a];
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

static size_t count_finished(const hpo_history *h)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n; i++)
        n += h->trials[i]->state == HPO_COMPLETE || h->trials[i]->state == HPO_PRUNED;
    return n;
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
    tpe_state *s = hpo_calloc(1, sizeof *s);
    HPO_CHECK(s, HPO_ENOMEM, "out of memory for the TPE sampler");
    s->o = *o;
    s->o.type = "tpe";
    if (s->o.group) s->o.multivariate = 1;      /* Optuna: group needs multivariate */
    *state = s;
    return HPO_OK;
}

/* ---- multivariate / group: the relative search space -------------------- */

static long param_find(const tpe_state *s, const char *name)
{
    for (size_t i = 0; i < s->n_params; i++)
        if (strcmp(s->params[i].name, name) == 0) return (long)i;
    return -1;
}

/* Fold newly finished trials into the parameter table: per-parameter counts
 * (intersection) and the co-occurrence partition (groups). Order-independent;
 * each finished trial is folded once. Cost O(new trials x params^2). */
static hpo_status fold_finished(tpe_state *s, const hpo_history *h)
{
    HPO_TRY(reserve_hist(s, h->n));
    for (size_t i = 0; i < h->n; i++) {
        const hpo_trial_rec *r = h->trials[i];
        if (s->seen[i] || (r->state != HPO_COMPLETE && r->state != HPO_PRUNED)) continue;
        /* make sure every parameter has a slot */
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
            q->group = SIZE_MAX;
            s->n_params++;
        }
        HPO_TRY(grow((void **)&s->gmap, &s->cap_gmap, s->n_groups + 1, sizeof *s->gmap));
        for (size_t g = 0; g <= s->n_groups; g++) s->gmap[g] = SIZE_MAX;
        size_t next = s->n_groups;     /* ids for "group & this trial" parts */
        for (size_t p = 0; p < r->n_params; p++) {
            tpe_param *q = &s->params[param_find(s, r->params[p].name)];
            if (hpo_dist_equal(&q->dist, &r->params[p].dist)) q->count++;
            size_t g = q->group == SIZE_MAX ? s->n_groups : q->group;   /* new params: one new group */
            if (s->gmap[g] == SIZE_MAX) s->gmap[g] = next++;
            q->group = s->gmap[g];
        }
        /* compact group ids to 0..n_groups-1, in order of first parameter */
        size_t ng = 0;
        HPO_TRY(grow((void **)&s->gmap, &s->cap_gmap, next + 1, sizeof *s->gmap));
        for (size_t g = 0; g < next; g++) s->gmap[g] = SIZE_MAX;
        for (size_t p = 0; p < s->n_params; p++) {
            tpe_param *q = &s->params[p];
            if (q->group == SIZE_MAX) continue;
            if (s->gmap[q->group] == SIZE_MAX) s->gmap[q->group] = ng++;
            q->group = s->gmap[q->group];
        }
        s->n_groups = ng;
        s->seen[i] = 1;
        s->n_fin_seen++;
    }
    return HPO_OK;
}

static void joint_free(tpe_joint *j)
{
    hpo_free(j->pidx);
    hpo_free(j->v);
    memset(j, 0, sizeof *j);
}

/* Forget joint samples of trials that are no longer RUNNING. */
static void joint_purge(tpe_state *s, const hpo_history *h)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n_joint; i++) {
        int64_t num = s->joint[i].number;
        const hpo_trial_rec *r = NULL;
        if (num >= 0 && (size_t)num < h->n && h->trials[num]->number == num) r = h->trials[num];
        else for (size_t t = 0; t < h->n; t++) if (h->trials[t]->number == num) { r = h->trials[t]; break; }
        if (r && r->state == HPO_RUNNING) s->joint[k++] = s->joint[i];
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

static hpo_status tpe_trial_begin(void *state, const hpo_history *h, hpo_trial_rec *t, hpo_rng *rng)
{
    tpe_state *s = state;
    if (!s->o.multivariate) return HPO_OK;
    joint_purge(s, h);
    HPO_TRY(fold_finished(s, h));
    size_t n_fin = s->n_fin_seen;
    if (n_fin == 0 || n_fin < (size_t)s->o.startup_trials) return HPO_OK;
    /* the space: parameters in every finished trial with one distribution
     * (multivariate) or every parameter, by group (group), single-valued dropped */
    size_t *idx = hpo_malloc((s->n_params ? s->n_params : 1) * sizeof *idx);
    HPO_CHECK(idx, HPO_ENOMEM, "out of memory for the relative search space");
    size_t m = 0;
    for (size_t p = 0; p < s->n_params; p++) {
        hpo_pval one;
        if (single_value(&s->params[p].dist, &one)) continue;
        if (!s->o.group && s->params[p].count != n_fin) continue;
        idx[m++] = p;
    }
    hpo_status st = HPO_OK;
    tpe_joint j = { t->number, 0, NULL, NULL };
    if (m == 0) goto done;
    j.pidx = hpo_malloc(m * sizeof *j.pidx);
    j.v = hpo_malloc(m * sizeof *j.v);
    HPO_CHECK_GOTO(j.pidx && j.v, done, HPO_ENOMEM, "out of memory for a joint sample");
    HPO_TRY_GOTO(reserve_hist(s, h->n), done);
    size_t n_fin2;
    hpo_tpe_split_impl(h, t->number, s->o.constant_liar, s->label, &n_fin2);
    size_t ng = s->o.group ? s->n_groups : 1;
    for (size_t g = 0; g < ng; g++) {
        size_t d = 0;
        size_t *gi = idx + j.n;            /* this group's parameters, packed after the previous */
        for (size_t q = j.n; q < m; q++) {
            if (s->o.group && s->params[idx[q]].group != g) continue;
            size_t tmp = idx[j.n + d]; idx[j.n + d] = idx[q]; idx[q] = tmp;
            d++;
        }
        if (d == 0) continue;
        sort_by_name(gi, d, s->params);
        HPO_TRY_GOTO(reserve_dims(s, d, (size_t)s->o.ei_candidates), done);
        for (size_t a = 0; a < d; a++) { s->dn[a] = s->params[gi[a]].name; s->dd[a] = &s->params[gi[a]].dist; }
        HPO_TRY_GOTO(tpe_core(s, h, d, rng, j.v + j.n), done);
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
    if (count_finished(h) < (size_t)s->o.startup_trials) { *out = hpo_sample_uniform(d, rng); return HPO_OK; }
    HPO_TRY(reserve_hist(s, h->n));
    size_t n_fin;
    hpo_tpe_split_impl(h, t->number, s->o.constant_liar, s->label, &n_fin);
    if (n_fin == 0) { *out = hpo_sample_uniform(d, rng); return HPO_OK; }
    HPO_TRY(reserve_dims(s, 1, (size_t)s->o.ei_candidates));
    s->dn[0] = name;
    s->dd[0] = d;
    HPO_TRY(tpe_core(s, h, 1, rng, out));
    return HPO_OK;
}

static void tpe_destroy(void *state)
{
    tpe_state *s = state;
    if (!s) return;
    hpo_free(s->label); hpo_free(s->seen);
    hpo_free(s->Xb); hpo_free(s->Xa); hpo_free(s->tb);
    est_free(&s->lb); est_free(&s->la);
    scratch_free(&s->scr);
    hpo_free(s->cx); hpo_free(s->ccl); hpo_free(s->cch); hpo_free(s->cv);
    hpo_free(s->dims); hpo_free(s->dd); hpo_free(s->dn); hpo_free(s->hint);
    for (size_t i = 0; i < s->n_params; i++) { hpo_free(s->params[i].name); hpo_dist_clear(&s->params[i].dist); }
    hpo_free(s->params);
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

/* ==== test entry point ==================================================== */

hpo_status hpo_tpe_logpdf_impl(const hpo_dist *d, const hpo_pval *obs, size_t n, double prior_weight,
                               const hpo_pval *at, size_t n_at, double *out)
{
    tpe_est e;
    tpe_scratch sc;
    memset(&e, 0, sizeof e);
    memset(&sc, 0, sizeof sc);
    tpe_dim m;
    dim_init(&m, d);
    hpo_status st = HPO_OK;
    double *X = hpo_malloc((n + 1) * sizeof *X), *tb = hpo_malloc((n + 2) * sizeof *tb);
    HPO_CHECK_GOTO(X && tb, out_free, HPO_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) { double cl, ch; dim_point(&m, obs[i], &X[i], &cl, &ch); }
    HPO_TRY_GOTO(est_build(&e, &sc, &m, 1, X, n, prior_weight), out_free);
    for (size_t i = 0; i < n_at; i++) {
        double x, cl, ch;
        dim_point(&m, at[i], &x, &cl, &ch);
        out[i] = est_logpdf(&e, &m, 1, &x, &cl, &ch, tb);
    }
out_free:
    hpo_free(X); hpo_free(tb);
    est_free(&e);
    scratch_free(&sc);
    return st;
}
