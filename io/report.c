/* report.c - the HTML report: summary, four inline SVG charts (Optuna's
 * plot_optimization_history, plot_intermediate_values,
 * plot_parallel_coordinate, plot_param_importances) and a sortable trial
 * table. Everything is written straight to a FILE; the page needs nothing
 * but itself. Layout constants are in pixels of the SVG's own viewBox. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "importance.h"

#define P(...) fprintf(out, __VA_ARGS__)

#define C_COMPLETE "#1f77b4"
#define C_PRUNED   "#d62728"
#define C_RUNNING  "#7f7f7f"
#define C_BEST     "#d62728"
#define C_GRID     "#e5e5e5"
#define C_AXIS     "#444"

/* ---- axes ------------------------------------------------------------------ */

void hpo_axis_range(double dmin, double dmax, int log, double *lo, double *hi)
{
    if (!isfinite(dmin) || !isfinite(dmax)) { dmin = 0; dmax = 1; }
    if (log && dmin > 0 && dmax > 0) {
        double a = log10(dmin), b = log10(dmax);
        if (a == b) { a -= 0.5; b += 0.5; }
        double m = 0.05 * (b - a);
        *lo = pow(10, a - m); *hi = pow(10, b + m);
        return;
    }
    if (dmin == dmax) {
        double d = fabs(dmin) > 0 ? 0.1 * fabs(dmin) : 1;
        dmin -= d; dmax += d;
    }
    double m = 0.05 * (dmax - dmin);
    *lo = dmin - m; *hi = dmax + m;
}

static double nice_step(double range, int target)
{
    double raw = range / target, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

size_t hpo_axis_ticks(double lo, double hi, int log, double *ticks, size_t max, double *step)
{
    size_t n = 0;
    if (step) *step = 0;
    if (!(hi > lo) || !max) return 0;
    if (log && lo > 0) {
        int a = (int)ceil(log10(lo) - 1e-9), b = (int)floor(log10(hi) + 1e-9);
        int every = b - a + 1 > 8 ? (b - a + 8) / 8 : 1;
        if (b - a >= 1) {
            for (int k = a; k <= b && n < max; k += every) ticks[n++] = pow(10, k);
            return n;
        }
        static const double mult[] = { 1, 2, 5 };
        for (int k = a - 1; k <= b && n < max; k++)
            for (int j = 0; j < 3 && n < max; j++) {
                double v = mult[j] * pow(10, k);
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks[n++] = v;
            }
        if (n >= 2) return n;
        n = 0;      /* less than one 1-2-5 step: fall back to linear ticks */
    }
    double s = nice_step(hi - lo, 6);
    if (step) *step = s;
    for (double k = ceil(lo / s - 1e-9); k * s <= hi + 1e-9 * s && n < max; k++) ticks[n++] = k * s;
    return n;
}

void hpo_tick_label(double v, double step, char *buf, size_t n)
{
    if (step > 0 && fabs(v) < 0.5 * step) v = 0;          /* -1.3e-17 -> 0 */
    double a = fabs(v);
    if (v == 0) { snprintf(buf, n, "0"); return; }
    if (a >= 1e-3 && a < 1e6) {
        int dec = step > 0 ? (int)fmax(0, ceil(-log10(step) - 1e-9)) : 6;
        if (dec > 8) dec = 8;
        snprintf(buf, n, "%.*f", dec, v);
        if (step <= 0 && strchr(buf, '.')) {               /* log ticks: trim zeros */
            char *e = buf + strlen(buf) - 1;
            while (*e == '0') *e-- = '\0';
            if (*e == '.') *e = '\0';
        }
        return;
    }
    snprintf(buf, n, "%.3g", v);
}

typedef struct axis { double lo, hi; int log; double p0, p1; } axis;   /* data [lo,hi] -> pixels [p0,p1] */

static double amap(const axis *a, double v)
{
    double t = a->log ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo)) : (v - a->lo) / (a->hi - a->lo);
    return a->p0 + t * (a->p1 - a->p0);
}

/* ---- text ------------------------------------------------------------------------ */

static void esc(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default:  fputc(*s, out);
        }
    }
}

/* Shortest round-trip text of x ("" for NaN): the numbers in the page are
 * the numbers in the file. */
static char *num(double x, char *buf, size_t n)
{
    if (isnan(x)) { snprintf(buf, n, "%s", ""); return buf; }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    return buf;
}

