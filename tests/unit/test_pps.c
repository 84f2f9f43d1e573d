/*
 * Unit tests for pps and pps_rfc2783: the choice of implementation (an ops
 * table a test or the simulator installs) and the RFC 2783 implementation
 * run through pps-tools' real <sys/timepps.h> code against a fake kernel.
 *
 * There is no kernel PPS device on a test machine, so this file defines
 * ioctl(): the timepps.h inline functions compiled into pps_rfc2783.o call
 * it instead of libc's. On a temporary file standing in for /dev/ppsN it
 * answers PPS_GETPARAMS, PPS_SETPARAMS, PPS_GETCAP and PPS_FETCH as
 * drivers/pps/pps.c does (including the wait a fetch makes unless given a
 * zero timeout, which here fails the test); every other descriptor goes to
 * the real system call, so /dev/null is a real "not a PPS device".
 *
 * Links: pps pps_rfc2783 mem log
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/pps.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "pps.h"

/* ---- the fake kernel ------------------------------------------------------ */

static struct {
    dev_t dev;
    ino_t ino;                   /* the file that plays the PPS device */
    int caps;                    /* PPS_GETCAP: what the device can do */
    struct pps_kparams params;   /* current parameters */
    int setparams_errno;         /* 0, or why PPS_SETPARAMS fails (EPERM) */
    int fetch_errno;             /* 0, or why PPS_FETCH fails */
    int n_setparams, n_fetch;
    struct pps_kinfo info;       /* the latest edges */
} kern;

static char dev_path[64];

static int is_fake_device(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && st.st_dev == kern.dev && st.st_ino == kern.ino;
}

int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, request);
    arg = va_arg(ap, void *);
    va_end(ap);

    if (!is_fake_device(fd))
        return (int)syscall(SYS_ioctl, fd, request, arg);

    switch (request) {
    case PPS_GETPARAMS:
        memcpy(arg, &kern.params, sizeof kern.params);
        return 0;
    case PPS_SETPARAMS: {
        struct pps_kparams p;

        kern.n_setparams++;
        if (kern.setparams_errno) {
            errno = kern.setparams_errno;
            return -1;
        }
        memcpy(&p, arg, sizeof p);
        /* The kernel refuses modes the device cannot do. */
        if (p.mode & ~kern.caps) {
            errno = EINVAL;
            return -1;
        }
        kern.params = p;
        return 0;
    }
    case PPS_GETCAP:
        *(int *)arg = kern.caps;
        return 0;
    case PPS_FETCH: {
        struct pps_fdata *fd_data = arg;

        kern.n_fetch++;
        /* drivers/pps/pps.c waits for the next edge when the timeout is
           flagged invalid (time_pps_fetch with NULL) or not zero. */
        if (fd_data->timeout.flags & PPS_TIME_INVALID)
            fail_msg("PPS_FETCH would wait for the next edge (no timeout)");
        if (fd_data->timeout.sec != 0 || fd_data->timeout.nsec != 0)
            fail_msg("PPS_FETCH would wait up to %lld s %d ns", (long long)fd_data->timeout.sec,
                     fd_data->timeout.nsec);
        if (kern.fetch_errno) {
            errno = kern.fetch_errno;
            return -1;
        }
        fd_data->info = kern.info;
        return 0;
    }
    default:
        errno = ENOTTY;
        return -1;
    }
}

/* A fresh fake device: a temporary file with the given capabilities and
   current mode. */
static int setup_device(void **state)
{
    struct stat st;
    int fd;

    (void)state;
    memset(&kern, 0, sizeof kern);
    snprintf(dev_path, sizeof dev_path, "/tmp/test_pps.XXXXXX");
    fd = mkstemp(dev_path);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    close(fd);
    kern.dev = st.st_dev;
    kern.ino = st.st_ino;
    /* As pps-ldisc registers a serial line's DCD: both edges, both offsets,
       capture of both enabled. */
    kern.caps = PPS_CAPTUREBOTH | PPS_OFFSETASSERT | PPS_OFFSETCLEAR | PPS_CANWAIT |
                PPS_TSFMT_TSPEC;
    kern.params.api_version = PPS_API_VERS_1;
    kern.params.mode = PPS_CAPTUREBOTH | PPS_OFFSETASSERT | PPS_OFFSETCLEAR | PPS_TSFMT_TSPEC;
    PPS_SetOps(NULL);
    return 0;
}

static int teardown_device(void **state)
{
    (void)state;
    unlink(dev_path);
    PPS_SetOps(NULL);
    return 0;
}

/* ---- errors --------------------------------------------------------------- */

static void test_no_such_device(void **state)
{
    char err[256] = "";

    (void)state;
    assert_null(PPS_Open("/dev/pps-cntpd-test-none", PPS_EDGE_ASSERT, err, sizeof err));
    assert_non_null(strstr(err, "/dev/pps-cntpd-test-none: no such device"));
}

