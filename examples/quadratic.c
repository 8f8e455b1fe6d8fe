/* quadratic.c - a C objective of your own, the way a user links libmpihpo.
 *
 * Minimizes (x - 2)^2 + (y + 1)^2 + penalty(kind), define-by-run: y is only
 * asked for when the objective needs it. Build with the project (target
 * example_quadratic) and run: ./example_quadratic [trials] [seed] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpihpo.h"

static double objective(hpo_trial *t, void *ctx)
{
    (void)ctx;
    double x = hpo_suggest_float(t, "x", -10.0, 10.0, 0);
    const char *kinds[] = {"plain", "shifted"};
    const char *kind = hpo_suggest_categorical_str(t, "kind", kinds, 2);
    double y = 0.0;
    if (kind == kinds[1])                       /* conditional parameter */
        y = hpo_suggest_float(t, "y", -5.0, 5.0, 0);
    int64_t n = hpo_suggest_int(t, "n", 1, 1000, HPO_LOG);
    /* Intermediate values, as training epochs would report them. */
    double f = (x - 2) * (x - 2) + (y + 1) * (y + 1) + (kind == kinds[0] ? 1.0 : 0.0) + 1.0 / (double)n;
    for (int64_t step = 0; step < 3; step++) {
        hpo_report(t, step, f * (3 - step));
        if (hpo_should_prune(t)) return hpo_trial_pruned(t);
    }
    return f;
}

int main(int argc, char **argv)
{
    int64_t trials = argc > 1 ? atoll(argv[1]) : 30;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    hpo_study *study = NULL;
    hpo_status st;
    if ((st = hpo_study_create(&study)) != HPO_OK ||
        (st = hpo_study_set_direction(study, HPO_MINIMIZE)) != HPO_OK ||
        (st = hpo_study_set_sampler(study, "random")) != HPO_OK ||
        (st = hpo_study_set_seed(study, seed)) != HPO_OK ||
        (st = hpo_study_optimize(study, objective, NULL, trials, 0)) != HPO_OK) {
        fprintf(stderr, "error: %s\n", hpo_error_message());
        hpo_study_destroy(&study);
        return 1;
    }
    const hpo_trial_rec *best = hpo_study_best_trial(study);
    if (best) printf("best value %g (trial %lld)\n", hpo_rec_value(best), (long long)hpo_rec_number(best));
    hpo_study_destroy(&study);
    return 0;
}
