/* test_tpe.c - the TPE sampler against independently computed numbers.
 *
 * Reference values: tests/ref/make_tpe_ref.py (mpmath at 50 digits, written
 * from the textbook formulas, not from our code); hand computations are
 * spelled out next to each check. Behavioural checks (quadratic, constant
 * liar, reproducibility, conditional spaces) use fixed seeds. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "sampler_tpe.h"
#include "study_impl.h"

#define NEAR(a, b, tol) cr_assert(fabs((a) - (b)) <= (tol) * fmax(1.0, fabs(b)), \
                                  "%s = %.17g, expected %.17g", #a, (double)(a), (double)(b))

/* ---- truncated normal ---------------------------------------------------- */

Test(tpe_truncnorm, log_ndtr_matches_mpmath_in_both_tails)
{
    static const double ref[][2] = {
        {-40, -804.60844201375378817}, {-31, -484.85396362717928858}, {-29, -424.78741990973016268},
        {-10, -53.231285150512470578}, {-3, -6.6077262215103495433}, {-0.5, -1.1759117615936186089},
        {0, -0.69314718055994530942}, {2, -0.023012909328963488465}, {7, -1.2798125438866539645e-12},
        {12, -1.7764821120776789978e-33},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        double got = hpo_tpe_log_ndtr_impl(ref[i][0]);
        cr_assert(fabs(got - ref[i][1]) <= 1e-12 * fabs(ref[i][1]) + 1e-300,
                  "log_ndtr(%g) = %.17g, expected %.17g", ref[i][0], got, ref[i][1]);
    }
}

Test(tpe_truncnorm, log_gauss_mass_has_no_cancellation)
{
    static const double ref[][3] = {
        {-1, 1, -0.38171514630212607227}, {-40, -39, -765.08315656437754441},
        {-12, -11.5, -69.496406127905108877}, {5, 6, -15.068446096529453352},
        {30, 31, -454.32124395634325204}, {-0.1, 0.2, -2.1278963696652225094},
        {-50, 50, 0.0}, {2, 2.001, -9.8276938121035864928},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        double got = hpo_tpe_log_gauss_mass_impl(ref[i][0], ref[i][1]);
        cr_assert(fabs(got - ref[i][2]) <= 1e-10 * fmax(1.0, fabs(ref[i][2])),
                  "log_mass(%g, %g) = %.17g, expected %.17g", ref[i][0], ref[i][1], got, ref[i][2]);
    }
    cr_assert(isinf(hpo_tpe_log_gauss_mass_impl(1.0, 1.0)));
}

Test(tpe_truncnorm, ppf_inverts_the_truncated_cdf)
{
    static const double ref[][4] = {
        {0.5, -1, 1, 0.0}, {0.1, -2, 3, -1.1732881868693391932}, {0.9, 0.5, 4, 1.8679824587844540934},
        {0.3, -40, -38, -38.031648437727843818}, {0.7, 20, 25, 20.059959822412701354},
        {0.01, -3, -2, -2.9548904685981862318}, {0.999, -1, 0.5, 0.49848719573558357616},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        double got = hpo_tpe_ppf_impl(ref[i][0], ref[i][1], ref[i][2]);
        cr_assert(fabs(got - ref[i][3]) <= 1e-9 * fmax(1.0, fabs(ref[i][3])),
                  "ppf(%g; %g, %g) = %.17g, expected %.17g", ref[i][0], ref[i][1], ref[i][2], got, ref[i][3]);
    }
    /* the ends of the quantile range land on the bounds */
    NEAR(hpo_tpe_ppf_impl(0.0, -2, 3), -2.0, 1e-12);
    cr_assert_leq(hpo_tpe_ppf_impl(1.0 - 1e-17, -2, 3), 3.0);
}

Test(tpe_truncnorm, logpdf_matches_closed_form)
{
    static const double ref[][6] = {
        {0.3, 0.5, 0.2, 0, 1, 0.20299647429333247223},
        {0.95, 0.1, 0.05, 0, 1, -142.40019335032168529},
        {-4.0, 2.0, 1.0, -5, 5, -18.917587723238643005},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        double got = hpo_tpe_truncnorm_logpdf_impl(ref[i][0], ref[i][1], ref[i][2], ref[i][3], ref[i][4]);
        NEAR(got, ref[i][5], 1e-11);
    }
}

/* ---- gamma, weights, bandwidth ------------------------------------------ */

Test(tpe_params, gamma_is_ceil_tenth_capped_at_25)
{
    static const size_t n[] = {0, 1, 9, 10, 11, 100, 240, 241, 250, 1000};
    static const size_t want[] = {0, 1, 1, 1, 2, 10, 24, 25, 25, 25};
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
        cr_assert_eq(hpo_tpe_gamma_impl(n[i]), want[i], "gamma(%zu)", n[i]);
}

Test(tpe_params, weights_ramp_the_oldest_and_keep_25_flat)
{
    double w[30];
    hpo_tpe_weights_impl(30, w);
    /* m = 30: np.linspace(1/30, 1, 5) then 25 ones */
    const double step = (1.0 - 1.0 / 30) / 4;
    for (int i = 0; i < 5; i++) NEAR(w[i], 1.0 / 30 + i * step, 1e-15);
    NEAR(w[0], 0.033333333333333333, 1e-15);
    NEAR(w[2], 0.51666666666666667, 1e-15);
    for (int i = 5; i < 30; i++) cr_assert_eq(w[i], 1.0);
    hpo_tpe_weights_impl(26, w);          /* linspace with one point: [1/26] */
    NEAR(w[0], 1.0 / 26, 1e-15);
    for (int i = 1; i < 26; i++) cr_assert_eq(w[i], 1.0);
    hpo_tpe_weights_impl(24, w);
    for (int i = 0; i < 24; i++) cr_assert_eq(w[i], 1.0);
}

Test(tpe_params, bandwidth_is_the_larger_neighbour_gap_with_magic_clip)
{
    double s[4];
    /* [0,1], R = 1, 4 obs: clip to [1/min(100, 4+2), 1] = [1/6, 1].
     * sorted 0.2 0.5 0.55 0.9: 0.2 -> right gap .3 (endpoints off);
     * 0.5 -> max(.3, .05); 0.55 -> max(.05, .35); 0.9 -> left gap .35. */
    const double m1[] = {0.9, 0.2, 0.55, 0.5};
    hpo_tpe_bandwidth_impl(m1, 4, 0.0, 1.0, s, NULL);
    NEAR(s[0], 0.35, 1e-15); NEAR(s[1], 0.3, 1e-15); NEAR(s[2], 0.35, 1e-15); NEAR(s[3], 0.3, 1e-15);
    /* a tight cluster: every gap .01 < 1/5, so all are clipped up to 0.2 */
    const double m2[] = {0.1, 0.11, 0.12};
    hpo_tpe_bandwidth_impl(m2, 3, 0.0, 1.0, s, NULL);
    for (int i = 0; i < 3; i++) NEAR(s[i], 0.2, 1e-15);
    /* one observation: the larger distance to a bound, max(0.3, 0.7) */
    const double m3[] = {0.3};
    hpo_tpe_bandwidth_impl(m3, 1, 0.0, 1.0, s, NULL);
    NEAR(s[0], 0.7, 1e-15);
    /* widened discrete domain [-0.5, 10.5] (int 0..10), R = 11: obs 0 and 10 ->
     * gap 10 each; clip [11/4, 11] keeps 10 */
    const double m4[] = {0, 10};
    hpo_tpe_bandwidth_impl(m4, 2, -0.5, 10.5, s, NULL);
    NEAR(s[0], 10.0, 1e-15); NEAR(s[1], 10.0, 1e-15);
    /* 200 observations: the clip lower bound is R/100 */
    double m5[200], s5[200];
    for (int i = 0; i < 200; i++) m5[i] = 0.001 * i;
    hpo_tpe_bandwidth_impl(m5, 200, 0.0, 1.0, s5, NULL);
    for (int i = 0; i < 200; i++) NEAR(s5[i], 0.01, 1e-15);
}

/* ---- estimators vs hand-computed mixtures -------------------------------- */

Test(tpe_estimator, continuous_mixture)
{
    hpo_dist d;
    cr_assert_eq(hpo_dist_float(&d, "x", 0, 1, 0, 0, NULL), HPO_OK);
    hpo_pval obs[4] = {{.f = 0.2}, {.f = 0.5}, {.f = 0.55}, {.f = 0.9}};
    hpo_pval at[3] = {{.f = 0.3}, {.f = 0.7}, {.f = 0.01}};
    double out[3];
    cr_assert_eq(hpo_tpe_logpdf_impl(&d, obs, 4, 1.0, at, 3, out), HPO_OK);
    NEAR(out[0], 0.071368648562903833694, 1e-12);
    NEAR(out[1], 0.090262476905729861852, 1e-12);
    NEAR(out[2], -0.42772376243029083193, 1e-12);
}

