/*
 * peer — one NTP association: its address and socket, the poll process
 * (reach register, poll interval between minpoll and maxpoll, burst and
 * iburst, unreachable back-off), the on-wire protocol for its packets, and
 * its clock filter. Client mode now; symmetric and broadcast modes join
 * here later.
 *
 * A peer is created with parameters and, when its host was a name, without
 * an address; the engine resolves the name and calls PEER_SetAddress.
 * Polling starts once the address is known.
 *
 * A reference clock (params.refclock.type set) is an association too: its
 * address is the pseudo address 127.127.T.U, and at each poll it takes the
 * refclock instance's filtered sample instead of sending a packet; the
 * reach register, clock filter and reports are the same.
 */
#ifndef CNTPD_PEER_H
#define CNTPD_PEER_H

#include <stdint.h>

#include "addr.h"
#include "filter.h"
#include "ntp_io.h"
#include "ntp_pkt.h"
#include "ntp_time.h"
#include "refclock.h"

typedef struct PEER_Record *PEER_Instance;

#define PEER_BURST_COUNT 8          /* packets in a burst (RFC 5905 BCOUNT) */
#define PEER_BURST_INTERVAL 2.0     /* s between burst packets */
#define PEER_UNREACH_BACKOFF 12     /* unanswered polls before the poll backs off */

/* Association modes: the NTP_Mode we send (client, symmetric active or
   passive, broadcast), or PEER_MODE_BCLIENT for a broadcast client (it
   listens to mode-5 packets and sends client-mode packets only to measure
   the delay, as ntpd's broadcast client does). */
#define PEER_MODE_BCLIENT 6

typedef struct {
    int mode;              /* NTP_Mode we send, or PEER_MODE_BCLIENT */
    uint32_t key;          /* symmetric key id, 0: no authentication */
    NTP_Addr local;        /* source address for client mode; len 0: any */
    const char *host;      /* as configured (copied) */
    uint16_t port;
    int minpoll, maxpoll;  /* log2 s */
    int version;           /* 1..4 */
    int iburst, burst, prefer;
    int configured;        /* from the config file (cntpPeersConfigured) */
    int noselect;          /* measured and reported, never selected */
    RCL_Config refclock;   /* type 0: a network association */
} PEER_Params;

/* Hand a decoded packet from this association's peer to it (the engine
   demultiplexes the server socket; client sockets deliver directly). */
void PEER_Receive(PEER_Instance peer, const NIO_Datagram *d, const NTP_Packet *pkt);

/* How packets are authenticated (keys live in the engine). */
void PEER_SetAuthHooks(size_t (*auth)(uint32_t key_id, uint8_t *buf, size_t len, size_t size),
                       int (*verify)(uint32_t key_id, const NIO_Datagram *d,
                                     const NTP_Packet *pkt));

int PEER_GetMode(PEER_Instance peer);
int PEER_IsConfigured(PEER_Instance peer);
const NTP_Addr *PEER_GetAddress(PEER_Instance peer);
const char *PEER_ModeName(int mode);

/* An ephemeral association (symmetric passive, broadcast client) whose
   peer has gone silent: the engine removes it. */
int PEER_ShouldDissolve(PEER_Instance peer);

/* Outcome of the last selection for this peer (ntpq's tally codes). */
typedef enum {
    PEER_SEL_REJECT = 0,     /* ' ' unfit: unreachable, unsynchronised, too far */
    PEER_SEL_FALSETICK,      /* 'x' outside the intersection of the truechimers */
    PEER_SEL_EXCESS,         /* '.' beyond maxclock */
    PEER_SEL_OUTLIER,        /* '-' discarded by the cluster algorithm */
    PEER_SEL_CANDIDATE,      /* '+' survivor, combined */
    PEER_SEL_SYSPEER,        /* '*' the system peer */
} PEER_SelStatus;

/* Everything a report or the MIB needs about one association, copied. */
typedef struct {
    uint32_t assoc_id;
    char host[256];
    NTP_Addr addr;          /* len 0 while unresolved */
    NTP_Addr local;         /* our address and port towards it, len 0 if none */
    int mode;
    int configured, prefer, iburst, burst, noselect;
    uint32_t key;           /* symmetric key id, 0: none (its packets must carry
                               a valid MAC of that key to be accepted) */
    int refclock_type;      /* RCL_TYPE_*, 0 for a network association */
    int version;
    int minpoll, maxpoll;
    int hpoll;              /* host poll exponent now */
    int ppoll;              /* peer's poll exponent from its last packet */
    uint8_t reach;
    unsigned unreach;       /* polls since the last reply */
    int reachable;
    /* From the peer's last accepted packet. */
    int leap, stratum, precision;
    double root_delay, root_dispersion;
    uint32_t refid;
    NTP_Timestamp reference_time;
    NTP_Timestamp last_update;  /* local NTP time of the last accepted sample, 0 if none */
    /* RFC 1305 peer timestamps: org = the peer's transmit time in its last
       packet (T3), rec = when that packet arrived here (T4), xmt = when we
       last sent to it (T1); 0 if none. */
    NTP_Timestamp org, rec, xmt;
    /* Filter output. */
    int have_sample;
    double offset, delay, dispersion, jitter;
    FLT_Filter filter;
    /* Counters. */
    uint64_t sent, received, rejected;
    char kiss[5];           /* last kiss code received, "" if none */
    PEER_SelStatus select;
} PEER_Report;


