/*
 * sim_clock — the simulated local clock, as a CLK_Driver (src/clock.h).
 *
 * Model (all in true seconds since the start of the run, "elapsed"):
 *
 *   phase(t)  = local - true, s (positive: the local clock is ahead)
 *   d phase/dt = (freq_error + wander(t) + correction) * 1e-6 + slew rate
 *
 * freq_error is the oscillator's intrinsic error in ppm (positive runs
 * fast); wander is a random walk in ppm, a normal step of
 * wander * sqrt(SIMC_WANDER_STEP) every SIMC_WANDER_STEP s from its own
 * stream; correction is what the engine set with set_frequency (ppm,
 * positive makes the clock run faster, clamped to +-500 and quantised to
 * 2^-16 ppm like the kernel's ADJ_FREQUENCY). slew(x) is Linux's
 * ADJ_OFFSET_SINGLESHOT: x rounded to 1 us replaces any pending amount and
 * is added at 500 us/s until done. step(x) adds x (rounded to 1 ns, like
 * ADJ_SETOFFSET|ADJ_NANO) at once. The state is advanced analytically
 * (piecewise linear) whenever time has moved, so readings are exact up to
 * double rounding, and reads are rounded to the nanosecond as the kernel's.
 *
 * Injected steps (VM bumps) change the phase without the engine being
 * told, as a hypervisor does; they are not counted as driver steps.
 */
#ifndef CNTPD_SIM_CLOCK_H
#define CNTPD_SIM_CLOCK_H

#include <stdint.h>
#include <time.h>

#include "clock.h"

#define SIMC_WANDER_STEP 16.0     /* s between random-walk frequency steps */
#define SIMC_MAX_FREQ 500.0       /* ppm, kernel limit on the correction */
#define SIMC_SLEW_RATE 500e-6     /* s/s, kernel single-shot slew rate */
#define SIMC_PRECISION 1e-7       /* s, what the driver announces */
/* Unix time at elapsed 0: 2025-01-01T00:00:00Z, far from any leap second
   and from the 2036 era change. */
#define SIMC_EPOCH 1735689600LL

typedef struct {
    double phase;        /* s, local - true at elapsed 0 */
    double freq_error;   /* ppm, intrinsic, positive runs fast */
    double wander;       /* ppm per sqrt(s), random-walk intensity */
    uint64_t seed;       /* for the wander stream */
} SIMC_Params;

/* What the driver was asked to do, for the metrics. */
typedef struct {
    unsigned steps;            /* step() calls */
    double stepped;            /* s, sum of |step| */
    unsigned slews;            /* slew() calls */
    unsigned freq_sets;        /* set_frequency() calls */
    unsigned status_sets;      /* set_status() calls */
    int synchronised, leap;    /* from the last set_status */
    double est_error, max_error;
    unsigned injected;         /* SIMC_Inject calls (VM bumps) */
} SIMC_Stats;

extern const CLK_Driver SIMC_Driver;

void SIMC_Init(const SIMC_Params *params);

/* local - true (s) now; positive: the local clock is ahead. */
double SIMC_TrueOffset(void);

/* Frequency error left over now (ppm): intrinsic + wander + correction. */
double SIMC_ResidualFrequency(void);

/* Single-shot slew still to be applied (s). */
double SIMC_PendingSlew(void);

/* Change the phase by `offset` s now without the engine knowing. */
void SIMC_Inject(double offset);

const SIMC_Stats *SIMC_GetStats(void);

/* Report a clock set to the engine the way the kernel's cancel-on-set
   timerfd does (from the loop, after the fact). */
void SIMC_AnnounceSet(void);

/* Called on every driver step with the amount (s) and elapsed time, so the
   metrics can attribute steps to bumps; NULL to remove. */
void SIMC_SetStepHook(void (*hook)(double offset, double elapsed));

#endif
