/* refclock — see refclock.h. The per-poll median filter follows ntpd's
   refclock_sample (sort, trim the samples farthest from the median down to
   60 %, average the rest; their spread is the dispersion). */
#include "refclock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "ntp_time.h"
#include "sched.h"

/* A PPS edge is numbered by the lock's offset only if the lock had a
   sample this recently (s): the offset must be good to well under 0.4 s,
   which even a free-running clock keeps for minutes. */
#define LOCK_MAX_AGE 60.0
/* An edge farther than this from every second (s) is not a second's edge
   by the lock's reckoning (a lock off by half a second, a spurious
   pulse). */
#define PULSE_MAX_ERROR 0.4
/* Room for a driver's start failure reason: a path (RCL_PATH_LEN) and
   what went wrong with it. */
#define REASON_LEN (RCL_PATH_LEN + 256)

extern const RCL_Driver RCL_LocalDriver;
extern const RCL_Driver RCL_PpsDriver;
extern const RCL_Driver RCL_NmeaDriver;
extern const RCL_Driver RCL_ShmDriver;

/* The drivers cntpd has, by type. */
static const RCL_Driver *const drivers[] = {
    &RCL_LocalDriver,
    &RCL_PpsDriver,
    &RCL_NmeaDriver,
    &RCL_ShmDriver,
};

typedef struct {
    double offset;           /* s, ref - local + time1 when taken */
    double epoch;            /* scheduler s the local clock was read */
    double phase;            /* s, phase corrections by then (see RCL_SetPhaseSource) */
    int leap;
    struct timespec ref;
} Sample;

struct RCL_Instance_Record {
    RCL_Config cfg;
    const RCL_Driver *driver;
    char name[24];
    void *driver_data;
    int running;             /* driver started */
    int precision;           /* log2 s, from the device (RCL_SetPrecision) */
    int have_precision;      /* 0: the driver's default (0 is a precision) */
    /* Why the device is not open, as last logged (a start failure or
       RCL_DeviceLost's `why`); "" while running or before the first
       start. A retry failing for the same reason is not logged again. */
    char last_reason[REASON_LEN];
    SCH_Timer tick_timer, retry_timer;

    Sample ring[RCL_MAX_SAMPLES];
    int n, next;             /* samples held, where the next one goes */
    Sample last;             /* the newest sample ever (for a PPS lock) */
    int have_last;

    uint64_t samples, polls_with_data, pulses, pulses_dropped, restarts;
    struct RCL_Instance_Record *next_instance;
};

static RCL_Instance instances;

static double no_phase(double t)
{
    (void)t;
    return 0.0;
}

static double (*phase_at)(double t) = no_phase;

static int never_synchronised(void)
{
    return 0;
}

static int (*system_synchronised)(void) = never_synchronised;

void RCL_SetPhaseSource(double (*fn)(double t))
{
    phase_at = fn ? fn : no_phase;
}

void RCL_SetSystemSyncCheck(int (*synchronised)(void))
{
    system_synchronised = synchronised ? synchronised : never_synchronised;
}

const RCL_Driver *RCL_FindDriver(int type)
{
    for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
        if (drivers[i]->type == type)
            return drivers[i];
    return NULL;
}

const RCL_Driver *RCL_FindDriverByName(const char *name)
{
    for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
        if (strcasecmp(drivers[i]->name, name) == 0)
            return drivers[i];
    return NULL;
}

const RCL_Config *RCL_GetConfig(RCL_Instance rc)
{
    return &rc->cfg;
}

void RCL_SetDriverData(RCL_Instance rc, void *data)
{
    rc->driver_data = data;
}

void *RCL_GetDriverData(RCL_Instance rc)
{
    return rc->driver_data;
}

const char *RCL_GetName(RCL_Instance rc)
{
    return rc->name;
}

void RCL_SetPrecision(RCL_Instance rc, int log2)
{
    rc->precision = log2;
    rc->have_precision = 1;
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
    return (double)(a->tv_sec - b->tv_sec) + (a->tv_nsec - b->tv_nsec) * 1e-9;
}

void RCL_AddSample(RCL_Instance rc, const struct timespec *ref, const struct timespec *local,
                   int leap)
{
    struct timespec wall;
    double now = SCH_Monotonic();

    /* The scheduler time at which the local clock read `local`: the
       driver may hand the sample over later than it was taken (a shared
       memory segment read once a second). */
    CLK_ReadTime(&wall);
    double age = ts_diff(&wall, local);
    if (age < 0.0)
        age = 0.0;

    Sample *s = &rc->ring[rc->next];
    s->offset = ts_diff(ref, local) + rc->cfg.time1;
    s->epoch = now - age;
    s->phase = phase_at(s->epoch);
    s->leap = leap;
    s->ref = *ref;
    rc->next = (rc->next + 1) % RCL_MAX_SAMPLES;
    if (rc->n < RCL_MAX_SAMPLES)
        rc->n++;
    rc->last = *s;
    rc->have_last = 1;
    rc->samples++;
    DEBUG_LOG("refclock %s: sample offset %+.9f s", rc->name, s->offset);
}

