/* cmd_run.c - `mpihpo run STUDY.yaml` and `mpihpo resume FILE.h5`: one
 * process, or rank 0 coordinating and ranks 1.. training under mpirun/srun.
 * With storage, every trial goes to an HDF5 checkpoint (io/ckpt.h) that
 * only rank 0 touches, and a study continues from it after a crash. */
#include <cblas.h>
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <mpi.h>
#include <unistd.h>

#include "alloc.h"
#include "ckpt.h"
#include "commands.h"
#include "config.h"
#include "dataset.h"
#include "error.h"
#include "hpo_mpi.h"
#include "mpihpo.h"
#include "objective_mlp.h"
#include "study_impl.h"

static const char k_run_help[] =
    "usage: mpihpo run STUDY.yaml [options]\n"
    "       mpihpo resume FILE.h5 [options]\n"
    "\n"
    "run: runs the study a study file describes: trains one MLP per trial on the\n"
    "study's data set with the hyperparameters the sampler suggests, prints one\n"
    "line per finished trial and a summary (best value and parameters, trials by\n"
    "state, wall time). Under mpirun or srun, rank 0 coordinates and the other\n"
    "ranks train.\n"
    "resume: continues the study stored in FILE.h5 (its study file is inside):\n"
    "trial numbers continue, the sampler sees the whole history, trials that were\n"
    "running when it stopped become FAIL (\"interrupted\").\n"
    "\n"
    "options:\n"
    "  -n, --trials N        the study's total number of trials (overrides\n"
    "                        study.trials; on resume, trials already in the file count)\n"
    "      --more N          on resume: N trials more than the file holds\n"
    "  -s, --seed S          seed of the sampler and of every trial's training\n"
    "                        (overrides study.seed; same seed, same trials)\n"
    "  -t, --timeout SEC     stop starting trials after SEC seconds (0: no limit;\n"
    "                        overrides study.timeout)\n"
    "      --storage FILE    checkpoint every trial to FILE (HDF5; overrides\n"
    "                        study.storage). run refuses an existing FILE\n"
    "      --resume          run: continue the study in the storage file if it\n"
    "                        exists (it must match the study file)\n"
    "      --retry-interrupted  on resume: run the interrupted trials again with\n"
    "                        the same parameters (as new trials)\n"
    "      --sampler NAME    override sampler.type (tpe, random, grid)\n"
    "      --blas-threads K  OpenBLAS threads per process (default 1)\n"
    "  -q, --quiet           no per-trial lines, only the summary\n"
    "      --help-config     list every key a study file may hold, with defaults\n"
    "  -h, --help            show this text\n"
    "\n"
    "The study file (YAML) has the sections study, sampler, pruner, data and\n"
    "train; see README.md and jobs/heart.yaml.\n";

typedef struct run_args {
    const char *study_path;      /* run: the study file */
    const char *resume_path;     /* resume: the checkpoint */
    const char *storage;         /* --storage */
    const char *sampler;         /* --sampler */
    int64_t trials, more, seed, blas;
    double  timeout;
    int     resume, retry, quiet;
    double  curve_every;         /* MPIHPO_CURVE_SECONDS (curve_seconds) */
} run_args;

/* Started by mpirun, mpiexec or srun? (Open MPI and PMIx set these.) */
static int launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") ||
           getenv("PMI_SIZE");
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_summary(const hpo_study *s, double seconds, FILE *f)
{
    size_t n = hpo_study_n_trials(s), count[4] = {0};
    for (size_t i = 0; i < n; i++) count[hpo_rec_state(hpo_study_trial(s, i))]++;
    int seeded;
    uint64_t seed = hpo_study_seed(s, &seeded);
    fprintf(f, "\nStudy '%s' finished: %zu trials (%zu complete, %zu pruned, %zu failed) in %.2f s\n",
            hpo_study_name(s), n, count[HPO_COMPLETE], count[HPO_PRUNED], count[HPO_FAIL], seconds);
    const hpo_trial_rec *b = hpo_study_best_trial(s);
    if (!b) {
        fprintf(f, "No trial completed, so there is no best trial.\n");
    } else {
        fprintf(f, "Best trial %" PRId64 ": value %.6f\n", hpo_rec_number(b), hpo_rec_value(b));
        for (size_t i = 0; i < hpo_rec_n_params(b); i++) {
            char v[256];
            hpo_rec_param_format(b, i, v, sizeof v);
            fprintf(f, "  %-20s %s\n", hpo_rec_param_name(b, i), v);
        }
    }
    fprintf(f, "Seed: %" PRIu64 "%s\n", seed, seeded ? "" : " (drawn at random; pass --seed to repeat this study)");
}

