/* test_report.c - the HTML/SVG report (io/report.h): axis ticks and labels,
 * one mark per trial in each chart, the page is self-contained, text is
 * escaped, empty studies and write errors. Snapshots are built in memory
 * (no HDF5 needed: the report reads only records). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "report.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

static void addf(hpo_trial_rec *r, const char *name, double lo, double hi, int log, double v)
{
    hpo_dist d;
    cr_assert_eq(hpo_dist_float(&d, name, lo, hi, 0, log, NULL), HPO_OK);
    cr_assert_eq(hpo_rec_add_param(r, name, &d, (hpo_pval){ .f = v }), HPO_OK);
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

/* 12 trials: 0..7 COMPLETE, 8, 9 PRUNED, 10 FAIL, 11 RUNNING; trials 0..9
 * and 11 report values; "<b>units" is conditional (even trials only). */
static void make_snapshot(hpo_snapshot *s)
{
    memset(s, 0, sizeof *s);
    s->meta.name = hpo_strdup("demo <study>");
    s->meta.sampler = hpo_strdup("tpe"); s->meta.pruner = hpo_strdup("median");
    s->meta.study_file = hpo_strdup(""); s->meta.study_path = hpo_strdup("jobs/demo.yaml");
    s->meta.creator = hpo_strdup("mpihpo test"); s->meta.holder_host = hpo_strdup("");
    s->meta.direction = HPO_MAXIMIZE;
    s->meta.created = 1700000000; s->meta.updated = 1700000100;
    snprintf(s->integrity, sizeof s->integrity, "ok: 12 trials");
    s->intact = 1;
    s->n = 12;
    s->trials = hpo_calloc(12, sizeof *s->trials);
    for (int i = 0; i < 12; i++) {
        hpo_trial_rec *r = NULL;
        cr_assert_eq(hpo_rec_create(i, &r), HPO_OK);
        r->state = i < 8 ? HPO_COMPLETE : i < 10 ? HPO_PRUNED : i == 10 ? HPO_FAIL : HPO_RUNNING;
        double lr = 1e-4 * pow(10, 0.3 * i);
        r->value = r->state == HPO_COMPLETE ? 0.8 + 0.01 * i : r->state == HPO_PRUNED ? 0.6 : NAN;
        r->t_start = 1700000000 + 5 * i;
        r->t_end = r->state == HPO_RUNNING ? NAN : r->t_start + 3;
        addf(r, "learning_rate", 1e-4, 1e-1, 1, lr);
        addc(r, "optimizer", i % 3);
        if (i % 2 == 0) addf(r, "<b>units", 4, 128, 0, 4 + 10 * i);
        if (r->state == HPO_FAIL) hpo_rec_set_fail_reason(r, "nan loss");
        int steps = r->state == HPO_PRUNED ? 2 : r->state == HPO_FAIL ? 0 : 5;
        for (int k = 0; k < steps; k++) {
            int rep, dec;
            cr_assert_eq(hpo_rec_add_report(r, k, 0.5 + 0.05 * k + 0.001 * i, &rep, &dec), HPO_OK);
        }
        s->trials[i] = r;
    }
}

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

Test(report, linear_ticks_are_nice)
{
    double t[32], step;
    size_t n = hpo_axis_ticks(0, 1, 0, t, 32, &step);
    cr_assert_eq(n, 6);
    cr_assert_float_eq(step, 0.2, 1e-15);
    cr_assert_float_eq(t[5], 1.0, 1e-12);
    n = hpo_axis_ticks(0.837, 0.903, 0, t, 32, &step);
    cr_assert_float_eq(step, 0.01, 1e-15);
    cr_assert_float_eq(t[0], 0.84, 1e-12);
    cr_assert_eq(n, 7);
    char b[32];
    hpo_tick_label(3 * 0.1, 0.1, b, sizeof b);                 /* 0.30000000000000004 */
    cr_assert_str_eq(b, "0.3");
    hpo_tick_label(-1.3e-17, 0.2, b, sizeof b);
    cr_assert_str_eq(b, "0");
    hpo_tick_label(40, 20, b, sizeof b);
    cr_assert_str_eq(b, "40");
    cr_assert_eq(hpo_axis_ticks(1, 1, 0, t, 32, NULL), 0, "an empty range has no ticks");
}

