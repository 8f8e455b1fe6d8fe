/* optim.h - first-order optimizers over one flat parameter block.
 *
 * The update rules are PyTorch's (torch.optim, 1.13) with their defaults, so a
 * trial's learning rate means the same as in the article's PyTorch code:
 *   sgd      p -= lr*g                                   (no momentum, no decay)
 *   adam     m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;  t += 1
 *            p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 *            b1 0.9, b2 0.999, eps 1e-8 (torch.optim.Adam, amsgrad off)
 *   rmsprop  v = a*v + (1-a)*g*g;  p -= lr * g / (sqrt(v) + eps)
 *            a 0.99, eps 1e-8 (torch.optim.RMSprop: no momentum, not centered)
 * Arithmetic is float32 in torch's order; tests/test_mlp.c pins one step of
 * each (and three Adam steps) against tests/ref/optim_step.txt, written by
 * tests/ref/make_optim_ref.py.
 *
 * The parameter and gradient blocks are the caller's (hpo_mlp_params /
 * hpo_mlp_grads); the optimizer owns only its state (0, 1 or 2 floats per
 * parameter, one allocation). Cost of a step: O(n_params). */
#ifndef HPO_OPTIM_H
#define HPO_OPTIM_H

#include <stddef.h>
#include "mpihpo.h"

typedef enum { HPO_OPT_SGD = 0, HPO_OPT_ADAM, HPO_OPT_RMSPROP } hpo_opt_kind;

/* "sgd", "adam", "rmsprop", case-insensitive (the article writes SGD, Adam,
 * RMSprop). Unknown name: HPO_EINVAL listing the known ones; *out unchanged. */
hpo_status  hpo_opt_parse(const char *name, hpo_opt_kind *out);
const char *hpo_opt_name(hpo_opt_kind kind);     /* "sgd", ...; "?" if invalid */

typedef struct hpo_optim hpo_optim;

/* State zeroed (step 0). lr must be finite and >= 0 (torch refuses lr < 0).
 * On failure *out is left NULL and nothing is allocated. */
hpo_status hpo_optim_create(hpo_opt_kind kind, double lr, size_t n_params, hpo_optim **out);
/* params (n_params) -= update(grads (n_params)). Cannot fail. */
void       hpo_optim_step(hpo_optim *o, float *params, const float *grads);
/* Forget the moments and the step count, as a fresh torch optimizer. */
void       hpo_optim_reset(hpo_optim *o);
size_t     hpo_optim_n_params(const hpo_optim *o);
void       hpo_optim_destroy(hpo_optim **o);  /* NULL-safe; clears *o */

#endif
