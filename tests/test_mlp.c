/* test_mlp.c - the MLP (src/mlp.c) and its optimizers (src/optim.c).
 *
 * - gradients of every parameter against central differences of an
 *   independent double-precision forward pass (ref_loss_double below), for
 *   each activation, with and without the activation on the logits;
 * - the sgemm kernels against their plain-loop twins;
 * - SGD, Adam and RMSprop against PyTorch: tests/ref/optim_step.h holds the
 *   output of tests/ref/make_optim_ref.py (torch 1.13), so no torch is needed;
 * - init bounds and reproducibility, training on a separable toy problem,
 *   batches of one row, the short last batch, NaN reporting, out-of-memory. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "mlp.h"
#include "optim.h"
#include "rng.h"

#include "ref/optim_step.h"

/* ---- helpers ------------------------------------------------------------- */

static hpo_mlp *make_mlp(size_t n_in, size_t n_out, size_t n_hidden, const size_t *hidden,
                         hpo_act act, int after, size_t max_batch)
{
    hpo_mlp_spec spec = { .n_in = n_in, .n_out = n_out, .n_hidden = n_hidden, .hidden = hidden,
                          .act = act, .act_after_output = after };
    hpo_mlp *m = NULL;
    hpo_status st = hpo_mlp_create(&spec, max_batch, &m);
    cr_assert_eq(st, HPO_OK, "hpo_mlp_create: %s", hpo_error_message());
    return m;
}

static void fill_uniform(float *v, size_t n, hpo_rng *r, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) v[i] = (float)hpo_rng_uniform_range(r, lo, hi);
}

static double act_d(double z, hpo_act act)
{
    switch (act) {
    case HPO_ACT_RELU:       return z > 0 ? z : 0.0;
    case HPO_ACT_LEAKY_RELU: return z > 0 ? z : 0.01 * z;
    case HPO_ACT_TANH:       return tanh(z);
    case HPO_ACT_IDENTITY:   return z;
    }
    return NAN;
}

/* An independent forward pass and mean cross-entropy in double, written from
 * the torch definitions and the documented parameter layout. *min_abs_z gets
 * the smallest |pre-activation| seen, to keep finite differences off kinks. */
static double ref_loss_double(const double *p, const float *x, const int32_t *y, size_t N,
                              size_t n_in, size_t n_out, size_t n_hidden, const size_t *hidden,
                              hpo_act act, int after, double *min_abs_z)
{
    double loss = 0.0, mz = INFINITY;
    for (size_t n = 0; n < N; n++) {
        double cur[64], nxt[64];
        size_t w = n_in;
        for (size_t i = 0; i < n_in; i++) cur[i] = x[n * n_in + i];
        const double *q = p;
        for (size_t l = 0; l <= n_hidden; l++) {
            size_t O = l < n_hidden ? hidden[l] : n_out;
            const double *W = q, *b = q + O * w;
            for (size_t o = 0; o < O; o++) {
                double z = b[o];
                for (size_t i = 0; i < w; i++) z += W[o * w + i] * cur[i];
                int use_act = l < n_hidden || after;
                if (use_act && fabs(z) < mz) mz = fabs(z);
                nxt[o] = use_act ? act_d(z, act) : z;
            }
            q += O * w + O;
            w = O;
            memcpy(cur, nxt, w * sizeof *cur);
        }
        double mx = cur[0], s = 0.0;
        for (size_t c = 1; c < n_out; c++) mx = fmax(mx, cur[c]);
        for (size_t c = 0; c < n_out; c++) s += exp(cur[c] - mx);
        loss += log(s) + mx - cur[y[n]];
    }
    if (min_abs_z) *min_abs_z = mz;
    return loss / (double)N;
}

/* ---- names ----------------------------------------------------------------- */

Test(names, act_parse)
{
    hpo_act a = HPO_ACT_TANH;
    cr_assert_eq(hpo_act_parse("relu", &a), HPO_OK);
    cr_assert_eq(a, HPO_ACT_RELU);
    cr_assert_eq(hpo_act_parse("leaky_relu", &a), HPO_OK);
    cr_assert_eq(a, HPO_ACT_LEAKY_RELU);
    cr_assert_eq(hpo_act_parse("Tanh", &a), HPO_OK);
    cr_assert_eq(a, HPO_ACT_TANH);
    cr_assert_eq(hpo_act_parse("identity", &a), HPO_OK);
    cr_assert_eq(a, HPO_ACT_IDENTITY);
    cr_assert_eq(hpo_act_parse("sigmoid", &a), HPO_EINVAL);
    cr_assert_eq(a, HPO_ACT_IDENTITY, "unchanged on failure");
    cr_assert(strstr(hpo_error_message(), "'sigmoid'") && strstr(hpo_error_message(), "leaky_relu"),
              "message: %s", hpo_error_message());
    cr_assert_str_eq(hpo_act_name(HPO_ACT_LEAKY_RELU), "leaky_relu");
}

Test(names, opt_parse_any_case)
{
    const char *names[] = { "sgd", "SGD", "adam", "Adam", "rmsprop", "RMSprop" };
    const hpo_opt_kind want[] = { HPO_OPT_SGD, HPO_OPT_SGD, HPO_OPT_ADAM, HPO_OPT_ADAM,
                                  HPO_OPT_RMSPROP, HPO_OPT_RMSPROP };
    for (size_t i = 0; i < 6; i++) {
        hpo_opt_kind k = (hpo_opt_kind)-1;
        cr_assert_eq(hpo_opt_parse(names[i], &k), HPO_OK, "%s", names[i]);
        cr_assert_eq(k, want[i], "%s", names[i]);
    }
    hpo_opt_kind k = HPO_OPT_ADAM;
    cr_assert_eq(hpo_opt_parse("adamw", &k), HPO_EINVAL);
    cr_assert_eq(k, HPO_OPT_ADAM);
    cr_assert(strstr(hpo_error_message(), "rmsprop"), "message: %s", hpo_error_message());
    cr_assert_str_eq(hpo_opt_name(HPO_OPT_RMSPROP), "rmsprop");
}

