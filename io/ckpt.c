/* ckpt.c - the HDF5 checkpoint (see ckpt.h and docs/checkpoint.md).
 *
 * Implements: an append-only event log of trial rows in chunked, extendible
 * 1-D datasets; one group per parameter name with value/dist/order columns
 * aligned with the rows; intermediate values in long form; the sampler RNG
 * per row; a 64-bit checksum per row so that a row torn by a crash is
 * detected and dropped; FILE.lock naming the holder. Every HDF5 call that
 * writes goes through w_extent / w_write / w_flush (counted, and failable by
 * tests). Plain file format (libver earliest), H5Fflush after every row. */
#include "ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "alloc.h"
#include "error.h"

#define CHUNK_ROWS  256     /* trials, params, sampler rows per chunk */
#define CHUNK_INTER 1024    /* intermediate rows per chunk */
/* Raw-data chunk cache per open dataset (HDF5's default: 1 MiB, 521 slots).
 * H5Fflush visits every chunk in every dataset's cache, clean or not, so
 * with the default ~500 cached 2 KiB chunks per column the flush after each
 * row grew with the study (4.2x the instructions per trial at 60k trials as
 * at 2k: docs/checkpoint.md, Measurements). Appends touch only each column's
 * last chunk: a cache of a few chunks (at least the largest, 8 KiB) keeps it
 * and bounds the flush. Memory only; the file is the same. */
#define RDCC_BYTES  (16 * 1024)
#define RDCC_SLOTS  31
#define CREATOR     "mpihpo " HPO_VERSION

#define HPO_FAIL_GOTO(label, code, ...) do { \
    st = hpo_error_raise((code), __FILE__, __LINE__, __func__, __VA_ARGS__); goto label; } while (0)

/* One parameter name: its group and columns, and every distribution it was
 * suggested with (dist k is the subgroup "d<k>"). */
typedef struct pcol {
    char          *name;
    hpo_dist_kind  kind;
    hid_t          g, value, dist, order;
    hsize_t        len;          /* rows in the columns (reader) */
    size_t         n_dists;
    hpo_dist      *dists;        /* (n_dists) */
    int            broken;       /* reader: group unreadable -> treated as absent */
    char          *link;         /* the group's link name under /params */
} pcol;

enum { T_NUMBER, T_STATE, T_VALUE, T_START, T_END, T_WORKER, T_SEED, T_REASON,
       T_ISTART, T_ICOUNT, T_CHECKSUM, T_NCOLS };
static const char *const k_tcols[T_NCOLS] = {
    "number", "state", "value", "datetime_start", "datetime_complete", "worker",
    "seed", "fail_reason", "inter_start", "inter_count", "checksum" };

struct hpo_ckpt {
    char    *path, *lock_path;
    int      writable;
    int      readonly;               /* hpo_ckpt_open_readonly: no lock, no repair, HDF5 locking off */
    hid_t    f, g_trials, g_params, g_inter, g_sampler;
    hid_t    t[T_NCOLS];
    hid_t    i_trial, i_step, i_value;
    hid_t    s_rng;
    hid_t    state_type, str_type;
    hsize_t  rows, inter_rows;       /* committed */
    size_t   n_p, cap_p;
    pcol    *p;
    hpo_ckpt_stats st;
};

/* ---- HDF5 errors --------------------------------------------------------- */

static void h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n == 0 && e->desc) snprintf(buf, 256, "%s", e->desc);   /* innermost */
    return 0;
}

/* The innermost HDF5 error description, e.g. "truncated file: eof = ...". */
static const char *h5_msg(void)
{
    static _Thread_local char buf[256];
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, buf);
    H5Eclear2(H5E_DEFAULT);
    return buf[0] ? buf : "unknown HDF5 error";
}

/* ---- the write wrappers (counted; a test can make the n-th fail) ---------- */

static long g_fail_at = -1;
void hpo_ckpt_test_fail_write_at(long n) { g_fail_at = n; }

static int injected(void)
{
    if (g_fail_at < 0) return 0;
    return g_fail_at-- == 0;
}

static hpo_status w_extent(hpo_ckpt *ck, hid_t d, hsize_t rows, hsize_t width)
{
    ck->st.h5_writes++;
    hsize_t dims[2] = { rows, width };
    HPO_CHECK(!injected() && H5Dset_extent(d, dims) >= 0, HPO_EIO,
              "%s: cannot extend a dataset to %llu rows: %s", ck->path, (unsigned long long)rows, h5_msg());
    return HPO_OK;
}

/* A transfer property list with a small conversion buffer: the default
 * (1 MiB, calloc'd on every H5Dwrite that converts, e.g. variable-length
 * strings) made one row cost milliseconds. Measured in docs/checkpoint.md. */
static hid_t xfer_plist(void)
{
    static hid_t x = -1;
    if (x < 0) {
        x = H5Pcreate(H5P_DATASET_XFER);
        if (x >= 0 && H5Pset_buffer(x, 4096, NULL, NULL) < 0) { H5Pclose(x); x = -1; }
    }
    return x >= 0 ? x : H5P_DEFAULT;
}

/* Write count rows starting at row (width columns each) from buf. */
static hpo_status w_write(hpo_ckpt *ck, hid_t d, hid_t mtype, hsize_t row, hsize_t count,
                          hsize_t width, const void *buf)
{
    ck->st.h5_writes++;
    int rank = width > 1 ? 2 : 1;
    hsize_t start[2] = { row, 0 }, cnt[2] = { count, width };
    hid_t fs = H5Dget_space(d);
    hid_t ms = H5Screate_simple(rank, cnt, NULL);
    herr_t e = -1;
    if (fs >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) >= 0
        && !injected())
        e = H5Dwrite(d, mtype, ms, fs, xfer_plist(), buf);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    HPO_CHECK(e >= 0, HPO_EIO, "%s: cannot write row %llu: %s", ck->path, (unsigned long long)row, h5_msg());
    return HPO_OK;
}

/* Extend to row+count and write. */
static hpo_status w_append(hpo_ckpt *ck, hid_t d, hid_t mtype, hsize_t row, hsize_t count,
                           hsize_t width, const void *buf)
{
    HPO_TRY(w_extent(ck, d, row + count, width));
    HPO_TRY(w_write(ck, d, mtype, row, count, width, buf));
    return HPO_OK;
}

static hpo_status w_flush(hpo_ckpt *ck)
{
    ck->st.h5_writes++;
    ck->st.flushes++;
    HPO_CHECK(!injected() && H5Fflush(ck->f, H5F_SCOPE_LOCAL) >= 0, HPO_EIO,
              "%s: flush failed: %s", ck->path, h5_msg());
    return HPO_OK;
}

/* The file access list every handle uses: the small chunk cache (RDCC_*);
 * readonly: HDF5's file locking off. The caller closes it (H5P_DEFAULT if
 * HDF5 cannot make one: correct, only slower). */
static hid_t file_access(int readonly)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return H5P_DEFAULT;
    if (H5Pset_cache(fapl, 0, RDCC_SLOTS, RDCC_BYTES, 0.75) < 0) H5Eclear2(H5E_DEFAULT);
    if (readonly && H5Pset_file_locking(fapl, 0, 1) < 0) {
        H5Pclose(fapl);
        H5Eclear2(H5E_DEFAULT);
        return H5P_DEFAULT;
    }
    return fapl;
}

/* ---- small helpers ------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t dbits(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }

static void closeh(hid_t *h, herr_t (*fn)(hid_t))
{
    if (*h > 0) fn(*h);
    *h = -1;
}

/* Parameter names become link names: '/' and '%' are escaped as %2F, %25,
 * and "." as %2E, so any name is a valid link; the group's `name` attribute
 * holds the name itself. */
static char *escape_name(const char *s)
{
    size_t n = strlen(s);
    char *o = hpo_malloc(3 * n + 4);
    if (!o) return NULL;
    if (strcmp(s, ".") == 0 || n == 0) { strcpy(o, n ? "%2E" : "%00"); return o; }
    char *q = o;
    for (; *s; s++) {
        if (*s == '/') { memcpy(q, "%2F", 3); q += 3; }
        else if (*s == '%') { memcpy(q, "%25", 3); q += 3; }
        else *q++ = *s;
    }
    *q = '\0';
    return o;
}

/* ---- attributes ---------------------------------------------------------- */

static hpo_status attr_write(hpo_ckpt *ck, hid_t loc, const char *name, hid_t type,
                             hsize_t n, int scalar, const void *buf)
{
    hid_t sp = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = -1;
    herr_t e = -1;
    if (sp >= 0) {
        if (H5Aexists(loc, name) > 0) a = H5Aopen(loc, name, H5P_DEFAULT);
        else a = H5Acreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    }
    ck->st.h5_writes++;
    if (a >= 0 && !injected()) e = H5Awrite(a, type, buf);
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    HPO_CHECK(e >= 0, HPO_EIO, "%s: cannot write attribute '%s': %s", ck->path, name, h5_msg());
    return HPO_OK;
}

static hpo_status attr_str(hpo_ckpt *ck, hid_t loc, const char *name, const char *s)
{
    const char *v = s ? s : "";
    return attr_write(ck, loc, name, ck->str_type, 1, 1, &v);
}
#define ATTR_NUM(ck, loc, name, type, val) do { __typeof__(val) v_ = (val); \
    HPO_TRY(attr_write((ck), (loc), (name), (type), 1, 1, &v_)); } while (0)

/* Read a numeric scalar attribute; HPO_EFORMAT naming it if missing. */
static hpo_status attr_get(const char *path, hid_t loc, const char *where, const char *name,
                           hid_t mtype, void *out)
{
    herr_t e = -1;
    if (H5Aexists(loc, name) > 0) {
        hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
        if (a >= 0) {
            hid_t sp = H5Aget_space(a);
            if (sp >= 0 && H5Sget_simple_extent_npoints(sp) == 1) e = H5Aread(a, mtype, out);
            if (sp >= 0) H5Sclose(sp);
            H5Aclose(a);
        }
    }
    HPO_CHECK(e >= 0, HPO_EFORMAT, "%s: attribute '%s' of %s is missing or unreadable",
              path, name, where);
    return HPO_OK;
}

/* Read a string attribute (variable-length, scalar) into an hpo_malloc'd copy. */
static hpo_status attr_get_str(const char *path, hid_t loc, const char *where,
                               const char *name, hid_t str_type, char **out)
{
    char *s = NULL;
    HPO_TRY(attr_get(path, loc, where, name, str_type, &s));
    *out = hpo_strdup(s ? s : "");
    H5free_memory(s);
    HPO_CHECK(*out, HPO_ENOMEM, "out of memory reading attribute '%s'", name);
    return HPO_OK;
}

/* ---- the per-row checksum (FNV-1a, 64 bit) --------------------------------
 * Over every field of a row in a fixed order; parameters in suggestion order
 * with their name, distribution index and value bits; intermediate values;
 * the RNG words. Writer and reader compute it from the same view. */
