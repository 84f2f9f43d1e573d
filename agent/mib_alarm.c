/* mib_alarm — the `alarm` lines: a timer per alarm samples the engine's
 * snapshot (ENG_GetSystemReport / ENG_GetPeerReports) every interval,
 * alarm.c decides, and an event is logged and sent as RMON-MIB
 * risingAlarm / fallingAlarm through the AgentX master (send_v2trap: an
 * AgentX Notify-PDU, which snmpd forwards to its trap sinks).
 *
 * Varbinds after sysUpTime.0 and snmpTrapOID.0 (the RMON-MIB OBJECTS, in
 * their order): alarmIndex.I (INTEGER I), alarmVariable.I (OBJECT
 * IDENTIFIER: the CISCO-NTP-MIB instance sampled, zeroDotZero when the
 * quantity has none), alarmSampleType.I (absoluteValue(1) / deltaValue(2)),
 * alarmValue.I (Integer32, µs), alarmRisingThreshold.I or
 * alarmFallingThreshold.I (µs). cntpd does not serve RMON-MIB's alarmTable;
 * the instances only carry the values, as an NMS that knows RMON-MIB
 * decodes them by OID.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm.h"
#include "engine.h"
#include "log.h"
#include "mem.h"
#include "mib_modules.h"
#include "sched.h"

typedef struct {
    CNF_Alarm cfg;
    ALM_Alarm st;
    SCH_Timer timer;
    int sampling;   /* the last interval had a sample (for the log) */
} Entry;

static struct {
    Entry *e;
    size_t n;
} al;

/* RMON-MIB: rmon = mib-2.16, rmonEventsV2 = rmon.0, alarmEntry = rmon.3.1.1 */
#define RMON_OID 1, 3, 6, 1, 2, 1, 16
#define ALARM_ENTRY_OID RMON_OID, 3, 1, 1
enum {
    COL_ALARM_INDEX = 1,
    COL_ALARM_VARIABLE = 3,
    COL_ALARM_SAMPLE_TYPE = 4,
    COL_ALARM_VALUE = 5,
    COL_ALARM_RISING_THRESHOLD = 7,
    COL_ALARM_FALLING_THRESHOLD = 8,
};

static const oid snmp_trap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

/* The CISCO-NTP-MIB instance of the sampled quantity into `name` (at least
   MAX_OID_LEN); its length. sys.offset, sys.jitter and peer.jitter have no
   object in CISCO-NTP-MIB: zeroDotZero (0.0). */
static size_t variable_oid(const CNF_Alarm *a, oid *name)
{
    static const oid sys[] = { CNTP_SYSTEM_OID };
    static const oid peers[] = { CNTP_PEERS_TABLE_OID, 1 };
    oid col;

    switch (a->object) {
    case CNF_ALARM_SYS_ROOTDELAY:
    case CNF_ALARM_SYS_ROOTDISP:
        memcpy(name, sys, sizeof sys);
        name[OID_LENGTH(sys)] = a->object == CNF_ALARM_SYS_ROOTDELAY ? COL_SYS_ROOT_DELAY
                                                                    : COL_SYS_ROOT_DISPERSION;
        name[OID_LENGTH(sys) + 1] = 0;
        return OID_LENGTH(sys) + 2;
    case CNF_ALARM_PEER_OFFSET:
    case CNF_ALARM_PEER_DELAY:
    case CNF_ALARM_PEER_DISPERSION:
    case CNF_ALARM_PEER_ROOTDELAY:
    case CNF_ALARM_PEER_ROOTDISP:
        col = a->object == CNF_ALARM_PEER_OFFSET ? COL_PEER_OFFSET
              : a->object == CNF_ALARM_PEER_DELAY ? COL_PEER_DELAY
              : a->object == CNF_ALARM_PEER_DISPERSION ? COL_PEER_DISPERSION
              : a->object == CNF_ALARM_PEER_ROOTDELAY ? COL_PEER_ROOT_DELAY
                                                      : COL_PEER_ROOT_DISPERSION;
        memcpy(name, peers, sizeof peers);
        name[OID_LENGTH(peers)] = col;
        name[OID_LENGTH(peers) + 1] = a->assoc_id;
        return OID_LENGTH(peers) + 2;
    case CNF_ALARM_SYS_OFFSET:
    case CNF_ALARM_SYS_JITTER:
    case CNF_ALARM_PEER_JITTER:
        break;
    }
    name[0] = 0;
    name[1] = 0;
    return 2;
}

static void add_column(netsnmp_variable_list **vars, oid col, uint32_t index, u_char type,
                       const void *value, size_t len)
{
    oid name[] = { ALARM_ENTRY_OID, col, index };

    snmp_varlist_add_variable(vars, name, OID_LENGTH(name), type, (const u_char *)value, len);
}

static void send_alarm(const Entry *e, ALM_Event ev)
{
    oid notification[] = { RMON_OID, 0, (oid)ev };
    oid variable[MAX_OID_LEN];
    size_t vlen = variable_oid(&e->cfg, variable);
    netsnmp_variable_list *vars = NULL;
    long index = e->cfg.index, type = e->cfg.delta ? 2 : 1, value = ALM_Value32(&e->st);
    long threshold = ev == ALM_RISING ? e->cfg.rising : e->cfg.falling;

    snmp_varlist_add_variable(&vars, snmp_trap_oid, OID_LENGTH(snmp_trap_oid), ASN_OBJECT_ID,
                              (const u_char *)notification, sizeof notification);
    add_column(&vars, COL_ALARM_INDEX, e->cfg.index, ASN_INTEGER, &index, sizeof index);
    add_column(&vars, COL_ALARM_VARIABLE, e->cfg.index, ASN_OBJECT_ID, variable,
               vlen * sizeof(oid));
    add_column(&vars, COL_ALARM_SAMPLE_TYPE, e->cfg.index, ASN_INTEGER, &type, sizeof type);
    add_column(&vars, COL_ALARM_VALUE, e->cfg.index, ASN_INTEGER, &value, sizeof value);
    add_column(&vars, ev == ALM_RISING ? COL_ALARM_RISING_THRESHOLD : COL_ALARM_FALLING_THRESHOLD,
               e->cfg.index, ASN_INTEGER, &threshold, sizeof threshold);
    send_v2trap(vars);   /* prepends sysUpTime.0 */
    snmp_free_varbind(vars);
}

