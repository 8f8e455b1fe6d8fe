/* test_export.c - the read-only snapshot and the CSV export (io/export.h):
 * a known checkpoint gives exactly the expected CSV (quoting, absent
 * parameters, times, states), the readonly open takes no lock and works
 * while a writer holds the file, and bad files give clear errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"
#include "export.h"

static void tmp_path(char *buf, size_t n, const char *tag)
{
    snprintf(buf, n, "/tmp/hpo_export_%ld_%s.h5", (long)getpid(), tag);
    unlink(buf);
}

static void rm(const char *path)
{
    char lock[600];
    snprintf(lock, sizeof lock, "%s.lock", path);
    unlink(path);
    unlink(lock);
}

static void report(hpo_trial_rec *r, int64_t step, double v)
{
    int rep, dec;
    cr_assert_eq(hpo_rec_add_report(r, step, v, &rep, &dec), HPO_OK);
}

static void addp(hpo_trial_rec *r, const char *name, const hpo_dist *d, hpo_pval v)
{
    cr_assert_eq(hpo_rec_add_param(r, name, d, v), HPO_OK, "%s", hpo_error_message());
}

/* The known study (minimize): 0 COMPLETE, 1 PRUNED (with a conditional
 * parameter), 2 FAIL (a reason that needs quoting), 3 RUNNING. Returns the
 * open writer when keep_open, else closes it. */
static hpo_ckpt *make_known(const char *path, int keep_open)
{
    hpo_ckpt_meta m;
    memset(&m, 0, sizeof m);
    m.name = "known"; m.direction = HPO_MINIMIZE; m.sampler = "random"; m.pruner = "median";
    m.seed = 3; m.seeded = 1; m.study_file = ""; m.study_path = "";
    hpo_ckpt *ck = NULL;
    cr_assert_eq(hpo_ckpt_create(path, &m, &ck), HPO_OK, "%s", hpo_error_message());
    hpo_dist dx, dn, du, dc;
    hpo_choice ch[2] = { HPO_STR("adam"), HPO_STR("say \"hi\", ok") };
    cr_assert_eq(hpo_dist_float(&dx, "x", 1e-3, 1, 0, 1, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&dn, "n_layers", 1, 2, 1, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_int(&du, "n_units_l1", 4, 16, 1, 0, NULL), HPO_OK);
    cr_assert_eq(hpo_dist_cat(&dc, "opt", ch, 2), HPO_OK);
    static const double xs[4] = { 0.25, 0.5, 1e-3, 0.75 };
    for (int i = 0; i < 4; i++) {
        hpo_trial_rec *r = NULL;
        cr_assert_eq(hpo_rec_create(i, &r), HPO_OK);
        r->t_start = 1700000000.25 + 10 * i;
        r->worker = i % 2;
        addp(r, "x", &dx, (hpo_pval){ .f = xs[i] });
        addp(r, "opt", &dc, (hpo_pval){ .i = i == 0 ? 1 : 0 });
        addp(r, "n_layers", &dn, (hpo_pval){ .i = i == 1 ? 2 : 1 });
        if (i == 1) addp(r, "n_units_l1", &du, (hpo_pval){ .i = 8 });
        if (i == 3) { cr_assert_eq(hpo_ckpt_trial_started(ck, r, NULL), HPO_OK); hpo_rec_destroy(&r); continue; }
        r->t_end = r->t_start + 2.5;
        if (i == 0) {
            r->state = HPO_COMPLETE; r->value = 0.5;
            report(r, 0, 0.7);
            report(r, 1, 0.5);
        } else if (i == 1) {
            r->state = HPO_PRUNED; r->value = 0.9;
            report(r, 0, 0.9);
        } else {
            r->state = HPO_FAIL;
            hpo_rec_set_fail_reason(r, "boom, \"bad\"");
        }
        cr_assert_eq(hpo_ckpt_trial_finished(ck, r, NULL), HPO_OK, "%s", hpo_error_message());
        hpo_rec_destroy(&r);
    }
    hpo_dist_clear(&dx); hpo_dist_clear(&dn); hpo_dist_clear(&du); hpo_dist_clear(&dc);
    if (!keep_open) hpo_ckpt_close(&ck);
    return ck;
}

/* 1700000000 s = 2023-11-14 22:13:20 UTC (python3: datetime.utcfromtimestamp). */
static const char k_expected_csv[] =
    "number,value,datetime_start,datetime_complete,duration,params_n_layers,params_n_units_l1,params_opt,params_x,state,worker,fail_reason\n"
    "0,0.5,2023-11-14 22:13:20.250000,2023-11-14 22:13:22.750000,2.5,1,,\"say \"\"hi\"\", ok\",0.25,COMPLETE,0,\n"
    "1,0.9,2023-11-14 22:13:30.250000,2023-11-14 22:13:32.750000,2.5,2,8,adam,0.5,PRUNED,1,\n"
    "2,,2023-11-14 22:13:40.250000,2023-11-14 22:13:42.750000,2.5,1,,adam,0.001,FAIL,0,\"boom, \"\"bad\"\"\"\n"
    "3,,2023-11-14 22:13:50.250000,,,1,,adam,0.75,RUNNING,1,\n";

static char *render(hpo_status (*fn)(const hpo_snapshot *, FILE *), const hpo_snapshot *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert(f);
    cr_assert_eq(fn(s, f), HPO_OK, "%s", hpo_error_message());
    fclose(f);
    return buf;
}

Test(export, known_checkpoint_gives_expected_csv)
{
    char path[256];
    tmp_path(path, sizeof path, "known");
    make_known(path, 0);
    hpo_snapshot s;
    cr_assert_eq(hpo_snapshot_load(path, &s), HPO_OK, "%s", hpo_error_message());
    cr_assert_eq(s.n, 4);
    cr_assert(s.intact, "%s", s.integrity);
    cr_assert(strstr(s.integrity, "ok: 4 trials (1 COMPLETE, 1 PRUNED, 1 FAIL, 1 RUNNING)"), "%s", s.integrity);
    char *csv = render(hpo_export_csv, &s);
    cr_assert_str_eq(csv, k_expected_csv);
    free(csv);
    char *iv = render(hpo_export_intermediate_csv, &s);
    cr_assert_str_eq(iv, "trial,step,value\n0,0,0.7\n0,1,0.5\n1,0,0.9\n");
    free(iv);
    cr_assert_eq(hpo_snapshot_best(&s)->number, 0);
    hpo_snapshot_clear(&s);
    char lock[300];
    snprintf(lock, sizeof lock, "%s.lock", path);
    cr_assert_neq(access(lock, F_OK), 0, "a read-only load must not leave a lock");
    rm(path);
}

/* A writer holds the file (its lock and HDF5's): show/export/report, in
 * another process as in real use, still read it, and the writer can go on
 * appending afterwards. (One process cannot open one HDF5 file twice with
 * different access flags, hence the fork.) */
Test(export, readonly_while_a_writer_holds_it)
{
    char path[256];
    tmp_path(path, sizeof path, "busy");
    int up[2], down[2];
    cr_assert_eq(pipe(up), 0);
    cr_assert_eq(pipe(down), 0);
    pid_t pid = fork();
    if (pid == 0) {             /* the writer: holds the file, appends after the reader read */
        hpo_ckpt *w = make_known(path, 1);
        char c = 'r';
        if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1) _exit(2);
        hpo_trial_rec *r = NULL;
        int ok = hpo_rec_create(4, &r) == HPO_OK && hpo_ckpt_trial_started(w, r, NULL) == HPO_OK;
        hpo_rec_destroy(&r);
        hpo_ckpt_close(&w);
        _exit(ok ? 0 : 1);
    }
    char c;
    cr_assert_eq(read(up[0], &c, 1), 1, "the writer died");
    hpo_snapshot s;
    hpo_status st = hpo_snapshot_load(path, &s);
    cr_assert_eq(st, HPO_OK, "%s", hpo_error_message());
    cr_assert_eq(s.n, 4);
    hpo_snapshot_clear(&s);
    hpo_ckpt *ro = NULL;
    hpo_trial_rec *r = NULL;
    cr_assert_eq(hpo_ckpt_open_readonly(path, &ro), HPO_OK);
    cr_assert_eq(hpo_rec_create(4, &r), HPO_OK);
    cr_assert_eq(hpo_ckpt_trial_started(ro, r, NULL), HPO_ESTATE, "a read-only handle never writes");
    hpo_rec_destroy(&r);
    hpo_ckpt_close(&ro);
    cr_assert_eq(write(down[1], "g", 1), 1);
    int status = -1;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer could not append after the reader");
    cr_assert_eq(hpo_snapshot_load(path, &s), HPO_OK, "%s", hpo_error_message());
    cr_assert_eq(s.n, 5);
    hpo_snapshot_clear(&s);
    rm(path);
}

