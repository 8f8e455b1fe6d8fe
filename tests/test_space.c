/* test_space.c - Optuna's search-space rules: validation, the exact step grid,
 * int64 extremes, typed categorical choices. Expected values worked out by
 * hand (see each test). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "rng.h"
#include "sampler.h"
#include "space.h"

Test(space, float_step_reaches_high_exactly)
{
    /* (0.3 - 0) / 0.1 is 2.9999999999999996 in binary; in decimal it is 3. */
    hpo_dist d; char *w = (char *)1;
    cr_assert_eq(hpo_dist_float(&d, "p", 0.0, 0.3, 0.1, 0, &w), HPO_OK);
    cr_assert_null(w, "no warning: 0.3 is on the grid");
    cr_assert_eq(d.fhi, 0.3);
    cr_assert_eq(hpo_dist_float_kmax(&d), 3);
    hpo_rng r; hpo_rng_seed(&r, 1);
    int seen[4] = {0};
    for (int i = 0; i < 2000; i++) {
        hpo_pval v = hpo_sample_uniform(&d, &r);
        cr_assert(hpo_dist_contains(&d, v));
        if (v.f == 0.0) seen[0]++;
        else if (v.f == 0.1) seen[1]++;
        else if (v.f == 0.2) seen[2]++;
        else if (v.f == 0.3) seen[3]++;
        else cr_assert_fail("value %.17g is not low + k*step", v.f);
    }
    for (int k = 0; k < 4; k++) cr_assert_gt(seen[k], 350, "grid point %d drawn %d times of 2000", k, seen[k]);
}

Test(space, float_step_shrinks_high_with_warning)
{
    hpo_dist d; char *w = NULL;
    cr_assert_eq(hpo_dist_float(&d, "dropout", 0.0, 1.0, 0.3, 0, &w), HPO_OK);
    cr_assert_eq(d.fhi, 0.9);            /* 0 + floor(1/0.3)*0.3 = 0.9 in decimal */
    cr_assert_not_null(w);
    cr_assert(strstr(w, "dropout") && strstr(w, "0.9"), "warning: %s", w);
    hpo_free(w);
    /* 1.5 .. 2.55 step 0.35: (2.55-1.5)/0.35 = 3 exactly in decimal. */
    cr_assert_eq(hpo_dist_float(&d, "q", 1.5, 2.55, 0.35, 0, &w), HPO_OK);
    cr_assert_null(w);
    cr_assert_eq(d.fhi, 2.55);
}

Test(space, int_step_grid)
{
    hpo_dist d; char *w = NULL;
    cr_assert_eq(hpo_dist_int(&d, "k", 2, 9, 3, 0, &w), HPO_OK);
    cr_assert_eq(d.ihi, 8);
    cr_assert_not_null(w);
    hpo_free(w);
    hpo_rng r; hpo_rng_seed(&r, 7);
    int seen[10] = {0};
    for (int i = 0; i < 3000; i++) {
        hpo_pval v = hpo_sample_uniform(&d, &r);
        cr_assert(v.i == 2 || v.i == 5 || v.i == 8, "drew %lld", (long long)v.i);
        seen[v.i]++;
    }
    cr_assert(seen[2] > 800 && seen[5] > 800 && seen[8] > 800);
}

