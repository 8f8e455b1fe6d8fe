/* test_dataset.c - CSV -> data set (src/dataset.c): get_dummies encoding and
 * order, the sklearn split (pinned against tests/data/heart.split42.txt),
 * missing values, malformed numbers, standardization and OOM handling.
 *
 * Expected values are worked out by hand from the files in tests/data/csv/.
 * The small files rely on numpy.random.RandomState(42).permutation(n):
 *   n=4: [1 3 0 2]; n=5: [1 4 2 0 3]
 * (hpo_mt_permutation equals numpy; test_rng.c pins it at n=918). With
 * fraction 0.25 (n=4) or 0.2 (n=5), the first entry is the one validation
 * row; training rows follow in permutation order. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "csv.h"
#include "dataset.h"
#include "error.h"

#define CSV(name) HPO_TEST_DATA "/csv/" name

static hpo_data_opts opts(const char *path, const char *target)
{
    hpo_data_opts o;
    hpo_data_opts_default(&o);
    o.path = path;
    o.target = target;
    return o;
}

static hpo_dataset *load_ok(const hpo_data_opts *o)
{
    hpo_dataset *d = NULL;
    hpo_status st = hpo_dataset_load(o, &d);
    cr_assert_eq(st, HPO_OK, "%s: %s", o->path, hpo_error_message());
    cr_assert_not_null(d);
    return d;
}

/* Load must fail with want; the message must contain each string given. */
static void load_fails(const hpo_data_opts *o, hpo_status want, ...)
{
    hpo_dataset *d = (hpo_dataset *)0x1;
    hpo_status st = hpo_dataset_load(o, &d);
    cr_assert_eq(st, want, "%s: status %d, want %d (%s)", o->path, st, want, hpo_error_message());
    cr_assert_null(d, "*out must be NULL on failure");
    va_list ap;
    va_start(ap, want);
    for (const char *s; (s = va_arg(ap, const char *));)
        cr_assert(strstr(hpo_error_message(), s), "message \"%s\" lacks \"%s\"", hpo_error_message(), s);
    va_end(ap);
}

static void assert_names(char **got, const char *const *want, size_t n)
{
    for (size_t i = 0; i < n; i++) cr_assert_str_eq(got[i], want[i], "name %zu", i);
}

/* x (rows, F) must equal want exactly (values that are exact in float). */
static void assert_matrix(const float *x, const float *want, size_t rows, size_t F, const char *what)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t f = 0; f < F; f++)
            cr_assert_eq(x[i * F + f], want[i * F + f], "%s[%zu][%zu] = %g, want %g", what, i, f,
                         x[i * F + f], want[i * F + f]);
}

static void assert_near(float got, double want, const char *what)
{
    cr_assert(fabs((double)got - want) <= 1e-6 * (1 + fabs(want)), "%s = %.9g, want %.9g", what, got, want);
}

Test(dataset, defaults)
{
    hpo_data_opts o;
    memset(&o, 0xff, sizeof o);
    hpo_data_opts_default(&o);
    cr_assert_eq(o.validation_fraction, 0.2);
    cr_assert_eq(o.split, HPO_SPLIT_SKLEARN);
    cr_assert_eq(o.split_seed, 42);
    cr_assert_eq(o.standardize, 0);
    cr_assert_eq(o.missing, HPO_MISSING_ERROR);
    cr_assert_null(o.path);
    cr_assert_null(o.target);
}

/* onehot.csv (Color,Num,Size,Label):
 *   row0 red,1.5,S,yes  row1 blue,2,M,no  row2 red,-3,L,yes  row3 Green,4e1,M,no
 * n=4, fraction 0.25: validation row 1; training rows 3, 0, 2.
 * Numeric first (Num), then Color sorted byte-wise (Green < blue < red), then Size. */
