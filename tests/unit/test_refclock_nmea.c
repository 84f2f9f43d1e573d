/*
 * Unit tests for the NMEA driver (refclock_nmea) on a real pseudo-terminal:
 * the line is opened raw at the configured speed, each sentence's second
 * plus time2 reaches RCL_AddSample with the local clock of the read, a
 * line that ends (the pty's writer closed: EOF/EIO) is handed to the layer
 * (RCL_DeviceLost) once instead of waking the loop forever, and what cannot
 * be opened (missing, not a serial line, an unsupported speed) fails the
 * start with the reason for the layer to log.
 *
 * The refclock layer, the scheduler and the clock are fakes here: the
 * test calls the registered descriptor handler itself, and the fake
 * RCL_DeviceLost stops the driver as the layer does.
 *
 * Links: refclock_nmea nmea mem log
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "refclock.h"
#include "sched.h"

extern const RCL_Driver RCL_NmeaDriver;

/* ---- Fakes: refclock layer ---- */

struct RCL_Instance_Record {
    RCL_Config cfg;
    void *data;
};

#define MAX_SAMPLES 16
static struct {
    struct timespec ref, local;
    int leap;
} samples[MAX_SAMPLES];
static int nsamples;

const RCL_Config *RCL_GetConfig(RCL_Instance rc) { return &rc->cfg; }
void RCL_SetDriverData(RCL_Instance rc, void *data) { rc->data = data; }
void *RCL_GetDriverData(RCL_Instance rc) { return rc->data; }
const char *RCL_GetName(RCL_Instance rc) { (void)rc; return "127.127.20.0"; }

static int lost_calls;
static char lost_why[128];

void RCL_DeviceLost(RCL_Instance rc, const char *why)
{
    lost_calls++;
    snprintf(lost_why, sizeof(lost_why), "%s", why);
    RCL_NmeaDriver.stop(rc);   /* what the layer does; it retries start later */
}

void RCL_AddSample(RCL_Instance rc, const struct timespec *ref, const struct timespec *local, int leap)
{
    (void)rc;
    assert_true(nsamples < MAX_SAMPLES);
    samples[nsamples].ref = *ref;
    samples[nsamples].local = *local;
    samples[nsamples].leap = leap;
    nsamples++;
}

/* ---- Fakes: scheduler (one descriptor at most) and clock ---- */

static int watched_fd = -1;
static SCH_FdHandler fd_handler;
static void *fd_arg;

void SCH_AddFdHandler(int fd, SCH_FdHandler handler, void *arg)
{
    assert_int_equal(watched_fd, -1);
    watched_fd = fd;
    fd_handler = handler;
    fd_arg = arg;
}

void SCH_RemoveFdHandler(int fd)
{
    assert_int_equal(fd, watched_fd);
    watched_fd = -1;
}

static const struct timespec LOCAL_NOW = {1709208000, 123456789};

void CLK_ReadTime(struct timespec *now)
{
    *now = LOCAL_NOW;
}

/* ---- Helpers ---- */

static char dir[64];
static char link_path[128];

/* A new pty; its master (the test writes the receiver's side). The slave's
   name goes to `name`. */
static int new_pty(char *name, size_t len)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);

    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    assert_int_equal(ptsname_r(m, name, len), 0);
    return m;
}

/* Point link_path at the pty's slave. */
static void link_to(const char *name)
{
    unlink(link_path);
    assert_int_equal(symlink(name, link_path), 0);
}

/* Wait until the watched descriptor is readable, then run its handler as
   the loop would. 0 when nothing became readable within 2 s. */
static int run_handler_when_readable(void)
{
    struct pollfd pfd = {.fd = watched_fd, .events = POLLIN};

    if (watched_fd < 0 || poll(&pfd, 1, 2000) != 1)
        return 0;
    fd_handler(watched_fd, fd_arg);
    return 1;
}

static void write_all(int fd, const char *s)
{
    size_t len = strlen(s);

    assert_int_equal(write(fd, s, len), (ssize_t)len);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_refclock_nmea.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(link_path, sizeof(link_path), "%s/gps0", dir);
    nsamples = 0;
    lost_calls = 0;
    watched_fd = -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(link_path);
    char other[160];
    snprintf(other, sizeof(other), "%s/plain", dir);
    unlink(other);
    rmdir(dir);
    return 0;
}

static struct RCL_Instance_Record make_instance(const char *path, int baud, double time2)
{
    struct RCL_Instance_Record rc;

