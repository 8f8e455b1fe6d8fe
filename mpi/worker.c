/* worker.c - a worker rank's loop and the trial backend that turns each
 * hpo_suggest_* / hpo_report into a message to rank 0 and waits for the
 * answer. hpo_should_prune answers from the last report's reply: the
 * coordinator judges a trial when it reports, as Optuna's pruners do. */
#include "hpo_mpi.h"

#include <inttypes.h>
#include <sched.h>
#include <time.h>
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "protocol.h"

typedef struct worker {
    MPI_Comm comm;
    int      rank;
    int      prune;          /* the answer to the last report */
    int64_t  next_check;     /* reports at smaller steps need no answer (NOTE) */
    double   last_sync;      /* when rank 0 last answered a report or gave the trial */
    int64_t  last_step;      /* the trial's largest step reported so far (-1: none) */
    char   **warned;         /* parameters already warned about, on this rank */
    size_t   n_warned;
} worker;

#define MPI_TRY(call) do { int rc_ = (call); if (rc_ != MPI_SUCCESS) { \
    char e_[MPI_MAX_ERROR_STRING]; int l_ = 0; MPI_Error_string(rc_, e_, &l_); \
    HPO_FAIL(HPO_EMPI, "%s failed: %s", #call, e_); } } while (0)

/* Waiting for rank 0 without spinning a core away. A blocking MPI_Recv
 * busy-polls unless Open MPI knows it is oversubscribed (cluster-notes.md),
 * and a waiting worker must leave the core to rank 0 and the trainers.
 * wait_step is one step of the wait: yield a few dozen times, then sleep
 * from 10 us growing to 200 us. Returns 0 if the launcher is gone (nobody
 * will answer). */
static int wait_step(int spins, long *ns)
{
    if (spins < 64) { sched_yield(); return 1; }
    if ((spins & 1023) == 0 && hpo_parent_gone()) return 0;
    *ns = *ns ? (*ns < 200000 ? 2 * *ns : 200000) : 10000;
    struct timespec ts = {0, *ns};
    nanosleep(&ts, NULL);
    return 1;
}

/* Receive one answer from rank 0. */
static int recv_wait(void *buf, int count, MPI_Datatype type, int tag, MPI_Comm comm)
{
    MPI_Request req;
    int rc = MPI_Irecv(buf, count, type, 0, tag, comm, &req);
    long ns = 0;
    for (int spins = 0; rc == MPI_SUCCESS; spins++) {
        int done = 0;
        rc = MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || done) return rc;
        if (!wait_step(spins, &ns)) return MPI_ERR_OTHER;
    }
    return rc;
}

/* The same for an answer whose tag is not known yet (TRIAL or STOP). */
static int probe_wait(MPI_Comm comm, MPI_Status *ms)
{
    long ns = 0;
    for (int spins = 0;; spins++) {
        int flag = 0;
        int rc = MPI_Iprobe(0, MPI_ANY_TAG, comm, &flag, ms);
        if (rc != MPI_SUCCESS || flag) return rc;
        if (!wait_step(spins, &ns)) return MPI_ERR_OTHER;
    }
}

static hpo_status w_suggest(void *ctx, hpo_trial_rec *rec, const char *name, const hpo_dist *d, hpo_pval *out)
{
    worker *w = ctx;
    char *buf; size_t len;
    HPO_CHECK(hpo_msg_pack_suggest(rec->number, name, d, &buf, &len), HPO_ENOMEM, "out of memory packing '%s'", name);
    int rc = MPI_Send(buf, (int)len, MPI_BYTE, 0, HPO_TAG_SUGGEST, w->comm);
    hpo_free(buf);
    HPO_CHECK(rc == MPI_SUCCESS, HPO_EMPI, "rank %d: sending a suggest failed", w->rank);
    hpo_msg_value ans;
    MPI_TRY(recv_wait(&ans, sizeof ans, MPI_BYTE, HPO_TAG_VALUE, w->comm));
    HPO_CHECK(ans.status == HPO_OK, (hpo_status)ans.status, "%s", ans.error);
    *out = ans.v;
    return HPO_OK;
}

/* A report before next_check goes as a NOTE and the objective goes on
 * without waiting (the pruner would keep the trial and change nothing): a
 * worker training short epochs would otherwise wait for rank 0 after each
 * one. At least once a second a report waits for its answer anyway, which
 * is how a stopping study reaches a trial that is never judged. */
static hpo_status w_report(void *ctx, hpo_trial_rec *rec, int64_t step, double value)
{
    worker *w = ctx;
    hpo_msg_report m = {rec->number, step, value};
    int rep, dec;
    /* only a step past every earlier one: a repeated or earlier step may be
     * judged afresh against a history that has grown (median, percentile) */
    int note = step > w->last_step && step < w->next_check && hpo_mono() - w->last_sync < 1.0;
    if (step > w->last_step) w->last_step = step;
    if (note) {
        MPI_TRY(MPI_Send(&m, sizeof m, MPI_BYTE, 0, HPO_TAG_NOTE, w->comm));
        HPO_TRY(hpo_rec_add_report(rec, step, value, &rep, &dec));
        return HPO_OK;
    }
    MPI_TRY(MPI_Send(&m, sizeof m, MPI_BYTE, 0, HPO_TAG_REPORT, w->comm));
    hpo_msg_prune ans;
    MPI_TRY(recv_wait(&ans, sizeof ans, MPI_BYTE, HPO_TAG_PRUNE, w->comm));
    HPO_CHECK(ans.status == HPO_OK, (hpo_status)ans.status, "%s", ans.error);
    w->prune = ans.prune;
    w->next_check = ans.next_check;
    w->last_sync = hpo_mono();
    if (ans.stop_signal) rec->interrupted = ans.stop_signal;
    /* Keep a local copy too, so a pruned trial's value is known here. */
    HPO_TRY(hpo_rec_add_report(rec, step, value, &rep, &dec));
    return HPO_OK;
}

