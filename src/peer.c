/* peer — see peer.h. Poll process after RFC 5905 §13 (poll) and ntpd:
 * the reach register shifts once per regular poll (burst packets do not
 * shift it), any accepted reply sets its low bit, and eight empty polls make
 * the peer unreachable.
 */
#include "peer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "counters.h"
#include "events.h"
#include "log.h"
#include "mem.h"
#include "ntp_io.h"
#include "ntp_pkt.h"
#include "sched.h"
#include "sysvars.h"

#define SYM_HISTORY 4

struct PEER_Record {
    uint32_t assoc_id;
    PEER_Params params;
    char *host;
    NTP_Addr addr;
    NIO_Socket sock;
    SCH_Timer poll_timer;
    PEER_UpdateHandler on_update;
    void *update_arg;

    int hpoll;
    int ppoll;
    uint8_t reach;
    unsigned unreach;
    int burst;               /* burst packets still to send */
    int reachable;           /* as last logged */
    int stopped;             /* DENY/RSTR kiss: no more polls */

    /* On-wire state. */
    NTP_Timestamp xmt_wire;  /* transmit timestamp of our last request */
    struct timespec xmt_local;
    NTP_Timestamp last_rx_xmt;
    NTP_Timestamp last_xmt;  /* our last transmit, kept for reports */
    NTP_Timestamp last_rec;  /* arrival of the last accepted packet */
    /* Symmetric modes: the peer's last transmit timestamp and when it
       arrived, echoed as origin and receive in our next packet. */
    NTP_Timestamp peer_org, peer_rec;
    /* Symmetric modes: our last few transmissions. With iburst or unequal
       polls the peer's packet may answer one before our latest; its
       origin must still match one of ours exactly. */
    NTP_Timestamp sent_wire[SYM_HISTORY];
    struct timespec sent_local[SYM_HISTORY];
    unsigned sent_next;
    double bdelay;           /* broadcast client: round trip from the volley (s) */
    int owns_sock;           /* the socket is ours (not a server socket) */
    int dissolve;            /* ephemeral and gone: the engine removes it */

    /* Peer variables from its last accepted packet. */
    int leap, stratum, precision;
    double root_delay, root_dispersion;
    uint32_t refid;
    NTP_Timestamp reference_time;
    NTP_Timestamp last_update;
    char kiss[5];

    FLT_Filter filter;
    uint64_t sent, received, rejected;
    PEER_SelStatus select;
    int jumped;              /* filter accepted a confirmed jump, not yet used */
    double last_forced_burst;  /* scheduler s of the last PEER_Burst, 0 if none */
    unsigned auth_failures;  /* consecutive packets without a valid MAC */
    int poll_floor;          /* log2 s the poll may not go below (RATE KoD, losses) */
    unsigned polls;          /* regular polls since start or the last raise */
    RCL_Instance rcl;        /* a reference clock's instance, else NULL */
};

/* Authentication hooks (the engine's keys): append a MAC for key `key_id`
   to the `len`-octet packet in `buf` (room `size`), returning the new
   length or 0; verify a received packet's MAC against `key_id`. */
static size_t (*packet_auth)(uint32_t key_id, uint8_t *buf, size_t len, size_t size);
static int (*packet_verify)(uint32_t key_id, const NIO_Datagram *d, const NTP_Packet *pkt);

void PEER_SetAuthHooks(size_t (*auth)(uint32_t, uint8_t *, size_t, size_t),
                       int (*verify)(uint32_t, const NIO_Datagram *, const NTP_Packet *))
{
    packet_auth = auth;
    packet_verify = verify;
}

static double jump_threshold = 0.128;

static double no_phase(double t)
{
    (void)t;
    return 0.0;
}

/* Phase corrections applied to the local clock by time t (the discipline's
   DSC_PhaseAt in the daemon): samples taken at different times are
   compared and reported as of now through it. */
static double (*phase_at)(double t) = no_phase;

void PEER_SetPhaseSource(double (*fn)(double t))
{
    phase_at = fn ? fn : no_phase;
    RCL_SetPhaseSource(fn);
}

void PEER_SetJumpThreshold(double threshold)
{
    jump_threshold = threshold;
}

/* A request in flight during a step of the local clock would measure across
   it, so its reply is dropped. (Stored samples need no change: their phase
   field accounts for the step.) */
static void clock_stepped(double offset, void *arg)
{
    PEER_Instance p = arg;

    (void)offset;
    p->xmt_wire = 0;
    memset(p->sent_wire, 0, sizeof p->sent_wire);
}

static void poll_timeout(void *arg);

