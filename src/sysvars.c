/* sysvars — see sysvars.h. */
#include "sysvars.h"

#include "events.h"
#include "filter.h"
#include "ntp_pkt.h"

static SYS_Vars vars;

void SYS_Init(int precision_log2, int poll)
{
    vars = (SYS_Vars){ .precision = precision_log2, .poll = poll };
    SYS_SetUnsynchronised();
}

const SYS_Vars *SYS_Get(void)
{
    return &vars;
}

/* Every change of cntpSysSrvStatus is an event (notifications). */
static void status_changed(SYS_Status old)
{
    if (vars.status != old)
        EVT_Emit(&(EVT_Event){ .type = EVT_SYNC_STATUS, .status = (int)vars.status });
}

void SYS_Set(const SYS_Vars *v)
{
    SYS_Status old = vars.status;

    vars = *v;
    status_changed(old);
}

void SYS_SetUnsynchronised(void)
{
    SYS_Status old = vars.status;

    vars.leap = NTP_LEAP_UNSYNC;
    vars.stratum = NTP_STRATUM_UNSYNC;
    vars.root_delay = 0.0;
    vars.root_dispersion = 0.0;
    vars.refid = 0x494e4954;   /* "INIT", as ntpd shows before the first sync */
    vars.sys_peer = 0;
    vars.status = SYS_STATUS_NOT_SYNCHRONIZED;
    status_changed(old);
}

double SYS_RootDispersionNow(double now)
{
    if (vars.stratum >= NTP_STRATUM_UNSYNC)
        return vars.root_dispersion;
    double age = now - vars.reference_mono;
    return vars.root_dispersion + (age > 0 ? FLT_PHI * age : 0.0);
}
