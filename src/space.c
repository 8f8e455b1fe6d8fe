/* space.c - distributions: validation with Optuna's rules, the exact step
 * grid, formatting, and the internal (sampler) representation. */
#include "space.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

/* ---- exact decimal arithmetic for float step grids ------------------------
 * Optuna shrinks high with Python decimals: high = (H - L) // S * S + L on the
 * shortest decimal spelling of each float, so 0..0.3 step 0.1 keeps 0.3
 * (in binary, (0.3 - 0) / 0.1 = 2.9999999999999996). We do the same with
 * 128-bit integers: each double becomes m * 10^e with m its shortest
 * round-trip digits. */

typedef __int128 i128;

static void shortest_decimal(double x, int64_t *mant, int *exp10)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x) break;
    }
    /* buf is "-d.ddde+XX" */
    int64_t m = 0; int e = 0, neg = 0, frac = 0, seen_dot = 0;
    const char *p = buf;
    if (*p == '-') { neg = 1; p++; }
    for (; *p && *p != 'e'; p++) {
        if (*p == '.') { seen_dot = 1; continue; }
        m = m * 10 + (*p - '0');
        if (seen_dot) frac++;
    }
    if (*p == 'e') e = atoi(p + 1);
    *mant = neg ? -m : m;
    *exp10 = e - frac;
}

/* v * 10^k into *out; 0 on overflow. */
static int scale_i128(int64_t v, int k, i128 *out)
{
    i128 r = v;
    const i128 lim = (((i128)1) << 120);
    for (int i = 0; i < k; i++) {
        if (r > lim || r < -lim) return 0;
        r *= 10;
    }
    *out = r;
    return 1;
}

static double i128_to_double(i128 m, int e)
{
    char digits[64], buf[96];
    int neg = m < 0, n = 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-m) : (unsigned __int128)m;
    do { digits[n++] = (char)('0' + (int)(u % 10)); u /= 10; } while (u);
    int j = 0;
    if (neg) buf[j++] = '-';
    while (n) buf[j++] = digits[--n];
    snprintf(buf + j, sizeof buf - j, "e%d", e);
    return strtod(buf, NULL);
}

/* k = floor((high - low) / step) and the shrunk high, exactly in decimal.
 * Falls back to binary arithmetic with a relative tolerance when the
 * exponents are too far apart for 128 bits. */
static void float_grid(double low, double high, double step, uint64_t *k, double *new_high)
{
    int64_t ml, mh, ms; int el, eh, es;
    shortest_decimal(low, &ml, &el);
    shortest_decimal(high, &mh, &eh);
    shortest_decimal(step, &ms, &es);
    int e = el < eh ? el : eh; if (es < e) e = es;
    i128 L, H, S;
    if (scale_i128(ml, el - e, &L) && scale_i128(mh, eh - e, &H) && scale_i128(ms, es - e, &S) && S > 0) {
        i128 q = (H - L) / S;          /* H >= L, so truncation is floor */
        if (q > (i128)UINT64_MAX / 2) q = (i128)UINT64_MAX / 2;
        *k = (uint64_t)q;
        i128 top = L + q * S;
        *new_high = (top == H) ? high : i128_to_double(top, e);
        return;
    }
    double r = (high - low) / step, rk = floor(r + 0.5);
    double q = (fabs(r - rk) <= 1e-9 * fmax(1.0, fabs(r))) ? rk : floor(r);
    *k = (uint64_t)q;
    *new_high = (q == rk && fabs(low + q * step - high) <= 1e-12 * fmax(1.0, fabs(high))) ? high : low + q * step;
}

static char *fmt_warning(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return hpo_strdup(buf);
}

/* Python-repr-like shortest round-trip spelling of a double. */
static int fmt_double(double x, char *buf, size_t n)
{
    if (isnan(x)) return snprintf(buf, n, "nan");
    if (isinf(x)) return snprintf(buf, n, x > 0 ? "inf" : "-inf");
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, x);
        if (strtod(tmp, NULL) == x) break;
    }
    /* make integral floats look like floats ("1.0", not "1") */
    if (!strpbrk(tmp, ".eni")) strncat(tmp, ".0", sizeof tmp - strlen(tmp) - 1);
    return snprintf(buf, n, "%s", tmp);
}

