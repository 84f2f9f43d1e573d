/*
 * alarm — RMON-style threshold alarms (RFC 2819 alarmTable semantics) on
 * cntpd's fixed-point quantities, configured with `alarm` lines (conf.h).
 * This module is the pure state machine and the sampling rules, without
 * net-snmp, so it can be tested on its own; mib_alarm.c samples the
 * engine's snapshot on a timer per alarm and sends RMON-MIB
 * risingAlarm/fallingAlarm through the AgentX master.
 *
 * Values are integers in microseconds. Offsets (sys.offset, peer.offset.N)
 * are sampled as their absolute value, so that one threshold catches a
 * clock running ahead or behind; delay, dispersion, jitter, root delay and
 * root dispersion are sampled as they are.
 *
 * Per sample (RFC 2819, alarmRisingThreshold / alarmFallingThreshold /
 * alarmStartupAlarm), with "value" the absolute sample or, for delta
 * sampling, the difference from the previous valid sample:
 *   - rising event when value >= rising and either this is the first value
 *     and the startup alarm includes rising, or the previous value was
 *     < rising; and the last event was not a rising one (after a rising
 *     event, another is only generated after the value has reached the
 *     falling threshold, which is itself a falling event);
 *   - falling event likewise with value <= falling, previous > falling.
 * rising > falling (conf checks it), so at most one event per sample.
 * An interval without a sample (the association is gone or has no sample
 * yet, the system is not synchronised) changes nothing but the delta
 * baseline: the next valid sample starts a new one.
 */
#ifndef CNTPD_ALARM_H
#define CNTPD_ALARM_H

#include <stdint.h>

#include "conf.h"

typedef enum {
    ALM_NONE = 0,
    ALM_RISING = 1,      /* RMON-MIB risingAlarm = rmonEventsV2.1 */
    ALM_FALLING = 2,     /* fallingAlarm = rmonEventsV2.2 */
} ALM_Event;

typedef struct {
    /* Configuration. */
    int32_t rising, falling;   /* rising > falling */
    int delta;
    int startup;               /* CNF_AlarmStartup: bit 1 rising, bit 2 falling */
    /* State. */
    int have_raw;              /* delta: baseline held */
    int64_t last_raw;
    int have_value;            /* a value was compared (the first one is past) */
    int64_t value;             /* the last compared value (alarmValue) */
    ALM_Event last_event;
} ALM_Alarm;

void ALM_Init(ALM_Alarm *a, int32_t rising, int32_t falling, int delta, int startup);

/* A valid sample `raw` (µs) at the end of an interval: the event it
   generates, if any. The compared value is then a->value. */
ALM_Event ALM_Sample(ALM_Alarm *a, int64_t raw);

/* No sample this interval. */
void ALM_NoSample(ALM_Alarm *a);

/* a->value clamped to Integer32 (alarmValue's syntax). */
int32_t ALM_Value32(const ALM_Alarm *a);

/* Seconds to integer µs, rounded (absolute value when `absval`), clamped
   to +-2^62. */
int64_t ALM_Micro(double seconds, int absval);

/* "sys.offset", "peer.delay", ... (without the AssocId). */
const char *ALM_ObjectName(CNF_AlarmObject object);
int ALM_IsPeerObject(CNF_AlarmObject object);
/* Whether the object is an offset (sampled as its absolute value). */
int ALM_IsOffsetObject(CNF_AlarmObject object);

/* mib_alarm.c: start a timer per configured alarm; stop them. */
void MIB_InitAlarm(const CNF_Config *cfg);
void MIB_FiniAlarm(void);

#endif
