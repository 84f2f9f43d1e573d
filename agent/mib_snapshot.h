/*
 * mib_snapshot — one copy of the engine's peer reports shared by the peers
 * and filter tables, refreshed at most once every MIB_CACHE_SECONDS when a
 * request comes in: a walk sees rows from one moment, and a burst of
 * requests costs one copy. The filter rows (association, stage) are listed
 * in OID order at the same time.
 */
#ifndef CNTPD_MIB_SNAPSHOT_H
#define CNTPD_MIB_SNAPSHOT_H

#include <stddef.h>

#include "control.h"
#include "engine.h"

typedef struct {
    size_t peer;       /* index into the peer reports */
    int slot;          /* ring slot 0..7 (the MIB's cntpFilterIndex - 1) */
} MIBS_FilterRow;

void MIBS_Refresh(void);
void MIBS_Fini(void);
/* Take a new snapshot at the next request (after a SET changed rows). */
void MIBS_Invalidate(void);

/* Rows of cntpPeersVarTable: associations and suspended rows; the report
   and the row (status, origin, settings) of row i. */
size_t MIBS_PeerCount(void);
const PEER_Report *MIBS_Peer(size_t i);
const CTL_Row *MIBS_Row(size_t i);

size_t MIBS_FilterCount(void);
const MIBS_FilterRow *MIBS_Filter(size_t i);

#endif
