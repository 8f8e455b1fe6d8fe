/* importance.c - PED-ANOVA parameter importances (see importance.h).
 *
 * Follows optuna/importance/_ped_anova/{evaluator,scott_parzen_estimator}.py
 * step by step: quantile filter, grid counts, Scott Parzen estimator with a
 * prior kernel, discrete truncated normal kernels, Pearson divergence. */
#include "importance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

#define N_STEPS       50          /* Optuna: self._n_steps */
#define PRIOR_WEIGHT  1.0
#define MIN_N_TOP     2           /* Optuna: self._min_n_top_trials */
#define PDF_EPS       1e-12
#define SQRT2         1.41421356237309504880

/* Mass of N(0,1) on [a, b], computed on the side where it does not cancel. */
static double gauss_mass(double a, double b)
{
    if (b <= 0) return 0.5 * (erfc(-b / SQRT2) - erfc(-a / SQRT2));
    if (a >= 0) return 0.5 * (erfc(a / SQRT2) - erfc(b / SQRT2));
    return 1.0 - 0.5 * erfc(-a / SQRT2) - 0.5 * erfc(b / SQRT2);
}

/* Discrete truncated normal on the integers 0..G-1 (Optuna's
 * _BatchedDiscreteTruncNormDistributions with low 0, high G-1, step 1). */
static double dtn_pdf(double x, double mu, double sigma, size_t G)
{
    double lo = -0.5, hi = (double)G - 0.5;
    double xl = fmax(x - 0.5, lo), xu = fmin(x + 0.5, hi);
    double acc = gauss_mass((lo - mu) / sigma, (hi - mu) / sigma);
    if (!(acc > 0)) return 0;
    return gauss_mass((xl - mu) / sigma, (xu - mu) / sigma) / acc;
}

void hpo_importance_parzen_pdf(const double *c, size_t G, int categorical, double *pdf)
{
    double n = 0;
    size_t m = 0;                                 /* grid points with a count */
    for (size_t g = 0; g < G; g++) { n += c[g]; if (c[g] > 0) m++; }
    if (m == 0) {                                 /* no observation: the prior alone */
        for (size_t g = 0; g < G; g++)
            pdf[g] = categorical ? 1.0 / (double)G : dtn_pdf((double)g, 0.5 * (double)(G - 1), (double)G, G);
        return;
    }
    double wsum = n + PRIOR_WEIGHT;
    if (categorical) {
        /* kernel k (at category j_k, weight c_k): (pw/K + [g==j_k]) / (G pw/K + 1); prior: uniform */
        double K = (double)(m + 1), base = PRIOR_WEIGHT / K, row = (double)G * base + 1.0;
        for (size_t g = 0; g < G; g++) {
            double p = PRIOR_WEIGHT / wsum / (double)G;
            for (size_t j = 0; j < G; j++)
                if (c[j] > 0) p += c[j] / wsum * (base + (j == g ? 1.0 : 0.0)) / row;
            pdf[g] = p;
        }
        return;
    }
    /* Scott's rule on the grid index: 1.059 min(IQR/1.34, sd) n^-1/5 */
    double mean = 0, var = 0;
    for (size_t g = 0; g < G; g++) mean += (double)g * c[g] / n;
    for (size_t g = 0; g < G; g++) var += ((double)g - mean) * ((double)g - mean) * c[g];
    double sd = sqrt(var / fmax(1.0, n - 1.0));
    double q25 = floor(n / 4), q75 = floor(n * 3 / 4), cum = 0;
    long j25 = -1, j75 = -1, last = -1;
    for (size_t g = 0; g < G; g++) {
        if (!(c[g] > 0)) continue;
        cum += c[g];
        last = (long)g;
        if (j25 < 0 && cum >= q25) j25 = (long)g;     /* searchsorted side=left */
        if (j75 < 0 && cum > q75) j75 = (long)g;      /* searchsorted side=right */
    }
    if (j75 < 0) j75 = last;
    if (j25 < 0) j25 = last;
    double iqr = (double)(j75 - j25);
    double sigma = fmax(1.059 * fmin(iqr / 1.34, sd) * pow(n, -0.2), 0.5 / 1.64);
    double pmu = 0.5 * (double)(G - 1), psig = (double)G;
    for (size_t g = 0; g < G; g++) {
        double p = PRIOR_WEIGHT / wsum * dtn_pdf((double)g, pmu, psig, G);
        for (size_t j = 0; j < G; j++)
            if (c[j] > 0) p += c[j] / wsum * dtn_pdf((double)g, (double)j, sigma, G);
        pdf[g] = p;
    }
}

