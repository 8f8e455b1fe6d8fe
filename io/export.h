/* export.h - a study read whole from its checkpoint without disturbing a
 * writer (the snapshot `show`, `export` and `report` work from), and its
 * trials written as CSV like Optuna's trials_dataframe() (docs/report.md).
 * Rank 0 or any process; not collective. */
#ifndef HPO_EXPORT_H
#define HPO_EXPORT_H

#include <stdio.h>
#include "ckpt.h"

typedef struct hpo_snapshot {
    hpo_ckpt_meta   meta;          /* owned copies */
    hpo_trial_rec **trials;        /* (n) by trial number, owned */
    size_t          n;
    char            integrity[512];/* hpo_ckpt_validate's one-line report */
    int             intact;        /* 1: validate said ok */
} hpo_snapshot;

/* hpo_snapshot_load - open path read-only (hpo_ckpt_open_readonly: no lock,
 * no repair), read meta and every trial, run hpo_ckpt_validate. A study
 * being written may be caught between two HDF5 flushes: a format error is
 * retried a few times (~0.3 s in all) before it is reported. HPO_EINVAL
 * missing file, HPO_EFORMAT foreign/damaged, HPO_EIO; *s zeroed on failure. */
hpo_status hpo_snapshot_load(const char *path, hpo_snapshot *s);
void       hpo_snapshot_clear(hpo_snapshot *s);

/* hpo_snapshot_best - the best COMPLETE trial with a finite value, or NULL. */
const hpo_trial_rec *hpo_snapshot_best(const hpo_snapshot *s);

/* hpo_snapshot_param_names - every parameter name used by any trial, sorted
 * (strcmp); *names (hpo_free the array only) points into the records. */
hpo_status hpo_snapshot_param_names(const hpo_snapshot *s, const char ***names, size_t *n);

/* hpo_export_csv - one row per trial, in number order. Columns: number,
 * value, datetime_start, datetime_complete, duration (seconds), one
 * params_<name> per parameter (sorted; empty where the trial never asked),
 * state, worker, fail_reason. Times are UTC "YYYY-MM-DD HH:MM:SS.ffffff";
 * fields are quoted per RFC 4180 when they need it. HPO_EIO on a write
 * error (what was written stays). */
hpo_status hpo_export_csv(const hpo_snapshot *s, FILE *out);

/* hpo_export_intermediate_csv - long form: trial,step,value, one row per
 * reported value, trials in number order, steps in report order. */
hpo_status hpo_export_intermediate_csv(const hpo_snapshot *s, FILE *out);

/* CSV helpers shared with the report. */
void hpo_csv_field(FILE *out, const char *s);          /* quoted if it needs it */
/* "2024-05-01 12:00:03.250000" (UTC), "" for NaN; returns buf. */
char *hpo_format_time(double t, char *buf, size_t n);

#endif
