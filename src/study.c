/* study.c - a study: its trials, its sampler and pruner, and the one-process
 * optimize loop. The coordinator operations (study_impl.h) are what an MPI
 * rank 0 calls for its workers; optimize calls them for itself. */
#include "study_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "error.h"

struct hpo_study {
    char            *name;
    hpo_direction    direction;
    int              has_seed;
    uint64_t         seed;
    hpo_rng          rng;           /* the sampler's stream, seeded from seed */
    char             sampler_type[32];
    hpo_sampler_opts sopts;
    const hpo_sampler_ops *sampler;
    void            *sstate;
    char             pruner_type[32];
    hpo_pruner_opts  popts;
    const hpo_pruner_ops *pruner;
    void            *pstate;
    FILE            *log;
    hpo_history      hist;
    int              ready;         /* sampler and pruner states exist */
    char           **warned;        /* parameter names already warned about */
    size_t           n_warned;
    long             best;          /* index of the best COMPLETE trial, -1 */
    hpo_trial_hook   on_start, on_finish;
    void            *hook_ctx;
    hpo_history      view;          /* scratch: the trials of one hyperband bracket */
    hpo_trial_hook   on_report;     /* at a trial's first report, then every report_every s */
    double           report_every;
    hpo_history      queue;         /* enqueued trials (records holding only params), FIFO */
    size_t           queue_head;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t entropy_seed(void)
{
    uint64_t x = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) { if (fread(&x, sizeof x, 1, f) != 1) x = 0; fclose(f); }
    if (!x) x = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
    return x >> 1;   /* fits int64, so it prints and stores the same everywhere */
}

hpo_status hpo_study_create(hpo_study **out)
{
    HPO_CHECK(out, HPO_EINVAL, "hpo_study_create: argument 1 (out) is NULL");
    hpo_study *s = hpo_calloc(1, sizeof *s);
    HPO_CHECK(s, HPO_ENOMEM, "out of memory for a study");
    s->name = hpo_strdup("study");
    if (!s->name) { hpo_free(s); HPO_FAIL(HPO_ENOMEM, "out of memory for a study"); }
    s->direction = HPO_MINIMIZE;
    s->seed = entropy_seed();
    hpo_rng_seed(&s->rng, s->seed);
    snprintf(s->sampler_type, sizeof s->sampler_type, "random");
    hpo_sampler_opts_default(&s->sopts, s->sampler_type);
    snprintf(s->pruner_type, sizeof s->pruner_type, "none");
    hpo_pruner_opts_default(&s->popts, s->pruner_type);
    s->log = stdout;
    s->hist.direction = s->direction;
    s->best = -1;
    *out = s;
    return HPO_OK;
}

#define CHECK_CONFIGURABLE(s) do { \
    HPO_CHECK(s, HPO_EINVAL, "%s: the study is NULL", __func__); \
    HPO_CHECK(!(s)->ready, HPO_ESTATE, "%s: the study has started; configure it before optimize", __func__); \
} while (0)

hpo_status hpo_study_set_name(hpo_study *s, const char *name)
{
    CHECK_CONFIGURABLE(s);
    HPO_CHECK(name && *name, HPO_EINVAL, "a study name must be a non-empty string");
    char *n = hpo_strdup(name);
    HPO_CHECK(n, HPO_ENOMEM, "out of memory for the study name");
    hpo_free(s->name);
    s->name = n;
    return HPO_OK;
}

hpo_status hpo_study_set_direction(hpo_study *s, hpo_direction d)
{
    CHECK_CONFIGURABLE(s);
    HPO_CHECK(d == HPO_MINIMIZE || d == HPO_MAXIMIZE, HPO_EINVAL, "direction must be minimize or maximize");
    s->direction = s->hist.direction = d;
    return HPO_OK;
}

hpo_status hpo_study_set_seed(hpo_study *s, uint64_t seed)
{
    CHECK_CONFIGURABLE(s);
    s->seed = seed;
    s->has_seed = 1;
    hpo_rng_seed(&s->rng, seed);
    return HPO_OK;
}