double hpo_importance_pearson(const double *ct, const double *ca, size_t G, int categorical, int local)
{
    double *pt = hpo_malloc(2 * G * sizeof *pt);
    if (!pt) return NAN;
    double *pa = pt + G;
    hpo_importance_parzen_pdf(ct, G, categorical, pt);
    if (local) hpo_importance_parzen_pdf(ca, G, categorical, pa);
    double d = 0;
    for (size_t g = 0; g < G; g++) {
        double t = pt[g] + PDF_EPS, a = local ? pa[g] + PDF_EPS : 1.0 / (double)G;
        d += a * (t / a - 1) * (t / a - 1);
    }
    hpo_free(pt);
    return d;
}

/* ---- grid counts ------------------------------------------------------- */

static int dist_single(const hpo_dist *d)
{
    switch (d->kind) {
    case HPO_DIST_FLOAT: return d->flo == d->fhi;
    case HPO_DIST_INT:   return d->ilo == d->ihi;
    case HPO_DIST_CAT:   return d->n_choices <= 1;
    }
    return 1;
}

/* Number of grid points for a numeric distribution (Optuna's rules). */
static size_t grid_size(const hpo_dist *d)
{
    double n = N_STEPS;
    if (d->kind == HPO_DIST_INT && d->log)
        n = fmin(ceil(log((double)(d->ihi - d->ilo) + 1.0) / log(2.0)) + 1.0, N_STEPS);
    else if (d->kind == HPO_DIST_INT)
        n = fmin(round((double)(d->ihi - d->ilo) / (double)d->istep) + 1.0, N_STEPS);
    else if (d->fstep > 0)
        n = fmin(round((d->fhi - d->flo) / d->fstep) + 1.0, N_STEPS);
    return n < 2 ? 2 : (size_t)n;
}

static double num_value(const hpo_dist *d, hpo_pval v)
{
    double x = d->kind == HPO_DIST_FLOAT ? v.f : (double)v.i;
    return d->log ? log(x) : x;
}

/* counts (G) += the grid cell of each trial's value of parameter `name`. */
static void count_param(hpo_trial_rec *const *t, const size_t *idx, size_t m, const char *name,
                        const hpo_dist *d, size_t G, double *counts)
{
    memset(counts, 0, G * sizeof *counts);
    double lo = 0, hi = 0, h = 0;
    if (d->kind != HPO_DIST_CAT) {
        lo = d->kind == HPO_DIST_FLOAT ? d->flo : (double)d->ilo;
        hi = d->kind == HPO_DIST_FLOAT ? d->fhi : (double)d->ihi;
        if (d->log) { lo = log(lo); hi = log(hi); }
        h = (hi - lo) / (double)(G - 1);
    }
    for (size_t k = 0; k < m; k++) {
        const hpo_param_rec *p = hpo_rec_find_param(t[idx[k]], name);
        size_t g;
        if (d->kind == HPO_DIST_CAT) {
            g = p->v.i >= 0 && (size_t)p->v.i < G ? (size_t)p->v.i : 0;
        } else {
            /* numpy: searchsorted(linspace(lo, hi, G), x - h/2), side=left */
            double x = num_value(d, p->v) - h / 2;
            g = 0;
            while (g < G - 1 && lo + (double)g * h < x) g++;
        }
        counts[g] += 1;
    }
}

/* ---- the evaluator ------------------------------------------------------- */

void hpo_importance_free(hpo_importance **items, size_t n)
{
    if (!items || !*items) return;
    for (size_t i = 0; i < n; i++) hpo_free((*items)[i].name);
    hpo_free(*items);
    *items = NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const hpo_importance *)a)->name, ((const hpo_importance *)b)->name);
}

static int cmp_imp(const void *a, const void *b)
{
    const hpo_importance *x = a, *y = b;
    if (x->importance != y->importance) return x->importance < y->importance ? 1 : -1;
    return strcmp(x->name, y->name);
}

