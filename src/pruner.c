/* pruner.c - the pruner registry and the pruner that never prunes. */
#include "pruner.h"

#include <string.h>

#include "error.h"
#include "pruner_impl.h"

/* Pruners known by name; median, percentile, successive halving and
 * hyperband are added here as they land. */
static const hpo_pruner_ops *const k_pruners[] = {
    &hpo_pruner_none,
    &hpo_pruner_median,
    &hpo_pruner_percentile,
    &hpo_pruner_successive_halving,
    &hpo_pruner_hyperband,
};
#define N_PRUNERS (sizeof k_pruners / sizeof k_pruners[0])

void hpo_pruner_opts_default(hpo_pruner_opts *o, const char *type)
{
    memset(o, 0, sizeof *o);
    o->type = type ? type : "none";
    o->study_name = "";
    o->n_startup_trials = 5;
    o->n_warmup_steps = 0;
    o->interval_steps = 1;
    o->n_min_trials = 1;
    o->percentile = 50.0;
    o->reduction_factor = (type && strcmp(type, "hyperband") == 0) ? 3 : 4;
}

hpo_status hpo_pruner_find(const char *name, const hpo_pruner_ops **out)
{
    char known[256] = "";
    for (size_t i = 0; i < N_PRUNERS; i++) {
        if (strcmp(k_pruners[i]->name, name) == 0) { *out = k_pruners[i]; return HPO_OK; }
        strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, k_pruners[i]->name, sizeof known - strlen(known) - 1);
    }
    HPO_FAIL(HPO_EINVAL, "unknown pruner '%s'; known pruners: %s", name, known);
}

static hpo_status none_create(const hpo_pruner_opts *o, void **state) { (void)o; *state = NULL; return HPO_OK; }
static hpo_status none_should_prune(void *state, const hpo_history *h, const hpo_trial_rec *t, int *prune)
{
    (void)state; (void)h; (void)t;
    *prune = 0;
    return HPO_OK;
}
static void none_destroy(void *state) { (void)state; }

static int64_t none_next_check(void *state, const hpo_history *h, const hpo_trial_rec *t)
{
    (void)state; (void)h; (void)t;
    return INT64_MAX;
}

const hpo_pruner_ops hpo_pruner_none = {
    .name = "none",
    .create = none_create,
    .should_prune = none_should_prune,
    .destroy = none_destroy,
    .next_check = none_next_check,
};
