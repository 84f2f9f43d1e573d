/*
 * Unit tests for access: parsing of `restrict` (every flag, masks, /LEN,
 * -4/-6 default, source, every error message), and matching (most specific
 * rule wins, default fallback per family, merged duplicates, ntpport,
 * v4-mapped sources and rules, multicast sources, hundreds of rules checked
 * against a brute-force longest match, the `restrict source` template).
 * ACC_Match: whether any rule matched (mode 6 answers only those and
 * loopback). The flag names and bits are listed here independently of
 * access.c.
 *
 * Links: access addr mem log textfile
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

#include "access.h"

static const struct {
    const char *name;
    unsigned bit;
} flags[] = {
    { "ignore", ACC_IGNORE },       { "noserve", ACC_NOSERVE },   { "nopeer", ACC_NOPEER },
    { "noepeer", ACC_NOEPEER },     { "noquery", ACC_NOQUERY },   { "nomodify", ACC_NOMODIFY },
    { "notrap", ACC_NOTRAP },       { "lowpriotrap", ACC_LOWPRIOTRAP },
    { "notrust", ACC_NOTRUST },     { "limited", ACC_LIMITED },   { "kod", ACC_KOD },
    { "nomrulist", ACC_NOMRULIST }, { "version", ACC_VERSION },
};
#define N_FLAGS (sizeof flags / sizeof flags[0])

/* Split `line` at blanks and parse it. */
static int parse(const char *line, ACC_Rule *r, char *err, size_t errlen)
{
    char buf[1024], *argv[128], *save = NULL;
    int argc = 0;

    snprintf(buf, sizeof buf, "%s", line);
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    return ACC_ParseRestrict(argc, argv, r, err, errlen);
}

static ACC_Rule parse_ok(const char *line)
{
    char err[ACC_ERRLEN];
    ACC_Rule r;

    if (parse(line, &r, err, sizeof err) != 0)
        fail_msg("'%s' refused: %s", line, err);
    assert_string_equal(err, "");
    return r;
}

/* The message must be exactly `expect` (no file:line prefix). */
static void parse_err(const char *line, const char *expect)
{
    char err[ACC_ERRLEN];
    ACC_Rule r;

    if (parse(line, &r, err, sizeof err) != -1)
        fail_msg("'%s' accepted", line);
    if (strcmp(err, expect) != 0)
        fail_msg("'%s': got \"%s\", expected \"%s\"", line, err, expect);
}

static const char *host(const ACC_Rule *r, char *buf, size_t len)
{
    return ADDR_HostString(&r->addr, buf, len);
}

static NTP_Addr mkaddr(const char *text, uint16_t port)
{
    NTP_Addr a;

    if (ADDR_Parse(text, port, &a) != 0)
        fail_msg("bad test address %s", text);
    return a;
}

static unsigned check_port(const char *text, uint16_t port)
{
    NTP_Addr a = mkaddr(text, port);

    return ACC_Check(&a);
}

static unsigned check(const char *text)
{
    return check_port(text, 40000);
}

/* Configure the rules from restrict lines. */
static void set_lines(const char *const *lines, size_t n)
{
    ACC_Rule rules[64];

    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++)
        rules[i] = parse_ok(lines[i]);
    ACC_SetRules(rules, n);
}
#define SET(...)                                                                  \
    do {                                                                          \
        static const char *const lines_[] = { __VA_ARGS__ };                      \
        set_lines(lines_, sizeof lines_ / sizeof lines_[0]);                      \
    } while (0)

static int teardown(void **state)
{
    (void)state;
    ACC_Fini();
    return 0;
}

/* ------------------------------------------------------------------------
 * Parsing.
 */

static void test_parse_every_flag(void **state)
{
    char line[128], buf[64];

    (void)state;
    for (size_t i = 0; i < N_FLAGS; i++) {
        ACC_Rule r;

        snprintf(line, sizeof line, "restrict 192.0.2.1 %s", flags[i].name);
        r = parse_ok(line);
        assert_int_equal(r.type, ACC_RULE_ADDRESS);
        assert_int_equal(r.family, AF_INET);
        assert_int_equal(r.prefix_len, 32);
        assert_int_equal(r.ntpport, 0);
        assert_int_equal(r.flags, flags[i].bit);
        assert_string_equal(host(&r, buf, sizeof buf), "192.0.2.1");
    }
}

