/*
 * Unit tests for ntp_pkt: header decoding, version/mode rules, RFC 7822
 * extension fields and MAC trailers, bounds safety on truncated and random
 * input, encode/decode round trip, the on-wire reply tests and kiss codes.
 *
 * Links: ntp_time ntp_pkt
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ntp_pkt.h"

/* Small deterministic PRNG (xorshift64*) so failures reproduce. */
static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(rng() % n);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint8_t li_vn_mode(unsigned leap, unsigned version, unsigned mode)
{
    return (uint8_t)(leap << 6 | version << 3 | mode);
}

/* A plausible server reply header (v4, mode 4) into buf[0..47]. */
static void make_header(uint8_t *buf, unsigned version, unsigned mode)
{
    memset(buf, 0, NTP_HEADER_LEN);
    buf[0] = li_vn_mode(0, version, mode);
    buf[1] = 2;
    buf[2] = 6;
    buf[3] = 0xec;
    buf[40] = 0xea;   /* nonzero transmit */
}

/* Append an extension field of `len` octets (type 0x0104) at buf + off,
   the value filled with a pattern; returns the new offset. */
static size_t add_ext(uint8_t *buf, size_t off, uint16_t len)
{
    put16(buf + off, 0x0104);
    put16(buf + off + 2, len);
    for (size_t i = 4; i < len; i++)
        buf[off + i] = (uint8_t)(0xa0 + i);
    return off + len;
}

/* Append a MAC of key id + `digest` octets; returns the new offset. */
static size_t add_mac(uint8_t *buf, size_t off, uint32_t key_id, size_t digest)
{
    put32(buf + off, key_id);
    for (size_t i = 0; i < digest; i++)
        buf[off + 4 + i] = (uint8_t)(0x30 + i);
    return off + 4 + digest;
}

/* Decode from a heap copy of exactly `len` octets, so ASan reports any read
   past the end; `*copy` is returned for pointer checks and must be freed. */
static PKT_Status decode_exact(const uint8_t *src, size_t len, NTP_Packet *out, uint8_t **copy)
{
    uint8_t *b = malloc(len > 0 ? len : 1);
    assert_non_null(b);
    if (len > 0)
        memcpy(b, src, len);
    PKT_Status st = PKT_Decode(b, len, out);
    if (copy)
        *copy = b;
    else
        free(b);
    return st;
}

/* Invariants of any successful decode of `len` octets at `buf`. */
static void check_ok_invariants(const NTP_Packet *p, const uint8_t *buf, size_t len)
{
    assert_in_range(p->version, NTP_MIN_VERSION, NTP_VERSION);
    assert_in_range(p->mode, NTP_MODE_SYM_ACTIVE, NTP_MODE_BROADCAST);
    assert_in_range(p->leap, 0, 3);
    assert_in_range(len, NTP_HEADER_LEN, NTP_MAX_PACKET_LEN);
    assert_in_range(p->auth_len, NTP_HEADER_LEN, len);
    assert_int_equal(p->auth_len % 4, 0);
    if (p->version < 4)
        assert_int_equal(p->n_ext_fields, 0);
    assert_true(p->auth_len - NTP_HEADER_LEN >= 16 * (size_t)p->n_ext_fields);
    if (p->has_mac) {
        assert_true(p->mac_len == 0 || p->mac_len == 16 || p->mac_len == 20);
        assert_int_equal(p->auth_len + 4 + p->mac_len, len);
        if (p->mac_len > 0) {
            assert_ptr_equal(p->mac, buf + p->auth_len + 4);
            /* Touch every digest octet: ASan checks the pointer's range. */
            unsigned sum = 0;
            for (size_t i = 0; i < p->mac_len; i++)
                sum += p->mac[i];
            (void)sum;
        } else {
            assert_null(p->mac);
        }
    } else {
        assert_int_equal(p->auth_len, len);
        assert_int_equal(p->mac_len, 0);
        assert_null(p->mac);
        assert_int_equal(p->key_id, 0);
    }
}

