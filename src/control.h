/*
 * control — the engine's narrow control API for agent/ (SNMP row creation
 * in cntpPeersVarTable): add an association under an AssocId the manager
 * chose, suspend and resume it, change it while suspended, remove it, and
 * keep the SNMP-made ones in the state file (state.h). Implemented in
 * control.c over the association table engine.c owns (engine_priv.h);
 * agent/ never sees that table.
 *
 * Rows have an origin: the config file (`server`/`peer`/`broadcast`
 * lines), SNMP, or ephemeral (mobilised by a packet). Only SNMP rows can be
 * changed or removed; config rows can be suspended and resumed (the
 * suspension is not kept across a restart: the config file is the truth
 * for its rows); ephemeral rows are left alone.
 *
 * A suspended row (notInService, or notReady while it has no address) has
 * no association behind it: nothing is polled, nothing is selected. It
 * keeps its AssocId. AssocIds are never reused while the daemon runs: an
 * id once used and removed cannot be created again until a restart.
 */
#ifndef CNTPD_CONTROL_H
#define CNTPD_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "peer.h"

#define CTL_MAX_ASSOC_ID 2147483647u   /* NTPAssocIdentifier (0..2147483647), 0 none */
#define CTL_HOST_LEN 256

typedef enum {
    CTL_OK = 0,
    CTL_BAD_ID,          /* 0 or beyond CTL_MAX_ASSOC_ID */
    CTL_EXISTS,          /* the id is in use */
    CTL_RETIRED,         /* the id was used earlier in this run */
    CTL_NO_SUCH,         /* no row with that id */
    CTL_BAD_MODE,        /* not symmetric active, client or broadcast */
    CTL_BAD_HOST,        /* not a numeric address or a host name */
    CTL_NO_HOST,         /* activation without an address */
    CTL_NOT_LOCAL,       /* local address not on this host */
    CTL_FULL,            /* `tos maxassoc` reached */
    CTL_NOT_OURS,        /* a config-file or ephemeral row: not changeable */
    CTL_ACTIVE,          /* address/mode/local change of an active row */
    CTL_BAD_STRATUM,     /* local stratum not 1..15 */
    CTL_NOT_PRIMARY,     /* leap announcement while the local stratum is not 1 */
    CTL_LEAP_WINDOW,     /* leap announcement outside the 28 days before month end */
} CTL_Status;

typedef enum {
    CTL_ORIGIN_CONFIG,
    CTL_ORIGIN_SNMP,
    CTL_ORIGIN_EPHEMERAL,
} CTL_Origin;

typedef struct {
    int mode;                  /* NTP_MODE_SYM_ACTIVE, _CLIENT or _BROADCAST */
    char host[CTL_HOST_LEN];   /* numeric address or DNS name; "" none yet */
    int prefer;
    NTP_Addr local;            /* source address; len 0: any */
} CTL_Spec;

typedef struct {
    uint32_t id;
    int active;                /* 0: suspended (notInService, or notReady if no host) */
    CTL_Origin origin;
    CTL_Spec spec;             /* spec.prefer: the row asks for prefer */
    uint32_t prefer_order;     /* when it was asked for (smaller: earlier), 0 not */
    int prefer_effective;      /* its association is the preferred one now */
} CTL_Row;

const char *CTL_StatusName(CTL_Status status);

/* Every row (associations and suspended rows) in AssocId order: reports
   (a suspended row's is its settings with nothing measured) and rows,
   two malloc'ed arrays of the returned length that the caller frees. */
size_t CTL_GetRows(PEER_Report **reports, CTL_Row **rows);

/* The row with that id: 1 and *row filled, or 0. */
int CTL_Find(uint32_t id, CTL_Row *row);

/* Could a row with this id be created now (CTL_OK), and if not why. */
CTL_Status CTL_CheckCreate(uint32_t id);

/* Check a spec on its own: mode, host syntax, local address. */
CTL_Status CTL_CheckSpec(const CTL_Spec *spec);

/* Is `addr` an address of this host (a UDP socket can bind to it)? */
int CTL_IsLocalAddress(const NTP_Addr *addr);

/* Create an SNMP row; active (needs a host) or suspended. Names are
   resolved afterwards, asynchronously, as for config-file servers. */
CTL_Status CTL_Create(uint32_t id, const CTL_Spec *spec, int active);

/* Change an SNMP row's settings. An active row may only change `prefer`
   (its association restarts); mode, host and local need it suspended. */
CTL_Status CTL_Update(uint32_t id, const CTL_Spec *spec);

/* Suspend (0) or resume (1) an SNMP or config-file row. */
CTL_Status CTL_SetActive(uint32_t id, int active);

/* Remove an SNMP row. `retire`: its id can no longer be created in this
   run (a destroy); 0 to undo a creation of the same request. */
CTL_Status CTL_Remove(uint32_t id, int retire);

/* Put an SNMP row back exactly as `row` says (undo of a change or a
   destroy), replacing whatever has that id now. */
CTL_Status CTL_Restore(const CTL_Row *row);

/* cntpPeersPrefPeer: one SNMP row is preferred at a time, the one whose
   prefer was set first (CTL_Row.prefer_order) among the active ones; when
   it is cleared, suspended or removed, the next one takes over (its
   association restarts with prefer, as a peer takes its parameters at
   creation). Config-file `prefer` lines count as set before any SNMP row,
   and all of them are honoured, as in ntpd; while one of them is active no
   SNMP row is preferred. */

/* cntpSysStratum written: the stratum cntpd serves while the LOCAL clock
   (`master N`, 127.127.1.U) is its system peer, 1..15, overriding the
   configured one; 0 when never written. Kept in the state file. Without a
   LOCAL clock (or while another source is selected) nothing changes. */
int CTL_GetLocalStratum(void);
CTL_Status CTL_SetLocalStratum(int stratum);   /* 1..15, or 0 to forget (undo) */

/* cntpSysLeap written: announce (+1 insert, -1 delete) or withdraw (0) a
   leap second at the end of the current month, as `ntp leap add|delete`
   (leapstate.h). CTL_CheckLeap says whether it would be accepted with the
   local stratum `stratum` (a PDU may set both): announcing needs stratum 1
   (a primary server) and the 28 days before the end of the month;
   withdrawing is always accepted. Kept in the state file until the leap
   has passed. */
CTL_Status CTL_CheckLeap(int direction, int stratum);
CTL_Status CTL_AnnounceLeap(int direction);
int CTL_GetAnnouncedLeap(void);

/* Write the SNMP rows to the state file now (nothing without statedir);
   0, or -1 (logged). */
int CTL_SaveState(void);

#endif
