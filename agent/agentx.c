/* agentx — see agent.h. net-snmp in libevent after lldpd's pattern: after
 * every net-snmp event ask snmp_select_info2() which descriptors and which
 * timeout it wants, mirror them as libevent events, and on readiness call
 * snmp_read2(), on timeout snmp_timeout() and run_alarms() (net-snmp's
 * alarms, with NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, are how the AgentX
 * session pings the master and reconnects to it).
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>
#include <net-snmp/library/large_fd_set.h>

#include <event2/event.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "alarm.h"
#include "agent.h"
#include "log.h"
#include "mem.h"
#include "mib_modules.h"
#include "mib_table.h"
#include "sched.h"
#include "sched_ev.h"

typedef struct Watch {
    int fd;
    struct event *ev;
    struct Watch *next;
} Watch;

static int running;
/* AgentX PDUs answered by the fast path, and handed to net-snmp. */
static unsigned long fast_answers, slow_packets;
static void update(void);
static struct event *timeout_ev;
static Watch *watches;

/* Mark in `set` every net-snmp descriptor readable right now; returns how
   many (one poll() for all of them). */
static int ready_set(netsnmp_large_fd_set *set)
{
    struct pollfd pfd[64];
    int n = 0, ready = 0;

    for (Watch *w = watches; w && n < 64; w = w->next)
        pfd[n++] = (struct pollfd){ .fd = w->fd, .events = POLLIN };
    if (n == 0 || poll(pfd, (nfds_t)n, 0) <= 0)
        return 0;
    for (int i = 0; i < n; i++) {
        if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
            NETSNMP_LARGE_FD_SET(pfd[i].fd, set);
            ready++;
        }
    }
    return ready;
}

/* Rounds of reading without going back to the loop: a request from the
   master passes through net-snmp's internal callback pipes before it is
   answered, and each pass through libevent for those costs more than the
   request itself. */
#define MAX_DRAIN_ROUNDS 16

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    netsnmp_large_fd_set set;

    (void)what, (void)arg;
    netsnmp_large_fd_set_init(&set, FD_SETSIZE);
    NETSNMP_LARGE_FD_SET(fd, &set);
    for (int round = 0; round < MAX_DRAIN_ROUNDS; round++) {
        unsigned long fast_before = fast_answers, slow_before = slow_packets;
        snmp_read2(&set);
        netsnmp_check_outstanding_agent_requests();
        /* Only fast-path answers: nothing went into the pipes, so there is
           nothing to drain (saves a poll() per request). */
        if (fast_answers != fast_before && slow_packets == slow_before)
            break;
        NETSNMP_LARGE_FD_ZERO(&set);
        if (!ready_set(&set))
            break;
    }
    netsnmp_large_fd_set_cleanup(&set);
    update();
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    snmp_timeout();
    run_alarms();
    netsnmp_check_outstanding_agent_requests();
    update();
}

/* Make the libevent events match what net-snmp wants now. */
static void update(void)
{
    netsnmp_large_fd_set set;
    int maxfd = 0, block = 1;
    struct timeval tv = { 0, 0 };

    if (!running)
        return;
    netsnmp_large_fd_set_init(&set, FD_SETSIZE);
    snmp_select_info2(&maxfd, &set, &tv, &block);

    /* Drop watches on descriptors net-snmp no longer wants (a closed
       session's descriptor may be reused by the next one). */
    for (Watch **w = &watches; *w;) {
        if ((*w)->fd >= maxfd || !NETSNMP_LARGE_FD_ISSET((*w)->fd, &set)) {
            Watch *dead = *w;
            *w = dead->next;
            event_free(dead->ev);
            free(dead);
        } else {
            w = &(*w)->next;
        }
    }
    for (int fd = 0; fd < maxfd; fd++) {
        if (!NETSNMP_LARGE_FD_ISSET(fd, &set))
            continue;
        Watch *w;
        for (w = watches; w && w->fd != fd; w = w->next)
            ;
        if (w)
            continue;
        w = MEM_New(Watch);
        w->fd = fd;
        w->ev = event_new(SCH_GetEventBase(), fd, EV_READ | EV_PERSIST, read_cb, NULL);
        if (!w->ev || event_add(w->ev, NULL) < 0)
            LOG_Fatal(1, "cannot watch the AgentX descriptor %d", fd);
        w->next = watches;
        watches = w;
    }
    netsnmp_large_fd_set_cleanup(&set);

    if (block) {
        evtimer_del(timeout_ev);
    } else {
        evtimer_add(timeout_ev, &tv);
    }
}