Test(tpe_estimator, discrete_kernels_score_cell_mass)
{
    hpo_dist d;
    cr_assert_eq(hpo_dist_int(&d, "n", 1, 5, 1, 0, NULL), HPO_OK);
    hpo_pval obs[3] = {{.i = 2}, {.i = 2}, {.i = 4}};
    hpo_pval at[5] = {{.i = 1}, {.i = 2}, {.i = 3}, {.i = 4}, {.i = 5}};
    static const double ref[5] = {-1.6362834702749698541, -1.3389007812291232079, -1.4444585656143340529,
                                  -1.7386277349120940256, -2.0285290396802527315};
    double out[5], tot = 0;
    cr_assert_eq(hpo_tpe_logpdf_impl(&d, obs, 3, 1.0, at, 5, out), HPO_OK);
    for (int i = 0; i < 5; i++) { NEAR(out[i], ref[i], 1e-12); tot += exp(out[i]); }
    NEAR(tot, 1.0, 1e-12);     /* a proper distribution over the 5 points */
}

Test(tpe_estimator, log_int_kernels_are_discrete_in_log_space)
{
    hpo_dist d;
    cr_assert_eq(hpo_dist_int(&d, "units", 1, 100, 1, 1, NULL), HPO_OK);
    hpo_pval obs[2] = {{.i = 3}, {.i = 10}};
    static const int64_t v[6] = {1, 3, 4, 10, 57, 100};
    static const double ref[6] = {-1.789823528904349203, -2.499023602530040867, -2.7436664187868395682,
                                  -3.7105461133702030272, -6.2081311407798998699, -7.0749945940090181103};
    hpo_pval at[6];
    for (int i = 0; i < 6; i++) at[i].i = v[i];
    double out[6];
    cr_assert_eq(hpo_tpe_logpdf_impl(&d, obs, 2, 1.0, at, 6, out), HPO_OK);
    for (int i = 0; i < 6; i++) NEAR(out[i], ref[i], 1e-12);
    hpo_pval all[100];
    for (int i = 0; i < 100; i++) all[i].i = i + 1;
    double o2[100], tot = 0;
    cr_assert_eq(hpo_tpe_logpdf_impl(&d, obs, 2, 1.0, all, 100, o2), HPO_OK);
    for (int i = 0; i < 100; i++) tot += exp(o2[i]);
    NEAR(tot, 1.0, 1e-12);
}

Test(tpe_estimator, categorical_kernels_by_hand)
{
    hpo_choice ch[3] = {HPO_STR("a"), HPO_STR("b"), HPO_STR("c")};
    hpo_dist d;
    cr_assert_eq(hpo_dist_cat(&d, "c", ch, 3), HPO_OK);
    /* obs a, a, c; K = 4 kernels of weight 1/4. Observation kernel: 1 on its
     * choice + 1/4 on each, normalised by 1.75: hit 1.25/1.75, miss .25/1.75.
     * Prior: 1/3 each.
     * p(a) = (2*1.25/1.75 + .25/1.75 + 1/3) / 4 = 0.476190...
     * p(b) = (3*.25/1.75 + 1/3) / 4            = 0.190476...
     * p(c) = (2*.25/1.75 + 1.25/1.75 + 1/3)/4  = 0.333333... */
    hpo_pval obs[3] = {{.i = 0}, {.i = 0}, {.i = 2}};
    hpo_pval at[3] = {{.i = 0}, {.i = 1}, {.i = 2}};
    double out[3];
    cr_assert_eq(hpo_tpe_logpdf_impl(&d, obs, 3, 1.0, at, 3, out), HPO_OK);
    NEAR(exp(out[0]), (2 * 1.25 / 1.75 + 0.25 / 1.75 + 1.0 / 3) / 4, 1e-14);
    NEAR(exp(out[1]), (3 * 0.25 / 1.75 + 1.0 / 3) / 4, 1e-14);
    NEAR(exp(out[2]), (2 * 0.25 / 1.75 + 1.25 / 1.75 + 1.0 / 3) / 4, 1e-14);
    /* no observations: the prior alone */
    cr_assert_eq(hpo_tpe_logpdf_impl(&d, NULL, 0, 1.0, at, 3, out), HPO_OK);
    for (int i = 0; i < 3; i++) NEAR(exp(out[i]), 1.0 / 3, 1e-14);
    hpo_dist_clear(&d);
}

/* ---- histories by hand ---------------------------------------------------- */

static hpo_trial_rec *add_trial(hpo_history *h, hpo_state st, double value)
{
    hpo_trial_rec *r;
    cr_assert_eq(hpo_rec_create((int64_t)h->n, &r), HPO_OK);
    r->state = st;
    r->value = value;
    cr_assert_eq(hpo_history_append(h, r), HPO_OK);
    return r;
}

static void add_report(hpo_trial_rec *r, int64_t step, double v)
{
    int rep, dec;
    cr_assert_eq(hpo_rec_add_report(r, step, v, &rep, &dec), HPO_OK);
}

Test(tpe_split, pruned_trials_fill_below_by_depth_then_value)
{
    hpo_history h = {.direction = HPO_MINIMIZE};
    add_trial(&h, HPO_COMPLETE, 5.0);                       /* 0 */
    for (int i = 1; i <= 14; i++) {                         /* 1..14: pruned */
        hpo_trial_rec *r = add_trial(&h, HPO_PRUNED, NAN);
        if (i == 3) { add_report(r, 0, 9.0); add_report(r, 1, 8.0); add_report(r, 4, 7.0); } /* deepest 4 */
        else if (i == 5) { add_report(r, 4, 1.0); }          /* deepest 4, better */
        else if (i == 7) { add_report(r, 2, 0.1); }          /* step 2 */
        else if (i == 8) { add_report(r, 4, NAN); }          /* step 4 but NaN: after 3 and 5 */
        else if (i == 9) { /* never reported: last of all */ }
        else add_report(r, 1, (double)i);                    /* step 1 */
    }
    add_trial(&h, HPO_FAIL, NAN);                           /* 15: ignored */
    add_trial(&h, HPO_RUNNING, NAN);                        /* 16: above (liar) */
    add_trial(&h, HPO_RUNNING, NAN);                        /* 17: the one being sampled */
    unsigned char lab[18];
    size_t n_fin;
    /* n = 15 finished -> gamma = 2... use 21 trials? ceil(1.5) = 2: the complete
     * trial plus the best pruned one (trial 5: step 4, value 1.0). */
    hpo_tpe_split_impl(&h, 17, 1, lab, &n_fin);
    cr_assert_eq(n_fin, 15);
    cr_assert_eq(lab[0], 1);
    cr_assert_eq(lab[5], 1);
    for (int i = 1; i <= 14; i++) if (i != 5) cr_assert_eq(lab[i], 2, "trial %d", i);
    cr_assert_eq(lab[15], 0);
    cr_assert_eq(lab[16], 2);
    cr_assert_eq(lab[17], 0);
    /* without the liar, RUNNING trials are not used at all */
    hpo_tpe_split_impl(&h, 17, 0, lab, &n_fin);
    cr_assert_eq(lab[16], 0);
    /* more pruned trials -> gamma 3, 4, 5: the order continues 3 (step 4, 7.0),
     * then 8 (step 4, NaN), then 7 (step 2) */
    for (int i = 0; i < 16; i++) add_trial(&h, HPO_PRUNED, NAN);  /* never reported, 18..33 */
    unsigned char lab2[34];
    hpo_tpe_split_impl(&h, 17, 1, lab2, &n_fin);            /* n = 31: gamma 4 */
    cr_assert_eq(n_fin, 31);
    cr_assert_eq(lab2[0] + lab2[5] + lab2[3] + lab2[8], 4);
    cr_assert_eq(lab2[7], 2);
    for (int i = 18; i < 34; i++) cr_assert_eq(lab2[i], 2);
    hpo_history_clear(&h);
}

Test(tpe_split, complete_trials_rank_by_direction)
{
    hpo_history h = {.direction = HPO_MAXIMIZE};
    for (int i = 0; i < 20; i++) add_trial(&h, HPO_COMPLETE, (double)((i * 7) % 20));  /* values 0..19 */
    unsigned char lab[20];
    size_t n_fin;
    hpo_tpe_split_impl(&h, -1, 1, lab, &n_fin);             /* gamma(20) = 2: values 19 and 18 */
    for (int i = 0; i < 20; i++) {
        double v = (double)((i * 7) % 20);
        cr_assert_eq(lab[i], v >= 18 ? 1 : 2, "trial %d value %g", i, v);
    }
    h.direction = HPO_MINIMIZE;
    hpo_tpe_split_impl(&h, -1, 1, lab, &n_fin);
    for (int i = 0; i < 20; i++) {
        double v = (double)((i * 7) % 20);
        cr_assert_eq(lab[i], v <= 1 ? 1 : 2);
    }
    hpo_history_clear(&h);
}

/* ---- the sampler ---------------------------------------------------------- */

static void *make_tpe(int liar, int mv, int group)
{
    hpo_sampler_opts o;
    hpo_sampler_opts_default(&o, "tpe");
    o.constant_liar = liar;
    o.multivariate = mv;
    o.group = group;
    void *st = NULL;
    cr_assert_eq(hpo_sampler_tpe.create(&o, &st), HPO_OK);
    return st;
}

