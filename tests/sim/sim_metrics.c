/* sim_metrics — see sim_metrics.h. */
#include "sim_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "discipline.h"
#include "mem.h"
#include "ntp_pkt.h"
#include "sim_clock.h"
#include "sim_sched.h"
#include "sim_view.h"

#define MAX_STEPS 4096

typedef struct {
    size_t n, cap;
    double *offset;          /* s, local - true */
    signed char *synced;
    signed char *peer;       /* server index, -1 none, SIMV_REFCLOCK */
    signed char *holdover;
    size_t combined[SIMN_MAX_SERVERS];   /* samples each server was combined in */
    int n_servers;
    FILE *csv;
    /* Event-level tracking (SIMM_AfterEvent). */
    int last_synced;
    unsigned last_peer_id;
    unsigned sync_changes;
    unsigned char ever_peer[SIMN_MAX_SERVERS];
    double last_ref;          /* SYS reference_mono at the last event */
    double settle;            /* s, from SIMM_Init's caller */
    double meas_sum2;         /* s^2, filter output - truth, after settle */
    unsigned meas_n;
    int last_dsc;             /* discipline state at the last event */
    unsigned spikes;
    double li_first, li_last;
    double step_at[MAX_STEPS];
    double step_amount[MAX_STEPS];   /* s added to the clock */
    unsigned n_steps;
} Metrics;

static Metrics m;

void SIMM_Init(double duration, double settle, int n_servers, FILE *csv)
{
    SIMM_Fini();
    m.settle = settle;
    m.cap = (size_t)duration + 2;
    m.offset = MEM_Calloc(m.cap, sizeof *m.offset);
    m.synced = MEM_Calloc(m.cap, sizeof *m.synced);
    m.peer = MEM_Calloc(m.cap, sizeof *m.peer);
    m.holdover = MEM_Calloc(m.cap, sizeof *m.holdover);
    m.n_servers = n_servers;
    m.csv = csv;
    m.li_first = m.li_last = -1.0;
    if (csv)
        fprintf(csv, "t,offset,residual_ppm,correction_ppm,pending_slew,synced,sys_peer,"
                     "sys_offset,sys_poll\n");
}

void SIMM_Fini(void)
{
    free(m.offset);
    free(m.synced);
    free(m.peer);
    free(m.holdover);
    memset(&m, 0, sizeof m);
}

void SIMM_Sample(void)
{
    if (m.n >= m.cap)
        return;
    double off = SIMC_TrueOffset();
    int synced = SIMV_Synced();
    int peer;
    unsigned char combined[SIMN_MAX_SERVERS];

    SIMV_Peers(m.n_servers, &peer, combined);
    for (int i = 0; i < m.n_servers; i++)
        m.combined[i] += combined[i];
    m.offset[m.n] = off;
    m.synced[m.n] = (signed char)synced;
    m.peer[m.n] = (signed char)peer;
    m.holdover[m.n] = (signed char)SIMV_Holdover();
    if (m.csv)
        fprintf(m.csv, "%.0f,%.9e,%.6f,%.6f,%.9e,%d,%d,%.9e,%d\n", SIMS_Elapsed(), off,
                SIMC_ResidualFrequency(), CLK_GetFrequency(), SIMC_PendingSlew(), synced,
                peer >= 0 ? peer + 1 : peer == SIMV_REFCLOCK ? -1 : 0, SIMV_SysOffset(),
                SIMV_SysPoll());
    m.n++;
}

void SIMM_AfterEvent(void)
{
    int synced = SIMV_Synced();
    unsigned id = SIMV_SysPeerId();

    if (synced != m.last_synced)
        m.sync_changes++;
    /* A clock update: how far was the sample it used from the truth at
       its arrival? That is the noise the discipline had to work with. */
    double ref = SIMV_ReferenceMono();
    if (synced && ref != m.last_ref && SIMS_Elapsed() >= m.settle) {
        double offset, at, truth;
        int server = SIMV_SysPeerSample(m.n_servers, &offset, &at);
        if (server >= 0 && SIMN_TrueOffsetAt(server, at, &truth)) {
            /* After a step the engine shifts its stored samples by the
               step (server - local shrinks by what was added): so does
               the truth. `at` went through the scheduler's clock and
               back, so allow for rounding. */
            for (unsigned i = 0; i < m.n_steps; i++)
                if (m.step_at[i] > at - 1e-6)
                    truth -= m.step_amount[i];
            m.meas_sum2 += (offset - truth) * (offset - truth);
            m.meas_n++;
        }
    }
    m.last_ref = ref;
    m.last_synced = synced;
    int dsc = SIMV_DisciplineState();
    if (dsc == DSC_STATE_SPIK && m.last_dsc != DSC_STATE_SPIK)
        m.spikes++;
    m.last_dsc = dsc;
    if (synced && SIMV_SysLeap() == NTP_LEAP_INSERT) {
        if (m.li_first < 0.0)
            m.li_first = SIMS_Elapsed();
        m.li_last = SIMS_Elapsed();
    }
    if (synced && id != m.last_peer_id && id != 0) {
        /* Map the new AssocId to a server only when it changes. */
        int peer;
        unsigned char combined[SIMN_MAX_SERVERS];
        SIMV_Peers(m.n_servers, &peer, combined);
        if (peer >= 0)
            m.ever_peer[peer] = 1;
    }
    m.last_peer_id = synced ? id : 0;
}

