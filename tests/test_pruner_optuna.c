/* test_pruner_optuna.c - every prune/keep decision of Optuna 3.1's pruners,
 * replayed through mpihpo's.
 *
 * tests/data/pruner/<pruner>.txt are recorded by tests/ref/make_pruner_ref.py
 * (Debian's python3-optuna as the oracle; format in its docstring): random
 * studies with several trials running at once, NaN and inf reports, repeated
 * and decreasing steps, warm-up and interval boundaries, skipped checks,
 * ignored advice, and COMPLETE / PRUNED / FAIL endings. Here each study is
 * rebuilt with hpo_trial_rec records (as study.c keeps them) and every
 * `check` line must give Optuna's answer. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "pruner_impl.h"

#ifndef HPO_TEST_DATA
#define HPO_TEST_DATA "tests/data"
#endif

typedef struct replay_stats {
    long cases, checks, prunes, mismatches;
} replay_stats;

static void set_opt(hpo_pruner_opts *o, const char *key, const char *val)
{
    int64_t i = (int64_t)strtod(val, NULL);
    if (!strcmp(key, "percentile")) o->percentile = strtod(val, NULL);
    else if (!strcmp(key, "n_startup_trials")) o->n_startup_trials = i;
    else if (!strcmp(key, "n_warmup_steps")) o->n_warmup_steps = i;
    else if (!strcmp(key, "interval_steps")) o->interval_steps = i;
    else if (!strcmp(key, "n_min_trials")) o->n_min_trials = i;
    else if (!strcmp(key, "min_resource")) o->min_resource = i;
    else if (!strcmp(key, "max_resource")) o->max_resource = i;
    else if (!strcmp(key, "reduction_factor")) o->reduction_factor = i;
    else if (!strcmp(key, "min_early_stopping_rate")) o->min_early_stopping_rate = i;
    else if (!strcmp(key, "bootstrap_count")) o->bootstrap_count = i;
    else cr_assert_fail("unknown option '%s'", key);
}

static hpo_trial_rec *rec_of(hpo_history *h, long n)
{
    cr_assert(n >= 0 && (size_t)n < h->n, "trial %ld not asked", n);
    return h->trials[n];
}

static void replay_file(const char *name, replay_stats *st)
{
    char path[512];
    snprintf(path, sizeof path, "%s/pruner/%s.txt", HPO_TEST_DATA, name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char line[1024], type[256] = "", dir[256] = "", study[256] = "";
    long lineno = 0, cid = 0;
    hpo_history h = {0};
    hpo_pruner_opts o;
    const hpo_pruner_ops *ops = NULL;
    void *state = NULL;
    int in_case = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        char w[6][256] = {{0}};
        int nw = sscanf(line, "%255s %255s %255s %255s %255s %255s", w[0], w[1], w[2], w[3], w[4], w[5]);
        if (!strcmp(w[0], "case")) {
            cr_assert_eq(nw, 5, "%s:%ld: bad case line", path, lineno);
            cid = atol(w[1]);
            snprintf(type, sizeof type, "%s", w[2]);
            snprintf(dir, sizeof dir, "%s", w[3]);
            snprintf(study, sizeof study, "%s", w[4]);
            hpo_pruner_opts_default(&o, type);
            o.study_name = study;
            memset(&h, 0, sizeof h);
            h.direction = !strcmp(dir, "maximize") ? HPO_MAXIMIZE : HPO_MINIMIZE;
            in_case = 1;
            state = NULL;
            ops = NULL;
            st->cases++;
            continue;
        }
        if (!strcmp(w[0], "crc32")) continue;
        cr_assert(in_case, "%s:%ld: event outside a case", path, lineno);
        if (!strcmp(w[0], "opt")) { set_opt(&o, w[1], w[2]); continue; }
        if (!ops) {          /* first event after the options: make the pruner */
            cr_assert_eq(hpo_pruner_find(type, &ops), HPO_OK, "no pruner '%s'", type);
            cr_assert_eq(ops->create(&o, &state), HPO_OK, "%s:%ld: create failed: %s",
                         path, lineno, hpo_error_message());
        }
        if (!strcmp(w[0], "ask")) {
            hpo_trial_rec *r;
            cr_assert_eq((long)h.n, atol(w[1]));
            cr_assert_eq(hpo_rec_create((int64_t)h.n, &r), HPO_OK);
            cr_assert_eq(hpo_history_append(&h, r), HPO_OK);
        } else if (!strcmp(w[0], "report") || !strcmp(w[0], "check")) {
            hpo_trial_rec *r = rec_of(&h, atol(w[1]));
            int rep, dec;
            cr_assert_eq(r->state, HPO_RUNNING);
            cr_assert_eq(hpo_rec_add_report(r, (int64_t)atoll(w[2]), strtod(w[3], NULL), &rep, &dec), HPO_OK);
            if (!strcmp(w[0], "check")) {
                int want = atoi(w[4]), got = -1;
                cr_assert_eq(ops->should_prune(state, &h, r, &got), HPO_OK, "%s:%ld: %s",
                             path, lineno, hpo_error_message());
                st->checks++;
                st->prunes += want;
                if (got != want) {
                    st->mismatches++;
                    fprintf(stderr, "%s:%ld: case %ld (%s %s): trial %s step %s: Optuna %s, mpihpo %s\n",
                            path, lineno, cid, type, dir, w[1], w[2], want ? "prune" : "keep",
                            got ? "prune" : "keep");
                }
            }
        } else if (!strcmp(w[0], "complete")) {
            hpo_trial_rec *r = rec_of(&h, atol(w[1]));
            r->state = HPO_COMPLETE;
            r->value = strtod(w[2], NULL);
        } else if (!strcmp(w[0], "pruned")) {
            hpo_trial_rec *r = rec_of(&h, atol(w[1]));
            r->state = HPO_PRUNED;
            hpo_rec_last_step(r, &r->value);
        } else if (!strcmp(w[0], "fail")) {
            rec_of(&h, atol(w[1]))->state = HPO_FAIL;
        } else if (!strcmp(w[0], "end")) {
            if (ops) ops->destroy(state);
            hpo_history_clear(&h);
            in_case = 0;
        } else {
            cr_assert_fail("%s:%ld: unknown event '%s'", path, lineno, w[0]);
        }
    }
    fclose(f);
    cr_assert(!in_case, "%s: last case has no end", path);
}

