/*
 * refclock_shm — the SHM reference clock driver (ntpd's type 28): reads the
 * NTP shared-memory segment (shmtime.h) of its unit once a second and hands
 * every good sample to the refclock layer. Owns the per-unit counters and
 * the rules for writers that come and go: a segment nobody updates just
 * gives no samples, and one its writer removed and re-created (gpsd
 * restarted, a writer that cleans up with IPC_RMID) is attached again.
 *
 * Settings (RCL_Config, from `fudge`/`refclock shm`): mode bit 0 makes a
 * unit >= 2 segment private (0600; units 0 and 1 always are); time2 s is
 * the largest |reference - receive time| accepted (ntpd: 1..86400, else
 * 4 h), flag1 turns that check off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "refclock.h"
#include "shmtime.h"

#define SHM_DRIVER_PRECISION (-20)  /* log2 s, when the segment gives none */
#define CHECK_AFTER_IDLE 3          /* ticks without a sample before checking that
                                       the key still names our segment */

typedef struct {
    SHM_Segment seg;
    int unit;
    int private_seg;
    double max_delta;               /* s, 0: no limit */
    int idle;                       /* ticks since the last sample or torn read */
    int precision;                  /* log2 s, as the writer last said (-30..-1) */
    SHM_Status last_bad;            /* last status logged, SHM_OK: none since a sample */
    unsigned long ticks, samples, notready, torn, badmode, bogus, stale, unsync, reattached;
} ShmData;

static int shm_start(RCL_Instance rc, char *err, size_t errlen)
{
    const RCL_Config *cfg = RCL_GetConfig(rc);
    ShmData *d = MEM_New(ShmData);

    d->unit = cfg->unit;
    d->private_seg = (cfg->mode & 1) != 0;
    /* ntpd's rule for time2 and flag1 (see the header comment). */
    if (cfg->flags & 1)
        d->max_delta = 0;
    else if (cfg->time2 >= 1.0 && cfg->time2 <= 86400.0)
        d->max_delta = cfg->time2;
    else
        d->max_delta = SHM_DEFAULT_MAX_DELTA;
    d->precision = SHM_DRIVER_PRECISION;
    d->last_bad = SHM_OK;
    if (SHM_Attach(&d->seg, d->unit, d->private_seg, err, errlen) < 0) {
        free(d);
        return -1;
    }
    RCL_SetDriverData(rc, d);
    LOG(LOGS_INFO, "%s: SHM segment key 0x%08x (%s) attached", RCL_GetName(rc),
        (unsigned)d->seg.key, (d->private_seg || d->unit < 2) ? "private, 0600" : "0666");
    return 0;
}

static void shm_stop(RCL_Instance rc)
{
    ShmData *d = RCL_GetDriverData(rc);
    if (!d)
        return;
    SHM_Detach(&d->seg);
    RCL_SetDriverData(rc, NULL);
    free(d);
}

/* Nothing new for a while: if the writer removed the segment (gpsd or a
   writer that cleans up, restarted or gone), attach to the one under the
   key now, creating it when none exists so a writer that starts later
   finds it. 0, or -1 when that failed and the driver was stopped (the
   refclock layer starts it again later). */
static int check_segment(RCL_Instance rc, ShmData *d)
{
    char err[256];

    if (SHM_IsCurrent(&d->seg))
        return 0;
    LOG(LOGS_INFO, "%s: SHM segment key 0x%08x was removed by its writer; attaching again",
        RCL_GetName(rc), (unsigned)d->seg.key);
    SHM_Detach(&d->seg);
    if (SHM_Attach(&d->seg, d->unit, d->private_seg, err, sizeof err) < 0) {
        /* The layer logs `err` and keeps it as the last reason logged,
           so its retries of shm_start failing the same way add no line.
           Runs shm_stop: d is gone. */
        RCL_DeviceLost(rc, err);
        return -1;
    }
    d->reattached++;
    d->idle = 0;
    LOG(LOGS_INFO, "%s: SHM segment key 0x%08x attached again", RCL_GetName(rc),
        (unsigned)d->seg.key);
    return 0;
}

static void log_bad(RCL_Instance rc, ShmData *d, SHM_Status st, const SHM_Sample *s)
{
    /* One line per kind of trouble until a good sample comes: a writer
       stuck on bad data writes every second. */
    if (st == d->last_bad)
        return;
    d->last_bad = st;
    switch (st) {
    case SHM_BAD_MODE:
        LOG(LOGS_WARN, "%s: SHM segment has mode %d (0 or 1 expected): ignored", RCL_GetName(rc),
            d->seg.seg ? d->seg.seg->mode : -1);
        break;
    case SHM_STALE:
        LOG(LOGS_WARN, "%s: SHM sample received at %lld.%09ld is stale: ignored",
            RCL_GetName(rc), (long long)s->local.tv_sec, s->local.tv_nsec);
        break;
    default:
        LOG(LOGS_WARN, "%s: SHM sample ignored: %s", RCL_GetName(rc), SHM_StatusName(st));
        break;
    }
}

static void shm_tick(RCL_Instance rc)
{
    ShmData *d = RCL_GetDriverData(rc);
    struct timespec now;
    SHM_Sample s;

    if (!d)
        return;
    d->ticks++;
    if (++d->idle >= CHECK_AFTER_IDLE && check_segment(rc, d) < 0)
        return;

    CLK_ReadTime(&now);
    SHM_Status st = SHM_Read(d->seg.seg, &now, d->max_delta, &s);
    switch (st) {
    case SHM_OK:
        d->samples++;
        d->idle = 0;
        d->last_bad = SHM_OK;
        /* The writer knows how good its time is (gpsd: -20 for a PPS,
           coarser for serial time): the association's precision, unless
           fudged. Outside -30..-1 (1 ns .. 0.5 s) it is garbage, ignored;
           0 is what writers that never fill the field leave there (a 1 s
           dispersion floor would make their clock useless). */
        if (s.precision >= -30 && s.precision <= -1) {
            d->precision = s.precision;
            RCL_SetPrecision(rc, s.precision);
        }
        RCL_AddSample(rc, &s.ref, &s.local, s.leap);
        return;
    case SHM_NOT_READY:
        d->notready++;
        return;
    case SHM_TORN:
        /* a writer is busy: it is alive */
        d->torn++;
        d->idle = 0;
        return;
    case SHM_BAD_MODE:
        d->badmode++;
        break;
    case SHM_BOGUS:
        d->bogus++;
        break;
    case SHM_STALE:
        d->stale++;
        break;
    case SHM_UNSYNC:
        d->unsync++;
        break;
    }
    log_bad(rc, d, st, &s);
}

static void shm_report(RCL_Instance rc, char *buf, size_t len)
{
    ShmData *d = RCL_GetDriverData(rc);
    if (!d)
        return;
    snprintf(buf, len,
             "shm key 0x%08x ticks %lu samples %lu notready %lu torn %lu badmode %lu "
             "bogus %lu stale %lu unsync %lu reattached %lu precision %d",
             (unsigned)d->seg.key, d->ticks,
             d->samples, d->notready, d->torn, d->badmode, d->bogus, d->stale, d->unsync,
             d->reattached, d->precision);
}

const RCL_Driver RCL_ShmDriver = {
    .name = "SHM",
    .type = RCL_TYPE_SHM,
    .refid = "SHM",
    .stratum = 0,
    .precision = SHM_DRIVER_PRECISION,
    .tick_interval = 1.0,
    .start = shm_start,
    .stop = shm_stop,
    .tick = shm_tick,
    .report = shm_report,
};
