/* objective_mlp.c - the built-in MLP objective (see objective_mlp.h).
 * Every train: key is either fixed or a distribution; distributions become
 * hpo_suggest_* calls, in the file's order, define-by-run: n_units with
 * per_layer asks n_units_l0 .. n_units_l{n_layers-1}, so deeper layers only
 * exist in the trials that have them. */
#include "objective_mlp.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "mlp.h"
#include "rng.h"
#include "space.h"

const char *const hpo_mlp_train_keys[] = {
    "epochs", "batch_size", "learning_rate", "optimizer", "n_layers", "n_units",
    "activation", "output_activation", NULL,
};

#define MAX_LAYERS 64

/* The value of one train: key for this trial: fixed, or suggested now. */
static hpo_choice resolve(hpo_trial *t, const hpo_param_spec *p, const char *name)
{
    if (!p->is_dist) return p->fixed;
    const hpo_dist *d = &p->dist;
    switch (d->kind) {
    case HPO_DIST_FLOAT: {
        double v = d->fstep > 0 ? hpo_suggest_float_step(t, name, d->flo, d->fhi, d->fstep)
                                : hpo_suggest_float(t, name, d->flo, d->fhi, d->log ? HPO_LOG : 0);
        return HPO_FLOAT(v);
    }
    case HPO_DIST_INT: {
        int64_t v = d->istep != 1 ? hpo_suggest_int_step(t, name, d->ilo, d->ihi, d->istep)
                                  : hpo_suggest_int(t, name, d->ilo, d->ihi, d->log ? HPO_LOG : 0);
        return HPO_INT(v);
    }
    case HPO_DIST_CAT:
        return hpo_suggest_categorical(t, name, d->choices, d->n_choices);
    }
    return HPO_INT(0);
}

static int as_int(hpo_choice c, int64_t *out)
{
    if (c.type == HPO_CHOICE_INT) { *out = c.v.i; return 1; }
    if (c.type == HPO_CHOICE_FLOAT && c.v.f == floor(c.v.f) && fabs(c.v.f) < 9e15) { *out = (int64_t)c.v.f; return 1; }
    return 0;
}

static int as_float(hpo_choice c, double *out)
{
    if (c.type == HPO_CHOICE_FLOAT) { *out = c.v.f; return 1; }
    if (c.type == HPO_CHOICE_INT) { *out = (double)c.v.i; return 1; }
    return 0;
}

typedef struct trial_plan {
    int64_t epochs, batch_size, n_layers;
    double  lr;
    hpo_opt_kind opt;
    hpo_act act;
    int     act_after_output;
    size_t  hidden[MAX_LAYERS];
} trial_plan;

/* Resolve every key into a plan; returns 0 after marking the trial failed. */
static int make_plan(hpo_trial *t, const hpo_config *cfg, trial_plan *p)
{
    memset(p, 0, sizeof *p);
    p->epochs = 1; p->batch_size = 32; p->n_layers = 1; p->lr = 1e-3;
    p->opt = HPO_OPT_ADAM; p->act = HPO_ACT_RELU;
    int have_layers = 0;
    const hpo_param_spec *units = NULL;
    for (size_t i = 0; i < cfg->n_train; i++) {
        const hpo_param_spec *s = &cfg->train[i];
        const char *k = s->key;
        if (strcmp(k, "n_units") == 0) { units = s; continue; }   /* after n_layers, below */
        hpo_choice c = resolve(t, s, s->name);
        int ok = 1;
        if (strcmp(k, "epochs") == 0) ok = as_int(c, &p->epochs) && p->epochs >= 1;
        else if (strcmp(k, "batch_size") == 0) ok = as_int(c, &p->batch_size) && p->batch_size >= 1;
        else if (strcmp(k, "n_layers") == 0) {
            ok = as_int(c, &p->n_layers) && p->n_layers >= 0 && p->n_layers <= MAX_LAYERS;
            have_layers = 1;
        }
        else if (strcmp(k, "learning_rate") == 0) ok = as_float(c, &p->lr) && p->lr > 0;
        else if (strcmp(k, "optimizer") == 0) ok = c.type == HPO_CHOICE_STR && hpo_opt_parse(c.v.s, &p->opt) == HPO_OK;
        else if (strcmp(k, "activation") == 0) ok = c.type == HPO_CHOICE_STR && hpo_act_parse(c.v.s, &p->act) == HPO_OK;
        else if (strcmp(k, "output_activation") == 0) {
            ok = c.type == HPO_CHOICE_BOOL;
            p->act_after_output = ok && c.v.b;
        }
        if (!ok) {
            char v[128];
            hpo_choice_format(&c, v, sizeof v);
            hpo_trial_fail(t, "train.%s (line %d): value %s is not valid here", k, s->line, v);
            return 0;
        }
    }
    (void)have_layers;
    for (int64_t l = 0; l < p->n_layers; l++) {
        int64_t u = 0;
        if (!units) { hpo_trial_fail(t, "train.n_units is missing"); return 0; }
        hpo_choice c;
        if (units->per_layer) {
            char name[256];
            snprintf(name, sizeof name, "%s_l%lld", units->name, (long long)l);
            c = resolve(t, units, name);
        } else {
            c = resolve(t, units, units->name);    /* one value for every layer */
        }
        if (!as_int(c, &u) || u < 1) {
            char v[128];
            hpo_choice_format(&c, v, sizeof v);
            hpo_trial_fail(t, "train.n_units (line %d): value %s is not a positive integer", units->line, v);
            return 0;
        }
        p->hidden[l] = (size_t)u;
    }
    return 1;
}

