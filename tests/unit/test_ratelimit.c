/*
 * Unit tests for ratelimit: the `discard` directive, ntpd's leaky bucket
 * (checked decision by decision against a transliteration of ntpd 4.2.8's
 * ntp_monitor() for whole-second spacing, and against values worked out by
 * hand), the guard time, the KoD rate limit, the LRU table (eviction order,
 * bounded memory under a million spoofed sources, measured with the ASan
 * allocator when present), and address keying. Time is passed in, so every
 * run is the same.
 *
 * Links: ratelimit addr mem log textfile
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ratelimit.h"

/* ASan's allocator statistics; NULL when not built with ASan. */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static NTP_Addr v4(uint32_t host_order, uint16_t port)
{
    NTP_Addr a;

    memset(&a, 0, sizeof a);
    a.u.in4.sin_family = AF_INET;
    a.u.in4.sin_addr.s_addr = htonl(host_order);
    a.u.in4.sin_port = htons(port);
    a.len = sizeof a.u.in4;
    return a;
}

static NTP_Addr addr(const char *text)
{
    NTP_Addr a;

    if (ADDR_Parse(text, 123, &a) != 0)
        fail_msg("bad test address %s", text);
    return a;
}

static RL_Result check(const char *text, double now)
{
    NTP_Addr a = addr(text);

    return RL_Check(&a, now);
}

static int split(const char *line, char *buf, size_t len, char **argv)
{
    char *save = NULL;
    int argc = 0;

    snprintf(buf, len, "%s", line);
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    return argc;
}

static int teardown(void **state)
{
    (void)state;
    RL_Fini();
    return 0;
}

/* ------------------------------------------------------------------------
 * `discard`.
 */

static RL_Config discard_ok(const char *line)
{
    char buf[256], err[256], *argv[32];
    int argc = split(line, buf, sizeof buf, argv);
    RL_Config c;

    RL_DefaultConfig(&c);
    if (RL_ParseDiscard(argc, argv, &c, err, sizeof err) != 0)
        fail_msg("'%s' refused: %s", line, err);
    return c;
}

static void discard_err(const char *line, const char *expect)
{
    char buf[256], err[256], *argv[32];
    int argc = split(line, buf, sizeof buf, argv);
    RL_Config c, before;

    RL_DefaultConfig(&c);
    c.average = 5;
    before = c;
    if (RL_ParseDiscard(argc, argv, &c, err, sizeof err) != -1)
        fail_msg("'%s' accepted", line);
    if (strcmp(err, expect) != 0)
        fail_msg("'%s': got \"%s\", expected \"%s\"", line, err, expect);
    /* Nothing changes on error, not even the options before the bad one. */
    assert_memory_equal(&c, &before, sizeof c);
}

