/*
 * Unit tests for clock_sys and clock: what the real clock driver asks of
 * the kernel (struct timex contents for frequency, slew, step and status),
 * the read-only driver, CLK_Init's precision measurement, the step
 * handlers, external-step notification and the step watch's registration
 * with the scheduler (faked here: SCH_AddFdHandler, SCH_RemoveFdHandler).
 *
 * SAFETY: this machine's clock is never touched. Every test runs with a
 * fake system-call table installed through CLK_SysSetCalls (the group setup
 * installs it before any test); the fake records each struct timex and
 * never calls the kernel. The real table is never reinstalled.
 *
 * Links: clock clock_sys log mem ntp_time
 */

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"
#include "clock_sys.h"
#include "sched.h"

/* ---- fake system calls --------------------------------------------------- */

#define MAX_CALLS 64

static struct {
    /* clock_adjtime */
    struct timex calls[MAX_CALLS];   /* what the driver passed in */
    clockid_t ids[MAX_CALLS];
    int n;
    int n_modes;                     /* calls with modes != 0 */
    int fail;                        /* make every call fail (EPERM) */
    struct timex kernel;             /* state a modes == 0 call reads back */
    /* clock_gettime */
    long long now_ns;
    long step_ns[8];                 /* advance per read, cycling */
    int n_steps;
    int hold;                        /* reads returning the same time */
    int held;
    long gettime_calls;
    /* capget */
    int cap;
} fake;

static int fake_gettime(clockid_t id, struct timespec *ts)
{
    assert_int_equal(id, CLOCK_REALTIME);
    fake.gettime_calls++;
    ts->tv_sec = (time_t)(fake.now_ns / 1000000000LL);
    ts->tv_nsec = (long)(fake.now_ns % 1000000000LL);
    if (fake.held++ >= fake.hold) {
        fake.held = 0;
        fake.now_ns += fake.step_ns[fake.gettime_calls % fake.n_steps];
    }
    return 0;
}

static int fake_adjtime(clockid_t id, struct timex *tx)
{
    if (fake.n < MAX_CALLS) {
        fake.calls[fake.n] = *tx;
        fake.ids[fake.n] = id;
    }
    fake.n++;
    if (tx->modes != 0)
        fake.n_modes++;
    if (fake.fail) {
        errno = EPERM;
        return -1;
    }
    if (tx->modes == 0) {
        *tx = fake.kernel;
        tx->modes = 0;
    }
    return TIME_OK;
}

static int fake_capget(void)
{
    return fake.cap;
}

static const CLK_SysCalls fake_calls = {
    .gettime = fake_gettime,
    .adjtime = fake_adjtime,
    .capget_sys_time = fake_capget,
};

static void fake_reset(void)
{
    memset(&fake, 0, sizeof fake);
    fake.now_ns = 1700000000LL * 1000000000LL;
    fake.step_ns[0] = 1000;   /* 1 us per read */
    fake.n_steps = 1;
}

/* ---- fake scheduler (descriptor handlers, for the step watch) ---------- */

static struct {
    int add_calls, remove_calls;
    int fd, removed_fd;
    SCH_FdHandler handler;
    void *arg;
} fdh;

void SCH_AddFdHandler(int fd, SCH_FdHandler handler, void *arg)
{
    fdh.add_calls++;
    fdh.fd = fd;
    fdh.handler = handler;
    fdh.arg = arg;
}

void SCH_RemoveFdHandler(int fd)
{
    fdh.remove_calls++;
    fdh.removed_fd = fd;
}

/* The last recorded adjtime call. */
static const struct timex *last_call(void)
{
    assert_true(fake.n > 0 && fake.n <= MAX_CALLS);
    assert_int_equal(fake.ids[fake.n - 1], CLOCK_REALTIME);
    return &fake.calls[fake.n - 1];
}

static int group_setup(void **state)
{
    (void)state;
    fake_reset();
    CLK_SysSetCalls(&fake_calls);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    fake_reset();
    CLK_SysSetCalls(&fake_calls);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    CLK_Fini();
    /* The fake stays installed: nothing here may reach the real kernel. */
    CLK_SysSetCalls(&fake_calls);
    return 0;
}

static void dbl_near(double a, double b, double eps, const char *expr, const char *file, int line)
{
    if (!(fabs(a - b) <= eps)) {
        print_error("%s: %.17g != %.17g (eps %g)\n", expr, a, b, eps);
        _fail(file, line);
    }
}
#define assert_dbl_near(a, b, eps) dbl_near((a), (b), (eps), #a, __FILE__, __LINE__)