Test(dataset, onehot_matrix)
{
    hpo_data_opts o = opts(CSV("onehot.csv"), "Label");
    o.validation_fraction = 0.25;
    hpo_dataset *d = load_ok(&o);
    cr_assert_eq(d->n_train, 3);
    cr_assert_eq(d->n_val, 1);
    cr_assert_eq(d->n_features, 7);
    cr_assert_eq(d->n_classes, 2);
    static const char *const names[] = {"Num", "Color_Green", "Color_blue", "Color_red",
                                        "Size_L", "Size_M", "Size_S"};
    assert_names(d->feature_names, names, 7);
    static const char *const classes[] = {"no", "yes"};
    assert_names(d->class_names, classes, 2);
    static const float xt[] = {
        40,   1, 0, 0,  0, 1, 0,    /* row 3 */
        1.5f, 0, 0, 1,  0, 0, 1,    /* row 0 */
        -3,   0, 0, 1,  1, 0, 0,    /* row 2 */
    };
    static const float xv[] = {2, 0, 1, 0, 0, 1, 0};   /* row 1 */
    assert_matrix(d->x_train, xt, 3, 7, "x_train");
    assert_matrix(d->x_val, xv, 1, 7, "x_val");
    cr_assert_eq(d->y_train[0], 0);
    cr_assert_eq(d->y_train[1], 1);
    cr_assert_eq(d->y_train[2], 1);
    cr_assert_eq(d->y_val[0], 0);
    hpo_dataset_destroy(&d);
    cr_assert_null(d);
    hpo_dataset_destroy(&d);
    hpo_dataset_destroy(NULL);
}

/* standardize.csv (A,B,C,D,T), validation row 1, training rows 4, 2, 0, 3.
 *   A: train 7,3,1,5: mean 4, population var (9+1+9+1)/4 = 5; val 100 -> 96/sqrt5
 *   C: 7 everywhere: exactly 0.
 *   D: train 2,2,2,2 (constant), val 9: 0 on training rows, 9 - 2 = 7 on validation
 *   B_x: train 0,1,1,1: mean 3/4, std sqrt(3)/4 -> -sqrt3, 1/sqrt3; val (y) -sqrt3
 *   B_y = the opposite. */
Test(dataset, standardize_by_hand)
{
    hpo_data_opts o = opts(CSV("standardize.csv"), "T");
    o.standardize = 1;
    hpo_dataset *d = load_ok(&o);
    cr_assert_eq(d->n_train, 4);
    cr_assert_eq(d->n_val, 1);
    cr_assert_eq(d->n_features, 5);
    static const char *const names[] = {"A", "C", "D", "B_x", "B_y"};
    assert_names(d->feature_names, names, 5);
    double s5 = sqrt(5.0), s3 = sqrt(3.0);
    double want[5][5] = {
        { 3 / s5, 0, 0, -s3, s3},          /* row 4 */
        {-1 / s5, 0, 0, 1 / s3, -1 / s3},  /* row 2 */
        {-3 / s5, 0, 0, 1 / s3, -1 / s3},  /* row 0 */
        { 1 / s5, 0, 0, 1 / s3, -1 / s3},  /* row 3 */
        {96 / s5, 0, 7, -s3, s3},          /* row 1, validation */
    };
    char what[32];
    for (size_t i = 0; i < 5; i++)
        for (size_t f = 0; f < 5; f++) {
            float got = i < 4 ? d->x_train[i * 5 + f] : d->x_val[f];
            snprintf(what, sizeof what, "x[%zu][%zu]", i, f);
            assert_near(got, want[i][f], what);
        }
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(d->x_train[i * 5 + 1], 0.0f);   /* constant: exactly 0 */
        cr_assert_eq(d->x_train[i * 5 + 2], 0.0f);
    }
    cr_assert_eq(d->x_val[1], 0.0f);
    cr_assert_eq(d->x_val[2], 7.0f);
    int32_t yt[] = {0, 0, 0, 1};
    for (size_t i = 0; i < 4; i++) cr_assert_eq(d->y_train[i], yt[i]);
    cr_assert_eq(d->y_val[0], 1);
    hpo_dataset_destroy(&d);
}