static void test_not_a_pps_device(void **state)
{
    char err[256] = "";

    (void)state;
    assert_null(PPS_Open("/dev/null", PPS_EDGE_ASSERT, err, sizeof err));
    assert_string_equal(err, "/dev/null: not a PPS device (no RFC 2783 PPS_GETPARAMS)");
}

static void test_no_assert_capability(void **state)
{
    char err[256] = "", want[128];

    (void)state;
    /* A device that only sees the clear edge (a GPIO registered that way). */
    kern.caps = PPS_CAPTURECLEAR | PPS_OFFSETCLEAR | PPS_TSFMT_TSPEC;
    kern.params.mode = PPS_CAPTURECLEAR;
    assert_null(PPS_Open(dev_path, PPS_EDGE_ASSERT, err, sizeof err));
    snprintf(want, sizeof want, "%s: cannot capture assert edges (capabilities 0x%x)", dev_path,
             (unsigned)kern.caps);
    assert_string_equal(err, want);
    assert_int_equal(kern.n_setparams, 0);
    /* The clear edge of the same device is fine. */
    PPS_Source src = PPS_Open(dev_path, PPS_EDGE_CLEAR, err, sizeof err);
    assert_non_null(src);
    PPS_Close(src);
}

static void test_no_clear_capability(void **state)
{
    char err[256] = "";

    (void)state;
    kern.caps = PPS_CAPTUREASSERT | PPS_OFFSETASSERT | PPS_TSFMT_TSPEC;
    kern.params.mode = PPS_CAPTUREASSERT;
    assert_null(PPS_Open(dev_path, PPS_EDGE_CLEAR, err, sizeof err));
    assert_non_null(strstr(err, "cannot capture clear edges"));
}

/* ---- enabling capture ----------------------------------------------------- */

static void test_capture_already_enabled_needs_no_privilege(void **state)
{
    char err[256] = "";

    (void)state;
    kern.setparams_errno = EPERM;   /* no CAP_SYS_TIME */
    PPS_Source src = PPS_Open(dev_path, PPS_EDGE_ASSERT, err, sizeof err);
    assert_non_null(src);
    assert_int_equal(kern.n_setparams, 0);
    PPS_Close(src);
}

static void test_capture_enabled_keeping_other_settings(void **state)
{
    char err[256] = "";

    (void)state;
    /* Someone (gpsd) left only clear capture on, with an assert offset. */
    kern.params.mode = PPS_CAPTURECLEAR | PPS_OFFSETASSERT | PPS_TSFMT_TSPEC;
    kern.params.assert_off_tu.sec = 0;
    kern.params.assert_off_tu.nsec = 1234;
    PPS_Source src = PPS_Open(dev_path, PPS_EDGE_ASSERT, err, sizeof err);
    assert_non_null(src);
    assert_int_equal(kern.n_setparams, 1);
    assert_int_equal(kern.params.api_version, PPS_API_VERS_1);
    assert_int_equal(kern.params.mode,
                     PPS_CAPTUREASSERT | PPS_CAPTURECLEAR | PPS_OFFSETASSERT | PPS_TSFMT_TSPEC);
    assert_int_equal(kern.params.assert_off_tu.nsec, 1234);
    PPS_Close(src);
}

static void test_capture_needs_privilege(void **state)
{
    char err[256] = "";

    (void)state;
    kern.params.mode = PPS_CAPTURECLEAR | PPS_TSFMT_TSPEC;
    kern.setparams_errno = EPERM;
    assert_null(PPS_Open(dev_path, PPS_EDGE_ASSERT, err, sizeof err));
    assert_non_null(strstr(err, "cannot enable assert capture: "));
    assert_non_null(strstr(err, "(needs CAP_SYS_TIME)"));
    assert_int_equal(kern.n_setparams, 1);
}

/* ---- fetching ------------------------------------------------------------- */

static void test_fetch_assert_without_waiting(void **state)
{
    char err[256] = "";
    PPS_Event ev;

    (void)state;
    PPS_Source src = PPS_Open(dev_path, PPS_EDGE_ASSERT, err, sizeof err);
    assert_non_null(src);

    /* Nothing captured yet. */
    memset(&ev, 0xff, sizeof ev);
    assert_int_equal(PPS_Fetch(src, &ev, err, sizeof err), 0);
    assert_int_equal(ev.sequence, 0);

    kern.info.assert_sequence = 41;
    kern.info.assert_tu.sec = 1700000000;
    kern.info.assert_tu.nsec = 999999123;
    kern.info.clear_sequence = 7;
    kern.info.clear_tu.sec = 1700000001;
    kern.info.clear_tu.nsec = 100000000;
    assert_int_equal(PPS_Fetch(src, &ev, err, sizeof err), 0);
    assert_int_equal(ev.sequence, 41);
    assert_int_equal(ev.time.tv_sec, 1700000000);
    assert_int_equal(ev.time.tv_nsec, 999999123);
    assert_int_equal(kern.n_fetch, 2);
    PPS_Close(src);
}

