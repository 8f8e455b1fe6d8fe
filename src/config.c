/* config.c - the study file reader (see config.h).
 *
 * libyaml builds a document tree; we walk it section by section. Each section
 * is described by one table of key_spec rows (name, value type, range,
 * default written as YAML text, help). The same rows check the file, fill in
 * the defaults (parsed by the same code as the file's values) and print
 * --help-config, so help and validation cannot drift.
 *
 * Everything allocated goes into the hpo_config being built, so one
 * hpo_config_destroy on the error path frees all of it. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "alloc.h"
#include "error.h"

/* ---- The tables of known keys -------------------------------------------- */

typedef enum {
    V_INT,        /* int64 in [imin, imax] */
    V_INT_AUTO,   /* int64 >= imin, or `auto` (stored as 0) */
    V_SEED,       /* integer in [0, INT64_MAX], stored as uint64 */
    V_FLOAT,      /* finite number in [fmin, fmax] (ends open with K_LO_OPEN/K_HI_OPEN) */
    V_BOOL,       /* true | false */
    V_STR,        /* non-empty text, copied */
    V_ENUM,       /* one of names (any case); the index is stored as an int */
    V_TYPE,       /* like V_ENUM; the static canonical name is stored */
    V_DIRECTION   /* minimize | maximize -> hpo_direction */
} vtype;

enum {
    K_REQ = 1u,        /* must be given */
    K_LO_OPEN = 2u,    /* V_FLOAT: value > fmin rather than >= */
    K_HI_OPEN = 4u,    /* V_FLOAT: value < fmax rather than <= */
    K_PER_LAYER = 8u,  /* train: a distribution may say per_layer: true */
    K_HAS = 16u        /* V_SEED: set the int at has_off when given */
};

typedef struct key_spec {
    const char *name;
    unsigned types;            /* bit i: applies to the section's type i; 0: to all */
    vtype type;
    unsigned flags;
    int64_t imin, imax;
    double fmin, fmax;
    const char *const *names;  /* V_ENUM, V_TYPE, V_DIRECTION: NULL-terminated */
    const char *def;           /* default, as YAML text; NULL: required or unset */
    const char *def_help;      /* what --help-config shows when def is NULL */
    size_t off, has_off;       /* offsetof(hpo_config, ...); unused in train */
    const char *help;
} key_spec;

#define OFF(m) offsetof(hpo_config, m)
#define INT_GE(lo) .imin = (lo), .imax = INT64_MAX
#define F_ANY .fmin = -HUGE_VAL, .fmax = HUGE_VAL

static const char *const k_directions[] = {"minimize", "maximize", NULL};
static const char *const k_sampler_types[] = {"tpe", "random", "grid", NULL};
enum { S_TPE = 1u << 0, S_RANDOM = 1u << 1, S_GRID = 1u << 2 };
static const char *const k_tpe_compat[] = {"none", "optuna3", NULL};
static const char *const k_pruner_types[] = {"none", "median", "percentile",
                                             "successive_halving", "hyperband", NULL};
enum { P_NONE = 1u << 0, P_MEDIAN = 1u << 1, P_PERCENTILE = 1u << 2,
       P_SH = 1u << 3, P_HB = 1u << 4 };
static const char *const k_splits[] = {"sklearn", "random", NULL};
static const char *const k_missing[] = {"error", "drop", "mean", "median", NULL};
static const char *const k_optimizers[] = {"adam", "rmsprop", "sgd", NULL};
static const char *const k_activations[] = {"relu", "leaky_relu", "tanh", NULL};

static const key_spec k_study_keys[] = {
    {.name = "name", .type = V_STR, .def_help = "file name", .off = OFF(study.name),
     .help = "Study name (default: the study file's name without extension)."},
    {.name = "direction", .type = V_DIRECTION, .flags = K_REQ, .names = k_directions,
     .off = OFF(study.direction), .help = "Whether the objective is minimized or maximized."},
    {.name = "trials", .type = V_INT, INT_GE(1), .def = "100", .off = OFF(study.trials),
     .help = "Number of trials to run."},
    {.name = "timeout", .type = V_FLOAT, .fmin = 0, .fmax = HUGE_VAL, .def = "0",
     .off = OFF(study.timeout), .help = "Stop starting trials after this many seconds (0: no limit)."},
    {.name = "seed", .type = V_SEED, .flags = K_HAS, .def_help = "unseeded", .off = OFF(study.seed),
     .has_off = OFF(study.has_seed), .help = "Seed of the sampler and of every trial's seed."},
    {.name = "storage", .type = V_STR, .def_help = "none", .off = OFF(study.storage),
     .help = "HDF5 checkpoint file (relative to the current directory)."},
};

static const key_spec k_sampler_keys[] = {
    {.name = "type", .type = V_TYPE, .names = k_sampler_types, .def = "tpe",
     .off = OFF(sampler.type), .help = "Which sampler proposes parameters."},
    {.name = "startup_trials", .types = S_TPE, .type = V_INT, INT_GE(0), .def = "10",
     .off = OFF(sampler.startup_trials), .help = "Random trials before TPE starts (n_startup_trials)."},
    {.name = "ei_candidates", .types = S_TPE, .type = V_INT, INT_GE(1), .def = "24",
     .off = OFF(sampler.ei_candidates), .help = "Candidates drawn per suggestion (n_ei_candidates)."},
    {.name = "multivariate", .types = S_TPE, .type = V_BOOL, .def = "false",
     .off = OFF(sampler.multivariate), .help = "Model the parameters jointly."},
    {.name = "group", .types = S_TPE, .type = V_BOOL, .def = "false",
     .off = OFF(sampler.group), .help = "Multivariate per group of parameters that occur together (needs multivariate)."},
    {.name = "constant_liar", .types = S_TPE, .type = V_BOOL, .def = "true",
     .off = OFF(sampler.constant_liar), .help = "Count running trials as bad, so parallel workers spread out."},
    {.name = "prior_weight", .types = S_TPE, .type = V_FLOAT, .flags = K_LO_OPEN, .fmin = 0,
     .fmax = HUGE_VAL, .def = "1.0", .off = OFF(sampler.prior_weight),
     .help = "Weight of the prior in the Parzen estimators."},
    {.name = "compat", .types = S_TPE, .type = V_ENUM, .names = k_tpe_compat, .def = "none",
     .off = OFF(sampler.compat),
     .help = "optuna3: Optuna 3.0-3.4's Parzen estimator (prior mean among the bandwidth "
             "neighbours, continuous kernels not divided by sigma, log-int kernels continuous), "
             "to compare with those versions; none: current Optuna."},
};

static const key_spec k_pruner_keys[] = {
    {.name = "type", .type = V_TYPE, .names = k_pruner_types, .def = "none",
     .off = OFF(pruner.type), .help = "Which pruner stops unpromising trials early."},
    {.name = "n_startup_trials", .types = P_MEDIAN | P_PERCENTILE, .type = V_INT, INT_GE(0),
     .def = "5", .off = OFF(pruner.n_startup_trials), .help = "No pruning until this many trials finished."},
    {.name = "n_warmup_steps", .types = P_MEDIAN | P_PERCENTILE, .type = V_INT, INT_GE(0),
     .def = "0", .off = OFF(pruner.n_warmup_steps), .help = "No pruning before this step of a trial."},
    {.name = "interval_steps", .types = P_MEDIAN | P_PERCENTILE, .type = V_INT, INT_GE(1),
     .def = "1", .off = OFF(pruner.interval_steps), .help = "Check every this many steps."},
    {.name = "n_min_trials", .types = P_MEDIAN | P_PERCENTILE, .type = V_INT, INT_GE(1),
     .def = "1", .off = OFF(pruner.n_min_trials), .help = "Trials that must have reported a step before comparing."},
    {.name = "percentile", .types = P_PERCENTILE, .type = V_FLOAT, .flags = K_REQ, .fmin = 0,
     .fmax = 100, .off = OFF(pruner.percentile), .help = "Prune below this percentile of the other trials."},
    {.name = "min_resource", .types = P_SH, .type = V_INT_AUTO, INT_GE(1), .def = "auto",
     .off = OFF(pruner.min_resource), .help = "Steps before the first rung (auto: from the first trial)."},
    {.name = "min_resource", .types = P_HB, .type = V_INT_AUTO, INT_GE(1), .def = "1",
     .off = OFF(pruner.min_resource), .help = "Steps before the first rung of the smallest bracket."},
    {.name = "max_resource", .types = P_HB, .type = V_INT_AUTO, INT_GE(1), .def = "auto",
     .off = OFF(pruner.max_resource), .help = "Most steps of a trial (auto: from the first finished trial)."},
    {.name = "reduction_factor", .types = P_SH, .type = V_INT, INT_GE(2), .def = "4",
     .off = OFF(pruner.reduction_factor), .help = "Keep the top 1/reduction_factor at each rung."},
    {.name = "reduction_factor", .types = P_HB, .type = V_INT, INT_GE(2), .def = "3",
     .off = OFF(pruner.reduction_factor), .help = "Keep the top 1/reduction_factor at each rung."},
    {.name = "min_early_stopping_rate", .types = P_SH, .type = V_INT, INT_GE(0), .def = "0",
     .off = OFF(pruner.min_early_stopping_rate), .help = "Rungs skipped before the first one."},
    {.name = "bootstrap_count", .types = P_SH | P_HB, .type = V_INT, INT_GE(0), .def = "0",
     .off = OFF(pruner.bootstrap_count), .help = "Trials a rung needs before it prunes (needs min_resource set)."},
};

