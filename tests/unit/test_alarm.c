/*
 * Unit tests for alarm (RMON-style threshold alarms, RFC 2819 semantics)
 * and conf's `alarm` directive: a rising event once per crossing, none
 * again until the falling threshold was reached (and vice versa), the
 * startup variants, delta sampling, intervals without a sample, the
 * conversion to µs (offsets by absolute value), the per-association root
 * delay and root dispersion objects, and the directive's syntax and errors.
 *
 * Links: agent/alarm conf mem log access addr keys ratelimit textfile
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "alarm.h"
#include "conf.h"

static char errbuf[512];

/* Feed `n` samples, expect `events` (one char each: '.' none, 'R', 'F'). */
static void run(ALM_Alarm *a, const int64_t *samples, size_t n, const char *events)
{
    assert_int_equal(strlen(events), n);
    for (size_t i = 0; i < n; i++) {
        ALM_Event ev = ALM_Sample(a, samples[i]);
        char c = ev == ALM_RISING ? 'R' : ev == ALM_FALLING ? 'F' : '.';

        if (c != events[i])
            fail_msg("sample %zu (%lld): got %c, expected %c", i, (long long)samples[i], c,
                     events[i]);
    }
}

static void test_rising_once(void **state)
{
    ALM_Alarm a;
    /* Up across 5000, stays up and wobbles between the thresholds: one
       rising event; falls to 1000: one falling; up again: rising again. */
    static const int64_t s[] = { 100, 4999, 5000, 7000, 3000, 6000, 5000, 1001,
                                 9000, 1000, 500, 2000, 999, 5001 };

    (void)state;
    ALM_Init(&a, 5000, 1000, 0, CNF_ALARM_STARTUP_RISING);
    run(&a, s, sizeof s / sizeof s[0], "..R......F...R");
    assert_int_equal(a.value, 5001);
    assert_int_equal(ALM_Value32(&a), 5001);
}

static void test_falling_needs_rising_first(void **state)
{
    ALM_Alarm a;
    /* Starts low with startup rising: no falling event at the start; a
       dip after a rise below the rising threshold but not to the falling
       one does not re-arm the rising event. */
    static const int64_t s[] = { 0, 0, 5000, 4000, 1001, 8000, 1000, 0, 1000, 6000 };

    (void)state;
    ALM_Init(&a, 5000, 1000, 0, CNF_ALARM_STARTUP_RISING);
    run(&a, s, sizeof s / sizeof s[0], "..R...F..R");
}

static void test_startup_rising(void **state)
{
    ALM_Alarm a;
    static const int64_t high[] = { 6000, 7000, 2000, 500 };
    static const int64_t low[] = { 500, 400, 6000 };

    (void)state;
    ALM_Init(&a, 5000, 1000, 0, CNF_ALARM_STARTUP_RISING);
    run(&a, high, 4, "R..F");
    ALM_Init(&a, 5000, 1000, 0, CNF_ALARM_STARTUP_RISING);
    run(&a, low, 3, "..R");
}

static void test_startup_falling(void **state)
{
    ALM_Alarm a;
    static const int64_t high[] = { 6000, 7000, 3000, 6000, 500 };
    static const int64_t low[] = { 500, 400, 6000, 0 };

    (void)state;
    /* First sample high: no event, and staying high is no crossing; it
       must come down below the rising threshold and cross it again. */
    ALM_Init(&a, 5000, 1000, 0, CNF_ALARM_STARTUP_FALLING);
    run(&a, high, 5, "...RF");
    ALM_Init(&a, 5000, 1000, 0, CNF_ALARM_STARTUP_FALLING);
    run(&a, low, 4, "F.RF");
}

static void test_startup_both(void **state)
{
    ALM_Alarm a;
    static const int64_t high[] = { 6000, 6000, 0 };
    static const int64_t low[] = { 0, 0, 6000 };
    static const int64_t mid[] = { 3000, 6000, 3000, 0 };

    (void)state;
    ALM_Init(&a, 5000, 1000, 0, CNF_ALARM_STARTUP_BOTH);
    run(&a, high, 3, "R.F");
    ALM_Init(&a, 5000, 1000, 0, CNF_ALARM_STARTUP_BOTH);
    run(&a, low, 3, "F.R");
    ALM_Init(&a, 5000, 1000, 0, CNF_ALARM_STARTUP_BOTH);
    run(&a, mid, 4, ".R.F");
}

