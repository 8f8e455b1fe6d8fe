/* main.c - the mpihpo command: dispatch to the subcommands (app/cmd_*.c). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "mpihpo.h"

static const char k_help[] =
    "mpihpo " HPO_VERSION " - hyperparameter optimization the Optuna way, for clusters\n"
    "\n"
    "usage: mpihpo <command> [options]\n"
    "\n"
    "commands:\n"
    "  run STUDY.yaml    run the study a study file describes (see `mpihpo run --help`)\n"
    "  resume FILE.h5    continue the study stored in a checkpoint\n"
    "  show FILE.h5      states, best trial, top trials, importances (--importance)\n"
    "  export FILE.h5 --csv OUT.csv   one row per trial, like Optuna's trials_dataframe\n"
    "  report FILE.h5 -o OUT.html     one self-contained page with the study's plots\n"
    "  help [COMMAND]    show this text, or a command's own\n"
    "\n"
    "options:\n"
    "  -h, --help        show this text\n"
    "  -V, --version     print the version\n"
    "\n"
    "Example: mpihpo run jobs/heart.yaml --trials 20 --seed 1\n";

int main(int argc, char **argv)
{
    if (argc < 2) { fputs(k_help, stderr); return EXIT_USAGE; }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) { fputs(k_help, stdout); return EXIT_OK; }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) { puts("mpihpo " HPO_VERSION); return EXIT_OK; }
    if (!strcmp(cmd, "help")) {
        if (argc > 2 && (!strcmp(argv[2], "run") || !strcmp(argv[2], "resume")))
            return cmd_run(2, (char *[]){"run", "--help", NULL});
        if (argc > 2 && !strcmp(argv[2], "show")) return cmd_show(2, (char *[]){"show", "--help", NULL});
        if (argc > 2 && !strcmp(argv[2], "export")) return cmd_export(2, (char *[]){"export", "--help", NULL});
        if (argc > 2 && !strcmp(argv[2], "report")) return cmd_report(2, (char *[]){"report", "--help", NULL});
        if (argc > 2) { fprintf(stderr, "mpihpo help: unknown command '%s'\n%s", argv[2], k_help); return EXIT_USAGE; }
        else fputs(k_help, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "resume")) return cmd_resume(argc - 1, argv + 1);
    /* The read-only commands may write into a pipe that closes early
     * (`| head`): a failed write is then an error, not a SIGPIPE death. */
    if (!strcmp(cmd, "show") || !strcmp(cmd, "export") || !strcmp(cmd, "report")) signal(SIGPIPE, SIG_IGN);
    if (!strcmp(cmd, "show")) return cmd_show(argc - 1, argv + 1);
    if (!strcmp(cmd, "export")) return cmd_export(argc - 1, argv + 1);
    if (!strcmp(cmd, "report")) return cmd_report(argc - 1, argv + 1);
    fprintf(stderr, "mpihpo: unknown command '%s'\n%s", cmd, k_help);
    return EXIT_USAGE;
}