static hpo_data_opts data_opts(const hpo_config *c)
{
    hpo_data_opts o;
    hpo_data_opts_default(&o);
    o.path = c->data.path;
    o.target = c->data.target;
    o.validation_fraction = c->data.validation_fraction;
    o.split = c->data.split ? HPO_SPLIT_RANDOM : HPO_SPLIT_SKLEARN;
    o.split_seed = c->data.split_seed;
    o.standardize = c->data.standardize;
    o.missing = (hpo_missing)c->data.missing;
    return o;
}

static hpo_status configure(hpo_study *s, const hpo_config *c, const char *sampler_override,
                            const hpo_grid_axis *grid, size_t n_grid)
{
    HPO_TRY(hpo_study_set_name(s, c->study.name));
    HPO_TRY(hpo_study_set_direction(s, c->study.direction));
    if (c->study.has_seed) HPO_TRY(hpo_study_set_seed(s, c->study.seed));
    hpo_sampler_opts so;
    hpo_sampler_opts_default(&so, sampler_override ? sampler_override : c->sampler.type);
    so.startup_trials = c->sampler.startup_trials;
    so.ei_candidates = c->sampler.ei_candidates;
    so.multivariate = c->sampler.multivariate;
    so.group = c->sampler.group;
    so.constant_liar = c->sampler.constant_liar;
    so.prior_weight = c->sampler.prior_weight;
    so.compat_optuna3 = c->sampler.compat == 1;
    so.grid = grid;
    so.n_grid = n_grid;
    HPO_TRY(hpo_study_set_sampler_opts(s, &so));
    hpo_pruner_opts po;
    hpo_pruner_opts_default(&po, c->pruner.type);
    po.n_startup_trials = c->pruner.n_startup_trials;
    po.n_warmup_steps = c->pruner.n_warmup_steps;
    po.interval_steps = c->pruner.interval_steps;
    po.n_min_trials = c->pruner.n_min_trials;
    po.percentile = c->pruner.percentile;
    po.min_resource = c->pruner.min_resource;
    po.max_resource = c->pruner.max_resource;
    po.reduction_factor = c->pruner.reduction_factor;
    po.min_early_stopping_rate = c->pruner.min_early_stopping_rate;
    po.bootstrap_count = c->pruner.bootstrap_count;
    HPO_TRY(hpo_study_set_pruner_opts(s, &po));
    return HPO_OK;
}

/* ---- the checkpoint as the study's hooks (rank 0 only) ------------------- */

static hpo_status store_started(void *ctx, const hpo_study *s, const hpo_trial_rec *r)
{
    hpo_rng rng;
    hpo_study_get_rng(s, &rng);
    return hpo_ckpt_trial_started(ctx, r, &rng);
}

static hpo_status store_finished(void *ctx, const hpo_study *s, const hpo_trial_rec *r)
{
    hpo_rng rng;
    hpo_study_get_rng(s, &rng);
    return hpo_ckpt_trial_finished(ctx, r, &rng);
}

/* The spec a stored parameter belongs to: its name, or a per_layer name
 * "<name>_l<k>". NULL if the study file no longer has it. */
static const hpo_param_spec *spec_of(const hpo_config *c, const char *param)
{
    for (size_t i = 0; i < c->n_train; i++) {
        const hpo_param_spec *p = &c->train[i];
        if (!p->is_dist) continue;
        size_t n = strlen(p->name);
        if (strcmp(param, p->name) == 0) return p;
        if (p->per_layer && strncmp(param, p->name, n) == 0 && param[n] == '_' && param[n + 1] == 'l' &&
            param[n + 2] && strspn(param + n + 2, "0123456789") == strlen(param + n + 2))
            return p;
    }
    return NULL;
}

/* Resume: check the stored trials against the study file, mark the ones
 * that were running FAIL ("interrupted"), hand them all to the study, and
 * continue the sampler's random stream. Takes the records (freed on every
 * path). *n_interrupted counts the trials marked. */
