/* engine — see engine.h. */
#include "engine.h"
#include "engine_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "auth.h"
#include "clock.h"
#include "control.h"
#include "counters.h"
#include "events.h"
#include "filter.h"
#include "keys.h"
#include "leapfile.h"
#include "leapstate.h"
#include "log.h"
#include "mem.h"
#include "mitigate.h"
#include "ntp_control.h"
#include "ntp_io.h"
#include "ntp_pkt.h"
#include "options.h"
#include "ratelimit.h"
#include "resolve.h"
#include "sched.h"
#include "server.h"


/* Name resolution retry: first after 2 s, doubling to at most 1024 s, so a
   daemon started before the network or DNS is up finds its servers soon
   after they appear without hammering the resolver. */
#define RESOLVE_RETRY_MIN 2.0
#define RESOLVE_RETRY_MAX 1024.0
/* How often associations are checked for a wanted re-resolution. */
#define RESOLVE_CHECK_INTERVAL 64.0
/* RFC 5905 MINDISP: the smallest root dispersion claimed (s). */
#define MIN_ROOT_DISPERSION 0.005
/* Host (255) + " (" + address + ")". */
#define LABEL_LEN (256 + ADDR_STRLEN + 4)


Assoc *eng_assocs;            /* in AssocId order */
size_t eng_n_assocs;
Assoc *eng_parked;            /* suspended rows, in AssocId order */
static uint32_t last_assoc_id;
/* AssocIds used and removed in this run: never handed out again. */
uint32_t *eng_retired;
size_t eng_n_retired, eng_retired_cap;
int eng_max_assocs = CNF_DEFAULT_MAXASSOC;
char *eng_state_path;         /* statedir/STATE_FILE_NAME, NULL: none */
uint32_t eng_prefer_clock;    /* the last prefer_seq handed out */
int eng_local_stratum;        /* cntpSysStratum written (1..15), 0 never */
uint64_t eng_leap_announced_at; /* when the leap announced over SNMP takes effect */
static SCH_Timer resolve_check, housekeeping, drift_timer;

/* Ephemeral associations (symmetric passive, broadcast client) at most:
   each is mobilised by a packet, so this bounds what strangers can make
   us hold. */
#define MAX_EPHEMERAL 64

static KEY_Table keys;
static uint32_t *trusted_keys;
static size_t n_trusted_keys;
static int broadcastclient;
static int have_restrict;        /* any `restrict` line configured */
static size_t n_ephemeral;
static LEAP_Table leap_table;
static int kernel_armed;          /* leap the kernel is armed with (0, 1, 2) */

static char *driftfile;
static double holdover_limit = ENG_DEFAULT_HOLDOVER;
static PEER_Instance sys_peer;
static double last_selected;     /* scheduler s a source was last selectable */
static int synchronised;
static int in_holdover;
static int exit_status;
static double start_time;
static int startup_settled;

/* Before the first synchronisation, wait until every source with an address
   has answered a few times or visibly not at all (or this long has
   passed), so the first choice — and a possible first step — is not made
   on whichever source happened to answer first. */
#define STARTUP_SAMPLES 4
#define STARTUP_WAIT_MAX 60.0
/* Extra packets sent to every source when the local clock seems to have
   jumped, and the least time between such bursts (s). */
#define CONFIRM_BURST 4
#define CONFIRM_BURST_INTERVAL 16.0

static void start_resolve(Assoc *a);

/* For a PPS refclock without a lock: may the system clock number its
   seconds? */
static int is_synchronised(void)
{
    return synchronised;
}

static const char *peer_label(PEER_Instance p, char *buf, size_t len)
{
    PEER_Report r;
    char addr[ADDR_STRLEN];

    PEER_GetReport(p, &r);
    if (r.addr.len && strcmp(r.host, ADDR_HostString(&r.addr, addr, sizeof addr)) != 0)
        snprintf(buf, len, "%s (%s)", r.host, addr);
    else
        snprintf(buf, len, "%s", r.host);
    return buf;
}

/* Give an association its address, moving its `restrict source` entry
   along. */
static void set_peer_address(Assoc *a, const NTP_Addr *addr)
{
    const NTP_Addr *old = PEER_GetAddress(a->peer);

    if (old->len && ADDR_EqualHost(old, addr))
        return (void)PEER_SetAddress(a->peer, addr);
    if (old->len)
        ACC_RemoveSourceRule(old);
    PEER_SetAddress(a->peer, addr);
    if (PEER_GetAddress(a->peer)->len)
        ACC_AddSourceRule(PEER_GetAddress(a->peer));
}

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
    set_peer_address(a, addr);
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
    for (Assoc *a = eng_assocs; a; a = a->next) {
        if (!a->resolving && !a->retry && PEER_WantsResolve(a->peer)) {
            LOG(LOGS_INFO, "association %u: %s unreachable for long, resolving it again",
                PEER_GetAssocId(a->peer), PEER_GetHost(a->peer));
            start_resolve(a);
        }
    }
}

static void set_unsynchronised(const char *why)
{
    if (synchronised)
        LOG(LOGS_WARN, "lost synchronisation: %s", why);
    synchronised = 0;
    in_holdover = 0;
    sys_peer = NULL;
    SYS_SetUnsynchronised();
    CLK_SetStatus(0, NTP_LEAP_NONE, 16.0, 16.0);
}

/* Update the system variables from the system peer (RFC 5905
   clock_update): our stratum is one more, our root delay and dispersion add
   the path to it, the measured offset and the system jitter. */
