/* server — see server.h. */
#include "server.h"

#include "auth.h"
#include "clock.h"
#include "counters.h"
#include "sched.h"
#include "sysvars.h"

/* "RATE" and "DENY" as refids (host order). */
#define KISS_RATE 0x52415445u
#define KISS_DENY 0x44454e59u

void SRV_ProcessRequest(const NIO_Datagram *d, const NTP_Packet *req, SRV_Answer answer,
                        const KEY_Key *key)
{
    const SYS_Vars *sys = SYS_Get();
    NTP_Packet reply = { 0 };
    uint8_t buf[NTP_MAX_PACKET_LEN];
    struct timespec now;
    size_t len;

    CNT.srv_requests++;
    reply.leap = sys->leap;
    /* Answer in the client's version (RFC 5905 §9.2; v1 clients get v1). */
    reply.version = req->version;
    reply.mode = req->mode == NTP_MODE_SYM_ACTIVE ? NTP_MODE_SYM_PASSIVE : NTP_MODE_SERVER;
    reply.stratum = sys->stratum >= NTP_STRATUM_UNSYNC ? NTP_STRATUM_UNSYNC : sys->stratum;
    reply.poll = req->poll;
    reply.precision = sys->precision;
    reply.root_delay = NTS_ShortFromDouble(sys->root_delay);
    reply.root_dispersion = NTS_ShortFromDouble(SYS_RootDispersionNow(SCH_Monotonic()));
    reply.refid = sys->refid;
    reply.reference = sys->reference_time;
    reply.origin = req->transmit;
    reply.receive = NTS_FromTimespec(&d->rx_time);

    if (answer == SRV_KOD_RATE || answer == SRV_KOD_DENY) {
        /* RFC 5905 §7.4: stratum 0, the kiss code as refid; leap 3 so a
           client that ignores kisses does not take this for time. The
           client's poll is echoed, as ntpd does, and raised for RATE. */
        reply.leap = NTP_LEAP_UNSYNC;
        reply.stratum = NTP_STRATUM_UNSPEC;
        reply.refid = answer == SRV_KOD_RATE ? KISS_RATE : KISS_DENY;
        CNT.srv_kod_sent++;
    }

    if (key && answer == SRV_REPLY) {
        /* The MAC covers the transmit timestamp, so it is read here, MAC'ed
           and sent at once: authenticated replies are never batched. */
        CLK_ReadTime(&now);
        reply.transmit = NTS_FromTimespec(&now);
        len = AUTH_AppendMac(key, buf, PKT_Encode(&reply, buf), sizeof buf);
        if (len && NIO_Send(d->sock, &d->remote, buf, len) == 0)
            CNT.srv_replies++;
        return;
    }
    /* The transmit timestamp is left to ntp_io, which writes it just
       before the datagram goes out (a crypto-NAK's trailer does not cover
       it); NIO_SendReply counts the reply once the kernel takes it. */
    len = PKT_Encode(&reply, buf);
    if (answer == SRV_CRYPTO_NAK) {
        len = AUTH_AppendCryptoNak(buf, len, sizeof buf);
        CNT.srv_crypto_nak++;
    }
    if (len)
        NIO_SendReply(d->sock, &d->remote, buf, len);
}
