/*
 * Unit tests for the reference clock layer (refclock.c) with the LOCAL
 * driver: the per-poll median filter (trimming to 60 %, the mean, the
 * spread as dispersion), fudges (time1, stratum, refid, precision, the
 * cntpSysStratum override of LOCAL), how a sample is dated from the local
 * time it was taken at, phase corrections made between a sample and the
 * poll, PPS edges numbered by a lock or by the synchronised system clock
 * (and dropped otherwise), a step of the clock dropping pending
 * samples, and what the layer logs about a device that will not open
 * (each reason once, "device open" when it does; PPS and SHM), and the
 * precision a device reports (RCL_SetPrecision; an SHM writer's).
 *
 * The clock, scheduler and log are fakes below: wall time and scheduler
 * time are set by each test; timers are recorded, and run only where a
 * test runs the last one added by hand; log lines are kept.
 *
 * Links: refclock refclock_local refclock_pps refclock_nmea nmea pps pps_rfc2783 refclock_shm shmtime mem tests/unit/fake_log
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "fake_log.h"
#include "log.h"
#include "pps.h"
#include "refclock.h"
#include "sched.h"
#include "shmtime.h"

/* ---- fakes ----------------------------------------------------------------- */

/* Wall times near 1970 (10^6 s): a double then still resolves 0.1 ns. */
static struct timespec wall;      /* what CLK_ReadTime returns */
static double mono;               /* what SCH_Monotonic returns */
static double last_timer_delay;
static int timers_added;
static SCH_TimerHandler last_timer_handler;
static void *last_timer_arg;

static CLK_StepHandler step_handler;
static void *step_arg;

void CLK_ReadTime(struct timespec *now)
{
    *now = wall;
}

/* The NMEA driver (linked: it is in the driver table) watches descriptors;
   no test here starts it. */
void SCH_AddFdHandler(int fd, SCH_FdHandler handler, void *arg)
{
    (void)fd;
    (void)handler;
    (void)arg;
    fail_msg("SCH_AddFdHandler: no driver here watches a descriptor");
}

void SCH_RemoveFdHandler(int fd)
{
    (void)fd;
    fail_msg("SCH_RemoveFdHandler: no driver here watches a descriptor");
}

double SCH_Monotonic(void)
{
    return mono;
}

struct SCH_Timer_Record {
    int dummy;
};
static struct SCH_Timer_Record timer_record;

SCH_Timer SCH_AddTimer(double delay, SCH_TimerHandler handler, void *arg)
{
    last_timer_delay = delay;
    last_timer_handler = handler;
    last_timer_arg = arg;
    timers_added++;
    return &timer_record;
}

void SCH_RemoveTimer(SCH_Timer timer)
{
    (void)timer;
}

void CLK_AddStepHandler(CLK_StepHandler handler, void *arg)
{
    step_handler = handler;
    step_arg = arg;
}

void CLK_RemoveStepHandler(CLK_StepHandler handler, void *arg)
{
    (void)handler, (void)arg;
}

/* ---- helpers --------------------------------------------------------------- */

static struct timespec ts(double t)
{
    struct timespec r;
    r.tv_sec = (time_t)floor(t);
    r.tv_nsec = (long)llround((t - floor(t)) * 1e9);
    if (r.tv_nsec >= 1000000000L) {
        r.tv_sec++;
        r.tv_nsec -= 1000000000L;
    }
    return r;
}

static RCL_Config local_config(int unit)
{
    RCL_Config c;
    memset(&c, 0, sizeof c);
    c.type = RCL_TYPE_LOCAL;
    c.unit = unit;
    c.stratum = -1;
    return c;
}

/* A sample `offset` s (reference - local) taken now. */
static void add(RCL_Instance rc, double offset)
{
    double local = (double)wall.tv_sec + wall.tv_nsec * 1e-9;
    struct timespec r = ts(local + offset), l = ts(local);
    RCL_AddSample(rc, &r, &l, 0);
}

static double phase_slope;        /* s/s of phase corrections, for fake_phase */

static double fake_phase(double t)
{
    return phase_slope * t;
}

static int synced;

static int fake_synced(void)
{
    return synced;
}

/* A PPS source that fails to open with `open_fails_with` (NULL: opens);
   the tests here never tick, so it has no edges to fetch. */
