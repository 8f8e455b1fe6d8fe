/* test_ckpt.c - the HDF5 checkpoint (io/ckpt.h): bit-exact round trips of
 * every distribution kind, absent conditional parameters, constant append
 * cost, truncated/foreign files, the lock, I/O errors at every write, and
 * kill -9 at random moments. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "alloc.h"
#include "ckpt.h"
#include "error.h"

#ifndef HPO_SOURCE_DIR
#define HPO_SOURCE_DIR "."
#endif

/* A fresh path under /tmp for this test (lock file removed too). */
static void tmp_path(char *buf, size_t n, const char *tag)
{
    static int k;
    snprintf(buf, n, "/tmp/hpo_ckpt_%ld_%s_%d.h5", (long)getpid(), tag, k++);
    unlink(buf);
    char lock[600];
    snprintf(lock, sizeof lock, "%s.lock", buf);
    unlink(lock);
}

static void rm(const char *path)
{
    char lock[600];
    snprintf(lock, sizeof lock, "%s.lock", path);
    unlink(path);
    unlink(lock);
}

static hpo_ckpt_meta meta_of(void)
{
    hpo_ckpt_meta m;
    memset(&m, 0, sizeof m);
    m.name = "unit";
    m.direction = HPO_MAXIMIZE;
    m.sampler = "tpe";
    m.pruner = "median";
    m.seed = 42;
    m.seeded = 1;
    m.study_file = "study:\n  name: unit\n  direction: maximize\n";
    m.study_path = "jobs/unit.yaml";
    return m;
}

static hpo_ckpt *create(const char *path)
{
    hpo_ckpt_meta m = meta_of();
    hpo_ckpt *ck = NULL;
    hpo_status st = hpo_ckpt_create(path, &m, &ck);
    cr_assert_eq(st, HPO_OK, "create: %s", hpo_error_message());
    return ck;
}

static void add_param(hpo_trial_rec *r, const char *name, const hpo_dist *d, hpo_pval v)
{
    cr_assert_eq(hpo_rec_add_param(r, name, d, v), HPO_OK);
}

/* Whole file as bytes. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    cr_assert(fread(b, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert(fwrite(b, 1, n, f) == n);
    fclose(f);
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void assert_rec_equal(const hpo_trial_rec *a, const hpo_trial_rec *b)
{
    cr_assert_eq(a->number, b->number);
    cr_assert_eq(a->state, b->state, "trial %" PRId64 ": state %d vs %d", a->number, a->state, b->state);
    cr_assert(same_bits(a->value, b->value), "trial %" PRId64 ": value %.17g vs %.17g", a->number, a->value, b->value);
    cr_assert_eq(a->seed, b->seed);
    cr_assert(same_bits(a->t_start, b->t_start));
    cr_assert(same_bits(a->t_end, b->t_end));
    cr_assert_eq(a->worker, b->worker);
    if (a->state == HPO_FAIL || b->state == HPO_FAIL)
        cr_assert_str_eq(a->fail_reason ? a->fail_reason : "", b->fail_reason ? b->fail_reason : "");
    cr_assert_eq(a->n_params, b->n_params, "trial %" PRId64 ": %zu vs %zu params", a->number, a->n_params, b->n_params);
    for (size_t i = 0; i < a->n_params; i++) {
        cr_assert_str_eq(a->params[i].name, b->params[i].name, "trial %" PRId64 " param %zu", a->number, i);
        cr_assert(hpo_dist_equal(&a->params[i].dist, &b->params[i].dist), "dist of %s", a->params[i].name);
        cr_assert_eq(memcmp(&a->params[i].v, &b->params[i].v, sizeof a->params[i].v), 0,
                     "value of %s in trial %" PRId64, a->params[i].name, a->number);
    }
    cr_assert_eq(a->n_inter, b->n_inter);
    for (size_t i = 0; i < a->n_inter; i++) {
        cr_assert_eq(a->steps[i], b->steps[i]);
        cr_assert(same_bits(a->inter[i], b->inter[i]), "report %zu of trial %" PRId64, i, a->number);
    }
}

/* ---- round trip ---------------------------------------------------------- */

/* A history touching every kind: float plain/log/step, int plain/log/step
 * and the int64 extremes, categorical of each choice type, conditional
 * parameters, NaN reports, FAIL with reason, PRUNED, RUNNING. */
