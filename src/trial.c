/* trial.c - trial records, and the calls an objective makes (hpo_suggest_*,
 * hpo_report, hpo_should_prune). The calls validate the definition here, on
 * the objective's side, then hand it to the trial's backend (study_impl.h). */
#include "study_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

/* ---- records ------------------------------------------------------------ */

hpo_status hpo_rec_create(int64_t number, hpo_trial_rec **out)
{
    hpo_trial_rec *r = hpo_calloc(1, sizeof *r);
    HPO_CHECK(r, HPO_ENOMEM, "out of memory for trial %" PRId64, number);
    r->number = number;
    r->state = HPO_RUNNING;
    r->value = NAN;
    *out = r;
    return HPO_OK;
}

void hpo_rec_destroy(hpo_trial_rec **rp)
{
    if (!rp || !*rp) return;
    hpo_trial_rec *r = *rp;
    for (size_t i = 0; i < r->n_params; i++) {
        hpo_free(r->params[i].name);
        hpo_dist_clear(&r->params[i].dist);
    }
    hpo_free(r->params);
    for (size_t i = 0; i < r->n_fixed; i++) {
        hpo_free(r->fixed[i].name);
        hpo_dist_clear(&r->fixed[i].dist);
    }
    hpo_free(r->fixed);
    hpo_free(r->steps);
    hpo_free(r->inter);
    hpo_free(r->fail_reason);
    hpo_free(r);
    *rp = NULL;
}

const hpo_param_rec *hpo_rec_find_param(const hpo_trial_rec *r, const char *name)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].name, name) == 0) return &r->params[i];
    return NULL;
}

hpo_status hpo_rec_add_param(hpo_trial_rec *r, const char *name, const hpo_dist *d, hpo_pval v)
{
    if (r->n_params == r->cap_params) {
        size_t cap = r->cap_params ? 2 * r->cap_params : 8;
        hpo_param_rec *p = hpo_realloc(r->params, cap * sizeof *p);
        HPO_CHECK(p, HPO_ENOMEM, "out of memory for parameters of trial %" PRId64, r->number);
        r->params = p;
        r->cap_params = cap;
    }
    hpo_param_rec *p = &r->params[r->n_params];
    p->name = hpo_strdup(name);
    HPO_CHECK(p->name, HPO_ENOMEM, "out of memory for parameter '%s'", name);
    if (hpo_dist_copy(&p->dist, d) != HPO_OK) {
        hpo_free(p->name);
        HPO_FAIL(HPO_ENOMEM, "out of memory for parameter '%s'", name);
    }
    p->v = v;
    r->n_params++;
    return HPO_OK;
}

hpo_status hpo_rec_add_report(hpo_trial_rec *r, int64_t step, double value, int *repeated, int *decreasing)
{
    *repeated = *decreasing = 0;
    for (size_t i = 0; i < r->n_inter; i++)
        if (r->steps[i] == step) { *repeated = 1; return HPO_OK; }
    if (r->n_inter && step < r->steps[r->n_inter - 1]) *decreasing = 1;
    if (r->n_inter == r->cap_inter) {
        size_t cap = r->cap_inter ? 2 * r->cap_inter : 32;
        int64_t *s = hpo_realloc(r->steps, cap * sizeof *s);
        HPO_CHECK(s, HPO_ENOMEM, "out of memory for reports of trial %" PRId64, r->number);
        r->steps = s;
        double *v = hpo_realloc(r->inter, cap * sizeof *v);
        HPO_CHECK(v, HPO_ENOMEM, "out of memory for reports of trial %" PRId64, r->number);
        r->inter = v;
        r->cap_inter = cap;
    }
    r->steps[r->n_inter] = step;
    r->inter[r->n_inter] = value;
    r->n_inter++;
    return HPO_OK;
}

int64_t hpo_rec_last_step(const hpo_trial_rec *r, double *value)
{
    if (!r->n_inter) { if (value) *value = NAN; return -1; }
    if (value) *value = r->inter[r->n_inter - 1];
    return r->steps[r->n_inter - 1];
}

hpo_status hpo_rec_set_fail_reason(hpo_trial_rec *r, const char *reason)
{
    char *s = hpo_strdup(reason ? reason : "");
    HPO_CHECK(s, HPO_ENOMEM, "out of memory for a fail reason");
    hpo_free(r->fail_reason);
    r->fail_reason = s;
    return HPO_OK;
}

hpo_status hpo_history_append(hpo_history *h, hpo_trial_rec *r)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        hpo_trial_rec **t = hpo_realloc(h->trials, cap * sizeof *t);
        HPO_CHECK(t, HPO_ENOMEM, "out of memory for the trial list (%zu trials)", h->n);
        h->trials = t;
        h->cap = cap;
    }
    h->trials[h->n++] = r;
    return HPO_OK;
}

