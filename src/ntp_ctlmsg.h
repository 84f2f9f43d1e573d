/*
 * ntp_ctlmsg — NTP mode 6 control messages on the wire (RFC 1305 Appendix
 * B, RFC 9327), the read-only subset ntpq and check_ntp_peer use: request
 * parsing, the variable-list syntax of READVAR, the text encoding of system
 * and peer variables with ntpd's names and units, status words, the
 * fragmentation of responses, and the octet budget that bounds what
 * spoofed queries can make cntpd send. Pure: no I/O, no clock, no engine
 * state; the responder (ntp_control) passes reports and times in.
 *
 * Message (all fields network order):
 *
 *   0: LI(2) VN(3) Mode(3)=6   1: R E M Opcode(5)   2-3: sequence
 *   4-5: status   6-7: association id   8-9: offset   10-11: count
 *   12..: data (count octets, at most 468 per fragment), zero-padded to a
 *         multiple of 4 octets (the padding is not in count)
 *
 * A response sets R, echoes the version, opcode, sequence and association
 * id, and carries the leap indicator of the system in LI (check_ntp_peer
 * reads the leap state there). A response longer than 468 octets of data
 * is sent as fragments with M (more) set on all but the last and `offset`
 * giving the position of each fragment's data in the whole. An error
 * response sets E, has no data, and the error code in the high octet of
 * `status`.
 */
#ifndef CNTPD_NTP_CTLMSG_H
#define CNTPD_NTP_CTLMSG_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "ntp_time.h"
#include "peer.h"

#define NCM_HEADER_LEN 12
#define NCM_MAX_DATA 468          /* data octets per fragment */
#define NCM_MAX_FRAGS 32          /* ntpq reassembles at most 32 fragments */
#define NCM_MAX_PACKET (NCM_HEADER_LEN + NCM_MAX_DATA)
/* Octets a request may carry after its padded data: a MAC (key id and a
   digest of at most 20 octets), after padding to 8 octets as ntpq does. */
#define NCM_MAX_TRAILER 28

/* R, E, M bits of octet 1. */
#define NCM_RESPONSE 0x80
#define NCM_ERROR 0x40
#define NCM_MORE 0x20
#define NCM_OPCODE_MASK 0x1f

enum {
    NCM_OP_UNSPEC = 0,
    NCM_OP_READSTAT = 1,
    NCM_OP_READVAR = 2,
    NCM_OP_WRITEVAR = 3,
    NCM_OP_READCLOCK = 4,
    NCM_OP_WRITECLOCK = 5,
    NCM_OP_SETTRAP = 6,
    NCM_OP_ASYNCMSG = 7,
    NCM_OP_CONFIGURE = 8,
    NCM_OP_SAVECONFIG = 9,
    NCM_OP_READ_MRU = 10,
    NCM_OP_READ_ORDLIST = 11,
    NCM_OP_REQ_NONCE = 12,
    NCM_OP_UNSETTRAP = 31,
};

/* Error codes (high octet of the status word of an error response). */
enum {
    NCM_ERR_UNSPEC = 0,
    NCM_ERR_PERMISSION = 1,    /* not allowed (writes: cntpd is configured by SNMP) */
    NCM_ERR_BADFMT = 2,        /* bad message length or format */
    NCM_ERR_BADOP = 3,         /* RFC 9327 "bad or unknown opcode": the answer to
                                  the opcodes cntpd does not serve (READCLOCK, MRU) */
    NCM_ERR_BADASSOC = 4,      /* no such association */
    NCM_ERR_UNKNOWNVAR = 5,    /* a requested variable does not exist */
    NCM_ERR_BADVALUE = 6,
    NCM_ERR_RESTRICT = 7,
};

/* System events (low octet of the system status word: count, code). */
enum {
    NCM_EVNT_SYNC = 5,         /* clock_sync: synchronised to a source */
    NCM_EVNT_RESTART = 6,      /* restart: the daemon started */
    NCM_EVNT_NOPEER = 8,       /* no_sys_peer: synchronisation lost */
};

/* Peer events (low octet of the peer status word). */
enum {
    NCM_PEVNT_UNREACH = 3,     /* unreachable: reach register emptied */
    NCM_PEVNT_REACH = 4,       /* reachable */
};

/* Clock source field of the system status word (6 bits). */
enum {
    NCM_SRC_UNSPEC = 0,        /* no system peer */
    NCM_SRC_ATOM = 1,          /* PPS */
    NCM_SRC_UHF = 4,           /* satellite receiver (NMEA, SHM from gpsd) */
    NCM_SRC_LOCAL = 5,         /* the local clock */
    NCM_SRC_NTP = 6,           /* an NTP server */
};

/* Peer status bits (high octet, above the 3-bit selection code). */
#define NCM_PST_CONFIG 0x80
#define NCM_PST_AUTHENABLE 0x40
#define NCM_PST_AUTHENTIC 0x20
#define NCM_PST_REACH 0x10
#define NCM_PST_BCAST 0x08

/* Selection codes (ntpq's tally characters). */
enum {
    NCM_SEL_REJECT = 0,        /* ' ' */
    NCM_SEL_FALSETICK = 1,     /* 'x' */
    NCM_SEL_EXCESS = 2,        /* '.' */
    NCM_SEL_OUTLIER = 3,       /* '-' */
    NCM_SEL_CANDIDATE = 4,     /* '+' */
    NCM_SEL_BACKUP = 5,        /* '#' (not produced: cntpd has no backups) */
    NCM_SEL_SYSPEER = 6,       /* '*' */
    NCM_SEL_PPSPEER = 7,       /* 'o' the system peer is a PPS clock */
};