/* ---- the system driver through the fake --------------------------------- */

static void test_set_frequency(void **state)
{
    (void)state;
    assert_int_equal(CLK_SystemDriver.set_frequency(12.5), 0);
    assert_int_equal(fake.n, 1);
    assert_int_equal(last_call()->modes, ADJ_FREQUENCY);
    assert_int_equal(last_call()->freq, 819200);   /* 12.5 * 65536 */

    assert_int_equal(CLK_SystemDriver.set_frequency(-3.25), 0);
    assert_int_equal(last_call()->modes, ADJ_FREQUENCY);
    assert_int_equal(last_call()->freq, -212992);  /* -3.25 * 65536 */

    /* 2^-16 ppm units, rounded to nearest: 0.00001 ppm * 65536 = 0.655. */
    assert_int_equal(CLK_SystemDriver.set_frequency(1e-5), 0);
    assert_int_equal(last_call()->freq, 1);
    assert_int_equal(CLK_SystemDriver.set_frequency(500.0), 0);
    assert_int_equal(last_call()->freq, 32768000);
}

static void test_get_frequency(void **state)
{
    (void)state;
    fake.kernel.freq = 819200;
    assert_dbl_near(CLK_SystemDriver.get_frequency(), 12.5, 0.0);
    assert_int_equal(last_call()->modes, 0);
    fake.kernel.freq = -212992;
    assert_dbl_near(CLK_SystemDriver.get_frequency(), -3.25, 0.0);
    fake.kernel.freq = 1;
    assert_dbl_near(CLK_SystemDriver.get_frequency(), 1.0 / 65536.0, 0.0);
    assert_int_equal(fake.n_modes, 0);
}

static void test_slew(void **state)
{
    (void)state;
    assert_int_equal(CLK_SystemDriver.slew(0.001234), 0);
    assert_int_equal(last_call()->modes, ADJ_OFFSET_SINGLESHOT);
    assert_int_equal(last_call()->offset, 1234);
    assert_int_equal(CLK_SystemDriver.slew(-0.0005), 0);
    assert_int_equal(last_call()->modes, ADJ_OFFSET_SINGLESHOT);
    assert_int_equal(last_call()->offset, -500);
    /* Microseconds, rounded to nearest. */
    assert_int_equal(CLK_SystemDriver.slew(2.5e-7), 0);
    assert_int_equal(last_call()->offset, 0);
    assert_int_equal(CLK_SystemDriver.slew(0.0000016), 0);
    assert_int_equal(last_call()->offset, 2);
    assert_int_equal(CLK_SystemDriver.slew(1.5), 0);
    assert_int_equal(last_call()->offset, 1500000);
}

/* ADJ_SETOFFSET | ADJ_NANO with a normalised time: tv_sec = floor(offset),
   tv_usec (nanoseconds) in [0, 1e9). */
static void check_step(double offset, long long sec, long nsec)
{
    int before = fake.n;

    assert_int_equal(CLK_SystemDriver.step(offset), 0);
    assert_int_equal(fake.n, before + 1);
    assert_int_equal(last_call()->modes, ADJ_SETOFFSET | ADJ_NANO);
    assert_int_equal((long long)last_call()->time.tv_sec, sec);
    assert_int_equal(last_call()->time.tv_usec, nsec);
}

static void test_step(void **state)
{
    (void)state;
    check_step(-0.25, -1, 750000000);
    check_step(1.5, 1, 500000000);
    check_step(0.0, 0, 0);
    check_step(2.0, 2, 0);
    check_step(-2.0, -2, 0);
    check_step(-1.75, -2, 250000000);
    check_step(0.000000001, 0, 1);
    check_step(-0.000000001, -1, 999999999);
    check_step(1000.123456789, 1000, 123456789);
    /* Rounds up to a whole second: carried into tv_sec. */
    check_step(0.9999999999, 1, 0);
    check_step(-1e-10, 0, 0);
}

