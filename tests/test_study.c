/* test_study.c - the study and trial API on one process: states, the best
 * trial, define-by-run rules, reproducibility, failure paths. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "study_impl.h"

static hpo_study *make(hpo_direction d, uint64_t seed)
{
    hpo_study *s = NULL;
    cr_assert_eq(hpo_study_create(&s), HPO_OK);
    cr_assert_eq(hpo_study_set_direction(s, d), HPO_OK);
    cr_assert_eq(hpo_study_set_seed(s, seed), HPO_OK);
    cr_assert_eq(hpo_study_set_log(s, NULL), HPO_OK);
    return s;
}

static double obj_quad(hpo_trial *t, void *ctx)
{
    (void)ctx;
    double x = hpo_suggest_float(t, "x", -5, 5, 0);
    int64_t n = hpo_suggest_int(t, "n", 1, 3, 0);
    return x * x + (double)n;
}

Test(study, best_is_the_minimum_of_complete_trials)
{
    hpo_study *s = make(HPO_MINIMIZE, 1);
    cr_assert_eq(hpo_study_optimize(s, obj_quad, NULL, 25, 0), HPO_OK);
    cr_assert_eq(hpo_study_n_trials(s), 25);
    const hpo_trial_rec *b = hpo_study_best_trial(s);
    cr_assert_not_null(b);
    for (size_t i = 0; i < 25; i++) {
        const hpo_trial_rec *r = hpo_study_trial(s, i);
        cr_assert_eq(hpo_rec_state(r), HPO_COMPLETE);
        cr_assert_eq(hpo_rec_number(r), (int64_t)i);
        cr_assert_geq(hpo_rec_value(r), hpo_rec_value(b));
    }
    hpo_study_destroy(&s);
    cr_assert_null(s);
}

static double obj_nan_sometimes(hpo_trial *t, void *ctx)
{
    (void)ctx;
    double x = hpo_suggest_float(t, "x", 0, 1, 0);
    if (hpo_trial_number(t) % 2 == 0) return NAN;
    if (hpo_trial_number(t) == 3) return INFINITY;
    return x;
}

Test(study, nan_or_inf_value_fails_and_is_never_best)
{
    hpo_study *s = make(HPO_MAXIMIZE, 2);
    cr_assert_eq(hpo_study_optimize(s, obj_nan_sometimes, NULL, 6, 0), HPO_OK);
    for (size_t i = 0; i < 6; i++) {
        const hpo_trial_rec *r = hpo_study_trial(s, i);
        if (i % 2 == 0 || i == 3) {
            cr_assert_eq(hpo_rec_state(r), HPO_FAIL, "trial %zu", i);
            cr_assert(isnan(hpo_rec_value(r)));
            cr_assert(strstr(r->fail_reason, i == 3 ? "inf" : "nan"), "reason: %s", r->fail_reason);
        } else {
            cr_assert_eq(hpo_rec_state(r), HPO_COMPLETE);
        }
    }
    const hpo_trial_rec *b = hpo_study_best_trial(s);
    cr_assert(hpo_rec_number(b) == 1 || hpo_rec_number(b) == 5);
    hpo_study_destroy(&s);
}

static double obj_all_nan(hpo_trial *t, void *ctx) { (void)t; (void)ctx; return NAN; }

Test(study, no_complete_trial_means_no_best)
{
    hpo_study *s = make(HPO_MINIMIZE, 2);
    cr_assert_eq(hpo_study_optimize(s, obj_all_nan, NULL, 3, 0), HPO_OK);
    cr_assert_null(hpo_study_best_trial(s));
    hpo_study_destroy(&s);
}

static double obj_space(hpo_trial *t, void *ctx)
{
    (void)ctx;
    double lr = hpo_suggest_float(t, "lr", 1e-5, 1e-1, HPO_LOG);
    const char *opts[] = {"adam", "rmsprop", "sgd"};
    const char *o = hpo_suggest_categorical_str(t, "optimizer", opts, 3);
    int64_t layers = hpo_suggest_int(t, "n_layers", 1, 3, 0);
    double acc = lr;
    for (int64_t l = 0; l < layers; l++) {
        char name[32];
        snprintf(name, sizeof name, "n_units_l%lld", (long long)l);
        acc += (double)hpo_suggest_int(t, name, 4, 128, 0);
    }
    return acc + (double)strlen(o);
}

static void run_space(uint64_t seed, double *values, size_t *nparams)
{
    hpo_study *s = make(HPO_MAXIMIZE, seed);
    cr_assert_eq(hpo_study_optimize(s, obj_space, NULL, 20, 0), HPO_OK);
    for (size_t i = 0; i < 20; i++) {
        values[i] = hpo_rec_value(hpo_study_trial(s, i));
        nparams[i] = hpo_rec_n_params(hpo_study_trial(s, i));
    }
    hpo_study_destroy(&s);
}

Test(study, same_seed_same_trials)
{
    double a[20], b[20], c[20];
    size_t na[20], nb[20], nc[20];
    run_space(42, a, na);
    run_space(42, b, nb);
    run_space(43, c, nc);
    int differ = 0;
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(a[i], b[i], "trial %d: %.17g vs %.17g", i, a[i], b[i]);
        cr_assert_eq(na[i], nb[i]);
        cr_assert(na[i] >= 4 && na[i] <= 6, "define-by-run: 3 + n_layers params, got %zu", na[i]);
        differ += a[i] != c[i];
    }
    cr_assert_gt(differ, 15, "another seed gives other trials");
}

static double obj_twice(hpo_trial *t, void *ctx)
{
    int *mode = ctx;
    double a = hpo_suggest_float(t, "x", 0, 1, 0);
    double b = *mode == 0 ? hpo_suggest_float(t, "x", 0, 1, 0) : hpo_suggest_float(t, "x", 0, 2, 0);
    if (*mode == 0) cr_assert_eq(a, b, "the same name returns the first value");
    return a;
}

Test(study, same_name_twice)
{
    int mode = 0;
    hpo_study *s = make(HPO_MINIMIZE, 3);
    cr_assert_eq(hpo_study_optimize(s, obj_twice, &mode, 3, 0), HPO_OK);
    cr_assert_eq(hpo_rec_n_params(hpo_study_trial(s, 0)), 1);
    hpo_study_destroy(&s);
    mode = 1;
    s = make(HPO_MINIMIZE, 3);
    cr_assert_eq(hpo_study_optimize(s, obj_twice, &mode, 3, 0), HPO_EINVAL);
    const char *m = hpo_error_message();
    cr_assert(strstr(m, "'x'") && strstr(m, "float [0.0, 1.0]") && strstr(m, "float [0.0, 2.0]"), "%s", m);
    cr_assert_eq(hpo_study_n_trials(s), 1, "the study stops at the first usage error");
    cr_assert_eq(hpo_rec_state(hpo_study_trial(s, 0)), HPO_FAIL);
    hpo_study_destroy(&s);
}

static double obj_bad_def(hpo_trial *t, void *ctx)
{
    (void)ctx;
    return hpo_suggest_float(t, "lr", 0.0, 1.0, HPO_LOG);
}

Test(study, invalid_definition_stops_with_the_rule)
{
    hpo_study *s = make(HPO_MINIMIZE, 3);
    cr_assert_eq(hpo_study_optimize(s, obj_bad_def, NULL, 5, 0), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "'lr'") && strstr(hpo_error_message(), "low > 0"), "%s", hpo_error_message());
    const hpo_trial_rec *r = hpo_study_trial(s, 0);
    cr_assert_eq(hpo_rec_state(r), HPO_FAIL);
    cr_assert(strstr(r->fail_reason, "low > 0"));
    hpo_study_destroy(&s);
}

static double obj_aliases(hpo_trial *t, void *ctx)
{
    (void)ctx;
    double u = hpo_suggest_uniform(t, "u", -1, 1);
    double l = hpo_suggest_loguniform(t, "l", 1e-3, 1);
    double q = hpo_suggest_discrete_uniform(t, "q", 0, 1, 0.25);
    cr_assert(u >= -1 && u <= 1 && l >= 1e-3 && l <= 1);
    double k = q / 0.25;
    cr_assert_eq(k, floor(k), "q=%g is on the 0.25 grid", q);
    /* The alias and the new spelling are one distribution: asking again is fine. */
    cr_assert_eq(hpo_suggest_float(t, "l", 1e-3, 1, HPO_LOG), l);
    cr_assert_eq(hpo_suggest_float_step(t, "q", 0, 1, 0.25), q);
    return u;
}

