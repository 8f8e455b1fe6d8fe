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
 *   bench_parallel [seeds=20] [trials=100] [workers=7]
 * prints mean regret after `trials` trials per function and setting, and the
 * ratio of W workers' mean regret to 1 worker's. */
#define main bench_tpe_main_unused    /* reuse the functions and helpers */
#include "bench_tpe.c"
#undef main

static double run_parallel(const fn *F, uint64_t seed, int trials, int workers, int liar)
{
    hpo_study *s = NULL;
    if (hpo_study_create(&s) != HPO_OK) exit(1);
    hpo_study_set_seed(s, seed);
    hpo_study_set_log(s, NULL);
    hpo_sampler_opts o;
    hpo_sampler_opts_default(&o, "tpe");
    o.constant_liar = liar;
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

int main(int argc, char **argv)
{
    int seeds = argc > 1 ? atoi(argv[1]) : 20, trials = argc > 2 ? atoi(argv[2]) : 100;
    int W = argc > 3 ? atoi(argv[3]) : 7;
    if (W < 1 || W > 64) { fprintf(stderr, "workers must be 1..64\n"); return 2; }
    printf("mean regret after %d trials over %d seeds (TPE; %d workers simulated)\n", trials, seeds, W);
    printf("%-14s %12s %12s %12s %10s %10s\n", "function", "1 worker", "W, liar", "W, no liar", "liar/1", "noliar/1");
    for (size_t f = 0; f < sizeof k_fns / sizeof k_fns[0]; f++) {
        double m1 = 0, ml = 0, mn = 0;
        for (int sd = 0; sd < seeds; sd++) {
            m1 += run_parallel(&k_fns[f], (uint64_t)sd, trials, 1, 1) / seeds;
            ml += run_parallel(&k_fns[f], (uint64_t)sd, trials, W, 1) / seeds;
            mn += run_parallel(&k_fns[f], (uint64_t)sd, trials, W, 0) / seeds;
        }
        printf("%-14s %12.4g %12.4g %12.4g %10.2f %10.2f\n", k_fns[f].name, m1, ml, mn, ml / m1, mn / m1);
        fflush(stdout);
    }
    return 0;
}
