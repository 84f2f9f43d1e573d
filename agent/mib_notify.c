/* mib_notify — the CISCO-NTP-MIB notifications through the AgentX master.
 *
 * The engine's events (events.h) are queued and handled from a timer of
 * their own, not inside the engine's call that emitted them: the handler
 * reads the engine's association reports (the snapshot API) and calls into
 * net-snmp, neither of which should happen halfway through a poll or a
 * selection. notify.c decides what to send (and damps flapping sources);
 * this file classifies sources as high priority and builds the PDUs.
 *
 * send_v2trap() in a subagent does not send anything itself: net-snmp hands
 * the varbinds to the AgentX session, which sends an AgentX Notify-PDU to
 * the master, and snmpd sends the notification to its trap sinks
 * (trap2sink, informsink, trapsess). With no master connected the
 * notification is lost (logged all the same).
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "events.h"
#include "log.h"
#include "mib_modules.h"
#include "notify.h"
#include "sched.h"

/* Events waiting for the queue timer. A burst larger than this (hundreds
   of associations changing at once) loses the oldest reachability events,
   with a log line; sync status events are few. */
#define QUEUE_SIZE 256

static struct {
    int running;
    NTF_State *state;
    CNF_TrapHighPriority hp_mode;
    uint32_t *hp_ids;
    size_t n_hp_ids;
    EVT_Event queue[QUEUE_SIZE];
    size_t queued;
    unsigned dropped;
    SCH_Timer queue_timer;
    SCH_Timer holddown_timer;
} nt;

/* snmpTrapOID.0 (SNMPv2-MIB): the first varbind after sysUpTime.0. */
static const oid snmp_trap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };
static const oid srv_status_oid[] = { CNTP_SYSTEM_OID, COL_SYS_SRV_STATUS, 0 };
static const oid peer_address_oid[] = { CNTP_PEERS_TABLE_OID, 1, COL_PEER_PEER_ADDRESS };

static void send_pdu(const NTF_Notification *n, void *arg)
{
    oid notification[] = { CNTP_MIB_OID, 0, (oid)n->kind };
    netsnmp_variable_list *vars = NULL;

    (void)arg;
    snmp_varlist_add_variable(&vars, snmp_trap_oid, OID_LENGTH(snmp_trap_oid), ASN_OBJECT_ID,
                              (const u_char *)notification, sizeof notification);
    switch (n->kind) {
    case NTF_SRV_STATUS_CHANGE: {
        long status = n->status;
        snmp_varlist_add_variable(&vars, srv_status_oid, OID_LENGTH(srv_status_oid),
                                  ASN_INTEGER, (const u_char *)&status, sizeof status);
        break;
    }
    case NTF_HP_CONN_FAILURE:
    case NTF_HP_CONN_RESTORE:
    case NTF_GENERAL_CONN_RESTORE: {
        /* cntpPeersPeerAddress.<AssocId>: IpAddress, 0.0.0.0 for an IPv6
           source (as the table reads); the instance names the association. */
        oid name[OID_LENGTH(peer_address_oid) + 1];
        in_addr_t ip = ADDR_Family(&n->addr) == AF_INET ? n->addr.u.in4.sin_addr.s_addr : 0;

        memcpy(name, peer_address_oid, sizeof peer_address_oid);
        name[OID_LENGTH(peer_address_oid)] = n->assoc_id;
        snmp_varlist_add_variable(&vars, name, OID_LENGTH(name), ASN_IPADDRESS,
                                  (const u_char *)&ip, 4);
        break;
    }
    case NTF_GENERAL_CONN_FAILURE:
        break;   /* no OBJECTS */
    }
    send_v2trap(vars);   /* prepends sysUpTime.0 */
    snmp_free_varbind(vars);
}

static int reach_now(uint32_t assoc_id, void *arg)
{
    PEER_Report *reports;
    size_t n = ENG_GetPeerReports(&reports);
    int reach = -1;

    (void)arg;
    for (size_t i = 0; i < n; i++)
        if (reports[i].assoc_id == assoc_id)
            reach = reports[i].reach;
    free(reports);
    return reach;
}

/* `trap highpriority`: is the source of `ev` high priority? `reports`: the
   associations now (for "is any preferred"). */