double hpo_mlp_objective_run(hpo_trial *t, void *ctx)
{
    const hpo_mlp_objective *o = ctx;
    const hpo_dataset *d = o->data;
    trial_plan p;
    if (!make_plan(t, o->cfg, &p)) return NAN;

    hpo_mlp_spec spec = {
        .n_in = d->n_features, .n_out = d->n_classes,
        .n_hidden = (size_t)p.n_layers, .hidden = p.hidden,
        .act = p.act, .act_after_output = p.act_after_output,
    };
    size_t max_batch = (size_t)p.batch_size;
    if (max_batch < 256) max_batch = 256;       /* evaluation runs in larger batches */
    hpo_mlp *m = NULL;
    hpo_optim *opt = NULL;
    double result = NAN;
    if (hpo_mlp_create(&spec, max_batch, &m) != HPO_OK ||
        hpo_optim_create(p.opt, p.lr, hpo_mlp_n_params(m), &opt) != HPO_OK) {
        result = hpo_trial_fail(t, "%s", hpo_error_message());
        goto done;
    }
    hpo_rng rng;
    hpo_rng_seed(&rng, hpo_trial_seed(t));
    hpo_mlp_init(m, &rng);
    for (int64_t epoch = 0; epoch < p.epochs; epoch++) {
        double tr_loss, tr_acc, va_loss, va_acc;
        if (hpo_mlp_train_epoch(m, opt, d->x_train, d->y_train, d->n_train, (size_t)p.batch_size,
                                &rng, &tr_loss, &tr_acc) != HPO_OK ||
            hpo_mlp_evaluate(m, d->x_val, d->y_val, d->n_val, &va_loss, &va_acc) != HPO_OK) {
            result = hpo_trial_fail(t, "epoch %lld: %s", (long long)epoch, hpo_error_message());
            goto done;
        }
        if (!isfinite(tr_loss) || !isfinite(va_loss)) {
            result = hpo_trial_fail(t, "the loss is %s at epoch %lld", isnan(tr_loss) ? "nan" : "infinite",
                                    (long long)epoch);
            goto done;
        }
        hpo_report(t, epoch, va_acc);
        result = va_acc;
        if (hpo_should_prune(t)) { result = hpo_trial_pruned(t); goto done; }
    }
done:
    hpo_optim_destroy(&opt);
    hpo_mlp_destroy(&m);
    return result;
}

/* ---- checks before the study starts -------------------------------------- */

#define MAX_UNITS (INT64_C(1) << 20)
#define MAX_BATCH (INT64_C(1) << 20)
#define MAX_EPOCHS INT64_C(10000000)

/* The largest integer a spec can produce; 0 if it has no integer values. */
static int64_t max_int(const hpo_param_spec *p)
{
    int64_t m = 0, v;
    if (!p->is_dist) return as_int(p->fixed, &v) ? v : 0;
    if (p->dist.kind == HPO_DIST_INT) return p->dist.ihi;
    if (p->dist.kind == HPO_DIST_FLOAT) return p->dist.fhi >= 9e18 ? INT64_MAX : (int64_t)p->dist.fhi;
    for (size_t i = 0; i < p->dist.n_choices; i++)
        if (as_int(p->dist.choices[i], &v) && v > m) m = v;
    return m;
}

hpo_status hpo_mlp_objective_check(const hpo_config *cfg)
{
    const hpo_param_spec *layers = hpo_config_train(cfg, "n_layers");
    int64_t max_layers = layers ? max_int(layers) : 1;
    static const struct { const char *key; int64_t max; } limits[] = {
        {"n_units", MAX_UNITS}, {"batch_size", MAX_BATCH}, {"epochs", MAX_EPOCHS}, {"n_layers", MAX_LAYERS},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        const hpo_param_spec *p = hpo_config_train(cfg, limits[i].key);
        if (!p) continue;
        int64_t m = max_int(p);
        HPO_CHECK(m <= limits[i].max, HPO_EINVAL,
                  "%s:%d: train.%s can be %lld; at most %lld is supported",
                  cfg->path ? cfg->path : "study file", p->line, limits[i].key, (long long)m,
                  (long long)limits[i].max);
    }
    /* Every name a trial may suggest, once. */
    for (size_t i = 0; i < cfg->n_train; i++) {
        const hpo_param_spec *a = &cfg->train[i];
        if (!a->is_dist) continue;
        int64_t na = a->per_layer ? max_layers : 1;
        for (int64_t la = 0; la < na; la++) {
            char an[300];
            if (a->per_layer) snprintf(an, sizeof an, "%s_l%lld", a->name, (long long)la);
            else snprintf(an, sizeof an, "%s", a->name);
            for (size_t j = i + 1; j < cfg->n_train; j++) {
                const hpo_param_spec *b = &cfg->train[j];
                if (!b->is_dist) continue;
                int64_t nb = b->per_layer ? max_layers : 1;
                for (int64_t lb = 0; lb < nb; lb++) {
                    char bn[300];
                    if (b->per_layer) snprintf(bn, sizeof bn, "%s_l%lld", b->name, (long long)lb);
                    else snprintf(bn, sizeof bn, "%s", b->name);
                    HPO_CHECK(strcmp(an, bn) != 0, HPO_EINVAL,
                              "%s: train.%s (line %d) and train.%s (line %d) both name a parameter '%s'; "
                              "give one of them another `name:`", cfg->path ? cfg->path : "study file",
                              a->key, a->line, b->key, b->line, an);
                }
            }
        }
    }
    return HPO_OK;
}