static hpo_status adopt_stored(hpo_study *s, hpo_ckpt *ck, const hpo_config *cfg, int retry,
                               size_t *n_trials, size_t *n_interrupted, size_t *n_retried)
{
    hpo_trial_rec **recs = NULL;
    size_t n = 0, k = 0;
    hpo_rng rng;
    int has_rng = 0;
    hpo_status st;
    *n_trials = *n_interrupted = *n_retried = 0;
    HPO_TRY(hpo_ckpt_read_trials(ck, &recs, &n, &rng, &has_rng));
    /* Every stored parameter must fit the study file's definition (a
     * categorical whose choices were only reordered is matched by value). */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < recs[i]->n_params; j++) {
            const char *name = recs[i]->params[j].name;
            const hpo_param_spec *p = spec_of(cfg, name);
            if (!p) continue;
            HPO_TRY_GOTO(hpo_ckpt_reconcile(recs, n, name, &p->dist), fail);
        }
    }
    for (k = 0; k < n; k++) {
        hpo_trial_rec *r = recs[k];
        if (r->state == HPO_RUNNING) {
            r->state = HPO_FAIL;
            r->value = NAN;
            if (r->t_end == 0) r->t_end = r->t_start;
            char why[128];
            snprintf(why, sizeof why, "interrupted (it was running on rank %d when the study stopped)", r->worker);
            HPO_TRY_GOTO(hpo_rec_set_fail_reason(r, why), fail);
            HPO_TRY_GOTO(hpo_ckpt_trial_finished(ck, r, NULL), fail);
            (*n_interrupted)++;
        }
        /* --retry-interrupted: every interrupted trial (by a crash, or by a
         * signal's clean stop) not queued before is queued again with its
         * parameters; its reason says so, on disk, so a later resume does
         * not queue it twice. */
        if (retry && r->state == HPO_FAIL && r->n_params && r->fail_reason &&
            strncmp(r->fail_reason, "interrupted", 11) == 0 && !strstr(r->fail_reason, "; queued again")) {
            char why[600];
            snprintf(why, sizeof why, "%s; queued again", r->fail_reason);
            HPO_TRY_GOTO(hpo_study_enqueue(s, r), fail);
            HPO_TRY_GOTO(hpo_rec_set_fail_reason(r, why), fail);
            HPO_TRY_GOTO(hpo_ckpt_trial_finished(ck, r, NULL), fail);
            (*n_retried)++;
        }
        HPO_TRY_GOTO(hpo_study_adopt_trial(s, r), fail);
        recs[k] = NULL;
    }
    if (has_rng) hpo_study_set_rng(s, &rng);
    HPO_TRY_GOTO(hpo_study_replay_pruner(s), fail);
    *n_trials = n;
    hpo_free(recs);
    return HPO_OK;
fail:
    for (size_t i = k; i < n; i++) hpo_rec_destroy(&recs[i]);   /* the ones not adopted */
    hpo_free(recs);
    return st;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* The grid sampler over the train: section: one axis per parameter a trial
 * may ask for (per_layer ones for every possible layer), holding every
 * point of its distribution. A trial that does not ask for an axis (a
 * deeper layer) simply ignores it, as with Optuna's GridSampler. */
typedef struct grid_axes { size_t n; hpo_grid_axis *ax; char **names; hpo_choice **vals; } grid_axes;

static void grid_axes_free(grid_axes *g)
{
    for (size_t i = 0; i < g->n; i++) { hpo_free(g->names[i]); hpo_free(g->vals[i]); }
    hpo_free(g->ax); hpo_free(g->names); hpo_free(g->vals);
    memset(g, 0, sizeof *g);
}

static hpo_status grid_axis_add(grid_axes *g, const char *name, const hpo_dist *d, const char *file, int line)
{
    uint64_t k = d->kind == HPO_DIST_INT ? hpo_dist_int_kmax(d) : d->kind == HPO_DIST_FLOAT ? hpo_dist_float_kmax(d)
                                                                                           : d->n_choices - 1;
    HPO_CHECK(k < 100000, HPO_EINVAL, "%s:%d: '%s' has %llu grid points; at most 100000 per parameter "
              "(give it a step or a categorical list)", file, line, name, (unsigned long long)k + 1);
    hpo_grid_axis *ax = hpo_realloc(g->ax, (g->n + 1) * sizeof *ax);
    if (ax) g->ax = ax;
    char **nm = hpo_realloc(g->names, (g->n + 1) * sizeof *nm);
    if (nm) g->names = nm;
    hpo_choice **vl = hpo_realloc(g->vals, (g->n + 1) * sizeof *vl);
    if (vl) g->vals = vl;
    HPO_CHECK(ax && nm && vl, HPO_ENOMEM, "out of memory for the grid");
    hpo_choice *v = hpo_calloc(k + 1, sizeof *v);
    char *n = hpo_strdup(name);
    if (!v || !n) { hpo_free(v); hpo_free(n); HPO_FAIL(HPO_ENOMEM, "out of memory for the grid"); }
    for (uint64_t i = 0; i <= k; i++) {
        if (d->kind == HPO_DIST_INT) v[i] = HPO_INT((int64_t)((uint64_t)d->ilo + i * (uint64_t)d->istep));
        else if (d->kind == HPO_DIST_FLOAT) v[i] = HPO_FLOAT(fmin(d->flo + (double)i * d->fstep, d->fhi));
        else v[i] = d->choices[i];
    }
    g->names[g->n] = n;
    g->vals[g->n] = v;
    g->ax[g->n] = (hpo_grid_axis){.name = n, .n = (size_t)k + 1, .values = v};
    g->n++;
    return HPO_OK;
}