static void test_parse_all_flags_and_ntpport(void **state)
{
    char line[512];
    unsigned all = 0;
    size_t used;
    ACC_Rule r;

    (void)state;
    used = (size_t)snprintf(line, sizeof line, "restrict 2001:db8::1");
    for (size_t i = 0; i < N_FLAGS; i++) {
        used += (size_t)snprintf(line + used, sizeof line - used, " %s", flags[i].name);
        all |= flags[i].bit;
    }
    snprintf(line + used, sizeof line - used, " ntpport kod");    /* repeats are harmless */
    r = parse_ok(line);
    assert_int_equal(r.flags, all);
    assert_int_equal(r.ntpport, 1);
    assert_int_equal(r.family, AF_INET6);
    assert_int_equal(r.prefix_len, 128);

    /* Distinct bits: no two flags share one. */
    for (size_t i = 0; i < N_FLAGS; i++)
        for (size_t j = i + 1; j < N_FLAGS; j++)
            assert_int_equal(flags[i].bit & flags[j].bit, 0);

    r = parse_ok("restrict 192.0.2.1");
    assert_int_equal(r.flags, 0);
}

static void test_parse_default_and_source(void **state)
{
    ACC_Rule r;

    (void)state;
    r = parse_ok("restrict default kod limited nomodify notrap nopeer noquery");
    assert_int_equal(r.type, ACC_RULE_DEFAULT);
    assert_int_equal(r.family, AF_UNSPEC);
    assert_int_equal(r.flags,
                     ACC_KOD | ACC_LIMITED | ACC_NOMODIFY | ACC_NOTRAP | ACC_NOPEER | ACC_NOQUERY);

    r = parse_ok("restrict -4 default ignore");
    assert_int_equal(r.type, ACC_RULE_DEFAULT);
    assert_int_equal(r.family, AF_INET);
    assert_int_equal(r.flags, ACC_IGNORE);

    r = parse_ok("restrict -6 default noserve");
    assert_int_equal(r.type, ACC_RULE_DEFAULT);
    assert_int_equal(r.family, AF_INET6);
    assert_int_equal(r.flags, ACC_NOSERVE);

    r = parse_ok("restrict default");
    assert_int_equal(r.type, ACC_RULE_DEFAULT);
    assert_int_equal(r.flags, 0);

    r = parse_ok("restrict default ntpport ignore");
    assert_int_equal(r.ntpport, 1);

    r = parse_ok("restrict source nomodify noquery");
    assert_int_equal(r.type, ACC_RULE_SOURCE);
    assert_int_equal(r.family, AF_UNSPEC);
    assert_int_equal(r.flags, ACC_NOMODIFY | ACC_NOQUERY);
}

static void expect_net(const char *line, const char *net, int family, int len)
{
    char buf[64];
    ACC_Rule r = parse_ok(line);

    assert_int_equal(r.type, ACC_RULE_ADDRESS);
    assert_int_equal(r.family, family);
    assert_int_equal(r.prefix_len, len);
    assert_string_equal(host(&r, buf, sizeof buf), net);
    assert_int_equal(ADDR_Port(&r.addr), 0);
}

static void test_parse_masks(void **state)
{
    (void)state;
    expect_net("restrict 192.0.2.0 mask 255.255.255.0", "192.0.2.0", AF_INET, 24);
    expect_net("restrict 192.0.2.1 mask 255.255.255.255", "192.0.2.1", AF_INET, 32);
    expect_net("restrict 192.0.2.128 mask 255.255.255.128", "192.0.2.128", AF_INET, 25);
    expect_net("restrict 172.16.0.0 mask 255.240.0.0", "172.16.0.0", AF_INET, 12);
    expect_net("restrict 0.0.0.0 mask 0.0.0.0", "0.0.0.0", AF_INET, 0);
    /* Host bits beyond the mask are cleared, as ntpd does. */
    expect_net("restrict 192.0.2.77 mask 255.255.255.0", "192.0.2.0", AF_INET, 24);
    expect_net("restrict 10.1.2.3 mask 255.0.0.0 nomodify", "10.0.0.0", AF_INET, 8);

    expect_net("restrict 2001:db8:1:2:: mask ffff:ffff:ffff:ffff::", "2001:db8:1:2::", AF_INET6,
               64);
    expect_net("restrict 2001:db8::1 mask ffff:ffff::", "2001:db8::", AF_INET6, 32);
    expect_net("restrict 2001:db8::ff mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0",
               "2001:db8::f0", AF_INET6, 124);
    expect_net("restrict 2001:db8::1 mask ::", "::", AF_INET6, 0);
    expect_net("restrict [2001:db8::1]", "2001:db8::1", AF_INET6, 128);
}

