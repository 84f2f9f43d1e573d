/* sim_net — see sim_net.h and ntp_io.h. */
#include "sim_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "counters.h"
#include "log.h"
#include "mem.h"
#include "ntp_io.h"
#include "ntp_pkt.h"
#include "sim_clock.h"
#include "sim_rng.h"
#include "sim_sched.h"

/* Random streams: 100 + 2 * server for the up-link, + 1 for the down-link,
   200 + server for when it starts sending on its own (symmetric active,
   broadcast), 300 + server for the down-link of packets it originates
   (sim_clock uses 1, the bumps 2). */
#define SIM_RNG_STREAM_LINK 100
#define SIM_RNG_STREAM_SCHEDULE 200
#define SIM_RNG_STREAM_OWN_DOWN 300
#define SIM_PEER_HISTORY 4           /* our last transmits a peer recognises */
#define SIM_PASSIVE_FIRST 2.0        /* s from mobilisation to a passive peer's first packet */
#define SIM_SERVER_PORT 123
#define SIM_FIRST_EPHEMERAL 40000
#define SIM_LOCAL_ADDR4 "10.0.0.100"     /* the simulated host */
#define SIM_LOCAL_ADDR6 "fd00::100"
#define SIM_SERVER_PRECISION (-20)   /* log2 s, ~1 us: a good primary server */
#define SIM_SERVER_REFID 0x47505300u /* "GPS" */
#define SIM_SERVER_REF_AGE 8.0       /* s, how long ago the server last set its clock */

struct NIO_Socket_Record {
    unsigned id;
    int family;
    int connected;
    NTP_Addr remote;             /* for connected sockets */
    uint16_t local_port;
    NIO_RxHandler handler;
    void *arg;
    struct NIO_Socket_Record *next;
};

typedef struct {
    SIMN_Server spec;
    NTP_Addr addr;
    SIM_Rng up_rng, down_rng, schedule_rng, own_down_rng;
    SIMN_ServerStats stats;
    /* Truth at the last replies' arrivals: elapsed s, server - local s. */
    double truth_at[SIMN_TRUTH_RING], truth[SIMN_TRUTH_RING];
    unsigned truth_next;
    /* Symmetric and broadcast roles: the send timer; RFC 5905 peer
       variables (org: the host's last transmit timestamp, rec: when it
       arrived, both echoed; last_rx: for the duplicate test); our last
       transmits with, for the peer's own measurement, when each left, when
       it reached the host and the host clock's phase then (-1: not yet). */
    SCH_Timer send_timer;
    NTP_Timestamp org, rec, last_rx;
    NTP_Timestamp xmt[SIM_PEER_HISTORY];
    double xmt_sent[SIM_PEER_HISTORY], xmt_arrived[SIM_PEER_HISTORY],
        xmt_phase[SIM_PEER_HISTORY];
    unsigned xmt_next;
} Server;

/* A datagram on the wire: a request from a client socket to a server, its
   reply, a packet from the host's NTP port to a symmetric peer, or one a
   peer or broadcaster sends to that port (which handler its timer runs
   says which). */
typedef struct Flight {
    int server;          /* index of the server at the far end */
    unsigned sock_id;    /* client socket it came from / goes to */
    int hist;            /* a peer's packet to the host: its slot in xmt[], else -1 */
    SCH_Timer timer;     /* its arrival */
    /* Truth for the debug line: when the request left and the local
       clock's phase then (s), when it reached the server. */
    double sent, sent_phase, at_server;
    struct Flight *prev, *next;
    size_t len;
    uint8_t data[NTP_MAX_PACKET_LEN];
} Flight;

static Server servers[SIMN_MAX_SERVERS];
static int n_servers;
static SIMN_Outage outage;
static struct NIO_Socket_Record *sockets;
static unsigned next_sock_id;
static uint16_t next_port, server_port;
static NIO_Socket server4, server6;
static Flight *flights;          /* on the wire, so SIMN_Fini can free them */