static hpo_status grid_axes_build(const hpo_config *cfg, grid_axes *g)
{
    const hpo_param_spec *layers = hpo_config_train(cfg, "n_layers");
    int64_t max_layers = 1;
    if (layers && !layers->is_dist && layers->fixed.type == HPO_CHOICE_INT) max_layers = layers->fixed.v.i;
    if (layers && layers->is_dist && layers->dist.kind == HPO_DIST_INT) max_layers = layers->dist.ihi;
    const char *file = cfg->path ? cfg->path : "study file";
    for (size_t i = 0; i < cfg->n_train; i++) {
        const hpo_param_spec *p = &cfg->train[i];
        if (!p->is_dist) continue;
        HPO_CHECK(!(p->dist.kind == HPO_DIST_FLOAT && p->dist.fstep <= 0), HPO_EINVAL,
                  "%s:%d: the grid sampler needs train.%s to have a step (a float range has endless "
                  "points), e.g. {float: [lo, hi], step: q}, or a categorical list", file, p->line, p->key);
        if (!p->per_layer) { HPO_TRY(grid_axis_add(g, p->name, &p->dist, file, p->line)); continue; }
        for (int64_t l = 0; l < max_layers; l++) {
            char n[300];
            snprintf(n, sizeof n, "%s_l%lld", p->name, (long long)l);
            HPO_TRY(grid_axis_add(g, n, &p->dist, file, p->line));
        }
    }
    return HPO_OK;
}

/* Rank 0's part of the set-up: the study, its storage, the budget. On a
 * failure *what names the file involved.
 *
 * On resume the checkpoint's own settings win where the study file is
 * silent: its seed, its sampler (unless --sampler switches it) and its total
 * budget (unless --trials or --more change it, which is then recorded). A
 * study file that names another direction, sampler or pruner is refused; one
 * that differs otherwise (epochs, data, ...) gets a warning. */
/* How often a running trial's curve is stored: MPIHPO_CURVE_SECONDS, 10 s
 * by default. Checked before anything is created. */
static hpo_status curve_seconds(double *out)
{
    *out = 10.0;
    const char *e = getenv("MPIHPO_CURVE_SECONDS");
    if (!e || !*e) return HPO_OK;
    char *end;
    double v = strtod(e, &end);
    HPO_CHECK(*end == 0 && v >= 0 && v < 1e9, HPO_EINVAL,
              "MPIHPO_CURVE_SECONDS='%s'; expected a number of seconds >= 0", e);
    *out = v;
    return HPO_OK;
}

