/* test_pruner.c - hand-worked cases for the median, percentile, successive
 * halving and hyperband pruners, their numeric helpers (numpy's
 * nanpercentile, zlib's crc32, exact rung and bracket arithmetic), option
 * checks, the resume calls and out-of-memory paths. The decision-by-decision
 * comparison with Optuna is tests/test_pruner_optuna.c. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "pruner_impl.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct fixture {
    hpo_history h;
    const hpo_pruner_ops *ops;
    void *st;
} fixture;

static void fx_init(fixture *fx, const hpo_pruner_opts *o, hpo_direction d)
{
    memset(fx, 0, sizeof *fx);
    fx->h.direction = d;
    cr_assert_eq(hpo_pruner_find(o->type, &fx->ops), HPO_OK);
    cr_assert_eq(fx->ops->create(o, &fx->st), HPO_OK, "%s", hpo_error_message());
}

static void fx_fini(fixture *fx)
{
    fx->ops->destroy(fx->st);
    hpo_history_clear(&fx->h);
}

static hpo_trial_rec *fx_ask(fixture *fx)
{
    hpo_trial_rec *r;
    cr_assert_eq(hpo_rec_create((int64_t)fx->h.n, &r), HPO_OK);
    cr_assert_eq(hpo_history_append(&fx->h, r), HPO_OK);
    return r;
}

static void fx_report(hpo_trial_rec *r, int64_t step, double v)
{
    int rep, dec;
    cr_assert_eq(hpo_rec_add_report(r, step, v, &rep, &dec), HPO_OK);
}

/* Report and ask the pruner. */
static int fx_check(fixture *fx, hpo_trial_rec *r, int64_t step, double v)
{
    fx_report(r, step, v);
    int p = -1;
    cr_assert_eq(fx->ops->should_prune(fx->st, &fx->h, r, &p), HPO_OK, "%s", hpo_error_message());
    cr_assert(p == 0 || p == 1);
    return p;
}

/* A COMPLETE trial with values v[0..n) at steps 0..n-1. */
static hpo_trial_rec *fx_complete(fixture *fx, const double *v, size_t n)
{
    hpo_trial_rec *r = fx_ask(fx);
    for (size_t i = 0; i < n; i++) fx_report(r, (int64_t)i, v[i]);
    r->state = HPO_COMPLETE;
    r->value = n ? v[n - 1] : 0.0;
    return r;
}

/* ---- numeric helpers ---------------------------------------------------- */

Test(pruner_helpers, nanpercentile_is_numpys_bit_for_bit)
{
    /* Expected values printed by numpy 1.24 np.nanpercentile. */
    struct { double v[5]; size_t n; double q, want; } c[] = {
        {{1, 2, 3, 4, 5}, 5, 25, 2.0},
        {{1, 2, 3, 4, 5}, 5, 75, 4.0},
        {{1, 2, 3, 4}, 4, 25, 1.75},
        {{4, 1, 3, 2}, 4, 50, 2.5},
        {{0.1, 0.2, 0.7}, 3, 33.3, 0.1666},
        {{1, 2, 3, 4, INFINITY}, 5, 50, 3.0},
        {{1, 2, 3, INFINITY}, 4, 50, 2.5},
        {{1, INFINITY}, 2, 25, INFINITY},
        {{-INFINITY, 1}, 2, 50, -INFINITY},
        {{NAN, 2, NAN, 1}, 4, 50, 1.5},
        {{3, 1, 2}, 3, 100, 3.0},
        {{3, 1, 2}, 3, 0, 1.0},
        {{0.1, 0.7}, 2, 87.5, 0.625},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        double got = hpo_nanpercentile(c[i].v, c[i].n, c[i].q);
        cr_expect(got == c[i].want, "case %zu: got %.17g, numpy %.17g", i, got, c[i].want);
    }
    /* numpy gives nan for these (inf - inf inside its lerp; nothing left). */
    double a[2] = {1, INFINITY}, b[1] = {INFINITY}, d[2] = {NAN, NAN};
    cr_expect(isnan(hpo_nanpercentile(a, 2, 50)));
    cr_expect(isnan(hpo_nanpercentile(b, 1, 50)));
    cr_expect(isnan(hpo_nanpercentile(d, 2, 50)));
    cr_expect(isnan(hpo_nanpercentile(NULL, 0, 50)));
}

Test(pruner_helpers, crc32_known_strings)
{
    cr_expect_eq(hpo_crc32(0, "123456789", 9), 0xCBF43926u);
    const char *fox = "The quick brown fox jumps over the lazy dog";
    cr_expect_eq(hpo_crc32(0, fox, strlen(fox)), 0x414FA339u);
    cr_expect_eq(hpo_crc32(0, "mpihpo_0", 8), 0x77538580u);      /* Python zlib.crc32(b"mpihpo_0") */
    cr_expect_eq(hpo_crc32(0, "", 0), 0u);
    /* incremental = one shot */
    cr_expect_eq(hpo_crc32(hpo_crc32(0, "12345", 5), "6789", 4), 0xCBF43926u);
}

