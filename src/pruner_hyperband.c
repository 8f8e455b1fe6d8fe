/* pruner_hyperband.c - Optuna's HyperbandPruner: several successive-halving
 * brackets, each trial in one of them.
 *
 * Reference: optuna/pruners/_hyperband.py (Optuna 3.1); pinned by
 * tests/test_pruner_optuna.c.
 *
 * Rule (algorithms.md 2.5): max_resource "auto" (0) is fixed at the first
 * check after a trial is COMPLETE, as the largest step of the COMPLETE
 * trials + 1; before that nothing is pruned. Then n_brackets = 1 + the
 * largest k with min_resource * eta^k <= max_resource (exact integers; see
 * docs/pruners.md for where Optuna's floating-point log gives one less), and
 * bracket b gets the budget ceil(n_brackets * eta^(n_brackets-1-b) /
 * (n_brackets-b)). Trial N is in the bracket found by walking the budgets
 * with crc32("<study name>_<N>") mod (sum of budgets). Bracket b judges its
 * trials as successive halving with min_early_stopping_rate b, among the
 * trials of bracket b only.
 *
 * Cost of one check: O(trials x (name length + rungs passed x log trials)). */
#include "pruner_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

/* ---- helpers ------------------------------------------------------------ */

static uint32_t crc_table_entry(uint32_t c)
{
    for (int k = 0; k < 8; k++) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    return c;
}

uint32_t hpo_crc32(uint32_t crc, const void *buf, size_t n)
{
    /* Bytewise, table-free: the names hashed are a few dozen bytes. */
    const unsigned char *p = buf;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = crc_table_entry((crc ^ p[i]) & 0xFFu) ^ (crc >> 8);
    return ~crc;
}

int64_t hpo_hyperband_n_brackets(int64_t min_resource, int64_t max_resource, int64_t eta)
{
    if (min_resource < 1 || eta < 2 || max_resource < min_resource) return 0;
    int64_t k = 0, r = min_resource;
    while (r <= max_resource / eta) {          /* r * eta <= max_resource, without overflow */
        r *= eta;
        k++;
    }
    return k + 1;
}

int64_t hpo_hyperband_budget(int64_t n_brackets, int64_t eta, int64_t b)
{
    int64_t s = n_brackets - 1 - b;
    if (s < 0) return 0;
    int64_t p = hpo_rung_resource(1, eta, s);
    if (p == INT64_MAX || p > INT64_MAX / n_brackets) return 0;
    int64_t num = n_brackets * p;
    return num / (s + 1) + (num % (s + 1) != 0);
}

/* ---- the pruner --------------------------------------------------------- */

typedef struct hb_state {
    hpo_sha_common c;           /* c.resource: max_resource, 0 until known */
    int64_t  min_resource, eta, bootstrap_count;
    int      ready;             /* brackets built */
    int64_t  n_brackets, total;
    int64_t *budgets;           /* (n_brackets) */
    char    *study_name;
    char    *key;               /* scratch "<study name>_<number>" */
    size_t   key_cap;
} hb_state;

static hpo_status hb_create(const hpo_pruner_opts *o, void **state)
{
    HPO_CHECK(o, HPO_EINVAL, "pruner options are NULL");
    int64_t rmin = o->min_resource ? o->min_resource : 1;     /* 0: Optuna's default 1 */
    HPO_CHECK(rmin >= 1, HPO_EINVAL, "pruner hyperband: min_resource must be >= 1 (got %" PRId64 ")",
              o->min_resource);
    HPO_CHECK(o->max_resource >= 0, HPO_EINVAL,
              "pruner hyperband: max_resource must be >= 1 or auto (0) (got %" PRId64 ")", o->max_resource);
    HPO_CHECK(o->max_resource == 0 || o->max_resource >= rmin, HPO_EINVAL,
              "pruner hyperband: min_resource %" PRId64 " > max_resource %" PRId64, rmin, o->max_resource);
    HPO_CHECK(o->reduction_factor >= 2, HPO_EINVAL,
              "pruner hyperband: reduction_factor must be >= 2 (got %" PRId64 ")", o->reduction_factor);
    HPO_CHECK(o->bootstrap_count >= 0, HPO_EINVAL,
              "pruner hyperband: bootstrap_count must be >= 0 (got %" PRId64 ")", o->bootstrap_count);
    HPO_CHECK(o->bootstrap_count == 0 || o->max_resource > 0, HPO_EINVAL,
              "pruner hyperband: bootstrap_count > 0 (%" PRId64 ") needs max_resource set, not auto",
              o->bootstrap_count);
    hb_state *s = hpo_calloc(1, sizeof *s);
    HPO_CHECK(s, HPO_ENOMEM, "out of memory for the hyperband pruner");
    s->study_name = hpo_strdup(o->study_name ? o->study_name : "");
    if (!s->study_name) { hpo_free(s); HPO_FAIL(HPO_ENOMEM, "out of memory for the hyperband pruner"); }
    s->c.magic = HPO_HB_MAGIC;
    s->c.resource = o->max_resource;
    s->min_resource = rmin;
    s->eta = o->reduction_factor;
    s->bootstrap_count = o->bootstrap_count;
    *state = s;
    return HPO_OK;
}

static void hb_destroy(void *state)
{
    hb_state *s = state;
    if (!s) return;
    hpo_sha_table_free(&s->c.tab);
    hpo_free(s->budgets);
    hpo_free(s->study_name);
    hpo_free(s->key);
    hpo_free(s);
}

