/* objective_mlp.h - the built-in objective: an MLP classifier trained on a
 * CSV data set, its hyperparameters described by the study file's `train:`
 * section. Written only against the public API (mpihpo.h), like any user's
 * objective: it is the first example of it.
 *
 * Each epoch it reports the validation accuracy (step = epoch, from 0) and
 * stops when the pruner says so; the trial's value is the validation
 * accuracy after the last epoch (as the article's objective). */
#ifndef HPO_OBJECTIVE_MLP_H
#define HPO_OBJECTIVE_MLP_H

#include "config.h"
#include "dataset.h"
#include "mpihpo.h"

typedef struct hpo_mlp_objective {
    const hpo_config  *cfg;     /* train: section */
    const hpo_dataset *data;    /* split and encoded */
} hpo_mlp_objective;

/* An hpo_objective; ctx is a hpo_mlp_objective. */
double hpo_mlp_objective_run(hpo_trial *t, void *ctx);

/* Check the train: section before anything runs, so that a mistake fails at
 * once, naming the key and its line: two parameters with one name (e.g.
 * n_layers renamed n_units_l0 beside a per_layer n_units), sizes no machine
 * can allocate (more than 2^20 units or rows per batch, 64 layers). (A grid
 * over a float range without a step is refused where the grid is built,
 * app/cmd_run.c, which knows the sampler a resume really uses.) */
hpo_status hpo_mlp_objective_check(const hpo_config *cfg);

/* Keys the train: section may hold (for the config reader's checks). */
extern const char *const hpo_mlp_train_keys[];

#endif
