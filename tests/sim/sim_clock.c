/* sim_clock — see sim_clock.h. */
#include "sim_clock.h"

#include "sched.h"

#include <math.h>
#include <string.h>

#include "sim_rng.h"
#include "sim_sched.h"

#define SIM_RNG_STREAM_WANDER 1

typedef struct {
    SIMC_Params p;
    double t;             /* elapsed s the state below refers to */
    double phase;         /* s, local - true at t */
    double wander_ppm;    /* current random-walk frequency, ppm */
    double next_wander;   /* elapsed s of the next random-walk step */
    double correction;    /* ppm, set by the engine (quantised) */
    double slew_left;     /* s still to add by the single-shot slew */
    SIM_Rng rng;
    SIMC_Stats stats;
    void (*step_hook)(double offset, double elapsed);
    /* UTC and the kernel's leap-second state (see sim_clock.h). */
    int64_t epoch, leap_at;
    double leap_rel;      /* leap_at - epoch (s): continuous reading of the leap */
    int sta_ins;          /* STA_INS as last set */
    SIMC_LeapState kstate;
    double next_leap;     /* TIME_INS: the local reading (s since the epoch) of
                             the midnight the second is inserted at */
    int local_leaps;      /* seconds the kernel inserted */
} ClockState;

static ClockState c;

void SIMC_Init(const SIMC_Params *params)
{
    memset(&c, 0, sizeof c);
    c.p = *params;
    c.phase = params->phase;
    c.next_wander = SIMC_WANDER_STEP;
    SIM_RngInit(&c.rng, params->seed, SIM_RNG_STREAM_WANDER);
    c.epoch = params->epoch ? params->epoch : SIMC_EPOCH;
    c.leap_at = params->leap_at;
    c.leap_rel = c.leap_at ? (double)(c.leap_at - c.epoch) : 0.0;
    c.kstate = SIMC_TIME_OK;
    c.stats.leap_elapsed = -1.0;
    c.stats.arm_first = c.stats.arm_last = -1.0;
}

/* The local clock's reading now, s since the epoch (what read() shows). */
static double reading(void)
{
    return c.t + c.phase - c.local_leaps;
}

/* The kernel reached its midnight in TIME_INS with STA_INS set: 23:59:59
   repeats (Linux: xtime_sec += -1, TIME_OOP, then TIME_WAIT). */
static void insert_leap(void)
{
    c.local_leaps++;
    c.kstate = SIMC_TIME_WAIT;
    if (c.stats.leaps_inserted++ == 0) {
        c.stats.leap_elapsed = c.t;
        c.stats.leap_phase = c.phase;
    }
    /* clock_was_set_delayed(): cancel-on-set timerfds fire. */
    SIMC_AnnounceSet();
}

/* Bring the state from c.t to `to`: piecewise linear between random-walk
   steps, the end of a slew and a leap second the kernel inserts. */
static void advance(double to)
{
    while (c.t < to) {
        double end = fmin(to, c.next_wander);
        double dt = end - c.t;
        double rate = (c.p.freq_error + c.wander_ppm + c.correction) * 1e-6;
        int leap_here = 0;

        if (c.kstate == SIMC_TIME_INS && c.sta_ins && reading() < c.next_leap) {
            /* When does the local clock reach its midnight on this piece?
               (A step past it skips the boundary, as in the kernel.) */
            double slope = rate + (c.slew_left != 0.0 ? copysign(SIMC_SLEW_RATE, c.slew_left)
                                                      : 0.0);
            double cross = c.t + (c.next_leap - reading()) / (1.0 + slope);
            if (cross <= end) {
                end = fmax(cross, c.t);
                dt = end - c.t;
                leap_here = 1;
            }
        }
        if (c.slew_left != 0.0) {
            double need = fabs(c.slew_left) / SIMC_SLEW_RATE;
            if (need <= dt) {
                /* The slew finishes inside this segment: split there (a
                   leap later in it is planned again at the new slope). */
                c.phase += rate * need + c.slew_left;
                c.slew_left = 0.0;
                c.t = fmin(c.t + need, end);
                if (leap_here && c.t >= end)
                    insert_leap();
                continue;
            }
            double done = copysign(SIMC_SLEW_RATE * dt, c.slew_left);
            c.phase += done;
            c.slew_left -= done;
        }
        c.phase += rate * dt;
        c.t = end;
        if (end == c.next_wander) {
            c.wander_ppm += c.p.wander * sqrt(SIMC_WANDER_STEP) * SIM_RngNormal(&c.rng);
            c.next_wander += SIMC_WANDER_STEP;
        }
        if (leap_here)
            insert_leap();
    }
}

static void now_state(void)
{
    advance(SIMS_Elapsed());
}

