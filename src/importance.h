/* importance.h - parameter importances by PED-ANOVA (Watanabe et al., IJCAI
 * 2023), as Optuna's PedAnovaImportanceEvaluator computes them
 * (../shared/algorithms.md §2.7; optuna/importance/_ped_anova/).
 *
 * Plain C (no HDF5): it reads trial records, so the report, `mpihpo show
 * --importance` and a running coordinator can all call it. Cost: closed
 * form, O(params x (trials + G x trials)) with G <= 50 grid points. */
#ifndef HPO_IMPORTANCE_H
#define HPO_IMPORTANCE_H

#include <stddef.h>
#include "trial_impl.h"

typedef struct hpo_importance {
    char  *name;          /* parameter name (owned) */
    double importance;    /* normalised: the list sums to 1; 0 for a single-valued parameter */
    double divergence;    /* the raw Pearson chi^2 divergence, before normalising (NaN: not
                           * computed, e.g. too few trials, where every parameter gets 1/d) */
} hpo_importance;

/* Optuna's defaults: baseline_quantile 0.1, evaluate_on_local 1. */
typedef struct hpo_importance_opts {
    double baseline_quantile;   /* (0, 1]: the "top" set is the best quantile of trials */
    int    evaluate_on_local;   /* 1: compare with the density of all trials; 0: uniform */
} hpo_importance_opts;
#define HPO_IMPORTANCE_OPTS_DEFAULT ((hpo_importance_opts){ 0.1, 1 })

/* hpo_importance_ped_anova - importances of the parameters that every
 * COMPLETE trial with a finite value used with the same distribution
 * (Optuna's intersection search space; conditional parameters such as
 * n_units_l1 are left out). Trials that are not COMPLETE, or whose value is
 * NaN/inf, are ignored. opts may be NULL (defaults).
 *
 * Method: the top trials are those with a value at least as good as both the
 * 2nd best and the ceil(q*n)-th best (ties included). Each parameter's
 * domain is cut into G <= 50 grid points (log space for log parameters;
 * fewer for small int/step domains; categories as they are); a 1-D Parzen
 * estimator with Scott's bandwidth (floored at 0.5/1.64 cells) and a prior
 * kernel (centre, width G, weight 1) is built from the top trials and from
 * all trials; importance = sum_g p_all(g) (p_top(g)/p_all(g) - 1)^2, then
 * normalised to sum 1. With 2 trials or fewer every parameter gets 1/d.
 *
 * Output: *out (hpo_importance_free) sorted by importance, largest first,
 * ties by name; *n_out may be 0 (no parameter common to the trials).
 * *n_top (may be NULL) gets the size of the top set (0 if not computed).
 * HPO_EINVAL on a bad argument, HPO_ENOMEM; *out unchanged on failure. */
hpo_status hpo_importance_ped_anova(hpo_trial_rec *const *trials, size_t n, hpo_direction dir,
                                    const hpo_importance_opts *opts,
                                    hpo_importance **out, size_t *n_out, size_t *n_top);

/* hpo_importance_pearson - the divergence of one parameter from grid counts:
 * counts_top (G) and counts_all (G) over the same grid, numeric (Scott
 * Parzen estimator on 0..G-1) or categorical (Optuna's categorical kernel).
 * Exposed for tests; the building block of hpo_importance_ped_anova. */
double hpo_importance_pearson(const double *counts_top, const double *counts_all, size_t G,
                              int categorical, int evaluate_on_local);

/* The Parzen density of counts (G) on the grid 0..G-1 into pdf (G). */
void hpo_importance_parzen_pdf(const double *counts, size_t G, int categorical, double *pdf);

void hpo_importance_free(hpo_importance **items, size_t n);

#endif