static void test_parse_cidr(void **state)
{
    (void)state;
    expect_net("restrict 10.0.0.0/8", "10.0.0.0", AF_INET, 8);
    expect_net("restrict 10.1.2.3/16 noquery", "10.1.0.0", AF_INET, 16);
    expect_net("restrict 192.0.2.1/32", "192.0.2.1", AF_INET, 32);
    expect_net("restrict 192.0.2.1/0", "0.0.0.0", AF_INET, 0);
    expect_net("restrict 198.51.100.200/29", "198.51.100.200", AF_INET, 29);
    expect_net("restrict 198.51.100.201/30", "198.51.100.200", AF_INET, 30);
    expect_net("restrict 2001:db8::/32", "2001:db8::", AF_INET6, 32);
    expect_net("restrict 2001:db8:abcd:12ff::1/60", "2001:db8:abcd:12f0::", AF_INET6, 60);
    expect_net("restrict 2001:db8::1/128", "2001:db8::1", AF_INET6, 128);
    expect_net("restrict ::ffff:192.0.2.0/120", "::ffff:192.0.2.0", AF_INET6, 120);
    expect_net("restrict -4 10.0.0.0/8", "10.0.0.0", AF_INET, 8);
    expect_net("restrict -6 2001:db8::/48", "2001:db8::", AF_INET6, 48);
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *line, *msg;
    } cases[] = {
        { "restrict", "missing address after 'restrict'" },
        { "restrict -4", "missing address after 'restrict -4'" },
        { "restrict -6", "missing address after 'restrict -6'" },
        { "restrict ntp.example.com",
          "bad address 'ntp.example.com' (expected default, source or a numeric IPv4/IPv6 "
          "address; host names are not resolved)" },
        { "restrict 300.1.2.3 nomodify",
          "bad address '300.1.2.3' (expected default, source or a numeric IPv4/IPv6 "
          "address; host names are not resolved)" },
        { "restrict 2001:db8::1::2",
          "bad address '2001:db8::1::2' (expected default, source or a numeric IPv4/IPv6 "
          "address; host names are not resolved)" },
        { "restrict nomodify",
          "bad address 'nomodify' (expected default, source or a numeric IPv4/IPv6 "
          "address; host names are not resolved)" },
        { "restrict -5 default", "unknown option '-5' (expected -4 or -6 before the address)" },
        { "restrict -4 -6 default", "unknown option '-6' (expected -4 or -6 before the address)" },
        { "restrict -6 192.0.2.1", "'192.0.2.1' is not an IPv6 (-6) address" },
        { "restrict -4 2001:db8::1", "'2001:db8::1' is not an IPv4 (-4) address" },
        { "restrict -4 source", "-4/-6 cannot be used with 'restrict source'" },
        { "restrict 192.0.2.0 mask", "missing value for 'mask'" },
        { "restrict 192.0.2.0 mask 255.0.255.0",
          "mask '255.0.255.0' is not contiguous (only prefix masks are supported)" },
        { "restrict 2001:db8:: mask ffff::ffff",
          "mask 'ffff::ffff' is not contiguous (only prefix masks are supported)" },
        { "restrict 192.0.2.0 mask ffff::",
          "bad mask 'ffff::' (expected an IPv4 mask like 255.255.255.0)" },
        { "restrict 192.0.2.0 mask 24",
          "bad mask '24' (expected an IPv4 mask like 255.255.255.0)" },
        { "restrict 2001:db8:: mask 255.255.0.0",
          "bad mask '255.255.0.0' (expected an IPv6 mask like ffff:ffff:ffff:ffff::)" },
        { "restrict default mask 0.0.0.0", "'mask' only follows an address, not 'default'" },
        { "restrict source mask 0.0.0.0", "'mask' only follows an address, not 'source'" },
        { "restrict 10.0.0.0/8 mask 255.0.0.0",
          "both a prefix length and 'mask' given for '10.0.0.0/8'" },
        { "restrict 10.0.0.0/33", "bad prefix length '33' in '10.0.0.0/33' (allowed 0..32)" },
        { "restrict 10.0.0.0/", "bad prefix length '' in '10.0.0.0/' (allowed 0..32)" },
        { "restrict 10.0.0.0/x8", "bad prefix length 'x8' in '10.0.0.0/x8' (allowed 0..32)" },
        { "restrict 10.0.0.0/-1", "bad prefix length '-1' in '10.0.0.0/-1' (allowed 0..32)" },
        { "restrict 10.0.0.0/8/8", "bad prefix length '8/8' in '10.0.0.0/8/8' (allowed 0..32)" },
        { "restrict 2001:db8::/129",
          "bad prefix length '129' in '2001:db8::/129' (allowed 0..128)" },
        { "restrict 192.0.2.1 nomodify mask 255.255.255.0",
          "'mask' must directly follow the address" },
        { "restrict default nomodify mask 0.0.0.0", "'mask' only follows an address" },
        { "restrict source ntpport", "'ntpport' cannot be used with 'restrict source'" },
        { "restrict 192.0.2.1 mssntp", "restrict option 'mssntp' is not supported by cntpd" },
        { "restrict default flake", "restrict option 'flake' is not supported by cntpd" },
        { "restrict default ippeerlimit 2",
          "restrict option 'ippeerlimit' is not supported by cntpd" },
        { "restrict default serverresponse fuzz",
          "restrict option 'serverresponse' is not supported by cntpd" },
        { "restrict 192.0.2.1 nomodify bogus",
          "unknown restrict flag 'bogus' (expected ignore, noserve, nopeer, noepeer, noquery, "
          "nomodify, notrap, lowpriotrap, notrust, limited, kod, nomrulist, version, or "
          "ntpport)" },
        { "restrict default NOMODIFY",
          "unknown restrict flag 'NOMODIFY' (expected ignore, noserve, nopeer, noepeer, "
          "noquery, nomodify, notrap, lowpriotrap, notrust, limited, kod, nomrulist, version, "
          "or ntpport)" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        parse_err(cases[i].line, cases[i].msg);
}

static void test_parse_error_buffer(void **state)
{
    char *argv[] = { "restrict", "bogus.example" };
    char small[10];
    ACC_Rule r;

    (void)state;
    /* Truncated, never overrun, always terminated. */
    memset(small, 'x', sizeof small);
    assert_int_equal(ACC_ParseRestrict(2, argv, &r, small, sizeof small), -1);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, "bad addre", sizeof small);
    /* No buffer at all. */
    assert_int_equal(ACC_ParseRestrict(2, argv, &r, NULL, 0), -1);
    /* A previous message is cleared on success. */
    memset(small, 'x', sizeof small);
    argv[1] = "192.0.2.1";
    assert_int_equal(ACC_ParseRestrict(2, argv, &r, small, sizeof small), 0);
    assert_string_equal(small, "");
}

