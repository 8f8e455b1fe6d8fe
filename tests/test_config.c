/* test_config.c - the study file reader (src/config.c): the full example and
 * the two job files load with the right values; defaults; typed categorical
 * choices; int64 edges; data.path resolution; every broken file under
 * tests/data/yaml/ gives its status and a message with FILE:LINE:COL and the
 * expected words; out-of-memory at every allocation leaks nothing. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config.h"
#include "error.h"

#define YAML(name) HPO_TEST_DATA "/yaml/" name
#define JOB(name) HPO_TEST_DATA "/../../jobs/" name

/* The example of design.md / the brief, complete. */
static const char k_example[] =
    "study:    {name: heart, direction: maximize, trials: 100, timeout: 0, seed: 42, storage: heart.h5}\n"
    "sampler:  {type: tpe, startup_trials: 10, ei_candidates: 24, multivariate: false, group: false, constant_liar: true}\n"
    "pruner:   {type: successive_halving, min_resource: 1, reduction_factor: 3, min_early_stopping_rate: 0}\n"
    "data:     {path: data/heart.csv, target: HeartDisease, validation_fraction: 0.2, split: sklearn, split_seed: 42, standardize: true, missing: error}\n"
    "train:\n"
    "  epochs: 30\n"
    "  batch_size: 32\n"
    "  learning_rate: {float: [1.0e-5, 1.0e-1], log: true}\n"
    "  optimizer:     {categorical: [adam, rmsprop, sgd]}\n"
    "  n_layers:      {int: [1, 3]}\n"
    "  n_units:       {int: [4, 128], per_layer: true}   # n_units_l0 .. n_units_l{n_layers-1}\n"
    "  activation:    leaky_relu\n"
    "  output_activation: false\n";

static const char k_minimal[] =
    "study: {direction: minimize}\n"
    "data: {path: /abs/heart.csv, target: y}\n"
    "train: {epochs: 5, n_units: 8}\n";

static hpo_config *load_str(const char *text, const char *name)
{
    hpo_config *c = NULL;
    hpo_status st = hpo_config_load_string(text, name, &c);
    cr_assert_eq(st, HPO_OK, "%s: %s", name ? name : "<string>", hpo_error_message());
    cr_assert_not_null(c);
    return c;
}

static hpo_config *load_file(const char *path)
{
    hpo_config *c = NULL;
    hpo_status st = hpo_config_load(path, &c);
    cr_assert_eq(st, HPO_OK, "%s: %s", path, hpo_error_message());
    cr_assert_not_null(c);
    return c;
}

static const hpo_param_spec *train(const hpo_config *c, const char *key)
{
    const hpo_param_spec *p = hpo_config_train(c, key);
    cr_assert_not_null(p, "train.%s missing", key);
    return p;
}

static void expect_fixed_int(const hpo_config *c, const char *key, int64_t v)
{
    const hpo_param_spec *p = train(c, key);
    cr_expect_eq(p->is_dist, 0, "%s", key);
    cr_expect_eq(p->fixed.type, HPO_CHOICE_INT, "%s", key);
    cr_expect_eq(p->fixed.v.i, v, "%s: %lld", key, (long long)p->fixed.v.i);
}

static void expect_fixed_str(const hpo_config *c, const char *key, const char *v)
{
    const hpo_param_spec *p = train(c, key);
    cr_expect_eq(p->is_dist, 0, "%s", key);
    cr_expect_eq(p->fixed.type, HPO_CHOICE_STR, "%s", key);
    cr_expect_str_eq(p->fixed.v.s, v, "%s", key);
}

static void expect_fixed_bool(const hpo_config *c, const char *key, int v)
{
    const hpo_param_spec *p = train(c, key);
    cr_expect_eq(p->is_dist, 0, "%s", key);
    cr_expect_eq(p->fixed.type, HPO_CHOICE_BOOL, "%s", key);
    cr_expect_eq(p->fixed.v.b, v, "%s", key);
}

static void expect_str_choices(const hpo_param_spec *p, size_t n, ...)
{
    cr_assert_eq(p->is_dist, 1, "%s", p->key);
    cr_assert_eq(p->dist.kind, HPO_DIST_CAT, "%s", p->key);
    cr_assert_eq(p->dist.n_choices, n, "%s: %zu choices", p->key, p->dist.n_choices);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *want = va_arg(ap, const char *);
        cr_expect_eq(p->dist.choices[i].type, HPO_CHOICE_STR);
        cr_expect_str_eq(p->dist.choices[i].v.s, want);
    }
    va_end(ap);
}