/* ---- create, layout, init --------------------------------------------------- */

Test(create, layout_and_errors)
{
    const size_t hid[] = { 5, 7 };
    hpo_mlp *m = make_mlp(4, 3, 2, hid, HPO_ACT_RELU, 0, 8);
    cr_assert_eq(hpo_mlp_n_params(m), (size_t)(5 * 4 + 5 + 7 * 5 + 7 + 3 * 7 + 3));
    cr_assert_eq(hpo_mlp_max_batch(m), (size_t)8);
    cr_assert_neq(hpo_mlp_grads(m), hpo_mlp_params(m));
    for (size_t i = 0; i < hpo_mlp_n_params(m); i++) cr_assert_eq(hpo_mlp_params(m)[i], 0.0f);
    hpo_mlp_destroy(&m);
    cr_assert_null(m);
    hpo_mlp_destroy(&m);   /* NULL-safe */
    hpo_mlp_destroy(NULL);

    hpo_mlp_spec bad = { .n_in = 0, .n_out = 2 };
    cr_assert_eq(hpo_mlp_create(&bad, 4, &m), HPO_EINVAL);
    cr_assert_null(m);
    bad = (hpo_mlp_spec){ .n_in = 3, .n_out = 2, .n_hidden = 1, .hidden = NULL };
    cr_assert_eq(hpo_mlp_create(&bad, 4, &m), HPO_EINVAL);
    const size_t zero[] = { 0 };
    bad.hidden = zero;
    cr_assert_eq(hpo_mlp_create(&bad, 4, &m), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "hidden[0]"), "message: %s", hpo_error_message());
    bad = (hpo_mlp_spec){ .n_in = 3, .n_out = 2 };
    cr_assert_eq(hpo_mlp_create(&bad, 0, &m), HPO_EINVAL);
    bad.act = (hpo_act)9;
    cr_assert_eq(hpo_mlp_create(&bad, 4, &m), HPO_EINVAL);
    cr_assert_null(m);
    cr_assert_eq(hpo_test_alloc_live(), 0);
}

Test(init, bounds_and_reproducible)
{
    const size_t hid[] = { 128, 14 };
    hpo_mlp *a = make_mlp(20, 2, 2, hid, HPO_ACT_LEAKY_RELU, 1, 4);
    hpo_mlp *b = make_mlp(20, 2, 2, hid, HPO_ACT_LEAKY_RELU, 1, 4);
    hpo_rng r1, r2;
    hpo_rng_seed(&r1, 42);
    hpo_rng_seed(&r2, 42);
    hpo_mlp_init(a, &r1);
    hpo_mlp_init(b, &r2);
    cr_assert_eq(memcmp(hpo_mlp_params(a), hpo_mlp_params(b), hpo_mlp_n_params(a) * sizeof(float)), 0,
                 "same seed, same parameters");
    const size_t in[] = { 20, 128, 14 }, out[] = { 128, 14, 2 };
    const float *p = hpo_mlp_params(a);
    for (size_t l = 0; l < 3; l++) {
        const double bound = 1.0 / sqrt((double)in[l]);
        double lo = INFINITY, hi = -INFINITY, sum = 0;
        size_t cnt = out[l] * in[l] + out[l];
        for (size_t k = 0; k < cnt; k++) {
            cr_assert(fabs(p[k]) <= (float)bound, "layer %zu param %zu = %g beyond %g", l, k, p[k], bound);
            lo = fmin(lo, p[k]);
            hi = fmax(hi, p[k]);
            sum += p[k];
        }
        /* the draws fill the interval (not, say, [0, bound)) */
        cr_assert(lo < -0.8 * bound && hi > 0.8 * bound, "layer %zu spans [%g, %g] of +-%g", l, lo, hi, bound);
        cr_assert(fabs(sum / (double)cnt) < 0.2 * bound, "layer %zu mean %g", l, sum / (double)cnt);
        p += cnt;
    }
    hpo_rng_seed(&r2, 43);
    hpo_mlp_init(b, &r2);
    cr_assert_neq(memcmp(hpo_mlp_params(a), hpo_mlp_params(b), hpo_mlp_n_params(a) * sizeof(float)), 0);
    hpo_mlp_destroy(&a);
    hpo_mlp_destroy(&b);
}

/* ---- dense kernels: sgemm against the loops ---------------------------------- */