typedef struct rowview {
    int64_t number; int32_t state; double value, t0, t1; int32_t worker; uint64_t seed;
    const char *reason; int64_t istart, icount;
    const int64_t *steps; const double *inter;
    size_t np; const char *const *pname; const int32_t *pdist; const uint64_t *pbits;
    const uint64_t *rng;     /* (4) */
} rowview;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 0x100000001b3ULL; }
    return h;
}
#define FNV(h, x) ((h) = fnv((h), &(x), sizeof (x)))

static uint64_t row_checksum(const rowview *v)
{
    uint64_t h = 0xcbf29ce484222325ULL, u;
    FNV(h, v->number); FNV(h, v->state);
    u = dbits(v->value); FNV(h, u); u = dbits(v->t0); FNV(h, u); u = dbits(v->t1); FNV(h, u);
    FNV(h, v->worker); FNV(h, v->seed);
    h = fnv(h, v->reason ? v->reason : "", strlen(v->reason ? v->reason : "") + 1);
    FNV(h, v->istart); FNV(h, v->icount);
    for (int64_t i = 0; i < v->icount; i++) { FNV(h, v->steps[i]); u = dbits(v->inter[i]); FNV(h, u); }
    u = v->np; FNV(h, u);
    for (size_t i = 0; i < v->np; i++) {
        h = fnv(h, v->pname[i], strlen(v->pname[i]) + 1);
        FNV(h, v->pdist[i]); FNV(h, v->pbits[i]);
    }
    for (int i = 0; i < 4; i++) FNV(h, v->rng[i]);
    return h ? h : 1;        /* 0 is the fill value: never a valid checksum */
}

/* ---- types and dataset creation ------------------------------------------ */

static hpo_status make_types(hpo_ckpt *ck)
{
    ck->str_type = H5Tcopy(H5T_C_S1);
    HPO_CHECK(ck->str_type >= 0 && H5Tset_size(ck->str_type, H5T_VARIABLE) >= 0
              && H5Tset_cset(ck->str_type, H5T_CSET_UTF8) >= 0, HPO_EIO, "HDF5 string type: %s", h5_msg());
    ck->state_type = H5Tenum_create(H5T_NATIVE_INT8);
    HPO_CHECK(ck->state_type >= 0, HPO_EIO, "HDF5 enum type: %s", h5_msg());
    static const char *const names[] = { "RUNNING", "COMPLETE", "PRUNED", "FAIL" };
    for (int8_t i = 0; i < 4; i++) H5Tenum_insert(ck->state_type, names[i], &i);
    return HPO_OK;
}

/* A chunked, extendible dataset of `rows` rows (width 1: 1-D; else rows x width). */
static hpo_status make_col(hpo_ckpt *ck, hid_t loc, const char *name, hid_t type,
                           const void *fill, hsize_t rows, hsize_t width, hsize_t chunk, hid_t *out)
{
    int rank = width > 1 ? 2 : 1;
    hsize_t dims[2] = { rows, width }, maxd[2] = { H5S_UNLIMITED, width }, ch[2] = { chunk, width };
    hid_t sp = H5Screate_simple(rank, dims, maxd);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t d = -1;
    ck->st.h5_writes++;
    if (sp >= 0 && pl >= 0 && H5Pset_chunk(pl, rank, ch) >= 0
        && (!fill || H5Pset_fill_value(pl, type, fill) >= 0) && !injected())
        d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    if (pl >= 0) H5Pclose(pl);
    if (sp >= 0) H5Sclose(sp);
    HPO_CHECK(d >= 0, HPO_EIO, "%s: cannot create dataset '%s': %s", ck->path, name, h5_msg());
    *out = d;
    return HPO_OK;
}

static hid_t tcol_type(const hpo_ckpt *ck, int c)
{
    switch (c) {
    case T_NUMBER: case T_ISTART: case T_ICOUNT: return H5T_NATIVE_INT64;
    case T_STATE:  return ck->state_type;
    case T_WORKER: return H5T_NATIVE_INT32;
    case T_SEED: case T_CHECKSUM: return H5T_NATIVE_UINT64;
    case T_REASON: return ck->str_type;
    default:       return H5T_NATIVE_DOUBLE;
    }
}

static hpo_status make_tables(hpo_ckpt *ck)
{
    const int64_t m1 = -1, z64 = 0;
    const int32_t w1 = -1;
    const uint64_t zu = 0;
    const double nan = NAN;
    hid_t g = ck->g_trials;
    for (int c = 0; c < T_NCOLS; c++) {
        const void *fill = NULL;
        switch (c) {
        case T_NUMBER: fill = &m1; break;
        case T_ISTART: case T_ICOUNT: fill = &z64; break;
        case T_WORKER: fill = &w1; break;
        case T_SEED: case T_CHECKSUM: fill = &zu; break;
        case T_VALUE: case T_START: case T_END: fill = &nan; break;
        default: break;
        }
        HPO_TRY(make_col(ck, g, k_tcols[c], tcol_type(ck, c), fill, 0, 1, CHUNK_ROWS, &ck->t[c]));
    }
    HPO_TRY(make_col(ck, ck->g_inter, "trial", H5T_NATIVE_INT64, &m1, 0, 1, CHUNK_INTER, &ck->i_trial));
    HPO_TRY(make_col(ck, ck->g_inter, "step", H5T_NATIVE_INT64, &m1, 0, 1, CHUNK_INTER, &ck->i_step));
    HPO_TRY(make_col(ck, ck->g_inter, "value", H5T_NATIVE_DOUBLE, &nan, 0, 1, CHUNK_INTER, &ck->i_value));
    HPO_TRY(make_col(ck, ck->g_sampler, "rng", H5T_NATIVE_UINT64, &zu, 0, 4, CHUNK_ROWS, &ck->s_rng));
    HPO_TRY(attr_str(ck, g, "units", "datetime_*: seconds since 1970-01-01T00:00:00Z (NaN: not yet)"));
    HPO_TRY(attr_str(ck, g, "rows", "one row per event; the last row of a trial number is its current state"));
    HPO_TRY(attr_str(ck, ck->g_sampler, "rng_algorithm",
                     "xoshiro256** state after each row (0 0 0 0: not recorded)"));
    return HPO_OK;
}

/* ---- the lock file --------------------------------------------------------- */

static void hostname(char *buf, size_t n)
{
    if (gethostname(buf, n) != 0) snprintf(buf, n, "unknown");
    buf[n - 1] = '\0';
}

/* Take FILE.lock, holding "host pid". It is written under a private name
 * and hard-linked into place (link fails if the lock exists), so a lock file
 * always names its holder, even if its writer is killed at any moment. A
 * lock of a dead process on this host is stale and taken over with a
 * warning. */
static hpo_status lock_take(const char *path, const char *lock_path)
{
    char me[256], tmp[4200];
    hostname(me, sizeof me);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", lock_path, (long)getpid());
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    HPO_CHECK(fd >= 0, HPO_EIO, "%s: cannot create a lock file: %s", tmp, strerror(errno));
    char line[400];
    /* Under Slurm also the job id and restart count: a requeued job may land
     * on another node after its first node died, and must take the lock of
     * its own earlier run (Slurm never runs two instances of a job). */
    const char *job = getenv("SLURM_JOB_ID"), *rs = getenv("SLURM_RESTART_COUNT");
    int k = job && *job ? snprintf(line, sizeof line, "%s %ld %s %ld\n", me, (long)getpid(), job, rs ? atol(rs) : 0L)
                        : snprintf(line, sizeof line, "%s %ld\n", me, (long)getpid());
    ssize_t w = write(fd, line, (size_t)k);
    close(fd);
    if (w != k) { unlink(tmp); HPO_FAIL(HPO_EIO, "%s: cannot write the lock file", tmp); }
    for (int attempt = 0; attempt < 2; attempt++) {
        if (link(tmp, lock_path) == 0) { unlink(tmp); return HPO_OK; }
        int e = errno;
        if (e != EEXIST) { unlink(tmp); HPO_FAIL(HPO_EIO, "%s: cannot create the lock file: %s", lock_path, strerror(e)); }
        char host[256] = "", buf[400] = "", ljob[64] = "";
        long pid = 0, lrestart = -1;
        FILE *f = fopen(lock_path, "r");
        if (f) { if (!fgets(buf, sizeof buf, f)) buf[0] = '\0'; fclose(f); }
        int fields = sscanf(buf, "%255s %ld %63s %ld", host, &pid, ljob, &lrestart);
        if (fields < 2) {
            unlink(tmp);
            HPO_FAIL(HPO_ESTATE, "%s is in use by another process (%s exists but does not name its holder)"
                     "\n---> HINT: if no mpihpo process uses it, remove %s", path, lock_path, lock_path);
        }
        int dead = strcmp(host, me) == 0 && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
        /* An earlier run of this same Slurm job (requeued, maybe onto
         * another node): its restart count is lower than ours. */
        int requeued = fields == 4 && job && strcmp(ljob, job) == 0 && rs && lrestart < atol(rs);
        if (requeued && !dead)
            fprintf(stderr, "mpihpo: warning: %s: the lock is held by an earlier run of Slurm job %s "
                    "(restart %ld, on %s); this is restart %s, so it is taken over\n", path, job, lrestart, host, rs);
        if (!dead && !requeued) unlink(tmp);
        HPO_CHECK(dead || requeued, HPO_ESTATE, "%s is in use by process %ld on host %s (lock %s)"
                  "\n---> HINT: wait for it to end; if it is gone (e.g. another node crashed), remove %s",
                  path, pid, host, lock_path, lock_path);
        if (dead)
            fprintf(stderr, "mpihpo: warning: %s: taking over the stale lock of process %ld on %s (no longer running)\n",
                    path, pid, host);
        if (unlink(lock_path) != 0 && errno != ENOENT) {
            e = errno;
            unlink(tmp);
            HPO_FAIL(HPO_EIO, "%s: cannot remove the stale lock: %s", lock_path, strerror(e));
        }
    }
    unlink(tmp);
    HPO_FAIL(HPO_ESTATE, "%s is in use: another process took the lock %s first", path, lock_path);
}

/* ---- handle life ----------------------------------------------------------- */

static void pcol_free(pcol *c)
{
    hpo_free(c->name);
    hpo_free(c->link);
    for (size_t k = 0; k < c->n_dists; k++) hpo_dist_clear(&c->dists[k]);
    hpo_free(c->dists);
    closeh(&c->value, H5Dclose); closeh(&c->dist, H5Dclose); closeh(&c->order, H5Dclose);
    closeh(&c->g, H5Gclose);
}