static void test_decode_header_fields(void **state)
{
    (void)state;
    static const uint8_t pkt[48] = {
        0xe4, 0x02, 0xfa, 0xec,                           /* LI 3, VN 4, mode 4 */
        0x01, 0x02, 0x03, 0x04,                           /* root delay */
        0x05, 0x06, 0x07, 0x08,                           /* root dispersion */
        'R', 'A', 'T', 'E',                               /* refid */
        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,   /* reference */
        0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,   /* origin */
        0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,   /* receive */
        0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,   /* transmit */
    };
    NTP_Packet p;

    assert_int_equal(decode_exact(pkt, sizeof(pkt), &p, NULL), PKT_OK);
    assert_int_equal(p.leap, NTP_LEAP_UNSYNC);
    assert_int_equal(p.version, 4);
    assert_int_equal(p.mode, NTP_MODE_SERVER);
    assert_int_equal(p.stratum, 2);
    assert_int_equal(p.poll, -6);
    assert_int_equal(p.precision, -20);
    assert_int_equal(p.root_delay, 0x01020304u);
    assert_int_equal(p.root_dispersion, 0x05060708u);
    assert_int_equal(p.refid, 0x52415445u);
    assert_int_equal(p.reference, 0x1112131415161718ULL);
    assert_int_equal(p.origin, 0x2122232425262728ULL);
    assert_int_equal(p.receive, 0x3132333435363738ULL);
    assert_int_equal(p.transmit, 0x4142434445464748ULL);
    assert_int_equal(p.n_ext_fields, 0);
    assert_int_equal(p.auth_len, 48);
    assert_false(p.has_mac);
    assert_int_equal(p.key_id, 0);
    assert_null(p.mac);
    assert_int_equal(p.mac_len, 0);

    /* Leap bits and a positive poll. */
    uint8_t b[48];
    memcpy(b, pkt, sizeof(b));
    b[0] = li_vn_mode(NTP_LEAP_INSERT, 3, NTP_MODE_CLIENT);
    b[2] = 10;
    assert_int_equal(decode_exact(b, sizeof(b), &p, NULL), PKT_OK);
    assert_int_equal(p.leap, NTP_LEAP_INSERT);
    assert_int_equal(p.version, 3);
    assert_int_equal(p.mode, NTP_MODE_CLIENT);
    assert_int_equal(p.poll, 10);
    b[0] = li_vn_mode(NTP_LEAP_DELETE, 2, NTP_MODE_BROADCAST);
    assert_int_equal(decode_exact(b, sizeof(b), &p, NULL), PKT_OK);
    assert_int_equal(p.leap, NTP_LEAP_DELETE);
    assert_int_equal(p.mode, NTP_MODE_BROADCAST);
}

static void test_decode_versions(void **state)
{
    (void)state;
    uint8_t b[48];
    NTP_Packet p;

    for (unsigned v = 0; v <= 7; v++) {
        make_header(b, v, NTP_MODE_CLIENT);
        PKT_Status st = decode_exact(b, sizeof(b), &p, NULL);
        if (v >= 1 && v <= 4) {
            assert_int_equal(st, PKT_OK);
            assert_int_equal(p.version, v);
        } else {
            assert_int_equal(st, PKT_ERR_VERSION);
        }
    }
}

static void test_decode_modes(void **state)
{
    (void)state;
    uint8_t b[48];
    NTP_Packet p;

    for (unsigned v = 1; v <= 4; v++) {
        for (unsigned m = 0; m <= 7; m++) {
            make_header(b, v, m);
            PKT_Status st = decode_exact(b, sizeof(b), &p, NULL);
            if (m == 0 && v == 1) {
                /* NTPv1 had no mode field: its clients send 0. */
                assert_int_equal(st, PKT_OK);
                assert_int_equal(p.mode, NTP_MODE_CLIENT);
            } else if (m == 0 || m == NTP_MODE_CONTROL || m == NTP_MODE_PRIVATE) {
                assert_int_equal(st, PKT_ERR_MODE);
            } else {
                assert_int_equal(st, PKT_OK);
                assert_int_equal(p.mode, m);
            }
        }
    }
}

static void test_decode_short(void **state)
{
    (void)state;
    uint8_t b[48];
    NTP_Packet p;

    make_header(b, 4, NTP_MODE_SERVER);
    for (size_t len = 0; len < NTP_HEADER_LEN; len++)
        assert_int_equal(decode_exact(b, len, &p, NULL), PKT_ERR_SHORT);
    assert_int_equal(PKT_Decode(NULL, 0, &p), PKT_ERR_SHORT);
    assert_int_equal(PKT_Decode(NULL, 48, &p), PKT_ERR_SHORT);
}

static void test_decode_max_length(void **state)
{
    (void)state;
    uint8_t b[NTP_MAX_PACKET_LEN + 8];
    NTP_Packet p;

    /* Exactly 1024 octets: header + one 976-octet extension field. */
    make_header(b, 4, NTP_MODE_SERVER);
    size_t off = add_ext(b, NTP_HEADER_LEN, NTP_MAX_PACKET_LEN - NTP_HEADER_LEN);
    assert_int_equal(off, NTP_MAX_PACKET_LEN);
    assert_int_equal(decode_exact(b, off, &p, NULL), PKT_OK);
    assert_int_equal(p.n_ext_fields, 1);

    /* Anything longer is rejected, however well formed. */
    add_ext(b, NTP_HEADER_LEN, NTP_MAX_PACKET_LEN - NTP_HEADER_LEN - 20);
    add_mac(b, NTP_MAX_PACKET_LEN - 20, 1, 20);
    assert_int_equal(decode_exact(b, NTP_MAX_PACKET_LEN + 4, &p, NULL), PKT_ERR_LENGTH);
    assert_int_equal(decode_exact(b, NTP_MAX_PACKET_LEN + 1, &p, NULL), PKT_ERR_LENGTH);
    make_header(b, 3, NTP_MODE_CLIENT);
    assert_int_equal(decode_exact(b, NTP_MAX_PACKET_LEN + 8, &p, NULL), PKT_ERR_LENGTH);
}

