/*
 * server — answers client (mode 3) requests with the system variables:
 * leap, stratum, refid, root delay and dispersion as they stand, the
 * client's own version, its transmit timestamp as origin, the kernel
 * receive timestamp, and a transmit timestamp read just before sending.
 */
#ifndef CNTPD_SERVER_H
#define CNTPD_SERVER_H

#include "ntp_io.h"
#include "ntp_pkt.h"

/* Answer `req` (already decoded from `d`, mode NTP_MODE_CLIENT). */
void SRV_ProcessRequest(const NIO_Datagram *d, const NTP_Packet *req);

#endif