/* Close every HDF5 handle and forget the parameter columns. */
static void close_file(hpo_ckpt *ck)
{
    for (size_t i = 0; i < ck->n_p; i++) pcol_free(&ck->p[i]);
    hpo_free(ck->p);
    ck->p = NULL; ck->n_p = ck->cap_p = 0;
    for (int c = 0; c < T_NCOLS; c++) closeh(&ck->t[c], H5Dclose);
    closeh(&ck->i_trial, H5Dclose); closeh(&ck->i_step, H5Dclose); closeh(&ck->i_value, H5Dclose);
    closeh(&ck->s_rng, H5Dclose);
    closeh(&ck->g_trials, H5Gclose); closeh(&ck->g_params, H5Gclose);
    closeh(&ck->g_inter, H5Gclose); closeh(&ck->g_sampler, H5Gclose);
    closeh(&ck->f, H5Fclose);
}

static void ck_free(hpo_ckpt *ck, int unlock)
{
    if (!ck) return;
    close_file(ck);
    closeh(&ck->state_type, H5Tclose);
    closeh(&ck->str_type, H5Tclose);
    if (unlock && ck->lock_path) unlink(ck->lock_path);
    hpo_free(ck->path);
    hpo_free(ck->lock_path);
    hpo_free(ck);
}

static hpo_status ck_new(const char *path, hpo_ckpt **out)
{
    HPO_CHECK(path && *path, HPO_EINVAL, "checkpoint: argument 1 (path) is NULL or empty");
    h5_quiet();
    hpo_ckpt *ck = hpo_calloc(1, sizeof *ck);
    HPO_CHECK(ck, HPO_ENOMEM, "out of memory for a checkpoint");
    ck->f = ck->g_trials = ck->g_params = ck->g_inter = ck->g_sampler = -1;
    for (int c = 0; c < T_NCOLS; c++) ck->t[c] = -1;
    ck->i_trial = ck->i_step = ck->i_value = ck->s_rng = ck->state_type = ck->str_type = -1;
    ck->path = hpo_strdup(path);
    ck->lock_path = hpo_malloc(strlen(path) + 6);
    if (!ck->path || !ck->lock_path) { ck_free(ck, 0); HPO_FAIL(HPO_ENOMEM, "out of memory for a checkpoint"); }
    sprintf(ck->lock_path, "%s.lock", path);
    hpo_status st = make_types(ck);
    if (st != HPO_OK) { ck_free(ck, 0); return st; }
    *out = ck;
    return HPO_OK;
}

/* ---- parameter columns ----------------------------------------------------- */

static const char *kind_name(hpo_dist_kind k)
{
    return k == HPO_DIST_FLOAT ? "float" : k == HPO_DIST_INT ? "int" : "categorical";
}

static const char *const k_choice_types[] = { "str", "int", "float", "bool" };

static hpo_status write_dist(hpo_ckpt *ck, hid_t g, const hpo_dist *d)
{
    int8_t lg = (int8_t)d->log;
    switch (d->kind) {
    case HPO_DIST_FLOAT:
        ATTR_NUM(ck, g, "low", H5T_NATIVE_DOUBLE, d->flo);
        ATTR_NUM(ck, g, "high", H5T_NATIVE_DOUBLE, d->fhi);
        ATTR_NUM(ck, g, "step", H5T_NATIVE_DOUBLE, d->fstep);
        ATTR_NUM(ck, g, "log", H5T_NATIVE_INT8, lg);
        break;
    case HPO_DIST_INT:
        ATTR_NUM(ck, g, "low", H5T_NATIVE_INT64, d->ilo);
        ATTR_NUM(ck, g, "high", H5T_NATIVE_INT64, d->ihi);
        ATTR_NUM(ck, g, "step", H5T_NATIVE_INT64, d->istep);
        ATTR_NUM(ck, g, "log", H5T_NATIVE_INT8, lg);
        break;
    case HPO_DIST_CAT: {
        size_t n = d->n_choices;
        char **txt = hpo_calloc(n, sizeof *txt);
        const char **typ = hpo_calloc(n, sizeof *typ);
        hpo_status st = (txt && typ) ? HPO_OK : HPO_ENOMEM;
        for (size_t i = 0; st == HPO_OK && i < n; i++) {
            const hpo_choice *c = &d->choices[i];
            char buf[64];
            typ[i] = k_choice_types[c->type];
            switch (c->type) {
            case HPO_CHOICE_STR:   txt[i] = hpo_strdup(c->v.s); break;
            case HPO_CHOICE_INT:   snprintf(buf, sizeof buf, "%" PRId64, c->v.i); txt[i] = hpo_strdup(buf); break;
            case HPO_CHOICE_FLOAT: snprintf(buf, sizeof buf, "%.17g", c->v.f); txt[i] = hpo_strdup(buf); break;
            case HPO_CHOICE_BOOL:  txt[i] = hpo_strdup(c->v.b ? "true" : "false"); break;
            }
            if (!txt[i]) st = HPO_ENOMEM;
        }
        if (st == HPO_OK) st = attr_write(ck, g, "choices", ck->str_type, n, 0, txt);
        if (st == HPO_OK) st = attr_write(ck, g, "choice_types", ck->str_type, n, 0, typ);
        for (size_t i = 0; txt && i < n; i++) hpo_free(txt[i]);
        hpo_free(txt);
        hpo_free((void *)typ);
        HPO_CHECK(st != HPO_ENOMEM, HPO_ENOMEM, "out of memory writing choices");
        HPO_TRY(st);
        break;
    }
    }
    char fmt[1024];
    hpo_dist_format(d, fmt, sizeof fmt);
    HPO_TRY(attr_str(ck, g, "text", fmt));
    return HPO_OK;
}

static hpo_status read_dist(hpo_ckpt *ck, hid_t g, const char *where, hpo_dist_kind kind, hpo_dist *d)
{
    memset(d, 0, sizeof *d);
    d->kind = kind;
    int8_t lg = 0;
    switch (kind) {
    case HPO_DIST_FLOAT:
        HPO_TRY(attr_get(ck->path, g, where, "low", H5T_NATIVE_DOUBLE, &d->flo));
        HPO_TRY(attr_get(ck->path, g, where, "high", H5T_NATIVE_DOUBLE, &d->fhi));
        HPO_TRY(attr_get(ck->path, g, where, "step", H5T_NATIVE_DOUBLE, &d->fstep));
        HPO_TRY(attr_get(ck->path, g, where, "log", H5T_NATIVE_INT8, &lg));
        d->log = lg;
        return HPO_OK;
    case HPO_DIST_INT:
        HPO_TRY(attr_get(ck->path, g, where, "low", H5T_NATIVE_INT64, &d->ilo));
        HPO_TRY(attr_get(ck->path, g, where, "high", H5T_NATIVE_INT64, &d->ihi));
        HPO_TRY(attr_get(ck->path, g, where, "step", H5T_NATIVE_INT64, &d->istep));
        HPO_TRY(attr_get(ck->path, g, where, "log", H5T_NATIVE_INT8, &lg));
        d->log = lg;
        return HPO_OK;
    case HPO_DIST_CAT: break;
    }
    hid_t a1 = -1, a2 = -1, sp = -1;
    char **txt = NULL, **typ = NULL;
    hpo_choice *ch = NULL;
    hsize_t n = 0;
    hpo_status st = HPO_EFORMAT;
    if (H5Aexists(g, "choices") <= 0 || H5Aexists(g, "choice_types") <= 0) goto done;
    a1 = H5Aopen(g, "choices", H5P_DEFAULT);
    a2 = H5Aopen(g, "choice_types", H5P_DEFAULT);
    if (a1 < 0 || a2 < 0 || (sp = H5Aget_space(a1)) < 0) goto done;
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    hid_t sp2 = H5Aget_space(a2);
    hssize_t np2 = sp2 >= 0 ? H5Sget_simple_extent_npoints(sp2) : -1;
    if (sp2 >= 0) H5Sclose(sp2);
    if (np < 1 || np != np2) goto done;
    n = (hsize_t)np;
    txt = hpo_calloc(n, sizeof *txt);
    typ = hpo_calloc(n, sizeof *typ);
    ch = hpo_calloc(n, sizeof *ch);
    if (!txt || !typ || !ch) { st = HPO_ENOMEM; goto done; }
    if (H5Aread(a1, ck->str_type, txt) < 0 || H5Aread(a2, ck->str_type, typ) < 0) goto done;
    for (hsize_t i = 0; i < n; i++) {
        if (!txt[i] || !typ[i]) goto done;
        int t = -1;
        for (int k = 0; k < 4; k++) if (strcmp(typ[i], k_choice_types[k]) == 0) t = k;
        char *end = NULL;
        errno = 0;
        switch (t) {
        case HPO_CHOICE_STR:   ch[i] = HPO_STR(txt[i]); break;
        case HPO_CHOICE_INT:   ch[i] = HPO_INT(strtoll(txt[i], &end, 10)); if (*end || errno) goto done; break;
        case HPO_CHOICE_FLOAT: ch[i] = HPO_FLOAT(strtod(txt[i], &end)); if (*end) goto done; break;
        case HPO_CHOICE_BOOL:
            if (strcmp(txt[i], "true") && strcmp(txt[i], "false")) goto done;
            ch[i] = HPO_BOOL(txt[i][0] == 't'); break;
        default: goto done;
        }
    }
    st = hpo_dist_cat(d, where, ch, n);
    if (st != HPO_OK && st != HPO_ENOMEM) { hpo_error_clear(); st = HPO_EFORMAT; }
done:
    if (txt && sp >= 0) H5Dvlen_reclaim(ck->str_type, sp, H5P_DEFAULT, txt);
    if (typ && sp >= 0) H5Dvlen_reclaim(ck->str_type, sp, H5P_DEFAULT, typ);
    hpo_free(txt); hpo_free(typ); hpo_free(ch);
    if (sp >= 0) H5Sclose(sp);
    if (a1 >= 0) H5Aclose(a1);
    if (a2 >= 0) H5Aclose(a2);
    HPO_CHECK(st == HPO_OK, st, "%s: the choices of %s are missing or damaged", ck->path, where);
    return HPO_OK;
}

static hpo_status pcol_grow(hpo_ckpt *ck)
{
    if (ck->n_p < ck->cap_p) return HPO_OK;
    size_t cap = ck->cap_p ? 2 * ck->cap_p : 8;
    pcol *p = hpo_realloc(ck->p, cap * sizeof *p);
    HPO_CHECK(p, HPO_ENOMEM, "out of memory for parameter columns");
    ck->p = p;
    ck->cap_p = cap;
    return HPO_OK;
}

static void pcol_init(pcol *c)
{
    memset(c, 0, sizeof *c);
    c->g = c->value = c->dist = c->order = -1;
}

static hid_t pval_type(hpo_dist_kind k) { return k == HPO_DIST_FLOAT ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64; }

/* The column of `name` with distribution d (created, back-filled as absent
 * for every earlier row, if new): column index in *ci, distribution in *di. */
