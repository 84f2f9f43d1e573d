/*
 * Unit tests for addr: numeric parsing (IPv4, IPv6, bracketed IPv6,
 * garbage), ports, comparison, formatting and the RFC 5905 reference id
 * (IPv4 address; first four octets of the MD5 of an IPv6 address, checked
 * against OpenSSL's EVP MD5 computed here and against fixed values).
 *
 * Links: addr
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "addr.h"

static NTP_Addr parse_ok(const char *text, uint16_t port)
{
    NTP_Addr a;

    if (ADDR_Parse(text, port, &a) != 0)
        fail_msg("ADDR_Parse(\"%s\") failed", text);
    return a;
}

/* Independent expectation: MD5 of the 16 address bytes via EVP. */
static uint32_t md5_refid(const char *v6)
{
    unsigned char bytes[16], md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    assert_int_equal(inet_pton(AF_INET6, v6, bytes), 1);
    assert_non_null(ctx);
    assert_int_equal(EVP_DigestInit_ex(ctx, EVP_md5(), NULL), 1);
    assert_int_equal(EVP_DigestUpdate(ctx, bytes, sizeof bytes), 1);
    assert_int_equal(EVP_DigestFinal_ex(ctx, md, &len), 1);
    EVP_MD_CTX_free(ctx);
    assert_int_equal(len, 16);
    return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
}

static void test_parse_ipv4(void **state)
{
    NTP_Addr a = parse_ok("192.0.2.1", 123);

    (void)state;
    assert_int_equal(ADDR_Family(&a), AF_INET);
    assert_int_equal(a.len, sizeof(struct sockaddr_in));
    assert_int_equal(ADDR_Port(&a), 123);
    assert_int_equal(ntohl(a.u.in4.sin_addr.s_addr), 0xc0000201u);
    assert_int_equal(ntohs(a.u.in4.sin_port), 123);
}

static void test_parse_ipv6(void **state)
{
    static const unsigned char want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                            0, 0, 0, 0, 0, 0, 0, 1 };
    NTP_Addr a = parse_ok("2001:db8::1", 4123);
    NTP_Addr b = parse_ok("[2001:db8::1]", 4123);
    NTP_Addr c = parse_ok("2001:0DB8:0000:0000:0000:0000:0000:0001", 4123);

    (void)state;
    assert_int_equal(ADDR_Family(&a), AF_INET6);
    assert_int_equal(a.len, sizeof(struct sockaddr_in6));
    assert_memory_equal(&a.u.in6.sin6_addr, want, 16);
    assert_int_equal(ADDR_Port(&a), 4123);
    assert_int_equal(ADDR_Family(&b), AF_INET6);
    assert_memory_equal(&b.u.in6.sin6_addr, want, 16);
    assert_int_equal(ADDR_Port(&b), 4123);
    assert_true(ADDR_Equal(&a, &b));
    assert_true(ADDR_Equal(&a, &c));

    NTP_Addr d = parse_ok("[::1]", 123);
    assert_int_equal(ADDR_Family(&d), AF_INET6);
    assert_true(IN6_IS_ADDR_LOOPBACK(&d.u.in6.sin6_addr));
    NTP_Addr e = parse_ok("::ffff:192.0.2.1", 123);
    assert_int_equal(ADDR_Family(&e), AF_INET6);
    assert_true(IN6_IS_ADDR_V4MAPPED(&e.u.in6.sin6_addr));
}

static void test_parse_garbage(void **state)
{
    static const char *const bad[] = {
        "", "[", "]", "[]", "localhost", "example.com", "1.2.3", "256.1.1.1",
        "1.2.3.4.5", " 127.0.0.1", "127.0.0.1 ", "127.0.0.1:123", "[::1", "::1]",
        "[[::1]]", "[127.0.0.1]", ":::", "2001:db8::1::2", "12345::1", "fe80::1%eth0",
        "[::1]:123", "0x7f.1", "::g",
    };
    NTP_Addr a;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ADDR_Parse(bad[i], 123, &a) != -1)
            fail_msg("ADDR_Parse(\"%s\") accepted", bad[i]);
    }
}