Test(pruner_helpers, last_step_is_the_largest_step)
{
    hpo_trial_rec *r;
    cr_assert_eq(hpo_rec_create(0, &r), HPO_OK);
    double v;
    cr_expect_eq(hpo_pruner_last_step(r, &v), -1);
    cr_expect(isnan(v));
    fx_report(r, 0, 1.0);
    fx_report(r, 5, 2.0);
    fx_report(r, 3, 3.0);              /* decreasing: Optuna's last_step stays 5 */
    cr_expect_eq(hpo_pruner_last_step(r, &v), 5);
    cr_expect_eq(v, 2.0);
    hpo_rec_destroy(&r);
}

Test(pruner_helpers, rungs_and_brackets_in_exact_integers)
{
    int64_t want[] = {1, 3, 9, 27, 81, 243};
    for (int k = 0; k < 6; k++) cr_expect_eq(hpo_rung_resource(1, 3, k), want[k]);
    cr_expect_eq(hpo_rung_resource(2, 4, 3), 128);
    cr_expect_eq(hpo_rung_resource(INT64_MAX / 2, 3, 1), INT64_MAX);   /* saturates */
    cr_expect_eq(hpo_rung_resource(1, 2, 200), INT64_MAX);

    cr_expect_eq(hpo_hyperband_n_brackets(1, 243, 3), 6);     /* Optuna: 5 (floating log) */
    cr_expect_eq(hpo_hyperband_n_brackets(1, 1000, 10), 4);   /* Optuna: 3 */
    cr_expect_eq(hpo_hyperband_n_brackets(1, 81, 3), 5);
    cr_expect_eq(hpo_hyperband_n_brackets(1, 80, 3), 4);
    cr_expect_eq(hpo_hyperband_n_brackets(2, 54, 3), 4);
    cr_expect_eq(hpo_hyperband_n_brackets(1, 1, 3), 1);
    cr_expect_eq(hpo_hyperband_n_brackets(3, 2, 3), 0);
    cr_expect_eq(hpo_hyperband_n_brackets(1, INT64_MAX, 2), 63);

    /* 1..243, eta 3: six brackets; budgets ceil(6 * 3^s / (s+1)), s = 5..0. */
    int64_t b6[] = {243, 98, 41, 18, 9, 6}, total = 0;
    for (int b = 0; b < 6; b++) { cr_expect_eq(hpo_hyperband_budget(6, 3, b), b6[b]); total += b6[b]; }
    cr_expect_eq(total, 415);
    /* algorithms.md's worked example: 1..81 -> 81, 34, 15, 8, 5 of 143 (as Optuna). */
    int64_t b5[] = {81, 34, 15, 8, 5};
    for (int b = 0; b < 5; b++) cr_expect_eq(hpo_hyperband_budget(5, 3, b), b5[b]);
    cr_expect_eq(hpo_hyperband_budget(63, 2, 0), 0);          /* overflow is reported as 0 */
}

/* ---- median / percentile ------------------------------------------------ */

/* Three completed curves; at step 2 their values are 0.3, 0.5, 0.9: median 0.5. */
static void three_curves(fixture *fx)
{
    const double a[] = {1.0, 0.6, 0.3, 0.2}, b[] = {1.2, 0.8, 0.5, 0.4}, c[] = {1.5, 1.1, 0.9, 0.7};
    fx_complete(fx, a, 4);
    fx_complete(fx, b, 4);
    fx_complete(fx, c, 4);
}

Test(pruner_median, median_of_three_curves_at_step_2)
{
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, "median");
    o.n_startup_trials = 3;
    fixture fx;
    fx_init(&fx, &o, HPO_MINIMIZE);
    three_curves(&fx);
    hpo_trial_rec *t = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, t, 0, 1.1), 0);       /* median at step 0 is 1.2 */
    cr_expect_eq(fx_check(&fx, t, 1, 0.8), 0);       /* == median 0.8: not worse */
    cr_expect_eq(fx_check(&fx, t, 2, 0.6), 1);       /* best so far 0.6 > 0.5 */
    hpo_trial_rec *u = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, u, 0, 0.4), 0);
    cr_expect_eq(fx_check(&fx, u, 2, 0.7), 0);       /* best so far 0.4 <= 0.5 */
    hpo_trial_rec *x = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, x, 0, 1.3), 1);       /* 1.3 > 1.2 */
    hpo_trial_rec *w = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, w, 2, 0.5), 0);       /* equal to the median: kept */
    fx_fini(&fx);

    /* Maximising, the same curves: keep if best >= median. */
    fx_init(&fx, &o, HPO_MAXIMIZE);
    three_curves(&fx);
    t = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, t, 2, 0.4), 1);
    u = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, u, 2, 0.5), 0);
    fx_fini(&fx);
}

