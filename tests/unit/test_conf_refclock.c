/*
 * Unit tests for conf's reference clock lines: ntpd's `server 127.127.T.U`
 * with `fudge`, ntpsec's `refclock NAME ...`, Cisco's `master [N]`;
 * defaults (poll 16 s, driver stratum, NMEA at 4800 bit/s), every option,
 * ntpd's NMEA speed bits in `mode`, `noselect`, and errors with their
 * "file:line:" prefix (unknown types, duplicates, fudge before its server,
 * options that mean nothing for a reference clock, bad values, a PPS lock
 * on a clock that is not configured). 127.127.T.U is never a valid
 * server host for SNMP rows (CNF_ValidHost).
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

static void parse_ok(const char *text, CNF_Config *cfg)
{
    int r = CNF_ParseString(text, "t.conf", cfg, errbuf, sizeof errbuf);
    if (r != 0)
        fail_msg("unexpected error: %s", errbuf);
}

static void expect_error(const char *text, const char *msg)
{
    CNF_Config cfg;

    assert_int_equal(CNF_ParseString(text, "t.conf", &cfg, errbuf, sizeof errbuf), -1);
    if (strcmp(errbuf, msg) != 0)
        fail_msg("error '%s', expected '%s'", errbuf, msg);
}

static void test_server_and_fudge(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("server 127.127.28.2 prefer minpoll 3\n"
             "fudge 127.127.28.2 time1 -0.0125 stratum 1 refid GPS flag1 1 flag3 1 flag1 0\n"
             "server 192.0.2.1 noselect\n", &cfg);
    assert_int_equal(cfg.n_assocs, 2);
    const CNF_Assoc *a = &cfg.assocs[0];
    assert_string_equal(a->host, "127.127.28.2");
    assert_int_equal(a->type, CNF_ASSOC_SERVER);
    assert_int_equal(a->refclock.type, RCL_TYPE_SHM);
    assert_int_equal(a->refclock.unit, 2);
    assert_int_equal(a->prefer, 1);
    assert_int_equal(a->minpoll, 3);
    assert_int_equal(a->maxpoll, 4);
    assert_true(a->refclock.time1 == -0.0125);
    assert_int_equal(a->refclock.stratum, 1);
    assert_string_equal(a->refclock.refid, "GPS");
    assert_int_equal(a->refclock.flags, 4);
    assert_int_equal(a->line, 1);
    /* A network server can be noselect too, and is no reference clock. */
    assert_int_equal(cfg.assocs[1].noselect, 1);
    assert_int_equal(cfg.assocs[1].refclock.type, 0);
    CNF_Free(&cfg);
}

static void test_defaults(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("server 127.127.20.0\nserver 127.127.1.0\n", &cfg);
    const CNF_Assoc *n = &cfg.assocs[0], *l = &cfg.assocs[1];
    assert_int_equal(n->refclock.type, RCL_TYPE_NMEA);
    assert_int_equal(n->refclock.baud, 4800);
    assert_int_equal(n->refclock.stratum, -1);      /* the driver's */
    assert_string_equal(n->refclock.refid, "");
    assert_int_equal(n->minpoll, RCL_DEFAULT_POLL);
    assert_int_equal(n->maxpoll, RCL_DEFAULT_POLL);
    assert_int_equal(l->refclock.type, RCL_TYPE_LOCAL);
    assert_int_equal(l->refclock.baud, 0);
    CNF_Free(&cfg);
}

static void test_nmea_mode(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("server 127.127.20.1 mode 17\nserver 127.127.20.2 mode 56\n", &cfg);
    assert_int_equal(cfg.assocs[0].refclock.mode, RCL_NMEA_RMC);
    assert_int_equal(cfg.assocs[0].refclock.baud, 9600);
    assert_int_equal(cfg.assocs[1].refclock.mode, RCL_NMEA_ZDA);
    assert_int_equal(cfg.assocs[1].refclock.baud, 38400);
    CNF_Free(&cfg);
    expect_error("server 127.127.20.1 mode 112\n", "t.conf:1: bad NMEA speed bits in mode 112");
}