static void test_rule_warning(void **state)
{
    ACC_Rule r;

    (void)state;
    r = parse_ok("restrict default kod nomodify");
    assert_string_equal(ACC_RuleWarning(&r), "kod does nothing without limited");
    r = parse_ok("restrict default kod limited");
    assert_null(ACC_RuleWarning(&r));
    r = parse_ok("restrict default limited");
    assert_null(ACC_RuleWarning(&r));
}

static void test_flags_string(void **state)
{
    char buf[ACC_FLAGSLEN], small[8];
    unsigned all = 0;

    (void)state;
    assert_string_equal(ACC_FlagsString(0, buf, sizeof buf), "none");
    assert_string_equal(ACC_FlagsString(ACC_LIMITED | ACC_NOMODIFY | ACC_KOD, buf, sizeof buf),
                        "nomodify limited kod");
    for (size_t i = 0; i < N_FLAGS; i++)
        all |= flags[i].bit;
    assert_string_equal(ACC_FlagsString(all, buf, sizeof buf),
                        "ignore noserve nopeer noepeer noquery nomodify notrap lowpriotrap "
                        "notrust limited kod nomrulist version");
    assert_string_equal(ACC_FlagsString(ACC_IGNORE | ACC_NOSERVE, small, sizeof small),
                        "ignore ");
}

/* ------------------------------------------------------------------------
 * Matching.
 */

static void test_no_rules_allows_everything(void **state)
{
    (void)state;
    assert_int_equal(check("192.0.2.1"), 0);
    assert_int_equal(check("2001:db8::1"), 0);
    ACC_SetRules(NULL, 0);
    assert_int_equal(check("198.51.100.7"), 0);
    assert_int_equal(ACC_RuleCount(), 0);
}

static void test_longest_match(void **state)
{
    (void)state;
    /* Deliberately not in order of specificity. */
    SET("restrict 10.1.2.0 mask 255.255.255.0 ignore",
        "restrict default noquery",
        "restrict 10.1.2.3 limited",
        "restrict 10.0.0.0/8 nomodify",
        "restrict 10.1.0.0 mask 255.255.0.0 noserve",
        "restrict 10.1.2.128/25 nopeer");
    assert_int_equal(ACC_RuleCount(), 5);
    assert_int_equal(check("10.1.2.3"), ACC_LIMITED);
    assert_int_equal(check("10.1.2.4"), ACC_IGNORE);
    assert_int_equal(check("10.1.2.200"), ACC_NOPEER);
    assert_int_equal(check("10.1.3.3"), ACC_NOSERVE);
    assert_int_equal(check("10.200.0.1"), ACC_NOMODIFY);
    assert_int_equal(check("11.0.0.1"), ACC_NOQUERY);
    assert_int_equal(check("9.255.255.255"), ACC_NOQUERY);
    /* No IPv6 rules: the IPv6 default (set by `restrict default`). */
    assert_int_equal(check("2001:db8::1"), ACC_NOQUERY);
}

