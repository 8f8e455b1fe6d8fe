/* alloc.h - every allocation in src/ goes through these, so that tests can make
 * the n-th allocation fail (SQLite/Lua style out-of-memory testing) and count
 * live blocks to find leaks on failure paths. */
#ifndef HPO_ALLOC_H
#define HPO_ALLOC_H

#include <stddef.h>

void *hpo_malloc(size_t n);                 /* NULL on failure (or injected failure) */
void *hpo_calloc(size_t count, size_t size);/* zeroed; overflow-checked */
void *hpo_realloc(void *p, size_t n);       /* p unchanged on failure */
void  hpo_free(void *p);                    /* NULL is fine */
char *hpo_strdup(const char *s);            /* NULL on failure */
char *hpo_strndup(const char *s, size_t n);

/* Test hooks. fail_at(n): the n-th allocation from now (0-based) fails; with
 * sticky, every one after it fails too. fail_at(-1) turns injection off. */
void hpo_test_alloc_fail_at(long n, int sticky);
void hpo_test_alloc_reset(void);
long hpo_test_alloc_live(void);             /* blocks allocated and not freed */

#endif