Test(tpe_sampler, startup_trials_are_the_uniform_draw)
{
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_dist d;
    cr_assert_eq(hpo_dist_float(&d, "x", -3, 7, 0, 0, NULL), HPO_OK);
    void *st = make_tpe(1, 0, 0);
    for (int i = 0; i < 10; i++) {
        hpo_trial_rec *r = add_trial(&h, HPO_RUNNING, NAN);
        hpo_rng a, b;
        hpo_rng_seed(&a, 100 + i);
        b = a;
        hpo_pval v;
        cr_assert_eq(hpo_sampler_tpe.sample(st, &h, r, "x", &d, &a, &v), HPO_OK);
        hpo_pval u = hpo_sample_uniform(&d, &b);
        cr_assert_eq(v.f, u.f, "trial %d", i);
        cr_assert_eq(hpo_rec_add_param(r, "x", &d, v), HPO_OK);
        r->state = HPO_COMPLETE;
        r->value = v.f * v.f;
    }
    /* trial 10: TPE proper, no longer the uniform draw */
    hpo_trial_rec *r = add_trial(&h, HPO_RUNNING, NAN);
    hpo_rng a, b;
    hpo_rng_seed(&a, 7);
    b = a;
    hpo_pval v;
    cr_assert_eq(hpo_sampler_tpe.sample(st, &h, r, "x", &d, &a, &v), HPO_OK);
    cr_assert_neq(v.f, hpo_sample_uniform(&d, &b).f);
    hpo_sampler_tpe.destroy(st);
    hpo_history_clear(&h);
}

/* one study on f with sampler opts o; best value after n trials */
typedef struct run_ctx { double (*f)(hpo_trial *); } run_ctx;

static double run_obj(hpo_trial *t, void *ctx) { return ((run_ctx *)ctx)->f(t); }

static hpo_study *run_study(const char *type, int mv, int group, uint64_t seed, double (*f)(hpo_trial *), int n)
{
    hpo_study *s = NULL;
    cr_assert_eq(hpo_study_create(&s), HPO_OK);
    cr_assert_eq(hpo_study_set_seed(s, seed), HPO_OK);
    cr_assert_eq(hpo_study_set_log(s, NULL), HPO_OK);
    hpo_sampler_opts o;
    hpo_sampler_opts_default(&o, type);
    o.multivariate = mv;
    o.group = group;
    cr_assert_eq(hpo_study_set_sampler_opts(s, &o), HPO_OK);
    run_ctx c = {f};
    cr_assert_eq(hpo_study_optimize(s, run_obj, &c, n, 0), HPO_OK);
    return s;
}

static double best_after(const hpo_study *s, size_t n)
{
    double b = INFINITY;
    for (size_t i = 0; i < n && i < hpo_study_n_trials(s); i++) {
        const hpo_trial_rec *r = hpo_study_trial(s, i);
        if (hpo_rec_state(r) == HPO_COMPLETE && hpo_rec_value(r) < b) b = hpo_rec_value(r);
    }
    return b;
}

static double f_quad(hpo_trial *t)
{
    double x = hpo_suggest_float(t, "x", -10, 10, 0);
    return (x - 2.5) * (x - 2.5);
}

Test(tpe_sampler, quadratic_beats_random_on_paired_seeds)
{
    int wins = 0, near_tpe = 0, near_rand = 0;
    double sum_t = 0, sum_r = 0;
    for (uint64_t seed = 0; seed < 20; seed++) {
        hpo_study *a = run_study("tpe", 0, 0, seed, f_quad, 50);
        hpo_study *b = run_study("random", 0, 0, seed, f_quad, 50);
        double ta = best_after(a, 50), rb = best_after(b, 50);
        wins += ta < rb;
        sum_t += ta; sum_r += rb;
        for (size_t i = 25; i < 50; i++) {   /* where the later trials go */
            near_tpe += hpo_rec_value(hpo_study_trial(a, i)) < 1.0;
            near_rand += hpo_rec_value(hpo_study_trial(b, i)) < 1.0;
        }
        hpo_study_destroy(&a);
        hpo_study_destroy(&b);
    }
    cr_assert_geq(wins, 16, "TPE beat random on %d/20 seeds", wins);
    cr_assert_lt(sum_t, 0.2 * sum_r, "mean best: tpe %g, random %g", sum_t / 20, sum_r / 20);
    /* random puts 10% of its trials within 1 of the optimum; TPE most of them */
    cr_assert_gt(near_tpe, 4 * near_rand, "near optimum: tpe %d, random %d", near_tpe, near_rand);
}

Test(tpe_sampler, same_seed_same_history_same_suggestion)
{
    hpo_study *a = run_study("tpe", 0, 0, 42, f_quad, 40);
    hpo_study *b = run_study("tpe", 0, 0, 42, f_quad, 40);
    for (size_t i = 0; i < 40; i++)
        cr_assert_eq(hpo_rec_value(hpo_study_trial(a, i)), hpo_rec_value(hpo_study_trial(b, i)));
    hpo_study_destroy(&a);
    hpo_study_destroy(&b);
}

Test(tpe_sampler, constant_liar_steers_away_from_a_running_trial)
{
    /* 30 finished trials on (x - 1)^2, x on a fixed grid over [-5, 5]; a RUNNING
     * trial sits at the optimum. Over 400 draws, count suggestions within 0.25
     * of it with and without the liar. */
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_dist d;
    cr_assert_eq(hpo_dist_float(&d, "x", -5, 5, 0, 0, NULL), HPO_OK);
    for (int i = 0; i < 30; i++) {
        hpo_pval v = {.f = -5 + 10.0 * (i * 11 % 30) / 29.0};
        hpo_trial_rec *r = add_trial(&h, HPO_COMPLETE, (v.f - 1) * (v.f - 1));
        cr_assert_eq(hpo_rec_add_param(r, "x", &d, v), HPO_OK);
    }
    hpo_trial_rec *run = add_trial(&h, HPO_RUNNING, NAN);
    hpo_pval x0 = {.f = 1.0};
    cr_assert_eq(hpo_rec_add_param(run, "x", &d, x0), HPO_OK);
    hpo_trial_rec *me = add_trial(&h, HPO_RUNNING, NAN);
    int near[2] = {0, 0};
    for (int liar = 0; liar < 2; liar++) {
        void *st = make_tpe(liar, 0, 0);
        hpo_rng rng;
        hpo_rng_seed(&rng, 5);
        for (int k = 0; k < 400; k++) {
            hpo_pval v;
            cr_assert_eq(hpo_sampler_tpe.sample(st, &h, me, "x", &d, &rng, &v), HPO_OK);
            near[liar] += fabs(v.f - x0.f) < 0.25;
        }
        hpo_sampler_tpe.destroy(st);
    }
    cr_assert_lt(near[1], near[0] * 2 / 3, "near x0: liar %d, no liar %d", near[1], near[0]);
    hpo_history_clear(&h);
}

static double f_cond(hpo_trial *t)
{
    static const char *const opts[] = {"adam", "sgd"};
    const char *o = hpo_suggest_categorical_str(t, "opt", opts, 2);
    double lr = hpo_suggest_float(t, "lr", 1e-5, 1e-1, HPO_LOG);
    int64_t nl = hpo_suggest_int(t, "n_layers", 1, 3, 0);
    double f = (strcmp(o, "adam") == 0 ? 0.0 : 0.3) + 0.25 * pow(log10(lr) + 3, 2) + 0.02 * (double)(nl - 1);
    for (int64_t i = 0; i < nl; i++) {
        char name[32];
        snprintf(name, sizeof name, "units_l%d", (int)i);
        int64_t u = hpo_suggest_int(t, name, 4, 128, HPO_LOG);
        f += 0.002 * pow((double)u - 32.0, 2) / 100.0;
    }
    double drop = hpo_suggest_float_step(t, "dropout", 0.0, 0.5, 0.1);
    return f + drop;
}

static void check_conditional(const hpo_study *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const hpo_trial_rec *r = hpo_study_trial(s, i);
        cr_assert_eq(hpo_rec_state(r), HPO_COMPLETE);
        const hpo_param_rec *nl = hpo_rec_find_param(r, "n_layers");
        cr_assert_not_null(nl);
        for (int k = 0; k < 3; k++) {
            char name[32];
            snprintf(name, sizeof name, "units_l%d", k);
            const hpo_param_rec *p = hpo_rec_find_param(r, name);
            cr_assert_eq(p != NULL, k < nl->v.i, "trial %zu: %s with n_layers %d", i, name, (int)nl->v.i);
            if (p) cr_assert(p->v.i >= 4 && p->v.i <= 128);
        }
        const hpo_param_rec *dp = hpo_rec_find_param(r, "dropout");
        double q = dp->v.f / 0.1;
        cr_assert(fabs(q - nearbyint(q)) < 1e-9 && dp->v.f >= 0 && dp->v.f <= 0.5, "dropout %g", dp->v.f);
        const hpo_param_rec *lr = hpo_rec_find_param(r, "lr");
        cr_assert(lr->v.f >= 1e-5 && lr->v.f <= 1e-1);
    }
}

