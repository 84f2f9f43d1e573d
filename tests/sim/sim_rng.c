/* sim_rng — see sim_rng.h. */
#include "sim_rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void SIM_RngInit(SIM_Rng *r, uint64_t seed, uint64_t stream)
{
    /* Mix seed and stream through splitmix64 so neighbouring seeds and
       streams give unrelated states (and the state is never all zero). */
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL ^ (stream + 1) * 0xd1342543de82ef95ULL;

    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t SIM_RngNext(SIM_Rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double SIM_RngUniform(SIM_Rng *r)
{
    /* 53 random bits: every double in [0, 1) on a 2^-53 grid. */
    return (SIM_RngNext(r) >> 11) * 0x1.0p-53;
}

double SIM_RngExp(SIM_Rng *r, double mean)
{
    if (mean <= 0.0)
        return 0.0;
    /* 1 - u is in (0, 1], so the log is finite. */
    return -mean * log(1.0 - SIM_RngUniform(r));
}

double SIM_RngNormal(SIM_Rng *r)
{
    double u1 = 1.0 - SIM_RngUniform(r);   /* (0, 1] */
    double u2 = SIM_RngUniform(r);

    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
