/*
 * refclock_local — the LOCAL driver (127.127.1.U, `master N`): the local
 * clock itself as a last-resort reference, so a server cut off from every
 * better source keeps serving time at a configured stratum (a router's
 * `ntp master`). Its samples have offset 0 by definition: it never moves
 * the clock, the frequency the discipline learnt earlier stays in effect.
 * Selection uses it only when nothing else survives (mitigate.c).
 */
#include <stddef.h>
#include <time.h>

#include "clock.h"
#include "refclock.h"

static void local_tick(RCL_Instance rc)
{
    struct timespec now;

    CLK_ReadTime(&now);
    RCL_AddSample(rc, &now, &now, 0);
}

const RCL_Driver RCL_LocalDriver = {
    .name = "LOCAL",
    .type = RCL_TYPE_LOCAL,
    .refid = "LOCL",
    .stratum = 5,           /* ntpd's default for the local clock driver */
    .precision = -20,
    .tick_interval = 1.0,
    .start = NULL,
    .stop = NULL,
    .tick = local_tick,
    .report = NULL,
};
