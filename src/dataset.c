/* dataset.c - CSV -> one-hot features, class targets, train/validation split,
 * missing values and standardization (see dataset.h for the rules).
 *
 * Order of work: read the CSV; find the target; type each column; handle
 * missing cells (error or drop); split; read each column's values in split
 * order (training rows first), imputing from training rows; then write the
 * float matrices, standardizing with training statistics. */
#include "dataset.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "csv.h"
#include "error.h"
#include "rng.h"

void hpo_data_opts_default(hpo_data_opts *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->validation_fraction = 0.2;
    o->split = HPO_SPLIT_SKLEARN;
    o->split_seed = 42;
    o->standardize = 0;
    o->missing = HPO_MISSING_ERROR;
}

void hpo_dataset_destroy(hpo_dataset **d)
{
    if (!d || !*d) return;
    hpo_free((*d)->x_train);         /* start of the block holding x and y */
    hpo_free((*d)->feature_names);   /* start of the block holding all names */
    hpo_free(*d);
    *d = NULL;
}

/* ---- Cells ----------------------------------------------------------------- */

static void trim_impl(const char *s, const char **b, size_t *n)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    *b = s;
    *n = len;
}

static int is_missing_impl(const char *s)
{
    static const char *const k_na[] = {"NA", "N/A", "NaN", "?", "null"};
    const char *b;
    size_t n;
    trim_impl(s, &b, &n);
    if (n == 0) return 1;
    for (size_t i = 0; i < sizeof k_na / sizeof k_na[0]; i++)
        if (strlen(k_na[i]) == n && strncasecmp(b, k_na[i], n) == 0) return 1;
    return 0;
}

/* 1 and *v if s (trimmed) is a plain decimal number with a finite value. */
static int parse_number_impl(const char *s, double *v)
{
    const char *b;
    size_t n;
    trim_impl(s, &b, &n);
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789+-.eE", b[i]) || b[i] == '\0') return 0;
    char *end = NULL;
    double x = strtod(b, &end);   /* stops at b + n: the next byte is a space, tab or NUL */
    if (end != b + n || !isfinite(x)) return 0;
    *v = x;
    return 1;
}

/* "(empty)" or "('NA')" for messages about a missing cell. */
static const char *missing_desc_impl(const char *s, char *buf, size_t n)
{
    const char *b;
    size_t len;
    trim_impl(s, &b, &len);
    if (len == 0) snprintf(buf, n, "empty");
    else snprintf(buf, n, "'%.*s'", (int)(len > 20 ? 20 : len), b);
    return buf;
}

/* Shortest %g text that reads back as x (class names of a numeric target). */
static void fmt_double_impl(char *buf, size_t n, double x)
{
    if (x == 0) x = 0;   /* -0 -> 0 */
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, x);
        if (strtod(buf, NULL) == x) return;
    }
}

