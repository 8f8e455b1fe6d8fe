/* report.h - one self-contained HTML page of a study (docs/report.md): the
 * summary, Optuna's four plots as inline SVG (optimization history,
 * intermediate values, parallel coordinates, parameter importances) and a
 * sortable table of trials. No network, no script libraries: the only
 * script is a few lines that sort the table.
 *
 * Each chart is also available alone (an <svg> element), and the axis
 * helpers are public so that tests can pin them. Not collective. */
#ifndef HPO_REPORT_H
#define HPO_REPORT_H

#include <stdio.h>
#include "export.h"

/* hpo_report_html - write the whole page for s. HPO_EIO on a write error,
 * HPO_ENOMEM; what was written stays. */
hpo_status hpo_report_html(const hpo_snapshot *s, FILE *out);

/* The four charts. Counts a test can check: the history has one <circle
 * class="hist-pt"> per COMPLETE trial; the intermediate plot one <polyline
 * class="iv-line iv-<state>"> per COMPLETE, PRUNED or RUNNING trial with at
 * least one value; the parallel coordinates one <polyline class="pc-line">
 * per COMPLETE trial; the importances one <rect class="imp-bar"> per
 * parameter. A chart without data says so in its place. */
hpo_status hpo_report_svg_history(const hpo_snapshot *s, FILE *out);
hpo_status hpo_report_svg_intermediate(const hpo_snapshot *s, FILE *out);
hpo_status hpo_report_svg_parallel(const hpo_snapshot *s, FILE *out);
hpo_status hpo_report_svg_importance(const hpo_snapshot *s, FILE *out);

/* Axis helpers. hpo_axis_range: the shown range for data in [dmin, dmax]
 * (5% margin each side, in log10 space for log; a single value gets a unit
 * or a decade around it). hpo_axis_ticks: "nice" ticks inside [lo, hi]:
 * multiples of 1, 2 or 5 x 10^k (about 5-8 of them) for linear axes; powers
 * of ten for log axes (with 2x and 5x when fewer than two decades show).
 * Returns the count (<= max); *step (may be NULL) gets the linear step. */
void   hpo_axis_range(double dmin, double dmax, int log, double *lo, double *hi);
size_t hpo_axis_ticks(double lo, double hi, int log, double *ticks, size_t max, double *step);
/* A tick's text: "0.25", "1e-05", "300" (no float noise such as 0.30000000000000004). */
void   hpo_tick_label(double v, double step, char *buf, size_t n);

#endif
