/*
 * Unit tests for the PPS driver through the real refclock layer
 * (refclock.c): the layer's tick timer runs the driver, edges become
 * pulses, the lock numbers the seconds, and pulses become samples.
 *
 * Virtual time: a fake scheduler (SCH_*) and a fake local clock (CLK_*)
 * on one integer nanosecond counter. True time is BASE + that counter;
 * the local clock reads true time minus `behind`, so the right offset
 * (reference minus local) is +behind. A fake PPS source (PPS_SetOps)
 * has an edge at every true second and stamps it with the local clock, as
 * the kernel stamps with CLOCK_REALTIME. The lock is a LOCAL instance
 * (127.127.1.0): its own ticks say the local clock is right (offset 0);
 * where a test plays a lock that knows better (NMEA-like, coarse), the
 * LOCAL instance's timers are never run and the test calls RCL_AddSample
 * for it.
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

#define NS 1000000000LL
#define BASE_NS (1700000000LL * NS)   /* true time when the counter is 0 */

/* ---- virtual time: scheduler and local clock --------------------------- */

static int64_t mono_ns;          /* scheduler clock, from 0 */
static int64_t behind_ns;        /* local clock behind true time */

#define MAX_TIMERS 32

struct SCH_Timer_Record {
    int active;
    int64_t due;
    SCH_TimerHandler handler;
    void *arg;
};

static struct SCH_Timer_Record timers[MAX_TIMERS];
static void *muted_arg;          /* timers for this arg never run */

SCH_Timer SCH_AddTimer(double delay, SCH_TimerHandler handler, void *arg)
{
    for (int i = 0; i < MAX_TIMERS; i++) {
        if (!timers[i].active) {
            timers[i].active = 1;
            timers[i].due = mono_ns + llround(delay * 1e9);
            timers[i].handler = handler;
            timers[i].arg = arg;
            return &timers[i];
        }
    }
    fail_msg("too many timers");
    return NULL;
}

void SCH_RemoveTimer(SCH_Timer timer)
{
    if (timer)
        timer->active = 0;
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
    return (double)mono_ns * 1e-9;
}

/* Run the timers due up to `t` s of scheduler time, in order. */
static void run_until(double t)
{
    int64_t end = llround(t * 1e9);

    for (;;) {
        int next = -1;
        for (int i = 0; i < MAX_TIMERS; i++)
            if (timers[i].active && timers[i].arg != muted_arg && timers[i].due <= end &&
                (next < 0 || timers[i].due < timers[next].due))
                next = i;
        if (next < 0)
            break;
        mono_ns = timers[next].due;
        timers[next].active = 0;
        timers[next].handler(timers[next].arg);
    }
    mono_ns = end;
}

static struct timespec ts_of(int64_t ns)
{
    struct timespec ts = { .tv_sec = (time_t)(ns / NS), .tv_nsec = (long)(ns % NS) };
    return ts;
}

void CLK_ReadTime(struct timespec *now)
{
    *now = ts_of(BASE_NS + mono_ns - behind_ns);
}

void CLK_AddStepHandler(CLK_StepHandler handler, void *arg)
{
    (void)handler, (void)arg;
}

void CLK_RemoveStepHandler(CLK_StepHandler handler, void *arg)
{
    (void)handler, (void)arg;
}

/* ---- fake PPS source: an edge at every true second ---------------------- */

static struct {
    PPS_Edge edge;
    int fail_opens;              /* this many opens fail ("no such device") */
    int64_t clear_after_ns;      /* clear edge this long after assert */
    int64_t jitter_ns[4];        /* added to the stamps, cycling by second */
    int fetch_fails;             /* the device is gone */
    int opens;
} src;

static int handle;

static void *fake_open(const char *path, PPS_Edge edge, char *err, size_t err_len)
{
    (void)path;
    src.opens++;
    if (src.fail_opens > 0) {
        src.fail_opens--;
        snprintf(err, err_len, "no such device");
        return NULL;
    }
    src.edge = edge;
    return &handle;
}

