/* mlp.c - MLP classifier: dense layers on cblas_sgemm, activations, softmax
 * cross-entropy, mini-batch training (see mlp.h).
 *
 * Legend: B = max_batch, N = rows in this batch (N <= B), IN = a layer's input
 * width, OUT = its output width, C = n_out (classes), L = dense layers
 * (n_hidden + 1). Every matrix is row-major float32.
 *
 * Memory (llm.c style): params and grads are each one block with the same
 * layout (per layer W (OUT,IN) then b (OUT)), so the optimizer is one flat loop and
 * zeroing the gradients one memset. Activations are one block: per layer its
 * output a_l (B,O_l), then probs (B,C), two gradient scratch buffers (B,Wmax)
 * that backward ping-pongs between, and the gathered batch xb (B,n_in),
 * yb (B). Activation functions work in place on a_l, and their backward reads
 * that output (relu/leaky: a > 0 iff z > 0; tanh: 1 - a^2), so no
 * pre-activation copy is kept. */
#include "mlp.h"

#include <assert.h>
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "error.h"

#define LEAKY_SLOPE 0.01f   /* torch.nn.LeakyReLU default negative_slope */

typedef struct layer_impl {
    size_t in, out;      /* IN, OUT */
    int act;             /* apply the model's activation after this layer */
    float *W, *b;        /* (OUT,IN), (OUT) in params */
    float *dW, *db;      /* (OUT,IN), (OUT) in grads */
    float *a;            /* (B,OUT) output, activation applied in place */
} layer_impl;

struct hpo_mlp {
    size_t n_in, n_out;  /* input features, C */
    size_t L;            /* dense layers */
    size_t B;            /* max_batch */
    size_t n_params;
    size_t w_max;        /* widest layer input or output */
    hpo_act act;
    int act_after_output;
    float *params;       /* (n_params) */
    float *grads;        /* (n_params) */
    void *acts;          /* the activation block; the pointers below point into it */
    float *probs;        /* (B,C) softmax of the logits, then dlogits in place */
    float *da, *dz;      /* (B,w_max) each: gradient scratch */
    float *xb;           /* (B,n_in) rows gathered for a training batch */
    int32_t *yb;         /* (B) their labels */
    size_t *idx;         /* (idx_cap) row order of an epoch, grown on demand */
    size_t idx_cap;
    layer_impl layer[];  /* (L) */
};

/* ---- names ---------------------------------------------------------------- */

static const char *const k_act_names[] = { "relu", "leaky_relu", "tanh", "identity" };
#define N_ACTS (sizeof k_act_names / sizeof k_act_names[0])

hpo_status hpo_act_parse(const char *name, hpo_act *out)
{
    HPO_CHECK(name != NULL, HPO_EINVAL, "activation name (argument 1) is NULL");
    HPO_CHECK(out != NULL, HPO_EINVAL, "out (argument 2) is NULL");
    for (size_t i = 0; i < N_ACTS; i++)
        if (strcasecmp(name, k_act_names[i]) == 0) { *out = (hpo_act)i; return HPO_OK; }
    HPO_FAIL(HPO_EINVAL, "unknown activation '%s'; known: relu, leaky_relu, tanh, identity", name);
}

const char *hpo_act_name(hpo_act act)
{
    return (unsigned)act < N_ACTS ? k_act_names[act] : "?";
}

/* ---- dense layer ------------------------------------------------------------ */

/* y (N,OUT) = x (N,IN) . W^T + b;  W (OUT,IN), b (OUT) */
void dense_forward_ref(float *y, const float *x, const float *W, const float *b,
                       size_t N, size_t IN, size_t OUT)
{
    for (size_t n = 0; n < N; n++) {
        const float *xr = x + n * IN;
        float *yr = y + n * OUT;
        for (size_t o = 0; o < OUT; o++) {
            const float *wr = W + o * IN;
            float s = 0.0f;
            for (size_t i = 0; i < IN; i++) s += xr[i] * wr[i];
            yr[o] = s + b[o];
        }
    }
}