static void test_ports(void **state)
{
    NTP_Addr a = parse_ok("127.0.0.1", 0);
    NTP_Addr b = parse_ok("::1", 65535);
    NTP_Addr none;

    (void)state;
    assert_int_equal(ADDR_Port(&a), 0);
    ADDR_SetPort(&a, 123);
    assert_int_equal(ADDR_Port(&a), 123);
    assert_int_equal(ntohs(a.u.in4.sin_port), 123);
    assert_int_equal(ADDR_Port(&b), 65535);
    ADDR_SetPort(&b, 1);
    assert_int_equal(ADDR_Port(&b), 1);
    assert_int_equal(ntohs(b.u.in6.sin6_port), 1);

    memset(&none, 0, sizeof none);
    assert_int_equal(ADDR_Family(&none), AF_UNSPEC);
    assert_int_equal(ADDR_Port(&none), 0);
    ADDR_SetPort(&none, 123);
    assert_int_equal(ADDR_Port(&none), 0);
}

static void test_equal(void **state)
{
    NTP_Addr a = parse_ok("192.0.2.1", 123);
    NTP_Addr b = parse_ok("192.0.2.1", 123);
    NTP_Addr c = parse_ok("192.0.2.1", 124);
    NTP_Addr d = parse_ok("192.0.2.2", 123);
    NTP_Addr m = parse_ok("::ffff:192.0.2.1", 123);
    NTP_Addr x = parse_ok("2001:db8::1", 123);
    NTP_Addr y = parse_ok("[2001:db8::1]", 124);
    NTP_Addr z = parse_ok("2001:db8::2", 123);

    (void)state;
    assert_true(ADDR_Equal(&a, &b));
    assert_true(ADDR_EqualHost(&a, &b));
    assert_false(ADDR_Equal(&a, &c));
    assert_true(ADDR_EqualHost(&a, &c));
    assert_false(ADDR_Equal(&a, &d));
    assert_false(ADDR_EqualHost(&a, &d));
    /* An IPv4-mapped IPv6 address is another family. */
    assert_false(ADDR_EqualHost(&a, &m));
    assert_false(ADDR_Equal(&a, &m));
    assert_false(ADDR_Equal(&x, &y));
    assert_true(ADDR_EqualHost(&x, &y));
    assert_false(ADDR_EqualHost(&x, &z));
    ADDR_SetPort(&y, 123);
    assert_true(ADDR_Equal(&x, &y));

    /* Link-local addresses on different interfaces differ. */
    NTP_Addr l1 = parse_ok("fe80::1", 123), l2 = parse_ok("fe80::1", 123);
    l1.u.in6.sin6_scope_id = 2;
    l2.u.in6.sin6_scope_id = 3;
    assert_false(ADDR_EqualHost(&l1, &l2));
    l2.u.in6.sin6_scope_id = 2;
    assert_true(ADDR_Equal(&l1, &l2));
}

static void test_to_string(void **state)
{
    char buf[ADDR_STRLEN];
    NTP_Addr a = parse_ok("127.0.0.1", 123);
    NTP_Addr b = parse_ok("::1", 123);
    NTP_Addr c = parse_ok("[2001:0db8:0:0::1]", 4460);
    NTP_Addr d = parse_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);

    (void)state;
    assert_string_equal(ADDR_ToString(&a, buf, sizeof buf), "127.0.0.1:123");
    assert_string_equal(ADDR_ToString(&b, buf, sizeof buf), "[::1]:123");
    assert_string_equal(ADDR_ToString(&c, buf, sizeof buf), "[2001:db8::1]:4460");
    assert_string_equal(ADDR_ToString(&d, buf, sizeof buf),
                        "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
    assert_string_equal(ADDR_HostString(&a, buf, sizeof buf), "127.0.0.1");
    assert_string_equal(ADDR_HostString(&b, buf, sizeof buf), "::1");
    assert_string_equal(ADDR_HostString(&c, buf, sizeof buf), "2001:db8::1");
    /* ToString returns its buffer. */
    assert_ptr_equal(ADDR_ToString(&a, buf, sizeof buf), buf);
    assert_ptr_equal(ADDR_HostString(&a, buf, sizeof buf), buf);

    /* Too small a buffer: truncated, still terminated. */
    char small[8];
    memset(small, 'x', sizeof small);
    ADDR_ToString(&a, small, sizeof small);
    assert_int_equal(small[sizeof small - 1], '\0');
    assert_true(strncmp(small, "127.0.0", 7) == 0);
}

