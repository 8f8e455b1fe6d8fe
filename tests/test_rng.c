/* test_rng.c - the generators: numpy-compatible MT19937 against a permutation
 * numpy printed (../shared/data/heart.split42.txt, copied to tests/data/),
 * and the exactness of hpo_rng_below. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "rng.h"

Test(rng, mt19937_reference_output)
{
    /* Matsumoto & Nishimura's reference: init_genrand(5489), first output. */
    hpo_mt19937 m;
    hpo_mt_seed(&m, 5489);
    cr_assert_eq(hpo_mt_u32(&m), 3499211612u);
}

Test(rng, numpy_permutation_918_seed_42)
{
    FILE *f = fopen(HPO_TEST_DATA "/heart.split42.txt", "r");
    cr_assert_not_null(f, "missing %s", HPO_TEST_DATA "/heart.split42.txt");
    char line[256];
    cr_assert_not_null(fgets(line, sizeof line, f));     /* comment line */
    size_t want[918], n = 0;
    while (n < 918 && fgets(line, sizeof line, f)) want[n++] = (size_t)strtoul(line, NULL, 10);
    fclose(f);
    cr_assert_eq(n, 918);
    hpo_mt19937 m;
    hpo_mt_seed(&m, 42);
    size_t got[918];
    hpo_mt_permutation(&m, got, 918);
    for (size_t i = 0; i < 918; i++) cr_assert_eq(got[i], want[i], "index %zu: %zu != %zu", i, got[i], want[i]);
}

Test(rng, below_is_exact_and_unbiased)
{
    hpo_rng r;
    hpo_rng_seed(&r, 99);
    int c[3] = {0};
    for (int i = 0; i < 30000; i++) {
        uint64_t v = hpo_rng_below(&r, 2);
        cr_assert(v <= 2);
        c[v]++;
    }
    for (int k = 0; k < 3; k++) cr_assert(c[k] > 9600 && c[k] < 10400, "%d: %d", k, c[k]);
    cr_assert_eq(hpo_rng_below(&r, 0), 0);
    (void)hpo_rng_below(&r, UINT64_MAX);
}

Test(rng, same_seed_same_stream)
{
    hpo_rng a, b;
    hpo_rng_seed(&a, 123);
    hpo_rng_seed(&b, 123);
    for (int i = 0; i < 100; i++) cr_assert_eq(hpo_rng_u64(&a), hpo_rng_u64(&b));
    hpo_rng_seed(&b, 124);
    cr_assert_neq(hpo_rng_u64(&a), hpo_rng_u64(&b));
    for (int i = 0; i < 1000; i++) {
        double u = hpo_rng_uniform(&a);
        cr_assert(u >= 0 && u < 1);
    }
}