static void check_dense_shape(size_t N, size_t I, size_t O)
{
    hpo_rng r;
    hpo_rng_seed(&r, 1000 + N * 31 + I * 7 + O);
    size_t nx = N * I, nw = O * I, ny = N * O;
    float *x = hpo_malloc(nx * sizeof *x), *W = hpo_malloc(nw * sizeof *W), *b = hpo_malloc(O * sizeof *b);
    float *y1 = hpo_malloc(ny * sizeof *y1), *y2 = hpo_malloc(ny * sizeof *y2), *y3 = hpo_malloc(ny * sizeof *y3);
    float *dy = hpo_malloc(ny * sizeof *dy);
    float *dx[3], *dW[3], *db[3];
    for (int k = 0; k < 3; k++) {
        dx[k] = hpo_malloc(nx * sizeof(float));
        dW[k] = hpo_malloc(nw * sizeof(float));
        db[k] = hpo_malloc(O * sizeof(float));
    }
    fill_uniform(x, nx, &r, -2, 2);
    fill_uniform(W, nw, &r, -1, 1);
    fill_uniform(b, O, &r, -1, 1);
    fill_uniform(dy, ny, &r, -1, 1);
    /* start the accumulators at the same nonzero values: backward is "+=" */
    fill_uniform(dx[0], nx, &r, -1, 1);
    fill_uniform(dW[0], nw, &r, -1, 1);
    fill_uniform(db[0], O, &r, -1, 1);
    for (int k = 1; k < 3; k++) {
        memcpy(dx[k], dx[0], nx * sizeof(float));
        memcpy(dW[k], dW[0], nw * sizeof(float));
        memcpy(db[k], db[0], O * sizeof(float));
    }
    dense_forward_ref(y1, x, W, b, N, I, O);
    dense_forward_blas(y2, x, W, b, N, I, O);
    dense_forward(y3, x, W, b, N, I, O);
    dense_backward_ref(dx[0], dW[0], db[0], dy, x, W, N, I, O);
    dense_backward_blas(dx[1], dW[1], db[1], dy, x, W, N, I, O);
    dense_backward(dx[2], dW[2], db[2], dy, x, W, N, I, O);

    /* float sums of up to K terms of size <= 2: compare against K * 1e-6 */
    double worst = 0;
    const char *where = "";
    size_t wi = 0;
#define CMP(a, bb, n, K, name) for (size_t i_ = 0; i_ < (n); i_++) { \
        double d_ = fabs((double)(a)[i_] - (double)(bb)[i_]) / (1.0 + (double)(K)); \
        if (d_ > worst) { worst = d_; where = name; wi = i_; } }
    CMP(y1, y2, ny, I, "y blas");
    CMP(y1, y3, ny, I, "y dispatch");
    CMP(dx[0], dx[1], nx, O, "dx blas");
    CMP(dx[0], dx[2], nx, O, "dx dispatch");
    CMP(dW[0], dW[1], nw, N, "dW blas");
    CMP(dW[0], dW[2], nw, N, "dW dispatch");
    CMP(db[0], db[1], O, N, "db blas");
    CMP(db[0], db[2], O, N, "db dispatch");
#undef CMP
    cr_log_info("dense N=%zu I=%zu O=%zu: largest scaled difference %.3g in %s[%zu]", N, I, O, worst, where, wi);
    cr_assert(worst < 2e-6, "dense N=%zu I=%zu O=%zu: %s[%zu] differs by %g (scaled)", N, I, O, where, wi, worst);

    /* dx may be NULL (first layer): the other gradients are unchanged by that */
    memcpy(dW[1], dW[0], nw * sizeof(float));
    dense_backward_blas(NULL, dW[1], db[1], dy, x, W, N, I, O);
    dense_backward_ref(NULL, dW[2], db[2], dy, x, W, N, I, O);
    for (size_t i = 0; i < nw; i++) cr_assert(fabs(dW[1][i] - dW[2][i]) < 1e-4 * (1 + N));

    hpo_free(x); hpo_free(W); hpo_free(b); hpo_free(y1); hpo_free(y2); hpo_free(y3); hpo_free(dy);
    for (int k = 0; k < 3; k++) { hpo_free(dx[k]); hpo_free(dW[k]); hpo_free(db[k]); }
}

Test(dense, blas_matches_loops)
{
    const size_t shapes[][3] = { {1, 1, 1}, {1, 20, 14}, {2, 20, 14}, {2, 14, 2}, {3, 7, 5},
                                 {32, 20, 128}, {64, 128, 128}, {17, 33, 9}, {734, 20, 14} };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        check_dense_shape(shapes[s][0], shapes[s][1], shapes[s][2]);
    cr_assert_eq(hpo_test_alloc_live(), 0);
}

/* ---- gradients against finite differences ------------------------------------ */