Test(config, full_example)
{
    hpo_config *c = load_str(k_example, "jobs/example.yaml");
    cr_expect_str_eq(c->path, "jobs/example.yaml");
    cr_expect_str_eq(c->text, k_example);
    cr_expect_str_eq(c->study.name, "heart");
    cr_expect_eq(c->study.direction, HPO_MAXIMIZE);
    cr_expect_eq(c->study.trials, 100);
    cr_expect_eq(c->study.timeout, 0.0);
    cr_expect_eq(c->study.has_seed, 1);
    cr_expect_eq(c->study.seed, 42);
    cr_expect_str_eq(c->study.storage, "heart.h5");

    cr_expect_str_eq(c->sampler.type, "tpe");
    cr_expect_eq(c->sampler.startup_trials, 10);
    cr_expect_eq(c->sampler.ei_candidates, 24);
    cr_expect_eq(c->sampler.multivariate, 0);
    cr_expect_eq(c->sampler.group, 0);
    cr_expect_eq(c->sampler.constant_liar, 1);
    cr_expect_eq(c->sampler.prior_weight, 1.0);

    cr_expect_str_eq(c->pruner.type, "successive_halving");
    cr_expect_eq(c->pruner.min_resource, 1);
    cr_expect_eq(c->pruner.reduction_factor, 3);
    cr_expect_eq(c->pruner.min_early_stopping_rate, 0);
    cr_expect_eq(c->pruner.bootstrap_count, 0);

    /* jobs/data/heart.csv does not exist; if ./data/heart.csv does, it is used. */
    cr_expect(!strcmp(c->data.path, "jobs/data/heart.csv") || !strcmp(c->data.path, "data/heart.csv"),
              "%s", c->data.path);
    cr_expect_str_eq(c->data.target, "HeartDisease");
    cr_expect_eq(c->data.validation_fraction, 0.2);
    cr_expect_eq(c->data.split, 0);
    cr_expect_eq(c->data.split_seed, 42);
    cr_expect_eq(c->data.standardize, 1);
    cr_expect_eq(c->data.missing, 0);

    cr_assert_eq(c->n_train, 8);
    static const char *const order[] = {"epochs", "batch_size", "learning_rate", "optimizer",
                                        "n_layers", "n_units", "activation", "output_activation"};
    for (size_t i = 0; i < 8; i++) {
        cr_expect_str_eq(c->train[i].key, order[i]);
        cr_expect_str_eq(c->train[i].name, order[i]);
        cr_expect_eq(c->train[i].line, (int)i + 6, "%s at line %d", order[i], c->train[i].line);
        cr_expect_eq(c->train[i].col, 3);
        cr_expect_null(c->train[i].warning);
    }
    expect_fixed_int(c, "epochs", 30);
    expect_fixed_int(c, "batch_size", 32);
    const hpo_param_spec *lr = train(c, "learning_rate");
    cr_expect_eq(lr->is_dist, 1);
    cr_expect_eq(lr->dist.kind, HPO_DIST_FLOAT);
    cr_expect_eq(lr->dist.flo, 1e-5);
    cr_expect_eq(lr->dist.fhi, 1e-1);
    cr_expect_eq(lr->dist.log, 1);
    cr_expect_eq(lr->dist.fstep, 0.0);
    expect_str_choices(train(c, "optimizer"), 3, "adam", "rmsprop", "sgd");
    const hpo_param_spec *nl = train(c, "n_layers");
    cr_expect_eq(nl->dist.kind, HPO_DIST_INT);
    cr_expect_eq(nl->dist.ilo, 1);
    cr_expect_eq(nl->dist.ihi, 3);
    cr_expect_eq(nl->dist.istep, 1);
    cr_expect_eq(nl->dist.log, 0);
    cr_expect_eq(nl->per_layer, 0);
    const hpo_param_spec *nu = train(c, "n_units");
    cr_expect_eq(nu->dist.ilo, 4);
    cr_expect_eq(nu->dist.ihi, 128);
    cr_expect_eq(nu->per_layer, 1);
    expect_fixed_str(c, "activation", "leaky_relu");
    expect_fixed_bool(c, "output_activation", 0);
    cr_expect_null(hpo_config_train(c, "dropout"));
    hpo_config_destroy(&c);
    cr_expect_null(c);
}