static void test_set_status(void **state)
{
    const struct timex *tx;

    (void)state;
    /* Kernel state before: unsynchronised, delete pending, PLL on. */
    fake.kernel.status = STA_PLL | STA_UNSYNC | STA_DEL;
    assert_int_equal(CLK_SystemDriver.set_status(1, 1, 0.0005, 0.25), 0);
    assert_int_equal(fake.n, 2);
    assert_int_equal(fake.calls[0].modes, 0);   /* read the status first */
    tx = last_call();
    assert_true(tx->modes & ADJ_STATUS);
    assert_true(tx->modes & ADJ_ESTERROR);
    assert_true(tx->modes & ADJ_MAXERROR);
    assert_int_equal(tx->status, STA_PLL | STA_INS);   /* other bits kept */
    assert_int_equal(tx->esterror, 500);
    assert_int_equal(tx->maxerror, 250000);

    /* Unsynchronised, no leap. */
    fake.kernel.status = STA_PLL | STA_INS;
    assert_int_equal(CLK_SystemDriver.set_status(0, 0, 0.001, 2.0), 0);
    tx = last_call();
    assert_true(tx->modes & ADJ_STATUS);
    assert_int_equal(tx->status, STA_PLL | STA_UNSYNC);
    assert_int_equal(tx->esterror, 1000);
    assert_int_equal(tx->maxerror, 2000000);

    /* Delete a second. */
    fake.kernel.status = STA_UNSYNC;
    assert_int_equal(CLK_SystemDriver.set_status(1, 2, 0.0, 0.0), 0);
    tx = last_call();
    assert_int_equal(tx->status, STA_DEL);
    assert_int_equal(tx->esterror, 0);
    assert_int_equal(tx->maxerror, 0);

    /* Error estimates capped at 16 s. */
    assert_int_equal(CLK_SystemDriver.set_status(1, 0, 100.0, 20.0), 0);
    tx = last_call();
    assert_int_equal(tx->esterror, 16000000);
    assert_int_equal(tx->maxerror, 16000000);
}

static void test_adjtime_failure(void **state)
{
    (void)state;
    fake.fail = 1;
    assert_int_equal(CLK_SystemDriver.set_frequency(1.0), -1);
    assert_int_equal(CLK_SystemDriver.slew(0.001), -1);
    assert_int_equal(CLK_SystemDriver.step(0.5), -1);
    assert_int_equal(CLK_SystemDriver.set_status(1, 0, 0.0, 0.0), -1);
    /* The status read failed: no write attempted. */
    assert_int_equal(last_call()->modes, 0);
    assert_dbl_near(CLK_SystemDriver.get_frequency(), 0.0, 0.0);
}

static void test_capability_from_fake(void **state)
{
    (void)state;
    fake.cap = 1;
    assert_int_equal(CLK_SysHaveCapability(), 1);
    fake.cap = 0;
    assert_int_equal(CLK_SysHaveCapability(), 0);
}

static void test_read_uses_fake(void **state)
{
    struct timespec ts;

    (void)state;
    fake.now_ns = 1234LL * 1000000000LL + 5678;
    CLK_SystemDriver.read(&ts);
    assert_int_equal((long long)ts.tv_sec, 1234);
    assert_int_equal(ts.tv_nsec, 5678);
    CLK_ReadOnlyDriver.read(&ts);
    assert_int_equal((long long)ts.tv_sec, 1234);
    assert_int_equal(ts.tv_nsec, 6678);
}

static void test_driver_tables(void **state)
{
    (void)state;
    assert_int_equal(CLK_SystemDriver.can_adjust, 1);
    assert_int_equal(CLK_ReadOnlyDriver.can_adjust, 0);
    assert_dbl_near(CLK_SystemDriver.precision, 0.0, 0.0);
    assert_dbl_near(CLK_ReadOnlyDriver.precision, 0.0, 0.0);
    assert_non_null(CLK_SystemDriver.name);
    assert_non_null(CLK_ReadOnlyDriver.name);
}

/* ---- clock: read-only driver -------------------------------------------- */

static void test_read_only_never_adjusts(void **state)
{
    (void)state;
    CLK_Init(&CLK_ReadOnlyDriver);
    assert_ptr_equal(CLK_GetDriver(), &CLK_ReadOnlyDriver);
    assert_int_equal(CLK_CanAdjust(), 0);
    assert_int_equal(CLK_SetFrequency(10.0), -1);
    assert_int_equal(CLK_Slew(0.01), -1);
    assert_int_equal(CLK_Step(1.0), -1);
    assert_int_equal(CLK_SetStatus(1, 1, 0.001, 0.01), -1);
    /* Even the driver's own entry points refuse without a system call. */
    assert_int_equal(CLK_ReadOnlyDriver.set_frequency(10.0), -1);
    assert_int_equal(CLK_ReadOnlyDriver.slew(0.01), -1);
    assert_int_equal(CLK_ReadOnlyDriver.step(1.0), -1);
    assert_int_equal(CLK_ReadOnlyDriver.set_status(1, 1, 0.001, 0.01), -1);
    /* Reading the frequency is allowed (modes 0). */
    fake.kernel.freq = 655360;
    assert_dbl_near(CLK_GetFrequency(), 10.0, 0.0);
    assert_int_equal(fake.n_modes, 0);
    for (int i = 0; i < fake.n && i < MAX_CALLS; i++)
        assert_int_equal(fake.calls[i].modes, 0);
}