static void check_gradients(hpo_act act, int after, size_t N, uint64_t seed)
{
    const size_t n_in = 3, n_out = 3, hid[] = { 4, 3 };
    hpo_mlp *m = make_mlp(n_in, n_out, 2, hid, act, after, 5);
    hpo_rng r;
    hpo_rng_seed(&r, seed);
    hpo_mlp_init(m, &r);
    float x[5 * 3];
    int32_t y[5];
    fill_uniform(x, N * n_in, &r, -2, 2);
    for (size_t n = 0; n < N; n++) y[n] = (int32_t)hpo_rng_below(&r, n_out - 1);

    /* grads are zeroed by step_batch: poison them first */
    size_t np = hpo_mlp_n_params(m);
    for (size_t k = 0; k < np; k++) hpo_mlp_grads(m)[k] = 123.0f;
    double loss;
    cr_assert_eq(hpo_mlp_step_batch(m, x, y, N, 1, &loss, NULL), HPO_OK, "%s", hpo_error_message());

    double p[128];
    cr_assert(np <= 128);
    for (size_t k = 0; k < np; k++) p[k] = hpo_mlp_params(m)[k];
    double mz;
    double l0 = ref_loss_double(p, x, y, N, n_in, n_out, 2, hid, act, after, &mz);
    cr_assert(fabs(l0 - loss) < 1e-5 * (1 + fabs(l0)), "%s after=%d: loss %.9g, double reference %.9g",
              hpo_act_name(act), after, loss, l0);
    const double h = 1e-5;
    /* a step of h moves any pre-activation by a few h at most: keep relu kinks 20 h away */
    if (act == HPO_ACT_RELU || act == HPO_ACT_LEAKY_RELU)
        cr_assert(mz > 20 * h, "a pre-activation %g is too close to a kink for h = %g; change the seed", mz, h);

    double worst = 0, worst_g = 0, worst_fd = 0;
    size_t worst_k = 0;
    for (size_t k = 0; k < np; k++) {
        double keep = p[k];
        p[k] = keep + h;
        double lp = ref_loss_double(p, x, y, N, n_in, n_out, 2, hid, act, after, NULL);
        p[k] = keep - h;
        double lm = ref_loss_double(p, x, y, N, n_in, n_out, 2, hid, act, after, NULL);
        p[k] = keep;
        double fd = (lp - lm) / (2 * h), g = hpo_mlp_grads(m)[k];
        double err = fabs(g - fd) / (1e-3 + fabs(fd));
        if (err > worst) { worst = err; worst_k = k; worst_g = g; worst_fd = fd; }
    }
    cr_log_info("grad check %-10s after=%d N=%zu: largest relative difference %.3g at param %zu "
                "(analytic %.9g, finite difference %.9g)", hpo_act_name(act), after, N, worst, worst_k,
                worst_g, worst_fd);
    cr_assert(worst < 1e-4, "%s after=%d N=%zu: param %zu analytic %.9g vs finite difference %.9g",
              hpo_act_name(act), after, N, worst_k, worst_g, worst_fd);
    hpo_mlp_destroy(&m);
}

Test(grad, every_activation_with_and_without_output_act)
{
    for (int act = HPO_ACT_RELU; act <= HPO_ACT_IDENTITY; act++)
        for (int after = 0; after <= 1; after++)
            check_gradients((hpo_act)act, after, 5, 7 + (uint64_t)act * 2 + (uint64_t)after);
}

Test(grad, batch_of_one_row)
{
    for (int act = HPO_ACT_RELU; act <= HPO_ACT_IDENTITY; act++)
        check_gradients((hpo_act)act, 1, 1, 99 + (uint64_t)act);
}

Test(grad, linear_model_no_hidden_layer)
{
    hpo_mlp *m = make_mlp(2, 2, 0, NULL, HPO_ACT_RELU, 0, 2);
    float *p = hpo_mlp_params(m);   /* W (2,2), b (2) */
    const float w[] = { 1, 2, 3, 4, 0.5f, -0.5f };
    memcpy(p, w, sizeof w);
    const float x[] = { 1, 0 };
    const int32_t y[] = { 0 };
    double loss;
    size_t hits;
    cr_assert_eq(hpo_mlp_step_batch(m, x, y, 1, 1, &loss, &hits), HPO_OK);
    /* logits (1.5, 2.5): loss = log(1 + e) ; p0 = 1/(1+e) */
    double e = exp(1.0), p0 = 1 / (1 + e);
    cr_assert(fabs(loss - log(1 + e)) < 1e-6, "loss %.9g", loss);
    cr_assert_eq(hits, 0);
    const float *g = hpo_mlp_grads(m);
    cr_assert(fabs(g[0] - (p0 - 1)) < 1e-6 && fabs(g[1]) < 1e-7 && fabs(g[2] - (1 - p0)) < 1e-6);
    cr_assert(fabs(g[4] - (p0 - 1)) < 1e-6 && fabs(g[5] - (1 - p0)) < 1e-6);
    float logits[2];
    cr_assert_eq(hpo_mlp_predict(m, x, 1, logits), HPO_OK);
    cr_assert(logits[0] == 1.5f && logits[1] == 2.5f, "logits %g %g", logits[0], logits[1]);
    cr_assert_eq(hpo_mlp_predict(m, x, 3, logits), HPO_EINVAL, "3 rows > max_batch 2");
    hpo_mlp_destroy(&m);
}

/* ---- optimizers against PyTorch (tests/ref/optim_step.h) ---------------------- */

/* Largest |a-b| / (1e-6 + |b|)-ish difference, with its index. */
static double max_diff(const float *a, const float *b, size_t n, size_t *where)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > worst) { worst = d; *where = i; }
    }
    return worst;
}

typedef struct ref_case {
    const char *name;
    hpo_opt_kind kind;
    double lr;
    const double *loss;
    const float *grads, *params;   /* (REF_STEPS, REF_NP) */
} ref_case;

static const ref_case k_ref_cases[] = {
    { "sgd", HPO_OPT_SGD, REF_LR_SGD, ref_sgd_loss, ref_sgd_grads, ref_sgd_params },
    { "adam", HPO_OPT_ADAM, REF_LR_ADAM, ref_adam_loss, ref_adam_grads, ref_adam_params },
    { "rmsprop", HPO_OPT_RMSPROP, REF_LR_RMSPROP, ref_rmsprop_loss, ref_rmsprop_grads, ref_rmsprop_params },
};

/* The optimizer alone: torch's gradients in, torch's parameters out, 3 steps
 * (Adam's bias correction changes with the step count). */
