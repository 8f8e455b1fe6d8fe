/* pruner_sha.c - Optuna's SuccessiveHalvingPruner (asynchronous successive
 * halving, "stopping" type), and the rung table hyperband shares.
 *
 * Reference: optuna/pruners/_successive_halving.py (Optuna 3.1); pinned by
 * tests/test_pruner_optuna.c.
 *
 * Rule (algorithms.md 2.4): S = the trial's largest reported step, V its
 * value there, k = rungs the trial has already passed. While S >= r *
 * eta^(s + k): NaN V -> prune; record V as the trial's rung-k value; the
 * competitors are every trial's rung-k value (any state, the trial's own V
 * included); <= bootstrap_count of them -> prune; V not among the best
 * max(1, floor(n / eta)) -> prune; else k += 1. min_resource "auto" (0) is
 * fixed at the first check after a trial is COMPLETE: max(largest step of
 * the COMPLETE trials // 100, 1); before that nothing is pruned.
 *
 * State: the rung values of every trial that reached a rung (Optuna keeps
 * them as the trial's completed_rung_<i> system attrs) and the auto
 * min_resource. They depend on when should_prune was called, so they are not
 * a function of the reports alone: a resumed study must restore them
 * (hpo_pruner_rungs_set, hpo_pruner_resource_set in pruner_impl.h). */
#include "pruner_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

/* ---- rung table --------------------------------------------------------- */

void hpo_sha_table_free(hpo_sha_table *tab)
{
    for (size_t i = 0; i < tab->n; i++) hpo_free(tab->t[i].v);
    hpo_free(tab->t);
    tab->t = NULL;
    tab->n = 0;
}

size_t hpo_sha_table_count(const hpo_sha_table *tab, int64_t number)
{
    if (number < 0 || (uint64_t)number >= tab->n) return 0;
    return tab->t[number].n;
}

/* Make room for trial `number`. Unchanged on failure. */
static hpo_status table_reserve(hpo_sha_table *tab, int64_t number)
{
    HPO_CHECK(number >= 0, HPO_EINVAL, "trial number %" PRId64 " is negative", number);
    if ((uint64_t)number < tab->n) return HPO_OK;
    size_t n = tab->n ? tab->n : 64;
    while (n <= (size_t)number) n *= 2;
    hpo_sha_rungs *t = hpo_realloc(tab->t, n * sizeof *t);
    HPO_CHECK(t, HPO_ENOMEM, "out of memory for the rungs of %zu trials", n);
    memset(t + tab->n, 0, (n - tab->n) * sizeof *t);
    tab->t = t;
    tab->n = n;
    return HPO_OK;
}

hpo_status hpo_sha_table_push(hpo_sha_table *tab, int64_t number, double v)
{
    HPO_TRY(table_reserve(tab, number));
    hpo_sha_rungs *r = &tab->t[number];
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 4;
        double *p = hpo_realloc(r->v, cap * sizeof *p);
        HPO_CHECK(p, HPO_ENOMEM, "out of memory for the rungs of trial %" PRId64, number);
        r->v = p;
        r->cap = cap;
    }
    r->v[r->n++] = v;
    return HPO_OK;
}

/* ---- integer helpers ---------------------------------------------------- */

int64_t hpo_rung_resource(int64_t base, int64_t eta, int64_t k)
{
    int64_t r = base;
    for (int64_t i = 0; i < k; i++) {
        if (r > INT64_MAX / eta) return INT64_MAX;
        r *= eta;
    }
    return r;
}

/* ---- the core ----------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;   /* never NaN */
    return (x > y) - (x < y);
}

