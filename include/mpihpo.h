/* mpihpo.h - the one header a C objective's author needs.
 *
 * mpihpo tunes hyperparameters the Optuna way: a study runs trials; in each,
 * the objective asks for its parameters define-by-run (hpo_suggest_*), may
 * report intermediate values (hpo_report) and ask whether to stop
 * (hpo_should_prune), and returns its value.
 *
 *     static double objective(hpo_trial *t, void *ctx) {
 *         double lr = hpo_suggest_float(t, "lr", 1e-5, 1e-1, HPO_LOG);
 *         int64_t n = hpo_suggest_int(t, "n_layers", 1, 3, 0);
 *         for (int64_t epoch = 0; epoch < 30; epoch++) {
 *             double acc = train_one_epoch(ctx, lr, n);
 *             hpo_report(t, epoch, acc);
 *             if (hpo_should_prune(t)) return hpo_trial_pruned(t);
 *         }
 *         return acc;
 *     }
 *
 * Errors: functions returning hpo_status give HPO_OK or a failure whose
 * message is hpo_error_message(). The suggest calls return the value directly
 * (as Optuna does); an invalid definition makes the trial FAIL and ends the
 * study's optimize call with HPO_EINVAL, naming the parameter and the rule.
 * Every hpo_*_destroy accepts NULL and clears the caller's pointer. */
#ifndef MPIHPO_H
#define MPIHPO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define HPO_API __attribute__((visibility("default")))
#else
#define HPO_API
#endif

#define HPO_VERSION "0.1.0"

typedef enum {
    HPO_OK = 0,
    HPO_ENOMEM,   /* an allocation failed */
    HPO_EINVAL,   /* a bad argument or definition (names which and why) */
    HPO_ESYNTAX,  /* a study file or CSV that does not parse */
    HPO_EIO,      /* a file could not be read or written */
    HPO_EFORMAT,  /* a file that parses but is not what was expected */
    HPO_ESTATE,   /* a call in the wrong phase of an object's life */
    HPO_EMPI,     /* an MPI call failed */
    HPO_EDONE,    /* nothing left to do (e.g. the grid is used up) */
    HPO_ESTOP     /* stopped on request (a signal): the study can be resumed */
} hpo_status;

HPO_API const char *hpo_status_name(hpo_status st);
HPO_API const char *hpo_error_message(void);   /* the last error of this thread */
HPO_API const char *hpo_error_traceback(void); /* "  at func (file:line)" lines */

/* Ask the running study to stop: no new trials; running ones stop at their
 * next hpo_should_prune and become FAIL "interrupted". Async-signal-safe:
 * meant to be called from a SIGTERM/SIGUSR1 handler. */
HPO_API void hpo_request_stop(int sig);
HPO_API int  hpo_stop_requested(void);   /* the signal number, or 0 */

typedef enum { HPO_MINIMIZE = 0, HPO_MAXIMIZE = 1 } hpo_direction;
typedef enum { HPO_RUNNING = 0, HPO_COMPLETE, HPO_PRUNED, HPO_FAIL } hpo_state;
HPO_API const char *hpo_state_name(hpo_state s);   /* "RUNNING", "COMPLETE", ... */

/* Flags of hpo_suggest_float / hpo_suggest_int. */
#define HPO_LOG 1u

/* ---- Categorical choices: each comes back with its own type ------------- */
typedef enum { HPO_CHOICE_STR, HPO_CHOICE_INT, HPO_CHOICE_FLOAT, HPO_CHOICE_BOOL } hpo_choice_type;
typedef struct hpo_choice {
    hpo_choice_type type;
    union { const char *s; int64_t i; double f; int b; } v;
} hpo_choice;
#define HPO_STR(x)   ((hpo_choice){.type = HPO_CHOICE_STR, .v.s = (x)})
#define HPO_INT(x)   ((hpo_choice){.type = HPO_CHOICE_INT, .v.i = (x)})
#define HPO_FLOAT(x) ((hpo_choice){.type = HPO_CHOICE_FLOAT, .v.f = (x)})
#define HPO_BOOL(x)  ((hpo_choice){.type = HPO_CHOICE_BOOL, .v.b = !!(x)})

/* ---- Inside an objective ------------------------------------------------ */
typedef struct hpo_trial hpo_trial;