/* constant.csv: K = 0.1 in every row. The training mean 0.3000..04/3 is not
 * 0.1 in binary, so a plain (x - mean)/std would give huge values. */
Test(dataset, constant_column_is_exactly_zero)
{
    hpo_data_opts o = opts(CSV("constant.csv"), "T");
    o.validation_fraction = 0.25;
    o.standardize = 1;
    hpo_dataset *d = load_ok(&o);
    cr_assert_str_eq(d->feature_names[0], "K");
    for (size_t i = 0; i < d->n_train; i++) cr_assert_eq(d->x_train[i * d->n_features], 0.0f);
    cr_assert_eq(d->x_val[0], 0.0f);
    hpo_dataset_destroy(&d);
}

Test(dataset, no_standardize_keeps_values)
{
    hpo_data_opts o = opts(CSV("standardize.csv"), "T");
    hpo_dataset *d = load_ok(&o);
    float a[] = {7, 3, 1, 5};
    for (size_t i = 0; i < 4; i++) cr_assert_eq(d->x_train[i * 5], a[i]);
    cr_assert_eq(d->x_val[0], 100.0f);
    hpo_dataset_destroy(&d);
}

/* impute.csv (A,B,T): row0 1,p  row1 1000,p (validation)  row2 NA,q  row3 3,<empty>
 * row4 8,q. Training rows 4, 2, 0, 3.
 *   A: training values 8, 1, 3 -> mean 4 (not 253 with the validation row),
 *      median 3 (not 5.5).
 *   B: training q, q, p -> q (counting the validation row, p and q would tie
 *      and p, first in order, would win). */
Test(dataset, impute_mean_from_training_rows)
{
    hpo_data_opts o = opts(CSV("impute.csv"), "T");
    o.missing = HPO_MISSING_MEAN;
    hpo_dataset *d = load_ok(&o);
    static const char *const names[] = {"A", "B_p", "B_q"};
    assert_names(d->feature_names, names, 3);
    static const float xt[] = {8, 0, 1,   4, 0, 1,   1, 1, 0,   3, 0, 1};
    static const float xv[] = {1000, 1, 0};
    assert_matrix(d->x_train, xt, 4, 3, "x_train");
    assert_matrix(d->x_val, xv, 1, 3, "x_val");
    hpo_dataset_destroy(&d);
}

Test(dataset, impute_median_from_training_rows)
{
    hpo_data_opts o = opts(CSV("impute.csv"), "T");
    o.missing = HPO_MISSING_MEDIAN;
    hpo_dataset *d = load_ok(&o);
    cr_assert_eq(d->x_train[1 * 3 + 0], 3.0f);
    cr_assert_eq(d->x_train[3 * 3 + 2], 1.0f);   /* B imputed as q */
    hpo_dataset_destroy(&d);
}

/* impute_tie.csv: B on training rows 4, 2, 0, 3 is q, p, -, -: a tie, so the
 * first category in sorted order, p, fills both (the validation row's q would
 * break the tie the other way if it were counted). */
Test(dataset, impute_categorical_tie_takes_first_category)
{
    hpo_data_opts o = opts(CSV("impute_tie.csv"), "T");
    o.missing = HPO_MISSING_MEAN;
    hpo_dataset *d = load_ok(&o);
    static const float xt[] = {5, 0, 1,   3, 1, 0,   1, 1, 0,   4, 1, 0};
    static const float xv[] = {2, 0, 1};
    assert_matrix(d->x_train, xt, 4, 3, "x_train");
    assert_matrix(d->x_val, xv, 1, 3, "x_val");
    hpo_dataset_destroy(&d);
}