static void test_delta(void **state)
{
    ALM_Alarm a;
    /* Raw counter-like values; deltas: -, 100, 900, 1000, 1200, 0, 50,
       2000, 1000. Thresholds rising 1000, falling 100. */
    static const int64_t s[] = { 10000, 10100, 11000, 12000, 13200, 13200, 13250, 15250,
                                 16250 };

    (void)state;
    ALM_Init(&a, 1000, 100, 1, CNF_ALARM_STARTUP_RISING);
    /* First delta (100) is the first value: startup rising only, none. */
    run(&a, s, sizeof s / sizeof s[0], "...R.F.R.");
    assert_int_equal(a.value, 1000);
}

static void test_delta_negative(void **state)
{
    ALM_Alarm a;
    /* A quantity shrinking fast: thresholds below zero. Deltas: -, -500,
       -3000, -100, 0, -2500. */
    static const int64_t s[] = { 10000, 9500, 6500, 6400, 6400, 3900 };

    (void)state;
    ALM_Init(&a, -200, -2000, 1, CNF_ALARM_STARTUP_BOTH);
    run(&a, s, sizeof s / sizeof s[0], "..FR.F");
    assert_int_equal(a.value, -2500);
}

static void test_delta_no_sample_resets_baseline(void **state)
{
    ALM_Alarm a;

    (void)state;
    ALM_Init(&a, 1000, 100, 1, CNF_ALARM_STARTUP_RISING);
    assert_int_equal(ALM_Sample(&a, 0), ALM_NONE);
    assert_int_equal(ALM_Sample(&a, 50), ALM_NONE);     /* 50: first, below */
    ALM_NoSample(&a);
    /* A new baseline: the jump across the gap is not a delta. */
    assert_int_equal(ALM_Sample(&a, 100000), ALM_NONE);
    assert_int_equal(a.value, 50);
    assert_int_equal(ALM_Sample(&a, 102000), ALM_RISING);
    assert_int_equal(a.value, 2000);
}

static void test_absolute_no_sample_keeps_state(void **state)
{
    ALM_Alarm a;

    (void)state;
    ALM_Init(&a, 5000, 1000, 0, CNF_ALARM_STARTUP_RISING);
    assert_int_equal(ALM_Sample(&a, 6000), ALM_RISING);
    ALM_NoSample(&a);
    ALM_NoSample(&a);
    /* Still high after the gap: no new event (no repeat until falling). */
    assert_int_equal(ALM_Sample(&a, 6000), ALM_NONE);
    ALM_NoSample(&a);
    assert_int_equal(ALM_Sample(&a, 900), ALM_FALLING);
}

static void test_value32_clamp(void **state)
{
    ALM_Alarm a;

    (void)state;
    ALM_Init(&a, 5000, 1000, 0, CNF_ALARM_STARTUP_RISING);
    assert_int_equal(ALM_Sample(&a, INT64_C(5000000000)), ALM_RISING);
    assert_int_equal(ALM_Value32(&a), INT32_MAX);
    ALM_Init(&a, 5000, 1000, 1, CNF_ALARM_STARTUP_BOTH);
    ALM_Sample(&a, 0);
    assert_int_equal(ALM_Sample(&a, -INT64_C(5000000000)), ALM_FALLING);
    assert_int_equal(ALM_Value32(&a), INT32_MIN);
}

static void test_micro(void **state)
{
    (void)state;
    assert_int_equal(ALM_Micro(0.0052, 0), 5200);
    assert_int_equal(ALM_Micro(-0.0052, 0), -5200);
    assert_int_equal(ALM_Micro(-0.0052, 1), 5200);
    assert_int_equal(ALM_Micro(1.2345674e-3, 0), 1235);
    assert_int_equal(ALM_Micro(1e300, 0), INT64_C(4611686018427387904));
    assert_int_equal(ALM_Micro(-1e300, 0), -INT64_C(4611686018427387904));
    assert_true(ALM_IsOffsetObject(CNF_ALARM_PEER_OFFSET));
    assert_true(ALM_IsOffsetObject(CNF_ALARM_SYS_OFFSET));
    assert_false(ALM_IsOffsetObject(CNF_ALARM_PEER_DELAY));
    assert_true(ALM_IsPeerObject(CNF_ALARM_PEER_JITTER));
    assert_false(ALM_IsPeerObject(CNF_ALARM_SYS_JITTER));
    assert_string_equal(ALM_ObjectName(CNF_ALARM_SYS_ROOTDISP), "sys.rootdisp");
}