hpo_status hpo_study_set_sampler(hpo_study *s, const char *name)
{
    CHECK_CONFIGURABLE(s);
    HPO_CHECK(name, HPO_EINVAL, "sampler name is NULL");
    hpo_sampler_opts o;
    hpo_sampler_opts_default(&o, name);
    HPO_TRY(hpo_study_set_sampler_opts(s, &o));
    return HPO_OK;
}

hpo_status hpo_study_set_sampler_opts(hpo_study *s, const hpo_sampler_opts *o)
{
    CHECK_CONFIGURABLE(s);
    const hpo_sampler_ops *ops;
    HPO_TRY(hpo_sampler_find(o->type, &ops));
    s->sopts = *o;
    snprintf(s->sampler_type, sizeof s->sampler_type, "%s", ops->name);
    s->sopts.type = s->sampler_type;
    return HPO_OK;
}

hpo_status hpo_study_set_pruner(hpo_study *s, const char *name)
{
    CHECK_CONFIGURABLE(s);
    HPO_CHECK(name, HPO_EINVAL, "pruner name is NULL");
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, name);
    HPO_TRY(hpo_study_set_pruner_opts(s, &o));
    return HPO_OK;
}

hpo_status hpo_study_set_pruner_opts(hpo_study *s, const hpo_pruner_opts *o)
{
    CHECK_CONFIGURABLE(s);
    const hpo_pruner_ops *ops;
    HPO_TRY(hpo_pruner_find(o->type, &ops));
    s->popts = *o;
    snprintf(s->pruner_type, sizeof s->pruner_type, "%s", ops->name);
    s->popts.type = s->pruner_type;
    return HPO_OK;
}

hpo_status hpo_study_set_log(hpo_study *s, FILE *log)
{
    HPO_CHECK(s, HPO_EINVAL, "hpo_study_set_log: the study is NULL");
    s->log = log;
    return HPO_OK;
}

hpo_status hpo_study_setup(hpo_study *s)
{
    HPO_CHECK(s, HPO_EINVAL, "hpo_study_setup: the study is NULL");
    if (s->ready) return HPO_OK;
    HPO_TRY(hpo_sampler_find(s->sampler_type, &s->sampler));
    HPO_TRY(hpo_pruner_find(s->pruner_type, &s->pruner));
    s->popts.study_name = s->name;
    s->sopts.seed = s->seed;
    s->sopts.has_seed = 1;
    HPO_TRY(s->sampler->create(&s->sopts, &s->sstate));
    hpo_status st = s->pruner->create(&s->popts, &s->pstate);
    if (st != HPO_OK) {
        s->sampler->destroy(s->sstate);
        s->sstate = NULL;
        return hpo_error_push(st, __FILE__, __LINE__, __func__);
    }
    s->ready = 1;
    return HPO_OK;
}

void hpo_study_destroy(hpo_study **sp)
{
    if (!sp || !*sp) return;
    hpo_study *s = *sp;
    if (s->ready) {
        s->sampler->destroy(s->sstate);
        s->pruner->destroy(s->pstate);
    }
    hpo_history_clear(&s->hist);
    hpo_history_clear(&s->queue);
    hpo_free(s->view.trials);
    for (size_t i = 0; i < s->n_warned; i++) hpo_free(s->warned[i]);
    hpo_free(s->warned);
    hpo_free(s->name);
    hpo_free(s);
    *sp = NULL;
}

uint64_t hpo_study_seed(const hpo_study *s, int *was_set)
{
    if (was_set) *was_set = s->has_seed;
    return s->seed;
}
const char *hpo_study_name(const hpo_study *s) { return s->name; }
const hpo_history *hpo_study_history(const hpo_study *s) { return &s->hist; }
size_t hpo_study_n_trials(const hpo_study *s) { return s ? s->hist.n : 0; }
const hpo_trial_rec *hpo_study_trial(const hpo_study *s, size_t i)
{
    return s && i < s->hist.n ? s->hist.trials[i] : NULL;
}
const hpo_trial_rec *hpo_study_best_trial(const hpo_study *s)
{
    return s && s->best >= 0 ? s->hist.trials[s->best] : NULL;
}