static size_t make_history(hpo_trial_rec **recs)
{
    hpo_dist fl, flog, fstep, in, ilog, istep, iext, cs, ci, cf, cb, cmix;
    cr_assert_eq(hpo_dist_float(&fl, "x", -1.5, 2.25, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_float(&flog, "lr", 1e-5, 1e-1, 0, 1, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_float(&fstep, "drop", 0.0, 0.5, 0.1, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&in, "n", -3, 9, 1, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&ilog, "units", 1, 1024, 1, 1, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&istep, "bs", 16, 256, 16, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&iext, "big", INT64_MIN, INT64_MAX, 1, 0, NULL), HPO_OK);
    hpo_choice s3[] = { HPO_STR("adam"), HPO_STR("sgd/momentum"), HPO_STR("") };
    hpo_choice i3[] = { HPO_INT(INT64_MIN), HPO_INT(0), HPO_INT(INT64_MAX) };
    hpo_choice f3[] = { HPO_FLOAT(0.1), HPO_FLOAT(-0.0), HPO_FLOAT(1e308), HPO_FLOAT(INFINITY), HPO_FLOAT(5e-324) };
    hpo_choice b2[] = { HPO_BOOL(1), HPO_BOOL(0) };
    hpo_choice mx[] = { HPO_STR("1"), HPO_INT(1), HPO_FLOAT(1.0), HPO_BOOL(1) };
    cr_assert_eq(hpo_dist_cat(&cs, "opt", s3, 3), HPO_OK);
    cr_assert_eq(hpo_dist_cat(&ci, "ci", i3, 3), HPO_OK);
    cr_assert_eq(hpo_dist_cat(&cf, "cf", f3, 5), HPO_OK);
    cr_assert_eq(hpo_dist_cat(&cb, "cb", b2, 2), HPO_OK);
    cr_assert_eq(hpo_dist_cat(&cmix, "mix", mx, 4), HPO_OK);

    size_t n = 0;
    for (int64_t k = 0; k < 12; k++) {
        hpo_trial_rec *r;
        cr_assert_eq(hpo_rec_create(k, &r), HPO_OK);
        r->seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(k + 1);
        r->t_start = 1.7e9 + (double)k * 1.25 + 1e-7;
        r->worker = (int)(k % 3);
        /* define-by-run: order differs between trials */
        if (k % 2) add_param(r, "opt", &cs, (hpo_pval){ .i = k % 3 });
        add_param(r, "x", &fl, (hpo_pval){ .f = k == 0 ? -1.5 : k == 1 ? 2.25 : 0.1 * (double)k - 1 });
        add_param(r, "lr", &flog, (hpo_pval){ .f = 1e-5 * pow(1.7, (double)k) });
        add_param(r, "drop", &fstep, (hpo_pval){ .f = 0.1 * (double)(k % 6) });
        add_param(r, "n", &in, (hpo_pval){ .i = k % 2 ? 0 : -3 + k });       /* 0 is a real value */
        add_param(r, "big", &iext, (hpo_pval){ .i = k % 3 == 0 ? INT64_MIN : k % 3 == 1 ? INT64_MAX : 0 });
        if (k % 3 == 0) add_param(r, "units", &ilog, (hpo_pval){ .i = 1 << k % 11 });   /* conditional */
        if (k % 4 == 1) add_param(r, "bs", &istep, (hpo_pval){ .i = 16 * (1 + k % 16) });
        add_param(r, "ci", &ci, (hpo_pval){ .i = k % 3 });
        add_param(r, "cf", &cf, (hpo_pval){ .i = k % 5 });
        add_param(r, "cb", &cb, (hpo_pval){ .i = k % 2 });
        if (k >= 5) add_param(r, "mix", &cmix, (hpo_pval){ .i = k % 4 });      /* appears at trial 5 */
        for (int64_t s = 0; s < k % 5; s++) {
            int rep, dec;
            cr_assert_eq(hpo_rec_add_report(r, s * 2, s == 1 ? NAN : 0.5 + (double)s / 7.0, &rep, &dec), HPO_OK);
        }
        r->t_end = r->t_start + 0.5;
        switch (k % 4) {
        case 0: r->state = HPO_COMPLETE; r->value = 1.0 / (double)(k + 3); break;
        case 1: r->state = HPO_PRUNED; hpo_rec_last_step(r, &r->value); break;
        case 2: r->state = HPO_FAIL; r->value = NAN;
                cr_assert_eq(hpo_rec_set_fail_reason(r, k == 2 ? "objective returned nan" : "boom: ünïcode"), HPO_OK);
                break;
        case 3: r->state = HPO_COMPLETE; r->value = -0.0; break;
        }
        recs[n++] = r;
    }
    /* A trial left RUNNING with two parameters suggested so far. */
    hpo_trial_rec *r;
    cr_assert_eq(hpo_rec_create(12, &r), HPO_OK);
    r->seed = 77;
    r->t_start = 1.8e9;
    r->t_end = 0;
    r->worker = 2;
    add_param(r, "x", &fl, (hpo_pval){ .f = 0.25 });
    add_param(r, "n", &in, (hpo_pval){ .i = 9 });
    recs[n++] = r;
    hpo_dist *all[] = { &fl, &flog, &fstep, &in, &ilog, &istep, &iext, &cs, &ci, &cf, &cb, &cmix };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) hpo_dist_clear(all[i]);
    return n;
}

Test(ckpt, round_trip_is_bit_exact)
{
    char path[512];
    tmp_path(path, sizeof path, "rt");
    hpo_trial_rec *h[16];
    size_t n = make_history(h);
    hpo_ckpt *ck = create(path);
    hpo_rng rng = { { 1, 2, 3, 0xffffffffffffffffULL } };
    for (size_t i = 0; i < n; i++) {
        hpo_trial_rec *r = h[i];
        if (r->state == HPO_RUNNING) {
            cr_assert_eq(hpo_ckpt_trial_started(ck, r, NULL), HPO_OK, "%s", hpo_error_message());
            continue;
        }
        /* the started row, as the study writes it: no parameters yet */
        hpo_trial_rec *s0;
        cr_assert_eq(hpo_rec_create(r->number, &s0), HPO_OK);
        s0->seed = r->seed; s0->t_start = r->t_start; s0->worker = r->worker;
        cr_assert_eq(hpo_ckpt_trial_started(ck, s0, NULL), HPO_OK, "%s", hpo_error_message());
        hpo_rec_destroy(&s0);
        rng.s[0] = i + 1;
        cr_assert_eq(hpo_ckpt_trial_finished(ck, r, &rng), HPO_OK, "%s", hpo_error_message());
    }
    hpo_ckpt_close(&ck);
    cr_assert_null(ck);

    char rep[512];
    cr_assert_eq(hpo_ckpt_validate(path, rep, sizeof rep), HPO_OK, "%s", rep);
    cr_assert(strstr(rep, "13 trials"), "%s", rep);

    cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_OK, "%s", hpo_error_message());
    hpo_ckpt_meta m;
    cr_assert_eq(hpo_ckpt_read_meta(ck, &m), HPO_OK, "%s", hpo_error_message());
    cr_assert_str_eq(m.name, "unit");
    cr_assert_eq(m.direction, HPO_MAXIMIZE);
    cr_assert_str_eq(m.sampler, "tpe");
    cr_assert_str_eq(m.pruner, "median");
    cr_assert_eq(m.seed, 42);
    cr_assert_eq(m.seeded, 1);
    cr_assert_str_eq(m.study_file, meta_of().study_file);
    cr_assert_str_eq(m.study_path, "jobs/unit.yaml");
    cr_assert_eq(m.format_version, HPO_CKPT_FORMAT_VERSION);
    cr_assert_eq(m.holder_pid, (int64_t)getpid());
    cr_assert(m.created > 1.6e9 && m.updated >= m.created);
    hpo_ckpt_meta_clear(&m);

    hpo_trial_rec **back;
    size_t nb;
    hpo_rng rb;
    int has;
    cr_assert_eq(hpo_ckpt_read_trials(ck, &back, &nb, &rb, &has), HPO_OK, "%s", hpo_error_message());
    cr_assert_eq(nb, n);
    for (size_t i = 0; i < n; i++) assert_rec_equal(h[i], back[i]);
    cr_assert(has);
    cr_assert_eq(rb.s[0], 12);     /* the last row with an RNG: trial 11 finished */
    cr_assert_eq(rb.s[3], 0xffffffffffffffffULL);
    /* absent is not 0: trial 1 never asked for "units" */
    cr_assert_null(hpo_rec_find_param(back[1], "units"));
    cr_assert_not_null(hpo_rec_find_param(back[0], "units"));
    cr_assert_null(hpo_rec_find_param(back[4], "mix"));
    hpo_ckpt_free_trials(back, nb);
    hpo_ckpt_close(&ck);
    for (size_t i = 0; i < n; i++) hpo_rec_destroy(&h[i]);
    rm(path);
    cr_assert_eq(hpo_test_alloc_live(), 0, "leak: %ld blocks", hpo_test_alloc_live());
}