static void test_default_per_family(void **state)
{
    (void)state;
    SET("restrict -4 default ignore", "restrict -6 default noserve");
    assert_int_equal(check("192.0.2.1"), ACC_IGNORE);
    assert_int_equal(check("2001:db8::1"), ACC_NOSERVE);

    /* `default` without -4/-6 adds to both, as ntpd's RESTRICT_FLAGS. */
    SET("restrict -4 default ignore", "restrict -6 default noserve",
        "restrict default kod limited");
    assert_int_equal(check("192.0.2.1"), ACC_IGNORE | ACC_KOD | ACC_LIMITED);
    assert_int_equal(check("2001:db8::1"), ACC_NOSERVE | ACC_KOD | ACC_LIMITED);

    /* 0.0.0.0 mask 0.0.0.0 and ::/0 are the default entries themselves. */
    SET("restrict 0.0.0.0 mask 0.0.0.0 noquery", "restrict -4 default nomodify",
        "restrict ::/0 nopeer");
    assert_int_equal(ACC_RuleCount(), 0);
    assert_int_equal(check("198.51.100.1"), ACC_NOQUERY | ACC_NOMODIFY);
    assert_int_equal(check("2001:db8::1"), ACC_NOPEER);
}

static void test_duplicates_merge(void **state)
{
    (void)state;
    SET("restrict 10.0.0.0/8 nomodify", "restrict 10.9.9.9 mask 255.0.0.0 noquery",
        "restrict 2001:db8::/32 kod", "restrict 2001:db8:: mask ffff:ffff:: limited");
    assert_int_equal(ACC_RuleCount(), 2);
    assert_int_equal(check("10.2.3.4"), ACC_NOMODIFY | ACC_NOQUERY);
    assert_int_equal(check("2001:db8:5::1"), ACC_KOD | ACC_LIMITED);
}

static void test_ipv6_rules(void **state)
{
    (void)state;
    SET("restrict -6 default ignore", "restrict 2001:db8::/32 nomodify",
        "restrict 2001:db8:1::/48 noquery", "restrict 2001:db8:1::7 limited",
        "restrict 2001:db8:1:0:8000::/65 nopeer", "restrict 192.0.2.0/24 noserve");
    assert_int_equal(check("2001:db8:1::7"), ACC_LIMITED);
    assert_int_equal(check("2001:db8:1::8"), ACC_NOQUERY);
    assert_int_equal(check("2001:db8:1:0:8000::1"), ACC_NOPEER);
    assert_int_equal(check("2001:db8:1:0:7fff::1"), ACC_NOQUERY);
    assert_int_equal(check("2001:db8:2::1"), ACC_NOMODIFY);
    assert_int_equal(check("2001:db9::1"), ACC_IGNORE);
    /* IPv6 rules never apply to IPv4 and the reverse. */
    assert_int_equal(check("192.0.2.9"), ACC_NOSERVE);
    assert_int_equal(check("198.51.100.9"), 0);
}

static void test_v4_mapped(void **state)
{
    (void)state;
    SET("restrict -4 default noquery", "restrict -6 default ignore",
        "restrict 192.0.2.0/24 nomodify", "restrict ::ffff:198.51.100.0/120 kod limited",
        "restrict ::/0 ntpport notrap");
    /* A v4-mapped source is looked up as its IPv4 address. */
    assert_int_equal(check("::ffff:192.0.2.5"), ACC_NOMODIFY);
    assert_int_equal(check("::ffff:203.0.113.1"), ACC_NOQUERY);
    /* A v4-mapped rule with a prefix of 96 or more is an IPv4 rule. */
    assert_int_equal(check("198.51.100.9"), ACC_KOD | ACC_LIMITED);
    assert_int_equal(check("::ffff:198.51.100.10"), ACC_KOD | ACC_LIMITED);
    /* IPv6 rules do not reach v4-mapped sources, even with port 123. */
    assert_int_equal(check_port("::ffff:203.0.113.1", 123), ACC_NOQUERY);
    assert_int_equal(check_port("2001:db8::1", 123), ACC_NOTRAP);
    assert_int_equal(check("2001:db8::1"), ACC_IGNORE);
}

static void test_ntpport(void **state)
{
    (void)state;
    SET("restrict 192.0.2.1 noquery", "restrict 192.0.2.1 ntpport ignore",
        "restrict default ntpport nopeer", "restrict default nomodify");
    assert_int_equal(ACC_RuleCount(), 4);   /* two ntpport defaults, one per family */
    assert_int_equal(check_port("192.0.2.1", 123), ACC_IGNORE);
    assert_int_equal(check_port("192.0.2.1", 1234), ACC_NOQUERY);
    assert_int_equal(check_port("198.51.100.1", 123), ACC_NOPEER);
    assert_int_equal(check_port("198.51.100.1", 1234), ACC_NOMODIFY);
    assert_int_equal(check_port("2001:db8::1", 123), ACC_NOPEER);
    assert_int_equal(check_port("2001:db8::1", 124), ACC_NOMODIFY);
}

