/*
 * ntp_time — NTP's time formats and the one place where eras are handled.
 *
 * Wire timestamps are 64-bit fixed point, 32 bits of seconds since the start
 * of an NTP era (era 0 began 1900-01-01T00:00:00Z; era 1 begins in February
 * 2036) and 32 bits of fraction (units of 2^-32 s). Inside the engine, local
 * time is a struct timespec (Unix epoch) and intervals are double seconds.
 * The short format (root delay, root dispersion) is unsigned 16.16 seconds.
 */
#ifndef CNTPD_NTP_TIME_H
#define CNTPD_NTP_TIME_H

#include <stdint.h>
#include <time.h>

/* 32.32 fixed point seconds within an NTP era (era number not carried). */
typedef uint64_t NTP_Timestamp;

/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch). */
#define NTP_UNIX_EPOCH_OFFSET 2208988800ULL

/* Unix time -> wire timestamp (era number dropped, fraction rounded). */
NTP_Timestamp NTS_FromTimespec(const struct timespec *ts);

/* Wire timestamp -> Unix time, choosing the era that puts the result
   within +-2^31 s (about 68 years) of `pivot` (normally the local clock),
   so timestamps keep working across the 2036 era rollover. */
void NTS_ToTimespec(NTP_Timestamp t, const struct timespec *pivot, struct timespec *out);

/* a - b in seconds, computed as a signed 64-bit difference so it is right
   across an era boundary as long as |a - b| < 68 years. */
double NTS_Diff(NTP_Timestamp a, NTP_Timestamp b);

/* t + s seconds (s may be negative); wraps within the era like the wire. */
NTP_Timestamp NTS_Add(NTP_Timestamp t, double s);

/* Double seconds <-> unsigned 16.16 short format; negative values give 0,
   values at or above 65536 s saturate to 0xffffffff. */
uint32_t NTS_ShortFromDouble(double s);
double NTS_ShortToDouble(uint32_t v);

/* a - b in seconds for local timespecs. */
double TS_Diff(const struct timespec *a, const struct timespec *b);

/* ts + s seconds, result normalised (0 <= tv_nsec < 1e9). */
void TS_AddDouble(const struct timespec *ts, double s, struct timespec *out);

/* log2 of a precision in seconds, rounded up (e.g. 1e-6 s -> -19). */
int NTS_PrecisionToLog2(double seconds);

#endif