Test(optim, steps_match_torch_given_torch_grads)
{
    for (size_t c = 0; c < 3; c++) {
        const ref_case *rc = &k_ref_cases[c];
        hpo_optim *o = NULL;
        cr_assert_eq(hpo_optim_create(rc->kind, rc->lr, REF_NP, &o), HPO_OK);
        float p[REF_NP];
        memcpy(p, ref_params0, sizeof p);
        for (size_t s = 0; s < REF_STEPS; s++) {
            hpo_optim_step(o, p, rc->grads + s * REF_NP);
            size_t w = 0;
            double d = max_diff(p, rc->params + s * REF_NP, REF_NP, &w);
            cr_log_info("%s step %zu: largest difference to torch %.3g at %zu", rc->name, s + 1, d, w);
            cr_assert(d < 2e-7, "%s step %zu: param %zu = %.9g, torch %.9g", rc->name, s + 1, w,
                      p[w], rc->params[s * REF_NP + w]);
            /* continue from torch's values so that errors cannot build up */
            memcpy(p, rc->params + s * REF_NP, sizeof p);
        }
        hpo_optim_destroy(&o);
        cr_assert_null(o);
    }
}

/* The whole step: forward, loss, backward, optimizer, on the torch model. */
Test(optim, mlp_steps_match_torch)
{
    const size_t hid[] = { REF_N_HID };
    for (size_t c = 0; c < 3; c++) {
        const ref_case *rc = &k_ref_cases[c];
        hpo_mlp *m = make_mlp(REF_N_IN, REF_N_OUT, 1, hid, HPO_ACT_LEAKY_RELU, 1, REF_ROWS);
        cr_assert_eq(hpo_mlp_n_params(m), (size_t)REF_NP);
        memcpy(hpo_mlp_params(m), ref_params0, sizeof ref_params0);
        hpo_optim *o = NULL;
        cr_assert_eq(hpo_optim_create(rc->kind, rc->lr, REF_NP, &o), HPO_OK);
        for (size_t s = 0; s < REF_STEPS; s++) {
            double loss;
            cr_assert_eq(hpo_mlp_step_batch(m, ref_x, ref_y, REF_ROWS, 1, &loss, NULL), HPO_OK);
            cr_assert(fabs(loss - rc->loss[s]) < 1e-6, "%s step %zu: loss %.9g, torch %.9g", rc->name,
                      s + 1, loss, rc->loss[s]);
            size_t w = 0;
            double d = max_diff(hpo_mlp_grads(m), rc->grads + s * REF_NP, REF_NP, &w);
            cr_assert(d < 1e-6, "%s step %zu: grad %zu = %.9g, torch %.9g", rc->name, s + 1, w,
                      hpo_mlp_grads(m)[w], rc->grads[s * REF_NP + w]);
            hpo_optim_step(o, hpo_mlp_params(m), hpo_mlp_grads(m));
            d = max_diff(hpo_mlp_params(m), rc->params + s * REF_NP, REF_NP, &w);
            cr_log_info("%s step %zu (whole MLP): largest parameter difference to torch %.3g", rc->name, s + 1, d);
            cr_assert(d < 2e-6, "%s step %zu: param %zu = %.9g, torch %.9g", rc->name, s + 1, w,
                      hpo_mlp_params(m)[w], rc->params[s * REF_NP + w]);
        }
        hpo_optim_destroy(&o);
        hpo_mlp_destroy(&m);
    }
}

Test(optim, adam_first_step_is_lr_times_sign)
{
    /* bias correction makes Adam's first update lr*sign(g) (up to lr*eps/|g|) */
    hpo_optim *o = NULL;
    cr_assert_eq(hpo_optim_create(HPO_OPT_ADAM, 0.01, 4, &o), HPO_OK);
    float p[4] = { 0, 0, 0, 0 };
    const float g[4] = { 0.05f, -5.0f, 2.0f, -0.1f };
    hpo_optim_step(o, p, g);
    for (int i = 0; i < 4; i++)
        cr_assert(fabs(p[i] + 0.01 * (g[i] > 0 ? 1 : -1)) < 1e-7, "p[%d] = %.9g", i, p[i]);
    hpo_optim_reset(o);
    float q[4] = { 0, 0, 0, 0 };
    hpo_optim_step(o, q, g);
    cr_assert_eq(memcmp(p, q, sizeof p), 0, "reset gives a fresh optimizer");
    hpo_optim_destroy(&o);
}

/* The 4-wide SSE loops and the scalar tail must give the same bits as the
 * plain torch formulas, for a length that is not a multiple of 4. */
Test(optim, vector_and_scalar_paths_agree_bitwise)
{
    enum { NP = 11, STEPS = 3 };
    hpo_rng r;
    hpo_rng_seed(&r, 77);
    float p0[NP], g[STEPS][NP];
    fill_uniform(p0, NP, &r, -1, 1);
    for (int s = 0; s < STEPS; s++) fill_uniform(g[s], NP, &r, -0.5, 0.5);
    g[1][3] = 0.0f;   /* a zero gradient: v stays small, denominators near eps */
    for (int kind = HPO_OPT_SGD; kind <= HPO_OPT_RMSPROP; kind++) {
        const double lr_d = 0.01;
        const float lr = (float)lr_d;
        hpo_optim *o = NULL;
        cr_assert_eq(hpo_optim_create((hpo_opt_kind)kind, lr_d, NP, &o), HPO_OK);
        float p[NP], q[NP], m[NP] = { 0 }, v[NP] = { 0 };
        memcpy(p, p0, sizeof p);
        memcpy(q, p0, sizeof q);
        for (int s = 0; s < STEPS; s++) {
            hpo_optim_step(o, p, g[s]);
            const double bc1 = 1.0 - pow(0.9, s + 1), bc2 = 1.0 - pow(0.999, s + 1);
            const float step_size = (float)(lr_d / bc1), bc2_sqrt = (float)sqrt(bc2);
            for (int i = 0; i < NP; i++) {
                const float gi = g[s][i];
                if (kind == HPO_OPT_SGD) {
                    q[i] = q[i] + (-lr) * gi;
                } else if (kind == HPO_OPT_ADAM) {
                    m[i] = m[i] * 0.9f + gi * (float)(1.0 - 0.9);
                    v[i] = v[i] * 0.999f + (float)(1.0 - 0.999) * gi * gi;
                    q[i] = q[i] + (-step_size) * m[i] / (sqrtf(v[i]) / bc2_sqrt + 1e-8f);
                } else {
                    v[i] = v[i] * 0.99f + (float)(1.0 - 0.99) * gi * gi;
                    q[i] = q[i] + (-lr) * gi / (sqrtf(v[i]) + 1e-8f);
                }
            }
            for (int i = 0; i < NP; i++)
                cr_assert(memcmp(&p[i], &q[i], sizeof(float)) == 0, "%s step %d param %d: %.9g vs formula %.9g",
                          hpo_opt_name((hpo_opt_kind)kind), s + 1, i, p[i], q[i]);
        }
        hpo_optim_destroy(&o);
    }
}