Test(pruner_median, startup_trials_and_n_min_trials)
{
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, "median");     /* n_startup_trials 5 */
    fixture fx;
    fx_init(&fx, &o, HPO_MINIMIZE);
    three_curves(&fx);
    const double d[] = {0.1, 0.1, 0.1};
    fx_complete(&fx, d, 3);                     /* 4 complete: still starting up */
    hpo_trial_rec *t = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, t, 0, 99.0), 0);
    fx_complete(&fx, d, 1);                     /* 5 complete; step-1 median 0.7 */
    cr_expect_eq(fx_check(&fx, t, 1, 99.0), 1);
    fx_fini(&fx);

    o.n_min_trials = 5;                         /* step 2 has 4 reports < 5: keep */
    fx_init(&fx, &o, HPO_MINIMIZE);
    three_curves(&fx);
    fx_complete(&fx, d, 3);
    fx_complete(&fx, d, 1);
    t = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, t, 2, 99.0), 0);
    /* A report at step 0 after step 2: Optuna's last step is still 2 (the
     * largest), judged again with the same 4 values: keep. */
    cr_expect_eq(fx_check(&fx, t, 0, 99.0), 0);
    fx_fini(&fx);
}

Test(pruner_median, warmup_and_interval_windows)
{
    /* warm-up 2, interval 3: checks at the first report in [2,5), [5,8), [8,11) ... */
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, "median");
    o.n_startup_trials = 1;
    o.n_warmup_steps = 2;
    o.interval_steps = 3;
    fixture fx;
    fx_init(&fx, &o, HPO_MINIMIZE);
    const double good[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    fx_complete(&fx, good, 12);
    hpo_trial_rec *t = fx_ask(&fx);
    int want[12] = {0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1};
    for (int s = 0; s < 12; s++) cr_expect_eq(fx_check(&fx, t, s, 1.0), want[s], "step %d", s);
    /* A trial that skips: 0 then 6 -> 6 is the first report in [5,8). Then 7 is not. */
    hpo_trial_rec *u = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, u, 0, 1.0), 0);
    cr_expect_eq(fx_check(&fx, u, 6, 1.0), 1);
    cr_expect_eq(fx_check(&fx, u, 7, 1.0), 0);
    fx_fini(&fx);
}

Test(pruner_median, nan_rules)
{
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, "median");
    o.n_startup_trials = 1;
    fixture fx;
    fx_init(&fx, &o, HPO_MINIMIZE);
    const double a[] = {NAN, 1.0}, b[] = {NAN, 3.0}, c[] = {NAN, NAN};
    fx_complete(&fx, a, 2);
    fx_complete(&fx, b, 2);
    fx_complete(&fx, c, 2);
    hpo_trial_rec *t = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, t, 0, 5.0), 0);      /* all NaN at step 0: no percentile, keep */
    cr_expect_eq(fx_check(&fx, t, 1, 2.5), 1);      /* median of {1, 3} (NaN left out) = 2: worse */
    hpo_trial_rec *u = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, u, 0, NAN), 1);      /* own values all NaN: pruned (Optuna) */
    hpo_trial_rec *w = fx_ask(&fx);
    fx_report(w, 0, 1.5);
    cr_expect_eq(fx_check(&fx, w, 1, NAN), 0);      /* best so far 1.5 (NaN skipped) <= 2 */
    fx_fini(&fx);
}

Test(pruner_percentile, quartiles_both_directions)
{
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, "percentile");
    o.percentile = 25.0;
    o.n_startup_trials = 4;
    fixture fx;
    /* step-0 values 1, 2, 3, 4: 25th percentile 1.75, (maximise) 75th 3.25 */
    for (int dir = 0; dir < 2; dir++) {
        fx_init(&fx, &o, dir ? HPO_MAXIMIZE : HPO_MINIMIZE);
        for (int i = 1; i <= 4; i++) { double v = i; fx_complete(&fx, &v, 1); }
        hpo_trial_rec *t = fx_ask(&fx);
        if (!dir) {
            cr_expect_eq(fx_check(&fx, t, 0, 1.75), 0);
            t = fx_ask(&fx);
            cr_expect_eq(fx_check(&fx, t, 0, 1.76), 1);
        } else {
            cr_expect_eq(fx_check(&fx, t, 0, 3.25), 0);
            t = fx_ask(&fx);
            cr_expect_eq(fx_check(&fx, t, 0, 3.24), 1);
        }
        fx_fini(&fx);
    }
}

Test(pruner_percentile, bad_options_are_rejected)
{
    const char *types[] = {"median", "percentile"};
    for (int k = 0; k < 2; k++) {
        hpo_pruner_opts o;
        const hpo_pruner_ops *ops;
        void *st = NULL;
        cr_assert_eq(hpo_pruner_find(types[k], &ops), HPO_OK);
        hpo_pruner_opts_default(&o, types[k]); o.interval_steps = 0;
        cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
        hpo_pruner_opts_default(&o, types[k]); o.n_warmup_steps = -1;
        cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
        hpo_pruner_opts_default(&o, types[k]); o.n_startup_trials = -1;
        cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
        hpo_pruner_opts_default(&o, types[k]); o.n_min_trials = 0;
        cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
        cr_expect_null(st);
    }
    hpo_pruner_opts o;
    const hpo_pruner_ops *ops;
    void *st = NULL;
    hpo_pruner_opts_default(&o, "percentile");
    cr_assert_eq(hpo_pruner_find("percentile", &ops), HPO_OK);
    o.percentile = 100.5;
    cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
    o.percentile = NAN;
    cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
    hpo_pruner_opts_default(&o, "median");
    o.percentile = 300;                                     /* median ignores it */
    cr_assert_eq(hpo_pruner_find("median", &ops), HPO_OK);
    cr_expect_eq(ops->create(&o, &st), HPO_OK);
    ops->destroy(st);
}