static const char *peer_name(PEER_Instance p, char *buf, size_t len)
{
    char addr[ADDR_STRLEN];

    if (!p->addr.len || p->params.refclock.type)
        snprintf(buf, len, "%s", p->host);
    else if (ADDR_Parse(p->host, 0, &(NTP_Addr){ 0 }) == 0)
        snprintf(buf, len, "%s", ADDR_ToString(&p->addr, addr, sizeof addr));
    else
        snprintf(buf, len, "%s (%s)", p->host, ADDR_ToString(&p->addr, addr, sizeof addr));
    return buf;
}

static int clamp_poll(PEER_Instance p, int poll)
{
    if (poll < p->params.minpoll)
        return p->params.minpoll;
    if (poll > p->params.maxpoll)
        return p->params.maxpoll;
    return poll;
}

PEER_Instance PEER_Create(uint32_t assoc_id, const PEER_Params *params,
                          PEER_UpdateHandler on_update, void *arg)
{
    PEER_Instance p = MEM_New(struct PEER_Record);

    p->assoc_id = assoc_id;
    p->params = *params;
    p->host = MEM_Strdup(params->host);
    p->params.host = p->host;
    p->on_update = on_update;
    p->update_arg = arg;
    p->hpoll = params->minpoll;
    p->stratum = NTP_STRATUM_UNSYNC;
    p->leap = NTP_LEAP_UNSYNC;
    FLT_Reset(&p->filter);
    CLK_AddStepHandler(clock_stepped, p);
    return p;
}

void PEER_Destroy(PEER_Instance p)
{
    if (!p)
        return;
    CLK_RemoveStepHandler(clock_stepped, p);
    SCH_RemoveTimer(p->poll_timer);
    RCL_Destroy(p->rcl);
    if (p->owns_sock)
        NIO_Close(p->sock);
    free(p->host);
    free(p);
}

uint32_t PEER_GetAssocId(PEER_Instance p)
{
    return p->assoc_id;
}

const char *PEER_GetHost(PEER_Instance p)
{
    return p->host;
}

static void schedule_poll(PEER_Instance p, double delay)
{
    SCH_RemoveTimer(p->poll_timer);
    p->poll_timer = SCH_AddTimer(delay, poll_timeout, p);
}

/* Next regular poll: 2^hpoll s, less up to 1/16 at random so that many
   clients started together do not poll a server in lockstep. */
static double poll_delay(PEER_Instance p)
{
    int poll = p->hpoll;

    /* Symmetric peers each answer the other's last packet, so the faster
       one sets the pace (RFC 5905 poll_update: min(hpoll, ppoll)), never
       below our minpoll. */
    if ((p->params.mode == NTP_MODE_SYM_ACTIVE || p->params.mode == NTP_MODE_SYM_PASSIVE) &&
        p->ppoll > 0 && p->ppoll < poll)
        poll = p->ppoll < p->params.minpoll ? p->params.minpoll : p->ppoll;
    double interval = ldexp(1.0, poll);
    return interval - interval / 16.0 * (random() / (double)RAND_MAX);
}

static void rx_handler(const NIO_Datagram *d, void *arg);

/* Refclocks: polls at 2^hpoll s once the filter has a few samples; until
   then every PEER_BURST_INTERVAL s, so a reference clock is usable within
   seconds of the start, as iburst makes a server. */
#define REFCLOCK_STARTUP_SAMPLES 4

static void start_refclock(PEER_Instance p, const NTP_Addr *addr)
{
    char name[300];

    if (!p->rcl)
        p->rcl = RCL_Create(&p->params.refclock);
    if (!p->rcl) {
        LOG(LOGS_ERR, "association %u: no driver for reference clock %s", p->assoc_id, p->host);
        return;
    }
    p->addr = *addr;
    p->unreach = 0;
    p->stratum = RCL_GetStratum(p->rcl);
    p->precision = RCL_GetPrecision(p->rcl);
    p->refid = RCL_GetRefId(p->rcl);
    LOG(LOGS_INFO, "association %u: reference clock %s, stratum %d, filtered sample every "
        "%d s%s", p->assoc_id, peer_name(p, name, sizeof name), p->stratum, 1 << p->hpoll,
        p->params.noselect ? " (noselect)" : "");
    schedule_poll(p, PEER_BURST_INTERVAL);
}

