/* test_grid.c - the grid sampler: every point exactly once, also under
 * parallel use (RUNNING trials), HPO_EDONE when used up, the lazy grid's
 * rules, and the errors it promises. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "sampler_grid.h"
#include "study_impl.h"

static hpo_trial_rec *begin(void *st, hpo_history *h, hpo_rng *rng, hpo_status *s)
{
    hpo_trial_rec *r;
    cr_assert_eq(hpo_rec_create((int64_t)h->n, &r), HPO_OK);
    cr_assert_eq(hpo_history_append(h, r), HPO_OK);
    *s = hpo_sampler_grid.trial_begin(st, h, r, rng);
    return r;
}

/* explicit grid: lr {0.1, 0.01, 0.001} x opt {adam, sgd} x layers {1, 2} = 12 */
static const hpo_choice k_lr[] = {HPO_FLOAT(0.1), HPO_FLOAT(0.01), HPO_FLOAT(0.001)};
static const hpo_choice k_opt[] = {HPO_STR("adam"), HPO_STR("sgd")};
static const hpo_choice k_layers[] = {HPO_INT(1), HPO_INT(2)};
static const hpo_grid_axis k_axes[] = {{"lr", 3, k_lr}, {"opt", 2, k_opt}, {"layers", 2, k_layers}};

static int sample_point(void *st, hpo_history *h, hpo_trial_rec *r, hpo_rng *rng, const hpo_dist *d, int *code)
{
    hpo_pval v[3];
    static const char *const names[] = {"lr", "opt", "layers"};
    for (int a = 0; a < 3; a++) {
        hpo_status s = hpo_sampler_grid.sample(st, h, r, names[a], &d[a], rng, &v[a]);
        if (s != HPO_OK) return (int)s;
        cr_assert_eq(hpo_rec_add_param(r, names[a], &d[a], v[a]), HPO_OK);
    }
    int il = v[0].f == 0.1 ? 0 : v[0].f == 0.01 ? 1 : v[0].f == 0.001 ? 2 : -100;
    *code = il + 3 * (int)v[1].i + 6 * (int)(v[2].i - 1);
    return 0;
}