hpo_status hpo_dist_float(hpo_dist *d, const char *name, double low, double high,
                          double step, int log, char **warning)
{
    if (warning) *warning = NULL;
    HPO_CHECK(isfinite(low) && isfinite(high), HPO_EINVAL,
              "parameter '%s': low and high must be finite numbers (got %g, %g)", name, low, high);
    HPO_CHECK(low <= high, HPO_EINVAL,
              "parameter '%s': low must be <= high (got low=%g, high=%g)", name, low, high);
    HPO_CHECK(!(log && step != 0), HPO_EINVAL,
              "parameter '%s': step and log cannot be used together (step=%g, log=true)", name, step);
    HPO_CHECK(!log || low > 0, HPO_EINVAL,
              "parameter '%s': log=true needs low > 0 (got low=%g)", name, low);
    HPO_CHECK(isfinite(step) && step >= 0, HPO_EINVAL,
              "parameter '%s': step must be > 0 (got %g)", name, step);
    double hi = high;
    if (step > 0) {
        uint64_t k;
        float_grid(low, high, step, &k, &hi);
        if (hi != high && warning) {
            char a[40], b[40], c[40];
            fmt_double(high, a, sizeof a); fmt_double(step, b, sizeof b); fmt_double(hi, c, sizeof c);
            *warning = fmt_warning("parameter '%s': the range is not divisible by step %s; high %s is replaced by %s",
                                   name, b, a, c);
        }
    }
    memset(d, 0, sizeof *d);
    d->kind = HPO_DIST_FLOAT;
    d->log = !!log;
    d->flo = low; d->fhi = hi; d->fstep = step;
    return HPO_OK;
}

hpo_status hpo_dist_int(hpo_dist *d, const char *name, int64_t low, int64_t high,
                        int64_t step, int log, char **warning)
{
    if (warning) *warning = NULL;
    HPO_CHECK(low <= high, HPO_EINVAL,
              "parameter '%s': low must be <= high (got low=%" PRId64 ", high=%" PRId64 ")", name, low, high);
    HPO_CHECK(step >= 1, HPO_EINVAL, "parameter '%s': step must be >= 1 (got %" PRId64 ")", name, step);
    HPO_CHECK(!(log && step != 1), HPO_EINVAL,
              "parameter '%s': step and log cannot be used together (step=%" PRId64 ", log=true)", name, step);
    HPO_CHECK(!log || low >= 1, HPO_EINVAL,
              "parameter '%s': log=true needs low >= 1 (got low=%" PRId64 ")", name, low);
    uint64_t span = (uint64_t)high - (uint64_t)low;      /* exact for any int64 pair */
    uint64_t k = span / (uint64_t)step;
    int64_t hi = (int64_t)((uint64_t)low + k * (uint64_t)step);
    if (hi != high && warning)
        *warning = fmt_warning("parameter '%s': the range is not divisible by step %" PRId64
                               "; high %" PRId64 " is replaced by %" PRId64, name, step, high, hi);
    memset(d, 0, sizeof *d);
    d->kind = HPO_DIST_INT;
    d->log = !!log;
    d->ilo = low; d->ihi = hi; d->istep = step;
    return HPO_OK;
}

static hpo_status choice_copy(hpo_choice *dst, const hpo_choice *src)
{
    *dst = *src;
    if (src->type == HPO_CHOICE_STR) {
        dst->v.s = hpo_strdup(src->v.s ? src->v.s : "");
        HPO_CHECK(dst->v.s, HPO_ENOMEM, "out of memory copying a choice");
    }
    return HPO_OK;
}

hpo_status hpo_dist_cat(hpo_dist *d, const char *name, const hpo_choice *choices, size_t n)
{
    HPO_CHECK(n >= 1, HPO_EINVAL, "parameter '%s': categorical needs at least one choice", name);
    for (size_t i = 0; i < n; i++) {
        HPO_CHECK(choices[i].type != HPO_CHOICE_STR || choices[i].v.s, HPO_EINVAL,
                  "parameter '%s': choice %zu is a NULL string", name, i);
        HPO_CHECK(choices[i].type != HPO_CHOICE_FLOAT || !isnan(choices[i].v.f), HPO_EINVAL,
                  "parameter '%s': choice %zu is nan", name, i);
        for (size_t j = 0; j < i; j++) {
            if (hpo_choice_equal(&choices[i], &choices[j])) {
                char buf[128];
                hpo_choice_format(&choices[i], buf, sizeof buf);
                HPO_FAIL(HPO_EINVAL, "parameter '%s': choice %s appears twice", name, buf);
            }
        }
    }
    hpo_choice *c = hpo_calloc(n, sizeof *c);
    HPO_CHECK(c, HPO_ENOMEM, "out of memory for %zu choices", n);
    for (size_t i = 0; i < n; i++) {
        if (choice_copy(&c[i], &choices[i]) != HPO_OK) {
            for (size_t j = 0; j < i; j++) if (c[j].type == HPO_CHOICE_STR) hpo_free((void *)c[j].v.s);
            hpo_free(c);
            return HPO_ENOMEM;
        }
    }
    memset(d, 0, sizeof *d);
    d->kind = HPO_DIST_CAT;
    d->n_choices = n;
    d->choices = c;
    return HPO_OK;
}

