/* shmtime — see shmtime.h. */
#include "shmtime.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

/* The layout is shared with other programs: its size must never change by
   accident (x86-64, aarch64: 8-byte time_t, so 96 bytes). */
_Static_assert(sizeof(time_t) != 8 || sizeof(SHM_Time) == 96, "SHM segment layout");

/* Orders the accesses to the segment between this process and the writer
   (and keeps the compiler from moving them). */
static void barrier(void)
{
    atomic_thread_fence(memory_order_seq_cst);
}

static volatile SHM_Time *(*segment_provider)(int unit);

void SHM_SetProvider(volatile SHM_Time *(*provider)(int unit))
{
    segment_provider = provider;
}

int SHM_Attach(SHM_Segment *s, int unit, int private_seg, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->shmid = -1;
    if (unit < 0 || unit > 255) {
        snprintf(err, errlen, "unit %d out of range 0..255", unit);
        return -1;
    }
    if (segment_provider) {
        s->seg = segment_provider(unit);
        if (!s->seg) {
            snprintf(err, errlen, "no segment for unit %d", unit);
            return -1;
        }
        return 0;
    }
    s->key = (key_t)(SHM_KEY_BASE + unit);
    /* Units 0 and 1 are root's (gpsd running as root writes them); a
       world-writable segment there would let any user steer the clock. */
    int perm = (private_seg || unit < 2) ? 0600 : 0666;
    int id = shmget(s->key, sizeof(SHM_Time), IPC_CREAT | perm);
    if (id < 0) {
        int e = errno;
        /* EINVAL: a segment exists under the key but is smaller than ours
           (another layout, e.g. a 32-bit time_t writer). Say how big. */
        int old = shmget(s->key, 0, 0);
        struct shmid_ds ds;
        if (e == EINVAL && old >= 0 && shmctl(old, IPC_STAT, &ds) == 0) {
            snprintf(err, errlen,
                     "segment key 0x%08x has %zu bytes, expected %zu: not an NTP SHM segment of "
                     "this layout (remove it with ipcrm -M 0x%08x if it is stale)",
                     (unsigned)s->key, (size_t)ds.shm_segsz, sizeof(SHM_Time), (unsigned)s->key);
        } else if (e == EACCES) {
            snprintf(err, errlen, "segment key 0x%08x: permission denied (another user's private "
                     "segment?)", (unsigned)s->key);
        } else {
            snprintf(err, errlen, "shmget key 0x%08x: %s", (unsigned)s->key, strerror(e));
        }
        return -1;
    }
    /* A larger segment is accepted by shmget but is not ours either. */
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_segsz != sizeof(SHM_Time)) {
        snprintf(err, errlen,
                 "segment key 0x%08x has %zu bytes, expected %zu: not an NTP SHM segment of this "
                 "layout (remove it with ipcrm -M 0x%08x if it is stale)",
                 (unsigned)s->key, (size_t)ds.shm_segsz, sizeof(SHM_Time), (unsigned)s->key);
        return -1;
    }
    void *p = shmat(id, NULL, 0);
    if (p == (void *)-1) {
        snprintf(err, errlen, "shmat key 0x%08x: %s", (unsigned)s->key, strerror(errno));
        return -1;
    }
    s->seg = p;
    s->shmid = id;
    return 0;
}

void SHM_Detach(SHM_Segment *s)
{
    if (s->seg && !segment_provider)
        shmdt((const void *)s->seg);
    s->seg = NULL;
    s->shmid = -1;
}

int SHM_IsCurrent(const SHM_Segment *s)
{
    if (!s->seg)
        return 0;
    if (segment_provider)
        return 1;
    return shmget(s->key, 0, 0) == s->shmid;
}