Test(optim, create_errors)
{
    hpo_optim *o = (hpo_optim *)1;
    cr_assert_eq(hpo_optim_create(HPO_OPT_SGD, -0.1, 4, &o), HPO_EINVAL);
    cr_assert_null(o);
    cr_assert_eq(hpo_optim_create(HPO_OPT_ADAM, NAN, 4, &o), HPO_EINVAL);
    cr_assert_eq(hpo_optim_create(HPO_OPT_ADAM, 0.1, 0, &o), HPO_EINVAL);
    cr_assert_eq(hpo_optim_create((hpo_opt_kind)7, 0.1, 4, &o), HPO_EINVAL);
    hpo_optim_destroy(&o);
    hpo_optim_destroy(NULL);
    cr_assert_eq(hpo_test_alloc_live(), 0);
}

/* ---- training ------------------------------------------------------------------ */

#define PI_D 3.14159265358979323846

/* Three classes in the plane, separated by margins: class = which third of the
 * angle the point falls in, points within 0.15 rad of a border dropped. */
static size_t make_toy(float *x, int32_t *y, size_t n, hpo_rng *r)
{
    size_t k = 0;
    while (k < n) {
        double a = hpo_rng_uniform_range(r, 0, 2 * PI_D), rad = hpo_rng_uniform_range(r, 0.5, 2.0);
        double third = a / (2 * PI_D / 3);
        double frac = third - floor(third);
        if (frac < 0.05 || frac > 0.95) continue;
        x[2 * k] = (float)(rad * cos(a));
        x[2 * k + 1] = (float)(rad * sin(a));
        y[k] = (int32_t)floor(third);
        k++;
    }
    return k;
}

Test(train, separable_toy_problem)
{
    enum { N = 301, NV = 100 };    /* 301 = 37 batches of 8 and a short one of 5 */
    float x[N * 2], xv[NV * 2];
    int32_t y[N], yv[NV];
    hpo_rng r;
    hpo_rng_seed(&r, 5);
    make_toy(x, y, N, &r);
    make_toy(xv, yv, NV, &r);
    const size_t hid[] = { 16 };
    const hpo_opt_kind kinds[] = { HPO_OPT_ADAM, HPO_OPT_RMSPROP, HPO_OPT_SGD };
    const double lrs[] = { 0.01, 0.01, 0.3 };
    for (int c = 0; c < 3; c++) {
        hpo_mlp *m = make_mlp(2, 3, 1, hid, HPO_ACT_LEAKY_RELU, 0, 8);
        hpo_mlp_init(m, &r);
        hpo_optim *o = NULL;
        cr_assert_eq(hpo_optim_create(kinds[c], lrs[c], hpo_mlp_n_params(m), &o), HPO_OK);
        double loss = 0, acc = 0, first = 0, vl = 0, va = 0;
        for (int e = 0; e < 40; e++) {
            cr_assert_eq(hpo_mlp_train_epoch(m, o, x, y, N, 8, &r, &loss, &acc), HPO_OK, "%s", hpo_error_message());
            if (e == 0) first = loss;
        }
        cr_assert_eq(hpo_mlp_evaluate(m, xv, yv, NV, &vl, &va), HPO_OK);
        cr_log_info("toy %s: train loss %.4f -> %.4f, acc %.3f; validation loss %.4f acc %.3f",
                    hpo_opt_name(kinds[c]), first, loss, acc, vl, va);
        cr_assert(loss < 0.5 * first, "%s: loss %g -> %g", hpo_opt_name(kinds[c]), first, loss);
        cr_assert(acc >= 0.95 && va >= 0.95, "%s: train acc %g, validation acc %g", hpo_opt_name(kinds[c]), acc, va);
        hpo_optim_destroy(&o);
        hpo_mlp_destroy(&m);
    }
}

/* train_epoch == shuffle with the same rng, then step_batch + optimizer per
 * batch by hand, the last batch short (10 rows, batches of 4: 4, 4, 2). */
