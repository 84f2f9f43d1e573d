/*
 * engine_priv — what engine.c (the association table, selection, the
 * receive path) and control.c (the control API for SNMP rows, the state
 * file) share, and nothing else includes: the association record, the
 * lists it lives on, and the few operations both need.
 */
#ifndef CNTPD_ENGINE_PRIV_H
#define CNTPD_ENGINE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "peer.h"
#include "resolve.h"
#include "sched.h"

/* An association, or a row of cntpPeersVarTable without one (suspended:
   peer NULL, kept on the `eng_parked` list). The parameters are kept so a
   suspended row can be resumed as it was. */
typedef struct Assoc {
    PEER_Instance peer;
    uint32_t id;
    CTL_Origin origin;
    PEER_Params params;          /* params.host points to `host` */
    char host[CTL_HOST_LEN];
    NTP_Addr local;              /* source address asked for over SNMP; len 0: any */
    int start_pending;           /* loaded from the state file as active */
    /* prefer asked for (config `prefer`, cntpPeersPrefPeer true): the order
       it was set in, 0 not; params.prefer is whether the peer has it now
       (see eng_effective_prefer). */
    uint32_t prefer_seq;
    uint16_t port;
    RES_Request resolving;
    SCH_Timer retry;
    double retry_interval;
    struct Assoc *next;
} Assoc;

extern Assoc *eng_assocs;        /* running associations, in AssocId order */
extern size_t eng_n_assocs;
extern Assoc *eng_parked;        /* suspended rows (no association), in AssocId order */
extern uint32_t *eng_retired;    /* AssocIds used and removed in this run */
extern size_t eng_n_retired, eng_retired_cap;
extern int eng_max_assocs;       /* `tos maxassoc` */
extern char *eng_state_path;     /* statedir/STATE_FILE_NAME, NULL: none */
extern uint32_t eng_prefer_clock;    /* the last prefer_seq handed out */
extern int eng_local_stratum;        /* cntpSysStratum written (1..15), 0 never */
extern uint64_t eng_leap_announced_at; /* when the leap announced over SNMP takes effect */

/* engine.c */
Assoc *eng_new_record(uint32_t id, CTL_Origin origin, const PEER_Params *params);
void eng_insert_sorted(Assoc **list, Assoc *a);
void eng_start_assoc(Assoc *a, const NTP_Addr *addr);
void eng_stop_assoc(Assoc *victim);
void eng_retire_id(uint32_t id);
void eng_remove_assoc(Assoc *victim);

/* control.c */
int eng_id_in_use(uint32_t id);
int eng_id_retired(uint32_t id);
int eng_effective_prefer(const Assoc *a);
/* After the running associations are gone (ENG_Fini): free the suspended
   rows and forget the row state shared with engine.c (retired AssocIds,
   prefer order, local stratum, leap announcement, state file path). */
void eng_forget_rows(void);
size_t eng_load_state(const char *statedir);
void eng_start_loaded(size_t n);

#endif
