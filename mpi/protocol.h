/* protocol.h - every message between the coordinator (rank 0) and a worker.
 *
 * Plain point-to-point messages on the study's communicator; each request
 * from a worker gets exactly one answer, so a worker never has more than one
 * request in flight and the coordinator never queues answers. A NOTE (a
 * report the pruner need not judge: pruner.h, next_check) gets no answer;
 * MPI keeps a worker's messages in order, so rank 0 has every NOTE of a
 * trial before its next REPORT or its FINISH. (Sent one by one, not
 * gathered: rank 0 records them while the worker trains, where a batch at
 * the trial's end would make the worker wait for them.) Nothing else in
 * mpi/ writes a bare tag number. Fixed-size structs go as MPI_BYTE (all ranks
 * run the same binary on the same kind of node); a suggest carries a packed
 * distribution of variable length (see hpo_msg_pack_suggest). */
#ifndef HPO_PROTOCOL_H
#define HPO_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "space.h"

enum hpo_tag {             /* sender -> receiver: payload; answer */
    HPO_TAG_ASK = 1,       /* W -> C: one int, the signal that stops this worker or 0;
                                                          HPO_TAG_TRIAL or HPO_TAG_STOP */
    HPO_TAG_TRIAL,         /* C -> W: hpo_msg_trial;      -- */
    HPO_TAG_STOP,          /* C -> W: none (one int): no more trials, leave the loop */
    HPO_TAG_SUGGEST,       /* W -> C: packed suggest;     HPO_TAG_VALUE */
    HPO_TAG_VALUE,         /* C -> W: hpo_msg_value (status, value or error text) */
    HPO_TAG_REPORT,        /* W -> C: hpo_msg_report;     HPO_TAG_PRUNE */
    HPO_TAG_PRUNE,         /* C -> W: hpo_msg_prune (status, prune 0/1) */
    HPO_TAG_FINISH,        /* W -> C: hpo_msg_finish;     HPO_TAG_ACK, sent after the trial is recorded */
    HPO_TAG_ACK,           /* C -> W: one int (status) */
    HPO_TAG_NOTE,          /* W -> C: hpo_msg_report, a step before next_check;  -- */
};

const char *hpo_tag_name(int tag);

/* Did the launcher (mpirun, orted, slurmstepd) that started this rank die?
 * Ranks whose mpirun was killed -9 would otherwise go on alone: rank 0 then
 * stops the study, a waiting worker leaves. hpo_parent_watch() records the
 * parent at start; hpo_parent_gone() is cheap (getppid). */
void hpo_parent_watch(void);
int  hpo_parent_gone(void);

/* Seconds on the monotonic clock (waits, timeouts, progress). */
double hpo_mono(void);

#define HPO_MSG_TEXT 512   /* error texts and fail reasons are cut to this */

typedef struct hpo_msg_trial {
    int64_t  number;       /* trial number */
    uint64_t seed;         /* hpo_trial_seed() */
    int64_t  next_check;   /* reports at smaller steps go as NOTEs */
} hpo_msg_trial;

typedef struct hpo_msg_value {
    int32_t  status;       /* hpo_status; HPO_OK: v holds the value */
    hpo_pval v;
    char     error[HPO_MSG_TEXT];
} hpo_msg_value;

typedef struct hpo_msg_report {
    int64_t number, step;
    double  value;
} hpo_msg_report;

typedef struct hpo_msg_prune {
    int32_t status;        /* hpo_status */
    int32_t prune;         /* 1: stop the trial */
    int32_t stop_signal;   /* not 0: the study is stopping (this signal); the trial is interrupted */
    int64_t next_check;    /* kept: reports at smaller steps go as NOTEs */
    char    error[HPO_MSG_TEXT];
} hpo_msg_prune;

typedef struct hpo_msg_finish {
    int64_t number;
    int32_t state;         /* hpo_state: COMPLETE, PRUNED or FAIL */
    int32_t usage_error;   /* hpo_status of a bad definition (the study stops), or 0 */
    double  value;
    char    reason[HPO_MSG_TEXT];   /* FAIL: why */
} hpo_msg_finish;

/* A suggest: trial number, parameter name and distribution, packed into one
 * malloc'd buffer (*buf, *len). Returns 0 on no memory. */
int hpo_msg_pack_suggest(int64_t number, const char *name, const hpo_dist *d, char **buf, size_t *len);
/* Unpack into name (owned by the buffer) and d (hpo_dist_clear it). Returns
 * 0 if the buffer is malformed or memory runs out. */
int hpo_msg_unpack_suggest(const char *buf, size_t len, int64_t *number, const char **name, hpo_dist *d);

#endif
