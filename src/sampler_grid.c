/* sampler_grid.c - the grid sampler: each point of a finite grid once, in a
 * seeded order. Rules and the lazy (define-by-run) grid: sampler_grid.h. */
#include "sampler_grid.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

#define GRID_MAX_POINTS   ((uint64_t)1 << 40)
#define GRID_MAX_AXIS     1000000u

typedef struct gaxis {
    char       *name;
    size_t      n;          /* points on the axis */
    hpo_choice *vals;       /* explicit: (n) values, strings owned */
    int         lazy;       /* built from the distribution below */
    hpo_dist    dist;       /* lazy: the parameter's distribution */
    size_t     *perm;       /* lazy: (n) seeded visiting order of the axis */
} gaxis;

typedef struct grid_state {
    gaxis    *ax;
    size_t    n_ax, cap_ax;
    int       lazy;         /* no explicit axes */
    int       frozen;       /* axes final, N known */
    uint64_t  N;            /* number of grid points once frozen */
    uint64_t  next;         /* next free slot */
    int       keyed;        /* Feistel keys drawn */
    uint64_t  key[4];
    unsigned  half;         /* Feistel half width in bits: 4^half >= N */
    int64_t  *slot;         /* (cap_slot) slot of trial number i, -1 none */
    size_t    cap_slot;
} grid_state;

/* ---- a seeded bijection of [0, N): 4-round Feistel, cycle walking -------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t feistel(const grid_state *g, uint64_t x)
{
    uint64_t mask = (g->half >= 32) ? 0xffffffffULL : ((1ULL << g->half) - 1);
    uint64_t l = (x >> g->half) & mask, r = x & mask;
    for (int i = 0; i < 4; i++) {
        uint64_t t = l ^ (mix64(r ^ g->key[i]) & mask);
        l = r; r = t;
    }
    return (l << g->half) | r;
}

static uint64_t permute(const grid_state *g, uint64_t q)
{
    uint64_t y = feistel(g, q);
    while (y >= g->N) y = feistel(g, y);   /* q < N: the walk returns into [0, N) */
    return y;
}

/* ---- axes ---------------------------------------------------------------- */

static void axis_clear(gaxis *a)
{
    hpo_free(a->name);
    if (a->vals) {
        for (size_t i = 0; i < a->n; i++)
            if (a->vals[i].type == HPO_CHOICE_STR) hpo_free((void *)a->vals[i].v.s);
        hpo_free(a->vals);
    }
    hpo_dist_clear(&a->dist);
    hpo_free(a->perm);
    memset(a, 0, sizeof *a);
}

static void grid_destroy(void *state)
{
    grid_state *g = state;
    if (!g) return;
    for (size_t i = 0; i < g->n_ax; i++) axis_clear(&g->ax[i]);
    hpo_free(g->ax);
    hpo_free(g->slot);
    hpo_free(g);
}

static long axis_find(const grid_state *g, const char *name)
{
    for (size_t i = 0; i < g->n_ax; i++)
        if (strcmp(g->ax[i].name, name) == 0) return (long)i;
    return -1;
}

static void axis_names(const grid_state *g, char *buf, size_t n)
{
    buf[0] = 0;
    for (size_t i = 0; i < g->n_ax; i++) {
        strncat(buf, i ? ", " : "", n - strlen(buf) - 1);
        strncat(buf, g->ax[i].name, n - strlen(buf) - 1);
    }
}

