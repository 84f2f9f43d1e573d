/*
 * Unit tests for conf's `trap` directive (SNMP notifications): defaults,
 * holddown, highpriority prefer/all/none/AssocIds, the last line winning,
 * errors with their "file:line:" prefix, and ntpd's `trap HOST` accepted
 * with a warning.
 *
 * Links: conf mem log access addr keys ratelimit textfile
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "conf.h"

static char errbuf[512];

static void test_defaults(void **state)
{
    CNF_Config cfg;

    (void)state;
    assert_int_equal(CNF_ParseString("server 192.0.2.1\n", "t.conf", &cfg, errbuf,
                                     sizeof errbuf), 0);
    assert_true(cfg.trap_holddown < 0);
    assert_int_equal(cfg.trap_highpriority, CNF_TRAP_HP_PREFER);
    assert_int_equal(cfg.n_trap_hp_ids, 0);
    CNF_Free(&cfg);
}

static void test_values(void **state)
{
    CNF_Config cfg;

    (void)state;
    assert_int_equal(CNF_ParseString("trap holddown 120\ntrap highpriority all\n", "t.conf",
                                     &cfg, errbuf, sizeof errbuf), 0);
    assert_true(cfg.trap_holddown == 120.0);
    assert_int_equal(cfg.trap_highpriority, CNF_TRAP_HP_ALL);
    CNF_Free(&cfg);

    assert_int_equal(CNF_ParseString("trap holddown 0\ntrap highpriority none\n", "t.conf",
                                     &cfg, errbuf, sizeof errbuf), 0);
    assert_true(cfg.trap_holddown == 0.0);
    assert_int_equal(cfg.trap_highpriority, CNF_TRAP_HP_NONE);
    CNF_Free(&cfg);

    assert_int_equal(CNF_ParseString("trap highpriority 3 1 65535\n", "t.conf", &cfg, errbuf,
                                     sizeof errbuf), 0);
    assert_int_equal(cfg.trap_highpriority, CNF_TRAP_HP_LIST);
    assert_int_equal(cfg.n_trap_hp_ids, 3);
    assert_int_equal(cfg.trap_hp_ids[0], 3);
    assert_int_equal(cfg.trap_hp_ids[1], 1);
    assert_int_equal(cfg.trap_hp_ids[2], 65535);
    CNF_Free(&cfg);

    /* The last line wins, and a list does not leak when replaced. */
    assert_int_equal(CNF_ParseString("trap highpriority 3\ntrap highpriority prefer\n", "t.conf",
                                     &cfg, errbuf, sizeof errbuf), 0);
    assert_int_equal(cfg.trap_highpriority, CNF_TRAP_HP_PREFER);
    assert_int_equal(cfg.n_trap_hp_ids, 0);
    assert_null(cfg.trap_hp_ids);
    CNF_Free(&cfg);
}

static void expect_error(const char *text, const char *msg)
{
    CNF_Config cfg;

    assert_int_equal(CNF_ParseString(text, "t.conf", &cfg, errbuf, sizeof errbuf), -1);
    assert_string_equal(errbuf, msg);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("trap\n", "t.conf:1: missing argument to 'trap'");
    expect_error("trap holddown\n", "t.conf:1: 'trap holddown' takes one value (seconds)");
    expect_error("trap holddown 1 2\n", "t.conf:1: 'trap holddown' takes one value (seconds)");
    expect_error("trap holddown 86401\n",
                 "t.conf:1: bad trap holddown '86401' (allowed 0..86400)");
    expect_error("trap holddown -1\n", "t.conf:1: bad trap holddown '-1' (allowed 0..86400)");
    expect_error("trap highpriority\n",
                 "t.conf:1: missing argument to 'trap highpriority' (expected prefer, all, "
                 "none or association ids)");
    expect_error("\ntrap highpriority 1 x\n",
                 "t.conf:2: bad trap highpriority association id 'x' (allowed 1..65535)");
    expect_error("trap highpriority 0\n",
                 "t.conf:1: bad trap highpriority association id '0' (allowed 1..65535)");
    expect_error("trap highpriority all 1\n",
                 "t.conf:1: bad trap highpriority association id 'all' (allowed 1..65535)");
    expect_error("trap -x\n",
                 "t.conf:1: bad trap arguments (expected 'holddown SECONDS' or 'highpriority "
                 "prefer|all|none|ASSOCID...')");
}

static void test_ntpd_trap_host(void **state)
{
    CNF_Config cfg;

    (void)state;
    assert_int_equal(CNF_ParseString("trap 192.0.2.5 port 18447\n", "t.conf", &cfg, errbuf,
                                     sizeof errbuf), 0);
    assert_int_equal(cfg.n_warnings, 1);
    assert_non_null(strstr(cfg.warnings[0], "t.conf:1: 'trap 192.0.2.5' ignored"));
    CNF_Free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_ntpd_trap_host),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
