/* bench_tpe.c - TPE quality and cost, to set beside Optuna's peers
 * (../shared/peers/optuna_quality.py, optuna_tpe_overhead.py).
 *
 *   bench_tpe quality [seeds] [budget] [samplers]  -> JSON on stdout: per
 *       function and sampler (default random,tpe,tpe-mv; tpe-mv = multivariate
 *       + group, as the peer's "tpe-mv"; a "-o3" suffix, e.g. tpe-o3, adds
 *       compat: optuna3), the regret of the best value after each trial, per
 *       seed. Same seed -> the same 10 random start-up trials for every
 *       sampler, so differences are paired.
 *   bench_tpe overhead [N1,N2,...] [sampler]  -> per checkpoint N: the mean
 *       time of the sampler alone per suggestion and per trial (7 parameters)
 *       over the last 100 trials before N, and the whole trial time.
 *
 * TPE_ISA=0 in the environment forces the scalar log-sum-exp loops (1: AVX2,
 * 2: AVX-512; the default is the best the CPU has); results must not change.
 * Only this benchmark reads it: mpihpo always takes the best the CPU has.
 *
 * Functions: the peer's, spelled out again in C (same domains, same f*). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "sampler_tpe.h"
#include "study_impl.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* CPU time of this thread: on a shared machine, wall time counts the time
 * other processes hold the core (overhead mode prints both). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- test functions (minimised) ------------------------------------------ */

static double branin(hpo_trial *t, void *c)
{
    (void)c;
    double x1 = hpo_suggest_float(t, "x1", -5, 10, 0), x2 = hpo_suggest_float(t, "x2", 0, 15, 0);
    double b = 5.1 / (4 * M_PI * M_PI), cc = 5 / M_PI, tt = 1 / (8 * M_PI);
    return pow(x2 - b * x1 * x1 + cc * x1 - 6, 2) + 10 * (1 - tt) * cos(x1) + 10;
}

static const double H6_A[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14},
                                  {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
static const double H6_P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886}, {2329, 4135, 8307, 3736, 1004, 9991},
                                  {2348, 1451, 3522, 2883, 3047, 6650}, {4047, 8828, 8732, 5743, 1091, 381}};
static const double H6_ALPHA[4] = {1.0, 1.2, 3.0, 3.2};

static double hartmann6(hpo_trial *t, void *c)
{
    (void)c;
    double x[6];
    char n[8];
    for (int i = 0; i < 6; i++) { snprintf(n, sizeof n, "x%d", i); x[i] = hpo_suggest_float(t, n, 0, 1, 0); }
    double tot = 0;
    for (int i = 0; i < 4; i++) {
        double in = 0;
        for (int j = 0; j < 6; j++) in += H6_A[i][j] * pow(x[j] - 1e-4 * H6_P[i][j], 2);
        tot += H6_ALPHA[i] * exp(-in);
    }
    return -tot;
}

static double rosenbrock10(hpo_trial *t, void *c)
{
    (void)c;
    double x[10];
    char n[8];
    for (int i = 0; i < 10; i++) { snprintf(n, sizeof n, "x%d", i); x[i] = hpo_suggest_float(t, n, -5, 10, 0); }
    double s = 0;
    for (int i = 0; i < 9; i++) s += 100 * pow(x[i + 1] - x[i] * x[i], 2) + pow(1 - x[i], 2);
    return s;
}

static double styblinski10(hpo_trial *t, void *c)
{
    (void)c;
    double s = 0;
    char n[8];
    for (int i = 0; i < 10; i++) {
        snprintf(n, sizeof n, "x%d", i);
        double v = hpo_suggest_float(t, n, -5, 5, 0);
        s += pow(v, 4) - 16 * v * v + 5 * v;
    }
    return 0.5 * s;
}