/* ---- successive halving ------------------------------------------------- */

static hpo_pruner_opts sha_opts(int64_t rmin, int64_t eta)
{
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, "successive_halving");
    o.min_resource = rmin;
    o.reduction_factor = eta;
    return o;
}

Test(pruner_sha, rung_promotion_eta_3_nine_competitors)
{
    hpo_pruner_opts o = sha_opts(1, 3);     /* rungs at steps 1, 3, 9, ... */
    fixture fx;
    fx_init(&fx, &o, HPO_MINIMIZE);
    /* Eight trials reach rung 0 (step 1) with 1..8; each value is stored,
     * pruned or not. Trial 0 alone is the best: kept. Trial 1 (2 vs {1}):
     * floor(2/3) = 0 -> must be the best: pruned. Trial 2 (3 of {1,2,3}):
     * top 1 -> pruned. ... */
    for (int i = 0; i < 8; i++) {
        hpo_trial_rec *r = fx_ask(&fx);
        cr_expect_eq(fx_check(&fx, r, 0, 100.0), 0);       /* below rung 0: never judged */
        cr_expect_eq(fx_check(&fx, r, 1, (double)(i + 1)), i == 0 ? 0 : 1, "trial %d", i);
        const double *v;
        cr_expect_eq(hpo_pruner_rungs_get(fx.st, i, &v), 1);
        cr_expect_eq(v[0], (double)(i + 1));
    }
    /* Nine competitors (8 + itself): the top floor(9/3) = 3 are promoted. */
    hpo_trial_rec *a = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, a, 1, 2.5), 0);    /* {1,2,2.5}: third best, kept */
    hpo_trial_rec *b = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, b, 1, 3.0), 1);    /* now 10 values, top 3 = {1,2,2.5}: 3 out */
    hpo_trial_rec *c = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, c, 1, 0.5), 0);
    /* a goes on to rung 1 at step 3: competitors there are {1 (trial 0)? no:
     * trial 0 never reported step 3}. Alone -> best -> kept. */
    cr_expect_eq(fx_check(&fx, a, 2, 9.0), 0);     /* between rungs */
    cr_expect_eq(fx_check(&fx, a, 3, 2.0), 0);
    const double *v;
    cr_expect_eq(hpo_pruner_rungs_get(fx.st, a->number, &v), 2);
    cr_expect_eq(v[1], 2.0);
    /* c skips to step 9 in one report: rung 1 ({2, 1.5} -> 2 values, floor(2/3)=0:
     * best 1.5 promoted), rung 2 (alone): passes both, three rung values. */
    cr_expect_eq(fx_check(&fx, c, 9, 1.5), 0);
    cr_expect_eq(hpo_pruner_rungs_get(fx.st, c->number, &v), 3);
    cr_expect(v[1] == 1.5 && v[2] == 1.5);
    fx_fini(&fx);
}

Test(pruner_sha, maximize_ties_and_nan)
{
    hpo_pruner_opts o = sha_opts(1, 2);
    fixture fx;
    fx_init(&fx, &o, HPO_MAXIMIZE);
    hpo_trial_rec *a = fx_ask(&fx), *b = fx_ask(&fx), *c = fx_ask(&fx), *d = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, a, 1, 0.8), 0);
    cr_expect_eq(fx_check(&fx, b, 1, 0.8), 0);     /* {0.8, 0.8}: top 1 is 0.8, a tie kept */
    cr_expect_eq(fx_check(&fx, c, 1, 0.7), 1);     /* {.8,.8,.7}: top 1 */
    cr_expect_eq(fx_check(&fx, d, 1, NAN), 1);     /* NaN at a rung: pruned, nothing stored */
    const double *v;
    cr_expect_eq(hpo_pruner_rungs_get(fx.st, d->number, &v), 0);
    hpo_trial_rec *e = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, e, 0, NAN), 0);     /* NaN below the first rung: not judged */
    fx_fini(&fx);
}

Test(pruner_sha, auto_min_resource_and_bootstrap)
{
    hpo_pruner_opts o = sha_opts(0, 4);
    fixture fx;
    fx_init(&fx, &o, HPO_MINIMIZE);
    hpo_trial_rec *a = fx_ask(&fx);
    for (int s = 0; s < 300; s++) cr_expect_eq(fx_check(&fx, a, s, 1e9), 0);  /* nothing complete */
    cr_expect_eq(hpo_pruner_resource_get(fx.st), 0);
    const double z[1] = {0};
    hpo_trial_rec *done = fx_complete(&fx, z, 0);
    fx_report(done, 250, 0.0);                    /* largest complete step 250 -> 250 // 100 = 2 */
    hpo_trial_rec *b = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, b, 1, 5.0), 0);    /* 1 < 2 */
    cr_expect_eq(hpo_pruner_resource_get(fx.st), 2);
    cr_expect_eq(fx_check(&fx, b, 2, 5.0), 0);    /* alone at rung 0 */
    fx_fini(&fx);

    o = sha_opts(1, 2);
    o.bootstrap_count = 2;
    fx_init(&fx, &o, HPO_MINIMIZE);
    hpo_trial_rec *t[3];
    for (int i = 0; i < 3; i++) t[i] = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, t[0], 1, 1.0), 1);  /* 1 value <= 2: pruned */
    cr_expect_eq(fx_check(&fx, t[1], 1, 1.0), 1);  /* 2 values */
    cr_expect_eq(fx_check(&fx, t[2], 1, 0.5), 0);  /* 3 values, best */
    fx_fini(&fx);
}