hpo_status hpo_dist_copy(hpo_dist *dst, const hpo_dist *src)
{
    if (src->kind != HPO_DIST_CAT) { *dst = *src; dst->choices = NULL; dst->n_choices = 0; return HPO_OK; }
    HPO_TRY(hpo_dist_cat(dst, "(copy)", src->choices, src->n_choices));
    return HPO_OK;
}

void hpo_dist_clear(hpo_dist *d)
{
    if (!d) return;
    if (d->kind == HPO_DIST_CAT && d->choices) {
        for (size_t i = 0; i < d->n_choices; i++)
            if (d->choices[i].type == HPO_CHOICE_STR) hpo_free((void *)d->choices[i].v.s);
        hpo_free(d->choices);
    }
    memset(d, 0, sizeof *d);
}

int hpo_choice_equal(const hpo_choice *a, const hpo_choice *b)
{
    if (a->type != b->type) return 0;
    switch (a->type) {
    case HPO_CHOICE_STR:   return strcmp(a->v.s, b->v.s) == 0;
    case HPO_CHOICE_INT:   return a->v.i == b->v.i;
    case HPO_CHOICE_FLOAT: return a->v.f == b->v.f;
    case HPO_CHOICE_BOOL:  return !!a->v.b == !!b->v.b;
    }
    return 0;
}

int hpo_dist_equal(const hpo_dist *a, const hpo_dist *b)
{
    if (a->kind != b->kind) return 0;
    switch (a->kind) {
    case HPO_DIST_FLOAT:
        return a->log == b->log && a->flo == b->flo && a->fhi == b->fhi && a->fstep == b->fstep;
    case HPO_DIST_INT:
        return a->log == b->log && a->ilo == b->ilo && a->ihi == b->ihi && a->istep == b->istep;
    case HPO_DIST_CAT:
        if (a->n_choices != b->n_choices) return 0;
        for (size_t i = 0; i < a->n_choices; i++)
            if (!hpo_choice_equal(&a->choices[i], &b->choices[i])) return 0;
        return 1;
    }
    return 0;
}

int hpo_choice_format(const hpo_choice *c, char *buf, size_t n)
{
    switch (c->type) {
    case HPO_CHOICE_STR:   return snprintf(buf, n, "%s", c->v.s);
    case HPO_CHOICE_INT:   return snprintf(buf, n, "%" PRId64, c->v.i);
    case HPO_CHOICE_FLOAT: return fmt_double(c->v.f, buf, n);
    case HPO_CHOICE_BOOL:  return snprintf(buf, n, "%s", c->v.b ? "true" : "false");
    }
    return snprintf(buf, n, "?");
}

int hpo_dist_format(const hpo_dist *d, char *buf, size_t n)
{
    char a[40], b[40], c[40];
    switch (d->kind) {
    case HPO_DIST_FLOAT:
        fmt_double(d->flo, a, sizeof a); fmt_double(d->fhi, b, sizeof b);
        if (d->fstep > 0) { fmt_double(d->fstep, c, sizeof c); return snprintf(buf, n, "float [%s, %s] step %s", a, b, c); }
        return snprintf(buf, n, "float [%s, %s]%s", a, b, d->log ? " log" : "");
    case HPO_DIST_INT:
        if (d->istep != 1)
            return snprintf(buf, n, "int [%" PRId64 ", %" PRId64 "] step %" PRId64, d->ilo, d->ihi, d->istep);
        return snprintf(buf, n, "int [%" PRId64 ", %" PRId64 "]%s", d->ilo, d->ihi, d->log ? " log" : "");
    case HPO_DIST_CAT: {
        int len = snprintf(buf, n, "categorical [");
        for (size_t i = 0; i < d->n_choices; i++) {
            char t[128];
            hpo_choice_format(&d->choices[i], t, sizeof t);
            len += snprintf(buf + ((size_t)len < n ? (size_t)len : n), (size_t)len < n ? n - (size_t)len : 0,
                            "%s%s", i ? ", " : "", t);
        }
        len += snprintf(buf + ((size_t)len < n ? (size_t)len : n), (size_t)len < n ? n - (size_t)len : 0, "]");
        return len;
    }
    }
    return snprintf(buf, n, "?");
}