void hpo_history_clear(hpo_history *h)
{
    for (size_t i = 0; i < h->n; i++) hpo_rec_destroy(&h->trials[i]);
    hpo_free(h->trials);
    h->trials = NULL;
    h->n = h->cap = 0;
}

int hpo_rec_format_params(const hpo_trial_rec *r, char *buf, size_t n)
{
    size_t len = 0;
#define PUT(...) do { int k_ = snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, __VA_ARGS__); \
                      if (k_ > 0) len += (size_t)k_; } while (0)
    PUT("{");
    for (size_t i = 0; i < r->n_params; i++) {
        char v[256];
        hpo_pval_format(&r->params[i].dist, r->params[i].v, v, sizeof v);
        PUT("%s%s: %s", i ? ", " : "", r->params[i].name, v);
    }
    PUT("}");
#undef PUT
    return (int)len;
}

/* ---- public accessors --------------------------------------------------- */

const char *hpo_state_name(hpo_state s)
{
    switch (s) {
    case HPO_RUNNING:  return "RUNNING";
    case HPO_COMPLETE: return "COMPLETE";
    case HPO_PRUNED:   return "PRUNED";
    case HPO_FAIL:     return "FAIL";
    }
    return "?";
}

int64_t     hpo_rec_number(const hpo_trial_rec *r) { return r->number; }
hpo_state   hpo_rec_state(const hpo_trial_rec *r) { return r->state; }
double      hpo_rec_value(const hpo_trial_rec *r) { return r->value; }
size_t      hpo_rec_n_params(const hpo_trial_rec *r) { return r->n_params; }
const char *hpo_rec_param_name(const hpo_trial_rec *r, size_t i)
{
    return i < r->n_params ? r->params[i].name : NULL;
}
int hpo_rec_param_format(const hpo_trial_rec *r, size_t i, char *buf, size_t n)
{
    if (i >= r->n_params) return snprintf(buf, n, "?");
    return hpo_pval_format(&r->params[i].dist, r->params[i].v, buf, n);
}

/* ---- the calls an objective makes -------------------------------------- */

void hpo_trial_release(hpo_trial *t)
{
    hpo_free(t->fail_reason);
    t->fail_reason = NULL;
}

/* Record the first usage error; later calls in a failed trial are no-ops. */
static void trial_error(hpo_trial *t, hpo_status st)
{
    if (t->error != HPO_OK) return;
    t->error = st;
    snprintf(t->error_msg, sizeof t->error_msg, "%s", hpo_error_message());
}

static int suggest_dist(hpo_trial *t, const char *name, hpo_status made, const hpo_dist *d,
                        char *warning, hpo_pval *out)
{
    if (warning) {
        t->be->warn(t->ctx, name, warning);
        hpo_free(warning);
    }
    if (made != HPO_OK) { trial_error(t, made); return 0; }
    if (t->error != HPO_OK) return 0;
    hpo_status st = t->be->suggest(t->ctx, t->rec, name, d, out);
    if (st != HPO_OK) { trial_error(t, st); return 0; }
    return 1;
}

static int bad_name(hpo_trial *t, const char *name)
{
    if (!t) return 1;
    if (!name || !*name) {
        hpo_error_raise(HPO_EINVAL, __FILE__, __LINE__, __func__, "a parameter needs a non-empty name");
        trial_error(t, HPO_EINVAL);
        return 1;
    }
    return 0;
}

double hpo_suggest_float(hpo_trial *t, const char *name, double low, double high, unsigned flags)
{
    if (bad_name(t, name)) return NAN;
    hpo_dist d; char *w; hpo_pval v;
    hpo_status st = hpo_dist_float(&d, name, low, high, 0, (flags & HPO_LOG) != 0, &w);
    return suggest_dist(t, name, st, &d, w, &v) ? v.f : (isfinite(low) ? low : NAN);
}

double hpo_suggest_float_step(hpo_trial *t, const char *name, double low, double high, double step)
{
    if (bad_name(t, name)) return NAN;
    hpo_dist d; char *w; hpo_pval v;
    hpo_status st = (step > 0) ? hpo_dist_float(&d, name, low, high, step, 0, &w)
                               : hpo_error_raise(HPO_EINVAL, __FILE__, __LINE__, __func__,
                                                 "parameter '%s': step must be > 0 (got %g)", name, step);
    if (st != HPO_OK) w = NULL;
    return suggest_dist(t, name, st, &d, w, &v) ? v.f : (isfinite(low) ? low : NAN);
}

int64_t hpo_suggest_int(hpo_trial *t, const char *name, int64_t low, int64_t high, unsigned flags)
{
    if (bad_name(t, name)) return low;
    hpo_dist d; char *w; hpo_pval v;
    hpo_status st = hpo_dist_int(&d, name, low, high, 1, (flags & HPO_LOG) != 0, &w);
    return suggest_dist(t, name, st, &d, w, &v) ? v.i : low;
}