static void update_system(double now, const SEL_Result *res, const PEER_SelectInfo *info,
                          int clock_updated)
{
    SYS_Vars v = *SYS_Get();

    if (clock_updated || v.stratum >= NTP_STRATUM_UNSYNC) {
        struct timespec ts;
        CLK_ReadTime(&ts);
        v.reference_time = NTS_FromTimespec(&ts);
        v.reference_mono = now;
    }
    /* Leap: the majority of the survivors (or the leap file, or the
       operator); the kernel is armed only on the last day. */
    int n_ins = 0, n_del = 0, n_vote = 0, kernel_leap;
    struct timespec wall;
    CLK_ReadTime(&wall);
    uint64_t now_ntp = (uint64_t)wall.tv_sec + NTP_UNIX_EPOCH_OFFSET;
    for (Assoc *a = eng_assocs; a; a = a->next) {
        PEER_SelStatus st = PEER_GetSelectStatus(a->peer);
        if (st != PEER_SEL_CANDIDATE && st != PEER_SEL_SYSPEER)
            continue;
        PEER_SelectInfo in;
        PEER_GetSelectInfo(a->peer, now, &in);
        /* A leap indicator announces the end of the month the packet was
           sent in: one heard last month (a server polled just before a
           leap, not since) says nothing about this month. */
        if (LPS_EndOfMonth(in.last_rx_ntp) != LPS_EndOfMonth(now_ntp))
            continue;
        n_vote++;
        n_ins += in.leap == NTP_LEAP_INSERT;
        n_del += in.leap == NTP_LEAP_DELETE;
    }
    int leap = LPS_Decide(n_ins, n_del, n_vote, now_ntp, &kernel_leap);
    if (leap != v.leap && leap != NTP_LEAP_NONE)
        LOG(LOGS_INFO, "leap second %s announced (%d of %d sources%s)",
            leap == NTP_LEAP_INSERT ? "insertion" : "deletion",
            leap == NTP_LEAP_INSERT ? n_ins : n_del, n_vote,
            leap_table.n ? ", leap file" : "");
    v.leap = leap;
    v.stratum = info->stratum + 1;
    v.refid = info->refid;
    v.root_delay = info->root_delay + info->delay;
    /* Stored as of the reference time; SYS_RootDispersionNow adds the
       growth since. */
    v.root_dispersion = fmax(info->root_dispersion + info->dispersion + res->jitter +
                             FLT_PHI * (now - info->epoch) + fabs(res->offset),
                             MIN_ROOT_DISPERSION) - FLT_PHI * (now - v.reference_mono);
    v.sys_peer = PEER_GetAssocId(res->sys_peer);
    v.offset = res->offset;
    v.jitter = res->jitter;
    v.poll = DSC_GetPoll();
    v.status = info->refclock_type == RCL_TYPE_LOCAL ? SYS_STATUS_SYNC_TO_LOCAL
               : info->refclock_type ? SYS_STATUS_SYNC_TO_REFCLOCK : SYS_STATUS_SYNC_TO_REMOTE;
    SYS_Set(&v);
    if (clock_updated || kernel_leap != kernel_armed) {
        if (kernel_leap != kernel_armed)
            LOG(LOGS_INFO, kernel_leap ? "kernel armed for the leap second at the end of "
                "today (UTC)" : "kernel leap second disarmed");
        kernel_armed = kernel_leap;
        CLK_SetStatus(1, kernel_leap, res->jitter, v.root_delay / 2.0 + v.root_dispersion);
    }
}

/* -q: set the clock once from the first selection and stop. */
static void set_once(const SEL_Result *res)
{
    const DSC_Params *p = DSC_GetParams();

    if (!CLK_CanAdjust())
        LOG(LOGS_INFO, "-q: offset %+.6f s (monitor-only: clock not changed)", res->offset);
    else if (fabs(res->offset) > p->step_threshold && CLK_Step(res->offset) == 0)
        LOG(LOGS_INFO, "-q: clock stepped by %+.6f s", res->offset);
    else if (CLK_Slew(res->offset) == 0)
        LOG(LOGS_INFO, "-q: slewing %+.6f s", res->offset);
    SCH_Quit();
}

static PEER_Instance *peer_array(size_t *n)
{
    PEER_Instance *peers = MEM_Calloc(eng_n_assocs, sizeof *peers);
    size_t i = 0;

    for (Assoc *a = eng_assocs; a; a = a->next)
        peers[i++] = a->peer;
    *n = i;
    return peers;
}

static int startup_gate(double now)
{
    if (startup_settled)
        return 1;
    if (now - start_time < STARTUP_WAIT_MAX) {
        for (Assoc *a = eng_assocs; a; a = a->next) {
            PEER_Report r;
            PEER_GetReport(a->peer, &r);
            /* A broadcaster only sends: nothing to wait for. */
            if (!r.addr.len || r.mode == NTP_MODE_BROADCAST)
                continue;
            if (r.received < STARTUP_SAMPLES && !(r.sent >= STARTUP_SAMPLES && r.received == 0))
                return 0;
        }
    }
    startup_settled = 1;
    return 1;
}

static void burst_all(const char *why)
{
    int n = 0;

    for (Assoc *a = eng_assocs; a; a = a->next)
        if (PEER_GetMode(a->peer) != NTP_MODE_BROADCAST)
            n += PEER_Burst(a->peer, CONFIRM_BURST, CONFIRM_BURST_INTERVAL);
    if (n)
        LOG(LOGS_INFO, "%s: re-measuring %d source%s now", why, n, n == 1 ? "" : "s");
}

