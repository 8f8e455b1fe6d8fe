/* test_importance.c - PED-ANOVA (src/importance.h) against values worked out
 * independently, and its properties.
 *
 * Reference values come from a short numpy/scipy re-implementation of
 * Optuna's formulas (kept below, run with /usr/bin/python3), not from this
 * code; the categorical case is also worked by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "importance.h"

static hpo_trial_rec *rec(int64_t number, hpo_state st, double value)
{
    hpo_trial_rec *r = NULL;
    cr_assert_eq(hpo_rec_create(number, &r), HPO_OK);
    r->state = st;
    r->value = value;
    return r;
}

static void addf(hpo_trial_rec *r, const char *name, double lo, double hi, int log, double v)
{
    hpo_dist d;
    cr_assert_eq(hpo_dist_float(&d, name, lo, hi, 0, log, NULL), HPO_OK);
    cr_assert_eq(hpo_rec_add_param(r, name, &d, (hpo_pval){ .f = v }), HPO_OK);
    hpo_dist_clear(&d);
}

static void addi(hpo_trial_rec *r, const char *name, int64_t lo, int64_t hi, int64_t v)
{
    hpo_dist d;
    cr_assert_eq(hpo_dist_int(&d, name, lo, hi, 1, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_rec_add_param(r, name, &d, (hpo_pval){ .i = v }), HPO_OK);
    hpo_dist_clear(&d);
}

static void addc(hpo_trial_rec *r, const char *name, int64_t v)
{
    hpo_choice ch[3] = { HPO_STR("adam"), HPO_STR("rmsprop"), HPO_STR("sgd") };
    hpo_dist d;
    cr_assert_eq(hpo_dist_cat(&d, name, ch, 3), HPO_OK);
    cr_assert_eq(hpo_rec_add_param(r, name, &d, (hpo_pval){ .i = v }), HPO_OK);
    hpo_dist_clear(&d);
}

static void free_recs(hpo_trial_rec **t, size_t n)
{
    for (size_t i = 0; i < n; i++) hpo_rec_destroy(&t[i]);
}

static const hpo_importance *find(const hpo_importance *imp, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) if (!strcmp(imp[i].name, name)) return &imp[i];
    cr_assert_fail("no importance for '%s'", name);
    return NULL;
}

#define CLOSE(a, b, rel) cr_assert(fabs((a) - (b)) <= (rel) * fmax(fabs(b), 1e-12), \
                                   "%s = %.17g, expected %.17g", #a, (double)(a), (double)(b))

/* By hand, categorical with 2 choices. Top set: both trials chose b
 * (counts 0,2); all trials: 2 and 2. Top estimator: kernels {b: weight 2},
 * prior weight 1, K = 2 kernels: kernel row (0.5, 1.5)/2 = (1/4, 3/4),
 * prior row (1/2, 1/2); mixture 2/3 (1/4, 3/4) + 1/3 (1/2, 1/2) = (1/3, 2/3).
 * All: kernels a, b (weight 2 each) and the prior, K = 3: rows (0.8, 0.2),
 * (0.2, 0.8), (0.5, 0.5) with weights 2/5, 2/5, 1/5 -> (1/2, 1/2).
 * Divergence = 1/2 (2/3 - 1)^2 + 1/2 (4/3 - 1)^2 = 1/9. */
Test(importance, categorical_by_hand)
{
    double top[2] = { 0, 2 }, all[2] = { 2, 2 }, even[2] = { 1, 1 };
    CLOSE(hpo_importance_pearson(top, all, 2, 1, 1), 1.0 / 9, 1e-9);
    cr_assert(hpo_importance_pearson(even, all, 2, 1, 1) < 1e-20);
    double pdf[2];
    hpo_importance_parzen_pdf(top, 2, 1, pdf);
    CLOSE(pdf[0], 1.0 / 3, 1e-12);
    CLOSE(pdf[1], 2.0 / 3, 1e-12);
}

