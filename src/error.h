/* error.h - one status enum for the whole project, and the error stack.
 *
 * A failing library call records a message (what was asked, the offending
 * values, where) with HPO_CHECK, and each caller on the way up adds one
 * traceback line with HPO_TRY. Only app/ turns a status into text and an exit
 * code; nothing in src/ exits or prints errors itself.
 *
 * The message buffer is thread-local, so it is safe in threaded objectives. */
#ifndef HPO_ERROR_H
#define HPO_ERROR_H

#include "mpihpo.h"   /* hpo_status */

/* hpo_error_raise - start a new error: format the message, remember where.
 * Returns code, so HPO_CHECK can `return hpo_error_raise(...)`. */
hpo_status hpo_error_raise(hpo_status code, const char *file, int line,
                           const char *func, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* hpo_error_push - add one traceback frame to the current error; returns code. */
hpo_status hpo_error_push(hpo_status code, const char *file, int line, const char *func);

/* hpo_error_clear - forget the current error (after it was handled). */
void hpo_error_clear(void);

/* Raise an error unless cond holds. For anything a user can cause. */
#define HPO_CHECK(cond, code, ...) do { if (!(cond)) \
    return hpo_error_raise((code), __FILE__, __LINE__, __func__, __VA_ARGS__); } while (0)

/* Raise unconditionally. */
#define HPO_FAIL(code, ...) \
    return hpo_error_raise((code), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Propagate a failed call's status, adding a traceback frame. */
#define HPO_TRY(call) do { hpo_status st_ = (call); if (st_ != HPO_OK) \
    return hpo_error_push(st_, __FILE__, __LINE__, __func__); } while (0)

/* Propagate, but jump to a cleanup label with st set (for functions that own
 * resources). `st` must be a local hpo_status. */
#define HPO_TRY_GOTO(call, label) do { st = (call); if (st != HPO_OK) { \
    hpo_error_push(st, __FILE__, __LINE__, __func__); goto label; } } while (0)

#define HPO_CHECK_GOTO(cond, label, code, ...) do { if (!(cond)) { \
    st = hpo_error_raise((code), __FILE__, __LINE__, __func__, __VA_ARGS__); \
    goto label; } } while (0)

#endif