static int handler_calls;
static double handler_offset;
static void *handler_arg;

static void step_handler(double offset, void *arg)
{
    handler_calls++;
    handler_offset = offset;
    handler_arg = arg;
}

static void test_read_only_step_runs_no_handler(void **state)
{
    int arg;

    (void)state;
    handler_calls = 0;
    CLK_Init(&CLK_ReadOnlyDriver);
    CLK_AddStepHandler(step_handler, &arg);
    assert_int_equal(CLK_Step(0.5), -1);
    assert_int_equal(handler_calls, 0);
    assert_int_equal(fake.n_modes, 0);
}

/* ---- clock: precision ---------------------------------------------------- */

/* 1 us per read: precision 1e-6 s, 2^-19 on the wire (2^-20 < 1e-6). */
static void test_precision_measured(void **state)
{
    (void)state;
    CLK_Init(&CLK_ReadOnlyDriver);
    assert_dbl_near(CLK_GetPrecision(), 1e-6, 1e-15);
    assert_int_equal(CLK_GetPrecisionLog2(), -19);
    assert_true(fake.gettime_calls >= 600);
}

/* Irregular steps 3000, 700, 1500 ns: the smallest difference seen between
   two consecutive distinct reads is 700 ns. */
static void test_precision_smallest_difference(void **state)
{
    (void)state;
    fake.step_ns[0] = 3000;
    fake.step_ns[1] = 700;
    fake.step_ns[2] = 1500;
    fake.n_steps = 3;
    CLK_Init(&CLK_ReadOnlyDriver);
    assert_dbl_near(CLK_GetPrecision(), 700e-9, 1e-15);
    assert_int_equal(CLK_GetPrecisionLog2(), -20);
}

/* A coarse clock (same value for 5 reads, then +1 ms): precision 1 ms. */
static void test_precision_coarse_clock(void **state)
{
    (void)state;
    fake.step_ns[0] = 1000000;
    fake.hold = 5;
    CLK_Init(&CLK_ReadOnlyDriver);
    assert_dbl_near(CLK_GetPrecision(), 1e-3, 1e-15);
    assert_int_equal(CLK_GetPrecisionLog2(), -9);
}

/* A driver that states its precision is not measured. */
static void fixed_read(struct timespec *ts)
{
    ts->tv_sec = 100;
    ts->tv_nsec = 0;
}

static int fixed_calls;
static double fixed_arg;

static int fixed_set(double v)
{
    fixed_calls++;
    fixed_arg = v;
    return 0;
}

static double fixed_get(void)
{
    return 7.0;
}

static int fixed_step_fail(double v)
{
    (void)v;
    fixed_calls++;
    return -1;
}

static int fixed_status(int a, int b, double c, double d)
{
    (void)a, (void)b, (void)c, (void)d;
    fixed_calls++;
    return 0;
}

static void test_stated_precision(void **state)
{
    const CLK_Driver drv = {
        .name = "fixed", .precision = 2e-7, .read = fixed_read, .can_adjust = 1,
        .set_frequency = fixed_set, .get_frequency = fixed_get, .slew = fixed_set,
        .step = fixed_set, .set_status = fixed_status,
    };
    struct timespec ts;

    (void)state;
    CLK_Init(&drv);   /* fixed_read never advances: measuring would hang */
    assert_dbl_near(CLK_GetPrecision(), 2e-7, 0.0);
    assert_int_equal(CLK_GetPrecisionLog2(), -22);
    CLK_ReadTime(&ts);
    assert_int_equal((long long)ts.tv_sec, 100);
    fixed_calls = 0;
    assert_int_equal(CLK_SetFrequency(3.5), 0);
    assert_dbl_near(fixed_arg, 3.5, 0.0);
    assert_int_equal(CLK_Slew(-0.002), 0);
    assert_dbl_near(fixed_arg, -0.002, 0.0);
    assert_int_equal(CLK_SetStatus(1, 0, 0.0, 0.0), 0);
    assert_dbl_near(CLK_GetFrequency(), 7.0, 0.0);
    assert_int_equal(fixed_calls, 3);
    assert_int_equal(fake.gettime_calls, 0);
}

