/*
 * sysvars — the system variables of RFC 5905 §11.2: what cntpd tells its
 * clients and the MIB about its own synchronisation (leap, stratum,
 * precision, root delay, root dispersion, reference id and time, poll, the
 * system peer). Written by mitigation/discipline; read by the server, the
 * associations and the reports.
 */
#ifndef CNTPD_SYSVARS_H
#define CNTPD_SYSVARS_H

#include <stdint.h>

#include "ntp_time.h"

/* Values of cntpSysSrvStatus (CISCO-NTP-MIB). */
typedef enum {
    SYS_STATUS_UNKNOWN = 1,
    SYS_STATUS_NOT_RUNNING = 2,
    SYS_STATUS_NOT_SYNCHRONIZED = 3,
    SYS_STATUS_SYNC_TO_LOCAL = 4,
    SYS_STATUS_SYNC_TO_REFCLOCK = 5,
    SYS_STATUS_SYNC_TO_REMOTE = 6,
} SYS_Status;

typedef struct {
    int leap;               /* NTP_Leap; 3 while unsynchronised */
    int stratum;            /* 16 while unsynchronised */
    int precision;          /* log2 s */
    int poll;               /* log2 s, system poll exponent */
    double root_delay;      /* s, to the primary reference */
    double root_dispersion; /* s, at `reference_time`; grows after it */
    uint32_t refid;         /* host order */
    NTP_Timestamp reference_time;   /* when the clock was last updated */
    double reference_mono;  /* scheduler s of that update (for aging) */
    uint32_t sys_peer;      /* AssocId of the system peer, 0 if none */
    double offset;          /* s, last combined offset (server - local) */
    double jitter;          /* s, system jitter */
    SYS_Status status;
} SYS_Vars;

#define SYS_MINPOLL_DEFAULT 6

void SYS_Init(int precision_log2, int poll);

/* The current system variables (never NULL). */
const SYS_Vars *SYS_Get(void);

/* Replace the system variables (mitigation/discipline). */
void SYS_Set(const SYS_Vars *vars);

/* Forget synchronisation: leap 3, stratum 16, no peer. */
void SYS_SetUnsynchronised(void);

/* Root dispersion as it stands at scheduler time `now`: the stored value
   grown at PHI since the last update (RFC 5905 §11.2, "rootdisp" plus
   aging). */
double SYS_RootDispersionNow(double now);

#endif