hpo_status hpo_study_set_hooks(hpo_study *s, hpo_trial_hook on_start, hpo_trial_hook on_finish, void *ctx)
{
    HPO_CHECK(s, HPO_EINVAL, "hpo_study_set_hooks: the study is NULL");
    s->on_start = on_start;
    s->on_finish = on_finish;
    s->hook_ctx = ctx;
    return HPO_OK;
}

hpo_status hpo_study_set_report_hook(hpo_study *s, hpo_trial_hook on_report, double every_s)
{
    HPO_CHECK(s, HPO_EINVAL, "hpo_study_set_report_hook: the study is NULL");
    HPO_CHECK(every_s >= 0, HPO_EINVAL, "hpo_study_set_report_hook: every_s must be >= 0 (got %g)", every_s);
    s->on_report = on_report;
    s->report_every = every_s;
    return HPO_OK;
}

hpo_status hpo_study_enqueue(hpo_study *s, const hpo_trial_rec *from)
{
    HPO_CHECK(s && from, HPO_EINVAL, "hpo_study_enqueue: NULL argument");
    hpo_trial_rec *q;
    HPO_TRY(hpo_rec_create(-1, &q));
    for (size_t i = 0; i < from->n_params; i++) {
        hpo_status st = hpo_rec_add_param(q, from->params[i].name, &from->params[i].dist, from->params[i].v);
        if (st != HPO_OK) { hpo_rec_destroy(&q); return hpo_error_push(st, __FILE__, __LINE__, __func__); }
    }
    hpo_status st = hpo_history_append(&s->queue, q);
    if (st != HPO_OK) { hpo_rec_destroy(&q); return hpo_error_push(st, __FILE__, __LINE__, __func__); }
    return HPO_OK;
}

static void update_best(hpo_study *s, size_t i)
{
    const hpo_trial_rec *r = s->hist.trials[i];
    if (r->state != HPO_COMPLETE) return;
    const hpo_trial_rec *b = hpo_study_best_trial(s);
    if (!b || hpo_better(s->direction, r->value, b->value)) s->best = (long)i;
}

hpo_status hpo_study_adopt_trial(hpo_study *s, hpo_trial_rec *rec)
{
    HPO_CHECK(s && rec, HPO_EINVAL, "hpo_study_adopt_trial: NULL argument");
    HPO_CHECK(rec->number == (int64_t)s->hist.n, HPO_EFORMAT,
              "trial numbers must continue the study: expected trial %zu, got %" PRId64, s->hist.n, rec->number);
    HPO_TRY(hpo_history_append(&s->hist, rec));
    update_best(s, s->hist.n - 1);
    return HPO_OK;
}

hpo_status hpo_study_replay_pruner(hpo_study *s)
{
    HPO_TRY(hpo_study_setup(s));
    if (strcmp(s->pruner->name, "successive_halving") != 0 && strcmp(s->pruner->name, "hyperband") != 0)
        return HPO_OK;
    size_t n = s->hist.n;
    hpo_status st = HPO_OK;
    for (size_t i = 0; i < n && st == HPO_OK; i++) {
        hpo_trial_rec *r = s->hist.trials[i];
        hpo_state state = r->state;
        double value = r->value;
        size_t reps = r->n_inter;
        s->hist.n = i + 1;                      /* the study as trial i saw it */
        r->state = HPO_RUNNING;
        r->value = NAN;
        for (size_t j = 0; j < reps && st == HPO_OK; j++) {
            int prune;
            r->n_inter = j + 1;
            st = s->pruner->should_prune(s->pstate, &s->hist, r, &prune);
        }
        r->state = state;
        r->value = value;
        r->n_inter = reps;
    }
    s->hist.n = n;
    if (st != HPO_OK) return hpo_error_push(st, __FILE__, __LINE__, __func__);
    return HPO_OK;
}

