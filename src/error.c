/* error.c - the thread-local error message and traceback (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MSG_MAX 2048
#define TRACE_MAX 2048

static _Thread_local char g_msg[MSG_MAX];
static _Thread_local char g_trace[TRACE_MAX];
static _Thread_local hpo_status g_code = HPO_OK;

hpo_status hpo_error_raise(hpo_status code, const char *file, int line,
                           const char *func, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_msg, sizeof g_msg, fmt, ap);
    va_end(ap);
    snprintf(g_trace, sizeof g_trace, "  at %s (%s:%d)\n", func, file, line);
    g_code = code;
    return code;
}

hpo_status hpo_error_push(hpo_status code, const char *file, int line, const char *func)
{
    size_t n = strlen(g_trace);
    if (n + 1 < sizeof g_trace)
        snprintf(g_trace + n, sizeof g_trace - n, "  at %s (%s:%d)\n", func, file, line);
    if (g_code == HPO_OK) {      /* a status returned without a message */
        snprintf(g_msg, sizeof g_msg, "%s", hpo_status_name(code));
        g_code = code;
    }
    return code;
}

void hpo_error_clear(void)
{
    g_msg[0] = '\0';
    g_trace[0] = '\0';
    g_code = HPO_OK;
}

const char *hpo_error_message(void) { return g_msg[0] ? g_msg : "no error"; }
const char *hpo_error_traceback(void) { return g_trace; }

const char *hpo_status_name(hpo_status st)
{
    switch (st) {
    case HPO_OK:      return "ok";
    case HPO_ENOMEM:  return "out of memory";
    case HPO_EINVAL:  return "invalid argument";
    case HPO_ESYNTAX: return "syntax error";
    case HPO_EIO:     return "input/output error";
    case HPO_EFORMAT: return "bad file format";
    case HPO_ESTATE:  return "call in the wrong state";
    case HPO_EMPI:    return "MPI error";
    case HPO_EDONE:   return "nothing left to do";
    case HPO_ESTOP:   return "stopped on request";
    }
    return "unknown status";
}

/* The stop request: a plain sig_atomic_t, written by a signal handler. */
#include <signal.h>
static volatile sig_atomic_t g_stop;
void hpo_request_stop(int sig) { g_stop = sig ? sig : SIGTERM; }
int  hpo_stop_requested(void) { return g_stop; }
