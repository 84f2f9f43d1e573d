/*
 * Unit tests for conf: every directive and server option, defaults, every
 * error message with its exact "file:line:" prefix, line endings, line
 * length, host syntax, and CNF_ParseFile on real files.
 *
 * Links: conf mem log access addr keys ratelimit textfile
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

#define NAME "t.conf"

static char errbuf[1024];

/* ------------------------------------------------------------------------
 * Helpers
 */

static int is_zeroed(const CNF_Config *cfg)
{
    static const CNF_Config zero;

    return memcmp(cfg, &zero, sizeof(zero)) == 0;
}

/* Parse `text` that must be accepted. The caller frees `cfg`. */
static void parse_ok(const char *text, CNF_Config *cfg)
{
    strcpy(errbuf, "stale");
    if (CNF_ParseString(text, NAME, cfg, errbuf, sizeof(errbuf)) != 0)
        fail_msg("unexpected error for \"%s\": %s", text, errbuf);
    assert_string_equal(errbuf, "");
}

/* Parse `text` that must fail with exactly `msg` and leave cfg zeroed. */
static void parse_err(const char *text, const char *msg)
{
    CNF_Config cfg;

    memset(&cfg, 0xa5, sizeof(cfg));
    errbuf[0] = '\0';
    if (CNF_ParseString(text, NAME, &cfg, errbuf, sizeof(errbuf)) != -1)
        fail_msg("no error for \"%s\" (expected \"%s\")", text, msg);
    if (strcmp(errbuf, msg) != 0)
        fail_msg("for \"%s\":\n  got      \"%s\"\n  expected \"%s\"", text, errbuf, msg);
    assert_true(is_zeroed(&cfg));
    CNF_Free(&cfg);
}

/* Parse a one-server config and return its host (copied to a static). */
static const char *server_host(const char *text)
{
    static char host[512];
    CNF_Config cfg;

    parse_ok(text, &cfg);
    assert_int_equal(cfg.n_assocs, 1);
    snprintf(host, sizeof(host), "%s", cfg.assocs[0].host);
    CNF_Free(&cfg);
    return host;
}

