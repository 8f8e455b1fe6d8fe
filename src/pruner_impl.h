/* pruner_impl.h - private to the pruners (pruner_percentile.c, pruner_sha.c,
 * pruner_hyperband.c) and their tests: the pruner tables, the numeric helpers
 * that must match Optuna / numpy bit for bit, the successive-halving core
 * shared by successive_halving and hyperband, and the calls a resumed study
 * (or a bracket-aware sampler) needs.
 *
 * Reference: Optuna 3.1 optuna/pruners/_percentile.py, _median.py,
 * _successive_halving.py, _hyperband.py, with numpy 1.24 nanpercentile; the
 * decisions are pinned by tests/test_pruner_optuna.c against recordings made
 * with tests/ref/make_pruner_ref.py. */
#ifndef HPO_PRUNER_IMPL_H
#define HPO_PRUNER_IMPL_H

#include <stdint.h>
#include <stddef.h>

#include "pruner.h"

extern const hpo_pruner_ops hpo_pruner_median;
extern const hpo_pruner_ops hpo_pruner_percentile;
extern const hpo_pruner_ops hpo_pruner_successive_halving;
extern const hpo_pruner_ops hpo_pruner_hyperband;

/* ---- helpers ------------------------------------------------------------ */


/* numpy.nanpercentile(v[0..n), q) with the default "linear" method, bit for
 * bit (numpy 1.24 _lerp): NaNs are dropped first (none reaches the sort);
 * NAN if nothing is left. Sorts v in place (NaNs moved to the end).
 * q in [0, 100]. O(n log n). */
double hpo_nanpercentile(double *v, size_t n, double q);

/* zlib's crc32 of n bytes, continuing from crc (start with 0). */
uint32_t hpo_crc32(uint32_t crc, const void *buf, size_t n);

/* base * eta^k, saturating at INT64_MAX on overflow (base >= 1, eta >= 2, k >= 0). */
int64_t hpo_rung_resource(int64_t base, int64_t eta, int64_t k);

/* Hyperband's bracket count, exactly: 1 + the largest k with
 * min_resource * eta^k <= max_resource; 0 if max_resource < min_resource.
 * (Optuna computes floor(log(max/min, eta)) + 1 in floating point, which
 * gives 5 instead of 6 for 1..243, eta 3; docs/pruners.md.) */
int64_t hpo_hyperband_n_brackets(int64_t min_resource, int64_t max_resource, int64_t eta);

/* Bracket b's share of trials, ceil(n_brackets * eta^(n_brackets-1-b) /
 * (n_brackets-b)), in integers; 0 on int64 overflow. */
int64_t hpo_hyperband_budget(int64_t n_brackets, int64_t eta, int64_t b);

/* ---- successive halving core (pruner_sha.c) ----------------------------- */

/* Optuna keeps a trial's passed rungs as system attrs completed_rung_<i>
 * (the trial's value when it reached rung i, stored even when that check
 * pruned it). We keep them here, by trial number. */
typedef struct hpo_sha_rungs {
    size_t  n, cap;
    double *v;                  /* (n) value at rung 0, 1, ..., n-1 */
} hpo_sha_rungs;

typedef struct hpo_sha_table {
    size_t         n;           /* entries for trial numbers 0 .. n-1 */
    hpo_sha_rungs *t;
} hpo_sha_table;

void       hpo_sha_table_free(hpo_sha_table *tab);
size_t     hpo_sha_table_count(const hpo_sha_table *tab, int64_t number);
hpo_status hpo_sha_table_push(hpo_sha_table *tab, int64_t number, double v);

/* The first member of the successive_halving and hyperband states, so the
 * resume calls below serve both. */
typedef struct hpo_sha_common {
    uint32_t      magic;        /* HPO_SHA_MAGIC or HPO_HB_MAGIC */
    hpo_sha_table tab;
    int64_t       resource;     /* SHA: min_resource; HB: max_resource; 0 = not known yet */
} hpo_sha_common;
#define HPO_SHA_MAGIC 0x53484131u   /* "SHA1" */
#define HPO_HB_MAGIC  0x48425031u   /* "HBP1" */

/* Which trials compete (hyperband: the same bracket); NULL = all. */
typedef int (*hpo_sha_filter)(const void *ctx, const hpo_trial_rec *r);

/* One SuccessiveHalvingPruner.prune() for trial t whose min_resource is
 * known: walks the rungs from the trial's current one while it is promoted,
 * storing the trial's value in tab at every rung it reaches.
 * Cost: O(rungs passed x trials x log trials). On HPO_ENOMEM the table may
 * hold the value of the rung being judged (as Optuna's would). */
hpo_status hpo_sha_decide(hpo_sha_table *tab, const hpo_history *h, hpo_sha_filter keep,
                          const void *ctx, const hpo_trial_rec *t, int64_t min_resource,
                          int64_t eta, int64_t min_early_stopping_rate,
                          int64_t bootstrap_count, int *prune);

/* ---- what a resumed study and a bracket-aware sampler need -------------- */

/* successive_halving and hyperband states: trial `number`'s rung values
 * (Optuna's completed_rung_<i> attrs). get returns the count and sets *v
 * (NULL if none); set replaces them (e.g. from a checkpoint). */
size_t     hpo_pruner_rungs_get(const void *state, int64_t number, const double **v);
hpo_status hpo_pruner_rungs_set(void *state, int64_t number, const double *v, size_t n);

/* The resource Optuna caches on the pruner object once the first COMPLETE
 * trial exists: successive_halving's min_resource, hyperband's max_resource.
 * get: 0 while not known yet; a value the user gave is returned as is.
 * set is for restoring a checkpoint: only while it is still unknown (r >= 1;
 * HPO_ESTATE if a different value is already fixed). */
int64_t    hpo_pruner_resource_get(const void *state);
hpo_status hpo_pruner_resource_set(void *state, int64_t r);

/* Hyperband: the bracket of trial `number` (0 until hyperband has
 * initialised, as Optuna's _get_bracket_id). A sampler must see only the
 * trials with the same bracket as the trial it samples for (Optuna's
 * _filter_study). state is the hyperband pruner's state. O(1). */
int64_t hpo_hyperband_trial_bracket(const void *state, int64_t number);

#endif