static void test_decode_mac_trailers(void **state)
{
    (void)state;
    uint8_t b[128];
    uint8_t *copy;
    NTP_Packet p;

    for (unsigned v = 1; v <= 4; v++) {
        /* Crypto-NAK: key id alone. */
        make_header(b, v, NTP_MODE_SERVER);
        size_t len = add_mac(b, NTP_HEADER_LEN, 0, 0);
        assert_int_equal(decode_exact(b, len, &p, &copy), PKT_OK);
        assert_true(p.has_mac);
        assert_int_equal(p.key_id, 0);
        assert_int_equal(p.mac_len, 0);
        assert_int_equal(p.auth_len, 48);
        check_ok_invariants(&p, copy, len);
        free(copy);

        /* MD5 / AES-CMAC: 16-octet digest. */
        len = add_mac(b, NTP_HEADER_LEN, 0xdeadbeefu, 16);
        assert_int_equal(decode_exact(b, len, &p, &copy), PKT_OK);
        assert_true(p.has_mac);
        assert_int_equal(p.key_id, 0xdeadbeefu);
        assert_int_equal(p.mac_len, 16);
        assert_int_equal(p.auth_len, 48);
        assert_ptr_equal(p.mac, copy + 52);
        assert_int_equal(p.mac[0], 0x30);
        assert_int_equal(p.mac[15], 0x3f);
        check_ok_invariants(&p, copy, len);
        free(copy);

        /* SHA1: 20-octet digest. */
        len = add_mac(b, NTP_HEADER_LEN, 7, 20);
        assert_int_equal(decode_exact(b, len, &p, &copy), PKT_OK);
        assert_int_equal(p.key_id, 7);
        assert_int_equal(p.mac_len, 20);
        assert_ptr_equal(p.mac, copy + 52);
        check_ok_invariants(&p, copy, len);
        free(copy);

        /* Any other trailer length is neither MAC nor (for v4) ext field. */
        static const size_t bad[] = {1, 2, 3, 5, 8, 12, 16, 19, 21, 23};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
            assert_int_equal(decode_exact(b, NTP_HEADER_LEN + bad[i], &p, NULL),
                             PKT_ERR_LENGTH);
    }
}

static void test_decode_no_ext_before_v4(void **state)
{
    (void)state;
    uint8_t b[128];
    NTP_Packet p;

    /* A well-formed extension field is just unexplained octets before v4. */
    for (unsigned v = 1; v <= 3; v++) {
        make_header(b, v, NTP_MODE_SERVER);
        size_t len = add_ext(b, NTP_HEADER_LEN, 28);
        assert_int_equal(decode_exact(b, len, &p, NULL), PKT_ERR_LENGTH);
        len = add_mac(b, len, 1, 20);
        assert_int_equal(decode_exact(b, len, &p, NULL), PKT_ERR_LENGTH);
    }
    make_header(b, 4, NTP_MODE_SERVER);
    size_t len = add_mac(b, add_ext(b, NTP_HEADER_LEN, 28), 1, 20);
    assert_int_equal(decode_exact(b, len, &p, NULL), PKT_OK);
}

static void test_decode_ext_fields(void **state)
{
    (void)state;
    uint8_t b[256];
    uint8_t *copy;
    NTP_Packet p;
    size_t len;

    make_header(b, 4, NTP_MODE_SERVER);

    /* One minimal (16-octet) field + MD5 MAC. */
    len = add_mac(b, add_ext(b, NTP_HEADER_LEN, 16), 42, 16);
    assert_int_equal(decode_exact(b, len, &p, &copy), PKT_OK);
    assert_int_equal(p.n_ext_fields, 1);
    assert_int_equal(p.auth_len, 64);
    assert_int_equal(p.key_id, 42);
    assert_int_equal(p.mac_len, 16);
    assert_ptr_equal(p.mac, copy + 68);
    check_ok_invariants(&p, copy, len);
    free(copy);

    /* Two fields + SHA1 MAC. */
    len = add_mac(b, add_ext(b, add_ext(b, NTP_HEADER_LEN, 16), 32), 9, 20);
    assert_int_equal(decode_exact(b, len, &p, &copy), PKT_OK);
    assert_int_equal(p.n_ext_fields, 2);
    assert_int_equal(p.auth_len, 96);
    assert_int_equal(p.mac_len, 20);
    check_ok_invariants(&p, copy, len);
    free(copy);

    /* Fields and no MAC: the last field must exceed 24 octets (RFC 7822
       7.5 asks for at least 28) to be told apart from a MAC. */
    len = add_ext(b, add_ext(b, NTP_HEADER_LEN, 16), 28);
    assert_int_equal(decode_exact(b, len, &p, NULL), PKT_OK);
    assert_int_equal(p.n_ext_fields, 2);
    assert_int_equal(p.auth_len, len);
    assert_false(p.has_mac);

    /* Field + crypto-NAK. */
    len = add_mac(b, add_ext(b, NTP_HEADER_LEN, 28), 0, 0);
    assert_int_equal(decode_exact(b, len, &p, NULL), PKT_OK);
    assert_int_equal(p.n_ext_fields, 1);
    assert_int_equal(p.auth_len, 76);
    assert_true(p.has_mac);
    assert_int_equal(p.mac_len, 0);

    /* A lone 16-octet field with no MAC is too short to be a field by the
       length rule and is not a MAC either. */
    len = add_ext(b, NTP_HEADER_LEN, 16);
    assert_int_equal(decode_exact(b, len, &p, NULL), PKT_ERR_LENGTH);

    /* A lone 24-octet field with no MAC is indistinguishable from (and taken
       as) a SHA1 MAC: that is the RFC 7822 ambiguity the 28-octet rule avoids. */
    len = add_ext(b, NTP_HEADER_LEN, 24);
    assert_int_equal(decode_exact(b, len, &p, NULL), PKT_OK);
    assert_int_equal(p.n_ext_fields, 0);
    assert_int_equal(p.mac_len, 20);

    /* Field followed by a trailer that is not a MAC. */
    len = add_ext(b, NTP_HEADER_LEN, 28) + 8;
    assert_int_equal(decode_exact(b, len, &p, NULL), PKT_ERR_LENGTH);
}