static void flight_send(Flight *f, double arrival, SCH_TimerHandler on_arrival)
{
    f->timer = SIMS_AddAt(arrival, on_arrival, f);
    if (f->prev || f->next || flights == f)
        return;   /* already listed (a request turned into its reply) */
    f->next = flights;
    if (flights)
        flights->prev = f;
    flights = f;
}

static void flight_free(Flight *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else if (flights == f)
        flights = f->next;
    if (f->next)
        f->next->prev = f->prev;
    free(f);
}

static void own_send(void *arg);

/* s between the packets a server sends on its own. */
static double own_interval(const Server *srv)
{
    return ldexp(1.0, srv->spec.poll > 0 ? srv->spec.poll : 6);
}

void SIMN_Init(uint64_t seed, const SIMN_Server *specs, int n, const SIMN_Outage *out)
{
    if (n > SIMN_MAX_SERVERS)
        LOG_Fatal(3, "sim: at most %d servers", SIMN_MAX_SERVERS);
    memset(servers, 0, sizeof servers);
    n_servers = n;
    for (int i = 0; i < n; i++) {
        servers[i].spec = specs[i];
        if (ADDR_Parse(specs[i].addr, SIM_SERVER_PORT, &servers[i].addr) < 0)
            LOG_Fatal(3, "sim: server address %s is not numeric", specs[i].addr);
        SIM_RngInit(&servers[i].up_rng, seed, SIM_RNG_STREAM_LINK + 2 * (uint64_t)i);
        SIM_RngInit(&servers[i].down_rng, seed, SIM_RNG_STREAM_LINK + 2 * (uint64_t)i + 1);
        SIM_RngInit(&servers[i].schedule_rng, seed, SIM_RNG_STREAM_SCHEDULE + (uint64_t)i);
        SIM_RngInit(&servers[i].own_down_rng, seed, SIM_RNG_STREAM_OWN_DOWN + (uint64_t)i);
        for (int k = 0; k < SIM_PEER_HISTORY; k++)
            servers[i].xmt_arrived[k] = -1.0;
    }
    outage = out ? *out : (SIMN_Outage){ 0 };
    next_sock_id = 1;
    next_port = SIM_FIRST_EPHEMERAL;
    /* Active peers and broadcasters start within their first interval
       (an active peer within 2 s, as a daemon just started). */
    for (int i = 0; i < n; i++) {
        Server *srv = &servers[i];
        double u = SIM_RngUniform(&srv->schedule_rng);
        if (srv->spec.role == SIMN_SYM_ACTIVE)
            srv->send_timer = SIMS_AddAt(SIMS_Elapsed() + 2.0 * u, own_send, srv);
        else if (srv->spec.role == SIMN_BROADCAST)
            srv->send_timer = SIMS_AddAt(SIMS_Elapsed() + own_interval(srv) * u, own_send, srv);
    }
}

void SIMN_Fini(void)
{
    for (int i = 0; i < n_servers; i++) {
        SCH_RemoveTimer(servers[i].send_timer);
        servers[i].send_timer = NULL;
    }
    while (flights) {
        SCH_RemoveTimer(flights->timer);
        flight_free(flights);
    }
    while (sockets)
        NIO_Close(sockets);
    n_servers = 0;
}

int SIMN_InOutage(double t)
{
    if (outage.period <= 0.0 || t < outage.first)
        return 0;
    return fmod(t - outage.first, outage.period) < outage.length;
}

const SIMN_ServerStats *SIMN_GetServerStats(int i)
{
    return &servers[i].stats;
}

int SIMN_TrueOffsetAt(int server, double at, double *offset)
{
    const Server *srv = &servers[server];

    /* The engine stamps a sample with SCH_Monotonic() at delivery, which
       differs from our elapsed time only by SIM_MONO_START and rounding. */
    for (unsigned i = 0; i < SIMN_TRUTH_RING && i < srv->truth_next; i++) {
        if (fabs(srv->truth_at[i] - at) < 1e-7) {
            *offset = srv->truth[i];
            return 1;
        }
    }
    return 0;
}

int SIMN_FindServer(const NTP_Addr *addr)
{
    for (int i = 0; i < n_servers; i++)
        if (ADDR_EqualHost(&servers[i].addr, addr))
            return i;
    return -1;
}