Test(config, defaults)
{
    hpo_config *c = load_str(k_minimal, "some/dir/my-study.v2.yaml");
    cr_expect_str_eq(c->study.name, "my-study.v2");
    cr_expect_eq(c->study.direction, HPO_MINIMIZE);
    cr_expect_eq(c->study.trials, 100);
    cr_expect_eq(c->study.timeout, 0.0);
    cr_expect_eq(c->study.has_seed, 0);
    cr_expect_null(c->study.storage);
    cr_expect_str_eq(c->sampler.type, "tpe");
    cr_expect_eq(c->sampler.startup_trials, 10);
    cr_expect_eq(c->sampler.ei_candidates, 24);
    cr_expect_eq(c->sampler.constant_liar, 1);
    cr_expect_eq(c->sampler.prior_weight, 1.0);
    cr_expect_str_eq(c->pruner.type, "none");
    cr_expect_str_eq(c->data.path, "/abs/heart.csv");   /* absolute: as written */
    cr_expect_eq(c->data.validation_fraction, 0.2);
    cr_expect_eq(c->data.split, 0);
    cr_expect_eq(c->data.split_seed, 42);
    cr_expect_eq(c->data.standardize, 0);
    cr_expect_eq(c->data.missing, 0);
    cr_assert_eq(c->n_train, 8);
    cr_expect_str_eq(c->train[0].key, "epochs");        /* file order first ... */
    cr_expect_str_eq(c->train[1].key, "n_units");
    cr_expect_str_eq(c->train[2].key, "batch_size");    /* ... then defaults */
    cr_expect_eq(c->train[2].line, 0);
    expect_fixed_int(c, "batch_size", 32);
    const hpo_param_spec *lr = train(c, "learning_rate");
    cr_expect_eq(lr->fixed.type, HPO_CHOICE_FLOAT);
    cr_expect_eq(lr->fixed.v.f, 0.001);
    expect_fixed_str(c, "optimizer", "adam");
    expect_fixed_int(c, "n_layers", 1);
    expect_fixed_str(c, "activation", "relu");
    expect_fixed_bool(c, "output_activation", 0);
    hpo_config_destroy(&c);

    c = load_str(k_minimal, NULL);                       /* no name */
    cr_expect_str_eq(c->study.name, "study");
    cr_expect_null(c->path);
    hpo_config_destroy(&c);

    /* a section that is YAML's null, spelled any way, is all defaults */
    static const char *nulls[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++) {
        char text[256];
        snprintf(text, sizeof text, "%ssampler: %s\npruner: %s\n", k_minimal, nulls[i], nulls[i]);
        c = load_str(text, NULL);
        cr_expect_str_eq(c->sampler.type, "tpe", "sampler: %s", nulls[i]);
        cr_expect_str_eq(c->pruner.type, "none", "pruner: %s", nulls[i]);
        hpo_config_destroy(&c);
    }
}

Test(config, sampler_pruner_types)
{
    hpo_config *c = load_str("study: {direction: maximize}\n"
                             "sampler: {type: random}\n"
                             "pruner: {type: hyperband}\n"
                             "data: {path: x.csv, target: y}\n"
                             "train: {epochs: 5, n_units: 8}\n", "t.yaml");
    cr_expect_str_eq(c->sampler.type, "random");
    cr_expect_eq(c->sampler.startup_trials, 10);        /* other types' keys keep defaults */
    cr_expect_str_eq(c->pruner.type, "hyperband");
    cr_expect_eq(c->pruner.min_resource, 1);
    cr_expect_eq(c->pruner.max_resource, 0);             /* auto */
    cr_expect_eq(c->pruner.reduction_factor, 3);
    hpo_config_destroy(&c);

    c = load_str("study: {direction: maximize}\n"
                 "pruner: {type: successive_halving}\n"
                 "data: {path: x.csv, target: y}\n"
                 "train: {epochs: 5, n_units: 8}\n", "t.yaml");
    cr_expect_eq(c->pruner.min_resource, 0);             /* auto */
    cr_expect_eq(c->pruner.reduction_factor, 4);
    hpo_config_destroy(&c);

    c = load_str("study: {direction: maximize}\n"
                 "pruner: {type: Percentile, percentile: 25, n_warmup_steps: 3}\n"
                 "data: {path: x.csv, target: y}\n"
                 "train: {epochs: 5, n_units: 8}\n", "t.yaml");
    cr_expect_str_eq(c->pruner.type, "percentile");      /* canonical spelling */
    cr_expect_eq(c->pruner.percentile, 25.0);
    cr_expect_eq(c->pruner.n_warmup_steps, 3);
    cr_expect_eq(c->pruner.n_startup_trials, 5);
    cr_expect_eq(c->pruner.interval_steps, 1);
    cr_expect_eq(c->pruner.n_min_trials, 1);
    hpo_config_destroy(&c);

    c = load_str("study: {direction: maximize}\n"
                 "sampler:\n"                            /* empty section: defaults */
                 "pruner: {type: hyperband, min_resource: auto, max_resource: 27, bootstrap_count: 0}\n"
                 "data: {path: x.csv, target: y, split: random, missing: median}\n"
                 "train: {epochs: 5, n_units: 8}\n", "t.yaml");
    cr_expect_str_eq(c->sampler.type, "tpe");
    cr_expect_eq(c->pruner.min_resource, 0);
    cr_expect_eq(c->pruner.max_resource, 27);
    cr_expect_eq(c->data.split, 1);
    cr_expect_eq(c->data.missing, 3);
    hpo_config_destroy(&c);
}