/* median_even.csv, n=6, fraction 0.1: ceil(0.6) = 1 validation row; the
 * permutation of 6 is [0 1 5 2 4 3], so validation row 0 and training rows
 * 1, 5, 2, 4, 3. A on training rows: 2, 10, NA, 1, 4 -> median of 1 2 4 10 is
 * (2 + 4) / 2 = 3. The target 0.1/0.2 gives class names "0.1", "0.2" (the
 * shortest text that reads back, not 0.10000000000000001). */
Test(dataset, impute_median_even_count)
{
    hpo_data_opts o = opts(CSV("median_even.csv"), "T");
    o.validation_fraction = 0.1;
    o.missing = HPO_MISSING_MEDIAN;
    hpo_dataset *d = load_ok(&o);
    cr_assert_eq(d->n_train, 5);
    cr_assert_eq(d->n_val, 1);
    static const float xt[] = {2, 10, 3, 1, 4};
    assert_matrix(d->x_train, xt, 5, 1, "x_train");
    cr_assert_eq(d->x_val[0], 1000.0f);
    cr_assert_str_eq(d->class_names[0], "0.1");
    cr_assert_str_eq(d->class_names[1], "0.2");
    int32_t yt[] = {1, 1, 0, 0, 1};
    for (size_t i = 0; i < 5; i++) cr_assert_eq(d->y_train[i], yt[i], "y_train[%zu]", i);
    cr_assert_eq(d->y_val[0], 0);
    hpo_dataset_destroy(&d);
}

Test(dataset, impute_then_standardize)
{
    hpo_data_opts o = opts(CSV("impute.csv"), "T");
    o.missing = HPO_MISSING_MEAN;
    o.standardize = 1;
    hpo_dataset *d = load_ok(&o);
    /* A on training rows: 8, 4, 1, 3: mean 4, var (16+0+9+1)/4 = 6.5 */
    double sd = sqrt(6.5);
    assert_near(d->x_train[0], 4 / sd, "A row 4");
    cr_assert_eq(d->x_train[3], 0.0f);   /* the imputed mean is exactly the mean */
    assert_near(d->x_val[0], 996 / sd, "A row 1");
    hpo_dataset_destroy(&d);
}

/* DROP: rows 2 and 3 go; 3 rows are left, ceil(0.2*3) = 1 validation row. */
Test(dataset, drop_rows_with_missing_cells)
{
    hpo_data_opts o = opts(CSV("impute.csv"), "T");
    o.missing = HPO_MISSING_DROP;
    hpo_dataset *d = load_ok(&o);
    cr_assert_eq(d->n_train + d->n_val, 3);
    cr_assert_eq(d->n_val, 1);
    cr_assert_eq(d->n_features, 3);   /* q still appears in row 4 */
    hpo_dataset_destroy(&d);
}

/* Each spelling of a missing value, under ERROR and under DROP. */
Test(dataset, missing_spellings)
{
    static const struct { const char *file, *col, *desc; } k[] = {
        {"missing_empty.csv", "'Age'", "(empty)"},
        {"missing_na.csv", "'Age'", "('NA')"},
        {"missing_nan.csv", "'Age'", "('nan')"},
        {"missing_question.csv", "'Age'", "('?')"},
        {"missing_null.csv", "'Sex'", "('NULL')"},
    };
    char path[256], where[128];
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        snprintf(path, sizeof path, "%s/csv/%s", HPO_TEST_DATA, k[i].file);
        snprintf(where, sizeof where, "%s: line 3, column %s: missing value %s", k[i].file,
                 k[i].col, k[i].desc);
        hpo_data_opts o = opts(path, "T");
        load_fails(&o, HPO_EFORMAT, where, "data.missing: drop|mean|median", NULL);
        o.missing = HPO_MISSING_DROP;
        hpo_dataset *d = load_ok(&o);
        cr_assert_eq(d->n_train + d->n_val, 2, "%s", k[i].file);
        hpo_dataset_destroy(&d);
    }
}

