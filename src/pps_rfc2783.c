/* pps_rfc2783 — the PPS source interface (pps.h) over a kernel PPS device
 * through the RFC 2783 API of Debian's pps-tools (<sys/timepps.h>: inline
 * functions over the LinuxPPS ioctls). The device is /dev/ppsN, made by
 * pps-ldisc on a serial line's DCD pin or by pps-gpio; the kernel stamps
 * each edge with CLOCK_REALTIME in its interrupt handler.
 *
 * Fetch never waits: time_pps_fetch with a NULL timeout would block until
 * the next edge (the kernel waits when told the timeout is invalid), so it
 * is given a zero timeout, which returns the latest edge at once.
 *
 * Enabling capture (time_pps_setparams) needs CAP_SYS_TIME; without it an
 * edge the device already captures (pps-ldisc and pps-gpio capture assert
 * by default, pps-ldisc clear too) is still usable, so only a device that
 * does not capture the wanted edge is an error then.
 */
#include "pps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timepps.h>
#include <unistd.h>

#include "mem.h"

typedef struct {
    pps_handle_t handle;
    PPS_Edge edge;
} Device;

static void *dev_open(const char *path, PPS_Edge edge, char *err, size_t err_len)
{
    const int capture = edge == PPS_EDGE_CLEAR ? PPS_CAPTURECLEAR : PPS_CAPTUREASSERT;
    const char *edge_name = edge == PPS_EDGE_CLEAR ? "clear" : "assert";
    pps_handle_t handle;
    pps_params_t params;
    int fd, caps = 0;

    fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;

        if (e == ENOENT || e == ENODEV || e == ENXIO)
            snprintf(err, err_len, "no such device (a kernel PPS source: pps-ldisc on a "
                     "serial line's DCD, or pps-gpio)");
        else
            snprintf(err, err_len, "cannot open: %s", strerror(e));
        return NULL;
    }
    /* time_pps_create tries PPS_GETPARAMS, which only a PPS device knows. */
    if (time_pps_create(fd, &handle) < 0) {
        snprintf(err, err_len, "not a PPS device (no RFC 2783 PPS_GETPARAMS)");
        close(fd);
        return NULL;
    }
    if (time_pps_getcap(handle, &caps) < 0) {
        snprintf(err, err_len, "time_pps_getcap failed: %s", strerror(errno));
        goto fail;
    }
    if (!(caps & capture)) {
        snprintf(err, err_len, "cannot capture %s edges (capabilities 0x%x)", edge_name,
                 (unsigned)caps);
        goto fail;
    }
    if (time_pps_getparams(handle, &params) < 0) {
        snprintf(err, err_len, "time_pps_getparams failed: %s", strerror(errno));
        goto fail;
    }
    if (!(params.mode & capture)) {
        /* Add our edge; the other edge's capture and the offsets stay as
           they are, for other users of the device (gpsd). */
        params.api_version = PPS_API_VERS_1;
        params.mode |= capture | PPS_TSFMT_TSPEC;
        if (time_pps_setparams(handle, &params) < 0) {
            int e = errno;

            snprintf(err, err_len, "cannot enable %s capture: %s%s", edge_name, strerror(e),
                     e == EPERM ? " (needs CAP_SYS_TIME)" : "");
            goto fail;
        }
    }

    Device *dev = MEM_New(Device);
    dev->handle = handle;
    dev->edge = edge;
    return dev;

fail:
    time_pps_destroy(handle);
    return NULL;
}

static int dev_fetch(void *h, PPS_Event *ev, char *err, size_t err_len)
{
    Device *dev = h;
    const struct timespec no_wait = { 0, 0 };
    pps_info_t info;

    memset(&info, 0, sizeof info);
    if (time_pps_fetch(dev->handle, PPS_TSFMT_TSPEC, &info, &no_wait) < 0) {
        snprintf(err, err_len, "time_pps_fetch failed: %s", strerror(errno));
        return -1;
    }
    if (dev->edge == PPS_EDGE_CLEAR) {
        ev->sequence = info.clear_sequence;
        ev->time = info.clear_timestamp;
    } else {
        ev->sequence = info.assert_sequence;
        ev->time = info.assert_timestamp;
    }
    return 0;
}

static void dev_close(void *h)
{
    Device *dev = h;

    time_pps_destroy(dev->handle);
    free(dev);
}

const PPS_Ops PPS_Rfc2783Ops = {
    .name = "RFC 2783",
    .open = dev_open,
    .fetch = dev_fetch,
    .close = dev_close,
};