Test(config, job_heart_article)
{
    hpo_config *c = load_file(JOB("heart-article.yaml"));
    cr_expect_str_eq(c->study.name, "heart-article");
    cr_expect_eq(c->study.direction, HPO_MAXIMIZE);
    cr_expect_eq(c->study.trials, 30);
    cr_expect_eq(c->study.has_seed, 0);
    cr_expect_null(c->study.storage);
    cr_expect_str_eq(c->sampler.type, "tpe");
    cr_expect_str_eq(c->pruner.type, "none");
    cr_expect_str_eq(c->data.path, JOB("../data/heart.csv"));
    cr_expect_str_eq(c->data.target, "HeartDisease");
    cr_expect_eq(c->data.split, 0);
    cr_expect_eq(c->data.split_seed, 42);
    cr_expect_eq(c->data.validation_fraction, 0.2);
    cr_expect_eq(c->data.standardize, 0);
    expect_fixed_int(c, "epochs", 30);
    expect_fixed_int(c, "batch_size", 2);
    expect_fixed_int(c, "n_layers", 1);
    const hpo_param_spec *nu = train(c, "n_units");
    cr_expect_str_eq(nu->name, "n_unit");
    cr_expect_eq(nu->dist.kind, HPO_DIST_INT);
    cr_expect_eq(nu->dist.ilo, 4);
    cr_expect_eq(nu->dist.ihi, 18);
    cr_expect_eq(nu->per_layer, 0);
    const hpo_param_spec *lr = train(c, "learning_rate");
    cr_expect_eq(lr->dist.kind, HPO_DIST_FLOAT);
    cr_expect_eq(lr->dist.flo, 1e-5);
    cr_expect_eq(lr->dist.fhi, 1e-1);
    cr_expect_eq(lr->dist.log, 1);
    expect_str_choices(train(c, "optimizer"), 3, "adam", "rmsprop", "sgd");
    expect_fixed_str(c, "activation", "leaky_relu");
    expect_fixed_bool(c, "output_activation", 1);
    cr_expect_eq(c->n_train, 8);
    hpo_config_destroy(&c);
}

Test(config, job_heart)
{
    hpo_config *c = load_file(JOB("heart.yaml"));
    cr_expect_str_eq(c->study.name, "heart");
    cr_expect_eq(c->study.direction, HPO_MAXIMIZE);
    cr_expect_eq(c->study.trials, 100);
    cr_expect_eq(c->study.has_seed, 1);
    cr_expect_eq(c->study.seed, 42);
    cr_expect_null(c->study.storage);
    cr_expect_str_eq(c->sampler.type, "tpe");
    cr_expect_str_eq(c->pruner.type, "successive_halving");
    cr_expect_eq(c->pruner.min_resource, 1);
    cr_expect_eq(c->pruner.reduction_factor, 3);
    cr_expect_str_eq(c->data.path, JOB("../data/heart.csv"));
    cr_expect_eq(c->data.standardize, 1);
    expect_fixed_int(c, "epochs", 30);
    const hpo_param_spec *bs = train(c, "batch_size");
    cr_assert_eq(bs->dist.kind, HPO_DIST_CAT);
    cr_assert_eq(bs->dist.n_choices, 3);
    for (size_t i = 0; i < 3; i++) {
        cr_expect_eq(bs->dist.choices[i].type, HPO_CHOICE_INT);
        cr_expect_eq(bs->dist.choices[i].v.i, (int64_t)16 << i);
    }
    const hpo_param_spec *lr = train(c, "learning_rate");
    cr_expect_eq(lr->dist.flo, 1e-4);
    cr_expect_eq(lr->dist.fhi, 1e-1);
    cr_expect_eq(lr->dist.log, 1);
    expect_str_choices(train(c, "optimizer"), 3, "adam", "rmsprop", "sgd");
    const hpo_param_spec *nl = train(c, "n_layers");
    cr_expect_eq(nl->dist.ilo, 1);
    cr_expect_eq(nl->dist.ihi, 3);
    const hpo_param_spec *nu = train(c, "n_units");
    cr_expect_eq(nu->dist.ilo, 4);
    cr_expect_eq(nu->dist.ihi, 128);
    cr_expect_eq(nu->per_layer, 1);
    expect_fixed_str(c, "activation", "leaky_relu");
    expect_fixed_bool(c, "output_activation", 0);
    hpo_config_destroy(&c);
}