static void test_refclock_directive(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("refclock nmea unit 1 path /dev/ttyS1 baud 115200 mode 9 time2 0.350 prefer\n"
             "refclock PPS path /dev/pps0 lock 127.127.20.1 precision -20 noselect minpoll 3 "
             "maxpoll 5 flag2 1\n"
             "refclock shm unit 3 refid PPS stratum 0 time1 1e-6\n"
             "refclock local stratum 10\n", &cfg);
    assert_int_equal(cfg.n_assocs, 4);
    const RCL_Config *n = &cfg.assocs[0].refclock;
    assert_int_equal(n->type, RCL_TYPE_NMEA);
    assert_int_equal(n->unit, 1);
    assert_string_equal(cfg.assocs[0].host, "127.127.20.1");
    assert_string_equal(n->path, "/dev/ttyS1");
    assert_int_equal(n->baud, 115200);
    assert_int_equal(n->mode, RCL_NMEA_RMC | RCL_NMEA_ZDA);
    assert_true(n->time2 == 0.350);
    assert_int_equal(cfg.assocs[0].prefer, 1);
    const RCL_Config *p = &cfg.assocs[1].refclock;
    assert_int_equal(p->type, RCL_TYPE_PPS);
    assert_int_equal(p->unit, 0);
    assert_string_equal(p->path, "/dev/pps0");
    assert_int_equal(p->lock_type, RCL_TYPE_NMEA);
    assert_int_equal(p->lock_unit, 1);
    assert_int_equal(p->precision, -20);
    assert_int_equal(p->flags, 2);
    assert_int_equal(cfg.assocs[1].noselect, 1);
    assert_int_equal(cfg.assocs[1].minpoll, 3);
    assert_int_equal(cfg.assocs[1].maxpoll, 5);
    const RCL_Config *s = &cfg.assocs[2].refclock;
    assert_int_equal(s->type, RCL_TYPE_SHM);
    assert_int_equal(s->unit, 3);
    assert_string_equal(s->refid, "PPS");
    assert_int_equal(s->stratum, 0);
    assert_true(s->time1 == 1e-6);
    assert_int_equal(cfg.assocs[3].refclock.stratum, 10);
    CNF_Free(&cfg);
}

