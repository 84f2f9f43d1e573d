/*
 * refclock — reference clocks behind one driver interface. A driver reads
 * its device (nothing for LOCAL, a shared-memory segment for SHM, a serial
 * line for NMEA, a PPS device for PPS) and reports samples: what the
 * reference said the time was, and what the local clock read at that same
 * instant. Samples collect between polls; at each poll of its association
 * (peer.c) the instance hands over one median-filtered sample, which enters
 * the association's clock filter and from there the same selection and
 * discipline as network sources.
 *
 * An instance is named by ntpd's pseudo address 127.127.T.U (T the driver
 * type, U the unit); that is its cntpPeersPeerAddress.
 *
 * Signs: an offset is reference minus local clock, in s (positive: the
 * local clock is behind), as everywhere in the engine.
 */
#ifndef CNTPD_REFCLOCK_H
#define CNTPD_REFCLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ntpd driver type numbers (the T of 127.127.T.U). */
#define RCL_TYPE_LOCAL 1
#define RCL_TYPE_NMEA 20
#define RCL_TYPE_PPS 22
#define RCL_TYPE_SHM 28

#define RCL_MAX_UNIT 255
#define RCL_MAX_SAMPLES 64        /* kept between two polls; older ones drop out */
#define RCL_DEFAULT_POLL 4        /* log2 s: a filtered sample every 16 s */
#define RCL_RETRY_INTERVAL 10.0   /* s between attempts to open a missing device */
#define RCL_PATH_LEN 256

/* NMEA `mode` bits (ntpd's): which sentences give the time; 0: any. */
#define RCL_NMEA_RMC 0x1
#define RCL_NMEA_GGA 0x2
#define RCL_NMEA_GLL 0x4
#define RCL_NMEA_ZDA 0x8

/* One reference clock's settings, from `server 127.127.T.U` plus `fudge`,
   `refclock NAME ...` or `master N` (conf.c fills it). type 0: not a
   reference clock. */
typedef struct {
    int type, unit;
    char path[RCL_PATH_LEN];   /* device (serial line, /dev/ppsN); "": driver default */
    int baud;                  /* NMEA serial speed (bit/s); conf.c fills it */
    unsigned mode;             /* driver-specific (NMEA: RCL_NMEA_* bits) */
    double time1;              /* s added to every offset (fudge time1: cable
                                  delay, receiver calibration) */
    double time2;              /* s, driver-specific (NMEA: how long after the
                                  second it names the sentence ends) */
    int stratum;               /* -1: the driver's default */
    char refid[5];             /* "": the driver's default; up to 4 ASCII chars */
    int precision;             /* log2 s; 0: the driver's default */
    /* PPS: the reference clock that numbers the seconds (127.127.T.U);
       type 0: the system clock, while synchronised. */
    int lock_type, lock_unit;
    unsigned flags;            /* fudge flag1..flag4 as bits 0..3 */
} RCL_Config;

typedef struct RCL_Instance_Record *RCL_Instance;

/* A driver. Exactly one of the three ways of getting data is typical:
   `tick` is called every `tick_interval` s (SHM reads its segment, LOCAL
   reads the clock); event-driven drivers (NMEA on a serial line, PPS)
   register descriptors with the scheduler in `start`. */
typedef struct {
    const char *name;          /* "LOCAL", "SHM", "NMEA", "PPS" (config name) */
    int type;                  /* RCL_TYPE_* */
    const char *refid;         /* default reference id */
    int stratum;               /* default stratum of the clock itself */
    int precision;             /* default log2 s */
    double tick_interval;      /* s, 0: no tick */
    /* Open the device: 0, or -1 with a one-line reason in `err` (at most
       `errlen` bytes with the NUL; without the instance's name, which the
       layer puts in front). On -1 the driver keeps no driver data; the
       layer calls start again every RCL_RETRY_INTERVAL s until it works,
       and logs the reason only when it differs from the last one logged
       for the instance (a missing device is one line, not one every
       10 s), then "device open" once it works. NULL: nothing to open. */
    int (*start)(RCL_Instance rc, char *err, size_t errlen);
    /* Close it (after a successful start). */
    void (*stop)(RCL_Instance rc);
    void (*tick)(RCL_Instance rc);
    /* One line of driver counters for the status report (may be NULL). */
    void (*report)(RCL_Instance rc, char *buf, size_t len);
} RCL_Driver;

/* The driver for a type, or for a config name (case-insensitive); NULL if
   none. */
const RCL_Driver *RCL_FindDriver(int type);
const RCL_Driver *RCL_FindDriverByName(const char *name);

