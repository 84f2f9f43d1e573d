/* sim_run — see sim_run.h. Start-up and shutdown follow src/main.c's order
   with the simulator's scheduler, clock and network in place of libevent,
   the system clock and sockets. */
#include "sim_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "counters.h"
#include "engine.h"
#include "log.h"
#include "options.h"
#include "sim_clock.h"
#include "sim_log.h"
#include "sim_metrics.h"
#include "sim_rng.h"
#include "sim_sched.h"
#include "sim_view.h"
#include "sysvars.h"

#define SIM_RNG_STREAM_BUMPS 2

static const SIM_Scenario *scenario;

static void sample(void *arg)
{
    (void)arg;
    SIMM_Sample();
    SIMS_AddAt(SIMS_Elapsed() + 1.0, sample, NULL);
}

static void after_event(double elapsed)
{
    SIMM_AfterEvent();
    SIML_Drain(elapsed);
}

static void bump(void *arg)
{
    (void)arg;
    SIMC_Inject(scenario->bump_size);
    if (scenario->bump_announced)
        SIMC_AnnounceSet();
}

/* The configuration as an operator would write it, through the real
   parser: the scenario's own text, or one `server ADDR iburst` line per
   simulated server. */
static char *make_config(const SIM_Scenario *sc)
{
    size_t len = 256 + 64 * (size_t)sc->n_servers + (sc->config ? strlen(sc->config) : 0);
    char *text = malloc(len);
    size_t used = 0;

    if (!text)
        return NULL;
    used += (size_t)snprintf(text + used, len - used, "# cntpd-sim scenario %s\n", sc->name);
    if (sc->config) {
        /* "@NMEA@": the simulated receiver's pseudo-terminal. */
        const char *at = strstr(sc->config, "@NMEA@");
        if (at)
            snprintf(text + used, len - used, "%.*s%s%s", (int)(at - sc->config), sc->config,
                     SIMR_NmeaPath(), at + 6);
        else
            snprintf(text + used, len - used, "%s", sc->config);
        return text;
    }
    for (int i = 0; i < sc->n_servers; i++)
        used += (size_t)snprintf(text + used, len - used, "server %s iburst\n",
                                 sc->servers[i].addr);
    return text;
}