Test(dataset, missing_target_cell)
{
    hpo_data_opts o = opts(CSV("missing_target.csv"), "T");
    for (int m = HPO_MISSING_ERROR; m <= HPO_MISSING_MEDIAN; m++) {
        if (m == HPO_MISSING_DROP) continue;
        o.missing = (hpo_missing)m;
        load_fails(&o, HPO_EFORMAT, "missing_target.csv: line 3, column 'T' (the target)", NULL);
    }
    o.missing = HPO_MISSING_DROP;
    hpo_dataset *d = load_ok(&o);
    cr_assert_eq(d->n_train + d->n_val, 2);
    hpo_dataset_destroy(&d);
}

Test(dataset, malformed_numbers)
{
    hpo_data_opts o = opts(CSV("malformed_12a.csv"), "T");
    load_fails(&o, HPO_EFORMAT, "malformed_12a.csv: line 7, column 'Oldpeak': '12a' is not a number",
               NULL);
    o.missing = HPO_MISSING_MEAN;   /* not a missing value: still an error */
    load_fails(&o, HPO_EFORMAT, "'12a'", NULL);
    o = opts(CSV("malformed_comma.csv"), "T");
    load_fails(&o, HPO_EFORMAT, "malformed_comma.csv: line 4, column 'Oldpeak': '1,5' is not a number",
               NULL);
}

/* 3 numbers and one word: below the 90% rule, so categorical like pandas. */
Test(dataset, few_numbers_is_categorical)
{
    hpo_data_opts o = opts(CSV("few_numbers.csv"), "T");
    o.validation_fraction = 0.25;
    hpo_dataset *d = load_ok(&o);
    static const char *const names[] = {"Code_1", "Code_2", "Code_3", "Code_x"};
    cr_assert_eq(d->n_features, 4);
    assert_names(d->feature_names, names, 4);
    hpo_dataset_destroy(&d);
}

/* numeric_target.csv: T = 10, 9, 2.5, 9.0, 10 -> classes in numeric order
 * 2.5, 9, 10 (byte-wise would put "10" first; "9" and "9.0" are one class).
 * Validation row 1 (9); training rows 4, 2, 0, 3 -> 10, 2.5, 10, 9.0. */
Test(dataset, numeric_target_classes)
{
    hpo_data_opts o = opts(CSV("numeric_target.csv"), "T");
    hpo_dataset *d = load_ok(&o);
    cr_assert_eq(d->n_classes, 3);
    static const char *const classes[] = {"2.5", "9", "10"};
    assert_names(d->class_names, classes, 3);
    int32_t yt[] = {2, 0, 2, 1};
    for (size_t i = 0; i < 4; i++) cr_assert_eq(d->y_train[i], yt[i], "y_train[%zu]", i);
    cr_assert_eq(d->y_val[0], 1);
    hpo_dataset_destroy(&d);
}

Test(dataset, categorical_target)
{
    hpo_data_opts o = opts(CSV("onehot.csv"), "Color");
    o.validation_fraction = 0.25;
    hpo_dataset *d = load_ok(&o);
    cr_assert_eq(d->n_classes, 3);
    static const char *const classes[] = {"Green", "blue", "red"};
    assert_names(d->class_names, classes, 3);
    static const char *const names[] = {"Num", "Size_L", "Size_M", "Size_S", "Label_no", "Label_yes"};
    cr_assert_eq(d->n_features, 6);
    assert_names(d->feature_names, names, 6);
    int32_t yt[] = {0, 2, 2};   /* rows 3, 0, 2 */
    for (size_t i = 0; i < 3; i++) cr_assert_eq(d->y_train[i], yt[i]);
    cr_assert_eq(d->y_val[0], 1);
    hpo_dataset_destroy(&d);
}

Test(dataset, missing_target_column)
{
    hpo_data_opts o = opts(CSV("onehot.csv"), "Nope");
    load_fails(&o, HPO_EINVAL, "onehot.csv", "'Nope'", "'Color', 'Num', 'Size', 'Label'", NULL);
    o.target = "label";
    load_fails(&o, HPO_EINVAL, "did you mean 'Label'?", NULL);
}