static const char *open_fails_with;
static int opens;
static int pps_handle;

static void *fake_pps_open(const char *path, PPS_Edge edge, char *err, size_t err_len)
{
    (void)path, (void)edge;
    opens++;
    if (open_fails_with) {
        snprintf(err, err_len, "%s", open_fails_with);
        return NULL;
    }
    return &pps_handle;
}

static int fake_pps_fetch(void *h, PPS_Event *ev, char *err, size_t err_len)
{
    (void)h, (void)ev, (void)err, (void)err_len;
    fail_msg("no test here ticks a PPS instance");
    return -1;
}

static void fake_pps_close(void *h)
{
    assert_ptr_equal(h, &pps_handle);
}

static const PPS_Ops fake_pps_ops = {
    .name = "fake",
    .open = fake_pps_open,
    .fetch = fake_pps_fetch,
    .close = fake_pps_close,
};

/* How many logged lines are exactly `line`. */
static int lines_logged(const char *line)
{
    size_t len = strlen(line);
    int n = 0;

    for (const char *p = FAKE_LogText(); (p = strstr(p, line)) != NULL; p += len)
        if ((p == FAKE_LogText() || p[-1] == '\n') && p[len] == '\n')
            n++;
    return n;
}

static int count_lines(void)
{
    int n = 0;

    for (const char *p = FAKE_LogText(); *p; p++)
        n += *p == '\n';
    return n;
}

/* The scheduler runs the timer added last (the layer's retry). */
static void run_last_timer(void)
{
    SCH_TimerHandler handler = last_timer_handler;

    assert_non_null(handler);
    last_timer_handler = NULL;
    handler(last_timer_arg);
}

static int setup(void **state)
{
    (void)state;
    wall = ts(1000000.25);
    mono = 1000.0;
    timers_added = 0;
    last_timer_handler = NULL;
    FAKE_LogClear();
    open_fails_with = NULL;
    opens = 0;
    PPS_SetOps(NULL);
    SHM_SetProvider(NULL);
    phase_slope = 0.0;
    synced = 0;
    RCL_SetPhaseSource(NULL);
    RCL_SetSystemSyncCheck(fake_synced);
    RCL_SetLocalStratum(0);
    return 0;
}

