/* pruner_percentile.c - Optuna's MedianPruner and PercentilePruner.
 *
 * Reference: optuna/pruners/_percentile.py (Optuna 3.1) and numpy 1.24
 * nanpercentile; tests/test_pruner_optuna.c replays recorded studies through
 * both and requires the same decision at every check.
 *
 * Rule (algorithms.md 2.6): keep unless at least max(1, n_startup_trials)
 * trials are COMPLETE, the trial's largest step S >= n_warmup_steps, and S
 * is the first report inside its interval window; then prune if the trial's
 * best value so far (NaNs skipped; all NaN -> prune) is worse than the
 * percentile-th percentile (100 - percentile when maximising) of the values
 * COMPLETE trials reported at step S (NaNs skipped; fewer than n_min_trials
 * reports at S, NaNs counted as Optuna does, or all NaN -> keep).
 *
 * Cost of one check: O(reports of the COMPLETE trials + k log k) for k
 * values at the step. No state between calls besides the options. */
#include "pruner_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "alloc.h"
#include "error.h"

int64_t hpo_pruner_last_step(const hpo_trial_rec *r, double *value)
{
    int64_t best = -1;
    double v = NAN;
    for (size_t i = 0; i < r->n_inter; i++)
        if (r->steps[i] > best) { best = r->steps[i]; v = r->inter[i]; }
    if (value) *value = v;
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;   /* never NaN */
    return (x > y) - (x < y);
}

double hpo_nanpercentile(double *v, size_t n, double q)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {            /* NaNs to the end, out of the sort */
        if (!isnan(v[i])) { double t = v[m]; v[m] = v[i]; v[i] = t; m++; }
    }
    if (m == 0) return NAN;
    qsort(v, m, sizeof *v, cmp_double);
    /* numpy: virtual = (n-1) * (q/100); prev = floor, next = prev + 1, both
     * the last element when virtual >= n-1 (and then gamma = virtual + 1,
     * since numpy subtracts the replaced index -1); _lerp(a, b, gamma). */
    double quant = q / 100.0;
    double virt = (double)(m - 1) * quant;
    double a, b, gamma;
    if (virt >= (double)(m - 1)) {
        a = b = v[m - 1];
        gamma = virt - (-1.0);
    } else {
        double prev = floor(virt);
        size_t ip = (size_t)prev;
        a = v[ip];
        b = v[ip + 1];
        gamma = virt - prev;
    }
    double diff = b - a;
    if (gamma >= 0.5) {
        double d = diff * (1.0 - gamma);
        return b - d;
    }
    double d = diff * gamma;
    return a + d;
}

typedef struct pct_state {
    double  percentile;
    int64_t n_startup_trials, n_warmup_steps, interval_steps, n_min_trials;
    double *buf;                 /* scratch for the values at one step */
    size_t  cap;
} pct_state;

static hpo_status pct_create_common(const hpo_pruner_opts *o, double percentile, void **state)
{
    HPO_CHECK(o, HPO_EINVAL, "pruner options are NULL");
    HPO_CHECK(percentile >= 0.0 && percentile <= 100.0, HPO_EINVAL,
              "pruner %s: percentile must be between 0 and 100 inclusive (got %g)", o->type, percentile);
    HPO_CHECK(o->n_startup_trials >= 0, HPO_EINVAL,
              "pruner %s: n_startup_trials must be >= 0 (got %" PRId64 ")", o->type, o->n_startup_trials);
    HPO_CHECK(o->n_warmup_steps >= 0, HPO_EINVAL,
              "pruner %s: n_warmup_steps must be >= 0 (got %" PRId64 ")", o->type, o->n_warmup_steps);
    HPO_CHECK(o->interval_steps >= 1, HPO_EINVAL,
              "pruner %s: interval_steps must be >= 1 (got %" PRId64 ")", o->type, o->interval_steps);
    HPO_CHECK(o->n_min_trials >= 1, HPO_EINVAL,
              "pruner %s: n_min_trials must be >= 1 (got %" PRId64 ")", o->type, o->n_min_trials);
    pct_state *s = hpo_calloc(1, sizeof *s);
    HPO_CHECK(s, HPO_ENOMEM, "out of memory for the %s pruner", o->type);
    s->percentile = percentile;
    s->n_startup_trials = o->n_startup_trials;
    s->n_warmup_steps = o->n_warmup_steps;
    s->interval_steps = o->interval_steps;
    s->n_min_trials = o->n_min_trials;
    *state = s;
    return HPO_OK;
}