/* _try_initialization. Leaves s->ready 0 while max_resource is unknown. */
static hpo_status hb_init(hb_state *s, const hpo_history *h)
{
    if (s->c.resource == 0) {
        int64_t last = -1;
        for (size_t i = 0; i < h->n; i++) {
            const hpo_trial_rec *r = h->trials[i];
            if (r->state != HPO_COMPLETE) continue;
            int64_t ls = hpo_pruner_last_step(r, NULL);
            if (ls > last) last = ls;
        }
        if (last < 0) return HPO_OK;
        s->c.resource = hpo_step_after(last);
    }
    int64_t nb = hpo_hyperband_n_brackets(s->min_resource, s->c.resource, s->eta);
    int64_t *bud = NULL, total = 0;
    if (nb > 0) {
        bud = hpo_calloc((size_t)nb, sizeof *bud);
        HPO_CHECK(bud, HPO_ENOMEM, "out of memory for %" PRId64 " hyperband brackets", nb);
        for (int64_t b = 0; b < nb; b++) {
            bud[b] = hpo_hyperband_budget(nb, s->eta, b);
            if (bud[b] == 0 || total > INT64_MAX - bud[b]) {
                hpo_free(bud);
                HPO_FAIL(HPO_EINVAL, "pruner hyperband: %" PRId64 " brackets (min_resource %" PRId64
                         ", max_resource %" PRId64 ", reduction_factor %" PRId64 ") overflow the trial "
                         "budgets; use a larger reduction_factor", nb, s->min_resource, s->c.resource, s->eta);
            }
            total += bud[b];
        }
    }
    s->budgets = bud;
    s->n_brackets = nb;      /* 0 (max_resource < min_resource): never prunes, as Optuna */
    s->total = total;
    s->ready = 1;
    return HPO_OK;
}

static int64_t bracket_of(const hb_state *s, char *key, size_t cap, int64_t number)
{
    if (!s->ready || s->n_brackets == 0) return 0;
    int len = snprintf(key, cap, "%s_%" PRId64, s->study_name, number);
    uint32_t crc = hpo_crc32(0, key, (size_t)len);
    int64_t n = (int64_t)(crc % (uint64_t)s->total);
    for (int64_t b = 0; b < s->n_brackets; b++) {
        n -= s->budgets[b];
        if (n < 0) return b;
    }
    return s->n_brackets - 1;     /* unreachable: the budgets sum to total */
}

typedef struct hb_filter_ctx {
    hb_state *s;
    int64_t   bracket;
} hb_filter_ctx;

static int same_bracket(const void *ctx, const hpo_trial_rec *r)
{
    const hb_filter_ctx *f = ctx;
    return bracket_of(f->s, f->s->key, f->s->key_cap, r->number) == f->bracket;
}

static hpo_status hb_should_prune(void *state, const hpo_history *h, const hpo_trial_rec *t, int *prune)
{
    hb_state *s = state;
    *prune = 0;
    if (!s->ready) {
        HPO_TRY(hb_init(s, h));
        if (!s->ready) return HPO_OK;
    }
    if (s->n_brackets == 0) return HPO_OK;
    size_t need = strlen(s->study_name) + 24;
    if (s->key_cap < need) {
        char *k = hpo_realloc(s->key, need);
        HPO_CHECK(k, HPO_ENOMEM, "out of memory for a hyperband bracket key");
        s->key = k;
        s->key_cap = need;
    }
    hb_filter_ctx f = {s, bracket_of(s, s->key, s->key_cap, t->number)};
    HPO_TRY(hpo_sha_decide(&s->c.tab, h, same_bracket, &f, t, s->min_resource, s->eta,
                           f.bracket, s->bootstrap_count, prune));
    return HPO_OK;
}

/* As successive halving, in the trial's bracket; every step until the
 * brackets are built (a check may build them). */
static int64_t hb_next_check(void *state, const hpo_history *h, const hpo_trial_rec *t)
{
    (void)h;
    hb_state *s = state;
    int64_t step = hpo_pruner_last_step(t, NULL);
    if (!s->ready) return hpo_step_after(step);
    if (s->n_brackets == 0) return INT64_MAX;
    if (s->key_cap < strlen(s->study_name) + 24) return hpo_step_after(step);   /* no key buffer yet: ask */
    int64_t b = bracket_of(s, s->key, s->key_cap, t->number);
    size_t rung = hpo_sha_table_count(&s->c.tab, t->number);
    return hpo_rung_resource(s->min_resource, s->eta, b + (int64_t)rung);
}

int64_t hpo_hyperband_trial_bracket(const void *state, int64_t number)
{
    const hb_state *s = state;
    if (!s || s->c.magic != HPO_HB_MAGIC || !s->ready || s->n_brackets == 0) return 0;
    char key[64];
    size_t need = strlen(s->study_name) + 24;
    char *k = need <= sizeof key ? key : hpo_malloc(need);
    if (!k) return 0;            /* no memory: the sampler sees every trial (harmless) */
    int64_t b = bracket_of(s, k, need <= sizeof key ? sizeof key : need, number);
    if (k != key) hpo_free(k);
    return b;
}

const hpo_pruner_ops hpo_pruner_hyperband = {
    .name = "hyperband",
    .create = hb_create,
    .should_prune = hb_should_prune,
    .destroy = hb_destroy,
    .trial_group = hpo_hyperband_trial_bracket,
    .next_check = hb_next_check,
};
