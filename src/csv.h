/* csv.h - a CSV reader for real files: a table of string cells.
 *
 * Implements RFC 4180 (quoted fields with "" escapes and commas or line breaks
 * inside quotes) plus what files in the wild do: LF, CRLF or lone-CR line ends,
 * a UTF-8 byte-order mark, blank lines (skipped anywhere, as pandas does), and a
 * missing final line break. The first non-blank record is the header; every
 * record must have as many fields as the header. Cells are kept as text; see
 * dataset.h for turning them into numbers. */
#ifndef HPO_CSV_H
#define HPO_CSV_H

#include <stddef.h>
#include "mpihpo.h"   /* hpo_status */

typedef struct hpo_csv hpo_csv;   /* opaque: a parsed file, immutable once read */

/* hpo_csv_read - read and parse the file at path.
 * On HPO_OK, *out owns the table (free with hpo_csv_destroy). On failure *out
 * is NULL, nothing is leaked, and the message names the file:
 *   HPO_EIO      the file cannot be opened or read (with strerror);
 *   HPO_ESYNTAX  "FILE:LINE: expected 12 fields, found 11", an unclosed quote,
 *                text after a closing quote, or a NUL byte;
 *   HPO_EFORMAT  an empty file (no header) or a header with no data rows;
 *   HPO_EINVAL   path or out is NULL;  HPO_ENOMEM. */
hpo_status hpo_csv_read(const char *path, hpo_csv **out);

/* hpo_csv_parse - the same, from len bytes of text in memory (need not be
 * NUL-terminated; copied). name is used in messages only. For tests and
 * fuzzing. Errors as hpo_csv_read, without HPO_EIO. */
hpo_status hpo_csv_parse(const char *name, const char *text, size_t len, hpo_csv **out);

/* hpo_csv_destroy - free the table; NULL and *c == NULL are fine; clears *c.
 * Every string returned by the accessors below dies here. */
void hpo_csv_destroy(hpo_csv **c);

/* Accessors. This cannot fail; indices out of range are a bug (assert).
 * Strings are NUL-terminated, unquoted and unescaped, and owned by c. */
size_t      hpo_csv_n_rows(const hpo_csv *c);          /* data rows, header excluded; >= 1 */
size_t      hpo_csv_n_cols(const hpo_csv *c);          /* fields per row; >= 1 */
const char *hpo_csv_name(const hpo_csv *c);            /* the path or name it was read from */
const char *hpo_csv_header(const hpo_csv *c, size_t col);
const char *hpo_csv_cell(const hpo_csv *c, size_t row, size_t col);
/* 1-based line of the file on which data row `row` starts (counts blank lines
 * and line breaks inside quoted fields), for error messages. */
size_t      hpo_csv_line(const hpo_csv *c, size_t row);

#endif
