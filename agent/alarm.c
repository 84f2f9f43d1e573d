/* alarm — see alarm.h. */
#include "alarm.h"

#include <math.h>

void ALM_Init(ALM_Alarm *a, int32_t rising, int32_t falling, int delta, int startup)
{
    a->rising = rising;
    a->falling = falling;
    a->delta = delta;
    a->startup = startup;
    a->have_raw = 0;
    a->last_raw = 0;
    a->have_value = 0;
    a->value = 0;
    a->last_event = ALM_NONE;
}

ALM_Event ALM_Sample(ALM_Alarm *a, int64_t raw)
{
    int64_t value, prev = a->value;
    int first = !a->have_value;
    ALM_Event ev = ALM_NONE;

    if (a->delta) {
        int had = a->have_raw;

        a->have_raw = 1;
        value = raw - a->last_raw;
        a->last_raw = raw;
        if (!had)
            return ALM_NONE;   /* the baseline only */
    } else {
        value = raw;
    }
    if (value >= a->rising && a->last_event != ALM_RISING &&
        (first ? (a->startup & CNF_ALARM_STARTUP_RISING) != 0 : prev < a->rising))
        ev = ALM_RISING;
    else if (value <= a->falling && a->last_event != ALM_FALLING &&
             (first ? (a->startup & CNF_ALARM_STARTUP_FALLING) != 0 : prev > a->falling))
        ev = ALM_FALLING;
    a->have_value = 1;
    a->value = value;
    if (ev != ALM_NONE)
        a->last_event = ev;
    return ev;
}

void ALM_NoSample(ALM_Alarm *a)
{
    a->have_raw = 0;
}

int32_t ALM_Value32(const ALM_Alarm *a)
{
    if (a->value > INT32_MAX)
        return INT32_MAX;
    if (a->value < INT32_MIN)
        return INT32_MIN;
    return (int32_t)a->value;
}

int64_t ALM_Micro(double seconds, int absval)
{
    double us = seconds * 1e6;

    if (absval)
        us = fabs(us);
    if (isnan(us))
        return 0;
    if (us > 4.6e18)
        return INT64_C(4611686018427387904);
    if (us < -4.6e18)
        return -INT64_C(4611686018427387904);
    return (int64_t)llround(us);
}

const char *ALM_ObjectName(CNF_AlarmObject object)
{
    switch (object) {
    case CNF_ALARM_SYS_OFFSET:
        return "sys.offset";
    case CNF_ALARM_SYS_ROOTDELAY:
        return "sys.rootdelay";
    case CNF_ALARM_SYS_ROOTDISP:
        return "sys.rootdisp";
    case CNF_ALARM_SYS_JITTER:
        return "sys.jitter";
    case CNF_ALARM_PEER_OFFSET:
        return "peer.offset";
    case CNF_ALARM_PEER_DELAY:
        return "peer.delay";
    case CNF_ALARM_PEER_DISPERSION:
        return "peer.dispersion";
    case CNF_ALARM_PEER_JITTER:
        return "peer.jitter";
    case CNF_ALARM_PEER_ROOTDELAY:
        return "peer.rootdelay";
    case CNF_ALARM_PEER_ROOTDISP:
        return "peer.rootdisp";
    }
    return "?";
}

int ALM_IsPeerObject(CNF_AlarmObject object)
{
    switch (object) {
    case CNF_ALARM_SYS_OFFSET:
    case CNF_ALARM_SYS_ROOTDELAY:
    case CNF_ALARM_SYS_ROOTDISP:
    case CNF_ALARM_SYS_JITTER:
        return 0;
    case CNF_ALARM_PEER_OFFSET:
    case CNF_ALARM_PEER_DELAY:
    case CNF_ALARM_PEER_DISPERSION:
    case CNF_ALARM_PEER_JITTER:
    case CNF_ALARM_PEER_ROOTDELAY:
    case CNF_ALARM_PEER_ROOTDISP:
        break;
    }
    return 1;
}

int ALM_IsOffsetObject(CNF_AlarmObject object)
{
    return object == CNF_ALARM_SYS_OFFSET || object == CNF_ALARM_PEER_OFFSET;
}
