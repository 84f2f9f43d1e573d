/* sim_resolve — src/resolve.h for the simulator: numeric addresses only
   (scenarios use 10.0.0.N). The answer, or the error for a name, comes from
   a zero-delay timer, never inside RES_Resolve, as the daemon's does. */
#include "resolve.h"

#include <stdlib.h>

#include "mem.h"
#include "sched.h"

struct RES_Request_Record {
    SCH_Timer deliver;
    RES_Handler handler;
    void *arg;
    NTP_Addr addr;       /* len 0: failed */
};

void RES_Init(void)
{
}

void RES_Fini(void)
{
}

static void deliver(void *arg)
{
    RES_Request r = arg;

    r->deliver = NULL;
    r->handler(r->addr.len ? &r->addr : NULL, "no DNS in the simulator (numeric addresses only)",
               r->arg);
    free(r);
}

RES_Request RES_Resolve(const char *name, uint16_t port, RES_Handler handler, void *arg)
{
    RES_Request r = MEM_New(struct RES_Request_Record);

    r->handler = handler;
    r->arg = arg;
    if (ADDR_Parse(name, port, &r->addr) < 0)
        r->addr.len = 0;
    r->deliver = SCH_AddTimer(0.0, deliver, r);
    return r;
}

void RES_Cancel(RES_Request r)
{
    if (!r)
        return;
    SCH_RemoveTimer(r->deliver);
    free(r);
}