static const key_spec k_data_keys[] = {
    {.name = "path", .type = V_STR, .flags = K_REQ, .off = OFF(data.path),
     .help = "CSV file; relative to the study file's directory, else to the current one."},
    {.name = "target", .type = V_STR, .flags = K_REQ, .off = OFF(data.target),
     .help = "Column holding the class label."},
    {.name = "validation_fraction", .type = V_FLOAT, .flags = K_LO_OPEN | K_HI_OPEN, .fmin = 0,
     .fmax = 1, .def = "0.2", .off = OFF(data.validation_fraction),
     .help = "Share of rows held out for validation."},
    {.name = "split", .type = V_ENUM, .names = k_splits, .def = "sklearn", .off = OFF(data.split),
     .help = "sklearn: same rows as train_test_split(random_state=split_seed); random: our RNG."},
    {.name = "split_seed", .type = V_SEED, .def = "42", .off = OFF(data.split_seed),
     .help = "Seed of the train/validation split."},
    {.name = "standardize", .type = V_BOOL, .def = "false", .off = OFF(data.standardize),
     .help = "Scale numeric columns to mean 0, sd 1 (statistics from the training rows)."},
    {.name = "missing", .type = V_ENUM, .names = k_missing, .def = "error", .off = OFF(data.missing),
     .help = "What to do with empty or NA cells."},
};

static const key_spec k_train_keys[] = {
    {.name = "epochs", .type = V_INT, INT_GE(1), .flags = K_REQ, .help = "Passes over the training rows."},
    {.name = "batch_size", .type = V_INT, INT_GE(1), .def = "32", .help = "Rows per gradient step."},
    {.name = "learning_rate", .type = V_FLOAT, .flags = K_LO_OPEN, .fmin = 0, .fmax = HUGE_VAL,
     .def = "0.001", .help = "Step size of the optimizer."},
    {.name = "optimizer", .type = V_ENUM, .names = k_optimizers, .def = "adam",
     .help = "Optimizer (any case; kept as written)."},
    {.name = "n_layers", .type = V_INT, INT_GE(0), .def = "1", .help = "Hidden layers."},
    {.name = "n_units", .type = V_INT, INT_GE(1), .flags = K_REQ | K_PER_LAYER,
     .help = "Units per hidden layer; per_layer: true gives n_units_l0 .. n_units_l{n-1}."},
    {.name = "activation", .type = V_ENUM, .names = k_activations, .def = "relu",
     .help = "Activation after each hidden layer."},
    {.name = "output_activation", .type = V_BOOL, .def = "false",
     .help = "Apply the activation after the output layer too (as the article does)."},
};

typedef struct section_spec {
    const char *name;
    int required;
    const key_spec *keys;
    size_t n_keys;
    const char *example;   /* shown when the section is missing */
} section_spec;

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
enum { SEC_STUDY, SEC_SAMPLER, SEC_PRUNER, SEC_DATA, SEC_TRAIN, N_SECTIONS };
static const section_spec k_sections[N_SECTIONS] = {
    {"study", 1, k_study_keys, N_OF(k_study_keys), "study: {direction: maximize}"},
    {"sampler", 0, k_sampler_keys, N_OF(k_sampler_keys), "sampler: {type: tpe}"},
    {"pruner", 0, k_pruner_keys, N_OF(k_pruner_keys), "pruner: {type: median}"},
    {"data", 1, k_data_keys, N_OF(k_data_keys), "data: {path: heart.csv, target: HeartDisease}"},
    {"train", 1, k_train_keys, N_OF(k_train_keys), "train: {epochs: 30, n_units: {int: [4, 128]}}"},
};

/* Keys of a distribution mapping; the first six name its kind. */
enum { D_FLOAT, D_INT, D_CAT, D_UNIFORM, D_LOGUNIFORM, D_DISCRETE,
       D_LOG, D_STEP, D_NAME, D_PER_LAYER, D_N_KEYS };
#define D_N_KINDS D_LOG
static const char *const k_dist_keys[] = {"float", "int", "categorical", "uniform", "loguniform",
                                          "discrete_uniform", "log", "step", "name", "per_layer"};

#define MAX_KEYS 32   /* most rows in one table (checked by a test) */

/* ---- Context and error reporting ------------------------------------------ */

typedef struct ctx {
    const char *file;        /* for messages */
    yaml_document_t *doc;
    hpo_config *cfg;
} ctx;

static hpo_status cfg_raise(const ctx *c, hpo_status code, yaml_mark_t m, const char *src,
                            int line, const char *func, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;

static hpo_status cfg_raise(const ctx *c, hpo_status code, yaml_mark_t m, const char *src,
                            int line, const char *func, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hpo_error_raise(code, src, line, func, "%s:%zu:%zu: %s", c->file,
                           m.line + 1, m.column + 1, msg);
}

/* Raise a located error and return it. */
#define CFG_FAIL(c, code, mark, ...) \
    return cfg_raise((c), (code), (mark), __FILE__, __LINE__, __func__, __VA_ARGS__)

#define CFG_NOMEM(p) HPO_CHECK((p) != NULL, HPO_ENOMEM, "out of memory reading the study file")

/* Levenshtein distance, case-insensitive; words past 63 characters count as far. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la > 63 || lb > 63) return 64;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The known word closest to `word`, if close enough to be a likely typo. */
static const char *nearest(const char *word, const char *const *known, size_t n)
{
    const char *best = NULL;
    size_t bd = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, known[i]);
        if (d < bd) { bd = d; best = known[i]; }
    }
    if (best && (bd <= 2 || 3 * bd <= strlen(best))) return best;
    return NULL;
}

/* "a, b, c" into buf. */
static void join(char *buf, size_t n, const char *const *words, size_t count)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", words[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

static size_t count_names(const char *const *names)
{
    size_t n = 0;
    while (names[n]) n++;
    return n;
}

/* What a value of this row must look like: "an integer >= 1", ... */
static void describe(const key_spec *k, char *buf, size_t n)
{
    char list[256];
    switch (k->type) {
    case V_INT:
    case V_INT_AUTO:
        if (k->imin == INT64_MIN && k->imax == INT64_MAX)
            snprintf(buf, n, "a 64-bit integer");
        else if (k->imax == INT64_MAX)
            snprintf(buf, n, "an integer >= %" PRId64 "%s", k->imin,
                     k->type == V_INT_AUTO ? " or auto" : "");
        else
            snprintf(buf, n, "an integer in [%" PRId64 ", %" PRId64 "]", k->imin, k->imax);
        return;
    case V_SEED: snprintf(buf, n, "an integer in [0, %" PRId64 "]", INT64_MAX); return;
    case V_FLOAT:
        if (isinf(k->fmin) && isinf(k->fmax)) snprintf(buf, n, "a number");
        else if (isinf(k->fmax))
            snprintf(buf, n, "a number %s %g", (k->flags & K_LO_OPEN) ? ">" : ">=", k->fmin);
        else
            snprintf(buf, n, "a number in %c%g, %g%c", (k->flags & K_LO_OPEN) ? '(' : '[', k->fmin,
                     k->fmax, (k->flags & K_HI_OPEN) ? ')' : ']');
        return;
    case V_BOOL: snprintf(buf, n, "true or false"); return;
    case V_STR: snprintf(buf, n, "a non-empty string"); return;
    case V_ENUM:
    case V_TYPE:
    case V_DIRECTION:
        join(list, sizeof list, k->names, count_names(k->names));
        snprintf(buf, n, "one of %s", list);
        return;
    }
    snprintf(buf, n, "a value");
}