static int cmp_str_impl(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_double_impl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- Columns --------------------------------------------------------------- */

typedef struct col_impl {
    int numeric;          /* else categorical */
    size_t n_cats;        /* categorical: distinct non-missing values */
    const char **cats;    /* (n_cats) sorted byte-wise; point into the csv */
    double *num;          /* numeric: (n) values in split order; NAN = missing */
    int32_t *code;        /* categorical: (n) index into cats; -1 = missing */
} col_impl;

/* Decide numeric or categorical; HPO_EFORMAT for a numeric column with a few
 * malformed cells (the 90% rule in dataset.h). */
static hpo_status classify_impl(const hpo_csv *csv, size_t j, int *numeric)
{
    size_t nr = hpo_csv_n_rows(csv), nonmiss = 0, nums = 0, bad = nr;
    for (size_t r = 0; r < nr; r++) {
        const char *s = hpo_csv_cell(csv, r, j);
        double v;
        if (is_missing_impl(s)) continue;
        nonmiss++;
        if (parse_number_impl(s, &v)) nums++;
        else if (bad == nr) bad = r;
    }
    *numeric = nums == nonmiss;
    if (*numeric || nums * 10 < nonmiss * 9) return HPO_OK;
    HPO_FAIL(HPO_EFORMAT,
             "%s: line %zu, column '%s': '%.60s' is not a number (yet %zu of the column's %zu "
             "values are numbers); write it as a plain decimal number like 12.5, or empty or NA "
             "to mark it missing",
             hpo_csv_name(csv), hpo_csv_line(csv, bad), hpo_csv_header(csv, j),
             hpo_csv_cell(csv, bad, j), nums, nonmiss);
}

static hpo_status fill_numeric_impl(const hpo_csv *csv, size_t j, col_impl *c, const size_t *ord,
                                    size_t n, size_t n_train, hpo_missing missing)
{
    size_t n_miss = 0, n_have = 0;
    c->num = hpo_malloc(n * sizeof *c->num);
    HPO_CHECK(c->num, HPO_ENOMEM, "%s: out of memory", hpo_csv_name(csv));
    for (size_t i = 0; i < n; i++) {
        const char *s = hpo_csv_cell(csv, ord[i], j);
        double v = NAN;
        if (!is_missing_impl(s)) {
            int ok = parse_number_impl(s, &v);
            assert(ok);   /* classify_impl said every non-missing cell is a number */
            (void)ok;
        } else {
            n_miss++;
        }
        if (i < n_train && !isnan(v)) n_have++;
        c->num[i] = v;
    }
    if (n_miss == 0) return HPO_OK;
    assert(missing == HPO_MISSING_MEAN || missing == HPO_MISSING_MEDIAN);
    HPO_CHECK(n_have > 0, HPO_EFORMAT,
              "%s: column '%s': no training row has a value, so a missing value cannot be "
              "imputed (data.missing: %s)", hpo_csv_name(csv), hpo_csv_header(csv, j),
              missing == HPO_MISSING_MEAN ? "mean" : "median");
    double fill;
    if (missing == HPO_MISSING_MEAN) {
        double sum = 0;
        for (size_t i = 0; i < n_train; i++) if (!isnan(c->num[i])) sum += c->num[i];
        fill = sum / (double)n_have;
    } else {
        double *tmp = hpo_malloc(n_have * sizeof *tmp);
        HPO_CHECK(tmp, HPO_ENOMEM, "%s: out of memory", hpo_csv_name(csv));
        size_t k = 0;
        for (size_t i = 0; i < n_train; i++) if (!isnan(c->num[i])) tmp[k++] = c->num[i];
        qsort(tmp, k, sizeof *tmp, cmp_double_impl);
        fill = k % 2 ? tmp[k / 2] : (tmp[k / 2 - 1] + tmp[k / 2]) / 2;   /* as numpy.median */
        hpo_free(tmp);
    }
    for (size_t i = 0; i < n; i++) if (isnan(c->num[i])) c->num[i] = fill;
    return HPO_OK;
}

static hpo_status fill_categorical_impl(const hpo_csv *csv, size_t j, col_impl *c,
                                        const size_t *ord, size_t n, size_t n_train)
{
    const char *name = hpo_csv_name(csv);
    size_t k = 0, n_miss = 0;
    c->cats = hpo_malloc(n * sizeof *c->cats);
    c->code = hpo_malloc(n * sizeof *c->code);
    HPO_CHECK(c->cats && c->code, HPO_ENOMEM, "%s: out of memory", name);
    for (size_t i = 0; i < n; i++) {
        const char *s = hpo_csv_cell(csv, ord[i], j);
        if (!is_missing_impl(s)) c->cats[k++] = s;
    }
    qsort(c->cats, k, sizeof *c->cats, cmp_str_impl);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(c->cats[u - 1], c->cats[i]) != 0) c->cats[u++] = c->cats[i];
    c->n_cats = u;
    assert(u > 0);   /* a column with no values is typed numeric */
    for (size_t i = 0; i < n; i++) {
        const char *s = hpo_csv_cell(csv, ord[i], j);
        const char **hit = is_missing_impl(s) ? NULL
                         : bsearch(&s, c->cats, u, sizeof *c->cats, cmp_str_impl);
        c->code[i] = hit ? (int32_t)(hit - c->cats) : -1;
        if (!hit) n_miss++;
    }
    if (n_miss == 0) return HPO_OK;
    /* Most frequent training category; ties go to the first in sorted order
     * (as sklearn's SimpleImputer(strategy="most_frequent")). */
    size_t *count = hpo_calloc(u, sizeof *count);
    HPO_CHECK(count, HPO_ENOMEM, "%s: out of memory", name);
    size_t best = u;
    for (size_t i = 0; i < n_train; i++) if (c->code[i] >= 0) count[c->code[i]]++;
    for (size_t q = 0; q < u; q++) if (count[q] && (best == u || count[q] > count[best])) best = q;
    hpo_free(count);
    HPO_CHECK(best < u, HPO_EFORMAT,
              "%s: column '%s': no training row has a value, so a missing value cannot be "
              "imputed", name, hpo_csv_header(csv, j));
    for (size_t i = 0; i < n; i++) if (c->code[i] < 0) c->code[i] = (int32_t)best;
    return HPO_OK;
}