/* The fixed history of ref_history (10 trials, minimize |x - 0.6|) against
 * the numpy reference:
 *
 *   import numpy as np; from scipy.stats import norm
 *   def pdf_num(c):   # Scott Parzen estimator on 0..G-1 with a prior kernel
 *       G=len(c); c=np.asarray(c,float); n=c.sum(); nz=c>0; mus=np.arange(G)[nz]; cn=c[nz]
 *       mean=mus@(cn/n); sd=np.sqrt((mus-mean)**2@cn/max(1,n-1)); cum=np.cumsum(cn)
 *       i25=np.searchsorted(cum,n//4,side="left"); i75=np.searchsorted(cum,n*3//4,side="right")
 *       s=max(1.059*min((mus[min(mus.size-1,i75)]-mus[i25])/1.34,sd)*n**-0.2,0.5/1.64)
 *       M=np.append(mus,0.5*(G-1)); S=np.append(np.full(mus.size,s),G); W=np.append(cn,1.); W/=W.sum()
 *       x=np.arange(G); p=np.zeros(G)
 *       for m,sg,wt in zip(M,S,W):
 *           acc=norm.cdf((G-.5-m)/sg)-norm.cdf((-.5-m)/sg)
 *           p+=wt*(norm.cdf((np.minimum(x+.5,G-.5)-m)/sg)-norm.cdf((np.maximum(x-.5,-.5)-m)/sg))/acc
 *       return p
 *   def pdf_cat(c):
 *       G=len(c); c=np.asarray(c,float); idx=np.arange(G)[c>0]; K=idx.size+1
 *       rows=np.full((K,G),1./K); rows[np.arange(idx.size),idx]+=1; rows/=rows.sum(1,keepdims=True)
 *       W=np.append(c[idx],1.); W/=W.sum(); return W@rows
 *   def div(ct,ca,cat):
 *       f=pdf_cat if cat else pdf_num; pt=f(ct)+1e-12; pa=f(ca)+1e-12; return pa@((pt/pa-1)**2)
 *   grid index: np.searchsorted(np.linspace(lo,hi,G), v - step/2) (log space for lr)
 *   top set: loss <= max(2nd smallest, ceil(0.1 n)-th smallest) -> trials 4 and 5
 */
static const double k_x[10]  = { 0.05, 0.12, 0.31, 0.44, 0.58, 0.63, 0.71, 0.86, 0.93, 0.99 };
static const int64_t k_n[10] = { 1, 2, 3, 4, 5, 1, 2, 3, 4, 5 };
static const double k_lr[10] = { 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 2e-4, 5e-3, 5e-2 };
static const int64_t k_op[10] = { 0, 1, 2, 0, 1, 2, 0, 1, 2, 0 };

static void ref_history(hpo_trial_rec **t)
{
    for (int i = 0; i < 10; i++) {
        t[i] = rec(i, HPO_COMPLETE, fabs(k_x[i] - 0.6));
        addf(t[i], "x", 0, 1, 0, k_x[i]);
        addi(t[i], "n", 1, 5, k_n[i]);
        addf(t[i], "lr", 1e-4, 1e-1, 1, k_lr[i]);
        addc(t[i], "opt", k_op[i]);
    }
}

Test(importance, fixed_history_matches_reference)
{
    hpo_trial_rec *t[10];
    ref_history(t);
    hpo_importance *imp = NULL;
    size_t n = 0, ntop = 0;
    cr_assert_eq(hpo_importance_ped_anova(t, 10, HPO_MINIMIZE, NULL, &imp, &n, &ntop), HPO_OK, "%s", hpo_error_message());
    cr_assert_eq(n, 4);
    cr_assert_eq(ntop, 2);
    CLOSE(find(imp, n, "lr")->divergence, 0.57956543390636517, 1e-9);
    CLOSE(find(imp, n, "n")->divergence, 0.002167476982181644, 1e-9);
    CLOSE(find(imp, n, "opt")->divergence, 0.091333154266009575, 1e-9);
    CLOSE(find(imp, n, "x")->divergence, 1.7765722317389256, 1e-9);
    CLOSE(find(imp, n, "x")->importance, 0.72523859297590687, 1e-9);
    CLOSE(find(imp, n, "lr")->importance, 0.23659224900318682, 1e-9);
    /* sorted, largest first; sum 1 */
    cr_assert_str_eq(imp[0].name, "x");
    cr_assert_str_eq(imp[1].name, "lr");
    double s = 0;
    for (size_t i = 0; i < n; i++) s += imp[i].importance;
    CLOSE(s, 1.0, 1e-12);
    hpo_importance_free(&imp, n);
    cr_assert_null(imp);
    free_recs(t, 10);
}

/* Direction: maximizing -|x-0.6| is the same study as minimizing |x-0.6|. */
Test(importance, maximize_mirrors_minimize)
{
    hpo_trial_rec *t[10];
    ref_history(t);
    for (int i = 0; i < 10; i++) t[i]->value = -t[i]->value;
    hpo_importance *imp = NULL;
    size_t n = 0;
    cr_assert_eq(hpo_importance_ped_anova(t, 10, HPO_MAXIMIZE, NULL, &imp, &n, NULL), HPO_OK);
    CLOSE(find(imp, n, "x")->divergence, 1.7765722317389256, 1e-9);
    hpo_importance_free(&imp, n);
    free_recs(t, 10);
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}
static double unif(uint64_t *s) { return (double)lcg(s) / 9007199254740992.0; }

/* A parameter that alone determines the objective ranks first with >= 0.8;
 * pure-noise parameters stay near 0. */
