/* trial_impl.h - the records a study keeps of its trials, and the history
 * that samplers and pruners read. Internal: not part of mpihpo.h.
 *
 * Ownership: the study owns every hpo_trial_rec (stable pointers: records are
 * allocated one by one and never move). A sampler or pruner may keep no
 * pointer into the history beyond one call. */
#ifndef HPO_TRIAL_IMPL_H
#define HPO_TRIAL_IMPL_H

#include <stdint.h>
#include <stddef.h>
#include "mpihpo.h"
#include "space.h"

typedef struct hpo_param_rec {
    char    *name;
    hpo_dist dist;
    hpo_pval v;
} hpo_param_rec;

struct hpo_trial_rec {
    int64_t   number;            /* 0, 1, 2, ... in order of start */
    hpo_state state;
    double    value;             /* objective value; for PRUNED the last intermediate; NAN if none */
    uint64_t  seed;              /* hpo_trial_seed() */
    double    t_start, t_end;    /* wall clock, seconds since the epoch */
    int       worker;            /* rank that ran it (0 on one process) */
    char     *fail_reason;       /* FAIL only; owned */
    size_t    n_params, cap_params;
    hpo_param_rec *params;       /* (n_params) in the order they were suggested */
    size_t    n_inter, cap_inter;
    int64_t  *steps;             /* (n_inter) reported steps, in report order, each step once */
    double   *inter;             /* (n_inter) reported values */
    int       warned_repeat, warned_decrease;
    int       interrupted;           /* told to stop by a stop request; ends FAIL "interrupted" */
    double    t_hooked;          /* when the study's report hook last ran for it (wall clock) */
    size_t    n_hooked;          /* and how many reports it had then */
    size_t    n_fixed;
    hpo_param_rec *fixed;        /* (n_fixed) values to use instead of sampling (an enqueued trial); owned */
};

typedef struct hpo_history {
    hpo_direction   direction;
    size_t          n, cap;
    hpo_trial_rec **trials;      /* (n) by trial number; RUNNING ones included */
} hpo_history;

/* Record helpers (trial.c). Each returns HPO_ENOMEM with the record unchanged. */
hpo_status hpo_rec_create(int64_t number, hpo_trial_rec **out);
void       hpo_rec_destroy(hpo_trial_rec **r);
const hpo_param_rec *hpo_rec_find_param(const hpo_trial_rec *r, const char *name);
hpo_status hpo_rec_add_param(hpo_trial_rec *r, const char *name, const hpo_dist *d, hpo_pval v);
/* Append (step, value); a repeated step keeps the first value (returns 1 in
 * *repeated), a step lower than the last one is kept and flagged in *decreasing. */
hpo_status hpo_rec_add_report(hpo_trial_rec *r, int64_t step, double value, int *repeated, int *decreasing);
/* Last reported step, or -1 if none; its value in *value. */
int64_t    hpo_rec_last_step(const hpo_trial_rec *r, double *value);
hpo_status hpo_rec_set_fail_reason(hpo_trial_rec *r, const char *reason);

hpo_status hpo_history_append(hpo_history *h, hpo_trial_rec *r);   /* takes ownership on success */
void       hpo_history_clear(hpo_history *h);                        /* destroys every record */

/* Is a better than b in this direction? NaN is never better. */
static inline int hpo_better(hpo_direction d, double a, double b)
{
    return d == HPO_MAXIMIZE ? a > b : a < b;
}

#endif
