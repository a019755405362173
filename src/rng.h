/*
 * rng: keyed, reproducible random streams.
 *
 * Every random number biofilter draws comes from a stream keyed by the
 * things that identify its use (seed, level, stage, chain, step, purpose,
 * ...), never from a shared generator, so results do not depend on thread
 * count, shard count or the order in which work is done. A key is folded
 * with splitmix64; the stream itself is xoshiro256** seeded from the key.
 */
#ifndef BF_RNG_H
#define BF_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Fold one more word into a key: rng_key(rng_key(seed, a), b) ... */
uint64_t rng_key(uint64_t key, uint64_t word);

/* Fold a byte string (e.g. a record id as packed MessagePack) into a key. */
uint64_t rng_key_bytes(uint64_t key, const void *bytes, size_t n);

void rng_init(struct rng *r, uint64_t key);
uint64_t rng_next(struct rng *r);

/* Uniform on the open interval (0, 1), 53 random bits. */
double rng_uniform(struct rng *r);

/* Standard normal by Box-Muller (one draw per call; no hidden cache, so a
 * stream's values depend only on how many draws were made). */
double rng_normal(struct rng *r);

/* Gamma(shape, 1) for shape >= 1 (Marsaglia & Tsang 2000: a squeeze
 * over a transformed normal, about 1.05 normals per draw). */
double rng_gamma(struct rng *r, double shape);

/* An index drawn from the distribution p[0..n-1] (summing to about 1) by
 * inversion; never an index of probability 0. */
int rng_categorical(struct rng *r, const double *p, int n);
#endif