/* Blues ramp, t in [0,1]: 0 pale (worst) .. 1 dark (best). */
static void ramp(double t, char *buf, size_t n)
{
    static const unsigned char st[4][3] = { { 198, 219, 239 }, { 107, 174, 214 }, { 33, 113, 181 }, { 8, 48, 107 } };
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double x = t * 3;
    int i = x >= 3 ? 2 : (int)x;
    double f = x - i;
    int c[3];
    for (int k = 0; k < 3; k++) c[k] = (int)lround(st[i][k] + f * (st[i + 1][k] - st[i][k]));
    snprintf(buf, n, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* ---- chart frame ----------------------------------------------------------------- */

typedef struct frame { double W, H, L, R, T, B; } frame;   /* size; plot area [L, W-R] x [T, H-B] */

static void svg_open(FILE *out, const frame *f, const char *id, const char *title)
{
    P("<svg id=\"%s\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
      "width=\"%.0f\" height=\"%.0f\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
      id, f->W, f->H, f->W, f->H);
    P("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    P("<text class=\"title\" x=\"%.1f\" y=\"22\" font-size=\"16\" font-weight=\"bold\">", f->L);
    esc(out, title);
    P("</text>\n");
}

static void svg_empty(FILE *out, const frame *f, const char *id, const char *title, const char *why)
{
    svg_open(out, f, id, title);
    P("<text class=\"empty\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#666\">", f->W / 2, f->H / 2);
    esc(out, why);
    P("</text>\n</svg>\n");
}

/* A horizontal (x) axis at the bottom with grid lines, ticks and a title. */
static void x_axis(FILE *out, const frame *f, const axis *a, int integers, const char *label)
{
    double t[32], step;
    size_t n = hpo_axis_ticks(a->lo, a->hi, a->log, t, 32, &step);
    double y = f->H - f->B;
    for (size_t i = 0; i < n; i++) {
        if (integers && fabs(t[i] - round(t[i])) > 1e-9) continue;
        double x = amap(a, t[i]);
        char lb[64];
        hpo_tick_label(t[i], integers && step < 1 ? 1 : step, lb, sizeof lb);
        P("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_GRID "\"/>", x, f->T, x, y);
        P("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\"/>", x, y, x, y + 5);
        P("<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, y + 18, lb);
    }
    P("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\"/>\n", f->L, y, f->W - f->R, y);
    P("<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\">",
      (f->L + f->W - f->R) / 2, f->H - 12);
    esc(out, label);
    P("</text>\n");
}

static void y_axis(FILE *out, const frame *f, const axis *a, const char *label)
{
    double t[32], step;
    size_t n = hpo_axis_ticks(a->lo, a->hi, a->log, t, 32, &step);
    for (size_t i = 0; i < n; i++) {
        double y = amap(a, t[i]);
        char lb[64];
        hpo_tick_label(t[i], step, lb, sizeof lb);
        P("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_GRID "\"/>", f->L, y, f->W - f->R, y);
        P("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\"/>", f->L - 5, y, f->L, y);
        P("<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", f->L - 8, y + 4, lb);
    }
    P("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\"/>\n", f->L, f->T, f->L, f->H - f->B);
    double cy = (f->T + f->H - f->B) / 2;
    P("<text class=\"axis-title\" x=\"16\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" "
      "transform=\"rotate(-90 16 %.1f)\">", cy, cy);
    esc(out, label);
    P("</text>\n");
}

/* Legend box at the top right of the plot area; kinds: 0 line, 1 dot, 2 cross, 3 dashed line. */
typedef struct legend_item { const char *text, *colour; int kind; } legend_item;

static void legend(FILE *out, const frame *f, const legend_item *it, size_t n)
{
    double w = 0;
    for (size_t i = 0; i < n; i++) w += 7.0 * (double)strlen(it[i].text) + 52;
    double x = f->W - f->R - w, cy = f->T - 16;
    P("<g class=\"legend\">\n");
    for (size_t i = 0; i < n; i++) {
        const char *c = it[i].colour;
        switch (it[i].kind) {
        case 1: P("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>", x + 18, cy, c); break;
        case 2: P("<path d=\"M%.1f %.1fl8 8m0 -8l-8 8\" stroke=\"%s\" stroke-width=\"2\"/>", x + 14, cy - 4, c); break;
        default: P("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>",
                   x + 8, cy, x + 28, cy, c, it[i].kind == 3 ? " stroke-dasharray=\"4 3\"" : "");
        }
        P("<text x=\"%.1f\" y=\"%.1f\">", x + 36, cy + 4);
        esc(out, it[i].text);
        P("</text>\n");
        x += 7.0 * (double)strlen(it[i].text) + 52;
    }
    P("</g>\n");
}

static const char *objective_label(const hpo_snapshot *s)
{
    return s->meta.direction == HPO_MAXIMIZE ? "Objective Value (maximize)" : "Objective Value (minimize)";
}

/* ---- 1. optimization history ------------------------------------------------------ */

hpo_status hpo_report_svg_history(const hpo_snapshot *s, FILE *out)
{
    HPO_CHECK(s && out, HPO_EINVAL, "hpo_report_svg_history: NULL argument");
    frame f = { 900, 430, 80, 30, 56, 55 };
    const char *title = "Optimization History";
    double vmin = INFINITY, vmax = -INFINITY, nmin = INFINITY, nmax = -INFINITY;
    size_t nc = 0;
    for (size_t i = 0; i < s->n; i++) {
        const hpo_trial_rec *t = s->trials[i];
        if (!t || t->state != HPO_COMPLETE || !isfinite(t->value)) continue;
        nc++;
        vmin = fmin(vmin, t->value); vmax = fmax(vmax, t->value);
        nmin = fmin(nmin, (double)t->number); nmax = fmax(nmax, (double)t->number);
    }
    if (!nc) { svg_empty(out, &f, "history", title, "No COMPLETE trial yet."); return HPO_OK; }
    axis ax = { 0, 0, 0, f.L, f.W - f.R }, ay = { 0, 0, 0, f.H - f.B, f.T };
    hpo_axis_range(nmin, nmax, 0, &ax.lo, &ax.hi);
    hpo_axis_range(vmin, vmax, 0, &ay.lo, &ay.hi);
    svg_open(out, &f, "history", title);
    x_axis(out, &f, &ax, 1, "Trial");
    y_axis(out, &f, &ay, objective_label(s));
    char b1[40];
    /* best so far, in trial-number order */
    P("<polyline class=\"hist-best\" fill=\"none\" stroke=\"" C_BEST "\" stroke-width=\"2\" points=\"");
    double best = NAN;
    for (size_t i = 0; i < s->n; i++) {
        const hpo_trial_rec *t = s->trials[i];
        if (!t || t->state != HPO_COMPLETE || !isfinite(t->value)) continue;
        if (isnan(best) || hpo_better(s->meta.direction, t->value, best)) best = t->value;
        P("%.1f,%.1f ", amap(&ax, (double)t->number), amap(&ay, best));
    }
    P("\"/>\n");
    for (size_t i = 0; i < s->n; i++) {
        const hpo_trial_rec *t = s->trials[i];
        if (!t || t->state != HPO_COMPLETE || !isfinite(t->value)) continue;
        P("<circle class=\"hist-pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"" C_COMPLETE "\" fill-opacity=\"0.85\">"
          "<title>Trial %" PRId64 ": %s</title></circle>\n", amap(&ax, (double)t->number), amap(&ay, t->value),
          t->number, num(t->value, b1, sizeof b1));
    }
    legend_item it[] = { { "Objective Value", C_COMPLETE, 1 }, { "Best Value", C_BEST, 0 } };
    legend(out, &f, it, 2);
    P("</svg>\n");
    return HPO_OK;
}

/* ---- 2. intermediate values ---------------------------------------------------------- */

static int iv_shown(const hpo_trial_rec *t)
{
    if (!t || t->state == HPO_FAIL) return 0;
    for (size_t k = 0; k < t->n_inter; k++) if (isfinite(t->inter[k])) return 1;
    return 0;
}

hpo_status hpo_report_svg_intermediate(const hpo_snapshot *s, FILE *out)
{
    HPO_CHECK(s && out, HPO_EINVAL, "hpo_report_svg_intermediate: NULL argument");
    frame f = { 900, 430, 80, 30, 56, 55 };
    const char *title = "Intermediate Values";
    double vmin = INFINITY, vmax = -INFINITY, smin = INFINITY, smax = -INFINITY;
    size_t cnt[4] = { 0, 0, 0, 0 };
    for (size_t i = 0; i < s->n; i++) {
        const hpo_trial_rec *t = s->trials[i];
        if (!iv_shown(t)) continue;
        cnt[t->state]++;
        for (size_t k = 0; k < t->n_inter; k++) {
            if (!isfinite(t->inter[k])) continue;
            vmin = fmin(vmin, t->inter[k]); vmax = fmax(vmax, t->inter[k]);
            smin = fmin(smin, (double)t->steps[k]); smax = fmax(smax, (double)t->steps[k]);
        }
    }
    if (!cnt[HPO_COMPLETE] && !cnt[HPO_PRUNED] && !cnt[HPO_RUNNING]) {
        svg_empty(out, &f, "intermediate", title, "No trial reported intermediate values.");
        return HPO_OK;
    }
    axis ax = { 0, 0, 0, f.L, f.W - f.R }, ay = { 0, 0, 0, f.H - f.B, f.T };
    hpo_axis_range(smin, smax, 0, &ax.lo, &ax.hi);
    hpo_axis_range(vmin, vmax, 0, &ay.lo, &ay.hi);
    svg_open(out, &f, "intermediate", title);
    x_axis(out, &f, &ax, 1, "Step");
    y_axis(out, &f, &ay, "Intermediate Value");
    /* COMPLETE first, PRUNED and RUNNING on top of them */
    static const hpo_state order[3] = { HPO_COMPLETE, HPO_PRUNED, HPO_RUNNING };
    for (int o = 0; o < 3; o++) {
        for (size_t i = 0; i < s->n; i++) {
            const hpo_trial_rec *t = s->trials[i];
            if (!iv_shown(t) || t->state != order[o]) continue;
            const char *c = t->state == HPO_COMPLETE ? C_COMPLETE : t->state == HPO_PRUNED ? C_PRUNED : C_RUNNING;
            const char *cls = t->state == HPO_COMPLETE ? "complete" : t->state == HPO_PRUNED ? "pruned" : "running";
            P("<polyline class=\"iv-line iv-%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" stroke-opacity=\"0.7\"%s points=\"",
              cls, c, t->state == HPO_RUNNING ? " stroke-dasharray=\"5 3\"" : "");
            double lx = 0, ly = 0;
            for (size_t k = 0; k < t->n_inter; k++) {
                if (!isfinite(t->inter[k])) continue;
                lx = amap(&ax, (double)t->steps[k]); ly = amap(&ay, t->inter[k]);
                P("%.1f,%.1f ", lx, ly);
            }
            P("\"><title>Trial %" PRId64 " (%s)</title></polyline>\n", t->number, hpo_state_name(t->state));
            if (t->state == HPO_PRUNED)       /* where it was cut short */
                P("<path class=\"iv-cut\" d=\"M%.1f %.1fl7 7m0 -7l-7 7\" stroke=\"" C_PRUNED "\" stroke-width=\"2\"/>\n",
                  lx - 3.5, ly - 3.5);
            else
                P("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", lx, ly, c);
        }
    }
    char l[3][64];
    snprintf(l[0], sizeof l[0], "COMPLETE (%zu)", cnt[HPO_COMPLETE]);
    snprintf(l[1], sizeof l[1], "PRUNED (%zu), x = pruned here", cnt[HPO_PRUNED]);
    snprintf(l[2], sizeof l[2], "RUNNING (%zu)", cnt[HPO_RUNNING]);
    legend_item it[3] = { { l[0], C_COMPLETE, 0 }, { l[1], C_PRUNED, 2 }, { l[2], C_RUNNING, 3 } };
    legend(out, &f, it, cnt[HPO_RUNNING] ? 3 : 2);
    P("</svg>\n");
    return HPO_OK;
}

/* ---- 3. parallel coordinates ------------------------------------------------------------ */

typedef struct pcaxis {
    const char *name;         /* NULL: the objective */
    int cat, log, integer, has_absent;
    axis a;
    size_t n_labels;
    char **labels;            /* categorical: choice texts, in first-seen order */
} pcaxis;

static long label_index(pcaxis *x, const char *s, int add)
{
    for (size_t i = 0; i < x->n_labels; i++) if (!strcmp(x->labels[i], s)) return (long)i;
    if (!add) return -1;
    char **nl = hpo_realloc(x->labels, (x->n_labels + 1) * sizeof *nl);
    if (!nl) return -2;
    x->labels = nl;
    if (!(x->labels[x->n_labels] = hpo_strdup(s))) return -2;
    return (long)x->n_labels++;
}

static double pc_value(pcaxis *x, const hpo_param_rec *p)
{
    if (x->cat) {
        char b[512];
        hpo_pval_format(&p->dist, p->v, b, sizeof b);
        return (double)label_index(x, b, 0);
    }
    return p->dist.kind == HPO_DIST_FLOAT ? p->v.f : (double)p->v.i;
}

static int cmp_by_value(const void *a, const void *b, int maximize)
{
    double x = (*(const hpo_trial_rec *const *)a)->value, y = (*(const hpo_trial_rec *const *)b)->value;
    int c = (x > y) - (x < y);
    return maximize ? c : -c;          /* worst first, best drawn last */
}
static int cmp_max(const void *a, const void *b) { return cmp_by_value(a, b, 1); }
static int cmp_min(const void *a, const void *b) { return cmp_by_value(a, b, 0); }

hpo_status hpo_report_svg_parallel(const hpo_snapshot *s, FILE *out)
{
    HPO_CHECK(s && out, HPO_EINVAL, "hpo_report_svg_parallel: NULL argument");
    const char *title = "Parallel Coordinate Plot";
    size_t nc = 0;
    const hpo_trial_rec **tr = hpo_calloc(s->n ? s->n : 1, sizeof *tr);
    HPO_CHECK(tr, HPO_ENOMEM, "out of memory for the parallel coordinates");
    for (size_t i = 0; i < s->n; i++)
        if (s->trials[i] && s->trials[i]->state == HPO_COMPLETE && isfinite(s->trials[i]->value)) tr[nc++] = s->trials[i];
    const char **names = NULL;
    size_t np = 0;
    hpo_status st = HPO_OK;
    pcaxis *ax = NULL;
    /* names of parameters used by COMPLETE trials, sorted */
    if (nc) {
        hpo_snapshot sub = s[0];
        sub.trials = (hpo_trial_rec **)tr;
        sub.n = nc;
        HPO_TRY_GOTO(hpo_snapshot_param_names(&sub, &names, &np), done);
    }
    frame f = { fmax(900, 150.0 * (double)(np + 1) + 200), 490, 90, 160, 84, 60 };
    if (!nc) { svg_empty(out, &f, "parallel", title, "No COMPLETE trial yet."); goto done; }
    size_t na = np + 1;
    ax = hpo_calloc(na, sizeof *ax);
    HPO_CHECK_GOTO(ax, done, HPO_ENOMEM, "out of memory for the parallel coordinates");
    double vmin = INFINITY, vmax = -INFINITY;
    for (size_t k = 0; k < nc; k++) { vmin = fmin(vmin, tr[k]->value); vmax = fmax(vmax, tr[k]->value); }
    hpo_axis_range(vmin, vmax, 0, &ax[0].a.lo, &ax[0].a.hi);
    for (size_t j = 1; j < na; j++) {
        pcaxis *x = &ax[j];
        x->name = names[j - 1];
        double lo = INFINITY, hi = -INFINITY;
        for (size_t k = 0; k < nc; k++) {
            const hpo_param_rec *p = hpo_rec_find_param(tr[k], x->name);
            if (!p) { x->has_absent = 1; continue; }
            const hpo_dist *d = &p->dist;
            if (d->kind == HPO_DIST_CAT) {
                x->cat = 1;
                for (size_t c = 0; c < d->n_choices; c++) {
                    char b[512];
                    hpo_choice_format(&d->choices[c], b, sizeof b);
                    HPO_CHECK_GOTO(label_index(x, b, 1) >= 0, done, HPO_ENOMEM, "out of memory");
                }
            } else {
                x->log |= d->log;
                x->integer = d->kind == HPO_DIST_INT;
                lo = fmin(lo, d->kind == HPO_DIST_FLOAT ? d->flo : (double)d->ilo);
                hi = fmax(hi, d->kind == HPO_DIST_FLOAT ? d->fhi : (double)d->ihi);
            }
        }
        if (x->cat) { x->a.lo = -0.5; x->a.hi = (double)x->n_labels - 0.5; }
        else if (lo == hi || (x->log && !(lo > 0))) hpo_axis_range(lo, hi, x->log && lo > 0, &x->a.lo, &x->a.hi);
        else { x->a.lo = lo; x->a.hi = hi; }
        x->a.log = x->log && !x->cat && x->a.lo > 0;
    }
    double top = f.T, bot = f.H - f.B, absent_y = bot + 26;
    double dx = na > 1 ? (f.W - f.L - f.R) / (double)(na - 1) : 0;
    for (size_t j = 0; j < na; j++) { ax[j].a.p0 = bot; ax[j].a.p1 = top; }
    svg_open(out, &f, "parallel", title);
    P("<text x=\"%.1f\" y=\"40\" fill=\"#555\">One line per COMPLETE trial (%zu), coloured by objective value; "
      "darker is better.</text>\n", f.L, nc);
    /* the lines, worst first */
    qsort(tr, nc, sizeof *tr, s->meta.direction == HPO_MAXIMIZE ? cmp_max : cmp_min);
    for (size_t k = 0; k < nc; k++) {
        double t = vmax > vmin ? (tr[k]->value - vmin) / (vmax - vmin) : 1;
        if (s->meta.direction == HPO_MINIMIZE) t = 1 - t;
        char col[16], vb[40];
        ramp(t, col, sizeof col);
        P("<polyline class=\"pc-line\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" stroke-opacity=\"0.8\" points=\"", col);
        for (size_t j = 0; j < na; j++) {
            double y;
            if (j == 0) y = amap(&ax[0].a, tr[k]->value);
            else {
                const hpo_param_rec *p = hpo_rec_find_param(tr[k], ax[j].name);
                double v = p ? pc_value(&ax[j], p) : NAN;
                y = !p || (ax[j].cat && v < 0) || (ax[j].a.log && !(v > 0)) ? absent_y : amap(&ax[j].a, v);
            }
            P("%.1f,%.1f ", f.L + dx * (double)j, y);
        }
        P("\"><title>Trial %" PRId64 ": %s</title></polyline>\n", tr[k]->number, num(tr[k]->value, vb, sizeof vb));
    }
    /* the axes on top of the lines */
    for (size_t j = 0; j < na; j++) {
        pcaxis *x = &ax[j];
        double xp = f.L + dx * (double)j;
        P("<g class=\"pc-axis\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" stroke-width=\"1.5\"/>\n",
          xp, top, xp, bot);
        P("<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-weight=\"bold\">", xp, top - 16);
        esc(out, x->name ? x->name : "Objective Value");
        P("%s</text>\n", x->a.log ? " (log)" : "");
        if (x->cat) {
            for (size_t c = 0; c < x->n_labels; c++) {
                double y = amap(&x->a, (double)c);
                P("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\"/>", xp - 4, y, xp, y);
                P("<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" paint-order=\"stroke\" stroke=\"white\" "
                  "stroke-width=\"3\">", xp - 6, y + 4);
                esc(out, x->labels[c]);
                P("</text>\n");
            }
        } else {
            double t[32], step;
            size_t n = hpo_axis_ticks(x->a.lo, x->a.hi, x->a.log, t, 32, &step);
            for (size_t i = 0; i < n; i++) {
                if (x->integer && fabs(t[i] - round(t[i])) > 1e-9) continue;
                double y = amap(&x->a, t[i]);
                char lb[64];
                hpo_tick_label(t[i], x->integer && step < 1 ? 1 : step, lb, sizeof lb);
                P("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\"/>", xp - 4, y, xp, y);
                P("<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" paint-order=\"stroke\" stroke=\"white\" "
                  "stroke-width=\"3\">%s</text>\n", xp - 6, y + 4, lb);
            }
        }
        if (x->has_absent)
            P("<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#888\" font-style=\"italic\">"
              "(not used)</text>\n", xp, absent_y + 16);
        P("</g>\n");
    }
    /* colour bar */
    double cbx = f.W - f.R + 80, cbw = 14;
    P("<defs><linearGradient id=\"pc-ramp\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
    for (int i = 0; i <= 4; i++) {
        char col[16];
        double t = i / 4.0;
        ramp(s->meta.direction == HPO_MINIMIZE ? 1 - t : t, col, sizeof col);
        P("<stop offset=\"%.2f\" stop-color=\"%s\"/>", t, col);
    }
    P("</linearGradient></defs>\n");
    axis cb = { vmin, vmax > vmin ? vmax : vmin + 1, 0, bot, top };
    P("<rect class=\"colorbar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"url(#pc-ramp)\" stroke=\"#999\"/>\n",
      cbx, top, cbw, bot - top);
    double t[32], step;
    size_t n = hpo_axis_ticks(cb.lo, cb.hi, 0, t, 32, &step);
    for (size_t i = 0; i < n; i++) {
        char lb[64];
        hpo_tick_label(t[i], step, lb, sizeof lb);
        double y = amap(&cb, t[i]);
        P("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\"/>", cbx + cbw, y, cbx + cbw + 4, y);
        P("<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", cbx + cbw + 6, y + 4, lb);
    }
    P("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">Objective</text>\n", cbx + cbw / 2, top - 16);
    P("</svg>\n");
done:
    for (size_t j = 0; ax && j < np + 1; j++) {
        for (size_t c = 0; c < ax[j].n_labels; c++) hpo_free(ax[j].labels[c]);
        hpo_free(ax[j].labels);
    }
    hpo_free(ax);
    hpo_free((void *)names);
    hpo_free((void *)tr);
    return st;
}

/* ---- 4. importances ---------------------------------------------------------------------- */

hpo_status hpo_report_svg_importance(const hpo_snapshot *s, FILE *out)
{
    HPO_CHECK(s && out, HPO_EINVAL, "hpo_report_svg_importance: NULL argument");
    const char *title = "Hyperparameter Importances";
    hpo_importance *imp = NULL;
    size_t ni = 0, ntop = 0, nc = 0;
    HPO_TRY(hpo_importance_ped_anova(s->trials, s->n, s->meta.direction, NULL, &imp, &ni, &ntop));
    for (size_t i = 0; i < s->n; i++) nc += s->trials[i] && s->trials[i]->state == HPO_COMPLETE && isfinite(s->trials[i]->value);
    double namew = 60;
    for (size_t i = 0; i < ni; i++) namew = fmax(namew, 7.2 * (double)strlen(imp[i].name));
    frame f = { 900, 110 + 30.0 * (double)(ni ? ni : 1), namew + 24, 70, 52, 55 };
    if (!ni) {
        hpo_importance_free(&imp, ni);
        svg_empty(out, &f, "importance", title, nc ? "No parameter is common to all COMPLETE trials."
                                                   : "No COMPLETE trial yet.");
        return HPO_OK;
    }
    double mx = 0;
    for (size_t i = 0; i < ni; i++) mx = fmax(mx, imp[i].importance);
    axis ax = { 0, mx > 0 ? fmin(1.0, mx * 1.12) : 1, 0, f.L, f.W - f.R };
    svg_open(out, &f, "importance", title);
    P("<text x=\"%.1f\" y=\"40\" fill=\"#555\">PED-ANOVA on %zu COMPLETE trials, top set %zu trials "
      "(baseline quantile 0.1); normalised to sum 1.%s</text>\n", f.L, nc, ntop,
      nc <= 2 ? " Too few trials: equal shares." : "");
    x_axis(out, &f, &ax, 0, "Importance for Objective Value");
    for (size_t i = 0; i < ni; i++) {
        double y = f.T + 8 + 30.0 * (double)i, w = amap(&ax, imp[i].importance) - f.L;
        P("<rect class=\"imp-bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"" C_COMPLETE "\">"
          "<title>", f.L, y, w);
        esc(out, imp[i].name);
        P(": %.4f</title></rect>\n", imp[i].importance);
        P("<text class=\"imp-name\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", f.L - 8, y + 14);
        esc(out, imp[i].name);
        P("</text><text class=\"imp-value\" x=\"%.1f\" y=\"%.1f\">%.3f</text>\n", f.L + w + 6, y + 14, imp[i].importance);
    }
    P("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\"/>\n", f.L, f.T, f.L, f.H - f.B);
    P("</svg>\n");
    hpo_importance_free(&imp, ni);
    return HPO_OK;
}

/* ---- the page ----------------------------------------------------------------------------- */

static const char k_css[] =
    "body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222}"
    "h1{font-size:24px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;white-space:nowrap;border-bottom:1px solid #eee;text-align:right}"
    "th{background:#f3f3f3;cursor:pointer;user-select:none}th:hover{background:#e4e4e4}"
    "td.s,th.s{text-align:left}.summary td{text-align:left}.summary th{text-align:left;cursor:default;background:none}"
    ".COMPLETE{color:#1f77b4}.PRUNED{color:#d62728}.FAIL{color:#8c564b}.RUNNING{color:#7f7f7f}"
    ".chart{max-width:100%;height:auto;display:block;margin:8px 0}.bad{color:#b00;font-weight:bold}"
    ".note{color:#555;font-size:13px}\n";

/* Sort the table by a clicked header: numbers as numbers (data-v), empty
 * cells last, click again to reverse. */
static const char k_js[] =
    "document.querySelectorAll('table.sortable th').forEach(function(th,i){th.addEventListener('click',function(){"
    "var tb=th.closest('table').tBodies[0],rows=Array.prototype.slice.call(tb.rows),asc=th.dataset.dir!=='asc';"
    "th.dataset.dir=asc?'asc':'desc';function key(r){var c=r.cells[i];return c.dataset.v!==undefined?c.dataset.v:c.textContent;}"
    "rows.sort(function(a,b){var x=key(a),y=key(b);if(x===''||y==='')return (x==='')-(y==='');"
    "var nx=Number(x),ny=Number(y),c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?c:-c;});"
    "rows.forEach(function(r){tb.appendChild(r);});});});\n";

static void td_num(FILE *out, double x)
{
    char b[40];
    num(x, b, sizeof b);
    P("<td data-v=\"%s\">%s</td>", b, b);
}

static hpo_status trial_table(const hpo_snapshot *s, FILE *out)
{
    const char **names = NULL;
    size_t np = 0;
    HPO_TRY(hpo_snapshot_param_names(s, &names, &np));
    P("<table class=\"sortable\" id=\"trials\"><thead><tr><th>Number</th><th class=\"s\">State</th><th>Value</th>"
      "<th class=\"s\">Start (UTC)</th><th>Duration (s)</th>");
    for (size_t p = 0; p < np; p++) { P("<th>"); esc(out, names[p]); P("</th>"); }
    P("<th>Worker</th><th class=\"s\">Fail reason</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < s->n; i++) {
        const hpo_trial_rec *t = s->trials[i];
        if (!t) continue;
        char tb[64];
        int done = t->state != HPO_RUNNING && isfinite(t->t_end) && t->t_end > 0;
        P("<tr><td>%" PRId64 "</td><td class=\"s %s\">%s</td>", t->number, hpo_state_name(t->state), hpo_state_name(t->state));
        td_num(out, t->value);
        P("<td class=\"s\">%s</td>", hpo_format_time(t->t_start, tb, sizeof tb));
        if (done) P("<td data-v=\"%.6f\">%.3g</td>", t->t_end - t->t_start, t->t_end - t->t_start); else P("<td></td>");
        for (size_t p = 0; p < np; p++) {
            const hpo_param_rec *pr = hpo_rec_find_param(t, names[p]);
            if (!pr) { P("<td></td>"); continue; }
            char v[512];
            hpo_pval_format(&pr->dist, pr->v, v, sizeof v);
            P("<td>"); esc(out, v); P("</td>");
        }
        P("<td>%d</td><td class=\"s\">", t->worker);
        esc(out, t->fail_reason ? t->fail_reason : "");
        P("</td></tr>\n");
    }
    P("</tbody></table>\n");
    hpo_free((void *)names);
    return HPO_OK;
}

hpo_status hpo_report_html(const hpo_snapshot *s, FILE *out)
{
    HPO_CHECK(s && out, HPO_EINVAL, "hpo_report_html: NULL argument");
    const hpo_ckpt_meta *m = &s->meta;
    size_t cnt[4] = { 0, 0, 0, 0 };
    for (size_t i = 0; i < s->n; i++) if (s->trials[i]) cnt[s->trials[i]->state]++;
    P("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>mpihpo report: ");
    esc(out, m->name);
    P("</title>\n<style>%s</style></head>\n<body>\n<h1>Study '", k_css);
    esc(out, m->name);
    P("'</h1>\n<table class=\"summary\">\n");
    char b1[64], b2[64];
    P("<tr><th>Direction</th><td>%s</td></tr>\n", m->direction == HPO_MAXIMIZE ? "maximize" : "minimize");
    P("<tr><th>Sampler / pruner</th><td>"); esc(out, m->sampler); P(" / "); esc(out, m->pruner); P("</td></tr>\n");
    P("<tr><th>Seed</th><td>%" PRIu64 "%s</td></tr>\n", m->seed, m->seeded ? "" : " (drawn at random)");
    P("<tr><th>Created / updated (UTC)</th><td>%s / %s</td></tr>\n", hpo_format_time(m->created, b1, sizeof b1),
      hpo_format_time(m->updated, b2, sizeof b2));
    P("<tr><th>Trials</th><td id=\"counts\">%zu: %zu COMPLETE, %zu PRUNED, %zu FAIL, %zu RUNNING</td></tr>\n",
      s->n, cnt[HPO_COMPLETE], cnt[HPO_PRUNED], cnt[HPO_FAIL], cnt[HPO_RUNNING]);
    const hpo_trial_rec *best = hpo_snapshot_best(s);
    P("<tr><th>Best trial</th><td id=\"best\">");
    if (best) {
        P("%" PRId64 ", value %s; ", best->number, num(best->value, b1, sizeof b1));
        for (size_t p = 0; p < best->n_params; p++) {
            char v[512];
            hpo_pval_format(&best->params[p].dist, best->params[p].v, v, sizeof v);
            P("%s", p ? ", " : "");
            esc(out, best->params[p].name);
            P(": ");
            esc(out, v);
        }
    } else P("none yet");
    P("</td></tr>\n<tr><th>Integrity</th><td class=\"%s\">", s->intact ? "" : "bad");
    esc(out, s->integrity);
    P("</td></tr>\n");
    if (m->study_path && *m->study_path) { P("<tr><th>Study file</th><td>"); esc(out, m->study_path); P("</td></tr>\n"); }
    P("<tr><th>Written by</th><td>"); esc(out, m->creator); P("</td></tr>\n</table>\n");

    P("<h2>Optimization history</h2>\n<p class=\"note\">The objective value of every COMPLETE trial and the best "
      "value so far.</p>\n");
    HPO_TRY(hpo_report_svg_history(s, out));
    P("<h2>Intermediate values</h2>\n<p class=\"note\">The values each trial reported per step (epoch); a pruned "
      "trial's line stops where the pruner cut it (x).</p>\n");
    HPO_TRY(hpo_report_svg_intermediate(s, out));
    P("<h2>Parallel coordinates</h2>\n<p class=\"note\">Each line is one COMPLETE trial through its parameter "
      "values; log parameters have log axes, categories are ticks.</p>\n");
    HPO_TRY(hpo_report_svg_parallel(s, out));
    P("<h2>Parameter importances</h2>\n<p class=\"note\">How much each parameter's distribution among the best "
      "10%% of trials differs from its distribution among all trials (PED-ANOVA).</p>\n");
    HPO_TRY(hpo_report_svg_importance(s, out));
    P("<h2>Trials</h2>\n<p class=\"note\">Click a column header to sort.</p>\n");
    HPO_TRY(trial_table(s, out));
    P("<p class=\"note\">Generated by mpihpo " HPO_VERSION " from the checkpoint; self-contained (no network).</p>\n");
    P("<script>%s</script>\n</body></html>\n", k_js);
    HPO_CHECK(!ferror(out) && fflush(out) == 0, HPO_EIO, "cannot write the report: %s", strerror(errno));
    return HPO_OK;
}