static void test_discard_parse(void **state)
{
    RL_Config c;
    char buf[256], err[256], *argv[32];
    int argc;

    (void)state;
    RL_DefaultConfig(&c);
    assert_int_equal(c.average, 3);      /* ntpd: NTP_MINPOLL, log2 s */
    assert_int_equal(c.minimum, 2);      /* ntpd: NTP_MINPKT, s */
    assert_int_equal(c.monitor, 3000);   /* ntpd: mon_age */

    c = discard_ok("discard average 4");
    assert_int_equal(c.average, 4);
    assert_int_equal(c.minimum, 2);
    c = discard_ok("discard average 4 minimum 1");
    assert_int_equal(c.average, 4);
    assert_int_equal(c.minimum, 1);
    c = discard_ok("discard minimum 0 monitor 0 average 0");
    assert_int_equal(c.average, 0);
    assert_int_equal(c.minimum, 0);
    assert_int_equal(c.monitor, 0);
    c = discard_ok("discard average 17 minimum 3600 monitor 1000000");
    assert_int_equal(c.average, 17);
    assert_int_equal(c.minimum, 3600);
    assert_int_equal(c.monitor, 1000000);
    /* The last value wins, within a line and across lines. */
    c = discard_ok("discard average 4 average 6");
    assert_int_equal(c.average, 6);
    argc = split("discard minimum 5", buf, sizeof buf, argv);
    assert_int_equal(RL_ParseDiscard(argc, argv, &c, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(c.average, 6);
    assert_int_equal(c.minimum, 5);
}

static void test_discard_errors(void **state)
{
    (void)state;
    discard_err("discard", "missing argument to 'discard' (expected average, minimum or "
                           "monitor)");
    discard_err("discard maximum 3", "unknown discard option 'maximum' (expected average, "
                                     "minimum or monitor)");
    discard_err("discard average", "missing value for 'discard average'");
    discard_err("discard average 4 minimum", "missing value for 'discard minimum'");
    discard_err("discard average 18", "bad discard average '18' (allowed 0..17)");
    discard_err("discard average -1", "bad discard average '-1' (allowed 0..17)");
    discard_err("discard average 3.5", "bad discard average '3.5' (allowed 0..17)");
    discard_err("discard average 0x3", "bad discard average '0x3' (allowed 0..17)");
    discard_err("discard minimum 3601", "bad discard minimum '3601' (allowed 0..3600)");
    discard_err("discard minimum two", "bad discard minimum 'two' (allowed 0..3600)");
    discard_err("discard monitor 99999999999999999999",
                "bad discard monitor '99999999999999999999' (allowed 0..1000000)");
    discard_err("discard average 4 bogus 1", "unknown discard option 'bogus' (expected "
                                             "average, minimum or monitor)");
}

/* ------------------------------------------------------------------------
 * The bucket.
 */

static void test_off_before_init(void **state)
{
    RL_Stats s;

    (void)state;
    for (int i = 0; i < 100; i++)
        assert_int_equal(check("192.0.2.1", i * 0.01), RL_OK);
    RL_GetStats(&s);
    assert_int_equal(s.checks, 0);
    assert_int_equal(s.capacity, 0);
}

/* The brief's scenario: one source every 0.1 s, another every 8 s, for
   1000 s, interleaved in time order. */
static void test_fast_limited_slow_never(void **state)
{
    int fast_ok = 0, fast_limited = 0, slow_limited = 0;
    RL_Stats s;

    (void)state;
    RL_Init(0, RL_DEFAULT_AVERAGE, RL_DEFAULT_MINIMUM);
    for (int tick = 0; tick <= 10000; tick++) {
        double now = 1000.0 + tick * 0.1;

        if (check("192.0.2.10", now) == RL_OK)
            fast_ok++;
        else
            fast_limited++;
        if (tick % 80 == 0 && check("2001:db8::8", now) != RL_OK)
            slow_limited++;
    }
    assert_int_equal(slow_limited, 0);
    /* Only the first packet: every later one breaks the guard time. */
    assert_int_equal(fast_ok, 1);
    assert_int_equal(fast_limited, 10000);
    RL_GetStats(&s);
    assert_int_equal(s.checks, 10001 + 126);
    assert_int_equal(s.limited, 10000);
    assert_int_equal(s.entries, 2);
    assert_int_equal(s.capacity, RL_DEFAULT_CAPACITY);
}

/* Guard time M with ntpd's 1-s grace: spacing below M - 1 is limited. */
static void test_minimum_spacing(void **state)
{
    (void)state;
    RL_Init(64, RL_DEFAULT_AVERAGE, 2);
    assert_int_equal(check("192.0.2.1", 0.0), RL_OK);
    assert_int_equal(check("192.0.2.1", 0.9), RL_LIMITED_KOD);
    assert_int_equal(check("192.0.2.2", 0.0), RL_OK);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(check("192.0.2.2", i * 1.0), RL_OK);

    /* average 10 (1024 s increments, 8192 s ceiling) leaves only the guard. */
    RL_Init(64, 10, 5);
    assert_int_equal(check("192.0.2.3", 0.0), RL_OK);
    assert_int_equal(check("192.0.2.3", 4.0), RL_OK);
    assert_int_equal(check("192.0.2.3", 7.9), RL_LIMITED_KOD);
    assert_int_equal(check("192.0.2.4", 0.0), RL_OK);
    assert_int_equal(check("192.0.2.4", 3.9), RL_LIMITED_KOD);

    /* minimum 0: simultaneous packets pass until the bucket fills: 1 new +
       10 at +6 s each (ceiling 64 s). */
    RL_Init(64, 3, 0);
    for (int i = 1; i <= 11; i++)
        assert_int_equal(check("192.0.2.5", 50.0), RL_OK);
    assert_int_equal(check("192.0.2.5", 50.0), RL_LIMITED_KOD);
    assert_int_equal(check("192.0.2.5", 50.0), RL_LIMITED);
}

/* Worked by hand from ntp_monitor() with the defaults (head 8, ceiling 64,
   grace 2): 2-s spacing adds 8 - 2 - 2 = 4 per packet from 6 after the
   second packet, so packet 15 leaves 58 and packet 16 would reach 64:
   limited with a KoD, bucket set to 72. It then drains 2 per packet and
   packet 21 (bucket 62 < 64, still failing) gets the next KoD. */
static void test_hand_worked_headway(void **state)
{
    static const RL_Result expect[] = {
        RL_OK, RL_OK, RL_OK, RL_OK, RL_OK, RL_OK, RL_OK, RL_OK, RL_OK, RL_OK,   /* 1..10 */
        RL_OK, RL_OK, RL_OK, RL_OK, RL_OK, RL_LIMITED_KOD, RL_LIMITED, RL_LIMITED,
        RL_LIMITED, RL_LIMITED, RL_LIMITED_KOD, RL_LIMITED, RL_LIMITED,
    };
    int first_limited = 0;

    (void)state;
    RL_Init(0, 3, 2);
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        if (check("198.51.100.1", 2.0 * (double)i) != expect[i])
            fail_msg("packet %zu", i + 1);

    /* In the long run one packet per head - 2 = 6 s passes for ever... */
    for (int i = 0; i < 10000; i++)
        assert_int_equal(check("198.51.100.2", 6.0 * i), RL_OK);
    /* ...5 s does not: +1 per packet from 6, limited at packet 58. */
    for (int i = 0; i < 10000 && !first_limited; i++)
        if (check("198.51.100.3", 5.0 * i) != RL_OK)
            first_limited = i + 1;
    assert_int_equal(first_limited, 58);

    /* average 5: head 32 s; 30-s spacing passes, 16 s does not. */
    RL_Init(0, 5, 2);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(check("198.51.100.4", 30.0 * i), RL_OK);
    first_limited = 0;
    for (int i = 0; i < 1000 && !first_limited; i++)
        if (check("198.51.100.5", 16.0 * i) != RL_OK)
            first_limited = i + 1;
    assert_true(first_limited > 8 && first_limited < 30);
}

/* ntpd 4.2.8p15 ntp_monitor(), transliterated: integer seconds (the
   l_fp interval rounded to whole seconds), for one source. */
typedef struct {
    int seen;
    long last;
    int leak;
} RefEntry;

static RL_Result ref_monitor(RefEntry *mon, long now, int ntp_minpoll, int ntp_minpkt)
{
    int interval, head, leak, limit;

    if (!mon->seen) {
        mon->seen = 1;
        mon->last = now;
        mon->leak = 0;
        return RL_OK;
    }
    interval = (int)(now - mon->last);
    mon->last = now;
    mon->leak -= interval;
    mon->leak = mon->leak > 0 ? mon->leak : 0;
    head = 1 << ntp_minpoll;
    leak = mon->leak + head;
    limit = 8 * head;
    if (interval + 1 >= ntp_minpkt && leak < limit) {
        mon->leak = leak - 2;
        return RL_OK;
    } else if (mon->leak < limit) {
        mon->leak = limit + head;
        return RL_LIMITED_KOD;
    }
    return RL_LIMITED;
}

static void test_headway_matches_ntpd(void **state)
{
    static const int params[][2] = {
        { 3, 2 }, { 0, 0 }, { 1, 2 }, { 2, 1 }, { 4, 1 }, { 5, 10 }, { 6, 3 }, { 3, 0 },
    };
    NTP_Addr src = v4(0xc0000201u, 123);
    uint32_t x = 1;

    (void)state;
    for (size_t p = 0; p < sizeof params / sizeof params[0]; p++) {
        int avg = params[p][0], min = params[p][1];
        long now = 100000;
        int counts[3] = { 0, 0, 0 };
        RefEntry ref = { 0, 0, 0 };

        RL_Init(16, avg, min);
        for (int i = 0; i < 20000; i++) {
            RL_Result got, want;
            uint32_t r;

            x = x * 1103515245u + 12345u;
            r = (x >> 16) % 100;
            /* Phases of 200 packets: fast ones that fill the bucket, gaps
               around the increment, and the same with pauses that empty it. */
            switch (i / 200 % 3) {
            case 0:
                now += (long)(r % ((1u << avg) / 2 + 1));
                break;
            case 1:
                now += (long)(r % ((1u << avg) + 4));
                break;
            default:
                now += r < 90 ? (long)(r % ((1u << avg) + 4)) : r < 98 ? 30 : 1000;
                break;
            }
            want = ref_monitor(&ref, now, avg, min);
            got = RL_Check(&src, (double)now);
            if (got != want)
                fail_msg("average %d minimum %d packet %d at %ld: got %d, ntpd %d", avg, min,
                         i, now, got, want);
            counts[got]++;
        }
        /* The sequence must exercise all three answers to mean anything
           (average 0 and 1 never limit on the average: the 2-s grace is at
           least the increment, as in ntpd). */
        assert_true(counts[RL_OK] > 0);
        if (min > 0) {
            assert_true(counts[RL_LIMITED_KOD] > 0);
            assert_true(counts[RL_LIMITED] > 0);
        }
    }
}

/* A source hammering every 1/8 s (exact in binary, so the count below is
   exact) gets a KoD at most once per 2^average s, however long it goes on. */
static void test_kod_rate_limit(void **state)
{
    static const int averages[] = { 3, 5 };
    const double step = 0.125;

    (void)state;
    for (size_t k = 0; k < sizeof averages / sizeof averages[0]; k++) {
        double head = (double)(1 << averages[k]), last_kod = -1e9, now = 0;
        int kods = 0, limited = 0;
        RL_Stats s;

        RL_Init(0, averages[k], 2);
        for (int i = 0; i <= 80000; i++) {
            RL_Result r;

            now = i * step;
            r = check("203.0.113.66", now);
            if (r == RL_LIMITED_KOD) {
                if (now - last_kod <= head)
                    fail_msg("KoDs %.1f s apart (head %.0f s)", now - last_kod, head);
                last_kod = now;
                kods++;
            }
            if (r != RL_OK)
                limited++;
        }
        /* 10000 s: the first KoD at the second packet, then one per
           head + step (the first packet after the bucket, set to ceiling +
           head, has drained below the ceiling). */
        assert_int_equal(kods, (int)((10000.0 - step) / (head + step)) + 1);
        assert_int_equal(limited, 80000);
        RL_GetStats(&s);
        assert_int_equal(s.kod, (uint64_t)kods);
    }
}

/* ------------------------------------------------------------------------
 * The table.
 */

static void test_flood_memory_bounded(void **state)
{
    enum { CAP = 1024, N = 1000000 };
    size_t heap_before = 0;
    RL_Stats s, s0;

    (void)state;
    RL_Init(CAP, 3, 2);
    RL_GetStats(&s0);
    assert_int_equal(s0.capacity, CAP);
    assert_true(s0.memory > 0);
    if (__sanitizer_get_current_allocated_bytes)
        heap_before = __sanitizer_get_current_allocated_bytes();

    for (uint32_t i = 0; i < N; i++) {
        NTP_Addr a;

        if (i % 4 == 3) {
            memset(&a, 0, sizeof a);
            a.u.in6.sin6_family = AF_INET6;
            a.u.in6.sin6_addr.s6_addr[0] = 0x20;
            a.u.in6.sin6_addr.s6_addr[1] = 0x01;
            memcpy(&a.u.in6.sin6_addr.s6_addr[12], &i, sizeof i);
            a.len = sizeof a.u.in6;
        } else {
            a = v4(0x0a000000u + i, (uint16_t)i);
        }
        /* Every spoofed address is new: the first packet always passes. */
        if (RL_Check(&a, 5000.0 + i * 1e-5) != RL_OK)
            fail_msg("spoofed source %u limited", i);
    }

    if (__sanitizer_get_current_allocated_bytes)
        assert_int_equal(__sanitizer_get_current_allocated_bytes(), heap_before);
    RL_GetStats(&s);
    assert_int_equal(s.entries, CAP);
    assert_int_equal(s.new_sources, N);
    assert_int_equal(s.evictions, N - CAP);
    assert_int_equal(s.memory, s0.memory);
    assert_int_equal(s.checks, N);
    /* The table is small: entries plus one bucket word each. */
    assert_true(s.memory <= CAP * 64 + CAP * 4);
}

/* An abuser at 1 packet/s is caught while 1000 new spoofed addresses a
   second pass through a table of 8192; with 512 entries it is evicted
   between its own packets and never caught (the documented bound). */
static void test_abuser_under_flood(void **state)
{
    static const size_t caps[] = { RL_DEFAULT_CAPACITY, 512 };
    uint32_t spoof = 0;

    (void)state;
    for (size_t k = 0; k < 2; k++) {
        int limited = 0;

        RL_Init(caps[k], 3, 2);
        for (int sec = 0; sec < 300; sec++) {
            for (int j = 0; j < 1000; j++) {
                NTP_Addr a = v4(0x0b000000u + spoof++, 123);

                RL_Check(&a, sec + j * 0.001);
            }
            if (check("192.0.2.200", sec + 0.5) != RL_OK)
                limited++;
        }
        if (k == 0)
            assert_true(limited >= 240);   /* 1/s against one per 6 s allowed */
        else
            assert_int_equal(limited, 0);
    }
}

static void test_lru_eviction_order(void **state)
{
    RL_Stats s;

    (void)state;
    RL_Init(4, 3, 2);
    assert_int_equal(check("192.0.2.1", 0.0), RL_OK);
    assert_int_equal(check("192.0.2.1", 0.1), RL_LIMITED_KOD);    /* A is limited */
    assert_int_equal(check("192.0.2.2", 1.0), RL_OK);             /* B */
    assert_int_equal(check("192.0.2.3", 2.0), RL_OK);             /* C */
    assert_int_equal(check("192.0.2.4", 3.0), RL_OK);             /* D: full */
    assert_int_equal(check("192.0.2.1", 3.1), RL_LIMITED);        /* A most recent */
    assert_int_equal(check("192.0.2.5", 4.0), RL_OK);             /* E evicts B */
    RL_GetStats(&s);
    assert_int_equal(s.evictions, 1);
    assert_int_equal(s.entries, 4);
    /* A kept its bucket: still limited (no KoD: 72 - 3 - 1 = 68 >= 64). */
    assert_int_equal(check("192.0.2.1", 4.1), RL_LIMITED);
    /* B was forgotten: its next packet makes a new entry, evicting C. */
    assert_int_equal(check("192.0.2.2", 4.2), RL_OK);
    RL_GetStats(&s);
    assert_int_equal(s.evictions, 2);
    assert_int_equal(s.new_sources, 6);
    /* D is still known: no new entry, no eviction. */
    assert_int_equal(check("192.0.2.4", 4.3), RL_OK);
    RL_GetStats(&s);
    assert_int_equal(s.evictions, 2);
    assert_int_equal(s.new_sources, 6);

    /* Four new sources without A push A out; it starts afresh (known, its
       bucket would still be at 68 - 10.4 + 8 > 64: limited). */
    for (int i = 0; i < 4; i++) {
        NTP_Addr a = v4(0xc6336400u + (uint32_t)i, 123);

        assert_int_equal(RL_Check(&a, 10.0 + i), RL_OK);
    }
    assert_int_equal(check("192.0.2.1", 14.5), RL_OK);
}

static void test_address_keys(void **state)
{
    NTP_Addr a, b;

    (void)state;
    RL_Init(64, 3, 2);
    /* IPv4 and its v4-mapped form are one source, whatever the ports. */
    a = v4(0xc0000263u, 123);
    b = addr("::ffff:192.0.2.99");
    ADDR_SetPort(&b, 40000);
    assert_int_equal(RL_Check(&a, 0.0), RL_OK);
    assert_int_equal(RL_Check(&b, 0.2), RL_LIMITED_KOD);
    a = v4(0xc0000263u, 5555);
    assert_int_equal(RL_Check(&a, 0.4), RL_LIMITED);

    /* Neighbouring IPv6 addresses are separate sources (ntpd: /128). */
    assert_int_equal(check("2001:db8::1", 0.0), RL_OK);
    assert_int_equal(check("2001:db8::2", 0.1), RL_OK);
    assert_int_equal(check("2001:db8::1", 0.2), RL_LIMITED_KOD);

    /* fe80::1 on two links are two hosts. */
    a = addr("fe80::1");
    b = a;
    a.u.in6.sin6_scope_id = 2;
    b.u.in6.sin6_scope_id = 3;
    assert_int_equal(RL_Check(&a, 0.0), RL_OK);
    assert_int_equal(RL_Check(&b, 0.1), RL_OK);
    assert_int_equal(RL_Check(&a, 0.2), RL_LIMITED_KOD);

    /* No address: not keyed, answered (the caller cannot reply anyway). */
    memset(&a, 0, sizeof a);
    assert_int_equal(RL_Check(&a, 0.0), RL_OK);
}

static void test_time_backwards(void **state)
{
    (void)state;
    RL_Init(16, 3, 2);
    assert_int_equal(check("192.0.2.7", 100.0), RL_OK);
    assert_int_equal(check("192.0.2.7", 50.0), RL_LIMITED_KOD);   /* dt = 0 */
    /* Later intervals count from the last arrival, 50: 52 is 2 s on (the
       bucket, at 72, is still over the ceiling), 130 is 78 s on. */
    assert_int_equal(check("192.0.2.7", 52.0), RL_LIMITED);
    assert_int_equal(check("192.0.2.7", 130.0), RL_OK);
}

static void test_reinit_and_fini(void **state)
{
    RL_Stats s;

    (void)state;
    RL_Init(16, 3, 2);
    assert_int_equal(check("192.0.2.8", 0.0), RL_OK);
    assert_int_equal(check("192.0.2.8", 0.1), RL_LIMITED_KOD);
    /* A new RL_Init forgets every source. */
    RL_Init(16, 3, 2);
    assert_int_equal(check("192.0.2.8", 0.2), RL_OK);
    RL_GetStats(&s);
    assert_int_equal(s.checks, 1);
    /* Parameters are clamped: average 0, minimum 3600. */
    RL_Init(1, -3, 100000);
    assert_int_equal(check("192.0.2.8", 0.0), RL_OK);
    assert_int_equal(check("192.0.2.8", 3598.0), RL_LIMITED_KOD);  /* 3598 + 1 < 3600 */
    assert_int_equal(check("192.0.2.9", 3600.0), RL_OK);           /* capacity 1 */
    RL_GetStats(&s);
    assert_int_equal(s.evictions, 1);
    RL_Fini();
    assert_int_equal(check("192.0.2.8", 0.0), RL_OK);
    assert_int_equal(check("192.0.2.8", 0.0), RL_OK);
    RL_GetStats(&s);
    assert_int_equal(s.checks, 0);
    RL_Fini();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_discard_parse, teardown),
        cmocka_unit_test_teardown(test_discard_errors, teardown),
        cmocka_unit_test_teardown(test_off_before_init, teardown),
        cmocka_unit_test_teardown(test_fast_limited_slow_never, teardown),
        cmocka_unit_test_teardown(test_minimum_spacing, teardown),
        cmocka_unit_test_teardown(test_hand_worked_headway, teardown),
        cmocka_unit_test_teardown(test_headway_matches_ntpd, teardown),
        cmocka_unit_test_teardown(test_kod_rate_limit, teardown),
        cmocka_unit_test_teardown(test_flood_memory_bounded, teardown),
        cmocka_unit_test_teardown(test_abuser_under_flood, teardown),
        cmocka_unit_test_teardown(test_lru_eviction_order, teardown),
        cmocka_unit_test_teardown(test_address_keys, teardown),
        cmocka_unit_test_teardown(test_time_backwards, teardown),
        cmocka_unit_test_teardown(test_reinit_and_fini, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
