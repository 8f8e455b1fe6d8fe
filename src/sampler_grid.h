/* sampler_grid.h - the grid sampler ("grid"): every point of a finite grid
 * exactly once, in a seeded order (Optuna's GridSampler, algorithms.md §2.9).
 *
 * The grid comes from one of two places:
 *   - explicit axes (hpo_grid_axis, given in hpo_sampler_opts.grid once the
 *     study carries them; hpo_grid_create_impl until then): the grid is their
 *     product, fixed from the start. Asking for a parameter that is not an
 *     axis is an error, as in Optuna. A value must belong to the parameter's
 *     distribution (numbers for int/float, one of the choices for categorical).
 *   - no axes (lazy, define-by-run): each parameter the FIRST trial (number 0)
 *     asks for becomes an axis holding every point of its distribution (every
 *     int on the step grid, every float grid point, every choice; at most
 *     1,000,000 points). A continuous float range is an error ("needs explicit
 *     values"). The axes are frozen once trial 0 has finished; a parameter
 *     first asked for after that is an error.
 *
 * Order and exhaustion: each trial takes the next slot q = 0, 1, 2, ... at
 * trial_begin, so no two trials (RUNNING or not) share a point. Explicit grids
 * map q to a point through a seeded bijection of [0, N) (a Feistel network
 * with cycle walking: a uniform-looking shuffle in O(1) memory). Lazy grids
 * map q to mixed-radix digits over the axes in first-seen order, each axis
 * through its own seeded shuffle (the product size is unknown while trial 0
 * runs). When all N slots are taken, trial_begin fails with HPO_EDONE ("the
 * grid of N points is used up"); a lazy-grid trial that began before the
 * axes were frozen and whose slot turned out >= N gets HPO_EDONE at its next
 * suggest. FAIL/PRUNED trials keep their point (Optuna counts them visited).
 *
 * Cost: trial_begin O(1) amortised, sample O(axes). */
#ifndef HPO_SAMPLER_GRID_H
#define HPO_SAMPLER_GRID_H

#include "sampler.h"

extern const hpo_sampler_ops hpo_sampler_grid;

/* Create a grid sampler state with explicit axes (copied). n_axes == 0 means
 * the lazy grid. Errors (HPO_EINVAL): an axis without values, a repeated axis
 * name, a repeated value on an axis, more than 2^40 points. */
hpo_status hpo_grid_create_impl(const hpo_grid_axis *axes, size_t n_axes, void **state);

/* Number of points, 0 while a lazy grid is not frozen. */
uint64_t   hpo_grid_size_impl(const void *state);

#endif