static int fake_fetch(void *h, PPS_Event *ev, char *err, size_t err_len)
{
    (void)h;
    if (src.fetch_fails) {
        snprintf(err, err_len, "time_pps_fetch failed: No such device");
        return -1;
    }
    int64_t offset = src.edge == PPS_EDGE_CLEAR ? src.clear_after_ns : 0;
    int64_t true_now = BASE_NS + mono_ns - offset;
    int64_t second = true_now / NS;            /* the latest edge's second */

    ev->sequence = (unsigned long)(second - BASE_NS / NS + 1);
    ev->time = ts_of(second * NS + offset - behind_ns + src.jitter_ns[second % 4]);
    return 0;
}

static void fake_close(void *h)
{
    (void)h;
}

static const PPS_Ops fake_ops = {
    .name = "fake",
    .open = fake_open,
    .fetch = fake_fetch,
    .close = fake_close,
};

/* ---- helpers -------------------------------------------------------------- */

static int synchronised;

static int system_synchronised(void)
{
    return synchronised;
}

static int setup(void **state)
{
    (void)state;
    memset(timers, 0, sizeof timers);
    memset(&src, 0, sizeof src);
    FAKE_LogClear();
    mono_ns = 0;
    behind_ns = 0;
    muted_arg = NULL;
    synchronised = 0;
    PPS_SetOps(&fake_ops);
    RCL_SetSystemSyncCheck(system_synchronised);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    PPS_SetOps(NULL);
    RCL_SetSystemSyncCheck(NULL);
    return 0;
}

static RCL_Config config(int type, int unit)
{
    RCL_Config cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.type = type;
    cfg.unit = unit;
    cfg.stratum = -1;
    return cfg;
}

static RCL_Instance pps_locked_to_local(double time1, unsigned flags)
{
    RCL_Config cfg = config(RCL_TYPE_PPS, 0);

    cfg.lock_type = RCL_TYPE_LOCAL;
    cfg.lock_unit = 0;
    cfg.time1 = time1;
    cfg.flags = flags;
    RCL_Instance rc = RCL_Create(&cfg);
    assert_non_null(rc);
    return rc;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_pps_is_a_registered_driver(void **state)
{
    (void)state;
    assert_ptr_equal(RCL_FindDriver(RCL_TYPE_PPS), RCL_FindDriverByName("pps"));
    assert_non_null(RCL_FindDriver(RCL_TYPE_PPS));
    RCL_Config cfg = config(RCL_TYPE_PPS, 1);
    RCL_Instance rc = RCL_Create(&cfg);
    assert_int_equal(RCL_GetStratum(rc), 0);
    assert_int_equal(RCL_GetPrecision(rc), -20);
    assert_int_equal(RCL_GetRefId(rc), 0x50505300);   /* "PPS\0" */
    RCL_Destroy(rc);
}

/* The local clock 0.3 s behind; the lock (LOCAL) says it is right, which
   is good enough to name each second: the samples say +0.3 s exactly. */
static void test_pulses_numbered_by_lock_become_samples(void **state)
{
    RCL_Sample s;

    (void)state;
    behind_ns = 300000000;
    RCL_Instance lock = RCL_Create(&(RCL_Config){ .type = RCL_TYPE_LOCAL, .stratum = -1 });
    RCL_Instance pps = pps_locked_to_local(0.0, 0);

    run_until(16.1);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 1);
    /* Edges at true seconds 1..16; the one there at the open is not used. */
    assert_int_equal(s.count, 16 - (16 * 2) / 5);
    assert_true(fabs(s.offset - 0.3) < 1e-9);
    /* The sample is dated when the local clock read the edge: the scheduler
       time of true second 16. */
    assert_true(fabs(s.epoch - 16.0) < 1e-6);
    assert_int_equal(s.ref_time.tv_sec, 1700000016);
    assert_int_equal(s.ref_time.tv_nsec, 0);
    /* Nothing new: no sample. */
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 0);

    RCL_LogStatus();
    assert_non_null(strstr(FAKE_LogText(), "edges 16, missed 0, unnumbered 0"));
    RCL_Destroy(pps);
    RCL_Destroy(lock);
}