void PEER_SetAddress(PEER_Instance p, const NTP_Addr *addr)
{
    char name[300];
    NIO_Socket sock;

    if (p->addr.len && ADDR_Equal(&p->addr, addr)) {
        p->unreach = 0;
        return;
    }
    if (p->params.refclock.type) {
        start_refclock(p, addr);
        return;
    }
    /* Client mode (and a broadcast client's delay volley) polls from a
       socket of its own on an ephemeral port; symmetric and broadcast
       modes must speak from the NTP port, so they use the server socket
       and the engine hands their packets over. */
    int own = p->params.mode == NTP_MODE_CLIENT || p->params.mode == PEER_MODE_BCLIENT;
    sock = own ? NIO_OpenClient(addr, &p->params.local, rx_handler, p)
               : NIO_ServerSocket(ADDR_Family(addr));
    if (!sock) {
        if (!own) {
            char text[ADDR_STRLEN];
            LOG(LOGS_ERR, "association %u: no NTP socket for the address family of %s",
                p->assoc_id, ADDR_ToString(addr, text, sizeof text));
        }
        return;   /* logged; the engine retries the name later */
    }
    if (p->owns_sock)
        NIO_Close(p->sock);
    p->sock = sock;
    p->owns_sock = own;
    p->addr = *addr;
    p->unreach = 0;
    p->xmt_wire = 0;
    LOG(LOGS_INFO, "association %u: %s %s, %s every %d s%s", p->assoc_id,
        PEER_ModeName(p->params.mode), peer_name(p, name, sizeof name),
        p->params.mode == PEER_MODE_BCLIENT ? "expecting broadcasts" : "polling",
        1 << p->hpoll, p->params.iburst ? " (iburst)" : "");
    if (p->params.iburst || p->params.mode == PEER_MODE_BCLIENT)
        p->burst = PEER_BURST_COUNT;
    /* First poll soon, but not all associations at the same instant. */
    schedule_poll(p, 0.5 * random() / (double)RAND_MAX);
}

int PEER_Burst(PEER_Instance p, int count, double min_interval)
{
    double now = SCH_Monotonic(), wait = 0.0;

    /* A reference clock samples continuously: nothing to re-measure. */
    if (!p->addr.len || p->stopped || count < 1 || p->rcl)
        return 0;
    if (count >= PEER_BURST_COUNT)
        count = PEER_BURST_COUNT - 1;
    if (p->burst > 0) {
        /* Already measuring: make sure it lasts long enough. */
        if (p->burst < count)
            p->burst = count;
        return 1;
    }
    /* Too soon after the last forced burst: start it as soon as allowed
       rather than drop it, so a second jump shortly after the first is
       still seen quickly. */
    if (p->last_forced_burst > 0 && now - p->last_forced_burst < min_interval)
        wait = p->last_forced_burst + min_interval - now;
    p->last_forced_burst = now + wait;
    p->burst = count;
    schedule_poll(p, wait + 0.1 + 0.4 * random() / (double)RAND_MAX);
    return 1;
}

int PEER_WantsResolve(PEER_Instance p)
{
    return p->addr.len && ADDR_Parse(p->host, 0, &(NTP_Addr){ 0 }) < 0 &&
           p->unreach >= 2 * PEER_UNREACH_BACKOFF;
}

const char *PEER_ModeName(int mode)
{
    switch (mode) {
    case NTP_MODE_SYM_ACTIVE: return "symmetric active";
    case NTP_MODE_SYM_PASSIVE: return "symmetric passive";
    case NTP_MODE_CLIENT: return "server";
    case NTP_MODE_BROADCAST: return "broadcast to";
    case PEER_MODE_BCLIENT: return "broadcast server";
    }
    return "?";
}

/* The mode of the packets this association sends. */
static int wire_mode(PEER_Instance p)
{
    return p->params.mode == PEER_MODE_BCLIENT ? NTP_MODE_CLIENT : p->params.mode;
}

static void transmit(PEER_Instance p)
{
    NTP_Packet pkt = { 0 };
    const SYS_Vars *sys = SYS_Get();
    uint8_t buf[NTP_MAX_PACKET_LEN];
    size_t len;

    pkt.leap = sys->leap;
    pkt.version = p->params.version;
    pkt.mode = wire_mode(p);
    pkt.stratum = sys->stratum;
    pkt.poll = p->hpoll;
    pkt.precision = sys->precision;
    pkt.root_delay = NTS_ShortFromDouble(sys->root_delay);
    pkt.root_dispersion = NTS_ShortFromDouble(SYS_RootDispersionNow(SCH_Monotonic()));
    pkt.refid = sys->refid;
    pkt.reference = sys->reference_time;
    /* Symmetric modes echo the peer's last transmit time and when it
       arrived (RFC 5905 peer org/rec); a client's and a broadcaster's
       origin and receive fields carry nothing. */
    if (pkt.mode == NTP_MODE_SYM_ACTIVE || pkt.mode == NTP_MODE_SYM_PASSIVE) {
        pkt.origin = p->peer_org;
        pkt.receive = p->peer_rec;
    }
    /* The transmit timestamp is read as late as possible; never zero (a
       reply with a zero origin would look like "nothing outstanding"). */
    CLK_ReadTime(&p->xmt_local);
    pkt.transmit = NTS_FromTimespec(&p->xmt_local);
    if (!pkt.transmit)
        pkt.transmit = 1;
    len = PKT_Encode(&pkt, buf);
    if (p->params.key) {
        len = packet_auth ? packet_auth(p->params.key, buf, len, sizeof buf) : 0;
        if (!len) {
            LOG(LOGS_ERR, "association %u: key %u is not available: packet not sent",
                p->assoc_id, (unsigned)p->params.key);
            return;
        }
    }
    p->xmt_wire = pkt.transmit;
    p->last_xmt = pkt.transmit;
    p->sent_wire[p->sent_next % SYM_HISTORY] = pkt.transmit;
    p->sent_local[p->sent_next % SYM_HISTORY] = p->xmt_local;
    p->sent_next++;
    p->sent++;
    NIO_Send(p->sock, &p->addr, buf, len);
}