Test(train, epoch_equals_manual_batches_with_short_last)
{
    enum { N = 10, BS = 4 };
    const size_t hid[] = { 5 };
    hpo_mlp *a = make_mlp(3, 2, 1, hid, HPO_ACT_TANH, 0, BS);
    hpo_mlp *b = make_mlp(3, 2, 1, hid, HPO_ACT_TANH, 0, BS);
    hpo_rng r;
    hpo_rng_seed(&r, 11);
    hpo_mlp_init(a, &r);
    memcpy(hpo_mlp_params(b), hpo_mlp_params(a), hpo_mlp_n_params(a) * sizeof(float));
    float x[N * 3];
    int32_t y[N];
    fill_uniform(x, N * 3, &r, -1, 1);
    for (size_t i = 0; i < N; i++) y[i] = (int32_t)(i % 2);
    hpo_optim *oa = NULL, *ob = NULL;
    cr_assert_eq(hpo_optim_create(HPO_OPT_ADAM, 0.05, hpo_mlp_n_params(a), &oa), HPO_OK);
    cr_assert_eq(hpo_optim_create(HPO_OPT_ADAM, 0.05, hpo_mlp_n_params(b), &ob), HPO_OK);

    hpo_rng ra, rb;
    hpo_rng_seed(&ra, 3);
    rb = ra;
    double loss, acc;
    cr_assert_eq(hpo_mlp_train_epoch(a, oa, x, y, N, BS, &ra, &loss, &acc), HPO_OK, "%s", hpo_error_message());

    size_t idx[N];
    for (size_t i = 0; i < N; i++) idx[i] = i;
    hpo_rng_shuffle(&rb, idx, N);
    double sum = 0;
    size_t hits = 0, nb = 0;
    for (size_t r0 = 0; r0 < N; r0 += BS, nb++) {
        size_t n = N - r0 < BS ? N - r0 : BS, h;
        float xb[BS * 3];
        int32_t yb[BS];
        for (size_t k = 0; k < n; k++) {
            memcpy(xb + 3 * k, x + 3 * idx[r0 + k], 3 * sizeof(float));
            yb[k] = y[idx[r0 + k]];
        }
        double l;
        cr_assert_eq(hpo_mlp_step_batch(b, xb, yb, n, 1, &l, &h), HPO_OK);
        hpo_optim_step(ob, hpo_mlp_params(b), hpo_mlp_grads(b));
        sum += l;
        hits += h;
    }
    cr_assert_eq(nb, (size_t)3);
    cr_assert_eq(memcmp(hpo_mlp_params(a), hpo_mlp_params(b), hpo_mlp_n_params(a) * sizeof(float)), 0);
    cr_assert(fabs(loss - sum / 3) < 1e-12 && fabs(acc - (double)hits / N) < 1e-12,
              "loss %g vs %g, acc %g vs %g", loss, sum / 3, acc, (double)hits / N);
    cr_assert_eq(memcmp(&ra, &rb, sizeof ra), 0, "the epoch used the rng for the shuffle only");

    /* batch_size 1: every row its own step */
    cr_assert_eq(hpo_mlp_train_epoch(a, oa, x, y, N, 1, &ra, &loss, &acc), HPO_OK);
    cr_assert(isfinite(loss) && acc >= 0 && acc <= 1);
    /* batch larger than the data: one short batch */
    cr_assert_eq(hpo_mlp_train_epoch(a, oa, x, y, 3, BS, &ra, &loss, &acc), HPO_OK);
    /* batch_size above max_batch is refused */
    cr_assert_eq(hpo_mlp_train_epoch(a, oa, x, y, N, BS + 1, &ra, &loss, &acc), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "max_batch"), "%s", hpo_error_message());
    hpo_optim_destroy(&oa);
    hpo_optim_destroy(&ob);
    hpo_mlp_destroy(&a);
    hpo_mlp_destroy(&b);
}

Test(train, evaluate_batches_agree_with_one_batch)
{
    enum { N = 7 };
    const size_t hid[] = { 6 };
    hpo_mlp *small = make_mlp(4, 3, 1, hid, HPO_ACT_RELU, 0, 3);
    hpo_mlp *big = make_mlp(4, 3, 1, hid, HPO_ACT_RELU, 0, N);
    hpo_rng r;
    hpo_rng_seed(&r, 8);
    hpo_mlp_init(small, &r);
    memcpy(hpo_mlp_params(big), hpo_mlp_params(small), hpo_mlp_n_params(big) * sizeof(float));
    float x[N * 4];
    int32_t y[N];
    fill_uniform(x, N * 4, &r, -1, 1);
    for (size_t i = 0; i < N; i++) y[i] = (int32_t)(i % 3);
    double l1, a1, l2, a2;
    size_t h;
    cr_assert_eq(hpo_mlp_evaluate(small, x, y, N, &l1, &a1), HPO_OK);
    cr_assert_eq(hpo_mlp_step_batch(big, x, y, N, 0, &l2, &h), HPO_OK);
    a2 = (double)h / N;
    cr_assert(fabs(l1 - l2) < 1e-6 && a1 == a2, "evaluate %g/%g, one batch %g/%g", l1, a1, l2, a2);
    hpo_mlp_destroy(&small);
    hpo_mlp_destroy(&big);
}

/* ---- boundaries and failures ------------------------------------------------------ */