Test(ckpt, parameter_first_seen_late_is_absent_before)
{
    char path[512];
    tmp_path(path, sizeof path, "late");
    hpo_ckpt *ck = create(path);
    hpo_dist dx, dy;
    cr_assert_eq(hpo_dist_float(&dx, "x", 0, 1, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&dy, "late", 0, 5, 1, 0, NULL), HPO_OK);
    for (int64_t k = 0; k < 80; k++) {
        hpo_trial_rec *r;
        cr_assert_eq(hpo_rec_create(k, &r), HPO_OK);
        add_param(r, "x", &dx, (hpo_pval){ .f = (double)k / 100 });
        if (k >= 57) add_param(r, "late", &dy, (hpo_pval){ .i = 0 });
        r->state = HPO_COMPLETE;
        r->value = (double)k;
        cr_assert_eq(hpo_ckpt_trial_finished(ck, r, NULL), HPO_OK, "%s", hpo_error_message());
        hpo_rec_destroy(&r);
    }
    hpo_trial_rec **b;
    size_t n;
    cr_assert_eq(hpo_ckpt_read_trials(ck, &b, &n, NULL, NULL), HPO_OK, "%s", hpo_error_message());
    cr_assert_eq(n, 80);
    for (size_t k = 0; k < n; k++) {
        const hpo_param_rec *p = hpo_rec_find_param(b[k], "late");
        if (k < 57) cr_assert_null(p, "trial %zu has 'late'", k);
        else cr_assert(p && p->v.i == 0);
    }
    hpo_ckpt_free_trials(b, n);
    hpo_ckpt_close(&ck);
    /* the raw column: 80 rows, dist -1 (absent) before row 57 */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/params/late/dist", H5P_DEFAULT);
    int32_t dist[80];
    cr_assert(H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, dist) >= 0);
    for (int k = 0; k < 80; k++) cr_assert_eq(dist[k], k < 57 ? -1 : 0, "row %d", k);
    H5Dclose(d);
    H5Fclose(f);
    hpo_dist_clear(&dx);
    hpo_dist_clear(&dy);
    rm(path);
}

Test(ckpt, changed_range_gets_a_second_distribution)
{
    char path[512];
    tmp_path(path, sizeof path, "dyn");
    hpo_ckpt *ck = create(path);
    hpo_dist d1, d2, c1;
    cr_assert_eq(hpo_dist_int(&d1, "u", 1, 4, 1, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&d2, "u", 1, 16, 1, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_float(&c1, "u", 0, 1, 0, 0, NULL), HPO_OK);
    hpo_trial_rec *r[3];
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(hpo_rec_create(k, &r[k]), HPO_OK);
        add_param(r[k], "u", k ? &d2 : &d1, (hpo_pval){ .i = 3 + k * 10 });
        r[k]->state = HPO_COMPLETE;
        r[k]->value = k;
        cr_assert_eq(hpo_ckpt_trial_finished(ck, r[k], NULL), HPO_OK, "%s", hpo_error_message());
    }
    /* another kind under the same name is refused, file unchanged */
    cr_assert_eq(hpo_rec_create(2, &r[2]), HPO_OK);
    add_param(r[2], "u", &c1, (hpo_pval){ .f = 0.5 });
    r[2]->state = HPO_COMPLETE;
    cr_assert_eq(hpo_ckpt_trial_finished(ck, r[2], NULL), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "'u'"), "%s", hpo_error_message());
    hpo_trial_rec **b;
    size_t n;
    cr_assert_eq(hpo_ckpt_read_trials(ck, &b, &n, NULL, NULL), HPO_OK);
    cr_assert_eq(n, 2);
    assert_rec_equal(r[0], b[0]);
    assert_rec_equal(r[1], b[1]);
    hpo_ckpt_free_trials(b, n);
    hpo_ckpt_close(&ck);
    for (int k = 0; k < 3; k++) hpo_rec_destroy(&r[k]);
    hpo_dist_clear(&d1); hpo_dist_clear(&d2); hpo_dist_clear(&c1);
    rm(path);
}

