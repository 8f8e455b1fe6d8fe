/* cmd_export.c - `mpihpo export FILE.h5 --csv OUT.csv`: one row per trial,
 * like Optuna's trials_dataframe(), and optionally the intermediate values in
 * long form. Read-only on the checkpoint. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "error.h"
#include "export.h"
#include "mpihpo.h"

static const char k_export_help[] =
    "usage: mpihpo export FILE.h5 --csv OUT.csv [--intermediate OUT2.csv]\n"
    "\n"
    "Writes the trials stored in FILE.h5 as CSV, one row per trial in number\n"
    "order, like Optuna's study.trials_dataframe(): number, value,\n"
    "datetime_start, datetime_complete (UTC), duration (seconds), one\n"
    "params_<name> column per parameter (empty where the trial never asked for\n"
    "it), state, worker, fail_reason. pandas.read_csv reads it as is.\n"
    "Works while `mpihpo run` is writing the file.\n"
    "\n"
    "options:\n"
    "  -c, --csv OUT           the trials table ('-': standard output)\n"
    "  -I, --intermediate OUT  the reported values in long form: trial,step,value\n"
    "                          ('-': standard output)\n"
    "  -h, --help              show this text\n"
    "\n"
    "Example: mpihpo export heart.h5 --csv trials.csv --intermediate curves.csv\n";

/* Write to path through a temporary file renamed into place, so that a
 * failed export never leaves half a file behind; "-" is stdout. */
static int write_out(const hpo_snapshot *s, const char *path, hpo_status (*fn)(const hpo_snapshot *, FILE *))
{
    if (!strcmp(path, "-")) return fn(s, stdout) == HPO_OK ? EXIT_OK : die("export");
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "mpihpo: error: export: cannot write %s: %s\n", path, strerror(errno));
        return EXIT_ERROR;
    }
    hpo_status st = fn(s, f);
    int e = fclose(f);
    if (st == HPO_OK && e != 0) {
        fprintf(stderr, "mpihpo: error: export: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return EXIT_ERROR;
    }
    if (st != HPO_OK) { unlink(tmp); return die("export"); }
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "mpihpo: error: export: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"csv", required_argument, 0, 'c'}, {"intermediate", required_argument, 0, 'I'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *csv = NULL, *inter = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:I:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': csv = optarg; break;
        case 'I': inter = optarg; break;
        case 'h': fputs(k_export_help, stdout); return EXIT_OK;
        default:  fputs("Try 'mpihpo export --help'.\n", stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "mpihpo export: expected one checkpoint file (FILE.h5), got %d arguments\n"
                "Try 'mpihpo export --help'.\n", argc - optind);
        return EXIT_USAGE;
    }
    if (!csv && !inter) {
        fprintf(stderr, "mpihpo export: nothing to write: give --csv OUT.csv and/or --intermediate OUT.csv\n");
        return EXIT_USAGE;
    }
    if (csv && inter && !strcmp(csv, "-") && !strcmp(inter, "-")) {
        fprintf(stderr, "mpihpo export: --csv and --intermediate cannot both go to standard output\n");
        return EXIT_USAGE;
    }
    hpo_snapshot s;
    if (hpo_snapshot_load(argv[optind], &s) != HPO_OK) return die("export");
    int rc = EXIT_OK;
    if (csv) rc = write_out(&s, csv, hpo_export_csv);
    if (rc == EXIT_OK && inter) rc = write_out(&s, inter, hpo_export_intermediate_csv);
    hpo_snapshot_clear(&s);
    return rc;
}
