/* mlp.h - a multilayer perceptron classifier on CBLAS, float32 as PyTorch.
 *
 * The model is nn.Sequential(Linear, act, Linear, act, ..., Linear[, act]) with
 * nn.CrossEntropyLoss (softmax, mean over rows). Linear layers keep PyTorch's
 * layout and default init, so weights compare one to one with a state_dict.
 *
 *     hpo_mlp *m = NULL;  hpo_optim *o = NULL;
 *     HPO_TRY(hpo_mlp_create(&spec, batch_size, &m));
 *     hpo_mlp_init(m, &rng);
 *     HPO_TRY(hpo_optim_create(HPO_OPT_ADAM, lr, hpo_mlp_n_params(m), &o));
 *     for (epoch...) { hpo_mlp_train_epoch(m, o, x, y, n, batch_size, &rng, &l, &a);
 *                      hpo_mlp_evaluate(m, xv, yv, nv, &vl, &va); }
 *     hpo_optim_destroy(&o);  hpo_mlp_destroy(&m);
 *
 * Memory: besides the struct, one block of parameters, one of gradients, one
 * of activations sized for max_batch rows (and one index array that
 * hpo_mlp_train_epoch grows to the largest n it has seen). Nothing is
 * allocated per batch. A model is not thread-safe; use one per thread. */
#ifndef HPO_MLP_H
#define HPO_MLP_H

#include <stddef.h>
#include <stdint.h>
#include "mpihpo.h"
#include "optim.h"
#include "rng.h"

/* Applied after each hidden layer. Leaky slope 0.01 as torch.nn.LeakyReLU. */
typedef enum { HPO_ACT_RELU = 0, HPO_ACT_LEAKY_RELU, HPO_ACT_TANH, HPO_ACT_IDENTITY } hpo_act;

/* "relu", "leaky_relu", "tanh", "identity" (any case). Unknown: HPO_EINVAL
 * listing the names; *out unchanged. */
hpo_status  hpo_act_parse(const char *name, hpo_act *out);
const char *hpo_act_name(hpo_act act);            /* "relu", ...; "?" if invalid */

typedef struct hpo_mlp_spec {
    size_t n_in, n_out;          /* input features, classes (n_out >= 1) */
    size_t n_hidden;             /* hidden layers (0: a linear model) */
    const size_t *hidden;        /* (n_hidden) units per hidden layer, each >= 1 */
    hpo_act act;                 /* after each hidden layer */
    int act_after_output;        /* also apply act to the logits (the article does, with LeakyReLU) */
} hpo_mlp_spec;

typedef struct hpo_mlp hpo_mlp;  /* opaque */

/* Sizes every buffer for batches of up to max_batch rows. The spec is copied.
 * Parameters start at zero; call hpo_mlp_init. On failure *out is NULL and
 * nothing is left allocated. Widths and max_batch must fit in an int (BLAS). */
hpo_status hpo_mlp_create(const hpo_mlp_spec *spec, size_t max_batch, hpo_mlp **out);
void       hpo_mlp_destroy(hpo_mlp **m);          /* NULL-safe; clears *m */

/* PyTorch's default nn.Linear init: W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
 * drawn in parameter order. Same rng state, same parameters. */
void       hpo_mlp_init(hpo_mlp *m, hpo_rng *rng);

size_t     hpo_mlp_n_params(const hpo_mlp *m);
size_t     hpo_mlp_max_batch(const hpo_mlp *m);
/* One contiguous block (n_params): for each layer l, W (out_l, in_l) row-major
 * then b (out_l). The gradients have the same layout. */
float     *hpo_mlp_params(hpo_mlp *m);
float     *hpo_mlp_grads(hpo_mlp *m);

/* Forward n rows (1 <= n <= max_batch) of x (n, n_in), softmax cross-entropy
 * (mean over rows, as torch CrossEntropyLoss) against y (n) in [0, n_out).
 * With backward != 0 the gradients are zeroed and then filled; otherwise they
 * are left alone. *loss: the mean loss; *hits: rows whose argmax (first one on
 * ties, as torch.argmax) equals y; either may be NULL.
 * Errors: HPO_EINVAL for bad n or labels (nothing computed), or "loss is nan
 * at ..." if the loss is not finite (gradients then undefined; parameters are
 * never touched here). */
hpo_status hpo_mlp_step_batch(hpo_mlp *m, const float *x, const int32_t *y, size_t n,
                              int backward, double *loss, size_t *hits);

/* Logits (n, n_out) of n rows (n <= max_batch) of x (n, n_in), after the
 * output activation if act_after_output. */
hpo_status hpo_mlp_predict(hpo_mlp *m, const float *x, size_t n, float *logits);

/* One epoch over x (n, n_in), y (n): rows shuffled with rng (hpo_rng_shuffle
 * of 0..n-1), mini-batches of batch_size rows (<= max_batch; the last one
 * short), one optimizer step per batch. *loss: mean of the batch losses (as
 * the article's running_loss / len(loader)); *acc: training hits / n, counted
 * before each batch's step. Either may be NULL. On "loss is nan at ..." the
 * parameters keep the steps of the batches before the failing one.
 * Cost: O(n * n_params). */
hpo_status hpo_mlp_train_epoch(hpo_mlp *m, hpo_optim *o, const float *x, const int32_t *y,
                               size_t n, size_t batch_size, hpo_rng *rng,
                               double *loss, double *acc);

/* Validation: mean loss over rows and accuracy (hits / n), in batches of
 * max_batch rows; gradients untouched. Either output may be NULL. */
hpo_status hpo_mlp_evaluate(hpo_mlp *m, const float *x, const int32_t *y, size_t n,
                            double *loss, double *acc);

/* ---- Dense layer kernels, exposed for tests and benchmarks --------------
 * N = rows, IN = input width, OUT = output width; row-major; W (OUT,IN), b (OUT).
 * The _blas versions call cblas_sgemm; the _ref versions are plain loops kept
 * as the algorithmic reference. dense_forward/dense_backward pick the loops
 * for small shapes (N*IN*OUT < HPO_DENSE_BLAS_MIN, where sgemm's call overhead
 * dominates) and sgemm otherwise. Measured (OpenBLAS 0.3.21, one thread, the
 * heart shape 734x20, batch 2): loops 1.6x faster at 2x20x4, even at 2x20x14,
 * sgemm 1.3x faster at 2x20x32, so the crossover is put at 1024. */
#ifndef HPO_DENSE_BLAS_MIN
#define HPO_DENSE_BLAS_MIN 1024   /* -D to override when benchmarking */
#endif
/* y (N,OUT) = x (N,IN) . W^T + b */
void dense_forward(float *y, const float *x, const float *W, const float *b, size_t N, size_t IN, size_t OUT);
void dense_forward_blas(float *y, const float *x, const float *W, const float *b, size_t N, size_t IN, size_t OUT);
void dense_forward_ref(float *y, const float *x, const float *W, const float *b, size_t N, size_t IN, size_t OUT);
/* dx (N,IN) += dy (N,OUT) . W  (skipped if dx is NULL);  dW (OUT,IN) += dy^T . x;
 * db (OUT) += sum over rows of dy */
void dense_backward(float *dx, float *dW, float *db, const float *dy, const float *x, const float *W,
                    size_t N, size_t IN, size_t OUT);
void dense_backward_blas(float *dx, float *dW, float *db, const float *dy, const float *x, const float *W,
                         size_t N, size_t IN, size_t OUT);
void dense_backward_ref(float *dx, float *dW, float *db, const float *dy, const float *x, const float *W,
                        size_t N, size_t IN, size_t OUT);

#endif