int64_t hpo_suggest_int_step(hpo_trial *t, const char *name, int64_t low, int64_t high, int64_t step)
{
    if (bad_name(t, name)) return low;
    hpo_dist d; char *w; hpo_pval v;
    hpo_status st = hpo_dist_int(&d, name, low, high, step, 0, &w);
    return suggest_dist(t, name, st, &d, w, &v) ? v.i : low;
}

hpo_choice hpo_suggest_categorical(hpo_trial *t, const char *name, const hpo_choice *choices, size_t n)
{
    hpo_choice none = HPO_INT(0);
    if (bad_name(t, name)) return n ? choices[0] : none;
    hpo_dist d; hpo_pval v;
    hpo_status st = choices ? hpo_dist_cat(&d, name, choices, n)
                            : hpo_error_raise(HPO_EINVAL, __FILE__, __LINE__, __func__,
                                              "parameter '%s': choices is NULL", name);
    int ok = suggest_dist(t, name, st, &d, NULL, &v);
    if (st == HPO_OK) hpo_dist_clear(&d);
    if (!ok) return n && choices ? choices[0] : none;
    return choices[v.i];
}

const char *hpo_suggest_categorical_str(hpo_trial *t, const char *name, const char *const *choices, size_t n)
{
    if (bad_name(t, name)) return n && choices ? choices[0] : NULL;
    if (!choices || n == 0) {
        hpo_error_raise(HPO_EINVAL, __FILE__, __LINE__, __func__,
                        "parameter '%s': categorical needs at least one choice", name);
        trial_error(t, HPO_EINVAL);
        return NULL;
    }
    hpo_choice local[64], *c = n <= 64 ? local : hpo_calloc(n, sizeof *c);
    if (!c) {
        hpo_error_raise(HPO_ENOMEM, __FILE__, __LINE__, __func__, "out of memory for %zu choices", n);
        trial_error(t, HPO_ENOMEM);
        return choices[0];
    }
    for (size_t i = 0; i < n; i++) c[i] = HPO_STR(choices[i]);
    hpo_choice got = hpo_suggest_categorical(t, name, c, n);
    size_t idx = 0;
    for (size_t i = 0; i < n; i++) if (c[i].v.s == got.v.s) { idx = i; break; }
    if (c != local) hpo_free(c);
    return choices[idx];
}

double hpo_suggest_uniform(hpo_trial *t, const char *name, double low, double high)
{
    return hpo_suggest_float(t, name, low, high, 0);
}

double hpo_suggest_loguniform(hpo_trial *t, const char *name, double low, double high)
{
    return hpo_suggest_float(t, name, low, high, HPO_LOG);
}

double hpo_suggest_discrete_uniform(hpo_trial *t, const char *name, double low, double high, double q)
{
    return hpo_suggest_float_step(t, name, low, high, q);
}

void hpo_report(hpo_trial *t, int64_t step, double value)
{
    if (!t || t->error != HPO_OK) return;
    hpo_status st = t->be->report(t->ctx, t->rec, step, value);
    if (st != HPO_OK) trial_error(t, st);
}

int hpo_should_prune(hpo_trial *t)
{
    if (!t || t->error != HPO_OK) return 0;
    int prune = 0;
    hpo_status st = t->be->should_prune(t->ctx, t->rec, &prune);
    if (st != HPO_OK) { trial_error(t, st); return 0; }
    return prune;
}

double hpo_trial_pruned(hpo_trial *t)
{
    if (t) t->pruned = 1;
    return NAN;
}

double hpo_trial_fail(hpo_trial *t, const char *fmt, ...)
{
    if (!t) return NAN;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    t->failed = 1;
    hpo_free(t->fail_reason);
    t->fail_reason = hpo_strdup(buf);   /* NULL on no memory: the reason is then generic */
    return NAN;
}

int64_t  hpo_trial_number(const hpo_trial *t) { return t ? t->rec->number : -1; }
uint64_t hpo_trial_seed(const hpo_trial *t) { return t ? t->rec->seed : 0; }

void hpo_trial_outcome(const hpo_trial *t, double v, hpo_state *state, double *value,
                       const char **reason, char *buf, size_t n)
{
    *reason = NULL;
    if (t->error != HPO_OK) {
        *state = HPO_FAIL; *value = NAN; *reason = t->error_msg;
    } else if (t->rec->interrupted) {
        *state = HPO_FAIL; *value = NAN;
        snprintf(buf, n, "interrupted (the study was stopped by signal %d)", t->rec->interrupted);
        *reason = buf;
    } else if (t->failed) {
        *state = HPO_FAIL; *value = NAN;
        *reason = t->fail_reason ? t->fail_reason : "the objective reported a failure";
    } else if (t->pruned) {
        *state = HPO_PRUNED;
        hpo_rec_last_step(t->rec, value);
    } else if (!isfinite(v)) {
        *state = HPO_FAIL; *value = NAN;
        snprintf(buf, n, "the objective returned %s", isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
        *reason = buf;
    } else {
        *state = HPO_COMPLETE; *value = v;
    }
}
