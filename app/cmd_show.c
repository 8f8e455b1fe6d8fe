/* cmd_show.c - `mpihpo show FILE.h5`: the study's attributes, trials by
 * state, the best trial, the top K trials and the file's integrity, read
 * without disturbing a run that is writing the file. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "commands.h"
#include "config.h"
#include "error.h"
#include "export.h"
#include "importance.h"
#include "mpihpo.h"
#include "sampler.h"

static const char k_show_help[] =
    "usage: mpihpo show FILE.h5 [options]\n"
    "\n"
    "Prints the study stored in FILE.h5: name, direction, sampler (with the\n"
    "TPE settings it changes from the defaults) and pruner, when it was\n"
    "created and last opened, trials by state, the best trial with its\n"
    "parameters, a table of the top K trials, and an integrity check of the\n"
    "file. Works while `mpihpo run` is writing the file (it takes no lock and\n"
    "writes nothing).\n"
    "\n"
    "options:\n"
    "  -k, --top K        rows in the table of top trials (default 10; 0: none)\n"
    "  -i, --importance   also print parameter importances (PED-ANOVA)\n"
    "  -h, --help         show this text\n"
    "\n"
    "Example: mpihpo show heart.h5 --top 5 --importance\n";

/* Rank: COMPLETE by value (best first), then PRUNED by value, then the rest by number. */
static hpo_direction g_dir;
static int rank_of(const hpo_trial_rec *t)
{
    if (t->state == HPO_COMPLETE && isfinite(t->value)) return 0;
    if (t->state == HPO_PRUNED && isfinite(t->value)) return 1;
    return 2;
}
static int cmp_top(const void *a, const void *b)
{
    const hpo_trial_rec *x = *(const hpo_trial_rec *const *)a, *y = *(const hpo_trial_rec *const *)b;
    int rx = rank_of(x), ry = rank_of(y);
    if (rx != ry) return rx - ry;
    if (rx < 2 && x->value != y->value) return hpo_better(g_dir, x->value, y->value) ? -1 : 1;
    return (x->number > y->number) - (x->number < y->number);
}

static void print_params(const hpo_trial_rec *t, const char *sep)
{
    for (size_t p = 0; p < t->n_params; p++) {
        char v[256];
        hpo_pval_format(&t->params[p].dist, t->params[p].v, v, sizeof v);
        printf("%s%s: %s", p ? sep : "", t->params[p].name, v);
    }
}

/* The TPE settings the stored study file changes from their defaults, as
 * " (multivariate, compat: optuna3, ...)" in buf; "" when there are none,
 * the sampler was switched on resume (the file says another type), or the
 * file cannot be read back (a C objective's study stores none). */
static void tpe_settings(const hpo_ckpt_meta *m, char *buf, size_t n)
{
    buf[0] = 0;
    hpo_config *c = NULL;
    if (strcmp(m->sampler, "tpe") != 0 || !m->study_file || !*m->study_file) return;
    if (hpo_config_load_string(m->study_file, m->study_path, &c) != HPO_OK) { hpo_error_clear(); return; }
    if (strcmp(c->sampler.type, "tpe") == 0) {
        hpo_sampler_opts d;
        hpo_sampler_opts_default(&d, "tpe");
        char t[256] = "";
        size_t k = 0;
#define ADD(...) (k += (size_t)snprintf(t + k, k < sizeof t ? sizeof t - k : 0, __VA_ARGS__))
        if (c->sampler.multivariate) ADD(", multivariate");
        if (c->sampler.group) ADD(", group");
        if (c->sampler.constant_liar != d.constant_liar) ADD(", constant_liar: %s", c->sampler.constant_liar ? "true" : "false");
        if (c->sampler.startup_trials != d.startup_trials) ADD(", startup_trials: %" PRId64, c->sampler.startup_trials);
        if (c->sampler.ei_candidates != d.ei_candidates) ADD(", ei_candidates: %" PRId64, c->sampler.ei_candidates);
        if (c->sampler.prior_weight != d.prior_weight) ADD(", prior_weight: %g", c->sampler.prior_weight);
        if (c->sampler.compat) ADD(", compat: optuna3");
#undef ADD
        if (k) snprintf(buf, n, " (%s)", t + 2);
    }
    hpo_config_destroy(&c);
}