/* dx (N,IN) += dy (N,OUT) . W  (if dx);  dW (OUT,IN) += dy^T . x;  db (OUT) += sum_n dy */
void dense_backward_ref(float *dx, float *dW, float *db, const float *dy, const float *x,
                        const float *W, size_t N, size_t IN, size_t OUT)
{
    for (size_t n = 0; n < N; n++) {
        const float *xr = x + n * IN, *dyr = dy + n * OUT;
        float *dxr = dx ? dx + n * IN : NULL;
        for (size_t o = 0; o < OUT; o++) {
            const float d = dyr[o];
            float *dwr = dW + o * IN;
            const float *wr = W + o * IN;
            db[o] += d;
            for (size_t i = 0; i < IN; i++) dwr[i] += d * xr[i];
            if (dxr)
                for (size_t i = 0; i < IN; i++) dxr[i] += d * wr[i];
        }
    }
}

/* Same contract as dense_forward_ref; sizes fit in int (checked at create). */
void dense_forward_blas(float *y, const float *x, const float *W, const float *b,
                        size_t N, size_t IN, size_t OUT)
{
    for (size_t n = 0; n < N; n++) memcpy(y + n * OUT, b, OUT * sizeof *y);
    /* y (N,OUT) = 1 * x (N,IN) . W^T (IN,OUT) + 1 * y */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)OUT, (int)IN,
                1.0f, x, (int)IN, W, (int)IN, 1.0f, y, (int)OUT);
}

/* Same contract as dense_backward_ref. */
void dense_backward_blas(float *dx, float *dW, float *db, const float *dy, const float *x,
                         const float *W, size_t N, size_t IN, size_t OUT)
{
    /* dW (OUT,IN) += dy^T (OUT,N) . x (N,IN) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)OUT, (int)IN, (int)N,
                1.0f, dy, (int)OUT, x, (int)IN, 1.0f, dW, (int)IN);
    /* dx (N,IN) += dy (N,OUT) . W (OUT,IN) */
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)IN, (int)OUT,
                    1.0f, dy, (int)OUT, W, (int)IN, 1.0f, dx, (int)IN);
    for (size_t n = 0; n < N; n++)
        for (size_t o = 0; o < OUT; o++) db[o] += dy[n * OUT + o];
}

/* Small shapes: the loops win over sgemm's call overhead (see HPO_DENSE_BLAS_MIN). */
void dense_forward(float *y, const float *x, const float *W, const float *b,
                   size_t N, size_t IN, size_t OUT)
{
    if (N * IN * OUT < HPO_DENSE_BLAS_MIN) dense_forward_ref(y, x, W, b, N, IN, OUT);
    else dense_forward_blas(y, x, W, b, N, IN, OUT);
}

void dense_backward(float *dx, float *dW, float *db, const float *dy, const float *x,
                    const float *W, size_t N, size_t IN, size_t OUT)
{
    if (N * IN * OUT < HPO_DENSE_BLAS_MIN) dense_backward_ref(dx, dW, db, dy, x, W, N, IN, OUT);
    else dense_backward_blas(dx, dW, db, dy, x, W, N, IN, OUT);
}

/* ---- activations, in place on a (n) ---------------------------------------- */

static void act_forward(float *a, size_t n, hpo_act act)
{
    switch (act) {
    case HPO_ACT_RELU:
        for (size_t i = 0; i < n; i++) a[i] = a[i] < 0.0f ? 0.0f : a[i];   /* NaN stays NaN, as torch */
        break;
    case HPO_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) a[i] = a[i] > 0.0f ? a[i] : a[i] * LEAKY_SLOPE;
        break;
    case HPO_ACT_TANH:
        for (size_t i = 0; i < n; i++) a[i] = tanhf(a[i]);
        break;
    case HPO_ACT_IDENTITY:
        break;
    }
}

/* d (n) *= f'(z), read from the forward output a (n): the sign of a is the
 * sign of z for relu and leaky relu (torch: gradient 0 resp. slope at z == 0),
 * and tanh' = 1 - a^2. */
static void act_backward(float *d, const float *a, size_t n, hpo_act act)
{
    switch (act) {
    case HPO_ACT_RELU:
        for (size_t i = 0; i < n; i++) d[i] = a[i] > 0.0f ? d[i] : 0.0f;
        break;
    case HPO_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) d[i] = a[i] > 0.0f ? d[i] : d[i] * LEAKY_SLOPE;
        break;
    case HPO_ACT_TANH:
        for (size_t i = 0; i < n; i++) d[i] *= 1.0f - a[i] * a[i];
        break;
    case HPO_ACT_IDENTITY:
        break;
    }
}

