/*
 * ntp_control — the read-only NTP mode 6 responder, for ntpq and Nagios'
 * check_ntp_peer: who may query, the response budget against reflection,
 * READSTAT and READVAR answered from the engine's snapshot, an error for
 * every other opcode (writes are refused: cntpd is configured by its file
 * and SNMP, never by mode 6), and the event counts of the status words
 * (heard from events.h). The wire format is ntp_ctlmsg's.
 *
 * Who is answered (the amplification risk: a 12-octet query spoofed with a
 * victim's address can draw some 500 octets per fragment, so an open mode 6
 * server is a reflector):
 *   - `restrict ... ignore` or `noquery` matching the source: dropped;
 *   - a restrict line (address, `default`, or `restrict source` entry)
 *     matching without noquery: answered, as ntpd does;
 *   - no restrict line matching: answered only from loopback (127.0.0.0/8,
 *     ::1), which the kernel never accepts from outside the host. ntpd
 *     would answer everyone here; cntpd's default is closed.
 * Non-loopback sources also draw on an octet budget (NCTL_SRC_* per source
 * address, NCTL_ALL_* for all of them together); a query whose whole reply
 * would not fit is dropped and counted. ntpd's `limited` (the leaky bucket
 * of time requests) is not applied: ntpq sends a burst of queries (one per
 * association) that it would cut short, as ntpd also exempts mode 6.
 * Replies are never larger than asked for: READVAR with a list sends only
 * those variables, each at most once; READSTAT of one association sends its
 * status word without data; errors are 12 octets, no more than the query.
 *
 * AssocIds above 65535 (SNMP rows may choose them) do not fit the 16-bit
 * field and are left out of READSTAT.
 */
#ifndef CNTPD_NTP_CONTROL_H
#define CNTPD_NTP_CONTROL_H

#include "ntp_io.h"

/* Response budget for non-loopback sources, octets of NTP payload: a
   source may burst 16 000 octets (ntpq -p on 20 associations) and then get
   2 000 per second; all sources together 32 000 per second after a burst
   of 128 000. Whatever is spoofed, a victim receives at most these. */
#define NCTL_SRC_RATE 2000.0
#define NCTL_SRC_BURST 16000.0
#define NCTL_ALL_RATE 32000.0
#define NCTL_ALL_BURST 128000.0

/* Start counting events (the system's "restart" is the first). */
void NCTL_Init(void);
void NCTL_Fini(void);

/* A datagram from a server socket whose mode bits are 6 (not ignored by
   restrict): answer it or drop it, counting either in counters.h. */
void NCTL_Receive(const NIO_Datagram *d);

#endif