/* ---- Scalars ------------------------------------------------------------- */

typedef struct scal {          /* a scalar as written */
    const char *s;             /* NUL-terminated text */
    size_t len;
    int quoted;                /* quoted scalars are always strings */
    yaml_mark_t mark;
} scal;

typedef enum { R_NULL, R_BOOL, R_INT, R_FLOAT, R_STR } rkind;
typedef struct resolved {
    rkind kind;
    int overflow;              /* R_INT beyond int64 (f holds the approximate value) */
    int64_t i;
    double f;
    int b;
} resolved;

static int is_int_text(const char *s)
{
    if (*s == '-' || *s == '+') s++;
    if (!isdigit((unsigned char)*s)) return 0;
    while (isdigit((unsigned char)*s)) s++;
    return *s == '\0';
}

/* YAML 1.2 core schema float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int is_float_text(const char *s)
{
    int digits = 0;
    if (*s == '-' || *s == '+') s++;
    while (isdigit((unsigned char)*s)) { s++; digits++; }
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char)*s)) { s++; digits++; }
    }
    if (!digits) return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+') s++;
        if (!isdigit((unsigned char)*s)) return 0;
        while (isdigit((unsigned char)*s)) s++;
    }
    return *s == '\0';
}

/* The YAML 1.2 core schema, applied to plain scalars only. */
/* A plain scalar YAML reads as null: empty, ~, null, Null, NULL. */
static int is_null_text(const char *s)
{
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static resolved resolve(const scal *v)
{
    resolved r = {.kind = R_STR};
    const char *s = v->s;
    if (v->quoted) return r;
    if (is_null_text(s)) {
        r.kind = R_NULL;
    } else if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        r.kind = R_BOOL;
        r.b = 1;
    } else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
        r.kind = R_BOOL;
    } else if (is_int_text(s)) {
        r.kind = R_INT;
        errno = 0;
        r.i = strtoll(s, NULL, 10);
        r.overflow = errno == ERANGE;
        r.f = r.overflow ? strtod(s, NULL) : (double)r.i;
    } else if (is_float_text(s)) {
        r.kind = R_FLOAT;
        r.f = strtod(s, NULL);
    }
    return r;
}

static const char *node_kind_name(const yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE ? "a mapping" : n->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar";
}

/* The scalar of node n, or an error saying what `label` expected. */
static hpo_status get_scalar(const ctx *c, const char *label, const char *expected,
                             const yaml_node_t *n, scal *out)
{
    if (n->type != YAML_SCALAR_NODE)
        CFG_FAIL(c, HPO_EINVAL, n->start_mark, "%s: got %s; expected %s", label,
                 node_kind_name(n), expected);
    out->s = (const char *)n->data.scalar.value;
    out->len = n->data.scalar.length;
    out->quoted = n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    out->mark = n->start_mark;
    if (strlen(out->s) != out->len)
        CFG_FAIL(c, HPO_EINVAL, n->start_mark, "%s: the text contains a NUL character; expected %s",
                 label, expected);
    return HPO_OK;
}

/* A value converted by a row: c is typed by the row (enum text as written). */
typedef struct value {
    hpo_choice c;
    int idx;                   /* V_ENUM, V_TYPE, V_DIRECTION: index into names */
} value;

static hpo_status check_int_range(const ctx *c, const key_spec *k, const char *label,
                                  int64_t i, yaml_mark_t m)
{
    if (i < k->imin || i > k->imax) {
        char want[320];
        describe(k, want, sizeof want);
        CFG_FAIL(c, HPO_EINVAL, m, "%s: %" PRId64 " is out of range; expected %s", label, i, want);
    }
    return HPO_OK;
}

static hpo_status check_float_range(const ctx *c, const key_spec *k, const char *label,
                                    double f, yaml_mark_t m)
{
    int lo_ok = (k->flags & K_LO_OPEN) ? f > k->fmin : f >= k->fmin;
    int hi_ok = (k->flags & K_HI_OPEN) ? f < k->fmax : f <= k->fmax;
    if (!lo_ok || !hi_ok) {
        char want[320];
        describe(k, want, sizeof want);
        CFG_FAIL(c, HPO_EINVAL, m, "%s: %g is out of range; expected %s", label, f, want);
    }
    return HPO_OK;
}

/* Convert and check one scalar against row k. Strings in out point into v. */
static hpo_status convert(const ctx *c, const key_spec *k, const char *label, const scal *v,
                          value *out)
{
    char want[320];
    resolved r = resolve(v);
    describe(k, want, sizeof want);
    const char *shown = v->s;
    if (v->len == 0 || r.kind == R_NULL)     /* `key:`, `key: ""`, `key: ~`: no type takes it */
        CFG_FAIL(c, HPO_EINVAL, v->mark, "%s: the value is empty%s%s%s; expected %s", label,
                 v->len ? " ('" : "", v->len ? v->s : "", v->len ? "' is YAML's null)" : "", want);
    switch (k->type) {
    case V_INT:
    case V_INT_AUTO:
    case V_SEED:
        if (k->type == V_INT_AUTO && r.kind == R_STR && !strcasecmp(v->s, "auto")) {
            out->c = HPO_INT(0);
            return HPO_OK;
        }
        if (r.kind != R_INT)
            CFG_FAIL(c, HPO_EINVAL, v->mark, "%s: '%.80s' is not an integer; expected %s", label,
                     shown, want);
        if (r.overflow)
            CFG_FAIL(c, HPO_EINVAL, v->mark,
                     "%s: %.80s does not fit in a 64-bit integer [%" PRId64 ", %" PRId64 "]; expected %s",
                     label, v->s, INT64_MIN, INT64_MAX, want);
        if (k->type == V_SEED) {
            if (r.i < 0)
                CFG_FAIL(c, HPO_EINVAL, v->mark, "%s: %" PRId64 " is negative; expected %s", label,
                         r.i, want);
        } else {
            HPO_TRY(check_int_range(c, k, label, r.i, v->mark));
        }
        out->c = HPO_INT(r.i);
        return HPO_OK;
    case V_FLOAT:
        if (r.kind != R_INT && r.kind != R_FLOAT)
            CFG_FAIL(c, HPO_EINVAL, v->mark, "%s: '%.80s' is not a number; expected %s", label,
                     shown, want);
        if (!isfinite(r.f))
            CFG_FAIL(c, HPO_EINVAL, v->mark, "%s: %.80s is too large for a double; expected %s",
                     label, v->s, want);
        HPO_TRY(check_float_range(c, k, label, r.f, v->mark));
        out->c = HPO_FLOAT(r.f);
        return HPO_OK;
    case V_BOOL:
        if (r.kind != R_BOOL)
            CFG_FAIL(c, HPO_EINVAL, v->mark, "%s: '%.80s' is not a boolean; expected %s", label,
                     shown, want);
        out->c = HPO_BOOL(r.b);
        return HPO_OK;
    case V_STR:
        out->c = HPO_STR(v->s);
        return HPO_OK;
    case V_ENUM:
    case V_TYPE:
    case V_DIRECTION: {
        size_t n = count_names(k->names);
        for (size_t i = 0; i < n; i++)
            if (r.kind == R_STR && !strcasecmp(v->s, k->names[i])) {
                out->c = HPO_STR(v->s);
                out->idx = (int)i;
                return HPO_OK;
            }
        const char *near = nearest(v->s, k->names, n);
        if (near)
            CFG_FAIL(c, HPO_EINVAL, v->mark, "%s: unknown value '%.80s'; did you mean '%s'? expected %s",
                     label, shown, near, want);
        CFG_FAIL(c, HPO_EINVAL, v->mark, "%s: unknown value '%.80s'; expected %s", label, shown, want);
    }
    }
    CFG_FAIL(c, HPO_EINVAL, v->mark, "%s: unsupported key type", label);
}