/* can_adjust 0 in any driver: the dispatch refuses without calling it. */
static void test_dispatch_refuses_without_can_adjust(void **state)
{
    const CLK_Driver drv = {
        .name = "fixed-ro", .precision = 1e-6, .read = fixed_read, .can_adjust = 0,
        .set_frequency = fixed_set, .get_frequency = fixed_get, .slew = fixed_set,
        .step = fixed_set, .set_status = fixed_status,
    };

    (void)state;
    CLK_Init(&drv);
    fixed_calls = 0;
    assert_int_equal(CLK_SetFrequency(1.0), -1);
    assert_int_equal(CLK_Slew(1.0), -1);
    assert_int_equal(CLK_Step(1.0), -1);
    assert_int_equal(CLK_SetStatus(1, 0, 0.0, 0.0), -1);
    assert_int_equal(fixed_calls, 0);
}

/* A driver whose step fails: CLK_Step returns -1 and runs no handler. */
static void test_failed_driver_step_runs_no_handler(void **state)
{
    const CLK_Driver drv = {
        .name = "fixed-fail", .precision = 1e-6, .read = fixed_read, .can_adjust = 1,
        .set_frequency = fixed_set, .get_frequency = fixed_get, .slew = fixed_set,
        .step = fixed_step_fail, .set_status = fixed_status,
    };
    int arg;

    (void)state;
    CLK_Init(&drv);
    handler_calls = 0;
    fixed_calls = 0;
    CLK_AddStepHandler(step_handler, &arg);
    assert_int_equal(CLK_Step(0.5), -1);
    assert_int_equal(fixed_calls, 1);
    assert_int_equal(handler_calls, 0);
}

/* ---- clock: step handlers over the system driver (fake kernel) ---------- */

static void test_step_handlers(void **state)
{
    int a, b;

    (void)state;
    CLK_Init(&CLK_SystemDriver);
    assert_int_equal(CLK_CanAdjust(), 1);
    handler_calls = 0;
    CLK_AddStepHandler(step_handler, &a);

    assert_int_equal(CLK_Step(-0.25), 0);
    assert_int_equal(last_call()->modes, ADJ_SETOFFSET | ADJ_NANO);
    assert_int_equal((long long)last_call()->time.tv_sec, -1);
    assert_int_equal(last_call()->time.tv_usec, 750000000);
    assert_int_equal(handler_calls, 1);
    assert_dbl_near(handler_offset, -0.25, 0.0);
    assert_ptr_equal(handler_arg, &a);

    /* Failed step: no handler. */
    fake.fail = 1;
    assert_int_equal(CLK_Step(2.0), -1);
    assert_int_equal(handler_calls, 1);
    fake.fail = 0;

    /* Same function, other argument: both run; removal is by (fn, arg). */
    CLK_AddStepHandler(step_handler, &b);
    assert_int_equal(CLK_Step(1.5), 0);
    assert_int_equal(handler_calls, 3);
    CLK_RemoveStepHandler(step_handler, &a);
    assert_int_equal(CLK_Step(0.125), 0);
    assert_int_equal(handler_calls, 4);
    assert_ptr_equal(handler_arg, &b);
    assert_dbl_near(handler_offset, 0.125, 0.0);
    CLK_RemoveStepHandler(step_handler, &b);
    assert_int_equal(CLK_Step(0.5), 0);
    assert_int_equal(handler_calls, 4);
    /* Removing an unknown handler is harmless. */
    CLK_RemoveStepHandler(step_handler, &a);
}

/* Many handlers (the array grows past its first 16 slots): each runs once
   per step; removing some leaves exactly the others. */
static int many_hits[40];

static void many_handler(double offset, void *arg)
{
    (void)offset;
    many_hits[(int *)arg - many_hits]++;
}

static void test_many_step_handlers(void **state)
{
    (void)state;
    memset(many_hits, 0, sizeof many_hits);
    CLK_Init(&CLK_SystemDriver);
    for (int i = 0; i < 40; i++)
        CLK_AddStepHandler(many_handler, &many_hits[i]);
    assert_int_equal(CLK_Step(0.01), 0);
    for (int i = 0; i < 40; i++)
        assert_int_equal(many_hits[i], 1);
    for (int i = 0; i < 40; i += 3)
        CLK_RemoveStepHandler(many_handler, &many_hits[i]);
    assert_int_equal(CLK_Step(0.01), 0);
    for (int i = 0; i < 40; i++)
        assert_int_equal(many_hits[i], i % 3 == 0 ? 1 : 2);
}