static void external_step(void *arg)
{
    struct timespec wall;

    (void)arg;
    CLK_ReadTime(&wall);
    /* The kernel's own leap second also counts as "the clock was set":
       recognise it (armed, just after midnight UTC) instead of
       re-measuring everything. */
    if (kernel_armed && wall.tv_sec % 86400 < 5) {
        LOG(LOGS_INFO, "leap second %s by the kernel at midnight UTC",
            kernel_armed == NTP_LEAP_INSERT ? "inserted" : "deleted");
        return;
    }
    burst_all("the clock was set by another program");
}

/* The standard error of one sample for the discipline: mostly half of how
   much longer its delay was than the shortest in the filter (the queueing
   that may sit on one direction only), plus a tenth of the source's jitter
   as a floor. Weighting by delay excess lets the shortest-delay samples
   carry the estimate, as the clock filter does, without discarding the
   rest (the simulator's asym-jitter and wan scenarios chose the tenth). */
static double sample_sigma(const PEER_SelectInfo *in)
{
    double excess = (in->newest_delay - in->min_delay) / 2.0;
    return fmax(sqrt(0.01 * in->jitter * in->jitter + excess * excess), CLK_GetPrecision());
}

static void handle_panic(void)
{
    if (CLK_CanAdjust()) {
        exit_status = 1;
        SCH_Quit();
    } else {
        set_unsynchronised("offset beyond the panic threshold");
    }
}

/* Selection after each accepted sample of `from` (`fresh` when its filter
   produced a new output), or from the housekeeping timer (`from` NULL). */
static void select_sources(PEER_Instance from, int fresh)
{
    double now = SCH_Monotonic();
    size_t n;
    PEER_Instance *peers = peer_array(&n);
    SEL_Result res;
    char label[LABEL_LEN];

    SEL_Run(peers, (int)n, now, SYS_Get()->poll, sys_peer, &res);
    free(peers);

    if (!res.synced) {
        if (!synchronised)
            return;
        if (!in_holdover) {
            in_holdover = 1;
            LOG(LOGS_WARN, "no selectable source (%d truechimers, %d falsetickers): holding "
                "over on the clock's frequency for up to %.0f s", res.truechimers,
                res.falsetickers, holdover_limit);
            SYS_Vars v = *SYS_Get();
            v.sys_peer = 0;
            SYS_Set(&v);
            sys_peer = NULL;
        }
        if (now - last_selected > holdover_limit)
            set_unsynchronised("no selectable source for longer than the holdover");
        else if (SYS_Get()->root_delay / 2.0 + SYS_RootDispersionNow(now) >
                 SEL_GetParams()->maxdist)
            set_unsynchronised("root distance grew beyond maxdist during holdover");
        return;
    }
    last_selected = now;
    if (in_holdover)
        LOG(LOGS_INFO, "holdover ended: %s selectable again",
            peer_label(res.sys_peer, label, sizeof label));
    in_holdover = 0;

    if (res.sys_peer != sys_peer) {
        if (sys_peer)
            LOG(LOGS_INFO, "system peer changed to %s (offset %+.6f s)",
                peer_label(res.sys_peer, label, sizeof label), res.offset);
        sys_peer = res.sys_peer;
    }

    PEER_SelectInfo info;
    int clock_updated = 0;

    if (!synchronised) {
        /* The first adjustment uses the combined offset of all survivors,
           once every source had its chance to answer. */
        if (!fresh || !startup_gate(now))
            return;
        if (OPT.set_once_and_exit) {
            set_once(&res);
            return;
        }
        DSC_Result r = DSC_Update(now, res.offset, res.jitter, 0, 1);
        if (r == DSC_PANIC) {
            handle_panic();
            return;
        }
        PEER_GetSelectInfo(res.sys_peer, now, &info);
        LOG(LOGS_INFO, "synchronised to %s, stratum %d, offset %+.6f s",
            peer_label(res.sys_peer, label, sizeof label), info.stratum + 1, res.offset);
        synchronised = 1;
        clock_updated = 1;
    } else if (from) {
        PEER_SelStatus st = PEER_GetSelectStatus(from);
        if (st == PEER_SEL_CANDIDATE || st == PEER_SEL_SYSPEER) {
            /* Every new sample of a survivor is a measurement for the
               discipline, weighted by its quality. */
            PEER_SelectInfo in;
            PEER_GetSelectInfo(from, now, &in);
            DSC_State before = DSC_GetState();
            DSC_Result r = DSC_Update(now, in.newest_offset, sample_sigma(&in), in.jumped,
                                      from == res.sys_peer);
            PEER_ClearJump(from);
            if (r == DSC_PANIC) {
                handle_panic();
                return;
            }
            if (DSC_GetState() == DSC_STATE_SPIK) {
                if (before != DSC_STATE_SPIK)
                    burst_all("offset beyond the step threshold");
                return;
            }
            clock_updated = from == res.sys_peer;
        }
    }

    PEER_GetSelectInfo(res.sys_peer, now, &info);
    update_system(now, &res, &info, clock_updated);
}

static void peer_updated(PEER_Instance peer, int fresh, void *arg)
{
    (void)arg;
    select_sources(peer, fresh);
}