static void test_decode_bad_ext_fields(void **state)
{
    (void)state;
    uint8_t b[256];
    NTP_Packet p;
    size_t len;

    make_header(b, 4, NTP_MODE_SERVER);

    /* Field lengths below 16, including 0 (which would never advance). */
    static const uint16_t short_lens[] = {0, 4, 8, 12};
    for (size_t i = 0; i < sizeof(short_lens) / sizeof(short_lens[0]); i++) {
        len = add_mac(b, add_ext(b, NTP_HEADER_LEN, 28), 1, 20);
        put16(b + NTP_HEADER_LEN + 2, short_lens[i]);
        assert_int_equal(decode_exact(b, len, &p, NULL), PKT_ERR_EXT_FIELD);
    }

    /* Not a multiple of 4. */
    static const uint16_t odd_lens[] = {17, 18, 19, 29, 30, 31};
    for (size_t i = 0; i < sizeof(odd_lens) / sizeof(odd_lens[0]); i++) {
        len = add_mac(b, add_ext(b, NTP_HEADER_LEN, 32), 1, 20);
        put16(b + NTP_HEADER_LEN + 2, odd_lens[i]);
        assert_int_equal(decode_exact(b, len, &p, NULL), PKT_ERR_EXT_FIELD);
    }

    /* Running past the end of the packet, by a little and by a lot. */
    len = add_mac(b, add_ext(b, NTP_HEADER_LEN, 28), 1, 16);   /* 48 remain */
    put16(b + NTP_HEADER_LEN + 2, 52);
    assert_int_equal(decode_exact(b, len, &p, NULL), PKT_ERR_EXT_FIELD);
    put16(b + NTP_HEADER_LEN + 2, 0xfffc);
    assert_int_equal(decode_exact(b, len, &p, NULL), PKT_ERR_EXT_FIELD);
    /* Exactly to the end is fine (and then there is no MAC). */
    put16(b + NTP_HEADER_LEN + 2, 48);
    assert_int_equal(decode_exact(b, len, &p, NULL), PKT_OK);
    assert_int_equal(p.n_ext_fields, 1);
    assert_false(p.has_mac);

    /* A bad second field after a good first one. */
    len = add_mac(b, add_ext(b, add_ext(b, NTP_HEADER_LEN, 16), 28), 1, 20);
    put16(b + NTP_HEADER_LEN + 16 + 2, 10);
    assert_int_equal(decode_exact(b, len, &p, NULL), PKT_ERR_EXT_FIELD);
}