/* Write a converted value into the config field of row k. */
static hpo_status store(hpo_config *cfg, const key_spec *k, const value *v)
{
    char *base = (char *)cfg;
    switch (k->type) {
    case V_INT:
    case V_INT_AUTO: *(int64_t *)(void *)(base + k->off) = v->c.v.i; break;
    case V_SEED:
        *(uint64_t *)(void *)(base + k->off) = (uint64_t)v->c.v.i;
        if (k->flags & K_HAS) *(int *)(void *)(base + k->has_off) = 1;
        break;
    case V_FLOAT: *(double *)(void *)(base + k->off) = v->c.v.f; break;
    case V_BOOL: *(int *)(void *)(base + k->off) = v->c.v.b; break;
    case V_STR: {
        char **dst = (char **)(void *)(base + k->off);
        char *s = hpo_strdup(v->c.v.s);
        CFG_NOMEM(s);
        hpo_free(*dst);
        *dst = s;
        break;
    }
    case V_ENUM: *(int *)(void *)(base + k->off) = v->idx; break;
    case V_TYPE: *(const char **)(void *)(base + k->off) = k->names[v->idx]; break;
    case V_DIRECTION:
        *(hpo_direction *)(void *)(base + k->off) = v->idx ? HPO_MAXIMIZE : HPO_MINIMIZE;
        break;
    }
    return HPO_OK;
}

/* A row's default, parsed like a value from the file (mark: where the section is). */
static hpo_status default_value(const ctx *c, const key_spec *k, const char *label,
                                yaml_mark_t m, value *out)
{
    scal v = {.s = k->def, .len = strlen(k->def), .quoted = 0, .mark = m};
    return convert(c, k, label, &v, out);
}

/* ---- Mappings ------------------------------------------------------------ */

static yaml_node_t *node(const ctx *c, int i) { return yaml_document_get_node(c->doc, i); }

static size_t map_size(const yaml_node_t *m)
{
    return m->type == YAML_MAPPING_NODE ? (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start) : 0;
}

static yaml_node_t *pair_key(const ctx *c, const yaml_node_t *m, size_t i)
{
    return node(c, m->data.mapping.pairs.start[i].key);
}

static yaml_node_t *pair_value(const ctx *c, const yaml_node_t *m, size_t i)
{
    return node(c, m->data.mapping.pairs.start[i].value);
}

static const char *key_text(const yaml_node_t *k) { return (const char *)k->data.scalar.value; }

/* Check the keys of mapping m (in `where`): each a plain string, none
 * repeated, each one of `known`. The first problem is the error. */
static hpo_status check_keys(const ctx *c, const char *where, const yaml_node_t *m,
                             const char *const *known, size_t n_known)
{
    for (size_t i = 0; i < map_size(m); i++) {
        const yaml_node_t *k = pair_key(c, m, i);
        scal s;
        HPO_TRY(get_scalar(c, where, "a key name", k, &s));
        for (size_t j = 0; j < i; j++) {
            const yaml_node_t *prev = pair_key(c, m, j);
            if (!strcmp(key_text(prev), s.s))
                CFG_FAIL(c, HPO_ESYNTAX, k->start_mark,
                         "%s: duplicate key '%.80s' (first at %zu:%zu); expected each key once",
                         where, s.s, prev->start_mark.line + 1, prev->start_mark.column + 1);
        }
        int found = 0;
        for (size_t j = 0; j < n_known && !found; j++) found = !strcmp(known[j], s.s);
        if (found) continue;
        char list[512];
        join(list, sizeof list, known, n_known);
        const char *near = nearest(s.s, known, n_known);
        if (near)
            CFG_FAIL(c, HPO_EINVAL, k->start_mark,
                     "%s: unknown key '%.80s'; did you mean '%s'? expected one of %s", where, s.s,
                     near, list);
        /* A key put in the wrong section: say where it belongs. */
        for (size_t sec = 0; sec < N_SECTIONS && !strchr(where, '.'); sec++)
            for (size_t r = 0; r < k_sections[sec].n_keys; r++)
                if (!strcmp(k_sections[sec].keys[r].name, s.s) && strcmp(k_sections[sec].name, where))
                    CFG_FAIL(c, HPO_EINVAL, k->start_mark,
                             "%s: unknown key '%.80s'; did you mean to put it in section '%s'? "
                             "expected one of %s", where, s.s, k_sections[sec].name, list);
        CFG_FAIL(c, HPO_EINVAL, k->start_mark, "%s: unknown key '%.80s'; expected one of %s", where,
                 s.s, list);
    }
    return HPO_OK;
}

/* The distinct names of a section's rows (for check_keys). */
static size_t row_names(const section_spec *s, const char **names)
{
    size_t n = 0;
    for (size_t r = 0; r < s->n_keys; r++) {
        size_t j = 0;
        while (j < n && strcmp(names[j], s->keys[r].name)) j++;
        if (j == n) names[n++] = s->keys[r].name;
    }
    return n;
}

/* The row of `name` that applies to type mask `mask`, or NULL. */
static const key_spec *find_row(const section_spec *s, const char *name, unsigned mask)
{
    for (size_t r = 0; r < s->n_keys; r++)
        if (!strcmp(s->keys[r].name, name) && (!s->keys[r].types || (s->keys[r].types & mask)))
            return &s->keys[r];
    return NULL;
}

/* A section's node as a mapping: null (`pruner:` with nothing, `pruner: ~`)
 * counts as empty. */
static hpo_status section_mapping(const ctx *c, const section_spec *s, const yaml_node_t *n)
{
    if (n->type == YAML_MAPPING_NODE) return HPO_OK;
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        is_null_text((const char *)n->data.scalar.value))
        return HPO_OK;
    CFG_FAIL(c, HPO_EINVAL, n->start_mark, "%s: got %s; expected a mapping of keys, e.g. %s",
             s->name, node_kind_name(n), s->example);
}

/* Sections study, sampler, pruner, data: scalars into config fields. */
static hpo_status parse_section(const ctx *c, const section_spec *s, const yaml_node_t *m)
{
    const char *names[MAX_KEYS];
    char label[128];
    unsigned mask = 0;
    int seen[MAX_KEYS] = {0};

    HPO_TRY(section_mapping(c, s, m));
    HPO_TRY(check_keys(c, s->name, m, names, row_names(s, names)));

    /* The type comes first: it decides which other keys apply. */
    const key_spec *type_row = find_row(s, "type", ~0u);
    const char *type_name = NULL;
    if (type_row) {
        value v = {0};
        size_t i = 0;
        snprintf(label, sizeof label, "%s.type", s->name);
        while (i < map_size(m) && strcmp(key_text(pair_key(c, m, i)), "type")) i++;
        if (i < map_size(m)) {
            scal sv;
            char want[320];
            describe(type_row, want, sizeof want);
            HPO_TRY(get_scalar(c, label, want, pair_value(c, m, i), &sv));
            HPO_TRY(convert(c, type_row, label, &sv, &v));
        } else {
            HPO_TRY(default_value(c, type_row, label, m->start_mark, &v));
        }
        mask = 1u << v.idx;
        type_name = type_row->names[v.idx];
    }

    /* Keys of the other types get their defaults too, so a later switch of
     * type (e.g. `mpihpo run --sampler tpe`) finds sane values. */
    for (size_t r = 0; r < s->n_keys; r++) {
        const key_spec *k = &s->keys[r];
        if (!k->def || !k->types || (k->types & mask)) continue;
        value v = {0};
        snprintf(label, sizeof label, "%s.%s", s->name, k->name);
        HPO_TRY(default_value(c, k, label, m->start_mark, &v));
        HPO_TRY(store(c->cfg, k, &v));
    }

    for (size_t i = 0; i < map_size(m); i++) {
        const yaml_node_t *kn = pair_key(c, m, i);
        const key_spec *k = find_row(s, key_text(kn), mask);
        if (!k) {
            const char *apply[MAX_KEYS];
            size_t n = 0;
            char list[512];
            for (size_t r = 0; r < s->n_keys; r++)
                if (!s->keys[r].types || (s->keys[r].types & mask)) apply[n++] = s->keys[r].name;
            join(list, sizeof list, apply, n);
            const char *const *tn = type_row->names;
            const char *on[8];
            size_t n_on = 0;
            char types[160];
            for (size_t r = 0; r < s->n_keys; r++)
                if (!strcmp(s->keys[r].name, key_text(kn)))
                    for (size_t t = 0; tn[t] && n_on < 8; t++)
                        if (s->keys[r].types & (1u << t)) on[n_on++] = tn[t];
            join(types, sizeof types, on, n_on);
            CFG_FAIL(c, HPO_EINVAL, kn->start_mark,
                     "%s: key '%s' applies to %s type %s, not '%s'; expected one of %s", s->name,
                     key_text(kn), s->name, types, type_name, list);
        }
        snprintf(label, sizeof label, "%s.%s", s->name, k->name);
        char want[320];
        describe(k, want, sizeof want);
        scal sv;
        value v = {0};
        HPO_TRY(get_scalar(c, label, want, pair_value(c, m, i), &sv));
        HPO_TRY(convert(c, k, label, &sv, &v));
        HPO_TRY(store(c->cfg, k, &v));
        seen[k - s->keys] = 1;
    }

    for (size_t r = 0; r < s->n_keys; r++) {
        const key_spec *k = &s->keys[r];
        if (seen[r] || (k->types && !(k->types & mask))) continue;
        snprintf(label, sizeof label, "%s.%s", s->name, k->name);
        if (k->flags & K_REQ) {
            char want[320];
            describe(k, want, sizeof want);
            if (type_name)
                CFG_FAIL(c, HPO_EINVAL, m->start_mark,
                         "%s: missing required key '%s' (%s type '%s'); expected %s: %s", s->name,
                         k->name, s->name, type_name, k->name, want);
            CFG_FAIL(c, HPO_EINVAL, m->start_mark, "%s: missing required key '%s'; expected %s: %s",
                     s->name, k->name, k->name, want);
        }
        if (k->def) {
            value v = {0};
            HPO_TRY(default_value(c, k, label, m->start_mark, &v));
            HPO_TRY(store(c->cfg, k, &v));
        }
    }
    return HPO_OK;
}