typedef enum {
    NCM_PARSE_OK = 0,
    NCM_PARSE_SHORT,          /* shorter than the header */
    NCM_PARSE_MODE,           /* mode bits not 6 */
    NCM_PARSE_VERSION,        /* version 0 or above 4 */
    NCM_PARSE_NOT_REQUEST,    /* R, E or M set: a response or a fragment */
    NCM_PARSE_OFFSET,         /* nonzero offset (requests are one fragment) */
    NCM_PARSE_LENGTH,         /* count beyond 468 or the datagram, length not
                                 a multiple of 4, or too much after the data */
} NCM_ParseStatus;

typedef struct {
    int version;              /* 1..4 */
    int opcode;
    uint16_t sequence;
    uint16_t assoc_id;
    const uint8_t *data;      /* points into the datagram */
    size_t count;
} NCM_Request;

/* Parse a datagram whose mode bits are 6. */
NCM_ParseStatus NCM_ParseRequest(const uint8_t *buf, size_t len, NCM_Request *req);
const char *NCM_ParseStatusName(NCM_ParseStatus s);

/* An error response (NCM_HEADER_LEN octets, returned). */
size_t NCM_EncodeError(const NCM_Request *req, int leap, int error, uint8_t *out);

/* Number of fragments for `len` octets of data (1 for none), and the octets
   all of them take on the wire (headers and padding included). */
size_t NCM_FragmentCount(size_t len);
size_t NCM_ReplyOctets(size_t len);

/* Fragment `index` (0-based, below NCM_FragmentCount(len)) of a response
   with `len` octets of `data` into `out` (NCM_MAX_PACKET octets); returns
   its length. */
size_t NCM_EncodeFragment(const NCM_Request *req, int leap, uint16_t status,
                          const uint8_t *data, size_t len, size_t index, uint8_t *out);

/* Status words. */
uint16_t NCM_SystemStatus(int leap, int source, unsigned n_events, int last_event);
/* The clock source of a system peer (refclock_type 0: a server). */
int NCM_ClockSource(int refclock_type);
int NCM_SelectCode(PEER_SelStatus sel, int refclock_type);
uint16_t NCM_PeerStatus(const PEER_Report *r, unsigned n_events, int last_event);

/* One (association id, status) pair of a READSTAT response. */
void NCM_PutAssoc(uint8_t *out, uint16_t assoc_id, uint16_t status);

/* Text of READVAR responses, formatted as ntpd does: items separated by
   ", ", a line break (CR LF) instead of the space where a line would reach
   72 characters, CR LF at the end. */
typedef struct {
    char *buf;
    size_t size, len;
    size_t line;              /* characters on the current line */
    int items;
    int overflow;             /* something did not fit (the text is cut) */
} NCM_Text;

void NCM_TextInit(NCM_Text *t, char *buf, size_t size);
void NCM_TextItem(NCM_Text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void NCM_TextEnd(NCM_Text *t);

/* What the system variables are made of (the responder fills it from the
   engine's report and the clock). */
typedef struct {
    const char *version;      /* "cntpd 0.1.0" */
    const char *processor;    /* uname machine */
    const char *system;       /* uname sysname/release */
    int leap, stratum, precision;
    double root_delay, root_dispersion;   /* s */
    uint32_t refid;           /* host order */
    NTP_Timestamp reftime, clock;
    uint32_t peer;            /* AssocId of the system peer, 0 none */
    int poll;                 /* log2 s */
    double offset;            /* s, last combined offset (server - local) */
    double frequency;         /* ppm, positive: the clock is made faster */
    double jitter;            /* s */
} NCM_System;

/* The variables named in `list` (a READVAR request's data: names
   separated by commas, "=value" ignored, surrounding white space allowed;
   `count` octets, a NUL ends it early) or, when it names none, the default
   set, appended to `t`. 0, or -1 with *error set (NCM_ERR_UNKNOWNVAR,
   NCM_ERR_BADFMT). Each variable is sent at most once, in the order of
   ntpd's tables (as ntpd does), so a list that repeats names cannot make
   the reply longer. Times are sent in ms, frequency in ppm. */
int NCM_SystemVars(const NCM_System *s, const uint8_t *list, size_t count, NCM_Text *t,
                   int *error);
int NCM_PeerVars(const PEER_Report *r, const uint8_t *list, size_t count, NCM_Text *t,
                 int *error);

/* Octet budget for responses to sources that could be spoofed: a token
   bucket per source (a fixed direct-mapped table keyed by a secret hash,
   so it never grows; a new source takes over its slot with a full bucket)
   and one for all of them together. Rates in octets per second, bursts in
   octets; `now` in seconds on any monotonic scale. */
typedef struct {
    double tokens, last;
} NCM_Bucket;

#define NCM_BUDGET_SLOTS 1024

typedef struct {
    uint64_t key[2];
    double src_rate, src_burst, all_rate, all_burst;
    NCM_Bucket all;
    struct {
        uint8_t addr[16];
        int used;
        NCM_Bucket bucket;
    } slot[NCM_BUDGET_SLOTS];
} NCM_Budget;

void NCM_BudgetInit(NCM_Budget *b, uint64_t key0, uint64_t key1, double src_rate,
                    double src_burst, double all_rate, double all_burst);
/* Take `octets` from the source's and the shared bucket: 1, or 0 (nothing
   taken) when either has not enough. */
int NCM_BudgetTake(NCM_Budget *b, const NTP_Addr *a, size_t octets, double now);

/* Loopback sources (127.0.0.0/8, ::1, v4-mapped 127/8): the kernel never
   delivers them from another host, so they cannot be spoofed remotely. */
int NCM_IsLoopback(const NTP_Addr *a);

#endif
