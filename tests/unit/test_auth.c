/*
 * Unit tests for auth: known-answer MACs for MD5, SHA1 and AES128CMAC
 * (computed independently, commands in the comments), ntpd's handling of
 * short and long CMAC keys, verification (wrong length, wrong key, wrong
 * type, every single-bit change), and whole packets: PKT_Encode +
 * AUTH_AppendMac decode with PKT_Decode to the right key id and verify,
 * with and without extension fields; crypto-NAKs; argument checking.
 *
 * Links: keys auth ntp_pkt ntp_time mem log textfile
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "keys.h"
#include "ntp_pkt.h"

/* ------------------------------------------------------------------------
 * Helpers
 */

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;

    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static KEY_Key make_key(uint32_t id, KEY_Type type, const void *bytes, size_t len)
{
    KEY_Key k;

    memset(&k, 0, sizeof(k));
    k.id = id;
    k.type = type;
    k.len = len;
    memcpy(k.key, bytes, len);
    return k;
}

static KEY_Key hex_key(uint32_t id, KEY_Type type, const char *hex)
{
    uint8_t b[KEY_MAX_LEN];
    size_t n = unhex(hex, b);

    return make_key(id, type, b, n);
}

/* The test message of the known-answer vectors: octets 0x00..0x2f. */
static void data48(uint8_t *d)
{
    for (int i = 0; i < 48; i++)
        d[i] = (uint8_t)i;
}

/* AUTH_Compute must give exactly `hex`, and AUTH_Verify must accept it. */
static void check_mac(const KEY_Key *k, const uint8_t *data, size_t len, const char *hex)
{
    uint8_t want[AUTH_MAX_DIGEST_LEN], got[AUTH_MAX_DIGEST_LEN];
    size_t n = unhex(hex, want);

    assert_int_equal(AUTH_Compute(k, data, len, got), n);
    assert_memory_equal(got, want, n);
    assert_int_equal(AUTH_Verify(k, data, len, want, n), 1);
}

/* ------------------------------------------------------------------------
 * Known answers
 */

static void test_digest_length(void **state)
{
    (void)state;
    assert_int_equal(AUTH_DigestLength(KEY_TYPE_MD5), 16);
    assert_int_equal(AUTH_DigestLength(KEY_TYPE_SHA1), 20);
    assert_int_equal(AUTH_DigestLength(KEY_TYPE_AES128CMAC), 16);
    assert_int_equal(AUTH_DigestLength((KEY_Type)0), 0);
    assert_int_equal(AUTH_DigestLength((KEY_Type)42), 0);
}

static void test_md5_known_answers(void **state)
{
    uint8_t d[48];
    KEY_Key k;

    (void)state;
    data48(d);
    /* python3 -c "import hashlib as H;
                   print(H.md5(b'cntpdtest' + bytes(range(48))).hexdigest())" */
    k = make_key(42, KEY_TYPE_MD5, "cntpdtest", 9);
    check_mac(&k, d, 48, "7b0249f4f2412cf48e107415b57f4fc7");
    /* python3 -c "import hashlib as H; print(H.md5(b'cntpdtest').hexdigest())" */
    check_mac(&k, d, 0, "7714ee4b7aa0db5883c23a7281ea571e");
    /* python3 -c "import hashlib as H;
                   print(H.md5(b'abcdefghijklmnopqrst' + bytes(range(48))).hexdigest())" */
    k = make_key(1, KEY_TYPE_MD5, "abcdefghijklmnopqrst", 20);
    check_mac(&k, d, 48, "cc819549d05663dc395ce6e9dacbde0f");
    /* python3 -c "import hashlib as H; print(H.md5(b'x' + bytes(range(48))).hexdigest())" */
    k = make_key(1, KEY_TYPE_MD5, "x", 1);
    check_mac(&k, d, 48, "dc0bc59a0faaae2f0f8424ee44b86ca3");
    /* The longest key, 64 octets 0x40..0x7f:
       python3 -c "import hashlib as H;
                   print(H.md5(bytes(range(0x40, 0x80)) + bytes(range(48))).hexdigest())" */
    uint8_t k64[64];
    for (int i = 0; i < 64; i++)
        k64[i] = (uint8_t)(0x40 + i);
    k = make_key(1, KEY_TYPE_MD5, k64, 64);
    check_mac(&k, d, 48, "0114e7101f9e70612dfa88cb0ec5ac3b");
}