static hpo_status setup_study(const run_args *a, hpo_config *cfg, hpo_ckpt **ckp, const hpo_ckpt_meta *meta,
                              hpo_study **out, int64_t *budget, char *what, size_t nwhat)
{
    hpo_study *s = NULL;
    hpo_status st = HPO_OK;
    hpo_ckpt_meta m;
    memset(&m, 0, sizeof m);
    const char *storage = a->resume_path ? a->resume_path : a->storage ? a->storage : cfg->study.storage;
    int resuming = a->resume_path || (a->resume && storage && file_exists(storage));
    HPO_CHECK(!a->resume || storage, HPO_EINVAL, "--resume needs a storage file: give --storage FILE.h5 or study.storage");
    if (storage) snprintf(what, nwhat, "%s", storage);
    const char *sampler = a->sampler;
    int64_t total = cfg->study.trials;            /* with --trials already applied */
    size_t have = 0, interrupted = 0, retried = 0;
    HPO_TRY(hpo_study_create(&s));
    if (resuming) {
        if (!*ckp) {
            HPO_TRY_GOTO(hpo_ckpt_open(storage, ckp), fail);
            HPO_TRY_GOTO(hpo_ckpt_read_meta(*ckp, &m), fail);
            meta = &m;
        }
        const char *dir_f = meta->direction == HPO_MAXIMIZE ? "maximize" : "minimize";
        const char *dir_c = cfg->study.direction == HPO_MAXIMIZE ? "maximize" : "minimize";
        HPO_CHECK_GOTO(meta->direction == cfg->study.direction, fail, HPO_EINVAL,
                       "the study in %s is to %s, the study file says %s", storage, dir_f, dir_c);
        if (!sampler) {
            HPO_CHECK_GOTO(a->resume_path || strcmp(cfg->sampler.type, meta->sampler) == 0, fail, HPO_EINVAL,
                           "the study in %s ran with sampler %s, the study file says %s "
                           "(pass --sampler %s to switch, or start a new storage)",
                           storage, meta->sampler, cfg->sampler.type, cfg->sampler.type);
            sampler = meta->sampler;
        }
        HPO_CHECK_GOTO(strcmp(cfg->pruner.type, meta->pruner) == 0, fail, HPO_EINVAL,
                       "the study in %s ran with pruner %s, the study file says %s (start a new storage to change it)",
                       storage, meta->pruner, cfg->pruner.type);
        if (!a->resume_path && meta->study_file && cfg->text && strcmp(meta->study_file, cfg->text) != 0)
            fprintf(stderr, "mpihpo: warning: %s differs from the study file stored in %s; its trials so far "
                    "ran with the stored one, the next ones use yours\n", cfg->path ? cfg->path : "the study file", storage);
        if (a->trials <= 0 && meta->trials > 0) total = meta->trials;
    }
    grid_axes grid = {0};
    if (strcmp(sampler ? sampler : cfg->sampler.type, "grid") == 0) HPO_TRY_GOTO(grid_axes_build(cfg, &grid), fail);
    st = configure(s, cfg, sampler, grid.ax, grid.n);
    if (st == HPO_OK && resuming) st = hpo_study_set_seed(s, meta->seed);   /* trial seeds and the sampler continue */
    if (st == HPO_OK) st = hpo_study_setup(s);      /* the grid sampler copies the axes here */
    grid_axes_free(&grid);
    HPO_TRY_GOTO(st, fail);
    HPO_TRY_GOTO(hpo_study_set_log(s, a->quiet ? NULL : stdout), fail);
    if (resuming) {
        HPO_TRY_GOTO(adopt_stored(s, *ckp, cfg, a->retry, &have, &interrupted, &retried), fail);
        if (a->more >= 0) total = (int64_t)have + a->more;
        HPO_CHECK_GOTO(a->trials <= 0 || total >= (int64_t)have, fail, HPO_EINVAL,
                       "--trials %" PRId64 " is less than the %zu trials %s already holds "
                       "(--trials is the study's total; --more N runs N more)", total, have, storage);
        if (total != meta->trials) HPO_TRY_GOTO(hpo_ckpt_set_trials(*ckp, total), fail);
    } else {
        if (storage) {
            int seeded;
            hpo_ckpt_meta nm = {
                .name = cfg->study.name, .direction = cfg->study.direction,
                .sampler = hpo_study_sampler_type(s), .pruner = hpo_study_pruner_type(s),
                .seed = hpo_study_seed(s, &seeded), .study_file = cfg->text ? cfg->text : "",
                .study_path = cfg->path ? cfg->path : "", .trials = total,
            };
            nm.seeded = seeded;
            HPO_TRY_GOTO(hpo_ckpt_create(storage, &nm, ckp), fail);
        }
    }
    if (*ckp) {
        HPO_TRY_GOTO(hpo_study_set_hooks(s, store_started, store_finished, *ckp), fail);
        /* a running trial's row again, with its curve so far, at its first
         * report and then every a->curve_every s once the curve grew by a
         * quarter, so a crash keeps most of an interrupted trial's curve for
         * a few flushes */
        HPO_TRY_GOTO(hpo_study_set_report_hook(s, store_started, a->curve_every), fail);
    }
    *budget = total - (int64_t)have;
    cfg->study.trials = total;
    if (resuming && !a->quiet)
        printf("Resuming study '%s' from %s: %zu trials stored (%zu were running and are now FAIL "
               "\"interrupted\"; %zu interrupted trials queued again); %" PRId64 " more to run, %" PRId64 " in all\n",
               cfg->study.name, storage, have, interrupted, retried, *budget > 0 ? *budget : 0, total);
    fflush(stdout);
    hpo_ckpt_meta_clear(&m);
    *out = s;
    return HPO_OK;
fail:
    hpo_ckpt_meta_clear(&m);
    hpo_study_destroy(&s);
    return st;
}

/* Read the study text: from the checkpoint (resume) or the study file. */
static hpo_status study_text(const run_args *a, hpo_ckpt **ck, hpo_ckpt_meta *meta, char **text, char **path)
{
    if (a->resume_path) {
        HPO_TRY(hpo_ckpt_open(a->resume_path, ck));
        HPO_TRY(hpo_ckpt_read_meta(*ck, meta));
        HPO_CHECK(meta->study_file && *meta->study_file, HPO_EFORMAT,
                  "%s holds no study file (it was written by a C objective); resume it from your program",
                  a->resume_path);
        *text = hpo_strdup(meta->study_file);
        *path = hpo_strdup(meta->study_path && *meta->study_path ? meta->study_path : a->resume_path);
    } else {
        hpo_config *c = NULL;
        HPO_TRY(hpo_config_load(a->study_path, &c));
        *text = hpo_strdup(c->text);
        *path = hpo_strdup(a->study_path);
        hpo_config_destroy(&c);
    }
    HPO_CHECK(*text && *path, HPO_ENOMEM, "out of memory for the study file");
    return HPO_OK;
}