static void housekeeping_timeout(void *arg)
{
    (void)arg;
    housekeeping = SCH_AddTimer(ENG_HOUSEKEEPING_INTERVAL, housekeeping_timeout, NULL);
    for (Assoc *a = eng_assocs, *next; a; a = next) {
        next = a->next;
        if (PEER_ShouldDissolve(a->peer)) {
            char label[LABEL_LEN];
            LOG(LOGS_INFO, "association %u: %s is gone: association dissolved",
                PEER_GetAssocId(a->peer), peer_label(a->peer, label, sizeof label));
            eng_remove_assoc(a);
        }
    }
    select_sources(NULL, 0);
    SYS_Vars v = *SYS_Get();
    if (v.poll != DSC_GetPoll()) {
        v.poll = DSC_GetPoll();
        SYS_Set(&v);
    }
}

static void write_drift(void)
{
    if (driftfile && CLK_CanAdjust() && DSC_GetState() == DSC_STATE_SYNC)
        DSC_WriteDriftFile(driftfile, DSC_GetFrequency());
}

static void drift_timeout(void *arg)
{
    (void)arg;
    drift_timer = SCH_AddTimer(ENG_DRIFT_WRITE_INTERVAL, drift_timeout, NULL);
    write_drift();
}

/* The next AssocId for an association cntpd makes itself (config file,
   mobilised): above every id handed out so far, skipping those a manager
   took or that were eng_retired. */
static uint32_t next_auto_id(void)
{
    do
        ++last_assoc_id;
    while (eng_id_in_use(last_assoc_id) || eng_id_retired(last_assoc_id));
    return last_assoc_id;
}

void eng_insert_sorted(Assoc **list, Assoc *a)
{
    Assoc **pa = list;
    while (*pa && (*pa)->id < a->id)
        pa = &(*pa)->next;
    a->next = *pa;
    *pa = a;
}

/* Give a (new or eng_parked, unlinked) record its peer and put it on the
   association list; `addr` known already (mobilised from a packet) or NULL
   to resolve the host. */
void eng_start_assoc(Assoc *a, const NTP_Addr *addr)
{
    a->params.host = a->host;
    a->params.local = a->local;
    a->params.prefer = eng_effective_prefer(a);
    a->peer = PEER_Create(a->id, &a->params, peer_updated, NULL);
    a->port = a->params.port;
    a->retry_interval = RESOLVE_RETRY_MIN;
    eng_insert_sorted(&eng_assocs, a);
    eng_n_assocs++;
    if (a->params.refclock.type) {
        /* 127.127.T.U: nothing to resolve, no restrict entry (no packet
           comes from a reference clock). */
        NTP_Addr pseudo;
        if (ADDR_Parse(a->host, 0, &pseudo) == 0)
            PEER_SetAddress(a->peer, &pseudo);
    } else if (addr)
        set_peer_address(a, addr);
    else
        start_resolve(a);
}

Assoc *eng_new_record(uint32_t id, CTL_Origin origin, const PEER_Params *params)
{
    Assoc *a = MEM_New(Assoc);

    a->id = id ? id : next_auto_id();
    a->origin = origin;
    a->params = *params;
    snprintf(a->host, sizeof a->host, "%s", params->host ? params->host : "");
    a->params.host = a->host;
    return a;
}

/* Add an association; `addr` known already (mobilised from a packet) or
   NULL to resolve params->host. */
static Assoc *add_peer(const PEER_Params *params, const NTP_Addr *addr, CTL_Origin origin)
{
    Assoc *a = eng_new_record(0, origin, params);
    eng_start_assoc(a, addr);
    return a;
}

static Assoc *add_assoc(const CNF_Assoc *c)
{
    PEER_Params params = {
        .mode = c->type == CNF_ASSOC_PEER ? NTP_MODE_SYM_ACTIVE
                : c->type == CNF_ASSOC_BROADCAST ? NTP_MODE_BROADCAST : NTP_MODE_CLIENT,
        .key = c->key,
        .host = c->host,
        .port = c->port,
        .minpoll = c->minpoll,
        .maxpoll = c->maxpoll,
        .version = c->version,
        .iburst = c->iburst,
        .burst = c->burst,
        .prefer = c->prefer,
        .configured = 1,
        .noselect = c->noselect,
        .refclock = c->refclock,
    };

    Assoc *a = eng_new_record(0, CTL_ORIGIN_CONFIG, &params);
    a->prefer_seq = c->prefer ? ++eng_prefer_clock : 0;
    eng_start_assoc(a, NULL);
    return a;
}

/* Stop an association and take it off the list; the record stays (to
   be eng_parked or freed). */
void eng_stop_assoc(Assoc *victim)
{
    for (Assoc **pa = &eng_assocs; *pa; pa = &(*pa)->next) {
        if (*pa != victim)
            continue;
        *pa = victim->next;
        victim->next = NULL;
        if (sys_peer == victim->peer)
            sys_peer = NULL;
        if (PEER_GetAddress(victim->peer)->len)
            ACC_RemoveSourceRule(PEER_GetAddress(victim->peer));
        RES_Cancel(victim->resolving);
        SCH_RemoveTimer(victim->retry);
        EVT_Emit(&(EVT_Event){ .type = EVT_PEER_GONE, .assoc_id = victim->id });
        PEER_Destroy(victim->peer);
        victim->peer = NULL;
        victim->resolving = NULL;
        victim->retry = NULL;
        eng_n_assocs--;
        return;
    }
}