static void test_decode_every_truncation(void **state)
{
    (void)state;
    uint8_t b[256];
    NTP_Packet p;
    uint8_t *copy;

    /* 48 header + 16 + 32 ext + 24 MAC = 120 octets. */
    make_header(b, 4, NTP_MODE_SERVER);
    size_t full = add_mac(b, add_ext(b, add_ext(b, NTP_HEADER_LEN, 16), 32), 0x01020304u, 20);
    assert_int_equal(full, 120);

    for (size_t len = 0; len <= full; len++) {
        PKT_Status st = decode_exact(b, len, &p, &copy);

        if (len < NTP_HEADER_LEN) {
            assert_int_equal(st, PKT_ERR_SHORT);
        } else if (st == PKT_OK) {
            check_ok_invariants(&p, copy, len);
        } else {
            assert_true(st == PKT_ERR_EXT_FIELD || st == PKT_ERR_LENGTH);
        }
        /* Decoding is a pure function of the bytes. */
        NTP_Packet q;
        assert_int_equal(PKT_Decode(copy, len, &q), st);
        if (st == PKT_OK) {
            assert_int_equal(q.auth_len, p.auth_len);
            assert_int_equal(q.n_ext_fields, p.n_ext_fields);
            assert_int_equal(q.mac_len, p.mac_len);
        }
        free(copy);
    }

    /* The lengths that are whole packets: the header alone, the header +
       first field + 4 (crypto-NAK), and the full packet. */
    assert_int_equal(decode_exact(b, 48, &p, NULL), PKT_OK);
    assert_int_equal(decode_exact(b, 52, &p, NULL), PKT_OK);
    assert_true(p.has_mac && p.mac_len == 0);
    assert_int_equal(decode_exact(b, 68, &p, NULL), PKT_OK);   /* 16 octets + 4: MD5-sized */
    assert_int_equal(p.n_ext_fields, 0);
    assert_int_equal(p.mac_len, 16);
    assert_int_equal(decode_exact(b, full, &p, NULL), PKT_OK);
    assert_int_equal(p.n_ext_fields, 2);
    assert_int_equal(p.auth_len, 96);
    assert_int_equal(p.key_id, 0x01020304u);
    assert_int_equal(p.mac_len, 20);
    /* Cut inside the MAC: the fields still parse, 23 octets are left over. */
    assert_int_equal(decode_exact(b, full - 1, &p, NULL), PKT_ERR_LENGTH);
    /* Cut inside the second field: it now runs past the end. */
    assert_int_equal(decode_exact(b, 64 + 31, &p, NULL), PKT_ERR_EXT_FIELD);
}

/* Build a packet of random but valid structure; returns its length and the
   expected field count and auth_len, or 0 if it would not fit. */
static size_t gen_valid(uint8_t *b, unsigned *n_ext, size_t *auth_len, size_t *mac_len)
{
    static const size_t trailers[] = {0, 4, 20, 24};
    unsigned v = 1 + rng_below(4);
    size_t trailer = trailers[rng_below(4)];
    size_t off = NTP_HEADER_LEN;

    make_header(b, v, 1 + rng_below(5));
    for (size_t i = 1; i < NTP_HEADER_LEN; i++)
        b[i] = (uint8_t)rng();
    *n_ext = 0;
    if (v == 4) {
        unsigned n = rng_below(5);
        for (unsigned i = 0; i < n; i++) {
            uint16_t flen = (uint16_t)(16 + 4 * rng_below(i + 1 == n ? 60 : 20));
            /* The last field must leave more than a MAC's worth before the
               trailer is reached, or it would be taken for the MAC. */
            if (i + 1 == n && flen + trailer <= NTP_MAX_MAC_LEN)
                flen = 28;
            if (off + flen + trailer > NTP_MAX_PACKET_LEN)
                return 0;
            off = add_ext(b, off, flen);
            b[off - flen] = (uint8_t)rng();   /* any type */
            b[off - flen + 1] = (uint8_t)rng();
            (*n_ext)++;
        }
    }
    *auth_len = off;
    *mac_len = trailer >= 4 ? trailer - 4 : 0;
    if (trailer > 0)
        off = add_mac(b, off, (uint32_t)rng(), trailer - 4);
    return off;
}

static void test_decode_random(void **state)
{
    (void)state;
    uint8_t src[1100];
    NTP_Packet p, q;
    uint8_t *copy;
    unsigned ok = 0, errs[8] = {0};

    for (int iter = 0; iter < 100000; iter++) {
        size_t len;
        int kind = (int)rng_below(4);

        if (kind == 0) {
            /* Pure noise of any length 0..1100. */
            len = rng_below(1101);
            for (size_t i = 0; i < len; i++)
                src[i] = (uint8_t)rng();
        } else {
            /* Valid structure, checked against the generator's model... */
            unsigned n_ext;
            size_t auth_len, mac_len;
            len = gen_valid(src, &n_ext, &auth_len, &mac_len);
            if (len == 0)
                continue;
            if (kind == 1) {
                assert_int_equal(decode_exact(src, len, &p, &copy), PKT_OK);
                assert_int_equal(p.n_ext_fields, n_ext);
                assert_int_equal(p.auth_len, auth_len);
                assert_int_equal(p.has_mac, len != auth_len);
                assert_int_equal(p.mac_len, mac_len);
                check_ok_invariants(&p, copy, len);
                free(copy);
                ok++;
                continue;
            }
            /* ...or mutated: a few flipped octets, a cut, or extra bytes. */
            if (kind == 2) {
                for (unsigned k = 1 + rng_below(4); k > 0; k--)
                    src[rng_below((uint32_t)len)] ^= (uint8_t)(1u << rng_below(8));
            } else {
                size_t nlen = rng_below(1101);
                for (size_t i = len; i < nlen; i++)
                    src[i] = (uint8_t)rng();
                len = nlen;
            }
        }

        PKT_Status st = decode_exact(src, len, &p, &copy);
        assert_in_range(st, PKT_OK, PKT_ERR_LENGTH);
        errs[st]++;
        if (len < NTP_HEADER_LEN)
            assert_int_equal(st, PKT_ERR_SHORT);
        else
            assert_int_not_equal(st, PKT_ERR_SHORT);
        if (len > NTP_MAX_PACKET_LEN)
            assert_int_equal(st, PKT_ERR_LENGTH);
        if (st == PKT_OK) {
            check_ok_invariants(&p, copy, len);
            ok++;
        }
        assert_int_equal(PKT_Decode(copy, len, &q), st);
        if (st == PKT_OK) {
            assert_int_equal(q.auth_len, p.auth_len);
            assert_int_equal(q.n_ext_fields, p.n_ext_fields);
            assert_int_equal(q.key_id, p.key_id);
            assert_int_equal(q.transmit, p.transmit);
        }
        free(copy);
    }

    /* The generator must actually reach every outcome. */
    assert_true(ok > 1000);
    for (int s = PKT_ERR_SHORT; s <= PKT_ERR_LENGTH; s++)
        assert_true(errs[s] > 10);
}

