/* ntp_pkt — see ntp_pkt.h. */

#include "ntp_pkt.h"

#include <string.h>

/* RFC 7822 section 3: an extension field is at least 16 octets (4-octet
   header + 12 octets of value) and padded to a multiple of 4 octets. */
#define EXT_HEADER_LEN 4
#define EXT_MIN_LEN 16

#define KEY_ID_LEN 4

/* Big-endian (network order) readers and writers; byte by byte so there are
   no alignment or aliasing assumptions about the buffer. */
static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

PKT_Status PKT_Decode(const uint8_t *buf, size_t len, NTP_Packet *out)
{
    memset(out, 0, sizeof(*out));

    if (buf == NULL || len < NTP_HEADER_LEN)
        return PKT_ERR_SHORT;
    if (len > NTP_MAX_PACKET_LEN)
        return PKT_ERR_LENGTH;

    /* Octet 0: LI (2 bits) | VN (3 bits) | Mode (3 bits). */
    out->leap = buf[0] >> 6;
    out->version = (buf[0] >> 3) & 7;
    out->mode = buf[0] & 7;

    if (out->version < NTP_MIN_VERSION || out->version > NTP_VERSION)
        return PKT_ERR_VERSION;

    if (out->mode == NTP_MODE_RESERVED) {
        /* NTPv1 (RFC 1059) had no mode field: its clients send 0. */
        if (out->version != 1)
            return PKT_ERR_MODE;
        out->mode = NTP_MODE_CLIENT;
    } else if (out->mode == NTP_MODE_CONTROL || out->mode == NTP_MODE_PRIVATE) {
        return PKT_ERR_MODE;
    }

    out->stratum = buf[1];
    out->poll = (int8_t)buf[2];
    out->precision = (int8_t)buf[3];
    out->root_delay = get32(buf + 4);
    out->root_dispersion = get32(buf + 8);
    out->refid = get32(buf + 12);
    out->reference = get64(buf + 16);
    out->origin = get64(buf + 24);
    out->receive = get64(buf + 32);
    out->transmit = get64(buf + 40);

    size_t off = NTP_HEADER_LEN;
    size_t rem = len - off;

    /* RFC 7822 section 7.5: while more than a maximal MAC remains, what
       follows must be an extension field (v4 only; earlier versions have
       none). rem > 24 guarantees the 4-octet field header is in bounds, and
       flen <= rem keeps the skip inside the buffer. */
    if (out->version == 4) {
        while (rem > NTP_MAX_MAC_LEN) {
            size_t flen = get16(buf + off + 2);   /* octets 0-1 are the type */

            if (flen < EXT_MIN_LEN || flen % 4 != 0 || flen > rem)
                return PKT_ERR_EXT_FIELD;
            off += flen;
            rem -= flen;
            out->n_ext_fields++;
        }
    }

    switch (rem) {
    case 0:
        break;
    case KEY_ID_LEN:                 /* crypto-NAK: key id alone */
    case KEY_ID_LEN + 16:            /* MD5 or AES-128-CMAC */
    case KEY_ID_LEN + 20:            /* SHA1 */
        out->has_mac = 1;
        out->key_id = get32(buf + off);
        out->mac_len = rem - KEY_ID_LEN;
        out->mac = out->mac_len > 0 ? buf + off + KEY_ID_LEN : NULL;
        break;
    default:
        return PKT_ERR_LENGTH;
    }
    out->auth_len = off;

    return PKT_OK;
}

size_t PKT_Encode(const NTP_Packet *p, uint8_t *buf)
{
    buf[0] = (uint8_t)((p->leap & 3) << 6 | (p->version & 7) << 3 | (p->mode & 7));
    buf[1] = p->stratum;
    buf[2] = (uint8_t)p->poll;
    buf[3] = (uint8_t)p->precision;
    put32(buf + 4, p->root_delay);
    put32(buf + 8, p->root_dispersion);
    put32(buf + 12, p->refid);
    put64(buf + 16, p->reference);
    put64(buf + 24, p->origin);
    put64(buf + 32, p->receive);
    put64(buf + 40, p->transmit);
    return NTP_HEADER_LEN;
}

const char *PKT_StatusName(PKT_Status s)
{
    switch (s) {
    case PKT_OK:
        return "ok";
    case PKT_ERR_SHORT:
        return "short packet";
    case PKT_ERR_VERSION:
        return "bad version";
    case PKT_ERR_MODE:
        return "unsupported mode";
    case PKT_ERR_EXT_FIELD:
        return "malformed extension field";
    case PKT_ERR_LENGTH:
        return "bad length";
    }
    return "unknown status";
}

PKT_Test PKT_CheckReply(const NTP_Packet *p, NTP_Timestamp our_xmt, NTP_Timestamp last_xmt)
{
    /* A zero transmit timestamp is never valid, and checking it first also
       keeps last_xmt == 0 ("none yet") from matching below. */
    if (p->transmit == 0)
        return PKT_TEST_ZERO_XMT;
    if (p->transmit == last_xmt)
        return PKT_TEST_DUPLICATE;
    if (p->origin != our_xmt)
        return PKT_TEST_BOGUS;
    if (p->stratum == NTP_STRATUM_UNSPEC)
        return PKT_TEST_KISS;
    if (p->leap == NTP_LEAP_UNSYNC || p->stratum >= NTP_STRATUM_UNSYNC)
        return PKT_TEST_UNSYNC;

    /* Root distance lower bound (RFC 5905 A.5.1.1, test 7): half the round
       trip to the primary source plus its accumulated dispersion, seconds. */
    double dist = NTS_ShortToDouble(p->root_delay) / 2 + NTS_ShortToDouble(p->root_dispersion);
    if (dist >= NTP_MAX_DISPERSION)
        return PKT_TEST_DISTANCE;

    /* The server's clock was last set after it sent the packet (or never):
       NTS_Diff keeps this right across the 2036 era boundary. */
    if (p->reference == 0 || NTS_Diff(p->reference, p->transmit) > 0)
        return PKT_TEST_REFTIME;

    return PKT_TEST_PASS;
}

const char *PKT_TestName(PKT_Test t)
{
    switch (t) {
    case PKT_TEST_PASS:
        return "pass";
    case PKT_TEST_DUPLICATE:
        return "duplicate";
    case PKT_TEST_BOGUS:
        return "bogus origin";
    case PKT_TEST_ZERO_XMT:
        return "zero transmit";
    case PKT_TEST_KISS:
        return "kiss-o'-death";
    case PKT_TEST_UNSYNC:
        return "server unsynchronised";
    case PKT_TEST_DISTANCE:
        return "root distance too large";
    case PKT_TEST_REFTIME:
        return "bad reference time";
    }
    return "unknown test";
}

int PKT_KissCode(const NTP_Packet *p, char code[5])
{
    int n = 4;

    /* The refid's octets in wire order ("RATE" is 0x52415445). */
    for (int i = 0; i < 4; i++)
        code[i] = (char)(p->refid >> (24 - 8 * i));
    code[4] = '\0';

    /* ASCII codes shorter than 4 characters are padded with NULs (or, by
       some implementations, spaces). */
    while (n > 0 && (code[n - 1] == '\0' || code[n - 1] == ' '))
        n--;
    code[n] = '\0';

    int ok = n > 0;
    for (int i = 0; i < n && ok; i++) {
        unsigned char c = (unsigned char)code[i];
        if (c < 0x20 || c > 0x7e)
            ok = 0;
    }
    if (!ok)
        code[0] = '\0';
    return ok;
}
