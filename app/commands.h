/* commands.h - the mpihpo subcommands, one file each (app/cmd_*.c), and
 * the few helpers they share (app/util.c). Only app/ turns a status into a
 * message and an exit code. */
#ifndef HPO_COMMANDS_H
#define HPO_COMMANDS_H

#include <stdint.h>

/* Exit codes (docs/cluster.md): 0 done; 1 an error (message on stderr);
 * 2 bad command line; 3 stopped by a signal (SIGTERM/SIGINT/SIGUSR1) with
 * every finished trial stored: resume to continue. */
enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_STOPPED = 3 };

int cmd_run(int argc, char **argv);       /* argv[0] = "run" */
int cmd_show(int argc, char **argv);      /* argv[0] = "show": read-only summary of a checkpoint */
int cmd_export(int argc, char **argv);    /* argv[0] = "export": trials as CSV */
int cmd_report(int argc, char **argv);    /* argv[0] = "report": one HTML page with the plots */
int cmd_resume(int argc, char **argv);    /* argv[0] = "resume" */

/* Print "mpihpo: error: WHAT: <the last error>" and return EXIT_ERROR. */
int die(const char *what);
/* Parse a whole decimal int64 >= lo; 0 if it is not one. */
int parse_i64(const char *s, int64_t lo, int64_t *out);

#endif
