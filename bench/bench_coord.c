/* bench_coord.c - the coordinator's capacity: a zero-cost objective (5
 * suggests and 5 reports per trial) run by every worker as fast as it can.
 * Run under mpiexec with 1 + W ranks; rank 0 prints one table row:
 *   workers, trials, wall s, trials/s, messages/s, and the time a suggest
 *   and a report (+ should_prune) take on the workers (median, p99, us).
 * With pruner none (the default) a report is a NOTE, sent and not answered;
 * with median every report is judged: a round trip.
 * usage: mpiexec -n 1+W bench_coord [trials] [sampler] [none|median]  */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hpo_mpi.h"

#define MAXS 200000
static double g_sug[MAXS], g_rep[MAXS];
static size_t g_ns, g_nr;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double objective(hpo_trial *t, void *ctx)
{
    (void)ctx;
    const char *names[] = {"x0", "x1", "x2", "n", "c"};
    const char *cats[] = {"a", "b", "c"};
    double v = 0;
    for (int i = 0; i < 5; i++) {
        double t0 = now();
        if (i < 3) v += hpo_suggest_float(t, names[i], -5, 5, 0);
        else if (i == 3) v += (double)hpo_suggest_int(t, names[i], 1, 100, 0);
        else v += (double)(hpo_suggest_categorical_str(t, names[i], cats, 3)[0]);
        if (g_ns < MAXS) g_sug[g_ns++] = now() - t0;
    }
    for (int s = 0; s < 5; s++) {
        double t0 = now();
        hpo_report(t, s, v / (s + 1));
        (void)hpo_should_prune(t);
        if (g_nr < MAXS) g_rep[g_nr++] = now() - t0;
    }
    return v;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int64_t trials = argc > 1 ? atoll(argv[1]) : 5000;
    const char *sampler = argc > 2 ? argv[2] : "random";
    const char *pruner = argc > 3 ? argv[3] : "none";
    int judged = strcmp(pruner, "none") != 0;
    if (size < 2) {
        if (rank == 0) fprintf(stderr, "bench_coord: run with at least 2 ranks\n");
        MPI_Finalize();
        return 2;
    }
    double t0 = now(), wall = 0;
    if (rank == 0) {
        hpo_study *s = NULL;
        hpo_study_create(&s);
        hpo_study_set_seed(s, 1);
        hpo_study_set_sampler(s, sampler);
        hpo_study_set_pruner(s, pruner);
        hpo_study_set_log(s, NULL);
        hpo_coord_opts o = {.n_trials = trials, .timeout_s = 0, .progress = NULL};
        if (hpo_mpi_coordinate(s, MPI_COMM_WORLD, &o, NULL) != HPO_OK) {
            fprintf(stderr, "bench_coord: %s\n", hpo_error_message());
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        wall = now() - t0;
        hpo_study_destroy(&s);
    } else {
        if (hpo_mpi_work(MPI_COMM_WORLD, objective, NULL) != HPO_OK) MPI_Abort(MPI_COMM_WORLD, 1);
    }
    /* Gather the workers' round-trip samples on rank 0 (rank 0 sends none). */
    int ns = (int)g_ns, nr = (int)g_nr;
    int *cs = rank == 0 ? calloc((size_t)size, sizeof *cs) : NULL, *cr = rank == 0 ? calloc((size_t)size, sizeof *cr) : NULL;
    MPI_Gather(&ns, 1, MPI_INT, cs, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Gather(&nr, 1, MPI_INT, cr, 1, MPI_INT, 0, MPI_COMM_WORLD);
    int *ds = NULL, *dr = NULL, ts = 0, tr = 0;
    double *as = NULL, *ar = NULL;
    if (rank == 0) {
        ds = calloc((size_t)size, sizeof *ds); dr = calloc((size_t)size, sizeof *dr);
        for (int i = 0; i < size; i++) { ds[i] = ts; ts += cs[i]; dr[i] = tr; tr += cr[i]; }
        as = malloc(((size_t)ts + 1) * sizeof *as); ar = malloc(((size_t)tr + 1) * sizeof *ar);
    }
    MPI_Gatherv(g_sug, ns, MPI_DOUBLE, as, cs, ds, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    MPI_Gatherv(g_rep, nr, MPI_DOUBLE, ar, cr, dr, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        qsort(as, (size_t)ts, sizeof *as, cmp);
        qsort(ar, (size_t)tr, sizeof *ar, cmp);
        /* per trial: ask + trial, 5 x (suggest + value), 5 x (report + prune) or 5 notes, finish + ack */
        double msgs = (double)trials * (judged ? 24.0 : 19.0);
        printf("%7d %8lld %8.2f %10.0f %12.0f %10.1f %10.1f %10.1f %10.1f\n", size - 1, (long long)trials, wall,
               (double)trials / wall, msgs / wall, 1e6 * as[ts / 2], 1e6 * as[(size_t)(0.99 * ts)],
               1e6 * ar[tr / 2], 1e6 * ar[(size_t)(0.99 * tr)]);
        free(as); free(ar); free(ds); free(dr); free(cs); free(cr);
    }
    MPI_Finalize();
    return 0;
}