Test(space, int64_extremes)
{
    hpo_dist d; char *w = NULL;
    cr_assert_eq(hpo_dist_int(&d, "big", INT64_MIN, INT64_MAX, 1, 0, &w), HPO_OK);
    cr_assert_null(w);
    cr_assert_eq(hpo_dist_int_kmax(&d), UINT64_MAX);
    hpo_rng r; hpo_rng_seed(&r, 3);
    int neg = 0;
    for (int i = 0; i < 1000; i++) {
        hpo_pval v = hpo_sample_uniform(&d, &r);
        neg += v.i < 0;
    }
    cr_assert(neg > 400 && neg < 600, "%d of 1000 negative", neg);

    cr_assert_eq(hpo_dist_int(&d, "top", INT64_MAX, INT64_MAX, 1, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_sample_uniform(&d, &r).i, INT64_MAX);

    /* INT64_MIN .. INT64_MAX step 2^62: points MIN, MIN+2^62, 0, 2^62; high shrinks to 2^62. */
    cr_assert_eq(hpo_dist_int(&d, "s", INT64_MIN, INT64_MAX, INT64_C(1) << 62, 0, &w), HPO_OK);
    cr_assert_eq(d.ihi, INT64_C(1) << 62);
    cr_assert_eq(hpo_dist_int_kmax(&d), 3);
    hpo_free(w);
    for (int i = 0; i < 200; i++) {
        int64_t v = hpo_sample_uniform(&d, &r).i;
        cr_assert(v == INT64_MIN || v == INT64_MIN + (INT64_C(1) << 62) || v == 0 || v == (INT64_C(1) << 62),
                  "drew %lld", (long long)v);
    }
    /* Back from the sampler's internal number, clipped at both ends. */
    cr_assert_eq(hpo_dist_int(&d, "big", INT64_MIN, INT64_MAX, 1, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_from_internal(&d, 1e300).i, INT64_MAX);
    cr_assert_eq(hpo_dist_from_internal(&d, -1e300).i, INT64_MIN);
}

Test(space, rules_are_errors_naming_the_parameter)
{
    hpo_dist d;
    cr_assert_eq(hpo_dist_float(&d, "lr", 0.0, 1.0, 0, 1, NULL), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "'lr'") && strstr(hpo_error_message(), "low > 0"), "%s", hpo_error_message());
    cr_assert_eq(hpo_dist_float(&d, "lr", 0.1, 1.0, 0.1, 1, NULL), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "step and log"), "%s", hpo_error_message());
    cr_assert_eq(hpo_dist_float(&d, "x", 2.0, 1.0, 0, 0, NULL), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "low must be <= high"), "%s", hpo_error_message());
    cr_assert_eq(hpo_dist_float(&d, "x", 0, NAN, 0, 0, NULL), HPO_EINVAL);
    cr_assert_eq(hpo_dist_float(&d, "x", 0, 1, -0.5, 0, NULL), HPO_EINVAL);
    cr_assert_eq(hpo_dist_int(&d, "n", 0, 10, 1, 1, NULL), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "low >= 1"), "%s", hpo_error_message());
    cr_assert_eq(hpo_dist_int(&d, "n", 1, 10, 2, 1, NULL), HPO_EINVAL);
    cr_assert_eq(hpo_dist_int(&d, "n", 1, 10, 0, 0, NULL), HPO_EINVAL);
    cr_assert_eq(hpo_dist_int(&d, "n", 5, 4, 1, 0, NULL), HPO_EINVAL);
    hpo_choice dup[] = {HPO_STR("a"), HPO_STR("a")};
    cr_assert_eq(hpo_dist_cat(&d, "c", dup, 2), HPO_EINVAL);
    cr_assert_eq(hpo_dist_cat(&d, "c", dup, 0), HPO_EINVAL);
}