/* One trip over a link: returns the delay (s), or a negative value when
   the packet is lost. Both random numbers are always drawn so the stream
   stays aligned whatever happens to earlier packets. */
static double traverse_at(const SIMN_Link *link, SIM_Rng *rng, double when,
                          SIMN_ServerStats *st, uint64_t *lost)
{
    double u = SIM_RngUniform(rng);
    double delay = link->base + SIM_RngExp(rng, link->jitter);

    if (SIMN_InOutage(when)) {
        (*lost)++;
        st->outage_drops++;
        return -1.0;
    }
    if (u < link->loss) {
        (*lost)++;
        return -1.0;
    }
    return delay;
}

/* NTP timestamp of elapsed time `t` on a clock `offset` s ahead of true
   time that shows UTC with its leap second, exact to 2^-32 s
   (independent of the engine's conversions). */
static NTP_Timestamp server_stamp(double t, double offset)
{
    double x = t + offset;
    double whole = floor(x);
    uint64_t frac = (uint64_t)llround((x - whole) * 4294967296.0);

    if (frac >= ((uint64_t)1 << 32)) {
        frac -= (uint64_t)1 << 32;
        whole += 1.0;
    }
    int64_t sec = SIMC_UtcOf(whole);
    /* Modulo 2^32: the era number is dropped as on the wire. */
    uint32_t ntp_sec = (uint32_t)((uint64_t)sec + NTP_UNIX_EPOCH_OFFSET);
    return ((uint64_t)ntp_sec << 32) | frac;
}