Test(pruner_sha, min_early_stopping_rate_shifts_rungs)
{
    hpo_pruner_opts o = sha_opts(1, 3);
    o.min_early_stopping_rate = 2;               /* first rung at 1 * 3^2 = 9 */
    fixture fx;
    fx_init(&fx, &o, HPO_MINIMIZE);
    hpo_trial_rec *a = fx_ask(&fx), *b = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, a, 9, 1.0), 0);
    for (int s = 0; s < 9; s++) cr_expect_eq(fx_check(&fx, b, s, 5.0), 0, "step %d", s);
    cr_expect_eq(fx_check(&fx, b, 9, 5.0), 1);
    fx_fini(&fx);
}

Test(pruner_sha, bad_options_and_resume_calls)
{
    const hpo_pruner_ops *ops;
    void *st = NULL;
    cr_assert_eq(hpo_pruner_find("successive_halving", &ops), HPO_OK);
    hpo_pruner_opts o = sha_opts(1, 1);
    cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
    o = sha_opts(-1, 4);
    cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
    o = sha_opts(0, 4); o.bootstrap_count = 1;    /* bootstrap needs a given min_resource */
    cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
    o = sha_opts(1, 4); o.min_early_stopping_rate = -1;
    cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
    cr_expect_null(st);

    o = sha_opts(0, 4);
    cr_assert_eq(ops->create(&o, &st), HPO_OK);
    double v[] = {0.5, 0.25};
    cr_expect_eq(hpo_pruner_rungs_set(st, 7, v, 2), HPO_OK);
    const double *g;
    cr_expect_eq(hpo_pruner_rungs_get(st, 7, &g), 2);
    cr_expect(g[0] == 0.5 && g[1] == 0.25);
    cr_expect_eq(hpo_pruner_rungs_get(st, 6, &g), 0);
    cr_expect_eq(hpo_pruner_rungs_get(st, 100000, &g), 0);
    double bad[] = {NAN};
    cr_expect_eq(hpo_pruner_rungs_set(st, 1, bad, 1), HPO_EINVAL);
    cr_expect_eq(hpo_pruner_resource_set(st, 3), HPO_OK);
    cr_expect_eq(hpo_pruner_resource_get(st), 3);
    cr_expect_eq(hpo_pruner_resource_set(st, 4), HPO_ESTATE);
    cr_expect_eq(hpo_pruner_resource_set(st, 0), HPO_EINVAL);
    ops->destroy(st);
    int not_a_state = 0;
    cr_expect_eq(hpo_pruner_rungs_set(&not_a_state, 0, v, 1), HPO_EINVAL);
    cr_expect_eq(hpo_pruner_resource_get(&not_a_state), 0);
}

/* ---- hyperband ---------------------------------------------------------- */

Test(pruner_hyperband, bracket_of_a_trial_is_optunas)
{
    /* Python: HyperbandPruner(max_resource=81) in a study named "mpihpo":
     * brackets of trials 0..19 (budgets 81, 34, 15, 8, 5 of 143). */
    const int64_t want[20] = {2, 2, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 3, 0, 0, 3, 2, 0, 0, 0};
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, "hyperband");
    o.max_resource = 81;
    o.study_name = "mpihpo";
    fixture fx;
    fx_init(&fx, &o, HPO_MINIMIZE);
    cr_expect_eq(hpo_hyperband_trial_bracket(fx.st, 5), 0);    /* before the first check */
    hpo_trial_rec *t = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, t, 0, 1.0), 0);
    for (int i = 0; i < 20; i++) cr_expect_eq(hpo_hyperband_trial_bracket(fx.st, i), want[i], "trial %d", i);
    fx_fini(&fx);
}

Test(pruner_hyperband, six_brackets_for_1_to_243)
{
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, "hyperband");
    o.max_resource = 243;
    o.study_name = "hb243";
    fixture fx;
    fx_init(&fx, &o, HPO_MINIMIZE);
    hpo_trial_rec *t = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, t, 0, 1.0), 0);
    /* Trials of bracket b are first judged at step 3^b: find one per bracket. */
    int seen[6] = {0};
    for (int64_t n = 1; n < 400; n++) {
        int64_t b = hpo_hyperband_trial_bracket(fx.st, n);
        cr_assert(b >= 0 && b < 6);
        seen[b]++;
    }
    for (int b = 0; b < 6; b++) cr_expect_gt(seen[b], 0, "bracket %d empty", b);
    /* bracket 5 (rung at 243) must be the rarest, bracket 0 the most common */
    cr_expect_gt(seen[0], seen[1]);
    cr_expect_lt(seen[5], seen[1]);
    fx_fini(&fx);
}