/* SIGTERM (Slurm's time limit, scancel, mpirun), SIGINT (Ctrl-C), SIGUSR1
 * (sbatch --signal=USR1@N) and SIGPIPE ask the study to stop cleanly; a
 * second Ctrl-C ends the process at once. */
static void on_stop_signal(int sig)
{
    if (sig == SIGPIPE) {                 /* later writes just fail (EPIPE) */
        signal(SIGPIPE, SIG_IGN);
        if (!hpo_stop_requested()) hpo_request_stop(sig);
        return;
    }
    /* Slurm sends SIGTERM twice at a time limit (and KILLs after KillWait),
     * so only a second Ctrl-C means "now"; repeated SIGTERM/USR1 are
     * already being served. */
    if (hpo_stop_requested()) {
        if (sig == SIGINT) { signal(sig, SIG_DFL); raise(sig); }
        return;
    }
    hpo_request_stop(sig);
}

static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    /* `mpihpo run ... | head`: the reader went away; stop as cleanly as on
     * SIGTERM (the write that failed is only the log). */
    sigaction(SIGPIPE, &sa, NULL);
}

/* Send rank 0's status and, if OK, a string to every rank. */
static void bcast_text(int rank, int *st, char **s)
{
    MPI_Bcast(st, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (*st != HPO_OK) return;
    int n = rank == 0 ? (int)strlen(*s) + 1 : 0;
    MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank != 0) {
        *s = hpo_malloc((size_t)n);
        if (!*s) { fprintf(stderr, "mpihpo: rank %d: out of memory\n", rank); MPI_Abort(MPI_COMM_WORLD, EXIT_ERROR); }
    }
    MPI_Bcast(*s, n, MPI_CHAR, 0, MPI_COMM_WORLD);
}