static void assert_near(double a, double b, double eps)
{
    if (fabs(a - b) > eps)
        fail_msg("%.12f is not within %g of %.12f", a, eps, b);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_local_driver_defaults(void **state)
{
    (void)state;
    RCL_Config c = local_config(0);
    RCL_Instance rc = RCL_Create(&c);

    assert_non_null(rc);
    assert_string_equal(RCL_GetName(rc), "127.127.1.0");
    assert_int_equal(RCL_GetStratum(rc), 5);
    assert_int_equal(RCL_GetRefId(rc), 0x4c4f434c);   /* "LOCL" */
    assert_int_equal(RCL_GetPrecision(rc), -20);
    /* LOCAL reads the clock once a second. */
    assert_int_equal(timers_added, 1);
    assert_near(last_timer_delay, 1.0, 0.0);
    RCL_Destroy(rc);
}

static void test_unknown_type(void **state)
{
    (void)state;
    RCL_Config c = local_config(0);
    c.type = 99;
    assert_null(RCL_Create(&c));
    assert_null(RCL_FindDriver(99));
    assert_non_null(RCL_FindDriverByName("local"));
    assert_null(RCL_FindDriverByName("nonesuch"));
}

static void test_fudges(void **state)
{
    (void)state;
    RCL_Config c = local_config(3);
    c.stratum = 9;
    memcpy(c.refid, "GPS", 4);
    c.precision = -13;
    c.time1 = 0.25;
    RCL_Instance rc = RCL_Create(&c);
    RCL_Sample s;

    assert_int_equal(RCL_GetStratum(rc), 9);
    assert_int_equal(RCL_GetRefId(rc), 0x47505300);   /* "GPS\0" */
    assert_int_equal(RCL_GetPrecision(rc), -13);
    /* cntpSysStratum written: LOCAL claims one less than what is served. */
    RCL_SetLocalStratum(3);
    assert_int_equal(RCL_GetStratum(rc), 2);
    RCL_SetLocalStratum(0);
    assert_int_equal(RCL_GetStratum(rc), 9);

    add(rc, 0.001);
    assert_int_equal(RCL_GetSample(rc, mono, &s), 1);
    assert_near(s.offset, 0.251, 1e-9);   /* time1 is added */
    RCL_Destroy(rc);
}

static void test_empty_poll(void **state)
{
    (void)state;
    RCL_Config c = local_config(0);
    RCL_Instance rc = RCL_Create(&c);
    RCL_Sample s = { .offset = 42.0 };

    assert_int_equal(RCL_GetSample(rc, mono, &s), 0);
    assert_near(s.offset, 42.0, 0.0);
    add(rc, 0.0);
    assert_int_equal(RCL_GetSample(rc, mono, &s), 1);
    /* Each sample is used by one poll only. */
    assert_int_equal(RCL_GetSample(rc, mono, &s), 0);
    RCL_Destroy(rc);
}

static void test_median_trim(void **state)
{
    (void)state;
    RCL_Config c = local_config(0);
    RCL_Instance rc = RCL_Create(&c);
    RCL_Sample s;
    /* Ten samples: eight around 1 ms, two wild ones (a late sentence, a
       spurious edge). 60 % = 6 kept: the wild ones and the two farthest of
       the rest go. */
    const double offs[] = { 0.0010, 0.0011, 0.0009, 0.0500, 0.0010, 0.0012, 0.0008, -0.0400,
                            0.0010, 0.0010 };

    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        add(rc, offs[i]);
        wall.tv_sec++;
        mono += 1.0;
    }
    assert_int_equal(RCL_GetSample(rc, mono, &s), 1);
    assert_int_equal(s.count, 6);
    assert_near(s.offset, 0.0010, 0.00005);
    assert_true(s.dispersion < 0.0001);
    assert_true(s.dispersion >= ldexp(1.0, -20));
    /* The newest sample dates the result. */
    assert_near(s.epoch, mono - 1.0, 1e-9);
    assert_int_equal(s.ref_time.tv_sec, wall.tv_sec - 1);
    RCL_Destroy(rc);
}

static void test_ring_keeps_newest(void **state)
{
    (void)state;
    RCL_Config c = local_config(0);
    RCL_Instance rc = RCL_Create(&c);
    RCL_Sample s;

    /* More samples than the ring holds: the oldest (offset 1 s) drop out. */
    for (int i = 0; i < RCL_MAX_SAMPLES + 10; i++) {
        add(rc, i < 10 ? 1.0 : 0.002);
        mono += 1.0;
        wall.tv_sec++;
    }
    assert_int_equal(RCL_GetSample(rc, mono, &s), 1);
    assert_near(s.offset, 0.002, 1e-9);
    RCL_Destroy(rc);
}

static void test_sample_dated_by_local_time(void **state)
{
    (void)state;
    RCL_Config c = local_config(0);
    RCL_Instance rc = RCL_Create(&c);
    RCL_Sample s;

    /* A sample taken 0.75 s before it is handed over (a shared memory
       segment read once a second). */
    struct timespec local = wall, ref = ts(1000000.25 + 0.003);
    wall = ts(1000001.0);
    RCL_AddSample(rc, &ref, &local, 1);
    assert_int_equal(RCL_GetSample(rc, mono, &s), 1);
    assert_near(s.epoch, mono - 0.75, 1e-9);
    assert_near(s.offset, 0.003, 1e-9);
    assert_int_equal(s.leap, 1);
    RCL_Destroy(rc);
}

static void test_phase_corrections(void **state)
{
    (void)state;
    RCL_Config c = local_config(0);
    RCL_Instance rc = RCL_Create(&c);
    RCL_Sample s;
    double off;

    /* The discipline adds 10 µs/s to the clock: a sample taken 8 s before
       the poll showing +100 µs shows +20 µs as of the poll. */
    phase_slope = 10e-6;
    RCL_SetPhaseSource(fake_phase);
    add(rc, 100e-6);
    mono += 8.0;
    wall.tv_sec += 8;
    assert_int_equal(RCL_GetRecentOffset(rc, mono, 60.0, &off), 1);
    assert_near(off, 20e-6, 1e-12);
    assert_int_equal(RCL_GetRecentOffset(rc, mono, 5.0, &off), 0);
    assert_int_equal(RCL_GetSample(rc, mono, &s), 1);
    assert_near(s.offset, 20e-6, 1e-12);
    RCL_Destroy(rc);
}