static void set_reachable(PEER_Instance p, int reachable)
{
    char name[300];

    if (p->reachable == reachable)
        return;
    p->reachable = reachable;
    if (reachable)
        LOG(LOGS_INFO, "association %u: %s is reachable", p->assoc_id,
            peer_name(p, name, sizeof name));
    else
        LOG(LOGS_WARN, "association %u: %s is unreachable (no reply to the last 8 polls)",
            p->assoc_id, peer_name(p, name, sizeof name));
    EVT_Emit(&(EVT_Event){
        .type = reachable ? EVT_PEER_REACHABLE : EVT_PEER_UNREACHABLE,
        .assoc_id = p->assoc_id,
        .addr = p->addr,
        .configured = p->params.configured,
        .prefer = p->params.prefer,
        .reach = p->reach,
    });
}

static void take_sample(PEER_Instance p, double offset, double delay, double dispersion,
                        double now);

/* A reference clock's poll: the reach register shifts as for a server, and
   the samples the driver collected since the last poll, median-filtered,
   are this poll's "reply". */
static void refclock_poll(PEER_Instance p)
{
    double now = SCH_Monotonic();
    RCL_Sample s;

    p->reach <<= 1;
    p->unreach++;
    p->sent++;
    p->polls++;
    p->hpoll = clamp_poll(p, SYS_Get()->poll);
    schedule_poll(p, p->received < REFCLOCK_STARTUP_SAMPLES ? PEER_BURST_INTERVAL
                                                             : ldexp(1.0, p->hpoll));
    if (!RCL_GetSample(p->rcl, now, &s)) {
        if (p->reach == 0)
            set_reachable(p, 0);
        return;
    }
    struct timespec local;
    CLK_ReadTime(&local);
    p->received++;
    p->reach |= 1;
    p->unreach = 0;
    set_reachable(p, 1);
    p->leap = s.leap;
    p->stratum = RCL_GetStratum(p->rcl);
    p->precision = RCL_GetPrecision(p->rcl);
    p->refid = RCL_GetRefId(p->rcl);
    p->root_delay = 0.0;
    p->root_dispersion = 0.0;
    p->reference_time = NTS_FromTimespec(&s.ref_time);
    p->last_rec = NTS_FromTimespec(&local);
    p->last_rx_xmt = p->reference_time;
    /* (Not a packet: CNT's packet counters stay out of it; the refclock's
       own status line counts its samples.) No round trip: the delay is the clock's precision (the filter's
       choice by delay then falls on the newest sample). */
    take_sample(p, s.offset, CLK_GetPrecision(), s.dispersion, now);
}

