/* notify — see notify.h. */
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"

typedef struct {
    uint32_t assoc_id;
    NTP_Addr addr;
    int configured, high_priority;
    int known;          /* has been reachable at least once */
    int actual;         /* reachable, as its reach register says */
    int reported;       /* reachable, as last notified */
    int hp_failed;      /* HighPriorityConnFailure sent: a restore is owed */
    uint8_t reach;      /* register at the last event */
    double period_end;  /* scheduler s; < 0: no hold-down period running */
    double period_start;
    int sent_failure, sent_restore;   /* notified in this period */
    unsigned supp_failures, supp_restores;
} Source;

struct NTF_State {
    double holddown;
    NTF_Sender send;
    NTF_ReachLookup reach;
    void *arg;
    Source *src;
    size_t n, cap;
    int general_failed; /* GeneralConnFailure sent: a restore is owed */
};

const char *NTF_KindName(NTF_Kind kind)
{
    switch (kind) {
    case NTF_SRV_STATUS_CHANGE:
        return "ciscoNtpSrvStatusChange";
    case NTF_HP_CONN_FAILURE:
        return "ciscoNtpHighPriorityConnFailure";
    case NTF_HP_CONN_RESTORE:
        return "ciscoNtpHighPriorityConnRestore";
    case NTF_GENERAL_CONN_FAILURE:
        return "ciscoNtpGeneralConnFailure";
    case NTF_GENERAL_CONN_RESTORE:
        return "ciscoNtpGeneralConnRestore";
    }
    return "?";
}

static const char *status_name(int status)
{
    static const char *const names[] = { "unknown", "notRunning", "notSynchronized",
                                         "syncToLocal", "syncToRefclock",
                                         "syncToRemoteServer" };
    return status >= 1 && status <= 6 ? names[status - 1] : "?";
}

NTF_State *NTF_New(double holddown, NTF_Sender send, NTF_ReachLookup reach, void *arg)
{
    NTF_State *st = MEM_New(NTF_State);

    st->holddown = holddown > 0 ? holddown : 0.0;
    st->send = send;
    st->reach = reach;
    st->arg = arg;
    return st;
}

void NTF_Free(NTF_State *st)
{
    if (!st)
        return;
    free(st->src);
    free(st);
}

static Source *find(NTF_State *st, uint32_t assoc_id)
{
    for (size_t i = 0; i < st->n; i++)
        if (st->src[i].assoc_id == assoc_id)
            return &st->src[i];
    return NULL;
}

static Source *find_or_add(NTF_State *st, uint32_t assoc_id)
{
    Source *s = find(st, assoc_id);

    if (s)
        return s;
    if (st->n == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 8;
        st->src = MEM_Realloc(st->src, st->cap * sizeof(*st->src));
    }
    s = &st->src[st->n++];
    *s = (Source){ .assoc_id = assoc_id, .period_end = -1.0 };
    return s;
}

/* "0x3f (00111111)": ntpd shows reach in octal, operators read bits. */
static const char *reach_text(int reach, char *buf, size_t len)
{
    char bits[9];

    if (reach < 0) {
        snprintf(buf, len, "gone");
        return buf;
    }
    for (int i = 0; i < 8; i++)
        bits[i] = (reach >> (7 - i)) & 1 ? '1' : '0';
    bits[8] = '\0';
    snprintf(buf, len, "%03o (%s)", (unsigned)reach, bits);
    return buf;
}

static const char *source_name(const Source *s, char *buf, size_t len)
{
    if (!s->addr.len) {
        snprintf(buf, len, "unresolved");
        return buf;
    }
    return ADDR_HostString(&s->addr, buf, len);
}

static void send_one(NTF_State *st, NTF_Kind kind, const Source *s, int status)
{
    NTF_Notification n = { .kind = kind, .status = status };
    char name[ADDR_STRLEN];

    if (s) {
        n.assoc_id = s->assoc_id;
        n.addr = s->addr;
    }
    if (kind == NTF_SRV_STATUS_CHANGE)
        LOG(LOGS_INFO, "notification %s: cntpSysSrvStatus %s(%d)", NTF_KindName(kind),
            status_name(status), status);
    else if (s)
        LOG(LOGS_INFO, "notification %s: association %u (%s)", NTF_KindName(kind),
            s->assoc_id, source_name(s, name, sizeof name));
    else
        LOG(LOGS_INFO, "notification %s: no configured source is reachable",
            NTF_KindName(kind));
    if (st->send)
        st->send(&n, st->arg);
}

static size_t configured_reported_reachable(const NTF_State *st)
{
    size_t n = 0;

    for (size_t i = 0; i < st->n; i++)
        n += st->src[i].configured && st->src[i].reported;
    return n;
}

/* The notified state of `s` becomes `reachable`: the notifications that
   follow from it. */
static void notify(NTF_State *st, Source *s, int reachable)
{
    s->reported = reachable;
    if (!reachable) {
        if (s->high_priority) {
            send_one(st, NTF_HP_CONN_FAILURE, s, 0);
            s->hp_failed = 1;
        }
        if (s->configured && !st->general_failed && configured_reported_reachable(st) == 0) {
            send_one(st, NTF_GENERAL_CONN_FAILURE, NULL, 0);
            st->general_failed = 1;
        }
    } else {
        if (s->configured && st->general_failed) {
            send_one(st, NTF_GENERAL_CONN_RESTORE, s, 0);
            st->general_failed = 0;
        }
        if (s->hp_failed) {
            send_one(st, NTF_HP_CONN_RESTORE, s, 0);
            s->hp_failed = 0;
        }
    }
}