hpo_status hpo_grid_create_impl(const hpo_grid_axis *axes, size_t n_axes, void **state)
{
    HPO_CHECK(state, HPO_EINVAL, "hpo_grid_create_impl: argument 3 (state) is NULL");
    HPO_CHECK(n_axes == 0 || axes, HPO_EINVAL, "grid: %zu axes but no array", n_axes);
    grid_state *g = hpo_calloc(1, sizeof *g);
    HPO_CHECK(g, HPO_ENOMEM, "out of memory for the grid sampler");
    hpo_status st = HPO_OK;
    g->lazy = n_axes == 0;
    uint64_t N = 1;
    if (n_axes) {
        g->ax = hpo_calloc(n_axes, sizeof *g->ax);
        HPO_CHECK_GOTO(g->ax, fail, HPO_ENOMEM, "out of memory for %zu grid axes", n_axes);
        g->cap_ax = n_axes;
    }
    for (size_t i = 0; i < n_axes; i++) {
        const hpo_grid_axis *x = &axes[i];
        HPO_CHECK_GOTO(x->name && *x->name, fail, HPO_EINVAL, "grid axis %zu has no name", i);
        HPO_CHECK_GOTO(x->n > 0 && x->values, fail, HPO_EINVAL, "grid axis '%s' has no values", x->name);
        HPO_CHECK_GOTO(axis_find(g, x->name) < 0, fail, HPO_EINVAL, "grid axis '%s' is given twice", x->name);
        for (size_t k = 0; k < x->n; k++) {
            HPO_CHECK_GOTO(x->values[k].type != HPO_CHOICE_STR || x->values[k].v.s, fail, HPO_EINVAL,
                           "grid axis '%s': value %zu is a NULL string", x->name, k);
            for (size_t j = 0; j < k; j++) {
                if (hpo_choice_equal(&x->values[j], &x->values[k])) {
                    char b[128];
                    hpo_choice_format(&x->values[k], b, sizeof b);
                    HPO_CHECK_GOTO(0, fail, HPO_EINVAL, "grid axis '%s': value %s appears twice", x->name, b);
                }
            }
        }
        HPO_CHECK_GOTO(N <= GRID_MAX_POINTS / x->n, fail, HPO_EINVAL,
                       "the grid has more than 2^40 points (axis '%s' has %zu values)", x->name, x->n);
        N *= x->n;
        gaxis *a = &g->ax[g->n_ax];
        a->name = hpo_strdup(x->name);
        a->vals = hpo_calloc(x->n, sizeof *a->vals);
        if (!a->name || !a->vals) { axis_clear(a); HPO_CHECK_GOTO(0, fail, HPO_ENOMEM, "out of memory for grid axis '%s'", x->name); }
        a->n = x->n;
        g->n_ax++;
        for (size_t k = 0; k < x->n; k++) {
            a->vals[k] = x->values[k];
            if (x->values[k].type == HPO_CHOICE_STR) {
                a->vals[k].v.s = hpo_strdup(x->values[k].v.s);
                HPO_CHECK_GOTO(a->vals[k].v.s, fail, HPO_ENOMEM, "out of memory for grid axis '%s'", x->name);
            }
        }
    }
    if (!g->lazy) {
        g->frozen = 1;
        g->N = N;
        g->half = 1;
        while (g->half < 32 && ((uint64_t)1 << (2 * g->half)) < N) g->half++;
    }
    *state = g;
    return HPO_OK;
fail:
    grid_destroy(g);
    return st;
}

uint64_t hpo_grid_size_impl(const void *state)
{
    const grid_state *g = state;
    return g && g->frozen ? g->N : 0;
}

static hpo_status grid_create(const hpo_sampler_opts *o, void **state)
{
    HPO_TRY(hpo_grid_create_impl(o->grid, o->n_grid, state));
    if (o->has_seed) {
        /* The visiting order comes from the study's seed, not the sampler's
         * stream, so a resumed study (whose stream has moved on) keeps it. */
        grid_state *g = *state;
        uint64_t x = o->seed ^ 0x9e3779b97f4a7c15ULL;
        for (int i = 0; i < 4; i++) g->key[i] = hpo_seed_mix(x, 0x67726964ULL /* "grid" */, (uint64_t)i);
        g->keyed = 1;
    }
    return HPO_OK;
}

/* A lazy grid freezes once trial 0 has finished. */
static hpo_status maybe_freeze(grid_state *g, const hpo_history *h)
{
    if (g->frozen) return HPO_OK;
    if (h->n == 0 || h->trials[0]->state == HPO_RUNNING) return HPO_OK;
    uint64_t N = 1;
    for (size_t i = 0; i < g->n_ax; i++) {
        HPO_CHECK(N <= GRID_MAX_POINTS / g->ax[i].n, HPO_EINVAL,
                  "the grid has more than 2^40 points (axis '%s' has %zu values)", g->ax[i].name, g->ax[i].n);
        N *= g->ax[i].n;
    }
    g->N = N;
    g->frozen = 1;
    return HPO_OK;
}

