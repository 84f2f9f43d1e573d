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
 *
 * UTC and leap seconds. True UTC at elapsed t is epoch + t, except that
 * with a leap second (`leap_at`: the 00:00:00 UTC after an inserted
 * second) UTC repeats the second before leap_at: from elapsed
 * leap_at - epoch on it reads one second less. A clock that reads x s of
 * continuous time since elapsed 0 (a server: t + its offset) shows UTC
 * SIMC_UtcOf(x). The local clock reads epoch + t + phase - the leap
 * seconds its kernel inserted. The kernel follows Linux (kernel/time/ntp.c
 * second_overflow): set_status(leap = 1) sets STA_INS; at the next second
 * boundary TIME_OK becomes TIME_INS with the leap at the end of that UTC
 * day (of the local clock); when the local clock reaches that midnight
 * with STA_INS still set, it steps back 1 s (23:59:59 repeats) and goes to
 * TIME_OOP, then TIME_WAIT, where it stays, inserting nothing more, until
 * STA_INS is cleared. Clearing STA_INS before the midnight cancels the
 * leap. The insertion sets the clock, so cancel-on-set timerfds fire
 * (clock_was_set_delayed): the engine is told as of SIMC_AnnounceSet.
 * Deletion (leap = 2, STA_DEL) is recorded but not applied.
 *
 * "phase" (SIMC_TrueOffset) is local - true in UTC terms: the continuous
 * phase plus the leap seconds the local clock owes (those due by its own
 * reading, as a perfect kernel would have inserted them at its own
 * midnight, less those it inserted). It is the continuous phase unless
 * the local clock missed a leap or inserted one it should not have.
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
/* Unix time at elapsed 0 by default: 2025-01-01T00:00:00Z, far from any
   leap second and from the 2036 era change (a scenario may choose its
   own, SIMC_Params.epoch). */
#define SIMC_EPOCH 1735689600LL

typedef struct {
    double phase;        /* s, local - true at elapsed 0 */
    double freq_error;   /* ppm, intrinsic, positive runs fast */
    double wander;       /* ppm per sqrt(s), random-walk intensity */
    uint64_t seed;       /* for the wander stream */
    int64_t epoch;       /* Unix time at elapsed 0; 0: SIMC_EPOCH */
    int64_t leap_at;     /* Unix time of the 00:00:00 UTC after an inserted
                            leap second; 0: no leap second in true UTC */
} SIMC_Params;

/* The kernel's leap-second state (Linux time_state). */
typedef enum { SIMC_TIME_OK, SIMC_TIME_INS, SIMC_TIME_WAIT } SIMC_LeapState;

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
    /* Leap seconds. */
    unsigned arm_calls;        /* set_status calls with leap != 0 */
    double arm_first, arm_last;         /* elapsed s of the first and last such call */
    double arm_first_local, arm_last_local;   /* local clock then, s since the epoch */
    unsigned leaps_inserted;   /* by the kernel */
    double leap_elapsed;       /* elapsed s of the first insertion (-1: none) */
    double leap_phase;         /* phase (local - true, s) then */
} SIMC_Stats;

extern const CLK_Driver SIMC_Driver;

void SIMC_Init(const SIMC_Params *params);

/* local - true (s) now, in UTC terms (see above); positive: the local
   clock is ahead. */
double SIMC_TrueOffset(void);

/* Unix time at elapsed 0. */
int64_t SIMC_Epoch(void);

/* UTC Unix seconds shown by a clock that follows UTC (and its leap
   second) perfectly and reads `whole` s of continuous time since elapsed
   0 (an integer: split the fraction off first). */
int64_t SIMC_UtcOf(double whole);

/* The kernel's leap state now. */
SIMC_LeapState SIMC_GetLeapState(void);

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