Test(tpe_sampler, conditional_space_univariate_multivariate_group)
{
    for (int mode = 0; mode < 3; mode++) {
        hpo_study *s = run_study("tpe", mode >= 1, mode == 2, 3, f_cond, 80);
        check_conditional(s, 80);
        hpo_study *r = run_study("random", 0, 0, 3, f_cond, 80);
        cr_assert_lt(best_after(s, 80), best_after(r, 80) + 0.05, "mode %d", mode);
        hpo_study_destroy(&s);
        hpo_study_destroy(&r);
    }
}

static double f_single(hpo_trial *t)
{
    static const char *const one[] = {"only"};
    double a = hpo_suggest_float(t, "a", 0.5, 0.5, 0);
    double b = hpo_suggest_float(t, "b", 2.0, 2.0, HPO_LOG);
    int64_t c = hpo_suggest_int(t, "c", 7, 7, 0);
    const char *d = hpo_suggest_categorical_str(t, "d", one, 1);
    double x = hpo_suggest_float(t, "x", -1, 1, 0);
    cr_assert(a == 0.5 && b == 2.0 && c == 7 && strcmp(d, "only") == 0);
    return x * x;
}

Test(tpe_sampler, single_point_ranges_never_divide_by_zero)
{
    for (int mode = 0; mode < 3; mode++) {
        hpo_study *s = run_study("tpe", mode >= 1, mode == 2, 9, f_single, 30);
        cr_assert_eq(hpo_study_n_trials(s), 30);
        hpo_study_destroy(&s);
    }
}

static double f_mixed_cat(hpo_trial *t)
{
    hpo_choice ch[4] = {HPO_STR("s"), HPO_INT(3), HPO_FLOAT(0.5), HPO_BOOL(1)};
    hpo_choice c = hpo_suggest_categorical(t, "c", ch, 4);
    double v = 0;
    switch (c.type) {
    case HPO_CHOICE_STR:   cr_assert_str_eq(c.v.s, "s"); v = 3; break;
    case HPO_CHOICE_INT:   cr_assert_eq(c.v.i, 3); v = 2; break;
    case HPO_CHOICE_FLOAT: cr_assert_eq(c.v.f, 0.5); v = 0; break;
    case HPO_CHOICE_BOOL:  cr_assert(c.v.b); v = 1; break;
    }
    return v + hpo_suggest_float(t, "y", 0, 1, 0);
}

Test(tpe_sampler, mixed_type_categorical_returns_each_values_type)
{
    hpo_study *s = run_study("tpe", 0, 0, 4, f_mixed_cat, 40);
    /* the best choice (0.5) dominates after start-up */
    int best = 0;
    for (size_t i = 20; i < 40; i++) best += hpo_rec_find_param(hpo_study_trial(s, i), "c")->v.i == 2;
    cr_assert_geq(best, 10);
    hpo_study_destroy(&s);
}

static double f_disc(hpo_trial *t)
{
    int64_t a = hpo_suggest_int_step(t, "a", -7, 20, 3);
    int64_t b = hpo_suggest_int(t, "b", 1, 1000, HPO_LOG);
    double c = hpo_suggest_float_step(t, "c", 0.1, 0.95, 0.05);
    cr_assert((a + 7) % 3 == 0 && a >= -7 && a <= 20);
    cr_assert(b >= 1 && b <= 1000);
    double q = (c - 0.1) / 0.05;
    cr_assert(fabs(q - nearbyint(q)) < 1e-9 && c >= 0.1 && c <= 0.95);
    return fabs((double)a - 5) + fabs(log((double)b) - log(30.0)) + fabs(c - 0.5);
}

Test(tpe_sampler, discrete_and_log_int_values_stay_on_the_grid)
{
    for (int mode = 0; mode < 2; mode++) {
        hpo_study *s = run_study("tpe", mode, 0, 11, f_disc, 60);
        cr_assert_eq(hpo_study_n_trials(s), 60);
        for (size_t i = 0; i < 60; i++) cr_assert_eq(hpo_rec_state(hpo_study_trial(s, i)), HPO_COMPLETE);
        hpo_study_destroy(&s);
    }
}

static double f_quad2(hpo_trial *t)
{
    double x = hpo_suggest_float(t, "x", -5, 5, 0), y = hpo_suggest_float(t, "y", -5, 5, 0);
    return (x - 1) * (x - 1) + (y + 2) * (y + 2) + 0.8 * (x - 1) * (y + 2);
}

Test(tpe_sampler, multivariate_hands_out_the_joint_sample_and_optimises)
{
    double sum_mv = 0, sum_r = 0;
    for (uint64_t seed = 0; seed < 10; seed++) {
        hpo_study *a = run_study("tpe", 1, 0, seed, f_quad2, 60);
        hpo_study *b = run_study("random", 0, 0, seed, f_quad2, 60);
        sum_mv += best_after(a, 60);
        sum_r += best_after(b, 60);
        hpo_study_destroy(&a);
        hpo_study_destroy(&b);
    }
    cr_assert_lt(sum_mv, 0.5 * sum_r, "mv %g random %g", sum_mv / 10, sum_r / 10);
}

Test(tpe_sampler, pruned_trials_take_part)
{
    /* a history of pruned trials only (reports at step 0): TPE still runs */
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_dist d;
    cr_assert_eq(hpo_dist_float(&d, "x", 0, 1, 0, 0, NULL), HPO_OK);
    for (int i = 0; i < 20; i++) {
        hpo_trial_rec *r = add_trial(&h, HPO_PRUNED, NAN);
        hpo_pval v = {.f = i / 19.0};
        cr_assert_eq(hpo_rec_add_param(r, "x", &d, v), HPO_OK);
        add_report(r, 0, fabs(v.f - 0.3));
    }
    hpo_trial_rec *me = add_trial(&h, HPO_RUNNING, NAN);
    void *st = make_tpe(1, 0, 0);
    hpo_rng rng;
    hpo_rng_seed(&rng, 1);
    int near = 0;
    for (int k = 0; k < 200; k++) {
        hpo_pval v;
        cr_assert_eq(hpo_sampler_tpe.sample(st, &h, me, "x", &d, &rng, &v), HPO_OK);
        near += fabs(v.f - 0.3) < 0.15;
    }
    /* uniform would put 30% there */
    cr_assert_gt(near, 100, "near the best pruned trials: %d/200", near);
    hpo_sampler_tpe.destroy(st);
    hpo_history_clear(&h);
}

Test(tpe_sampler, bad_options_are_refused)
{
    hpo_sampler_opts o;
    hpo_sampler_opts_default(&o, "tpe");
    o.ei_candidates = 0;
    void *st = NULL;
    cr_assert_eq(hpo_sampler_tpe.create(&o, &st), HPO_EINVAL);
    hpo_error_clear();
    hpo_sampler_opts_default(&o, "tpe");
    o.prior_weight = -1;
    cr_assert_eq(hpo_sampler_tpe.create(&o, &st), HPO_EINVAL);
    hpo_error_clear();
    const hpo_sampler_ops *ops;
    cr_assert_eq(hpo_sampler_find("tpe", &ops), HPO_OK);
    cr_assert_eq(ops, &hpo_sampler_tpe);
}

Test(tpe_sampler, out_of_memory_leaves_no_leak)
{
    /* fail each allocation of a TPE suggestion in turn */
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_dist d;
    cr_assert_eq(hpo_dist_float(&d, "x", 0, 1, 0, 0, NULL), HPO_OK);
    for (int i = 0; i < 15; i++) {
        hpo_trial_rec *r = add_trial(&h, HPO_COMPLETE, (double)i);
        hpo_pval v = {.f = i / 15.0};
        cr_assert_eq(hpo_rec_add_param(r, "x", &d, v), HPO_OK);
    }
    hpo_trial_rec *me = add_trial(&h, HPO_RUNNING, NAN);
    long live0 = hpo_test_alloc_live();
    for (long k = 0; k < 80; k++) {       /* more than a suggestion allocates */
        void *st = make_tpe(1, 1, 0);
        hpo_rng rng;
        hpo_rng_seed(&rng, 1);
        hpo_test_alloc_fail_at(k, 0);
        hpo_status s1 = hpo_sampler_tpe.trial_begin(st, &h, me, &rng);
        hpo_pval v;
        hpo_status s2 = hpo_sampler_tpe.sample(st, &h, me, "x", &d, &rng, &v);
        hpo_test_alloc_fail_at(-1, 0);
        hpo_error_clear();
        cr_assert(s1 == HPO_OK || s1 == HPO_ENOMEM);
        cr_assert(s2 == HPO_OK || s2 == HPO_ENOMEM);
        if (k == 79) cr_assert(s1 == HPO_OK && s2 == HPO_OK, "more than 80 allocations: not all were failed");
        hpo_sampler_tpe.destroy(st);
        cr_assert_eq(hpo_test_alloc_live(), live0, "leak after failing allocation %ld", k);
    }
    hpo_history_clear(&h);
}

