/* server — see server.h. */
#include "server.h"

#include "clock.h"
#include "counters.h"
#include "sched.h"
#include "sysvars.h"

void SRV_ProcessRequest(const NIO_Datagram *d, const NTP_Packet *req)
{
    const SYS_Vars *sys = SYS_Get();
    NTP_Packet reply = { 0 };
    uint8_t buf[NTP_HEADER_LEN];
    struct timespec now;

    CNT.srv_requests++;
    reply.leap = sys->leap;
    /* Answer in the client's version (RFC 5905 §9.2; v1 clients get v1). */
    reply.version = req->version;
    reply.mode = NTP_MODE_SERVER;
    reply.stratum = sys->stratum >= NTP_STRATUM_UNSYNC ? NTP_STRATUM_UNSYNC : sys->stratum;
    reply.poll = req->poll;
    reply.precision = sys->precision;
    reply.root_delay = NTS_ShortFromDouble(sys->root_delay);
    reply.root_dispersion = NTS_ShortFromDouble(SYS_RootDispersionNow(SCH_Monotonic()));
    reply.refid = sys->refid;
    reply.reference = sys->reference_time;
    reply.origin = req->transmit;
    reply.receive = NTS_FromTimespec(&d->rx_time);

    CLK_ReadTime(&now);
    reply.transmit = NTS_FromTimespec(&now);
    PKT_Encode(&reply, buf);
    if (NIO_Send(d->sock, &d->remote, buf, sizeof buf) == 0)
        CNT.srv_replies++;
}