/* ---- append cost ------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static off_t fsize(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? sb.st_size : -1;
}

Test(ckpt, append_cost_does_not_grow, .timeout = 300)
{
    char path[512];
    tmp_path(path, sizeof path, "cost");
    hpo_ckpt *ck = create(path);
    hpo_dist lr, nl, opt;
    cr_assert_eq(hpo_dist_float(&lr, "lr", 1e-5, 1e-1, 0, 1, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&nl, "n_layers", 1, 3, 1, 0, NULL), HPO_OK);
    hpo_choice ch[] = { HPO_STR("adam"), HPO_STR("sgd") };
    cr_assert_eq(hpo_dist_cat(&opt, "opt", ch, 2), HPO_OK);
    enum { N = 2000, W = 100 };
    static double t_at[N];
    static uint64_t w_at[N];
    off_t size_at[N + 1];
    size_at[0] = fsize(path);
    hpo_rng rng = { { 1, 2, 3, 4 } };
    for (int64_t k = 0; k < N; k++) {
        hpo_trial_rec *r;
        cr_assert_eq(hpo_rec_create(k, &r), HPO_OK);
        r->t_start = 1.7e9 + (double)k;
        add_param(r, "lr", &lr, (hpo_pval){ .f = 1e-3 });
        add_param(r, "n_layers", &nl, (hpo_pval){ .i = 2 });
        add_param(r, "opt", &opt, (hpo_pval){ .i = k % 2 });
        for (int s = 0; s < 10; s++) { int a, b; hpo_rec_add_report(r, s, 0.5, &a, &b); }
        hpo_ckpt_stats s0, s1;
        hpo_ckpt_get_stats(ck, &s0);
        double t0 = now();
        cr_assert_eq(hpo_ckpt_trial_started(ck, r, &rng), HPO_OK);
        r->state = HPO_COMPLETE;
        r->value = 0.9;
        r->t_end = r->t_start + 1;
        cr_assert_eq(hpo_ckpt_trial_finished(ck, r, &rng), HPO_OK, "%s", hpo_error_message());
        t_at[k] = now() - t0;
        hpo_ckpt_get_stats(ck, &s1);
        w_at[k] = s1.h5_writes - s0.h5_writes;
        size_at[k + 1] = fsize(path);
        hpo_rec_destroy(&r);
    }
    hpo_ckpt_close(&ck);
    /* HDF5 write calls per trial: constant from the first trial on (the
     * parameter columns exist after trial 0). */
    for (int k = 1; k < N; k++) cr_assert_eq(w_at[k], w_at[1], "trial %d: %llu writes vs %llu", k,
                                            (unsigned long long)w_at[k], (unsigned long long)w_at[1]);
    /* File growth per 1000 trials: the second thousand costs no more bytes
     * than the first (chunks of 256 rows: compare whole windows). */
    off_t g1 = size_at[1000] - size_at[0], g2 = size_at[2000] - size_at[1000];
    cr_assert(g2 <= g1 + g1 / 10, "growth %lld bytes for trials 0-999, %lld for 1000-1999", (long long)g1, (long long)g2);
    /* Time: printed, not asserted (shared machines). Median of W trials. */
    int marks[] = { 100, 1000, 2000 };
    for (int m = 0; m < 3; m++) {
        double w[W];
        for (int i = 0; i < W; i++) w[i] = t_at[marks[m] - W + i];
        for (int i = 1; i < W; i++) for (int j = i; j > 0 && w[j - 1] > w[j]; j--) { double t = w[j]; w[j] = w[j - 1]; w[j - 1] = t; }
        fprintf(stderr, "ckpt: trials %4d-%4d: median %.1f us per trial (started + finished, 3 params, "
                "10 reports), %llu HDF5 writes\n", marks[m] - W, marks[m] - 1, 1e6 * w[W / 2],
                (unsigned long long)w_at[marks[m] - 1]);
    }
    fprintf(stderr, "ckpt: file %lld bytes for %d trials (%.0f bytes per trial)\n", (long long)size_at[N], N,
            (double)(size_at[N] - size_at[0]) / N);
    hpo_dist_clear(&lr); hpo_dist_clear(&nl); hpo_dist_clear(&opt);
    rm(path);
}

/* ---- bad files ---------------------------------------------------------------- */

static void write_small(const char *path, int n)
{
    hpo_ckpt *ck = create(path);
    hpo_dist d;
    cr_assert_eq(hpo_dist_float(&d, "x", 0, 1, 0, 0, NULL), HPO_OK);
    for (int64_t k = 0; k < n; k++) {
        hpo_trial_rec *r;
        cr_assert_eq(hpo_rec_create(k, &r), HPO_OK);
        add_param(r, "x", &d, (hpo_pval){ .f = 0.5 });
        int a, b;
        hpo_rec_add_report(r, 0, 0.25, &a, &b);
        r->state = HPO_COMPLETE;
        r->value = (double)k;
        cr_assert_eq(hpo_ckpt_trial_finished(ck, r, NULL), HPO_OK);
        hpo_rec_destroy(&r);
    }
    hpo_ckpt_close(&ck);
    hpo_dist_clear(&d);
}

