/* test_csv.c - the CSV reader (src/csv.c): RFC 4180 quoting, line ends, BOM,
 * blank lines, error statuses and messages, and out-of-memory handling.
 * Each edge case is a small file under tests/data/csv/. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "csv.h"
#include "error.h"

#define CSV(name) HPO_TEST_DATA "/csv/" name

static hpo_csv *read_ok(const char *path)
{
    hpo_csv *c = NULL;
    hpo_status st = hpo_csv_read(path, &c);
    cr_assert_eq(st, HPO_OK, "%s: %s", path, hpo_error_message());
    cr_assert_not_null(c);
    return c;
}

/* Read a file that must fail with st; the message must contain each of the
 * NULL-terminated strings that follow. */
static void read_fails(const char *path, hpo_status want, ...)
{
    hpo_csv *c = (hpo_csv *)0x1;
    hpo_status st = hpo_csv_read(path, &c);
    cr_assert_eq(st, want, "%s: status %d, want %d (%s)", path, st, want, hpo_error_message());
    cr_assert_null(c, "*out must be NULL on failure");
    va_list ap;
    va_start(ap, want);
    for (const char *s; (s = va_arg(ap, const char *));)
        cr_assert(strstr(hpo_error_message(), s), "message '%s' lacks '%s'", hpo_error_message(), s);
    va_end(ap);
}

Test(csv, quoted_fields)
{
    hpo_csv *c = read_ok(CSV("quoted.csv"));
    cr_assert_eq(hpo_csv_n_cols(c), 3);
    cr_assert_eq(hpo_csv_n_rows(c), 5);
    cr_assert_str_eq(hpo_csv_header(c, 1), "text");
    cr_assert_str_eq(hpo_csv_cell(c, 0, 1), "a, b");
    cr_assert_str_eq(hpo_csv_cell(c, 1, 1), "say \"hi\"");
    cr_assert_str_eq(hpo_csv_cell(c, 2, 1), "two\nlines");
    cr_assert_str_eq(hpo_csv_cell(c, 3, 1), "");
    cr_assert_str_eq(hpo_csv_cell(c, 4, 1), "plain");
    cr_assert_str_eq(hpo_csv_cell(c, 4, 2), "6");
    /* the quoted line break moves the later rows down one line */
    size_t want_line[] = {2, 3, 4, 6, 7};
    for (size_t r = 0; r < 5; r++) cr_assert_eq(hpo_csv_line(c, r), want_line[r], "row %zu", r);
    cr_assert_str_eq(hpo_csv_name(c), CSV("quoted.csv"));
    hpo_csv_destroy(&c);
    cr_assert_null(c);
}

Test(csv, crlf)
{
    hpo_csv *c = read_ok(CSV("crlf.csv"));
    cr_assert_eq(hpo_csv_n_rows(c), 3);
    cr_assert_str_eq(hpo_csv_header(c, 1), "b");   /* no '\r' left on the last field */
    cr_assert_str_eq(hpo_csv_cell(c, 0, 1), "2");
    cr_assert_str_eq(hpo_csv_cell(c, 1, 1), "x\r\ny");   /* kept inside quotes */
    cr_assert_str_eq(hpo_csv_cell(c, 2, 1), "6");
    cr_assert_eq(hpo_csv_line(c, 2), 5);
    hpo_csv_destroy(&c);
}

Test(csv, bom)
{
    hpo_csv *c = read_ok(CSV("bom.csv"));
    cr_assert_str_eq(hpo_csv_header(c, 0), "name");
    cr_assert_eq(hpo_csv_n_rows(c), 2);
    cr_assert_str_eq(hpo_csv_cell(c, 1, 0), "B");
    hpo_csv_destroy(&c);
}

Test(csv, trailing_blank_lines)
{
    hpo_csv *c = read_ok(CSV("trailing_blank.csv"));
    cr_assert_eq(hpo_csv_n_rows(c), 2);
    cr_assert_str_eq(hpo_csv_cell(c, 1, 1), "4");
    hpo_csv_destroy(&c);
}