static NTP_Packet sample_packet(void)
{
    NTP_Packet p;

    memset(&p, 0, sizeof(p));
    p.leap = NTP_LEAP_NONE;
    p.version = 4;
    p.mode = NTP_MODE_SERVER;
    p.stratum = 2;
    p.poll = 6;
    p.precision = -20;
    p.root_delay = 0x00000800u;        /* 31.25 ms */
    p.root_dispersion = 0x00000400u;   /* 15.6 ms */
    p.refid = 0xc0000201u;             /* 192.0.2.1 */
    p.reference = 0xeb0e0c0000000000ULL;
    p.origin = 0xeb0e0c4012345678ULL;
    p.receive = 0xeb0e0c4022222222ULL;
    p.transmit = 0xeb0e0c4033333333ULL;
    return p;
}

static void test_encode_round_trip(void **state)
{
    (void)state;
    NTP_Packet in = sample_packet(), out;

    for (unsigned leap = 0; leap <= 3; leap++) {
        for (unsigned v = 1; v <= 4; v++) {
            for (unsigned m = 1; m <= 5; m++) {
                /* Exactly 48 octets on the heap: ASan checks Encode's bounds. */
                uint8_t *buf = malloc(NTP_HEADER_LEN);
                assert_non_null(buf);
                in.leap = (uint8_t)leap;
                in.version = (uint8_t)v;
                in.mode = (uint8_t)m;
                in.poll = (int8_t)(m % 2 ? -3 : 17);
                assert_int_equal(PKT_Encode(&in, buf), NTP_HEADER_LEN);
                assert_int_equal(buf[0], li_vn_mode(leap, v, m));
                assert_int_equal(PKT_Decode(buf, NTP_HEADER_LEN, &out), PKT_OK);
                assert_int_equal(out.leap, in.leap);
                assert_int_equal(out.version, in.version);
                assert_int_equal(out.mode, in.mode);
                assert_int_equal(out.stratum, in.stratum);
                assert_int_equal(out.poll, in.poll);
                assert_int_equal(out.precision, in.precision);
                assert_int_equal(out.root_delay, in.root_delay);
                assert_int_equal(out.root_dispersion, in.root_dispersion);
                assert_int_equal(out.refid, in.refid);
                assert_int_equal(out.reference, in.reference);
                assert_int_equal(out.origin, in.origin);
                assert_int_equal(out.receive, in.receive);
                assert_int_equal(out.transmit, in.transmit);
                free(buf);
            }
        }
    }

    /* Network byte order on the wire. */
    uint8_t buf[NTP_HEADER_LEN];
    in = sample_packet();
    PKT_Encode(&in, buf);
    static const uint8_t refid[4] = {192, 0, 2, 1};
    static const uint8_t xmt[8] = {0xeb, 0x0e, 0x0c, 0x40, 0x33, 0x33, 0x33, 0x33};
    assert_memory_equal(buf + 12, refid, 4);
    assert_memory_equal(buf + 40, xmt, 8);
    assert_int_equal(buf[3], 0xec);   /* -20 */
    assert_int_equal(buf[6], 0x08);   /* root delay 0x00000800 */

    /* Decode -> encode reproduces any valid header octet for octet. */
    for (int i = 0; i < 10000; i++) {
        uint8_t raw[NTP_HEADER_LEN], again[NTP_HEADER_LEN];
        for (size_t k = 0; k < sizeof(raw); k++)
            raw[k] = (uint8_t)rng();
        raw[0] = li_vn_mode(rng_below(4), 1 + rng_below(4), 1 + rng_below(5));
        assert_int_equal(PKT_Decode(raw, sizeof(raw), &out), PKT_OK);
        PKT_Encode(&out, again);
        assert_memory_equal(raw, again, sizeof(raw));
    }
}

/* A reply that passes every test, to a request sent at OUR_XMT. */
#define OUR_XMT 0xeb0e0c4012345678ULL
#define LAST_XMT 0xeb0e0c0033333333ULL