int RCL_GetRecentOffset(RCL_Instance rc, double now, double max_age, double *offset)
{
    if (!rc->have_last || now - rc->last.epoch > max_age)
        return 0;
    *offset = rc->last.offset + rc->last.phase - phase_at(now);
    return 1;
}

static RCL_Instance find_instance(int type, int unit)
{
    for (RCL_Instance rc = instances; rc; rc = rc->next_instance)
        if (rc->cfg.type == type && rc->cfg.unit == unit)
            return rc;
    return NULL;
}

int RCL_AddPulse(RCL_Instance rc, const struct timespec *local)
{
    double now = SCH_Monotonic(), lock_offset = 0.0;
    int leap = 0;

    rc->pulses++;
    if (rc->cfg.lock_type) {
        RCL_Instance lock = find_instance(rc->cfg.lock_type, rc->cfg.lock_unit);
        if (!lock || !RCL_GetRecentOffset(lock, now, LOCK_MAX_AGE, &lock_offset)) {
            rc->pulses_dropped++;
            return 0;
        }
        leap = lock->last.leap;
    } else if (!system_synchronised()) {
        rc->pulses_dropped++;
        return 0;
    }

    /* The second the edge starts, by the lock's reckoning: the local time
       of the edge corrected by the lock's offset, rounded. */
    double t = (double)local->tv_sec + local->tv_nsec * 1e-9 + lock_offset;
    double second = floor(t + 0.5);
    if (fabs(t - second) > PULSE_MAX_ERROR) {
        rc->pulses_dropped++;
        return 0;
    }
    struct timespec ref = { .tv_sec = (time_t)second, .tv_nsec = 0 };
    RCL_AddSample(rc, &ref, local, leap);
    return 1;
}

