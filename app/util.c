/* util.c - helpers shared by the subcommands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "mpihpo.h"

int die(const char *what)
{
    const char *msg = hpo_error_message();
    if (what && (!*what || strstr(msg, what))) what = NULL;    /* the message names it already */
    fprintf(stderr, "mpihpo: error: %s%s%s\n", what ? what : "", what ? ": " : "", msg);
    if (getenv("MPIHPO_TRACEBACK")) fputs(hpo_error_traceback(), stderr);
    return EXIT_ERROR;
}

int parse_i64(const char *s, int64_t lo, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo) return 0;
    *out = v;
    return 1;
}