Test(config, categorical_types_and_old_spellings)
{
    hpo_config *c = load_str(
        "study: {direction: maximize}\n"
        "data: {path: x.csv, target: y}\n"
        "train:\n"
        "  epochs: {categorical: [10, 20]}\n"
        "  n_units: 8\n"
        "  learning_rate: {categorical: [0.01, 1, 1.0e-3]}\n"
        "  optimizer: {categorical: [Adam, 'RMSprop', SGD], name: opt}\n"
        "  output_activation: {categorical: [true, false]}\n"
        "  activation: TANH\n", "t.yaml");
    const hpo_param_spec *lr = train(c, "learning_rate");
    cr_assert_eq(lr->dist.n_choices, 3);
    cr_expect_eq(lr->dist.choices[0].type, HPO_CHOICE_FLOAT);
    cr_expect_eq(lr->dist.choices[0].v.f, 0.01);
    cr_expect_eq(lr->dist.choices[1].type, HPO_CHOICE_INT);   /* its own type */
    cr_expect_eq(lr->dist.choices[1].v.i, 1);
    cr_expect_eq(lr->dist.choices[2].type, HPO_CHOICE_FLOAT);
    const hpo_param_spec *opt = train(c, "optimizer");
    cr_expect_str_eq(opt->name, "opt");
    expect_str_choices(opt, 3, "Adam", "RMSprop", "SGD");      /* kept as written */
    const hpo_param_spec *oa = train(c, "output_activation");
    cr_expect_eq(oa->dist.choices[0].type, HPO_CHOICE_BOOL);
    cr_expect_eq(oa->dist.choices[0].v.b, 1);
    cr_expect_eq(oa->dist.choices[1].v.b, 0);
    expect_fixed_str(c, "activation", "TANH");
    hpo_config_destroy(&c);

    c = load_str("study: {direction: maximize}\n"
                 "data: {path: x.csv, target: y}\n"
                 "train:\n"
                 "  epochs: 3\n"
                 "  n_units: {int: [2, 9], step: 3}\n"
                 "  learning_rate: {loguniform: [1.0e-5, 0.1]}\n"
                 "  batch_size: {int: [8, 256], log: true}\n", "t.yaml");
    lr = train(c, "learning_rate");
    cr_expect_eq(lr->dist.kind, HPO_DIST_FLOAT);
    cr_expect_eq(lr->dist.log, 1);
    const hpo_param_spec *nu = train(c, "n_units");
    cr_expect_eq(nu->dist.istep, 3);
    cr_expect_eq(nu->dist.ihi, 8);                             /* shrunk to the grid ... */
    cr_assert_not_null(nu->warning);                           /* ... with a located warning */
    cr_expect(strstr(nu->warning, "t.yaml:5:12: "), "%s", nu->warning);
    cr_expect_eq(train(c, "batch_size")->dist.log, 1);
    hpo_config_destroy(&c);

    c = load_str("study: {direction: maximize}\n"
                 "data: {path: x.csv, target: y}\n"
                 "train:\n"
                 "  epochs: 3\n"
                 "  n_units: 4\n"
                 "  learning_rate: {discrete_uniform: [0.1, 0.5, 0.1]}\n", "t.yaml");
    lr = train(c, "learning_rate");
    cr_expect_eq(lr->dist.fstep, 0.1);
    cr_expect_eq(lr->dist.log, 0);
    hpo_config_destroy(&c);

    c = load_str("study: {direction: maximize}\n"
                 "data: {path: x.csv, target: y}\n"
                 "train: {epochs: 3, n_units: 4, learning_rate: {uniform: [0.1, 0.5]}}\n", "t.yaml");
    lr = train(c, "learning_rate");
    cr_expect_eq(lr->dist.flo, 0.1);
    cr_expect_eq(lr->dist.log, 0);
    cr_expect_eq(lr->dist.fstep, 0.0);
    hpo_config_destroy(&c);
}

Test(config, int64_edges)
{
    hpo_config *c = load_str("study: {direction: maximize, seed: 9223372036854775807}\n"
                             "data: {path: x.csv, target: y, split_seed: 0}\n"
                             "train: {epochs: 9223372036854775807,\n"
                             "        n_units: {int: [1, 9223372036854775807]}}\n", "t.yaml");
    cr_expect_eq(c->study.seed, (uint64_t)INT64_MAX);
    cr_expect_eq(c->data.split_seed, 0);
    expect_fixed_int(c, "epochs", INT64_MAX);
    cr_expect_eq(train(c, "n_units")->dist.ihi, INT64_MAX);
    hpo_config_destroy(&c);
}