static hpo_status w_should_prune(void *ctx, hpo_trial_rec *rec, int *prune)
{
    worker *w = ctx;
    if (hpo_stop_requested()) rec->interrupted = hpo_stop_requested();   /* a signal to this rank */
    *prune = w->prune || rec->interrupted;
    return HPO_OK;
}

static void w_warn(void *ctx, const char *param, const char *msg)
{
    worker *w = ctx;
    for (size_t i = 0; i < w->n_warned; i++)
        if (strcmp(w->warned[i], param) == 0) return;
    fprintf(stderr, "mpihpo: warning (rank %d): %s\n", w->rank, msg);
    char **nw = hpo_realloc(w->warned, (w->n_warned + 1) * sizeof *nw);
    if (!nw) return;
    w->warned = nw;
    if ((nw[w->n_warned] = hpo_strdup(param))) w->n_warned++;
}

static const hpo_trial_backend k_worker = {w_suggest, w_report, w_should_prune, w_warn};

static hpo_status run_one(worker *w, const hpo_msg_trial *m, hpo_objective f, void *ctx)
{
    hpo_trial_rec *rec;
    HPO_TRY(hpo_rec_create(m->number, &rec));
    rec->seed = m->seed;
    rec->worker = w->rank;
    hpo_trial t;
    memset(&t, 0, sizeof t);
    t.be = &k_worker;
    t.ctx = w;
    t.rec = rec;
    w->prune = 0;
    w->next_check = m->next_check;
    w->last_sync = hpo_mono();
    w->last_step = -1;
    double v = f(&t, ctx);

    hpo_state state; double value; const char *reason; char buf[128];
    hpo_trial_outcome(&t, v, &state, &value, &reason, buf, sizeof buf);
    hpo_msg_finish fin;
    memset(&fin, 0, sizeof fin);
    fin.number = m->number;
    fin.state = state;
    fin.value = value;
    fin.usage_error = t.error;
    if (reason) snprintf(fin.reason, sizeof fin.reason, "%s", reason);
    hpo_trial_release(&t);
    hpo_rec_destroy(&rec);
    if (t.error == HPO_EMPI) return hpo_error_raise(HPO_EMPI, __FILE__, __LINE__, __func__, "%s", fin.reason);
    MPI_TRY(MPI_Send(&fin, sizeof fin, MPI_BYTE, 0, HPO_TAG_FINISH, w->comm));
    int ack;
    MPI_TRY(recv_wait(&ack, 1, MPI_INT, HPO_TAG_ACK, w->comm));
    return HPO_OK;
}

hpo_status hpo_mpi_work(MPI_Comm comm, hpo_objective f, void *ctx)
{
    worker w;
    memset(&w, 0, sizeof w);
    w.comm = comm;
    MPI_TRY(MPI_Comm_rank(comm, &w.rank));
    hpo_parent_watch();
    hpo_status st = HPO_OK;
    for (;;) {
        int ask = hpo_stop_requested();      /* a signal here stops the whole study */
        if (MPI_Send(&ask, 1, MPI_INT, 0, HPO_TAG_ASK, comm) != MPI_SUCCESS) {
            st = hpo_error_raise(HPO_EMPI, __FILE__, __LINE__, __func__, "rank %d: asking for a trial failed", w.rank);
            break;
        }
        MPI_Status ms;
        int count;
        if (probe_wait(comm, &ms) != MPI_SUCCESS) { st = HPO_EMPI; break; }
        MPI_Get_count(&ms, MPI_BYTE, &count);
        if (ms.MPI_TAG == HPO_TAG_STOP) {
            int none;
            MPI_Recv(&none, 1, MPI_INT, 0, HPO_TAG_STOP, comm, MPI_STATUS_IGNORE);
            break;
        }
        hpo_msg_trial m;
        if (ms.MPI_TAG != HPO_TAG_TRIAL || count != (int)sizeof m) {
            st = hpo_error_raise(HPO_EFORMAT, __FILE__, __LINE__, __func__, "rank %d: unexpected %s message",
                                 w.rank, hpo_tag_name(ms.MPI_TAG));
            break;
        }
        MPI_Recv(&m, sizeof m, MPI_BYTE, 0, HPO_TAG_TRIAL, comm, MPI_STATUS_IGNORE);
        if ((st = run_one(&w, &m, f, ctx)) != HPO_OK) break;
    }
    for (size_t i = 0; i < w.n_warned; i++) hpo_free(w.warned[i]);
    hpo_free(w.warned);
    return st;
}
