/*
 * clock — the only way the engine reads or changes the local clock.
 *
 * A driver table (CLK_Driver) plugs in the real system clock (clock_sys.c),
 * a read-only view of it that never adjusts anything (monitor-only mode), or
 * the simulator's virtual clock (tests/sim). Sign conventions: an offset is
 * "how far the clock is AHEAD of true time" only where stated; the
 * correction calls below take the amount to ADD to the clock (positive
 * moves the clock forward). Frequencies are in ppm, positive makes the
 * clock run faster.
 */
#ifndef CNTPD_CLOCK_H
#define CNTPD_CLOCK_H

#include <time.h>

typedef struct {
    const char *name;
    /* Precision in s when known in advance (simulated clocks); 0 means
       measure it by reading the clock. */
    double precision;
    /* Current time of the clock being disciplined (UTC, Unix epoch). */
    void (*read)(struct timespec *now);
    /* Non-zero when the driver can change the clock. */
    int can_adjust;
    /* Set the frequency correction (ppm, already clamped by the caller);
       returns 0 or -1. */
    int (*set_frequency)(double ppm);
    /* Frequency correction in effect (ppm). */
    double (*get_frequency)(void);
    /* Add `offset` s gradually (kernel single-shot slew, 500 ppm); 0 or -1. */
    int (*slew)(double offset);
    /* Add `offset` s at once; 0 or -1. */
    int (*step)(double offset);
    /* Tell the kernel whether the clock is synchronised, the pending leap
       (0 none, 1 insert, 2 delete at the end of the UTC day) and error
       estimates in s; 0 or -1. */
    int (*set_status)(int synchronised, int leap, double est_error, double max_error);
} CLK_Driver;

/* Install the driver (before anything reads time) and measure precision. */
void CLK_Init(const CLK_Driver *driver);
void CLK_Fini(void);

const CLK_Driver *CLK_GetDriver(void);

void CLK_ReadTime(struct timespec *now);
int CLK_CanAdjust(void);
int CLK_SetFrequency(double ppm);
double CLK_GetFrequency(void);
int CLK_Slew(double offset);
int CLK_Step(double offset);
int CLK_SetStatus(int synchronised, int leap, double est_error, double max_error);

/* Precision of the clock measured at CLK_Init: the smallest observed
   difference between consecutive reads, in s, and as log2 for the wire. */
double CLK_GetPrecision(void);
int CLK_GetPrecisionLog2(void);

/* Callbacks run after a step so stored timestamps can be corrected:
   `offset` is what was added to the clock (s). */
typedef void (*CLK_StepHandler)(double offset, void *arg);
void CLK_AddStepHandler(CLK_StepHandler handler, void *arg);
void CLK_RemoveStepHandler(CLK_StepHandler handler, void *arg);

/* Someone else set the clock (a hypervisor's time sync, an administrator's
   date -s): drivers call CLK_NotifyExternalStep when they notice; cntpd's
   own steps are not reported. The handler re-measures at once. */
typedef void (*CLK_ExternalStepHandler)(void *arg);
void CLK_SetExternalStepHandler(CLK_ExternalStepHandler handler, void *arg);
void CLK_NotifyExternalStep(void);

/* clock_sys.c: the real clock, and its read-only variant. */
extern const CLK_Driver CLK_SystemDriver;
extern const CLK_Driver CLK_ReadOnlyDriver;

/* Whether this process may change the system clock (CAP_SYS_TIME in the
   effective set). */
int CLK_SysHaveCapability(void);

/* Watch CLOCK_REALTIME for being set by anyone (timerfd with
   TFD_TIMER_CANCEL_ON_SET) and report it through CLK_NotifyExternalStep;
   needs the scheduler. 0, or -1 when the kernel cannot (logged). */
int CLK_SysWatchSteps(void);
void CLK_SysUnwatchSteps(void);

#endif
