/* csv.c - RFC 4180 CSV reader (see csv.h).
 *
 * The whole file is read into one buffer and parsed in place: unescaping only
 * ever shortens a field, and each field's NUL terminator takes the place of
 * its separator, so cell strings are pointers into that buffer (one spare byte
 * covers a last field with no line break after it). */
#include "csv.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"

struct hpo_csv {
    char   *name;      /* copy of the path, for messages */
    char   *buf;       /* all cell text, NUL-separated */
    char  **cells;     /* ((n_rows + 1) * n_cols): row 0 is the header */
    size_t *lines;     /* (n_rows + 1): first source line of each record */
    size_t  n_rows;    /* data rows */
    size_t  n_cols;
};

void hpo_csv_destroy(hpo_csv **c)
{
    if (!c || !*c) return;
    hpo_free((*c)->name);
    hpo_free((*c)->buf);
    hpo_free((*c)->cells);
    hpo_free((*c)->lines);
    hpo_free(*c);
    *c = NULL;
}

/* Grow *arr (of elem-sized items, capacity *cap) to hold at least need items. */
static int grow_impl(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 1;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need) {
        if (ncap > ((size_t)-1) / 2 / elem) return 0;
        ncap *= 2;
    }
    void *p = hpo_realloc(*arr, ncap * elem);
    if (!p) return 0;
    *arr = p;
    *cap = ncap;
    return 1;
}

/* Parse buf[0..len) in place; buf has len + 1 bytes and is taken over by the
 * result (freed here on failure). */
static hpo_status parse_impl(const char *name, char *buf, size_t len, hpo_csv **out)
{
    hpo_status st = HPO_OK;
    size_t cells_cap = 0, lines_cap = 0, n_cells = 0, n_recs = 0;
    hpo_csv *c = hpo_calloc(1, sizeof *c);
    if (!c) { hpo_free(buf); HPO_FAIL(HPO_ENOMEM, "%s: out of memory", name); }
    c->buf = buf;
    c->name = hpo_strdup(name);
    HPO_CHECK_GOTO(c->name, fail, HPO_ENOMEM, "%s: out of memory", name);

    size_t pos = 0, w = 0, line = 1;
    if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB
        && (unsigned char)buf[2] == 0xBF)
        pos = 3;                                  /* UTF-8 byte-order mark */

    while (pos < len) {
        if (buf[pos] == '\n' || buf[pos] == '\r') {       /* blank line: skip */
            if (buf[pos] == '\r' && pos + 1 < len && buf[pos + 1] == '\n') pos++;
            pos++;
            line++;
            continue;
        }
        size_t rec_line = line, nf = 0;
        for (;;) {                                        /* one field per pass */
            char *start = buf + w;
            if (pos < len && buf[pos] == '"') {
                size_t open_line = line;
                pos++;
                for (;;) {
                    HPO_CHECK_GOTO(pos < len, fail, HPO_ESYNTAX,
                                   "%s:%zu: quoted field is never closed (a '\"' is missing)",
                                   name, open_line);
                    char ch = buf[pos];
                    if (ch == '"') {
                        if (pos + 1 < len && buf[pos + 1] == '"') { buf[w++] = '"'; pos += 2; continue; }
                        pos++;
                        break;
                    }
                    HPO_CHECK_GOTO(ch != '\0', fail, HPO_ESYNTAX,
                                   "%s:%zu: NUL byte in the file (is it a text file?)", name, line);
                    if (ch == '\n' || (ch == '\r' && !(pos + 1 < len && buf[pos + 1] == '\n')))
                        line++;
                    buf[w++] = ch;
                    pos++;
                }
                HPO_CHECK_GOTO(pos == len || buf[pos] == ',' || buf[pos] == '\n' || buf[pos] == '\r',
                               fail, HPO_ESYNTAX,
                               "%s:%zu: field %zu: unexpected '%c' after a closing quote "
                               "(a '\"' inside a quoted field must be doubled: \"\")",
                               name, line, nf + 1, buf[pos]);
            } else {
                while (pos < len && buf[pos] != ',' && buf[pos] != '\n' && buf[pos] != '\r') {
                    HPO_CHECK_GOTO(buf[pos] != '\0', fail, HPO_ESYNTAX,
                                   "%s:%zu: NUL byte in the file (is it a text file?)", name, line);
                    buf[w++] = buf[pos++];
                }
            }
            /* Read the separator before the NUL may overwrite it (w <= pos). */
            int sep = pos < len ? buf[pos] : -1;
            buf[w++] = '\0';
            HPO_CHECK_GOTO(grow_impl((void **)&c->cells, &cells_cap, n_cells + 1, sizeof *c->cells),
                           fail, HPO_ENOMEM, "%s: out of memory", name);
            c->cells[n_cells++] = start;
            nf++;
            if (sep == ',') { pos++; continue; }
            if (sep == '\r') { pos++; if (pos < len && buf[pos] == '\n') pos++; line++; }
            else if (sep == '\n') { pos++; line++; }
            break;                                        /* end of record */
        }
        if (n_recs == 0) c->n_cols = nf;
        else HPO_CHECK_GOTO(nf == c->n_cols, fail, HPO_ESYNTAX,
                            "%s:%zu: expected %zu fields, found %zu", name, rec_line, c->n_cols, nf);
        HPO_CHECK_GOTO(grow_impl((void **)&c->lines, &lines_cap, n_recs + 1, sizeof *c->lines),
                       fail, HPO_ENOMEM, "%s: out of memory", name);
        c->lines[n_recs++] = rec_line;
    }
    HPO_CHECK_GOTO(n_recs > 0, fail, HPO_EFORMAT,
                   "%s: the file is empty (expected a header row, then data rows)", name);
    HPO_CHECK_GOTO(n_recs > 1, fail, HPO_EFORMAT,
                   "%s: only a header row, no data rows", name);
    c->n_rows = n_recs - 1;
    *out = c;
    return HPO_OK;
