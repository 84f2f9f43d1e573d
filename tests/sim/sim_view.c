/* sim_view — see sim_view.h. Reads the engine only through its report
   API (engine.h), as agent/ does. */
#include "sim_view.h"

#include <stdlib.h>

#include "engine.h"
#include "ntp_pkt.h"
#include "sim_net.h"
#include "sim_sched.h"
#include "sysvars.h"

int SIMV_Synced(void)
{
    return SYS_Get()->stratum < NTP_STRATUM_UNSYNC;
}

int SIMV_Holdover(void)
{
    ENG_SystemReport s;

    ENG_GetSystemReport(&s);
    return s.holdover;
}

int SIMV_Peers(int n, int *sys_peer, unsigned char *combined)
{
    PEER_Report *reports;
    size_t count = ENG_GetPeerReports(&reports);
    uint32_t id = SYS_Get()->sys_peer;

    *sys_peer = -1;
    for (int i = 0; i < n; i++)
        combined[i] = 0;
    for (size_t k = 0; k < count; k++) {
        if (reports[k].refclock_type && SIMV_Synced() && id != 0 && reports[k].assoc_id == id)
            *sys_peer = SIMV_REFCLOCK;
        /* Map by address, not by AssocId: the simulator must not depend
           on how the engine numbers its associations. */
        int i = reports[k].addr.len ? SIMN_FindServer(&reports[k].addr) : -1;
        if (i < 0 || i >= n)
            continue;
        if (reports[k].select >= PEER_SEL_CANDIDATE)
            combined[i] = 1;
        if (SIMV_Synced() && id != 0 && reports[k].assoc_id == id)
            *sys_peer = i;
    }
    free(reports);
    return (int)count;
}

int SIMV_SysPeerSample(int n, double *offset, double *elapsed)
{
    PEER_Report *reports;
    size_t count = ENG_GetPeerReports(&reports);
    uint32_t id = SYS_Get()->sys_peer;
    int server = -1;

    for (size_t k = 0; k < count && id; k++) {
        if (reports[k].assoc_id != id || !reports[k].filter.have_sample)
            continue;
        server = reports[k].addr.len ? SIMN_FindServer(&reports[k].addr) : -1;
        if (server >= n)
            server = -1;
        *offset = reports[k].filter.offset;
        *elapsed = reports[k].filter.epoch - SIM_MONO_START;
    }
    free(reports);
    return server;
}

double SIMV_ReferenceMono(void)
{
    return SYS_Get()->reference_mono;
}

unsigned SIMV_SysPeerId(void)
{
    return SYS_Get()->sys_peer;
}

int SIMV_SysPoll(void)
{
    return SYS_Get()->poll;
}

double SIMV_SysOffset(void)
{
    return SYS_Get()->offset;
}

int SIMV_AssocMode(int i, int *configured)
{
    PEER_Report *reports;
    size_t count = ENG_GetPeerReports(&reports);
    int mode = -1;

    *configured = 0;
    for (size_t k = 0; k < count; k++) {
        if (reports[k].addr.len && SIMN_FindServer(&reports[k].addr) == i) {
            mode = reports[k].mode;
            *configured = reports[k].configured;
        }
    }
    free(reports);
    return mode;
}

int SIMV_DisciplineState(void)
{
    ENG_SystemReport s;

    ENG_GetSystemReport(&s);
    return (int)s.discipline_state;
}

int SIMV_SysLeap(void)
{
    return SYS_Get()->leap;
}