static void start_period(NTF_State *st, Source *s, double now)
{
    s->period_start = now;
    s->period_end = now + st->holddown;
    s->sent_failure = s->sent_restore = 0;
    s->supp_failures = s->supp_restores = 0;
}

static void reachability(NTF_State *st, const EVT_Event *ev, int high_priority, double now)
{
    int reachable = ev->type == EVT_PEER_REACHABLE;
    Source *s = find_or_add(st, ev->assoc_id);
    char name[ADDR_STRLEN], reach[32];

    if (ev->addr.len)
        s->addr = ev->addr;
    s->configured = ev->configured;
    s->high_priority = high_priority;
    s->reach = ev->reach;
    if (s->actual == reachable)
        return;
    s->actual = reachable;

    if (reachable && !s->known) {
        /* First contact (start-up, a new association): nothing failed, so
           no restore of its own, and no hold-down period. */
        s->known = 1;
        notify(st, s, 1);
        return;
    }
    if (st->holddown <= 0) {
        notify(st, s, reachable);
        return;
    }
    if (s->period_end >= 0 && reachable == s->reported) {
        /* Back to the notified state before anyone heard otherwise. */
        if (reachable)
            s->supp_restores++;
        else
            s->supp_failures++;
        LOG(LOGS_INFO, "association %u (%s): %s again, reach %s: not notified (hold-down "
            "for %.0f s more)", s->assoc_id, source_name(s, name, sizeof name),
            reachable ? "reachable" : "unreachable", reach_text(s->reach, reach, sizeof reach),
            s->period_end - now);
        return;
    }
    if (s->period_end < 0)
        start_period(st, s, now);
    if (reachable ? !s->sent_restore : !s->sent_failure) {
        if (reachable)
            s->sent_restore = 1;
        else
            s->sent_failure = 1;
        notify(st, s, reachable);
        return;
    }
    if (reachable)
        s->supp_restores++;
    else
        s->supp_failures++;
    LOG(LOGS_INFO, "association %u (%s): %s, reach %s: not notified (flapping; hold-down "
        "for %.0f s more)", s->assoc_id, source_name(s, name, sizeof name),
        reachable ? "reachable" : "unreachable", reach_text(s->reach, reach, sizeof reach),
        s->period_end - now);
}

void NTF_Event(NTF_State *st, const EVT_Event *ev, int high_priority, double now)
{
    switch (ev->type) {
    case EVT_SYNC_STATUS:
        send_one(st, NTF_SRV_STATUS_CHANGE, NULL, ev->status);
        break;
    case EVT_PEER_REACHABLE:
    case EVT_PEER_UNREACHABLE:
        reachability(st, ev, high_priority, now);
        break;
    case EVT_PEER_GONE: {
        /* Suspended or destroyed by the operator (or dissolved): no
           failure to report, but it must not count as reachable any more. */
        Source *s = find(st, ev->assoc_id);
        if (s)
            *s = st->src[--st->n];
        break;
    }
    }
}

void NTF_Expire(NTF_State *st, double now)
{
    for (size_t i = 0; i < st->n; i++) {
        Source *s = &st->src[i];
        char name[ADDR_STRLEN], reach[32];
        unsigned flaps, supp_f, supp_r;
        int r, late;

        if (s->period_end < 0 || s->period_end > now)
            continue;
        s->period_end = -1.0;
        r = st->reach ? st->reach(s->assoc_id, st->arg) : s->reach;
        /* When the source settled in the other state than the one notified
           last, its last change was counted as suppressed and is notified
           now (late): the NMS does hear of it, so it is no part of a flap. */
        late = s->actual != s->reported;
        supp_f = s->supp_failures - (late && !s->actual && s->supp_failures);
        supp_r = s->supp_restores - (late && s->actual && s->supp_restores);
        /* A flap is a down and up (or up and down) that nobody heard of;
           the period's first change of each kind was notified. Between two
           changes the NMS hears the suppressed ones pair up, so supp_f and
           supp_r are equal; the larger is taken all the same. */
        flaps = supp_f > supp_r ? supp_f : supp_r;
        if (flaps)
            LOG(LOGS_WARN, "association %u (%s): %u flap%s suppressed in the %.0f s hold-down "
                "(%u failure%s, %u restore%s not notified); reach register now %s, %s%s",
                s->assoc_id, source_name(s, name, sizeof name), flaps, flaps == 1 ? "" : "s",
                now - s->period_start, supp_f, supp_f == 1 ? "" : "s",
                supp_r, supp_r == 1 ? "" : "s",
                reach_text(r, reach, sizeof reach), s->actual ? "reachable" : "unreachable",
                !late ? "" : s->actual ? "; notifying its last restore now (late)"
                                       : "; notifying its last failure now (late)");
        else if (late)
            LOG(LOGS_INFO, "association %u (%s): no flap suppressed in the %.0f s hold-down; "
                "reach register now %s, %s; notifying its last %s now (late)", s->assoc_id,
                source_name(s, name, sizeof name), now - s->period_start,
                reach_text(r, reach, sizeof reach), s->actual ? "reachable" : "unreachable",
                s->actual ? "restore" : "failure");
        if (late) {
            /* It settled in the other state than the one notified last:
               say so now, which opens the next period. */
            start_period(st, s, now);
            if (s->actual)
                s->sent_restore = 1;
            else
                s->sent_failure = 1;
            notify(st, s, s->actual);
        }
    }
}

double NTF_NextDeadline(const NTF_State *st)
{
    double next = -1.0;

    for (size_t i = 0; i < st->n; i++)
        if (st->src[i].period_end >= 0 && (next < 0 || st->src[i].period_end < next))
            next = st->src[i].period_end;
    return next;
}
