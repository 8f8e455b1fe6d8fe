/* bench_ckpt.c - the checkpoint's save cost per trial as the study grows
 * (issue #6): a zero-cost objective's trials (3 parameters, 5 reports each)
 * appended as RUNNING then finished rows, flushed each time, as rank 0 does.
 * Prints the median cost of a trial's two saves around 1k, 10k and 100k
 * trials and the file size per trial.
 *   bench_ckpt [max_trials=100000] [file=/tmp/bench_ckpt.h5] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ckpt.h"
#include "space.h"
#include "trial_impl.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long max = argc > 1 ? atol(argv[1]) : 100000;
    const char *path = argc > 2 ? argv[2] : "/tmp/bench_ckpt.h5";
    char lock[4096];
    snprintf(lock, sizeof lock, "%s.lock", path);
    unlink(path); unlink(lock);
    hpo_ckpt_meta meta = {.name = "bench", .direction = HPO_MINIMIZE, .sampler = "random", .pruner = "none",
                          .seed = 1, .seeded = 1, .study_file = "", .study_path = ""};
    hpo_ckpt *ck = NULL;
    if (hpo_ckpt_create(path, &meta, &ck) != HPO_OK) { fprintf(stderr, "%s\n", hpo_error_message()); return 1; }
    hpo_dist dx, dn, dc;
    hpo_choice ch[] = {HPO_STR("adam"), HPO_STR("sgd")};
    hpo_dist_float(&dx, "x", 1e-5, 1e-1, 0, 1, NULL);
    hpo_dist_int(&dn, "n", 1, 128, 1, 0, NULL);
    hpo_dist_cat(&dc, "opt", ch, 2);
    hpo_rng rng;
    hpo_rng_seed(&rng, 1);
    const long marks[] = {1000, 10000, 100000, 1000000};
    const int window = 200;
    double *t = malloc(sizeof(double) * window);
    printf("%10s %16s %16s %14s\n", "trials", "median_us/trial", "mean_us/trial", "bytes/trial");
    int wi = 0;
    for (long i = 0; i < max; i++) {
        hpo_trial_rec *r;
        hpo_rec_create(i, &r);
        r->seed = (uint64_t)i;
        r->t_start = (double)i;
        hpo_pval v;
        v.f = 1e-3; hpo_rec_add_param(r, "x", &dx, v);
        v.i = 7; hpo_rec_add_param(r, "n", &dn, v);
        v.i = 1; hpo_rec_add_param(r, "opt", &dc, v);
        int rep, dec;
        for (int s = 0; s < 5; s++) hpo_rec_add_report(r, s, 0.5 + 0.01 * s, &rep, &dec);
        double t0 = now();
        if (hpo_ckpt_trial_started(ck, r, &rng) != HPO_OK) { fprintf(stderr, "%s\n", hpo_error_message()); return 1; }
        r->state = HPO_COMPLETE;
        r->value = 0.5;
        r->t_end = (double)i + 1;
        if (hpo_ckpt_trial_finished(ck, r, &rng) != HPO_OK) { fprintf(stderr, "%s\n", hpo_error_message()); return 1; }
        double dt = now() - t0;
        hpo_rec_destroy(&r);
        long m = marks[wi];
        if (i >= m - window && i < m) t[window - (m - i)] = dt;
        if (i == m - 1) {
            double mean = 0;
            for (int k = 0; k < window; k++) mean += t[k] / window;
            qsort(t, window, sizeof *t, cmp);
            struct stat sb;
            stat(path, &sb);
            printf("%10ld %16.1f %16.1f %14.1f\n", m, 1e6 * t[window / 2], 1e6 * mean, (double)sb.st_size / (double)m);
            fflush(stdout);
            wi++;
        }
    }
    hpo_ckpt_close(&ck);
    hpo_dist_clear(&dc);
    free(t);
    unlink(path);
    return 0;
}