fail:
    hpo_csv_destroy(&c);
    return st;
}

hpo_status hpo_csv_parse(const char *name, const char *text, size_t len, hpo_csv **out)
{
    HPO_CHECK(out, HPO_EINVAL, "hpo_csv_parse: out (argument 4) is NULL");
    *out = NULL;
    HPO_CHECK(text || len == 0, HPO_EINVAL, "hpo_csv_parse: text (argument 2) is NULL");
    if (!name) name = "<csv>";
    HPO_CHECK(len < (size_t)-1, HPO_EINVAL, "%s: text too long", name);
    char *buf = hpo_malloc(len + 1);
    HPO_CHECK(buf, HPO_ENOMEM, "%s: out of memory (%zu bytes)", name, len + 1);
    if (len) memcpy(buf, text, len);
    HPO_TRY(parse_impl(name, buf, len, out));
    return HPO_OK;
}

hpo_status hpo_csv_read(const char *path, hpo_csv **out)
{
    HPO_CHECK(out, HPO_EINVAL, "hpo_csv_read: out (argument 2) is NULL");
    *out = NULL;
    HPO_CHECK(path, HPO_EINVAL, "hpo_csv_read: path (argument 1) is NULL");
    hpo_status st = HPO_OK;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    FILE *f = fopen(path, "rb");
    HPO_CHECK(f, HPO_EIO, "cannot open '%s': %s", path, strerror(errno));
    for (;;) {
        /* keep one spare byte for parse_impl */
        if (cap - len < 2) {
            size_t ncap = cap ? cap * 2 : 65536;
            HPO_CHECK_GOTO(ncap > cap, fail, HPO_ENOMEM, "%s: file too large", path);
            char *p = hpo_realloc(buf, ncap);
            HPO_CHECK_GOTO(p, fail, HPO_ENOMEM, "%s: out of memory (%zu bytes)", path, ncap);
            buf = p;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) {
            HPO_CHECK_GOTO(!ferror(f), fail, HPO_EIO, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    f = NULL;
    HPO_TRY(parse_impl(path, buf, len, out));   /* takes buf, even on failure */
    return HPO_OK;
fail:
    if (f) fclose(f);
    hpo_free(buf);
    return st;
}

size_t hpo_csv_n_rows(const hpo_csv *c) { assert(c); return c->n_rows; }
size_t hpo_csv_n_cols(const hpo_csv *c) { assert(c); return c->n_cols; }
const char *hpo_csv_name(const hpo_csv *c) { assert(c); return c->name; }

const char *hpo_csv_header(const hpo_csv *c, size_t col)
{
    assert(c && col < c->n_cols);
    return c->cells[col];
}

const char *hpo_csv_cell(const hpo_csv *c, size_t row, size_t col)
{
    assert(c && row < c->n_rows && col < c->n_cols);
    return c->cells[(row + 1) * c->n_cols + col];
}

size_t hpo_csv_line(const hpo_csv *c, size_t row)
{
    assert(c && row < c->n_rows);
    return c->lines[row + 1];
}