/* ---- train: fixed values and distributions ------------------------------- */

/* Prefix a message raised by hpo_dist_* with the mapping's position. */
static hpo_status relocate(const ctx *c, hpo_status st, yaml_mark_t m, const char *label)
{
    char msg[1024];
    if (st == HPO_ENOMEM) return hpo_error_push(st, __FILE__, __LINE__, __func__);
    snprintf(msg, sizeof msg, "%s", hpo_error_message());
    CFG_FAIL(c, st, m, "%s: %s; expected a distribution within Optuna's rules "
             "(low <= high; log needs low > 0, or >= 1 for int; step and log not together)",
             label, msg);
}

/* The `low, high[, q]` list of a distribution, n items; returns their nodes. */
static hpo_status bounds(const ctx *c, const char *label, const yaml_node_t *seq, size_t n,
                         const char *expected, yaml_node_t **items)
{
    size_t have = seq->type == YAML_SEQUENCE_NODE
                      ? (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start) : 0;
    if (seq->type != YAML_SEQUENCE_NODE || have != n)
        CFG_FAIL(c, HPO_EINVAL, seq->start_mark, "%s: got %s; expected %s", label,
                 seq->type == YAML_SEQUENCE_NODE ? "a list of the wrong length" : node_kind_name(seq),
                 expected);
    for (size_t i = 0; i < n; i++) items[i] = node(c, seq->data.sequence.items.start[i]);
    return HPO_OK;
}

static const key_spec k_any_int = {.name = "int", .type = V_INT, .imin = INT64_MIN, .imax = INT64_MAX};
static const key_spec k_any_float = {.name = "float", .type = V_FLOAT, F_ANY};
static const key_spec k_pos_float = {.name = "step", .type = V_FLOAT, .flags = K_LO_OPEN, .fmin = 0,
                                     .fmax = HUGE_VAL};
static const key_spec k_pos_int = {.name = "step", .type = V_INT, INT_GE(1)};
static const key_spec k_bool = {.name = "bool", .type = V_BOOL};
static const key_spec k_str = {.name = "name", .type = V_STR};

/* One scalar node through a row, with a label. */
static hpo_status node_value(const ctx *c, const key_spec *k, const char *label,
                             const yaml_node_t *n, value *out)
{
    char want[320];
    scal s;
    describe(k, want, sizeof want);
    HPO_TRY(get_scalar(c, label, want, n, &s));
    return convert(c, k, label, &s, out);
}

/* The categorical choices of `seq`, each with its own YAML type and checked
 * against the key's row k. Builds p->dist. */
static hpo_status categorical(const ctx *c, const key_spec *k, const char *label,
                              const yaml_node_t *seq, const yaml_node_t *map, hpo_param_spec *p)
{
    if (seq->type != YAML_SEQUENCE_NODE || seq->data.sequence.items.top == seq->data.sequence.items.start)
        CFG_FAIL(c, HPO_EINVAL, seq->start_mark,
                 "%s: categorical needs a non-empty list; expected e.g. {categorical: [a, b]}", label);
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    hpo_choice *ch = hpo_calloc(n, sizeof *ch);
    CFG_NOMEM(ch);
    hpo_status st = HPO_OK;
    for (size_t i = 0; i < n && st == HPO_OK; i++) {
        const yaml_node_t *it = node(c, seq->data.sequence.items.start[i]);
        char want[320];
        scal s;
        value v = {0};
        describe(k, want, sizeof want);
        if ((st = get_scalar(c, label, want, it, &s)) != HPO_OK) break;
        if ((st = convert(c, k, label, &s, &v)) != HPO_OK) break;  /* the key's rules */
        if (k->type == V_ENUM)          /* names ignore case: [Adam, adam] is one optimizer twice */
            for (size_t j = 0; j < i; j++)
                if (ch[j].type == HPO_CHOICE_STR && !strcasecmp(ch[j].v.s, s.s) && strcmp(ch[j].v.s, s.s)) {
                    st = cfg_raise(c, HPO_EINVAL, it->start_mark, __FILE__, __LINE__, __func__,
                                  "%s: '%.80s' is '%.80s' again (names ignore case); expected each choice once",
                                  label, s.s, ch[j].v.s);
                    break;
                }
        if (st != HPO_OK) break;
        resolved r = resolve(&s);                                   /* its own type */
        switch (r.kind) {
        case R_INT: ch[i] = HPO_INT(r.i); break;
        case R_FLOAT: ch[i] = HPO_FLOAT(r.f); break;
        case R_BOOL: ch[i] = HPO_BOOL(r.b); break;
        default: ch[i] = HPO_STR(s.s); break;
        }
    }
    if (st == HPO_OK) {
        st = hpo_dist_cat(&p->dist, p->name, ch, n);
        if (st != HPO_OK) st = relocate(c, st, map->start_mark, label);
        else p->is_dist = 1;
    }
    hpo_free(ch);
    return st;
}

/* "FILE:L:C: " + the constructor's warning, into p->warning. Frees w. */
static hpo_status keep_warning(const ctx *c, hpo_param_spec *p, yaml_mark_t m, char *w)
{
    if (!w) return HPO_OK;
    size_t n = strlen(c->file) + strlen(w) + 64;
    p->warning = hpo_malloc(n);
    if (p->warning)
        snprintf(p->warning, n, "%s:%zu:%zu: %s", c->file, m.line + 1, m.column + 1, w);
    hpo_free(w);
    CFG_NOMEM(p->warning);
    return HPO_OK;
}