void hpo_study_get_rng(const hpo_study *s, hpo_rng *out) { *out = s->rng; }
void hpo_study_set_rng(hpo_study *s, const hpo_rng *in) { s->rng = *in; }
const char *hpo_study_sampler_type(const hpo_study *s) { return s->sampler_type; }
const char *hpo_study_pruner_type(const hpo_study *s) { return s->pruner_type; }
hpo_direction hpo_study_direction(const hpo_study *s) { return s->direction; }

/* ---- coordinator operations --------------------------------------------- */

/* The history the sampler sees for trial rec: all trials, or with hyperband
 * only those of rec's bracket (Optuna's _BracketStudy). O(trials). The view
 * shares the records; it is rebuilt on every call. */
static const hpo_history *sampler_view(hpo_study *s, const hpo_trial_rec *rec)
{
    if (!s->pruner->trial_group) return &s->hist;
    if (s->view.cap < s->hist.n) {
        hpo_trial_rec **t = hpo_realloc(s->view.trials, s->hist.cap * sizeof *t);
        if (!t) return &s->hist;     /* no memory: fall back to the whole study */
        s->view.trials = t;
        s->view.cap = s->hist.cap;
    }
    int64_t g = s->pruner->trial_group(s->pstate, rec->number);
    s->view.direction = s->direction;
    s->view.n = 0;
    for (size_t i = 0; i < s->hist.n; i++)
        if (s->pruner->trial_group(s->pstate, s->hist.trials[i]->number) == g)
            s->view.trials[s->view.n++] = s->hist.trials[i];
    return &s->view;
}

hpo_status hpo_study_trial_start(hpo_study *s, int worker, hpo_trial_rec **out)
{
    HPO_TRY(hpo_study_setup(s));
    hpo_trial_rec *r;
    HPO_TRY(hpo_rec_create((int64_t)s->hist.n, &r));
    r->seed = hpo_seed_mix(s->seed, (uint64_t)r->number, 0);
    r->worker = worker;
    r->t_start = now_s();
    if (s->queue_head < s->queue.n) {            /* an enqueued trial: its params become fixed */
        hpo_trial_rec *q = s->queue.trials[s->queue_head++];
        r->fixed = q->params; r->n_fixed = q->n_params;
        q->params = NULL; q->n_params = q->cap_params = 0;
    }
    hpo_status st = hpo_history_append(&s->hist, r);
    if (st != HPO_OK) { hpo_rec_destroy(&r); return hpo_error_push(st, __FILE__, __LINE__, __func__); }
    st = s->sampler->trial_begin ? s->sampler->trial_begin(s->sstate, sampler_view(s, r), r, &s->rng) : HPO_OK;
    if (st == HPO_OK && s->on_start) st = s->on_start(s->hook_ctx, s, r);
    if (st != HPO_OK) {
        /* Not handed out after all (e.g. the grid is used up): forget it. */
        s->hist.n--;
        hpo_rec_destroy(&r);
        return hpo_error_push(st, __FILE__, __LINE__, __func__);
    }
    *out = r;
    return HPO_OK;
}