static void test_fetch_clear(void **state)
{
    char err[256] = "";
    PPS_Event ev;

    (void)state;
    PPS_Source src = PPS_Open(dev_path, PPS_EDGE_CLEAR, err, sizeof err);
    assert_non_null(src);
    kern.info.assert_sequence = 41;
    kern.info.assert_tu.sec = 1700000000;
    kern.info.assert_tu.nsec = 5;
    kern.info.clear_sequence = 40;
    kern.info.clear_tu.sec = 1699999999;
    kern.info.clear_tu.nsec = 200000456;
    assert_int_equal(PPS_Fetch(src, &ev, err, sizeof err), 0);
    assert_int_equal(ev.sequence, 40);
    assert_int_equal(ev.time.tv_sec, 1699999999);
    assert_int_equal(ev.time.tv_nsec, 200000456);
    PPS_Close(src);
}

static void test_fetch_error(void **state)
{
    char err[256] = "", want[160];
    PPS_Event ev;

    (void)state;
    PPS_Source src = PPS_Open(dev_path, PPS_EDGE_ASSERT, err, sizeof err);
    assert_non_null(src);
    kern.fetch_errno = ENODEV;   /* the line discipline went away */
    assert_int_equal(PPS_Fetch(src, &ev, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: time_pps_fetch failed: %s", dev_path, strerror(ENODEV));
    assert_string_equal(err, want);
    PPS_Close(src);
}

/* ---- another implementation ----------------------------------------------- */

static struct {
    int opens, fetches, closes;
    char path[64];
    PPS_Edge edge;
} other;

static int other_handle;

static void *other_open(const char *path, PPS_Edge edge, char *err, size_t err_len)
{
    other.opens++;
    snprintf(other.path, sizeof other.path, "%s", path);
    other.edge = edge;
    if (strcmp(path, "bad") == 0) {
        snprintf(err, err_len, "refused");
        return NULL;
    }
    return &other_handle;
}

static int other_fetch(void *h, PPS_Event *ev, char *err, size_t err_len)
{
    (void)err, (void)err_len;
    assert_ptr_equal(h, &other_handle);
    other.fetches++;
    ev->sequence = 3;
    ev->time.tv_sec = 10;
    ev->time.tv_nsec = 20;
    return 0;
}

static void other_close(void *h)
{
    assert_ptr_equal(h, &other_handle);
    other.closes++;
}

static const PPS_Ops other_ops = {
    .name = "other",
    .open = other_open,
    .fetch = other_fetch,
    .close = other_close,
};

static void test_ops_replaceable(void **state)
{
    char err[256] = "";
    PPS_Event ev;

    (void)state;
    memset(&other, 0, sizeof other);
    assert_ptr_equal(PPS_GetOps(), &PPS_Rfc2783Ops);
    PPS_SetOps(&other_ops);
    assert_ptr_equal(PPS_GetOps(), &other_ops);

    assert_null(PPS_Open("bad", PPS_EDGE_ASSERT, err, sizeof err));
    assert_string_equal(err, "bad: refused");

    PPS_Source src = PPS_Open("/dev/pps3", PPS_EDGE_CLEAR, err, sizeof err);
    assert_non_null(src);
    assert_string_equal(other.path, "/dev/pps3");
    assert_int_equal(other.edge, PPS_EDGE_CLEAR);

    /* Back to the kernel for new sources; this one keeps its own. */
    PPS_SetOps(NULL);
    assert_ptr_equal(PPS_GetOps(), &PPS_Rfc2783Ops);
    assert_int_equal(PPS_Fetch(src, &ev, err, sizeof err), 0);
    assert_int_equal(ev.sequence, 3);
    assert_int_equal(ev.time.tv_nsec, 20);
    assert_int_equal(kern.n_fetch, 0);
    PPS_Close(src);
    assert_int_equal(other.closes, 1);
    PPS_Close(NULL);
    assert_int_equal(other.opens, 2);
    assert_int_equal(other.fetches, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_such_device, setup_device, teardown_device),
        cmocka_unit_test_setup_teardown(test_not_a_pps_device, setup_device, teardown_device),
        cmocka_unit_test_setup_teardown(test_no_assert_capability, setup_device, teardown_device),
        cmocka_unit_test_setup_teardown(test_no_clear_capability, setup_device, teardown_device),
        cmocka_unit_test_setup_teardown(test_capture_already_enabled_needs_no_privilege,
                                        setup_device, teardown_device),
        cmocka_unit_test_setup_teardown(test_capture_enabled_keeping_other_settings,
                                        setup_device, teardown_device),
        cmocka_unit_test_setup_teardown(test_capture_needs_privilege, setup_device,
                                        teardown_device),
        cmocka_unit_test_setup_teardown(test_fetch_assert_without_waiting, setup_device,
                                        teardown_device),
        cmocka_unit_test_setup_teardown(test_fetch_clear, setup_device, teardown_device),
        cmocka_unit_test_setup_teardown(test_fetch_error, setup_device, teardown_device),
        cmocka_unit_test_setup_teardown(test_ops_replaceable, setup_device, teardown_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