static void dists(hpo_dist d[3])
{
    hpo_choice oc[3] = {HPO_STR("sgd"), HPO_STR("adam"), HPO_STR("rmsprop")};
    cr_assert_eq(hpo_dist_float(&d[0], "lr", 1e-4, 1, 0, 1, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_cat(&d[1], "opt", oc, 3), HPO_OK);
    cr_assert_eq(hpo_dist_int(&d[2], "layers", 1, 4, 1, 0, NULL), HPO_OK);
}

Test(grid, each_point_once_under_parallel_use_then_done)
{
    void *st = NULL;
    cr_assert_eq(hpo_grid_create_impl(k_axes, 3, &st), HPO_OK);
    cr_assert_eq(hpo_grid_size_impl(st), 12);
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_dist d[3];
    dists(d);
    hpo_rng rng;
    hpo_rng_seed(&rng, 3);
    int seen[12] = {0};
    /* 4 "workers": keep 4 trials RUNNING at once; finish the oldest each round */
    hpo_trial_rec *running[12];
    size_t nr = 0, started = 0;
    hpo_status s;
    for (int round = 0; round < 12; round++) {
        while (nr < 4 && started < 12) {
            hpo_trial_rec *r = begin(st, &h, &rng, &s);
            cr_assert_eq(s, HPO_OK);
            int code;
            cr_assert_eq(sample_point(st, &h, r, &rng, d, &code), 0);
            cr_assert(code >= 0 && code < 12, "code %d", code);
            /* never the point of another trial, running or finished */
            cr_assert_eq(seen[code], 0, "point %d handed out twice", code);
            seen[code] = 1;
            running[nr++] = r;
            started++;
        }
        if (nr) { running[0]->state = round % 3 ? HPO_COMPLETE : HPO_FAIL; memmove(running, running + 1, --nr * sizeof *running); }
    }
    for (int i = 0; i < 12; i++) cr_assert_eq(seen[i], 1);
    begin(st, &h, &rng, &s);
    cr_assert_eq(s, HPO_EDONE);
    hpo_error_clear();
    hpo_sampler_grid.destroy(st);
    for (int a = 0; a < 3; a++) hpo_dist_clear(&d[a]);
    hpo_history_clear(&h);
}

Test(grid, order_is_seeded)
{
    int order[2][3][12];
    for (int run = 0; run < 3; run++) {
        void *st = NULL;
        cr_assert_eq(hpo_grid_create_impl(k_axes, 3, &st), HPO_OK);
        hpo_history h = {.direction = HPO_MINIMIZE};
        hpo_dist d[3];
        dists(d);
        hpo_rng rng;
        hpo_rng_seed(&rng, run == 2 ? 99 : 1);
        for (int i = 0; i < 12; i++) {
            hpo_status s;
            hpo_trial_rec *r = begin(st, &h, &rng, &s);
            cr_assert_eq(s, HPO_OK);
            int code;
            cr_assert_eq(sample_point(st, &h, r, &rng, d, &code), 0);
            order[0][run][i] = code;
            r->state = HPO_COMPLETE;
        }
        hpo_sampler_grid.destroy(st);
        for (int a = 0; a < 3; a++) hpo_dist_clear(&d[a]);
        hpo_history_clear(&h);
    }
    cr_assert_eq(memcmp(order[0][0], order[0][1], sizeof order[0][0]), 0);     /* same seed, same order */
    cr_assert_neq(memcmp(order[0][0], order[0][2], sizeof order[0][0]), 0);    /* another seed, another */
    int identity = 1;
    for (int i = 0; i < 12; i++) identity &= order[0][0][i] == i;
    cr_assert(!identity);
}

Test(grid, bad_axes_and_values_are_errors)
{
    void *st = NULL;
    const hpo_choice dup[] = {HPO_INT(1), HPO_INT(1)};
    const hpo_grid_axis a1[] = {{"x", 2, dup}};
    cr_assert_eq(hpo_grid_create_impl(a1, 1, &st), HPO_EINVAL);
    const hpo_grid_axis a2[] = {{"x", 0, dup}};
    cr_assert_eq(hpo_grid_create_impl(a2, 1, &st), HPO_EINVAL);
    const hpo_grid_axis a3[] = {{"x", 1, dup}, {"x", 1, dup}};
    cr_assert_eq(hpo_grid_create_impl(a3, 2, &st), HPO_EINVAL);
    hpo_error_clear();
    /* a value outside the distribution, a parameter not in the grid */
    const hpo_choice big[] = {HPO_INT(50)};
    const hpo_grid_axis a4[] = {{"n", 1, big}};
    cr_assert_eq(hpo_grid_create_impl(a4, 1, &st), HPO_OK);
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_rng rng;
    hpo_rng_seed(&rng, 1);
    hpo_status s;
    hpo_trial_rec *r = begin(st, &h, &rng, &s);
    hpo_dist d;
    cr_assert_eq(hpo_dist_int(&d, "n", 1, 10, 1, 0, NULL), HPO_OK);
    hpo_pval v;
    cr_assert_eq(hpo_sampler_grid.sample(st, &h, r, "n", &d, &rng, &v), HPO_EINVAL);
    cr_assert_eq(hpo_sampler_grid.sample(st, &h, r, "m", &d, &rng, &v), HPO_EINVAL);
    hpo_error_clear();
    hpo_sampler_grid.destroy(st);
    hpo_history_clear(&h);
}

static double f_lazy(hpo_trial *t, void *ctx)
{
    (void)ctx;
    static const char *const c[] = {"a", "b", "c"};
    int64_t n = hpo_suggest_int_step(t, "n", 0, 6, 2);             /* 0 2 4 6 */
    const char *s = hpo_suggest_categorical_str(t, "c", c, 3);
    double q = hpo_suggest_float_step(t, "q", 0.0, 0.2, 0.1);      /* 0 .1 .2 */
    return (double)n + (double)(s[0] - 'a') + q;
}

Test(grid, lazy_grid_from_the_first_trial_covers_everything_once)
{
    hpo_study *s = NULL;
    cr_assert_eq(hpo_study_create(&s), HPO_OK);
    cr_assert_eq(hpo_study_set_seed(s, 5), HPO_OK);
    cr_assert_eq(hpo_study_set_log(s, NULL), HPO_OK);
    cr_assert_eq(hpo_study_set_sampler(s, "grid"), HPO_OK);
    cr_assert_eq(hpo_study_optimize(s, f_lazy, NULL, 36, 0), HPO_OK);
    int seen[36] = {0};
    for (size_t i = 0; i < 36; i++) {
        const hpo_trial_rec *r = hpo_study_trial(s, i);
        int n = (int)hpo_rec_find_param(r, "n")->v.i / 2;
        int c = (int)hpo_rec_find_param(r, "c")->v.i;
        int q = (int)lround(hpo_rec_find_param(r, "q")->v.f * 10);
        int code = n + 4 * c + 12 * q;
        cr_assert_eq(seen[code], 0, "trial %zu repeats a point", i);
        seen[code] = 1;
    }
    /* the 37th trial finds the grid used up: the study stops cleanly, as
     * Optuna's GridSampler stops the study, and no trial is added */
    hpo_status st = hpo_study_optimize(s, f_lazy, NULL, 5, 0);
    cr_assert_eq(st, HPO_OK);
    cr_assert_eq(hpo_study_n_trials(s), 36);
    hpo_study_destroy(&s);
}

static double f_float_range(hpo_trial *t, void *ctx)
{
    (void)ctx;
    return hpo_suggest_float(t, "lr", 1e-5, 1e-1, HPO_LOG);
}

Test(grid, a_float_range_without_values_is_an_error)
{
    void *st = NULL;
    cr_assert_eq(hpo_grid_create_impl(NULL, 0, &st), HPO_OK);
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_rng rng;
    hpo_rng_seed(&rng, 1);
    hpo_status s;
    hpo_trial_rec *r = begin(st, &h, &rng, &s);
    hpo_dist d;
    cr_assert_eq(hpo_dist_float(&d, "lr", 1e-5, 1e-1, 0, 1, NULL), HPO_OK);
    hpo_pval v;
    cr_assert_eq(hpo_sampler_grid.sample(st, &h, r, "lr", &d, &rng, &v), HPO_EINVAL);
    hpo_error_clear();
    hpo_sampler_grid.destroy(st);
    hpo_history_clear(&h);
    /* through a study: the trial fails with the message, optimize reports it */
    hpo_study *sd = NULL;
    cr_assert_eq(hpo_study_create(&sd), HPO_OK);
    cr_assert_eq(hpo_study_set_log(sd, NULL), HPO_OK);
    cr_assert_eq(hpo_study_set_sampler(sd, "grid"), HPO_OK);
    cr_assert_neq(hpo_study_optimize(sd, f_float_range, NULL, 1, 0), HPO_OK);
    hpo_error_clear();
    hpo_study_destroy(&sd);
}

Test(grid, lazy_grid_refuses_new_parameters_after_trial_0)
{
    void *st = NULL;
    cr_assert_eq(hpo_grid_create_impl(NULL, 0, &st), HPO_OK);
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_rng rng;
    hpo_rng_seed(&rng, 1);
    hpo_status s;
    hpo_dist d;
    cr_assert_eq(hpo_dist_int(&d, "k", 1, 3, 1, 0, NULL), HPO_OK);
    hpo_trial_rec *r0 = begin(st, &h, &rng, &s);
    hpo_pval v;
    cr_assert_eq(hpo_sampler_grid.sample(st, &h, r0, "k", &d, &rng, &v), HPO_OK);
    r0->state = HPO_COMPLETE;
    hpo_trial_rec *r1 = begin(st, &h, &rng, &s);
    cr_assert_eq(s, HPO_OK);
    cr_assert_eq(hpo_grid_size_impl(st), 3);
    cr_assert_eq(hpo_sampler_grid.sample(st, &h, r1, "z", &d, &rng, &v), HPO_EINVAL);
    hpo_error_clear();
    hpo_sampler_grid.destroy(st);
    hpo_history_clear(&h);
}