static void test_master(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("master 5\n", &cfg);
    assert_int_equal(cfg.n_assocs, 1);
    assert_string_equal(cfg.assocs[0].host, "127.127.1.0");
    assert_int_equal(cfg.assocs[0].refclock.type, RCL_TYPE_LOCAL);
    /* The clock's own stratum: cntpd serves one more. */
    assert_int_equal(cfg.assocs[0].refclock.stratum, 4);
    CNF_Free(&cfg);
    parse_ok("master\n", &cfg);
    assert_int_equal(cfg.assocs[0].refclock.stratum, 7);
    CNF_Free(&cfg);
    expect_error("master 16\n", "t.conf:1: bad stratum '16' (allowed 1..15)");
    expect_error("master 0\n", "t.conf:1: bad stratum '0' (allowed 1..15)");
    expect_error("server 127.127.1.0\nmaster 3\n",
                 "t.conf:2: the local clock (127.127.1.0) is configured twice");
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("server 127.127.8.0\n", "t.conf:1: reference clock type 8 in 127.127.8.0 is "
                 "not supported (LOCAL 1, NMEA 20, PPS 22, SHM 28)");
    expect_error("peer 127.127.1.0\n",
                 "t.conf:1: a reference clock (127.127.1.0) is configured with 'server', not "
                 "'peer'");
    expect_error("server 127.127.28.0\nserver 127.127.28.0\n",
                 "t.conf:2: reference clock 127.127.28.0 configured twice");
    expect_error("fudge 127.127.28.0 time1 0.1\n",
                 "t.conf:1: fudge for 127.127.28.0 before its server line");
    expect_error("fudge 192.0.2.1 time1 0.1\n",
                 "t.conf:1: fudge needs a reference clock address 127.127.T.U, not '192.0.2.1'");
    expect_error("server 127.127.28.0\nfudge 127.127.28.0 time3 1\n",
                 "t.conf:2: unknown fudge option 'time3'");
    expect_error("server 127.127.28.0\nfudge 127.127.28.0 time1\n",
                 "t.conf:2: missing value for 'time1'");
    expect_error("server 127.127.28.0\nfudge 127.127.28.0 time1 1x\n",
                 "t.conf:2: bad time1 '1x' (seconds, -86400..86400)");
    expect_error("server 127.127.28.0\nfudge 127.127.28.0 refid TOOLONG\n",
                 "t.conf:2: bad refid 'TOOLONG' (1 to 4 characters)");
    expect_error("server 127.127.28.0\nfudge 127.127.28.0 stratum 16\n",
                 "t.conf:2: bad stratum '16' (allowed 0..15)");
    expect_error("server 127.127.28.0\nfudge 127.127.28.0 flag1 2\n",
                 "t.conf:2: bad flag1 '2' (allowed 0..1)");
    expect_error("server 127.127.28.0 key 1\n",
                 "t.conf:1: option 'key' does not apply to a reference clock");
    expect_error("server 127.127.1.0 mode 1\n",
                 "t.conf:1: option 'mode' is only valid for the NMEA and SHM drivers");
    expect_error("server 127.127.28.2 mode 2\n",
                 "t.conf:1: bad SHM mode 2 (0, or 1 for a private segment)");
    expect_error("server 192.0.2.1 mode 1\n",
                 "t.conf:1: option 'mode' is only valid for a reference clock (127.127.T.U)");
    expect_error("refclock gps\n",
                 "t.conf:1: unknown reference clock 'gps' (local, nmea, pps, shm)");
    expect_error("refclock shm unit 256\n", "t.conf:1: bad unit '256' (allowed 0..255)");
    expect_error("refclock shm unit 1\nrefclock shm unit 1\n",
                 "t.conf:2: reference clock shm unit 1 (127.127.28.1) configured twice");
    expect_error("refclock shm bogus 1\n", "t.conf:1: unknown refclock option 'bogus'");
    expect_error("refclock shm path\n", "t.conf:1: missing value for 'path'");
    expect_error("refclock nmea path dev/ttyS0\n",
                 "t.conf:1: bad path 'dev/ttyS0' (an absolute path of at most 255 characters)");
    expect_error("refclock nmea baud 1234\n", "t.conf:1: bad baud '1234' (1200, 2400, 4800, "
                 "9600, 19200, 38400, 57600, 115200 or 230400)");
    expect_error("refclock pps mode 1\n", "t.conf:1: option 'mode' is only valid for the NMEA "
                 "and SHM drivers");
    expect_error("refclock shm mode 3\n", "t.conf:1: bad SHM mode 3 (0, or 1 for a private "
                 "segment)");
    expect_error("refclock shm lock 127.127.20.0\n",
                 "t.conf:1: option 'lock' is only valid for the PPS driver");
    expect_error("refclock pps lock 192.0.2.1\n",
                 "t.conf:1: lock needs a reference clock address 127.127.T.U, not '192.0.2.1'");
    expect_error("refclock pps precision 5\n", "t.conf:1: bad precision '5' (log2 s, -30..-1)");
    expect_error("refclock pps minpoll 6 maxpoll 4\n",
                 "t.conf:1: minpoll 6 greater than maxpoll 4");
    /* The lock is checked once the whole file is read: it may come later. */
    expect_error("refclock pps lock 127.127.20.0\nserver 192.0.2.1\n",
                 "t.conf:1: lock 127.127.20.0: no such reference clock configured");
    CNF_Config cfg;
    parse_ok("refclock pps lock 127.127.20.0\nrefclock nmea\n", &cfg);
    CNF_Free(&cfg);
    /* SHM's mode 1: a private segment, either style. */
    parse_ok("refclock shm unit 2 mode 1\nserver 127.127.28.3 mode 1\n", &cfg);
    assert_int_equal(cfg.assocs[0].refclock.mode, 1);
    assert_int_equal(cfg.assocs[1].refclock.mode, 1);
    CNF_Free(&cfg);
}

static void test_valid_host(void **state)
{
    (void)state;
    assert_int_equal(CNF_ValidHost("127.0.0.1"), 1);
    assert_int_equal(CNF_ValidHost("127.127.1.0"), 0);
    assert_int_equal(CNF_ValidHost("127.127.28.3"), 0);
    assert_int_equal(CNF_ValidHost("127.126.1.0"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_and_fudge),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_nmea_mode),
        cmocka_unit_test(test_refclock_directive),
        cmocka_unit_test(test_master),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_valid_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