static hpo_status pcol_get(hpo_ckpt *ck, const char *name, const hpo_dist *d, size_t *ci, int32_t *di)
{
    size_t i = 0;
    while (i < ck->n_p && strcmp(ck->p[i].name, name) != 0) i++;
    if (i == ck->n_p) {
        HPO_TRY(pcol_grow(ck));
        pcol *c = &ck->p[i];
        pcol_init(c);
        c->kind = d->kind;
        c->name = hpo_strdup(name);
        c->link = escape_name(name);
        HPO_CHECK(c->name && c->link, HPO_ENOMEM, "out of memory for parameter '%s'", name);
        ck->n_p++;    /* from here the column is owned by ck (freed at close) */
        ck->st.h5_writes++;
        c->g = injected() ? -1 : H5Gcreate2(ck->g_params, c->link, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (c->g < 0) {
            const char *m = h5_msg();
            pcol_free(c); ck->n_p--;
            HPO_FAIL(HPO_EIO, "%s: cannot create the group of parameter '%s': %s", ck->path, name, m);
        }
        const double nan = NAN;
        const int64_t zero = 0, m1 = -1;
        const int32_t m1i = -1;
        hpo_status st = attr_str(ck, c->g, "name", name);
        if (st == HPO_OK) st = attr_str(ck, c->g, "kind", kind_name(d->kind));
        if (st == HPO_OK) st = make_col(ck, c->g, "value", pval_type(d->kind),
                                        d->kind == HPO_DIST_FLOAT ? (const void *)&nan
                                        : d->kind == HPO_DIST_INT ? (const void *)&zero : (const void *)&m1,
                                        ck->rows, 1, CHUNK_ROWS, &c->value);
        if (st == HPO_OK) st = make_col(ck, c->g, "dist", H5T_NATIVE_INT32, &m1i, ck->rows, 1, CHUNK_ROWS, &c->dist);
        if (st == HPO_OK) st = make_col(ck, c->g, "order", H5T_NATIVE_INT32, &m1i, ck->rows, 1, CHUNK_ROWS, &c->order);
        if (st != HPO_OK) {    /* leave no half-made group behind */
            H5Ldelete(ck->g_params, c->link, H5P_DEFAULT);
            H5Eclear2(H5E_DEFAULT);
            pcol_free(c); ck->n_p--;
            return st;
        }
    }
    pcol *c = &ck->p[i];
    if (c->kind != d->kind) {
        char a[512];
        hpo_dist_format(d, a, sizeof a);
        HPO_FAIL(HPO_EINVAL, "parameter '%s' is %s here but %s in earlier trials; a name keeps one kind "
                 "in a checkpoint", name, a, kind_name(c->kind));
    }
    size_t k = 0;
    while (k < c->n_dists && !hpo_dist_equal(&c->dists[k], d)) k++;
    if (k == c->n_dists) {
        hpo_dist *nd = hpo_realloc(c->dists, (k + 1) * sizeof *nd);
        HPO_CHECK(nd, HPO_ENOMEM, "out of memory for a distribution of '%s'", name);
        c->dists = nd;
        char sub[32];
        snprintf(sub, sizeof sub, "d%zu", k);
        ck->st.h5_writes++;
        hid_t g = injected() ? -1 : H5Gcreate2(c->g, sub, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        HPO_CHECK(g >= 0, HPO_EIO, "%s: cannot create distribution %s of '%s': %s", ck->path, sub, name, h5_msg());
        hpo_status st = write_dist(ck, g, d);
        H5Gclose(g);
        if (st == HPO_OK) st = hpo_dist_copy(&c->dists[k], d);
        if (st != HPO_OK) { H5Ldelete(c->g, sub, H5P_DEFAULT); return st; }
        c->n_dists++;
    }
    *ci = i;
    *di = (int32_t)k;
    return HPO_OK;
}

/* ---- create ------------------------------------------------------------------ */

static hpo_status write_meta(hpo_ckpt *ck, const hpo_ckpt_meta *m)
{
    hid_t r = ck->f;
    int32_t ver = HPO_CKPT_FORMAT_VERSION;
    int8_t seeded = (int8_t)(m->seeded != 0);
    double t = now_s();
    ATTR_NUM(ck, r, "format_version", H5T_NATIVE_INT32, ver);
    HPO_TRY(attr_str(ck, r, "creator", CREATOR));
    HPO_TRY(attr_str(ck, r, "study_name", m->name));
    HPO_TRY(attr_str(ck, r, "direction", m->direction == HPO_MAXIMIZE ? "maximize" : "minimize"));
    HPO_TRY(attr_str(ck, r, "sampler", m->sampler));
    HPO_TRY(attr_str(ck, r, "pruner", m->pruner));
    ATTR_NUM(ck, r, "seed", H5T_NATIVE_UINT64, m->seed);
    ATTR_NUM(ck, r, "seeded", H5T_NATIVE_INT8, seeded);
    ATTR_NUM(ck, r, "trials", H5T_NATIVE_INT64, m->trials);
    HPO_TRY(attr_str(ck, r, "study_file", m->study_file));
    HPO_TRY(attr_str(ck, r, "study_path", m->study_path));
    ATTR_NUM(ck, r, "created", H5T_NATIVE_DOUBLE, t);
    return HPO_OK;
}

/* Who holds the file now, and when it was last opened for writing. */
static hpo_status write_holder(hpo_ckpt *ck)
{
    char host[256];
    hostname(host, sizeof host);
    int64_t pid = (int64_t)getpid();
    double t = now_s();
    HPO_TRY(attr_str(ck, ck->f, "holder_host", host));
    ATTR_NUM(ck, ck->f, "holder_pid", H5T_NATIVE_INT64, pid);
    ATTR_NUM(ck, ck->f, "updated", H5T_NATIVE_DOUBLE, t);
    return HPO_OK;
}

static hid_t group_new(hpo_ckpt *ck, const char *name)
{
    ck->st.h5_writes++;
    return injected() ? -1 : H5Gcreate2(ck->f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

hpo_status hpo_ckpt_create(const char *path, const hpo_ckpt_meta *meta, hpo_ckpt **out)
{
    HPO_CHECK(meta && out, HPO_EINVAL, "hpo_ckpt_create: argument 2 (meta) or 3 (out) is NULL");
    hpo_ckpt *ck;
    HPO_TRY(ck_new(path, &ck));
    hpo_status st;
    struct stat sb;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.new", path, (long)getpid());
    if (stat(path, &sb) == 0) {
        ck_free(ck, 0);
        HPO_FAIL(HPO_EINVAL, "%s exists; use `mpihpo resume %s` or --resume to continue its study "
                 "(or choose another --storage)", path, path);
    }
    st = lock_take(path, ck->lock_path);
    if (st != HPO_OK) { ck_free(ck, 0); return hpo_error_push(st, __FILE__, __LINE__, __func__); }
    ck->writable = 1;
    /* Built under a private name and linked into place complete, so FILE
     * never exists half-made (a kill during create leaves only FILE.<pid>.new).
     * Plain format (libver earliest, the default): after a kill -9 it opens
     * normally; the latest format would need SWMR opening (cluster-notes). */
    unlink(tmp);
    hid_t fapl = file_access(0);
    ck->f = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    if (fapl != H5P_DEFAULT) H5Pclose(fapl);
    HPO_CHECK_GOTO(ck->f >= 0, fail, HPO_EIO, "%s: cannot create the checkpoint: %s", tmp, h5_msg());
    ck->g_trials = group_new(ck, "trials");
    ck->g_params = group_new(ck, "params");
    ck->g_inter = group_new(ck, "intermediate");
    ck->g_sampler = group_new(ck, "sampler");
    HPO_CHECK_GOTO(ck->g_trials >= 0 && ck->g_params >= 0 && ck->g_inter >= 0 && ck->g_sampler >= 0,
                   fail, HPO_EIO, "%s: cannot create groups: %s", path, h5_msg());
    HPO_TRY_GOTO(write_meta(ck, meta), fail);
    HPO_TRY_GOTO(write_holder(ck), fail);
    HPO_TRY_GOTO(make_tables(ck), fail);
    HPO_TRY_GOTO(w_flush(ck), fail);
    if (link(tmp, path) != 0) {
        int e = errno;
        HPO_CHECK_GOTO(e != EEXIST, fail, HPO_EINVAL, "%s exists (created by another process meanwhile)", path);
        HPO_FAIL_GOTO(fail, HPO_EIO, "%s: cannot create: %s", path, strerror(e));
    }
    unlink(tmp);
    *out = ck;
    return HPO_OK;
fail:
    close_file(ck);
    unlink(tmp);
    ck_free(ck, 1);
    return st;
}

/* ---- open: load the structure --------------------------------------------- */

static hid_t open_dset(hid_t loc, const char *name)
{
    return H5Lexists(loc, name, H5P_DEFAULT) > 0 ? H5Dopen2(loc, name, H5P_DEFAULT) : -1;
}

static hsize_t dset_len(hid_t d, int *rank_out)
{
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = { 0, 0 };
    int rank = sp >= 0 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;
    if (sp >= 0) H5Sclose(sp);
    if (rank_out) *rank_out = rank;
    return rank >= 1 ? dims[0] : 0;
}

typedef struct iter_ctx { hpo_ckpt *ck; hpo_status st; } iter_ctx;

/* Load one /params/<link> group. A group that cannot be read (a crash
 * while it was being created) is kept as `broken`: its rows read as absent. */
static herr_t load_param(hid_t g_params, const char *link, const H5L_info_t *info, void *data)
{
    (void)info;
    iter_ctx *it = data;
    hpo_ckpt *ck = it->ck;
    if ((it->st = pcol_grow(ck)) != HPO_OK) return -1;
    pcol *c = &ck->p[ck->n_p];
    pcol_init(c);
    c->link = hpo_strdup(link);
    if (!c->link) { it->st = HPO_ENOMEM; return -1; }
    ck->n_p++;
    char where[600];
    snprintf(where, sizeof where, "/params/%s", link);
    c->g = H5Gopen2(g_params, link, H5P_DEFAULT);
    char *kind = NULL;
    if (c->g < 0 || attr_get_str(ck->path, c->g, where, "name", ck->str_type, &c->name) != HPO_OK
        || attr_get_str(ck->path, c->g, where, "kind", ck->str_type, &kind) != HPO_OK) {
        hpo_error_clear();
        c->broken = 1;
        hpo_free(kind);
        return 0;
    }
    if (strcmp(kind, "float") == 0) c->kind = HPO_DIST_FLOAT;
    else if (strcmp(kind, "int") == 0) c->kind = HPO_DIST_INT;
    else if (strcmp(kind, "categorical") == 0) c->kind = HPO_DIST_CAT;
    else c->broken = 1;
    hpo_free(kind);
    c->value = open_dset(c->g, "value");
    c->dist = open_dset(c->g, "dist");
    c->order = open_dset(c->g, "order");
    if (c->broken || c->value < 0 || c->dist < 0 || c->order < 0) { c->broken = 1; H5Eclear2(H5E_DEFAULT); return 0; }
    hsize_t a = dset_len(c->value, NULL), b = dset_len(c->dist, NULL), d = dset_len(c->order, NULL);
    c->len = a < b ? a : b;
    if (d < c->len) c->len = d;
    /* Distributions d0, d1, ... until the first missing or unreadable one. */
    for (size_t k = 0;; k++) {
        char sub[32], w2[640];
        snprintf(sub, sizeof sub, "d%zu", k);
        if (H5Lexists(c->g, sub, H5P_DEFAULT) <= 0) break;
        hid_t g = H5Gopen2(c->g, sub, H5P_DEFAULT);
        if (g < 0) break;
        hpo_dist *nd = hpo_realloc(c->dists, (k + 1) * sizeof *nd);
        if (!nd) { H5Gclose(g); it->st = HPO_ENOMEM; return -1; }
        c->dists = nd;
        snprintf(w2, sizeof w2, "%s/%s", where, sub);
        hpo_status st = read_dist(ck, g, w2, c->kind, &c->dists[k]);
        H5Gclose(g);
        if (st == HPO_ENOMEM) { it->st = st; return -1; }
        if (st != HPO_OK) { hpo_error_clear(); break; }
        c->n_dists++;
    }
    H5Eclear2(H5E_DEFAULT);
    return 0;
}

/* Open the file (read only or read-write) and every table; check the format. */
static hpo_status load(hpo_ckpt *ck, int writable)
{
    const char *path = ck->path;
    struct stat sb;
    HPO_CHECK(stat(path, &sb) == 0, HPO_EIO, "%s: %s", path, strerror(errno));
    HPO_CHECK(S_ISREG(sb.st_mode), HPO_EFORMAT, "%s is not a regular file", path);
    htri_t is = H5Fis_hdf5(path);
    if (is < 0) {
        const char *m = h5_msg();
        HPO_CHECK(access(path, R_OK) == 0, HPO_EIO, "%s: %s", path, strerror(errno));
        HPO_FAIL(HPO_EFORMAT, "%s is not an mpihpo checkpoint (not an HDF5 file: %s)", path, m);
    }
    HPO_CHECK(is > 0, HPO_EFORMAT, "%s is not an mpihpo checkpoint (not an HDF5 file)", path);
    /* A read-only view (show/export/report) must not be refused by, nor
     * block, the writer's HDF5 file lock: turn HDF5's locking off for it. */
    hid_t fapl = file_access(ck->readonly);
    ck->f = H5Fopen(path, writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
    if (fapl != H5P_DEFAULT) H5Pclose(fapl);
    if (ck->f < 0) {
        int e = errno;
        const char *m = h5_msg();
        if (strstr(m, "lock") || e == EAGAIN || e == EWOULDBLOCK)
            HPO_FAIL(HPO_ESTATE, "%s is in use by another program (HDF5 file lock: %s)"
                     "\n---> HINT: close it there; on NFS/Lustre without locks set HDF5_USE_FILE_LOCKING=FALSE", path, m);
        HPO_FAIL(HPO_EFORMAT, "%s is damaged or truncated: HDF5 cannot open it (%s)", path, m);
    }
    ck->writable = writable;
    int32_t ver = 0;
    hpo_status st = attr_get(path, ck->f, "/", "format_version", H5T_NATIVE_INT32, &ver);
    if (st != HPO_OK) {
        hpo_error_clear();
        HPO_FAIL(HPO_EFORMAT, "%s is an HDF5 file but not an mpihpo checkpoint (no format_version attribute)", path);
    }
    HPO_CHECK(ver >= 1 && ver <= HPO_CKPT_FORMAT_VERSION, HPO_EFORMAT,
              "%s has checkpoint format version %d; this mpihpo (%s) reads versions 1 to %d"
              "\n---> HINT: use a newer mpihpo", path, (int)ver, CREATOR, HPO_CKPT_FORMAT_VERSION);
    static const char *const groups[] = { "trials", "params", "intermediate", "sampler" };
    hid_t *gh[] = { &ck->g_trials, &ck->g_params, &ck->g_inter, &ck->g_sampler };
    for (int i = 0; i < 4; i++) {
        *gh[i] = H5Lexists(ck->f, groups[i], H5P_DEFAULT) > 0 ? H5Gopen2(ck->f, groups[i], H5P_DEFAULT) : -1;
        HPO_CHECK(*gh[i] >= 0, HPO_EFORMAT, "%s: group /%s is missing or damaged", path, groups[i]);
    }
    for (int c = 0; c < T_NCOLS; c++) {
        ck->t[c] = open_dset(ck->g_trials, k_tcols[c]);
        int rank = 0;
        if (ck->t[c] >= 0) dset_len(ck->t[c], &rank);
        HPO_CHECK(ck->t[c] >= 0 && rank == 1, HPO_EFORMAT, "%s: dataset /trials/%s is missing or damaged",
                  path, k_tcols[c]);
    }
    ck->i_trial = open_dset(ck->g_inter, "trial");
    ck->i_step = open_dset(ck->g_inter, "step");
    ck->i_value = open_dset(ck->g_inter, "value");
    ck->s_rng = open_dset(ck->g_sampler, "rng");
    HPO_CHECK(ck->i_trial >= 0 && ck->i_step >= 0 && ck->i_value >= 0, HPO_EFORMAT,
              "%s: a dataset of /intermediate is missing or damaged", path);
    int rank = 0;
    hsize_t dims[2] = { 0, 0 };
    if (ck->s_rng >= 0) { hid_t sp = H5Dget_space(ck->s_rng); rank = H5Sget_simple_extent_dims(sp, dims, NULL); H5Sclose(sp); }
    HPO_CHECK(ck->s_rng >= 0 && rank == 2 && dims[1] == 4, HPO_EFORMAT,
              "%s: dataset /sampler/rng is missing or damaged", path);
    iter_ctx it = { ck, HPO_OK };
    hsize_t idx = 0;
    herr_t e = H5Literate(ck->g_params, H5_INDEX_NAME, H5_ITER_INC, &idx, load_param, &it);
    HPO_TRY(it.st);
    HPO_CHECK(e >= 0, HPO_EFORMAT, "%s: group /params is damaged: %s", path, h5_msg());
    return HPO_OK;
}

/* ---- reading and checking rows ---------------------------------------------- */

/* Every column, read whole. */
typedef struct rows {
    hsize_t n, ni;                        /* rows considered; intermediate rows */
    int64_t *number, *istart, *icount;
    int8_t  *state;
    double  *value, *t0, *t1;
    int32_t *worker;
    uint64_t *seed, *sum, *rng;           /* rng (n, 4) */
    char   **reason;
    int64_t *itrial, *istep;
    double  *ivalue;
    void   **pval;                        /* per column: (len) double or int64 */
    int32_t **pdist, **porder;
    hsize_t good;                         /* rows that passed */
    int     torn;                         /* the last row failed its check (dropped) */
    hsize_t inter_good;                   /* intermediate rows used by good rows */
    hid_t   reason_space;
} rows;

static void rows_free(hpo_ckpt *ck, rows *R)
{
    hpo_free(R->number); hpo_free(R->istart); hpo_free(R->icount); hpo_free(R->state);
    hpo_free(R->value); hpo_free(R->t0); hpo_free(R->t1); hpo_free(R->worker);
    hpo_free(R->seed); hpo_free(R->sum); hpo_free(R->rng);
    if (R->reason && R->reason_space >= 0) H5Dvlen_reclaim(ck->str_type, R->reason_space, H5P_DEFAULT, R->reason);
    if (R->reason_space >= 0) H5Sclose(R->reason_space);
    hpo_free(R->reason);
    hpo_free(R->itrial); hpo_free(R->istep); hpo_free(R->ivalue);
    for (size_t i = 0; R->pval && i < ck->n_p; i++) { hpo_free(R->pval[i]); hpo_free(R->pdist[i]); hpo_free(R->porder[i]); }
    hpo_free(R->pval); hpo_free(R->pdist); hpo_free(R->porder);
    memset(R, 0, sizeof *R);
    R->reason_space = -1;
}

/* Read the first n rows of d (width columns) into a new buffer. */
static hpo_status read_col(hpo_ckpt *ck, hid_t d, hid_t mtype, hsize_t n, hsize_t width,
                           size_t esize, const char *what, void **out)
{
    *out = hpo_calloc(n ? n * width : 1, esize);
    HPO_CHECK(*out, HPO_ENOMEM, "out of memory reading %s (%llu rows)", what, (unsigned long long)n);
    if (!n) return HPO_OK;
    hsize_t start[2] = { 0, 0 }, cnt[2] = { n, width };
    int rank = width > 1 ? 2 : 1;
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(rank, cnt, NULL);
    herr_t e = -1;
    if (fs >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) >= 0)
        e = H5Dread(d, mtype, ms, fs, H5P_DEFAULT, *out);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    HPO_CHECK(e >= 0, HPO_EFORMAT, "%s: %s cannot be read: %s", ck->path, what, h5_msg());
    return HPO_OK;
}

typedef struct pent { int32_t order; size_t col; } pent;

/* Check every row; R->good is the number of rows that pass. Only the last
 * row may fail (torn by a crash while it was written); a failure anywhere
 * else is HPO_EFORMAT. */
static hpo_status rows_read(hpo_ckpt *ck, rows *R)
{
    memset(R, 0, sizeof *R);
    R->reason_space = -1;
    hsize_t n = (hsize_t)-1;
    for (int c = 0; c < T_NCOLS; c++) { hsize_t l = dset_len(ck->t[c], NULL); if (l < n) n = l; }
    hsize_t nr = dset_len(ck->s_rng, NULL);
    if (nr < n) n = nr;
    hsize_t ni = dset_len(ck->i_trial, NULL);
    if (dset_len(ck->i_step, NULL) < ni) ni = dset_len(ck->i_step, NULL);
    if (dset_len(ck->i_value, NULL) < ni) ni = dset_len(ck->i_value, NULL);
    R->n = n; R->ni = ni;
#define RD(d, t, w, sz, what, dst) HPO_TRY(read_col(ck, (d), (t), n, (w), (sz), (what), (void **)&(dst)))
    RD(ck->t[T_NUMBER], H5T_NATIVE_INT64, 1, 8, "/trials/number", R->number);
    RD(ck->t[T_STATE], ck->state_type, 1, 1, "/trials/state", R->state);
    RD(ck->t[T_VALUE], H5T_NATIVE_DOUBLE, 1, 8, "/trials/value", R->value);
    RD(ck->t[T_START], H5T_NATIVE_DOUBLE, 1, 8, "/trials/datetime_start", R->t0);
    RD(ck->t[T_END], H5T_NATIVE_DOUBLE, 1, 8, "/trials/datetime_complete", R->t1);
    RD(ck->t[T_WORKER], H5T_NATIVE_INT32, 1, 4, "/trials/worker", R->worker);
    RD(ck->t[T_SEED], H5T_NATIVE_UINT64, 1, 8, "/trials/seed", R->seed);
    RD(ck->t[T_ISTART], H5T_NATIVE_INT64, 1, 8, "/trials/inter_start", R->istart);
    RD(ck->t[T_ICOUNT], H5T_NATIVE_INT64, 1, 8, "/trials/inter_count", R->icount);
    RD(ck->t[T_CHECKSUM], H5T_NATIVE_UINT64, 1, 8, "/trials/checksum", R->sum);
    RD(ck->s_rng, H5T_NATIVE_UINT64, 4, 8, "/sampler/rng", R->rng);
    RD(ck->t[T_REASON], ck->str_type, 1, sizeof(char *), "/trials/fail_reason", R->reason);
    hsize_t one = n ? n : 1;
    R->reason_space = H5Screate_simple(1, &one, NULL);
#undef RD
    hsize_t nsave = n;
    n = ni;
    HPO_TRY(read_col(ck, ck->i_trial, H5T_NATIVE_INT64, n, 1, 8, "/intermediate/trial", (void **)&R->itrial));
    HPO_TRY(read_col(ck, ck->i_step, H5T_NATIVE_INT64, n, 1, 8, "/intermediate/step", (void **)&R->istep));
    HPO_TRY(read_col(ck, ck->i_value, H5T_NATIVE_DOUBLE, n, 1, 8, "/intermediate/value", (void **)&R->ivalue));
    n = nsave;
    size_t np = ck->n_p ? ck->n_p : 1;
    R->pval = hpo_calloc(np, sizeof *R->pval);
    R->pdist = hpo_calloc(np, sizeof *R->pdist);
    R->porder = hpo_calloc(np, sizeof *R->porder);
    HPO_CHECK(R->pval && R->pdist && R->porder, HPO_ENOMEM, "out of memory reading parameters");
    for (size_t i = 0; i < ck->n_p; i++) {
        pcol *c = &ck->p[i];
        if (c->broken) continue;
        hsize_t a = dset_len(c->value, NULL), b = dset_len(c->dist, NULL), o = dset_len(c->order, NULL);
        c->len = a < b ? a : b;
        if (o < c->len) c->len = o;
        hsize_t l = c->len < n ? c->len : n;
        char what[600];
        snprintf(what, sizeof what, "/params/%s", c->link);
        HPO_TRY(read_col(ck, c->value, pval_type(c->kind), l, 1, 8, what, &R->pval[i]));
        HPO_TRY(read_col(ck, c->dist, H5T_NATIVE_INT32, l, 1, 4, what, (void **)&R->pdist[i]));
        HPO_TRY(read_col(ck, c->order, H5T_NATIVE_INT32, l, 1, 4, what, (void **)&R->porder[i]));
    }

    /* Verify each row's checksum. */
    pent *pe = hpo_calloc(np, sizeof *pe);
    const char **pname = hpo_calloc(np, sizeof *pname);
    int32_t *pdist = hpo_calloc(np, sizeof *pdist);
    uint64_t *pbits = hpo_calloc(np, sizeof *pbits);
    hpo_status st = (pe && pname && pdist && pbits) ? HPO_OK : HPO_ENOMEM;
    hsize_t good = 0;
    const char *why = NULL;
    for (hsize_t r = 0; st == HPO_OK && r < n; r++) {
        why = NULL;
        size_t k = 0;
        for (size_t i = 0; i < ck->n_p; i++) {
            pcol *c = &ck->p[i];
            if (c->broken || r >= c->len || R->pdist[i][r] < 0) continue;
            if ((size_t)R->pdist[i][r] >= c->n_dists) { why = "a parameter names a missing distribution"; break; }
            pent e = { R->porder[i][r], i };
            size_t j = k++;
            while (j > 0 && pe[j - 1].order > e.order) { pe[j] = pe[j - 1]; j--; }
            pe[j] = e;
        }
        for (size_t j = 0; !why && j < k; j++) {
            if (pe[j].order != (int32_t)j) { why = "parameter order is inconsistent"; break; }
            pcol *c = &ck->p[pe[j].col];
            pname[j] = c->name;
            pdist[j] = R->pdist[pe[j].col][r];
            pbits[j] = ((uint64_t *)R->pval[pe[j].col])[r];
        }
        int64_t is = R->istart[r], ic = R->icount[r];
        if (!why && (R->number[r] < 0 || (hsize_t)R->number[r] >= n)) why = "bad trial number";
        if (!why && (R->state[r] < HPO_RUNNING || R->state[r] > HPO_FAIL)) why = "bad state";
        if (!why && (is < 0 || ic < 0 || (hsize_t)(is + ic) > ni)) why = "intermediate values are missing";
        for (int64_t j = 0; !why && j < ic; j++)
            if (R->itrial[is + j] != R->number[r]) why = "intermediate values belong to another trial";
        if (!why) {
            rowview v = { R->number[r], R->state[r], R->value[r], R->t0[r], R->t1[r], R->worker[r], R->seed[r],
                          R->reason[r], is, ic, R->istep + (ic ? is : 0), R->ivalue + (ic ? is : 0),
                          k, pname, pdist, pbits, R->rng + 4 * r };
            if (row_checksum(&v) != R->sum[r]) why = "checksum mismatch";
        }
        if (why) {
            if (r + 1 == n) { R->torn = 1; break; }
            st = hpo_error_raise(HPO_EFORMAT, __FILE__, __LINE__, __func__,
                                 "%s is damaged: row %llu of /trials (trial %" PRId64 "): %s",
                                 ck->path, (unsigned long long)r, R->number[r], why);
            break;
        }
        good = r + 1;
        if (ic && (hsize_t)(is + ic) > R->inter_good) R->inter_good = (hsize_t)(is + ic);
    }
    hpo_free(pe); hpo_free((void *)pname); hpo_free(pdist); hpo_free(pbits);
    HPO_CHECK(st != HPO_ENOMEM, HPO_ENOMEM, "out of memory checking rows");
    HPO_TRY(st);
    R->good = good;
    /* Trial numbers must run 0..max with no gap (each trial has a row). */
    int64_t maxn = -1;
    for (hsize_t r = 0; r < good; r++) if (R->number[r] > maxn) maxn = R->number[r];
    unsigned char *seen = hpo_calloc((size_t)maxn + 2, 1);
    HPO_CHECK(seen, HPO_ENOMEM, "out of memory checking trial numbers");
    for (hsize_t r = 0; r < good; r++) seen[R->number[r]] = 1;
    int64_t gap = -1;
    for (int64_t i = 0; i <= maxn && gap < 0; i++) if (!seen[i]) gap = i;
    hpo_free(seen);
    HPO_CHECK(gap < 0, HPO_EFORMAT, "%s is damaged: trial %" PRId64 " has no row but trial %" PRId64 " has",
              ck->path, gap, maxn);
    return HPO_OK;
}

/* ---- open ---------------------------------------------------------------------- */

/* Cut every dataset back to the rows that passed (drops a torn last row and
 * half-written tails) and delete parameter groups a crash left unreadable. */
static hpo_status trim(hpo_ckpt *ck, hsize_t good, hsize_t inter_good)
{
    for (int c = 0; c < T_NCOLS; c++)
        if (dset_len(ck->t[c], NULL) != good) HPO_TRY(w_extent(ck, ck->t[c], good, 1));
    if (dset_len(ck->s_rng, NULL) != good) HPO_TRY(w_extent(ck, ck->s_rng, good, 4));
    hid_t id[3] = { ck->i_trial, ck->i_step, ck->i_value };
    for (int i = 0; i < 3; i++)
        if (dset_len(id[i], NULL) != inter_good) HPO_TRY(w_extent(ck, id[i], inter_good, 1));
    for (size_t i = 0; i < ck->n_p;) {
        pcol *c = &ck->p[i];
        if (c->broken) {
            char link[512];
            snprintf(link, sizeof link, "%s", c->link);
            pcol_free(c);
            memmove(c, c + 1, (ck->n_p - i - 1) * sizeof *c);
            ck->n_p--;
            ck->st.h5_writes++;
            HPO_CHECK(H5Ldelete(ck->g_params, link, H5P_DEFAULT) >= 0, HPO_EIO,
                      "%s: cannot remove the damaged group /params/%s: %s", ck->path, link, h5_msg());
            continue;
        }
        hid_t d3[3] = { c->value, c->dist, c->order };
        for (int k = 0; k < 3; k++)
            if (dset_len(d3[k], NULL) != good) HPO_TRY(w_extent(ck, d3[k], good, 1));
        /* a distribution subgroup after the last readable one: remove it */
        char sub[32];
        snprintf(sub, sizeof sub, "d%zu", c->n_dists);
        if (H5Lexists(c->g, sub, H5P_DEFAULT) > 0) H5Ldelete(c->g, sub, H5P_DEFAULT);
        i++;
    }
    H5Eclear2(H5E_DEFAULT);
    return HPO_OK;
}

/* A kill -9 in the middle of H5Fflush can leave the superblock's end of
 * allocation (EOA) older than the chunk index that was written after it:
 * the new chunk is in the file, past the stored EOA, and HDF5 refuses to
 * read it ("addr overflow"). Seen about once in 600 kills. The bytes are
 * there (the page cache survives kill -9), so setting EOA to the file size
 * (as `h5clear --increment=0` does) recovers the file; the row checksums
 * then decide what is intact. Only done when the file is longer than its
 * EOA, so a truncated file (shorter) is never touched. Returns 1 if it
 * repaired something. */
static int repair_eoa(hpo_ckpt *ck, const struct stat *sb)
{
    haddr_t eoa = 0;
    if (ck->f < 0 || H5Fget_eoa(ck->f, &eoa) < 0 || (off_t)eoa >= sb->st_size) { H5Eclear2(H5E_DEFAULT); return 0; }
    close_file(ck);
    hid_t f = H5Fopen(ck->path, H5F_ACC_RDWR, H5P_DEFAULT);
    int ok = f >= 0 && H5Fincrement_filesize(f, 0) >= 0;
    if (f >= 0) ok = H5Fclose(f) >= 0 && ok;
    H5Eclear2(H5E_DEFAULT);
    if (ok) fprintf(stderr, "mpihpo: warning: %s: a crash interrupted a flush; end of allocation moved from "
                    "%llu to the file size %lld bytes\n", ck->path, (unsigned long long)eoa, (long long)sb->st_size);
    return ok;
}

hpo_status hpo_ckpt_open(const char *path, hpo_ckpt **out)
{
    HPO_CHECK(out, HPO_EINVAL, "hpo_ckpt_open: argument 2 (out) is NULL");
    hpo_ckpt *ck;
    HPO_TRY(ck_new(path, &ck));
    hpo_status st;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int e = errno;
        ck_free(ck, 0);
        HPO_FAIL(e == ENOENT ? HPO_EINVAL : HPO_EIO, "%s: %s", path, strerror(e));
    }
    st = lock_take(path, ck->lock_path);
    if (st != HPO_OK) { ck_free(ck, 0); return hpo_error_push(st, __FILE__, __LINE__, __func__); }
    rows R;
    memset(&R, 0, sizeof R);
    R.reason_space = -1;
    /* Check everything read-only first: a bad file is never modified. */
    st = load(ck, 0);
    if (st == HPO_OK) st = rows_read(ck, &R);
    if (st == HPO_EFORMAT && repair_eoa(ck, &sb)) {
        rows_free(ck, &R);
        close_file(ck);
        hpo_error_clear();
        st = load(ck, 0);
        if (st == HPO_OK) st = rows_read(ck, &R);
    }
    if (st != HPO_OK) { hpo_error_push(st, __FILE__, __LINE__, __func__); goto fail; }
    hsize_t good = R.good, inter_good = R.inter_good;
    rows_free(ck, &R);
    close_file(ck);
    HPO_TRY_GOTO(load(ck, 1), fail);
    HPO_TRY_GOTO(trim(ck, good, inter_good), fail);
    ck->rows = good;
    ck->inter_rows = inter_good;
    HPO_TRY_GOTO(write_holder(ck), fail);
    HPO_TRY_GOTO(w_flush(ck), fail);
    memset(&ck->st, 0, sizeof ck->st);
    *out = ck;
    return HPO_OK;
fail:
    rows_free(ck, &R);
    ck_free(ck, 1);
    return st;
}

hpo_status hpo_ckpt_open_readonly(const char *path, hpo_ckpt **out)
{
    HPO_CHECK(out, HPO_EINVAL, "hpo_ckpt_open_readonly: argument 2 (out) is NULL");
    hpo_ckpt *ck;
    HPO_TRY(ck_new(path, &ck));
    ck->readonly = 1;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int e = errno;
        ck_free(ck, 0);
        HPO_FAIL(e == ENOENT ? HPO_EINVAL : HPO_EIO, "%s: %s", path, strerror(e));
    }
    hpo_status st = load(ck, 0);
    if (st != HPO_OK) { ck_free(ck, 0); return hpo_error_push(st, __FILE__, __LINE__, __func__); }
    *out = ck;
    return HPO_OK;
}

/* ---- meta ------------------------------------------------------------------------ */

void hpo_ckpt_meta_clear(hpo_ckpt_meta *m)
{
    if (!m) return;
    const char **s[] = { &m->name, &m->sampler, &m->pruner, &m->study_file, &m->study_path,
                         &m->creator, &m->holder_host };
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) hpo_free((void *)*s[i]);
    memset(m, 0, sizeof *m);
}

hpo_status hpo_ckpt_read_meta(hpo_ckpt *ck, hpo_ckpt_meta *meta)
{
    HPO_CHECK(ck && meta, HPO_EINVAL, "hpo_ckpt_read_meta: NULL argument");
    h5_quiet();
    hpo_ckpt_meta m;
    memset(&m, 0, sizeof m);
    char *dir = NULL, *s[7] = { 0 };
    static const char *const keys[7] = { "study_name", "sampler", "pruner", "study_file", "study_path",
                                         "creator", "holder_host" };
    int8_t seeded = 0;
    hpo_status st = HPO_OK;
    for (int i = 0; i < 7 && st == HPO_OK; i++) st = attr_get_str(ck->path, ck->f, "/", keys[i], ck->str_type, &s[i]);
    if (st == HPO_OK) st = attr_get_str(ck->path, ck->f, "/", "direction", ck->str_type, &dir);
    if (st == HPO_OK) st = attr_get(ck->path, ck->f, "/", "format_version", H5T_NATIVE_INT32, &m.format_version);
    if (st == HPO_OK) st = attr_get(ck->path, ck->f, "/", "seed", H5T_NATIVE_UINT64, &m.seed);
    if (st == HPO_OK) st = attr_get(ck->path, ck->f, "/", "seeded", H5T_NATIVE_INT8, &seeded);
    if (st == HPO_OK) st = attr_get(ck->path, ck->f, "/", "created", H5T_NATIVE_DOUBLE, &m.created);
    if (st == HPO_OK) st = attr_get(ck->path, ck->f, "/", "updated", H5T_NATIVE_DOUBLE, &m.updated);
    if (st == HPO_OK) st = attr_get(ck->path, ck->f, "/", "holder_pid", H5T_NATIVE_INT64, &m.holder_pid);
    if (st == HPO_OK && H5Aexists(ck->f, "trials") > 0)     /* optional: files before it lack it */
        st = attr_get(ck->path, ck->f, "/", "trials", H5T_NATIVE_INT64, &m.trials);
    if (st == HPO_OK && strcmp(dir, "minimize") && strcmp(dir, "maximize"))
        st = hpo_error_raise(HPO_EFORMAT, __FILE__, __LINE__, __func__,
                             "%s: attribute 'direction' is '%s' (expected minimize or maximize)", ck->path, dir);
    if (st != HPO_OK) {
        for (int i = 0; i < 7; i++) hpo_free(s[i]);
        hpo_free(dir);
        return hpo_error_push(st, __FILE__, __LINE__, __func__);
    }
    m.direction = strcmp(dir, "maximize") == 0 ? HPO_MAXIMIZE : HPO_MINIMIZE;
    hpo_free(dir);
    m.seeded = seeded;
    m.name = s[0]; m.sampler = s[1]; m.pruner = s[2]; m.study_file = s[3]; m.study_path = s[4];
    m.creator = s[5]; m.holder_host = s[6];
    *meta = m;
    return HPO_OK;
}

hpo_status hpo_ckpt_set_trials(hpo_ckpt *ck, int64_t trials)
{
    HPO_CHECK(ck, HPO_EINVAL, "hpo_ckpt_set_trials: argument 1 (ck) is NULL");
    h5_quiet();
    ATTR_NUM(ck, ck->f, "trials", H5T_NATIVE_INT64, trials);
    HPO_CHECK(H5Fflush(ck->f, H5F_SCOPE_LOCAL) >= 0, HPO_EIO, "%s: flush failed", ck->path);
    return HPO_OK;
}

/* ---- read trials -------------------------------------------------------------------- */

void hpo_ckpt_free_trials(hpo_trial_rec **recs, size_t n)
{
    for (size_t i = 0; recs && i < n; i++) hpo_rec_destroy(&recs[i]);
    hpo_free(recs);
}

/* Build the record of row r. */
static hpo_status rec_from_row(hpo_ckpt *ck, const rows *R, hsize_t r, hpo_trial_rec **out)
{
    hpo_trial_rec *t;
    HPO_TRY(hpo_rec_create(R->number[r], &t));
    hpo_status st = HPO_OK;
    t->state = (hpo_state)R->state[r];
    t->value = R->value[r];
    t->seed = R->seed[r];
    t->t_start = R->t0[r];
    t->t_end = R->t1[r];
    t->worker = R->worker[r];
    if (R->reason[r] && (R->reason[r][0] || t->state == HPO_FAIL))
        HPO_TRY_GOTO(hpo_rec_set_fail_reason(t, R->reason[r]), fail);
    /* parameters in suggestion order */
    for (int32_t want = 0;; want++) {
        size_t i = 0;
        for (; i < ck->n_p; i++) {
            const pcol *c = &ck->p[i];
            if (!c->broken && r < c->len && R->pdist[i][r] >= 0 && R->porder[i][r] == want) break;
        }
        if (i == ck->n_p) break;
        const pcol *c = &ck->p[i];
        hpo_pval v;
        memcpy(&v, (const char *)R->pval[i] + 8 * r, 8);
        HPO_TRY_GOTO(hpo_rec_add_param(t, c->name, &c->dists[R->pdist[i][r]], v), fail);
    }
    size_t ni = (size_t)R->icount[r];
    if (ni) {
        t->steps = hpo_malloc(ni * sizeof *t->steps);
        t->inter = hpo_malloc(ni * sizeof *t->inter);
        HPO_CHECK_GOTO(t->steps && t->inter, fail, HPO_ENOMEM, "out of memory for reports of trial %" PRId64, t->number);
        memcpy(t->steps, R->istep + R->istart[r], ni * sizeof *t->steps);
        memcpy(t->inter, R->ivalue + R->istart[r], ni * sizeof *t->inter);
        t->n_inter = t->cap_inter = ni;
    }
    *out = t;
    return HPO_OK;
fail:
    hpo_rec_destroy(&t);
    return st;
}

hpo_status hpo_ckpt_read_trials(hpo_ckpt *ck, hpo_trial_rec ***recs_out, size_t *n_out,
                                hpo_rng *rng_out, int *has_rng)
{
    HPO_CHECK(ck && recs_out && n_out, HPO_EINVAL, "hpo_ckpt_read_trials: NULL argument");
    h5_quiet();
    rows R;
    hpo_status st;
    hpo_trial_rec **recs = NULL;
    hsize_t *last = NULL;
    size_t n = 0;
    HPO_TRY_GOTO(rows_read(ck, &R), done);
    for (hsize_t r = 0; r < R.good; r++) if ((size_t)R.number[r] + 1 > n) n = (size_t)R.number[r] + 1;
    last = hpo_calloc(n ? n : 1, sizeof *last);
    recs = hpo_calloc(n ? n : 1, sizeof *recs);
    HPO_CHECK_GOTO(last && recs, done, HPO_ENOMEM, "out of memory for %zu trials", n);
    for (hsize_t r = 0; r < R.good; r++) last[R.number[r]] = r;
    for (size_t i = 0; i < n; i++) HPO_TRY_GOTO(rec_from_row(ck, &R, last[i], &recs[i]), done);
    if (has_rng) *has_rng = 0;
    for (hsize_t r = R.good; r-- > 0;) {
        const uint64_t *w = R.rng + 4 * r;
        if (w[0] | w[1] | w[2] | w[3]) {
            if (rng_out) memcpy(rng_out->s, w, sizeof rng_out->s);
            if (has_rng) *has_rng = 1;
            break;
        }
    }
    *recs_out = recs;
    *n_out = n;
    recs = NULL;
    st = HPO_OK;
done:
    hpo_ckpt_free_trials(recs, n);
    hpo_free(last);
    rows_free(ck, &R);
    return st;
}

/* ---- append ---------------------------------------------------------------------------- */

static hpo_status write_row(hpo_ckpt *ck, const hpo_trial_rec *r, const hpo_rng *rng, int finished)
{
    HPO_CHECK(ck && r, HPO_EINVAL, "checkpoint: NULL argument");
    HPO_CHECK(ck->writable, HPO_ESTATE, "%s is open read-only", ck->path);
    HPO_CHECK(r->number >= 0 && (hsize_t)r->number <= ck->rows, HPO_EINVAL,
              "trial number %" PRId64 " does not continue the study (%llu rows)", r->number,
              (unsigned long long)ck->rows);
    HPO_CHECK(!finished || r->state != HPO_RUNNING, HPO_EINVAL,
              "trial %" PRId64 " is still RUNNING; use hpo_ckpt_trial_started", r->number);
    h5_quiet();
    hsize_t row = ck->rows;
    size_t np = r->n_params;
    size_t *pc = hpo_calloc(np ? np : 1, sizeof *pc);
    int32_t *pd = hpo_calloc(np ? np : 1, sizeof *pd);
    uint64_t *pb = hpo_calloc(np ? np : 1, sizeof *pb);
    const char **pn = hpo_calloc(np ? np : 1, sizeof *pn);
    hpo_status st = HPO_OK;
    HPO_CHECK_GOTO(pc && pd && pb && pn, done, HPO_ENOMEM, "out of memory writing trial %" PRId64, r->number);
    for (size_t i = 0; i < np; i++) {
        HPO_TRY_GOTO(pcol_get(ck, r->params[i].name, &r->params[i].dist, &pc[i], &pd[i]), done);
        pn[i] = r->params[i].name;
        memcpy(&pb[i], &r->params[i].v, 8);
    }
    int64_t ic = (int64_t)r->n_inter, is = ic ? (int64_t)ck->inter_rows : 0;   /* RUNNING: the curve so far */
    uint64_t w[4] = { 0, 0, 0, 0 };
    if (rng) memcpy(w, rng->s, sizeof w);
    const char *reason = r->fail_reason ? r->fail_reason : "";
    rowview v = { r->number, (int32_t)r->state, r->value, r->t_start, r->t_end, r->worker, r->seed,
                  reason, is, ic, r->steps, r->inter, np, pn, pd, pb, w };
    uint64_t sum = row_checksum(&v);

    /* Payload first, the /trials row last. */
    if (ic) {
        int64_t *tr = hpo_malloc((size_t)ic * sizeof *tr);
        HPO_CHECK_GOTO(tr, done, HPO_ENOMEM, "out of memory writing trial %" PRId64, r->number);
        for (int64_t k = 0; k < ic; k++) tr[k] = r->number;
        st = w_append(ck, ck->i_trial, H5T_NATIVE_INT64, (hsize_t)is, (hsize_t)ic, 1, tr);
        hpo_free(tr);
        if (st != HPO_OK) goto done;
        HPO_TRY_GOTO(w_append(ck, ck->i_step, H5T_NATIVE_INT64, (hsize_t)is, (hsize_t)ic, 1, r->steps), done);
        HPO_TRY_GOTO(w_append(ck, ck->i_value, H5T_NATIVE_DOUBLE, (hsize_t)is, (hsize_t)ic, 1, r->inter), done);
    }
    for (size_t i = 0; i < ck->n_p; i++) {
        pcol *c = &ck->p[i];
        size_t j = 0;
        while (j < np && pc[j] != i) j++;
        double nan = NAN;
        int64_t absent_i = c->kind == HPO_DIST_INT ? 0 : -1;
        const void *val = j < np ? (const void *)&pb[j] : c->kind == HPO_DIST_FLOAT ? (const void *)&nan
                                                                                   : (const void *)&absent_i;
        int32_t dd = j < np ? pd[j] : -1, oo = j < np ? (int32_t)j : -1;
        HPO_TRY_GOTO(w_append(ck, c->value, c->kind == HPO_DIST_FLOAT ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64,
                              row, 1, 1, val), done);
        HPO_TRY_GOTO(w_append(ck, c->dist, H5T_NATIVE_INT32, row, 1, 1, &dd), done);
        HPO_TRY_GOTO(w_append(ck, c->order, H5T_NATIVE_INT32, row, 1, 1, &oo), done);
    }
    HPO_TRY_GOTO(w_append(ck, ck->s_rng, H5T_NATIVE_UINT64, row, 1, 4, w), done);
    int8_t s8 = (int8_t)r->state;
    int32_t wk = r->worker;
    const void *tv[T_NCOLS] = { &r->number, &s8, &r->value, &r->t_start, &r->t_end, &wk, &r->seed,
                                &reason, &is, &ic, &sum };
    for (int c = 0; c < T_NCOLS; c++)
        HPO_TRY_GOTO(w_append(ck, ck->t[c], tcol_type(ck, c), row, 1, 1, tv[c]), done);
    HPO_TRY_GOTO(w_flush(ck), done);
    ck->rows = row + 1;
    ck->inter_rows += (hsize_t)ic;
    ck->st.rows++;
done:
    hpo_free(pc); hpo_free(pd); hpo_free(pb); hpo_free((void *)pn);
    return st;
}

hpo_status hpo_ckpt_trial_started(hpo_ckpt *ck, const hpo_trial_rec *r, const hpo_rng *sampler_rng)
{
    HPO_CHECK(r, HPO_EINVAL, "hpo_ckpt_trial_started: argument 2 (r) is NULL");
    HPO_CHECK(r->state == HPO_RUNNING, HPO_EINVAL, "hpo_ckpt_trial_started: trial %" PRId64 " is %s, not RUNNING",
              r->number, hpo_state_name(r->state));
    HPO_TRY(write_row(ck, r, sampler_rng, 0));
    return HPO_OK;
}

hpo_status hpo_ckpt_trial_finished(hpo_ckpt *ck, const hpo_trial_rec *r, const hpo_rng *sampler_rng)
{
    HPO_TRY(write_row(ck, r, sampler_rng, 1));
    return HPO_OK;
}

/* ---- resume guard ----------------------------------------------------------------------- */

hpo_status hpo_ckpt_reconcile(hpo_trial_rec **recs, size_t n, const char *name, const hpo_dist *d)
{
    HPO_CHECK(name && d && (recs || !n), HPO_EINVAL, "hpo_ckpt_reconcile: NULL argument");
    /* First check every record, then rewrite: on error nothing changed. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            hpo_param_rec *p = (hpo_param_rec *)hpo_rec_find_param(recs[i], name);
            if (!p || hpo_dist_equal(&p->dist, d)) continue;
            int same_set = p->dist.kind == HPO_DIST_CAT && d->kind == HPO_DIST_CAT
                           && p->dist.n_choices == d->n_choices;
            for (size_t a = 0; same_set && a < p->dist.n_choices; a++) {
                size_t b = 0;
                while (b < d->n_choices && !hpo_choice_equal(&p->dist.choices[a], &d->choices[b])) b++;
                if (b == d->n_choices) same_set = 0;
            }
            if (!same_set) {
                char a[512], b[512];
                hpo_dist_format(&p->dist, a, sizeof a);
                hpo_dist_format(d, b, sizeof b);
                HPO_FAIL(HPO_ESTATE, "parameter '%s' contradicts the checkpoint: trial %" PRId64 " used %s, "
                         "the study file says %s\n---> HINT: resume with the study file the checkpoint was "
                         "made with, or start a new study (another --storage)", name, recs[i]->number, a, b);
            }
            if (pass == 0) continue;
            const hpo_choice *old = &p->dist.choices[p->v.i];
            int64_t k = 0;
            while (!hpo_choice_equal(old, &d->choices[k])) k++;
            hpo_dist nd;
            HPO_TRY(hpo_dist_copy(&nd, d));
            hpo_dist_clear(&p->dist);
            p->dist = nd;
            p->v.i = k;
        }
    }
    return HPO_OK;
}

/* ---- validate ----------------------------------------------------------------------- */

hpo_status hpo_ckpt_validate(const char *path, char *report, size_t n)
{
    HPO_CHECK(report || !n, HPO_EINVAL, "hpo_ckpt_validate: argument 2 (report) is NULL");
    hpo_ckpt *ck;
    HPO_TRY(ck_new(path, &ck));
    rows R;
    memset(&R, 0, sizeof R);
    R.reason_space = -1;
    hpo_status st = load(ck, 0);
    if (st == HPO_OK) st = rows_read(ck, &R);
    if (st == HPO_OK) {
        size_t cnt[4] = { 0, 0, 0, 0 }, nt = 0;
        int64_t maxn = -1;
        for (hsize_t r = 0; r < R.good; r++) if (R.number[r] > maxn) maxn = R.number[r];
        nt = (size_t)(maxn + 1);
        hsize_t *last = hpo_calloc(nt ? nt : 1, sizeof *last);
        if (!last) st = hpo_error_raise(HPO_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        else {
            for (hsize_t r = 0; r < R.good; r++) last[R.number[r]] = r;
            for (size_t i = 0; i < nt; i++) cnt[R.state[last[i]]]++;
            hpo_free(last);
            if (n) snprintf(report, n, "ok: %zu trials (%zu COMPLETE, %zu PRUNED, %zu FAIL, %zu RUNNING), "
                            "%llu rows, %zu parameters, %llu intermediate values%s", nt, cnt[HPO_COMPLETE],
                            cnt[HPO_PRUNED], cnt[HPO_FAIL], cnt[HPO_RUNNING], (unsigned long long)R.good,
                            ck->n_p, (unsigned long long)R.inter_good,
                            R.torn ? "; the last row was torn by a crash and is ignored" : "");
        }
    }
    if (st == HPO_EFORMAT && ck->f >= 0) {
        haddr_t eoa = 0;
        struct stat sb;
        char first[1024];
        snprintf(first, sizeof first, "%s", hpo_error_message());
        if (H5Fget_eoa(ck->f, &eoa) >= 0 && stat(path, &sb) == 0 && (off_t)eoa < sb.st_size)
            st = hpo_error_raise(HPO_EFORMAT, __FILE__, __LINE__, __func__, "%s\n---> HINT: a crash interrupted "
                                 "a flush (end of allocation %llu < file size %lld); opening it to resume "
                                 "repairs that", first, (unsigned long long)eoa, (long long)sb.st_size);
        H5Eclear2(H5E_DEFAULT);
    }
    if (st != HPO_OK && n) snprintf(report, n, "%s", hpo_error_message());
    rows_free(ck, &R);
    ck_free(ck, 0);
    if (st != HPO_OK) return hpo_error_push(st, __FILE__, __LINE__, __func__);
    return HPO_OK;
}

void hpo_ckpt_get_stats(const hpo_ckpt *ck, hpo_ckpt_stats *st)
{
    if (ck && st) *st = ck->st;
}

void hpo_ckpt_close(hpo_ckpt **pck)
{
    if (!pck || !*pck) return;
    hpo_ckpt *ck = *pck;
    if (ck->writable && ck->f >= 0) H5Fflush(ck->f, H5F_SCOPE_LOCAL);
    ck_free(ck, ck->writable);
    *pck = NULL;
}