static void test_from_sockaddr(void **state)
{
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
    struct sockaddr_un un;
    NTP_Addr a;
    char buf[ADDR_STRLEN];

    (void)state;
    memset(&in4, 0, sizeof in4);
    in4.sin_family = AF_INET;
    in4.sin_port = htons(123);
    in4.sin_addr.s_addr = htonl(0xc0000201u);
    assert_int_equal(ADDR_FromSockaddr((struct sockaddr *)&in4, sizeof in4, &a), 0);
    assert_string_equal(ADDR_ToString(&a, buf, sizeof buf), "192.0.2.1:123");
    assert_int_equal(ADDR_FromSockaddr((struct sockaddr *)&in4, sizeof in4 - 1, &a), -1);

    memset(&in6, 0, sizeof in6);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(123);
    in6.sin6_addr = in6addr_loopback;
    assert_int_equal(ADDR_FromSockaddr((struct sockaddr *)&in6, sizeof in6, &a), 0);
    assert_string_equal(ADDR_ToString(&a, buf, sizeof buf), "[::1]:123");
    assert_int_equal(ADDR_FromSockaddr((struct sockaddr *)&in6, sizeof in4, &a), -1);

    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    assert_int_equal(ADDR_FromSockaddr((struct sockaddr *)&un, sizeof un, &a), -1);
}

static void test_refid_ipv4(void **state)
{
    NTP_Addr a = parse_ok("127.0.0.1", 123);
    NTP_Addr b = parse_ok("192.0.2.1", 123);
    NTP_Addr c = parse_ok("10.20.30.40", 5);

    (void)state;
    assert_int_equal(ADDR_RefId(&a), 0x7f000001u);
    assert_int_equal(ADDR_RefId(&b), 0xc0000201u);
    assert_int_equal(ADDR_RefId(&c), 0x0a141e28u);
}

static void test_refid_ipv6(void **state)
{
    static const struct { const char *addr; uint32_t refid; } known[] = {
        /* First four octets of MD5 over the 16 bytes (Python hashlib). */
        { "::1", 0xcf404dc8u },
        { "2001:db8::1", 0x39ab9b37u },
        { "fe80::1", 0x89e5301fu },
    };

    (void)state;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        NTP_Addr a = parse_ok(known[i].addr, 123);
        assert_int_equal(md5_refid(known[i].addr), known[i].refid);
        assert_int_equal(ADDR_RefId(&a), known[i].refid);
    }

    /* The port and scope do not enter the hash. */
    NTP_Addr p = parse_ok("[2001:db8::1]", 4460);
    p.u.in6.sin6_scope_id = 7;
    assert_int_equal(ADDR_RefId(&p), md5_refid("2001:db8::1"));

    /* More addresses against EVP. */
    static const char *const more[] = { "2001:db8:85a3::8a2e:370:7334", "::", "ff02::101",
                                        "::ffff:192.0.2.1" };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        NTP_Addr a = parse_ok(more[i], 123);
        assert_int_equal(ADDR_RefId(&a), md5_refid(more[i]));
    }

    NTP_Addr none;
    memset(&none, 0, sizeof none);
    assert_int_equal(ADDR_RefId(&none), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ipv4),
        cmocka_unit_test(test_parse_ipv6),
        cmocka_unit_test(test_parse_garbage),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_to_string),
        cmocka_unit_test(test_from_sockaddr),
        cmocka_unit_test(test_refid_ipv4),
        cmocka_unit_test(test_refid_ipv6),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