/* Per-association root delay and root dispersion: peer objects (sampled
   only while the association has a sample, named with its AssocId),
   sampled as they are (not by absolute value), named like sys.rootdelay
   and sys.rootdisp. */
static void test_peer_root_objects(void **state)
{
    (void)state;
    assert_true(ALM_IsPeerObject(CNF_ALARM_PEER_ROOTDELAY));
    assert_true(ALM_IsPeerObject(CNF_ALARM_PEER_ROOTDISP));
    assert_false(ALM_IsPeerObject(CNF_ALARM_SYS_ROOTDELAY));
    assert_false(ALM_IsPeerObject(CNF_ALARM_SYS_ROOTDISP));
    assert_true(ALM_IsPeerObject(CNF_ALARM_PEER_OFFSET));
    assert_false(ALM_IsPeerObject(CNF_ALARM_SYS_OFFSET));
    assert_false(ALM_IsOffsetObject(CNF_ALARM_PEER_ROOTDELAY));
    assert_false(ALM_IsOffsetObject(CNF_ALARM_PEER_ROOTDISP));
    assert_string_equal(ALM_ObjectName(CNF_ALARM_PEER_ROOTDELAY), "peer.rootdelay");
    assert_string_equal(ALM_ObjectName(CNF_ALARM_PEER_ROOTDISP), "peer.rootdisp");
}

/* ---- the directive ---- */

