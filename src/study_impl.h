/* study_impl.h - the study's inside: what the coordinator does for a trial.
 *
 * These are the operations behind every hpo_suggest_* / hpo_report /
 * hpo_should_prune call. On one process a trial calls them directly (the
 * "local" backend); with MPI, rank 0 calls them on behalf of a worker's
 * messages. Either way the history, the sampler and the pruner live here. */
#ifndef HPO_STUDY_IMPL_H
#define HPO_STUDY_IMPL_H

#include "mpihpo.h"
#include "pruner.h"
#include "sampler.h"
#include "trial_impl.h"

/* How a trial reaches its study: directly, or over messages. */
typedef struct hpo_trial_backend {
    hpo_status (*suggest)(void *ctx, hpo_trial_rec *rec, const char *name, const hpo_dist *d, hpo_pval *out);
    hpo_status (*report)(void *ctx, hpo_trial_rec *rec, int64_t step, double value);
    hpo_status (*should_prune)(void *ctx, hpo_trial_rec *rec, int *prune);
    void       (*warn)(void *ctx, const char *param, const char *msg);   /* a once-per-parameter warning */
} hpo_trial_backend;

struct hpo_trial {
    const hpo_trial_backend *be;
    void          *ctx;
    hpo_trial_rec *rec;          /* the trial's record (local) or a mirror (worker) */
    int            pruned;       /* hpo_trial_pruned() was called */
    int            failed;       /* hpo_trial_fail() was called */
    char          *fail_reason;  /* owned */
    hpo_status     error;        /* first usage error (bad definition); the study stops */
    char           error_msg[1024];
};

/* Configure from the study file's sections (copies what it keeps). */
hpo_status hpo_study_set_sampler_opts(hpo_study *s, const hpo_sampler_opts *o);
hpo_status hpo_study_set_pruner_opts(hpo_study *s, const hpo_pruner_opts *o);
/* Create the sampler's and pruner's states; optimize calls it if needed. */
hpo_status hpo_study_setup(hpo_study *s);
uint64_t   hpo_study_seed(const hpo_study *s, int *was_set);
const char *hpo_study_name(const hpo_study *s);
const hpo_history *hpo_study_history(const hpo_study *s);

/* Coordinator operations. */
hpo_status hpo_study_trial_start(hpo_study *s, int worker, hpo_trial_rec **out);
hpo_status hpo_study_suggest(hpo_study *s, hpo_trial_rec *rec, const char *name,
                             const hpo_dist *d, hpo_pval *out);
hpo_status hpo_study_report(hpo_study *s, hpo_trial_rec *rec, int64_t step, double value);
hpo_status hpo_study_should_prune(hpo_study *s, hpo_trial_rec *rec, int *prune);
/* After rec was judged and kept (or before its first report): the smallest
 * step whose report needs a judgment; smaller steps would be kept with no
 * change to the pruner (pruner.h, next_check). A worker sends those reports
 * without waiting for an answer. */
int64_t hpo_study_next_check(hpo_study *s, const hpo_trial_rec *rec);
void       hpo_study_warn_once(hpo_study *s, const char *param, const char *msg);
/* Settle a trial's state from how the objective ended, and log its line.
 * reason may be NULL. */
hpo_status hpo_study_trial_finish(hpo_study *s, hpo_trial_rec *rec, hpo_state state,
                                  double value, const char *reason);

/* Hooks, e.g. for the checkpoint: on_start runs when a trial has been handed
 * out (its number and seed are set, no parameters yet); on_finish runs after
 * a trial's final state is settled and logged, before the next trial is
 * handed out. A hook's failure stops optimize with that status. */
typedef hpo_status (*hpo_trial_hook)(void *ctx, const hpo_study *s, const hpo_trial_rec *rec);
hpo_status hpo_study_set_hooks(hpo_study *s, hpo_trial_hook on_start, hpo_trial_hook on_finish, void *ctx);
/* Optional: runs when a trial makes its first report (its parameters are
 * then usually all known) and again at a report every_s seconds or more
 * after the last run for that trial once it has a quarter more reports,
 * e.g. to store the trial and its curve so far while it trains. */
hpo_status hpo_study_set_report_hook(hpo_study *s, hpo_trial_hook on_report, double every_s);

/* Queue a trial with fixed parameters (Optuna's enqueue_trial): the next
 * trial handed out takes them instead of sampling, where the objective asks
 * for the same name and the value fits its distribution. Copies `from`'s
 * parameters. */
hpo_status hpo_study_enqueue(hpo_study *s, const hpo_trial_rec *from);

/* Resume: append a trial read back from storage (any state; numbers must
 * continue 0, 1, 2, ...). Takes ownership of rec on success. */
hpo_status hpo_study_adopt_trial(hpo_study *s, hpo_trial_rec *rec);
/* Resume: rebuild what successive halving and hyperband remember about each
 * trial (its value at every rung it reached, the auto resources), which is
 * not stored: replay the adopted trials in order, each report followed by a
 * pruner check, with only the earlier trials in the study - exactly what a
 * one-process study saw. No-op for pruners without such state. Cost: one
 * pruner check per adopted report. */
hpo_status hpo_study_replay_pruner(hpo_study *s);
/* The sampler's random stream, to save and to continue after a resume. */
void       hpo_study_get_rng(const hpo_study *s, hpo_rng *out);
void       hpo_study_set_rng(hpo_study *s, const hpo_rng *in);
const char *hpo_study_sampler_type(const hpo_study *s);
const char *hpo_study_pruner_type(const hpo_study *s);
hpo_direction hpo_study_direction(const hpo_study *s);

/* Set up a trial handle over a record with the local backend. */
void       hpo_trial_init_local(hpo_trial *t, hpo_study *s, hpo_trial_rec *rec);
void       hpo_trial_release(hpo_trial *t);
/* The final state, value and reason of a trial whose objective returned v. */
void       hpo_trial_outcome(const hpo_trial *t, double v, hpo_state *state, double *value,
                             const char **reason, char *buf, size_t n);

/* "{learning_rate: 0.0041, optimizer: rmsprop}" */
int        hpo_rec_format_params(const hpo_trial_rec *r, char *buf, size_t n);

#endif