static hpo_status grid_trial_begin(void *state, const hpo_history *h, hpo_trial_rec *t, hpo_rng *rng)
{
    grid_state *g = state;
    HPO_TRY(maybe_freeze(g, h));
    if (!g->keyed) {
        for (int i = 0; i < 4; i++) g->key[i] = hpo_rng_u64(rng);
        g->keyed = 1;
    }
    /* Resumed: every earlier trial of the study took one slot, in order. */
    if (g->next == 0 && t->number > 0 && !g->lazy) g->next = (uint64_t)t->number;
    HPO_CHECK(!g->frozen || g->next < g->N, HPO_EDONE, "the grid of %" PRIu64 " points is used up", g->N);
    HPO_CHECK(t->number >= 0, HPO_EINVAL, "grid: trial number %" PRId64 " is negative", t->number);
    size_t num = (size_t)t->number;
    if (num >= g->cap_slot) {
        size_t c = num + 1 > 2 * g->cap_slot ? num + 1 : 2 * g->cap_slot;
        int64_t *s = hpo_realloc(g->slot, c * sizeof *s);
        HPO_CHECK(s, HPO_ENOMEM, "out of memory for grid slots");
        for (size_t i = g->cap_slot; i < c; i++) s[i] = -1;
        g->slot = s;
        g->cap_slot = c;
    }
    g->slot[num] = (int64_t)g->next++;
    return HPO_OK;
}

/* Number of points of a distribution for a lazy axis; error for a float range. */
static hpo_status lazy_points(const char *name, const hpo_dist *d, size_t *n)
{
    uint64_t k = 0;
    switch (d->kind) {
    case HPO_DIST_CAT: *n = d->n_choices; return HPO_OK;
    case HPO_DIST_INT: k = hpo_dist_int_kmax(d); break;
    case HPO_DIST_FLOAT:
        HPO_CHECK(d->fstep > 0 || d->flo == d->fhi, HPO_EINVAL,
                  "parameter '%s': the grid sampler needs explicit values for a float range", name);
        k = hpo_dist_float_kmax(d);
        break;
    }
    HPO_CHECK(k < GRID_MAX_AXIS, HPO_EINVAL,
              "parameter '%s': %" PRIu64 " grid points is too many for an implicit grid; give explicit values",
              name, k + 1);
    *n = (size_t)k + 1;
    return HPO_OK;
}

static hpo_status add_lazy_axis(grid_state *g, const char *name, const hpo_dist *d, hpo_rng *rng)
{
    size_t n = 0;
    HPO_TRY(lazy_points(name, d, &n));
    if (g->n_ax == g->cap_ax) {
        size_t c = g->cap_ax ? 2 * g->cap_ax : 4;
        gaxis *a = hpo_realloc(g->ax, c * sizeof *a);
        HPO_CHECK(a, HPO_ENOMEM, "out of memory for grid axes");
        g->ax = a;
        g->cap_ax = c;
    }
    gaxis *a = &g->ax[g->n_ax];
    memset(a, 0, sizeof *a);
    a->lazy = 1;
    a->n = n;
    a->name = hpo_strdup(name);
    a->perm = hpo_malloc(n * sizeof *a->perm);
    hpo_status st = HPO_OK;
    if (!a->name || !a->perm) { axis_clear(a); HPO_FAIL(HPO_ENOMEM, "out of memory for grid axis '%s'", name); }
    if ((st = hpo_dist_copy(&a->dist, d)) != HPO_OK) { axis_clear(a); return hpo_error_push(st, __FILE__, __LINE__, __func__); }
    for (size_t i = 0; i < n; i++) a->perm[i] = i;
    hpo_rng_shuffle(rng, a->perm, n);
    g->n_ax++;
    return HPO_OK;
}