/* A file that must fail with `want`; the message must contain each of the
 * NULL-terminated strings that follow. */
static void load_fails(const char *path, hpo_status want, ...)
{
    long live = hpo_test_alloc_live();
    hpo_config *c = (hpo_config *)0x1;
    hpo_status st = hpo_config_load(path, &c);
    cr_assert_eq(st, want, "%s: status %d, want %d (%s)", path, st, want, hpo_error_message());
    cr_assert_eq(c, (hpo_config *)0x1, "*out must be unchanged on failure");
    cr_assert_eq(hpo_test_alloc_live(), live, "leak on failure");
    va_list ap;
    va_start(ap, want);
    for (const char *s; (s = va_arg(ap, const char *));)
        cr_assert(strstr(hpo_error_message(), s), "message '%s' lacks '%s'", hpo_error_message(), s);
    va_end(ap);
}

#define BAD(test, file, st, ...) \
    Test(config_bad, test) { load_fails(YAML(file), st, "/yaml/" file ":" __VA_ARGS__, NULL); }

BAD(unknown_key, "unknown_key.yaml", HPO_EINVAL, "4:3: ", "reduction_fator", "did you mean 'reduction_factor'?", "expected")
BAD(unknown_section, "unknown_section.yaml", HPO_EINVAL, "2:1: ", "'samplers'", "did you mean 'sampler'?")
BAD(duplicate_key, "duplicate_key.yaml", HPO_ESYNTAX, "4:3: ", "duplicate key 'trials'", "first at 3:3")
BAD(wrong_type, "wrong_type.yaml", HPO_EINVAL, "3:11: ", "study.trials", "'many'", "expected an integer >= 1")
BAD(quoted_int, "quoted_int.yaml", HPO_EINVAL, "1:38: ", "study.trials", "'10' is not an integer")
BAD(log_low_zero, "log_low_zero.yaml", HPO_EINVAL, "6:18: ", "learning_rate", "log", "low")
BAD(step_and_log, "step_and_log.yaml", HPO_EINVAL, "6:18: ", "learning_rate", "step", "log")
BAD(low_gt_high, "low_gt_high.yaml", HPO_EINVAL, "5:12: ", "n_units", "low", "high")
BAD(int64_overflow, "int64_overflow.yaml", HPO_EINVAL, "5:22: ", "9223372036854775808", "64-bit integer")
BAD(bad_indent, "bad_indent.yaml", HPO_ESYNTAX, "3:10: ", "mapping values are not allowed", "expected valid YAML")
BAD(bad_utf8, "bad_utf8.yaml", HPO_ESYNTAX, "2:15: ", "UTF-8")
BAD(missing_section, "missing_section.yaml", HPO_EINVAL, "1:1: ", "missing required section 'data'", "expected")
BAD(missing_key, "missing_key.yaml", HPO_EINVAL, "2:3: ", "missing required key 'direction'", "minimize, maximize")
BAD(percentile_missing, "percentile_missing.yaml", HPO_EINVAL, "2:9: ", "'percentile'", "[0, 100]")
BAD(per_layer_wrong_key, "per_layer_wrong_key.yaml", HPO_EINVAL, "6:55: ", "train.learning_rate", "per_layer", "n_units")
BAD(empty, "empty.yaml", HPO_EINVAL, "1:1: ", "empty", "expected a mapping")
BAD(comments_only, "comments_only.yaml", HPO_EINVAL, "1:1: ", "empty")
BAD(not_mapping, "not_mapping.yaml", HPO_EINVAL, "1:1: ", "top level is a list", "expected a mapping")
BAD(key_wrong_type, "key_wrong_type.yaml", HPO_EINVAL, "2:25: ", "'startup_trials'", "tpe", "'random'")
BAD(empty_enum, "empty_enum.yaml", HPO_EINVAL, "2:30: ", "sampler.compat: the value is empty", "none, optuna3")
BAD(empty_int, "empty_int.yaml", HPO_EINVAL, "3:11: ", "study.trials: the value is empty", "an integer >= 1")
BAD(null_int, "null_int.yaml", HPO_EINVAL, "1:38: ", "study.trials: the value is empty ('~' is YAML's null)")
BAD(bad_enum, "bad_enum.yaml", HPO_EINVAL, "3:45: ", "'relux'", "did you mean 'relu'?", "leaky_relu")
BAD(categorical_bad_item, "categorical_bad_item.yaml", HPO_EINVAL, "6:35: ", "train.optimizer", "'adamw'")
BAD(categorical_case_twice, "categorical_case_twice.yaml", HPO_EINVAL, "3:70: ", "train.optimizer", "'adam' is 'Adam' again")
BAD(two_kinds, "two_kinds.yaml", HPO_EINVAL, "5:26: ", "both 'int' and 'float'")
BAD(float_dist_on_int, "float_dist_on_int.yaml", HPO_EINVAL, "5:13: ", "'float' distribution", "{int: [lo, hi]}")
BAD(dist_unknown_key, "dist_unknown_key.yaml", HPO_EINVAL, "5:26: ", "'lgo'", "did you mean 'log'?")
BAD(dist_range, "dist_range.yaml", HPO_EINVAL, "4:18: ", "train.epochs", "0 is out of range", ">= 1")
BAD(out_of_range, "out_of_range.yaml", HPO_EINVAL, "2:68: ", "validation_fraction", "(0, 1)")
BAD(seed_negative, "seed_negative.yaml", HPO_EINVAL, "1:36: ", "study.seed", "negative")
BAD(group_without_multivariate, "group_without_multivariate.yaml", HPO_EINVAL, "2:10: ", "multivariate")
BAD(duplicate_param_name, "duplicate_param_name.yaml", HPO_EINVAL, "6:3: ", "'x'", "train.n_units")
BAD(two_documents, "two_documents.yaml", HPO_ESYNTAX, "5:1: ", "second YAML document")