/* ---- softmax cross-entropy -------------------------------------------------- */

/* logits (N,C), y (N) -> probs (N,C) = softmax(logits) (max subtracted first),
 * *loss = mean over rows of -log probs[y] (log-sum-exp in double), *hits =
 * rows whose first argmax is y. Returns the first row whose loss is not
 * finite, or N if all are. */
static size_t crossentropy_forward(float *probs, double *loss, size_t *hits, const float *logits,
                                   const int32_t *y, size_t N, size_t C)
{
    double sum_loss = 0.0;
    size_t nhit = 0, bad = N;
    for (size_t n = 0; n < N; n++) {
        const float *l = logits + n * C;
        float *p = probs + n * C;
        size_t arg = 0;
        float mx = l[0];
        for (size_t c = 1; c < C; c++)
            if (l[c] > mx) { mx = l[c]; arg = c; }
        double s = 0.0;
        for (size_t c = 0; c < C; c++) { p[c] = expf(l[c] - mx); s += p[c]; }
        const float inv = (float)(1.0 / s);
        for (size_t c = 0; c < C; c++) p[c] *= inv;
        double row = log(s) - ((double)l[y[n]] - (double)mx);
        if (!isfinite(row) && bad == N) bad = n;
        sum_loss += row;
        nhit += arg == (size_t)y[n];
    }
    *loss = sum_loss / (double)N;
    *hits = nhit;
    return bad;
}

/* probs (N,C) -> dlogits (N,C) in place: d mean loss / d logits = (probs - onehot(y)) / N.
 * This is where the chain rule starts. */
static void crossentropy_backward(float *probs, const int32_t *y, size_t N, size_t C)
{
    const float scale = 1.0f / (float)N;
    for (size_t n = 0; n < N; n++) {
        float *p = probs + n * C;
        p[y[n]] -= 1.0f;
        for (size_t c = 0; c < C; c++) p[c] *= scale;
    }
}

/* ---- the model ---------------------------------------------------------------- */

/* *acc += a * b, refusing overflow. */
static int add_mul(size_t *acc, size_t a, size_t b)
{
    if (a && b > SIZE_MAX / a) return 0;
    if (*acc > SIZE_MAX - a * b) return 0;
    *acc += a * b;
    return 1;
}