Test(importance, only_one_parameter_matters)
{
    enum { N = 300 };
    hpo_trial_rec *t[N];
    uint64_t s = 12345;
    for (int i = 0; i < N; i++) {
        double x = unif(&s), noise = unif(&s);
        t[i] = rec(i, HPO_COMPLETE, (x - 0.3) * (x - 0.3));
        addf(t[i], "x", 0, 1, 0, x);
        addf(t[i], "noise", 0, 1, 0, noise);
        addf(t[i], "noise_log", 1e-5, 1e-1, 1, 1e-5 * pow(1e4, unif(&s)));
        addi(t[i], "noise_int", 1, 100, 1 + (int64_t)(lcg(&s) % 100));
        addc(t[i], "noise_cat", (int64_t)(lcg(&s) % 3));
    }
    hpo_importance *imp = NULL;
    size_t n = 0;
    cr_assert_eq(hpo_importance_ped_anova(t, N, HPO_MINIMIZE, NULL, &imp, &n, NULL), HPO_OK);
    cr_assert_eq(n, 5);
    cr_assert_str_eq(imp[0].name, "x");
    cr_assert_geq(imp[0].importance, 0.8, "x got %g", imp[0].importance);
    for (size_t i = 1; i < n; i++) cr_assert_lt(imp[i].importance, 0.06, "%s got %g", imp[i].name, imp[i].importance);
    hpo_importance_free(&imp, n);
    free_recs(t, N);
}

/* Which trials and parameters count: COMPLETE with a finite value only;
 * conditional parameters (not in every trial) and single-valued ones. */
Test(importance, filters_trials_and_parameters)
{
    hpo_trial_rec *t[8];
    for (int i = 0; i < 8; i++) {
        hpo_state st = i == 6 ? HPO_PRUNED : i == 7 ? HPO_FAIL : HPO_COMPLETE;
        t[i] = rec(i, st, i == 5 ? NAN : (double)i);
        addf(t[i], "a", 0, 1, 0, 0.1 * i);
        addi(t[i], "fixed", 3, 3, 3);
        if (i % 2) addi(t[i], "cond", 1, 4, 2);
    }
    hpo_importance *imp = NULL;
    size_t n = 0;
    cr_assert_eq(hpo_importance_ped_anova(t, 8, HPO_MINIMIZE, NULL, &imp, &n, NULL), HPO_OK);
    cr_assert_eq(n, 2, "cond is not in every trial: left out");
    CLOSE(find(imp, n, "a")->importance, 1.0, 1e-12);
    cr_assert_eq(find(imp, n, "fixed")->importance, 0.0);
    hpo_importance_free(&imp, n);

    /* two trials or fewer: equal shares */
    cr_assert_eq(hpo_importance_ped_anova(t, 2, HPO_MINIMIZE, NULL, &imp, &n, NULL), HPO_OK);
    cr_assert_eq(n, 2);
    CLOSE(find(imp, n, "a")->importance, 1.0, 1e-12);
    cr_assert_eq(find(imp, n, "fixed")->importance, 0.0);
    cr_assert(isnan(find(imp, n, "a")->divergence), "not computed");
    hpo_importance_free(&imp, n);

    /* no COMPLETE trial: nothing */
    cr_assert_eq(hpo_importance_ped_anova(t + 6, 2, HPO_MINIMIZE, NULL, &imp, &n, NULL), HPO_OK);
    cr_assert_eq(n, 0);
    hpo_importance_free(&imp, n);
    free_recs(t, 8);
}

Test(importance, bad_arguments)
{
    hpo_importance *imp = NULL;
    size_t n = 0;
    hpo_importance_opts o = { 0.0, 1 };
    cr_assert_eq(hpo_importance_ped_anova(NULL, 3, HPO_MINIMIZE, NULL, &imp, &n, NULL), HPO_EINVAL);
    hpo_trial_rec *t[1] = { NULL };
    cr_assert_eq(hpo_importance_ped_anova(t, 1, HPO_MINIMIZE, &o, &imp, &n, NULL), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "baseline_quantile"));
    cr_assert_null(imp);
}

/* Out of memory at every allocation: HPO_ENOMEM and no leak. */
Test(importance, out_of_memory)
{
    hpo_trial_rec *t[10];
    ref_history(t);
    long live0 = hpo_test_alloc_live();
    for (long k = 0;; k++) {
        hpo_importance *imp = NULL;
        size_t n = 0;
        hpo_test_alloc_fail_at(k, 0);
        hpo_status st = hpo_importance_ped_anova(t, 10, HPO_MINIMIZE, NULL, &imp, &n, NULL);
        hpo_test_alloc_reset();
        hpo_importance_free(&imp, n);
        cr_assert_eq(hpo_test_alloc_live(), live0, "leak after failure at %ld", k);
        if (st == HPO_OK) break;
        cr_assert_eq(st, HPO_ENOMEM, "allocation %ld: got %d", k, st);
    }
    free_recs(t, 10);
}
