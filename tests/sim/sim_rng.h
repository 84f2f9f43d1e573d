/*
 * sim_rng — the simulator's own seeded random numbers (xoshiro256**).
 *
 * Every random process of the model (each link direction, the clock's
 * wander, the VM bumps) draws from its own stream, derived from the run's
 * seed and a fixed stream number, so changing one part of a scenario (say
 * -x) does not reshuffle the others: the same seed gives the same bumps and
 * the same network delays. The engine's own random() is seeded separately.
 */
#ifndef CNTPD_SIM_RNG_H
#define CNTPD_SIM_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} SIM_Rng;

/* Stream `stream` of run seed `seed`. */
void SIM_RngInit(SIM_Rng *r, uint64_t seed, uint64_t stream);

uint64_t SIM_RngNext(SIM_Rng *r);

/* Uniform in [0, 1). */
double SIM_RngUniform(SIM_Rng *r);

/* Exponential with the given mean (0 gives 0). */
double SIM_RngExp(SIM_Rng *r, double mean);

/* Standard normal (Box-Muller, one value per call). */
double SIM_RngNormal(SIM_Rng *r);

#endif