static void test_pulse_numbered_by_lock(void **state)
{
    (void)state;
    RCL_Config lc = local_config(1), pc = local_config(2);
    pc.lock_type = RCL_TYPE_LOCAL;
    pc.lock_unit = 1;
    RCL_Instance lock = RCL_Create(&lc), pps = RCL_Create(&pc);
    RCL_Sample s;

    /* No sample from the lock yet: the edge cannot be numbered. */
    struct timespec edge = ts(1000000.8);
    wall = edge;
    assert_int_equal(RCL_AddPulse(pps, &edge), 0);

    /* The lock says the local clock is 0.2 s behind: an edge at local
       .8 is the start of the next second, 0.2 s ahead of the local
       clock. */
    wall = ts(1000000.5);
    add(lock, 0.2);
    wall = edge;
    assert_int_equal(RCL_AddPulse(pps, &edge), 1);
    assert_int_equal(RCL_GetSample(pps, mono, &s), 1);
    assert_near(s.offset, 0.2, 1e-9);
    assert_int_equal(s.ref_time.tv_sec, 1000001);
    assert_int_equal(s.ref_time.tv_nsec, 0);

    /* An edge half a second from any second by the lock's reckoning is
       not a second's edge. */
    edge = ts(1000001.3);
    wall = edge;
    assert_int_equal(RCL_AddPulse(pps, &edge), 0);

    /* The lock's sample has gone stale. */
    mono += 120.0;
    edge = ts(1000120.8);
    wall = edge;
    assert_int_equal(RCL_AddPulse(pps, &edge), 0);
    RCL_Destroy(pps);
    RCL_Destroy(lock);
}

static void test_pulse_numbered_by_system_clock(void **state)
{
    (void)state;
    RCL_Config pc = local_config(4);
    RCL_Instance pps = RCL_Create(&pc);
    RCL_Sample s;
    struct timespec edge = ts(1000000.999990);

    wall = edge;
    /* Unsynchronised: the system clock may not number seconds. */
    assert_int_equal(RCL_AddPulse(pps, &edge), 0);
    synced = 1;
    assert_int_equal(RCL_AddPulse(pps, &edge), 1);
    assert_int_equal(RCL_GetSample(pps, mono, &s), 1);
    assert_near(s.offset, 10e-6, 1e-9);
    RCL_Destroy(pps);
}

static void test_step_drops_pending(void **state)
{
    (void)state;
    RCL_Config c = local_config(0);
    RCL_Instance rc = RCL_Create(&c);
    RCL_Sample s;
    double off;

    add(rc, 0.5);
    assert_non_null(step_handler);
    step_handler(0.5, step_arg);
    assert_int_equal(RCL_GetSample(rc, mono, &s), 0);
    assert_int_equal(RCL_GetRecentOffset(rc, mono, 60.0, &off), 0);
    RCL_Destroy(rc);
}

/* A device that will not open: the driver says why, the layer logs the
   reason once while it stays the same, again when it changes, and
   "device open" when a retry works; a loss's reason counts as logged.
   Through the real PPS driver (its source
   faked), since the driver table cannot take a fake driver. */