static void test_conf_alarm(void **state)
{
    CNF_Config cfg;

    (void)state;
    assert_int_equal(CNF_ParseString("server 192.0.2.1\n"
                                     "alarm 1 peer.offset.1 interval 10 rising 5000 falling 1000\n"
                                     "alarm 7 sys.rootdisp delta interval 60 rising 100 "
                                     "falling -100 startup both\n"
                                     "alarm 65535 sys.jitter absolute startup falling falling 0 "
                                     "rising 1 interval 86400\n",
                                     "t.conf", &cfg, errbuf, sizeof errbuf), 0);
    assert_int_equal(cfg.n_alarms, 3);
    assert_int_equal(cfg.alarms[0].index, 1);
    assert_int_equal(cfg.alarms[0].object, CNF_ALARM_PEER_OFFSET);
    assert_int_equal(cfg.alarms[0].assoc_id, 1);
    assert_int_equal(cfg.alarms[0].delta, 0);
    assert_int_equal(cfg.alarms[0].interval, 10);
    assert_int_equal(cfg.alarms[0].rising, 5000);
    assert_int_equal(cfg.alarms[0].falling, 1000);
    assert_int_equal(cfg.alarms[0].startup, CNF_ALARM_STARTUP_RISING);
    assert_int_equal(cfg.alarms[0].line, 2);
    assert_int_equal(cfg.alarms[1].object, CNF_ALARM_SYS_ROOTDISP);
    assert_int_equal(cfg.alarms[1].assoc_id, 0);
    assert_int_equal(cfg.alarms[1].delta, 1);
    assert_int_equal(cfg.alarms[1].falling, -100);
    assert_int_equal(cfg.alarms[1].startup, CNF_ALARM_STARTUP_BOTH);
    assert_int_equal(cfg.alarms[2].index, 65535);
    assert_int_equal(cfg.alarms[2].object, CNF_ALARM_SYS_JITTER);
    assert_int_equal(cfg.alarms[2].interval, 86400);
    assert_int_equal(cfg.alarms[2].startup, CNF_ALARM_STARTUP_FALLING);
    CNF_Free(&cfg);

    assert_int_equal(CNF_ParseString("alarm 2 peer.jitter.65535 interval 1 rising "
                                     "2147483647 falling -2147483648\n"
                                     "alarm 3 peer.delay.3 interval 5 rising 1 falling 0\n"
                                     "alarm 4 peer.dispersion.9 interval 5 rising 1 falling 0\n"
                                     "alarm 5 sys.offset interval 5 rising 1 falling 0\n"
                                     "alarm 6 sys.rootdelay interval 5 rising 1 falling 0\n",
                                     "t.conf", &cfg, errbuf, sizeof errbuf), 0);
    assert_int_equal(cfg.n_alarms, 5);
    assert_int_equal(cfg.alarms[0].object, CNF_ALARM_PEER_JITTER);
    assert_int_equal(cfg.alarms[0].assoc_id, 65535);
    assert_int_equal(cfg.alarms[0].rising, INT32_MAX);
    assert_int_equal(cfg.alarms[0].falling, INT32_MIN);
    assert_int_equal(cfg.alarms[1].object, CNF_ALARM_PEER_DELAY);
    assert_int_equal(cfg.alarms[2].object, CNF_ALARM_PEER_DISPERSION);
    assert_int_equal(cfg.alarms[3].object, CNF_ALARM_SYS_OFFSET);
    assert_int_equal(cfg.alarms[4].object, CNF_ALARM_SYS_ROOTDELAY);
    CNF_Free(&cfg);

    assert_int_equal(CNF_ParseString("alarm 8 peer.rootdelay.2 interval 30 rising 20000 "
                                     "falling 10000\n"
                                     "alarm 9 peer.rootdisp.65535 delta interval 60 rising 500 "
                                     "falling -500 startup both\n",
                                     "t.conf", &cfg, errbuf, sizeof errbuf), 0);
    assert_int_equal(cfg.n_alarms, 2);
    assert_int_equal(cfg.alarms[0].index, 8);
    assert_int_equal(cfg.alarms[0].object, CNF_ALARM_PEER_ROOTDELAY);
    assert_int_equal(cfg.alarms[0].assoc_id, 2);
    assert_int_equal(cfg.alarms[0].delta, 0);
    assert_int_equal(cfg.alarms[0].interval, 30);
    assert_int_equal(cfg.alarms[0].rising, 20000);
    assert_int_equal(cfg.alarms[0].falling, 10000);
    assert_int_equal(cfg.alarms[1].index, 9);
    assert_int_equal(cfg.alarms[1].object, CNF_ALARM_PEER_ROOTDISP);
    assert_int_equal(cfg.alarms[1].assoc_id, 65535);
    assert_int_equal(cfg.alarms[1].delta, 1);
    assert_int_equal(cfg.alarms[1].falling, -500);
    assert_int_equal(cfg.alarms[1].startup, CNF_ALARM_STARTUP_BOTH);
    CNF_Free(&cfg);

    assert_int_equal(CNF_ParseString("server 192.0.2.1\n", "t.conf", &cfg, errbuf,
                                     sizeof errbuf), 0);
    assert_int_equal(cfg.n_alarms, 0);
    assert_null(cfg.alarms);
    CNF_Free(&cfg);
}

static void expect_error(const char *line, const char *fragment)
{
    CNF_Config cfg;
    char text[512];

    snprintf(text, sizeof text, "server 192.0.2.1\n%s\n", line);
    if (CNF_ParseString(text, "t.conf", &cfg, errbuf, sizeof errbuf) == 0)
        fail_msg("accepted: %s", line);
    if (strncmp(errbuf, "t.conf:2: ", 10) != 0 || !strstr(errbuf, fragment))
        fail_msg("'%s': message '%s' lacks '%s'", line, errbuf, fragment);
    assert_int_equal(cfg.n_alarms, 0);
}