/* Is this IPv4 address (host order) a reference clock pseudo address
   127.127.T.U? Fills type and unit (when not NULL) when it is. */
static inline int RCL_IsRefclockAddress(uint32_t ipv4, int *type, int *unit)
{
    if ((ipv4 >> 16) != 0x7f7f)
        return 0;
    if (type)
        *type = (int)((ipv4 >> 8) & 0xff);
    if (unit)
        *unit = (int)(ipv4 & 0xff);
    return 1;
}

/* ---- For drivers ---- */

const RCL_Config *RCL_GetConfig(RCL_Instance rc);
void RCL_SetDriverData(RCL_Instance rc, void *data);
void *RCL_GetDriverData(RCL_Instance rc);
/* "127.127.T.U" for log lines. */
const char *RCL_GetName(RCL_Instance rc);

/* The precision the device itself reports (log2 s, -30..0: an SHM
   writer's `precision` field), in place of the driver's default, until
   the driver stops; a configured `precision` still wins. */
void RCL_SetPrecision(RCL_Instance rc, int log2);

/* The reference said `ref` when the local clock read `local` (both UTC,
   Unix epoch); `leap` is the NTP leap indicator the reference announces
   (0 when it cannot say). The offset ref - local + time1 is kept with the
   scheduler time at which the local clock read `local`. */
void RCL_AddSample(RCL_Instance rc, const struct timespec *ref, const struct timespec *local,
                   int leap);

/* A PPS edge: the local clock read `local` at the start of some second.
   Which second comes from the lock (RCL_Config lock_*) or the system
   clock; an edge that cannot be numbered, or is more than 0.4 s from any
   second by the lock's reckoning, is dropped. 1 if used, 0 if dropped. */
int RCL_AddPulse(RCL_Instance rc, const struct timespec *local);

/* The device went away (EOF or EIO on a serial line, a vanished segment):
   the driver is stopped (its `stop` runs) and started again every
   RCL_RETRY_INTERVAL s until `start` succeeds. Logged with `why`, which
   counts as the last reason logged: a first retry failing for the same
   reason adds no line. */
void RCL_DeviceLost(RCL_Instance rc, const char *why);

/* ---- For the association (peer.c) ---- */

/* Create the instance and start its driver (retrying when the device is
   missing). NULL when the type has no driver (conf.c checks that). */
RCL_Instance RCL_Create(const RCL_Config *cfg);
void RCL_Destroy(RCL_Instance rc);

typedef struct {
    double offset;      /* s, reference - local, as of scheduler time `epoch`,
                           phase corrections since then removed (see
                           RCL_SetPhaseSource) */
    double dispersion;  /* s, spread of the samples used, at least the precision */
    double epoch;       /* scheduler s of the newest sample used */
    int leap;           /* of the newest sample */
    int count;          /* samples combined */
    struct timespec ref_time;   /* the reference time of the newest sample */
} RCL_Sample;

/* The sample for this poll: the samples since the last call, outliers
   beyond the middle 60 % by offset dropped, averaged. 0 and nothing
   written when no sample arrived. */
int RCL_GetSample(RCL_Instance rc, double now, RCL_Sample *out);

/* Effective stratum, refid (host order, ASCII packed as on the wire),
   precision (log2 s: the configured one, else the device's
   (RCL_SetPrecision), else the driver's default). */
int RCL_GetStratum(RCL_Instance rc);
uint32_t RCL_GetRefId(RCL_Instance rc);
int RCL_GetPrecision(RCL_Instance rc);

/* The latest sample's offset brought to now, for a PPS lock: 1 and
   *offset when the instance had a sample within the last `max_age` s. */
int RCL_GetRecentOffset(RCL_Instance rc, double now, double max_age, double *offset);

/* Phase corrections applied to the local clock by scheduler time t
   (the discipline's DSC_PhaseAt), so samples taken while the clock is
   slewed compare correctly. NULL: none. */
void RCL_SetPhaseSource(double (*fn)(double t));

/* How the PPS driver numbers seconds without a lock: the system clock's
   state. Set by the engine; default: unsynchronised. */
void RCL_SetSystemSyncCheck(int (*synchronised)(void));

/* cntpSysStratum written over SNMP (RFC 1305's primary-clock procedure):
   the LOCAL clock then claims `served` - 1, so cntpd serves `served` while
   synchronised to it; 0: its configured stratum. */
void RCL_SetLocalStratum(int served);

/* One status line per instance (driver counters) into the log. */
void RCL_LogStatus(void);

#endif