/* What selection needs from a peer, at scheduler time `now`. */
typedef struct {
    int fit;                 /* passes RFC 5905 fit() apart from distance */
    int prefer;
    int stratum, leap;
    double offset, delay, dispersion, jitter;   /* s */
    double root_delay, root_dispersion;         /* s, the peer's own */
    double root_distance;    /* s, see PEER_RootDistance */
    double epoch;            /* scheduler s of the sample in use */
    uint32_t refid;          /* what we would claim with this peer as sys peer */
    int jumped;              /* its filter just accepted a confirmed jump */
    /* The newest sample, whatever the filter chose: offset brought to now
       (s) and when it was measured (scheduler s; -1 if none). */
    double newest_offset, newest_epoch;
    double newest_delay;     /* s, its round-trip delay */
    uint64_t last_rx_ntp;    /* NTP seconds (local clock) of its last packet, 0 if none */
    double min_delay;        /* s, the shortest delay in the filter */
    int refclock_type;       /* RCL_TYPE_*, 0 for a network association */
    int last_resort;         /* the LOCAL clock: selectable only when nothing
                                else is */
} PEER_SelectInfo;

void PEER_GetSelectInfo(PEER_Instance peer, double now, PEER_SelectInfo *info);
void PEER_SetSelectStatus(PEER_Instance peer, PEER_SelStatus status);
PEER_SelStatus PEER_GetSelectStatus(PEER_Instance peer);

/* The jump has been handed to the discipline. */
void PEER_ClearJump(PEER_Instance peer);

/* Offset change (s) that a peer's filter accepts as a jump once
   FLT_JUMP_CONFIRM consecutive samples agree on it. */
void PEER_SetJumpThreshold(double threshold);

/* Where the phase corrections of the local clock come from (the
   discipline's DSC_PhaseAt); NULL: none. */
void PEER_SetPhaseSource(double (*fn)(double t));

/* Forget the filter contents (after a clock step the samples are wrong). */
void PEER_ClearFilter(PEER_Instance peer);

/* Called after every accepted sample; `fresh` when the filter produced a
   new output that may update the clock (selection runs either way). */
typedef void (*PEER_UpdateHandler)(PEER_Instance peer, int fresh, void *arg);

PEER_Instance PEER_Create(uint32_t assoc_id, const PEER_Params *params,
                          PEER_UpdateHandler on_update, void *arg);
void PEER_Destroy(PEER_Instance peer);

/* Give the peer its address (numeric config or resolved name) and start
   polling; a later call (re-resolution) switches to the new address. */
void PEER_SetAddress(PEER_Instance peer, const NTP_Addr *addr);

/* Send `count` extra packets PEER_BURST_INTERVAL apart, without touching
   the reach register, to re-measure quickly (after the local clock
   jumped): at once, or `min_interval` s after the last forced burst if
   that was more recent; a burst in progress is lengthened to `count`.
   0 when impossible (no address yet, refused by the server), else 1. */
int PEER_Burst(PEER_Instance peer, int count, double min_interval);

/* Non-zero when the peer needs its name resolved again: configured by
   name, address known, and unreachable for a long time. The engine clears
   it by calling PEER_SetAddress. */
int PEER_WantsResolve(PEER_Instance peer);

uint32_t PEER_GetAssocId(PEER_Instance peer);
const char *PEER_GetHost(PEER_Instance peer);
void PEER_GetReport(PEER_Instance peer, PEER_Report *report);

/* The report of an association that does not run (a suspended SNMP row):
   its settings, nothing measured (leap 3, stratum 16). */
void PEER_ParamsReport(uint32_t assoc_id, const PEER_Params *params, PEER_Report *report);

/* Peer synchronisation distance at scheduler time `now` (RFC 5905
   root distance: (delay + root delay)/2 + dispersion + root dispersion +
   jitter, aged). */
double PEER_RootDistance(PEER_Instance peer, double now);

#endif