static void bad_address(const char *addr)
{
    char text[512], msg[600];

    snprintf(text, sizeof(text), "server %s iburst\n", addr);
    snprintf(msg, sizeof(msg), NAME ":1: bad address '%s'", addr);
    parse_err(text, msg);
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Write `len` bytes to a new temp file; returns its name (static). */
static const char *temp_file(const char *data, size_t len)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof(path), "/tmp/test_conf.XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

/* ------------------------------------------------------------------------
 * Defaults, comments, whitespace
 */

static void test_defaults(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("", &cfg);
    assert_string_equal(cfg.path, NAME);
    assert_int_equal(cfg.n_assocs, 0);
    assert_null(cfg.assocs);
    assert_int_equal(cfg.port, CNF_DEFAULT_PORT);
    assert_int_equal(cfg.port, 123);
    assert_null(cfg.driftfile);
    assert_null(cfg.logfile);
    assert_int_equal(cfg.agentx_enabled, 1);
    assert_null(cfg.agentx_socket);
    CNF_Free(&cfg);
    assert_true(is_zeroed(&cfg));
}

static void test_null_name(void **state)
{
    CNF_Config cfg;

    (void)state;
    assert_int_equal(CNF_ParseString("", NULL, &cfg, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(cfg.path, "-");
    CNF_Free(&cfg);
    assert_int_equal(CNF_ParseString("bogus", NULL, &cfg, errbuf, sizeof(errbuf)), -1);
    assert_string_equal(errbuf, "-:1: unknown directive 'bogus'");
}

static void test_comments_and_blank_lines(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("# only a comment\n"
             "\n"
             "   \n"
             "\t\t\n"
             "   # indented comment with server bogus stuff\n"
             "#server 192.0.2.9\n"
             "server 192.0.2.1 # trailing comment\n"
             "server 192.0.2.2#glued comment\n"
             "server 192.0.2.3 iburst#glued after option\n"
             "driftfile /var/lib/ntp/drift # x y z\n"
             "#\n",
             &cfg);
    assert_int_equal(cfg.n_assocs, 3);
    assert_string_equal(cfg.assocs[0].host, "192.0.2.1");
    assert_string_equal(cfg.assocs[1].host, "192.0.2.2");
    assert_string_equal(cfg.assocs[2].host, "192.0.2.3");
    assert_int_equal(cfg.assocs[2].iburst, 1);
    assert_int_equal(cfg.assocs[0].line, 7);
    assert_int_equal(cfg.assocs[1].line, 8);
    assert_int_equal(cfg.assocs[2].line, 9);
    assert_string_equal(cfg.driftfile, "/var/lib/ntp/drift");
    CNF_Free(&cfg);
}

static void test_whitespace(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("\tserver\t192.0.2.1\t\tiburst \t minpoll\t4   \n"
             "  server 192.0.2.2\v\fprefer\r \n"
             "driftfile\t/tmp/d   ",
             &cfg);
    assert_int_equal(cfg.n_assocs, 2);
    assert_string_equal(cfg.assocs[0].host, "192.0.2.1");
    assert_int_equal(cfg.assocs[0].iburst, 1);
    assert_int_equal(cfg.assocs[0].minpoll, 4);
    assert_string_equal(cfg.assocs[1].host, "192.0.2.2");
    assert_int_equal(cfg.assocs[1].prefer, 1);
    assert_string_equal(cfg.driftfile, "/tmp/d");
    CNF_Free(&cfg);
}

static void test_crlf_and_last_line(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("# crlf file\r\n"
             "\r\n"
             "server 192.0.2.1 iburst\r\n"
             "driftfile /var/lib/ntp/drift\r\n"
             "logfile /var/log/ntp.log",  /* no line end at all */
             &cfg);
    assert_int_equal(cfg.n_assocs, 1);
    assert_string_equal(cfg.assocs[0].host, "192.0.2.1");
    assert_int_equal(cfg.assocs[0].iburst, 1);
    assert_int_equal(cfg.assocs[0].line, 3);
    /* The CR is not part of the value. */
    assert_string_equal(cfg.driftfile, "/var/lib/ntp/drift");
    assert_string_equal(cfg.logfile, "/var/log/ntp.log");
    CNF_Free(&cfg);

    parse_ok("driftfile /d\r", &cfg);
    assert_string_equal(cfg.driftfile, "/d");
    CNF_Free(&cfg);

    parse_err("server 192.0.2.1\r\n\r\nbogus\r\n", NAME ":3: unknown directive 'bogus'");
    parse_err("server 192.0.2.1\r\nbogus", NAME ":2: unknown directive 'bogus'");
}

static void test_control_characters(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_err("server 192.0.2.1\x01\n", NAME ":1: invalid character 0x01");
    parse_err("\n\ndriftfile /a\x7f" "b\n", NAME ":3: invalid character 0x7f");
    parse_err("\x1b[0m\n", NAME ":1: invalid character 0x1b");
    /* Inside a comment they do no harm. */
    parse_ok("server 192.0.2.1 # \x01\x02\x7f\n", &cfg);
    assert_int_equal(cfg.n_assocs, 1);
    CNF_Free(&cfg);
    /* Non-ASCII bytes are fine in a path. */
    parse_ok("driftfile /var/lib/\xc3\xa9t\xc3\xa9/drift\n", &cfg);
    assert_string_equal(cfg.driftfile, "/var/lib/\xc3\xa9t\xc3\xa9/drift");
    CNF_Free(&cfg);
}

/* ------------------------------------------------------------------------
 * Line length
 */

static void test_long_lines(void **state)
{
    CNF_Config cfg;
    char *pad, *text;
    size_t prefix = strlen("driftfile /");

    (void)state;
    text = malloc(3 * CNF_MAX_LINE + 100);
    assert_non_null(text);

    /* Exactly CNF_MAX_LINE characters: accepted, with or without a line end. */
    pad = repeat('x', CNF_MAX_LINE - prefix);
    sprintf(text, "driftfile /%s", pad);
    assert_int_equal(strlen(text), CNF_MAX_LINE);
    parse_ok(text, &cfg);
    assert_int_equal(strlen(cfg.driftfile), CNF_MAX_LINE - prefix + 1);
    CNF_Free(&cfg);
    sprintf(text, "driftfile /%s\r\n", pad);
    parse_ok(text, &cfg);
    assert_int_equal(strlen(cfg.driftfile), CNF_MAX_LINE - prefix + 1);
    CNF_Free(&cfg);
    free(pad);

    /* One more: an error, not a split. */
    pad = repeat('x', CNF_MAX_LINE - prefix + 1);
    sprintf(text, "driftfile /%s\n", pad);
    parse_err(text, NAME ":1: line too long (more than 4096 characters)");
    sprintf(text, "# one\n\nserver 192.0.2.1\ndriftfile /%s\nbogus\n", pad);
    parse_err(text, NAME ":4: line too long (more than 4096 characters)");
    free(pad);

    /* A long comment line is still too long. */
    pad = repeat('#', CNF_MAX_LINE + 1);
    sprintf(text, "\n%s\n", pad);
    parse_err(text, NAME ":2: line too long (more than 4096 characters)");
    free(pad);

    /* A maximal line of blanks. */
    pad = repeat(' ', CNF_MAX_LINE);
    parse_ok(pad, &cfg);
    CNF_Free(&cfg);
    free(pad);

    /* A server line padded out to exactly CNF_MAX_LINE with options. */
    strcpy(text, "server 192.0.2.1");
    while (strlen(text) + strlen(" burst") <= CNF_MAX_LINE)
        strcat(text, " burst");
    while (strlen(text) < CNF_MAX_LINE)
        strcat(text, " ");
    parse_ok(text, &cfg);
    assert_int_equal(cfg.assocs[0].burst, 1);
    CNF_Free(&cfg);
    free(text);

    /* Many one-character tokens: CNF_MAX_LINE / 2 of them. */
    text = malloc(CNF_MAX_LINE + 1);
    assert_non_null(text);
    for (size_t i = 0; i < CNF_MAX_LINE; i += 2) {
        text[i] = 'x';
        text[i + 1] = ' ';
    }
    text[CNF_MAX_LINE] = '\0';
    parse_err(text, NAME ":1: unknown directive 'x'");
    free(text);
}

/* ------------------------------------------------------------------------
 * server
 */

static void test_server_defaults(void **state)
{
    CNF_Config cfg;
    const CNF_Assoc *a;

    (void)state;
    parse_ok("server 192.0.2.1\n", &cfg);
    assert_int_equal(cfg.n_assocs, 1);
    a = &cfg.assocs[0];
    assert_int_equal(a->type, CNF_ASSOC_SERVER);
    assert_string_equal(a->host, "192.0.2.1");
    assert_int_equal(a->port, 123);
    assert_int_equal(a->iburst, 0);
    assert_int_equal(a->burst, 0);
    assert_int_equal(a->prefer, 0);
    assert_int_equal(a->minpoll, CNF_DEFAULT_MINPOLL);
    assert_int_equal(a->maxpoll, CNF_DEFAULT_MAXPOLL);
    assert_int_equal(a->version, 4);
    assert_int_equal(a->line, 1);
    CNF_Free(&cfg);
}

static void test_server_all_options(void **state)
{
    CNF_Config cfg;
    const CNF_Assoc *a;

    (void)state;
    parse_ok("server ntp.example.com port 10123 iburst burst minpoll 4 maxpoll 8 prefer "
             "version 3\n"
             "server 192.0.2.2 version 1 prefer maxpoll 12 port 1 minpoll 5 burst\n"
             "server 192.0.2.3 port 65535 version 2\n",
             &cfg);
    assert_int_equal(cfg.n_assocs, 3);
    a = &cfg.assocs[0];
    assert_string_equal(a->host, "ntp.example.com");
    assert_int_equal(a->port, 10123);
    assert_int_equal(a->iburst, 1);
    assert_int_equal(a->burst, 1);
    assert_int_equal(a->prefer, 1);
    assert_int_equal(a->minpoll, 4);
    assert_int_equal(a->maxpoll, 8);
    assert_int_equal(a->version, 3);
    assert_int_equal(a->line, 1);
    a = &cfg.assocs[1];
    assert_string_equal(a->host, "192.0.2.2");
    assert_int_equal(a->port, 1);
    assert_int_equal(a->iburst, 0);
    assert_int_equal(a->burst, 1);
    assert_int_equal(a->prefer, 1);
    assert_int_equal(a->minpoll, 5);
    assert_int_equal(a->maxpoll, 12);
    assert_int_equal(a->version, 1);
    assert_int_equal(a->line, 2);
    a = &cfg.assocs[2];
    assert_int_equal(a->port, 65535);
    assert_int_equal(a->version, 2);
    assert_int_equal(a->line, 3);
    CNF_Free(&cfg);
}

static void test_server_repeated_option(void **state)
{
    CNF_Config cfg;

    (void)state;
    /* The last value wins; flags may repeat. */
    parse_ok("server 192.0.2.1 minpoll 4 minpoll 5 iburst iburst version 2 version 3\n", &cfg);
    assert_int_equal(cfg.assocs[0].minpoll, 5);
    assert_int_equal(cfg.assocs[0].iburst, 1);
    assert_int_equal(cfg.assocs[0].version, 3);
    CNF_Free(&cfg);
}

static void test_server_poll_limits(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("server 192.0.2.1 minpoll 3 maxpoll 17\n"
             "server 192.0.2.2 minpoll 17 maxpoll 17\n"
             "server 192.0.2.3 minpoll 3 maxpoll 3\n"
             "server 192.0.2.4 minpoll 7 maxpoll 7\n",
             &cfg);
    assert_int_equal(cfg.assocs[0].minpoll, 3);
    assert_int_equal(cfg.assocs[0].maxpoll, 17);
    assert_int_equal(cfg.assocs[1].minpoll, 17);
    assert_int_equal(cfg.assocs[1].maxpoll, 17);
    assert_int_equal(cfg.assocs[2].minpoll, 3);
    assert_int_equal(cfg.assocs[2].maxpoll, 3);
    assert_int_equal(cfg.assocs[3].minpoll, 7);
    assert_int_equal(cfg.assocs[3].maxpoll, 7);
    CNF_Free(&cfg);
}

static void test_server_one_poll_bound(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("server 192.0.2.1 minpoll 12\n"   /* above default maxpoll: raises it */
             "server 192.0.2.2 minpoll 8\n"    /* below: default maxpoll stays */
             "server 192.0.2.3 maxpoll 4\n"    /* below default minpoll: lowers it */
             "server 192.0.2.4 maxpoll 12\n"   /* above: default minpoll stays */
             "server 192.0.2.5 minpoll 10\n"   /* equal to the default maxpoll */
             "server 192.0.2.6 maxpoll 17 minpoll 17\n",
             &cfg);
    assert_int_equal(cfg.assocs[0].minpoll, 12);
    assert_int_equal(cfg.assocs[0].maxpoll, 12);
    assert_int_equal(cfg.assocs[1].minpoll, 8);
    assert_int_equal(cfg.assocs[1].maxpoll, CNF_DEFAULT_MAXPOLL);
    assert_int_equal(cfg.assocs[2].minpoll, 4);
    assert_int_equal(cfg.assocs[2].maxpoll, 4);
    assert_int_equal(cfg.assocs[3].minpoll, CNF_DEFAULT_MINPOLL);
    assert_int_equal(cfg.assocs[3].maxpoll, 12);
    assert_int_equal(cfg.assocs[4].minpoll, 10);
    assert_int_equal(cfg.assocs[4].maxpoll, 10);
    assert_int_equal(cfg.assocs[5].minpoll, 17);
    assert_int_equal(cfg.assocs[5].maxpoll, 17);
    CNF_Free(&cfg);

    parse_err("server 192.0.2.1 minpoll 8 maxpoll 6\n",
              NAME ":1: minpoll 8 greater than maxpoll 6");
    parse_err("server 192.0.2.1\nserver 192.0.2.2 maxpoll 3 minpoll 4\n",
              NAME ":2: minpoll 4 greater than maxpoll 3");
}

static void test_server_bad_numbers(void **state)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        { "server 192.0.2.1 minpoll 2", "bad minpoll '2' (allowed 3..17)" },
        { "server 192.0.2.1 minpoll 18", "bad minpoll '18' (allowed 3..17)" },
        { "server 192.0.2.1 minpoll 0", "bad minpoll '0' (allowed 3..17)" },
        { "server 192.0.2.1 minpoll -6", "bad minpoll '-6' (allowed 3..17)" },
        { "server 192.0.2.1 minpoll +6", "bad minpoll '+6' (allowed 3..17)" },
        { "server 192.0.2.1 minpoll 6x", "bad minpoll '6x' (allowed 3..17)" },
        { "server 192.0.2.1 minpoll 0x6", "bad minpoll '0x6' (allowed 3..17)" },
        { "server 192.0.2.1 minpoll six", "bad minpoll 'six' (allowed 3..17)" },
        { "server 192.0.2.1 minpoll 6.0", "bad minpoll '6.0' (allowed 3..17)" },
        { "server 192.0.2.1 maxpoll 2", "bad maxpoll '2' (allowed 3..17)" },
        { "server 192.0.2.1 maxpoll 18", "bad maxpoll '18' (allowed 3..17)" },
        { "server 192.0.2.1 maxpoll 99999999999999999999999999",
          "bad maxpoll '99999999999999999999999999' (allowed 3..17)" },
        { "server 192.0.2.1 version 0", "bad version '0' (allowed 1..4)" },
        { "server 192.0.2.1 version 5", "bad version '5' (allowed 1..4)" },
        { "server 192.0.2.1 version 4.0", "bad version '4.0' (allowed 1..4)" },
        { "server 192.0.2.1 version v4", "bad version 'v4' (allowed 1..4)" },
        { "server 192.0.2.1 port 0", "bad port '0' (allowed 1..65535)" },
        { "server 192.0.2.1 port 65536", "bad port '65536' (allowed 1..65535)" },
        { "server 192.0.2.1 port 18446744073709551739",
          "bad port '18446744073709551739' (allowed 1..65535)" },
        { "server 192.0.2.1 port ntp", "bad port 'ntp' (allowed 1..65535)" },
        { "server 192.0.2.1 port 123a", "bad port '123a' (allowed 1..65535)" },
    };
    char msg[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(msg, sizeof(msg), NAME ":1: %s", cases[i].msg);
        parse_err(cases[i].text, msg);
    }
    /* Leading zeros are still decimal. */
    CNF_Config cfg;
    parse_ok("server 192.0.2.1 minpoll 010 port 00123", &cfg);
    assert_int_equal(cfg.assocs[0].minpoll, 10);
    assert_int_equal(cfg.assocs[0].port, 123);
    CNF_Free(&cfg);
}

static void test_server_option_errors(void **state)
{
    (void)state;
    parse_err("server", NAME ":1: missing argument to 'server'");
    parse_err("server   # host in a comment", NAME ":1: missing argument to 'server'");
    parse_err("server iburst", NAME ":1: missing address before 'iburst'");
    parse_err("server minpoll 4 192.0.2.1", NAME ":1: missing address before 'minpoll'");
    parse_err("server 192.0.2.1 minpoll", NAME ":1: missing value for 'minpoll'");
    parse_err("server 192.0.2.1 maxpoll", NAME ":1: missing value for 'maxpoll'");
    parse_err("server 192.0.2.1 version", NAME ":1: missing value for 'version'");
    parse_err("server 192.0.2.1 iburst port", NAME ":1: missing value for 'port'");
    parse_err("server 192.0.2.1 ibust", NAME ":1: unknown server option 'ibust'");
    parse_err("server 192.0.2.1 IBURST", NAME ":1: unknown server option 'IBURST'");
    parse_err("server 192.0.2.1 192.0.2.2", NAME ":1: unknown server option '192.0.2.2'");
    parse_err("server 192.0.2.1 iburst 6", NAME ":1: unknown server option '6'");
    /* Errors come out in the order they are written. */
    parse_err("server 300.1.2.3 ibust", NAME ":1: bad address '300.1.2.3'");
    parse_err("server 192.0.2.1 ibust minpoll 99", NAME ":1: unknown server option 'ibust'");
    /* An option value is consumed: "minpoll iburst" is a bad number. */
    parse_err("server 192.0.2.1 minpoll iburst 6",
              NAME ":1: bad minpoll 'iburst' (allowed 3..17)");
}

static void test_server_ipv4(void **state)
{
    (void)state;
    assert_string_equal(server_host("server 192.0.2.1"), "192.0.2.1");
    assert_string_equal(server_host("server 0.0.0.0"), "0.0.0.0");
    assert_string_equal(server_host("server 255.255.255.255"), "255.255.255.255");
    assert_string_equal(server_host("server 127.0.0.1"), "127.0.0.1");

    bad_address("300.1.2.3");
    bad_address("256.0.0.1");
    bad_address("1.2.3");
    bad_address("1.2");
    bad_address("123");
    bad_address("2130706433");
    bad_address("1.2.3.4.5");
    bad_address("1..2.3");
    bad_address("1.2.3.4.");
    bad_address(".1.2.3.4");
    bad_address("01.2.3.4");
    bad_address(".");
    bad_address("...");
}

static void test_server_ipv6(void **state)
{
    (void)state;
    assert_string_equal(server_host("server ::1"), "::1");
    assert_string_equal(server_host("server ::"), "::");
    assert_string_equal(server_host("server 2001:db8::1"), "2001:db8::1");
    assert_string_equal(server_host("server 2001:DB8:0:0:8:800:200C:417A"),
                        "2001:DB8:0:0:8:800:200C:417A");
    assert_string_equal(server_host("server fe80::1:2:3:4"), "fe80::1:2:3:4");
    assert_string_equal(server_host("server ::ffff:192.0.2.1"), "::ffff:192.0.2.1");
    /* Brackets are accepted and dropped. */
    assert_string_equal(server_host("server [2001:db8::1] iburst"), "2001:db8::1");
    assert_string_equal(server_host("server [::1]"), "::1");
    assert_string_equal(server_host("server [::ffff:192.0.2.1]"), "::ffff:192.0.2.1");
    assert_string_equal(
        server_host("server [0000:0000:0000:0000:0000:ffff:255.255.255.255]"),
        "0000:0000:0000:0000:0000:ffff:255.255.255.255");

    bad_address("2001:db8:::1");
    bad_address("1::2::3");
    bad_address("1:2");
    bad_address("1:2:3:4:5:6:7:8:9");
    bad_address("2001:db8::g");
    bad_address(":::");
    bad_address("::1:");
    bad_address("fe80::1%eth0");
    bad_address("pool.ntp.org:123");
    bad_address("192.0.2.1:123");
    bad_address("[::1");
    bad_address("::1]");
    bad_address("[]");
    bad_address("[");
    bad_address("[192.0.2.1]");
    bad_address("[pool.ntp.org]");
    bad_address("[::1]:123");
    bad_address("[[::1]]");
    bad_address("[0000:0000:0000:0000:0000:ffff:255.255.255.255:1]");
    bad_address("[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]");
}

static void test_server_names(void **state)
{
    char text[600], name[300];
    char *label63 = repeat('a', 63), *label64 = repeat('a', 64);

    (void)state;
    assert_string_equal(server_host("server pool.ntp.org"), "pool.ntp.org");
    assert_string_equal(server_host("server 0.debian.pool.ntp.org"), "0.debian.pool.ntp.org");
    assert_string_equal(server_host("server localhost"), "localhost");
    assert_string_equal(server_host("server a"), "a");
    assert_string_equal(server_host("server NTP-1.Example.COM"), "NTP-1.Example.COM");
    assert_string_equal(server_host("server 3com.com"), "3com.com");
    assert_string_equal(server_host("server a--b.example"), "a--b.example");
    assert_string_equal(server_host("server pool.ntp.org."), "pool.ntp.org.");
    /* A numeric-looking name that is not all digits and dots is a name. */
    assert_string_equal(server_host("server 1.2.3.4a"), "1.2.3.4a");

    /* Label of 63 is fine, 64 is not. */
    snprintf(text, sizeof(text), "server %s.example", label63);
    snprintf(name, sizeof(name), "%s.example", label63);
    assert_string_equal(server_host(text), name);
    snprintf(name, sizeof(name), "%s.example", label64);
    bad_address(name);
    snprintf(name, sizeof(name), "x.%s", label64);
    bad_address(name);

    /* 253 characters in all is fine (plus an optional final dot), 254 is not. */
    snprintf(name, sizeof(name), "%s.%s.%s.%s", label63, label63, label63, label63);
    name[253] = '\0';
    assert_int_equal(strlen(name), 253);
    snprintf(text, sizeof(text), "server %s", name);
    assert_string_equal(server_host(text), name);
    strcat(name, ".");
    snprintf(text, sizeof(text), "server %s", name);
    assert_string_equal(server_host(text), name);
    name[253] = 'a';
    assert_int_equal(strlen(name), 254);
    bad_address(name);

    bad_address("-ntp.example");
    bad_address("ntp-.example");
    bad_address("ntp.example-");
    bad_address("ntp.-example");
    bad_address("-");
    bad_address("a..b");
    bad_address(".example");
    bad_address("example..");
    bad_address("ntp_1.example");
    bad_address("ntp.ex*ample");
    bad_address("ntp/1");
    bad_address("host,example");
    bad_address("\xc3\xa9t\xc3\xa9.example");
    bad_address("'quoted'");
    free(label63);
    free(label64);
}

static void test_many_servers(void **state)
{
    CNF_Config cfg;
    char *text = malloc(200 * 40);
    size_t off = 0;

    (void)state;
    assert_non_null(text);
    for (int i = 0; i < 200; i++)
        off += (size_t)sprintf(text + off, "server 10.0.%d.%d iburst\n", i / 256, i % 256);
    parse_ok(text, &cfg);
    assert_int_equal(cfg.n_assocs, 200);
    assert_string_equal(cfg.assocs[199].host, "10.0.0.199");
    assert_int_equal(cfg.assocs[199].line, 200);
    CNF_Free(&cfg);

    /* An error after many successful lines frees them all (ASan checks). */
    strcpy(text + off, "server 10.0.0.300\n");
    parse_err(text, NAME ":201: bad address '10.0.0.300'");
    free(text);
}

/* ------------------------------------------------------------------------
 * port, driftfile, logfile
 */

static void test_port(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("port 1123\n", &cfg);
    assert_int_equal(cfg.port, 1123);
    CNF_Free(&cfg);
    parse_ok("port 1\n", &cfg);
    assert_int_equal(cfg.port, 1);
    CNF_Free(&cfg);
    parse_ok("port 65535\nport 124\n", &cfg);  /* the last one wins */
    assert_int_equal(cfg.port, 124);
    CNF_Free(&cfg);

    parse_err("port 0", NAME ":1: bad port '0' (allowed 1..65535)");
    parse_err("port 65536", NAME ":1: bad port '65536' (allowed 1..65535)");
    parse_err("port ntp", NAME ":1: bad port 'ntp' (allowed 1..65535)");
    parse_err("port -1", NAME ":1: bad port '-1' (allowed 1..65535)");
    parse_err("port", NAME ":1: missing argument to 'port'");
    parse_err("port 123 456", NAME ":1: too many arguments to 'port'");
}

static void test_interface_listen(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("port 1123\n", &cfg);
    assert_null(cfg.listen4);
    assert_null(cfg.listen6);
    CNF_Free(&cfg);
    parse_ok("interface listen 127.0.0.1\ninterface listen ::1\n", &cfg);
    assert_string_equal(cfg.listen4, "127.0.0.1");
    assert_string_equal(cfg.listen6, "::1");
    CNF_Free(&cfg);
    parse_ok("interface listen 2001:db8::5\n", &cfg);
    assert_null(cfg.listen4);
    assert_string_equal(cfg.listen6, "2001:db8::5");
    CNF_Free(&cfg);

    parse_err("interface listen 127.0.0.1\ninterface listen 127.0.0.2",
              NAME ":2: a second IPv4 listen address '127.0.0.2' (one per family)");
    parse_err("interface listen ::1\ninterface listen ::2",
              NAME ":2: a second IPv6 listen address '::2' (one per family)");
    parse_err("interface listen localhost",
              NAME ":1: bad listen address 'localhost' (a numeric IPv4 or IPv6 address)");
    parse_err("interface ignore wildcard",
              NAME ":1: 'interface ignore' is not supported (only 'interface listen ADDRESS')");
    parse_err("interface listen", NAME ":1: missing argument to 'interface'");
}

static void test_paths(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("driftfile /var/lib/ntp/ntp.drift\nlogfile /var/log/ntp.log\n", &cfg);
    assert_string_equal(cfg.driftfile, "/var/lib/ntp/ntp.drift");
    assert_string_equal(cfg.logfile, "/var/log/ntp.log");
    CNF_Free(&cfg);

    /* Repeats override (and the old value is freed: ASan checks). */
    parse_ok("driftfile /a\ndriftfile /b\nlogfile /c\nlogfile /d\n", &cfg);
    assert_string_equal(cfg.driftfile, "/b");
    assert_string_equal(cfg.logfile, "/d");
    CNF_Free(&cfg);

    parse_err("driftfile", NAME ":1: missing argument to 'driftfile'");
    parse_err("logfile\t# none", NAME ":1: missing argument to 'logfile'");
    parse_err("driftfile /a /b", NAME ":1: too many arguments to 'driftfile'");
    parse_err("logfile /a /b", NAME ":1: too many arguments to 'logfile'");
    /* Error after values were set: they are freed too. */
    parse_err("driftfile /a\nlogfile /b\nagentx socket /c\nbogus",
              NAME ":4: unknown directive 'bogus'");
}

/* ------------------------------------------------------------------------
 * agentx
 */

static void test_agentx(void **state)
{
    CNF_Config cfg;

    (void)state;
    parse_ok("agentx off\n", &cfg);
    assert_int_equal(cfg.agentx_enabled, 0);
    assert_null(cfg.agentx_socket);
    CNF_Free(&cfg);

    parse_ok("agentx socket /var/agentx/master\n", &cfg);
    assert_int_equal(cfg.agentx_enabled, 1);
    assert_string_equal(cfg.agentx_socket, "/var/agentx/master");
    CNF_Free(&cfg);

    parse_ok("agentx socket tcp:localhost:705\n", &cfg);
    assert_string_equal(cfg.agentx_socket, "tcp:localhost:705");
    CNF_Free(&cfg);

    parse_ok("agentx socket tcp:[::1]:705\n", &cfg);
    assert_string_equal(cfg.agentx_socket, "tcp:[::1]:705");
    CNF_Free(&cfg);

    /* The last directive wins, both ways. */
    parse_ok("agentx off\nagentx socket /a\nagentx socket /b\n", &cfg);
    assert_int_equal(cfg.agentx_enabled, 1);
    assert_string_equal(cfg.agentx_socket, "/b");
    CNF_Free(&cfg);
    parse_ok("agentx socket /a\nagentx off\n", &cfg);
    assert_int_equal(cfg.agentx_enabled, 0);
    CNF_Free(&cfg);
}

static void test_agentx_errors(void **state)
{
    (void)state;
    parse_err("agentx", NAME ":1: missing argument to 'agentx'");
    parse_err("agentx socket", NAME ":1: missing argument to 'agentx socket'");
    parse_err("agentx on", NAME ":1: bad agentx arguments (expected 'off' or 'socket PATH')");
    parse_err("agentx /var/agentx/master",
              NAME ":1: bad agentx arguments (expected 'off' or 'socket PATH')");
    parse_err("agentx off now", NAME ":1: bad agentx arguments (expected 'off' or 'socket PATH')");
    parse_err("agentx socket /a /b", NAME ":1: too many arguments to 'agentx'");
    parse_err("agentx socket tcp:localhost",
              NAME ":1: bad agentx socket 'tcp:localhost' (expected tcp:HOST:PORT)");
    parse_err("agentx socket tcp::705",
              NAME ":1: bad agentx socket 'tcp::705' (expected tcp:HOST:PORT)");
    parse_err("agentx socket tcp:localhost:0",
              NAME ":1: bad agentx port '0' (allowed 1..65535)");
    parse_err("agentx socket tcp:localhost:",
              NAME ":1: bad agentx port '' (allowed 1..65535)");
    parse_err("agentx socket tcp:localhost:snmp",
              NAME ":1: bad agentx port 'snmp' (allowed 1..65535)");
}

/* ------------------------------------------------------------------------
 * Errors in general
 */

static void test_unknown_directive(void **state)
{
    (void)state;
    parse_err("foo", NAME ":1: unknown directive 'foo'");
    parse_err("foo bar baz\n", NAME ":1: unknown directive 'foo'");
    parse_err("Server 192.0.2.1", NAME ":1: unknown directive 'Server'");
    parse_err("server192.0.2.1", NAME ":1: unknown directive 'server192.0.2.1'");
    parse_err("# comment\n"
              "\n"
              "server 192.0.2.1 iburst\n"
              "   # another\n"
              "\t\n"
              "filegen peerstats\n",
              NAME ":6: unknown directive 'filegen'");
    /* Only the first error is reported. */
    parse_err("\nfoo\nbar\n", NAME ":2: unknown directive 'foo'");
}

static void test_error_line_numbers(void **state)
{
    (void)state;
    parse_err("server 192.0.2.1 minpoll 2\n", NAME ":1: bad minpoll '2' (allowed 3..17)");
    parse_err("\n\n\nserver 192.0.2.1 minpoll 2\n", NAME ":4: bad minpoll '2' (allowed 3..17)");
    parse_err("# a\n# b\nport 1\nport 0", NAME ":4: bad port '0' (allowed 1..65535)");
    parse_err("server 192.0.2.1\nserver 1.2.3\nserver 192.0.2.3\n",
              NAME ":2: bad address '1.2.3'");
    parse_err("driftfile /d\n\n\n\n\n\n\n\n\nlogfile\n", NAME ":10: missing argument to 'logfile'");
    /* A stray CR alone does not end a line. */
    parse_err("port 1\rport 0\nbogus", NAME ":1: too many arguments to 'port'");
}

static void test_error_buffer(void **state)
{
    CNF_Config cfg;
    char small[16];

    (void)state;
    /* Truncated, NUL-terminated, nothing written past errlen. */
    memset(small, 'Z', sizeof(small));
    assert_int_equal(CNF_ParseString("unknown_directive_here", NAME, &cfg, small, 10), -1);
    assert_string_equal(small, "t.conf:1:");
    assert_int_equal(small[10], 'Z');
    memset(small, 'Z', sizeof(small));
    assert_int_equal(CNF_ParseString("unknown_directive_here", "a-very-long-file-name.conf",
                                     &cfg, small, 5), -1);
    assert_string_equal(small, "a-ve");
    assert_int_equal(small[5], 'Z');
    memset(small, 'Z', sizeof(small));
    assert_int_equal(CNF_ParseString("bogus", NAME, &cfg, small, 1), -1);
    assert_int_equal(small[0], '\0');
    assert_int_equal(small[1], 'Z');
    /* No buffer at all. */
    assert_int_equal(CNF_ParseString("bogus", NAME, &cfg, NULL, 0), -1);
    assert_true(is_zeroed(&cfg));
    memset(small, 'Z', sizeof(small));
    assert_int_equal(CNF_ParseString("bogus", NAME, &cfg, small, 0), -1);
    assert_int_equal(small[0], 'Z');
    assert_int_equal(CNF_ParseString("port 1", NAME, &cfg, NULL, 0), 0);
    assert_int_equal(cfg.port, 1);
    CNF_Free(&cfg);
    /* A very long bad token is cut, not overrun. */
    char *tok = repeat('z', 4000), *text = malloc(4100);
    assert_non_null(text);
    sprintf(text, "%s\n", tok);
    assert_int_equal(CNF_ParseString(text, NAME, &cfg, errbuf, 64), -1);
    assert_int_equal(strlen(errbuf), 63);
    assert_memory_equal(errbuf, "t.conf:1: unknown directive 'zzz", 32);
    free(tok);
    free(text);
}

static void test_cnf_free(void **state)
{
    CNF_Config cfg;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    CNF_Free(&cfg);
    CNF_Free(&cfg);
    CNF_Free(NULL);
    assert_true(is_zeroed(&cfg));

    parse_ok("server 192.0.2.1\nserver ::1\ndriftfile /d\nlogfile /l\nagentx socket /s\n", &cfg);
    CNF_Free(&cfg);
    assert_true(is_zeroed(&cfg));
    CNF_Free(&cfg);
}

/* ------------------------------------------------------------------------
 * CNF_ParseFile
 */

static void test_file_ok(void **state)
{
    static const char text[] = "# ntp.conf\r\n"
                               "server 192.0.2.1 iburst\r\n"
                               "\r\n"
                               "server [2001:db8::1] prefer\r\n"
                               "driftfile /var/lib/ntp/drift";
    CNF_Config cfg;
    const char *path;

    (void)state;
    path = temp_file(text, sizeof(text) - 1);
    strcpy(errbuf, "stale");
    assert_int_equal(CNF_ParseFile(path, &cfg, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(errbuf, "");
    assert_string_equal(cfg.path, path);
    assert_int_equal(cfg.n_assocs, 2);
    assert_string_equal(cfg.assocs[0].host, "192.0.2.1");
    assert_int_equal(cfg.assocs[0].line, 2);
    assert_string_equal(cfg.assocs[1].host, "2001:db8::1");
    assert_int_equal(cfg.assocs[1].prefer, 1);
    assert_int_equal(cfg.assocs[1].line, 4);
    assert_string_equal(cfg.driftfile, "/var/lib/ntp/drift");
    CNF_Free(&cfg);
    unlink(path);

    /* Empty file: defaults. */
    path = temp_file("", 0);
    assert_int_equal(CNF_ParseFile(path, &cfg, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(cfg.n_assocs, 0);
    assert_int_equal(cfg.port, 123);
    assert_int_equal(cfg.agentx_enabled, 1);
    CNF_Free(&cfg);
    unlink(path);
}

static void test_file_large(void **state)
{
    CNF_Config cfg;
    const char *path;
    size_t n = 3000, off = 0;
    char *text = malloc(n * 40);

    (void)state;
    assert_non_null(text);
    /* Well past the reader's first buffers, so it has to grow a few times. */
    for (size_t i = 0; i < n; i++)
        off += (size_t)sprintf(text + off, "server 10.%zu.%zu.1 # %zu\n", i / 256, i % 256, i);
    path = temp_file(text, off);
    assert_int_equal(CNF_ParseFile(path, &cfg, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(cfg.n_assocs, n);
    assert_string_equal(cfg.assocs[n - 1].host, "10.11.183.1");
    assert_int_equal(cfg.assocs[n - 1].line, (int)n);
    CNF_Free(&cfg);
    unlink(path);
    free(text);
}

static void test_file_errors(void **state)
{
    static const char text[] = "server 192.0.2.1\n# fine so far\nserver 192.0.2.2 minpoll 99\n";
    CNF_Config cfg;
    const char *path;
    char expect[256];

    (void)state;
    path = temp_file(text, sizeof(text) - 1);
    memset(&cfg, 0xa5, sizeof(cfg));
    assert_int_equal(CNF_ParseFile(path, &cfg, errbuf, sizeof(errbuf)), -1);
    snprintf(expect, sizeof(expect), "%s:3: bad minpoll '99' (allowed 3..17)", path);
    assert_string_equal(errbuf, expect);
    assert_true(is_zeroed(&cfg));
    unlink(path);

    /* A NUL byte is reported, not taken for the end of the file. */
    static const char nul[] = "server 192.0.2.1\nport 12\0003\n";
    path = temp_file(nul, sizeof(nul) - 1);
    assert_int_equal(CNF_ParseFile(path, &cfg, errbuf, sizeof(errbuf)), -1);
    snprintf(expect, sizeof(expect), "%s:2: invalid character 0x00", path);
    assert_string_equal(errbuf, expect);
    assert_true(is_zeroed(&cfg));
    unlink(path);

    /* ...but ignored inside a comment. */
    static const char nul_comment[] = "# a\000b\nport 12\n";
    path = temp_file(nul_comment, sizeof(nul_comment) - 1);
    assert_int_equal(CNF_ParseFile(path, &cfg, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(cfg.port, 12);
    CNF_Free(&cfg);
    unlink(path);
}

static void test_file_unreadable(void **state)
{
    CNF_Config cfg;
    char dir[] = "/tmp/test_conf_dir.XXXXXX";
    char expect[256];

    (void)state;
    memset(&cfg, 0xa5, sizeof(cfg));
    assert_int_equal(CNF_ParseFile("/nonexistent-cntpd/ntp.conf", &cfg, errbuf, sizeof(errbuf)),
                     -1);
    assert_string_equal(errbuf,
                        "/nonexistent-cntpd/ntp.conf: cannot read: No such file or directory");
    assert_true(is_zeroed(&cfg));

    assert_non_null(mkdtemp(dir));
    memset(&cfg, 0xa5, sizeof(cfg));
    assert_int_equal(CNF_ParseFile(dir, &cfg, errbuf, sizeof(errbuf)), -1);
    snprintf(expect, sizeof(expect), "%s: cannot read: Is a directory", dir);
    assert_string_equal(errbuf, expect);
    assert_true(is_zeroed(&cfg));
    rmdir(dir);

    /* Truncation applies here too. */
    assert_int_equal(CNF_ParseFile("/nonexistent-cntpd/ntp.conf", &cfg, errbuf, 12), -1);
    assert_string_equal(errbuf, "/nonexisten");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_null_name),
        cmocka_unit_test(test_comments_and_blank_lines),
        cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_crlf_and_last_line),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_server_defaults),
        cmocka_unit_test(test_server_all_options),
        cmocka_unit_test(test_server_repeated_option),
        cmocka_unit_test(test_server_poll_limits),
        cmocka_unit_test(test_server_one_poll_bound),
        cmocka_unit_test(test_server_bad_numbers),
        cmocka_unit_test(test_server_option_errors),
        cmocka_unit_test(test_server_ipv4),
        cmocka_unit_test(test_server_ipv6),
        cmocka_unit_test(test_server_names),
        cmocka_unit_test(test_many_servers),
        cmocka_unit_test(test_port),
        cmocka_unit_test(test_interface_listen),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_agentx),
        cmocka_unit_test(test_agentx_errors),
        cmocka_unit_test(test_unknown_directive),
        cmocka_unit_test(test_error_line_numbers),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_cnf_free),
        cmocka_unit_test(test_file_ok),
        cmocka_unit_test(test_file_large),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_file_unreadable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