static void poll_timeout(void *arg)
{
    PEER_Instance p = arg;

    p->poll_timer = NULL;
    if (p->stopped)
        return;
    if (p->rcl) {
        refclock_poll(p);
        return;
    }

    if (p->params.mode == NTP_MODE_BROADCAST) {
        /* A broadcaster only sends; nobody answers, so no reach register. */
        transmit(p);
        schedule_poll(p, ldexp(1.0, p->hpoll));
        return;
    }

    if (p->burst > 0 && p->burst < PEER_BURST_COUNT) {
        /* Inside a burst: send without shifting the reach register. */
        p->burst--;
        transmit(p);
        schedule_poll(p, p->burst > 0 ? PEER_BURST_INTERVAL : poll_delay(p));
        return;
    }

    uint8_t old_reach = p->reach;
    p->reach <<= 1;
    p->unreach++;

    /* RFC 5905 shifts a dummy sample of MAXDISP dispersion into the filter
       after three unanswered polls. cntpd does not: on a lossy path (an
       upstream that rate-limits UDP) those dummies push the source's
       distance past maxdist again and again and synchronisation flaps. A
       silent source still becomes unfit when the reach register empties,
       and its dispersion grows at PHI meanwhile. */
    if (p->reach == 0) {
        if (old_reach) {
            set_reachable(p, 0);
            if (p->params.iburst)
                p->burst = PEER_BURST_COUNT;
            /* Passive and broadcast-client associations exist only while
               the other side talks to us (RFC 5905 ephemeral). */
            if (!p->params.configured &&
                (p->params.mode == NTP_MODE_SYM_PASSIVE || p->params.mode == PEER_MODE_BCLIENT)) {
                p->dissolve = 1;
                return;
            }
        }
        /* A peer that stays silent is polled less and less often. */
        if (p->unreach >= PEER_UNREACH_BACKOFF && p->hpoll < p->params.maxpoll)
            p->hpoll++;
    } else {
        /* A server that answers fewer than half of the last eight polls
           is probably rate-limiting us (the field report: an upstream
           that silently drops UDP): poll it half as often each time, rather
           than keep knocking; a full register lifts the floor again. */
        int answered = __builtin_popcount(p->reach);
        if (p->polls >= 8 && answered < 4 && p->poll_floor < p->params.maxpoll) {
            char name[300];
            p->poll_floor = (p->poll_floor > p->hpoll ? p->poll_floor : p->hpoll) + 1;
            if (p->poll_floor > p->params.maxpoll)
                p->poll_floor = p->params.maxpoll;
            p->polls = 0;
            LOG(LOGS_WARN, "association %u: %s answered only %d of the last 8 polls: poll "
                "interval raised to %d s", p->assoc_id, peer_name(p, name, sizeof name),
                answered, 1 << p->poll_floor);
        } else if (p->reach == 0xff) {
            p->poll_floor = 0;
        }
        /* A broadcast client expects packets at the broadcaster's pace;
           everything else follows the system poll. */
        p->hpoll = clamp_poll(p, p->params.mode == PEER_MODE_BCLIENT && p->ppoll > 0
                                     ? p->ppoll : SYS_Get()->poll);
        if (p->hpoll < p->poll_floor)
            p->hpoll = p->poll_floor;
        if (p->params.burst && p->burst == 0)
            p->burst = PEER_BURST_COUNT;
    }
    p->polls++;

    if (p->burst == PEER_BURST_COUNT)
        p->burst--;    /* this poll is the burst's first packet */
    /* A broadcast client listens; it sends only its delay volley. */
    if (p->params.mode != PEER_MODE_BCLIENT || p->burst > 0 || p->bdelay <= 0)
        transmit(p);
    schedule_poll(p, p->burst > 0 ? PEER_BURST_INTERVAL : poll_delay(p));
}

static void handle_kiss(PEER_Instance p, const NTP_Packet *pkt)
{
    char code[5] = "";
    char name[300];

    CNT.rx_kod++;
    PKT_KissCode(pkt, code);
    memcpy(p->kiss, code, sizeof p->kiss);
    if (!strcmp(code, "RATE")) {
        /* The server asks us to poll less often: never faster than it says
           and at least one step slower than now. */
        int want = pkt->poll > p->hpoll ? pkt->poll : p->hpoll + 1;
        p->hpoll = want > p->params.maxpoll ? p->params.maxpoll : want;
        /* Keep it there: the next answered poll must not undo it. */
        p->poll_floor = p->hpoll;
        p->burst = 0;
        LOG(LOGS_WARN, "association %u: %s sent RATE kiss-o'-death, poll now %d s", p->assoc_id,
            peer_name(p, name, sizeof name), 1 << p->hpoll);
        schedule_poll(p, poll_delay(p));
    } else if (!strcmp(code, "DENY") || !strcmp(code, "RSTR")) {
        p->stopped = 1;
        SCH_RemoveTimer(p->poll_timer);
        p->poll_timer = NULL;
        LOG(LOGS_ERR, "association %u: %s refuses service (%s kiss-o'-death): polling stopped",
            p->assoc_id, peer_name(p, name, sizeof name), code);
    } else {
        DEBUG_LOG("association %u: kiss code '%s' ignored", p->assoc_id, code);
    }
}

static void rx_handler(const NIO_Datagram *d, void *arg)
{
    PEER_Instance p = arg;
    NTP_Packet pkt;
    PKT_Status st = PKT_Decode(d->data, d->len, &pkt);

    if (st != PKT_OK) {
        CNT.rx_malformed++;
        DEBUG_LOG("association %u: malformed packet (%s)", p->assoc_id, PKT_StatusName(st));
        return;
    }
    PEER_Receive(p, d, &pkt);
}

/* The checks before a packet may touch the association: mode, and
   authentication when the association has a key. */
static int acceptable(PEER_Instance p, const NIO_Datagram *d, const NTP_Packet *pkt)
{
    int mode = p->params.mode, ok;

    switch (mode) {
    case NTP_MODE_CLIENT:
        ok = pkt->mode == NTP_MODE_SERVER;
        break;
    case NTP_MODE_SYM_ACTIVE:
    case NTP_MODE_SYM_PASSIVE:
        ok = pkt->mode == NTP_MODE_SYM_ACTIVE || pkt->mode == NTP_MODE_SYM_PASSIVE;
        break;
    case PEER_MODE_BCLIENT:
        ok = pkt->mode == NTP_MODE_BROADCAST || pkt->mode == NTP_MODE_SERVER;
        break;
    default:
        ok = 0;
    }
    if (!ok) {
        CNT.rx_bad_mode++;
        return 0;
    }
    if (p->params.key && !(packet_verify && packet_verify(p->params.key, d, pkt))) {
        CNT.rx_auth_failed++;
        p->rejected++;
        p->auth_failures++;
        if (p->auth_failures == 1 || LOG_DebugEnabled()) {
            char name[300];
            LOG(LOGS_WARN, "association %u: %s: packet without a valid MAC for key %u "
                "rejected", p->assoc_id, peer_name(p, name, sizeof name),
                (unsigned)p->params.key);
        }
        return 0;
    }
    return 1;
}