Test(csv, blank_line_in_the_middle_keeps_line_numbers)
{
    hpo_csv *c = read_ok(CSV("blank_middle.csv"));
    cr_assert_eq(hpo_csv_n_rows(c), 2);
    cr_assert_eq(hpo_csv_line(c, 0), 2);
    cr_assert_eq(hpo_csv_line(c, 1), 4);
    cr_assert_str_eq(hpo_csv_cell(c, 1, 0), "3");
    hpo_csv_destroy(&c);
}

Test(csv, no_final_newline)
{
    hpo_csv *c = read_ok(CSV("no_final_newline.csv"));
    cr_assert_eq(hpo_csv_n_rows(c), 2);
    cr_assert_str_eq(hpo_csv_cell(c, 1, 1), "4");
    hpo_csv_destroy(&c);
}

Test(csv, one_row)
{
    hpo_csv *c = read_ok(CSV("one_row.csv"));
    cr_assert_eq(hpo_csv_n_rows(c), 1);
    cr_assert_eq(hpo_csv_n_cols(c), 2);
    cr_assert_str_eq(hpo_csv_cell(c, 0, 0), "1");
    hpo_csv_destroy(&c);
}

Test(csv, empty_file)
{
    read_fails(CSV("empty.csv"), HPO_EFORMAT, "empty.csv", "empty", NULL);
    read_fails(CSV("blank_only.csv"), HPO_EFORMAT, "blank_only.csv", "empty", NULL);
}

Test(csv, header_only)
{
    read_fails(CSV("header_only.csv"), HPO_EFORMAT, "header_only.csv", "no data rows", NULL);
}

Test(csv, wrong_field_count)
{
    read_fails(CSV("wrong_fields.csv"), HPO_ESYNTAX,
               "wrong_fields.csv:4: expected 12 fields, found 11", NULL);
    read_fails(CSV("too_many_fields.csv"), HPO_ESYNTAX,
               "too_many_fields.csv:3: expected 2 fields, found 3", NULL);
}

Test(csv, unclosed_quote)
{
    read_fails(CSV("unclosed_quote.csv"), HPO_ESYNTAX, "unclosed_quote.csv:2:", "never closed", NULL);
}

Test(csv, text_after_closing_quote)
{
    read_fails(CSV("after_quote.csv"), HPO_ESYNTAX, "after_quote.csv:2:", "after a closing quote", NULL);
}

Test(csv, missing_file_is_eio)
{
    read_fails(CSV("no_such_file.csv"), HPO_EIO, "no_such_file.csv", "No such file", NULL);
}

Test(csv, directory_is_eio)
{
    read_fails(HPO_TEST_DATA "/csv", HPO_EIO, "/csv", NULL);
}

Test(csv, bad_arguments)
{
    hpo_csv *c = NULL;
    cr_assert_eq(hpo_csv_read(NULL, &c), HPO_EINVAL);
    cr_assert_eq(hpo_csv_read(CSV("one_row.csv"), NULL), HPO_EINVAL);
    cr_assert_eq(hpo_csv_parse("x", NULL, 3, &c), HPO_EINVAL);
    hpo_csv_destroy(NULL);
    hpo_csv_destroy(&c);   /* *c == NULL */
}

/* In memory: cases that are awkward as files. */
static hpo_status parse(const char *text, size_t len, hpo_csv **c)
{
    *c = NULL;
    return hpo_csv_parse("mem.csv", text, len, c);
}

