/* pruner.h - the pruner interface: a table of functions chosen by the name
 * the study file uses. A pruner looks at a RUNNING trial's reports and the
 * study's history and says whether to stop it now. */
#ifndef HPO_PRUNER_H
#define HPO_PRUNER_H

#include <stdio.h>
#include "trial_impl.h"

typedef struct hpo_pruner_opts {
    const char *type;                /* "none", "median", ... */
    const char *study_name;          /* hyperband's bracket hash */
    int64_t n_startup_trials, n_warmup_steps, interval_steps, n_min_trials;
    double  percentile;
    int64_t min_resource, max_resource;   /* 0 = auto */
    int64_t reduction_factor, min_early_stopping_rate, bootstrap_count;
} hpo_pruner_opts;

void hpo_pruner_opts_default(hpo_pruner_opts *o, const char *type);

typedef struct hpo_pruner_ops {
    const char *name;
    hpo_status (*create)(const hpo_pruner_opts *o, void **state);
    /* Set *prune to 1 to stop trial t (RUNNING, with at least one report). */
    hpo_status (*should_prune)(void *state, const hpo_history *h, const hpo_trial_rec *t, int *prune);
    void (*destroy)(void *state);
    /* Optional (NULL): the group of trial `number` (hyperband: its bracket).
     * The sampler then sees only the trials of the same group, as Optuna's
     * HyperbandPruner filters the study its sampler reads. */
    int64_t (*trial_group)(const void *state, int64_t number);
    /* Optional (NULL: S + 1): t was just judged and kept at its largest step
     * S (S = -1: it has not reported yet). The smallest step from which a
     * judgment could prune t or change the pruner's state; for reports at
     * smaller steps should_prune would keep t and change nothing, so a
     * worker need not wait for their judgment (mpi/worker.c). INT64_MAX:
     * never. */
    int64_t (*next_check)(void *state, const hpo_history *h, const hpo_trial_rec *t);
} hpo_pruner_ops;

hpo_status hpo_pruner_find(const char *name, const hpo_pruner_ops **out);

/* Optuna's FrozenTrial.last_step: the LARGEST reported step (not the last
 * one reported, which differs after a decreasing report), its value in
 * *value; -1 and NAN if nothing was reported. O(reports). */
int64_t hpo_pruner_last_step(const hpo_trial_rec *r, double *value);

/* step + 1, saturating: a report may be at step INT64_MAX. */
static inline int64_t hpo_step_after(int64_t step) { return step == INT64_MAX ? INT64_MAX : step + 1; }

extern const hpo_pruner_ops hpo_pruner_none;

#endif