Test(ckpt, truncated_file_is_eformat_and_untouched)
{
    char path[512];
    tmp_path(path, sizeof path, "trunc");
    write_small(path, 20);
    size_t n;
    unsigned char *full = slurp(path, &n);
    size_t cuts[] = { 0, 1, 7, 8, 96, 512, n / 4, n / 2, (3 * n) / 4, n - 100, n - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        spit(path, full, cuts[i]);
        hpo_ckpt *ck = NULL;
        hpo_status st = hpo_ckpt_open(path, &ck);
        cr_assert_eq(st, HPO_EFORMAT, "cut at %zu of %zu: status %d (%s)", cuts[i], n, st, hpo_error_message());
        cr_assert_null(ck);
        char rep[512];
        cr_assert_eq(hpo_ckpt_validate(path, rep, sizeof rep), HPO_EFORMAT, "cut at %zu: %s", cuts[i], rep);
        size_t m;
        unsigned char *after = slurp(path, &m);
        cr_assert_eq(m, cuts[i], "cut at %zu: size is now %zu", cuts[i], m);
        cr_assert_eq(memcmp(after, full, m), 0, "cut at %zu: bytes changed", cuts[i]);
        free(after);
        char lock[600];
        snprintf(lock, sizeof lock, "%s.lock", path);
        cr_assert_neq(access(lock, F_OK), 0, "the lock was left behind");
    }
    free(full);
    rm(path);
}

Test(ckpt, foreign_files_are_eformat_and_untouched)
{
    char path[512];
    tmp_path(path, sizeof path, "foreign");
    /* an HDF5 file that is not ours */
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims = 3;
    hid_t sp = H5Screate_simple(1, &dims, NULL);
    hid_t d = H5Dcreate2(f, "data", H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    double x[3] = { 1, 2, 3 };
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
    H5Dclose(d); H5Sclose(sp); H5Fclose(f);
    size_t n0;
    unsigned char *b0 = slurp(path, &n0);
    hpo_ckpt *ck = NULL;
    cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_EFORMAT);
    cr_assert(strstr(hpo_error_message(), "not an mpihpo checkpoint"), "%s", hpo_error_message());
    size_t n1;
    unsigned char *b1 = slurp(path, &n1);
    cr_assert(n0 == n1 && memcmp(b0, b1, n0) == 0, "the foreign HDF5 file was modified");
    free(b0); free(b1);
    /* a text file */
    spit(path, (const unsigned char *)"study:\n  name: x\n", 17);
    cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_EFORMAT);
    cr_assert(strstr(hpo_error_message(), "not an HDF5 file"), "%s", hpo_error_message());
    b1 = slurp(path, &n1);
    cr_assert(n1 == 17 && memcmp(b1, "study:\n  name: x\n", 17) == 0);
    free(b1);
    /* an empty file */
    spit(path, (const unsigned char *)"", 0);
    cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_EFORMAT);
    /* a newer format version */
    rm(path);
    write_small(path, 1);
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    int32_t v = 99;
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT32, &v);
    H5Aclose(a); H5Fclose(f);
    cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_EFORMAT);
    cr_assert(strstr(hpo_error_message(), "version 99"), "%s", hpo_error_message());
    rm(path);
}

Test(ckpt, create_refuses_an_existing_file)
{
    char path[512];
    tmp_path(path, sizeof path, "exists");
    write_small(path, 3);
    size_t n0;
    unsigned char *b0 = slurp(path, &n0);
    hpo_ckpt_meta m = meta_of();
    hpo_ckpt *ck = NULL;
    cr_assert_eq(hpo_ckpt_create(path, &m, &ck), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "mpihpo resume"), "%s", hpo_error_message());
    size_t n1;
    unsigned char *b1 = slurp(path, &n1);
    cr_assert(n0 == n1 && memcmp(b0, b1, n0) == 0);
    free(b0); free(b1);
    rm(path);
}

/* ---- the lock ------------------------------------------------------------------ */

Test(ckpt, second_opener_is_refused_naming_the_holder)
{
    char path[512], lock[600], host[256];
    tmp_path(path, sizeof path, "lock");
    snprintf(lock, sizeof lock, "%s.lock", path);
    write_small(path, 2);
    /* a live process (a child that waits) holds the file */
    int go[2], done[2];
    cr_assert_eq(pipe(go), 0);
    cr_assert_eq(pipe(done), 0);
    pid_t pid = fork();
    if (pid == 0) {
        hpo_ckpt *ck = NULL;
        char c = hpo_ckpt_open(path, &ck) == HPO_OK ? 'y' : 'n';
        if (write(go[1], &c, 1) != 1) _exit(2);
        if (read(done[0], &c, 1) != 1) _exit(2);
        hpo_ckpt_close(&ck);
        _exit(0);
    }
    char c = 0;
    cr_assert_eq(read(go[0], &c, 1), 1);
    cr_assert_eq(c, 'y');
    hpo_ckpt *ck = NULL;
    cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_ESTATE);
    char want[64];
    snprintf(want, sizeof want, "process %ld", (long)pid);
    gethostname(host, sizeof host);
    cr_assert(strstr(hpo_error_message(), want) && strstr(hpo_error_message(), host), "%s", hpo_error_message());
    cr_assert_null(ck);
    cr_assert_eq(access(lock, F_OK), 0, "the holder's lock was removed");
    /* without our lock file, HDF5's own lock still refuses */
    char saved[640];
    snprintf(saved, sizeof saved, "%s.saved", lock);
    cr_assert_eq(rename(lock, saved), 0);
    cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_ESTATE);
    cr_assert(strstr(hpo_error_message(), "in use"), "%s", hpo_error_message());
    cr_assert_eq(rename(saved, lock), 0);
    cr_assert_eq(write(done[1], "x", 1), 1);
    int ws;
    waitpid(pid, &ws, 0);
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    cr_assert_neq(access(lock, F_OK), 0, "close left the lock");
    /* a lock naming another host is never taken over */
    FILE *f = fopen(lock, "w");
    fprintf(f, "some-other-node 4242\n");
    fclose(f);
    cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_ESTATE);
    cr_assert(strstr(hpo_error_message(), "4242") && strstr(hpo_error_message(), "some-other-node"),
              "%s", hpo_error_message());
    rm(path);
}