static void test_start_failure_logged_once_per_reason(void **state)
{
    static const char missing[] =
        "refclock 127.127.22.7 (PPS): /dev/pps7: no such device; retrying every 10 s";
    static const char denied[] =
        "refclock 127.127.22.7 (PPS): /dev/pps7: cannot open: Permission denied; retrying "
        "every 10 s";
    static const char opened[] = "refclock 127.127.22.7 (PPS): device open";

    (void)state;
    PPS_SetOps(&fake_pps_ops);
    RCL_Config c = local_config(7);
    c.type = RCL_TYPE_PPS;
    open_fails_with = "no such device";
    RCL_Instance rc = RCL_Create(&c);
    assert_non_null(rc);
    assert_int_equal(opens, 1);
    assert_int_equal(lines_logged(missing), 1);
    assert_near(last_timer_delay, RCL_RETRY_INTERVAL, 0.0);

    /* The same reason at every retry: no new line. */
    run_last_timer();
    run_last_timer();
    assert_int_equal(opens, 3);
    assert_int_equal(count_lines(), 1);
    assert_near(last_timer_delay, RCL_RETRY_INTERVAL, 0.0);

    /* A different reason is news, once. */
    open_fails_with = "cannot open: Permission denied";
    run_last_timer();
    run_last_timer();
    assert_int_equal(opens, 5);
    assert_int_equal(lines_logged(denied), 1);
    assert_int_equal(count_lines(), 2);

    /* Back to the first reason: it differs from the last one logged. */
    open_fails_with = "no such device";
    run_last_timer();
    assert_int_equal(lines_logged(missing), 2);
    assert_int_equal(count_lines(), 3);

    /* It opens: said once, and the driver's tick (4 a second) starts. */
    open_fails_with = NULL;
    run_last_timer();
    assert_int_equal(opens, 7);
    assert_int_equal(lines_logged(opened), 1);
    assert_near(last_timer_delay, 0.25, 0.0);

    /* Lost, with the reason the retry then gives: the loss's line is the
       only one until the device opens again. */
    FAKE_LogClear();
    RCL_DeviceLost(rc, "/dev/pps7: no such device");
    assert_int_equal(lines_logged("refclock 127.127.22.7 (PPS): /dev/pps7: no such device; "
                                  "reopening in 10 s"), 1);
    open_fails_with = "no such device";
    run_last_timer();
    run_last_timer();
    assert_int_equal(opens, 9);
    assert_int_equal(count_lines(), 1);
    open_fails_with = NULL;
    run_last_timer();
    assert_int_equal(lines_logged(opened), 1);
    /* and the driver's own line on what it opened */
    assert_int_equal(lines_logged("refclock 127.127.22.7 (PPS): /dev/pps7, assert edge"), 1);
    assert_int_equal(count_lines(), 3);

    /* A loss for another reason replaces the one logged before the
       device opened: that one is news again at the next retry. */
    FAKE_LogClear();
    RCL_DeviceLost(rc, "/dev/pps7: time_pps_fetch failed: No such device");
    open_fails_with = "no such device";
    run_last_timer();
    assert_int_equal(lines_logged(missing), 1);
    assert_int_equal(count_lines(), 2);
    RCL_Destroy(rc);
}

static SHM_Time shm_segment;

/* In-process SHM segments (SHM_SetProvider): unit 0 only. */
static volatile SHM_Time *shm_unit0(int unit)
{
    return unit == 0 ? &shm_segment : NULL;
}

/* The SHM driver's reason reaches the layer's line as the driver gave
   it (no name of its own in front), once while it stays the same. */
static void test_shm_start_failure_reason(void **state)
{
    (void)state;
    SHM_SetProvider(shm_unit0);
    RCL_Config c = local_config(3);
    c.type = RCL_TYPE_SHM;
    RCL_Instance rc = RCL_Create(&c);
    assert_int_equal(lines_logged("refclock 127.127.28.3 (SHM): no segment for unit 3; "
                                  "retrying every 10 s"), 1);
    run_last_timer();
    assert_int_equal(count_lines(), 1);
    RCL_Destroy(rc);
    SHM_SetProvider(NULL);
}

/* A precision the device reports replaces the driver's default, in the
   association's precision and in the dispersion floor of a poll's sample;
   a configured precision wins; it ends with the device. */
static void test_device_precision(void **state)
{
    (void)state;
    RCL_Config c = local_config(0);
    RCL_Instance rc = RCL_Create(&c);
    RCL_Sample s;

    assert_int_equal(RCL_GetPrecision(rc), -20);
    RCL_SetPrecision(rc, -6);
    assert_int_equal(RCL_GetPrecision(rc), -6);
    add(rc, 0.001);
    assert_int_equal(RCL_GetSample(rc, mono, &s), 1);
    assert_near(s.dispersion, ldexp(1.0, -6), 0.0);
    /* 0 (1 s) is a precision, not "the default". */
    RCL_SetPrecision(rc, 0);
    assert_int_equal(RCL_GetPrecision(rc), 0);
    /* Stopped (the device lost), the default is back until the next
       device says otherwise. */
    RCL_SetPrecision(rc, -6);
    RCL_DeviceLost(rc, "gone");
    assert_int_equal(RCL_GetPrecision(rc), -20);
    RCL_Destroy(rc);

    c.precision = -13;
    rc = RCL_Create(&c);
    RCL_SetPrecision(rc, -6);
    assert_int_equal(RCL_GetPrecision(rc), -13);
    RCL_Destroy(rc);
}

