/* hpo_mpi.h - a study over MPI: rank 0 coordinates, ranks 1..size-1 train.
 *
 * The coordinator owns the study (sampler, pruner, history, log, hooks such
 * as the checkpoint); each worker loops: ask for a trial, run the objective,
 * and every hpo_suggest_* / hpo_report it makes is a message to rank 0 and
 * its answer. The objective code is the same as on one process; only the
 * trial's backend differs. Both calls are collective over comm (every rank
 * calls one of them) and return only when every worker has been told to stop. */
#ifndef HPO_MPI_H
#define HPO_MPI_H

#include <mpi.h>
#include <stdio.h>

#include "study_impl.h"

typedef struct hpo_coord_opts {
    int64_t n_trials;      /* trials to hand out (counted when handed out); 0 = no limit */
    double  timeout_s;     /* stop handing out after this long; 0 = none */
    FILE   *progress;      /* a terminal for the progress line, or NULL */
    FILE   *log;           /* where to say why the study stopped early, or NULL */
    double  stop_grace_s;  /* after a stop request, wait this long for running trials (0: 20 s) */
} hpo_coord_opts;

/* Rank 0. Returns HPO_OK, or the first usage error an objective made (the
 * study then stops handing out trials), or a hook's failure, or HPO_ESTOP
 * after a stop request (hpo_request_stop: a signal on any rank): no new
 * trials, running ones are told to stop at their next report and recorded
 * FAIL "interrupted". Trials still running after the grace period are
 * recorded so without their worker; *stuck (may be NULL) then counts the
 * workers that never answered, and the caller must MPI_Abort. */
hpo_status hpo_mpi_coordinate(hpo_study *s, MPI_Comm comm, const hpo_coord_opts *o, int *stuck);

/* Ranks 1..size-1: run trials until told to stop. */
hpo_status hpo_mpi_work(MPI_Comm comm, hpo_objective f, void *ctx);

#endif