/* HPO_EINVAL listing the columns, with a hint if only the case differs. */
static hpo_status no_target_impl(const hpo_csv *csv, const char *target)
{
    char list[1024] = "", hint[300] = "";
    size_t used = 0;
    for (size_t j = 0; j < hpo_csv_n_cols(csv); j++) {
        const char *h = hpo_csv_header(csv, j);
        if (used < sizeof list) {
            int w = snprintf(list + used, sizeof list - used, "%s'%s'", j ? ", " : "", h);
            used += w > 0 ? (size_t)w : 0;
        }
        if (!hint[0] && strcasecmp(h, target) == 0)
            snprintf(hint, sizeof hint, " (did you mean '%.200s'?)", h);
    }
    if (used >= sizeof list) memcpy(list + sizeof list - 5, "...", 4);
    HPO_FAIL(HPO_EINVAL, "%s: no target column '%s'%s; the columns are: %s",
             hpo_csv_name(csv), target, hint, list);
}

/* ---- Loading --------------------------------------------------------------- */

hpo_status hpo_dataset_load(const hpo_data_opts *o, hpo_dataset **out)
{
    HPO_CHECK(out, HPO_EINVAL, "hpo_dataset_load: out (argument 2) is NULL");
    *out = NULL;
    HPO_CHECK(o, HPO_EINVAL, "hpo_dataset_load: opts (argument 1) is NULL");
    HPO_CHECK(o->path, HPO_EINVAL, "data: path is not set");
    HPO_CHECK(o->target, HPO_EINVAL, "data: target is not set (name the column to predict)");
    HPO_CHECK(o->validation_fraction > 0 && o->validation_fraction < 1, HPO_EINVAL,
              "data: validation_fraction %g must be in (0, 1)", o->validation_fraction);
    HPO_CHECK(o->split == HPO_SPLIT_SKLEARN || o->split == HPO_SPLIT_RANDOM, HPO_EINVAL,
              "data: unknown split %d", (int)o->split);
    HPO_CHECK(o->missing >= HPO_MISSING_ERROR && o->missing <= HPO_MISSING_MEDIAN, HPO_EINVAL,
              "data: unknown missing-value rule %d", (int)o->missing);
    HPO_CHECK(o->split != HPO_SPLIT_SKLEARN || o->split_seed <= UINT32_MAX, HPO_EINVAL,
              "data: split_seed %llu is out of range for the sklearn split (0 .. 4294967295, "
              "as numpy's RandomState)", (unsigned long long)o->split_seed);

    hpo_status st = HPO_OK;
    hpo_csv *csv = NULL;
    col_impl *cols = NULL;
    size_t *keep = NULL, *perm = NULL, *ord = NULL;
    double *cls = NULL, *v = NULL;
    hpo_dataset *d = NULL;
    size_t nc = 0;

    HPO_TRY_GOTO(hpo_csv_read(o->path, &csv), done);
    const char *name = hpo_csv_name(csv);
    size_t nr = hpo_csv_n_rows(csv);
    nc = hpo_csv_n_cols(csv);

    size_t t = nc;
    for (size_t j = 0; j < nc && t == nc; j++)
        if (strcmp(hpo_csv_header(csv, j), o->target) == 0) t = j;
    if (t == nc) { st = no_target_impl(csv, o->target); goto done; }
    for (size_t a = 0; a < nc; a++)
        for (size_t b = a + 1; b < nc; b++)
            HPO_CHECK_GOTO(strcmp(hpo_csv_header(csv, a), hpo_csv_header(csv, b)) != 0, done,
                           HPO_EFORMAT, "%s: columns %zu and %zu are both named '%s'; column "
                           "names must be unique", name, a + 1, b + 1, hpo_csv_header(csv, a));

    cols = hpo_calloc(nc, sizeof *cols);
    HPO_CHECK_GOTO(cols, done, HPO_ENOMEM, "%s: out of memory", name);
    for (size_t j = 0; j < nc; j++) HPO_TRY_GOTO(classify_impl(csv, j, &cols[j].numeric), done);

    /* Missing cells: an error, or the row is dropped, or (MEAN/MEDIAN) kept
     * for imputation after the split. A missing target is never imputed. */
    keep = hpo_malloc(nr * sizeof *keep);
    HPO_CHECK_GOTO(keep, done, HPO_ENOMEM, "%s: out of memory", name);
    size_t n = 0;
    for (size_t r = 0; r < nr; r++) {
        int drop = 0;
        for (size_t j = 0; j < nc && !drop; j++) {
            const char *s = hpo_csv_cell(csv, r, j);
            if (!is_missing_impl(s)) continue;
            char desc[40];
            if (o->missing == HPO_MISSING_DROP) { drop = 1; break; }
            HPO_CHECK_GOTO(j != t, done, HPO_EFORMAT,
                           "%s: line %zu, column '%s' (the target): missing value (%s); a row "
                           "needs its target; set data.missing: drop to skip such rows",
                           name, hpo_csv_line(csv, r), hpo_csv_header(csv, j),
                           missing_desc_impl(s, desc, sizeof desc));
            HPO_CHECK_GOTO(o->missing != HPO_MISSING_ERROR, done, HPO_EFORMAT,
                           "%s: line %zu, column '%s': missing value (%s); set data.missing: "
                           "drop|mean|median to handle it", name, hpo_csv_line(csv, r),
                           hpo_csv_header(csv, j), missing_desc_impl(s, desc, sizeof desc));
        }
        if (!drop) keep[n++] = r;
    }
    HPO_CHECK_GOTO(n >= 2, done, HPO_EFORMAT,
                   "%s: %zu usable data row(s)%s; need at least 2 (training and validation)",
                   name, n, n < nr ? " after dropping rows with missing values" : "");

    /* Split: as sklearn's ShuffleSplit, the first ceil(f*n) of the permutation
     * are validation rows and the rest training rows. ord lists csv rows in
     * our order: training rows first, then validation rows. */
    double fv = ceil(o->validation_fraction * (double)n);
    size_t n_val = (size_t)fv, n_train = n - n_val;
    HPO_CHECK_GOTO(n_val > 0 && n_train > 0, done, HPO_EFORMAT,
                   "%s: validation_fraction %g of %zu rows gives %zu validation and %zu "
                   "training rows; both must be at least 1", name, o->validation_fraction,
                   n, n_val, n_train);
    perm = hpo_malloc(n * sizeof *perm);
    ord = hpo_malloc(n * sizeof *ord);
    HPO_CHECK_GOTO(perm && ord, done, HPO_ENOMEM, "%s: out of memory", name);
    if (o->split == HPO_SPLIT_SKLEARN) {
        hpo_mt19937 mt;
        hpo_mt_seed(&mt, (uint32_t)o->split_seed);
        hpo_mt_permutation(&mt, perm, n);
    } else {
        hpo_rng rng;
        hpo_rng_seed(&rng, o->split_seed);
        for (size_t i = 0; i < n; i++) perm[i] = i;
        hpo_rng_shuffle(&rng, perm, n);
    }
    for (size_t i = 0; i < n_train; i++) ord[i] = keep[perm[n_val + i]];
    for (size_t i = 0; i < n_val; i++) ord[n_train + i] = keep[perm[i]];

    for (size_t j = 0; j < nc; j++) {
        if (cols[j].numeric)
            HPO_TRY_GOTO(fill_numeric_impl(csv, j, &cols[j], ord, n, n_train, o->missing), done);
        else
            HPO_TRY_GOTO(fill_categorical_impl(csv, j, &cols[j], ord, n, n_train), done);
    }

    /* Classes: distinct target values, numeric or byte-wise order. */
    size_t n_classes;
    if (cols[t].numeric) {
        cls = hpo_malloc(n * sizeof *cls);
        HPO_CHECK_GOTO(cls, done, HPO_ENOMEM, "%s: out of memory", name);
        memcpy(cls, cols[t].num, n * sizeof *cls);
        qsort(cls, n, sizeof *cls, cmp_double_impl);
        n_classes = 0;
        for (size_t i = 0; i < n; i++)
            if (n_classes == 0 || cls[n_classes - 1] != cls[i]) cls[n_classes++] = cls[i];
    } else {
        n_classes = cols[t].n_cats;
    }
    char first[40];
    if (cols[t].numeric) fmt_double_impl(first, sizeof first, cls[0]);
    HPO_CHECK_GOTO(n_classes >= 2, done, HPO_EFORMAT,
                   "%s: target '%s' has one class only ('%.60s'); a classifier needs at least 2",
                   name, o->target, cols[t].numeric ? first : cols[t].cats[0]);

    size_t F = 0;
    for (size_t j = 0; j < nc; j++) if (j != t) F += cols[j].numeric ? 1 : cols[j].n_cats;
    HPO_CHECK_GOTO(F > 0, done, HPO_EFORMAT,
                   "%s: no feature columns: the file has only the target '%s'", name, o->target);

    /* One block for x and y, one for the names (llm.c style). */
    d = hpo_calloc(1, sizeof *d);
    HPO_CHECK_GOTO(d, done, HPO_ENOMEM, "%s: out of memory", name);
    HPO_CHECK_GOTO(F <= ((size_t)-1) / sizeof(float) / n - 1, done, HPO_ENOMEM,
                   "%s: %zu x %zu features do not fit in memory", name, n, F);
    float *xs = hpo_malloc(n * F * sizeof(float) + n * sizeof(int32_t));
    HPO_CHECK_GOTO(xs, done, HPO_ENOMEM, "%s: out of memory (%zu x %zu features)", name, n, F);
    d->n_train = n_train;
    d->n_val = n_val;
    d->n_features = F;
    d->n_classes = n_classes;
    d->x_train = xs;
    d->x_val = xs + n_train * F;
    d->y_train = (int32_t *)(xs + n * F);
    d->y_val = d->y_train + n_train;

    size_t bytes = (F + n_classes) * sizeof(char *);
    char num_buf[40];
    for (size_t j = 0; j < nc; j++) {
        if (j == t) continue;
        size_t hl = strlen(hpo_csv_header(csv, j));
        if (cols[j].numeric) bytes += hl + 1;
        else for (size_t k = 0; k < cols[j].n_cats; k++) bytes += hl + 2 + strlen(cols[j].cats[k]);
    }
    for (size_t k = 0; k < n_classes; k++) {
        if (cols[t].numeric) fmt_double_impl(num_buf, sizeof num_buf, cls[k]);
        bytes += strlen(cols[t].numeric ? num_buf : cols[t].cats[k]) + 1;
    }
    char **names = hpo_malloc(bytes);
    HPO_CHECK_GOTO(names, done, HPO_ENOMEM, "%s: out of memory", name);
    d->feature_names = names;
    d->class_names = names + F;
    char *sp = (char *)(names + F + n_classes);
    size_t f = 0;
    for (int pass = 0; pass < 2; pass++)          /* numeric first, then one-hot blocks */
        for (size_t j = 0; j < nc; j++) {
            if (j == t || cols[j].numeric != (pass == 0)) continue;
            const char *h = hpo_csv_header(csv, j);
            size_t nk = cols[j].numeric ? 1 : cols[j].n_cats;
            for (size_t k = 0; k < nk; k++) {
                names[f++] = sp;
                sp += cols[j].numeric ? (size_t)sprintf(sp, "%s", h) + 1
                                      : (size_t)sprintf(sp, "%s_%s", h, cols[j].cats[k]) + 1;
            }
        }
    for (size_t k = 0; k < n_classes; k++) {
        if (cols[t].numeric) fmt_double_impl(num_buf, sizeof num_buf, cls[k]);
        d->class_names[k] = sp;
        sp += (size_t)sprintf(sp, "%s", cols[t].numeric ? num_buf : cols[t].cats[k]) + 1;
    }
    assert(f == F && (size_t)(sp - (char *)names) == bytes);

    for (size_t i = 0; i < n; i++) {
        int32_t y;
        if (cols[t].numeric) {
            const double *hit = bsearch(&cols[t].num[i], cls, n_classes, sizeof *cls, cmp_double_impl);
            assert(hit);
            y = (int32_t)(hit - cls);
        } else {
            y = cols[t].code[i];
        }
        d->y_train[i] = y;   /* y_val follows y_train in the block */
    }

    /* Features, one column at a time, in split order; v is (n). */
    v = hpo_malloc(n * sizeof *v);
    HPO_CHECK_GOTO(v, done, HPO_ENOMEM, "%s: out of memory", name);
    f = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t j = 0; j < nc; j++) {
            if (j == t || cols[j].numeric != (pass == 0)) continue;
            size_t nk = cols[j].numeric ? 1 : cols[j].n_cats;
            for (size_t k = 0; k < nk; k++, f++) {
                for (size_t i = 0; i < n; i++)
                    v[i] = cols[j].numeric ? cols[j].num[i] : (double)(cols[j].code[i] == (int32_t)k);
                double mean = 0, scale = 1;
                if (o->standardize) {
                    double lo = v[0], hi = v[0], sum = 0, ss = 0;
                    for (size_t i = 0; i < n_train; i++) {
                        sum += v[i];
                        if (v[i] < lo) lo = v[i];
                        if (v[i] > hi) hi = v[i];
                    }
                    mean = sum / (double)n_train;
                    for (size_t i = 0; i < n_train; i++) ss += (v[i] - mean) * (v[i] - mean);
                    scale = sqrt(ss / (double)n_train);
                    /* Constant on the training rows: exactly 0 there (sklearn would
                     * leave rounding noise from the mean), scale 1 as sklearn. */
                    if (lo == hi) { mean = lo; scale = 1; }
                    if (!(scale > 0) || !isfinite(scale)) scale = 1;
                }
                for (size_t i = 0; i < n; i++)
                    d->x_train[i * F + f] = (float)((v[i] - mean) / scale);   /* x_val follows */
            }
        }
    *out = d;
    d = NULL;
done:
    if (cols)
        for (size_t j = 0; j < nc; j++) {
            hpo_free(cols[j].num);
            hpo_free(cols[j].code);
            hpo_free((void *)cols[j].cats);
        }
    hpo_free(cols);
    hpo_free(keep);
    hpo_free(perm);
    hpo_free(ord);
    hpo_free(cls);
    hpo_free(v);
    hpo_dataset_destroy(&d);
    hpo_csv_destroy(&csv);
    return st;
}