static void test_multicast_and_unspecified_sources(void **state)
{
    NTP_Addr none;

    (void)state;
    SET("restrict 224.0.0.0/4", "restrict ff00::/8");
    assert_int_equal(check("224.0.1.1"), ACC_IGNORE);
    assert_int_equal(check("239.255.255.255"), ACC_IGNORE);
    assert_int_equal(check("ff02::101"), ACC_IGNORE);
    assert_int_equal(check("::ffff:224.0.1.1"), ACC_IGNORE);
    assert_int_equal(check("223.255.255.255"), 0);
    assert_int_equal(check("240.0.0.1"), 0);
    memset(&none, 0, sizeof none);
    assert_int_equal(ACC_Check(&none), ACC_IGNORE);
}

/* 300 IPv4 and 100 IPv6 networks of mixed lengths, plus hosts, in a
   shuffled order; every probe is checked against a brute-force longest
   match computed here. */
static void test_many_rules(void **state)
{
    enum { N4 = 300, N6 = 100 };
    static ACC_Rule rules[N4 + N6 + 1];
    static uint32_t net4[N4];
    static int len4[N4];
    static unsigned fl4[N4];
    char line[128];
    uint32_t x = 12345;
    size_t n = 0;

    (void)state;
    for (int i = 0; i < N4; i++) {
        x = x * 1103515245u + 12345u;
        len4[i] = 8 + (int)(x >> 16) % 25;        /* 8..32 */
        x = x * 1103515245u + 12345u;
        /* 10.0.0.0/8 only, so networks nest often. */
        net4[i] = 0x0a000000u | ((x >> 4) & 0x00ffffffu);
        net4[i] &= len4[i] == 0 ? 0 : 0xffffffffu << (32 - len4[i]);
        fl4[i] = flags[i % N_FLAGS].bit | ((unsigned)i << 16);  /* unique per rule */
    }
    /* Rules with the same network and length merge; keep them unique here
       so each probe has one expected answer. */
    for (int i = 0; i < N4; i++) {
        int dup = 0;

        for (int j = 0; j < i; j++)
            dup |= net4[j] == net4[i] && len4[j] == len4[i];
        if (dup)
            continue;
        snprintf(line, sizeof line, "restrict %u.%u.%u.%u/%d", net4[i] >> 24,
                 net4[i] >> 16 & 255, net4[i] >> 8 & 255, net4[i] & 255, len4[i]);
        rules[n] = parse_ok(line);
        rules[n].flags = fl4[i];     /* more distinct answers than the flag bits */
        n++;
    }
    for (int i = 0; i < N6; i++) {
        snprintf(line, sizeof line, "restrict 2001:db8:%x::/%d", i * 7, i % 2 ? 48 : 64);
        rules[n] = parse_ok(line);
        rules[n].flags = 0x8000u + (unsigned)i;
        n++;
    }
    rules[n++] = parse_ok("restrict default noquery");
    /* Reverse, so the input order is not the sorted order. */
    for (size_t i = 0; i < n / 2; i++) {
        ACC_Rule t = rules[i];

        rules[i] = rules[n - 1 - i];
        rules[n - 1 - i] = t;
    }
    ACC_SetRules(rules, n);

    for (int probe = 0; probe < 20000; probe++) {
        uint32_t a;
        int best = -1;
        char text[32];

        x = x * 1103515245u + 12345u;
        /* Half the probes inside a rule's network, half anywhere in 10/8. */
        if (probe % 2) {
            int r = (int)(x >> 8) % N4;

            x = x * 1103515245u + 12345u;
            a = net4[r] | ((x >> 3) & (len4[r] == 32 ? 0 : 0xffffffffu >> len4[r]));
        } else {
            a = 0x0a000000u | ((x >> 4) & 0x00ffffffu);
        }
        for (int i = 0; i < N4; i++) {
            uint32_t m = 0xffffffffu << (32 - len4[i]);

            if ((a & m) == net4[i] && (best < 0 || len4[i] > len4[best]))
                best = i;
        }
        snprintf(text, sizeof text, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255,
                 a & 255);
        if (check(text) != (best < 0 ? ACC_NOQUERY : fl4[best]))
            fail_msg("%s: got %#x, expected %#x", text, check(text),
                     best < 0 ? ACC_NOQUERY : fl4[best]);
    }
    for (int i = 0; i < N6; i++) {
        snprintf(line, sizeof line, "2001:db8:%x::1", i * 7);
        assert_int_equal(check(line), 0x8000u + (unsigned)i);
    }
    assert_int_equal(check("2001:db8:ffff::1"), ACC_NOQUERY);
    assert_int_equal(check("11.0.0.0"), ACC_NOQUERY);
}

/* ------------------------------------------------------------------------
 * `restrict source`.
 */

