/*
 * refclock_nmea — the NMEA driver (ntpd type 20): a GPS receiver's NMEA 0183
 * sentences on a serial line.
 *
 * Owns the serial line: opening it raw at the configured speed, reading
 * what arrives and timestamping each read with the local clock. A line that
 * ends (a USB adapter unplugged, a pseudo-terminal whose writer closed: EOF
 * or EIO, readable forever) is handed back to the refclock layer
 * (RCL_DeviceLost), which stops the driver and starts it again every
 * RCL_RETRY_INTERVAL s. Parsing is nmea.c's; its counters are those since
 * the line was opened.
 *
 * A sample: the sentence names a second; it ends `time2` s after that
 * second began (transmission time of the sentence and the receiver's delay
 * before sending; ntpd's fudge time2), so the reference time at the end of
 * the line is that second + time2, and the local time is the clock read
 * right after the read that returned the line's end. Lines that arrive in
 * the same read share that timestamp; one sample per second (nmea.c), so a
 * 1 Hz receiver's first selected sentence sets it.
 */
#include "refclock.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "nmea.h"
#include "sched.h"

_Static_assert(NMEA_RMC == RCL_NMEA_RMC && NMEA_GGA == RCL_NMEA_GGA && NMEA_GLL == RCL_NMEA_GLL &&
                   NMEA_ZDA == RCL_NMEA_ZDA,
               "nmea.h and refclock.h name the sentences with the same mode bits");

/* NMEA 0183's speed (conf.c fills the configured one). */
#define DEFAULT_BAUD 4800
#define READ_SIZE 512

typedef struct {
    RCL_Instance rc;
    char path[RCL_PATH_LEN];
    speed_t speed;
    int fd;
    NMEA_Parser parser;
    uint64_t reads;
} NmeaData;

static int baud_speed(int baud, speed_t *speed)
{
    switch (baud) {
    case 1200: *speed = B1200; return 1;
    case 2400: *speed = B2400; return 1;
    case 4800: *speed = B4800; return 1;
    case 9600: *speed = B9600; return 1;
    case 19200: *speed = B19200; return 1;
    case 38400: *speed = B38400; return 1;
    case 57600: *speed = B57600; return 1;
    case 115200: *speed = B115200; return 1;
    case 230400: *speed = B230400; return 1;
    default: return 0;
    }
}

/* Open `path` as a raw 8N1 line at `speed`, input queued before the open
   dropped (it would be timestamped late). The fd, or -1 with errno. */
static int open_line(const char *path, speed_t speed)
{
    struct termios tio;
    int fd, saved;

    fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (tcgetattr(fd, &tio) < 0)
        goto fail;   /* ENOTTY: not a serial line */
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~(tcflag_t)(CSTOPB | CRTSCTS);
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    if (cfsetispeed(&tio, speed) < 0 || cfsetospeed(&tio, speed) < 0 ||
        tcsetattr(fd, TCSANOW, &tio) < 0)
        goto fail;
    tcflush(fd, TCIFLUSH);
    return fd;
fail:
    saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

/* The sentence's second + time2 when the line ended; local: the clock then. */
static void add_sample(NmeaData *d, const NMEA_Time *t, const struct timespec *local)
{
    const RCL_Config *cfg = RCL_GetConfig(d->rc);
    int64_t ns = t->nanoseconds + (int64_t)llround(cfg->time2 * 1e9);
    int64_t sec = t->seconds + ns / 1000000000;
    struct timespec ref;

    ns %= 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        sec--;
    }
    ref.tv_sec = (time_t)sec;
    ref.tv_nsec = (long)ns;
    DEBUG_LOG("%s: %s%s %lld.%09ld", RCL_GetName(d->rc), t->talker, NMEA_SentenceName(t->sentence),
              (long long)t->seconds, t->nanoseconds);
    RCL_AddSample(d->rc, &ref, local, 0);
}

static void readable(int fd, void *arg)
{
    NmeaData *d = arg;
    unsigned char buf[READ_SIZE];
    struct timespec local;
    ssize_t n;

    n = read(fd, buf, sizeof(buf));
    CLK_ReadTime(&local);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        /* The layer stops us (d is freed) and retries the open. */
        RCL_DeviceLost(d->rc, n == 0 ? "end of file" : strerror(errno));
        return;
    }
    d->reads++;
    for (ssize_t i = 0; i < n; i++) {
        NMEA_Time t;
        if (NMEA_PutByte(&d->parser, buf[i], &t) == NMEA_SAMPLE)
            add_sample(d, &t, &local);
    }
}

static int nmea_start(RCL_Instance rc, char *err, size_t errlen)
{
    const RCL_Config *cfg = RCL_GetConfig(rc);
    int baud = cfg->baud ? cfg->baud : DEFAULT_BAUD;
    char path[RCL_PATH_LEN];
    speed_t speed;
    NmeaData *d;
    int fd;

    if (!baud_speed(baud, &speed)) {
        snprintf(err, errlen, "baud %d not supported", baud);
        return -1;
    }
    if (cfg->path[0])
        snprintf(path, sizeof(path), "%s", cfg->path);
    else
        snprintf(path, sizeof(path), "/dev/gps%d", cfg->unit);   /* as ntpd */

    fd = open_line(path, speed);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }

    d = MEM_New(NmeaData);
    d->rc = rc;
    memcpy(d->path, path, sizeof(path));
    d->speed = speed;
    d->fd = fd;
    NMEA_Init(&d->parser, cfg->mode);
    RCL_SetDriverData(rc, d);
    SCH_AddFdHandler(fd, readable, d);
    LOG(LOGS_INFO, "%s: NMEA on %s at %d bit/s, sentences%s%s%s%s%s", RCL_GetName(rc), path, baud,
        d->parser.mode ? "" : " any", d->parser.mode & NMEA_RMC ? " RMC" : "",
        d->parser.mode & NMEA_GGA ? " GGA" : "", d->parser.mode & NMEA_GLL ? " GLL" : "",
        d->parser.mode & NMEA_ZDA ? " ZDA" : "");
    return 0;
}

static void nmea_stop(RCL_Instance rc)
{
    NmeaData *d = RCL_GetDriverData(rc);

    if (!d)
        return;
    SCH_RemoveFdHandler(d->fd);
    close(d->fd);
    free(d);
    RCL_SetDriverData(rc, NULL);
}

static void nmea_report(RCL_Instance rc, char *buf, size_t len)
{
    NmeaData *d = RCL_GetDriverData(rc);
    size_t used;

    if (!d || len == 0)
        return;
    snprintf(buf, len, "reads %llu ", (unsigned long long)d->reads);
    used = strlen(buf);
    NMEA_FormatCounters(&d->parser, buf + used, len - used);
}

const RCL_Driver RCL_NmeaDriver = {
    .name = "NMEA",
    .type = RCL_TYPE_NMEA,
    .refid = "GPS",
    .stratum = 0,
    /* About 2 ms: a serial line's and the receiver's jitter in sending. */
    .precision = -9,
    .tick_interval = 0,
    .start = nmea_start,
    .stop = nmea_stop,
    .tick = NULL,
    .report = nmea_report,
};