    memset(&rc, 0, sizeof(rc));
    rc.cfg.type = RCL_TYPE_NMEA;
    rc.cfg.unit = 0;
    snprintf(rc.cfg.path, sizeof(rc.cfg.path), "%s", path);
    rc.cfg.baud = baud;
    rc.cfg.time2 = time2;
    rc.cfg.stratum = -1;
    return rc;
}

static char start_err[512];

/* The driver's start as the layer calls it; a reason goes to start_err,
   filled beforehand so a failure that writes none shows. */
static int start_nmea(struct RCL_Instance_Record *rc)
{
    snprintf(start_err, sizeof(start_err), "(untouched)");
    return RCL_NmeaDriver.start(rc, start_err, sizeof(start_err));
}

/* ---- Tests ---- */

static void test_driver_identity(void **state)
{
    (void)state;
    assert_string_equal(RCL_NmeaDriver.name, "NMEA");
    assert_int_equal(RCL_NmeaDriver.type, RCL_TYPE_NMEA);
    assert_string_equal(RCL_NmeaDriver.refid, "GPS");
    assert_int_equal(RCL_NmeaDriver.stratum, 0);
    assert_int_equal(RCL_NmeaDriver.precision, -9);
    assert_true(RCL_NmeaDriver.tick_interval == 0.0);
    assert_non_null(RCL_NmeaDriver.start);
    assert_non_null(RCL_NmeaDriver.stop);
    assert_non_null(RCL_NmeaDriver.report);
}

static void test_start_failures(void **state)
{
    struct RCL_Instance_Record rc;
    char plain[160], name[64], want[512];
    int m;

    (void)state;
    /* Missing device. The reason names the path but not the instance (the
       layer puts "refclock 127.127.20.0 (NMEA): " in front). */
    rc = make_instance(link_path, 0, 0.0);
    assert_int_equal(start_nmea(&rc), -1);
    assert_null(rc.data);
    assert_int_equal(watched_fd, -1);
    snprintf(want, sizeof(want), "%s: %s", link_path, strerror(ENOENT));
    assert_string_equal(start_err, want);
    /* A regular file is not a serial line. */
    snprintf(plain, sizeof(plain), "%s/plain", dir);
    close(open(plain, O_CREAT | O_WRONLY, 0600));
    rc = make_instance(plain, 0, 0.0);
    assert_int_equal(start_nmea(&rc), -1);
    assert_null(rc.data);
    snprintf(want, sizeof(want), "%s: %s", plain, strerror(ENOTTY));
    assert_string_equal(start_err, want);
    /* A speed no serial line here has. */
    m = new_pty(name, sizeof(name));
    rc = make_instance(name, 1234, 0.0);
    assert_int_equal(start_nmea(&rc), -1);
    assert_null(rc.data);
    assert_int_equal(watched_fd, -1);
    assert_string_equal(start_err, "baud 1234 not supported");
    close(m);
}

