/* clock_sys — see clock_sys.h and clock.h.
 *
 * Frequency: the kernel takes ADJ_FREQUENCY in units of 2^-16 ppm and
 * limits it to +-500 ppm; the caller clamps. Slew: ADJ_OFFSET_SINGLESHOT
 * (adjtime semantics, microseconds, the kernel slews at 500 ppm). Step:
 * ADJ_SETOFFSET|ADJ_NANO, which the kernel applies atomically, so no time
 * is lost between a read and a write. Status: STA_UNSYNC and STA_INS/STA_DEL
 * drive the kernel's own leap-second handling and tell other programs
 * (adjtimex users, timedatectl) whether the clock is synchronised.
 */
#include "clock.h"
#include "clock_sys.h"

#include <errno.h>
#include <linux/capability.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "sched.h"

static int real_capget_sys_time(void)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];

    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &hdr, data) < 0)
        return 0;
    return (data[CAP_TO_INDEX(CAP_SYS_TIME)].effective & CAP_TO_MASK(CAP_SYS_TIME)) != 0;
}

static const CLK_SysCalls real_calls = {
    .gettime = clock_gettime,
    .adjtime = clock_adjtime,
    .capget_sys_time = real_capget_sys_time,
};

static const CLK_SysCalls *sys = &real_calls;

void CLK_SysSetCalls(const CLK_SysCalls *calls)
{
    sys = calls ? calls : &real_calls;
}

int CLK_SysHaveCapability(void)
{
    return sys->capget_sys_time();
}

static void sys_read(struct timespec *now)
{
    if (sys->gettime(CLOCK_REALTIME, now) < 0)
        LOG_Fatal(1, "clock_gettime(CLOCK_REALTIME) failed: %s", strerror(errno));
}

static int sys_adjtime(struct timex *tx, const char *what)
{
    if (sys->adjtime(CLOCK_REALTIME, tx) < 0) {
        LOG(LOGS_ERR, "clock_adjtime (%s) failed: %s", what, strerror(errno));
        return -1;
    }
    return 0;
}

static int sys_set_frequency(double ppm)
{
    struct timex tx = { .modes = ADJ_FREQUENCY };

    tx.freq = lround(ppm * 65536.0);
    return sys_adjtime(&tx, "frequency");
}

static double sys_get_frequency(void)
{
    struct timex tx = { .modes = 0 };

    if (sys_adjtime(&tx, "read") < 0)
        return 0.0;
    return tx.freq / 65536.0;
}

static int sys_slew(double offset)
{
    struct timex tx = { .modes = ADJ_OFFSET_SINGLESHOT };

    /* The single-shot offset is a long in microseconds; the kernel rejects
       nothing but slews at most 500 us/s, so a large value only takes long. */
    tx.offset = lround(offset * 1e6);
    return sys_adjtime(&tx, "slew");
}

static int sys_step(double offset)
{
    struct timex tx = { .modes = ADJ_SETOFFSET | ADJ_NANO };
    double whole = floor(offset);

    /* ADJ_SETOFFSET wants a normalised timeval with tv_usec (here
       nanoseconds, ADJ_NANO) in [0, 1e9): -0.25 s is {-1, 750000000}. */
    tx.time.tv_sec = (time_t)whole;
    tx.time.tv_usec = lround((offset - whole) * 1e9);
    if (tx.time.tv_usec >= 1000000000) {
        tx.time.tv_sec++;
        tx.time.tv_usec -= 1000000000;
    }
    return sys_adjtime(&tx, "step");
}

static int sys_set_status(int synchronised, int leap, double est_error, double max_error)
{
    struct timex tx = { .modes = 0 };

    if (sys_adjtime(&tx, "read status") < 0)
        return -1;
    tx.modes = ADJ_STATUS | ADJ_ESTERROR | ADJ_MAXERROR;
    tx.status &= ~(STA_UNSYNC | STA_INS | STA_DEL);
    if (!synchronised)
        tx.status |= STA_UNSYNC;
    if (leap == 1)
        tx.status |= STA_INS;
    else if (leap == 2)
        tx.status |= STA_DEL;
    /* Kernel error estimates are in microseconds; maxerror is capped by the
       kernel at 16 s (NTP_PHASE_LIMIT semantics). */
    tx.esterror = lround(fmin(est_error, 16.0) * 1e6);
    tx.maxerror = lround(fmin(max_error, 16.0) * 1e6);
    return sys_adjtime(&tx, "status");
}

const CLK_Driver CLK_SystemDriver = {
    .name = "system",
    .read = sys_read,
    .can_adjust = 1,
    .set_frequency = sys_set_frequency,
    .get_frequency = sys_get_frequency,
    .slew = sys_slew,
    .step = sys_step,
    .set_status = sys_set_status,
};

static int refuse(double unused)
{
    (void)unused;
    return -1;
}

static int refuse_status(int a, int b, double c, double d)
{
    (void)a, (void)b, (void)c, (void)d;
    return -1;
}

/* Monitor-only: reads the real clock and never asks the kernel to change
   anything. get_frequency still reads the kernel (harmless, modes = 0) so
   reports show what the clock is doing. */
const CLK_Driver CLK_ReadOnlyDriver = {
    .name = "read-only",
    .read = sys_read,
    .can_adjust = 0,
    .set_frequency = refuse,
    .get_frequency = sys_get_frequency,
    .slew = refuse,
    .step = refuse,
    .set_status = refuse_status,
};

/* Step watch: a timerfd armed far in the future with TFD_TIMER_CANCEL_ON_SET
   becomes readable, and read() fails with ECANCELED, whenever
   CLOCK_REALTIME is set discontinuously. */
static int watch_fd = -1;

static int arm_watch(void)
{
    struct itimerspec its = { .it_value = { .tv_sec = (time_t)1 << 40 } };

    return timerfd_settime(watch_fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
}

static void watch_readable(int fd, void *arg)
{
    uint64_t expirations;

    (void)arg;
    if (read(fd, &expirations, sizeof expirations) < 0 && errno == ECANCELED) {
        arm_watch();
        CLK_NotifyExternalStep();
    }
}

int CLK_SysWatchSteps(void)
{
    watch_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (watch_fd < 0 || arm_watch() < 0) {
        LOG(LOGS_WARN, "cannot watch for clock steps by other programs: %s", strerror(errno));
        if (watch_fd >= 0)
            close(watch_fd);
        watch_fd = -1;
        return -1;
    }
    SCH_AddFdHandler(watch_fd, watch_readable, NULL);
    return 0;
}

void CLK_SysUnwatchSteps(void)
{
    if (watch_fd < 0)
        return;
    SCH_RemoveFdHandler(watch_fd);
    close(watch_fd);
    watch_fd = -1;
}