double SIMC_TrueOffset(void)
{
    now_state();
    /* Leap seconds the local clock owes: due by its own continuous
       reading, less those inserted (0 unless it missed one or inserted a
       wrong one). 1 ns of slack: the kernel's crossing is computed to
       ~1e-11 s and must not show as a 1 s error at that instant. */
    int owed = (c.leap_at && c.t + c.phase >= c.leap_rel - 1e-9) - c.local_leaps;
    return owed ? c.phase + owed : c.phase;
}

int64_t SIMC_Epoch(void)
{
    return c.epoch;
}

int64_t SIMC_UtcOf(double whole)
{
    int64_t sec = c.epoch + (int64_t)whole;

    return c.leap_at && sec >= c.leap_at ? sec - 1 : sec;
}

SIMC_LeapState SIMC_GetLeapState(void)
{
    now_state();
    return c.kstate;
}

double SIMC_ResidualFrequency(void)
{
    now_state();
    return c.p.freq_error + c.wander_ppm + c.correction;
}

double SIMC_PendingSlew(void)
{
    now_state();
    return c.slew_left;
}

void SIMC_Inject(double offset)
{
    now_state();
    c.phase += offset;
    c.stats.injected++;
}

const SIMC_Stats *SIMC_GetStats(void)
{
    return &c.stats;
}

void SIMC_SetStepHook(void (*hook)(double offset, double elapsed))
{
    c.step_hook = hook;
}

static void sim_read(struct timespec *ts)
{
    now_state();
    /* elapsed + phase stays below ~1e5 s, where a double resolves ~1e-11 s;
       the epoch is added as an integer so no precision is lost. */
    double local = reading();
    double whole = floor(local);
    long long nsec = llround((local - whole) * 1e9);
    long long sec = c.epoch + (long long)whole;

    if (nsec >= 1000000000LL) {
        nsec -= 1000000000LL;
        sec++;
    }
    ts->tv_sec = (time_t)sec;
    ts->tv_nsec = (long)nsec;
}

static int sim_set_frequency(double ppm)
{
    now_state();
    /* The kernel clamps to +-500 ppm and keeps 2^-16 ppm units. */
    ppm = fmax(-SIMC_MAX_FREQ, fmin(SIMC_MAX_FREQ, ppm));
    c.correction = llround(ppm * 65536.0) / 65536.0;
    c.stats.freq_sets++;
    return 0;
}

static double sim_get_frequency(void)
{
    return c.correction;
}

static int sim_slew(double offset)
{
    now_state();
    /* ADJ_OFFSET_SINGLESHOT takes microseconds and replaces what is left. */
    c.slew_left = llround(offset * 1e6) * 1e-6;
    c.stats.slews++;
    return 0;
}

static void announce(void *arg)
{
    (void)arg;
    CLK_NotifyExternalStep();
}

void SIMC_AnnounceSet(void)
{
    /* As the kernel does for a timerfd with TFD_TIMER_CANCEL_ON_SET: the
       watcher learns of it from its event loop, after the fact. */
    SCH_AddTimer(0.0, announce, NULL);
}

static int sim_step(double offset)
{
    now_state();
    c.phase += llround(offset * 1e9) * 1e-9;
    c.stats.steps++;
    c.stats.stepped += fabs(offset);
    if (c.step_hook)
        c.step_hook(offset, SIMS_Elapsed());
    /* Our own steps are announced too, like any clock set. */
    SIMC_AnnounceSet();
    return 0;
}

static int sim_set_status(int synchronised, int leap, double est_error, double max_error)
{
    now_state();
    double local = reading();
    if (leap != 0) {
        if (c.stats.arm_calls++ == 0) {
            c.stats.arm_first = c.t;
            c.stats.arm_first_local = local;
        }
        c.stats.arm_last = c.t;
        c.stats.arm_last_local = local;
    }
    /* STA_INS (clock_sys.c: leap 1 sets it, anything else clears it), and
       what second_overflow makes of it. */
    c.sta_ins = leap == 1;
    if (c.sta_ins && c.kstate == SIMC_TIME_OK) {
        /* TIME_INS from the next second boundary, for the end of the UTC
           day that boundary belongs to. */
        int64_t boundary = c.epoch + (int64_t)floor(local) + 1;
        int64_t midnight = boundary - boundary % 86400 + 86400;
        c.kstate = SIMC_TIME_INS;
        c.next_leap = (double)(midnight - c.epoch);
    } else if (!c.sta_ins && c.kstate != SIMC_TIME_OK) {
        c.kstate = SIMC_TIME_OK;   /* cancelled (TIME_INS) or done (TIME_WAIT) */
    }
    c.stats.status_sets++;
    c.stats.synchronised = synchronised;
    c.stats.leap = leap;
    c.stats.est_error = est_error;
    c.stats.max_error = max_error;
    return 0;
}

const CLK_Driver SIMC_Driver = {
    .name = "simulated",
    .precision = SIMC_PRECISION,
    .read = sim_read,
    .can_adjust = 1,
    .set_frequency = sim_set_frequency,
    .get_frequency = sim_get_frequency,
    .slew = sim_slew,
    .step = sim_step,
    .set_status = sim_set_status,
};
