/* sim_view — see sim_view.h. */
#include "sim_view.h"

#include "ntp_pkt.h"
#include "sysvars.h"

int SIMV_Synced(void)
{
    return SYS_Get()->stratum < NTP_STRATUM_UNSYNC;
}

int SIMV_SysPeer(int n)
{
    /* AssocIds are assigned from 1 in configuration order (engine.h) and
       every run has a fresh process, so association i + 1 is server i. */
    unsigned id = SYS_Get()->sys_peer;

    if (!SIMV_Synced() || id < 1 || id > (unsigned)n)
        return -1;
    return (int)id - 1;
}

int SIMV_SysPoll(void)
{
    return SYS_Get()->poll;
}

double SIMV_SysOffset(void)
{
    return SYS_Get()->offset;
}