static hpo_status median_create(const hpo_pruner_opts *o, void **state)
{
    HPO_TRY(pct_create_common(o, 50.0, state));      /* MedianPruner ignores `percentile` */
    return HPO_OK;
}

static hpo_status percentile_create(const hpo_pruner_opts *o, void **state)
{
    HPO_CHECK(o, HPO_EINVAL, "pruner options are NULL");
    HPO_TRY(pct_create_common(o, o->percentile, state));
    return HPO_OK;
}

static void pct_destroy(void *state)
{
    pct_state *s = state;
    if (!s) return;
    hpo_free(s->buf);
    hpo_free(s);
}

static int has_step(const hpo_trial_rec *r, int64_t step, double *v)
{
    for (size_t i = 0; i < r->n_inter; i++)
        if (r->steps[i] == step) { *v = r->inter[i]; return 1; }
    return 0;
}

static hpo_status pct_should_prune(void *state, const hpo_history *h, const hpo_trial_rec *t, int *prune)
{
    pct_state *s = state;
    *prune = 0;
    size_t n_complete = 0;
    for (size_t i = 0; i < h->n; i++) n_complete += h->trials[i]->state == HPO_COMPLETE;
    if (n_complete == 0 || (int64_t)n_complete < s->n_startup_trials) return HPO_OK;
    int64_t step = hpo_pruner_last_step(t, NULL);
    if (step < 0 || step < s->n_warmup_steps) return HPO_OK;

    /* _is_first_in_interval_step: the largest other step must lie before the
     * nearest pruning step at or below `step`. */
    int64_t w = s->n_warmup_steps, iv = s->interval_steps;
    int64_t nearest = (step - w) / iv * iv + w;
    int64_t second = -1;
    for (size_t i = 0; i < t->n_inter; i++)
        if (t->steps[i] != step && t->steps[i] > second) second = t->steps[i];
    if (second >= nearest) return HPO_OK;

    int maximize = h->direction == HPO_MAXIMIZE;
    double best = NAN;                               /* nanmin / nanmax */
    for (size_t i = 0; i < t->n_inter; i++) {
        double v = t->inter[i];
        if (isnan(v)) continue;
        if (isnan(best) || (maximize ? v > best : v < best)) best = v;
    }
    if (isnan(best)) { *prune = 1; return HPO_OK; }

    if (s->cap < n_complete) {
        double *b = hpo_realloc(s->buf, n_complete * sizeof *b);
        HPO_CHECK(b, HPO_ENOMEM, "out of memory for %zu values at step %" PRId64, n_complete, step);
        s->buf = b;
        s->cap = n_complete;
    }
    size_t k = 0;
    for (size_t i = 0; i < h->n; i++) {
        const hpo_trial_rec *r = h->trials[i];
        double v;
        if (r->state == HPO_COMPLETE && has_step(r, step, &v)) s->buf[k++] = v;
    }
    if ((int64_t)k < s->n_min_trials) return HPO_OK;  /* Optuna counts NaN reports here */
    double q = maximize ? 100.0 - s->percentile : s->percentile;
    double p = hpo_nanpercentile(s->buf, k, q);
    if (isnan(p)) return HPO_OK;
    *prune = maximize ? best < p : best > p;
    return HPO_OK;
}

/* Judged only at S >= n_warmup_steps where S opens its interval window:
 * after S, the next window's first step. */
static int64_t pct_next_check(void *state, const hpo_history *h, const hpo_trial_rec *t)
{
    (void)h;
    const pct_state *s = state;
    int64_t step = hpo_pruner_last_step(t, NULL), w = s->n_warmup_steps, iv = s->interval_steps;
    if (step < w) return w;
    int64_t nearest = (step - w) / iv * iv + w;
    return nearest > INT64_MAX - iv ? INT64_MAX : nearest + iv;
}

const hpo_pruner_ops hpo_pruner_median = {
    .name = "median",
    .create = median_create,
    .should_prune = pct_should_prune,
    .destroy = pct_destroy,
    .next_check = pct_next_check,
};

const hpo_pruner_ops hpo_pruner_percentile = {
    .name = "percentile",
    .create = percentile_create,
    .should_prune = pct_should_prune,
    .destroy = pct_destroy,
    .next_check = pct_next_check,
};