void PEER_Receive(PEER_Instance p, const NIO_Datagram *d, const NTP_Packet *pkt_in)
{
    NTP_Packet pkt = *pkt_in;
    const double now = SCH_Monotonic();
    NTP_Timestamp t4 = NTS_FromTimespec(&d->rx_time);
    int broadcast = pkt.mode == NTP_MODE_BROADCAST;
    int symmetric = pkt.mode == NTP_MODE_SYM_ACTIVE || pkt.mode == NTP_MODE_SYM_PASSIVE;
    struct timespec sent_local = p->xmt_local;   /* T1 of the packet answered */

    /* A packet "from" 127.127.T.U (anyone on loopback can send one) is
       not the reference clock. */
    if (p->rcl) {
        p->rejected++;
        CNT.rx_rejected++;
        return;
    }
    if (!acceptable(p, d, &pkt))
        return;

    PKT_Test t;
    if (broadcast) {
        /* Nothing of ours is echoed: only replay and sanity tests. */
        t = PKT_CheckReply(&pkt, pkt.origin, p->last_rx_xmt);
    } else {
        if (symmetric && pkt.transmit && pkt.transmit != p->last_rx_xmt) {
            /* Whatever the tests say, echo this packet's transmit time in
               our next one, so a peer that restarted resynchronises. */
            p->peer_org = pkt.transmit;
            p->peer_rec = t4;
        }
        NTP_Timestamp expected = p->xmt_wire;
        sent_local = p->xmt_local;
        if (symmetric) {
            for (unsigned k = 0; k < SYM_HISTORY; k++) {
                if (pkt.origin && p->sent_wire[k] == pkt.origin) {
                    expected = p->sent_wire[k];
                    sent_local = p->sent_local[k];
                }
            }
        }
        t = PKT_CheckReply(&pkt, expected, p->last_rx_xmt);
        /* A symmetric peer's first packet, before it has heard from us,
           has a zero origin: not bogus, just nothing to measure yet. */
        if (symmetric && t == PKT_TEST_BOGUS && pkt.origin == 0)
            t = PKT_TEST_UNSYNC;
    }
    if (t == PKT_TEST_KISS && !broadcast && pkt.origin == p->xmt_wire) {
        handle_kiss(p, &pkt);
        return;
    }
    /* Protocol failures (replay, not a reply to us, zero transmit) say
       nothing about the peer; header failures (unsynchronised, too far,
       bad reference time) come from a live peer: reachable, no sample. */
    int header_only = t == PKT_TEST_UNSYNC || t == PKT_TEST_DISTANCE || t == PKT_TEST_REFTIME;
    if (t != PKT_TEST_PASS && !header_only) {
        CNT.rx_rejected++;
        p->rejected++;
        DEBUG_LOG("association %u: packet rejected: %s", p->assoc_id, PKT_TestName(t));
        return;
    }

    p->last_rx_xmt = pkt.transmit;
    /* A client takes one reply per request (a second copy is bogus). A
       symmetric peer may send several packets between two of ours, each
       echoing our last one: every one is a valid measurement, since its
       receive timestamp still dates our packet (RFC 5905 basic mode). */
    if (!broadcast && !symmetric)
        p->xmt_wire = 0;
    p->received++;
    p->reach |= 1;
    p->unreach = 0;
    p->kiss[0] = '\0';
    p->auth_failures = 0;
    set_reachable(p, 1);

    p->leap = pkt.leap;
    p->stratum = pkt.stratum;
    p->precision = pkt.precision;
    p->ppoll = pkt.poll;
    p->root_delay = NTS_ShortToDouble(pkt.root_delay);
    p->root_dispersion = NTS_ShortToDouble(pkt.root_dispersion);
    p->refid = pkt.refid;
    p->reference_time = pkt.reference;
    p->last_rec = t4;

    if (header_only) {
        CNT.rx_unsynced++;
        DEBUG_LOG("association %u: no sample: %s", p->assoc_id, PKT_TestName(t));
        return;
    }
    CNT.rx_accepted++;

    double precision = CLK_GetPrecision();
    double offset, delay, dispersion;
    if (broadcast) {
        /* One-way: the server's transmit time plus half the round trip
           measured by the volley, against our arrival time. */
        if (p->bdelay <= 0) {
            /* The volley found the server unsynchronised (or got no
               answer): measure the delay again now that it broadcasts
               usable time, rather than wait a whole poll interval. */
            DEBUG_LOG("association %u: broadcast before the delay is known", p->assoc_id);
            if (p->burst == 0) {
                p->burst = PEER_BURST_COUNT;
                schedule_poll(p, 0.1);
            }
            return;
        }
        delay = p->bdelay;
        offset = NTS_Diff(pkt.transmit, t4) + delay / 2.0;
        dispersion = ldexp(1.0, pkt.precision) + precision + FLT_PHI * 2.0 * delay;
        /* A broadcaster's poll sets how often we expect it. */
        if (pkt.poll >= p->params.minpoll && pkt.poll <= p->params.maxpoll)
            p->hpoll = pkt.poll;
    } else {
        /* T1 our transmit, T2 peer receive, T3 peer transmit, T4 our
           receive. offset = ((T2 - T1) + (T3 - T4)) / 2 (positive: we are
           behind), delay = (T4 - T1) - (T3 - T2). Differences of 64-bit
           NTP timestamps stay exact and era-safe. */
        NTP_Timestamp t1 = NTS_FromTimespec(&sent_local);
        offset = (NTS_Diff(pkt.receive, t1) + NTS_Diff(pkt.transmit, t4)) / 2.0;
        delay = NTS_Diff(t4, t1) - NTS_Diff(pkt.transmit, pkt.receive);
        dispersion = ldexp(1.0, pkt.precision) + precision + FLT_PHI * NTS_Diff(t4, t1);
        if (delay < precision)
            delay = precision;
        if (p->params.mode == PEER_MODE_BCLIENT) {
            /* The volley's shortest round trip calibrates the broadcasts. */
            if (p->bdelay <= 0 || delay < p->bdelay)
                p->bdelay = delay;
        }
    }
    p->last_update = t4;
    take_sample(p, offset, delay, dispersion, now);
}