static NIO_Socket find_socket(unsigned id)
{
    for (NIO_Socket s = sockets; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

/* Leap indicator of a server at elapsed `t`: insert while its UTC clock
   is in [li_from, li_until). */
static int server_leap(const Server *srv, double t)
{
    int64_t utc = SIMC_UtcOf(floor(t + srv->spec.offset));

    return srv->spec.li_until && utc >= srv->spec.li_from && utc < srv->spec.li_until
               ? NTP_LEAP_INSERT : NTP_LEAP_NONE;
}

/* The header fields every packet of a server carries. */
static void server_header(const Server *srv, double t, NTP_Packet *p)
{
    p->leap = (uint8_t)server_leap(srv, t);
    p->version = NTP_VERSION;
    p->stratum = (uint8_t)(srv->spec.stratum > 0 ? srv->spec.stratum : 1);
    p->poll = (int8_t)(srv->spec.poll > 0 ? srv->spec.poll : 6);
    p->precision = SIM_SERVER_PRECISION;
    p->root_delay = NTS_ShortFromDouble(srv->spec.root_delay);
    p->root_dispersion = NTS_ShortFromDouble(srv->spec.root_dispersion);
    p->refid = SIM_SERVER_REFID;
    p->reference = server_stamp(t - SIM_SERVER_REF_AGE, srv->spec.offset);
}

/* The truth when a packet of server `srv` reaches the host now. */
static void record_truth(Server *srv)
{
    srv->truth_at[srv->truth_next % SIMN_TRUTH_RING] = SIMS_Elapsed();
    srv->truth[srv->truth_next % SIMN_TRUTH_RING] = srv->spec.offset - SIMC_TrueOffset();
    srv->truth_next++;
}

static void reply_arrives(void *arg)
{
    Flight *f = arg;
    NIO_Socket s = find_socket(f->sock_id);

    f->timer = NULL;
    if (s) {
        NIO_Datagram d = { .sock = s, .data = f->data, .len = f->len };
        d.remote = servers[f->server].addr;
        /* The kernel's receive stamp: the local clock at arrival. */
        CLK_ReadTime(&d.rx_time);
        CNT.rx_packets++;
        Server *srv = &servers[f->server];
        record_truth(srv);
        if (LOG_DebugEnabled()) {
            /* What an exact measurement gives: server offset minus the mean
               local phase at T1 and T4, plus half the path asymmetry. */
            const SIMN_Server *sp = &servers[f->server].spec;
            double phase = SIMC_TrueOffset();
            double up = f->at_server - f->sent;
            double down = SIMS_Elapsed() - f->at_server - sp->proc;
            LOG(LOGS_DEBUG, "sim: reply from %s: up %.9f down %.9f; true offset %+.9f, "
                "exact measurement %+.9f", sp->addr, up, down, sp->offset - phase,
                sp->offset - (f->sent_phase + phase) / 2.0 + (up - down) / 2.0);
        }
        servers[f->server].stats.replies++;
        s->handler(&d, s->arg);
    }
    flight_free(f);
}

static void request_arrives(void *arg)
{
    Flight *f = arg;
    Server *srv = &servers[f->server];
    NTP_Packet req, rep = { 0 };
    double t = SIMS_Elapsed();

    f->timer = NULL;
    f->at_server = t;
    srv->stats.requests++;
    if (PKT_Decode(f->data, f->len, &req) != PKT_OK || req.mode != NTP_MODE_CLIENT) {
        flight_free(f);
        return;
    }

    server_header(srv, t, &rep);
    rep.version = req.version;
    rep.mode = NTP_MODE_SERVER;
    rep.poll = req.poll;
    rep.origin = req.transmit;
    rep.receive = server_stamp(t, srv->spec.offset);
    rep.transmit = server_stamp(t + srv->spec.proc, srv->spec.offset);
    f->len = PKT_Encode(&rep, f->data);

    /* The reply leaves after the processing time: the outage test belongs
       to that moment. */
    double depart = t + srv->spec.proc;
    uint64_t *lost = &srv->stats.lost_down;
    double delay = traverse_at(&srv->spec.down, &srv->down_rng, depart, &srv->stats, lost);
    if (delay < 0.0) {
        flight_free(f);
        return;
    }
    flight_send(f, depart + delay, reply_arrives);
}

/* A packet a server originated reaches the host's NTP port: the server
   socket of its family receives it, as from the broadcast address or
   from a peer. */
static void host_arrives(void *arg)
{
    Flight *f = arg;
    Server *srv = &servers[f->server];
    NIO_Socket s = NIO_ServerSocket(ADDR_Family(&srv->addr));

    f->timer = NULL;
    if (s && s->handler) {
        NIO_Datagram d = { .sock = s, .data = f->data, .len = f->len };
        d.remote = srv->addr;
        CLK_ReadTime(&d.rx_time);
        CNT.rx_packets++;
        record_truth(srv);
        if (f->hist >= 0) {
            /* For the peer's own measurement when the host echoes it. */
            srv->xmt_arrived[f->hist] = SIMS_Elapsed();
            srv->xmt_phase[f->hist] = SIMC_TrueOffset();
        }
        if (LOG_DebugEnabled())
            LOG(LOGS_DEBUG, "sim: %s packet from %s: down %.9f; true offset %+.9f",
                srv->spec.role == SIMN_BROADCAST ? "broadcast" : "symmetric", srv->spec.addr,
                SIMS_Elapsed() - f->sent, srv->spec.offset - SIMC_TrueOffset());
        srv->stats.delivered++;
        s->handler(&d, s->arg);
    }
    flight_free(f);
}

/* A symmetric peer or a broadcaster sends on its own (RFC 5905 peer_xmit
   for the peer: origin and receive echo the host's last packet). */
static void own_send(void *arg)
{
    Server *srv = arg;
    double t = SIMS_Elapsed();
    double depart = t + srv->spec.proc;
    NTP_Packet p = { 0 };

    srv->send_timer = SIMS_AddAt(t + own_interval(srv), own_send, srv);
    server_header(srv, t, &p);
    if (srv->spec.role == SIMN_BROADCAST) {
        p.mode = NTP_MODE_BROADCAST;
    } else {
        p.mode = srv->spec.role == SIMN_SYM_ACTIVE ? NTP_MODE_SYM_ACTIVE
                                                   : NTP_MODE_SYM_PASSIVE;
        p.origin = srv->org;
        p.receive = srv->rec;
    }
    p.transmit = server_stamp(depart, srv->spec.offset);

    Flight *f = MEM_New(Flight);
    f->server = (int)(srv - servers);
    f->hist = -1;
    f->len = PKT_Encode(&p, f->data);
    f->sent = depart;
    srv->stats.sent++;
    if (srv->spec.role != SIMN_BROADCAST) {
        unsigned k = srv->xmt_next++ % SIM_PEER_HISTORY;
        srv->xmt[k] = p.transmit;
        srv->xmt_sent[k] = depart;
        srv->xmt_arrived[k] = -1.0;
        f->hist = (int)k;
    }
    double delay = traverse_at(&srv->spec.down, &srv->own_down_rng, depart, &srv->stats,
                               &srv->stats.lost_down);
    if (delay < 0.0) {
        free(f);
        return;
    }
    flight_send(f, depart + delay, host_arrives);
}

/* The host's packet from its NTP port reaches a symmetric peer: the peer
   side of RFC 5905's receive() and packet(), without a clock to set. */
static void peer_arrives(void *arg)
{
    Flight *f = arg;
    Server *srv = &servers[f->server];
    SIMN_ServerStats *st = &srv->stats;
    NTP_Packet pkt;
    double t = SIMS_Elapsed();

    f->timer = NULL;
    if (PKT_Decode(f->data, f->len, &pkt) != PKT_OK ||
        (pkt.mode != NTP_MODE_SYM_ACTIVE && pkt.mode != NTP_MODE_SYM_PASSIVE) ||
        (srv->spec.role == SIMN_SYM_PASSIVE && !st->mobilised &&
         pkt.mode != NTP_MODE_SYM_ACTIVE)) {
        flight_free(f);
        return;
    }
    st->peer_rx++;
    if (!st->mobilised && srv->spec.role == SIMN_SYM_PASSIVE) {
        st->mobilised = 1;
        srv->send_timer = SIMS_AddAt(t + SIM_PASSIVE_FIRST, own_send, srv);
    }
    if (pkt.transmit == 0 || pkt.transmit == srv->last_rx) {
        st->peer_dup++;
        flight_free(f);
        return;
    }
    srv->last_rx = pkt.transmit;
    /* Whatever the tests say, echo it in our next packet. */
    srv->org = pkt.transmit;
    srv->rec = server_stamp(t, srv->spec.offset);

    int k = -1;
    for (int i = 0; i < SIM_PEER_HISTORY; i++)
        if (pkt.origin && srv->xmt[i] == pkt.origin)
            k = i;
    if (pkt.origin == 0) {
        st->peer_unsync++;        /* it has not heard from us yet */
    } else if (k < 0 || srv->xmt_arrived[k] < 0.0) {
        st->peer_bogus++;         /* not an echo of anything we sent */
    } else {
        /* Our offset of the host (host - us), against what exact
           timestamps give: the mean host phase at T2 and T3 less our
           offset, plus half of (down - up). */
        NTP_Timestamp t1 = srv->xmt[k], t4 = srv->rec;
        double theta = (NTS_Diff(pkt.receive, t1) + NTS_Diff(pkt.transmit, t4)) / 2.0;
        double down = srv->xmt_arrived[k] - srv->xmt_sent[k], up = t - f->sent;
        double exact = (srv->xmt_phase[k] + f->sent_phase) / 2.0 - srv->spec.offset +
                       (down - up) / 2.0;
        st->peer_measured++;
        if (fabs(theta - exact) > st->peer_err_max)
            st->peer_err_max = fabs(theta - exact);
    }
    flight_free(f);
}

int NIO_Init(uint16_t port, const char *bind4, const char *bind6, NIO_RxHandler handler,
             void *arg)
{
    (void)bind4, (void)bind6;
    server_port = port;
    /* The engine's server sockets receive what symmetric peers and
       broadcasters send (the model has no clients of the host). */
    server4 = MEM_New(struct NIO_Socket_Record);
    *server4 = (struct NIO_Socket_Record){ .id = next_sock_id++, .family = AF_INET,
                                           .local_port = port, .handler = handler, .arg = arg };
    server6 = MEM_New(struct NIO_Socket_Record);
    *server6 = (struct NIO_Socket_Record){ .id = next_sock_id++, .family = AF_INET6,
                                           .local_port = port, .handler = handler, .arg = arg };
    return 0;
}

void NIO_Fini(void)
{
    free(server4);
    free(server6);
    server4 = server6 = NULL;
}

uint16_t NIO_ServerPort(void)
{
    return server_port;
}

NIO_Socket NIO_ServerSocket(int family)
{
    return family == AF_INET ? server4 : family == AF_INET6 ? server6 : NULL;
}

NIO_Socket NIO_OpenClient(const NTP_Addr *remote, const NTP_Addr *local, NIO_RxHandler handler,
                          void *arg)
{
    (void)local;   /* one simulated host address */
    NIO_Socket s = MEM_New(struct NIO_Socket_Record);

    s->id = next_sock_id++;
    s->family = ADDR_Family(remote);
    s->connected = 1;
    s->remote = *remote;
    s->local_port = next_port++;
    s->handler = handler;
    s->arg = arg;
    s->next = sockets;
    sockets = s;
    return s;
}

void NIO_Close(NIO_Socket sock)
{
    if (!sock)
        return;
    if (sock == server4 || sock == server6)
        return;   /* NIO_Fini owns them */
    for (NIO_Socket *p = &sockets; *p; p = &(*p)->next) {
        if (*p == sock) {
            *p = sock->next;
            break;
        }
    }
    /* Replies still in flight to this socket find no socket and vanish,
       like datagrams to a closed port. */
    free(sock);
}

int NIO_LocalAddress(NIO_Socket sock, NTP_Addr *local)
{
    if (!sock)
        return -1;
    return ADDR_Parse(sock->family == AF_INET6 ? SIM_LOCAL_ADDR6 : SIM_LOCAL_ADDR4,
                      sock->local_port, local);
}

int NIO_Send(NIO_Socket sock, const NTP_Addr *remote, const void *buf, size_t len)
{
    const NTP_Addr *dest = sock->connected ? &sock->remote : remote;
    int i;

    CNT.tx_packets++;
    if (!dest || len > NTP_MAX_PACKET_LEN)
        return 0;
    for (i = 0; i < n_servers; i++)
        if (ADDR_Equal(&servers[i].addr, dest))
            break;
    if (i == n_servers)
        return 0;   /* no such host */
    Server *srv = &servers[i];
    /* From a client socket: a request for the server. From the NTP port:
       only a symmetric peer listens (nothing models clients of ours). */
    int to_peer = !sock->connected;
    if (to_peer && srv->spec.role != SIMN_SYM_ACTIVE && srv->spec.role != SIMN_SYM_PASSIVE)
        return 0;

    double delay = traverse_at(&srv->spec.up, &srv->up_rng, SIMS_Elapsed(), &srv->stats,
                               &srv->stats.lost_up);
    if (delay < 0.0)
        return 0;   /* UDP: a lost datagram is not a send error */

    Flight *f = MEM_New(Flight);
    f->server = i;
    f->sock_id = sock->id;
    f->hist = -1;
    f->len = len;
    memcpy(f->data, buf, len);
    f->sent = SIMS_Elapsed();
    f->sent_phase = SIMC_TrueOffset();
    flight_send(f, SIMS_Elapsed() + delay, to_peer ? peer_arrives : request_arrives);
    return 0;
}

/* No batching in the model: the reply is stamped (on the simulated clock)
   and sent at once, as the real ntp_io does outside a receive batch. */
int NIO_SendReply(NIO_Socket sock, const NTP_Addr *remote, void *buf, size_t len)
{
    struct timespec now;
    uint8_t *p = buf;

    if (len < NTP_HEADER_LEN || len > NTP_MAX_PACKET_LEN)
        return -1;
    CLK_ReadTime(&now);
    NTP_Timestamp t = NTS_FromTimespec(&now);
    for (int i = 7; i >= 0; i--, t >>= 8)
        p[40 + i] = (uint8_t)t;
    NIO_Send(sock, remote, buf, len);
    CNT.srv_replies++;
    return 0;
}