Test(tpe_truncnorm, fast_exp_is_exp_to_a_few_ulp)
{
    /* the log-sum-exp's exp over its whole range [-708, 0], and exactly 1 at 0 */
    cr_assert_eq(hpo_tpe_exp_impl(0.0), 1.0);
    double worst = 0;
    for (int i = 0; i <= 200000; i++) {
        double y = -708.0 * i / 200000.0 - 1e-7 * (i % 7);
        if (y < -708) y = -708;
        double e = exp(y), f = hpo_tpe_exp_impl(y);
        double rel = fabs(f - e) / e;
        if (rel > worst) worst = rel;
    }
    cr_assert_lt(worst, 5e-16, "worst relative error %g", worst);
}

/* The sampler folds finished trials in once and keeps columns; a state that
 * watched the history grow (trials finishing out of order, some failing or
 * pruned, others still RUNNING as liars) must suggest exactly what a fresh
 * state suggests for the same history. A filtered view (hyperband's bracket)
 * must suggest what a whole history of the same trials does. */
Test(tpe_sampler, incremental_state_matches_a_fresh_one)
{
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_dist dx, dy;
    cr_assert_eq(hpo_dist_float(&dx, "x", -5, 5, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&dy, "y", 0, 10, 1, 0, NULL), HPO_OK);
    hpo_rng g;
    hpo_rng_seed(&g, 3);
    hpo_trial_rec *tr[80];
    for (int i = 0; i < 80; i++) {
        tr[i] = add_trial(&h, HPO_RUNNING, NAN);
        hpo_pval vx = {.f = -5 + 10 * hpo_rng_uniform(&g)}, vy = {.i = (int64_t)(11 * hpo_rng_uniform(&g))};
        cr_assert_eq(hpo_rec_add_param(tr[i], "x", &dx, vx), HPO_OK);
        if (i % 3) cr_assert_eq(hpo_rec_add_param(tr[i], "y", &dy, vy), HPO_OK);
    }
    hpo_trial_rec *me = add_trial(&h, HPO_RUNNING, NAN);
    void *inc = make_tpe(1, 0, 0);
    for (int k = 0; k < 76; k++) {
        int i = (k * 37) % 80;                        /* out of order */
        hpo_trial_rec *r = tr[i];
        double x = r->params[0].v.f;
        if (i % 11 == 5) r->state = HPO_FAIL;
        else if (i % 7 == 3) { r->state = HPO_PRUNED; add_report(r, i % 4, x * x); }
        else { r->state = HPO_COMPLETE; r->value = (x - 1) * (x - 1); }
        if (k < 12 || k % 5) continue;
        for (int p = 0; p < 2; p++) {
            const char *name = p ? "y" : "x";
            const hpo_dist *d = p ? &dy : &dx;
            void *fresh = make_tpe(1, 0, 0);
            hpo_rng a, b;
            hpo_rng_seed(&a, (uint64_t)k);
            b = a;
            hpo_pval va, vb;
            cr_assert_eq(hpo_sampler_tpe.sample(inc, &h, me, name, d, &a, &va), HPO_OK);
            cr_assert_eq(hpo_sampler_tpe.sample(fresh, &h, me, name, d, &b, &vb), HPO_OK);
            cr_assert_eq(memcmp(&va, &vb, sizeof va), 0, "after %d finished, %s", k, name);
            hpo_sampler_tpe.destroy(fresh);
        }
    }
    /* a view: the even trials and me, against the same trials renumbered */
    hpo_history v = {.direction = HPO_MINIMIZE}, w = {.direction = HPO_MINIMIZE};
    v.trials = malloc(81 * sizeof *v.trials);
    cr_assert_not_null(v.trials);
    v.cap = 81;
    for (size_t i = 0; i < h.n; i += 2) v.trials[v.n++] = h.trials[i];
    v.trials[v.n++] = me;
    for (size_t i = 0; i < v.n; i++) {
        const hpo_trial_rec *s = v.trials[i];
        hpo_trial_rec *c = add_trial(&w, s->state, s->value);
        for (size_t q = 0; q < s->n_params; q++)
            cr_assert_eq(hpo_rec_add_param(c, s->params[q].name, &s->params[q].dist, s->params[q].v), HPO_OK);
        for (size_t q = 0; q < s->n_inter; q++) add_report(c, s->steps[q], s->inter[q]);
    }
    void *fresh = make_tpe(1, 0, 0);
    hpo_rng a, b;
    hpo_rng_seed(&a, 99);
    b = a;
    hpo_pval va, vb;
    cr_assert_eq(hpo_sampler_tpe.sample(inc, &v, me, "x", &dx, &a, &va), HPO_OK);
    cr_assert_eq(hpo_sampler_tpe.sample(fresh, &w, w.trials[w.n - 1], "x", &dx, &b, &vb), HPO_OK);
    cr_assert_eq(va.f, vb.f);
    hpo_sampler_tpe.destroy(fresh);
    hpo_sampler_tpe.destroy(inc);
    free(v.trials);
    hpo_history_clear(&w);
    hpo_history_clear(&h);
    hpo_dist_clear(&dx);
    hpo_dist_clear(&dy);
}

/* Copy of view v's trials renumbered 0..n-1: a whole history of the same trials. */
static void renumber(const hpo_history *v, hpo_history *w)
{
    for (size_t i = 0; i < v->n; i++) {
        const hpo_trial_rec *s = v->trials[i];
        hpo_trial_rec *c = add_trial(w, s->state, s->value);
        for (size_t q = 0; q < s->n_params; q++)
            cr_assert_eq(hpo_rec_add_param(c, s->params[q].name, &s->params[q].dist, s->params[q].v), HPO_OK);
        for (size_t q = 0; q < s->n_inter; q++) add_report(c, s->steps[q], s->inter[q]);
    }
}

/* Multivariate and group modes on a view (hyperband's bracket) see only the
 * view's trials: its start-up count, its intersection, its groups. Whole
 * history: odd trials hold x and w, even ones x, y and z; the view of the
 * even ones has the space {x, y, z} (one group), the whole history {x}
 * (groups {x}, {w}, {y, z}). A bug once took the space from every trial
 * folded in, so a resumed hyperband study (whose sampler had not seen the
 * other brackets' trials yet) suggested differently from an uninterrupted one. */