hpo_status hpo_sha_decide(hpo_sha_table *tab, const hpo_history *h, hpo_sha_filter keep,
                          const void *ctx, const hpo_trial_rec *t, int64_t min_resource,
                          int64_t eta, int64_t min_early_stopping_rate,
                          int64_t bootstrap_count, int *prune)
{
    *prune = 0;
    double value;
    int64_t step = hpo_pruner_last_step(t, &value);
    if (step < 0) return HPO_OK;
    size_t rung = hpo_sha_table_count(tab, t->number);
    double *comp = NULL;
    hpo_status st = HPO_OK;
    for (;;) {
        int64_t point = hpo_rung_resource(min_resource, eta, min_early_stopping_rate + (int64_t)rung);
        if (step < point) break;
        if (isnan(value)) { *prune = 1; break; }
        HPO_TRY_GOTO(hpo_sha_table_push(tab, t->number, value), done);
        if (!comp) {
            comp = hpo_malloc((h->n + 1) * sizeof *comp);
            HPO_CHECK_GOTO(comp, done, HPO_ENOMEM, "out of memory for %zu rung values", h->n + 1);
        }
        size_t n = 0;
        for (size_t i = 0; i < h->n; i++) {
            const hpo_trial_rec *r = h->trials[i];
            if (r == t || r->number == t->number) continue;       /* its own value is added below */
            if (keep && !keep(ctx, r)) continue;
            if (hpo_sha_table_count(tab, r->number) > rung) {
                double v = tab->t[r->number].v[rung];
                if (!isnan(v)) comp[n++] = v;                     /* never NaN: stored only if not */
            }
        }
        comp[n++] = value;
        if ((int64_t)n <= bootstrap_count) { *prune = 1; break; }
        size_t idx = n / (size_t)eta;
        idx = idx ? idx - 1 : 0;
        qsort(comp, n, sizeof *comp, cmp_double);
        int promotable = h->direction == HPO_MAXIMIZE ? value >= comp[n - 1 - idx]
                                                      : value <= comp[idx];
        if (!promotable) { *prune = 1; break; }
        rung++;
        if (point == INT64_MAX) break;      /* no rung beyond a saturated one (step INT64_MAX) */
    }
done:
    hpo_free(comp);
    return st;
}

/* ---- the pruner --------------------------------------------------------- */

typedef struct sha_state {
    hpo_sha_common c;           /* c.resource: min_resource, 0 until known */
    int64_t eta, min_early_stopping_rate, bootstrap_count;
} sha_state;

static hpo_status sha_create(const hpo_pruner_opts *o, void **state)
{
    HPO_CHECK(o, HPO_EINVAL, "pruner options are NULL");
    HPO_CHECK(o->min_resource >= 0, HPO_EINVAL,
              "pruner successive_halving: min_resource must be >= 1 or auto (0) (got %" PRId64 ")",
              o->min_resource);
    HPO_CHECK(o->reduction_factor >= 2, HPO_EINVAL,
              "pruner successive_halving: reduction_factor must be >= 2 (got %" PRId64 ")",
              o->reduction_factor);
    HPO_CHECK(o->min_early_stopping_rate >= 0, HPO_EINVAL,
              "pruner successive_halving: min_early_stopping_rate must be >= 0 (got %" PRId64 ")",
              o->min_early_stopping_rate);
    HPO_CHECK(o->bootstrap_count >= 0, HPO_EINVAL,
              "pruner successive_halving: bootstrap_count must be >= 0 (got %" PRId64 ")",
              o->bootstrap_count);
    HPO_CHECK(o->bootstrap_count == 0 || o->min_resource > 0, HPO_EINVAL,
              "pruner successive_halving: bootstrap_count > 0 (%" PRId64 ") needs min_resource set, "
              "not auto", o->bootstrap_count);
    sha_state *s = hpo_calloc(1, sizeof *s);
    HPO_CHECK(s, HPO_ENOMEM, "out of memory for the successive_halving pruner");
    s->c.magic = HPO_SHA_MAGIC;
    s->c.resource = o->min_resource;
    s->eta = o->reduction_factor;
    s->min_early_stopping_rate = o->min_early_stopping_rate;
    s->bootstrap_count = o->bootstrap_count;
    *state = s;
    return HPO_OK;
}

static void sha_destroy(void *state)
{
    sha_state *s = state;
    if (!s) return;
    hpo_sha_table_free(&s->c.tab);
    hpo_free(s);
}