static void test_sha1_known_answers(void **state)
{
    uint8_t d[48];
    KEY_Key k;

    (void)state;
    data48(d);
    /* python3 -c "import hashlib as H;
                   k = bytes.fromhex('c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394');
                   print(H.sha1(k + bytes(range(48))).hexdigest())" */
    k = hex_key(43, KEY_TYPE_SHA1, "c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394");
    check_mac(&k, d, 48, "b20eac398512adf51c3bc61682dbd6466845c6f6");
    /* python3 -c "import hashlib as H; print(H.sha1(b'x' + bytes(range(48))).hexdigest())" */
    k = make_key(1, KEY_TYPE_SHA1, "x", 1);
    check_mac(&k, d, 48, "c2f1c1d58ae7345ad9eb0e17cec50da3353fdc9c");
}

static void test_cmac_known_answers(void **state)
{
    uint8_t d[48], m[16];
    KEY_Key k;

    (void)state;
    data48(d);
    k = hex_key(44, KEY_TYPE_AES128CMAC, "2b7e151628aed2a6abf7158809cf4f3c");
    /* RFC 4493 section 4, examples 1 and 2 (empty and 16-octet message);
       also: openssl dgst -mac cmac -macopt cipher:aes-128-cbc
             -macopt hexkey:2b7e151628aed2a6abf7158809cf4f3c FILE */
    check_mac(&k, d, 0, "bb1d6929e95937287fa37d129b756746");
    unhex("6bc1bee22e409f96e93d7e117393172a", m);
    check_mac(&k, m, 16, "070a16b46b4d4144f79bdd9dd04a287c");
    /* python3 -c "import sys; sys.stdout.buffer.write(bytes(range(48)))" > d48.bin
       openssl dgst -mac cmac -macopt cipher:aes-128-cbc
             -macopt hexkey:2b7e151628aed2a6abf7158809cf4f3c d48.bin */
    check_mac(&k, d, 48, "b46dd8856c4fee713a9243e917f1fdb7");
}

/* ntpd zero-pads a short CMAC key to 16 octets and uses the first 16 of a
   long one; cntpd must compute the same MACs. */
static void test_cmac_key_length_as_ntpd(void **state)
{
    uint8_t d[48];
    KEY_Key k;

    (void)state;
    data48(d);
    /* openssl dgst -mac cmac -macopt cipher:aes-128-cbc
             -macopt hexkey:61626300000000000000000000000000 d48.bin  ("abc" + 13 zeros) */
    k = make_key(1, KEY_TYPE_AES128CMAC, "abc", 3);
    check_mac(&k, d, 48, "06c1175a15ef1ce12ce83f6712298e5c");
    k = hex_key(1, KEY_TYPE_AES128CMAC, "61626300000000000000000000000000");
    check_mac(&k, d, 48, "06c1175a15ef1ce12ce83f6712298e5c");
    /* Padding is by `len`, not by whatever follows it in the array. */
    k = make_key(1, KEY_TYPE_AES128CMAC, "abcdefghijklmnop", 16);
    k.len = 3;
    check_mac(&k, d, 48, "06c1175a15ef1ce12ce83f6712298e5c");
    /* openssl dgst -mac cmac -macopt cipher:aes-128-cbc
             -macopt hexkey:00112233445566778899aabbccddeeff d48.bin */
    k = hex_key(1, KEY_TYPE_AES128CMAC, "00112233445566778899aabbccddeeff01020304");
    check_mac(&k, d, 48, "c5f4a8923cceb6a679673131a722b153");
    k = hex_key(1, KEY_TYPE_AES128CMAC, "00112233445566778899aabbccddeeff");
    check_mac(&k, d, 48, "c5f4a8923cceb6a679673131a722b153");
}

/* The lines for sharing keys with chronyd (keys.h): the ntpd-format lines
   cntpd reads must give the MACs chronyd computes from its lines, which
   are digest(key || data) exactly as python's hashlib gives them. */
