/*
 * Unit tests for refclock_pps, the PPS driver on its own: a fake PPS
 * source (an ops table installed with PPS_SetOps) supplies edges, and the
 * refclock layer's driver-facing functions are faked here, recording each
 * RCL_AddPulse, so the exact timestamps the driver hands over are checked.
 * Which device and edge it opens (default /dev/ppsU, `path`, fudge flag2
 * for the clear edge), that the edge present at open is not used, one
 * pulse per new sequence number and none without, sequence gaps counted as
 * missed edges, pulses the layer refuses counted as unnumbered, a failing
 * fetch reported as a lost device, a failed start's reason handed back
 * to the layer (which logs it; the driver does not),
 * and the report line.
 * test_refclock_pps_layer.c runs the driver through the real refclock.c.
 *
 * Links: refclock_pps pps pps_rfc2783 mem tests/unit/fake_log
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_log.h"
#include "log.h"
#include "pps.h"
#include "refclock.h"

extern const RCL_Driver RCL_PpsDriver;

/* ---- fake refclock layer -------------------------------------------------- */

#define MAX_PULSES 16

struct RCL_Instance_Record {
    RCL_Config cfg;
    void *data;
};

static struct {
    struct timespec pulses[MAX_PULSES];
    int n;
    int accept;                 /* what RCL_AddPulse returns */
    int lost;                   /* RCL_DeviceLost calls */
    char lost_why[256];
} layer;

const RCL_Config *RCL_GetConfig(RCL_Instance rc)
{
    return &rc->cfg;
}

void RCL_SetDriverData(RCL_Instance rc, void *data)
{
    rc->data = data;
}

void *RCL_GetDriverData(RCL_Instance rc)
{
    return rc->data;
}

const char *RCL_GetName(RCL_Instance rc)
{
    static char name[32];

    snprintf(name, sizeof name, "127.127.%d.%d", rc->cfg.type, rc->cfg.unit);
    return name;
}

int RCL_AddPulse(RCL_Instance rc, const struct timespec *local)
{
    (void)rc;
    assert_true(layer.n < MAX_PULSES);
    layer.pulses[layer.n++] = *local;
    return layer.accept;
}

void RCL_DeviceLost(RCL_Instance rc, const char *why)
{
    (void)rc;
    layer.lost++;
    snprintf(layer.lost_why, sizeof layer.lost_why, "%s", why);
}

/* ---- fake PPS source ------------------------------------------------------ */

static struct {
    char path[RCL_PATH_LEN];
    PPS_Edge edge;
    const char *fail;           /* open fails with this reason */
    int opens, closes, fetches;
    int fetch_fails;
    PPS_Event assert_ev, clear_ev;
} src;

static int handle;

static void *fake_open(const char *path, PPS_Edge edge, char *err, size_t err_len)
{
    src.opens++;
    snprintf(src.path, sizeof src.path, "%s", path);
    src.edge = edge;
    if (src.fail) {
        snprintf(err, err_len, "%s", src.fail);
        return NULL;
    }
    return &handle;
}

static int fake_fetch(void *h, PPS_Event *ev, char *err, size_t err_len)
{
    assert_ptr_equal(h, &handle);
    src.fetches++;
    if (src.fetch_fails) {
        snprintf(err, err_len, "time_pps_fetch failed: No such device");
        return -1;
    }
    *ev = src.edge == PPS_EDGE_CLEAR ? src.clear_ev : src.assert_ev;
    return 0;
}

static void fake_close(void *h)
{
    assert_ptr_equal(h, &handle);
    src.closes++;
}

static const PPS_Ops fake_ops = {
    .name = "fake",
    .open = fake_open,
    .fetch = fake_fetch,
    .close = fake_close,
};

/* An edge `sec`.`nsec` on the local clock, the source's `seq`th. */
static void assert_edge(unsigned long seq, long long sec, long nsec)
{
    src.assert_ev.sequence = seq;
    src.assert_ev.time.tv_sec = (time_t)sec;
    src.assert_ev.time.tv_nsec = nsec;
}

static void clear_edge(unsigned long seq, long long sec, long nsec)
{
    src.clear_ev.sequence = seq;
    src.clear_ev.time.tv_sec = (time_t)sec;
    src.clear_ev.time.tv_nsec = nsec;
}

static struct RCL_Instance_Record inst;

static int setup(void **state)
{
    (void)state;
    memset(&src, 0, sizeof src);
    memset(&layer, 0, sizeof layer);
    FAKE_LogClear();
    memset(&inst, 0, sizeof inst);
    layer.accept = 1;
    inst.cfg.type = RCL_TYPE_PPS;
    inst.cfg.unit = 3;
    inst.cfg.stratum = -1;
    PPS_SetOps(&fake_ops);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (inst.data)
        RCL_PpsDriver.stop(&inst);
    PPS_SetOps(NULL);
    return 0;
}