static void describe(const CNF_Alarm *a, char *buf, size_t len)
{
    if (ALM_IsPeerObject(a->object))
        snprintf(buf, len, "%s.%u", ALM_ObjectName(a->object), a->assoc_id);
    else
        snprintf(buf, len, "%s", ALM_ObjectName(a->object));
}

/* The quantity now, µs; 0 when there is no sample. */
static int sample(const CNF_Alarm *a, int64_t *out)
{
    int absval = ALM_IsOffsetObject(a->object);

    if (!ALM_IsPeerObject(a->object)) {
        ENG_SystemReport r;
        double v;

        ENG_GetSystemReport(&r);
        if (!r.synchronised)
            return 0;
        v = a->object == CNF_ALARM_SYS_OFFSET ? r.sys.offset
            : a->object == CNF_ALARM_SYS_ROOTDELAY ? r.sys.root_delay
            : a->object == CNF_ALARM_SYS_ROOTDISP ? r.sys.root_dispersion : r.sys.jitter;
        *out = ALM_Micro(v, absval);
        return 1;
    } else {
        PEER_Report *reports;
        size_t n = ENG_GetPeerReports(&reports);
        int found = 0;

        for (size_t i = 0; i < n && !found; i++) {
            const PEER_Report *p = &reports[i];
            double v;

            if (p->assoc_id != a->assoc_id || !p->have_sample)
                continue;
            /* Root delay and dispersion: as the association's last
               accepted packet gave them (what cntpPeersRootDelay and
               cntpPeersRootDispersion serve). */
            v = a->object == CNF_ALARM_PEER_OFFSET ? p->offset
                : a->object == CNF_ALARM_PEER_DELAY ? p->delay
                : a->object == CNF_ALARM_PEER_DISPERSION ? p->dispersion
                : a->object == CNF_ALARM_PEER_ROOTDELAY ? p->root_delay
                : a->object == CNF_ALARM_PEER_ROOTDISP ? p->root_dispersion : p->jitter;
            *out = ALM_Micro(v, absval);
            found = 1;
        }
        free(reports);
        return found;
    }
}

static void timer_cb(void *arg)
{
    Entry *e = arg;
    char what[64];
    int64_t raw;
    ALM_Event ev;

    e->timer = SCH_AddTimer((double)e->cfg.interval, timer_cb, e);
    describe(&e->cfg, what, sizeof what);
    if (!sample(&e->cfg, &raw)) {
        if (e->sampling)
            LOG(LOGS_INFO, "alarm %u: %s has no value now (%s); not sampled until it has",
                e->cfg.index, what,
                ALM_IsPeerObject(e->cfg.object) ? "no such association or no sample yet"
                                                : "not synchronised");
        e->sampling = 0;
        ALM_NoSample(&e->st);
        return;
    }
    e->sampling = 1;
    ev = ALM_Sample(&e->st, raw);
    if (ev == ALM_NONE)
        return;
    LOG(ev == ALM_RISING ? LOGS_WARN : LOGS_INFO,
        "alarm %u: %s%s %s %lld us, %s the %s threshold of %ld us; sending %s",
        e->cfg.index, e->cfg.delta ? "change of " : "", what,
        ev == ALM_RISING ? "rose to" : "fell to", (long long)e->st.value,
        ev == ALM_RISING ? "at or above" : "at or below", ev == ALM_RISING ? "rising" : "falling",
        (long)(ev == ALM_RISING ? e->cfg.rising : e->cfg.falling),
        ev == ALM_RISING ? "risingAlarm" : "fallingAlarm");
    send_alarm(e, ev);
}

void MIB_InitAlarm(const CNF_Config *cfg)
{
    if (!cfg->n_alarms)
        return;
    al.e = MEM_Malloc(cfg->n_alarms * sizeof(*al.e));
    al.n = cfg->n_alarms;
    for (size_t i = 0; i < al.n; i++) {
        Entry *e = &al.e[i];
        char what[64];

        memset(e, 0, sizeof *e);
        e->cfg = cfg->alarms[i];
        e->sampling = 1;
        ALM_Init(&e->st, e->cfg.rising, e->cfg.falling, e->cfg.delta, (int)e->cfg.startup);
        e->timer = SCH_AddTimer((double)e->cfg.interval, timer_cb, e);
        describe(&e->cfg, what, sizeof what);
        LOG(LOGS_INFO, "alarm %u: %s (%s sampling%s, us) every %d s, rising %ld, falling %ld, "
            "startup %s", e->cfg.index, what, e->cfg.delta ? "delta" : "absolute",
            ALM_IsOffsetObject(e->cfg.object) ? " of |offset|" : "", e->cfg.interval,
            (long)e->cfg.rising, (long)e->cfg.falling,
            e->cfg.startup == CNF_ALARM_STARTUP_RISING ? "rising"
            : e->cfg.startup == CNF_ALARM_STARTUP_FALLING ? "falling" : "both");
    }
}

void MIB_FiniAlarm(void)
{
    for (size_t i = 0; i < al.n; i++)
        SCH_RemoveTimer(al.e[i].timer);
    free(al.e);
    memset(&al, 0, sizeof al);
}