hpo_status hpo_importance_ped_anova(hpo_trial_rec *const *trials, size_t n, hpo_direction dir,
                                    const hpo_importance_opts *opts,
                                    hpo_importance **out, size_t *n_out, size_t *n_top_out)
{
    HPO_CHECK(trials || !n, HPO_EINVAL, "hpo_importance_ped_anova: argument 1 (trials) is NULL");
    HPO_CHECK(out && n_out, HPO_EINVAL, "hpo_importance_ped_anova: NULL output argument");
    hpo_importance_opts o = opts ? *opts : HPO_IMPORTANCE_OPTS_DEFAULT;
    HPO_CHECK(o.baseline_quantile > 0 && o.baseline_quantile <= 1, HPO_EINVAL,
              "importance: baseline_quantile %g must be in (0, 1]", o.baseline_quantile);
    hpo_status st = HPO_OK;
    size_t m = 0, np = 0, ntop = 0, *idx = hpo_calloc(n ? n : 1, sizeof *idx);
    hpo_importance *imp = NULL;
    const hpo_dist **dists = NULL;
    double *loss = NULL, *counts = NULL;
    unsigned char *top = NULL;
    HPO_CHECK_GOTO(idx, fail, HPO_ENOMEM, "out of memory for importances of %zu trials", n);
    for (size_t i = 0; i < n; i++)
        if (trials[i] && trials[i]->state == HPO_COMPLETE && isfinite(trials[i]->value)) idx[m++] = i;

    /* the intersection search space: parameters of the first trial that
     * every other trial used with the same distribution */
    if (m) {
        const hpo_trial_rec *f = trials[idx[0]];
        imp = hpo_calloc(f->n_params ? f->n_params : 1, sizeof *imp);
        dists = hpo_calloc(f->n_params ? f->n_params : 1, sizeof *dists);
        HPO_CHECK_GOTO(imp && dists, fail, HPO_ENOMEM, "out of memory for importances");
        for (size_t p = 0; p < f->n_params; p++) {
            const hpo_param_rec *pr = &f->params[p];
            int all = 1;
            for (size_t k = 1; k < m && all; k++) {
                const hpo_param_rec *q = hpo_rec_find_param(trials[idx[k]], pr->name);
                all = q && hpo_dist_equal(&q->dist, &pr->dist);
            }
            if (!all) continue;
            imp[np].name = hpo_strdup(pr->name);
            HPO_CHECK_GOTO(imp[np].name, fail, HPO_ENOMEM, "out of memory for importances");
            imp[np].divergence = NAN;
            np++;
        }
        if (np) qsort(imp, np, sizeof *imp, cmp_name);
        for (size_t p = 0; p < np; p++) dists[p] = &hpo_rec_find_param(f, imp[p].name)->dist;
    }
    size_t nvar = 0;
    for (size_t p = 0; p < np; p++) nvar += !dist_single(dists[p]);
    if (nvar == 0) goto done;          /* only single-valued parameters: importances 0 */

    if (m <= MIN_N_TOP) {
        for (size_t p = 0; p < np; p++) imp[p].importance = dist_single(dists[p]) ? 0 : 1.0 / (double)nvar;
        goto done;
    }

    /* the top trials: loss <= max(2nd smallest, ceil(q m)-th smallest) */
    loss = hpo_malloc(2 * m * sizeof *loss);
    top = hpo_calloc(m, 1);
    HPO_CHECK_GOTO(loss && top, fail, HPO_ENOMEM, "out of memory for importances");
    double sign = dir == HPO_MINIMIZE ? 1.0 : -1.0, *sorted = loss + m;
    for (size_t k = 0; k < m; k++) sorted[k] = loss[k] = sign * trials[idx[k]]->value;
    qsort(sorted, m, sizeof *sorted, cmp_double);
    long qi = (long)ceil(o.baseline_quantile * (double)m) - 1;
    if (qi < 0) qi = 0;
    double cutoff = fmax(sorted[MIN_N_TOP - 1], sorted[qi]);
    size_t *topidx = hpo_malloc(m * sizeof *topidx);
    HPO_CHECK_GOTO(topidx, fail, HPO_ENOMEM, "out of memory for importances");
    for (size_t k = 0; k < m; k++) if (loss[k] <= cutoff) topidx[ntop++] = idx[k];

    double sum = 0;
    for (size_t p = 0; p < np && st == HPO_OK; p++) {
        const hpo_dist *d = dists[p];
        if (dist_single(d)) { imp[p].importance = 0; imp[p].divergence = 0; continue; }
        int cat = d->kind == HPO_DIST_CAT;
        size_t G = cat ? d->n_choices : grid_size(d);
        counts = hpo_malloc(2 * G * sizeof *counts);
        if (!counts) { st = hpo_error_raise(HPO_ENOMEM, __FILE__, __LINE__, __func__, "out of memory for importances"); break; }
        count_param(trials, topidx, ntop, imp[p].name, d, G, counts);
        count_param(trials, idx, m, imp[p].name, d, G, counts + G);
        imp[p].divergence = hpo_importance_pearson(counts, counts + G, G, cat, o.evaluate_on_local);
        hpo_free(counts);
        counts = NULL;
        if (isnan(imp[p].divergence)) st = hpo_error_raise(HPO_ENOMEM, __FILE__, __LINE__, __func__, "out of memory for importances");
        else sum += imp[p].divergence;
    }
    hpo_free(topidx);
    if (st != HPO_OK) goto fail;
    for (size_t p = 0; p < np; p++)
        if (!dist_single(dists[p])) imp[p].importance = sum > 0 ? imp[p].divergence / sum : 1.0 / (double)nvar;
done:
    if (np) qsort(imp, np, sizeof *imp, cmp_imp);
    hpo_free(idx); hpo_free(loss); hpo_free(top); hpo_free((void *)dists);
    *out = imp;
    *n_out = np;
    if (n_top_out) *n_top_out = ntop;
    return HPO_OK;
fail:
    hpo_free(idx); hpo_free(loss); hpo_free(top); hpo_free((void *)dists); hpo_free(counts);
    hpo_importance_free(&imp, np);
    return st;
}
