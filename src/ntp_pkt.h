/*
 * ntp_pkt — the NTP packet on the wire: decode, encode and the on-wire
 * tests of RFC 5905 that need no association state beyond two timestamps.
 *
 * Pure functions, no I/O, no clock: everything here can be fed arbitrary
 * bytes (and is, by the unit tests). Packets of NTPv1 to NTPv4 are accepted.
 * After the 48-octet header come, for v4 only, RFC 7822 extension fields,
 * then an optional MAC trailer: a 32-bit key identifier followed by the
 * digest (16 octets MD5/AES-CMAC, 20 octets SHA1), or the key identifier
 * alone (a crypto-NAK, key id 0).
 */
#ifndef CNTPD_NTP_PKT_H
#define CNTPD_NTP_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "ntp_time.h"

#define NTP_HEADER_LEN 48
#define NTP_MAX_MAC_LEN 24   /* key id + 20-octet SHA1 digest */
#define NTP_MAX_PACKET_LEN 1024
#define NTP_MIN_VERSION 1
#define NTP_VERSION 4

typedef enum {
    NTP_MODE_RESERVED = 0,
    NTP_MODE_SYM_ACTIVE = 1,
    NTP_MODE_SYM_PASSIVE = 2,
    NTP_MODE_CLIENT = 3,
    NTP_MODE_SERVER = 4,
    NTP_MODE_BROADCAST = 5,
    NTP_MODE_CONTROL = 6,
    NTP_MODE_PRIVATE = 7,
} NTP_Mode;

typedef enum {
    NTP_LEAP_NONE = 0,
    NTP_LEAP_INSERT = 1,   /* last minute of the day has 61 s */
    NTP_LEAP_DELETE = 2,   /* last minute of the day has 59 s */
    NTP_LEAP_UNSYNC = 3,   /* clock not synchronised */
} NTP_Leap;

#define NTP_STRATUM_UNSPEC 0      /* kiss-o'-death or unspecified */
#define NTP_STRATUM_UNSYNC 16
#define NTP_MAX_DISPERSION 16.0   /* s, MAXDISP */

typedef struct {
    uint8_t leap;              /* NTP_Leap */
    uint8_t version;           /* 1..4 */
    uint8_t mode;              /* NTP_Mode */
    uint8_t stratum;
    int8_t poll;               /* log2 s */
    int8_t precision;          /* log2 s */
    uint32_t root_delay;       /* short format, host order */
    uint32_t root_dispersion;  /* short format, host order */
    uint32_t refid;            /* host order: 0x52415445 is "RATE" */
    NTP_Timestamp reference;
    NTP_Timestamp origin;
    NTP_Timestamp receive;
    NTP_Timestamp transmit;

    /* Filled by PKT_Decode, ignored by PKT_Encode. */
    unsigned n_ext_fields;
    size_t auth_len;           /* octets covered by the MAC (header + ext) */
    int has_mac;               /* a MAC trailer (including a crypto-NAK) */
    uint32_t key_id;
    const uint8_t *mac;        /* points into the decoded buffer */
    size_t mac_len;            /* digest octets, 0 for a crypto-NAK */
} NTP_Packet;

typedef enum {
    PKT_OK = 0,
    PKT_ERR_SHORT,        /* fewer than 48 octets */
    PKT_ERR_VERSION,      /* version 0 or above 4 */
    PKT_ERR_MODE,         /* mode 0 with version > 1, or control/private */
    PKT_ERR_EXT_FIELD,    /* malformed extension field */
    PKT_ERR_LENGTH,       /* trailing octets that are neither ext nor MAC */
} PKT_Status;

/* Decode `len` octets. On PKT_OK `out` is filled; mode 0 from an NTPv1
   client is reported as NTP_MODE_CLIENT (as ntpd does). Control (6) and
   private (7) packets are reported as PKT_ERR_MODE: cntpd does not
   implement mode 6/7. `out->mac` points into `buf`. */
PKT_Status PKT_Decode(const uint8_t *buf, size_t len, NTP_Packet *out);

/* Encode the 48-octet header into `buf` (at least NTP_HEADER_LEN octets);
   returns NTP_HEADER_LEN. */
size_t PKT_Encode(const NTP_Packet *p, uint8_t *buf);

const char *PKT_StatusName(PKT_Status s);

/* Result of the on-wire tests applied to a reply (mode 4, or mode 1/2/5). */
typedef enum {
    PKT_TEST_PASS = 0,
    PKT_TEST_DUPLICATE,      /* transmit == last seen transmit: replay */
    PKT_TEST_BOGUS,          /* origin != our last transmit: not a reply to us */
    PKT_TEST_ZERO_XMT,       /* transmit timestamp zero */
    PKT_TEST_KISS,           /* stratum 0: a kiss-o'-death, see PKT_KissCode */
    PKT_TEST_UNSYNC,         /* leap 3 or stratum >= 16: server not synced */
    PKT_TEST_DISTANCE,       /* root delay/2 + root dispersion >= MAXDISP */
    PKT_TEST_REFTIME,        /* reference time after transmit time or zero */
} PKT_Test;

/* On-wire tests for a reply to a request whose transmit timestamp was
   `our_xmt`; `last_xmt` is the transmit timestamp of the last packet
   accepted from this peer (0 if none). Tests run in this order: zero
   transmit, duplicate, bogus, kiss, unsync, distance, reftime. */
PKT_Test PKT_CheckReply(const NTP_Packet *p, NTP_Timestamp our_xmt, NTP_Timestamp last_xmt);

const char *PKT_TestName(PKT_Test t);

/* Kiss code of a stratum-0 packet as a NUL-terminated string of up to 4
   printable ASCII characters ("RATE", "DENY", "RSTR", ...); returns 0 when
   the refid is not printable ASCII. */
int PKT_KissCode(const NTP_Packet *p, char code[5]);

#endif
