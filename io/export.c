/* export.c - read a study's checkpoint read-only, and write its trials as
 * CSV (see export.h). Uses only io/ckpt.h and the record helpers. */
#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "error.h"

/* ---- the snapshot ----------------------------------------------------------- */

void hpo_snapshot_clear(hpo_snapshot *s)
{
    if (!s) return;
    hpo_ckpt_meta_clear(&s->meta);
    hpo_ckpt_free_trials(s->trials, s->n);
    memset(s, 0, sizeof *s);
}

static hpo_status load_once(const char *path, hpo_snapshot *s)
{
    hpo_ckpt *ck = NULL;
    HPO_TRY(hpo_ckpt_open_readonly(path, &ck));
    hpo_status st;
    HPO_TRY_GOTO(hpo_ckpt_read_meta(ck, &s->meta), done);
    HPO_TRY_GOTO(hpo_ckpt_read_trials(ck, &s->trials, &s->n, NULL, NULL), done);
done:
    hpo_ckpt_close(&ck);
    return st;
}

hpo_status hpo_snapshot_load(const char *path, hpo_snapshot *s)
{
    HPO_CHECK(path && s, HPO_EINVAL, "hpo_snapshot_load: NULL argument");
    memset(s, 0, sizeof *s);
    hpo_status st = HPO_OK;
    /* A writer flushes after every row; between flushes the metadata we read
     * may be half new. Such a read fails with HPO_EFORMAT: try again. */
    for (int attempt = 0; attempt < 4; attempt++) {
        if (attempt) {
            struct timespec ts = { 0, 100 * 1000 * 1000 };
            nanosleep(&ts, NULL);
            hpo_error_clear();
        }
        st = load_once(path, s);
        if (st == HPO_OK) break;
        hpo_snapshot_clear(s);
        if (st != HPO_EFORMAT) break;
    }
    if (st != HPO_OK) return hpo_error_push(st, __FILE__, __LINE__, __func__);
    hpo_status v = hpo_ckpt_validate(path, s->integrity, sizeof s->integrity);
    s->intact = v == HPO_OK;
    if (v == HPO_ESTATE) {
        /* A running study holds the file: what was read above is a
         * consistent snapshot; the full check needs the writer gone. */
        snprintf(s->integrity, sizeof s->integrity,
                 "not checked: a running study is writing the file (the trials above are as of now)");
        s->intact = 1;
    }
    if (v != HPO_OK) hpo_error_clear();
    return HPO_OK;
}

const hpo_trial_rec *hpo_snapshot_best(const hpo_snapshot *s)
{
    const hpo_trial_rec *best = NULL;
    for (size_t i = 0; s && i < s->n; i++) {
        const hpo_trial_rec *t = s->trials[i];
        if (!t || t->state != HPO_COMPLETE || !isfinite(t->value)) continue;
        if (!best || hpo_better(s->meta.direction, t->value, best->value)) best = t;
    }
    return best;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

hpo_status hpo_snapshot_param_names(const hpo_snapshot *s, const char ***names_out, size_t *n_out)
{
    HPO_CHECK(s && names_out && n_out, HPO_EINVAL, "hpo_snapshot_param_names: NULL argument");
    size_t total = 0, n = 0;
    for (size_t i = 0; i < s->n; i++) total += s->trials[i] ? s->trials[i]->n_params : 0;
    const char **names = hpo_calloc(total ? total : 1, sizeof *names);
    HPO_CHECK(names, HPO_ENOMEM, "out of memory for %zu parameter names", total);
    for (size_t i = 0; i < s->n; i++)
        for (size_t p = 0; s->trials[i] && p < s->trials[i]->n_params; p++)
            names[n++] = s->trials[i]->params[p].name;
    if (n) qsort(names, n, sizeof *names, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || strcmp(names[u - 1], names[i])) names[u++] = names[i];
    *names_out = names;
    *n_out = u;
    return HPO_OK;
}

/* ---- CSV ------------------------------------------------------------------------ */

void hpo_csv_field(FILE *out, const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s);
    int quote = n && (strpbrk(s, ",\"\r\n") || s[0] == ' ' || s[n - 1] == ' ');
    if (!quote) { fputs(s, out); return; }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

char *hpo_format_time(double t, char *buf, size_t n)
{
    if (!isfinite(t) || t <= 0) { if (n) buf[0] = '\0'; return buf; }
    double fl = floor(t);
    time_t sec = (time_t)fl;
    long us = lround((t - fl) * 1e6);
    if (us >= 1000000) { sec++; us -= 1000000; }
    struct tm tm;
    gmtime_r(&sec, &tm);
    char d[32];
    strftime(d, sizeof d, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, n, "%s.%06ld", d, us);
    return buf;
}

/* Shortest text that reads back as the same double; "" for NaN. */
static void put_double(FILE *out, double x)
{
    if (isnan(x)) return;
    if (isinf(x)) { fputs(x > 0 ? "inf" : "-inf", out); return; }
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, x);
        if (strtod(tmp, NULL) == x) break;
    }
    fputs(tmp, out);
}