void eng_retire_id(uint32_t id)
{
    if (eng_n_retired == eng_retired_cap) {
        eng_retired_cap = eng_retired_cap ? eng_retired_cap * 2 : 16;
        eng_retired = MEM_Realloc(eng_retired, eng_retired_cap * sizeof *eng_retired);
    }
    eng_retired[eng_n_retired++] = id;
}

/* Remove an association (ephemeral ones whose peer went away, SNMP
   destroy). Its AssocId is not reused. */
void eng_remove_assoc(Assoc *victim)
{
    if (victim->origin == CTL_ORIGIN_EPHEMERAL)
        n_ephemeral--;
    eng_stop_assoc(victim);
    eng_retire_id(victim->id);
    free(victim);
}

/* The association whose peer is `remote` (address and port), if any. */
static Assoc *find_assoc(const NTP_Addr *remote)
{
    for (Assoc *a = eng_assocs; a; a = a->next) {
        const NTP_Addr *pa = PEER_GetAddress(a->peer);
        if (pa->len && ADDR_Equal(pa, remote))
            return a;
    }
    return NULL;
}

static int key_trusted(uint32_t id)
{
    for (size_t i = 0; i < n_trusted_keys; i++)
        if (trusted_keys[i] == id)
            return 1;
    return 0;
}

typedef enum { AUTH_NONE, AUTH_OK, AUTH_BAD } AuthStatus;

/* Is the packet's MAC good with a trusted key? `*key` gets the key. */
static AuthStatus check_mac(const NIO_Datagram *d, const NTP_Packet *pkt, const KEY_Key **key)
{
    const KEY_Key *k;

    *key = NULL;
    if (!pkt->has_mac)
        return AUTH_NONE;
    if (pkt->mac_len == 0)
        return AUTH_BAD;   /* a crypto-NAK authenticates nothing */
    k = KEY_Find(keys, pkt->key_id);
    if (!k || !key_trusted(pkt->key_id) ||
        !AUTH_Verify(k, d->data, pkt->auth_len, pkt->mac, pkt->mac_len))
        return AUTH_BAD;
    *key = k;
    return AUTH_OK;
}

/* Peer hooks: MACs for associations with a `key`. */
static size_t auth_packet(uint32_t key_id, uint8_t *buf, size_t len, size_t size)
{
    const KEY_Key *k = KEY_Find(keys, key_id);
    return k ? AUTH_AppendMac(k, buf, len, size) : 0;
}

static int verify_packet(uint32_t key_id, const NIO_Datagram *d, const NTP_Packet *pkt)
{
    const KEY_Key *k;
    return check_mac(d, pkt, &k) == AUTH_OK && k->id == key_id;
}

/* A symmetric-active or broadcast packet from an address we have no
   association with: mobilise a passive / broadcast-client association
   when the packet is authenticated with a trusted key, or when the access
   rules explicitly let this address peer (restrict lines exist and the
   one matching has no nopeer). Without any restrict line cntpd does not
   mobilise unauthenticated peers (ntpd would). Returns 1 when mobilised. */
static int mobilise(const NIO_Datagram *d, const NTP_Packet *pkt, unsigned flags,
                    AuthStatus auth, const KEY_Key *key)
{
    char text[ADDR_STRLEN];
    int bcast = pkt->mode == NTP_MODE_BROADCAST;

    if (pkt->mode == NTP_MODE_SYM_PASSIVE || (bcast && !broadcastclient))
        return 0;
    int allowed = auth == AUTH_OK ||
                  (auth == AUTH_NONE && have_restrict &&
                   !(flags & (ACC_NOPEER | ACC_NOSERVE | ACC_IGNORE | ACC_NOTRUST)) &&
                   !(!bcast && (flags & ACC_NOEPEER)));
    ADDR_ToString(&d->remote, text, sizeof text);
    if (!allowed) {
        DEBUG_LOG("%s packet from %s: no association, not mobilised (%s)",
                  bcast ? "broadcast" : "symmetric active", text,
                  auth == AUTH_BAD ? "bad MAC" : "not authenticated, not allowed by restrict");
        return 0;
    }
    if (n_ephemeral >= MAX_EPHEMERAL) {
        DEBUG_LOG("%s: too many ephemeral associations", text);
        return 0;
    }

    char host[ADDR_STRLEN];
    PEER_Params params = {
        .mode = bcast ? PEER_MODE_BCLIENT : NTP_MODE_SYM_PASSIVE,
        .key = auth == AUTH_OK ? key->id : 0,
        .host = ADDR_HostString(&d->remote, host, sizeof host),
        .port = ADDR_Port(&d->remote),
        /* Keep pace with the peer that called: its poll, within limits. */
        .minpoll = pkt->poll < CNF_MIN_POLL ? CNF_MIN_POLL
                   : pkt->poll > CNF_DEFAULT_MAXPOLL ? CNF_DEFAULT_MAXPOLL : pkt->poll,
        .maxpoll = CNF_DEFAULT_MAXPOLL,
        .version = pkt->version >= 3 ? pkt->version : NTP_VERSION,
        .configured = 0,
    };
    Assoc *a = add_peer(&params, &d->remote, CTL_ORIGIN_EPHEMERAL);
    n_ephemeral++;
    LOG(LOGS_INFO, "association %u: %s %s mobilised (%s)", PEER_GetAssocId(a->peer),
        PEER_ModeName(params.mode), text,
        auth == AUTH_OK ? "authenticated" : "allowed by restrict");
    PEER_Receive(a->peer, d, pkt);
    return 1;
}