/* The system driver through CLK_*: each call reaches the fake kernel. */
static void test_system_driver_dispatch(void **state)
{
    (void)state;
    CLK_Init(&CLK_SystemDriver);
    assert_int_equal(CLK_SetFrequency(12.5), 0);
    assert_int_equal(last_call()->modes, ADJ_FREQUENCY);
    assert_int_equal(last_call()->freq, 819200);
    assert_int_equal(CLK_Slew(0.001234), 0);
    assert_int_equal(last_call()->modes, ADJ_OFFSET_SINGLESHOT);
    assert_int_equal(last_call()->offset, 1234);
    fake.kernel.status = STA_UNSYNC;
    assert_int_equal(CLK_SetStatus(1, 0, 0.001, 0.002), 0);
    assert_int_equal(last_call()->status, 0);
    fake.kernel.freq = 819200;
    assert_dbl_near(CLK_GetFrequency(), 12.5, 0.0);
}

/* ---- clock: steps made by others ---------------------------------------- */

static int external_calls;
static void *external_arg;

static void external_handler(void *arg)
{
    external_calls++;
    external_arg = arg;
}

/* Notifications reach the handler, except the one our own successful step
   causes; a failed step is not ours. */
static void test_external_step_notification(void **state)
{
    int token;

    (void)state;
    CLK_Init(&CLK_SystemDriver);
    /* Consume whatever an earlier test's step left pending. */
    CLK_SetExternalStepHandler(NULL, NULL);
    CLK_NotifyExternalStep();
    CLK_NotifyExternalStep();   /* no handler: nothing happens */

    external_calls = 0;
    CLK_SetExternalStepHandler(external_handler, &token);
    CLK_NotifyExternalStep();
    assert_int_equal(external_calls, 1);
    assert_ptr_equal(external_arg, &token);

    assert_int_equal(CLK_Step(0.5), 0);
    CLK_NotifyExternalStep();   /* our own */
    assert_int_equal(external_calls, 1);
    CLK_NotifyExternalStep();   /* someone else's */
    assert_int_equal(external_calls, 2);

    fake.fail = 1;
    assert_int_equal(CLK_Step(0.5), -1);
    fake.fail = 0;
    CLK_NotifyExternalStep();
    assert_int_equal(external_calls, 3);

    CLK_SetExternalStepHandler(NULL, NULL);
    CLK_NotifyExternalStep();
    assert_int_equal(external_calls, 3);
}

/* The watch registers one descriptor with the scheduler and removes the
   same one; a second unwatch does nothing. The descriptor is a timerfd
   (it only observes the clock). Without a clock set it has nothing to
   read, so its handler reports nothing. */
static void test_watch_steps_registration(void **state)
{
    (void)state;
    memset(&fdh, 0, sizeof fdh);
    CLK_Init(&CLK_SystemDriver);
    CLK_SetExternalStepHandler(NULL, NULL);
    CLK_NotifyExternalStep();
    external_calls = 0;
    CLK_SetExternalStepHandler(external_handler, NULL);

    assert_int_equal(CLK_SysWatchSteps(), 0);
    assert_int_equal(fdh.add_calls, 1);
    assert_true(fdh.fd >= 0);
    assert_non_null(fdh.handler);
    fdh.handler(fdh.fd, fdh.arg);
    assert_int_equal(external_calls, 0);

    CLK_SysUnwatchSteps();
    assert_int_equal(fdh.remove_calls, 1);
    assert_int_equal(fdh.removed_fd, fdh.fd);
    CLK_SysUnwatchSteps();
    assert_int_equal(fdh.remove_calls, 1);
    CLK_SetExternalStepHandler(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_set_frequency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_frequency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slew, setup, teardown),
        cmocka_unit_test_setup_teardown(test_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adjtime_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capability_from_fake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_uses_fake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_driver_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_never_adjusts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_step_runs_no_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precision_measured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precision_smallest_difference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precision_coarse_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stated_precision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_refuses_without_can_adjust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_driver_step_runs_no_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_step_handlers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_step_handlers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_system_driver_dispatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_external_step_notification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_steps_registration, setup, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