static hpo_status sha_should_prune(void *state, const hpo_history *h, const hpo_trial_rec *t, int *prune)
{
    sha_state *s = state;
    *prune = 0;
    if (hpo_pruner_last_step(t, NULL) < 0) return HPO_OK;
    if (s->c.resource == 0) {                 /* _estimate_min_resource, cached once known */
        int64_t last = -1;
        for (size_t i = 0; i < h->n; i++) {
            const hpo_trial_rec *r = h->trials[i];
            if (r->state != HPO_COMPLETE) continue;
            int64_t ls = hpo_pruner_last_step(r, NULL);
            if (ls > last) last = ls;
        }
        if (last < 0) return HPO_OK;
        s->c.resource = last / 100 > 1 ? last / 100 : 1;
    }
    HPO_TRY(hpo_sha_decide(&s->c.tab, h, NULL, NULL, t, s->c.resource, s->eta,
                           s->min_early_stopping_rate, s->bootstrap_count, prune));
    return HPO_OK;
}

/* The trial's next rung: judged (and its value recorded) only once its
 * largest step reaches the rung's resource. While "auto" min_resource is
 * unknown every check may fix it: every step. */
static int64_t sha_next_check(void *state, const hpo_history *h, const hpo_trial_rec *t)
{
    (void)h;
    const sha_state *s = state;
    int64_t step = hpo_pruner_last_step(t, NULL);
    if (s->c.resource == 0) return hpo_step_after(step);
    size_t rung = hpo_sha_table_count(&s->c.tab, t->number);
    return hpo_rung_resource(s->c.resource, s->eta, s->min_early_stopping_rate + (int64_t)rung);
}

const hpo_pruner_ops hpo_pruner_successive_halving = {
    .name = "successive_halving",
    .create = sha_create,
    .should_prune = sha_should_prune,
    .destroy = sha_destroy,
    .next_check = sha_next_check,
};

/* ---- resume calls (both SHA and hyperband states) ----------------------- */

size_t hpo_pruner_rungs_get(const void *state, int64_t number, const double **v)
{
    const hpo_sha_common *c = state;
    *v = NULL;
    if (!c || (c->magic != HPO_SHA_MAGIC && c->magic != HPO_HB_MAGIC)) return 0;
    size_t n = hpo_sha_table_count(&c->tab, number);
    if (n) *v = c->tab.t[number].v;
    return n;
}

hpo_status hpo_pruner_rungs_set(void *state, int64_t number, const double *v, size_t n)
{
    hpo_sha_common *c = state;
    HPO_CHECK(c && (c->magic == HPO_SHA_MAGIC || c->magic == HPO_HB_MAGIC), HPO_EINVAL,
              "hpo_pruner_rungs_set: argument 1 is not a successive_halving or hyperband state");
    HPO_CHECK(n == 0 || v, HPO_EINVAL, "hpo_pruner_rungs_set: argument 3 (v) is NULL");
    for (size_t i = 0; i < n; i++)
        HPO_CHECK(!isnan(v[i]), HPO_EINVAL, "hpo_pruner_rungs_set: trial %" PRId64
                  " rung %zu value is NaN (Optuna never stores one)", number, i);
    HPO_TRY(table_reserve(&c->tab, number));
    hpo_sha_rungs *r = &c->tab.t[number];
    if (r->cap < n) {
        double *p = hpo_realloc(r->v, n * sizeof *p);
        HPO_CHECK(p, HPO_ENOMEM, "out of memory for the rungs of trial %" PRId64, number);
        r->v = p;
        r->cap = n;
    }
    if (n) memcpy(r->v, v, n * sizeof *v);
    r->n = n;
    return HPO_OK;
}

int64_t hpo_pruner_resource_get(const void *state)
{
    const hpo_sha_common *c = state;
    if (!c || (c->magic != HPO_SHA_MAGIC && c->magic != HPO_HB_MAGIC)) return 0;
    return c->resource;
}

hpo_status hpo_pruner_resource_set(void *state, int64_t r)
{
    hpo_sha_common *c = state;
    HPO_CHECK(c && (c->magic == HPO_SHA_MAGIC || c->magic == HPO_HB_MAGIC), HPO_EINVAL,
              "hpo_pruner_resource_set: argument 1 is not a successive_halving or hyperband state");
    HPO_CHECK(r >= 1, HPO_EINVAL, "hpo_pruner_resource_set: resource must be >= 1 (got %" PRId64 ")", r);
    HPO_CHECK(c->resource == 0 || c->resource == r, HPO_ESTATE,
              "hpo_pruner_resource_set: the resource is already %" PRId64 " (asked for %" PRId64 ")",
              c->resource, r);
    c->resource = r;
    return HPO_OK;
}