hpo_status hpo_mlp_create(const hpo_mlp_spec *spec, size_t max_batch, hpo_mlp **out)
{
    HPO_CHECK(out != NULL, HPO_EINVAL, "out (argument 3) is NULL");
    *out = NULL;
    HPO_CHECK(spec != NULL, HPO_EINVAL, "spec (argument 1) is NULL");
    HPO_CHECK(spec->n_in >= 1 && spec->n_in <= INT_MAX, HPO_EINVAL, "n_in %zu must be in [1, %d]", spec->n_in, INT_MAX);
    HPO_CHECK(spec->n_out >= 1 && spec->n_out <= INT_MAX, HPO_EINVAL, "n_out %zu must be in [1, %d]", spec->n_out, INT_MAX);
    HPO_CHECK(spec->n_hidden == 0 || spec->hidden != NULL, HPO_EINVAL, "n_hidden is %zu but hidden is NULL", spec->n_hidden);
    HPO_CHECK(spec->n_hidden < 4096, HPO_EINVAL, "n_hidden %zu: more than 4095 hidden layers", spec->n_hidden);
    for (size_t l = 0; l < spec->n_hidden; l++)
        HPO_CHECK(spec->hidden[l] >= 1 && spec->hidden[l] <= INT_MAX, HPO_EINVAL,
                  "hidden[%zu] = %zu units must be in [1, %d]", l, spec->hidden[l], INT_MAX);
    HPO_CHECK((unsigned)spec->act < N_ACTS, HPO_EINVAL, "activation %d is not one of relu, leaky_relu, tanh, identity", (int)spec->act);
    HPO_CHECK(max_batch >= 1 && max_batch <= INT_MAX, HPO_EINVAL, "max_batch %zu must be in [1, %d]", max_batch, INT_MAX);

    const size_t L = spec->n_hidden + 1, B = max_batch;
    hpo_mlp *m = hpo_calloc(1, sizeof *m + L * sizeof(layer_impl));
    HPO_CHECK(m != NULL, HPO_ENOMEM, "mlp struct with %zu layers", L);
    m->n_in = spec->n_in;
    m->n_out = spec->n_out;
    m->L = L;
    m->B = B;
    m->act = spec->act;
    m->act_after_output = spec->act_after_output != 0;

    /* Sizes: parameters, then activation floats (a_l, probs, da, dz, xb, yb). */
    hpo_status st = HPO_OK;
    size_t np = 0, na = 0, w_max = spec->n_in;
    int ok = 1;
    for (size_t l = 0; l < L; l++) {
        layer_impl *ly = &m->layer[l];
        ly->in = l ? spec->hidden[l - 1] : spec->n_in;
        ly->out = l < L - 1 ? spec->hidden[l] : spec->n_out;
        ly->act = l < L - 1 || m->act_after_output;
        if (ly->out > w_max) w_max = ly->out;
        ok = ok && add_mul(&np, ly->out, ly->in) && add_mul(&np, ly->out, 1) && add_mul(&na, B, ly->out);
    }
    ok = ok && add_mul(&na, B, spec->n_out) && add_mul(&na, 2 * B, w_max) && add_mul(&na, B, spec->n_in)
            && add_mul(&na, B, 1) && np <= SIZE_MAX / sizeof(float) && na <= SIZE_MAX / sizeof(float);
    HPO_CHECK_GOTO(ok, fail, HPO_EINVAL, "model too large: %zu layers, max_batch %zu overflow size_t", L, B);
    m->n_params = np;
    m->w_max = w_max;

    m->params = hpo_calloc(np, sizeof(float));
    m->grads = hpo_calloc(np, sizeof(float));
    m->acts = hpo_calloc(na, sizeof(float));
    HPO_CHECK_GOTO(m->params && m->grads && m->acts, fail, HPO_ENOMEM,
                   "MLP buffers: %zu parameters (x2) and %zu activation floats (max_batch %zu)", np, na, B);

    /* Point every tensor into its block. */
    float *p = m->params, *g = m->grads, *a = m->acts;
    for (size_t l = 0; l < L; l++) {
        layer_impl *ly = &m->layer[l];
        ly->W = p;  p += ly->out * ly->in;
        ly->b = p;  p += ly->out;
        ly->dW = g; g += ly->out * ly->in;
        ly->db = g; g += ly->out;
        ly->a = a;  a += B * ly->out;
    }
    m->probs = a; a += B * m->n_out;
    m->da = a;    a += B * w_max;
    m->dz = a;    a += B * w_max;
    m->xb = a;    a += B * m->n_in;
    m->yb = (int32_t *)(void *)a;   /* same size and alignment as float; only ever used as int32 */
    assert(p == m->params + np && g == m->grads + np && a + B == (float *)m->acts + na);
    *out = m;
    return HPO_OK;
fail:
    hpo_mlp_destroy(&m);
    return st;
}

void hpo_mlp_destroy(hpo_mlp **m)
{
    if (!m || !*m) return;
    hpo_free((*m)->params);
    hpo_free((*m)->grads);
    hpo_free((*m)->acts);
    hpo_free((*m)->idx);
    hpo_free(*m);
    *m = NULL;
}

void hpo_mlp_init(hpo_mlp *m, hpo_rng *rng)
{
    assert(m && rng);
    for (size_t l = 0; l < m->L; l++) {
        layer_impl *ly = &m->layer[l];
        /* kaiming_uniform_(a=sqrt(5)) gives bound = sqrt(1/3)*sqrt(3/fan_in) = 1/sqrt(fan_in);
         * the bias uses the same bound. */
        const double bound = 1.0 / sqrt((double)ly->in);
        float *p = ly->W;   /* W then b are adjacent */
        for (size_t k = 0; k < ly->out * ly->in + ly->out; k++)
            p[k] = (float)hpo_rng_uniform_range(rng, -bound, bound);
    }
}

