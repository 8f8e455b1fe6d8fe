/* sampler.c - the sampler registry, the uniform draw, and the random sampler. */
#include "sampler.h"

#include <math.h>
#include <string.h>

#include "error.h"
#include "sampler_grid.h"
#include "sampler_tpe.h"

/* Samplers known by name; TPE and grid are added here as they land. */
static const hpo_sampler_ops *const k_samplers[] = {
    &hpo_sampler_random,
    &hpo_sampler_tpe,
    &hpo_sampler_grid,
};
#define N_SAMPLERS (sizeof k_samplers / sizeof k_samplers[0])

void hpo_sampler_opts_default(hpo_sampler_opts *o, const char *type)
{
    memset(o, 0, sizeof *o);
    o->type = type ? type : "tpe";
    o->startup_trials = 10;
    o->ei_candidates = 24;
    o->constant_liar = 1;
    o->prior_weight = 1.0;
}

hpo_status hpo_sampler_find(const char *name, const hpo_sampler_ops **out)
{
    char known[256] = "";
    for (size_t i = 0; i < N_SAMPLERS; i++) {
        if (strcmp(k_samplers[i]->name, name) == 0) { *out = k_samplers[i]; return HPO_OK; }
        strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, k_samplers[i]->name, sizeof known - strlen(known) - 1);
    }
    HPO_FAIL(HPO_EINVAL, "unknown sampler '%s'; known samplers: %s", name, known);
}

hpo_pval hpo_sample_uniform(const hpo_dist *d, hpo_rng *rng)
{
    hpo_pval v;
    switch (d->kind) {
    case HPO_DIST_FLOAT:
        if (d->fstep > 0) {
            uint64_t k = hpo_rng_below(rng, hpo_dist_float_kmax(d));
            v.f = d->flo + (double)k * d->fstep;
            if (v.f > d->fhi) v.f = d->fhi;     /* 0 + 3*0.1 = 0.30000000000000004 -> 0.3 */
        } else if (d->flo == d->fhi) {
            v.f = d->flo;
        } else if (d->log) {
            v.f = exp(hpo_rng_uniform_range(rng, log(d->flo), log(d->fhi)));
            if (v.f < d->flo) v.f = d->flo;
            if (v.f > d->fhi) v.f = d->fhi;
        } else {
            v.f = hpo_rng_uniform_range(rng, d->flo, d->fhi);
        }
        return v;
    case HPO_DIST_INT:
        if (d->log) {
            /* Optuna: widen by half a step before taking logs, round back. */
            double lo = log((double)d->ilo - 0.5), hi = log((double)d->ihi + 0.5);
            return hpo_dist_from_internal(d, hpo_rng_uniform_range(rng, lo, hi));
        }
        v.i = (int64_t)((uint64_t)d->ilo + hpo_rng_below(rng, hpo_dist_int_kmax(d)) * (uint64_t)d->istep);
        return v;
    case HPO_DIST_CAT:
        v.i = (int64_t)hpo_rng_below(rng, d->n_choices - 1);
        return v;
    }
    v.i = 0;
    return v;
}

/* ---- random: every parameter uniform and independent. Cost O(1). ---- */

static hpo_status random_create(const hpo_sampler_opts *o, void **state)
{
    (void)o;
    *state = NULL;
    return HPO_OK;
}

static hpo_status random_sample(void *state, const hpo_history *h, const hpo_trial_rec *t,
                                const char *name, const hpo_dist *d, hpo_rng *rng, hpo_pval *out)
{
    (void)state; (void)h; (void)t; (void)name;
    *out = hpo_sample_uniform(d, rng);
    return HPO_OK;
}

static void random_destroy(void *state) { (void)state; }

const hpo_sampler_ops hpo_sampler_random = {
    .name = "random",
    .create = random_create,
    .trial_begin = NULL,
    .sample = random_sample,
    .destroy = random_destroy,
};