uint64_t hpo_dist_int_kmax(const hpo_dist *d)
{
    return ((uint64_t)d->ihi - (uint64_t)d->ilo) / (uint64_t)d->istep;
}

uint64_t hpo_dist_float_kmax(const hpo_dist *d)
{
    if (d->fstep <= 0) return 0;
    double r = (d->fhi - d->flo) / d->fstep;   /* fhi is on the grid: r is k up to rounding */
    return r <= 0 ? 0 : (uint64_t)llround(r);
}

int hpo_dist_contains(const hpo_dist *d, hpo_pval v)
{
    switch (d->kind) {
    case HPO_DIST_FLOAT:
        if (!(v.f >= d->flo && v.f <= d->fhi)) return 0;
        if (d->fstep > 0) {
            double r = (v.f - d->flo) / d->fstep;
            return fabs(r - nearbyint(r)) <= 1e-8 * fmax(1.0, fabs(r));
        }
        return 1;
    case HPO_DIST_INT:
        return v.i >= d->ilo && v.i <= d->ihi &&
               (((uint64_t)v.i - (uint64_t)d->ilo) % (uint64_t)d->istep) == 0;
    case HPO_DIST_CAT:
        return v.i >= 0 && (uint64_t)v.i < d->n_choices;
    }
    return 0;
}

int hpo_pval_format(const hpo_dist *d, hpo_pval v, char *buf, size_t n)
{
    switch (d->kind) {
    case HPO_DIST_FLOAT: return fmt_double(v.f, buf, n);
    case HPO_DIST_INT:   return snprintf(buf, n, "%" PRId64, v.i);
    case HPO_DIST_CAT:
        if (v.i < 0 || (uint64_t)v.i >= d->n_choices) return snprintf(buf, n, "?");
        return hpo_choice_format(&d->choices[v.i], buf, n);
    }
    return snprintf(buf, n, "?");
}

double hpo_dist_to_internal(const hpo_dist *d, hpo_pval v)
{
    switch (d->kind) {
    case HPO_DIST_FLOAT: return d->log ? log(v.f) : v.f;
    case HPO_DIST_INT:   return d->log ? log((double)v.i) : (double)v.i;
    case HPO_DIST_CAT:   return (double)v.i;
    }
    return 0;
}

hpo_pval hpo_dist_from_internal(const hpo_dist *d, double x)
{
    hpo_pval out;
    switch (d->kind) {
    case HPO_DIST_FLOAT: {
        double v = d->log ? exp(x) : x;
        if (d->fstep > 0) {
            uint64_t kmax = hpo_dist_float_kmax(d);
            double r = (v - d->flo) / d->fstep;
            uint64_t k = r <= 0 ? 0 : (r >= (double)kmax ? kmax : (uint64_t)llround(r));
            v = d->flo + (double)k * d->fstep;
        }
        if (!(v >= d->flo)) v = d->flo;    /* also catches nan */
        if (v > d->fhi) v = d->fhi;
        out.f = v;
        return out;
    }
    case HPO_DIST_INT: {
        double v = d->log ? exp(x) : x;
        uint64_t kmax = hpo_dist_int_kmax(d);
        double r = (v - (double)d->ilo) / (double)d->istep;
        uint64_t k = !(r > 0) ? 0 : (r >= (double)kmax ? kmax : (uint64_t)llround(r));
        if (k > kmax) k = kmax;
        out.i = (int64_t)((uint64_t)d->ilo + k * (uint64_t)d->istep);
        return out;
    }
    case HPO_DIST_CAT: {
        double r = nearbyint(x);
        out.i = !(r > 0) ? 0 : (r >= (double)d->n_choices ? (int64_t)d->n_choices - 1 : (int64_t)r);
        return out;
    }
    }
    out.i = 0;
    return out;
}