static void test_check_reply_pass(void **state)
{
    (void)state;
    NTP_Packet p = sample_packet();

    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_PASS);
    /* No packet accepted yet from this peer. */
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, 0), PKT_TEST_PASS);
    /* Leap warnings are not unsync; stratum 15 is still synced. */
    p.leap = NTP_LEAP_INSERT;
    p.stratum = 15;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_PASS);
    p.leap = NTP_LEAP_DELETE;
    p.stratum = 1;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_PASS);
}

static void test_check_reply_zero_xmt(void **state)
{
    (void)state;
    NTP_Packet p = sample_packet();

    p.transmit = 0;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_ZERO_XMT);
    /* Even with no previous transmit (0 == 0 is not a duplicate). */
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, 0), PKT_TEST_ZERO_XMT);
    /* First in order: fails every other test too. */
    p.origin = 1;
    p.stratum = 0;
    p.leap = NTP_LEAP_UNSYNC;
    p.root_dispersion = 0xffffffffu;
    p.reference = 0;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, 0), PKT_TEST_ZERO_XMT);
}

static void test_check_reply_duplicate(void **state)
{
    (void)state;
    NTP_Packet p = sample_packet();

    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, p.transmit), PKT_TEST_DUPLICATE);
    /* Before bogus: a replay of an old reply has a stale origin too. */
    p.origin = 0x1111;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, p.transmit), PKT_TEST_DUPLICATE);
    /* Off by one unit is not a duplicate. */
    p = sample_packet();
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, p.transmit - 1), PKT_TEST_PASS);
}

static void test_check_reply_bogus(void **state)
{
    (void)state;
    NTP_Packet p = sample_packet();

    p.origin = OUR_XMT + 1;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_BOGUS);
    p.origin = 0;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_BOGUS);
    /* Before kiss: a spoofed kiss-o'-death must not be believed. */
    p.origin = OUR_XMT ^ 0x8000000000000000ULL;
    p.stratum = 0;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_BOGUS);
}

static void test_check_reply_kiss(void **state)
{
    (void)state;
    NTP_Packet p = sample_packet();

    p.stratum = NTP_STRATUM_UNSPEC;
    p.refid = 0x52415445u;   /* "RATE" */
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_KISS);
    /* Before unsync: real KoD packets carry leap 3 and zero timestamps. */
    p.leap = NTP_LEAP_UNSYNC;
    p.reference = 0;
    p.root_delay = 0xffffffffu;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_KISS);
}

static void test_check_reply_unsync(void **state)
{
    (void)state;
    NTP_Packet p = sample_packet();

    p.leap = NTP_LEAP_UNSYNC;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_UNSYNC);
    p.leap = NTP_LEAP_NONE;
    p.stratum = NTP_STRATUM_UNSYNC;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_UNSYNC);
    p.stratum = 255;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_UNSYNC);
    /* Before distance. */
    p.root_dispersion = 0xffffffffu;
    p.reference = 0;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_UNSYNC);
}

static void test_check_reply_distance(void **state)
{
    (void)state;
    NTP_Packet p = sample_packet();

    /* Root dispersion alone reaching MAXDISP (16 s). */
    p.root_delay = 0;
    p.root_dispersion = NTS_ShortFromDouble(16.0);
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_DISTANCE);
    p.root_dispersion = NTS_ShortFromDouble(16.0) - 1;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_PASS);

    /* Half the root delay counts: 32 s of delay is 16 s of distance. */
    p.root_dispersion = 0;
    p.root_delay = NTS_ShortFromDouble(32.0);
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_DISTANCE);
    p.root_delay = NTS_ShortFromDouble(31.99);
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_PASS);

    /* The sum: 20 s / 2 + 6 s = 16 s. */
    p.root_delay = NTS_ShortFromDouble(20.0);
    p.root_dispersion = NTS_ShortFromDouble(6.0);
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_DISTANCE);
    p.root_dispersion = NTS_ShortFromDouble(5.5);
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_PASS);

    /* Saturated fields; and before reftime. */
    p.root_delay = 0xffffffffu;
    p.root_dispersion = 0xffffffffu;
    p.reference = 0;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_DISTANCE);
}

static void test_check_reply_reftime(void **state)
{
    (void)state;
    NTP_Packet p = sample_packet();

    p.reference = 0;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_REFTIME);
    /* One unit (0.23 ns) after the transmit time. */
    p.reference = p.transmit + 1;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_REFTIME);
    /* Equal is fine. */
    p.reference = p.transmit;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_PASS);

    /* Across the 2036 rollover: reference in era 0 (wire 0xffffff00 s),
       transmit in era 1 (wire 0x100 s) is earlier, not 136 years later. */
    p.reference = 0xffffff0000000000ULL;
    p.transmit = 0x0000010000000000ULL;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_PASS);
    p.reference = 0x0000010000000000ULL;
    p.transmit = 0xffffff0000000000ULL;
    assert_int_equal(PKT_CheckReply(&p, OUR_XMT, LAST_XMT), PKT_TEST_REFTIME);
}

