/* rng.h - the project's random number generators, always passed explicitly.
 *
 * hpo_rng: xoshiro256** (Blackman & Vigna), seeded through splitmix64. Its whole
 * state is four words, so a checkpoint can store it and a resumed study
 * continues the same stream. Nothing in mpihpo calls rand().
 *
 * hpo_mt19937: the Mersenne Twister exactly as numpy's legacy RandomState uses
 * it, so that a data split equals scikit-learn's train_test_split(random_state=s)
 * (numpy.random.RandomState(s).permutation(n)); tests/test_rng.c pins it against
 * ../shared/data/heart.split42.txt. */
#ifndef HPO_RNG_H
#define HPO_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct hpo_rng { uint64_t s[4]; } hpo_rng;

void     hpo_rng_seed(hpo_rng *r, uint64_t seed);
uint64_t hpo_rng_u64(hpo_rng *r);
double   hpo_rng_uniform(hpo_rng *r);                 /* [0, 1), 53 bits */
double   hpo_rng_uniform_range(hpo_rng *r, double lo, double hi); /* [lo, hi) */
uint64_t hpo_rng_below(hpo_rng *r, uint64_t n);       /* uniform in [0, n], exact, no bias */
double   hpo_rng_normal(hpo_rng *r);                  /* standard normal */
/* Derive an independent seed from (seed, a, b), e.g. a trial's seed from the
 * study seed and the trial number. */
uint64_t hpo_seed_mix(uint64_t seed, uint64_t a, uint64_t b);
/* Fisher-Yates shuffle of idx[0..n) with r. */
void     hpo_rng_shuffle(hpo_rng *r, size_t *idx, size_t n);

typedef struct hpo_mt19937 { uint32_t mt[624]; int mti; } hpo_mt19937;

void     hpo_mt_seed(hpo_mt19937 *m, uint32_t seed);  /* numpy RandomState(seed) */
uint32_t hpo_mt_u32(hpo_mt19937 *m);
/* numpy RandomState(seed).permutation(n): idx[i] for i < n. */
void     hpo_mt_permutation(hpo_mt19937 *m, size_t *idx, size_t n);

#endif
