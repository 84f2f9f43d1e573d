/*
 * server — answers client (mode 3) requests with the system variables:
 * leap, stratum, refid, root delay and dispersion as they stand, the
 * client's own version, its transmit timestamp as origin, the kernel
 * receive timestamp, and a transmit timestamp read just before sending.
 * Also the two special answers: a kiss-o'-death (stratum 0 and a kiss code
 * as refid) and a crypto-NAK (a MAC trailer of key id 0 alone). Whether to
 * answer, and how, is the engine's decision (access, rate limits, keys).
 */
#ifndef CNTPD_SERVER_H
#define CNTPD_SERVER_H

#include "keys.h"
#include "ntp_io.h"
#include "ntp_pkt.h"

typedef enum {
    SRV_REPLY,        /* a normal answer, MAC'ed with `key` when given */
    SRV_CRYPTO_NAK,   /* the request's MAC failed: answer with a crypto-NAK */
    SRV_KOD_RATE,     /* rate limit exceeded: RATE kiss-o'-death */
    SRV_KOD_DENY,     /* access denied: DENY kiss-o'-death */
} SRV_Answer;

/* Answer `req` (decoded from `d`, mode NTP_MODE_CLIENT, or a symmetric
   packet answered as by a server). `key` NULL: no MAC. */
void SRV_ProcessRequest(const NIO_Datagram *d, const NTP_Packet *req, SRV_Answer answer,
                        const KEY_Key *key);

#endif