Test(fail, bad_arguments)
{
    const size_t hid[] = { 3 };
    hpo_mlp *m = make_mlp(2, 2, 1, hid, HPO_ACT_RELU, 0, 4);
    float x[10] = { 0 };
    int32_t y[5] = { 0, 1, 0, 1, 0 };
    cr_assert_eq(hpo_mlp_step_batch(m, x, y, 0, 1, NULL, NULL), HPO_EINVAL);
    cr_assert_eq(hpo_mlp_step_batch(m, x, y, 5, 1, NULL, NULL), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "max_batch 4"), "%s", hpo_error_message());
    int32_t bad[2] = { 0, 2 };
    cr_assert_eq(hpo_mlp_step_batch(m, x, bad, 2, 1, NULL, NULL), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "y[1] = 2"), "%s", hpo_error_message());
    bad[1] = -1;
    cr_assert_eq(hpo_mlp_evaluate(m, x, bad, 2, NULL, NULL), HPO_EINVAL);
    hpo_optim *o = NULL;
    cr_assert_eq(hpo_optim_create(HPO_OPT_SGD, 0.1, 3, &o), HPO_OK);
    hpo_rng r;
    hpo_rng_seed(&r, 1);
    cr_assert_eq(hpo_mlp_train_epoch(m, o, x, y, 5, 2, &r, NULL, NULL), HPO_EINVAL, "optimizer size mismatch");
    cr_assert_eq(hpo_mlp_train_epoch(m, o, x, y, 0, 2, &r, NULL, NULL), HPO_EINVAL);
    hpo_optim_destroy(&o);
    hpo_mlp_destroy(&m);
}

Test(fail, huge_inputs_stay_finite)
{
    /* stable softmax: logits of 1e4 and more must not overflow exp */
    const size_t hid[] = { 4 };
    for (int act = HPO_ACT_RELU; act <= HPO_ACT_IDENTITY; act++) {
        hpo_mlp *m = make_mlp(2, 3, 1, hid, (hpo_act)act, 0, 2);
        hpo_rng r;
        hpo_rng_seed(&r, 4);
        hpo_mlp_init(m, &r);
        float *p = hpo_mlp_params(m);
        for (size_t k = 0; k < hpo_mlp_n_params(m); k++) p[k] *= 100.0f;
        const float x[4] = { 1e3f, -2e3f, -5e2f, 3e3f };
        const int32_t y[2] = { 0, 2 };
        double loss;
        cr_assert_eq(hpo_mlp_step_batch(m, x, y, 2, 1, &loss, NULL), HPO_OK, "%s", hpo_error_message());
        cr_assert(isfinite(loss), "%s: loss %g", hpo_act_name((hpo_act)act), loss);
        for (size_t k = 0; k < hpo_mlp_n_params(m); k++)
            cr_assert(isfinite(hpo_mlp_grads(m)[k]), "%s: grad %zu", hpo_act_name((hpo_act)act), k);
        hpo_mlp_destroy(&m);
    }
}

Test(fail, nan_loss_is_reported)
{
    const size_t hid[] = { 4 };
    hpo_mlp *m = make_mlp(2, 2, 1, hid, HPO_ACT_RELU, 0, 4);
    hpo_rng r;
    hpo_rng_seed(&r, 2);
    hpo_mlp_init(m, &r);
    float x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    int32_t y[4] = { 0, 1, 1, 0 };
    float *p = hpo_mlp_params(m);
    float keep = p[0];
    p[0] = NAN;
    cr_assert_eq(hpo_mlp_step_batch(m, x, y, 4, 1, NULL, NULL), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "loss is nan at"), "%s", hpo_error_message());
    cr_assert_eq(hpo_mlp_evaluate(m, x, y, 4, NULL, NULL), HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "loss is nan at"), "%s", hpo_error_message());
    p[0] = keep;

    /* a learning rate that blows up: SGD with lr 1e30 */
    hpo_optim *o = NULL;
    cr_assert_eq(hpo_optim_create(HPO_OPT_SGD, 1e30, hpo_mlp_n_params(m), &o), HPO_OK);
    hpo_status st = HPO_OK;
    for (int e = 0; e < 20 && st == HPO_OK; e++)
        st = hpo_mlp_train_epoch(m, o, x, y, 4, 1, &r, NULL, NULL);
    cr_assert_eq(st, HPO_EINVAL);
    cr_assert(strstr(hpo_error_message(), "loss is nan at batch"), "%s", hpo_error_message());
    cr_log_info("diverging run reports: %s", hpo_error_message());
    hpo_optim_destroy(&o);
    hpo_mlp_destroy(&m);
}

Test(fail, out_of_memory)
{
    const size_t hid[] = { 8, 4 };
    hpo_mlp_spec spec = { .n_in = 5, .n_out = 3, .n_hidden = 2, .hidden = hid, .act = HPO_ACT_TANH };
    for (int sticky = 0; sticky <= 1; sticky++) {
        for (long n = 0;; n++) {
            hpo_mlp *m = NULL;
            hpo_optim *o = NULL;
            hpo_test_alloc_fail_at(n, sticky);
            hpo_status st = hpo_mlp_create(&spec, 4, &m);
            if (st == HPO_OK) st = hpo_optim_create(HPO_OPT_ADAM, 0.01, hpo_mlp_n_params(m), &o);
            if (st == HPO_OK) {
                float x[6 * 5] = { 0 };
                int32_t y[6] = { 0, 1, 2, 0, 1, 2 };
                hpo_rng r;
                hpo_rng_seed(&r, 1);
                st = hpo_mlp_train_epoch(m, o, x, y, 6, 4, &r, NULL, NULL);
            }
            hpo_optim_destroy(&o);
            hpo_mlp_destroy(&m);
            hpo_test_alloc_fail_at(-1, 0);
            cr_assert_eq(hpo_test_alloc_live(), 0, "leak after failure at %ld (sticky %d)", n, sticky);
            if (st == HPO_OK) break;
            cr_assert_eq(st, HPO_ENOMEM, "allocation %ld: got %d (%s)", n, st, hpo_error_message());
        }
    }
}