Test(config_bad, missing_file)
{
    load_fails(YAML("no_such_file.yaml"), HPO_EIO, "no_such_file.yaml", "cannot open", NULL);
}

Test(config_bad, from_string_without_name)
{
    hpo_config *c = NULL;
    cr_assert_eq(hpo_config_load_string("study: [1]\n", NULL, &c), HPO_EINVAL);
    cr_expect(strstr(hpo_error_message(), "<string>:1:8: study: got a list"), "%s", hpo_error_message());
    cr_expect_null(c);
    cr_expect_eq(hpo_config_load_string(NULL, "x", &c), HPO_EINVAL);
    cr_expect_eq(hpo_config_load(NULL, &c), HPO_EINVAL);
    hpo_config_destroy(NULL);
    hpo_config_destroy(&c);
}

Test(config, tpe_compat_optuna3)
{
    hpo_config *c = load_str(k_minimal, NULL);
    cr_expect_eq(c->sampler.compat, 0);                  /* none: current Optuna */
    hpo_config_destroy(&c);
    c = load_str("study: {direction: maximize}\n"
                 "sampler: {type: tpe, compat: Optuna3}\n"
                 "data: {path: x.csv, target: y}\n"
                 "train: {epochs: 5, n_units: 8}\n", "t.yaml");
    cr_expect_eq(c->sampler.compat, 1);
    hpo_config_destroy(&c);
    static const char *const bad[] = {
        "sampler: {type: tpe, compat: optuna31}\n",      /* not a value */
        "sampler: {type: random, compat: optuna3}\n",    /* a tpe key */
    };
    static const char *const want[] = {"did you mean 'optuna3'?", "'random'"};
    for (int i = 0; i < 2; i++) {
        char text[256];
        snprintf(text, sizeof text, "study: {direction: maximize}\n%sdata: {path: x.csv, target: y}\n"
                 "train: {epochs: 5, n_units: 8}\n", bad[i]);
        c = NULL;
        cr_assert_eq(hpo_config_load_string(text, "t.yaml", &c), HPO_EINVAL, "%s", bad[i]);
        cr_expect(strstr(hpo_error_message(), "compat"), "%s", hpo_error_message());
        cr_expect(strstr(hpo_error_message(), want[i]), "%s", hpo_error_message());
        hpo_error_clear();
    }
}

Test(config, data_path_resolution)
{
    /* The study file's directory first ... */
    hpo_config *c = load_str("study: {direction: maximize}\n"
                             "data: {path: empty.yaml, target: y}\n"
                             "train: {epochs: 1, n_units: 1}\n", YAML("study.yaml"));
    cr_expect_str_eq(c->data.path, YAML("empty.yaml"));
    hpo_config_destroy(&c);
    /* ... then the current directory, if the path exists only there ... */
    c = load_str("study: {direction: maximize}\n"
                 "data: {path: ., target: y}\n"
                 "train: {epochs: 1, n_units: 1}\n", "/nonexistent-dir/study.yaml");
    cr_expect_str_eq(c->data.path, ".");
    hpo_config_destroy(&c);
    /* ... and if neither exists, the study-relative path (the CSV reader reports it). */
    c = load_str("study: {direction: maximize}\n"
                 "data: {path: nope.csv, target: y}\n"
                 "train: {epochs: 1, n_units: 1}\n", "/nonexistent-dir/study.yaml");
    cr_expect_str_eq(c->data.path, "/nonexistent-dir/nope.csv");
    hpo_config_destroy(&c);
}

