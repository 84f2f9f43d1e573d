/* engine — see engine.h. */
#include "engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "log.h"
#include "mem.h"
#include "ntp_io.h"
#include "ntp_pkt.h"
#include "peer.h"
#include "resolve.h"
#include "sched.h"
#include "server.h"
#include "sysvars.h"

/* Name resolution retry: first after 2 s, doubling to at most 1024 s, so a
   daemon started before the network or DNS is up finds its servers soon
   after they appear without hammering the resolver. */
#define RESOLVE_RETRY_MIN 2.0
#define RESOLVE_RETRY_MAX 1024.0
/* How often associations are checked for a wanted re-resolution. */
#define RESOLVE_CHECK_INTERVAL 64.0

typedef struct Assoc {
    PEER_Instance peer;
    uint16_t port;
    RES_Request resolving;
    SCH_Timer retry;
    double retry_interval;
    struct Assoc *next;
} Assoc;

static Assoc *assocs;            /* in AssocId order */
static uint32_t last_assoc_id;
static SCH_Timer resolve_check;

static void start_resolve(Assoc *a);

static void resolved(const NTP_Addr *addr, const char *error, void *arg)
{
    Assoc *a = arg;

    a->resolving = NULL;
    if (!addr) {
        LOG(LOGS_WARN, "association %u: cannot resolve %s: %s; retrying in %.0f s",
            PEER_GetAssocId(a->peer), PEER_GetHost(a->peer), error, a->retry_interval);
        a->retry = SCH_AddTimer(a->retry_interval, (SCH_TimerHandler)start_resolve, a);
        a->retry_interval = fmin(a->retry_interval * 2.0, RESOLVE_RETRY_MAX);
        return;
    }
    a->retry_interval = RESOLVE_RETRY_MIN;
    PEER_SetAddress(a->peer, addr);
}

static void start_resolve(Assoc *a)
{
    a->retry = NULL;
    a->resolving = RES_Resolve(PEER_GetHost(a->peer), a->port, resolved, a);
}

static void check_resolve(void *arg)
{
    (void)arg;
    resolve_check = SCH_AddTimer(RESOLVE_CHECK_INTERVAL, check_resolve, NULL);
    for (Assoc *a = assocs; a; a = a->next) {
        if (!a->resolving && !a->retry && PEER_WantsResolve(a->peer)) {
            LOG(LOGS_INFO, "association %u: %s unreachable for long, resolving it again",
                PEER_GetAssocId(a->peer), PEER_GetHost(a->peer));
            start_resolve(a);
        }
    }
}

static void peer_updated(PEER_Instance peer, void *arg)
{
    (void)peer, (void)arg;
    /* Selection, clustering and the clock discipline hook in here. */
}

static Assoc *add_assoc(const CNF_Assoc *c)
{
    Assoc *a = MEM_New(Assoc);
    PEER_Params params = {
        .mode = NTP_MODE_CLIENT,
        .host = c->host,
        .port = c->port,
        .minpoll = c->minpoll,
        .maxpoll = c->maxpoll,
        .version = c->version,
        .iburst = c->iburst,
        .burst = c->burst,
        .prefer = c->prefer,
        .configured = 1,
    };

    a->peer = PEER_Create(++last_assoc_id, &params, peer_updated, NULL);
    a->port = c->port;
    a->retry_interval = RESOLVE_RETRY_MIN;

    Assoc **tail = &assocs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = a;
    start_resolve(a);
    return a;
}

static void server_rx(const NIO_Datagram *d, void *arg)
{
    NTP_Packet pkt;
    PKT_Status st = PKT_Decode(d->data, d->len, &pkt);

    (void)arg;
    if (st != PKT_OK) {
        CNT.rx_malformed++;
        if (LOG_DebugEnabled()) {
            char text[ADDR_STRLEN];
            DEBUG_LOG("malformed packet from %s: %s",
                      ADDR_ToString(&d->remote, text, sizeof text), PKT_StatusName(st));
        }
        return;
    }
    switch (pkt.mode) {
    case NTP_MODE_CLIENT:
        SRV_ProcessRequest(d, &pkt);
        break;
    case NTP_MODE_SERVER:
        /* Replies come in on the association's own socket. */
        CNT.rx_no_assoc++;
        break;
    default:
        CNT.rx_bad_mode++;
        break;
    }
}

int ENG_Init(const CNF_Config *cfg)
{
    if (NIO_Init(cfg->port, NULL, NULL, server_rx, NULL) < 0)
        return -1;
    RES_Init();
    for (size_t i = 0; i < cfg->n_assocs; i++)
        add_assoc(&cfg->assocs[i]);
    resolve_check = SCH_AddTimer(RESOLVE_CHECK_INTERVAL, check_resolve, NULL);
    return 0;
}

void ENG_Fini(void)
{
    while (assocs) {
        Assoc *a = assocs;
        assocs = a->next;
        RES_Cancel(a->resolving);
        SCH_RemoveTimer(a->retry);
        PEER_Destroy(a->peer);
        free(a);
    }
    SCH_RemoveTimer(resolve_check);
    resolve_check = NULL;
    RES_Fini();
    NIO_Fini();
}

void ENG_LogStatus(void)
{
    const SYS_Vars *sys = SYS_Get();
    char line[512];

    LOG(LOGS_INFO, "system: leap %d stratum %d refid %08x offset %+.9f root delay %.6f "
        "root dispersion %.6f poll %d peer %u", sys->leap, sys->stratum, (unsigned)sys->refid,
        sys->offset, sys->root_delay, SYS_RootDispersionNow(SCH_Monotonic()), sys->poll,
        (unsigned)sys->sys_peer);
    for (Assoc *a = assocs; a; a = a->next) {
        PEER_Report r;
        char addr[ADDR_STRLEN];

        PEER_GetReport(a->peer, &r);
        LOG(LOGS_INFO, "assoc %u %s addr %s stratum %d reach %03o poll %d offset %+.9f "
            "delay %.9f dispersion %.9f jitter %.9f sent %llu received %llu rejected %llu%s%s",
            (unsigned)r.assoc_id, r.host,
            r.addr.len ? ADDR_ToString(&r.addr, addr, sizeof addr) : "unresolved", r.stratum,
            r.reach, r.hpoll, r.offset, r.delay, r.dispersion, r.jitter,
            (unsigned long long)r.sent, (unsigned long long)r.received,
            (unsigned long long)r.rejected, r.kiss[0] ? " kiss " : "", r.kiss);
    }
    CNT_Format(line, sizeof line);
    LOG(LOGS_INFO, "counters: %s", line);
}