/* The SHM writer's `precision` field (-30..0) becomes the instance's;
   anything else is ignored. Through the real driver on an in-process
   segment, its tick run by hand. */
static void test_shm_writer_precision(void **state)
{
    (void)state;
    memset(&shm_segment, 0, sizeof shm_segment);
    SHM_SetProvider(shm_unit0);
    RCL_Config c = local_config(0);
    c.type = RCL_TYPE_SHM;
    RCL_Instance rc = RCL_Create(&c);
    struct timespec ref = ts(1000000.251);
    char report[512];

    assert_int_equal(RCL_GetPrecision(rc), -20);
    assert_near(last_timer_delay, 1.0, 0.0);   /* the driver's tick */

    SHM_Write(&shm_segment, 1, &ref, &wall, 0, -7);
    run_last_timer();
    assert_int_equal(RCL_GetPrecision(rc), -7);
    /* Nonsense from the writer: the last sane value stays. */
    SHM_Write(&shm_segment, 1, &ref, &wall, 0, -31);
    run_last_timer();
    assert_int_equal(RCL_GetPrecision(rc), -7);
    SHM_Write(&shm_segment, 1, &ref, &wall, 0, 1);
    run_last_timer();
    assert_int_equal(RCL_GetPrecision(rc), -7);
    SHM_Write(&shm_segment, 1, &ref, &wall, 0, -30);
    run_last_timer();
    assert_int_equal(RCL_GetPrecision(rc), -30);
    /* 0: a writer that never fills the field, not "1 s". */
    SHM_Write(&shm_segment, 1, &ref, &wall, 0, 0);
    run_last_timer();
    assert_int_equal(RCL_GetPrecision(rc), -30);
    /* Every write was a sample, the ignored precisions too. */
    RCL_Sample smp;
    assert_int_equal(RCL_GetSample(rc, mono, &smp), 1);
    assert_int_equal(smp.count, 5 - (5 * 2) / 5);
    /* The report line says the same. */
    RCL_FindDriver(RCL_TYPE_SHM)->report(rc, report, sizeof report);
    assert_non_null(strstr(report, " samples 5 "));
    assert_non_null(strstr(report, " precision -30"));
    RCL_Destroy(rc);
    SHM_SetProvider(NULL);
}

/* A driver with nothing to open (LOCAL) starts at once, silently. */
static void test_local_starts_silently(void **state)
{
    (void)state;
    RCL_Config c = local_config(0);
    RCL_Instance rc = RCL_Create(&c);

    assert_int_equal(count_lines(), 0);
    assert_near(last_timer_delay, 1.0, 0.0);
    RCL_Destroy(rc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_local_driver_defaults, setup),
        cmocka_unit_test_setup(test_unknown_type, setup),
        cmocka_unit_test_setup(test_fudges, setup),
        cmocka_unit_test_setup(test_empty_poll, setup),
        cmocka_unit_test_setup(test_median_trim, setup),
        cmocka_unit_test_setup(test_ring_keeps_newest, setup),
        cmocka_unit_test_setup(test_sample_dated_by_local_time, setup),
        cmocka_unit_test_setup(test_phase_corrections, setup),
        cmocka_unit_test_setup(test_pulse_numbered_by_lock, setup),
        cmocka_unit_test_setup(test_pulse_numbered_by_system_clock, setup),
        cmocka_unit_test_setup(test_step_drops_pending, setup),
        cmocka_unit_test_setup(test_start_failure_logged_once_per_reason, setup),
        cmocka_unit_test_setup(test_shm_start_failure_reason, setup),
        cmocka_unit_test_setup(test_local_starts_silently, setup),
        cmocka_unit_test_setup(test_device_precision, setup),
        cmocka_unit_test_setup(test_shm_writer_precision, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