hpo_status hpo_study_suggest(hpo_study *s, hpo_trial_rec *rec, const char *name,
                             const hpo_dist *d, hpo_pval *out)
{
    HPO_CHECK(rec->state == HPO_RUNNING, HPO_ESTATE,
              "trial %" PRId64 " is %s; parameters can only be suggested while it runs",
              rec->number, hpo_state_name(rec->state));
    const hpo_param_rec *p = hpo_rec_find_param(rec, name);
    if (p) {
        if (!hpo_dist_equal(&p->dist, d)) {
            char a[512], b[512];
            hpo_dist_format(&p->dist, a, sizeof a);
            hpo_dist_format(d, b, sizeof b);
            HPO_FAIL(HPO_EINVAL, "parameter '%s' was suggested twice in trial %" PRId64
                     " with different distributions: first %s, now %s", name, rec->number, a, b);
        }
        *out = p->v;      /* Optuna: the same name returns the first value */
        return HPO_OK;
    }
    hpo_pval v;
    const hpo_param_rec *fx = NULL;
    for (size_t i = 0; i < rec->n_fixed; i++)
        if (strcmp(rec->fixed[i].name, name) == 0) fx = &rec->fixed[i];
    if (fx && fx->dist.kind == d->kind && (d->kind == HPO_DIST_CAT || hpo_dist_contains(d, fx->v))) {
        v = fx->v;           /* enqueued value (a categorical index is kept by value below) */
        if (d->kind == HPO_DIST_CAT) {
            v.i = -1;
            for (size_t k = 0; k < d->n_choices; k++)
                if (fx->v.i >= 0 && (size_t)fx->v.i < fx->dist.n_choices &&
                    hpo_choice_equal(&d->choices[k], &fx->dist.choices[fx->v.i])) v.i = (int64_t)k;
            if (v.i < 0) fx = NULL;
        }
    } else {
        fx = NULL;
    }
    if (!fx) HPO_TRY(s->sampler->sample(s->sstate, sampler_view(s, rec), rec, name, d, &s->rng, &v));
    if (!hpo_dist_contains(d, v)) {
        char a[512];
        hpo_dist_format(d, a, sizeof a);
        HPO_FAIL(HPO_EINVAL, "sampler '%s' drew a value outside %s for '%s' (a bug in the sampler)",
                 s->sampler_type, a, name);
    }
    HPO_TRY(hpo_rec_add_param(rec, name, d, v));
    *out = v;
    return HPO_OK;
}

void hpo_study_warn_once(hpo_study *s, const char *param, const char *msg)
{
    for (size_t i = 0; i < s->n_warned; i++)
        if (strcmp(s->warned[i], param) == 0) return;
    fprintf(stderr, "mpihpo: warning: %s\n", msg);
    char **w = hpo_realloc(s->warned, (s->n_warned + 1) * sizeof *w);
    if (!w) return;                       /* may warn again later; harmless */
    s->warned = w;
    if ((w[s->n_warned] = hpo_strdup(param))) s->n_warned++;
}

hpo_status hpo_study_report(hpo_study *s, hpo_trial_rec *rec, int64_t step, double value)
{
    HPO_CHECK(rec->state == HPO_RUNNING, HPO_ESTATE,
              "trial %" PRId64 " is %s; it can only report while it runs", rec->number, hpo_state_name(rec->state));
    HPO_CHECK(step >= 0, HPO_EINVAL, "trial %" PRId64 ": report step must be >= 0 (got %" PRId64 ")",
              rec->number, step);
    int repeated, decreasing, first = rec->n_inter == 0;
    HPO_TRY(hpo_rec_add_report(rec, step, value, &repeated, &decreasing));
    if (s->on_report) {
        double now = now_s();
        /* again after every_s, once the curve has grown by a quarter: a
         * store writes the whole curve, so this keeps the stored values
         * under 5x the curve's length (no quadratic growth for a trial that
         * reports every batch for hours) */
        if (first || (now - rec->t_hooked >= s->report_every && 4 * rec->n_inter >= 5 * rec->n_hooked)) {
            rec->t_hooked = now;
            rec->n_hooked = rec->n_inter;
            HPO_TRY(s->on_report(s->hook_ctx, s, rec));
        }
    }
    if (repeated && !rec->warned_repeat) {
        rec->warned_repeat = 1;
        fprintf(stderr, "mpihpo: warning: trial %" PRId64 " reported step %" PRId64
                " twice; the first value is kept\n", rec->number, step);
    }
    if (decreasing && !rec->warned_decrease) {
        rec->warned_decrease = 1;
        fprintf(stderr, "mpihpo: warning: trial %" PRId64 " reported step %" PRId64
                " after a later step; steps should increase\n", rec->number, step);
    }
    return HPO_OK;
}