SHM_Status SHM_Decode(const SHM_Time *c, int count_before, int count_after, int valid_after,
                      const struct timespec *now, double max_delta, SHM_Sample *out)
{
    memset(out, 0, sizeof *out);
    /* The writer clears valid before it touches the timestamps and bumps
       count around them (mode 1): either seen changed means the copy may
       mix two samples. */
    if (count_before != count_after || !valid_after)
        return SHM_TORN;
    if (c->mode != 0 && c->mode != 1)
        return SHM_BAD_MODE;
    out->mode = c->mode;
    out->leap = c->leap;
    out->precision = c->precision;
    if (c->clockTimeStampUSec < 0 || c->clockTimeStampUSec > 999999 ||
        c->receiveTimeStampUSec < 0 || c->receiveTimeStampUSec > 999999 ||
        c->clockTimeStampSec <= 0 || c->receiveTimeStampSec <= 0 || c->leap < 0 || c->leap > 3)
        return SHM_BOGUS;
    out->ref.tv_sec = c->clockTimeStampSec;
    out->ref.tv_nsec = (long)c->clockTimeStampUSec * 1000;
    out->local.tv_sec = c->receiveTimeStampSec;
    out->local.tv_nsec = (long)c->receiveTimeStampUSec * 1000;
    /* The ns fields count only when both truncate to the µs fields (as
       ntpd and gpsd agree): a writer that predates them leaves zeros or
       junk there. Unsigned arithmetic: a ns value below us*1000 wraps to a
       huge difference and fails the test too. */
    unsigned cdiff = c->clockTimeStampNSec - (unsigned)out->ref.tv_nsec;
    unsigned rdiff = c->receiveTimeStampNSec - (unsigned)out->local.tv_nsec;
    if (cdiff < 1000 && rdiff < 1000) {
        out->ref.tv_nsec = (long)c->clockTimeStampNSec;
        out->local.tv_nsec = (long)c->receiveTimeStampNSec;
        out->used_ns = 1;
    }
    if (c->leap == 3)
        return SHM_UNSYNC;
    /* Receive time against now: s, positive when the sample is in the past. */
    double age = (double)(now->tv_sec - out->local.tv_sec) +
                 (double)(now->tv_nsec - out->local.tv_nsec) * 1e-9;
    if (age > SHM_MAX_AGE || age < -SHM_FUTURE_SLACK)
        return SHM_STALE;
    double delta = (double)(out->ref.tv_sec - out->local.tv_sec) +
                   (double)(out->ref.tv_nsec - out->local.tv_nsec) * 1e-9;
    if (max_delta > 0 && (delta > max_delta || delta < -max_delta))
        return SHM_BOGUS;
    return SHM_OK;
}

SHM_Status SHM_Read(volatile SHM_Time *seg, const struct timespec *now, double max_delta,
                    SHM_Sample *out)
{
    SHM_Time c;

    if (!seg->valid) {
        memset(out, 0, sizeof *out);
        return SHM_NOT_READY;
    }
    barrier();
    int count_before = seg->count;
    barrier();
    /* Field by field: memcpy would drop the volatile qualifier. */
    c.mode = seg->mode;
    c.count = seg->count;
    c.clockTimeStampSec = seg->clockTimeStampSec;
    c.clockTimeStampUSec = seg->clockTimeStampUSec;
    c.receiveTimeStampSec = seg->receiveTimeStampSec;
    c.receiveTimeStampUSec = seg->receiveTimeStampUSec;
    c.leap = seg->leap;
    c.precision = seg->precision;
    c.nsamples = seg->nsamples;
    c.valid = 1;
    c.clockTimeStampNSec = seg->clockTimeStampNSec;
    c.receiveTimeStampNSec = seg->receiveTimeStampNSec;
    memset(c.dummy, 0, sizeof c.dummy);
    barrier();
    /* valid before count: a writer clears valid before its first count
       bump and sets it after its second, so valid still set here plus
       count unchanged below means no update overlapped the copy. (The
       other order misses a writer that finishes between the two reads.) */
    int valid_after = seg->valid != 0;
    barrier();
    int count_after = seg->count;
    SHM_Status st = SHM_Decode(&c, count_before, count_after, valid_after, now, max_delta, out);
    if (st != SHM_TORN) {
        /* Taken: the writer sets valid again with its next sample. */
        seg->valid = 0;
        barrier();
    }
    return st;
}

void SHM_Write(volatile SHM_Time *seg, int mode, const struct timespec *ref,
               const struct timespec *local, int leap, int precision)
{
    seg->valid = 0;
    if (mode == 1)
        seg->count++;
    barrier();
    seg->mode = mode;
    seg->clockTimeStampSec = ref->tv_sec;
    seg->clockTimeStampUSec = (int)(ref->tv_nsec / 1000);
    seg->clockTimeStampNSec = (unsigned)ref->tv_nsec;
    seg->receiveTimeStampSec = local->tv_sec;
    seg->receiveTimeStampUSec = (int)(local->tv_nsec / 1000);
    seg->receiveTimeStampNSec = (unsigned)local->tv_nsec;
    seg->leap = leap;
    seg->precision = precision;
    seg->nsamples = 0;
    barrier();
    if (mode == 1)
        seg->count++;
    seg->valid = 1;
    barrier();
}

const char *SHM_StatusName(SHM_Status st)
{
    switch (st) {
    case SHM_OK: return "ok";
    case SHM_NOT_READY: return "not ready";
    case SHM_TORN: return "torn read";
    case SHM_BAD_MODE: return "bad mode";
    case SHM_BOGUS: return "bogus timestamps";
    case SHM_STALE: return "stale";
    case SHM_UNSYNC: return "writer unsynchronised";
    }
    return "?";
}