Test(export, bad_files_are_clear_errors)
{
    hpo_snapshot s;
    cr_assert_eq(hpo_snapshot_load("/nonexistent/x.h5", &s), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "No such file"), "%s", hpo_error_message());
    char path[256];
    tmp_path(path, sizeof path, "foreign");
    FILE *f = fopen(path, "w");
    fputs("number,value\n1,2\n", f);
    fclose(f);
    cr_assert_eq(hpo_snapshot_load(path, &s), HPO_EFORMAT);
    cr_assert(strstr(hpo_error_message(), "not an mpihpo checkpoint"), "%s", hpo_error_message());
    unlink(path);
    /* truncated: the first half of a good file */
    tmp_path(path, sizeof path, "trunc");
    make_known(path, 0);
    FILE *g = fopen(path, "r+");
    fseek(g, 0, SEEK_END);
    long n = ftell(g);
    fclose(g);
    cr_assert_eq(truncate(path, n / 2), 0);
    cr_assert_eq(hpo_snapshot_load(path, &s), HPO_EFORMAT, "%s", hpo_error_message());
    rm(path);
}

Test(export, csv_quoting)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hpo_csv_field(f, "plain"); fputc('|', f);
    hpo_csv_field(f, "a,b"); fputc('|', f);
    hpo_csv_field(f, "q\"q"); fputc('|', f);
    hpo_csv_field(f, "line\nbreak"); fputc('|', f);
    hpo_csv_field(f, " lead"); fputc('|', f);
    hpo_csv_field(f, "");
    fclose(f);
    cr_assert_str_eq(buf, "plain|\"a,b\"|\"q\"\"q\"|\"line\nbreak\"|\" lead\"|");
    free(buf);
    char t[64];
    cr_assert_str_eq(hpo_format_time(1700000000.25, t, sizeof t), "2023-11-14 22:13:20.250000");
    cr_assert_str_eq(hpo_format_time(NAN, t, sizeof t), "");
    cr_assert_str_eq(hpo_format_time(1700000000.9999999, t, sizeof t), "2023-11-14 22:13:21.000000");
}