/* A distribution mapping for train key k into p (p->name already set to the key). */
static hpo_status parse_dist(const ctx *c, const key_spec *k, const char *label,
                             const yaml_node_t *m, hpo_param_spec *p)
{
    const yaml_node_t *part[N_OF(k_dist_keys)] = {0};
    const yaml_node_t *part_key[N_OF(k_dist_keys)] = {0};
    int kind = -1;
    char kinds[160];

    join(kinds, sizeof kinds, k_dist_keys, D_N_KINDS);
    HPO_TRY(check_keys(c, label, m, k_dist_keys, N_OF(k_dist_keys)));
    for (size_t i = 0; i < map_size(m); i++) {
        const yaml_node_t *kn = pair_key(c, m, i);
        size_t j = 0;
        while (strcmp(k_dist_keys[j], key_text(kn))) j++;
        part[j] = pair_value(c, m, i);
        part_key[j] = kn;
        if (j < D_N_KINDS) {
            if (kind >= 0)
                CFG_FAIL(c, HPO_EINVAL, kn->start_mark,
                         "%s: both '%s' and '%s' given; expected exactly one of %s", label,
                         k_dist_keys[kind], k_dist_keys[j], kinds);
            kind = (int)j;
        }
    }
    if (kind < 0)
        CFG_FAIL(c, HPO_EINVAL, m->start_mark,
                 "%s: a mapping must give a distribution; expected one of %s (e.g. {int: [1, 3]})",
                 label, kinds);

    /* Does this kind give values of the key's type? */
    int ok = kind == D_CAT || (k->type == V_INT && kind == D_INT) ||
             (k->type == V_FLOAT && kind != D_INT);
    if (!ok) {
        const char *hint = k->type == V_INT ? "{int: [lo, hi]} or {categorical: [...]}"
                         : k->type == V_FLOAT ? "{float: [lo, hi]} or {categorical: [...]}"
                                              : "{categorical: [...]}";
        char want[320];
        describe(k, want, sizeof want);
        CFG_FAIL(c, HPO_EINVAL, part_key[kind]->start_mark,
                 "%s: a '%s' distribution cannot give %s; expected %s", label, k_dist_keys[kind],
                 want, hint);
    }
    for (int j = D_LOG; j <= D_STEP; j++)
        if (part[j] && kind != D_FLOAT && kind != D_INT)
            CFG_FAIL(c, HPO_EINVAL, part_key[j]->start_mark,
                     "%s: '%s' does not apply to a '%s' distribution; expected it with float or int only",
                     label, k_dist_keys[j], k_dist_keys[kind]);

    char sub[160];
    if (part[D_NAME]) {                 /* name */
        value v;
        snprintf(sub, sizeof sub, "%s.name", label);
        HPO_TRY(node_value(c, &k_str, sub, part[D_NAME], &v));
        char *s = hpo_strdup(v.c.v.s);
        CFG_NOMEM(s);
        hpo_free(p->name);
        p->name = s;
    }
    if (part[D_PER_LAYER]) {                 /* per_layer */
        value v;
        snprintf(sub, sizeof sub, "%s.per_layer", label);
        HPO_TRY(node_value(c, &k_bool, sub, part[D_PER_LAYER], &v));
        if (v.c.v.b && !(k->flags & K_PER_LAYER))
            CFG_FAIL(c, HPO_EINVAL, part_key[D_PER_LAYER]->start_mark,
                     "%s: per_layer is only allowed on n_units; expected it removed", label);
        p->per_layer = v.c.v.b;
    }
    if (kind == D_CAT) return categorical(c, k, label, part[D_CAT], m, p);

    int log = kind == D_LOGUNIFORM;
    if (part[D_LOG]) {
        value v;
        snprintf(sub, sizeof sub, "%s.log", label);
        HPO_TRY(node_value(c, &k_bool, sub, part[D_LOG], &v));
        log = v.c.v.b;
    }
    yaml_node_t *b[3];
    char *warning = NULL;
    hpo_status st;
    snprintf(sub, sizeof sub, "%s.%s", label, k_dist_keys[kind]);
    if (kind == D_INT) {
        value lo, hi, step = {.c = HPO_INT(1)};
        HPO_TRY(bounds(c, sub, part[kind], 2, "[low, high] with two integers", b));
        HPO_TRY(node_value(c, &k_any_int, sub, b[0], &lo));
        HPO_TRY(node_value(c, &k_any_int, sub, b[1], &hi));
        if (part[D_STEP]) {
            snprintf(sub, sizeof sub, "%s.step", label);
            HPO_TRY(node_value(c, &k_pos_int, sub, part[D_STEP], &step));
        }
        st = hpo_dist_int(&p->dist, p->name, lo.c.v.i, hi.c.v.i, step.c.v.i, log, &warning);
        if (st != HPO_OK) return relocate(c, st, m->start_mark, label);
        p->is_dist = 1;
        HPO_TRY(keep_warning(c, p, m->start_mark, warning));
        /* The key's own range, after Optuna's rules (so those speak first). */
        HPO_TRY(check_int_range(c, k, label, p->dist.ilo, b[0]->start_mark));
        HPO_TRY(check_int_range(c, k, label, p->dist.ihi, b[1]->start_mark));
        return HPO_OK;
    }
    /* float, uniform, loguniform, discrete_uniform */
    value lo, hi, step = {.c = HPO_FLOAT(0)};
    size_t nb = kind == D_DISCRETE ? 3 : 2;
    HPO_TRY(bounds(c, sub, part[kind], nb,
                   nb == 3 ? "[low, high, q] with three numbers" : "[low, high] with two numbers", b));
    HPO_TRY(node_value(c, &k_any_float, sub, b[0], &lo));
    HPO_TRY(node_value(c, &k_any_float, sub, b[1], &hi));
    if (nb == 3) HPO_TRY(node_value(c, &k_pos_float, sub, b[2], &step));
    if (part[D_STEP]) {
        snprintf(sub, sizeof sub, "%s.step", label);
        HPO_TRY(node_value(c, &k_pos_float, sub, part[D_STEP], &step));
    }
    st = hpo_dist_float(&p->dist, p->name, lo.c.v.f, hi.c.v.f, step.c.v.f, log, &warning);
    if (st != HPO_OK) return relocate(c, st, m->start_mark, label);
    p->is_dist = 1;
    HPO_TRY(keep_warning(c, p, m->start_mark, warning));
    HPO_TRY(check_float_range(c, k, label, p->dist.flo, b[0]->start_mark));
    HPO_TRY(check_float_range(c, k, label, p->dist.fhi, b[1]->start_mark));
    return HPO_OK;
}

/* A fixed value of train key k into p. */
static hpo_status fixed_value(const ctx *c, const key_spec *k, const char *label, const scal *s,
                              hpo_param_spec *p)
{
    value v = {0};
    HPO_TRY(convert(c, k, label, s, &v));
    p->fixed = v.c;
    if (v.c.type == HPO_CHOICE_STR) {
        p->fixed.v.s = NULL;          /* owned string, set below */
        char *dup = hpo_strdup(v.c.v.s);
        CFG_NOMEM(dup);
        p->fixed.v.s = dup;
    }
    return HPO_OK;
}

static hpo_status parse_train(const ctx *c, const yaml_node_t *m)
{
    const section_spec *s = &k_sections[SEC_TRAIN];
    const char *names[MAX_KEYS];
    char label[128];
    hpo_config *cfg = c->cfg;

    HPO_TRY(section_mapping(c, s, m));
    HPO_TRY(check_keys(c, s->name, m, names, row_names(s, names)));
    cfg->train = hpo_calloc(s->n_keys, sizeof *cfg->train);
    CFG_NOMEM(cfg->train);

    for (size_t i = 0; i < map_size(m); i++) {
        const yaml_node_t *kn = pair_key(c, m, i), *vn = pair_value(c, m, i);
        const key_spec *k = find_row(s, key_text(kn), ~0u);
        hpo_param_spec *p = &cfg->train[cfg->n_train++];   /* zeroed: destroy copes */
        p->key = k->name;
        p->line = (int)kn->start_mark.line + 1;
        p->col = (int)kn->start_mark.column + 1;
        p->name = hpo_strdup(k->name);
        CFG_NOMEM(p->name);
        snprintf(label, sizeof label, "train.%s", k->name);
        if (vn->type == YAML_MAPPING_NODE) {
            HPO_TRY(parse_dist(c, k, label, vn, p));
        } else {
            char want[320], full[400];
            scal sv;
            describe(k, want, sizeof want);
            snprintf(full, sizeof full, "%s or a distribution mapping", want);
            HPO_TRY(get_scalar(c, label, full, vn, &sv));
            HPO_TRY(fixed_value(c, k, label, &sv, p));
        }
    }
    for (size_t r = 0; r < s->n_keys; r++) {
        const key_spec *k = &s->keys[r];
        if (hpo_config_train(cfg, k->name)) continue;
        if (k->flags & K_REQ) {
            char want[320];
            describe(k, want, sizeof want);
            CFG_FAIL(c, HPO_EINVAL, m->start_mark,
                     "train: missing required key '%s'; expected %s: %s or a distribution such as "
                     "{int: [lo, hi]}", k->name, k->name, want);
        }
        hpo_param_spec *p = &cfg->train[cfg->n_train++];
        p->key = k->name;
        p->name = hpo_strdup(k->name);
        CFG_NOMEM(p->name);
        snprintf(label, sizeof label, "train.%s", k->name);
        scal sv = {.s = k->def, .len = strlen(k->def), .mark = m->start_mark};
        HPO_TRY(fixed_value(c, k, label, &sv, p));
    }
    /* Two distributions with one name would be one parameter with two definitions. */
    for (size_t i = 0; i < cfg->n_train; i++)
        for (size_t j = 0; j < i; j++) {
            const hpo_param_spec *a = &cfg->train[j], *b = &cfg->train[i];
            if (a->is_dist && b->is_dist && !strcmp(a->name, b->name)) {
                yaml_mark_t mk = {.line = (size_t)b->line - 1, .column = (size_t)b->col - 1};
                CFG_FAIL(c, HPO_EINVAL, mk,
                         "train.%s: parameter name '%s' is already used by train.%s (line %d); "
                         "expected different names", b->key, b->name, a->key, a->line);
            }
        }
    return HPO_OK;
}