size_t hpo_mlp_n_params(const hpo_mlp *m) { return m->n_params; }
size_t hpo_mlp_max_batch(const hpo_mlp *m) { return m->B; }
float *hpo_mlp_params(hpo_mlp *m) { return m->params; }
float *hpo_mlp_grads(hpo_mlp *m) { return m->grads; }

/* x (N,n_in) -> layer outputs; returns the logits (N,C). */
static const float *forward_impl(hpo_mlp *m, const float *x, size_t N)
{
    const float *in = x;
    for (size_t l = 0; l < m->L; l++) {
        layer_impl *ly = &m->layer[l];
        dense_forward(ly->a, in, ly->W, ly->b, N, ly->in, ly->out);
        if (ly->act) act_forward(ly->a, N * ly->out, m->act);
        in = ly->a;
    }
    return in;
}

/* The mirror of forward_impl, from probs (N,C) (turned into dlogits) down to
 * layer 0; grads must be zeroed by the caller. x (N,n_in) is the forward input. */
static void backward_impl(hpo_mlp *m, const float *x, const int32_t *y, size_t N)
{
    crossentropy_backward(m->probs, y, N, m->n_out);
    float *d = m->probs;                    /* d loss / d (output of layer l) */
    for (size_t l = m->L; l-- > 0;) {
        layer_impl *ly = &m->layer[l];
        if (ly->act) act_backward(d, ly->a, N * ly->out, m->act);
        const float *in = l ? m->layer[l - 1].a : x;
        float *dprev = NULL;
        if (l) {
            dprev = d == m->da ? m->dz : m->da;
            memset(dprev, 0, N * ly->in * sizeof *dprev);
        }
        dense_backward(dprev, ly->dW, ly->db, d, in, ly->W, N, ly->in, ly->out);
        d = dprev;
    }
}

/* Forward, loss, and (if backward) zeroed-then-filled gradients. Returns the
 * first row with a non-finite loss, or N. Arguments already checked. */
static size_t step_impl(hpo_mlp *m, const float *x, const int32_t *y, size_t N, int backward,
                        double *loss, size_t *hits)
{
    const float *logits = forward_impl(m, x, N);
    size_t bad = crossentropy_forward(m->probs, loss, hits, logits, y, N, m->n_out);
    if (bad == N && backward) {
        memset(m->grads, 0, m->n_params * sizeof *m->grads);
        backward_impl(m, x, y, N);
    }
    return bad;
}

static hpo_status check_labels(const hpo_mlp *m, const int32_t *y, size_t n, size_t offset)
{
    for (size_t i = 0; i < n; i++)
        HPO_CHECK(y[i] >= 0 && (size_t)y[i] < m->n_out, HPO_EINVAL,
                  "label y[%zu] = %d is not a class in [0, %zu)", offset + i, (int)y[i], m->n_out);
    return HPO_OK;
}

hpo_status hpo_mlp_step_batch(hpo_mlp *m, const float *x, const int32_t *y, size_t n,
                              int backward, double *loss, size_t *hits)
{
    HPO_CHECK(m != NULL, HPO_EINVAL, "model (argument 1) is NULL");
    HPO_CHECK(x != NULL && y != NULL, HPO_EINVAL, "x or y (arguments 2, 3) is NULL");
    HPO_CHECK(n >= 1 && n <= m->B, HPO_EINVAL, "batch of %zu rows: must be in [1, max_batch %zu]", n, m->B);
    HPO_TRY(check_labels(m, y, n, 0));
    double l;
    size_t h;
    size_t bad = step_impl(m, x, y, n, backward, &l, &h);
    HPO_CHECK(bad == n, HPO_EINVAL, "loss is nan at row %zu of a batch of %zu (logits not finite: "
              "learning rate too large?)", bad, n);
    if (loss) *loss = l;
    if (hits) *hits = h;
    return HPO_OK;
}

hpo_status hpo_mlp_predict(hpo_mlp *m, const float *x, size_t n, float *logits)
{
    HPO_CHECK(m != NULL, HPO_EINVAL, "model (argument 1) is NULL");
    HPO_CHECK(x != NULL && logits != NULL, HPO_EINVAL, "x or logits (arguments 2, 4) is NULL");
    HPO_CHECK(n >= 1 && n <= m->B, HPO_EINVAL, "batch of %zu rows: must be in [1, max_batch %zu]", n, m->B);
    memcpy(logits, forward_impl(m, x, n), n * m->n_out * sizeof *logits);
    return HPO_OK;
}