/* Value k of an explicit axis as a value of distribution d. */
static hpo_status explicit_value(const gaxis *a, size_t k, const hpo_dist *d, hpo_pval *out)
{
    const hpo_choice *c = &a->vals[k];
    char b[128], ds[256];
    hpo_choice_format(c, b, sizeof b);
    hpo_dist_format(d, ds, sizeof ds);
    switch (d->kind) {
    case HPO_DIST_CAT:
        for (size_t i = 0; i < d->n_choices; i++)
            if (hpo_choice_equal(&d->choices[i], c)) { out->i = (int64_t)i; return HPO_OK; }
        HPO_FAIL(HPO_EINVAL, "grid value %s of '%s' is not one of its choices (%s)", b, a->name, ds);
    case HPO_DIST_INT:
        if (c->type == HPO_CHOICE_INT) out->i = c->v.i;
        else if (c->type == HPO_CHOICE_FLOAT && c->v.f == nearbyint(c->v.f) && fabs(c->v.f) < 9.2e18) out->i = (int64_t)c->v.f;
        else HPO_FAIL(HPO_EINVAL, "grid value %s of '%s' is not an integer (%s)", b, a->name, ds);
        break;
    case HPO_DIST_FLOAT:
        if (c->type == HPO_CHOICE_INT) out->f = (double)c->v.i;
        else if (c->type == HPO_CHOICE_FLOAT) out->f = c->v.f;
        else HPO_FAIL(HPO_EINVAL, "grid value %s of '%s' is not a number (%s)", b, a->name, ds);
        break;
    }
    HPO_CHECK(hpo_dist_contains(d, *out), HPO_EINVAL, "grid value %s of '%s' is outside its distribution %s",
              b, a->name, ds);
    return HPO_OK;
}

static hpo_pval lazy_value(const gaxis *a, size_t k)
{
    hpo_pval v;
    const hpo_dist *d = &a->dist;
    switch (d->kind) {
    case HPO_DIST_INT:
        v.i = (int64_t)((uint64_t)d->ilo + (uint64_t)k * (uint64_t)d->istep);
        return v;
    case HPO_DIST_FLOAT:
        v.f = d->fstep > 0 ? d->flo + (double)k * d->fstep : d->flo;
        if (v.f > d->fhi) v.f = d->fhi;
        return v;
    case HPO_DIST_CAT:
        v.i = (int64_t)k;
        return v;
    }
    v.i = 0;
    return v;
}

static hpo_status grid_sample(void *state, const hpo_history *h, const hpo_trial_rec *t,
                              const char *name, const hpo_dist *d, hpo_rng *rng, hpo_pval *out)
{
    grid_state *g = state;
    HPO_CHECK(t->number >= 0 && (size_t)t->number < g->cap_slot && g->slot[t->number] >= 0, HPO_ESTATE,
              "grid: trial %" PRId64 " did not begin through the sampler", t->number);
    HPO_TRY(maybe_freeze(g, h));
    uint64_t q = (uint64_t)g->slot[t->number];
    HPO_CHECK(!g->frozen || q < g->N, HPO_EDONE, "the grid of %" PRIu64 " points is used up", g->N);
    long ai = axis_find(g, name);
    if (ai < 0) {
        char names[512];
        axis_names(g, names, sizeof names);
        HPO_CHECK(g->lazy, HPO_EINVAL, "parameter '%s' is not in the grid (axes: %s)", name, names);
        HPO_CHECK(!g->frozen, HPO_EINVAL, "parameter '%s' is not in the grid: the grid holds what trial 0 "
                  "asked for (%s); give the grid explicitly for conditional spaces", name, names);
        HPO_TRY(add_lazy_axis(g, name, d, rng));
        ai = (long)g->n_ax - 1;
    }
    const gaxis *a = &g->ax[ai];
    if (a->lazy && !hpo_dist_equal(&a->dist, d)) {
        char x[256], y[256];
        hpo_dist_format(&a->dist, x, sizeof x);
        hpo_dist_format(d, y, sizeof y);
        HPO_FAIL(HPO_EINVAL, "parameter '%s': the grid was built for %s, now asked for %s", name, x, y);
    }
    uint64_t p = g->lazy ? q : permute(g, q), div = 1;
    for (long i = 0; i < ai; i++) div *= g->ax[i].n;
    size_t k = (size_t)((p / div) % a->n);
    if (a->lazy) { *out = lazy_value(a, a->perm[k]); return HPO_OK; }
    HPO_TRY(explicit_value(a, k, d, out));
    return HPO_OK;
}

const hpo_sampler_ops hpo_sampler_grid = {
    .name = "grid",
    .create = grid_create,
    .trial_begin = grid_trial_begin,
    .sample = grid_sample,
    .destroy = grid_destroy,
};