static void test_chrony_shared_keys(void **state)
{
    uint8_t d[48];
    KEY_Table t = NULL;
    char err[256];

    (void)state;
    data48(d);
    assert_int_equal(KEY_LoadString("42 MD5 cntpdtest\n"
                                    "43 SHA1 c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394\n"
                                    "44 AES128CMAC 2b7e151628aed2a6abf7158809cf4f3c\n",
                                    "shared.keys", &t, err, sizeof(err)),
                     0);
    /* chrony.keys: 42 MD5 ASCII:cntpdtest (same vector as above) */
    check_mac(KEY_Find(t, 42), d, 48, "7b0249f4f2412cf48e107415b57f4fc7");
    /* chrony.keys: 43 SHA1 HEX:c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394 */
    check_mac(KEY_Find(t, 43), d, 48, "b20eac398512adf51c3bc61682dbd6466845c6f6");
    /* chrony.keys: 44 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c */
    check_mac(KEY_Find(t, 44), d, 48, "b46dd8856c4fee713a9243e917f1fdb7");
    KEY_Free(t);
}

/* ------------------------------------------------------------------------
 * Verification
 */

static void test_verify_rejects(void **state)
{
    uint8_t d[48], mac[AUTH_MAX_DIGEST_LEN], longer[AUTH_MAX_DIGEST_LEN];
    KEY_Key md5, other, sha1, cmac;

    (void)state;
    data48(d);
    md5 = make_key(42, KEY_TYPE_MD5, "cntpdtest", 9);
    assert_int_equal(AUTH_Compute(&md5, d, 48, mac), 16);
    assert_int_equal(AUTH_Verify(&md5, d, 48, mac, 16), 1);

    /* The length must be the type's: no truncated or padded MACs. */
    assert_int_equal(AUTH_Verify(&md5, d, 48, mac, 15), 0);
    assert_int_equal(AUTH_Verify(&md5, d, 48, mac, 0), 0);
    memcpy(longer, mac, 16);
    memset(longer + 16, 0, 4);
    assert_int_equal(AUTH_Verify(&md5, d, 48, longer, 20), 0);

    /* Wrong secret with the same id; one character more; wrong type. */
    other = make_key(42, KEY_TYPE_MD5, "cntpdtesu", 9);
    assert_int_equal(AUTH_Verify(&other, d, 48, mac, 16), 0);
    other = make_key(42, KEY_TYPE_MD5, "cntpdtest!", 10);
    assert_int_equal(AUTH_Verify(&other, d, 48, mac, 16), 0);
    cmac = make_key(42, KEY_TYPE_AES128CMAC, "cntpdtest", 9);
    assert_int_equal(AUTH_Verify(&cmac, d, 48, mac, 16), 0);
    sha1 = make_key(42, KEY_TYPE_SHA1, "cntpdtest", 9);
    assert_int_equal(AUTH_Verify(&sha1, d, 48, mac, 16), 0);
    /* A SHA1 MAC cut to 16 octets is not an MD5-length SHA1 MAC. */
    assert_int_equal(AUTH_Compute(&sha1, d, 48, longer), 20);
    assert_int_equal(AUTH_Verify(&sha1, d, 48, longer, 16), 0);
    assert_int_equal(AUTH_Verify(&sha1, d, 48, longer, 20), 1);

    /* Different length of data. */
    assert_int_equal(AUTH_Verify(&md5, d, 47, mac, 16), 0);

    /* NULLs. */
    assert_int_equal(AUTH_Verify(NULL, d, 48, mac, 16), 0);
    assert_int_equal(AUTH_Verify(&md5, d, 48, NULL, 16), 0);
    assert_int_equal(AUTH_Verify(&md5, NULL, 48, mac, 16), 0);
}

/* Flip every bit of the data and of the MAC, one at a time, for each type:
   none may verify. */