static int high_priority(const EVT_Event *ev, const PEER_Report *reports, size_t n)
{
    switch (nt.hp_mode) {
    case CNF_TRAP_HP_NONE:
        return 0;
    case CNF_TRAP_HP_ALL:
        return ev->configured;
    case CNF_TRAP_HP_LIST:
        for (size_t i = 0; i < nt.n_hp_ids; i++)
            if (nt.hp_ids[i] == ev->assoc_id)
                return 1;
        return 0;
    case CNF_TRAP_HP_PREFER:
        break;
    }
    if (ev->prefer)
        return 1;
    /* Nobody preferred: every configured source is, so that a server with
       one or a few plain `server` lines still hears of their loss. */
    for (size_t i = 0; i < n; i++)
        if (reports[i].configured && reports[i].prefer)
            return 0;
    return ev->configured;
}

static void schedule_holddown(void);

static void holddown_cb(void *arg)
{
    (void)arg;
    nt.holddown_timer = NULL;
    NTF_Expire(nt.state, SCH_Monotonic());
    schedule_holddown();
}

static void schedule_holddown(void)
{
    double next = NTF_NextDeadline(nt.state);

    SCH_RemoveTimer(nt.holddown_timer);
    nt.holddown_timer = NULL;
    if (next >= 0) {
        double delay = next - SCH_Monotonic();
        nt.holddown_timer = SCH_AddTimer(delay > 0 ? delay : 0, holddown_cb, NULL);
    }
}

static void queue_cb(void *arg)
{
    PEER_Report *reports;
    size_t n = ENG_GetPeerReports(&reports);
    double now = SCH_Monotonic();

    (void)arg;
    nt.queue_timer = NULL;
    if (nt.dropped) {
        LOG(LOGS_WARN, "notifications: %u events dropped (queue full)", nt.dropped);
        nt.dropped = 0;
    }
    /* Hold-down periods that ended before these events come first. */
    NTF_Expire(nt.state, now);
    for (size_t i = 0; i < nt.queued; i++)
        NTF_Event(nt.state, &nt.queue[i], high_priority(&nt.queue[i], reports, n), now);
    nt.queued = 0;
    free(reports);
    schedule_holddown();
}

static void on_event(const EVT_Event *ev, void *arg)
{
    (void)arg;
    if (nt.queued == QUEUE_SIZE) {
        memmove(&nt.queue[0], &nt.queue[1], (QUEUE_SIZE - 1) * sizeof(nt.queue[0]));
        nt.queued--;
        nt.dropped++;
    }
    nt.queue[nt.queued++] = *ev;
    if (!nt.queue_timer)
        nt.queue_timer = SCH_AddTimer(0.0, queue_cb, NULL);
}

void MIB_InitNotify(const CNF_Config *cfg)
{
    double holddown = cfg->trap_holddown >= 0 ? cfg->trap_holddown : CNF_DEFAULT_TRAP_HOLDDOWN;

    nt.state = NTF_New(holddown, send_pdu, reach_now, NULL);
    nt.hp_mode = cfg->trap_highpriority;
    if (cfg->n_trap_hp_ids) {
        nt.hp_ids = malloc(cfg->n_trap_hp_ids * sizeof(*nt.hp_ids));
        if (!nt.hp_ids)
            LOG_Fatal(1, "out of memory");
        memcpy(nt.hp_ids, cfg->trap_hp_ids, cfg->n_trap_hp_ids * sizeof(*nt.hp_ids));
        nt.n_hp_ids = cfg->n_trap_hp_ids;
    }
    EVT_Subscribe(on_event, NULL);
    nt.running = 1;
    LOG(LOGS_INFO, "notifications: hold-down %.0f s, high priority: %s", holddown,
        nt.hp_mode == CNF_TRAP_HP_PREFER ? "prefer sources (all configured when none is)"
        : nt.hp_mode == CNF_TRAP_HP_ALL ? "all configured sources"
        : nt.hp_mode == CNF_TRAP_HP_NONE ? "none" : "listed associations");
}

void MIB_FiniNotify(void)
{
    if (!nt.running)
        return;
    EVT_Unsubscribe(on_event, NULL);
    SCH_RemoveTimer(nt.queue_timer);
    SCH_RemoveTimer(nt.holddown_timer);
    NTF_Free(nt.state);
    free(nt.hp_ids);
    memset(&nt, 0, sizeof nt);
}