void SIMM_Step(double offset, double elapsed)
{
    if (m.n_steps < MAX_STEPS) {
        m.step_at[m.n_steps] = elapsed;
        m.step_amount[m.n_steps++] = offset;
    }
}

/* Seconds after `from` (s) until |offset| stays below SIM_WITHIN for every
   sample in [from, to); -1 when the last sample before `to` is outside. */
static double recovery(double from, double to)
{
    size_t first = (size_t)ceil(from), end = (size_t)ceil(to);
    double last_bad = -1.0;

    if (end > m.n)
        end = m.n;
    if (first >= end)
        return -1.0;
    for (size_t k = first; k < end; k++)
        if (!(fabs(m.offset[k]) < SIM_WITHIN))
            last_bad = (double)k;
    if (last_bad < 0.0)
        return 0.0;
    if (last_bad >= (double)(end - 1))
        return -1.0;
    return last_bad + 1.0 - from;
}

void SIMM_Finish(SIM_Result *r)
{
    double sum = 0.0, sum2 = 0.0, max = 0.0;
    size_t count = 0;
    size_t settle = (size_t)ceil(r->settle);
    size_t peer_count[SIMN_MAX_SERVERS] = { 0 }, nopeer = 0, refclock_peer = 0;
    long first_sync = -1;
    size_t unsync_after = 0, holdover = 0;

    for (size_t k = 0; k < m.n; k++) {
        double off = m.offset[k];
        if (k >= settle) {
            sum += off;
            sum2 += off * off;
            max = fmax(max, fabs(off));
            count++;
        }
        if (m.peer[k] >= 0)
            peer_count[m.peer[k]]++;
        else if (m.peer[k] == SIMV_REFCLOCK)
            refclock_peer++;
        else
            nopeer++;
        if (m.synced[k] && first_sync < 0)
            first_sync = (long)k;
        if (!m.synced[k] && first_sync >= 0)
            unsync_after++;
        if (m.holdover[k])
            holdover++;
    }
    /* Counted at every event from the daemon's unsynchronised start, so
       the first synchronisation is one change. */
    r->sync_changes = m.sync_changes;
    r->meas_rms = m.meas_n ? sqrt(m.meas_sum2 / m.meas_n) : NAN;
    r->meas_n = m.meas_n;

    r->rms = count ? sqrt(sum2 / count) : NAN;
    r->mean = count ? sum / count : NAN;
    r->max_abs = count ? max : NAN;
    r->within_1ms = recovery(0.0, (double)m.n);
    r->first_sync = first_sync >= 0 ? (double)first_sync : -1.0;
    r->unsync_after_sync = (double)unsync_after;
    r->holdover = (double)holdover;
    for (int i = 0; i < m.n_servers; i++) {
        r->syspeer_frac[i] = m.n ? (double)peer_count[i] / m.n : 0.0;
        r->syspeer_s[i] = (unsigned)peer_count[i];
        r->ever_syspeer[i] = m.ever_peer[i] || peer_count[i] > 0;
        r->combined_frac[i] = m.n ? (double)m.combined[i] / m.n : 0.0;
    }
    r->nopeer_frac = m.n ? (double)nopeer / m.n : 0.0;
    r->refclock_frac = m.n ? (double)refclock_peer / m.n : 0.0;

    for (int b = 0; b < r->n_bumps; b++) {
        SIM_Bump *bp = &r->bumps[b];
        double end = b + 1 < r->n_bumps ? r->bumps[b + 1].at : r->duration + 1.0;
        bp->window = end - bp->at;
        bp->recovery = recovery(bp->at, end);
        bp->steps = 0;
        for (unsigned s = 0; s < m.n_steps; s++)
            if (m.step_at[s] >= bp->at && m.step_at[s] < end)
                bp->steps++;
    }

    for (int o = 0; o < r->n_outages; o++) {
        SIM_Outage *op = &r->outages[o];
        size_t start = (size_t)ceil(op->start), end = (size_t)floor(op->end);
        op->synced_at_start = start > 0 && start - 1 < m.n && m.synced[start - 1];
        op->lost_sync = 0;
        for (size_t k = start; k <= end && k < m.n; k++)
            if (!m.synced[k])
                op->lost_sync = 1;
    }

    if (m.n > 0)
        r->final_offset = m.offset[m.n - 1];

    r->spikes = m.spikes;
    r->li_first = m.li_first;
    r->li_last = m.li_last;
    /* The hour either side of the month end the leap checks are about. */
    r->max_window = NAN;
    if (r->leap_month_end) {
        double at = (double)(r->leap_month_end - r->epoch);
        if (at - 3600.0 >= 0.0 && at + 3600.0 < (double)m.n) {
            double mx = 0.0;
            for (size_t k = (size_t)(at - 3600.0); k <= (size_t)(at + 3600.0); k++)
                mx = fmax(mx, fabs(m.offset[k]));
            r->max_window = mx;
        }
    }
}