static void replay(const char *name, long min_checks, long min_prunes)
{
    replay_stats st = {0};
    replay_file(name, &st);
    fprintf(stderr, "pruner %-18s %ld cases, %ld Optuna decisions (%ld prune), %ld disagree\n",
            name, st.cases, st.checks, st.prunes, st.mismatches);
    cr_expect_eq(st.mismatches, 0, "%s: %ld of %ld decisions differ from Optuna's", name,
                 st.mismatches, st.checks);
    cr_expect_geq(st.checks, min_checks);
    cr_expect_geq(st.prunes, min_prunes);
    cr_expect_geq(st.checks - st.prunes, min_prunes);
}

Test(pruner_optuna, median)             { replay("median", 500, 100); }
Test(pruner_optuna, percentile)         { replay("percentile", 500, 100); }
Test(pruner_optuna, successive_halving) { replay("successive_halving", 500, 100); }
Test(pruner_optuna, hyperband)          { replay("hyperband", 500, 100); }

Test(pruner_optuna, crc32_matches_python_zlib)
{
    char path[512], line[1024];
    snprintf(path, sizeof path, "%s/pruner/hyperband.txt", HPO_TEST_DATA);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "crc32 ", 6)) continue;
        line[strcspn(line, "\n")] = 0;
        char *sp = strrchr(line, ' ');
        *sp = 0;
        const char *s = line + 6;
        if (!strcmp(s, "-")) s = "";
        unsigned long want = strtoul(sp + 1, NULL, 10);
        cr_expect_eq(hpo_crc32(0, s, strlen(s)), (uint32_t)want, "crc32(\"%s\")", s);
        n++;
    }
    fclose(f);
    cr_assert_geq(n, 5);
}