Test(pruner_hyperband, auto_max_resource_and_bracket_isolation)
{
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, "hyperband");   /* min 1, max auto, eta 3 */
    o.study_name = "iso";
    fixture fx;
    fx_init(&fx, &o, HPO_MINIMIZE);
    hpo_trial_rec *r0 = fx_ask(&fx);
    for (int s = 0; s < 30; s++) cr_expect_eq(fx_check(&fx, r0, s, 1e9), 0);
    cr_expect_eq(hpo_pruner_resource_get(fx.st), 0);
    double curve[27];
    for (int i = 0; i < 27; i++) curve[i] = 1.0;
    fx_complete(&fx, curve, 27);                 /* last step 26 -> max_resource 27: 4 brackets */
    hpo_trial_rec *x = fx_ask(&fx);
    cr_expect_eq(fx_check(&fx, x, 0, 5.0), 0);
    cr_expect_eq(hpo_pruner_resource_get(fx.st), 27);
    /* Two later trials in different brackets never compete: find numbers. */
    int64_t n0 = -1, n1 = -1;
    for (int64_t n = (int64_t)fx.h.n; n < 200 && (n0 < 0 || n1 < 0); n++) {
        int64_t b = hpo_hyperband_trial_bracket(fx.st, n);
        if (b == 0 && n0 < 0) n0 = n;
        if (b == 1 && n1 < 0 && n0 >= 0) n1 = n;
    }
    cr_assert(n0 >= 0 && n1 > n0);
    hpo_trial_rec *a = NULL, *b = NULL;
    while ((int64_t)fx.h.n <= n1) {
        hpo_trial_rec *r = fx_ask(&fx);
        if (r->number == n0) a = r;
        if (r->number == n1) b = r;
    }
    /* a is bracket 0 (rungs 1, 3, 9), b bracket 1 (rungs 3, 9). */
    cr_expect_eq(fx_check(&fx, b, 1, 0.1), 0);   /* below its first rung */
    cr_expect_eq(fx_check(&fx, b, 3, 0.1), 0);
    /* a's rung-0 competitors are bracket-0 trials only: b's 0.1 (bracket 1)
     * would otherwise beat a's 0.9 and prune it. */
    cr_expect_eq(fx_check(&fx, a, 1, 0.9), 0);
    const double *v;
    cr_expect_eq(hpo_pruner_rungs_get(fx.st, a->number, &v), 1);
    cr_expect_eq(hpo_pruner_rungs_get(fx.st, b->number, &v), 1);
    cr_expect_eq(fx_check(&fx, a, 3, 0.9), 0);
    fx_fini(&fx);
}

Test(pruner_hyperband, bad_options)
{
    const hpo_pruner_ops *ops;
    void *st = NULL;
    cr_assert_eq(hpo_pruner_find("hyperband", &ops), HPO_OK);
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, "hyperband");
    cr_expect_eq(o.reduction_factor, 3);
    o.reduction_factor = 1;
    cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
    hpo_pruner_opts_default(&o, "hyperband");
    o.bootstrap_count = 1;                       /* needs max_resource */
    cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
    o.max_resource = 9;
    cr_expect_eq(ops->create(&o, &st), HPO_OK);
    ops->destroy(st);
    st = NULL;
    hpo_pruner_opts_default(&o, "hyperband");
    o.min_resource = 10; o.max_resource = 9;
    cr_expect_eq(ops->create(&o, &st), HPO_EINVAL);
    cr_expect_null(st);
    hpo_pruner_opts_default(&o, "hyperband");
    o.study_name = NULL;                         /* treated as "" */
    cr_expect_eq(ops->create(&o, &st), HPO_OK);
    ops->destroy(st);
}

/* ---- registry and out of memory ----------------------------------------- */

Test(pruner_registry, every_pruner_by_name)
{
    const char *names[] = {"none", "median", "percentile", "successive_halving", "hyperband"};
    for (int i = 0; i < 5; i++) {
        const hpo_pruner_ops *ops = NULL;
        cr_expect_eq(hpo_pruner_find(names[i], &ops), HPO_OK, "%s", names[i]);
        cr_expect_str_eq(ops->name, names[i]);
    }
    const hpo_pruner_ops *ops;
    cr_expect_eq(hpo_pruner_find("asha", &ops), HPO_EINVAL);
    cr_expect(strstr(hpo_error_message(), "successive_halving") != NULL, "%s", hpo_error_message());
}

/* A short study under every pruner; the k-th allocation fails for k = 0,
 * 1, ...: each failure is reported as HPO_ENOMEM and nothing leaks. */