/* ---- Whole file ---------------------------------------------------------- */

/* Optuna's cross-key rules, checked after the sections. */
static hpo_status check_rules(const ctx *c, const yaml_node_t *const *sec)
{
    const hpo_config *cfg = c->cfg;
    if (cfg->sampler.group && !cfg->sampler.multivariate)
        CFG_FAIL(c, HPO_EINVAL, sec[SEC_SAMPLER]->start_mark,
                 "sampler: group: true needs multivariate: true; expected multivariate: true or group: false");
    if (cfg->pruner.bootstrap_count > 0 && cfg->pruner.min_resource == 0)
        CFG_FAIL(c, HPO_EINVAL, sec[SEC_PRUNER]->start_mark,
                 "pruner: bootstrap_count > 0 needs min_resource set; expected min_resource: <integer>");
    if (cfg->pruner.max_resource && cfg->pruner.min_resource > cfg->pruner.max_resource)
        CFG_FAIL(c, HPO_EINVAL, sec[SEC_PRUNER]->start_mark,
                 "pruner: min_resource %" PRId64 " > max_resource %" PRId64
                 "; expected min_resource <= max_resource", cfg->pruner.min_resource,
                 cfg->pruner.max_resource);
    return HPO_OK;
}

/* Length of the directory part of path, with its slash ("jobs/" -> 5). */
static size_t dir_len(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? (size_t)(slash - path) + 1 : 0;
}

static hpo_status default_name(const ctx *c, const char *path)
{
    hpo_config *cfg = c->cfg;
    if (cfg->study.name) return HPO_OK;
    const char *base = path ? path + dir_len(path) : "study";
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n == 0) { base = "study"; n = 5; }
    cfg->study.name = hpo_strndup(base, n);
    CFG_NOMEM(cfg->study.name);
    return HPO_OK;
}

/* data.path: study directory first, then the current directory (config.h). */
static hpo_status resolve_data_path(const ctx *c, const char *path)
{
    hpo_config *cfg = c->cfg;
    char *given = cfg->data.path;
    size_t d = dir_len(path);
    if (given[0] == '/' || d == 0) return HPO_OK;
    size_t n = d + strlen(given) + 1;
    char *cand = hpo_malloc(n);
    CFG_NOMEM(cand);
    memcpy(cand, path, d);
    memcpy(cand + d, given, n - d);
    if (access(cand, F_OK) == 0 || access(given, F_OK) != 0) {
        hpo_free(given);
        cfg->data.path = cand;
    } else {
        hpo_free(cand);
    }
    return HPO_OK;
}

static hpo_status parse_root(const ctx *c, const char *path)
{
    const yaml_node_t *root = yaml_document_get_root_node(c->doc);
    yaml_mark_t top = {0};
    if (!root || (root->type == YAML_SCALAR_NODE && root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                  root->data.scalar.length == 0))
        CFG_FAIL(c, HPO_EINVAL, root ? root->start_mark : top,
                 "the study file is empty; expected a mapping with sections study, data and train");
    if (root->type != YAML_MAPPING_NODE)
        CFG_FAIL(c, HPO_EINVAL, root->start_mark,
                 "the top level is %s; expected a mapping with sections study, data and train "
                 "(sampler and pruner optional)", node_kind_name(root));

    const char *names[N_SECTIONS];
    const yaml_node_t *sec[N_SECTIONS] = {0};
    for (size_t i = 0; i < N_SECTIONS; i++) names[i] = k_sections[i].name;
    HPO_TRY(check_keys(c, "top level", root, names, N_SECTIONS));
    for (size_t i = 0; i < map_size(root); i++) {
        const char *key = key_text(pair_key(c, root, i));
        size_t j = 0;
        while (strcmp(names[j], key)) j++;
        sec[j] = pair_value(c, root, i);
        if (j == SEC_TRAIN) HPO_TRY(parse_train(c, sec[j]));
        else HPO_TRY(parse_section(c, &k_sections[j], sec[j]));
    }
    for (size_t j = 0; j < N_SECTIONS; j++) {
        if (sec[j]) continue;
        if (k_sections[j].required)
            CFG_FAIL(c, HPO_EINVAL, root->start_mark, "missing required section '%s'; expected e.g. %s",
                     names[j], k_sections[j].example);
        /* An absent optional section is an empty one: all defaults. */
        yaml_node_t empty = {.type = YAML_SCALAR_NODE, .start_mark = root->start_mark};
        empty.data.scalar.value = (yaml_char_t *)"";
        empty.data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
        HPO_TRY(parse_section(c, &k_sections[j], &empty));
        sec[j] = root;
    }
    HPO_TRY(check_rules(c, sec));
    HPO_TRY(default_name(c, path));
    HPO_TRY(resolve_data_path(c, path));
    return HPO_OK;
}

/* line:column of byte offset off in text (libyaml reader errors give only the offset). */
static yaml_mark_t offset_mark(const char *text, size_t len, size_t off)
{
    yaml_mark_t m = {0};
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') { m.line++; m.column = 0; }
        else m.column++;
    }
    return m;
}

static hpo_status yaml_failure(const ctx *c, const yaml_parser_t *ps, const char *text, size_t len)
{
    if (ps->error == YAML_MEMORY_ERROR)
        HPO_FAIL(HPO_ENOMEM, "out of memory in libyaml reading %s", c->file);
    const char *problem = ps->problem ? ps->problem : "cannot parse";
    if (ps->error == YAML_READER_ERROR)
        CFG_FAIL(c, HPO_ESYNTAX, offset_mark(text, len, ps->problem_offset),
                 "%s (byte 0x%02x); expected UTF-8 text", problem, (unsigned)ps->problem_value & 0xffu);
    if (ps->context)
        CFG_FAIL(c, HPO_ESYNTAX, ps->problem_mark,
                 "%s, %s at %zu:%zu; expected valid YAML (check indentation, colons and brackets)",
                 problem, ps->context, ps->context_mark.line + 1, ps->context_mark.column + 1);
    CFG_FAIL(c, HPO_ESYNTAX, ps->problem_mark,
             "%s; expected valid YAML (check indentation, colons and brackets)", problem);
}

/* Parse text (owned: moved into the config, freed on failure). */
/* A study file is small; a hostile one nested thousands of levels deep
 * makes libyaml's loader take quadratic time. Refuse deep flow nesting
 * ([ and {) before loading. Quotes and comments are skipped roughly, which
 * can only make the count larger, never hide nesting. */
#define MAX_NESTING 64
static int nesting_line(const char *text, size_t len)
{
    int depth = 0, line = 1;
    char q = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == '\n') { line++; q = 0; continue; }   /* quotes and comments end with the line */
        if (q) { if (ch == q && q != '#') q = 0; continue; }
        if (ch == '"' || ch == '\'') { q = ch; continue; }
        if (ch == '#') { q = '#'; continue; }
        if (ch == '[' || ch == '{') { if (++depth > MAX_NESTING) return line; }
        else if ((ch == ']' || ch == '}') && depth > 0) depth--;
    }
    return 0;
}