Test(ckpt, stale_lock_is_taken_over)
{
    char path[512], lock[600], host[256];
    tmp_path(path, sizeof path, "stale");
    snprintf(lock, sizeof lock, "%s.lock", path);
    write_small(path, 2);
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, NULL, 0);           /* a pid that is surely dead now */
    gethostname(host, sizeof host);
    FILE *f = fopen(lock, "w");
    fprintf(f, "%s %ld\n", host, (long)pid);
    fclose(f);
    hpo_ckpt *ck = NULL;
    cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_OK, "%s", hpo_error_message());
    hpo_ckpt_meta m;
    cr_assert_eq(hpo_ckpt_read_meta(ck, &m), HPO_OK);
    cr_assert_eq(m.holder_pid, (int64_t)getpid());
    hpo_ckpt_meta_clear(&m);
    hpo_ckpt_close(&ck);
    rm(path);
}

/* ---- resume guard ------------------------------------------------------------------ */

Test(ckpt, reconcile_matches_reordered_choices_and_refuses_contradictions)
{
    hpo_choice a[] = { HPO_STR("adam"), HPO_STR("sgd"), HPO_INT(3) };
    hpo_choice b[] = { HPO_INT(3), HPO_STR("adam"), HPO_STR("sgd") };
    hpo_choice c[] = { HPO_STR("adam"), HPO_STR("rmsprop"), HPO_INT(3) };
    hpo_dist da, db, dc, f1, f2;
    cr_assert_eq(hpo_dist_cat(&da, "o", a, 3), HPO_OK);
    cr_assert_eq(hpo_dist_cat(&db, "o", b, 3), HPO_OK);
    cr_assert_eq(hpo_dist_cat(&dc, "o", c, 3), HPO_OK);
    cr_assert_eq(hpo_dist_float(&f1, "lr", 1e-5, 1e-1, 0, 1, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_float(&f2, "lr", 1e-4, 1e-1, 0, 1, NULL), HPO_OK);
    hpo_trial_rec *r[2];
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(hpo_rec_create(k, &r[k]), HPO_OK);
        add_param(r[k], "o", &da, (hpo_pval){ .i = k });      /* adam, sgd */
        add_param(r[k], "lr", &f1, (hpo_pval){ .f = 1e-3 });
    }
    cr_assert_eq(hpo_ckpt_reconcile(r, 2, "lr", &f2), HPO_ESTATE);
    const char *msg = hpo_error_message();
    cr_assert(strstr(msg, "'lr'") && strstr(msg, "1e-05") && strstr(msg, "0.0001"), "%s", msg);
    cr_assert_eq(hpo_ckpt_reconcile(r, 2, "o", &dc), HPO_ESTATE);
    cr_assert(hpo_dist_equal(&hpo_rec_find_param(r[0], "o")->dist, &da), "records changed on error");
    cr_assert_eq(hpo_ckpt_reconcile(r, 2, "o", &db), HPO_OK, "%s", hpo_error_message());
    cr_assert_eq(hpo_rec_find_param(r[0], "o")->v.i, 1);   /* adam is index 1 in b */
    cr_assert_eq(hpo_rec_find_param(r[1], "o")->v.i, 2);
    cr_assert(hpo_dist_equal(&hpo_rec_find_param(r[1], "o")->dist, &db));
    cr_assert_eq(hpo_ckpt_reconcile(r, 2, "lr", &f1), HPO_OK);
    cr_assert_eq(hpo_ckpt_reconcile(r, 2, "absent", &f1), HPO_OK);
    for (int k = 0; k < 2; k++) hpo_rec_destroy(&r[k]);
    hpo_dist *all[] = { &da, &db, &dc, &f1, &f2 };
    for (int i = 0; i < 5; i++) hpo_dist_clear(all[i]);
}

/* ---- I/O errors at every write (SQLite style) ---------------------------------------- */