Test(csv, in_memory_edges)
{
    hpo_csv *c;
    /* trailing comma with no final newline: an empty last field */
    cr_assert_eq(parse("a,b\n1,", 6, &c), HPO_OK, "%s", hpo_error_message());
    cr_assert_str_eq(hpo_csv_cell(c, 0, 1), "");
    hpo_csv_destroy(&c);
    /* quoted last field at end of input, with an escaped quote at its end */
    cr_assert_eq(parse("a\n\"x\"\"\"", 7, &c), HPO_OK, "%s", hpo_error_message());
    cr_assert_str_eq(hpo_csv_cell(c, 0, 0), "x\"");
    hpo_csv_destroy(&c);
    /* lone CR line ends (old Mac files) */
    cr_assert_eq(parse("a,b\r1,2\r3,4", 11, &c), HPO_OK, "%s", hpo_error_message());
    cr_assert_eq(hpo_csv_n_rows(c), 2);
    cr_assert_eq(hpo_csv_line(c, 1), 3);
    hpo_csv_destroy(&c);
    /* a BOM and nothing else is an empty file */
    cr_assert_eq(parse("\xEF\xBB\xBF", 3, &c), HPO_EFORMAT);
    cr_assert_null(c);
    cr_assert_eq(parse("", 0, &c), HPO_EFORMAT);
    /* a NUL byte is refused, not silently truncating a cell */
    cr_assert_eq(parse("a,b\n1,x\0y\n", 10, &c), HPO_ESYNTAX);
    cr_assert(strstr(hpo_error_message(), "mem.csv:2: NUL"), "%s", hpo_error_message());
    cr_assert_eq(parse("a,b\n1,\"x\0y\"\n", 12, &c), HPO_ESYNTAX);
    /* a quote inside an unquoted field is kept as text (as pandas does) */
    cr_assert_eq(parse("a\nsay \"x\"\n", 10, &c), HPO_OK);
    cr_assert_str_eq(hpo_csv_cell(c, 0, 0), "say \"x\"");
    hpo_csv_destroy(&c);
    /* one column, single field rows */
    cr_assert_eq(parse("a\n1\n2\n", 6, &c), HPO_OK);
    cr_assert_eq(hpo_csv_n_rows(c), 2);
    hpo_csv_destroy(&c);
}

Test(csv, many_rows_grow_buffers)
{
    /* past the first 64-cell capacity and the 64 KiB read chunk */
    size_t rows = 20000, cap = rows * 16 + 16, len = 0;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    len += (size_t)sprintf(text + len, "i,sq\n");
    for (size_t i = 0; i < rows; i++) len += (size_t)sprintf(text + len, "%zu,%zu\n", i, i * i);
    hpo_csv *c;
    cr_assert_eq(parse(text, len, &c), HPO_OK, "%s", hpo_error_message());
    cr_assert_eq(hpo_csv_n_rows(c), rows);
    cr_assert_str_eq(hpo_csv_cell(c, 12345, 1), "152399025");
    cr_assert_eq(hpo_csv_line(c, rows - 1), rows + 1);
    hpo_csv_destroy(&c);

    char path[] = "/tmp/hpo_csv_big_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
    c = read_ok(path);
    cr_assert_eq(hpo_csv_n_rows(c), rows);
    cr_assert_str_eq(hpo_csv_cell(c, rows - 1, 0), "19999");
    hpo_csv_destroy(&c);
    remove(path);
    free(text);
}

Test(csv, heart_file)
{
    hpo_csv *c = read_ok(HPO_DATA_DIR "/heart.csv");
    cr_assert_eq(hpo_csv_n_rows(c), 918);
    cr_assert_eq(hpo_csv_n_cols(c), 12);
    cr_assert_str_eq(hpo_csv_header(c, 11), "HeartDisease");
    cr_assert_eq(hpo_csv_line(c, 917), 919);
    hpo_csv_destroy(&c);
}

/* SQLite-style OOM loop: fail the n-th allocation (pass 0) or every one from
 * n on (pass 1) until the read succeeds; every failure must be HPO_ENOMEM
 * and leave no block behind. */
static void oom_loop(const char *path)
{
    for (int sticky = 0; sticky < 2; sticky++) {
        long base = hpo_test_alloc_live();
        for (long n = 0;; n++) {
            hpo_csv *c = NULL;
            hpo_test_alloc_fail_at(n, sticky);
            hpo_status st = hpo_csv_read(path, &c);
            hpo_test_alloc_reset();
            if (st == HPO_OK) {
                cr_assert_gt(n, 0);
                hpo_csv_destroy(&c);
                cr_assert_eq(hpo_test_alloc_live(), base);
                break;
            }
            cr_assert_eq(st, HPO_ENOMEM, "allocation %ld: status %d (%s)", n, st, hpo_error_message());
            cr_assert_null(c);
            cr_assert_eq(hpo_test_alloc_live(), base, "leak after failing allocation %ld", n);
        }
    }
}

Test(csv_oom, read)
{
    oom_loop(CSV("quoted.csv"));
    oom_loop(HPO_DATA_DIR "/heart.csv");   /* grows the cell and line arrays */
}
