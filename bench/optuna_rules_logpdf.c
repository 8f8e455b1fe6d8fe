/* Helper for bench/optuna_rules.py --logpdf-bin: prints mpihpo's
 * hpo_tpe_logpdf_impl (one float parameter, default weights, prior weight 1)
 * so that it can be compared with Optuna 3.1's _ParzenEstimator.log_pdf under
 * the patched (current) rules. Not built by the Makefile:
 *   cd bench && cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I../include -I../src \
 *      -o optuna_rules_logpdf optuna_rules_logpdf.c ../src/error.c ../src/alloc.c \
 *      ../src/rng.c ../src/space.c ../src/trial.c ../src/study.c ../src/sampler.c \
 *      ../src/sampler_tpe.c ../src/sampler_grid.c ../src/pruner.c \
 *      ../src/pruner_hyperband.c ../src/pruner_percentile.c ../src/pruner_sha.c -lm
 *   /usr/bin/python3 optuna_rules.py --verify --logpdf-bin ./optuna_rules_logpdf
 * stdin: "low high n" then n observations (trial order), then "m" and m points.
 * stdout: m lines, log pdf at each point (%.17g). */
#include <stdio.h>
#include <stdlib.h>
#include "sampler_tpe.h"
#include "space.h"

int main(void)
{
    double lo, hi;
    size_t n, m;
    if (scanf("%lf %lf %zu", &lo, &hi, &n) != 3) return 2;
    hpo_pval *obs = calloc(n + 1, sizeof *obs);
    for (size_t i = 0; i < n; i++) if (scanf("%lf", &obs[i].f) != 1) return 2;
    if (scanf("%zu", &m) != 1) return 2;
    hpo_pval *at = calloc(m + 1, sizeof *at);
    double *out = calloc(m + 1, sizeof *out);
    for (size_t i = 0; i < m; i++) if (scanf("%lf", &at[i].f) != 1) return 2;
    hpo_dist d;
    if (hpo_dist_float(&d, "x", lo, hi, 0, 0, NULL) != HPO_OK) return 3;
    if (hpo_tpe_logpdf_impl(&d, obs, n, 1.0, at, m, out) != HPO_OK) return 4;
    for (size_t i = 0; i < m; i++) printf("%.17g\n", out[i]);
    return 0;
}
