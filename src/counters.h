/*
 * counters — packet and event counters of the whole daemon, for the
 * operator (logged on SIGUSR1 and at exit) and the tests. Plain uint64_t
 * fields bumped where the event happens; single-threaded, so no atomics.
 */
#ifndef CNTPD_COUNTERS_H
#define CNTPD_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t rx_packets;        /* datagrams read from any NTP socket */
    uint64_t rx_bad_address;    /* neither IPv4 nor IPv6 sender */
    uint64_t rx_too_long;       /* longer than NTP_MAX_PACKET_LEN */
    uint64_t rx_malformed;      /* PKT_Decode refused it (any reason) */
    uint64_t rx_bad_mode;       /* well-formed, but not a mode we answer here */
    uint64_t rx_no_assoc;       /* a reply with no association it belongs to */
    uint64_t rx_rejected;       /* replies failing an on-wire test */
    uint64_t rx_kod;            /* kiss-o'-death packets received */
    uint64_t rx_auth_failed;    /* missing or bad MAC where one was required */
    uint64_t rx_unsynced;       /* valid packets from unsynchronised peers (no sample) */
    uint64_t rx_accepted;       /* replies accepted as samples */
    uint64_t srv_requests;      /* client requests received */
    uint64_t srv_replies;       /* replies sent (including KoDs and NAKs) */
    uint64_t srv_kod_sent;      /* kiss-o'-death replies sent */
    uint64_t srv_crypto_nak;    /* crypto-NAKs sent */
    uint64_t srv_denied;        /* requests dropped by access rules */
    uint64_t srv_limited;       /* requests over the rate limit (dropped or KoD) */
    /* NTP mode 6 (ntpq, check_ntp_peer; ntp_control.h). */
    uint64_t ctl_answered;      /* queries answered (with data or an error) */
    uint64_t ctl_errors;        /* of them, answered with an error */
    uint64_t ctl_fragments;     /* response datagrams sent */
    uint64_t ctl_malformed;     /* dropped: not a well-formed request */
    uint64_t ctl_denied;        /* dropped: noquery, or not allowed by default */
    uint64_t ctl_limited;       /* dropped: over the response budget */
    uint64_t tx_packets;        /* datagrams sent */
    uint64_t tx_errors;         /* sends that failed */
    uint64_t tx_batched;        /* replies sent by sendmmsg calls carrying two or more */
    uint64_t tx_batch_spread_max_ns; /* worst time from such a call's shared transmit
                                        timestamp to its return: bounds how early a
                                        batched reply's T3 was (ntp_io.c) */
} CNT_Counters;

extern CNT_Counters CNT;

/* Total of the counters that mean "received but dropped". */
uint64_t CNT_Dropped(void);

/* One line "name=value ..." of every counter, for the log. */
void CNT_Format(char *buf, size_t len);

#endif
