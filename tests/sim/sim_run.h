/*
 * sim_run — one simulated run of the engine through a scenario, and what
 * was measured. Offsets are the TRUE offset of the local clock (local -
 * true, s; positive: ahead), sampled once per simulated second from
 * elapsed 0 to the end of the run inclusive.
 */
#ifndef CNTPD_SIM_RUN_H
#define CNTPD_SIM_RUN_H

#include <stdint.h>

#include "sim_net.h"
#include "sim_refclock.h"
#include "sim_scenario.h"

#define SIM_SETTLE 3000.0          /* s before RMS and max are taken */
#define SIM_WITHIN 1e-3            /* s, the "within 1 ms" threshold */
#define SIM_BUMP_QUIET_END 1000.0  /* s at the end of a run without new bumps */
#define SIM_MAX_BUMPS 64
#define SIM_MAX_OUTAGES 64

typedef struct {
    uint64_t seed;
    double duration;        /* s of simulated time */
    int slew_only;          /* -x on top of the scenario's own setting */
    int verbose;            /* engine log lines to stderr (else discarded) */
    int debug;              /* engine debug lines too */
    const char *csv;        /* per-second samples to this file, or NULL */
} SIM_RunOptions;

typedef struct {
    double at;              /* elapsed s of the bump */
    double window;          /* s until the next bump or the end of the run */
    double recovery;        /* s from the bump until |offset| stays < 1 ms within
                               the window; -1: not within the window */
    unsigned steps;         /* driver steps in the window */
} SIM_Bump;

typedef struct {
    double start, end;      /* elapsed s */
    int synced_at_start;
    int lost_sync;          /* unsynchronised at some second of the outage */
} SIM_Outage;

typedef struct {
    char scenario[32];
    uint64_t seed;
    double duration, settle;
    int slew_only;

    int completed;          /* the run finished (else `error` says why) */
    char error[320];

    double rms, max_abs, mean;     /* s, samples at elapsed >= settle (mean: bias) */
    /* At each clock update after the settle time: the system peer's
       filter output minus the true offset when that sample arrived (s,
       RMS), i.e. the measurement noise the discipline was given. */
    double meas_rms;
    unsigned meas_n;
    double within_1ms;      /* s from the start until |offset| < 1 ms for good; -1 never */
    double first_sync;      /* s until the engine first claimed sync; -1 never */
    unsigned sync_changes;  /* synchronised <-> unsynchronised transitions (stratum 16),
                               seen after every event */
    double unsync_after_sync;      /* s unsynchronised after the first sync */
    double holdover;        /* s synchronised but holding over (no selectable source) */

    unsigned steps, slews, freq_sets;
    double stepped;         /* s, sum of |step| */
    double final_offset;    /* s */
    double final_residual;  /* ppm, intrinsic + wander + correction at the end */
    double final_correction;       /* ppm, what the engine set */

    /* cntpSysSrvStatus at the end, and what the simulated reference clock
       hardware produced (scenarios with one). */
    int final_status;
    SIMR_Stats refclock;

    int n_servers;
    char server_addr[SIMN_MAX_SERVERS][16];
    double syspeer_frac[SIMN_MAX_SERVERS];   /* fraction of samples as system peer */
    unsigned syspeer_s[SIMN_MAX_SERVERS];    /* samples (s) as system peer */
    unsigned char ever_syspeer[SIMN_MAX_SERVERS];   /* at any event, however briefly */
    double combined_frac[SIMN_MAX_SERVERS];  /* fraction of samples combined (+ or *) */
    double nopeer_frac;
    double refclock_frac;    /* fraction of samples with a reference clock as system peer */
    int bad_server;

    int n_bumps;
    SIM_Bump bumps[SIM_MAX_BUMPS];
    int n_outages;
    SIM_Outage outages[SIM_MAX_OUTAGES];

    /* Roles of the simulated servers and the engine's association with
       each at the end of the run (PEER_Report mode, -1: none). */
    int custom_config;      /* the scenario's own configuration text */
    int role[SIMN_MAX_SERVERS];              /* SIMN_Role */
    int assoc_mode[SIMN_MAX_SERVERS];
    int assoc_configured[SIMN_MAX_SERVERS];
    SIMN_ServerStats net[SIMN_MAX_SERVERS];  /* per server, incl. the peers' checks */

    /* Leap seconds. */
    int64_t epoch, leap_at, leap_month_end;  /* scenario (Unix s; 0: none) */
    unsigned leaps_inserted;       /* by the simulated kernel */
    double leap_elapsed;           /* elapsed s of the insertion, -1 none */
    double leap_phase;             /* s, local - true then */
    unsigned arm_calls;            /* set_status with leap != 0 */
    double arm_first_local, arm_last_local;   /* local clock then (s since epoch) */
    double li_first, li_last;      /* elapsed s cntpd (synchronised) first/last
                                      announced LI = 1; -1 never */
    unsigned spikes;               /* times the discipline entered SPIK */
    double max_window;             /* s, max |offset| in the hour either side of
                                      the leap (or month end); NAN: not in the run */

    uint64_t tx, rx, accepted, rejected;     /* engine counters */
    uint64_t lost_up, lost_down, lost_outage;   /* simulated network, all servers */
    unsigned long events;   /* scheduler events run */
} SIM_Result;

/* Run `sc` and fill `res`. Uses process-wide engine state: run at most one
   per process (sim_main forks a child per run). Returns 0, or -1 when the
   run could not start (res->error). */
int SIM_Run(const SIM_Scenario *sc, const SIM_RunOptions *opts, SIM_Result *res);

#endif
