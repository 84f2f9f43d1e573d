/* ntp_control — see ntp_control.h. */
#include "ntp_control.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "access.h"
#include "clock.h"
#include "counters.h"
#include "engine.h"
#include "events.h"
#include "log.h"
#include "mem.h"
#include "ntp_ctlmsg.h"
#include "ntp_pkt.h"
#include "sched.h"

/* Room for the longest text (peer variables with a 200-character host
   name are about 1 KiB) and the READSTAT list of 3 744 associations. */
#define TEXT_SIZE (NCM_MAX_FRAGS * NCM_MAX_DATA)

/* Events heard since the start, as ntpd counts them for the status words:
   the last event code and how many (shown up to 15). */
typedef struct {
    uint32_t assoc_id;
    unsigned count;
    int last;
} PeerEvents;

static int initialised;
static unsigned sys_events;
static int sys_last_event;
static PeerEvents *peer_events;
static size_t n_peer_events, cap_peer_events;
static NCM_Budget budget;
static char version_text[64], processor_text[sizeof ((struct utsname *)0)->machine],
    system_text[2 * sizeof ((struct utsname *)0)->release];

static PeerEvents *find_events(uint32_t assoc_id, int create)
{
    for (size_t i = 0; i < n_peer_events; i++)
        if (peer_events[i].assoc_id == assoc_id)
            return &peer_events[i];
    if (!create)
        return NULL;
    if (n_peer_events == cap_peer_events) {
        cap_peer_events = cap_peer_events ? 2 * cap_peer_events : 16;
        peer_events = MEM_Realloc(peer_events, cap_peer_events * sizeof *peer_events);
    }
    peer_events[n_peer_events] = (PeerEvents){ .assoc_id = assoc_id };
    return &peer_events[n_peer_events++];
}

static void on_event(const EVT_Event *e, void *arg)
{
    PeerEvents *p;

    (void)arg;
    switch (e->type) {
    case EVT_PEER_REACHABLE:
    case EVT_PEER_UNREACHABLE:
        p = find_events(e->assoc_id, 1);
        p->count++;
        p->last = e->type == EVT_PEER_REACHABLE ? NCM_PEVNT_REACH : NCM_PEVNT_UNREACH;
        break;
    case EVT_PEER_GONE:
        if ((p = find_events(e->assoc_id, 0)) != NULL)
            *p = peer_events[--n_peer_events];
        break;
    case EVT_SYNC_STATUS:
        sys_events++;
        sys_last_event = e->status >= SYS_STATUS_SYNC_TO_LOCAL ? NCM_EVNT_SYNC : NCM_EVNT_NOPEER;
        break;
    }
}

void NCTL_Init(void)
{
    struct utsname u;
    uint64_t key[2];

    if (getrandom(key, sizeof key, GRND_NONBLOCK) != (ssize_t)sizeof key) {
        /* No entropy yet (early boot): a guessable key only lets sources
           share budget slots; the shared budget still bounds the total. */
        key[0] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;
        key[1] = (uint64_t)(uintptr_t)&u ^ (uint64_t)(SCH_Monotonic() * 1e9);
    }
    NCM_BudgetInit(&budget, key[0], key[1], NCTL_SRC_RATE, NCTL_SRC_BURST, NCTL_ALL_RATE,
                   NCTL_ALL_BURST);
    snprintf(version_text, sizeof version_text, "cntpd %s", CNTPD_VERSION);
    if (uname(&u) == 0) {
        snprintf(processor_text, sizeof processor_text, "%s", u.machine);
        snprintf(system_text, sizeof system_text, "%.64s/%.64s", u.sysname, u.release);
    }
    sys_events = 1;
    sys_last_event = NCM_EVNT_RESTART;
    if (!initialised)
        EVT_Subscribe(on_event, NULL);
    initialised = 1;
}

void NCTL_Fini(void)
{
    if (initialised)
        EVT_Unsubscribe(on_event, NULL);
    initialised = 0;
    free(peer_events);
    peer_events = NULL;
    n_peer_events = cap_peer_events = 0;
}

static uint16_t peer_status(const PEER_Report *r)
{
    const PeerEvents *e = find_events(r->assoc_id, 0);

    return NCM_PeerStatus(r, e ? e->count : 0, e ? e->last : 0);
}

static const PEER_Report *find_report(const PEER_Report *r, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].assoc_id == id)
            return &r[i];
    return NULL;
}

static void fill_system(const ENG_SystemReport *rep, NCM_System *s)
{
    struct timespec now;

    CLK_ReadTime(&now);
    memset(s, 0, sizeof *s);
    s->version = version_text;
    s->processor = processor_text;
    s->system = system_text;
    s->leap = rep->sys.leap;
    s->stratum = rep->sys.stratum;
    s->precision = rep->sys.precision;
    s->root_delay = rep->sys.root_delay;
    s->root_dispersion = rep->sys.root_dispersion;
    s->refid = rep->sys.refid;
    s->reftime = rep->sys.reference_time;
    s->clock = NTS_FromTimespec(&now);
    s->peer = rep->sys.sys_peer;
    s->poll = rep->sys.poll;
    s->offset = rep->sys.offset;
    s->frequency = rep->frequency;
    s->jitter = rep->sys.jitter;
}