/* Local clock ahead: negative offsets. time1 is added. */
static void test_clock_ahead_and_time1(void **state)
{
    RCL_Sample s;

    (void)state;
    behind_ns = -250000000;
    RCL_Instance lock = RCL_Create(&(RCL_Config){ .type = RCL_TYPE_LOCAL, .stratum = -1 });
    RCL_Instance pps = pps_locked_to_local(2e-6, 0);

    run_until(8.5);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 1);
    assert_true(fabs(s.offset - (-0.25 + 2e-6)) < 1e-9);
    RCL_Destroy(pps);
    RCL_Destroy(lock);
}

/* Jitter of the edges' stamps is what the samples show; the median filter
   averages what remains. */
static void test_edge_jitter_reaches_the_samples(void **state)
{
    RCL_Sample s;

    (void)state;
    behind_ns = 1000;
    src.jitter_ns[0] = 0;
    src.jitter_ns[1] = 200;
    src.jitter_ns[2] = -200;
    src.jitter_ns[3] = 0;
    RCL_Instance lock = RCL_Create(&(RCL_Config){ .type = RCL_TYPE_LOCAL, .stratum = -1 });
    RCL_Instance pps = pps_locked_to_local(0.0, 0);

    run_until(16.5);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 1);
    /* A stamp late by j reads as a clock behind by less: offset 1 us - j. */
    assert_true(fabs(s.offset - 1e-6) < 0.2e-6);
    assert_true(s.dispersion >= ldexp(1.0, -20));
    RCL_Destroy(pps);
    RCL_Destroy(lock);
}

/* An edge more than 0.4 s from every second by the lock's reckoning is
   dropped: here the lock says the clock is right but it is 0.45 s
   behind. */
static void test_pulses_far_from_a_second_dropped(void **state)
{
    RCL_Sample s;

    (void)state;
    behind_ns = 450000000;
    RCL_Instance lock = RCL_Create(&(RCL_Config){ .type = RCL_TYPE_LOCAL, .stratum = -1 });
    RCL_Instance pps = pps_locked_to_local(0.0, 0);

    run_until(8.1);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 0);
    RCL_LogStatus();
    assert_non_null(strstr(FAKE_LogText(), "edges 8, missed 0, unnumbered 8"));
    RCL_Destroy(pps);
    RCL_Destroy(lock);
}

/* A lock that knows the offset roughly (a serial sentence, +-20 ms) lets
   the edges give it exactly, even 0.7 s. */
static void test_coarse_lock_exact_pulses(void **state)
{
    RCL_Sample s;

    (void)state;
    behind_ns = 700000000;
    RCL_Instance lock = RCL_Create(&(RCL_Config){ .type = RCL_TYPE_LOCAL, .stratum = -1 });
    muted_arg = lock;            /* the test is the lock's driver */
    RCL_Instance pps = pps_locked_to_local(0.0, 0);

    for (int i = 1; i <= 8; i++) {
        run_until(i - 0.5);
        /* The lock's sentence: at true second i - 0.5 + 0.02 (late),
           naming true time i - 0.5. */
        struct timespec ref = ts_of(BASE_NS + (i * NS) - NS / 2);
        struct timespec local = ts_of(BASE_NS + (i * NS) - NS / 2 + 20000000 - behind_ns);
        RCL_AddSample(lock, &ref, &local, 0);
    }
    run_until(8.1);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 1);
    assert_true(fabs(s.offset - 0.7) < 1e-9);
    assert_int_equal(RCL_GetSample(lock, SCH_Monotonic(), &s), 1);
    assert_true(fabs(s.offset - 0.68) < 1e-9);
    RCL_Destroy(pps);
    RCL_Destroy(lock);
}

/* No lock instance, or a lock without a recent sample: nothing. */
static void test_no_lock_sample_no_pulses(void **state)
{
    RCL_Sample s;

    (void)state;
    behind_ns = 100000000;
    RCL_Instance pps = pps_locked_to_local(0.0, 0);   /* no LOCAL instance */
    run_until(4.1);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 0);

    RCL_Instance lock = RCL_Create(&(RCL_Config){ .type = RCL_TYPE_LOCAL, .stratum = -1 });
    muted_arg = lock;            /* exists, but never has a sample */
    run_until(8.1);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 0);
    RCL_LogStatus();
    assert_non_null(strstr(FAKE_LogText(), "edges 8, missed 0, unnumbered 8"));
    RCL_Destroy(pps);
    RCL_Destroy(lock);
}