Test(space, low_equals_high_is_allowed)
{
    hpo_dist d; hpo_rng r; hpo_rng_seed(&r, 1);
    cr_assert_eq(hpo_dist_float(&d, "x", 0.5, 0.5, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_sample_uniform(&d, &r).f, 0.5);
    cr_assert_eq(hpo_dist_float(&d, "x", 2.0, 2.0, 0, 1, NULL), HPO_OK);
    cr_assert_eq(hpo_sample_uniform(&d, &r).f, 2.0);
    cr_assert_eq(hpo_dist_int(&d, "n", 3, 3, 1, 1, NULL), HPO_OK);
    cr_assert_eq(hpo_sample_uniform(&d, &r).i, 3);
}

Test(space, log_float_is_uniform_in_log_space)
{
    /* For log-uniform on [1e-5, 1e-1], log10 is uniform on [-5, -1]: each
     * decade holds a quarter of the draws. */
    hpo_dist d; hpo_rng r; hpo_rng_seed(&r, 11);
    cr_assert_eq(hpo_dist_float(&d, "lr", 1e-5, 1e-1, 0, 1, NULL), HPO_OK);
    int dec[4] = {0};
    for (int i = 0; i < 8000; i++) {
        double v = hpo_sample_uniform(&d, &r).f;
        cr_assert(v >= 1e-5 && v <= 1e-1);
        int k = (int)floor(log10(v) + 5);
        if (k > 3) k = 3;
        dec[k]++;
    }
    for (int k = 0; k < 4; k++) cr_assert(dec[k] > 1800 && dec[k] < 2200, "decade %d: %d of 8000", k, dec[k]);
}

Test(space, log_int_covers_both_ends)
{
    hpo_dist d; hpo_rng r; hpo_rng_seed(&r, 5);
    cr_assert_eq(hpo_dist_int(&d, "n", 1, 4, 1, 1, NULL), HPO_OK);
    int seen[5] = {0};
    for (int i = 0; i < 4000; i++) seen[hpo_sample_uniform(&d, &r).i]++;
    /* Widened to [0.5, 4.5] before the log: P(1) = ln(1.5/0.5)/ln(9) = 0.5. */
    cr_assert(seen[1] > 1850 && seen[1] < 2150, "P(1): %d of 4000", seen[1]);
    cr_assert(seen[4] > 0 && seen[0] == 0);
}

Test(space, categorical_keeps_types_and_formats)
{
    hpo_choice c[] = {HPO_STR("adam"), HPO_INT(-3), HPO_FLOAT(0.25), HPO_BOOL(1)};
    hpo_dist d;
    cr_assert_eq(hpo_dist_cat(&d, "mixed", c, 4), HPO_OK);
    char buf[128];
    hpo_dist_format(&d, buf, sizeof buf);
    cr_assert_str_eq(buf, "categorical [adam, -3, 0.25, true]");
    cr_assert_eq(d.choices[1].type, HPO_CHOICE_INT);
    cr_assert_eq(d.choices[2].type, HPO_CHOICE_FLOAT);
    cr_assert_eq(d.choices[3].type, HPO_CHOICE_BOOL);
    cr_assert_neq(d.choices[0].v.s, c[0].v.s, "strings are copied");
    /* 1 and 1.0 and true are different choices, as in Python's list. */
    hpo_choice ok[] = {HPO_INT(1), HPO_FLOAT(1.0), HPO_BOOL(1)};
    hpo_dist e;
    cr_assert_eq(hpo_dist_cat(&e, "x", ok, 3), HPO_OK);
    hpo_dist_clear(&e);
    hpo_dist_clear(&d);
}

Test(space, format_and_equal)
{
    hpo_dist a, b; char buf[128];
    cr_assert_eq(hpo_dist_float(&a, "lr", 1e-5, 0.1, 0, 1, NULL), HPO_OK);
    hpo_dist_format(&a, buf, sizeof buf);
    cr_assert_str_eq(buf, "float [1e-05, 0.1] log");
    cr_assert_eq(hpo_dist_int(&b, "n", 2, 8, 3, 0, NULL), HPO_OK);
    hpo_dist_format(&b, buf, sizeof buf);
    cr_assert_str_eq(buf, "int [2, 8] step 3");
    cr_assert_not(hpo_dist_equal(&a, &b));
    hpo_pval v = {.f = 1.0};
    hpo_pval_format(&a, v, buf, sizeof buf);
    cr_assert_str_eq(buf, "1.0");
}

Test(space, oom_in_categorical_leaves_nothing)
{
    hpo_choice c[] = {HPO_STR("a"), HPO_STR("b"), HPO_STR("c")};
    long live0 = hpo_test_alloc_live();
    for (long n = 0;; n++) {
        hpo_dist d;
        hpo_test_alloc_fail_at(n, 0);
        hpo_status st = hpo_dist_cat(&d, "c", c, 3);
        hpo_test_alloc_reset();
        if (st == HPO_OK) { hpo_dist_clear(&d); cr_assert_eq(hpo_test_alloc_live(), live0); break; }
        cr_assert_eq(st, HPO_ENOMEM);
        cr_assert_eq(hpo_test_alloc_live(), live0, "leak after failure at %ld", n);
    }
}