static int is_write(int opcode)
{
    return opcode == NCM_OP_WRITEVAR || opcode == NCM_OP_WRITECLOCK ||
           opcode == NCM_OP_SETTRAP || opcode == NCM_OP_UNSETTRAP ||
           opcode == NCM_OP_CONFIGURE || opcode == NCM_OP_SAVECONFIG;
}

/* The reply to `req`: data into `buf` (length in *len) and the status word,
   or an error code (-1: none). */
static int answer(const NCM_Request *req, const ENG_SystemReport *rep, const PEER_Report *reports,
                  size_t n, uint8_t *buf, size_t *len, uint16_t *status)
{
    const PEER_Report *sys_peer = rep->sys.sys_peer ? find_report(reports, n, rep->sys.sys_peer) : NULL;
    const PEER_Report *r = NULL;
    int error;

    *len = 0;
    *status = NCM_SystemStatus(rep->sys.leap,
                               sys_peer ? NCM_ClockSource(sys_peer->refclock_type) : NCM_SRC_UNSPEC,
                               sys_events, sys_last_event);
    if (req->opcode != NCM_OP_READSTAT && req->opcode != NCM_OP_READVAR)
        return is_write(req->opcode) ? NCM_ERR_PERMISSION : NCM_ERR_BADOP;
    if (req->assoc_id != 0) {
        r = find_report(reports, n, req->assoc_id);
        if (!r)
            return NCM_ERR_BADASSOC;
        *status = peer_status(r);
    }
    if (req->opcode == NCM_OP_READSTAT) {
        if (r)
            return -1;
        for (size_t i = 0; i < n && *len + 4 <= TEXT_SIZE; i++) {
            if (reports[i].assoc_id > UINT16_MAX)
                continue;
            NCM_PutAssoc(buf + *len, (uint16_t)reports[i].assoc_id, peer_status(&reports[i]));
            *len += 4;
        }
        return -1;
    }

    NCM_Text t;
    int rc;

    NCM_TextInit(&t, (char *)buf, TEXT_SIZE);
    if (r) {
        rc = NCM_PeerVars(r, req->data, req->count, &t, &error);
    } else {
        NCM_System s;

        fill_system(rep, &s);
        rc = NCM_SystemVars(&s, req->data, req->count, &t, &error);
    }
    if (rc < 0)
        return error;
    *len = t.len;
    return -1;
}

void NCTL_Receive(const NIO_Datagram *d)
{
    static uint8_t data[TEXT_SIZE];
    uint8_t pkt[NCM_MAX_PACKET];
    char text[ADDR_STRLEN];
    NCM_Request req;
    NCM_ParseStatus st;
    ENG_SystemReport rep;
    PEER_Report *reports = NULL;
    size_t n, len = 0, frags;
    uint16_t status;
    unsigned flags;
    int matched, loopback, error;

    st = NCM_ParseRequest(d->data, d->len, &req);
    if (st != NCM_PARSE_OK) {
        CNT.ctl_malformed++;
        DEBUG_LOG("mode 6 packet from %s dropped: %s",
                  ADDR_ToString(&d->remote, text, sizeof text), NCM_ParseStatusName(st));
        return;
    }
    matched = ACC_Match(&d->remote, &flags);
    loopback = NCM_IsLoopback(&d->remote);
    if ((flags & (ACC_IGNORE | ACC_NOQUERY)) || (!matched && !loopback)) {
        CNT.ctl_denied++;
        DEBUG_LOG("mode 6 query from %s refused (%s)",
                  ADDR_ToString(&d->remote, text, sizeof text),
                  matched ? "noquery" : "no restrict line allows it");
        return;
    }

    ENG_GetSystemReport(&rep);
    n = ENG_GetPeerReports(&reports);
    error = answer(&req, &rep, reports, n, data, &len, &status);
    free(reports);

    frags = error >= 0 ? 1 : NCM_FragmentCount(len);
    if (!loopback &&
        !NCM_BudgetTake(&budget, &d->remote, error >= 0 ? NCM_HEADER_LEN : NCM_ReplyOctets(len),
                        SCH_Monotonic())) {
        CNT.ctl_limited++;
        DEBUG_LOG("mode 6 query from %s dropped: over the response budget",
                  ADDR_ToString(&d->remote, text, sizeof text));
        return;
    }
    CNT.ctl_answered++;
    if (error >= 0) {
        CNT.ctl_errors++;
        if (NIO_Send(d->sock, &d->remote, pkt, NCM_EncodeError(&req, rep.sys.leap, error, pkt)) == 0)
            CNT.ctl_fragments++;
        return;
    }
    for (size_t i = 0; i < frags; i++) {
        size_t plen = NCM_EncodeFragment(&req, rep.sys.leap, status, data, len, i, pkt);

        if (NIO_Send(d->sock, &d->remote, pkt, plen) == 0)
            CNT.ctl_fragments++;
    }
}
