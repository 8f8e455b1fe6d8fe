/* coordinator.c - rank 0's loop: serve every worker's requests in turn.
 *
 * Waiting: MPI_Iprobe over the workers in round-robin order (so no worker is
 * starved); while nothing arrives, first sched_yield a few dozen times, then
 * sleep from 10 us growing to 1 ms. Open MPI spins inside blocking calls unless it knows it is
 * oversubscribed (cluster-notes.md), and rank 0 must not steal a core from
 * the trainers. Every request gets one answer; the budget is counted when a
 * trial is handed out, so no trial beyond it is ever started. */
#include "hpo_mpi.h"

#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "error.h"
#include "protocol.h"

#ifndef IDLE_MAX_NS
#define IDLE_MAX_NS 1000000L   /* the longest nap between probes */
#endif

static void nap(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

#define MPI_TRY(call) do { int rc_ = (call); if (rc_ != MPI_SUCCESS) { \
    char e_[MPI_MAX_ERROR_STRING]; int l_ = 0; MPI_Error_string(rc_, e_, &l_); \
    HPO_FAIL(HPO_EMPI, "%s failed: %s", #call, e_); } } while (0)

typedef struct coord {
    hpo_study *s;
    MPI_Comm   comm;
    int        size;
    hpo_trial_rec **running;   /* (size) the trial each worker runs, or NULL */
    int64_t    handed, budget;
    int        stop;           /* hand out no more trials */
    hpo_status usage;          /* first usage error from an objective */
    char       usage_msg[HPO_MSG_TEXT];
    int64_t    done, pruned, failed;
    FILE      *log;            /* the study's log, for the stop message */
} coord;

static hpo_trial_rec *trial_of(coord *c, int src, int64_t number)
{
    hpo_trial_rec *r = c->running[src];
    return (r && r->number == number) ? r : NULL;
}

/* "trial 17 on rank 2, trial 18 on rank 1" */
static void running_list(const coord *c, char *b, size_t cap)
{
    size_t len = 0;
    b[0] = '\0';
    for (int i = 1; i < c->size && len < cap; i++) {
        if (!c->running[i]) continue;
        len += (size_t)snprintf(b + len, cap - len, "%strial %" PRId64 " on rank %d", len ? ", " : "",
                                c->running[i]->number, i);
    }
    if (!len) snprintf(b, cap, "none");
}

static void progress(const coord *c, FILE *f, double t0)
{
    if (!f) return;
    int run = 0;
    for (int i = 1; i < c->size; i++) run += c->running[i] != NULL;
    const hpo_trial_rec *b = hpo_study_best_trial(c->s);
    char best[48] = "-";
    if (b) snprintf(best, sizeof best, "%.6f", hpo_rec_value(b));
    fprintf(f, "\r\033[K[%" PRId64 "/%" PRId64 " done, %d running, %" PRId64 " pruned, %" PRId64
            " failed, best %s, %.1f s]", c->done, c->budget, run, c->pruned, c->failed, best, hpo_mono() - t0);
    fflush(f);
}

static hpo_status on_ask(coord *c, int src, int timed_out)
{
    if (!c->stop && (c->budget == 0 || c->handed < c->budget) && !timed_out) {
        hpo_trial_rec *r;
        hpo_status st = hpo_study_trial_start(c->s, src, &r);
        if (st == HPO_EDONE) {           /* e.g. the grid is used up: no more trials */
            if (c->log) fprintf(c->log, "The study stops: %s.\n", hpo_error_message());
            hpo_error_clear();
            c->stop = 1;
            goto stop;
        }
        HPO_TRY(st);
        c->running[src] = r;
        c->handed++;
        hpo_msg_trial m = {r->number, r->seed, hpo_study_next_check(c->s, r)};
        MPI_TRY(MPI_Send(&m, sizeof m, MPI_BYTE, src, HPO_TAG_TRIAL, c->comm));
        return HPO_OK;
    }
stop:;
    int none = 0;
    MPI_TRY(MPI_Send(&none, 1, MPI_INT, src, HPO_TAG_STOP, c->comm));
    return HPO_OK;
}

static hpo_status on_suggest(coord *c, int src, const char *buf, size_t len)
{
    hpo_msg_value ans;
    memset(&ans, 0, sizeof ans);
    int64_t number; const char *name; hpo_dist d;
    if (!hpo_msg_unpack_suggest(buf, len, &number, &name, &d)) {
        ans.status = HPO_EFORMAT;
        snprintf(ans.error, sizeof ans.error, "malformed suggest message from rank %d", src);
    } else {
        hpo_trial_rec *r = trial_of(c, src, number);
        hpo_status st = r ? hpo_study_suggest(c->s, r, name, &d, &ans.v)
                          : hpo_error_raise(HPO_ESTATE, __FILE__, __LINE__, __func__,
                                            "rank %d asked for '%s' of trial %" PRId64 ", which it does not run",
                                            src, name, number);
        ans.status = st;
        if (st != HPO_OK) snprintf(ans.error, sizeof ans.error, "%s", hpo_error_message());
        hpo_dist_clear(&d);
    }
    MPI_TRY(MPI_Send(&ans, sizeof ans, MPI_BYTE, src, HPO_TAG_VALUE, c->comm));
    return HPO_OK;
}

static hpo_status on_report(coord *c, int src, const hpo_msg_report *m)
{
    hpo_msg_prune ans;
    memset(&ans, 0, sizeof ans);
    hpo_trial_rec *r = trial_of(c, src, m->number);
    hpo_status st = HPO_ESTATE;
    if (!r) {
        hpo_error_raise(HPO_ESTATE, __FILE__, __LINE__, __func__,
                        "rank %d reported for trial %" PRId64 ", which it does not run", src, m->number);
    } else if ((st = hpo_study_report(c->s, r, m->step, m->value)) == HPO_OK) {
        int prune = 0;
        st = hpo_study_should_prune(c->s, r, &prune);   /* marks r interrupted if stopping */
        ans.prune = prune;
        ans.stop_signal = r->interrupted;
        if (st == HPO_OK && !prune) ans.next_check = hpo_study_next_check(c->s, r);
    }
    ans.status = st;
    if (st != HPO_OK) snprintf(ans.error, sizeof ans.error, "%s", hpo_error_message());
    MPI_TRY(MPI_Send(&ans, sizeof ans, MPI_BYTE, src, HPO_TAG_PRUNE, c->comm));
    return HPO_OK;
}

/* A report the pruner need not judge: recorded, not answered. A worker
 * sends one only for the trial it runs and a step >= 0, so a failure here
 * is the coordinator's own (out of memory) and ends the study. */
static hpo_status on_note(coord *c, int src, const hpo_msg_report *m)
{
    hpo_trial_rec *r = trial_of(c, src, m->number);
    HPO_CHECK(r, HPO_ESTATE, "rank %d reported for trial %" PRId64 ", which it does not run", src, m->number);
    return hpo_study_report(c->s, r, m->step, m->value);
}

static hpo_status on_finish(coord *c, int src, const hpo_msg_finish *m)
{
    hpo_trial_rec *r = trial_of(c, src, m->number);
    int ack = HPO_OK;
    if (r) {
        char reason[HPO_MSG_TEXT];
        snprintf(reason, sizeof reason, "%s", m->reason);
        /* The record is on disk (on_finish hook) before the ACK goes out. */
        HPO_TRY(hpo_study_trial_finish(c->s, r, (hpo_state)m->state, m->value, reason));
        c->running[src] = NULL;
        c->done++;
        c->pruned += m->state == HPO_PRUNED;
        c->failed += m->state == HPO_FAIL;
        if (m->usage_error && c->usage == HPO_OK) {
            c->usage = (hpo_status)m->usage_error;
            snprintf(c->usage_msg, sizeof c->usage_msg, "%s", m->reason);
            c->stop = 1;
        }
    } else {
        ack = HPO_ESTATE;
    }
    MPI_TRY(MPI_Send(&ack, 1, MPI_INT, src, HPO_TAG_ACK, c->comm));
    return HPO_OK;
}

hpo_status hpo_mpi_coordinate(hpo_study *s, MPI_Comm comm, const hpo_coord_opts *o, int *stuck)
{
    coord c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.comm = comm;
    c.budget = o->n_trials;
    c.log = o->log;
    MPI_TRY(MPI_Comm_size(comm, &c.size));
    HPO_TRY(hpo_study_setup(s));
    c.running = hpo_calloc((size_t)c.size, sizeof *c.running);
    HPO_CHECK(c.running, HPO_ENOMEM, "out of memory for %d workers", c.size);

    hpo_status st = HPO_OK;
    char *buf = NULL;
    size_t cap = 0;
    int active = c.size - 1, next = 1;
    long idle_ns = 0;
    int idle = 0;
    double t0 = hpo_mono(), last_progress = 0;
    double stop_t = 0, grace = o->stop_grace_s > 0 ? o->stop_grace_s : 20.0, last_parent_check = t0;
    hpo_parent_watch();
    if (stuck) *stuck = 0;
    while (active > 0) {
        if (hpo_stop_requested() && !stop_t) {
            /* A stop request (SIGTERM, SIGUSR1, ... on any rank): no new
             * trials; the running ones end at their next report. */
            stop_t = hpo_mono();
            c.stop = 1;
            char list[2048];
            running_list(&c, list, sizeof list);
            fprintf(stderr, "\nmpihpo: stopping on signal %d: no new trials; running trials are interrupted at their next report: %s\n",
                    hpo_stop_requested(), list);
        }
        if (stop_t && hpo_mono() - stop_t > grace) {
            /* Workers still computing past the grace period: record their
             * trials as interrupted and leave (the caller aborts them). */
            for (int i = 1; i < c.size; i++) {
                hpo_trial_rec *r = c.running[i];
                if (!r) continue;
                char why[160];
                snprintf(why, sizeof why, "interrupted (the study was stopped by signal %d; rank %d did not stop in %.0f s)",
                         hpo_stop_requested(), i, grace);
                if ((st = hpo_study_trial_finish(s, r, HPO_FAIL, NAN, why)) != HPO_OK) goto out;
                c.running[i] = NULL;
                if (stuck) (*stuck)++;
            }
            break;
        }
        int flag = 0, src = -1;
        MPI_Status ms;
        for (int k = 0; k < c.size - 1 && !flag; k++) {        /* round robin over workers */
            int r = 1 + (next - 1 + k) % (c.size - 1);
            if (MPI_Iprobe(r, MPI_ANY_TAG, comm, &flag, &ms) != MPI_SUCCESS) {
                st = hpo_error_raise(HPO_EMPI, __FILE__, __LINE__, __func__, "MPI_Iprobe failed");
                goto out;
            }
            if (flag) src = r;
        }
        if (!flag) {
            /* Just after a message the next one usually follows within
             * microseconds (a worker's next suggest): yield the core for a
             * short while first, then sleep longer and longer. */
            if (++idle < 64) { sched_yield(); continue; }
            if (hpo_mono() - last_parent_check > 1.0) {
                last_parent_check = hpo_mono();
                if (!hpo_stop_requested() && hpo_parent_gone()) {
                    fprintf(stderr, "mpihpo: the launcher (mpirun/srun) is gone; stopping the study\n");
                    hpo_request_stop(SIGHUP);
                }
            }
            idle_ns = idle_ns ? (idle_ns < IDLE_MAX_NS ? idle_ns * 2 : IDLE_MAX_NS) : 10000;
            nap(idle_ns);
            continue;
        }
        idle_ns = 0;
        idle = 0;
        next = src % (c.size - 1) + 1;
        int count = 0;
        MPI_Get_count(&ms, MPI_BYTE, &count);
        if ((size_t)count + 1 > cap) {
            char *nb = hpo_realloc(buf, (size_t)count + 1);
            if (!nb) { st = hpo_error_raise(HPO_ENOMEM, __FILE__, __LINE__, __func__, "out of memory for a message"); goto out; }
            buf = nb;
            cap = (size_t)count + 1;
        }
        if (MPI_Recv(buf, count, MPI_BYTE, src, ms.MPI_TAG, comm, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            st = hpo_error_raise(HPO_EMPI, __FILE__, __LINE__, __func__, "MPI_Recv from rank %d failed", src);
            goto out;
        }
        int timed_out = o->timeout_s > 0 && hpo_mono() - t0 >= o->timeout_s;
        if (timed_out && !c.stop) {
            if (c.log) fprintf(c.log, "The study stops: its timeout of %g s is reached.\n", o->timeout_s);
            c.stop = 1;
        }
        switch (ms.MPI_TAG) {
        case HPO_TAG_ASK:
            if ((size_t)count == sizeof(int) && *(const int *)buf) hpo_request_stop(*(const int *)buf);
            if (hpo_stop_requested()) c.stop = 1;
            st = on_ask(&c, src, timed_out);
            if (st == HPO_OK && !c.running[src]) active--;
            break;
        case HPO_TAG_SUGGEST: st = on_suggest(&c, src, buf, (size_t)count); break;
        case HPO_TAG_REPORT:
            if ((size_t)count != sizeof(hpo_msg_report)) { st = hpo_error_raise(HPO_EFORMAT, __FILE__, __LINE__, __func__, "bad REPORT size from rank %d", src); break; }
            st = on_report(&c, src, (const hpo_msg_report *)buf);
            break;
        case HPO_TAG_NOTE:
            if ((size_t)count != sizeof(hpo_msg_report)) { st = hpo_error_raise(HPO_EFORMAT, __FILE__, __LINE__, __func__, "bad NOTE size from rank %d", src); break; }
            st = on_note(&c, src, (const hpo_msg_report *)buf);
            break;
        case HPO_TAG_FINISH:
            if ((size_t)count != sizeof(hpo_msg_finish)) { st = hpo_error_raise(HPO_EFORMAT, __FILE__, __LINE__, __func__, "bad FINISH size from rank %d", src); break; }
            st = on_finish(&c, src, (const hpo_msg_finish *)buf);
            if (o->progress && hpo_mono() - last_progress > 0.5) { progress(&c, o->progress, t0); last_progress = hpo_mono(); }
            break;
        default:
            st = hpo_error_raise(HPO_EFORMAT, __FILE__, __LINE__, __func__,
                                 "unexpected message %s from rank %d", hpo_tag_name(ms.MPI_TAG), src);
        }
        if (st != HPO_OK) goto out;
    }
    if (o->progress) { progress(&c, o->progress, t0); fputc('\n', o->progress); }
    if (c.usage != HPO_OK) st = hpo_error_raise(c.usage, __FILE__, __LINE__, __func__, "%s", c.usage_msg);
    else if (hpo_stop_requested())
        st = hpo_error_raise(HPO_ESTOP, __FILE__, __LINE__, __func__, "the study was stopped by signal %d",
                             hpo_stop_requested());
out:
    hpo_free(buf);
    hpo_free(c.running);
    return st;
}