hpo_status hpo_mlp_train_epoch(hpo_mlp *m, hpo_optim *o, const float *x, const int32_t *y,
                               size_t n, size_t batch_size, hpo_rng *rng,
                               double *loss, double *acc)
{
    HPO_CHECK(m != NULL && o != NULL, HPO_EINVAL, "model or optimizer (arguments 1, 2) is NULL");
    HPO_CHECK(x != NULL && y != NULL && rng != NULL, HPO_EINVAL, "x, y or rng (arguments 3, 4, 7) is NULL");
    HPO_CHECK(n >= 1, HPO_EINVAL, "no training rows (n = 0)");
    HPO_CHECK(batch_size >= 1 && batch_size <= m->B, HPO_EINVAL,
              "batch_size %zu must be in [1, max_batch %zu]", batch_size, m->B);
    HPO_CHECK(hpo_optim_n_params(o) == m->n_params, HPO_EINVAL,
              "optimizer was made for %zu parameters, the model has %zu", hpo_optim_n_params(o), m->n_params);
    HPO_TRY(check_labels(m, y, n, 0));
    if (n > m->idx_cap) {
        HPO_CHECK(n <= SIZE_MAX / sizeof(size_t), HPO_EINVAL, "n = %zu rows is too many", n);
        size_t *idx = hpo_malloc(n * sizeof *idx);
        HPO_CHECK(idx != NULL, HPO_ENOMEM, "row order for %zu rows", n);
        hpo_free(m->idx);
        m->idx = idx;
        m->idx_cap = n;
    }
    for (size_t i = 0; i < n; i++) m->idx[i] = i;
    hpo_rng_shuffle(rng, m->idx, n);

    const size_t nb = (n + batch_size - 1) / batch_size, D = m->n_in;
    double sum_loss = 0.0;
    size_t sum_hits = 0;
    for (size_t b = 0; b < nb; b++) {
        const size_t r0 = b * batch_size, N = n - r0 < batch_size ? n - r0 : batch_size;
        for (size_t r = 0; r < N; r++) {               /* gather: xb (N,D), yb (N) */
            const size_t src = m->idx[r0 + r];
            memcpy(m->xb + r * D, x + src * D, D * sizeof *x);
            m->yb[r] = y[src];
        }
        double l;
        size_t h;
        size_t bad = step_impl(m, m->xb, m->yb, N, 1, &l, &h);
        HPO_CHECK(bad == N, HPO_EINVAL, "loss is nan at batch %zu of %zu (data row %zu): logits not "
                  "finite, the learning rate may be too large", b, nb, m->idx[r0 + bad]);
        hpo_optim_step(o, m->params, m->grads);
        sum_loss += l;
        sum_hits += h;
    }
    if (loss) *loss = sum_loss / (double)nb;
    if (acc) *acc = (double)sum_hits / (double)n;
    return HPO_OK;
}

hpo_status hpo_mlp_evaluate(hpo_mlp *m, const float *x, const int32_t *y, size_t n,
                            double *loss, double *acc)
{
    HPO_CHECK(m != NULL, HPO_EINVAL, "model (argument 1) is NULL");
    HPO_CHECK(x != NULL && y != NULL, HPO_EINVAL, "x or y (arguments 2, 3) is NULL");
    HPO_CHECK(n >= 1, HPO_EINVAL, "no validation rows (n = 0)");
    HPO_TRY(check_labels(m, y, n, 0));
    double sum_loss = 0.0;
    size_t sum_hits = 0;
    for (size_t r0 = 0; r0 < n; r0 += m->B) {
        const size_t N = n - r0 < m->B ? n - r0 : m->B;
        double l;
        size_t h;
        size_t bad = step_impl(m, x + r0 * m->n_in, y + r0, N, 0, &l, &h);
        HPO_CHECK(bad == N, HPO_EINVAL, "loss is nan at validation row %zu: logits not finite",
                  r0 + bad);
        sum_loss += l * (double)N;
        sum_hits += h;
    }
    if (loss) *loss = sum_loss / (double)n;
    if (acc) *acc = (double)sum_hits / (double)n;
    return HPO_OK;
}
