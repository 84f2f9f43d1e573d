/*
 * refclock_pps — the PPS driver (127.127.22.U, `refclock pps`): the edges
 * of a pulse-per-second signal from a PPS source (pps.h; a kernel device
 * /dev/ppsN through RFC 2783), each the start of a second. A pulse says
 * nothing of which second: the refclock layer numbers it from the `lock`
 * reference clock (NMEA, SHM) or the synchronised system clock
 * (RCL_AddPulse), and the edge's kernel timestamp becomes the local time
 * of the sample.
 *
 * Owns the device and the edge counters. As ntpd's ATOM driver, fudge
 * flag2 selects the clear edge instead of assert; time1 (cable and
 * receiver delay) is the refclock layer's. flag3 (ntpd: the kernel's own
 * PPS discipline, hardpps) is not supported.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "pps.h"
#include "refclock.h"

#define FLAG2_CLEAR_EDGE 0x2u     /* fudge flag2: bit 1 of RCL_Config.flags */
#define FLAG3_KERNEL_PPS 0x4u     /* fudge flag3 */

typedef struct {
    PPS_Source src;
    int have_sequence;          /* `sequence` is the last one fetched */
    unsigned long sequence;
    uint64_t edges;             /* new edges seen */
    uint64_t missed;            /* edges the source counted but we never saw
                                   (sequence gaps: the loop stalled > 1 s) */
    uint64_t unnumbered;        /* edges the refclock layer dropped (no lock,
                                   or > 0.4 s from the lock's second) */
} Pps;

static int pps_start(RCL_Instance rc, char *err, size_t errlen)
{
    const RCL_Config *cfg = RCL_GetConfig(rc);
    const PPS_Edge edge = cfg->flags & FLAG2_CLEAR_EDGE ? PPS_EDGE_CLEAR : PPS_EDGE_ASSERT;
    char path[RCL_PATH_LEN];

    if (cfg->path[0])
        snprintf(path, sizeof path, "%s", cfg->path);
    else
        snprintf(path, sizeof path, "/dev/pps%d", cfg->unit);

    /* "PATH: reason" is the layer's reason as it stands. */
    PPS_Source src = PPS_Open(path, edge, err, errlen);
    if (!src)
        return -1;
    if (cfg->flags & FLAG3_KERNEL_PPS)
        LOG(LOGS_WARN, "refclock %s (PPS): flag3 (kernel PPS discipline) is not supported; "
            "ignored", RCL_GetName(rc));

    Pps *pps = MEM_New(Pps);
    pps->src = src;
    RCL_SetDriverData(rc, pps);
    LOG(LOGS_INFO, "refclock %s (PPS): %s, %s edge", RCL_GetName(rc), path,
        edge == PPS_EDGE_CLEAR ? "clear" : "assert");
    return 0;
}

static void pps_stop(RCL_Instance rc)
{
    Pps *pps = RCL_GetDriverData(rc);

    if (!pps)
        return;
    PPS_Close(pps->src);
    free(pps);
    RCL_SetDriverData(rc, NULL);
}

static void pps_tick(RCL_Instance rc)
{
    Pps *pps = RCL_GetDriverData(rc);
    PPS_Event ev;
    char err[320];

    if (PPS_Fetch(pps->src, &ev, err, sizeof err) < 0) {
        /* A fetch that does not wait fails only when the device is gone
           (pps-ldisc detached from its serial line, the GPIO unbound):
           the layer stops us (freeing pps) and reopens it later. */
        RCL_DeviceLost(rc, err);
        return;
    }
    if (!pps->have_sequence) {
        /* The edge already there when the device was opened (sequence 0:
           none) may be from long ago, a signal that stopped; only later
           ones are known to be fresh. */
        pps->have_sequence = 1;
        pps->sequence = ev.sequence;
        return;
    }
    /* The kernel counts in 32 bits: the difference modulo 2^32 is the
       number of edges since the last fetch. */
    uint32_t n = (uint32_t)(ev.sequence - pps->sequence);
    if (n == 0)
        return;
    pps->sequence = ev.sequence;
    pps->edges++;
    pps->missed += n - 1;
    if (!RCL_AddPulse(rc, &ev.time))
        pps->unnumbered++;
}

static void pps_report(RCL_Instance rc, char *buf, size_t len)
{
    const Pps *pps = RCL_GetDriverData(rc);

    if (!pps) {
        snprintf(buf, len, "not open");
        return;
    }
    snprintf(buf, len, "edges %llu, missed %llu, unnumbered %llu", (unsigned long long)pps->edges,
             (unsigned long long)pps->missed, (unsigned long long)pps->unnumbered);
}

const RCL_Driver RCL_PpsDriver = {
    .name = "PPS",
    .type = RCL_TYPE_PPS,
    .refid = "PPS",
    .stratum = 0,
    .precision = -20,           /* ~1 us: a kernel interrupt timestamp */
    /* s. The source keeps only its latest edge, so each must be fetched
       before the next one a second later: four fetches a second see every
       edge even when a tick runs a few hundred ms late, and each a
       non-blocking ioctl. The edge's time is the kernel's, so how late the
       fetch comes does not matter for the sample. */
    .tick_interval = 0.25,
    .start = pps_start,
    .stop = pps_stop,
    .tick = pps_tick,
    .report = pps_report,
};