int SIM_Run(const SIM_Scenario *sc, const SIM_RunOptions *o, SIM_Result *r)
{
    CNF_Config cfg;
    char err[256];
    FILE *csv = NULL;

    memset(r, 0, sizeof *r);
    /* -x forced on a scenario without its own -x variant: say so in the
       name ("lan-x"), as the table has "vm-bumps-x". */
    snprintf(r->scenario, sizeof r->scenario, "%s%s", sc->name,
             o->slew_only && !sc->slew_only ? "-x" : "");
    r->seed = o->seed;
    r->duration = o->duration;
    r->settle = o->duration > 2.0 * SIM_SETTLE ? SIM_SETTLE : 0.5 * o->duration;
    r->slew_only = sc->slew_only || o->slew_only;
    r->n_servers = sc->n_servers;
    r->bad_server = sc->bad_server;
    for (int i = 0; i < sc->n_servers; i++) {
        snprintf(r->server_addr[i], sizeof r->server_addr[i], "%s", sc->servers[i].addr);
        r->role[i] = sc->servers[i].role;
    }
    r->custom_config = sc->config != NULL;
    r->epoch = sc->epoch ? sc->epoch : SIMC_EPOCH;
    r->leap_at = sc->leap_at;
    r->leap_month_end = sc->leap_month_end;
    scenario = sc;

    /* The engine's own randomness (poll spreading) is random(): seed it so
       the run is a function of the seed. */
    srandom((unsigned)(o->seed * 2654435761u + 1));
    LOG_Init("cntpd-sim", 1, o->debug);
    if (o->verbose || o->debug) {
        if (SIML_Init() < 0)
            fprintf(stderr, "cntpd-sim: no memfd (%s): log lines carry wall-clock stamps\n",
                    strerror(errno));
    } else if (LOG_SetFile("/dev/null") < 0) {
        snprintf(r->error, sizeof r->error, "cannot open /dev/null: %s", strerror(errno));
        return -1;
    }
    memset(&CNT, 0, sizeof CNT);
    memset(&OPT, 0, sizeof OPT);
    OPT.slew_only = r->slew_only;

    const SIMR_Params *rp = &sc->refclock;
    int have_refclock = rp->nmea || rp->pps || rp->shm;
    if (have_refclock &&
        SIMR_Init(rp, o->seed, sc->epoch ? sc->epoch : SIMC_EPOCH, err, sizeof err) < 0) {
        snprintf(r->error, sizeof r->error, "refclock: %s", err);
        return -1;
    }
    char *text = make_config(sc);
    if (!text || CNF_ParseString(text, "sim.conf", &cfg, err, sizeof err) < 0) {
        snprintf(r->error, sizeof r->error, "config: %s", text ? err : "out of memory");
        free(text);
        if (have_refclock)
            SIMR_Fini();
        return -1;
    }
    free(text);

    if (o->csv && !(csv = fopen(o->csv, "w"))) {
        snprintf(r->error, sizeof r->error, "%s: %s", o->csv, strerror(errno));
        CNF_Free(&cfg);
        if (have_refclock)
            SIMR_Fini();
        return -1;
    }

    SIMS_Init();
    SIMC_Init(&(SIMC_Params){ .phase = sc->phase, .freq_error = sc->freq_error,
                              .wander = sc->wander, .seed = o->seed, .epoch = sc->epoch,
                              .leap_at = sc->leap_at });
    SIMC_SetStepHook(SIMM_Step);
    CLK_Init(&SIMC_Driver);
    SIMN_Init(o->seed, sc->servers, sc->n_servers, &sc->outage);
    SIMM_Init(o->duration, r->settle, sc->n_servers, csv);
    SIMS_SetAfterEvent(after_event);

    /* The first sample (elapsed 0) runs before any engine event: it was
       queued first. */
    SIMS_AddAt(0.0, sample, NULL);
    if (have_refclock)
        SIMR_Start(o->duration);

    if (sc->bump_interval > 0.0) {
        SIM_Rng rng;
        SIM_RngInit(&rng, o->seed, SIM_RNG_STREAM_BUMPS);
        for (double t = SIM_RngExp(&rng, sc->bump_interval);
             t < o->duration - SIM_BUMP_QUIET_END && r->n_bumps < SIM_MAX_BUMPS;
             t += SIM_RngExp(&rng, sc->bump_interval)) {
            r->bumps[r->n_bumps++].at = t;
            SIMS_AddAt(t, bump, NULL);
        }
    }
    if (sc->outage.period > 0.0) {
        for (double t = sc->outage.first; t < o->duration && r->n_outages < SIM_MAX_OUTAGES;
             t += sc->outage.period) {
            r->outages[r->n_outages].start = t;
            r->outages[r->n_outages].end = t + sc->outage.length;
            r->n_outages++;
        }
    }

    int started = ENG_Init(&cfg) == 0;
    if (!started) {
        snprintf(r->error, sizeof r->error, "ENG_Init failed");
    } else {
        r->events = SIMS_RunUntil(o->duration);
        /* The engine quits the loop only on panic (or -q): the daemon
           would have exited there, so the run is not complete. */
        if (SIMS_Elapsed() < o->duration)
            snprintf(r->error, sizeof r->error, "engine quit at %.3f s (exit status %d)",
                     SIMS_Elapsed(), ENG_ExitStatus());
        else
            r->completed = 1;
    }

    r->final_status = SYS_Get()->status;
    if (have_refclock)
        r->refclock = *SIMR_GetStats();
    const SIMC_Stats *st = SIMC_GetStats();
    r->steps = st->steps;
    r->stepped = st->stepped;
    r->slews = st->slews;
    r->freq_sets = st->freq_sets;
    r->final_residual = SIMC_ResidualFrequency();
    r->final_correction = CLK_GetFrequency();
    r->leaps_inserted = st->leaps_inserted;
    r->leap_elapsed = st->leap_elapsed;
    r->leap_phase = st->leap_phase;
    r->arm_calls = st->arm_calls;
    r->arm_first_local = st->arm_first_local;
    r->arm_last_local = st->arm_last_local;
    r->tx = CNT.tx_packets;
    r->rx = CNT.rx_packets;
    r->accepted = CNT.rx_accepted;
    r->rejected = CNT.rx_rejected;
    for (int i = 0; i < sc->n_servers; i++) {
        const SIMN_ServerStats *ns = SIMN_GetServerStats(i);
        r->net[i] = *ns;
        r->assoc_mode[i] = started ? SIMV_AssocMode(i, &r->assoc_configured[i]) : -1;
        r->lost_up += ns->lost_up;
        r->lost_down += ns->lost_down;
        r->lost_outage += ns->outage_drops;
    }
    SIMM_Finish(r);

    if (started)
        ENG_Fini();
    if (have_refclock)
        SIMR_Fini();
    SIMM_Fini();
    SIMN_Fini();
    SIMC_SetStepHook(NULL);
    CLK_Fini();
    SIML_Drain(SIMS_Elapsed());
    SIMS_SetAfterEvent(NULL);
    SIMS_Fini();
    SIML_Fini();
    LOG_Fini();
    CNF_Free(&cfg);
    if (csv)
        fclose(csv);
    return r->completed ? 0 : -1;
}