Test(dataset, one_class)
{
    hpo_data_opts o = opts(CSV("one_class.csv"), "T");
    load_fails(&o, HPO_EFORMAT, "one_class.csv", "one class only ('yes')", NULL);
}

Test(dataset, too_few_rows)
{
    hpo_data_opts o = opts(CSV("one_row_ds.csv"), "T");
    load_fails(&o, HPO_EFORMAT, "one_row_ds.csv", "at least 2", NULL);
    o = opts(CSV("missing_empty.csv"), "T");
    o.missing = HPO_MISSING_DROP;
    o.validation_fraction = 0.5;   /* ceil(0.5*2) = 1: fine */
    hpo_dataset *d = load_ok(&o);
    hpo_dataset_destroy(&d);
}

Test(dataset, split_leaves_no_training_rows)
{
    hpo_data_opts o = opts(CSV("two_rows.csv"), "T");
    o.validation_fraction = 0.6;   /* ceil(1.2) = 2 of 2 */
    load_fails(&o, HPO_EFORMAT, "two_rows.csv", "0 training rows", NULL);
    o.validation_fraction = 0.5;
    hpo_dataset *d = load_ok(&o);
    cr_assert_eq(d->n_train, 1);
    cr_assert_eq(d->n_val, 1);
    hpo_dataset_destroy(&d);
}

Test(dataset, other_file_errors)
{
    hpo_data_opts o = opts(CSV("only_target.csv"), "T");
    load_fails(&o, HPO_EFORMAT, "only_target.csv", "no feature columns", NULL);
    o = opts(CSV("dup_columns.csv"), "T");
    load_fails(&o, HPO_EFORMAT, "dup_columns.csv", "columns 1 and 3 are both named 'X'", NULL);
    o = opts(CSV("wrong_fields.csv"), "c12");
    load_fails(&o, HPO_ESYNTAX, "wrong_fields.csv:4: expected 12 fields, found 11", NULL);
    o = opts(CSV("header_only.csv"), "a");
    load_fails(&o, HPO_EFORMAT, "header_only.csv", NULL);
    o = opts(CSV("empty.csv"), "a");
    load_fails(&o, HPO_EFORMAT, "empty.csv", NULL);
    o = opts(CSV("does_not_exist.csv"), "a");
    load_fails(&o, HPO_EIO, "does_not_exist.csv", NULL);
}

Test(dataset, bad_options)
{
    hpo_dataset *d = NULL;
    hpo_data_opts o = opts(CSV("onehot.csv"), "Label");
    cr_assert_eq(hpo_dataset_load(NULL, &d), HPO_EINVAL);
    cr_assert_eq(hpo_dataset_load(&o, NULL), HPO_EINVAL);
    double bad[] = {0, 1, -0.1, 1.5, NAN};
    for (size_t i = 0; i < 5; i++) {
        o.validation_fraction = bad[i];
        load_fails(&o, HPO_EINVAL, "validation_fraction", NULL);
    }
    o = opts(NULL, "Label");
    load_fails(&o, HPO_EINVAL, "path", NULL);
    o = opts(CSV("onehot.csv"), NULL);
    load_fails(&o, HPO_EINVAL, "target", NULL);
    o = opts(CSV("onehot.csv"), "Label");
    o.split_seed = 1ull << 32;
    load_fails(&o, HPO_EINVAL, "split_seed", NULL);
    o.split = HPO_SPLIT_RANDOM;   /* any 64-bit seed is fine here */
    o.validation_fraction = 0.25;
    d = load_ok(&o);
    hpo_dataset_destroy(&d);
    o.split = (hpo_split)7;
    load_fails(&o, HPO_EINVAL, "split", NULL);
    o = opts(CSV("onehot.csv"), "Label");
    o.missing = (hpo_missing)9;
    load_fails(&o, HPO_EINVAL, "missing", NULL);
}