/* Float in [low, high]; flags 0 or HPO_LOG (log needs low > 0). */
HPO_API double  hpo_suggest_float(hpo_trial *t, const char *name, double low, double high, unsigned flags);
/* Float on the grid low + k*step; high is shrunk to the grid (one warning). */
HPO_API double  hpo_suggest_float_step(hpo_trial *t, const char *name, double low, double high, double step);
/* Integer in [low, high], exact over all of int64; flags 0 or HPO_LOG (low >= 1). */
HPO_API int64_t hpo_suggest_int(hpo_trial *t, const char *name, int64_t low, int64_t high, unsigned flags);
HPO_API int64_t hpo_suggest_int_step(hpo_trial *t, const char *name, int64_t low, int64_t high, int64_t step);
/* One of n choices; the returned choice points into `choices` (strings are the caller's). */
HPO_API hpo_choice hpo_suggest_categorical(hpo_trial *t, const char *name, const hpo_choice *choices, size_t n);
/* Convenience: strings only; returns choices[i]. */
HPO_API const char *hpo_suggest_categorical_str(hpo_trial *t, const char *name, const char *const *choices, size_t n);
/* Optuna's older spellings, kept for the article's code. */
HPO_API double hpo_suggest_uniform(hpo_trial *t, const char *name, double low, double high);
HPO_API double hpo_suggest_loguniform(hpo_trial *t, const char *name, double low, double high);
HPO_API double hpo_suggest_discrete_uniform(hpo_trial *t, const char *name, double low, double high, double q);

/* Record value at step (e.g. validation accuracy after epoch `step`). */
HPO_API void hpo_report(hpo_trial *t, int64_t step, double value);
/* 1 if the pruner says stop now, else 0. */
HPO_API int  hpo_should_prune(hpo_trial *t);
/* Mark the trial PRUNED; returns NAN to hand back from the objective. */
HPO_API double hpo_trial_pruned(hpo_trial *t);
/* Mark the trial FAIL with a reason (printf format); returns NAN. */
HPO_API double hpo_trial_fail(hpo_trial *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
HPO_API int64_t  hpo_trial_number(const hpo_trial *t);
/* A seed for this trial's own randomness (weight init, shuffling), derived
 * from the study seed and the trial number: same study seed, same trials. */
HPO_API uint64_t hpo_trial_seed(const hpo_trial *t);

/* ---- Studies ------------------------------------------------------------ */
typedef struct hpo_study hpo_study;
/* The objective's value; NaN or infinity makes the trial FAIL. */
typedef double (*hpo_objective)(hpo_trial *t, void *ctx);

HPO_API hpo_status hpo_study_create(hpo_study **s);
HPO_API hpo_status hpo_study_set_name(hpo_study *s, const char *name);
HPO_API hpo_status hpo_study_set_direction(hpo_study *s, hpo_direction d);
HPO_API hpo_status hpo_study_set_seed(hpo_study *s, uint64_t seed);
/* Sampler by its study-file name: "random", "tpe", "grid" (as they land). */
HPO_API hpo_status hpo_study_set_sampler(hpo_study *s, const char *name);
/* Pruner by its study-file name: "none", "median", ... (as they land). */
HPO_API hpo_status hpo_study_set_pruner(hpo_study *s, const char *name);
/* Where trial lines go (default stdout); NULL silences them. */
HPO_API hpo_status hpo_study_set_log(hpo_study *s, FILE *log);
/* Run trials until n_trials more have finished (0: no limit) or timeout_s
 * seconds have passed (0: none); at least one limit must be set. Returns
 * HPO_OK, or the first usage error an objective made (its trial is FAIL). */
HPO_API hpo_status hpo_study_optimize(hpo_study *s, hpo_objective f, void *ctx,
                                      int64_t n_trials, double timeout_s);
HPO_API void hpo_study_destroy(hpo_study **s);

/* ---- Reading a study's trials ------------------------------------------- */
typedef struct hpo_trial_rec hpo_trial_rec;   /* a trial's record, owned by the study */

HPO_API size_t hpo_study_n_trials(const hpo_study *s);
HPO_API const hpo_trial_rec *hpo_study_trial(const hpo_study *s, size_t i);
/* The best COMPLETE trial, or NULL if there is none. */
HPO_API const hpo_trial_rec *hpo_study_best_trial(const hpo_study *s);
HPO_API int64_t     hpo_rec_number(const hpo_trial_rec *r);
HPO_API hpo_state   hpo_rec_state(const hpo_trial_rec *r);
HPO_API double      hpo_rec_value(const hpo_trial_rec *r);     /* NAN if none */
HPO_API size_t      hpo_rec_n_params(const hpo_trial_rec *r);
HPO_API const char *hpo_rec_param_name(const hpo_trial_rec *r, size_t i);
/* The parameter as text, as in the log lines ("0.0041", "rmsprop", "14"). */
HPO_API int         hpo_rec_param_format(const hpo_trial_rec *r, size_t i, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