/* The AgentX fast path. net-snmp's subagent hands every AgentX request to
   its agent code through an internal "callback" session (a pipe each way
   inside this process: the request PDU is cloned and queued, a byte
   written, the loop wakes, the agent answers into the other pipe, the loop
   wakes again, and only then is the response sent), so one varbind of a
   walk costs two extra passes through the loop and ~7 system calls besides
   the master's own round trip. Reads of the tables (nearly every varbind
   of a walk: snmpd sends one GetNext per varbind, even for GETBULK) are
   answered here instead, straight from the same handlers and snapshot, in
   the callback of the AgentX session itself; anything else (the scalars,
   GETNEXT past a table's end, inclusive ranges, missing instances,
   non-default contexts, SETs, the session's own PDUs) goes to net-snmp's
   handle_agentx_packet unchanged. */
enum { AX_MSG_GET = 5, AX_MSG_GETNEXT = 6, AX_MSG_RESPONSE = 18 };

static int (*ax_packet_cb)(int, netsnmp_session *, int, netsnmp_pdu *, void *);

/* Answer a Get/GetNext PDU from the tables; 1 when sent, 0 when net-snmp
   must answer it. */
static int answer_fast(netsnmp_session *s, netsnmp_pdu *pdu)
{
    if ((pdu->command != AX_MSG_GET && pdu->command != AX_MSG_GETNEXT) || pdu->community_len ||
        !pdu->variables)
        return 0;

    netsnmp_pdu *resp = snmp_clone_pdu(pdu);
    if (!resp)
        return 0;
    for (netsnmp_variable_list *vb = resp->variables; vb; vb = vb->next_variable) {
        int ok;
        if (pdu->command == AX_MSG_GETNEXT) {
            /* The search range: name to val.objid (the null OID 0.0: no
               upper bound); an inclusive one is left to net-snmp. */
            oid end[MAX_OID_LEN];
            size_t end_len = vb->val_len / sizeof(oid);
            if (vb->type != ASN_PRIV_EXCL_RANGE || end_len > MAX_OID_LEN)
                break;
            memcpy(end, vb->val.objid, end_len * sizeof(oid));
            int null_end = 1;
            for (size_t i = 0; i < end_len; i++)
                null_end &= end[i] == 0;
            ok = MIBT_Answer(vb, 1, end, null_end ? 0 : end_len) == 0;
        } else {
            ok = MIBT_Answer(vb, 0, NULL, 0) == 0;
        }
        if (!ok) {
            snmp_free_pdu(resp);
            return 0;
        }
        if (!vb->next_variable)
            goto send;
    }
    snmp_free_pdu(resp);
    return 0;

send:
    /* As handle_agentx_packet does: the master is alive, no ping needed
       (the session's securityModel holds the ping alarm). */
    if (s->securityModel != SNMP_DEFAULT_SECMODEL)
        snmp_alarm_reset((unsigned)s->securityModel);
    resp->command = AX_MSG_RESPONSE;
    resp->version = s->version;
    resp->errstat = 0;
    resp->errindex = 0;
    if (!snmp_send(s, resp))
        snmp_free_pdu(resp);
    return 1;
}

static int ax_session_cb(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
    if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu && answer_fast(s, pdu)) {
        fast_answers++;
        return 1;
    }
    slow_packets++;
    return ax_packet_cb(op, s, reqid, pdu, magic);
}