static void test_single_bit_changes(void **state)
{
    KEY_Key keys[3];
    uint8_t d[48], mac[AUTH_MAX_DIGEST_LEN];

    (void)state;
    keys[0] = make_key(1, KEY_TYPE_MD5, "cntpdtest", 9);
    keys[1] = hex_key(2, KEY_TYPE_SHA1, "c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394");
    keys[2] = hex_key(3, KEY_TYPE_AES128CMAC, "2b7e151628aed2a6abf7158809cf4f3c");
    for (int t = 0; t < 3; t++) {
        size_t n;

        data48(d);
        n = AUTH_Compute(&keys[t], d, 48, mac);
        assert_int_equal(n, AUTH_DigestLength(keys[t].type));
        for (int bit = 0; bit < 48 * 8; bit++) {
            d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (AUTH_Verify(&keys[t], d, 48, mac, n))
                fail_msg("%s: data bit %d flipped still verifies", KEY_TypeName(keys[t].type),
                         bit);
            d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t bit = 0; bit < n * 8; bit++) {
            mac[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (AUTH_Verify(&keys[t], d, 48, mac, n))
                fail_msg("%s: MAC bit %zu flipped still verifies", KEY_TypeName(keys[t].type),
                         bit);
            mac[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        /* And every bit of the key. */
        for (size_t bit = 0; bit < keys[t].len * 8; bit++) {
            KEY_Key k = keys[t];

            k.key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (AUTH_Verify(&k, d, 48, mac, n))
                fail_msg("%s: key bit %zu flipped still verifies", KEY_TypeName(k.type), bit);
        }
        assert_int_equal(AUTH_Verify(&keys[t], d, 48, mac, n), 1);
    }
}

static void test_compute_bad_keys(void **state)
{
    uint8_t d[48], mac[AUTH_MAX_DIGEST_LEN];
    KEY_Key k;

    (void)state;
    data48(d);
    /* Keys the loader cannot produce: refused, MAC buffer zeroed. */
    k = make_key(1, KEY_TYPE_MD5, "a", 1);
    k.len = 0;
    memset(mac, 0xee, sizeof(mac));
    assert_int_equal(AUTH_Compute(&k, d, 48, mac), 0);
    for (size_t i = 0; i < sizeof(mac); i++)
        assert_int_equal(mac[i], 0);
    k.len = KEY_MAX_LEN + 1;
    assert_int_equal(AUTH_Compute(&k, d, 48, mac), 0);
    k = make_key(1, (KEY_Type)0, "a", 1);
    assert_int_equal(AUTH_Compute(&k, d, 48, mac), 0);
    assert_int_equal(AUTH_Verify(&k, d, 48, mac, 16), 0);
    k = make_key(1, (KEY_Type)7, "a", 1);
    assert_int_equal(AUTH_Compute(&k, d, 48, mac), 0);
    assert_int_equal(AUTH_Compute(NULL, d, 48, mac), 0);
    k = make_key(1, KEY_TYPE_MD5, "a", 1);
    assert_int_equal(AUTH_Compute(&k, d, 48, NULL), 0);
    assert_int_equal(AUTH_Compute(&k, NULL, 48, mac), 0);
    assert_int_equal(AUTH_Compute(&k, NULL, 0, mac), 16);   /* empty data is fine */
}

static void test_fini_and_again(void **state)
{
    uint8_t d[48];
    KEY_Key k;

    (void)state;
    data48(d);
    k = make_key(42, KEY_TYPE_MD5, "cntpdtest", 9);
    check_mac(&k, d, 48, "7b0249f4f2412cf48e107415b57f4fc7");
    AUTH_Fini();
    AUTH_Fini();    /* twice is harmless */
    /* Handles are fetched again on the next call. */
    check_mac(&k, d, 48, "7b0249f4f2412cf48e107415b57f4fc7");
    k = hex_key(44, KEY_TYPE_AES128CMAC, "2b7e151628aed2a6abf7158809cf4f3c");
    check_mac(&k, d, 48, "b46dd8856c4fee713a9243e917f1fdb7");
    AUTH_Fini();
}

/* ------------------------------------------------------------------------
 * Packets
 */

/* A client request whose 48 octets are, in hex,
   230006ec 00000000*9 e9a1b2c3d4e5f607 (v4, mode 3, poll 6, precision -20,
   transmit 0xe9a1b2c3d4e5f607). */
static void client_request(NTP_Packet *p)
{
    memset(p, 0, sizeof(*p));
    p->leap = NTP_LEAP_NONE;
    p->version = 4;
    p->mode = NTP_MODE_CLIENT;
    p->poll = 6;
    p->precision = -20;
    p->transmit = 0xe9a1b2c3d4e5f607ULL;
}

/* Decode, look the key up by the packet's key id, verify: what a receiver
   does. 1 only when everything holds. */
static int receive_ok(KEY_Table keys, const uint8_t *buf, size_t len)
{
    NTP_Packet p;
    const KEY_Key *k;

    if (PKT_Decode(buf, len, &p) != PKT_OK || !p.has_mac)
        return 0;
    k = KEY_Find(keys, p.key_id);
    return k && AUTH_Verify(k, buf, p.auth_len, p.mac, p.mac_len);
}

static KEY_Table shared_keys(void)
{
    KEY_Table t = NULL;
    char err[256];

    assert_int_equal(KEY_LoadString("42 MD5 cntpdtest\n"
                                    "43 SHA1 c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394\n"
                                    "44 AES128CMAC 2b7e151628aed2a6abf7158809cf4f3c\n",
                                    "shared.keys", &t, err, sizeof(err)),
                     0);
    return t;
}

/* The exact octets on the wire, trailer included, for each type:
   python3 -c "import hashlib as H;
               h = bytes.fromhex('230006ec' + '00' * 36 + 'e9a1b2c3d4e5f607');
               k = bytes.fromhex('c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394');
               print(H.md5(b'cntpdtest' + h).hexdigest()); print(H.sha1(k + h).hexdigest())"
   and for CMAC, with those 48 octets in hdr.bin:
   openssl dgst -mac cmac -macopt cipher:aes-128-cbc
         -macopt hexkey:2b7e151628aed2a6abf7158809cf4f3c hdr.bin */
static void test_packet_known_answers(void **state)
{
    static const struct {
        uint32_t id;
        const char *trailer;
    } cases[] = {
        { 42, "0000002a5c61d7b993b5eba77269fcc0517cff47" },
        { 43, "0000002bc637fb26e9f095cbe3d8b37e29533d57d277e3d9" },
        { 44, "0000002cfa2b57fbdbd17c1850a589461f55262e" },
    };
    KEY_Table t = shared_keys();

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        uint8_t buf[NTP_MAX_PACKET_LEN], want[NTP_MAX_MAC_LEN], hdr[NTP_HEADER_LEN];
        size_t wlen = unhex(cases[i].trailer, want), len;
        NTP_Packet p;

        client_request(&p);
        assert_int_equal(PKT_Encode(&p, buf), NTP_HEADER_LEN);
        unhex("230006ec000000000000000000000000000000000000000000000000"
              "000000000000000000000000e9a1b2c3d4e5f607", hdr);
        assert_memory_equal(buf, hdr, NTP_HEADER_LEN);
        len = AUTH_AppendMac(KEY_Find(t, cases[i].id), buf, NTP_HEADER_LEN, sizeof(buf));
        assert_int_equal(len, NTP_HEADER_LEN + wlen);
        assert_memory_equal(buf + NTP_HEADER_LEN, want, wlen);
    }
    KEY_Free(t);
}

static void test_packet_roundtrip(void **state)
{
    KEY_Table t = shared_keys();

    (void)state;
    for (uint32_t id = 42; id <= 44; id++) {
        const KEY_Key *k = KEY_Find(t, id);
        uint8_t buf[NTP_MAX_PACKET_LEN];
        NTP_Packet p, q;
        size_t len;

        client_request(&p);
        p.mode = NTP_MODE_SERVER;
        p.stratum = 2;
        p.refid = 0x7f000001;
        p.reference = 0xe9a1b2c300000000ULL;
        p.origin = 0xe9a1b2c3d4e5f607ULL;
        p.receive = 0xe9a1b2c3d5000000ULL;
        p.transmit = 0xe9a1b2c3d5100000ULL;
        PKT_Encode(&p, buf);
        len = AUTH_AppendMac(k, buf, NTP_HEADER_LEN, sizeof(buf));
        assert_int_equal(len, NTP_HEADER_LEN + 4 + AUTH_DigestLength(k->type));

        assert_int_equal(PKT_Decode(buf, len, &q), PKT_OK);
        assert_true(q.has_mac);
        assert_int_equal(q.key_id, id);
        assert_int_equal(q.auth_len, NTP_HEADER_LEN);
        assert_int_equal(q.mac_len, AUTH_DigestLength(k->type));
        assert_ptr_equal(q.mac, buf + NTP_HEADER_LEN + 4);
        assert_int_equal(q.transmit, p.transmit);
        assert_int_equal(AUTH_Verify(k, buf, q.auth_len, q.mac, q.mac_len), 1);
        assert_int_equal(receive_ok(t, buf, len), 1);
    }
    KEY_Free(t);
}

/* Any single-bit change anywhere in an authenticated packet (header, key
   id, MAC) makes the receiver refuse it: it fails to decode, names a key
   that does not exist or is of another length, or fails verification. */
static void test_packet_bit_flips(void **state)
{
    KEY_Table t = shared_keys();

    (void)state;
    for (uint32_t id = 42; id <= 44; id++) {
        uint8_t buf[NTP_MAX_PACKET_LEN];
        NTP_Packet p;
        size_t len;

        client_request(&p);
        PKT_Encode(&p, buf);
        len = AUTH_AppendMac(KEY_Find(t, id), buf, NTP_HEADER_LEN, sizeof(buf));
        assert_int_equal(receive_ok(t, buf, len), 1);
        for (size_t bit = 0; bit < len * 8; bit++) {
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (receive_ok(t, buf, len))
                fail_msg("key %u: bit %zu (octet %zu) flipped, still accepted", (unsigned)id, bit,
                         bit / 8);
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        /* The key id changed to the other key of the same digest length
           (42 <-> 44, both 16 octets): decodes, finds a key, fails. */
        buf[NTP_HEADER_LEN + 3] = id == 42 ? 44 : id == 44 ? 42 : 43;
        if (id != 43)
            assert_int_equal(receive_ok(t, buf, len), 0);
        /* A truncated trailer is not a MAC of this type. */
        assert_int_equal(receive_ok(t, buf, len - 1), 0);
    }
    KEY_Free(t);
}

/* A receiver with a different secret under the same id refuses. */
static void test_packet_wrong_key(void **state)
{
    KEY_Table mine = shared_keys(), theirs = NULL;
    uint8_t buf[NTP_MAX_PACKET_LEN];
    NTP_Packet p;
    size_t len;
    char err[256];

    (void)state;
    assert_int_equal(KEY_LoadString("42 MD5 cntpdtest2\n"
                                    "43 SHA1 c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728395\n"
                                    "44 AES128CMAC 2b7e151628aed2a6abf7158809cf4f3d\n",
                                    "theirs.keys", &theirs, err, sizeof(err)),
                     0);
    for (uint32_t id = 42; id <= 44; id++) {
        client_request(&p);
        PKT_Encode(&p, buf);
        len = AUTH_AppendMac(KEY_Find(mine, id), buf, NTP_HEADER_LEN, sizeof(buf));
        assert_int_equal(receive_ok(mine, buf, len), 1);
        assert_int_equal(receive_ok(theirs, buf, len), 0);
        assert_int_equal(receive_ok(NULL, buf, len), 0);   /* no keys at all */
    }
    KEY_Free(theirs);
    KEY_Free(mine);
}

/* The MAC covers the extension fields too (RFC 7822), and PKT_Decode's
   auth_len says where they end. */
static void test_packet_with_extension_field(void **state)
{
    KEY_Table t = shared_keys();

    (void)state;
    for (uint32_t id = 42; id <= 44; id++) {
        const KEY_Key *k = KEY_Find(t, id);
        uint8_t buf[NTP_MAX_PACKET_LEN];
        NTP_Packet p, q;
        size_t len;

        client_request(&p);
        PKT_Encode(&p, buf);
        /* One 28-octet field, type 0x0104, value filled with a pattern. */
        buf[48] = 0x01;
        buf[49] = 0x04;
        buf[50] = 0x00;
        buf[51] = 28;
        for (int i = 52; i < 76; i++)
            buf[i] = (uint8_t)(0xa0 + i);
        len = AUTH_AppendMac(k, buf, 76, sizeof(buf));
        assert_int_equal(len, 76 + 4 + AUTH_DigestLength(k->type));
        assert_int_equal(PKT_Decode(buf, len, &q), PKT_OK);
        assert_int_equal(q.n_ext_fields, 1);
        assert_int_equal(q.auth_len, 76);
        assert_int_equal(q.key_id, id);
        assert_int_equal(receive_ok(t, buf, len), 1);
        /* A change in the extension field is caught. */
        buf[60] ^= 1;
        assert_int_equal(receive_ok(t, buf, len), 0);
    }
    KEY_Free(t);
}

static void test_append_errors(void **state)
{
    uint8_t buf[128];
    KEY_Key md5, sha1, bad;
    NTP_Packet p;

    (void)state;
    md5 = make_key(42, KEY_TYPE_MD5, "cntpdtest", 9);
    sha1 = make_key(43, KEY_TYPE_SHA1, "cntpdtest", 9);
    client_request(&p);
    PKT_Encode(&p, buf);
    memset(buf + NTP_HEADER_LEN, 0xaa, sizeof(buf) - NTP_HEADER_LEN);

    /* Exactly enough room: 48 + 4 + 16, 48 + 4 + 20. */
    assert_int_equal(AUTH_AppendMac(&md5, buf, 48, 68), 68);
    assert_int_equal(AUTH_AppendMac(&sha1, buf, 48, 72), 72);
    memset(buf + NTP_HEADER_LEN, 0xaa, sizeof(buf) - NTP_HEADER_LEN);

    /* One octet short: refused, nothing written past the header. */
    assert_int_equal(AUTH_AppendMac(&md5, buf, 48, 67), 0);
    assert_int_equal(AUTH_AppendMac(&sha1, buf, 48, 71), 0);
    assert_int_equal(AUTH_AppendMac(&md5, buf, 48, 48), 0);
    assert_int_equal(AUTH_AppendMac(&md5, buf, 48, 20), 0);   /* bufsize < header_len */
    /* Header shorter than 48 octets, or not on a 32-bit boundary. */
    assert_int_equal(AUTH_AppendMac(&md5, buf, 44, sizeof(buf)), 0);
    assert_int_equal(AUTH_AppendMac(&md5, buf, 0, sizeof(buf)), 0);
    assert_int_equal(AUTH_AppendMac(&md5, buf, 50, sizeof(buf)), 0);
    /* No key, unusable key, no buffer. */
    assert_int_equal(AUTH_AppendMac(NULL, buf, 48, sizeof(buf)), 0);
    bad = make_key(42, (KEY_Type)0, "x", 1);
    assert_int_equal(AUTH_AppendMac(&bad, buf, 48, sizeof(buf)), 0);
    bad = make_key(42, KEY_TYPE_MD5, "x", 1);
    bad.len = 0;
    assert_int_equal(AUTH_AppendMac(&bad, buf, 48, sizeof(buf)), 0);
    assert_int_equal(AUTH_AppendMac(&md5, NULL, 48, sizeof(buf)), 0);
    for (size_t i = NTP_HEADER_LEN; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xaa);
}

static void test_crypto_nak(void **state)
{
    uint8_t buf[64];
    NTP_Packet p, q;

    (void)state;
    client_request(&p);
    p.mode = NTP_MODE_SERVER;
    PKT_Encode(&p, buf);
    memset(buf + 48, 0xaa, sizeof(buf) - 48);
    assert_int_equal(AUTH_AppendCryptoNak(buf, 48, 52), 52);
    assert_int_equal(PKT_Decode(buf, 52, &q), PKT_OK);
    assert_true(q.has_mac);
    assert_int_equal(q.key_id, 0);
    assert_int_equal(q.mac_len, 0);
    assert_null(q.mac);
    assert_int_equal(buf[52], 0xaa);
    /* A crypto-NAK never verifies, whatever keys the receiver holds. */
    KEY_Table t = shared_keys();
    assert_int_equal(receive_ok(t, buf, 52), 0);
    KEY_Free(t);

    assert_int_equal(AUTH_AppendCryptoNak(buf, 48, 51), 0);
    assert_int_equal(AUTH_AppendCryptoNak(buf, 46, 64), 0);
    assert_int_equal(AUTH_AppendCryptoNak(buf, 49, 64), 0);
    assert_int_equal(AUTH_AppendCryptoNak(NULL, 48, 64), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_length),
        cmocka_unit_test(test_md5_known_answers),
        cmocka_unit_test(test_sha1_known_answers),
        cmocka_unit_test(test_cmac_known_answers),
        cmocka_unit_test(test_cmac_key_length_as_ntpd),
        cmocka_unit_test(test_chrony_shared_keys),
        cmocka_unit_test(test_verify_rejects),
        cmocka_unit_test(test_single_bit_changes),
        cmocka_unit_test(test_compute_bad_keys),
        cmocka_unit_test(test_fini_and_again),
        cmocka_unit_test(test_packet_known_answers),
        cmocka_unit_test(test_packet_roundtrip),
        cmocka_unit_test(test_packet_bit_flips),
        cmocka_unit_test(test_packet_wrong_key),
        cmocka_unit_test(test_packet_with_extension_field),
        cmocka_unit_test(test_append_errors),
        cmocka_unit_test(test_crypto_nak),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);

    AUTH_Fini();
    return r;
}