static void report(char *buf, size_t len)
{
    RCL_PpsDriver.report(&inst, buf, len);
}

static char start_err[512];

/* The driver's start as the layer calls it; a reason goes to start_err,
   filled beforehand so a failure that writes none shows. */
static int start_driver(void)
{
    snprintf(start_err, sizeof start_err, "(untouched)");
    return RCL_PpsDriver.start(&inst, start_err, sizeof start_err);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_driver_description(void **state)
{
    (void)state;
    assert_string_equal(RCL_PpsDriver.name, "PPS");
    assert_int_equal(RCL_PpsDriver.type, RCL_TYPE_PPS);
    assert_int_equal(RCL_PpsDriver.type, 22);
    assert_string_equal(RCL_PpsDriver.refid, "PPS");
    assert_int_equal(RCL_PpsDriver.stratum, 0);
    assert_int_equal(RCL_PpsDriver.precision, -20);
    /* Every edge of a 1 Hz signal is fetched before the next replaces it. */
    assert_true(RCL_PpsDriver.tick_interval > 0.0 && RCL_PpsDriver.tick_interval <= 0.5);
}

static void test_default_device_and_assert_edge(void **state)
{
    (void)state;
    assert_int_equal(start_driver(), 0);
    assert_string_equal(src.path, "/dev/pps3");
    assert_int_equal(src.edge, PPS_EDGE_ASSERT);
    assert_non_null(inst.data);
    RCL_PpsDriver.stop(&inst);
    assert_int_equal(src.closes, 1);
    assert_null(inst.data);
}

static void test_configured_path_and_flag2_clear_edge(void **state)
{
    (void)state;
    snprintf(inst.cfg.path, sizeof inst.cfg.path, "/dev/pps-gps");
    inst.cfg.flags = 0x2;       /* fudge flag2 */
    assert_int_equal(start_driver(), 0);
    assert_string_equal(src.path, "/dev/pps-gps");
    assert_int_equal(src.edge, PPS_EDGE_CLEAR);

    /* The assert edges move; only the clear ones count. */
    assert_edge(10, 1700000000, 0);
    clear_edge(20, 1699999999, 100000000);
    RCL_PpsDriver.tick(&inst);
    assert_edge(11, 1700000001, 0);
    RCL_PpsDriver.tick(&inst);
    assert_int_equal(layer.n, 0);
    clear_edge(21, 1700000000, 100000321);
    RCL_PpsDriver.tick(&inst);
    assert_int_equal(layer.n, 1);
    assert_int_equal(layer.pulses[0].tv_sec, 1700000000);
    assert_int_equal(layer.pulses[0].tv_nsec, 100000321);
}

static void test_flags_other_than_flag2_keep_assert(void **state)
{
    (void)state;
    inst.cfg.flags = 0x1 | 0x8;  /* flag1, flag4 */
    assert_int_equal(start_driver(), 0);
    assert_int_equal(src.edge, PPS_EDGE_ASSERT);
}

static void test_edges_become_pulses(void **state)
{
    char buf[256];

    (void)state;
    /* An old edge is there when the device opens: not used. */
    assert_edge(100, 1600000000, 999999000);
    assert_int_equal(start_driver(), 0);
    RCL_PpsDriver.tick(&inst);
    assert_int_equal(layer.n, 0);

    /* Ticks without a new edge produce nothing. */
    RCL_PpsDriver.tick(&inst);
    RCL_PpsDriver.tick(&inst);
    assert_int_equal(layer.n, 0);

    /* Each new edge: one pulse with the source's timestamp, exactly. */
    assert_edge(101, 1700000000, 999999500);   /* local clock 500 ns behind */
    RCL_PpsDriver.tick(&inst);
    RCL_PpsDriver.tick(&inst);
    assert_int_equal(layer.n, 1);
    assert_int_equal(layer.pulses[0].tv_sec, 1700000000);
    assert_int_equal(layer.pulses[0].tv_nsec, 999999500);
    assert_edge(102, 1700000001, 1200);          /* 1.2 us ahead */
    RCL_PpsDriver.tick(&inst);
    assert_int_equal(layer.n, 2);
    assert_int_equal(layer.pulses[1].tv_sec, 1700000001);
    assert_int_equal(layer.pulses[1].tv_nsec, 1200);
    assert_int_equal(src.fetches, 6);

    report(buf, sizeof buf);
    assert_string_equal(buf, "edges 2, missed 0, unnumbered 0");
}

static void test_first_edge_after_an_idle_device_is_used(void **state)
{
    (void)state;
    /* Nothing captured before the open (sequence 0): edge 1 is fresh. */
    assert_int_equal(start_driver(), 0);
    RCL_PpsDriver.tick(&inst);
    assert_edge(1, 1700000000, 42);
    RCL_PpsDriver.tick(&inst);
    assert_int_equal(layer.n, 1);
    assert_int_equal(layer.pulses[0].tv_nsec, 42);
}

static void test_sequence_gaps_counted(void **state)
{
    char buf[256];

    (void)state;
    assert_edge(7, 1700000000, 0);
    assert_int_equal(start_driver(), 0);
    RCL_PpsDriver.tick(&inst);
    /* The loop stalled for three seconds: edges 8..10, only 10 is left. */
    assert_edge(10, 1700000003, 250);
    RCL_PpsDriver.tick(&inst);
    assert_int_equal(layer.n, 1);
    assert_int_equal(layer.pulses[0].tv_sec, 1700000003);
    assert_int_equal(layer.pulses[0].tv_nsec, 250);
    assert_edge(11, 1700000004, 250);
    RCL_PpsDriver.tick(&inst);
    report(buf, sizeof buf);
    assert_string_equal(buf, "edges 2, missed 2, unnumbered 0");

}

static void test_sequence_wraps_at_32_bits(void **state)
{
    char buf[256];

    (void)state;
    /* The kernel counts edges in 32 bits: after 0xffffffff come 0, 1. */
    assert_edge(0xfffffffeUL, 1700000000, 0);
    assert_int_equal(start_driver(), 0);
    RCL_PpsDriver.tick(&inst);
    assert_edge(0xffffffffUL, 1700000001, 0);
    RCL_PpsDriver.tick(&inst);
    assert_edge(0, 1700000002, 0);
    RCL_PpsDriver.tick(&inst);
    assert_edge(2, 1700000004, 0);
    RCL_PpsDriver.tick(&inst);
    assert_int_equal(layer.n, 3);
    assert_int_equal(layer.pulses[1].tv_sec, 1700000002);
    assert_int_equal(layer.pulses[2].tv_sec, 1700000004);
    report(buf, sizeof buf);
    assert_string_equal(buf, "edges 3, missed 1, unnumbered 0");
}

static void test_unnumbered_pulses_counted(void **state)
{
    char buf[256];

    (void)state;
    assert_int_equal(start_driver(), 0);
    RCL_PpsDriver.tick(&inst);
    layer.accept = 0;           /* no lock, or the edge is mid-second */
    assert_edge(1, 1700000000, 500000000);
    RCL_PpsDriver.tick(&inst);
    layer.accept = 1;
    assert_edge(2, 1700000001, 10);
    RCL_PpsDriver.tick(&inst);
    assert_int_equal(layer.n, 2);
    report(buf, sizeof buf);
    assert_string_equal(buf, "edges 2, missed 0, unnumbered 1");
}

static void test_fetch_error_is_a_lost_device(void **state)
{
    (void)state;
    assert_int_equal(start_driver(), 0);
    RCL_PpsDriver.tick(&inst);
    src.fetch_fails = 1;
    assert_edge(1, 1700000000, 0);
    RCL_PpsDriver.tick(&inst);
    assert_int_equal(layer.n, 0);
    assert_int_equal(layer.lost, 1);
    assert_string_equal(layer.lost_why, "/dev/pps3: time_pps_fetch failed: No such device");
    /* The layer then stops the driver and starts it again later. */
    RCL_PpsDriver.stop(&inst);
    assert_int_equal(src.closes, 1);
    assert_null(inst.data);
}

static void test_start_failure_gives_the_reason(void **state)
{
    (void)state;
    inst.cfg.unit = 5;
    src.fail = "no such device";
    assert_int_equal(start_driver(), -1);
    assert_null(inst.data);
    /* "PATH: reason", without the instance's name (the layer adds it). */
    assert_string_equal(start_err, "/dev/pps5: no such device");
    /* The layer decides what to log, once per reason: not the driver. */
    assert_int_equal(FAKE_LogLines(), 0);
    /* Each retry says why again; nothing is remembered between them. */
    assert_int_equal(start_driver(), -1);
    assert_string_equal(start_err, "/dev/pps5: no such device");
    src.fail = "cannot open: Permission denied";
    assert_int_equal(start_driver(), -1);
    assert_string_equal(start_err, "/dev/pps5: cannot open: Permission denied");
    assert_int_equal(FAKE_LogLines(), 0);
    src.fail = NULL;
    assert_int_equal(start_driver(), 0);
    assert_non_null(inst.data);
    assert_string_equal(FAKE_LogLast(), "refclock 127.127.22.5 (PPS): /dev/pps5, assert edge");
    assert_int_equal(src.opens, 4);
    assert_int_equal(src.closes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_driver_description, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_device_and_assert_edge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configured_path_and_flag2_clear_edge, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flags_other_than_flag2_keep_assert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edges_become_pulses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_edge_after_an_idle_device_is_used, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sequence_gaps_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_wraps_at_32_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unnumbered_pulses_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_error_is_a_lost_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_failure_gives_the_reason, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