static int add_src(const char *text)
{
    NTP_Addr a = mkaddr(text, 123);

    return ACC_AddSourceRule(&a);
}

static int remove_src(const char *text)
{
    NTP_Addr a = mkaddr(text, 123);

    return ACC_RemoveSourceRule(&a);
}

static void test_source_template(void **state)
{
    (void)state;
    SET("restrict default ignore", "restrict source nomodify noquery");
    assert_int_equal(check("192.0.2.1"), ACC_IGNORE);
    assert_int_equal(add_src("192.0.2.1"), 0);
    assert_int_equal(add_src("2001:db8::5"), 0);
    assert_int_equal(ACC_SourceCount(), 2);
    assert_int_equal(check("192.0.2.1"), ACC_NOMODIFY | ACC_NOQUERY);
    assert_int_equal(check_port("192.0.2.1", 123), ACC_NOMODIFY | ACC_NOQUERY);
    assert_int_equal(check("2001:db8::5"), ACC_NOMODIFY | ACC_NOQUERY);
    /* Only the host itself. */
    assert_int_equal(check("192.0.2.2"), ACC_IGNORE);
    assert_int_equal(check("2001:db8::6"), ACC_IGNORE);
    /* A dual-stack socket's view of the same server. */
    assert_int_equal(check("::ffff:192.0.2.1"), ACC_NOMODIFY | ACC_NOQUERY);

    assert_int_equal(remove_src("192.0.2.1"), 0);
    assert_int_equal(check("192.0.2.1"), ACC_IGNORE);
    assert_int_equal(remove_src("192.0.2.1"), -1);
    assert_int_equal(remove_src("2001:db8::5"), 0);
    assert_int_equal(ACC_SourceCount(), 0);
}

static void test_source_refcount(void **state)
{
    (void)state;
    SET("restrict default noserve", "restrict source limited kod");
    assert_int_equal(add_src("198.51.100.4"), 0);
    assert_int_equal(add_src("::ffff:198.51.100.4"), 0);   /* the same address */
    assert_int_equal(ACC_SourceCount(), 1);
    assert_int_equal(remove_src("198.51.100.4"), 0);
    assert_int_equal(check("198.51.100.4"), ACC_LIMITED | ACC_KOD);
    assert_int_equal(remove_src("198.51.100.4"), 0);
    assert_int_equal(check("198.51.100.4"), ACC_NOSERVE);
    assert_int_equal(remove_src("198.51.100.4"), -1);
}

static void test_source_precedence(void **state)
{
    (void)state;
    SET("restrict default ignore", "restrict source nomodify",
        "restrict 192.0.2.9 noserve", "restrict 192.0.2.0/24 noquery",
        "restrict 192.0.2.10 ntpport notrap");
    assert_int_equal(add_src("192.0.2.9"), 0);
    assert_int_equal(add_src("192.0.2.10"), 0);
    assert_int_equal(add_src("192.0.2.11"), 0);
    /* A configured host rule beats the template (ntpd: an operator can
       blacklist one pool member)... */
    assert_int_equal(check("192.0.2.9"), ACC_NOSERVE);
    /* ...including an ntpport one, when the port matches... */
    assert_int_equal(check_port("192.0.2.10", 123), ACC_NOTRAP);
    assert_int_equal(check_port("192.0.2.10", 5000), ACC_NOMODIFY);
    /* ...but the template beats any shorter configured prefix. */
    assert_int_equal(check("192.0.2.11"), ACC_NOMODIFY);
    assert_int_equal(check("192.0.2.12"), ACC_NOQUERY);
}

static void test_source_without_template(void **state)
{
    NTP_Addr none;

    (void)state;
    SET("restrict default noquery");
    /* Recorded, but matches nothing without a template. */
    assert_int_equal(add_src("192.0.2.1"), 0);
    assert_int_equal(check("192.0.2.1"), ACC_NOQUERY);
    /* A template configured later applies to it; the last template wins. */
    SET("restrict default noquery", "restrict source nopeer", "restrict source nomodify");
    assert_int_equal(check("192.0.2.1"), ACC_NOMODIFY);
    /* And goes away with the template. */
    SET("restrict default noquery");
    assert_int_equal(check("192.0.2.1"), ACC_NOQUERY);
    assert_int_equal(ACC_SourceCount(), 1);

    /* Never for multicast or unspecified addresses. */
    assert_int_equal(add_src("224.0.1.1"), -1);
    assert_int_equal(add_src("ff05::101"), -1);
    assert_int_equal(add_src("0.0.0.0"), -1);
    assert_int_equal(add_src("::"), -1);
    memset(&none, 0, sizeof none);
    assert_int_equal(ACC_AddSourceRule(&none), -1);
    assert_int_equal(ACC_RemoveSourceRule(&none), -1);
    assert_int_equal(ACC_SourceCount(), 1);
}