static void server_rx(const NIO_Datagram *d, void *arg)
{
    NTP_Packet pkt;
    unsigned flags = ACC_Check(&d->remote);
    const KEY_Key *key;
    Assoc *a;

    (void)arg;
    if (flags & ACC_IGNORE) {
        CNT.srv_denied++;
        return;
    }
    if (d->len > 0 && (d->data[0] & 7) == NTP_MODE_CONTROL) {
        NCTL_Receive(d);   /* mode 6 (ntpq): ntp_control.h */
        return;
    }
    PKT_Status st = PKT_Decode(d->data, d->len, &pkt);
    if (st != PKT_OK) {
        CNT.rx_malformed++;
        if (LOG_DebugEnabled()) {
            char text[ADDR_STRLEN];
            DEBUG_LOG("malformed packet from %s: %s",
                      ADDR_ToString(&d->remote, text, sizeof text), PKT_StatusName(st));
        }
        return;
    }
    AuthStatus auth = check_mac(d, &pkt, &key);
    if (((flags & ACC_NOTRUST) && auth != AUTH_OK) ||
        ((flags & ACC_VERSION) && pkt.version != NTP_VERSION)) {
        CNT.srv_denied++;
        return;
    }

    switch (pkt.mode) {
    case NTP_MODE_CLIENT:
        if (flags & ACC_NOSERVE) {
            CNT.srv_denied++;
            return;
        }
        if (flags & ACC_LIMITED) {
            RL_Result rl = RL_Check(&d->remote, SCH_Monotonic());
            if (rl != RL_OK) {
                CNT.srv_limited++;
                if (rl == RL_LIMITED_KOD && (flags & ACC_KOD))
                    SRV_ProcessRequest(d, &pkt, SRV_KOD_RATE, NULL);
                else
                    CNT.srv_denied++;
                return;
            }
        }
        /* RFC 5905: a request whose MAC fails gets a crypto-NAK, so the
           client learns its key is wrong instead of timing out. */
        SRV_ProcessRequest(d, &pkt, auth == AUTH_BAD ? SRV_CRYPTO_NAK : SRV_REPLY,
                           auth == AUTH_OK ? key : NULL);
        break;
    case NTP_MODE_SYM_ACTIVE:
    case NTP_MODE_SYM_PASSIVE:
    case NTP_MODE_BROADCAST:
        a = find_assoc(&d->remote);
        if (a) {
            PEER_Receive(a->peer, d, &pkt);
            break;
        }
        if (mobilise(d, &pkt, flags, auth, key))
            break;
        CNT.rx_no_assoc++;
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

static void init_discipline(const CNF_Config *cfg)
{
    DSC_Params dp = {
        .step_threshold = OPT.slew_only ? DSC_SLEW_ONLY_STEP : DSC_DEFAULT_STEP,
        .stepout = DSC_DEFAULT_STEPOUT,
        .panic = DSC_DEFAULT_PANIC,
        .max_frequency = DSC_MAX_FREQUENCY,
        .slew_only = OPT.slew_only,
        .allow_big_first = OPT.allow_big_first_step,
        .minpoll = CNF_MAX_POLL,
        .maxpoll = CNF_MIN_POLL,
    };
    double drift = 0.0;
    int have_drift = 0;

    if (cfg->tinker_step >= 0)
        dp.step_threshold = cfg->tinker_step;
    if (cfg->tinker_stepout >= 0)
        dp.stepout = cfg->tinker_stepout;
    if (cfg->tinker_panic >= 0)
        dp.panic = cfg->tinker_panic;
    if (cfg->tinker_dispersion >= 0)
        FLT_Phi = cfg->tinker_dispersion * 1e-6;
    /* The system poll ranges over what the associations allow. */
    for (size_t i = 0; i < cfg->n_assocs; i++) {
        if (cfg->assocs[i].minpoll < dp.minpoll)
            dp.minpoll = cfg->assocs[i].minpoll;
        if (cfg->assocs[i].maxpoll > dp.maxpoll)
            dp.maxpoll = cfg->assocs[i].maxpoll;
    }
    if (dp.minpoll > dp.maxpoll) {
        dp.minpoll = CNF_DEFAULT_MINPOLL;
        dp.maxpoll = CNF_DEFAULT_MAXPOLL;
    }
    PEER_SetJumpThreshold(fmin(dp.step_threshold, DSC_DEFAULT_STEP));

    if (cfg->driftfile) {
        driftfile = MEM_Strdup(cfg->driftfile);
        have_drift = DSC_ReadDriftFile(driftfile, &drift) == 1;
    }
    DSC_Init(&dp, have_drift, drift);
}

/* The checks that need more than one line of the file: keys referenced
   against the keys file, the keys and leap files themselves. */
int ENG_CheckConfig(const CNF_Config *cfg, char *err, size_t errlen)
{
    KEY_Table table = NULL;
    LEAP_Table leap;
    int rc = -1;

    if (cfg->keysfile && KEY_LoadFile(cfg->keysfile, &table, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < cfg->n_assocs; i++) {
        uint32_t id = cfg->assocs[i].key;
        if (!id)
            continue;
        if (!cfg->keysfile) {
            snprintf(err, errlen, "%s:%d: key %u used but no keys file is configured",
                     cfg->path, cfg->assocs[i].line, (unsigned)id);
            goto out;
        }
        if (!KEY_Find(table, id)) {
            snprintf(err, errlen, "%s:%d: key %u is not in the keys file %s", cfg->path,
                     cfg->assocs[i].line, (unsigned)id, cfg->keysfile);
            goto out;
        }
        int trusted = 0;
        for (size_t k = 0; k < cfg->n_trustedkeys; k++)
            trusted |= cfg->trustedkeys[k] == id;
        if (!trusted) {
            snprintf(err, errlen, "%s:%d: key %u is not trusted (add it to a trustedkey line)",
                     cfg->path, cfg->assocs[i].line, (unsigned)id);
            goto out;
        }
    }
    for (size_t k = 0; k < cfg->n_trustedkeys; k++) {
        if (!cfg->keysfile) {
            snprintf(err, errlen, "%s:%d: trustedkey without a keys file", cfg->path,
                     cfg->trustedkey_line);
            goto out;
        }
        if (!KEY_Find(table, cfg->trustedkeys[k])) {
            snprintf(err, errlen, "%s:%d: trusted key %u is not in the keys file %s",
                     cfg->path, cfg->trustedkey_line, (unsigned)cfg->trustedkeys[k],
                     cfg->keysfile);
            goto out;
        }
    }
    if (cfg->leapfile) {
        if (LEAP_LoadFile(cfg->leapfile, &leap, err, errlen) < 0)
            goto out;
        LEAP_Free(&leap);
    }
    rc = 0;
out:
    KEY_Free(table);
    return rc;
}

int ENG_Init(const CNF_Config *cfg)
{
    char err[512];

    if (ENG_CheckConfig(cfg, err, sizeof err) < 0) {
        LOG(LOGS_ERR, "%s", err);
        return -1;
    }
    if (cfg->keysfile && KEY_LoadFile(cfg->keysfile, &keys, err, sizeof err) < 0) {
        LOG(LOGS_ERR, "%s", err);
        return -1;
    }
    trusted_keys = MEM_Calloc(cfg->n_trustedkeys, sizeof *trusted_keys);
    if (cfg->n_trustedkeys)
        memcpy(trusted_keys, cfg->trustedkeys, cfg->n_trustedkeys * sizeof *trusted_keys);
    have_restrict = cfg->n_restricts > 0;
    n_trusted_keys = cfg->n_trustedkeys;
    PEER_SetAuthHooks(auth_packet, verify_packet);
    ACC_SetRules(cfg->restricts, cfg->n_restricts);
    RL_Init(0, cfg->discard.average, cfg->discard.minimum);
    broadcastclient = cfg->broadcastclient;
    LPS_Init(&leap_table);
    if (cfg->leapfile) {
        if (LEAP_LoadFile(cfg->leapfile, &leap_table, err, sizeof err) < 0) {
            LOG(LOGS_ERR, "%s", err);
            return -1;
        }
        struct timespec ts;
        CLK_ReadTime(&ts);
        uint64_t now_ntp = (uint64_t)ts.tv_sec + NTP_UNIX_EPOCH_OFFSET;
        if (!leap_table.hash_ok)
            LOG(LOGS_WARN, "leap file %s has no hash line: its integrity is not checked",
                cfg->leapfile);
        if (LEAP_Expired(&leap_table, now_ntp))
            LOG(LOGS_WARN, "leap file %s has expired: get a current one", cfg->leapfile);
        else
            LOG(LOGS_INFO, "leap file %s: TAI-UTC %d s", cfg->leapfile,
                LEAP_TaiOffset(&leap_table, now_ntp));
    }

    SEL_Params sp = SEL_DEFAULT_PARAMS;

    if (cfg->tos_minsane > 0)
        sp.minsane = cfg->tos_minsane;
    if (cfg->tos_minclock > 0)
        sp.minclock = cfg->tos_minclock;
    if (cfg->tos_maxclock > 0)
        sp.maxclock = cfg->tos_maxclock;
    if (cfg->tos_maxdist > 0)
        sp.maxdist = cfg->tos_maxdist;
    if (cfg->tos_holdover >= 0)
        holdover_limit = cfg->tos_holdover;
    SEL_SetParams(&sp);
    init_discipline(cfg);
    PEER_SetPhaseSource(DSC_PhaseAt);
    RCL_SetSystemSyncCheck(is_synchronised);
    CLK_SetExternalStepHandler(external_step, NULL);
    start_time = SCH_Monotonic();
    SYS_Init(CLK_GetPrecisionLog2(), DSC_GetPoll());

    NCTL_Init();
    /* With a listen address for one family only, the other gets no server
       socket ("" to NIO_Init). */
    int listing = cfg->listen4 || cfg->listen6;
    if (NIO_Init(cfg->port, cfg->listen4 ? cfg->listen4 : listing ? "" : NULL,
                 cfg->listen6 ? cfg->listen6 : listing ? "" : NULL, server_rx, NULL) < 0)
        return -1;
    RES_Init();
    eng_max_assocs = cfg->tos_maxassoc > 0 ? cfg->tos_maxassoc : CNF_DEFAULT_MAXASSOC;
    if (cfg->n_assocs > (size_t)eng_max_assocs)
        LOG(LOGS_WARN, "%zu associations in the configuration, more than tos maxassoc %d: "
            "no room for SNMP-created ones", cfg->n_assocs, eng_max_assocs);
    /* SNMP rows first, eng_parked, so their AssocIds are taken before the
       config file's associations are numbered; then those are started. */
    size_t n_loaded = eng_load_state(cfg->statedir);
    for (size_t i = 0; i < cfg->n_assocs; i++)
        add_assoc(&cfg->assocs[i]);
    /* The state file keeps the order SNMP rows asked for prefer in; the
       config file's prefer lines count as set before all of them. */
    uint32_t base = eng_prefer_clock;
    for (Assoc *a = eng_parked; a; a = a->next) {
        if (a->prefer_seq) {
            a->prefer_seq += base;
            if (a->prefer_seq > eng_prefer_clock)
                eng_prefer_clock = a->prefer_seq;
        }
    }
    eng_start_loaded(n_loaded);
    resolve_check = SCH_AddTimer(RESOLVE_CHECK_INTERVAL, check_resolve, NULL);
    housekeeping = SCH_AddTimer(ENG_HOUSEKEEPING_INTERVAL, housekeeping_timeout, NULL);
    if (driftfile)
        drift_timer = SCH_AddTimer(ENG_DRIFT_WRITE_INTERVAL, drift_timeout, NULL);
    return 0;
}

void ENG_Fini(void)
{
    NCTL_Fini();
    write_drift();
    while (eng_assocs) {
        Assoc *a = eng_assocs;
        eng_assocs = a->next;
        RES_Cancel(a->resolving);
        SCH_RemoveTimer(a->retry);
        PEER_Destroy(a->peer);
        free(a);
    }
    eng_n_assocs = 0;
    last_assoc_id = 0;
    eng_forget_rows();
    sys_peer = NULL;
    SCH_RemoveTimer(resolve_check);
    SCH_RemoveTimer(housekeeping);
    SCH_RemoveTimer(drift_timer);
    resolve_check = housekeeping = drift_timer = NULL;
    free(driftfile);
    driftfile = NULL;
    CLK_SetExternalStepHandler(NULL, NULL);
    PEER_SetPhaseSource(NULL);
    DSC_Fini();
    RES_Fini();
    NIO_Fini();
    RL_Fini();
    ACC_Fini();
    AUTH_Fini();
    KEY_Free(keys);
    keys = NULL;
    free(trusted_keys);
    trusted_keys = NULL;
    n_trusted_keys = 0;
    n_ephemeral = 0;
    LPS_Fini();
    LEAP_Free(&leap_table);
    kernel_armed = 0;
}

int ENG_ExitStatus(void)
{
    return exit_status;
}

void ENG_GetSystemReport(ENG_SystemReport *r)
{
    double now = SCH_Monotonic();

    memset(r, 0, sizeof *r);
    r->sys = *SYS_Get();
    r->sys.root_dispersion = SYS_RootDispersionNow(now);
    r->discipline_state = DSC_GetState();
    r->frequency = DSC_GetFrequency();
    r->residual = DSC_GetResidual(now);
    r->steps = DSC_GetStepCount();
    r->synchronised = synchronised;
    r->holdover = in_holdover;
    r->monitor_only = !CLK_CanAdjust();
    r->n_assocs = eng_n_assocs;
}

size_t ENG_GetPeerReports(PEER_Report **reports)
{
    size_t i = 0;

    *reports = MEM_Calloc(eng_n_assocs, sizeof **reports);
    for (Assoc *a = eng_assocs; a; a = a->next)
        PEER_GetReport(a->peer, &(*reports)[i++]);
    return i;
}

void ENG_LogStatus(void)
{
    ENG_SystemReport s;
    PEER_Report *reports;
    size_t n = ENG_GetPeerReports(&reports);
    char line[1024];
    static const char tally[] = " x.-+*";

    ENG_GetSystemReport(&s);
    LOG(LOGS_INFO, "system: %s leap %d stratum %d refid %08x offset %+.9f jitter %.9f "
        "root delay %.6f root dispersion %.6f poll %d peer %u frequency %+.3f ppm state %s "
        "steps %u", s.synchronised ? (s.holdover ? "holdover" : "synchronised")
                                   : "unsynchronised",
        s.sys.leap, s.sys.stratum, (unsigned)s.sys.refid, s.sys.offset, s.sys.jitter,
        s.sys.root_delay, s.sys.root_dispersion, s.sys.poll, (unsigned)s.sys.sys_peer,
        s.frequency, DSC_StateName(s.discipline_state), s.steps);
    for (size_t i = 0; i < n; i++) {
        const PEER_Report *r = &reports[i];
        char addr[ADDR_STRLEN];

        LOG(LOGS_INFO, "assoc %u %c %s addr %s stratum %d reach %03o poll %d offset %+.9f "
            "delay %.9f dispersion %.9f jitter %.9f sent %llu received %llu rejected %llu%s%s%s",
            (unsigned)r->assoc_id, tally[r->select], r->host,
            r->refclock_type ? "refclock"
            : r->addr.len    ? ADDR_ToString(&r->addr, addr, sizeof addr) : "unresolved",
            r->stratum, r->reach, r->hpoll, r->offset, r->delay, r->dispersion, r->jitter,
            (unsigned long long)r->sent, (unsigned long long)r->received,
            (unsigned long long)r->rejected, r->prefer ? " prefer" : "",
            r->kiss[0] ? " kiss " : "", r->kiss);
    }
    free(reports);
    RCL_LogStatus();
    CNT_Format(line, sizeof line);
    LOG(LOGS_INFO, "counters: %s", line);
}

