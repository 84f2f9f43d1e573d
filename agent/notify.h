/*
 * notify — which CISCO-NTP-MIB notifications the engine's events (events.h)
 * turn into, and when: the decisions only, without net-snmp, so they can be
 * tested on their own (mib_notify.c sends what this module decides).
 *
 *   ciscoNtpSrvStatusChange          every change of cntpSysSrvStatus
 *   ciscoNtpHighPriorityConnFailure  a high-priority source became unreachable
 *   ciscoNtpHighPriorityConnRestore  ... and is reachable again
 *   ciscoNtpGeneralConnFailure       no configured source is reachable any more
 *   ciscoNtpGeneralConnRestore       after that, the first one back
 *
 * Flap damping: reachability changes of a source (which follow its reach
 * register, so a single lost packet is no change) pass into notifications
 * at most once each way per hold-down period. A period starts with a
 * notified change; within it one failure and one restore of that source
 * are notified, later changes are counted and suppressed. When the period
 * ends the suppressed changes are logged with the reach register, and if
 * the source's state then differs from the last notified one, that change
 * is notified (late, by design) and starts the next period; the flaps
 * logged are the down/up pairs the NMS never hears of, so that change is
 * not one of them. The general
 * notifications follow the notified (damped) states of the configured
 * sources, so they are damped with them.
 *
 * A restore is only sent after the matching failure was: a source that
 * becomes reachable at start-up sends nothing.
 */
#ifndef CNTPD_NOTIFY_H
#define CNTPD_NOTIFY_H

#include <stdint.h>

#include "addr.h"
#include "events.h"

/* The notifications; the values are the last sub-identifier of their OIDs
   (ciscoNtpMIBNotifs.N = 1.3.6.1.4.1.9.9.168.0.N). */
typedef enum {
    NTF_SRV_STATUS_CHANGE = 1,
    NTF_HP_CONN_FAILURE = 2,
    NTF_HP_CONN_RESTORE = 3,
    NTF_GENERAL_CONN_FAILURE = 4,
    NTF_GENERAL_CONN_RESTORE = 5,
} NTF_Kind;

typedef struct {
    NTF_Kind kind;
    uint32_t assoc_id;   /* instance of cntpPeersPeerAddress; 0 if none */
    NTP_Addr addr;       /* its address (kinds 2, 3, 5) */
    int status;          /* NTF_SRV_STATUS_CHANGE: new cntpSysSrvStatus */
} NTF_Notification;

typedef void (*NTF_Sender)(const NTF_Notification *n, void *arg);
/* The reach register of an association now; -1 when it is gone. */
typedef int (*NTF_ReachLookup)(uint32_t assoc_id, void *arg);

typedef struct NTF_State NTF_State;

/* `holddown` s (0: no damping). `reach` may be NULL (the last event's
   register is logged then). */
NTF_State *NTF_New(double holddown, NTF_Sender send, NTF_ReachLookup reach, void *arg);
void NTF_Free(NTF_State *st);

/* An event at scheduler time `now`. `high_priority`: whether the source
   counts as high priority (the caller's `trap highpriority` decision);
   ignored for EVT_SYNC_STATUS. */
void NTF_Event(NTF_State *st, const EVT_Event *ev, int high_priority, double now);

/* End the hold-down periods due at `now`. */
void NTF_Expire(NTF_State *st, double now);

/* When the next hold-down period ends (scheduler s), or -1.0 if none runs. */
double NTF_NextDeadline(const NTF_State *st);

/* "ciscoNtpSrvStatusChange", ... */
const char *NTF_KindName(NTF_Kind kind);

#endif