static double condmix(hpo_trial *t, void *c)
{
    (void)c;
    static const char *const opts[] = {"Adam", "RMSprop", "SGD"};
    static const double off[] = {0.05, 0.0, 0.3}, best[] = {-3.0, -2.5, -1.0}, layer[] = {0, 0.0, 0.02, 0.05};
    static const double target[] = {15, 10, 8};
    const char *o = hpo_suggest_categorical_str(t, "optimizer", opts, 3);
    int k = o[0] == 'A' ? 0 : o[0] == 'R' ? 1 : 2;
    double lr = hpo_suggest_float(t, "learning_rate", 1e-5, 1e-1, HPO_LOG);
    int64_t nl = hpo_suggest_int(t, "n_layers", 1, 3, 0);
    double f = off[k] + 0.25 * pow(log10(lr) - best[k], 2) + layer[nl];
    for (int64_t i = 0; i < nl; i++) {
        char n[32];
        snprintf(n, sizeof n, "n_units_l%d", (int)i);
        f += 0.002 * pow((double)hpo_suggest_int(t, n, 4, 18, 0) - target[i], 2);
    }
    return f;
}

typedef struct fn { const char *name; hpo_objective f; double fstar; } fn;
static const fn k_fns[] = {
    {"branin", branin, 0.39788735772973816},
    {"hartmann6", hartmann6, -3.32236801141551},
    {"rosenbrock10", rosenbrock10, 0.0},
    {"styblinski10", styblinski10, -39.16616570377142 * 10},
    {"condmix", condmix, 0.0},
};

static hpo_study *make_study(const char *sampler, uint64_t seed)
{
    hpo_study *s = NULL;
    if (hpo_study_create(&s) != HPO_OK) exit(1);
    hpo_study_set_seed(s, seed);
    hpo_study_set_log(s, NULL);
    hpo_sampler_opts o;
    hpo_sampler_opts_default(&o, strcmp(sampler, "random") == 0 ? "random" : "tpe");
    if (strncmp(sampler, "tpe-mv", 6) == 0) { o.multivariate = 1; o.group = 1; }
    size_t n = strlen(sampler);
    if (n > 3 && strcmp(sampler + n - 3, "-o3") == 0) o.compat_optuna3 = 1;
    if (hpo_study_set_sampler_opts(s, &o) != HPO_OK) exit(1);
    return s;
}

static int quality(int seeds, int budget, const char *list)
{
    char buf[256];
    const char *samplers[16];
    int ns = 0;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *t = strtok(buf, ","); t && ns < 16; t = strtok(NULL, ",")) samplers[ns++] = t;
    printf("{\"budget\": %d, \"seeds\": %d, \"results\": {\n", budget, seeds);
    for (size_t f = 0; f < sizeof k_fns / sizeof k_fns[0]; f++) {
        printf("%s \"%s\": {\"f_star\": %.17g", f ? "," : "", k_fns[f].name, k_fns[f].fstar);
        for (int si = 0; si < ns; si++) {
            double t0 = now();
            printf(", \"%s\": {\"curves\": [", samplers[si]);
            for (int seed = 0; seed < seeds; seed++) {
                hpo_study *s = make_study(samplers[si], (uint64_t)seed);
                if (hpo_study_optimize(s, k_fns[f].f, NULL, budget, 0) != HPO_OK) {
                    fprintf(stderr, "%s %s seed %d failed\n", k_fns[f].name, samplers[si], seed);
                    return 1;
                }
                double best = INFINITY;
                printf("%s[", seed ? ", " : "");
                for (size_t i = 0; i < hpo_study_n_trials(s); i++) {
                    const hpo_trial_rec *r = hpo_study_trial(s, i);
                    if (hpo_rec_state(r) == HPO_COMPLETE && hpo_rec_value(r) < best) best = hpo_rec_value(r);
                    printf("%s%.10g", i ? "," : "", best - k_fns[f].fstar);
                }
                printf("]");
                hpo_study_destroy(&s);
            }
            printf("], \"s_per_study\": %.6g}", (now() - t0) / seeds);
            fflush(stdout);
        }
        printf("}\n");
    }
    printf("}}\n");
    return 0;
}

/* ---- overhead: the peer's objective, timing the sampler itself ----------- */

