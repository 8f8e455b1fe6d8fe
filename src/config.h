/* config.h - the study file (YAML, read with libyaml) as a plain struct.
 *
 * Implements: load a study file, check every key and value against one table
 * of known keys per section (the same table prints `mpihpo run --help-config`),
 * build each train distribution with hpo_dist_* so Optuna's rules hold before
 * anything starts. Life cycle: hpo_config_load -> read fields -> destroy.
 *
 * Errors: every failure names FILE:LINE:COL (1-based) and says what was
 * expected. HPO_ESYNTAX: the text is not YAML (libyaml's own problem text and
 * position) or has a duplicate key. HPO_EINVAL: it is YAML but not a valid
 * study (unknown key with the nearest known key, wrong type, out of range, bad
 * distribution, missing section or key, empty file, top level not a mapping).
 * HPO_EIO: the file cannot be read. HPO_ENOMEM. On any failure nothing is
 * allocated and *out is unchanged.
 *
 * Paths: data.path is resolved against the study file's directory unless it is
 * absolute; if nothing exists there but the path exists relative to the
 * current directory, that one is used. So jobs/heart.yaml says
 * `path: ../data/heart.csv` and works from any directory. When neither exists
 * the study-relative path is kept and the CSV reader reports it. study.storage
 * is used as written (relative to the current directory). */
#ifndef HPO_CONFIG_H
#define HPO_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "mpihpo.h"
#include "space.h"

/* One train key. A fixed value has the key's own type (float keys give
 * HPO_CHOICE_FLOAT even when written `1`; enum keys keep the text as written,
 * e.g. "Adam"). A categorical keeps each choice's YAML type: plain true/false
 * -> BOOL, integers -> INT, other numbers -> FLOAT, anything else or quoted ->
 * STR; so a float key's categorical may hold INT choices. */
typedef struct hpo_param_spec {
    const char *key;     /* train key, e.g. "learning_rate" (static string) */
    char *name;          /* parameter name as suggested: the key, or `name:` */
    int is_dist;         /* 0: fixed value in .fixed; 1: distribution in .dist */
    hpo_choice fixed;    /* a STR's text is owned by the config */
    hpo_dist dist;       /* owned by the config */
    int per_layer;       /* n_units only: one parameter per layer, name_l0 .. */
    char *warning;       /* "FILE:L:C: ..." if hpo_dist shrank high to the step grid, else NULL */
    int line, col;       /* where the key is (1-based); 0 for a default */
} hpo_param_spec;

/* Keys of the other sampler/pruner types hold their defaults (0 if none). */
typedef struct hpo_config {
    char *path;          /* the study file, or the name given to load_string (may be NULL) */
    char *text;          /* the whole text (stored in checkpoints) */
    struct {
        char *name;              /* default: the file's basename without extension */
        hpo_direction direction; /* required */
        int64_t trials;          /* >= 1, default 100 */
        double timeout;          /* seconds, 0 = none */
        int has_seed;            /* 0: unseeded (seed is then 0) */
        uint64_t seed;           /* 0 .. INT64_MAX */
        char *storage;           /* checkpoint path, or NULL */
    } study;
    struct {
        const char *type;        /* "tpe" | "random" | "grid" (static string) */
        int64_t startup_trials, ei_candidates;
        int multivariate, group, constant_liar;
        double prior_weight;
        int compat;              /* tpe: 0 none, 1 optuna3 */
    } sampler;
    struct {
        const char *type;        /* "none" | "median" | "percentile" | "successive_halving" | "hyperband" */
        int64_t n_startup_trials, n_warmup_steps, interval_steps, n_min_trials;
        double percentile;
        int64_t min_resource;    /* 0 = auto */
        int64_t max_resource;    /* hyperband; 0 = auto */
        int64_t reduction_factor, min_early_stopping_rate, bootstrap_count;
    } pruner;
    struct {
        char *path;              /* resolved as described above */
        char *target;
        double validation_fraction; /* in (0, 1) */
        int split;               /* 0 sklearn, 1 random */
        uint64_t split_seed;
        int standardize;
        int missing;             /* 0 error, 1 drop, 2 mean, 3 median */
    } data;
    size_t n_train;              /* every train key: file order, then defaults */
    hpo_param_spec *train;       /* (n_train) */
} hpo_config;

/* hpo_config_load - read and check the study file at path.
 * Returns HPO_OK and a new config in *out, or an error as above. */
hpo_status hpo_config_load(const char *path, hpo_config **out);

/* hpo_config_load_string - the same from text (e.g. stored in a checkpoint).
 * name (may be NULL -> "<string>") prefixes messages, gives the default study
 * name and the directory data.path is resolved against. */
hpo_status hpo_config_load_string(const char *text, const char *name, hpo_config **out);

/* The train key `key` ("epochs", ...). Every known key is present (defaults
 * filled in), so NULL means key is not a train key. The pointer lives as long
 * as the config. */
const hpo_param_spec *hpo_config_train(const hpo_config *c, const char *key);

/* Command-line overrides. Return HPO_EINVAL (config unchanged) if out of
 * range: trials >= 1, seed <= INT64_MAX. */
hpo_status hpo_config_set_trials(hpo_config *c, int64_t trials);
hpo_status hpo_config_set_seed(hpo_config *c, uint64_t seed);

/* Frees everything; accepts NULL and *c == NULL; sets *c to NULL. */
void hpo_config_destroy(hpo_config **c);

/* Print every known key per section: types it applies to, value type,
 * default and help (for `mpihpo run --help-config`). */
void hpo_config_print_keys(FILE *f);

#endif
