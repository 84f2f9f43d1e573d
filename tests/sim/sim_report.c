/* sim_report — see sim_report.h. */
#include "sim_report.h"
#include "sysvars.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "ntp_pkt.h"
#include "peer.h"

/* Append to a fixed buffer, never overrunning it. */
static void cat(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;

    if (used + 1 >= len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* A duration or offset in s with a readable unit ("12.3us", "4.56ms"). */
static const char *human(double s, char *buf, size_t len)
{
    double a = fabs(s);

    if (isnan(s))
        snprintf(buf, len, "n/a");
    else if (a < 1e-3)
        snprintf(buf, len, "%.1fus", s * 1e6);
    else if (a < 1.0)
        snprintf(buf, len, "%.2fms", s * 1e3);
    else
        snprintf(buf, len, "%.3fs", s);
    return buf;
}

static const char *secs(double s, char *buf, size_t len)
{
    if (s < 0)
        snprintf(buf, len, "never");
    else
        snprintf(buf, len, "%.0fs", s);
    return buf;
}

static const char *mode_name(int mode)
{
    switch (mode) {
    case -1: return "none";
    case NTP_MODE_SYM_ACTIVE: return "sym-active";
    case NTP_MODE_SYM_PASSIVE: return "sym-passive";
    case NTP_MODE_CLIENT: return "client";
    case NTP_MODE_BROADCAST: return "broadcast";
    case PEER_MODE_BCLIENT: return "bclient";
    }
    return "?";
}

/* "12-31T23:59:59" of a clock reading `s` s since `epoch` (UTC). */
static const char *stamp(int64_t epoch, double s, char *buf, size_t len)
{
    time_t t = (time_t)(epoch + (int64_t)floor(s));
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, len, "%m-%dT%H:%M:%S", &tm);
    return buf;
}

/* True UTC (s since the epoch, as a clock would show it) at elapsed `e`. */
static double true_utc(const SIM_Result *r, double e)
{
    return r->leap_at && r->epoch + (int64_t)floor(e) >= r->leap_at ? e - 1.0 : e;
}

static int any_role(const SIM_Result *r, int role)
{
    for (int i = 0; i < r->n_servers; i++)
        if (r->role[i] == role)
            return 1;
    return 0;
}

void SIM_FormatResult(const SIM_Result *r, char *buf, size_t len)
{
    char a[32], b[32], c[32], d[32], e[32];

    buf[0] = '\0';
    cat(buf, len, "%-17s seed=%llu", r->scenario, (unsigned long long)r->seed);
    if (!r->completed && r->events == 0) {
        cat(buf, len, " FAILED: %s", r->error[0] ? r->error : "did not complete");
        return;
    }
    cat(buf, len, " rms=%s max=%s mean=%s within1ms=%s steps=%u sync_changes=%u first_sync=%s",
        human(r->rms, a, sizeof a), human(r->max_abs, b, sizeof b),
        human(r->mean, e, sizeof e), secs(r->within_1ms, c, sizeof c), r->steps,
        r->sync_changes, secs(r->first_sync, d, sizeof d));
    cat(buf, len, " meas_rms=%s updates=%u", human(r->meas_rms, a, sizeof a), r->meas_n);
    if (r->holdover > 0 || r->unsync_after_sync > 0)
        cat(buf, len, " holdover=%.0fs unsync_after_sync=%.0fs", r->holdover,
            r->unsync_after_sync);
    cat(buf, len, " sys_peer=");
    for (int i = 0; i < r->n_servers; i++) {
        cat(buf, len, "%s%s:%.1f%%", i ? "," : "", r->server_addr[i],
            100.0 * r->syspeer_frac[i]);
        /* A source that was system peer only briefly still matters
           (falsetickers): give the seconds when the percentage hides it. */
        if (r->ever_syspeer[i] && r->syspeer_frac[i] < 0.001)
            cat(buf, len, "(%us)", r->syspeer_s[i]);
    }
    if (r->refclock_frac > 0.0)
        cat(buf, len, "%srefclock:%.1f%%", r->n_servers ? "," : "", 100.0 * r->refclock_frac);
    cat(buf, len, "%snone:%.1f%%", r->n_servers || r->refclock_frac > 0.0 ? "," : "",
        100.0 * r->nopeer_frac);
    if (r->n_servers > 1) {
        cat(buf, len, " combined=");
        for (int i = 0; i < r->n_servers; i++)
            cat(buf, len, "%s%s:%.1f%%", i ? "," : "", r->server_addr[i],
                100.0 * r->combined_frac[i]);
    }
    cat(buf, len, " final=%s resid_freq=%+.3fppm",
        human(r->final_offset, a, sizeof a), r->final_residual);
    if (r->n_bumps > 0) {
        cat(buf, len, " bumps=%d recovery=", r->n_bumps);
        for (int i = 0; i < r->n_bumps; i++) {
            if (r->bumps[i].recovery < 0)
                cat(buf, len, "%snever(<%.0fs)", i ? "," : "", r->bumps[i].window);
            else
                cat(buf, len, "%s%.0fs", i ? "," : "", r->bumps[i].recovery);
        }
        cat(buf, len, " bump_steps=");
        for (int i = 0; i < r->n_bumps; i++)
            cat(buf, len, "%s%u", i ? "," : "", r->bumps[i].steps);
    }
    if (r->n_outages > 0) {
        int lost = 0, judged = 0;
        for (int i = 0; i < r->n_outages; i++) {
            if (r->outages[i].synced_at_start) {
                judged++;
                lost += r->outages[i].lost_sync;
            }
        }
        cat(buf, len, " outages=%d lost_sync_in_outage=%d/%d", r->n_outages, lost, judged);
    }
    if (r->custom_config || !any_role(r, SIMN_SERVER)) {
        cat(buf, len, " assoc=");
        for (int i = 0; i < r->n_servers; i++)
            cat(buf, len, "%s%s:%s%s", i ? "," : "", r->server_addr[i],
                mode_name(r->assoc_mode[i]),
                r->assoc_mode[i] >= 0 && !r->assoc_configured[i] ? "(mobilised)" : "");
    }
    for (int i = 0; i < r->n_servers; i++) {
        const SIMN_ServerStats *n = &r->net[i];
        if (r->role[i] == SIMN_SYM_ACTIVE || r->role[i] == SIMN_SYM_PASSIVE)
            cat(buf, len, " peer_rx=%llu bogus=%llu dup=%llu measured=%llu echo_err=%.1fns",
                (unsigned long long)n->peer_rx, (unsigned long long)n->peer_bogus,
                (unsigned long long)n->peer_dup, (unsigned long long)n->peer_measured,
                n->peer_err_max * 1e9);
        else if (r->role[i] == SIMN_BROADCAST)
            cat(buf, len, " bcasts=%llu/%llu volley=%llu/%llu", (unsigned long long)n->delivered,
                (unsigned long long)n->sent, (unsigned long long)n->replies,
                (unsigned long long)n->requests);
    }
    if (r->leap_month_end) {
        double at = (double)(r->leap_month_end - r->epoch);
        cat(buf, len, " leap_inserted=%u", r->leaps_inserted);
        if (r->leaps_inserted)
            cat(buf, len, " leap_err=%s", human(r->leap_elapsed - at, a, sizeof a));
        if (r->arm_calls)
            cat(buf, len, " armed=%s..%s(%u)", stamp(r->epoch, r->arm_first_local, a, sizeof a),
                stamp(r->epoch, r->arm_last_local, b, sizeof b), r->arm_calls);
        else
            cat(buf, len, " armed=never");
        if (r->li_first >= 0)
            cat(buf, len, " li_sent=%s..%s", stamp(r->epoch, true_utc(r, r->li_first), a, sizeof a),
                stamp(r->epoch, true_utc(r, r->li_last), b, sizeof b));
        else
            cat(buf, len, " li_sent=never");
        /* LI = 1 is right until the leap second (23:59:60) is over. */
        if (r->li_last >= at + 1.0)
            cat(buf, len, " li_after_leap=%.1fs", r->li_last - (at + 1.0));
        cat(buf, len, " max_leap_hour=%s", human(r->max_window, a, sizeof a));
    }
    if (r->spikes || r->leap_month_end)
        cat(buf, len, " spikes=%u", r->spikes);
    cat(buf, len, " tx=%llu rx=%llu accepted=%llu", (unsigned long long)r->tx,
        (unsigned long long)r->rx, (unsigned long long)r->accepted);
    if (r->lost_up || r->lost_down)
        cat(buf, len, " lost=%llu/%llu(outage %llu)", (unsigned long long)r->lost_up,
            (unsigned long long)r->lost_down, (unsigned long long)r->lost_outage);
    /* A run cut short (engine panic): the numbers above cover what ran. */
    if (!r->completed)
        cat(buf, len, " FAILED: %s", r->error[0] ? r->error : "did not complete");
}

static void check(FILE *out, int *passed, int *failed, int ok, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void check(FILE *out, int *passed, int *failed, int ok, const char *fmt, ...)
{
    va_list ap;

    fprintf(out, "%s - ", ok ? "ok" : "not ok");
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    if (ok)
        (*passed)++;
    else
        (*failed)++;
}

static void check_rms(const SIM_Result *r, const char *label, double bound, FILE *out, int *p,
                      int *f)
{
    char a[32], b[32];

    /* NaN (no samples) fails: !(nan < bound). */
    check(out, p, f, r->rms < bound, "%s: rms %s < %s", label, human(r->rms, a, sizeof a),
          human(bound, b, sizeof b));
}

void SIM_Check(const SIM_Result *r, FILE *out, int *p, int *f)
{
    char label[64];
    const char *n = label;

    /* "lan seed=1": several seeds may be checked in one go. */
    snprintf(label, sizeof label, "%s seed=%llu", r->scenario, (unsigned long long)r->seed);

    check(out, p, f, r->completed, "%s: run completed%s%s", n, r->error[0] ? ": " : "",
          r->error);
    if (!r->completed)
        return;

    const char *sc = r->scenario;
    if (!strcmp(sc, "lan") || !strcmp(sc, "lan-4")) {
        check_rms(r, n, 50e-6, out, p, f);
    } else if (!strcmp(sc, "wan")) {
        check_rms(r, n, 1e-3, out, p, f);
    } else if (!strcmp(sc, "asym-jitter")) {
        check_rms(r, n, 2e-3, out, p, f);
    } else if (!strcmp(sc, "falseticker")) {
        int bad = r->bad_server;
        check(out, p, f, bad >= 0 && !r->ever_syspeer[bad],
              "%s: bad server %s never system peer (%s, %u s in samples)", n,
              bad >= 0 ? r->server_addr[bad] : "?",
              bad >= 0 && r->ever_syspeer[bad] ? "was" : "never was",
              bad >= 0 ? r->syspeer_s[bad] : 0);
        check_rms(r, n, 100e-6, out, p, f);
    } else if (!strcmp(sc, "vm-bumps-x")) {
        check(out, p, f, r->steps == 0, "%s: never steps (%u steps)", n, r->steps);
    } else if (!strcmp(sc, "vm-bumps") || !strcmp(sc, "vm-glitch")) {
        /* Announced jumps are re-measured at once (< 300 s, the issue's
           bound); silent ones wait for the next poll, at most maxpoll
           (1024 s) plus the confirming burst. */
        double bound = !strcmp(sc, "vm-bumps") ? 300.0 : 1100.0;
        for (int i = 0; i < r->n_bumps; i++) {
            const SIM_Bump *b = &r->bumps[i];
            check(out, p, f, b->steps <= 1, "%s: bump %d at %.0fs: at most one step (%u)", n,
                  i + 1, b->at, b->steps);
            /* A bump followed by the next within the bound cannot be judged. */
            if (b->window < bound && b->recovery < 0)
                continue;
            char a[32];
            check(out, p, f, b->recovery >= 0 && b->recovery < bound,
                  "%s: bump %d at %.0fs: back within 1 ms in < %.0f s (%s)", n, i + 1, b->at,
                  bound, secs(b->recovery, a, sizeof a));
        }
    } else if (!strcmp(sc, "udp-loss")) {
        for (int i = 0; i < r->n_outages; i++) {
            const SIM_Outage *o = &r->outages[i];
            check(out, p, f, o->synced_at_start && !o->lost_sync,
                  "%s: outage %d (%.0f-%.0fs): %s", n, i + 1, o->start, o->end,
                  !o->synced_at_start ? "not synchronised when it began"
                  : o->lost_sync      ? "sync lost" : "sync kept");
        }
        check_rms(r, n, 200e-6, out, p, f);
    } else if (!strcmp(sc, "symmetric") || !strcmp(sc, "symmetric-passive")) {
        int passive = !strcmp(sc, "symmetric-passive");
        const SIMN_ServerStats *ns = &r->net[0];
        int want = passive ? NTP_MODE_SYM_PASSIVE : NTP_MODE_SYM_ACTIVE;
        check(out, p, f, r->assoc_mode[0] == want && r->assoc_configured[0] == !passive,
              "%s: cntpd's association with %s is %s%s (%s%s)", n, r->server_addr[0],
              mode_name(want), passive ? ", mobilised by its packets" : ", configured",
              mode_name(r->assoc_mode[0]),
              r->assoc_mode[0] < 0 ? "" : r->assoc_configured[0] ? ", configured" : ", mobilised");
        if (!passive)
            check(out, p, f, ns->mobilised, "%s: the passive peer was mobilised by cntpd's "
                  "symmetric active packets", n);
        check(out, p, f, ns->peer_measured > 0 && ns->peer_bogus == 0 && ns->peer_err_max < 1e-6,
              "%s: the peer's on-wire checks: %llu valid exchanges, %llu bogus (origin not ours), "
              "cntpd's origin/receive/transmit exact to %.1f ns (< 1 us)", n,
              (unsigned long long)ns->peer_measured, (unsigned long long)ns->peer_bogus,
              ns->peer_err_max * 1e9);
        check_rms(r, n, 100e-6, out, p, f);
    } else if (!strcmp(sc, "broadcast")) {
        const SIMN_ServerStats *ns = &r->net[0];
        check(out, p, f, r->assoc_mode[0] == PEER_MODE_BCLIENT && !r->assoc_configured[0],
              "%s: cntpd mobilised a broadcast-client association for %s (%s%s)", n,
              r->server_addr[0], mode_name(r->assoc_mode[0]),
              r->assoc_mode[0] >= 0 && r->assoc_configured[0] ? ", configured" : "");
        check(out, p, f, ns->requests > 0 && ns->replies > 0,
              "%s: client-mode delay volley answered (%llu requests, %llu replies)", n,
              (unsigned long long)ns->requests, (unsigned long long)ns->replies);
        check_rms(r, n, 200e-6, out, p, f);
    } else if (!strcmp(sc, "leap") || !strcmp(sc, "leap-minority")) {
        int real = r->leap_at != 0;
        double at = (double)(r->leap_month_end - r->epoch);
        char a[32], b[32];
        check(out, p, f, !isnan(r->max_window), "%s: the month end and the hour either side "
              "are inside the run (%.0f s needed, %.0f s run)", n, at + 3601.0, r->duration);
        if (real) {
            check(out, p, f, r->leaps_inserted == 1,
                  "%s: the kernel inserted the leap second exactly once (%u)", n,
                  r->leaps_inserted);
            check(out, p, f, r->leaps_inserted && fabs(r->leap_elapsed - at) < 1e-3,
                  "%s: inserted at the local clock's midnight, %s from true midnight (< 1 ms)",
                  n, r->leaps_inserted ? human(r->leap_elapsed - at, a, sizeof a) : "never");
            check(out, p, f, r->arm_calls > 0 && r->arm_first_local >= at - 86400.0 &&
                  r->arm_last_local < at,
                  "%s: kernel armed only on the last day of the month (%u calls, local %s..%s)",
                  n, r->arm_calls,
                  r->arm_calls ? stamp(r->epoch, r->arm_first_local, a, sizeof a) : "-",
                  r->arm_calls ? stamp(r->epoch, r->arm_last_local, b, sizeof b) : "-");
            check(out, p, f, r->li_first >= 0 && r->li_first < at,
                  "%s: cntpd announced the leap (LI=1) to its clients before it (from %s)", n,
                  r->li_first >= 0 ? stamp(r->epoch, true_utc(r, r->li_first), a, sizeof a)
                                   : "never");
            /* After the leap the indicator must go: stale votes from the
               month before do not count, and the system variables are
               refreshed at least every housekeeping interval (4 s). */
            check(out, p, f, r->li_last >= 0 && r->li_last - (at + 1.0) < 5.0,
                  "%s: LI=1 withdrawn within 5 s after the leap second (%.1f s)", n,
                  r->li_last - (at + 1.0));
        } else {
            check(out, p, f, r->leaps_inserted == 0, "%s: no leap second inserted (%u)", n,
                  r->leaps_inserted);
            check(out, p, f, r->arm_calls == 0, "%s: kernel never armed (%u calls)", n,
                  r->arm_calls);
            check(out, p, f, r->li_first < 0, "%s: cntpd never announced a leap (%s)", n,
                  r->li_first >= 0 ? stamp(r->epoch, true_utc(r, r->li_first), a, sizeof a)
                                   : "never");
        }
        check(out, p, f, r->max_window < 1e-3,
              "%s: within 1 ms of UTC in the hour either side of the month end (max %s)", n,
              human(r->max_window, a, sizeof a));
        check(out, p, f, r->steps == 0 && r->spikes == 0,
              "%s: no step and no spike handling (%u steps, %u spikes)", n, r->steps, r->spikes);
        check_rms(r, n, 100e-6, out, p, f);
    } else if (!strcmp(sc, "refclock-shm") || !strcmp(sc, "refclock-pps")) {
        /* The bounds: 1 us reference noise through SHM < 10 us;
           PPS edges with 1 us jitter numbered by NMEA < 2 us. */
        int pps = !strcmp(sc, "refclock-pps");
        const SIMR_Stats *rs = &r->refclock;
        check(out, p, f, r->final_status == SYS_STATUS_SYNC_TO_REFCLOCK,
              "%s: cntpSysSrvStatus syncToRefclock(5) at the end (%d)", n, r->final_status);
        if (pps)
            check(out, p, f, rs->edges > 0 && rs->sentences > 0,
                  "%s: the receiver sent %lu PPS edges and %lu RMC sentences", n, rs->edges,
                  rs->sentences);
        else
            check(out, p, f, rs->shm_writes > 0, "%s: the writer filled the segment %lu times",
                  n, rs->shm_writes);
        check(out, p, f, r->steps == 0, "%s: no step (%u)", n, r->steps);
        check_rms(r, n, pps ? 2e-6 : 10e-6, out, p, f);
    } else if (!strcmp(sc, "cold-start")) {
        char a[32];
        check(out, p, f, r->within_1ms >= 0 && r->within_1ms < 600.0,
              "%s: within 1 ms for good in < 600 s (%s)", n, secs(r->within_1ms, a, sizeof a));
    }
}