Test(config, setters)
{
    hpo_config *c = load_str(k_minimal, "t.yaml");
    cr_expect_eq(hpo_config_set_trials(c, 7), HPO_OK);
    cr_expect_eq(c->study.trials, 7);
    cr_expect_eq(hpo_config_set_trials(c, 0), HPO_EINVAL);
    cr_expect_eq(c->study.trials, 7);
    cr_expect_eq(hpo_config_set_seed(c, 5), HPO_OK);
    cr_expect_eq(c->study.has_seed, 1);
    cr_expect_eq(c->study.seed, 5);
    cr_expect_eq(hpo_config_set_seed(c, UINT64_MAX), HPO_EINVAL);
    cr_expect_eq(c->study.seed, 5);
    hpo_config_destroy(&c);
}

Test(config, print_keys)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    hpo_config_print_keys(f);
    fclose(f);
    static const char *const words[] = {"study:", "direction", "sampler:", "constant_liar [tpe]", "compat [tpe]",
                                        "pruner:", "reduction_factor [successive_halving]",
                                        "default: 4", "data:", "missing", "train:", "n_units",
                                        "per_layer", "output_activation"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        cr_expect(strstr(buf, words[i]), "help lacks '%s'", words[i]);
    free(buf);
}

/* Fail allocation n (and, sticky, every later one) until loading succeeds:
 * each failure is HPO_ENOMEM and leaves no block behind. */
static void oom_loop(const char *text, const char *path, int sticky)
{
    long start = hpo_test_alloc_live();
    for (long n = 0;; n++) {
        cr_assert_lt(n, 100000, "never succeeded");
        hpo_config *c = NULL;
        hpo_test_alloc_fail_at(n, sticky);
        hpo_status st = text ? hpo_config_load_string(text, "t.yaml", &c) : hpo_config_load(path, &c);
        hpo_test_alloc_reset();
        if (st == HPO_OK) {
            cr_assert_not_null(c);
            hpo_config_destroy(&c);
            cr_assert_eq(hpo_test_alloc_live(), start, "leak after success at %ld", n);
            cr_assert_gt(n, 5, "too few allocations to be a real test");
            break;
        }
        cr_assert_eq(st, HPO_ENOMEM, "allocation %ld: got %d (%s)", n, st, hpo_error_message());
        cr_assert_null(c);
        cr_assert_eq(hpo_test_alloc_live(), start, "leak after failure at %ld", n);
    }
}

Test(config_oom, example_once) { oom_loop(k_example, NULL, 0); }
Test(config_oom, example_sticky) { oom_loop(k_example, NULL, 1); }
Test(config_oom, job_file_once) { oom_loop(NULL, JOB("heart.yaml"), 0); }
Test(config_oom, job_file_sticky) { oom_loop(NULL, JOB("heart-article.yaml"), 1); }
Test(config_oom, categorical_and_warning)
{
    oom_loop("study: {direction: maximize}\n"
             "data: {path: x.csv, target: y}\n"
             "train: {epochs: 3, n_units: {int: [2, 9], step: 3}, optimizer: {categorical: [adam, sgd]}}\n",
             NULL, 0);
}

/* A hostile file nested 100,000 levels deep made libyaml's loader take
 * minutes (found by a newcomer test); it is refused before loading. */
Test(config, deep_nesting_is_refused_quickly)
{
    size_t n = 100000;
    char *t = malloc(2 * n + 16);
    strcpy(t, "study: ");
    size_t k = strlen(t);
    for (size_t i = 0; i < n; i++) t[k++] = '[';
    for (size_t i = 0; i < n; i++) t[k++] = ']';
    t[k] = '\0';
    hpo_config *c = NULL;
    cr_assert_eq(hpo_config_load_string(t, "deep.yaml", &c), HPO_ESYNTAX);
    cr_assert(strstr(hpo_error_message(), "deep.yaml:1: nested deeper than 64"), "%s", hpo_error_message());
    cr_assert_null(c);
    free(t);
    /* 64 levels in a quoted string or a comment are fine */
    const char *ok = "study: {direction: maximize, name: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['}  # [[[[\n"
                     "data: {path: x.csv, target: y}\ntrain: {epochs: 1, n_units: 4}\n";
    cr_assert_eq(hpo_config_load_string(ok, "ok.yaml", &c), HPO_OK, "%s", hpo_error_message());
    hpo_config_destroy(&c);
}
