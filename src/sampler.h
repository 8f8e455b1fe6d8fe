/* sampler.h - the sampler interface: a table of functions chosen by the name
 * the study file uses (style.md §3). A sampler draws one parameter value for
 * a trial, given the study's history (finished and RUNNING trials).
 *
 * Cost contract: `sample` runs on rank 0 between messages, so each sampler
 * states its cost (random: O(1); TPE: O(trials x ei_candidates)). */
#ifndef HPO_SAMPLER_H
#define HPO_SAMPLER_H

#include <stdio.h>
#include "rng.h"
#include "trial_impl.h"

/* One axis of an explicit grid: the values parameter `name` takes. */
typedef struct hpo_grid_axis {
    const char       *name;
    size_t            n;
    const hpo_choice *values;   /* (n) */
} hpo_grid_axis;

typedef struct hpo_sampler_opts {
    const char *type;            /* "random", "tpe", "grid" */
    int64_t startup_trials;      /* TPE: random trials first (10) */
    int64_t ei_candidates;       /* TPE: candidates drawn from l(x) (24) */
    int     multivariate, group; /* TPE modes */
    int     constant_liar;       /* TPE: RUNNING trials count as bad (on) */
    double  prior_weight;        /* TPE (1.0) */
    int     compat_optuna3;      /* TPE: 1 = Optuna 3.0-3.4's Parzen estimator (0: current Optuna) */
    const hpo_grid_axis *grid;   /* grid: explicit axes (copied by create), or NULL */
    size_t  n_grid;              /* 0: the grid is every point of trial 0's parameters */
    uint64_t seed;               /* the study's seed (set by the study at setup) */
    int     has_seed;
} hpo_sampler_opts;

void hpo_sampler_opts_default(hpo_sampler_opts *o, const char *type);

typedef struct hpo_sampler_ops {
    const char *name;
    hpo_status (*create)(const hpo_sampler_opts *o, void **state);
    /* Optional (NULL): called when trial t starts, e.g. for a joint sample. */
    hpo_status (*trial_begin)(void *state, const hpo_history *h, hpo_trial_rec *t, hpo_rng *rng);
    /* Draw parameter `name` of trial t (RUNNING, not yet holding it) from d. */
    hpo_status (*sample)(void *state, const hpo_history *h, const hpo_trial_rec *t,
                         const char *name, const hpo_dist *d, hpo_rng *rng, hpo_pval *out);
    void (*destroy)(void *state);
} hpo_sampler_ops;

/* Look a sampler up by name; unknown names are an error listing the known ones. */
hpo_status hpo_sampler_find(const char *name, const hpo_sampler_ops **out);

/* The independent uniform draw every sampler starts from (Optuna's
 * RandomSampler): uniform in the transformed space, exact for ints. */
hpo_pval hpo_sample_uniform(const hpo_dist *d, hpo_rng *rng);

extern const hpo_sampler_ops hpo_sampler_random;

#endif