hpo_status hpo_study_should_prune(hpo_study *s, hpo_trial_rec *rec, int *prune)
{
    *prune = 0;
    HPO_TRY(hpo_study_setup(s));
    if (rec->state != HPO_RUNNING) return HPO_OK;
    if (hpo_stop_requested()) {          /* the study is stopping: end the trial now */
        rec->interrupted = hpo_stop_requested();
        *prune = 1;
        return HPO_OK;
    }
    if (rec->n_inter == 0) return HPO_OK;
    HPO_TRY(s->pruner->should_prune(s->pstate, &s->hist, rec, prune));
    return HPO_OK;
}

int64_t hpo_study_next_check(hpo_study *s, const hpo_trial_rec *rec)
{
    int64_t step = hpo_pruner_last_step(rec, NULL), after = hpo_step_after(step);
    if (hpo_stop_requested() || !s->pruner || !s->pruner->next_check || hpo_study_setup(s) != HPO_OK) {
        hpo_error_clear();
        return after;
    }
    int64_t n = s->pruner->next_check(s->pstate, &s->hist, rec);
    return n > step ? n : after;
}

static void log_trial(const hpo_study *s, const hpo_trial_rec *rec, hpo_state state);

static void fmt_value(double v, char *buf, size_t n)
{
    double a = fabs(v);
    if (a == 0 || (a >= 1e-3 && a < 1e9)) snprintf(buf, n, "%.6f", v);
    else snprintf(buf, n, "%.6g", v);
}

static void log_best(const hpo_study *s, char *buf, size_t n)
{
    const hpo_trial_rec *b = hpo_study_best_trial(s);
    if (!b) { snprintf(buf, n, "No trial has completed yet."); return; }
    char v[64];
    fmt_value(b->value, v, sizeof v);
    snprintf(buf, n, "Best is trial %" PRId64 " with value %s.", b->number, v);
}

hpo_status hpo_study_trial_finish(hpo_study *s, hpo_trial_rec *rec, hpo_state state,
                                  double value, const char *reason)
{
    HPO_CHECK(rec->state == HPO_RUNNING, HPO_ESTATE, "trial %" PRId64 " has already finished", rec->number);
    HPO_CHECK(state != HPO_RUNNING, HPO_EINVAL, "a trial cannot finish as RUNNING");
    if (state == HPO_FAIL) HPO_TRY(hpo_rec_set_fail_reason(rec, reason ? reason : "unknown"));
    rec->state = state;
    rec->value = (state == HPO_FAIL) ? NAN : value;
    rec->t_end = now_s();
    if (state == HPO_COMPLETE) {
        for (size_t i = s->hist.n; i-- > 0;)
            if (s->hist.trials[i] == rec) { update_best(s, i); break; }
    }
    /* On disk first, then the line: a trial the user saw finish is never
     * lost to a crash between the two (found by the kill soak test). */
    if (s->on_finish) HPO_TRY(s->on_finish(s->hook_ctx, s, rec));
    if (s->log) log_trial(s, rec, state);
    return HPO_OK;
}

static void log_trial(const hpo_study *s, const hpo_trial_rec *rec, hpo_state state)
{
    char params[4096], best[128], v[64], where[32] = "";
    hpo_rec_format_params(rec, params, sizeof params);
    log_best(s, best, sizeof best);
    fmt_value(rec->value, v, sizeof v);
    if (rec->worker > 0) snprintf(where, sizeof where, " [rank %d]", rec->worker);
    switch (state) {
    case HPO_COMPLETE:
        fprintf(s->log, "Trial %" PRId64 " finished with value %s and parameters %s. %s%s\n",
                rec->number, v, params, best, where);
        break;
    case HPO_PRUNED:
        fprintf(s->log, "Trial %" PRId64 " pruned at step %" PRId64 " with value %s. %s%s\n",
                rec->number, hpo_rec_last_step(rec, NULL), v, best, where);
        break;
    default:
        fprintf(s->log, "Trial %" PRId64 " failed with parameters %s because %s%s\n",
                rec->number, params, rec->fail_reason, where);
        break;
    }
    fflush(s->log);
}