static void test_conf_alarm_errors(void **state)
{
    (void)state;
    expect_error("alarm 1", "missing argument");
    expect_error("alarm 0 sys.offset interval 1 rising 2 falling 1", "bad alarm index");
    expect_error("alarm 65536 sys.offset interval 1 rising 2 falling 1", "bad alarm index");
    expect_error("alarm 1 sys.foo interval 1 rising 2 falling 1", "bad alarm object");
    expect_error("alarm 1 sys.offset.1 interval 1 rising 2 falling 1", "bad alarm object");
    expect_error("alarm 1 peer.offset interval 1 rising 2 falling 1", "bad alarm object");
    expect_error("alarm 1 peer.offsetx.1 interval 1 rising 2 falling 1", "bad alarm object");
    expect_error("alarm 1 peer.offset.0 interval 1 rising 2 falling 1",
                 "bad alarm association id");
    expect_error("alarm 1 peer.offset.x interval 1 rising 2 falling 1",
                 "bad alarm association id");
    /* The root objects: per association (AssocId required, none on sys.),
       spelled as sys.rootdelay and sys.rootdisp are; the message lists them. */
    expect_error("alarm 1 peer.rootdelay interval 1 rising 2 falling 1",
                 "peer.rootdelay, peer.rootdisp followed by .ASSOCID");
    expect_error("alarm 1 peer.rootdisp interval 1 rising 2 falling 1", "bad alarm object");
    expect_error("alarm 1 peer.rootdispersion.1 interval 1 rising 2 falling 1",
                 "bad alarm object");
    expect_error("alarm 1 peer.rootdelay.0 interval 1 rising 2 falling 1",
                 "bad alarm association id");
    expect_error("alarm 1 sys.rootdelay.1 interval 1 rising 2 falling 1", "bad alarm object");
    expect_error("alarm 1 sys.offset interval 0 rising 2 falling 1", "bad alarm interval");
    expect_error("alarm 1 sys.offset interval 86401 rising 2 falling 1", "bad alarm interval");
    expect_error("alarm 1 sys.offset rising 2 falling 1", "needs interval, rising and falling");
    expect_error("alarm 1 sys.offset interval 1 falling 1", "needs interval");
    expect_error("alarm 1 sys.offset interval 1 rising 2", "needs interval");
    expect_error("alarm 1 sys.offset interval 1 rising 1 falling 1", "must be greater");
    expect_error("alarm 1 sys.offset interval 1 rising 1 falling 2", "must be greater");
    expect_error("alarm 1 sys.offset interval 1 rising 2147483648 falling 1",
                 "bad alarm rising threshold");
    expect_error("alarm 1 sys.offset interval 1 rising 2 falling -2147483649",
                 "bad alarm falling threshold");
    expect_error("alarm 1 sys.offset interval 1 rising +2 falling 1",
                 "bad alarm rising threshold");
    expect_error("alarm 1 sys.offset interval 1 rising 2 falling -",
                 "bad alarm falling threshold");
    expect_error("alarm 1 sys.offset interval 1 rising 2 falling 1 startup never",
                 "bad alarm startup");
    expect_error("alarm 1 sys.offset interval 1 rising 2 falling 1 startup", "missing value");
    expect_error("alarm 1 sys.offset interval 1 rising 2 falling 1 bogus 3",
                 "unknown alarm keyword");
    expect_error("alarm 1 sys.offset interval 1 rising 2 falling 1 interval 2", "twice");
    expect_error("alarm 1 sys.offset delta absolute interval 1 rising 2 falling 1", "twice");
    expect_error("alarm 1 sys.offset interval 1 rising 2 falling 1 rising 3", "twice");
    expect_error("alarm 1 sys.offset interval 1 rising 2 falling 1 falling 0", "twice");
    expect_error("alarm 1 sys.offset interval 1 rising 2 falling 1 startup both startup both",
                 "twice");

    /* Duplicate index, on the third line. */
    {
        CNF_Config cfg;

        assert_int_equal(CNF_ParseString("server 192.0.2.1\n"
                                         "alarm 3 sys.offset interval 1 rising 2 falling 1\n"
                                         "alarm 3 sys.jitter interval 1 rising 2 falling 1\n",
                                         "t.conf", &cfg, errbuf, sizeof errbuf), -1);
        assert_string_equal(errbuf, "t.conf:3: alarm 3 already defined on line 2");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rising_once),
        cmocka_unit_test(test_falling_needs_rising_first),
        cmocka_unit_test(test_startup_rising),
        cmocka_unit_test(test_startup_falling),
        cmocka_unit_test(test_startup_both),
        cmocka_unit_test(test_delta),
        cmocka_unit_test(test_delta_negative),
        cmocka_unit_test(test_delta_no_sample_resets_baseline),
        cmocka_unit_test(test_absolute_no_sample_keeps_state),
        cmocka_unit_test(test_value32_clamp),
        cmocka_unit_test(test_micro),
        cmocka_unit_test(test_peer_root_objects),
        cmocka_unit_test(test_conf_alarm),
        cmocka_unit_test(test_conf_alarm_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
