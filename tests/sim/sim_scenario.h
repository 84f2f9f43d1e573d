/*
 * sim_scenario — the table of named scenarios: servers and their paths,
 * the local clock's starting state, injected VM bumps, outages, and the
 * options the engine runs with. Units: s and ppm; signs as sim_clock.h
 * (phase = local - true) and sim_net.h (server offset = server - true).
 */
#ifndef CNTPD_SIM_SCENARIO_H
#define CNTPD_SIM_SCENARIO_H

#include <stdint.h>

#include "sim_net.h"
#include "sim_refclock.h"

typedef struct {
    const char *name;
    const char *summary;
    /* The configuration text (through the real parser); NULL: one
       `server ADDR iburst` line per simulated server. */
    const char *config;
    double duration;         /* s, default run length; 0: 40 000 */
    int64_t epoch;           /* Unix time at elapsed 0; 0: 2025-01-01 */
    int64_t leap_at;         /* true UTC inserts a leap second before this
                                00:00:00 (Unix s); 0: none */
    int64_t leap_month_end;  /* the month end the leap checks are about
                                (Unix s; = leap_at when there is one) */
    int n_servers;
    SIMN_Server servers[SIMN_MAX_SERVERS];
    SIMN_Outage outage;
    double phase;            /* s, local - true at the start */
    double freq_error;       /* ppm, intrinsic, positive runs fast */
    double wander;           /* ppm / sqrt(s), frequency random walk */
    double bump_interval;    /* s, mean time between VM bumps (exponential); 0: none */
    double bump_size;        /* s added to the local clock by each bump */
    int bump_announced;      /* the bump is a clock *set* (hypervisor time sync,
                                settimeofday) that the kernel reports to
                                timerfd TFD_TIMER_CANCEL_ON_SET watchers; 0: a
                                silent jump (clocksource glitch) */
    int slew_only;           /* run as with -x */
    int bad_server;          /* index of a server that must never be system peer, -1 */
    /* Simulated reference clock hardware (config text names the NMEA line
       "@NMEA@", replaced by the pseudo-terminal's path). */
    SIMR_Params refclock;
} SIM_Scenario;

/* Number of scenarios and the i-th one, in --all order. */
int SIM_ScenarioCount(void);
const SIM_Scenario *SIM_ScenarioGet(int i);

/* By name; "NAME" with slew_only asks for the -x variant when the table
   has one ("vm-bumps" + -x is "vm-bumps-x"). NULL if unknown. */
const SIM_Scenario *SIM_ScenarioFind(const char *name, int slew_only);

#endif