static int run_main(run_args *a)
{
    openblas_set_num_threads((int)a->blas);
    /* Under mpirun/srun every rank runs this; alone, MPI is not started at
     * all (a singleton MPI_Init costs ~0.25 s and is not needed). */
    int use_mpi = launched_by_mpi(), rank = 0, size = 1;
    catch_stop_signals();                 /* before MPI_Init (~1 s), and again after it */
    if (use_mpi) {
        MPI_Init(NULL, NULL);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    }
    catch_stop_signals();
    int rc = EXIT_ERROR, quiet = a->quiet, stuck = 0;
    hpo_config *cfg = NULL;
    hpo_dataset *data = NULL;
    hpo_study *study = NULL;
    hpo_ckpt *ck = NULL;
    hpo_ckpt_meta meta;
    memset(&meta, 0, sizeof meta);
    char *text = NULL, *path = NULL, what[1024] = "";
    int64_t budget = 0;
    if (rank != 0) a->quiet = 1;

    /* 1. The study file's text: rank 0 reads it (only rank 0 opens the
     *    checkpoint) and sends it to the workers. */
    int st = HPO_OK;
    if (rank == 0) {
        st = curve_seconds(&a->curve_every);
        if (st == HPO_OK) st = study_text(a, &ck, &meta, &text, &path);
        if (st != HPO_OK) snprintf(what, sizeof what, "%s", a->resume_path ? a->resume_path : "");
    }
    if (size > 1) {
        bcast_text(rank, &st, &text);
        if (st == HPO_OK) bcast_text(rank, &st, &path);
    }
    /* 2. Every rank builds the same config and checks what its syntax cannot
     *    show; rank 0 repeats the config's warnings (high shrunk to a step). */
    if (st == HPO_OK) st = hpo_config_load_string(text, path, &cfg);
    if (st == HPO_OK) {
        if (a->trials > 0) cfg->study.trials = a->trials;
        if (a->seed >= 0) { cfg->study.has_seed = 1; cfg->study.seed = (uint64_t)a->seed; }
        if (a->timeout >= 0) cfg->study.timeout = a->timeout;
        st = hpo_mlp_objective_check(cfg);
        if (st == HPO_OK && rank == 0)
            for (size_t i = 0; i < cfg->n_train; i++)
                if (cfg->train[i].warning) fprintf(stderr, "mpihpo: warning: %s\n", cfg->train[i].warning);
    }
    /* 3. The data, on every rank. */
    if (st == HPO_OK) {
        hpo_data_opts dopts = data_opts(cfg);
        st = hpo_dataset_load(&dopts, &data);
        if (st != HPO_OK) snprintf(what, sizeof what, "data.path in %s", cfg->path ? cfg->path : "the study file");
    }
    /* 4. Rank 0: the study and its storage, last, so that a mistake found
     *    above never leaves a new checkpoint behind. */
    if (st == HPO_OK && rank == 0) st = setup_study(a, cfg, &ck, &meta, &study, &budget, what, sizeof what);
    /* If any rank failed, the lowest failing rank says why and all leave
     * together (no rank left waiting). */
    if (size > 1) {
        int mine = st == HPO_OK ? size : rank, first = size;
        MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        if (first < size) {
            if (rank == first) {
                if (rank) snprintf(what + strlen(what), sizeof what - strlen(what), "%srank %d", *what ? ", " : "", rank);
                die(*what ? what : NULL);
            }
            goto out;
        }
        MPI_Bcast(&budget, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    } else if (st != HPO_OK) {
        die(*what ? what : NULL);
        goto out;
    }
    if (budget <= 0) {
        if (rank == 0) {
            printf("The study already has %zu trials, its whole budget of %" PRId64 "; nothing to run. "
                   "Give --trials N (a larger total) or --more N.\n", hpo_study_n_trials(study), cfg->study.trials);
            print_summary(study, 0, stdout);
        }
        rc = EXIT_OK;
        goto out;
    }
    hpo_mlp_objective obj = {.cfg = cfg, .data = data};
    if (rank == 0) {
        printf("Study '%s': %s, %" PRId64 " trials, sampler %s, pruner %s; data %s: %zu train / %zu validation rows, %zu features, %zu classes",
               cfg->study.name, cfg->study.direction == HPO_MAXIMIZE ? "maximize" : "minimize",
               budget, hpo_study_sampler_type(study), hpo_study_pruner_type(study), cfg->data.path,
               data->n_train, data->n_val, data->n_features, data->n_classes);
        if (size > 1) printf("; %d workers", size - 1);
        printf("\n");
        fflush(stdout);
    }
    double t0 = wall();
    if (size == 1) {
        st = hpo_study_optimize(study, hpo_mlp_objective_run, &obj, budget, cfg->study.timeout);
    } else if (rank == 0) {
        hpo_coord_opts co = {.n_trials = budget, .timeout_s = cfg->study.timeout,
                             .progress = (!quiet && isatty(STDERR_FILENO)) ? stderr : NULL,
                             .log = quiet ? NULL : stdout};
        st = hpo_mpi_coordinate(study, MPI_COMM_WORLD, &co, &stuck);
    } else {
        st = hpo_mpi_work(MPI_COMM_WORLD, hpo_mlp_objective_run, &obj);
        if (hpo_stop_requested()) st = HPO_OK;   /* rank 0 reports the stop */
        if (st != HPO_OK) {
            char msg[64];
            snprintf(msg, sizeof msg, "rank %d", rank);
            die(msg);
            MPI_Abort(MPI_COMM_WORLD, EXIT_ERROR);   /* rank 0 may be waiting on us */
        }
    }
    double t1 = wall();
    if (rank == 0) {
        print_summary(study, t1 - t0, stdout);
        if (ck && !quiet) printf("Every trial is in %s (`mpihpo resume %s` continues the study).\n",
                                 a->resume_path ? a->resume_path : a->storage ? a->storage : cfg->study.storage,
                                 a->resume_path ? a->resume_path : a->storage ? a->storage : cfg->study.storage);
        if (st == HPO_ESTOP) {
            const char *file = a->resume_path ? a->resume_path : a->storage ? a->storage : cfg->study.storage;
            fprintf(stderr, "mpihpo: %s.\n", hpo_error_message());
            if (file) fprintf(stderr, "Every finished trial is in %s; `mpihpo resume %s` continues the study.\n", file, file);
            else fprintf(stderr, "The study had no storage, so it cannot be resumed (set study.storage or --storage).\n");
            rc = EXIT_STOPPED;
        } else {
            rc = st == HPO_OK ? EXIT_OK : die("the study stopped");
        }
        if ((st != HPO_OK && st != HPO_ESTOP && size > 1) || stuck) {
            hpo_ckpt_close(&ck);                 /* everything is on disk first */
            MPI_Abort(MPI_COMM_WORLD, rc);
        }
    } else {
        rc = EXIT_OK;
    }
out:
    hpo_ckpt_close(&ck);
    hpo_ckpt_meta_clear(&meta);
    hpo_study_destroy(&study);
    hpo_dataset_destroy(&data);
    hpo_config_destroy(&cfg);
    hpo_free(text);
    hpo_free(path);
    if (use_mpi) MPI_Finalize();
    return rc;
}

/* `run` and `resume` share options; `resume` takes a checkpoint instead. */
static int parse_and_run(int argc, char **argv, int resume)
{
    static const struct option opts[] = {
        {"trials", required_argument, 0, 'n'}, {"more", required_argument, 0, 'm'},
        {"seed", required_argument, 0, 's'}, {"timeout", required_argument, 0, 't'},
        {"storage", required_argument, 0, 'o'}, {"resume", no_argument, 0, 'r'},
        {"retry-interrupted", no_argument, 0, 'R'}, {"sampler", required_argument, 0, 'S'},
        {"blas-threads", required_argument, 0, 'B'}, {"quiet", no_argument, 0, 'q'},
        {"help-config", no_argument, 0, 'C'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *cmd = resume ? "mpihpo resume" : "mpihpo run";
    run_args a = {.trials = -1, .more = -1, .seed = -1, .blas = 1, .timeout = -1};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:s:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!parse_i64(optarg, 1, &a.trials)) { fprintf(stderr, "%s: --trials expects an integer >= 1, got '%s'\n", cmd, optarg); return EXIT_USAGE; }
            break;
        case 'm':
            if (!parse_i64(optarg, 1, &a.more)) { fprintf(stderr, "%s: --more expects an integer >= 1, got '%s'\n", cmd, optarg); return EXIT_USAGE; }
            break;
        case 's':
            if (!parse_i64(optarg, 0, &a.seed)) { fprintf(stderr, "%s: --seed expects an integer >= 0, got '%s'\n", cmd, optarg); return EXIT_USAGE; }
            break;
        case 't': {
            char *end;
            a.timeout = strtod(optarg, &end);
            if (end == optarg || *end || !(a.timeout >= 0) || isinf(a.timeout)) { fprintf(stderr, "%s: --timeout expects seconds >= 0, got '%s'\n", cmd, optarg); return EXIT_USAGE; }
            break;
        }
        case 'o':
            if (!*optarg) { fprintf(stderr, "%s: --storage expects a file name (FILE.h5)\n", cmd); return EXIT_USAGE; }
            a.storage = optarg;
            break;
        case 'r': a.resume = 1; break;
        case 'R': a.retry = 1; break;
        case 'S':
            if (strcmp(optarg, "tpe") && strcmp(optarg, "random") && strcmp(optarg, "grid")) {
                fprintf(stderr, "%s: --sampler expects tpe, random or grid, got '%s'\n", cmd, optarg);
                return EXIT_USAGE;
            }
            a.sampler = optarg;
            break;
        case 'B':
            if (!parse_i64(optarg, 1, &a.blas) || a.blas > 1024) { fprintf(stderr, "%s: --blas-threads expects an integer in 1..1024, got '%s'\n", cmd, optarg); return EXIT_USAGE; }
            break;
        case 'q': a.quiet = 1; break;
        case 'C': hpo_config_print_keys(stdout); return EXIT_OK;
        case 'h': fputs(k_run_help, stdout); return EXIT_OK;
        default: fprintf(stderr, "Try '%s --help'.\n", cmd); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "%s: expected one %s, got %d arguments\nTry '%s --help'.\n", cmd,
                resume ? "checkpoint file (FILE.h5)" : "study file", argc - optind, cmd);
        return EXIT_USAGE;
    }
    if (resume) {
        if (a.storage) { fprintf(stderr, "%s: --storage does not apply; the checkpoint is the argument\n", cmd); return EXIT_USAGE; }
        if (a.seed >= 0) { fprintf(stderr, "%s: --seed does not apply; a resumed study keeps its seed\n", cmd); return EXIT_USAGE; }
        a.resume_path = argv[optind];
        a.resume = 1;
    } else {
        if (a.more >= 0 && !a.resume) { fprintf(stderr, "%s: --more needs --resume\n", cmd); return EXIT_USAGE; }
        if (a.retry && !a.resume) { fprintf(stderr, "%s: --retry-interrupted needs --resume\n", cmd); return EXIT_USAGE; }
        a.study_path = argv[optind];
    }
    if (a.more >= 0 && a.trials > 0) { fprintf(stderr, "%s: give --trials (a total) or --more (an increment), not both\n", cmd); return EXIT_USAGE; }
    return run_main(&a);
}

int cmd_run(int argc, char **argv) { return parse_and_run(argc, argv, 0); }
int cmd_resume(int argc, char **argv) { return parse_and_run(argc, argv, 1); }