/* A measurement of this association at scheduler time `now` goes through
   its clock filter; selection runs after it. */
static void take_sample(PEER_Instance p, double offset, double delay, double dispersion,
                        double now)
{
    double precision = CLK_GetPrecision();

    if (p->rcl) {
        struct timespec ts;
        CLK_ReadTime(&ts);
        p->last_update = NTS_FromTimespec(&ts);
    }
    DEBUG_LOG("association %u: offset %+.9f delay %.9f dispersion %.9f", p->assoc_id, offset,
              delay, dispersion);

    FLT_Result r = FLT_AddSample(&p->filter, offset, delay, dispersion, phase_at(now), now,
                                 precision, ldexp(1.0, p->hpoll), jump_threshold);
    if (r == FLT_JUMP) {
        char name[300];
        p->jumped = 1;
        LOG(LOGS_WARN, "association %u: %s: offset jumped to %+.6f s, confirmed by %d "
            "consecutive samples", p->assoc_id, peer_name(p, name, sizeof name), p->filter.offset,
            FLT_JUMP_CONFIRM);
    }
    if (r == FLT_SPIKE) {
        char name[300];
        LOG(LOGS_INFO, "association %u: %s: popcorn spike %+.6f s suppressed (jitter %.6f s)",
            p->assoc_id, peer_name(p, name, sizeof name), offset, p->filter.jitter);
    } else if (p->on_update && p->filter.have_sample) {
        /* Selection runs after every accepted sample: with a new filter
           output the clock may be updated (before the first
           synchronisation any sample goes, RFC 5905 "anything goes before
           first synchronized"); otherwise only the dispersion that
           changed is refreshed. */
        int fresh = r == FLT_UPDATED || r == FLT_JUMP || SYS_Get()->leap == NTP_LEAP_UNSYNC;
        p->on_update(p, fresh, p->update_arg);
    }
}

int PEER_GetMode(PEER_Instance p)
{
    return p->params.mode;
}

int PEER_IsConfigured(PEER_Instance p)
{
    return p->params.configured;
}

const NTP_Addr *PEER_GetAddress(PEER_Instance p)
{
    return &p->addr;
}

int PEER_ShouldDissolve(PEER_Instance p)
{
    return p->dissolve;
}

double PEER_RootDistance(PEER_Instance p, double now)
{
    if (!p->filter.have_sample)
        return FLT_MAXDISP;
    double delay = p->filter.delay + p->root_delay;
    /* MINDISP floor as RFC 5905: never claim better than 1 ms / 2. */
    if (delay < 0.001)
        delay = 0.001;
    return delay / 2.0 + FLT_Dispersion(&p->filter, now) + p->root_dispersion +
           p->filter.jitter;
}