/* RANDOM split: a permutation of the rows, reproducible from the seed. */
Test(dataset, random_split)
{
    hpo_data_opts o = opts(HPO_DATA_DIR "/heart.csv", "HeartDisease");
    o.split = HPO_SPLIT_RANDOM;
    o.split_seed = 7;
    hpo_dataset *a = load_ok(&o), *b = load_ok(&o);
    cr_assert_eq(a->n_train, 734);
    cr_assert_eq(a->n_val, 184);
    cr_assert_eq(memcmp(a->x_val, b->x_val, 184 * 20 * sizeof(float)), 0);
    /* every row lands somewhere: the Age total equals that of the sklearn split */
    double sum = 0;
    for (size_t i = 0; i < a->n_train; i++) sum += a->x_train[i * 20];
    for (size_t i = 0; i < a->n_val; i++) sum += a->x_val[i * 20];
    o.split = HPO_SPLIT_SKLEARN;
    o.split_seed = 42;
    hpo_dataset *c = load_ok(&o);
    double sum42 = 0;
    for (size_t i = 0; i < c->n_train; i++) sum42 += c->x_train[i * 20];
    for (size_t i = 0; i < c->n_val; i++) sum42 += c->x_val[i * 20];
    cr_assert_eq(sum, sum42);
    cr_assert_neq(memcmp(a->x_val, c->x_val, 184 * 20 * sizeof(float)), 0);
    hpo_dataset_destroy(&a);
    hpo_dataset_destroy(&b);
    hpo_dataset_destroy(&c);
}

/* The article's data set: 20 features in get_dummies order, 734/184 rows,
 * validation rows exactly numpy RandomState(42).permutation(918)[:184]. */
Test(dataset, heart_matches_article)
{
    hpo_data_opts o = opts(HPO_DATA_DIR "/heart.csv", "HeartDisease");
    hpo_dataset *d = load_ok(&o);
    cr_assert_eq(d->n_train, 734);
    cr_assert_eq(d->n_val, 184);
    cr_assert_eq(d->n_features, 20);
    cr_assert_eq(d->n_classes, 2);
    static const char *const names[] = {
        "Age", "RestingBP", "Cholesterol", "FastingBS", "MaxHR", "Oldpeak",
        "Sex_F", "Sex_M", "ChestPainType_ASY", "ChestPainType_ATA", "ChestPainType_NAP",
        "ChestPainType_TA", "RestingECG_LVH", "RestingECG_Normal", "RestingECG_ST",
        "ExerciseAngina_N", "ExerciseAngina_Y", "ST_Slope_Down", "ST_Slope_Flat", "ST_Slope_Up"};
    assert_names(d->feature_names, names, 20);
    cr_assert_str_eq(d->class_names[0], "0");
    cr_assert_str_eq(d->class_names[1], "1");
    size_t val[2] = {0, 0}, train[2] = {0, 0};
    for (size_t i = 0; i < d->n_val; i++) val[d->y_val[i]]++;
    for (size_t i = 0; i < d->n_train; i++) train[d->y_train[i]]++;
    cr_assert_eq(val[1], 107);
    cr_assert_eq(val[0], 77);
    cr_assert_eq(train[1], 401);
    cr_assert_eq(train[0], 333);

    /* Row by row against the reference permutation and the raw file. */
    FILE *f = fopen(HPO_TEST_DATA "/heart.split42.txt", "r");
    cr_assert_not_null(f);
    char line[256];
    size_t perm[918], k = 0;
    while (fgets(line, sizeof line, f))
        if (line[0] != '#') { cr_assert_lt(k, 918); perm[k++] = (size_t)strtoul(line, NULL, 10); }
    fclose(f);
    cr_assert_eq(k, 918);
    hpo_csv *c = NULL;
    cr_assert_eq(hpo_csv_read(HPO_DATA_DIR "/heart.csv", &c), HPO_OK);
    for (size_t i = 0; i < 918; i++) {
        size_t r = perm[i];
        const float *x = i < 184 ? d->x_val + i * 20 : d->x_train + (i - 184) * 20;
        int32_t y = i < 184 ? d->y_val[i] : d->y_train[i - 184];
        cr_assert_eq(x[0], (float)strtod(hpo_csv_cell(c, r, 0), NULL), "Age, split row %zu", i);
        cr_assert_eq(x[4], (float)strtod(hpo_csv_cell(c, r, 7), NULL), "MaxHR, split row %zu", i);
        cr_assert_eq(x[5], (float)strtod(hpo_csv_cell(c, r, 9), NULL), "Oldpeak, split row %zu", i);
        cr_assert_eq(x[6], strcmp(hpo_csv_cell(c, r, 1), "F") == 0 ? 1.0f : 0.0f);
        cr_assert_eq(x[19], strcmp(hpo_csv_cell(c, r, 10), "Up") == 0 ? 1.0f : 0.0f);
        cr_assert_eq(y, (int32_t)atoi(hpo_csv_cell(c, r, 11)));
        float hot = 0;   /* each one-hot block sums to 1 */
        for (size_t q = 6; q < 20; q++) hot += x[q];
        cr_assert_eq(hot, 5.0f);
    }
    cr_assert_eq(perm[0], 668);
    hpo_csv_destroy(&c);
    hpo_dataset_destroy(&d);
}