static int by_offset(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int RCL_GetSample(RCL_Instance rc, double now, RCL_Sample *out)
{
    double off[RCL_MAX_SAMPLES];
    int n = rc->n;

    if (n == 0)
        return 0;
    /* Oldest first, so the newest is known; each brought to `now` by the
       corrections made to the clock since it was taken. */
    const Sample *newest = NULL;
    for (int i = 0; i < n; i++) {
        const Sample *s = &rc->ring[(rc->next - n + i + RCL_MAX_SAMPLES) % RCL_MAX_SAMPLES];
        off[i] = s->offset + s->phase - phase_at(now);
        newest = s;
    }
    qsort(off, (size_t)n, sizeof off[0], by_offset);

    /* Trim from whichever end lies farther from the median until 60 %
       remain: a serial line's occasional late sentence or a missed PPS
       edge does not pull the mean. */
    int lo = 0, hi = n - 1, keep = n - (n * 2) / 5;
    double median = n % 2 ? off[n / 2] : (off[n / 2 - 1] + off[n / 2]) / 2.0;
    while (hi - lo + 1 > keep) {
        if (median - off[lo] > off[hi] - median)
            lo++;
        else
            hi--;
    }
    double sum = 0.0, sq = 0.0;
    for (int i = lo; i <= hi; i++)
        sum += off[i];
    double mean = sum / (hi - lo + 1);
    for (int i = lo; i <= hi; i++)
        sq += (off[i] - mean) * (off[i] - mean);

    out->offset = mean;
    out->dispersion = fmax(sqrt(sq / (hi - lo + 1)), ldexp(1.0, RCL_GetPrecision(rc)));
    out->epoch = newest->epoch;
    out->leap = newest->leap;
    out->count = hi - lo + 1;
    out->ref_time = newest->ref;
    rc->n = 0;
    rc->polls_with_data++;
    return 1;
}

static int local_stratum_served;

void RCL_SetLocalStratum(int served)
{
    local_stratum_served = served;
}

int RCL_GetStratum(RCL_Instance rc)
{
    if (rc->cfg.type == RCL_TYPE_LOCAL && local_stratum_served > 0)
        return local_stratum_served - 1;
    return rc->cfg.stratum >= 0 ? rc->cfg.stratum : rc->driver->stratum;
}

uint32_t RCL_GetRefId(RCL_Instance rc)
{
    const char *id = rc->cfg.refid[0] ? rc->cfg.refid : rc->driver->refid;
    uint32_t v = 0;

    /* ASCII, left-justified and zero-padded, as the wire carries it. */
    for (int i = 0; i < 4; i++)
        v = v << 8 | (uint32_t)(unsigned char)(*id ? *id++ : 0);
    return v;
}

int RCL_GetPrecision(RCL_Instance rc)
{
    if (rc->cfg.precision)
        return rc->cfg.precision;
    return rc->have_precision ? rc->precision : rc->driver->precision;
}

static void tick_timeout(void *arg)
{
    RCL_Instance rc = arg;

    rc->tick_timer = SCH_AddTimer(rc->driver->tick_interval, tick_timeout, rc);
    rc->driver->tick(rc);
}

static void try_start(void *arg)
{
    RCL_Instance rc = arg;
    char reason[REASON_LEN] = "";

    rc->retry_timer = NULL;
    if (rc->driver->start && rc->driver->start(rc, reason, sizeof reason) < 0) {
        /* A driver that gave no reason still gets its one line. */
        if (!reason[0])
            snprintf(reason, sizeof reason, "not available");
        if (strcmp(reason, rc->last_reason) != 0) {
            LOG(LOGS_WARN, "refclock %s (%s): %s; retrying every %.0f s", rc->name,
                rc->driver->name, reason, RCL_RETRY_INTERVAL);
            memcpy(rc->last_reason, reason, sizeof rc->last_reason);
        }
        rc->retry_timer = SCH_AddTimer(RCL_RETRY_INTERVAL, try_start, rc);
        return;
    }
    /* Something said the device was not open: say that it is now. The
       reason is forgotten, so the same trouble later is logged again. */
    if (rc->last_reason[0])
        LOG(LOGS_INFO, "refclock %s (%s): device open", rc->name, rc->driver->name);
    rc->last_reason[0] = '\0';
    rc->running = 1;
    if (rc->driver->tick && rc->driver->tick_interval > 0)
        rc->tick_timer = SCH_AddTimer(rc->driver->tick_interval, tick_timeout, rc);
}

static void stop_driver(RCL_Instance rc)
{
    SCH_RemoveTimer(rc->tick_timer);
    rc->tick_timer = NULL;
    if (rc->running && rc->driver->stop)
        rc->driver->stop(rc);
    rc->running = 0;
    /* What the device said held for that device: the next one (a
       restarted SHM writer) says its own. */
    rc->have_precision = 0;
}

void RCL_DeviceLost(RCL_Instance rc, const char *why)
{
    if (!rc->running)
        return;
    LOG(LOGS_WARN, "refclock %s (%s): %s; reopening in %.0f s", rc->name, rc->driver->name,
        why, RCL_RETRY_INTERVAL);
    stop_driver(rc);
    rc->restarts++;
    /* Just logged: a first retry failing the same way (SHM: the attach
       that failed here) adds nothing. Never "", so the reopen is logged. */
    snprintf(rc->last_reason, sizeof rc->last_reason, "%s", why[0] ? why : "device lost");
    SCH_RemoveTimer(rc->retry_timer);
    rc->retry_timer = SCH_AddTimer(RCL_RETRY_INTERVAL, try_start, rc);
}

/* cntpd's own step moved the local clock under the samples still waiting
   for a poll: their phase field accounts for it, but one taken just before
   and handed over after would date itself wrongly. Drop them. */
static void clock_stepped(double offset, void *arg)
{
    RCL_Instance rc = arg;

    (void)offset;
    rc->n = 0;
    rc->have_last = 0;
}

RCL_Instance RCL_Create(const RCL_Config *cfg)
{
    const RCL_Driver *driver = RCL_FindDriver(cfg->type);

    if (!driver)
        return NULL;
    RCL_Instance rc = MEM_New(struct RCL_Instance_Record);
    rc->cfg = *cfg;
    rc->driver = driver;
    snprintf(rc->name, sizeof rc->name, "127.127.%d.%d", cfg->type, cfg->unit);
    rc->next_instance = instances;
    instances = rc;
    CLK_AddStepHandler(clock_stepped, rc);
    try_start(rc);
    return rc;
}

void RCL_Destroy(RCL_Instance rc)
{
    if (!rc)
        return;
    stop_driver(rc);
    SCH_RemoveTimer(rc->retry_timer);
    CLK_RemoveStepHandler(clock_stepped, rc);
    for (RCL_Instance *p = &instances; *p; p = &(*p)->next_instance) {
        if (*p == rc) {
            *p = rc->next_instance;
            break;
        }
    }
    free(rc);
}

void RCL_LogStatus(void)
{
    for (RCL_Instance rc = instances; rc; rc = rc->next_instance) {
        char extra[256] = "";
        if (rc->running && rc->driver->report)
            rc->driver->report(rc, extra, sizeof extra);
        LOG(LOGS_INFO, "refclock %s (%s): %s, samples %llu, polls with data %llu, pulses %llu "
            "(dropped %llu), reopened %llu%s%s", rc->name, rc->driver->name,
            rc->running ? "running" : "device not open", (unsigned long long)rc->samples,
            (unsigned long long)rc->polls_with_data, (unsigned long long)rc->pulses,
            (unsigned long long)rc->pulses_dropped, (unsigned long long)rc->restarts,
            extra[0] ? "; " : "", extra);
    }
}