Test(study, old_spellings_are_aliases)
{
    hpo_study *s = make(HPO_MINIMIZE, 4);
    cr_assert_eq(hpo_study_optimize(s, obj_aliases, NULL, 20, 0), HPO_OK);
    hpo_study_destroy(&s);
}

static double obj_typed(hpo_trial *t, void *ctx)
{
    (void)ctx;
    hpo_choice c[] = {HPO_STR("relu"), HPO_INT(64), HPO_FLOAT(0.5), HPO_BOOL(0)};
    hpo_choice v = hpo_suggest_categorical(t, "c", c, 4);
    switch (v.type) {
    case HPO_CHOICE_STR:   cr_assert_str_eq(v.v.s, "relu"); return 0;
    case HPO_CHOICE_INT:   cr_assert_eq(v.v.i, 64); return 1;
    case HPO_CHOICE_FLOAT: cr_assert_eq(v.v.f, 0.5); return 2;
    case HPO_CHOICE_BOOL:  cr_assert_eq(v.v.b, 0); return 3;
    }
    return NAN;
}

Test(study, categorical_returns_each_type)
{
    hpo_study *s = make(HPO_MINIMIZE, 5);
    cr_assert_eq(hpo_study_optimize(s, obj_typed, NULL, 40, 0), HPO_OK);
    int seen[4] = {0};
    for (size_t i = 0; i < 40; i++) seen[(int)hpo_rec_value(hpo_study_trial(s, i))]++;
    for (int k = 0; k < 4; k++) cr_assert_gt(seen[k], 0, "type %d never drawn in 40 trials", k);
    hpo_study_destroy(&s);
}