static double g_sampler_time;      /* seconds spent in suggest (sampler + bookkeeping), this window */
static double g_cum;               /* the same since the start */
static double g_sampler_cpu;       /* CPU seconds in suggest, this window */

static double overhead_obj(hpo_trial *t, void *c)
{
    (void)c;
    static const char *const cats[] = {"a", "b", "c"};
    double t0 = now(), c0 = cpu_now(), s = 0;
    char n[8];
    for (int i = 0; i < 5; i++) {
        snprintf(n, sizeof n, "x%d", i);
        double x = hpo_suggest_float(t, n, -10, 10, 0);
        s += x * x;
    }
    const char *cc = hpo_suggest_categorical_str(t, "c", cats, 3);
    int64_t k = hpo_suggest_int(t, "k", 0, 10, 0);
    g_sampler_cpu += cpu_now() - c0;
    g_sampler_time += now() - t0;
    g_cum += now() - t0;
    return s + (cc[0] - 'a') + (double)((k - 3) * (k - 3));
}

static int overhead(const char *cps, const char *sampler)
{
    int n_cp = 0, cp[16];
    for (const char *p = cps; *p && n_cp < 16;) { cp[n_cp++] = atoi(p); p = strchr(p, ','); if (!p) break; p++; }
    hpo_study *s = make_study(sampler, 0);
    printf("mpihpo %s: sampler time per trial (7 suggestions) and per suggestion, last 100 trials before N\n", sampler);
    printf("  %6s %14s %16s %16s %16s %12s\n", "N", "cum sampler s", "ms/trial (last)", "us/suggest (last)",
           "us/sugg CPU", "best");
    int done = 0;
    for (int c = 0; c < n_cp; c++) {
        int upto = cp[c];
        if (upto - 100 > done) {
            hpo_study_optimize(s, overhead_obj, NULL, upto - 100 - done, 0);
            done = upto - 100;
        }
        g_sampler_time = g_sampler_cpu = 0;
        double w0 = now();
        hpo_study_optimize(s, overhead_obj, NULL, upto - done, 0);
        double wall = now() - w0;
        int w = upto - done;
        done = upto;
        const hpo_trial_rec *b = hpo_study_best_trial(s);
        printf("  %6d %14.3f %16.4f %16.2f %16.2f %12.4g   (whole trial %.4f ms)\n", upto, g_cum,
               1e3 * g_sampler_time / w, 1e6 * g_sampler_time / (7.0 * w), 1e6 * g_sampler_cpu / (7.0 * w),
               hpo_rec_value(b), 1e3 * wall / w);
        fflush(stdout);
    }
    hpo_study_destroy(&s);
    return 0;
}

int main(int argc, char **argv)
{
    const char *isa = getenv("TPE_ISA");
    if (isa) {
        if (strcmp(isa, "0") && strcmp(isa, "1") && strcmp(isa, "2")) {
            fprintf(stderr, "bench_tpe: TPE_ISA='%s'; expected 0 (scalar), 1 (AVX2) or 2 (AVX-512)\n", isa);
            return 2;
        }
        int want = atoi(isa);
        hpo_tpe_isa_impl(want);
        int got = hpo_tpe_isa_impl(-1);
        if (got != want) {
            fprintf(stderr, "bench_tpe: TPE_ISA=%d: this CPU lacks it; expected at most %d\n", want, got);
            return 2;
        }
    }
    if (argc >= 2 && strcmp(argv[1], "quality") == 0)
        return quality(argc > 2 ? atoi(argv[2]) : 20, argc > 3 ? atoi(argv[3]) : 100,
                       argc > 4 ? argv[4] : "random,tpe,tpe-mv");
    if (argc >= 2 && strcmp(argv[1], "overhead") == 0)
        return overhead(argc > 2 ? argv[2] : "100,1000,2000,10000", argc > 3 ? argv[3] : "tpe");
    fprintf(stderr, "usage: bench_tpe quality [seeds] [budget] [random,tpe,tpe-mv,tpe-o3,tpe-mv-o3]"
                    " | overhead [N1,N2,...] [tpe|tpe-mv|tpe-o3|random]\n");
    return 2;
}
