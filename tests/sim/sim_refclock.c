/* sim_refclock — see sim_refclock.h. */
#include "sim_refclock.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "pps.h"
#include "sim_rng.h"
#include "shmtime.h"
#include "sim_sched.h"

#define SIM_RNG_STREAM_PPS 400
#define SIM_RNG_STREAM_NMEA 401
#define SIM_RNG_STREAM_SHM 402

/* Real time (ms) to wait for a pseudo-terminal's data to reach the reading
   side: the kernel hands it over from a work queue, not at once. */
#define PTY_WAIT_MS 2000

static SIMR_Params par;
static int64_t utc_epoch;
static double run_end;
static SIM_Rng pps_rng, nmea_rng, shm_rng;
static SIMR_Stats stats;

static int pty_master = -1, pty_slave = -1;
static char pty_path[64];

/* The PPS device: the latest edge. */
static PPS_Event pps_latest;

/* ---- PPS: an ops table in place of the RFC 2783 device ------------------------- */

static int pps_handle;

static void *sim_pps_open(const char *path, PPS_Edge edge, char *err, size_t err_len)
{
    (void)path;
    if (edge != PPS_EDGE_ASSERT) {
        snprintf(err, err_len, "the simulated receiver has only the assert edge");
        return NULL;
    }
    return &pps_handle;
}

static int sim_pps_fetch(void *handle, PPS_Event *ev, char *err, size_t err_len)
{
    (void)handle, (void)err, (void)err_len;
    *ev = pps_latest;
    return 0;
}

static void sim_pps_close(void *handle)
{
    (void)handle;
}

static const PPS_Ops sim_pps_ops = {
    .name = "simulated",
    .open = sim_pps_open,
    .fetch = sim_pps_fetch,
    .close = sim_pps_close,
};

/* ---- SHM: a segment in this process in place of System V IPC ------------------- */

static SHM_Time shm_segment;

static volatile SHM_Time *sim_shm_segment(int unit)
{
    return unit == 0 ? &shm_segment : NULL;
}

/* ---- the events of one second ---------------------------------------------- */

static struct timespec ts_add(struct timespec t, double s)
{
    double whole = floor(s);
    long ns = t.tv_nsec + lround((s - whole) * 1e9);

    t.tv_sec += (time_t)whole;
    while (ns >= 1000000000L) {
        ns -= 1000000000L;
        t.tv_sec++;
    }
    while (ns < 0) {
        ns += 1000000000L;
        t.tv_sec--;
    }
    t.tv_nsec = ns;
    return t;
}

static void pps_edge(void *arg)
{
    struct timespec local;

    (void)arg;
    CLK_ReadTime(&local);
    pps_latest.time = ts_add(local, SIM_RngNormal(&pps_rng) * par.pps_jitter);
    pps_latest.sequence++;
    stats.edges++;
}

/* The sentence naming true second `second` (Unix s) ends now. */
static void nmea_line(void *arg)
{
    time_t second = (time_t)(intptr_t)arg;
    struct tm tm;
    char body[96], line[128];
    unsigned char sum = 0;

    gmtime_r(&second, &tm);
    snprintf(body, sizeof body, "GPRMC,%02d%02d%02d.00,A,4807.038,N,01131.000,E,0.0,0.0,"
             "%02d%02d%02d,,,A", tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_mday, tm.tm_mon + 1,
             tm.tm_year % 100);
    for (const char *c = body; *c; c++)
        sum ^= (unsigned char)*c;
    int n = snprintf(line, sizeof line, "$%s*%02X\r\n", body, sum);
    if (write(pty_master, line, (size_t)n) != n)
        return;
    /* Wait (real time) until the line discipline has it, then tell the
       driver: it reads at this simulated instant. */
    struct pollfd p = { .fd = pty_slave, .events = POLLIN };
    if (poll(&p, 1, PTY_WAIT_MS) == 1)
        SIMS_FdsReady();
    stats.sentences++;
}

/* gpsd's part: at true second `second` the reference said so (with its
   noise), and the local clock read what it read. */
static void shm_write(time_t second)
{
    struct timespec local, ref = { .tv_sec = second, .tv_nsec = 0 };

    CLK_ReadTime(&local);
    ref = ts_add(ref, SIM_RngNormal(&shm_rng) * par.shm_noise);
    SHM_Write(&shm_segment, 1, &ref, &local, 0, -20);
    stats.shm_writes++;
}

static void second_tick(void *arg)
{
    double k = (double)(intptr_t)arg;

    if (par.pps)
        pps_edge(NULL);
    if (par.shm)
        shm_write((time_t)(utc_epoch + (int64_t)k));
    if (par.nmea) {
        double delay = par.nmea_delay + SIM_RngExp(&nmea_rng, par.nmea_jitter);
        SIMS_AddAt(k + delay, nmea_line, (void *)(intptr_t)(utc_epoch + (int64_t)k));
    }
    if (k + 1.0 <= run_end)
        SIMS_AddAt(k + 1.0, second_tick, (void *)(intptr_t)(k + 1.0));
}

/* ---- set-up ------------------------------------------------------------------ */

int SIMR_Init(const SIMR_Params *params, uint64_t seed, int64_t epoch, char *err,
              size_t errlen)
{
    memset(&stats, 0, sizeof stats);
    memset(&pps_latest, 0, sizeof pps_latest);
    par = *params;
    utc_epoch = epoch;
    SIM_RngInit(&pps_rng, seed, SIM_RNG_STREAM_PPS);
    SIM_RngInit(&nmea_rng, seed, SIM_RNG_STREAM_NMEA);
    SIM_RngInit(&shm_rng, seed, SIM_RNG_STREAM_SHM);
    pty_path[0] = '\0';
    if (par.nmea) {
        pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (pty_master < 0 || grantpt(pty_master) < 0 || unlockpt(pty_master) < 0 ||
            ptsname_r(pty_master, pty_path, sizeof pty_path) != 0) {
            snprintf(err, errlen, "pseudo-terminal: %s", strerror(errno));
            SIMR_Fini();
            return -1;
        }
        /* Held open so the line stays up between the driver's opens, and
           to see when data has reached the reading side. */
        pty_slave = open(pty_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (pty_slave < 0) {
            snprintf(err, errlen, "%s: %s", pty_path, strerror(errno));
            SIMR_Fini();
            return -1;
        }
    }
    if (par.pps)
        PPS_SetOps(&sim_pps_ops);
    if (par.shm) {
        memset(&shm_segment, 0, sizeof shm_segment);
        SHM_SetProvider(sim_shm_segment);
    }
    return 0;
}

const char *SIMR_NmeaPath(void)
{
    return pty_path;
}

void SIMR_Start(double duration)
{
    run_end = duration;
    if (par.nmea || par.pps || par.shm)
        SIMS_AddAt(1.0, second_tick, (void *)(intptr_t)1);
}

const SIMR_Stats *SIMR_GetStats(void)
{
    return &stats;
}

void SIMR_Fini(void)
{
    if (pty_slave >= 0)
        close(pty_slave);
    if (pty_master >= 0)
        close(pty_master);
    pty_slave = pty_master = -1;
    if (par.pps)
        PPS_SetOps(NULL);
    if (par.shm)
        SHM_SetProvider(NULL);
    memset(&par, 0, sizeof par);
}
