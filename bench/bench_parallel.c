/* bench_parallel.c - the sample-efficiency price of parallelism (issue #5):
 * TPE on the benchmark functions of bench_tpe.c at the same trial budget,
 * with 1 worker and with W workers, constant liar on and off.
 *
 * W workers with equal trial durations are simulated in one process, which
 * is exactly what the coordinator sees: W trials are RUNNING at any time,
 * each has all its parameters when it starts (they are suggested then), and
 * a trial's result arrives only after W-1 later trials have started. The
 * sampler, the liar and the history are the real ones (study_impl.h).
 *
 *   bench_parallel [seeds=20] [trials=100] [workers=7] [json=-] [seed0=0]
 * prints mean regret after `trials` trials per function and setting, and the
 * ratio of W workers' mean regret to 1 worker's; then per function the
 * medians, standard errors, how much of the sum the two worst seeds hold and
 * the paired difference W-with-liar minus 1 worker (same seed: the same
 * first 10 random trials, then the trials differ). json: per-seed regrets. */
#define main bench_tpe_main_unused    /* reuse the functions and helpers */
#include "bench_tpe.c"
#undef main

static int g_startup = -1;     /* BENCH_STARTUP: TPE startup_trials (-1: the default) */

static double run_parallel(const fn *F, uint64_t seed, int trials, int workers, int liar)
{
    hpo_study *s = NULL;
    if (hpo_study_create(&s) != HPO_OK) exit(1);
    hpo_study_set_seed(s, seed);
    hpo_study_set_log(s, NULL);
    hpo_sampler_opts o;
    hpo_sampler_opts_default(&o, "tpe");
    o.constant_liar = liar;
    if (g_startup >= 0) o.startup_trials = g_startup;
    if (hpo_study_set_sampler_opts(s, &o) != HPO_OK || hpo_study_setup(s) != HPO_OK) exit(1);
    hpo_trial_rec *pend[64];
    double val[64];
    hpo_state stt[64];
    int n_pend = 0, started = 0, finished = 0;
    double best = INFINITY;
    while (finished < trials) {
        if (started < trials && n_pend < workers) {
            hpo_trial_rec *r;
            if (hpo_study_trial_start(s, 1 + n_pend, &r) != HPO_OK) exit(1);
            hpo_trial t;
            hpo_trial_init_local(&t, s, r);
            double v = F->f(&t, NULL);
            double value; const char *reason; char buf[128];
            hpo_trial_outcome(&t, v, &stt[n_pend], &value, &reason, buf, sizeof buf);
            hpo_trial_release(&t);
            pend[n_pend] = r; val[n_pend] = value; n_pend++;
            started++;
            continue;
        }
        /* the oldest running trial finishes */
        if (hpo_study_trial_finish(s, pend[0], stt[0], val[0], "failed") != HPO_OK) exit(1);
        if (stt[0] == HPO_COMPLETE && val[0] < best) best = val[0];
        finished++;
        memmove(pend, pend + 1, (size_t)(n_pend - 1) * sizeof *pend);
        memmove(val, val + 1, (size_t)(n_pend - 1) * sizeof *val);
        memmove(stt, stt + 1, (size_t)(n_pend - 1) * sizeof *stt);
        n_pend--;
    }
    hpo_study_destroy(&s);
    return best - F->fstar;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_of(const double *v, int n, double *tmp)
{
    memcpy(tmp, v, (size_t)n * sizeof *tmp);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_dbl);
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

static double mean_of(const double *v, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++) m += v[i];
    return m / n;
}

/* standard error of the mean */
static double se_of(const double *v, int n)
{
    if (n < 2) return NAN;
    double m = mean_of(v, n), s = 0;
    for (int i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
    return sqrt(s / (n - 1) / n);
}

/* share of the sum held by the k largest values */
static double top_share(const double *v, int n, int k, double *tmp)
{
    memcpy(tmp, v, (size_t)n * sizeof *tmp);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_dbl);
    double tot = 0, top = 0;
    for (int i = 0; i < n; i++) tot += tmp[i];
    for (int i = 0; i < k && i < n; i++) top += tmp[n - 1 - i];
    return tot > 0 ? top / tot : NAN;
}

static void json_arr(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) fprintf(f, "%s%.10g", i ? ", " : "", v[i]);
    fputc(']', f);
}

/*   bench_parallel [seeds=20] [trials=100] [workers=7] [json=-] [seed0=0]
 * json: a path for the per-seed regrets (JSON), "-" for none.
 * Seeds seed0 .. seed0+seeds-1. Diagnostics from the environment:
 * BENCH_FNS=condmix,branin (only these functions), BENCH_STARTUP=N (TPE
 * startup_trials instead of 10, for every setting). */
