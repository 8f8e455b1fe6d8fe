/* protocol.c - tag names, the packing of a suggest message, the launcher
 * watch and the clock mpi/ waits with. */
#include "protocol.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

const char *hpo_tag_name(int tag)
{
    switch (tag) {
    case HPO_TAG_ASK:     return "ASK";
    case HPO_TAG_TRIAL:   return "TRIAL";
    case HPO_TAG_STOP:    return "STOP";
    case HPO_TAG_SUGGEST: return "SUGGEST";
    case HPO_TAG_VALUE:   return "VALUE";
    case HPO_TAG_REPORT:  return "REPORT";
    case HPO_TAG_PRUNE:   return "PRUNE";
    case HPO_TAG_FINISH:  return "FINISH";
    case HPO_TAG_ACK:     return "ACK";
    case HPO_TAG_NOTE:    return "NOTE";
    }
    return "?";
}

/* Layout: header | name '\0' | per choice: type byte, then 8 bytes of value,
 * or for a string its bytes and '\0'. */
typedef struct pack_head {
    int64_t  number;
    int32_t  kind, log;
    double   flo, fhi, fstep;
    int64_t  ilo, ihi, istep;
    uint64_t n_choices;
} pack_head;

int hpo_msg_pack_suggest(int64_t number, const char *name, const hpo_dist *d, char **buf, size_t *len)
{
    size_t n = sizeof(pack_head) + strlen(name) + 1;
    for (size_t i = 0; i < d->n_choices; i++)
        n += 1 + (d->choices[i].type == HPO_CHOICE_STR ? strlen(d->choices[i].v.s) + 1 : 8);
    char *b = hpo_malloc(n), *p = b;
    if (!b) return 0;
    pack_head h = {number, d->kind, d->log, d->flo, d->fhi, d->fstep, d->ilo, d->ihi, d->istep, d->n_choices};
    memcpy(p, &h, sizeof h); p += sizeof h;
    size_t k = strlen(name) + 1;
    memcpy(p, name, k); p += k;
    for (size_t i = 0; i < d->n_choices; i++) {
        const hpo_choice *c = &d->choices[i];
        *p++ = (char)c->type;
        switch (c->type) {
        case HPO_CHOICE_STR: k = strlen(c->v.s) + 1; memcpy(p, c->v.s, k); p += k; break;
        case HPO_CHOICE_INT: memcpy(p, &c->v.i, 8); p += 8; break;
        case HPO_CHOICE_FLOAT: memcpy(p, &c->v.f, 8); p += 8; break;
        case HPO_CHOICE_BOOL: { int64_t v = c->v.b; memcpy(p, &v, 8); p += 8; break; }
        }
    }
    *buf = b;
    *len = n;
    return 1;
}

int hpo_msg_unpack_suggest(const char *buf, size_t len, int64_t *number, const char **name, hpo_dist *d)
{
    const char *p = buf, *end = buf + len;
    pack_head h;
    if (len < sizeof h) return 0;
    memcpy(&h, p, sizeof h); p += sizeof h;
    const char *nm = memchr(p, '\0', (size_t)(end - p));
    if (!nm) return 0;
    *name = p;
    p = nm + 1;
    memset(d, 0, sizeof *d);
    d->kind = (hpo_dist_kind)h.kind; d->log = h.log;
    d->flo = h.flo; d->fhi = h.fhi; d->fstep = h.fstep;
    d->ilo = h.ilo; d->ihi = h.ihi; d->istep = h.istep;
    *number = h.number;
    if (h.kind != HPO_DIST_CAT) return h.kind == HPO_DIST_FLOAT || h.kind == HPO_DIST_INT;
    if (h.n_choices == 0 || h.n_choices > len) return 0;
    hpo_choice *c = hpo_calloc(h.n_choices, sizeof *c);
    if (!c) return 0;
    for (size_t i = 0; i < h.n_choices; i++) {
        if (p >= end) { hpo_free(c); return 0; }
        c[i].type = (hpo_choice_type)*p++;
        if (c[i].type == HPO_CHOICE_STR) {
            const char *z = memchr(p, '\0', (size_t)(end - p));
            if (!z) { hpo_free(c); return 0; }
            c[i].v.s = p;                       /* points into buf; copied below */
            p = z + 1;
        } else {
            if (end - p < 8) { hpo_free(c); return 0; }
            int64_t v; memcpy(&v, p, 8); p += 8;
            if (c[i].type == HPO_CHOICE_INT) c[i].v.i = v;
            else if (c[i].type == HPO_CHOICE_FLOAT) memcpy(&c[i].v.f, &v, 8);
            else c[i].v.b = (int)v;
        }
    }
    /* hpo_dist_cat copies the strings, so d owns everything it points to. */
    int ok = hpo_dist_cat(d, *name, c, h.n_choices) == HPO_OK;
    hpo_free(c);
    return ok;
}

static pid_t g_parent = -1;
double hpo_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void hpo_parent_watch(void) { g_parent = getppid(); }
int  hpo_parent_gone(void) { return g_parent > 0 && getppid() != g_parent; }
