/*
 * events — what happened in the engine that someone outside it (the SNMP
 * notifications, later the alarms) wants to hear about, as it happens:
 * an association became reachable or unreachable, the system's
 * synchronisation status (cntpSysSrvStatus) changed. The engine and the
 * associations emit; listeners subscribe. Listeners get plain values, never
 * engine pointers, and must not call back into the engine from the handler
 * except through the snapshot API.
 */
#ifndef CNTPD_EVENTS_H
#define CNTPD_EVENTS_H

#include <stdint.h>

#include "addr.h"

typedef enum {
    EVT_PEER_REACHABLE,      /* assoc_id, addr, reach register */
    EVT_PEER_UNREACHABLE,    /* assoc_id, addr, reach register (0) */
    EVT_SYNC_STATUS,         /* status: new cntpSysSrvStatus value */
    EVT_PEER_GONE,           /* assoc_id: the association stopped (suspended,
                                destroyed, dissolved): forget its state */
} EVT_Type;

typedef struct {
    EVT_Type type;
    uint32_t assoc_id;
    NTP_Addr addr;
    int configured;          /* the association comes from config or SNMP */
    int prefer;
    uint8_t reach;
    int status;              /* EVT_SYNC_STATUS: SYS_Status value */
} EVT_Event;

typedef void (*EVT_Handler)(const EVT_Event *event, void *arg);

/* Subscribe (at most EVT_MAX_LISTENERS); NULL handler ignored. */
#define EVT_MAX_LISTENERS 8
void EVT_Subscribe(EVT_Handler handler, void *arg);
void EVT_Unsubscribe(EVT_Handler handler, void *arg);

void EVT_Emit(const EVT_Event *event);

#endif