static void test_samples_from_a_pty(void **state)
{
    struct RCL_Instance_Record rc;
    struct termios tio;
    char name[64], report[512];
    int m, slave;

    (void)state;
    m = new_pty(name, sizeof(name));
    link_to(name);
    rc = make_instance(link_path, 4800, 0.35);
    rc.cfg.mode = RCL_NMEA_RMC | RCL_NMEA_ZDA;
    assert_int_equal(start_nmea(&rc), 0);
    assert_non_null(rc.data);
    assert_true(watched_fd >= 0);

    /* The line is raw at 4800 bit/s. */
    slave = open(name, O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    assert_int_equal(tcgetattr(slave, &tio), 0);
    assert_int_equal(cfgetispeed(&tio), B4800);
    assert_int_equal(tio.c_lflag & (ICANON | ECHO | ISIG), 0);
    assert_int_equal(tio.c_iflag & (ICRNL | IXON), 0);
    close(slave);

    /* 2024-02-29 12:00:00 (1709208000): RMC, the same second's GGA (not
       selected), garbage, a bad checksum, then 12:00:01 by ZDA. */
    write_all(m, "\x01\x02noise$GPRMC,120000.00,A,4717.1,N,00833.9,E,0.0,0.0,290224,,,A*57\r\n"
                 "$GPGGA,120000.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,*6D\r\n"
                 "$GPZDA,120001.00,29,02,2024,00,00*69\r\n"
                 "$GPZDA,120001.00,29,02,2024,00,00*6D\r\n");
    while (nsamples < 2 && run_handler_when_readable())
        ;
    assert_int_equal(nsamples, 2);
    /* second + time2 0.35 s; the local clock of the read; no leap. */
    assert_int_equal(samples[0].ref.tv_sec, 1709208000);
    assert_int_equal(samples[0].ref.tv_nsec, 350000000);
    assert_int_equal(samples[0].local.tv_sec, LOCAL_NOW.tv_sec);
    assert_int_equal(samples[0].local.tv_nsec, LOCAL_NOW.tv_nsec);
    assert_int_equal(samples[0].leap, 0);
    assert_int_equal(samples[1].ref.tv_sec, 1709208001);
    assert_int_equal(samples[1].ref.tv_nsec, 350000000);

    RCL_NmeaDriver.report(&rc, report, sizeof(report));
    assert_non_null(strstr(report, " sample 2 "));
    assert_non_null(strstr(report, " not-selected 1 "));
    assert_non_null(strstr(report, " bad-checksum 1 "));
    assert_non_null(strstr(report, " garbage 1 "));
    assert_int_equal(lost_calls, 0);

    RCL_NmeaDriver.stop(&rc);
    assert_null(rc.data);
    assert_int_equal(watched_fd, -1);
    close(m);
}

static void test_negative_time2_and_fraction(void **state)
{
    struct RCL_Instance_Record rc;
    char name[64];
    int m;

    (void)state;
    m = new_pty(name, sizeof(name));
    rc = make_instance(name, 0, -0.2);
    assert_int_equal(start_nmea(&rc), 0);
    /* 12:00:00.10 - 0.2 s = 11:59:59.90. */
    write_all(m, "$GPZDA,120000.10,29,02,2024,00,00*69\r\n");
    while (nsamples < 1 && run_handler_when_readable())
        ;
    assert_int_equal(nsamples, 1);
    assert_int_equal(samples[0].ref.tv_sec, 1709207999);
    assert_int_equal(samples[0].ref.tv_nsec, 900000000);
    RCL_NmeaDriver.stop(&rc);
    close(m);
}

static void test_line_ends_and_restarts(void **state)
{
    struct RCL_Instance_Record rc;
    char name[64], report[512];
    int m, calls = 0;

    (void)state;
    m = new_pty(name, sizeof(name));
    link_to(name);
    rc = make_instance(link_path, 0, 0.0);
    assert_int_equal(start_nmea(&rc), 0);
    write_all(m, "$GPZDA,120000.00,29,02,2024,00,00*68\r\n$GPZDA,1200");
    while (nsamples < 1 && run_handler_when_readable())
        ;
    assert_int_equal(nsamples, 1);

    /* The writer goes away: the slave reads EOF or EIO, readable for ever.
       The driver hands the line to the layer once, which stops it: no
       descriptor is left to wake the loop. */
    close(m);
    while (watched_fd >= 0 && run_handler_when_readable())
        assert_true(++calls < 10);
    assert_int_equal(lost_calls, 1);
    assert_true(strcmp(lost_why, "end of file") == 0 || strcmp(lost_why, strerror(EIO)) == 0);
    assert_int_equal(watched_fd, -1);
    assert_null(rc.data);

    /* The layer's retry: the device is still missing, */
    unlink(link_path);
    assert_int_equal(start_nmea(&rc), -1);
    assert_null(rc.data);
    assert_non_null(strstr(start_err, strerror(ENOENT)));
    /* then a new writer: samples flow again, and the sentence cut by the
       loss does not join the new stream. */
    m = new_pty(name, sizeof(name));
    link_to(name);
    assert_int_equal(start_nmea(&rc), 0);
    assert_true(watched_fd >= 0);
    write_all(m, "01.00,29,02,2024,00,00*6D\r\n$GPZDA,120002.00,29,02,2024,00,00*6A\r\n");
    while (nsamples < 2 && run_handler_when_readable())
        ;
    assert_int_equal(nsamples, 2);
    assert_int_equal(samples[1].ref.tv_sec, 1709208002);
    RCL_NmeaDriver.report(&rc, report, sizeof(report));
    assert_non_null(strstr(report, " sample 1 "));
    assert_non_null(strstr(report, " garbage 1 "));

    RCL_NmeaDriver.stop(&rc);
    assert_int_equal(watched_fd, -1);
    assert_int_equal(lost_calls, 1);
    close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_driver_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_samples_from_a_pty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_negative_time2_and_fraction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_ends_and_restarts, setup, teardown),
    };

    LOG_Init("test_refclock_nmea", 1, 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