void PEER_ParamsReport(uint32_t assoc_id, const PEER_Params *params, PEER_Report *r)
{
    memset(r, 0, sizeof *r);
    r->assoc_id = assoc_id;
    snprintf(r->host, sizeof r->host, "%s", params->host ? params->host : "");
    r->local = params->local;
    r->mode = params->mode;
    r->configured = params->configured;
    r->prefer = params->prefer;
    r->noselect = params->noselect;
    r->key = params->key;
    r->refclock_type = params->refclock.type;
    r->iburst = params->iburst;
    r->burst = params->burst;
    r->version = params->version;
    r->minpoll = params->minpoll;
    r->maxpoll = params->maxpoll;
    r->hpoll = params->minpoll;
    r->leap = NTP_LEAP_UNSYNC;
    r->stratum = NTP_STRATUM_UNSYNC;
    r->select = PEER_SEL_REJECT;
}

void PEER_GetReport(PEER_Instance p, PEER_Report *r)
{
    PEER_ParamsReport(p->assoc_id, &p->params, r);
    r->addr = p->addr;
    r->hpoll = p->hpoll;
    r->ppoll = p->ppoll;
    r->reach = p->reach;
    r->unreach = p->unreach;
    r->reachable = p->reachable;
    r->leap = p->leap;
    r->stratum = p->stratum;
    r->precision = p->precision;
    r->root_delay = p->root_delay;
    r->root_dispersion = p->root_dispersion;
    r->refid = p->refid;
    r->reference_time = p->reference_time;
    r->last_update = p->last_update;
    r->org = p->last_rx_xmt;
    r->rec = p->last_rec;
    r->xmt = p->last_xmt;
    NIO_LocalAddress(p->sock, &r->local);
    r->have_sample = p->filter.have_sample;
    r->offset = p->filter.offset;
    r->delay = p->filter.delay;
    r->dispersion = FLT_Dispersion(&p->filter, SCH_Monotonic());
    r->jitter = p->filter.jitter;
    r->filter = p->filter;
    r->sent = p->sent;
    r->received = p->received;
    r->rejected = p->rejected;
    memcpy(r->kiss, p->kiss, sizeof r->kiss);
    r->select = p->select;
}

void PEER_GetSelectInfo(PEER_Instance p, double now, PEER_SelectInfo *info)
{
    memset(info, 0, sizeof *info);
    /* RFC 5905 fit(): a reachable peer with a sample, synchronised, below
       stratum 16; the distance test is selection's (it knows maxdist). */
    info->fit = p->reach != 0 && p->filter.have_sample && !p->stopped &&
                p->leap != NTP_LEAP_UNSYNC && p->stratum < NTP_STRATUM_UNSYNC &&
                !p->params.noselect;
    info->prefer = p->params.prefer;
    info->stratum = p->stratum;
    info->leap = p->leap;
    /* The sample in use may be several polls old: bring it to now by
       what the discipline has slewed or stepped since. */
    info->offset = p->filter.offset + p->filter.phase - phase_at(now);
    info->delay = p->filter.delay;
    info->dispersion = FLT_Dispersion(&p->filter, now);
    info->jitter = p->filter.jitter;
    info->root_delay = p->root_delay;
    info->root_dispersion = p->root_dispersion;
    info->root_distance = PEER_RootDistance(p, now);
    info->epoch = p->filter.epoch;
    info->jumped = p->jumped;
    const FLT_Stage *newest = FLT_GetStage(&p->filter, 0);
    info->newest_epoch = newest ? newest->epoch : -1.0;
    info->newest_offset = newest ? newest->offset + newest->phase - phase_at(now) : 0.0;
    info->newest_delay = newest ? newest->delay : 0.0;
    info->last_rx_ntp = p->last_rec >> 32;
    info->min_delay = info->newest_delay;
    for (int age = 1; age < FLT_STAGES; age++) {
        const FLT_Stage *st = FLT_GetStage(&p->filter, age);
        if (st && st->dispersion < FLT_MAXDISP && st->delay < info->min_delay)
            info->min_delay = st->delay;
    }
    /* A primary server's refid names its reference (GPS, PPS, LOCL);
       above stratum 1 the refid names the server itself (RFC 5905 §7.3). */
    info->refid = ADDR_RefId(&p->addr);
    info->refclock_type = p->params.refclock.type;
    info->last_resort = p->params.refclock.type == RCL_TYPE_LOCAL;
    /* A reference clock names itself: GPS, PPS, SHM, LOCL (or the
       fudged refid), at whatever stratum it is configured. */
    if (p->rcl)
        info->refid = RCL_GetRefId(p->rcl);
}

void PEER_SetSelectStatus(PEER_Instance p, PEER_SelStatus status)
{
    p->select = status;
}

PEER_SelStatus PEER_GetSelectStatus(PEER_Instance p)
{
    return p->select;
}

void PEER_ClearJump(PEER_Instance p)
{
    p->jumped = 0;
}

void PEER_ClearFilter(PEER_Instance p)
{
    FLT_Reset(&p->filter);
    p->last_rx_xmt = 0;
}
