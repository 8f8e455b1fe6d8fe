/* optim.c - SGD, Adam and RMSprop as torch.optim does them (see optim.h).
 *
 * Each optimizer is a row of k_optims: its study-file name, how many floats of
 * state it keeps per parameter, and its step. Scalars that torch computes in
 * Python (bias corrections, step size) are computed here in double and then
 * used as float, because a torch CPU kernel converts its Scalar arguments to
 * the tensor's dtype. */
#include "optim.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "error.h"

#if defined(__SSE2__) && !defined(HPO_NO_SIMD)
#include <emmintrin.h>
#define HPO_OPTIM_SSE 1
#else
#define HPO_OPTIM_SSE 0
#endif

#define ADAM_BETA1 0.9
#define ADAM_BETA2 0.999
#define ADAM_EPS   1e-8
#define RMS_ALPHA  0.99
#define RMS_EPS    1e-8

struct hpo_optim {
    const struct optim_ops *ops;
    double lr;
    size_t n;           /* parameters */
    long long t;        /* steps taken (Adam's bias correction) */
    float *state;       /* (ops->n_state * n): Adam m then v; RMSprop v; NULL for SGD */
};

typedef struct optim_ops {
    const char *name;   /* as in the study file */
    hpo_opt_kind kind;
    size_t n_state;     /* floats of state per parameter */
    void (*step)(hpo_optim *o, float *p, const float *g);
} optim_ops;

/* The loops below do 4 parameters at a time with SSE where the compiler has
 * it (every x86-64), and the rest one at a time. The 4-wide code performs the
 * same IEEE float operations in the same order as the scalar line under it,
 * so both give identical bits; it exists because the default -O2 build does
 * not vectorize these loops (and sqrtf's errno check would prevent it), and
 * the optimizer step was half of a small model's training time. */

/* p (n) -= lr * g (n) */
static void sgd_step(hpo_optim *o, float *p, const float *g)
{
    const float lr = (float)o->lr;
    size_t i = 0;
#if HPO_OPTIM_SSE
    const __m128 vlr = _mm_set1_ps(-lr);
    for (; i + 4 <= o->n; i += 4)
        _mm_storeu_ps(p + i, _mm_add_ps(_mm_loadu_ps(p + i), _mm_mul_ps(vlr, _mm_loadu_ps(g + i))));
#endif
    for (; i < o->n; i++) p[i] = p[i] + (-lr) * g[i];   /* param.add_(g, alpha=-lr) */
}

/* m (n), v (n) = state; torch.optim.Adam _single_tensor_adam, line by line. */
static void adam_step(hpo_optim *o, float *p, const float *g)
{
    float *m = o->state, *v = o->state + o->n;
    o->t++;
    const double bc1 = 1.0 - pow(ADAM_BETA1, (double)o->t);
    const double bc2 = 1.0 - pow(ADAM_BETA2, (double)o->t);
    const float b1 = (float)ADAM_BETA1, c1 = (float)(1.0 - ADAM_BETA1);
    const float b2 = (float)ADAM_BETA2, c2 = (float)(1.0 - ADAM_BETA2);
    const float step_size = (float)(o->lr / bc1);
    const float bc2_sqrt = (float)sqrt(bc2);
    const float eps = (float)ADAM_EPS;
    size_t i = 0;
#if HPO_OPTIM_SSE
    const __m128 vb1 = _mm_set1_ps(b1), vc1 = _mm_set1_ps(c1), vb2 = _mm_set1_ps(b2),
                 vc2 = _mm_set1_ps(c2), vbc = _mm_set1_ps(bc2_sqrt), veps = _mm_set1_ps(eps),
                 vss = _mm_set1_ps(-step_size);
    for (; i + 4 <= o->n; i += 4) {
        __m128 gi = _mm_loadu_ps(g + i);
        __m128 mi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + i), vb1), _mm_mul_ps(gi, vc1));
        __m128 vi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + i), vb2), _mm_mul_ps(_mm_mul_ps(vc2, gi), gi));
        __m128 denom = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(vi), vbc), veps);
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        _mm_storeu_ps(p + i, _mm_add_ps(_mm_loadu_ps(p + i), _mm_div_ps(_mm_mul_ps(vss, mi), denom)));
    }
#endif
    for (; i < o->n; i++) {
        m[i] = m[i] * b1 + g[i] * c1;              /* exp_avg.mul_(b1).add_(g, alpha=1-b1) */
        v[i] = v[i] * b2 + c2 * g[i] * g[i];       /* exp_avg_sq.mul_(b2).addcmul_(g, g, value=1-b2) */
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] = p[i] + (-step_size) * m[i] / denom; /* param.addcdiv_(m, denom, value=-step_size) */
    }
}