static int show_main(const char *path, int64_t top, int importance)
{
    hpo_snapshot s;
    if (hpo_snapshot_load(path, &s) != HPO_OK) return die("show");
    const hpo_ckpt_meta *m = &s.meta;
    size_t cnt[4] = { 0, 0, 0, 0 };
    for (size_t i = 0; i < s.n; i++) cnt[s.trials[i]->state]++;
    char b1[64], b2[64];
    printf("Study '%s' (%s) in %s\n", m->name, m->direction == HPO_MAXIMIZE ? "maximize" : "minimize", path);
    char tpe[300];
    tpe_settings(m, tpe, sizeof tpe);
    printf("  sampler: %s%s, pruner: %s, seed: %" PRIu64 "%s\n", m->sampler, tpe, m->pruner, m->seed,
           m->seeded ? "" : " (drawn at random)");
    printf("  created: %s UTC, updated: %s UTC%s%s\n", hpo_format_time(m->created, b1, sizeof b1),
           hpo_format_time(m->updated, b2, sizeof b2), *m->study_path ? ", study file: " : "", m->study_path);
    printf("Trials: %zu (%zu COMPLETE, %zu PRUNED, %zu FAIL, %zu RUNNING)\n", s.n, cnt[HPO_COMPLETE],
           cnt[HPO_PRUNED], cnt[HPO_FAIL], cnt[HPO_RUNNING]);
    const hpo_trial_rec *best = hpo_snapshot_best(&s);
    if (best) {
        printf("Best trial: %" PRId64 ", value %.17g\n  ", best->number, best->value);
        print_params(best, "\n  ");
        printf("\n");
    } else {
        printf("Best trial: none yet (no COMPLETE trial)\n");
    }
    if (top > 0 && s.n) {
        hpo_trial_rec **order = hpo_malloc(s.n * sizeof *order);
        if (!order) { hpo_snapshot_clear(&s); fprintf(stderr, "mpihpo: error: show: out of memory\n"); return EXIT_ERROR; }
        memcpy(order, s.trials, s.n * sizeof *order);
        g_dir = m->direction;
        qsort(order, s.n, sizeof *order, cmp_top);
        size_t k = (size_t)top < s.n ? (size_t)top : s.n;
        printf("\nTop %zu trials:\n%7s  %-12s  %-9s  %10s  %s\n", k, "number", "value", "state", "duration", "params");
        for (size_t i = 0; i < k; i++) {
            const hpo_trial_rec *t = order[i];
            char v[40] = "", d[40] = "";
            if (isfinite(t->value)) snprintf(v, sizeof v, "%.6g", t->value);
            if (t->state != HPO_RUNNING && isfinite(t->t_end) && t->t_end > 0 && isfinite(t->t_start))
                snprintf(d, sizeof d, "%.2fs", t->t_end - t->t_start);
            printf("%7" PRId64 "  %-12s  %-9s  %10s  ", t->number, v, hpo_state_name(t->state), d);
            print_params(t, ", ");
            if (t->state == HPO_FAIL && t->fail_reason) printf("  [%s]", t->fail_reason);
            printf("\n");
        }
        hpo_free(order);
    }
    if (importance) {
        hpo_importance *imp = NULL;
        size_t ni = 0, ntop = 0;
        if (hpo_importance_ped_anova(s.trials, s.n, m->direction, NULL, &imp, &ni, &ntop) != HPO_OK) {
            hpo_snapshot_clear(&s);
            return die("show: importance");
        }
        printf("\nParameter importances (PED-ANOVA, top %zu of %zu COMPLETE trials):\n", ntop, cnt[HPO_COMPLETE]);
        if (!ni) printf("  none (no parameter common to all COMPLETE trials)\n");
        for (size_t i = 0; i < ni; i++) printf("  %-24s %.4f\n", imp[i].name, imp[i].importance);
        hpo_importance_free(&imp, ni);
    }
    printf("\nIntegrity: %s\n", s.integrity);
    int rc = s.intact ? EXIT_OK : EXIT_ERROR;
    hpo_snapshot_clear(&s);
    return rc;
}

int cmd_show(int argc, char **argv)
{
    static const struct option opts[] = {
        {"top", required_argument, 0, 'k'}, {"importance", no_argument, 0, 'i'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    int64_t top = 10;
    int importance = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "k:ih", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (!parse_i64(optarg, 0, &top)) { fprintf(stderr, "mpihpo show: --top expects an integer >= 0, got '%s'\n", optarg); return EXIT_USAGE; }
            break;
        case 'i': importance = 1; break;
        case 'h': fputs(k_show_help, stdout); return EXIT_OK;
        default:  fputs("Try 'mpihpo show --help'.\n", stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "mpihpo show: expected one checkpoint file (FILE.h5), got %d arguments\nTry 'mpihpo show --help'.\n",
                argc - optind);
        return EXIT_USAGE;
    }
    return show_main(argv[optind], top, importance);
}