int main(int argc, char **argv)
{
    int seeds = argc > 1 ? atoi(argv[1]) : 20, trials = argc > 2 ? atoi(argv[2]) : 100;
    int W = argc > 3 ? atoi(argv[3]) : 7;
    const char *jpath = argc > 4 ? argv[4] : "-";
    int seed0 = argc > 5 ? atoi(argv[5]) : 0;
    const char *fns = getenv("BENCH_FNS");
    const char *su = getenv("BENCH_STARTUP");
    g_startup = su && *su ? atoi(su) : -1;
    if (W < 1 || W > 64) { fprintf(stderr, "workers must be 1..64\n"); return 2; }
    if (seeds < 1) { fprintf(stderr, "seeds must be >= 1\n"); return 2; }
    double *r1 = malloc(3 * (size_t)seeds * sizeof *r1), *tmp = malloc((size_t)seeds * sizeof *tmp);
    double *d = malloc((size_t)seeds * sizeof *d);
    if (!r1 || !tmp || !d) return 1;
    double *rl = r1 + seeds, *rn = rl + seeds;
    FILE *jf = strcmp(jpath, "-") ? fopen(jpath, "w") : NULL;
    if (strcmp(jpath, "-") && !jf) { perror(jpath); return 1; }
    if (jf) fprintf(jf, "{\"tool\": \"mpihpo bench_parallel\", \"seeds\": %d, \"seed0\": %d, \"trials\": %d, "
                    "\"workers\": %d, \"startup_trials\": %d, \"results\": {", seeds, seed0, trials, W,
                    g_startup >= 0 ? g_startup : 10);
    printf("mean regret after %d trials over %d seeds (TPE; %d workers simulated)\n", trials, seeds, W);
    if (seed0 || g_startup >= 0) printf("seeds %d..%d, startup_trials %d\n", seed0, seed0 + seeds - 1,
                                        g_startup >= 0 ? g_startup : 10);
    printf("%-14s %12s %12s %12s %10s %10s\n", "function", "1 worker", "W, liar", "W, no liar", "liar/1", "noliar/1");
    int first = 1;
    char extra[5][1024];
    int n_extra = 0;
    for (size_t f = 0; f < sizeof k_fns / sizeof k_fns[0]; f++) {
        if (fns && *fns) {
            const char *p = strstr(fns, k_fns[f].name);
            size_t L = strlen(k_fns[f].name);
            if (!p || (p != fns && p[-1] != ',') || (p[L] && p[L] != ',')) continue;
        }
        for (int i = 0; i < seeds; i++) {
            uint64_t sd = (uint64_t)(seed0 + i);
            r1[i] = run_parallel(&k_fns[f], sd, trials, 1, 1);
            rl[i] = run_parallel(&k_fns[f], sd, trials, W, 1);
            rn[i] = run_parallel(&k_fns[f], sd, trials, W, 0);
        }
        double m1 = mean_of(r1, seeds), ml = mean_of(rl, seeds), mn = mean_of(rn, seeds);
        printf("%-14s %12.4g %12.4g %12.4g %10.2f %10.2f\n", k_fns[f].name, m1, ml, mn, ml / m1, mn / m1);
        fflush(stdout);
        int wins = 0, losses = 0;
        for (int i = 0; i < seeds; i++) { d[i] = rl[i] - r1[i]; wins += rl[i] < r1[i]; losses += rl[i] > r1[i]; }
        snprintf(extra[n_extra++], sizeof extra[0],
                 "%-14s median %10.4g %10.4g %10.4g | SE of mean %9.3g %9.3g %9.3g | top-2 seeds hold %3.0f%% %3.0f%% %3.0f%% of the sum"
                 " | paired (W liar - 1): %+.4g +- %.3g, W liar better on %d, worse on %d of %d",
                 k_fns[f].name, median_of(r1, seeds, tmp), median_of(rl, seeds, tmp), median_of(rn, seeds, tmp),
                 se_of(r1, seeds), se_of(rl, seeds), se_of(rn, seeds),
                 100 * top_share(r1, seeds, 2, tmp), 100 * top_share(rl, seeds, 2, tmp), 100 * top_share(rn, seeds, 2, tmp),
                 mean_of(d, seeds), se_of(d, seeds), wins, losses, seeds);
        if (jf) {
            fprintf(jf, "%s\n \"%s\": {\"f_star\": %.17g, \"1\": ", first ? "" : ",", k_fns[f].name, k_fns[f].fstar);
            json_arr(jf, r1, seeds);
            fprintf(jf, ", \"liar\": ");
            json_arr(jf, rl, seeds);
            fprintf(jf, ", \"noliar\": ");
            json_arr(jf, rn, seeds);
            fprintf(jf, "}");
        }
        first = 0;
    }
    printf("(columns: 1 worker, W liar, W no liar)\n");
    for (int i = 0; i < n_extra; i++) printf("%s\n", extra[i]);
    if (jf) { fprintf(jf, "\n}}\n"); fclose(jf); }
    free(r1); free(tmp); free(d);
    return 0;
}
