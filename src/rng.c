/* rng.c - xoshiro256** and numpy-compatible MT19937 (see rng.h). */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void hpo_rng_seed(hpo_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t hpo_rng_u64(hpo_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double hpo_rng_uniform(hpo_rng *r) { return (double)(hpo_rng_u64(r) >> 11) * 0x1.0p-53; }

double hpo_rng_uniform_range(hpo_rng *r, double lo, double hi)
{
    double v = lo + (hi - lo) * hpo_rng_uniform(r);
    return v < hi ? v : lo;   /* rounding may reach hi; keep the interval half-open */
}

uint64_t hpo_rng_below(hpo_rng *r, uint64_t n)
{
    if (n == UINT64_MAX) return hpo_rng_u64(r);
    uint64_t range = n + 1;
    /* Rejection: values in [0, lim), lim a multiple of range, map without bias. */
    uint64_t lim = (UINT64_MAX / range) * range;
    for (;;) {
        uint64_t v = hpo_rng_u64(r);
        if (v < lim) return v % range;
    }
}

double hpo_rng_normal(hpo_rng *r)
{
    /* Box-Muller; one value per call keeps the stream position simple to reason about. */
    double u1 = hpo_rng_uniform(r), u2 = hpo_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

uint64_t hpo_seed_mix(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t x = seed ^ 0x6a09e667f3bcc909ULL;
    uint64_t h = splitmix64(&x);
    x = h ^ a; h = splitmix64(&x);
    x = h ^ b; return splitmix64(&x);
}

void hpo_rng_shuffle(hpo_rng *r, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)hpo_rng_below(r, i - 1);
        size_t t = idx[i - 1]; idx[i - 1] = idx[j]; idx[j] = t;
    }
}

/* ---- MT19937, as in numpy's randomkit (init_genrand and genrand_int32) ---- */

void hpo_mt_seed(hpo_mt19937 *m, uint32_t seed)
{
    m->mt[0] = seed;
    for (int i = 1; i < 624; i++)
        m->mt[i] = 1812433253U * (m->mt[i - 1] ^ (m->mt[i - 1] >> 30)) + (uint32_t)i;
    m->mti = 624;
}

uint32_t hpo_mt_u32(hpo_mt19937 *m)
{
    static const uint32_t mag01[2] = {0x0U, 0x9908b0dfU};
    uint32_t y;
    if (m->mti >= 624) {
        int k;
        for (k = 0; k < 624 - 397; k++) {
            y = (m->mt[k] & 0x80000000U) | (m->mt[k + 1] & 0x7fffffffU);
            m->mt[k] = m->mt[k + 397] ^ (y >> 1) ^ mag01[y & 1U];
        }
        for (; k < 623; k++) {
            y = (m->mt[k] & 0x80000000U) | (m->mt[k + 1] & 0x7fffffffU);
            m->mt[k] = m->mt[k + (397 - 624)] ^ (y >> 1) ^ mag01[y & 1U];
        }
        y = (m->mt[623] & 0x80000000U) | (m->mt[0] & 0x7fffffffU);
        m->mt[623] = m->mt[396] ^ (y >> 1) ^ mag01[y & 1U];
        m->mti = 0;
    }
    y = m->mt[m->mti++];
    y ^= (y >> 11);
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= (y >> 18);
    return y;
}

/* numpy legacy random_interval(max): mask rejection on 32-bit draws. */
static uint64_t mt_interval(hpo_mt19937 *m, uint64_t max)
{
    if (max == 0) return 0;
    uint64_t mask = max;
    mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4;
    mask |= mask >> 8; mask |= mask >> 16; mask |= mask >> 32;
    uint64_t v;
    if (max <= 0xffffffffULL) {
        while ((v = (hpo_mt_u32(m) & mask)) > max) {}
    } else {
        do {
            uint64_t hi = hpo_mt_u32(m), lo = hpo_mt_u32(m);
            v = ((hi << 32) | lo) & mask;
        } while (v > max);
    }
    return v;
}

void hpo_mt_permutation(hpo_mt19937 *m, size_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++) idx[i] = i;
    for (size_t i = n; i > 1; i--) {      /* numpy: for i in reversed(range(1, n)) */
        size_t j = (size_t)mt_interval(m, i - 1);
        size_t t = idx[i - 1]; idx[i - 1] = idx[j]; idx[j] = t;
    }
}