Test(ckpt, failed_write_keeps_every_earlier_trial)
{
    char path[512];
    tmp_path(path, sizeof path, "ioerr");
    hpo_dist d, e;
    cr_assert_eq(hpo_dist_float(&d, "x", 0, 1, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&e, "new", 0, 9, 1, 0, NULL), HPO_OK);
    for (long fail = 0;; fail++) {
        rm(path);
        write_small(path, 3);
        hpo_ckpt *ck = NULL;
        cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_OK, "%s", hpo_error_message());
        hpo_trial_rec *r;
        cr_assert_eq(hpo_rec_create(3, &r), HPO_OK);
        add_param(r, "x", &d, (hpo_pval){ .f = 0.125 });
        add_param(r, "new", &e, (hpo_pval){ .i = 7 });    /* a new column: groups, attributes */
        int a, b;
        hpo_rec_add_report(r, 0, 1.0, &a, &b);
        hpo_rec_add_report(r, 1, 2.0, &a, &b);
        r->state = HPO_COMPLETE;
        r->value = 3;
        hpo_ckpt_test_fail_write_at(fail);
        hpo_status st = hpo_ckpt_trial_finished(ck, r, NULL);
        hpo_ckpt_test_fail_write_at(-1);
        hpo_ckpt_close(&ck);
        char rep[512];
        cr_assert_eq(hpo_ckpt_validate(path, rep, sizeof rep), HPO_OK, "fail at %ld: %s", fail, rep);
        cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_OK, "fail at %ld: %s", fail, hpo_error_message());
        hpo_trial_rec **bk;
        size_t n;
        cr_assert_eq(hpo_ckpt_read_trials(ck, &bk, &n, NULL, NULL), HPO_OK, "fail at %ld: %s", fail, hpo_error_message());
        cr_assert(n == 3 || n == 4, "fail at %ld: %zu trials", fail, n);
        if (st == HPO_OK) cr_assert_eq(n, 4, "fail at %ld: a trial whose write returned OK is missing", fail);
        if (n == 4) assert_rec_equal(r, bk[3]);
        for (size_t i = 0; i < 3; i++) cr_assert(bk[i]->state == HPO_COMPLETE && bk[i]->value == (double)i);
        /* and the file still takes the trial */
        if (n == 3) cr_assert_eq(hpo_ckpt_trial_finished(ck, r, NULL), HPO_OK, "fail at %ld: %s", fail, hpo_error_message());
        hpo_ckpt_free_trials(bk, n);
        hpo_ckpt_close(&ck);
        cr_assert_eq(hpo_ckpt_validate(path, rep, sizeof rep), HPO_OK, "fail at %ld, after retry: %s", fail, rep);
        cr_assert(strstr(rep, "4 trials"), "fail at %ld: %s", fail, rep);
        hpo_rec_destroy(&r);
        if (st == HPO_OK) break;
        cr_assert_eq(st, HPO_EIO, "fail at %ld: status %d", fail, st);
    }
    hpo_dist_clear(&d);
    hpo_dist_clear(&e);
    rm(path);
}

/* ---- kill -9 at random moments ------------------------------------------------------- */

/* Trial k's content is a function of k, so the parent can check it. */
static hpo_trial_rec *kill_trial(int64_t k, const hpo_dist *dx, const hpo_dist *dn, const hpo_dist *dc)
{
    hpo_trial_rec *r;
    if (hpo_rec_create(k, &r) != HPO_OK) return NULL;
    r->seed = (uint64_t)k * 31u;
    r->t_start = 1e9 + (double)k;
    r->t_end = r->t_start + 0.5;
    r->worker = (int)(k % 4);
    hpo_rec_add_param(r, "x", dx, (hpo_pval){ .f = (double)k / 1000.0 });
    hpo_rec_add_param(r, "n", dn, (hpo_pval){ .i = k % 7 });
    if (k % 3 == 0) hpo_rec_add_param(r, "c", dc, (hpo_pval){ .i = k % 2 });
    for (int s = 0; s < k % 6; s++) { int a, b; hpo_rec_add_report(r, s, (double)(k + s), &a, &b); }
    r->state = k % 5 == 4 ? HPO_PRUNED : HPO_COMPLETE;
    r->value = (double)k * 1.5;
    return r;
}

/* The child: resume (RUNNING -> FAIL "interrupted"), then append trials
 * until killed, reporting each number whose trial_finished returned. */
static void kill_child(const char *path, int out, const hpo_dist *dx, const hpo_dist *dn, const hpo_dist *dc)
{
    alarm(20);
    hpo_ckpt *ck = NULL;
    hpo_ckpt_meta m = meta_of();
    if (access(path, F_OK) == 0) { if (hpo_ckpt_open(path, &ck) != HPO_OK) { fprintf(stderr, "child: %s\n", hpo_error_message()); _exit(3); } }
    else if (hpo_ckpt_create(path, &m, &ck) != HPO_OK) { fprintf(stderr, "child: %s\n", hpo_error_message()); _exit(4); }
    hpo_trial_rec **recs;
    size_t n;
    if (hpo_ckpt_read_trials(ck, &recs, &n, NULL, NULL) != HPO_OK) { fprintf(stderr, "child: %s\n", hpo_error_message()); _exit(5); }
    for (size_t i = 0; i < n; i++) {
        if (recs[i]->state != HPO_RUNNING) continue;
        recs[i]->state = HPO_FAIL;
        recs[i]->value = NAN;
        hpo_rec_set_fail_reason(recs[i], "interrupted");
        if (hpo_ckpt_trial_finished(ck, recs[i], NULL) != HPO_OK) { fprintf(stderr, "child: %s\n", hpo_error_message()); _exit(6); }
    }
    hpo_ckpt_free_trials(recs, n);
    for (int64_t k = (int64_t)n;; k++) {
        hpo_trial_rec *r = kill_trial(k, dx, dn, dc), *s;
        hpo_rec_create(k, &s);
        s->seed = r->seed; s->t_start = r->t_start; s->worker = r->worker;
        if (hpo_ckpt_trial_started(ck, s, NULL) != HPO_OK) { fprintf(stderr, "child: %s\n", hpo_error_message()); _exit(7); }
        hpo_rng rng = { { (uint64_t)k + 1, 2, 3, 4 } };
        if (hpo_ckpt_trial_finished(ck, r, &rng) != HPO_OK) { fprintf(stderr, "child: %s\n", hpo_error_message()); _exit(8); }
        if (write(out, &k, sizeof k) != sizeof k) _exit(9);
        hpo_rec_destroy(&r);
        hpo_rec_destroy(&s);
    }
}

