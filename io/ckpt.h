/* ckpt.h - the HDF5 checkpoint: every trial of a study in one file, appended
 * as it happens, flushed before the next trial is handed out, read back to
 * resume. Layout, absence of parameters and the crash story: docs/checkpoint.md.
 *
 * Rank 0 only (not collective). src/ never includes hdf5.h; this header does
 * not either. Life cycle: create or open -> read_meta / read_trials ->
 * trial_started / trial_finished ... -> close(&ck).
 *
 * Errors: HPO_EINVAL bad argument or the file already exists (create);
 * HPO_EFORMAT not an HDF5 file, not an mpihpo checkpoint, a newer format, a
 * truncated or damaged file (such a file is never modified); HPO_ESTATE the
 * file is in use by another process (names host and pid); HPO_EIO a failed
 * write; HPO_ENOMEM. */
#ifndef HPO_CKPT_H
#define HPO_CKPT_H

#include <stddef.h>
#include <stdint.h>
#include "mpihpo.h"
#include "rng.h"
#include "space.h"
#include "trial_impl.h"

#define HPO_CKPT_FORMAT_VERSION 1

typedef struct hpo_ckpt hpo_ckpt;

/* Study attributes. For create the caller fills the inputs (borrowed; NULL
 * strings are stored as ""). read_meta fills every field with owned copies,
 * freed by hpo_ckpt_meta_clear. */
typedef struct hpo_ckpt_meta {
    const char   *name;          /* study name */
    hpo_direction direction;
    const char   *sampler;       /* "tpe", "random", "grid" */
    const char   *pruner;        /* "none", "median", ... */
    uint64_t      seed;          /* the seed used (also when drawn at random) */
    int           seeded;        /* 1: the user set it */
    const char   *study_file;    /* the study file's whole text ("" for a C objective) */
    const char   *study_path;    /* where it was read from (data.path is relative to it) */
    int64_t       trials;        /* the study's total budget as run (with --trials); 0: not stored */
    /* read only (set by create/open, returned by read_meta): */
    int32_t       format_version;
    const char   *creator;       /* "mpihpo 0.1.0" */
    double        created, updated; /* seconds since the epoch; updated = last open */
    const char   *holder_host;   /* last process that opened it for writing */
    int64_t       holder_pid;
} hpo_ckpt_meta;

void hpo_ckpt_meta_clear(hpo_ckpt_meta *m);

/* hpo_ckpt_create - create path (refused with HPO_EINVAL if it exists:
 * "use `mpihpo resume FILE` or --resume"), take its lock, write the study
 * attributes and empty tables, flush. On failure nothing is left behind
 * (neither the file nor FILE.lock) and *out is unchanged. */
hpo_status hpo_ckpt_create(const char *path, const hpo_ckpt_meta *meta, hpo_ckpt **out);

/* hpo_ckpt_open - open an existing checkpoint to append to it. Takes
 * FILE.lock (a stale lock of a dead process on this host is taken over with
 * a warning on stderr), checks format and version, then reads and verifies
 * every row (per-row checksums). A torn last row left by a crash (a row
 * whose write had not returned) is dropped; any other damage is
 * HPO_EFORMAT. The file is modified only after all checks passed. */
hpo_status hpo_ckpt_open(const char *path, hpo_ckpt **out);

/* hpo_ckpt_open_readonly - open a checkpoint only to read it (show, export,
 * report), also while another process writes it. Takes no FILE.lock, turns
 * HDF5's own file locking off for this handle, repairs nothing and never
 * writes. Checks format and version like hpo_ckpt_open; rows are checked by
 * hpo_ckpt_read_trials, which ignores a torn last row (a writer may be in the
 * middle of one). trial_started/trial_finished on it are HPO_ESTATE. A
 * missing file is HPO_EINVAL; *out is unchanged on failure. */
hpo_status hpo_ckpt_open_readonly(const char *path, hpo_ckpt **out);

hpo_status hpo_ckpt_read_meta(hpo_ckpt *ck, hpo_ckpt_meta *meta);

/* hpo_ckpt_read_trials - every trial in number order 0, 1, ..., each from its
 * last row. Trials RUNNING at a crash come back RUNNING with the parameters
 * recorded so far (the caller makes them FAIL "interrupted"). The caller owns
 * the array (hpo_free) and the records (hpo_rec_destroy, or adopt them);
 * hpo_ckpt_free_trials frees both. *rng_out (may be NULL) receives the last
 * stored sampler RNG state, *has_rng 1 if there is one. */
hpo_status hpo_ckpt_read_trials(hpo_ckpt *ck, hpo_trial_rec ***recs, size_t *n,
                                hpo_rng *rng_out, int *has_rng);
void       hpo_ckpt_free_trials(hpo_trial_rec **recs, size_t n);

/* hpo_ckpt_trial_started - append a RUNNING row for r (number, seed, start,
 * worker, the parameters suggested and the values reported so far), then
 * flush. May be called again for the same trial later (after its parameters
 * are suggested, so that --retry-interrupted can rerun them; as its curve
 * grows, so that a crash keeps it); the last row wins. sampler_rng may be
 * NULL. Cost: O(parameter names + reports), not O(trials). */
hpo_status hpo_ckpt_trial_started(hpo_ckpt *ck, const hpo_trial_rec *r, const hpo_rng *sampler_rng);

/* hpo_ckpt_trial_finished - append r's final row (state, value, times,
 * worker, fail reason, parameters, intermediate values) and the sampler's
 * RNG state, then H5Fflush. When it returns HPO_OK the trial survives a kill
 * -9 of this process. On failure the file still holds every earlier row
 * (the reader verifies each row's checksum). */
hpo_status hpo_ckpt_trial_finished(hpo_ckpt *ck, const hpo_trial_rec *r, const hpo_rng *sampler_rng);

/* hpo_ckpt_reconcile - resume guard: check that parameter `name` as the
 * study file defines it (d) agrees with every trial read back. A categorical
 * whose choices were only reordered is matched by value: the records' values
 * and distributions are rewritten to d's order. Otherwise HPO_ESTATE naming
 * the parameter, the trial and both definitions (records unchanged). */
hpo_status hpo_ckpt_reconcile(hpo_trial_rec **recs, size_t n, const char *name, const hpo_dist *d);

/* hpo_ckpt_validate - integrity check of a closed or open file (read only,
 * never modifies it): format, every table, every row's checksum. Writes a
 * short report ("ok: 120 trials (118 COMPLETE, ...), 131 rows, 3 parameters")
 * or what is wrong into report. HPO_OK or HPO_EFORMAT/HPO_EIO. */
hpo_status hpo_ckpt_validate(const char *path, char *report, size_t n);

/* Counters for tests and bench: HDF5 calls that write (H5Dwrite,
 * H5Dset_extent, H5Fflush) and rows appended since open. */
typedef struct hpo_ckpt_stats { uint64_t h5_writes, rows, flushes; } hpo_ckpt_stats;
void hpo_ckpt_get_stats(const hpo_ckpt *ck, hpo_ckpt_stats *st);
/* Test hook (SQLite I/O-error style): the n-th HDF5 write call from now
 * fails (n < 0: never). Process-wide. */
void hpo_ckpt_test_fail_write_at(long n);

/* Close: flush, clear the holder, remove FILE.lock. Accepts NULL; sets *ck NULL. */
/* Record a new total budget (resume --trials N, --more N); flushed. */
hpo_status hpo_ckpt_set_trials(hpo_ckpt *ck, int64_t trials);

void hpo_ckpt_close(hpo_ckpt **ck);

#endif
