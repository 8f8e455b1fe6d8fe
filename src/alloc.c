/* alloc.c - allocation wrappers with failure injection (see alloc.h).
 * A live-block counter finds leaks on failure paths; it is atomic because
 * objectives may be threaded. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_long g_live;
static atomic_long g_fail_at = -1;   /* countdown; -1 = off */
static atomic_int  g_sticky;

static int should_fail(void)
{
    long n = atomic_load(&g_fail_at);
    if (n < 0) return 0;
    if (n == 0) {
        if (!atomic_load(&g_sticky)) atomic_store(&g_fail_at, -1);
        return 1;
    }
    atomic_fetch_sub(&g_fail_at, 1);
    return 0;
}

void *hpo_malloc(size_t n)
{
    if (should_fail()) return NULL;
    void *p = malloc(n ? n : 1);
    if (p) atomic_fetch_add(&g_live, 1);
    return p;
}

void *hpo_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    if (should_fail()) return NULL;
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p) atomic_fetch_add(&g_live, 1);
    return p;
}

void *hpo_realloc(void *p, size_t n)
{
    if (!p) return hpo_malloc(n);
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void hpo_free(void *p)
{
    if (!p) return;
    atomic_fetch_sub(&g_live, 1);
    free(p);
}

char *hpo_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = hpo_malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *hpo_strdup(const char *s) { return hpo_strndup(s, SIZE_MAX); }

void hpo_test_alloc_fail_at(long n, int sticky)
{
    atomic_store(&g_sticky, sticky);
    atomic_store(&g_fail_at, n);
}

void hpo_test_alloc_reset(void) { atomic_store(&g_fail_at, -1); atomic_store(&g_sticky, 0); }
long hpo_test_alloc_live(void) { return atomic_load(&g_live); }