Test(dataset, heart_standardized_training_stats)
{
    hpo_data_opts o = opts(HPO_DATA_DIR "/heart.csv", "HeartDisease");
    o.standardize = 1;
    hpo_dataset *d = load_ok(&o);
    for (size_t f = 0; f < 20; f++) {
        double s = 0, ss = 0;
        for (size_t i = 0; i < d->n_train; i++) s += d->x_train[i * 20 + f];
        double m = s / 734;
        for (size_t i = 0; i < d->n_train; i++) ss += (d->x_train[i * 20 + f] - m) * (d->x_train[i * 20 + f] - m);
        cr_assert(fabs(m) < 1e-5, "feature %zu: training mean %g", f, m);
        cr_assert(fabs(ss / 734 - 1) < 1e-5, "feature %zu: training variance %g", f, ss / 734);
    }
    hpo_dataset_destroy(&d);
}

/* SQLite-style OOM loop (style.md §9): fail allocation n (pass 0) or every
 * one from n on (pass 1) until the load succeeds; each failure is HPO_ENOMEM,
 * leaves *out NULL and frees everything. */
static void oom_loop(hpo_data_opts o)
{
    for (int sticky = 0; sticky < 2; sticky++) {
        long base = hpo_test_alloc_live();
        for (long n = 0;; n++) {
            hpo_dataset *d = NULL;
            hpo_test_alloc_fail_at(n, sticky);
            hpo_status st = hpo_dataset_load(&o, &d);
            hpo_test_alloc_reset();
            if (st == HPO_OK) {
                cr_assert_gt(n, 5);
                hpo_dataset_destroy(&d);
                cr_assert_eq(hpo_test_alloc_live(), base);
                break;
            }
            cr_assert_eq(st, HPO_ENOMEM, "allocation %ld: status %d (%s)", n, st, hpo_error_message());
            cr_assert_null(d);
            cr_assert_eq(hpo_test_alloc_live(), base, "leak after failing allocation %ld", n);
        }
    }
}

Test(dataset_oom, load)
{
    hpo_data_opts o = opts(CSV("impute.csv"), "T");
    o.missing = HPO_MISSING_MEDIAN;   /* also runs the imputation paths */
    o.standardize = 1;
    oom_loop(o);
    o = opts(CSV("numeric_target.csv"), "T");
    oom_loop(o);
    o = opts(CSV("onehot.csv"), "Label");
    o.validation_fraction = 0.25;
    o.missing = HPO_MISSING_MEAN;
    oom_loop(o);
}