/* net-snmp announces every new session to the master (at start and after
   each reconnection): put the fast path in front of its callback. */
static int session_start_cb(int major, int minor, void *server_arg, void *client_arg)
{
    netsnmp_session *s = server_arg;

    (void)major, (void)minor, (void)client_arg;
    if (s && s->callback && s->callback != ax_session_cb) {
        ax_packet_cb = s->callback;
        s->callback = ax_session_cb;
    }
    return 0;
}

/* net-snmp's own messages go to our log (syslog or stderr), one line each. */
static int log_cb(int major, int minor, void *server_arg, void *client_arg)
{
    struct snmp_log_message *m = server_arg;
    size_t len;

    (void)major, (void)minor, (void)client_arg;
    if (!m || !m->msg)
        return 0;
    len = strlen(m->msg);
    while (len > 0 && (m->msg[len - 1] == '\n' || m->msg[len - 1] == '\r'))
        len--;
    if (len == 0)
        return 0;
    LOG(m->priority <= LOG_ERR ? LOGS_ERR : m->priority <= LOG_WARNING ? LOGS_WARN
        : m->priority <= LOG_INFO ? LOGS_INFO : LOGS_DEBUG, "snmp: %.*s", (int)len, m->msg);
    return 0;
}

int AGT_Init(const CNF_Config *cfg)
{
    if (!cfg->agentx_enabled) {
        LOG(LOGS_INFO, "AgentX subagent disabled (agentx off)");
        return 0;
    }

    snmp_disable_log();
    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_cb, NULL);

    /* A subagent inside a daemon: no config files of its own, no
       persistent state written by net-snmp, no SIGALRM (alarms run from
       our loop), and a master that may come and go. */
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
                       AGT_PING_INTERVAL);
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_TIMEOUT, 5 * 1000000);
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_RETRIES, 1);
    if (cfg->agentx_socket)
        netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
                              cfg->agentx_socket);

    /* The subagent encodes values itself and needs no MIB files; without
       this net-snmp would try to load (and complain about) the host's. */
    setenv("MIBS", "", 1);

    /* Debugging aid: CNTPD_SNMP_DEBUG=token,token (net-snmp's -D tokens,
       e.g. agentx,helper) turns on net-snmp's own debug output. */
    const char *tokens = getenv("CNTPD_SNMP_DEBUG");
    if (tokens && *tokens) {
        debug_register_tokens(tokens);
        snmp_set_do_debugging(1);
    }

    if (!getenv("CNTPD_AGENTX_NO_FAST_PATH"))
        snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START,
                               session_start_cb, NULL);

    if (init_agent("cntpd") != 0) {
        LOG(LOGS_ERR, "cannot initialise the SNMP subagent");
        return -1;
    }
    /* init_agent() resets the AgentX ping interval to its default (15 s),
       so set it again: it is also how soon a lost master is retried. */
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
                       AGT_PING_INTERVAL);
    MIB_InitSystem();
    MIB_InitPeers();
    MIB_InitFilter();
    init_snmp("cntpd");
    MIB_InitNotify(cfg);
    MIB_InitAlarm(cfg);

    timeout_ev = evtimer_new(SCH_GetEventBase(), timeout_cb, NULL);
    if (!timeout_ev)
        LOG_Fatal(1, "cannot create the AgentX timer");
    running = 1;
    update();
    LOG(LOGS_INFO, "AgentX subagent started (master %s)",
        cfg->agentx_socket ? cfg->agentx_socket : "default socket");
    return 0;
}

void AGT_Fini(void)
{
    if (!running)
        return;
    running = 0;
    while (watches) {
        Watch *w = watches;
        watches = w->next;
        event_free(w->ev);
        free(w);
    }
    event_free(timeout_ev);
    timeout_ev = NULL;
    MIB_FiniAlarm();
    MIB_FiniNotify();
    MIB_FiniFilter();
    MIB_FiniPeers();
    snmp_shutdown("cntpd");
    shutdown_agent();
}
