/*
 * sim_net — src/ntp_io.h on a simulated network, with simulated NTP
 * servers at the other end.
 *
 * The simulated host is 10.0.0.100 (fd00::100); client sockets get
 * ephemeral ports from 40000 up.
 *
 * A request sent on a client socket is routed by its destination address
 * (and port) to the server configured there; anything else vanishes, as on
 * a network with no such host. Each direction of each server's path has its
 * own delay (base + exponential, s), loss probability, and random stream.
 * Outages drop everything in both directions: a request is lost when it is
 * sent during one, a reply when it leaves the server during one.
 *
 * A server answers like a real stratum-1 NTPv4 server: it decodes the
 * request with PKT_Decode and encodes the reply with PKT_Encode, origin =
 * the request's transmit timestamp, receive / transmit timestamps = its
 * own clock (true time + its fixed offset, s, shown as UTC with its leap
 * second: sim_clock.h) at arrival and at departure (arrival + processing
 * time). The client gets the reply's bytes with rx_time = the simulated
 * local clock at arrival (sim_clock.h).
 *
 * Roles besides the plain server (which every role also is, for mode-3
 * requests):
 *  - symmetric passive: an RFC 5905 peer that mobilises when a mode-1
 *    packet reaches it from the host's NTP port and from then on sends
 *    mode-2 packets to that port every 2^poll s (the first 2 s after
 *    mobilisation, like ntpd's passive associations), echoing the host's
 *    last transmit timestamp as origin and when it arrived as receive.
 *  - symmetric active: the same, sending mode 1 from the start.
 *    Both check the host's packets as a peer does (duplicate: transmit
 *    seen before; bogus: origin none of our last transmits) and, on a
 *    valid one, compute their own on-wire offset of the host, compared
 *    with what the exact timestamps give (SIMN_ServerStats).
 *  - broadcast: sends mode-5 packets every 2^poll s to the host's NTP port
 *    (the broadcast address, as the host sees it).
 * Packets a server originates travel its down-link (own random stream)
 * and are delivered to the handler given to NIO_Init, as a server socket
 * receives them; the host's packets from its server socket to a symmetric
 * peer travel the up-link. A server announces an inserted leap second
 * (LI = 1) while its UTC clock is in [li_from, li_until).
 */
#ifndef CNTPD_SIM_NET_H
#define CNTPD_SIM_NET_H

#include <stdint.h>

#include "addr.h"

typedef struct {
    double base;       /* s, fixed one-way delay */
    double jitter;     /* s, mean of the exponential extra delay */
    double loss;       /* probability that a packet is lost, 0..1 */
} SIMN_Link;

typedef enum {
    SIMN_SERVER = 0,         /* answers mode-3 requests */
    SIMN_SYM_PASSIVE,        /* + symmetric passive peer */
    SIMN_SYM_ACTIVE,         /* + symmetric active peer */
    SIMN_BROADCAST,          /* + broadcasts mode 5 */
} SIMN_Role;

typedef struct {
    const char *addr;        /* numeric, e.g. "10.0.0.1"; port 123 */
    SIMN_Role role;
    int poll;                /* log2 s between its own packets (symmetric,
                                broadcast); 0: 6 */
    int64_t li_from, li_until;   /* Unix s of its UTC clock: LI = 1 (insert)
                                    within [li_from, li_until); 0: never */
    double offset;           /* s, server clock - true time (+: ahead) */
    double proc;             /* s, from receive to transmit timestamp */
    SIMN_Link up, down;      /* client->server, server->client */
    int stratum;             /* 0 means 1 */
    double root_delay;       /* s, announced */
    double root_dispersion;  /* s, announced */
} SIMN_Server;

typedef struct {
    double first;      /* elapsed s of the first outage */
    double period;     /* s between outage starts; 0: no outages */
    double length;     /* s */
} SIMN_Outage;

typedef struct {
    uint64_t requests;       /* requests that reached the server */
    uint64_t replies;        /* replies that reached the client */
    uint64_t lost_up, lost_down;
    uint64_t outage_drops;   /* of the lost ones, lost to an outage */
    /* Packets the server originated (symmetric, broadcast) and those of
       them delivered to the host. */
    uint64_t sent, delivered;
    /* Symmetric roles: the host's packets that reached the peer, and how
       a peer judged them. */
    uint64_t peer_rx, peer_dup, peer_bogus, peer_unsync;
    uint64_t peer_measured;  /* valid exchanges the peer measured */
    double peer_err_max;     /* s, largest |its offset of the host - exact| */
    int mobilised;           /* passive: an active packet arrived */
} SIMN_ServerStats;

#define SIMN_MAX_SERVERS 16

/* Servers are copied (addr must stay valid); the seed picks the link
   streams. Symmetric-active and broadcast servers start sending now:
   call after SIMC_Init and SIMS_Init. */
void SIMN_Init(uint64_t seed, const SIMN_Server *servers, int n, const SIMN_Outage *outage);
void SIMN_Fini(void);

/* Whether elapsed time `t` (s) falls in an outage. */
int SIMN_InOutage(double t);

const SIMN_ServerStats *SIMN_GetServerStats(int server);

/* The true offset (server - local, s) at the moment a reply of `server`
   reached the client at elapsed time `at` (one of the last
   SIMN_TRUTH_RING replies); returns 0 when no reply arrived then. Lets
   the metrics tell measurement noise from discipline error. */
#define SIMN_TRUTH_RING 64
int SIMN_TrueOffsetAt(int server, double at, double *offset);

/* Index of the server at `addr` (any port), or -1. */
int SIMN_FindServer(const NTP_Addr *addr);

#endif