Test(report, log_ticks_are_decades)
{
    double t[32];
    size_t n = hpo_axis_ticks(1e-5, 1e-1, 1, t, 32, NULL);
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < n; i++) cr_assert_float_eq(t[i], pow(10, -5 + (int)i), 1e-18);
    n = hpo_axis_ticks(1.5, 9, 1, t, 32, NULL);                /* less than a decade: 2, 5 */
    cr_assert_eq(n, 2);
    cr_assert_float_eq(t[0], 2, 1e-12);
    cr_assert_float_eq(t[1], 5, 1e-12);
    char b[32];
    hpo_tick_label(1e-5, 0, b, sizeof b);
    cr_assert_str_eq(b, "1e-05");
    hpo_tick_label(0.01, 0, b, sizeof b);
    cr_assert_str_eq(b, "0.01");
    double lo, hi;
    hpo_axis_range(1e-4, 1e-1, 1, &lo, &hi);
    cr_assert(lo < 1e-4 && lo > 5e-5 && hi > 1e-1 && hi < 2e-1, "%g %g", lo, hi);
    hpo_axis_range(3, 3, 0, &lo, &hi);
    cr_assert(lo < 3 && hi > 3);
}

Test(report, one_mark_per_trial)
{
    hpo_snapshot s;
    make_snapshot(&s);
    char *h = render(hpo_report_svg_history, &s);
    cr_assert_eq(count(h, "class=\"hist-pt\""), 8, "one point per COMPLETE trial");
    cr_assert_eq(count(h, "class=\"hist-best\""), 1);
    cr_assert(strstr(h, ">Trial<") && strstr(h, "Objective Value (maximize)") && strstr(h, "Best Value"));
    free(h);
    char *iv = render(hpo_report_svg_intermediate, &s);
    cr_assert_eq(count(iv, "class=\"iv-line iv-complete\""), 8);
    cr_assert_eq(count(iv, "class=\"iv-line iv-pruned\""), 2);
    cr_assert_eq(count(iv, "class=\"iv-line iv-running\""), 1);
    cr_assert_eq(count(iv, "class=\"iv-cut\""), 2, "a cross where each pruned trial stopped");
    cr_assert(strstr(iv, "PRUNED (2)") && strstr(iv, "RUNNING (1)"));
    free(iv);
    char *pc = render(hpo_report_svg_parallel, &s);
    cr_assert_eq(count(pc, "class=\"pc-line\""), 8, "one polyline per COMPLETE trial");
    cr_assert_eq(count(pc, "class=\"pc-axis\""), 4, "objective + 3 parameters");
    cr_assert(strstr(pc, "learning_rate (log)"), "a log axis for a log parameter");
    cr_assert(strstr(pc, ">rmsprop<") && strstr(pc, ">sgd<"), "categories as ticks");
    cr_assert(strstr(pc, "&lt;b&gt;units") && !strstr(pc, "<b>units"), "names are escaped");
    cr_assert(strstr(pc, "(not used)"), "a conditional parameter's absent slot is labelled");
    free(pc);
    char *im = render(hpo_report_svg_importance, &s);
    cr_assert_eq(count(im, "class=\"imp-bar\""), 2, "learning_rate and optimizer (units is conditional)");
    free(im);
    hpo_snapshot_clear(&s);
}

Test(report, page_is_self_contained)
{
    hpo_snapshot s;
    make_snapshot(&s);
    char *p = render(hpo_report_html, &s);
    cr_assert(strncmp(p, "<!DOCTYPE html>", 15) == 0);
    cr_assert_eq(count(p, "<svg "), 4);
    cr_assert_eq(count(p, "http"), count(p, "xmlns=\"http://www.w3.org/2000/svg\""), "no link except the SVG namespace");
    cr_assert(!strstr(p, "<script src") && !strstr(p, "<link") && !strstr(p, "@import"));
    cr_assert(strstr(p, "demo &lt;study&gt;"));
    cr_assert(strstr(p, "12: 8 COMPLETE, 2 PRUNED, 1 FAIL, 1 RUNNING"));
    const char *b = strstr(p, "<td id=\"best\">7, value ");
    cr_assert(b, "the best trial");
    cr_assert_eq(strtod(b + strlen("<td id=\"best\">7, value "), NULL), 0.8 + 0.01 * 7, "its value as stored, bit for bit");
    cr_assert_eq(count(p, "<tr><td>"), 12, "one table row per trial");
    cr_assert(strstr(p, "nan loss"));
    free(p);
    hpo_snapshot_clear(&s);
}

Test(report, empty_study)
{
    hpo_snapshot s;
    memset(&s, 0, sizeof s);
    s.meta.name = hpo_strdup("empty");
    char *p = render(hpo_report_html, &s);
    cr_assert_eq(count(p, "No COMPLETE trial yet."), 3, "history, parallel, importance");
    cr_assert_eq(count(p, "No trial reported intermediate values."), 1);
    cr_assert(strstr(p, "none yet"));
    free(p);
    hpo_snapshot_clear(&s);
}

Test(report, write_error_is_reported)
{
    hpo_snapshot s;
    make_snapshot(&s);
    FILE *f = fopen("/dev/full", "w");
    cr_assert(f);
    cr_assert_eq(hpo_report_html(&s, f), HPO_EIO);
    cr_assert(strstr(hpo_error_message(), "cannot write the report"), "%s", hpo_error_message());
    fclose(f);
    hpo_snapshot_clear(&s);
}