static hpo_status oom_run(const char *type)
{
    hpo_status st = HPO_OK;
    hpo_pruner_opts o;
    hpo_pruner_opts_default(&o, type);
    o.n_startup_trials = 1;
    o.min_resource = !strcmp(type, "successive_halving") ? 1 : 0;
    o.study_name = "oom";
    const hpo_pruner_ops *ops;
    if ((st = hpo_pruner_find(type, &ops)) != HPO_OK) return st;
    void *ps = NULL;
    if ((st = ops->create(&o, &ps)) != HPO_OK) return st;
    hpo_history h = {0};
    for (int64_t n = 0; n < 6 && st == HPO_OK; n++) {
        hpo_trial_rec *r;
        if ((st = hpo_rec_create(n, &r)) != HPO_OK) break;
        if ((st = hpo_history_append(&h, r)) != HPO_OK) { hpo_rec_destroy(&r); break; }
        for (int64_t s = 0; s < 10 && st == HPO_OK; s++) {
            int rep, dec, p;
            if ((st = hpo_rec_add_report(r, s, (double)((n * 7 + s * 3) % 5), &rep, &dec)) != HPO_OK) break;
            st = ops->should_prune(ps, &h, r, &p);
        }
        r->state = HPO_COMPLETE;
    }
    hpo_history_clear(&h);
    ops->destroy(ps);
    return st;
}

Test(pruner_registry, out_of_memory_is_reported_and_leak_free)
{
    const char *names[] = {"median", "percentile", "successive_halving", "hyperband"};
    for (int i = 0; i < 4; i++) {
        long base = hpo_test_alloc_live();
        cr_assert_eq(oom_run(names[i]), HPO_OK);
        int failures = 0;
        for (long k = 0; k < 400; k++) {
            hpo_test_alloc_fail_at(k, 0);
            hpo_status st = oom_run(names[i]);
            hpo_test_alloc_fail_at(-1, 0);
            cr_expect(st == HPO_OK || st == HPO_ENOMEM, "%s k=%ld: status %d", names[i], k, (int)st);
            cr_expect_eq(hpo_test_alloc_live(), base, "%s k=%ld: leak", names[i], k);
            failures += st == HPO_ENOMEM;
            if (st == HPO_OK) break;           /* k is past the last allocation */
        }
        cr_expect_gt(failures, 2, "%s", names[i]);
    }
}

/* ---- through a study ----------------------------------------------------- */

/* Curves whose final value is x: bad x are visible from the first epochs. */
static double obj_curve(hpo_trial *t, void *ctx)
{
    (void)ctx;
    double x = hpo_suggest_float(t, "x", 0, 1, 0);
    for (int64_t e = 0; e < 27; e++) {
        hpo_report(t, e, x + 1.0 / (1.0 + (double)e));
        if (hpo_should_prune(t)) return hpo_trial_pruned(t);
    }
    return x;
}

Test(pruner_study, every_pruner_prunes_in_a_study)
{
    const char *names[] = {"median", "percentile", "successive_halving", "hyperband"};
    for (int i = 0; i < 4; i++) {
        hpo_study *s = NULL;
        cr_assert_eq(hpo_study_create(&s), HPO_OK);
        cr_assert_eq(hpo_study_set_seed(s, 7), HPO_OK);
        cr_assert_eq(hpo_study_set_log(s, NULL), HPO_OK);
        cr_assert_eq(hpo_study_set_pruner(s, names[i]), HPO_OK, "%s", hpo_error_message());
        cr_assert_eq(hpo_study_optimize(s, obj_curve, NULL, 40, 0), HPO_OK, "%s", hpo_error_message());
        size_t pruned = 0, complete = 0;
        for (size_t k = 0; k < hpo_study_n_trials(s); k++) {
            hpo_state st = hpo_rec_state(hpo_study_trial(s, k));
            pruned += st == HPO_PRUNED;
            complete += st == HPO_COMPLETE;
        }
        cr_expect_eq(pruned + complete, 40, "%s", names[i]);
        cr_expect_gt(pruned, 5, "%s: %zu pruned", names[i], pruned);
        const hpo_trial_rec *b = hpo_study_best_trial(s);
        cr_expect(b && hpo_rec_state(b) == HPO_COMPLETE, "%s", names[i]);
        hpo_study_destroy(&s);
    }
}

/* ---- next_check: which reports need a judgment --------------------------- */

/* A value of trial i at `step`: curves of different heights, a NaN now and
 * then, deterministic. */
static double curve(int i, int64_t step)
{
    uint64_t h = (uint64_t)i * 0x9E3779B97F4A7C15u + (uint64_t)step * 0xBF58476D1CE4E5B9u;
    h ^= h >> 31;
    if (h % 97 == 0) return NAN;
    double q = (double)((uint64_t)i * 2654435761u % 1000) / 1000.0;
    return q * (1.0 - exp(-(double)(step + 1) / 4.0)) + (double)(h % 1000) / 50000.0;
}

/* Two copies of a study, trials running three at a time and reporting steps
 * 0..E-1 round robin: A judges every report, B only reports at or past the
 * pruner's next_check. Every trial must be pruned at the same step (or not
 * at all) in both: next_check never skips a judgment that matters. Returns
 * the judgments B skipped. */