Test(ckpt, kill_minus_9_at_random_moments_loses_no_finished_trial, .timeout = 300)
{
    char path[512];
    tmp_path(path, sizeof path, "kill");
    hpo_dist dx, dn, dc;
    cr_assert_eq(hpo_dist_float(&dx, "x", 0, 1e6, 0, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&dn, "n", 0, 6, 1, 0, NULL), HPO_OK);
    hpo_choice ch[] = { HPO_STR("a"), HPO_BOOL(1) };
    cr_assert_eq(hpo_dist_cat(&dc, "c", ch, 2), HPO_OK);
    int kills = getenv("HPO_KILLS") ? atoi(getenv("HPO_KILLS")) : 30;
    srand((unsigned)time(NULL));
    int64_t reported_max = -1;
    size_t torn = 0, repaired = 0;
    /* kills land 1 ms + [0, window) in; the window doubles after a round in
     * which no trial got through (a loaded machine, a sanitizer build) */
    long window = 40000000;
    for (int it = 0; it < kills; it++) {
        int64_t before = reported_max;
        int p[2];
        cr_assert_eq(pipe(p), 0);
        pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) { close(p[0]); kill_child(path, p[1], &dx, &dn, &dc); _exit(0); }
        close(p[1]);
        /* first kill early (maybe during create), later ones 1 ms + [0, window) in */
        long ns = it == 0 ? 200000 : 1000000 + rand() % window;
        struct timespec ts = { ns / 1000000000, ns % 1000000000 };
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int ws;
        waitpid(pid, &ws, 0);
        cr_assert(WIFSIGNALED(ws), "iteration %d: child ended by itself (status %d)", it, WEXITSTATUS(ws));
        int64_t k;
        while (read(p[0], &k, sizeof k) == sizeof k) if (k > reported_max) reported_max = k;
        close(p[0]);
        if (it > 0 && reported_max == before && window < 1600000000L) window *= 2;
        if (access(path, F_OK) != 0) { cr_assert_eq(reported_max, -1); continue; }   /* killed before create */
        char rep[512];
        hpo_ckpt *ck = NULL;
        if (hpo_ckpt_validate(path, rep, sizeof rep) != HPO_OK) {
            cr_assert(strstr(rep, "interrupted a flush"), "iteration %d: %s", it, rep);
            repaired++;
        }
        cr_assert_eq(hpo_ckpt_open(path, &ck), HPO_OK, "iteration %d: %s", it, hpo_error_message());
        cr_assert_eq(hpo_ckpt_validate(path, rep, sizeof rep), HPO_OK, "iteration %d: %s", it, rep);
        if (strstr(rep, "torn")) torn++;
        hpo_trial_rec **recs;
        size_t n;
        cr_assert_eq(hpo_ckpt_read_trials(ck, &recs, &n, NULL, NULL), HPO_OK, "iteration %d: %s", it, hpo_error_message());
        cr_assert((int64_t)n >= reported_max + 1, "iteration %d: %zu trials, but trial %" PRId64 " was reported",
                  it, n, reported_max);
        for (size_t i = 0; i < n; i++) {
            hpo_trial_rec *r = recs[i];
            if (r->state == HPO_RUNNING) {
                cr_assert(i + 1 == n && (int64_t)i > reported_max, "iteration %d: trial %zu RUNNING", it, i);
                continue;
            }
            if (r->state == HPO_FAIL) {
                cr_assert_str_eq(r->fail_reason, "interrupted");
                cr_assert((int64_t)i > reported_max || it > 0);
                continue;
            }
            hpo_trial_rec *want = kill_trial((int64_t)i, &dx, &dn, &dc);
            assert_rec_equal(want, r);
            hpo_rec_destroy(&want);
        }
        hpo_ckpt_free_trials(recs, n);
        hpo_ckpt_close(&ck);
    }
    fprintf(stderr, "ckpt kill test: %d kills, %" PRId64 " trials reported finished, %zu torn rows dropped, "
            "%zu interrupted flushes repaired\n", kills, reported_max + 1, torn, repaired);
    cr_assert(reported_max > 0, "no trial was ever written");
    hpo_dist_clear(&dx); hpo_dist_clear(&dn); hpo_dist_clear(&dc);
    rm(path);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -f '%s'.*.new '%s'.lock.*.tmp", path, path);   /* left by kills inside create */
    cr_assert_eq(system(cmd), 0);
}

/* ---- h5py reads it (tests/ref/read_ckpt.py) -------------------------------------------- */

Test(ckpt, h5py_reads_the_file)
{
    if (access("/usr/bin/python3", X_OK) != 0 || system("/usr/bin/python3 -c 'import h5py' 2>/dev/null") != 0) {
        cr_log_warn("h5py not available; skipped");
        return;
    }
    char path[512], cmd[1400];
    tmp_path(path, sizeof path, "h5py");
    hpo_trial_rec *h[16];
    size_t n = make_history(h);
    hpo_ckpt *ck = create(path);
    for (size_t i = 0; i < n; i++) {
        if (h[i]->state == HPO_RUNNING) cr_assert_eq(hpo_ckpt_trial_started(ck, h[i], NULL), HPO_OK);
        else cr_assert_eq(hpo_ckpt_trial_finished(ck, h[i], NULL), HPO_OK);
    }
    hpo_ckpt_close(&ck);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/ref/read_ckpt.py --check %s", HPO_SOURCE_DIR, path);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);
    for (size_t i = 0; i < n; i++) hpo_rec_destroy(&h[i]);
    rm(path);
}