/* v (n) = state; torch.optim.RMSprop _single_tensor_rmsprop without momentum/centering. */
static void rmsprop_step(hpo_optim *o, float *p, const float *g)
{
    float *v = o->state;
    o->t++;
    const float a = (float)RMS_ALPHA, c = (float)(1.0 - RMS_ALPHA);
    const float lr = (float)o->lr, eps = (float)RMS_EPS;
    size_t i = 0;
#if HPO_OPTIM_SSE
    const __m128 va = _mm_set1_ps(a), vc = _mm_set1_ps(c), veps = _mm_set1_ps(eps),
                 vlr = _mm_set1_ps(-lr);
    for (; i + 4 <= o->n; i += 4) {
        __m128 gi = _mm_loadu_ps(g + i);
        __m128 vi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + i), va), _mm_mul_ps(_mm_mul_ps(vc, gi), gi));
        __m128 avg = _mm_add_ps(_mm_sqrt_ps(vi), veps);
        _mm_storeu_ps(v + i, vi);
        _mm_storeu_ps(p + i, _mm_add_ps(_mm_loadu_ps(p + i), _mm_div_ps(_mm_mul_ps(vlr, gi), avg)));
    }
#endif
    for (; i < o->n; i++) {
        v[i] = v[i] * a + c * g[i] * g[i];         /* square_avg.mul_(a).addcmul_(g, g, value=1-a) */
        float avg = sqrtf(v[i]) + eps;             /* square_avg.sqrt().add_(eps) */
        p[i] = p[i] + (-lr) * g[i] / avg;          /* param.addcdiv_(g, avg, value=-lr) */
    }
}

static const optim_ops k_sgd     = { "sgd",     HPO_OPT_SGD,     0, sgd_step };
static const optim_ops k_adam    = { "adam",    HPO_OPT_ADAM,    2, adam_step };
static const optim_ops k_rmsprop = { "rmsprop", HPO_OPT_RMSPROP, 1, rmsprop_step };
/* Indexed by hpo_opt_kind. */
static const optim_ops *const k_optims[] = { &k_sgd, &k_adam, &k_rmsprop };
#define N_OPTIMS (sizeof k_optims / sizeof k_optims[0])

hpo_status hpo_opt_parse(const char *name, hpo_opt_kind *out)
{
    HPO_CHECK(name != NULL, HPO_EINVAL, "optimizer name (argument 1) is NULL");
    HPO_CHECK(out != NULL, HPO_EINVAL, "out (argument 2) is NULL");
    for (size_t i = 0; i < N_OPTIMS; i++)
        if (strcasecmp(name, k_optims[i]->name) == 0) { *out = k_optims[i]->kind; return HPO_OK; }
    HPO_FAIL(HPO_EINVAL, "unknown optimizer '%s'; known: sgd, adam, rmsprop (any case)", name);
}

const char *hpo_opt_name(hpo_opt_kind kind)
{
    return (unsigned)kind < N_OPTIMS ? k_optims[kind]->name : "?";
}

hpo_status hpo_optim_create(hpo_opt_kind kind, double lr, size_t n_params, hpo_optim **out)
{
    HPO_CHECK(out != NULL, HPO_EINVAL, "out (argument 4) is NULL");
    *out = NULL;
    HPO_CHECK((unsigned)kind < N_OPTIMS, HPO_EINVAL, "optimizer kind %d is not one of sgd, adam, rmsprop", (int)kind);
    HPO_CHECK(isfinite(lr) && lr >= 0.0, HPO_EINVAL, "%s: learning rate %g must be finite and >= 0",
              k_optims[kind]->name, lr);
    HPO_CHECK(n_params > 0, HPO_EINVAL, "%s: n_params is 0", k_optims[kind]->name);
    const optim_ops *ops = k_optims[kind];
    HPO_CHECK(ops->n_state == 0 || n_params <= SIZE_MAX / sizeof(float) / ops->n_state, HPO_EINVAL,
              "%s: %zu parameters overflow the state size", ops->name, n_params);

    hpo_optim *o = hpo_calloc(1, sizeof *o);
    HPO_CHECK(o != NULL, HPO_ENOMEM, "%s: optimizer struct (%zu bytes)", ops->name, sizeof *o);
    o->ops = ops;
    o->lr = lr;
    o->n = n_params;
    if (ops->n_state) {
        o->state = hpo_calloc(ops->n_state * n_params, sizeof(float));
        if (!o->state) {
            hpo_free(o);
            HPO_FAIL(HPO_ENOMEM, "%s: state for %zu parameters (%zu bytes)", ops->name, n_params,
                     ops->n_state * n_params * sizeof(float));
        }
    }
    *out = o;
    return HPO_OK;
}

void hpo_optim_step(hpo_optim *o, float *params, const float *grads)
{
    assert(o && params && grads);
    o->ops->step(o, params, grads);
}

void hpo_optim_reset(hpo_optim *o)
{
    o->t = 0;
    if (o->state) memset(o->state, 0, o->ops->n_state * o->n * sizeof(float));
}

size_t hpo_optim_n_params(const hpo_optim *o) { return o->n; }

void hpo_optim_destroy(hpo_optim **o)
{
    if (!o || !*o) return;
    hpo_free((*o)->state);
    hpo_free(*o);
    *o = NULL;
}
