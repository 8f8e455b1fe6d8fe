/* space.h - parameter distributions: Optuna's search-space rules in C.
 *
 * A distribution is float (uniform, log, or on a step grid), int (uniform,
 * log, or step; exact over all of int64) or categorical (typed choices).
 * Rules (Optuna, ../shared/algorithms.md §2.1): step and log exclude each
 * other; log needs low > 0 (int: low >= 1); low <= high (== allowed); with a
 * step, high is shrunk to low + k*step, computed exactly in decimal, with
 * one warning.
 *
 * A value drawn from a distribution is an hpo_pval: .f for float, .i for int,
 * .i = index for categorical. */
#ifndef HPO_SPACE_H
#define HPO_SPACE_H

#include <stdint.h>
#include <stddef.h>
#include "mpihpo.h"

typedef enum { HPO_DIST_FLOAT = 0, HPO_DIST_INT, HPO_DIST_CAT } hpo_dist_kind;

typedef struct hpo_dist {
    hpo_dist_kind kind;
    int log;                         /* float/int: sampled in log space */
    double flo, fhi, fstep;          /* float: bounds; fstep 0 = continuous */
    int64_t ilo, ihi, istep;         /* int: bounds; istep >= 1 */
    size_t n_choices;                /* categorical */
    hpo_choice *choices;             /* (n_choices); strings owned by the dist */
} hpo_dist;

typedef union hpo_pval { double f; int64_t i; } hpo_pval;

/* Constructors validate and normalise (shrink high to the step grid). `name`
 * is only used in messages. On a shrink, *warning (if not NULL) receives a
 * malloc'd text that the caller prints once and frees; else it is NULL.
 * Returns HPO_EINVAL naming the parameter and the rule; d is then untouched. */
hpo_status hpo_dist_float(hpo_dist *d, const char *name, double low, double high,
                          double step, int log, char **warning);
hpo_status hpo_dist_int(hpo_dist *d, const char *name, int64_t low, int64_t high,
                        int64_t step, int log, char **warning);
/* Copies the choices (and their strings). Duplicate choices are an error. */
hpo_status hpo_dist_cat(hpo_dist *d, const char *name, const hpo_choice *choices, size_t n);

hpo_status hpo_dist_copy(hpo_dist *dst, const hpo_dist *src);
void       hpo_dist_clear(hpo_dist *d);             /* frees choices; d reusable */
int        hpo_dist_equal(const hpo_dist *a, const hpo_dist *b);
/* "float [1e-05, 0.1] log", "int [2, 8] step 3", "categorical [adam, sgd]". */
int        hpo_dist_format(const hpo_dist *d, char *buf, size_t n);

/* Number of points of a discrete distribution minus one (k_max), exact. */
uint64_t   hpo_dist_int_kmax(const hpo_dist *d);
uint64_t   hpo_dist_float_kmax(const hpo_dist *d);

/* Is v a value this distribution can produce? */
int        hpo_dist_contains(const hpo_dist *d, hpo_pval v);
/* The value as text for logs ("0.0041", "rmsprop", "14", "true"). */
int        hpo_pval_format(const hpo_dist *d, hpo_pval v, char *buf, size_t n);

int        hpo_choice_equal(const hpo_choice *a, const hpo_choice *b);
int        hpo_choice_format(const hpo_choice *c, char *buf, size_t n);

/* Transformed ("internal") representation used by samplers: log space for
 * log distributions, the value itself otherwise, the index for categorical. */
double     hpo_dist_to_internal(const hpo_dist *d, hpo_pval v);
/* Back from a sampler's continuous number: rounds to the grid and clips. */
hpo_pval   hpo_dist_from_internal(const hpo_dist *d, double x);

#endif