static size_t next_check_equivalence(const hpo_pruner_opts *o, hpo_direction d, int n_trials, int64_t E)
{
    fixture A, B;
    fx_init(&A, o, d);
    fx_init(&B, o, d);
    cr_assert_not_null(B.ops->next_check, "%s has no next_check", o->type);
    enum { K = 3 };
    hpo_trial_rec *ra[K] = {0}, *rb[K] = {0};
    int64_t step[K] = {0}, nc[K] = {0};
    int id[K], started = 0, done = 0;
    size_t skipped = 0;
    while (done < n_trials) {
        for (int k = 0; k < K; k++) {
            if (!ra[k]) {
                if (started == n_trials) continue;
                ra[k] = fx_ask(&A);
                rb[k] = fx_ask(&B);
                id[k] = started++;
                step[k] = 0;
                nc[k] = B.ops->next_check(B.st, &B.h, rb[k]);
            }
            double v = curve(id[k], step[k]);
            int pa = fx_check(&A, ra[k], step[k], v), pb = 0;
            fx_report(rb[k], step[k], v);
            if (step[k] >= nc[k]) {
                cr_assert_eq(B.ops->should_prune(B.st, &B.h, rb[k], &pb), HPO_OK, "%s", hpo_error_message());
                if (!pb) nc[k] = B.ops->next_check(B.st, &B.h, rb[k]);
                cr_assert_gt(pb ? INT64_MAX : nc[k], step[k], "%s: next_check not past step %" PRId64, o->type, step[k]);
            } else {
                skipped++;
            }
            cr_assert_eq(pa, pb, "%s: trial %d at step %" PRId64 ": judged every step %d, at next_check %d",
                         o->type, id[k], step[k], pa, pb);
            if (pa || ++step[k] == E) {
                ra[k]->state = rb[k]->state = pa ? HPO_PRUNED : HPO_COMPLETE;
                ra[k]->value = rb[k]->value = pa ? NAN : v;
                ra[k] = rb[k] = NULL;
                done++;
            }
        }
    }
    fx_fini(&A);
    fx_fini(&B);
    cr_log_info("%s: %zu judgments skipped", o->type, skipped);
    return skipped;
}

Test(pruner_next_check, skips_only_judgments_that_keep_and_change_nothing)
{
    hpo_pruner_opts o;
    for (int dir = 0; dir <= 1; dir++) {
        hpo_direction d = dir ? HPO_MAXIMIZE : HPO_MINIMIZE;
        hpo_pruner_opts_default(&o, "none");
        cr_expect_eq(next_check_equivalence(&o, d, 10, 20), 10 * 20);   /* nothing to judge */

        hpo_pruner_opts_default(&o, "median");
        cr_expect_eq(next_check_equivalence(&o, d, 40, 20), 0);         /* every step */
        o.n_warmup_steps = 5; o.interval_steps = 3; o.n_startup_trials = 4;
        cr_expect_gt(next_check_equivalence(&o, d, 40, 20), 0);
        hpo_pruner_opts_default(&o, "percentile");
        o.percentile = 25; o.n_warmup_steps = 2; o.interval_steps = 4; o.n_min_trials = 3;
        cr_expect_gt(next_check_equivalence(&o, d, 40, 20), 0);

        hpo_pruner_opts_default(&o, "successive_halving");               /* auto min_resource */
        cr_expect_gt(next_check_equivalence(&o, d, 60, 300), 0);
        o.min_resource = 1; o.reduction_factor = 3;
        cr_expect_gt(next_check_equivalence(&o, d, 60, 30), 0);           /* rungs at 1, 3, 9, 27 */
        o.min_resource = 2; o.reduction_factor = 2; o.min_early_stopping_rate = 1; o.bootstrap_count = 2;
        cr_expect_gt(next_check_equivalence(&o, d, 60, 30), 0);

        hpo_pruner_opts_default(&o, "hyperband");                        /* auto max_resource */
        o.study_name = "nc";
        cr_expect_gt(next_check_equivalence(&o, d, 80, 27), 0);
        o.min_resource = 1; o.max_resource = 27; o.reduction_factor = 3;
        cr_expect_gt(next_check_equivalence(&o, d, 80, 27), 0);
        o.max_resource = 16; o.min_resource = 1; o.reduction_factor = 2; o.bootstrap_count = 1;
        cr_expect_gt(next_check_equivalence(&o, d, 80, 16), 0);
    }
}

/* A report at step INT64_MAX: the rung resources saturate there, and the
 * rung loop once went on forever (a breaker's find); next_check saturates
 * too (it overflowed under UBSan). */
Test(pruner_sha, step_int64_max_ends, .timeout = 10)
{
    const char *types[] = {"successive_halving", "hyperband"};
    for (int k = 0; k < 2; k++) {
        hpo_pruner_opts o;
        hpo_pruner_opts_default(&o, types[k]);
        o.min_resource = 1;
        if (k) o.max_resource = 27;     /* auto would be INT64_MAX: too many brackets, an error */
        o.study_name = "big";
        fixture fx;
        fx_init(&fx, &o, HPO_MAXIMIZE);
        hpo_trial_rec *a = fx_ask(&fx);
        fx_report(a, INT64_MAX, 0.5);
        a->state = HPO_COMPLETE;
        a->value = 0.5;
        hpo_trial_rec *b = fx_ask(&fx);
        cr_assert_eq(fx.ops->next_check(fx.st, &fx.h, b), fx.ops->next_check(fx.st, &fx.h, b));
        (void)fx_check(&fx, b, INT64_MAX, 0.7);         /* returns */
        cr_assert_eq(fx.ops->next_check(fx.st, &fx.h, b), INT64_MAX, "%s", types[k]);
        fx_fini(&fx);
    }
}