static NTP_Packet with_refid(const char raw[4])
{
    NTP_Packet p = sample_packet();

    p.stratum = 0;
    p.refid = (uint32_t)(uint8_t)raw[0] << 24 | (uint32_t)(uint8_t)raw[1] << 16
              | (uint32_t)(uint8_t)raw[2] << 8 | (uint8_t)raw[3];
    return p;
}

static void check_kiss(const char raw[4], int expect_ok, const char *expect)
{
    NTP_Packet p = with_refid(raw);
    char code[5];

    memset(code, 'x', sizeof(code));
    assert_int_equal(PKT_KissCode(&p, code), expect_ok);
    assert_string_equal(code, expect);
}

static void test_kiss_code(void **state)
{
    (void)state;
    check_kiss("RATE", 1, "RATE");
    check_kiss("DENY", 1, "DENY");
    check_kiss("RSTR", 1, "RSTR");
    check_kiss("INIT", 1, "INIT");
    /* Shorter codes padded with NULs or spaces. */
    check_kiss("AB\0\0", 1, "AB");
    check_kiss("AB  ", 1, "AB");
    check_kiss("X\0 \0", 1, "X");
    check_kiss("XYZ\0", 1, "XYZ");
    check_kiss("A B ", 1, "A B");
    /* Nothing, or nothing but padding. */
    check_kiss("\0\0\0\0", 0, "");
    check_kiss("    ", 0, "");
    /* Not printable ASCII. */
    check_kiss("A\0B\0", 0, "");
    check_kiss("RAT\x01", 0, "");
    check_kiss("\x7f" "ABC", 0, "");
    check_kiss("AB\xc3\xa9", 0, "");
    check_kiss("\n\0\0\0", 0, "");
    /* An IPv4 refid (192.0.2.1). */
    check_kiss("\xc0\x00\x02\x01", 0, "");

    /* Whatever the refid: a success is 1-4 printable characters, a failure
       the empty string. */
    for (int i = 0; i < 100000; i++) {
        NTP_Packet p = sample_packet();
        char code[5];
        p.refid = (uint32_t)rng();
        if (i % 2)
            p.refid &= 0x7f7f7f7fu;   /* more likely ASCII */
        int ok = PKT_KissCode(&p, code);
        size_t n = strlen(code);
        if (ok) {
            assert_in_range(n, 1, 4);
            for (size_t k = 0; k < n; k++)
                assert_in_range((unsigned char)code[k], 0x20, 0x7e);
            assert_true(code[n - 1] != ' ');
        } else {
            assert_int_equal(n, 0);
        }
    }
}

static void test_names(void **state)
{
    (void)state;
    const char *s[PKT_ERR_LENGTH + 1];
    const char *t[PKT_TEST_REFTIME + 1];

    for (int i = PKT_OK; i <= PKT_ERR_LENGTH; i++) {
        s[i] = PKT_StatusName((PKT_Status)i);
        assert_non_null(s[i]);
        assert_true(s[i][0] != '\0');
        for (int j = 0; j < i; j++)
            assert_string_not_equal(s[i], s[j]);
    }
    for (int i = PKT_TEST_PASS; i <= PKT_TEST_REFTIME; i++) {
        t[i] = PKT_TestName((PKT_Test)i);
        assert_non_null(t[i]);
        assert_true(t[i][0] != '\0');
        for (int j = 0; j < i; j++)
            assert_string_not_equal(t[i], t[j]);
    }
    /* Out-of-range values still name something. */
    assert_true(PKT_StatusName((PKT_Status)99)[0] != '\0');
    assert_true(PKT_TestName((PKT_Test)99)[0] != '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_header_fields),
        cmocka_unit_test(test_decode_versions),
        cmocka_unit_test(test_decode_modes),
        cmocka_unit_test(test_decode_short),
        cmocka_unit_test(test_decode_max_length),
        cmocka_unit_test(test_decode_mac_trailers),
        cmocka_unit_test(test_decode_no_ext_before_v4),
        cmocka_unit_test(test_decode_ext_fields),
        cmocka_unit_test(test_decode_bad_ext_fields),
        cmocka_unit_test(test_decode_every_truncation),
        cmocka_unit_test(test_decode_random),
        cmocka_unit_test(test_encode_round_trip),
        cmocka_unit_test(test_check_reply_pass),
        cmocka_unit_test(test_check_reply_zero_xmt),
        cmocka_unit_test(test_check_reply_duplicate),
        cmocka_unit_test(test_check_reply_bogus),
        cmocka_unit_test(test_check_reply_kiss),
        cmocka_unit_test(test_check_reply_unsync),
        cmocka_unit_test(test_check_reply_distance),
        cmocka_unit_test(test_check_reply_reftime),
        cmocka_unit_test(test_kiss_code),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests_name("ntp_pkt", tests, NULL, NULL);
}
