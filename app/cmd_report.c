/* cmd_report.c - `mpihpo report FILE.h5 -o OUT.html`: one self-contained
 * HTML page with the study's summary, the four plots and the trial table
 * (io/report.h). Read-only on the checkpoint. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "error.h"
#include "export.h"
#include "mpihpo.h"
#include "report.h"

static const char k_report_help[] =
    "usage: mpihpo report FILE.h5 -o OUT.html\n"
    "\n"
    "Writes one self-contained HTML page (inline SVG, no network, no script\n"
    "libraries) about the study in FILE.h5: a summary, the optimization\n"
    "history with the best value so far, every trial's intermediate values\n"
    "(pruned trials marked where they were cut), the parallel coordinates of\n"
    "the COMPLETE trials, the parameter importances (PED-ANOVA) and a table of\n"
    "all trials that sorts by any column. Works while `mpihpo run` is writing\n"
    "the file.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT   the page to write ('-': standard output)\n"
    "  -h, --help         show this text\n"
    "\n"
    "Example: mpihpo report heart.h5 -o heart.html\n";

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *outp = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': outp = optarg; break;
        case 'h': fputs(k_report_help, stdout); return EXIT_OK;
        default:  fputs("Try 'mpihpo report --help'.\n", stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "mpihpo report: expected one checkpoint file (FILE.h5), got %d arguments\n"
                "Try 'mpihpo report --help'.\n", argc - optind);
        return EXIT_USAGE;
    }
    if (!outp) {
        fprintf(stderr, "mpihpo report: give the page to write with -o OUT.html\n");
        return EXIT_USAGE;
    }
    hpo_snapshot s;
    if (hpo_snapshot_load(argv[optind], &s) != HPO_OK) return die("report");
    int rc = EXIT_OK;
    if (!strcmp(outp, "-")) {
        if (hpo_report_html(&s, stdout) != HPO_OK) rc = die("report");
        hpo_snapshot_clear(&s);
        return rc;
    }
    /* temporary file renamed into place: never half a page */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", outp, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "mpihpo: error: report: cannot write %s: %s\n", outp, strerror(errno));
        hpo_snapshot_clear(&s);
        return EXIT_ERROR;
    }
    hpo_status st = hpo_report_html(&s, f);
    int e = fclose(f);
    if (st != HPO_OK) rc = die("report");
    else if (e != 0 || rename(tmp, outp) != 0) {
        fprintf(stderr, "mpihpo: error: report: cannot write %s: %s\n", outp, strerror(errno));
        rc = EXIT_ERROR;
    }
    if (rc != EXIT_OK) unlink(tmp);
    hpo_snapshot_clear(&s);
    return rc;
}