static hpo_status finish(FILE *out)
{
    HPO_CHECK(!ferror(out) && fflush(out) == 0, HPO_EIO, "cannot write the CSV: %s", strerror(errno));
    return HPO_OK;
}

hpo_status hpo_export_csv(const hpo_snapshot *s, FILE *out)
{
    HPO_CHECK(s && out, HPO_EINVAL, "hpo_export_csv: NULL argument");
    const char **names = NULL;
    size_t np = 0;
    HPO_TRY(hpo_snapshot_param_names(s, &names, &np));
    fputs("number,value,datetime_start,datetime_complete,duration", out);
    for (size_t p = 0; p < np; p++) {
        char *col = hpo_malloc(strlen(names[p]) + 8);
        if (!col) { hpo_free((void *)names); HPO_FAIL(HPO_ENOMEM, "out of memory"); }
        sprintf(col, "params_%s", names[p]);
        fputc(',', out);
        hpo_csv_field(out, col);
        hpo_free(col);
    }
    fputs(",state,worker,fail_reason\n", out);
    for (size_t i = 0; i < s->n; i++) {
        const hpo_trial_rec *t = s->trials[i];
        if (!t) continue;
        char a[64], b[64], v[512];
        int done = t->state != HPO_RUNNING && isfinite(t->t_end) && t->t_end > 0;
        fprintf(out, "%" PRId64 ",", t->number);
        put_double(out, t->value);
        fprintf(out, ",%s,%s,", hpo_format_time(t->t_start, a, sizeof a),
                done ? hpo_format_time(t->t_end, b, sizeof b) : "");
        if (done && isfinite(t->t_start)) put_double(out, t->t_end - t->t_start);
        for (size_t p = 0; p < np; p++) {
            fputc(',', out);
            const hpo_param_rec *pr = hpo_rec_find_param(t, names[p]);
            if (!pr) continue;
            if (pr->dist.kind == HPO_DIST_FLOAT) { put_double(out, pr->v.f); continue; }
            hpo_pval_format(&pr->dist, pr->v, v, sizeof v);
            hpo_csv_field(out, v);
        }
        fprintf(out, ",%s,%d,", hpo_state_name(t->state), t->worker);
        hpo_csv_field(out, t->fail_reason ? t->fail_reason : "");
        fputc('\n', out);
    }
    hpo_free((void *)names);
    HPO_TRY(finish(out));
    return HPO_OK;
}

hpo_status hpo_export_intermediate_csv(const hpo_snapshot *s, FILE *out)
{
    HPO_CHECK(s && out, HPO_EINVAL, "hpo_export_intermediate_csv: NULL argument");
    fputs("trial,step,value\n", out);
    for (size_t i = 0; i < s->n; i++) {
        const hpo_trial_rec *t = s->trials[i];
        for (size_t k = 0; t && k < t->n_inter; k++) {
            fprintf(out, "%" PRId64 ",%" PRId64 ",", t->number, t->steps[k]);
            put_double(out, t->inter[k]);
            fputc('\n', out);
        }
    }
    HPO_TRY(finish(out));
    return HPO_OK;
}