/* ---- one process: the local trial backend and the optimize loop ---------- */

static hpo_status local_suggest(void *ctx, hpo_trial_rec *rec, const char *name, const hpo_dist *d, hpo_pval *out)
{
    return hpo_study_suggest(ctx, rec, name, d, out);
}
static hpo_status local_report(void *ctx, hpo_trial_rec *rec, int64_t step, double value)
{
    return hpo_study_report(ctx, rec, step, value);
}
static hpo_status local_should_prune(void *ctx, hpo_trial_rec *rec, int *prune)
{
    return hpo_study_should_prune(ctx, rec, prune);
}
static void local_warn(void *ctx, const char *param, const char *msg)
{
    hpo_study_warn_once(ctx, param, msg);
}

static const hpo_trial_backend k_local = {
    local_suggest, local_report, local_should_prune, local_warn,
};

void hpo_trial_init_local(hpo_trial *t, hpo_study *s, hpo_trial_rec *rec)
{
    memset(t, 0, sizeof *t);
    t->be = &k_local;
    t->ctx = s;
    t->rec = rec;
}

hpo_status hpo_study_optimize(hpo_study *s, hpo_objective f, void *ctx,
                              int64_t n_trials, double timeout_s)
{
    HPO_CHECK(s, HPO_EINVAL, "hpo_study_optimize: argument 1 (study) is NULL");
    HPO_CHECK(f, HPO_EINVAL, "hpo_study_optimize: argument 2 (objective) is NULL");
    HPO_CHECK(n_trials >= 0, HPO_EINVAL, "n_trials must be >= 0 (got %" PRId64 ")", n_trials);
    HPO_CHECK(timeout_s >= 0 && !isnan(timeout_s), HPO_EINVAL, "timeout must be >= 0 seconds (got %g)", timeout_s);
    HPO_CHECK(n_trials > 0 || timeout_s > 0, HPO_EINVAL,
              "give a trial budget or a timeout (both are 0: the study would never end)");
    HPO_TRY(hpo_study_setup(s));
    double t0 = now_s();
    for (int64_t done = 0; n_trials == 0 || done < n_trials; done++) {
        if (timeout_s > 0 && now_s() - t0 >= timeout_s) {
            if (s->log) fprintf(s->log, "The study stops: its timeout of %g s is reached.\n", timeout_s);
            break;
        }
        if (hpo_stop_requested()) break;
        hpo_trial_rec *rec;
        hpo_status st0 = hpo_study_trial_start(s, 0, &rec);
        if (st0 == HPO_EDONE) {          /* e.g. the grid is used up: the study is complete */
            if (s->log) fprintf(s->log, "The study stops: %s.\n", hpo_error_message());
            hpo_error_clear();
            break;
        }
        HPO_TRY(st0);
        hpo_trial t;
        hpo_trial_init_local(&t, s, rec);
        double v = f(&t, ctx);
        hpo_state state; double value; const char *reason; char buf[128];
        hpo_trial_outcome(&t, v, &state, &value, &reason, buf, sizeof buf);
        hpo_status st = hpo_study_trial_finish(s, rec, state, value, reason);
        hpo_status usage = t.error;
        char msg[sizeof t.error_msg];
        memcpy(msg, t.error_msg, sizeof msg);
        hpo_trial_release(&t);
        HPO_TRY(st);
        /* A bad definition is the programmer's error: stop, as Optuna re-raises. */
        if (usage != HPO_OK) HPO_FAIL(usage, "%s", msg);
    }
    HPO_CHECK(!hpo_stop_requested(), HPO_ESTOP, "the study was stopped by signal %d", hpo_stop_requested());
    return HPO_OK;
}