/* ACC_Match tells "no rule" from "a rule without flags"; the flags are
   ACC_Check's either way. */
static int match(const char *text, unsigned *out)
{
    NTP_Addr a = mkaddr(text, 40000);
    int m = ACC_Match(&a, out);

    assert_int_equal(*out, ACC_Check(&a));
    return m;
}

static void test_match(void **state)
{
    unsigned f;

    (void)state;
    /* No restrict line: nothing matches, nothing restricts. */
    ACC_SetRules(NULL, 0);
    assert_int_equal(match("192.0.2.1", &f), 0);
    assert_int_equal(f, 0);

    /* Host and network rules without flags match; other addresses do not. */
    SET("restrict 192.0.2.0 mask 255.255.255.0", "restrict 2001:db8::/32 nomodify");
    assert_int_equal(match("192.0.2.7", &f), 1);
    assert_int_equal(f, 0);
    assert_int_equal(match("2001:db8::1", &f), 1);
    assert_int_equal(f, ACC_NOMODIFY);
    assert_int_equal(match("198.51.100.1", &f), 0);
    assert_int_equal(match("2001:db9::1", &f), 0);
    assert_int_equal(f, 0);

    /* A default of one family matches that family only. */
    SET("restrict -4 default noquery");
    assert_int_equal(match("198.51.100.1", &f), 1);
    assert_int_equal(f, ACC_NOQUERY);
    assert_int_equal(match("2001:db8::1", &f), 0);
    /* A flagless `restrict default` still matches everyone. */
    SET("restrict default");
    assert_int_equal(match("198.51.100.1", &f), 1);
    assert_int_equal(match("2001:db8::1", &f), 1);
    assert_int_equal(f, 0);

    /* Source entries match under a template only. */
    SET("restrict 192.0.2.0 mask 255.255.255.0 noquery");
    assert_int_equal(add_src("203.0.113.5"), 0);
    assert_int_equal(match("203.0.113.5", &f), 0);
    SET("restrict source nopeer");
    assert_int_equal(match("203.0.113.5", &f), 1);
    assert_int_equal(f, ACC_NOPEER);
    assert_int_equal(remove_src("203.0.113.5"), 0);
    assert_int_equal(match("203.0.113.5", &f), 0);

    /* Forged multicast senders are matched as ignored. */
    assert_int_equal(match("224.0.1.1", &f), 1);
    assert_int_equal(f, ACC_IGNORE);
}

static void test_set_rules_replaces(void **state)
{
    (void)state;
    SET("restrict 192.0.2.0/24 ignore", "restrict default nomodify");
    assert_int_equal(check("192.0.2.1"), ACC_IGNORE);
    SET("restrict 198.51.100.0/24 noserve");
    assert_int_equal(check("192.0.2.1"), 0);
    assert_int_equal(check("198.51.100.1"), ACC_NOSERVE);
    assert_int_equal(check("2001:db8::1"), 0);
    ACC_Fini();
    assert_int_equal(check("198.51.100.1"), 0);
    assert_int_equal(ACC_RuleCount(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_parse_every_flag, teardown),
        cmocka_unit_test_teardown(test_parse_all_flags_and_ntpport, teardown),
        cmocka_unit_test_teardown(test_parse_default_and_source, teardown),
        cmocka_unit_test_teardown(test_parse_masks, teardown),
        cmocka_unit_test_teardown(test_parse_cidr, teardown),
        cmocka_unit_test_teardown(test_parse_errors, teardown),
        cmocka_unit_test_teardown(test_parse_error_buffer, teardown),
        cmocka_unit_test_teardown(test_rule_warning, teardown),
        cmocka_unit_test_teardown(test_flags_string, teardown),
        cmocka_unit_test_teardown(test_no_rules_allows_everything, teardown),
        cmocka_unit_test_teardown(test_longest_match, teardown),
        cmocka_unit_test_teardown(test_default_per_family, teardown),
        cmocka_unit_test_teardown(test_duplicates_merge, teardown),
        cmocka_unit_test_teardown(test_ipv6_rules, teardown),
        cmocka_unit_test_teardown(test_v4_mapped, teardown),
        cmocka_unit_test_teardown(test_ntpport, teardown),
        cmocka_unit_test_teardown(test_multicast_and_unspecified_sources, teardown),
        cmocka_unit_test_teardown(test_many_rules, teardown),
        cmocka_unit_test_teardown(test_source_template, teardown),
        cmocka_unit_test_teardown(test_source_refcount, teardown),
        cmocka_unit_test_teardown(test_source_precedence, teardown),
        cmocka_unit_test_teardown(test_source_without_template, teardown),
        cmocka_unit_test_teardown(test_set_rules_replaces, teardown),
        cmocka_unit_test_teardown(test_match, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