Test(tpe_sampler, multivariate_on_a_view_uses_the_view_s_trials)
{
    hpo_dist dx, dy, dz, dw;
    cr_assert_eq(hpo_dist_float(&dx, "x", -5, 5, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_float(&dy, "y", 0, 1, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&dz, "z", 1, 64, 1, 1, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_float(&dw, "w", 1, 2, 0, 0, NULL), HPO_OK);
    const hpo_dist *dd[4] = {&dx, &dy, &dz, &dw};
    const char *nm[4] = {"x", "y", "z", "w"};
    for (int group = 0; group <= 1; group++)
        for (int nview = 8; nview <= 15; nview += 7) {   /* below and above the 10 start-up trials */
            hpo_history h = {.direction = HPO_MINIMIZE};
            hpo_rng g;
            hpo_rng_seed(&g, 11);
            for (int i = 0; i < 30; i++) {
                double x = -5 + 10 * hpo_rng_uniform(&g);
                hpo_trial_rec *r = add_trial(&h, HPO_COMPLETE, (x - 1) * (x - 1));
                cr_assert_eq(hpo_rec_add_param(r, "x", &dx, (hpo_pval){.f = x}), HPO_OK);
                if (i % 2) {
                    cr_assert_eq(hpo_rec_add_param(r, "w", &dw, (hpo_pval){.f = 1 + hpo_rng_uniform(&g)}), HPO_OK);
                    continue;
                }
                cr_assert_eq(hpo_rec_add_param(r, "y", &dy, (hpo_pval){.f = hpo_rng_uniform(&g)}), HPO_OK);
                cr_assert_eq(hpo_rec_add_param(r, "z", &dz, (hpo_pval){.i = 1 + (int64_t)(64 * hpo_rng_uniform(&g))}),
                             HPO_OK);
            }
            hpo_trial_rec *me = add_trial(&h, HPO_RUNNING, NAN);
            void *inc = make_tpe(1, 1, group), *fresh = make_tpe(1, 1, group);
            hpo_rng a, b;
            hpo_rng_seed(&a, 5);
            hpo_pval v0;          /* no joint sample yet: folds every trial in */
            cr_assert_eq(hpo_sampler_tpe.sample(inc, &h, me, "x", &dx, &a, &v0), HPO_OK);
            hpo_history v = {.direction = HPO_MINIMIZE}, w = {.direction = HPO_MINIMIZE};
            v.trials = malloc(32 * sizeof *v.trials);
            cr_assert_not_null(v.trials);
            v.cap = 32;
            for (int i = 0; i < nview; i++) v.trials[v.n++] = h.trials[2 * i];
            v.trials[v.n++] = me;
            renumber(&v, &w);
            hpo_trial_rec *wme = w.trials[w.n - 1];
            hpo_rng_seed(&a, 77);
            b = a;
            cr_assert_eq(hpo_sampler_tpe.trial_begin(inc, &v, me, &a), HPO_OK);
            cr_assert_eq(hpo_sampler_tpe.trial_begin(fresh, &w, wme, &b), HPO_OK);
            for (int p = 0; p < 3; p++) {
                hpo_pval va, vb;
                cr_assert_eq(hpo_sampler_tpe.sample(inc, &v, me, nm[p], dd[p], &a, &va), HPO_OK);
                cr_assert_eq(hpo_sampler_tpe.sample(fresh, &w, wme, nm[p], dd[p], &b, &vb), HPO_OK);
                cr_assert_eq(memcmp(&va, &vb, sizeof va), 0, "group %d, view of %d: %s", group, nview, nm[p]);
            }
            cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "group %d, view of %d: streams apart", group, nview);
            hpo_sampler_tpe.destroy(fresh);
            hpo_sampler_tpe.destroy(inc);
            free(v.trials);
            hpo_history_clear(&w);
            hpo_history_clear(&h);
        }
    for (int p = 0; p < 4; p++) hpo_dist_clear((hpo_dist *)dd[p]);
}

/* A trial's joint sample, drawn when it starts with its bracket's view, is
 * what it is given however the starts of other brackets' trials interleave
 * with its suggestions (over MPI they do). A bug once dropped every joint
 * sample of a trial the new trial's view did not hold, so a trial whose
 * neighbour in time sat in another bracket fell back to univariate draws. */
Test(tpe_sampler, joint_sample_survives_another_bracket_s_start)
{
    hpo_dist dx, dy;
    cr_assert_eq(hpo_dist_float(&dx, "x", -5, 5, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_float(&dy, "y", 0, 1, 0, 0, NULL), HPO_OK);
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_rng g;
    hpo_rng_seed(&g, 21);
    for (int i = 0; i < 40; i++) {
        double x = -5 + 10 * hpo_rng_uniform(&g), y = hpo_rng_uniform(&g);
        hpo_trial_rec *r = add_trial(&h, HPO_COMPLETE, (x - 1) * (x - 1) + y);
        cr_assert_eq(hpo_rec_add_param(r, "x", &dx, (hpo_pval){.f = x}), HPO_OK);
        cr_assert_eq(hpo_rec_add_param(r, "y", &dy, (hpo_pval){.f = y}), HPO_OK);
    }
    hpo_trial_rec *A = add_trial(&h, HPO_RUNNING, NAN), *B = add_trial(&h, HPO_RUNNING, NAN);
    /* A's bracket: the even trials; B's: the odd ones */
    hpo_history va = {.direction = HPO_MINIMIZE}, vb = {.direction = HPO_MINIMIZE};
    va.trials = malloc(42 * sizeof *va.trials);
    vb.trials = malloc(42 * sizeof *vb.trials);
    cr_assert(va.trials && vb.trials);
    va.cap = vb.cap = 42;
    for (int i = 0; i < 40; i++) {
        if (i % 2) vb.trials[vb.n++] = h.trials[i];
        else va.trials[va.n++] = h.trials[i];
    }
    va.trials[va.n++] = A;
    vb.trials[vb.n++] = B;
    hpo_pval got[2][2];
    for (int interleave = 0; interleave <= 1; interleave++) {
        void *st = make_tpe(1, 1, 0);
        hpo_rng ra, rb;
        hpo_rng_seed(&ra, 1000);
        hpo_rng_seed(&rb, 1001);
        cr_assert_eq(hpo_sampler_tpe.trial_begin(st, &va, A, &ra), HPO_OK);
        if (interleave) cr_assert_eq(hpo_sampler_tpe.trial_begin(st, &vb, B, &rb), HPO_OK);
        cr_assert_eq(hpo_sampler_tpe.sample(st, &va, A, "x", &dx, &ra, &got[interleave][0]), HPO_OK);
        cr_assert_eq(hpo_sampler_tpe.sample(st, &va, A, "y", &dy, &ra, &got[interleave][1]), HPO_OK);
        hpo_sampler_tpe.destroy(st);
    }
    cr_assert_eq(got[0][0].f, got[1][0].f, "x: %.17g alone, %.17g with B started between", got[0][0].f, got[1][0].f);
    cr_assert_eq(got[0][1].f, got[1][1].f, "y: %.17g alone, %.17g with B started between", got[0][1].f, got[1][1].f);
    free(va.trials);
    free(vb.trials);
    hpo_history_clear(&h);
    hpo_dist_clear(&dx);
    hpo_dist_clear(&dy);
}

/* ---- compat: optuna3 (Optuna 3.0-3.4's Parzen estimator) ------------------ */

/* Optuna 3.1's _ParzenEstimator.log_pdf: tests/ref/make_tpe_o3_ref.py */
static const double k_obs30[30] = {
    -3.855376, 6.698782, 1.576138, 5.851978, 9.669843, 3.077438, 2.516807, -3.919233, -0.973415, 2.498238,
    5.18845, 7.056086, 0.714117, -4.010955, -0.677816, 8.643903, -1.79922, 1.781859, 8.96809, -4.626512,
    4.008234, 9.251943, -1.545457, 3.227349, 8.636926, -3.002458, 2.851189, 6.256148, 5.035199, 2.016293};

/* log pdf of one parameter's estimator in compat (o3) or default mode */
static void logpdf1(const hpo_dist *d, const hpo_pval *obs, size_t n, const hpo_pval *at, size_t m, int o3,
                    double *out)
{
    cr_assert_eq(hpo_tpe_logpdf_joint_impl(&d, 1, obs, n, 1.0, o3, at, m, out), HPO_OK);
}

static void check_o3(const hpo_dist *d, const hpo_pval *obs, size_t n, const hpo_pval *at, size_t m,
                     const double *ref)
{
    double out[16];
    logpdf1(d, obs, n, at, m, 1, out);
    for (size_t i = 0; i < m; i++) NEAR(out[i], ref[i], 1e-10);
}

Test(tpe_compat, optuna3_univariate_matches_optuna31)
{
    hpo_dist d;
    hpo_pval obs[30], at[11];
    /* float [-5, 10]: 30 observations (ramp weights), 1, and ties on the prior mean 2.5 */
    cr_assert_eq(hpo_dist_float(&d, "x", -5, 10, 0, 0, NULL), HPO_OK);
    static const double pts[7] = {-5.0, -4.1, 0.0, 1.1, 2.5, 3.3, 9.99};
    for (int i = 0; i < 7; i++) at[i].f = pts[i];
    for (int i = 0; i < 30; i++) obs[i].f = k_obs30[i];
    static const double r30[7] = {-2.8544106926538104, -2.4393750941746273, -2.6472442339290625,
                                  -2.6444633289963138, -2.119254530398293, -2.320408976189997,
                                  -2.701054592776324};
    check_o3(&d, obs, 30, at, 7, r30);
    double def[7];                          /* the default (current Optuna) differs */
    logpdf1(&d, obs, 30, at, 7, 0, def);
    for (int i = 0; i < 7; i++) cr_assert_gt(fabs(def[i] - r30[i]), 1e-3, "point %d", i);
    obs[0].f = -4.1;
    static const double r1[7] = {-0.18982833913296537, -0.16998068535572497, -0.19907949435735217,
                                 -0.2350510962556181, -0.29325393539157524, -0.3313431324190693,
                                 -0.6974879171884754};
    check_o3(&d, obs, 1, at, 7, r1);
    static const double otie[7] = {2.5, -4.1, 2.5, 7.0, 0.3, 9.5, 2.5};
    for (int i = 0; i < 7; i++) obs[i].f = otie[i];
    static const double rtie[7] = {-1.4748000171908437, -1.4162729089302883, -1.1402102716427878,
                                   -0.9991762041906915, -0.9147800175368355, -0.9580353113844986,
                                   -1.3512584125102378};
    check_o3(&d, obs, 7, at, 7, rtie);
    hpo_dist_clear(&d);
    /* log float [1e-5, 1e-1]: kernels in log space */
    cr_assert_eq(hpo_dist_float(&d, "lr", 1e-5, 1e-1, 0, 1, NULL), HPO_OK);
    static const double olr[6] = {1e-3, 3e-4, 2e-2, 5e-5, 1.2e-3, 8e-2}, plr[5] = {1e-5, 1e-4, 1e-3, 4.5e-3, 1e-1};
    for (int i = 0; i < 6; i++) obs[i].f = olr[i];
    for (int i = 0; i < 5; i++) at[i].f = plr[i];
    static const double rlr[5] = {-1.585893314357421, -1.1286375425614699, -0.9692933636573752,
                                  -1.1004010292956847, -1.1463782936897144};
    check_o3(&d, obs, 6, at, 5, rlr);
    hpo_dist_clear(&d);
    /* int [0, 10]: cell masses (no sigma rule), but the prior mean 5 is a neighbour */
    cr_assert_eq(hpo_dist_int(&d, "k", 0, 10, 1, 0, NULL), HPO_OK);
    static const int64_t oi[6] = {5, 2, 2, 9, 5, 0};
    for (int i = 0; i < 6; i++) obs[i].i = oi[i];
    for (int i = 0; i < 11; i++) at[i].i = i;
    static const double ri[11] = {-2.2567476511298477, -2.146517691508031, -2.1322901190873664,
                                  -2.1402118278731854, -2.125048473110651, -2.1622063775362905,
                                  -2.344827585885895, -2.6368957903687713, -2.9036468467466916,
                                  -3.084765938082482, -3.226025141736822};
    check_o3(&d, obs, 6, at, 11, ri);
    hpo_dist_clear(&d);
    /* log int [1, 100]: in 3.x a continuous kernel in log space */
    cr_assert_eq(hpo_dist_int(&d, "u", 1, 100, 1, 1, NULL), HPO_OK);
    static const int64_t oli[4] = {3, 10, 10, 64}, pli[6] = {1, 3, 4, 10, 57, 100};
    for (int i = 0; i < 4; i++) obs[i].i = oli[i];
    for (int i = 0; i < 6; i++) at[i].i = pli[i];
    static const double rli[6] = {-1.237990145866902, -0.8427522729226629, -0.7772911506072082,
                                  -0.698834796363748, -0.9148865098132373, -1.0168029601469155};
    check_o3(&d, obs, 4, at, 6, rli);
    hpo_dist_clear(&d);
}

Test(tpe_compat, optuna3_multivariate_matches_optuna31)
{
    /* 3.1's multivariate kernels (Scott bandwidth) also lack -log sigma */
    hpo_dist dx, dy, dk;
    cr_assert_eq(hpo_dist_float(&dx, "x", -5, 10, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_float(&dy, "y", 1e-3, 1.0, 0, 1, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&dk, "k", 0, 10, 1, 0, NULL), HPO_OK);
    const hpo_dist *ds[3] = {&dx, &dy, &dk};
    static const double ox[5] = {-4.1, 0.0, 3.3, 7.7, 1.1}, oy[5] = {0.01, 0.5, 0.002, 0.1, 0.03};
    static const int64_t ok[5] = {1, 4, 4, 10, 7};
    static const double ax[4] = {-4.0, 0.5, 3.0, 9.0}, ay[4] = {0.01, 0.3, 0.005, 0.9};
    static const int64_t ak[4] = {1, 4, 5, 10};
    hpo_pval obs[15], at[12];
    for (int i = 0; i < 5; i++) { obs[3 * i].f = ox[i]; obs[3 * i + 1].f = oy[i]; obs[3 * i + 2].i = ok[i]; }
    for (int i = 0; i < 4; i++) { at[3 * i].f = ax[i]; at[3 * i + 1].f = ay[i]; at[3 * i + 2].i = ak[i]; }
    static const double ref[4] = {-3.6468672499072308, -3.7514337111888474, -3.8150122969588454,
                                  -4.276531473695082};
    double out[4];
    cr_assert_eq(hpo_tpe_logpdf_joint_impl(ds, 3, obs, 5, 1.0, 1, at, 4, out), HPO_OK);
    for (int i = 0; i < 4; i++) NEAR(out[i], ref[i], 1e-10);
    hpo_dist_clear(&dx); hpo_dist_clear(&dy); hpo_dist_clear(&dk);
}

/* a study with the sampler options o */
static hpo_study *run_opts(const hpo_sampler_opts *o, uint64_t seed, double (*f)(hpo_trial *), int n)
{
    hpo_study *s = NULL;
    cr_assert_eq(hpo_study_create(&s), HPO_OK);
    cr_assert_eq(hpo_study_set_seed(s, seed), HPO_OK);
    cr_assert_eq(hpo_study_set_log(s, NULL), HPO_OK);
    cr_assert_eq(hpo_study_set_sampler_opts(s, o), HPO_OK);
    run_ctx c = {f};
    cr_assert_eq(hpo_study_optimize(s, run_obj, &c, n, 0), HPO_OK);
    return s;
}

Test(tpe_compat, optuna3_sampler_runs_and_optimises)
{
    /* conditional space with log int and a step: compat changes the choices, not the grid */
    hpo_sampler_opts o;
    for (int mode = 0; mode < 3; mode++) {
        hpo_sampler_opts_default(&o, "tpe");
        o.compat_optuna3 = 1;
        o.multivariate = mode >= 1;
        o.group = mode == 2;
        hpo_study *s = run_opts(&o, 3, f_cond, 80);
        check_conditional(s, 80);
        hpo_study *r = run_study("random", 0, 0, 3, f_cond, 80);
        cr_assert_lt(best_after(s, 80), best_after(r, 80) + 0.05, "mode %d", mode);
        hpo_study_destroy(&s);
        hpo_study_destroy(&r);
    }
    hpo_sampler_opts_default(&o, "tpe");
    o.compat_optuna3 = 1;
    hpo_study *a = run_opts(&o, 42, f_quad, 40), *b = run_study("tpe", 0, 0, 42, f_quad, 40);
    int diff = 0;
    for (size_t i = 10; i < 40; i++) diff += hpo_rec_value(hpo_study_trial(a, i)) != hpo_rec_value(hpo_study_trial(b, i));
    cr_assert_gt(diff, 0, "compat: optuna3 made no difference");
    hpo_study_destroy(&a);
    hpo_study_destroy(&b);
}

/* ---- the log-sum-exp's scalar, AVX2 and AVX-512 loops ----------------------- */

/* the widest loops this CPU has: 0 scalar, 1 AVX2, 2 AVX-512 */
static int best_isa(void)
{
    int old = hpo_tpe_isa_impl(2), got = hpo_tpe_isa_impl(-1);
    hpo_tpe_isa_impl(old);
    return got;
}

/* log pdf under the scalar loops and each vector one; the same bits */
static void same_bits(const hpo_dist *const *ds, size_t nd, const hpo_pval *obs, size_t n, int o3,
                      const hpo_pval *at, size_t m)
{
    double a[64], b[64];
    hpo_tpe_isa_impl(0);
    cr_assert_eq(hpo_tpe_logpdf_joint_impl(ds, nd, obs, n, 1.0, o3, at, m, a), HPO_OK);
    for (int isa = 1; isa <= best_isa(); isa++) {
        hpo_tpe_isa_impl(isa);
        cr_assert_eq(hpo_tpe_logpdf_joint_impl(ds, nd, obs, n, 1.0, o3, at, m, b), HPO_OK);
        for (size_t j = 0; j < m; j++)
            cr_assert_eq(memcmp(&a[j], &b[j], sizeof a[j]), 0,
                         "isa %d, kind %d, %zu dims, n %zu, o3 %d, point %zu: %.17g vs %.17g",
                         isa, (int)ds[0]->kind, nd, n, o3, j, b[j], a[j]);
    }
}

Test(tpe_simd, vector_and_scalar_loops_give_the_same_bits)
{
    if (best_isa() == 0) cr_skip_test("no AVX2 on this CPU: only the scalar loops exist");
    int old = hpo_tpe_isa_impl(-1);
    hpo_dist df, dl, di;
    cr_assert_eq(hpo_dist_float(&df, "x", -5, 10, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_float(&dl, "l", 1e-5, 1e-1, 0, 1, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&di, "k", 0, 30, 1, 0, NULL), HPO_OK);
    const hpo_dist *ds[3] = {&df, &dl, &di};
    static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 25, 26, 27, 31, 100, 257, 1001};
    enum { NMAX = 1001, M = 64 };
    hpo_rng g;
    hpo_rng_seed(&g, 17);
    hpo_pval *obs = malloc(3 * NMAX * sizeof *obs), *col = malloc(3 * NMAX * sizeof *col), at[3 * M], atc[3][M];
    cr_assert(obs && col);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        /* most x in a tight cluster, so whole blocks of kernels fall below
         * e^-40 at points far from it; the rest spread out */
        for (size_t i = 0; i < n; i++) {
            double u = hpo_rng_uniform(&g);
            obs[3 * i].f = i % 5 ? 8.0 + 0.01 * u : -5 + 15 * u;
            obs[3 * i + 1].f = exp(log(1e-5) + log(1e4) * hpo_rng_uniform(&g));
            obs[3 * i + 2].i = (int64_t)(31 * hpo_rng_uniform(&g));
        }
        for (size_t j = 0; j < M; j++) {
            at[3 * j].f = j == 0 ? -5.0 : j == 1 ? 10.0 : -5 + 15 * hpo_rng_uniform(&g);
            at[3 * j + 1].f = exp(log(1e-5) + log(1e4) * hpo_rng_uniform(&g));
            at[3 * j + 2].i = (int64_t)(31 * hpo_rng_uniform(&g));
            for (int c = 0; c < 3; c++) atc[c][j] = at[3 * j + c];
        }
        for (int o3 = 0; o3 < 2; o3++) {
            for (int c = 0; c < 3; c++) {          /* each parameter alone */
                for (size_t i = 0; i < n; i++) col[i] = obs[3 * i + c];
                same_bits(&ds[c], 1, col, n, o3, atc[c], M);
            }
            same_bits(ds, 3, obs, n, o3, at, M);   /* jointly */
        }
    }
    hpo_tpe_isa_impl(old);
    free(obs);
    free(col);
    hpo_dist_clear(&df); hpo_dist_clear(&dl); hpo_dist_clear(&di);
}

static double f_mix(hpo_trial *t)
{
    static const char *const cats[] = {"a", "b", "c"};
    double s = 0;
    for (int i = 0; i < 3; i++) {
        char n[8];
        snprintf(n, sizeof n, "x%d", i);
        double x = hpo_suggest_float(t, n, -10, 10, 0);
        s += (x - i) * (x - i);
    }
    const char *c = hpo_suggest_categorical_str(t, "c", cats, 3);
    int64_t k = hpo_suggest_int(t, "k", 0, 10, 0);
    double lr = hpo_suggest_float(t, "lr", 1e-5, 1e-1, HPO_LOG);
    return s + (c[0] - 'a') + (double)((k - 3) * (k - 3)) + fabs(log10(lr) + 3);
}

Test(tpe_simd, a_study_is_the_same_under_every_loop)
{
    int best = best_isa();
    if (best == 0) cr_skip_test("no AVX2 on this CPU: only the scalar loops exist");
    int old = hpo_tpe_isa_impl(-1);
    for (int mode = 0; mode < 4; mode++) {         /* tpe, tpe-mv, compat, compat mv */
        hpo_sampler_opts o;
        hpo_sampler_opts_default(&o, "tpe");
        o.multivariate = o.group = mode & 1;
        o.compat_optuna3 = mode >> 1;
        hpo_tpe_isa_impl(0);
        hpo_study *a = run_opts(&o, 5, f_mix, 150);
        for (int isa = 1; isa <= best; isa++) {
            hpo_tpe_isa_impl(isa);
            hpo_study *b = run_opts(&o, 5, f_mix, 150);
            for (size_t i = 0; i < 150; i++) {
                const hpo_trial_rec *ra = hpo_study_trial(a, i), *rb = hpo_study_trial(b, i);
                cr_assert_eq(ra->n_params, rb->n_params);
                for (size_t p = 0; p < ra->n_params; p++)
                    cr_assert_eq(memcmp(&ra->params[p].v, &rb->params[p].v, sizeof ra->params[p].v), 0,
                                 "isa %d, mode %d, trial %zu, %s", isa, mode, i, ra->params[p].name);
            }
            hpo_study_destroy(&b);
        }
        hpo_study_destroy(&a);
    }
    hpo_tpe_isa_impl(old);
}

/* ---- the sorted columns ------------------------------------------------------ */

/* g(x) of a numeric parameter takes its points in (value, trial number) order
 * from columns kept sorted as trials finish; the reference sorts the gathered
 * points each call. Ties matter (with >= 25 above, equal values get different
 * bandwidths and weights): values on a coarse grid, -0.0 and +0.0, liars equal
 * to finished values, trials finishing out of order. The chosen candidate's
 * score (log l - log g) must have the same bits. */
Test(tpe_sampler, sorted_columns_give_what_a_sort_gives)
{
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_dist dx, dy;
    cr_assert_eq(hpo_dist_float(&dx, "x", -5, 5, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&dy, "y", 0, 10, 1, 0, NULL), HPO_OK);
    hpo_rng g;
    hpo_rng_seed(&g, 8);
    enum { N = 120 };
    hpo_trial_rec *tr[N];
    for (int i = 0; i < N; i++) {
        tr[i] = add_trial(&h, HPO_RUNNING, NAN);
        double x = 0.5 * floor(20 * hpo_rng_uniform(&g)) - 5;      /* 20 values */
        if (i % 7 == 0) x = i % 14 ? -0.0 : 0.0;                    /* signed zeros, interleaved */
        hpo_pval vx = {.f = x}, vy = {.i = (int64_t)(11 * hpo_rng_uniform(&g))};
        cr_assert_eq(hpo_rec_add_param(tr[i], "x", &dx, vx), HPO_OK);
        if (i % 4) cr_assert_eq(hpo_rec_add_param(tr[i], "y", &dy, vy), HPO_OK);
    }
    hpo_trial_rec *me = add_trial(&h, HPO_RUNNING, NAN);
    void *fast = make_tpe(1, 0, 0), *ref = make_tpe(1, 0, 0);
    hpo_tpe_probe_impl(ref, 1);
    int checked = 0;
    for (int k = 0; k < N - 6; k++) {            /* the last 6 stay RUNNING: liars */
        int i = (k * 53) % (N - 6);
        hpo_trial_rec *r = tr[i];
        double x = r->params[0].v.f;
        if (i % 13 == 5) r->state = HPO_FAIL;
        else if (i % 9 == 3) { r->state = HPO_PRUNED; add_report(r, i % 3, x); }
        else { r->state = HPO_COMPLETE; r->value = fabs(x - 1) + 0.01 * (i % 7); }
        if (k < 12 || k % 3) continue;
        for (int p = 0; p < 2; p++) {
            hpo_rng a, b;
            hpo_rng_seed(&a, (uint64_t)k);
            b = a;
            hpo_pval va, vb;
            cr_assert_eq(hpo_sampler_tpe.sample(fast, &h, me, p ? "y" : "x", p ? &dy : &dx, &a, &va), HPO_OK);
            cr_assert_eq(hpo_sampler_tpe.sample(ref, &h, me, p ? "y" : "x", p ? &dy : &dx, &b, &vb), HPO_OK);
            cr_assert_eq(memcmp(&va, &vb, sizeof va), 0, "after %d finished, %s", k, p ? "y" : "x");
            double sa = hpo_tpe_probe_impl(fast, -1), sb = hpo_tpe_probe_impl(ref, -1);
            cr_assert_eq(memcmp(&sa, &sb, sizeof sa), 0, "after %d finished, %s: score %.17g vs %.17g", k,
                         p ? "y" : "x", sa, sb);
            checked++;
        }
    }
    cr_assert_gt(checked, 40);
    hpo_sampler_tpe.destroy(fast);
    hpo_sampler_tpe.destroy(ref);
    hpo_history_clear(&h);
    hpo_dist_clear(&dx);
    hpo_dist_clear(&dy);
}

/* Hyperband hands the sampler one bracket's trials. A bracket's view can end
 * below trials of other brackets that have finished and been folded in
 * (parallel workers); they must not count, whether or not the view is
 * numbered 0..n-1. */
Test(tpe_sampler, a_view_ignores_finished_trials_outside_it)
{
    hpo_history h = {.direction = HPO_MINIMIZE};
    hpo_dist dx;
    cr_assert_eq(hpo_dist_float(&dx, "x", -5, 5, 0, 0, NULL), HPO_OK);
    hpo_rng g;
    hpo_rng_seed(&g, 21);
    enum { N = 70, SELF = 40 };
    for (int i = 0; i < N; i++) {
        double x = -5 + 10 * hpo_rng_uniform(&g);
        hpo_trial_rec *r = add_trial(&h, i == SELF ? HPO_RUNNING : HPO_COMPLETE, (x - 1) * (x - 1));
        hpo_pval v = {.f = x};
        cr_assert_eq(hpo_rec_add_param(r, "x", &dx, v), HPO_OK);
    }
    hpo_trial_rec *self = h.trials[SELF];
    for (int contiguous = 0; contiguous < 2; contiguous++) {
        void *inc = make_tpe(1, 0, 0);
        hpo_rng a, b;
        hpo_rng_seed(&a, 1);
        hpo_pval v0;            /* the whole history first: every trial folded in */
        cr_assert_eq(hpo_sampler_tpe.sample(inc, &h, self, "x", &dx, &a, &v0), HPO_OK);
        /* the view: trials 0..SELF (contiguous) or the even ones up to SELF */
        hpo_history v = {.direction = HPO_MINIMIZE}, w = {.direction = HPO_MINIMIZE};
        v.trials = malloc(N * sizeof *v.trials);
        cr_assert_not_null(v.trials);
        v.cap = N;
        for (int i = 0; i <= SELF; i += contiguous ? 1 : 2) v.trials[v.n++] = h.trials[i];
        for (size_t i = 0; i < v.n; i++) {
            const hpo_trial_rec *s = v.trials[i];
            hpo_trial_rec *c = add_trial(&w, s->state, s->value);
            cr_assert_eq(hpo_rec_add_param(c, "x", &dx, s->params[0].v), HPO_OK);
        }
        void *fresh = make_tpe(1, 0, 0);
        hpo_rng_seed(&a, 99);
        b = a;
        hpo_pval va, vb;
        cr_assert_eq(hpo_sampler_tpe.sample(inc, &v, self, "x", &dx, &a, &va), HPO_OK);
        cr_assert_eq(hpo_sampler_tpe.sample(fresh, &w, w.trials[w.n - 1], "x", &dx, &b, &vb), HPO_OK);
        double sa = hpo_tpe_probe_impl(inc, -1), sb = hpo_tpe_probe_impl(fresh, -1);
        cr_assert_eq(va.f, vb.f, "contiguous %d", contiguous);
        cr_assert_eq(sa, sb, "contiguous %d: score %.17g vs %.17g", contiguous, sa, sb);
        hpo_sampler_tpe.destroy(fresh);
        hpo_sampler_tpe.destroy(inc);
        free(v.trials);
        hpo_history_clear(&w);
    }
    hpo_history_clear(&h);
    hpo_dist_clear(&dx);
}
