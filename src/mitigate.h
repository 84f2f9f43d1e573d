/*
 * mitigate — RFC 5905 §11.2 mitigation: the selection algorithm
 * (intersection of correctness intervals, finding the truechimers), the
 * cluster algorithm (pruning outliers down to minclock survivors), and the
 * combine algorithm (distance-weighted offset and system jitter), then the
 * choice of the system peer. Marks every peer with its outcome and returns
 * the combined result; the caller (engine) hands it to the discipline and
 * updates the system variables.
 */
#ifndef CNTPD_MITIGATE_H
#define CNTPD_MITIGATE_H

#include "peer.h"

typedef struct {
    int minsane;       /* survivors needed to synchronise (tos minsane, default 1) */
    int minclock;      /* cluster stops pruning at this many (tos minclock, default 3) */
    int maxclock;      /* at most this many candidates (tos maxclock, default 10) */
    double maxdist;    /* s, root distance above which a peer is unfit (tos maxdist, 1.5) */
} SEL_Params;

#define SEL_DEFAULT_PARAMS { 1, 3, 10, 1.5 }

typedef struct {
    int synced;              /* a system peer was chosen */
    PEER_Instance sys_peer;
    double offset;           /* s, combined offset (server - local) */
    double jitter;           /* s, system jitter */
    int survivors;
    int truechimers;
    int falsetickers;
} SEL_Result;

void SEL_SetParams(const SEL_Params *params);
const SEL_Params *SEL_GetParams(void);

/* Run selection over `peers` at scheduler time `now` (s) with the system
   poll `sys_poll` (log2 s, for the distance threshold). `prev_sys_peer`
   is kept when it survives and is as good as the best (avoids needless
   clockhopping). */
void SEL_Run(PEER_Instance *peers, int n, double now, int sys_poll,
             PEER_Instance prev_sys_peer, SEL_Result *result);

#endif