/* Without a lock the system clock numbers the seconds, only while it is
   synchronised. */
static void test_system_clock_numbers_when_synchronised(void **state)
{
    RCL_Sample s;

    (void)state;
    behind_ns = -1500;
    RCL_Config cfg = config(RCL_TYPE_PPS, 0);
    RCL_Instance pps = RCL_Create(&cfg);

    run_until(4.1);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 0);
    synchronised = 1;
    run_until(8.1);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 1);
    assert_true(fabs(s.offset - (-1.5e-6)) < 1e-9);
    RCL_Destroy(pps);
}

/* fudge flag2: the clear edge, 0.1 s after assert, is the second's mark. */
static void test_clear_edge_through_the_layer(void **state)
{
    RCL_Sample s;

    (void)state;
    behind_ns = 3000;
    src.clear_after_ns = 100000000;
    RCL_Instance lock = RCL_Create(&(RCL_Config){ .type = RCL_TYPE_LOCAL, .stratum = -1 });
    RCL_Instance pps = pps_locked_to_local(0.0, 0x2);

    run_until(8.3);
    assert_int_equal(src.edge, PPS_EDGE_CLEAR);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 1);
    /* Read as a second's edge, a clear 0.1 s late is 0.1 s of offset: what
       time1 -0.1 (or the assert edge) would correct. */
    assert_true(fabs(s.offset - (3e-6 - 0.1)) < 1e-9);
    RCL_Destroy(pps);
    RCL_Destroy(lock);
}

/* A device missing at start: the layer retries, the reason is logged
   once; edges flow once it opens. */
static void test_missing_device_retried(void **state)
{
    RCL_Sample s;

    (void)state;
    src.fail_opens = 3;
    synchronised = 1;
    RCL_Config cfg = config(RCL_TYPE_PPS, 7);
    RCL_Instance pps = RCL_Create(&cfg);
    run_until(3 * RCL_RETRY_INTERVAL + 4.1);
    assert_int_equal(src.opens, 4);
    static const char line[] =
        "refclock 127.127.22.7 (PPS): /dev/pps7: no such device; retrying every 10 s\n";
    const char *first = strstr(FAKE_LogText(), line);
    assert_non_null(first);
    assert_null(strstr(first + strlen(line), "/dev/pps7: no such device"));
    assert_non_null(strstr(first, "refclock 127.127.22.7 (PPS): device open\n"));
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 1);
    assert_true(fabs(s.offset) < 1e-9);
    RCL_Destroy(pps);
}

/* The device goes away (a fetch fails): the layer stops the driver and
   opens the device again 10 s later; edges flow again. */
static void test_lost_device_reopened(void **state)
{
    RCL_Sample s;

    (void)state;
    synchronised = 1;
    RCL_Config cfg = config(RCL_TYPE_PPS, 2);
    RCL_Instance pps = RCL_Create(&cfg);
    run_until(3.1);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 1);
    assert_int_equal(s.count, 3 - (3 * 2) / 5);
    src.fetch_fails = 1;
    run_until(3.3);
    assert_non_null(strstr(FAKE_LogText(), "/dev/pps2: time_pps_fetch failed: No such device"));
    src.fetch_fails = 0;
    run_until(3.3 + RCL_RETRY_INTERVAL - 0.1);
    assert_int_equal(src.opens, 1);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 0);
    run_until(3.3 + RCL_RETRY_INTERVAL + 3.0);
    assert_int_equal(src.opens, 2);
    assert_int_equal(RCL_GetSample(pps, SCH_Monotonic(), &s), 1);
    RCL_LogStatus();
    assert_non_null(strstr(FAKE_LogText(), "reopened 1"));
    RCL_Destroy(pps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pps_is_a_registered_driver, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pulses_numbered_by_lock_become_samples, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_clock_ahead_and_time1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edge_jitter_reaches_the_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pulses_far_from_a_second_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coarse_lock_exact_pulses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_lock_sample_no_pulses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_system_clock_numbers_when_synchronised, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_clear_edge_through_the_layer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_device_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_device_reopened, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