static hpo_status load_owned(char *text, size_t len, const char *name, hpo_config **out)
{
    int deep = nesting_line(text, len);
    if (deep) {
        hpo_free(text);
        HPO_FAIL(HPO_ESYNTAX, "%s:%d: nested deeper than %d levels of [ ] or { }; a study file is "
                 "a few flat sections", name ? name : "<string>", deep, MAX_NESTING);
    }
    hpo_status st = HPO_OK;
    yaml_parser_t ps;
    yaml_document_t doc, extra;
    int have_parser = 0, have_doc = 0;
    ctx c = {.file = name ? name : "<string>", .doc = &doc};

    c.cfg = hpo_calloc(1, sizeof *c.cfg);
    if (!c.cfg) {
        hpo_free(text);
        HPO_FAIL(HPO_ENOMEM, "out of memory reading %s", c.file);
    }
    c.cfg->text = text;
    if (name) {
        c.cfg->path = hpo_strdup(name);
        HPO_CHECK_GOTO(c.cfg->path, done, HPO_ENOMEM, "out of memory reading %s", c.file);
    }
    HPO_CHECK_GOTO(yaml_parser_initialize(&ps), done, HPO_ENOMEM, "out of memory in libyaml");
    have_parser = 1;
    yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
    if (!yaml_parser_load(&ps, &doc)) {
        st = yaml_failure(&c, &ps, text, len);
        goto done;
    }
    have_doc = 1;
    if (yaml_document_get_root_node(&doc)) {   /* one document only */
        if (!yaml_parser_load(&ps, &extra)) {
            st = yaml_failure(&c, &ps, text, len);
            goto done;
        }
        yaml_node_t *r2 = yaml_document_get_root_node(&extra);
        yaml_mark_t m2 = r2 ? r2->start_mark : extra.start_mark;
        yaml_document_delete(&extra);
        if (r2) {
            st = cfg_raise(&c, HPO_ESYNTAX, m2, __FILE__, __LINE__, __func__,
                           "a second YAML document; expected one document per study file");
            goto done;
        }
    }
    HPO_TRY_GOTO(parse_root(&c, name), done);

done:
    if (have_doc) yaml_document_delete(&doc);
    if (have_parser) yaml_parser_delete(&ps);
    if (st != HPO_OK) hpo_config_destroy(&c.cfg);
    else *out = c.cfg;
    return st;
}

hpo_status hpo_config_load_string(const char *text, const char *name, hpo_config **out)
{
    HPO_CHECK(text != NULL, HPO_EINVAL, "hpo_config_load_string: argument 1 'text' is NULL");
    HPO_CHECK(out != NULL, HPO_EINVAL, "hpo_config_load_string: argument 3 'out' is NULL");
    size_t len = strlen(text);
    char *copy = hpo_strndup(text, len);
    HPO_CHECK(copy != NULL, HPO_ENOMEM, "out of memory copying the study text");
    HPO_TRY(load_owned(copy, len, name, out));
    return HPO_OK;
}

hpo_status hpo_config_load(const char *path, hpo_config **out)
{
    HPO_CHECK(path != NULL, HPO_EINVAL, "hpo_config_load: argument 1 'path' is NULL");
    HPO_CHECK(out != NULL, HPO_EINVAL, "hpo_config_load: argument 2 'out' is NULL");
    FILE *f = fopen(path, "rb");
    HPO_CHECK(f != NULL, HPO_EIO, "%s: cannot open the study file: %s; expected a readable YAML file",
              path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = hpo_malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - 1 - len, f);
        if (len < cap - 1) break;
        char *bigger = hpo_realloc(buf, cap * 2);
        if (!bigger) { hpo_free(buf); buf = NULL; break; }
        buf = bigger;
        cap *= 2;
    }
    int err = ferror(f) ? errno : 0;
    fclose(f);
    HPO_CHECK(buf != NULL, HPO_ENOMEM, "out of memory reading %s", path);
    if (err) {
        hpo_free(buf);
        HPO_FAIL(HPO_EIO, "%s: cannot read the study file: %s", path, strerror(err));
    }
    buf[len] = '\0';
    HPO_TRY(load_owned(buf, len, path, out));
    return HPO_OK;
}

const hpo_param_spec *hpo_config_train(const hpo_config *c, const char *key)
{
    if (!c || !key) return NULL;
    for (size_t i = 0; i < c->n_train; i++)
        if (c->train[i].key && !strcmp(c->train[i].key, key)) return &c->train[i];
    return NULL;
}

hpo_status hpo_config_set_trials(hpo_config *c, int64_t trials)
{
    HPO_CHECK(c != NULL, HPO_EINVAL, "hpo_config_set_trials: argument 1 'c' is NULL");
    HPO_CHECK(trials >= 1, HPO_EINVAL, "trials: %" PRId64 " is out of range; expected an integer >= 1",
              trials);
    c->study.trials = trials;
    return HPO_OK;
}

hpo_status hpo_config_set_seed(hpo_config *c, uint64_t seed)
{
    HPO_CHECK(c != NULL, HPO_EINVAL, "hpo_config_set_seed: argument 1 'c' is NULL");
    HPO_CHECK(seed <= (uint64_t)INT64_MAX, HPO_EINVAL,
              "seed: %" PRIu64 " is out of range; expected an integer in [0, %" PRId64 "]", seed, INT64_MAX);
    c->study.seed = seed;
    c->study.has_seed = 1;
    return HPO_OK;
}

void hpo_config_destroy(hpo_config **cp)
{
    if (!cp || !*cp) return;
    hpo_config *c = *cp;
    for (size_t i = 0; i < c->n_train; i++) {
        hpo_param_spec *p = &c->train[i];
        hpo_free(p->name);
        hpo_free(p->warning);
        if (p->is_dist) hpo_dist_clear(&p->dist);
        else if (p->fixed.type == HPO_CHOICE_STR) hpo_free((void *)p->fixed.v.s);
    }
    hpo_free(c->train);
    hpo_free(c->data.path);
    hpo_free(c->data.target);
    hpo_free(c->study.name);
    hpo_free(c->study.storage);
    hpo_free(c->text);
    hpo_free(c->path);
    hpo_free(c);
    *cp = NULL;
}

void hpo_config_print_keys(FILE *f)
{
    fprintf(f, "Study file keys. Sections study, data and train are required; sampler and pruner\n"
               "are optional. Keys marked [types] apply only to those values of `type`.\n"
               "Every train key takes a fixed value or a distribution mapping:\n"
               "  {float: [lo, hi], log: bool, step: x}   {int: [lo, hi], log: bool, step: k}\n"
               "  {categorical: [a, b, ...]}   {uniform: [lo, hi]}   {loguniform: [lo, hi]}\n"
               "  {discrete_uniform: [lo, hi, q]}   plus name: <parameter name>, and per_layer: true\n"
               "  on n_units (one parameter n_units_l<i> per layer).\n");
    for (size_t s = 0; s < N_SECTIONS; s++) {
        const section_spec *sec = &k_sections[s];
        fprintf(f, "\n%s:%s\n", sec->name, sec->required ? "" : " (optional)");
        for (size_t r = 0; r < sec->n_keys; r++) {
            const key_spec *k = &sec->keys[r];
            char key[96], want[320], types[160] = "";
            const char *const *tn = s == SEC_SAMPLER ? k_sampler_types : s == SEC_PRUNER ? k_pruner_types : NULL;
            if (k->types && tn) {
                const char *on[8];
                size_t n = 0;
                for (size_t i = 0; tn[i]; i++)
                    if (k->types & (1u << i)) on[n++] = tn[i];
                join(types, sizeof types, on, n);
            }
            snprintf(key, sizeof key, types[0] ? "%s [%s]" : "%s", k->name, types);
            describe(k, want, sizeof want);
            fprintf(f, "  %-40s %s; default: %s\n      %s\n", key, want,
                    (k->flags & K_REQ) ? "required" : k->def ? k->def : k->def_help, k->help);
        }
    }
}