static double obj_reports(hpo_trial *t, void *ctx)
{
    (void)ctx;
    hpo_report(t, 0, 0.5);
    hpo_report(t, 1, 0.6);
    hpo_report(t, 1, 0.9);      /* repeated: first value kept */
    if (hpo_trial_number(t) == 1) return hpo_trial_pruned(t);
    if (hpo_trial_number(t) == 2) return hpo_trial_fail(t, "custom reason %d", 7);
    return 0.7;
}

Test(study, reports_pruned_and_failed)
{
    hpo_study *s = make(HPO_MAXIMIZE, 6);
    cr_assert_eq(hpo_study_optimize(s, obj_reports, NULL, 3, 0), HPO_OK);
    const hpo_trial_rec *r0 = hpo_study_trial(s, 0), *r1 = hpo_study_trial(s, 1), *r2 = hpo_study_trial(s, 2);
    cr_assert_eq(r0->n_inter, 2);
    cr_assert_eq(r0->inter[1], 0.6);
    cr_assert_eq(hpo_rec_state(r1), HPO_PRUNED);
    cr_assert_eq(hpo_rec_value(r1), 0.6, "a pruned trial's value is its last intermediate value");
    cr_assert_eq(hpo_rec_state(r2), HPO_FAIL);
    cr_assert_str_eq(r2->fail_reason, "custom reason 7");
    cr_assert_eq(hpo_rec_number(hpo_study_best_trial(s)), 0, "pruned is never best");
    hpo_study_destroy(&s);
}

Test(study, log_lines_read_like_optuna)
{
    char *buf = NULL; size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hpo_study *s = make(HPO_MAXIMIZE, 6);
    cr_assert_eq(hpo_study_set_log(s, f), HPO_OK);
    cr_assert_eq(hpo_study_optimize(s, obj_reports, NULL, 3, 0), HPO_OK);
    fclose(f);
    cr_assert(strstr(buf, "Trial 0 finished with value 0.700000 and parameters {}. Best is trial 0 with value 0.700000.\n"), "%s", buf);
    cr_assert(strstr(buf, "Trial 1 pruned at step 1 with value 0.600000. Best is trial 0 with value 0.700000.\n"), "%s", buf);
    cr_assert(strstr(buf, "Trial 2 failed with parameters {} because custom reason 7\n"), "%s", buf);
    free(buf);
    hpo_study_destroy(&s);
}

Test(study, argument_and_phase_errors)
{
    hpo_study *s = make(HPO_MINIMIZE, 1);
    cr_assert_eq(hpo_study_optimize(s, NULL, NULL, 1, 0), HPO_EINVAL);
    cr_assert_eq(hpo_study_optimize(s, obj_quad, NULL, 0, 0), HPO_EINVAL);
    cr_assert_eq(hpo_study_optimize(s, obj_quad, NULL, -1, 0), HPO_EINVAL);
    cr_assert_eq(hpo_study_set_sampler(s, "nope"), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "random"), "lists the known samplers: %s", hpo_error_message());
    cr_assert_eq(hpo_study_set_pruner(s, "nope"), HPO_EINVAL);
    cr_assert_eq(hpo_study_optimize(s, obj_quad, NULL, 1, 0), HPO_OK);
    cr_assert_eq(hpo_study_set_seed(s, 3), HPO_ESTATE, "configuration after the start is refused");
    hpo_study_destroy(&s);
    hpo_study_destroy(&s);   /* NULL is fine */
    hpo_study_destroy(NULL);
}

Test(study, timeout_alone_ends_the_study)
{
    hpo_study *s = make(HPO_MINIMIZE, 1);
    cr_assert_eq(hpo_study_optimize(s, obj_quad, NULL, 0, 0.05), HPO_OK);
    cr_assert_gt(hpo_study_n_trials(s), 0);
    hpo_study_destroy(&s);
}

Test(study, oom_anywhere_in_a_study_is_clean)
{
    long live0 = hpo_test_alloc_live();
    for (long n = 0;; n++) {
        hpo_study *s = NULL;
        hpo_test_alloc_fail_at(n, 0);
        hpo_status st = hpo_study_create(&s);
        if (st == HPO_OK) { hpo_study_set_log(s, NULL); st = hpo_study_optimize(s, obj_space, NULL, 3, 0); }
        hpo_test_alloc_reset();
        hpo_study_destroy(&s);
        cr_assert_eq(hpo_test_alloc_live(), live0, "leak after failure at allocation %ld", n);
        if (st == HPO_OK) break;
        cr_assert_eq(st, HPO_ENOMEM, "allocation %ld: %s", n, hpo_error_message());
    }
}
