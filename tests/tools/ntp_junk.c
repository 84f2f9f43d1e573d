/*
 * ntp_junk — throw malformed datagrams at an NTP server, to check that it
 * survives them (and, from its counters, that it drops them).
 *
 *   ntp_junk [-s ADDR] -p PORT [-n COUNT] [-S SEED] [-b BURST] [-u USEC]
 *
 * Sends COUNT (default 10000) datagrams from one socket, each drawn from one
 * of these kinds:
 *   - random bytes, length 0..1100 (past NTP_MAX_PACKET_LEN on purpose);
 *   - a well-formed header truncated to 0..47 octets;
 *   - a well-formed header followed by a random trailer, half the time of a
 *     length a MAC parser has to think about (4, 20, 24, 28, ...);
 *   - a header with a bad version (0, 5-7) or mode (0, 6, 7);
 *   - an NTPv4 header with extension fields whose length words are absurd
 *     (0, under 16, not a multiple of 4, 0xffff, past the end of the packet).
 * The same SEED (default 1) sends the same sequence, so a crash can be
 * reproduced. The generator is our own, not rand(), to keep that true
 * across libcs.
 *
 * After every BURST (default 100) datagrams it pauses USEC (default 1000)
 * microseconds: the point is to make the server parse junk, and a burst of
 * ten thousand datagrams would mostly be dropped by a full loopback receive
 * buffer instead. Prints "sent=N". Exit 1 if nothing could be sent, 2 on
 * usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ntp_pkt.h"
#include "ntp_time.h"

#define MAX_JUNK_LEN 1100

static uint64_t rng_state;

/* splitmix64: tiny, seedable, identical everywhere. */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in 0..n-1 (the modulo bias is irrelevant for junk). */
static unsigned rnd(unsigned n)
{
    return (unsigned)(rng_next() % n);
}

static void rnd_bytes(uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)rng_next();
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ntp_junk [-s ADDR] -p PORT [-n COUNT] [-S SEED] [-b BURST] [-u USEC]\n"
               "  -s ADDR   server address, IPv4 or IPv6 (default 127.0.0.1)\n"
               "  -p PORT   server UDP port\n"
               "  -n COUNT  datagrams to send (default 10000)\n"
               "  -S SEED   random seed (default 1)\n"
               "  -b BURST  datagrams between pauses (default 100)\n"
               "  -u USEC   pause length in microseconds (default 1000)\n");
}

static int parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || end == s || *end != '\0' || *s == '-' || v > max)
        return -1;
    *out = v;
    return 0;
}

/* A header a real peer could send: version 1..4, modes 1..5, plausible
   fields and random timestamps, so that decoding gets past the first
   checks and the interesting parts (length, trailer) are reached. */
static void valid_header(uint8_t *buf)
{
    NTP_Packet p;

    memset(&p, 0, sizeof(p));
    p.leap = (uint8_t)rnd(4);
    /* Mostly v4 client requests: that is the server's hot path. */
    p.version = rnd(4) ? NTP_VERSION : (uint8_t)(NTP_MIN_VERSION + rnd(4));
    p.mode = rnd(2) ? NTP_MODE_CLIENT : (uint8_t)(1 + rnd(5));
    p.stratum = (uint8_t)rnd(17);
    p.poll = (int8_t)(rnd(18));
    p.precision = (int8_t)(-(int)rnd(32));
    p.root_delay = (uint32_t)rng_next();
    p.root_dispersion = (uint32_t)rng_next();
    p.refid = (uint32_t)rng_next();
    p.reference = rng_next();
    p.origin = rnd(4) ? 0 : rng_next();
    p.receive = rnd(4) ? 0 : rng_next();
    p.transmit = rnd(8) ? rng_next() : 0;
    PKT_Encode(&p, buf);
}

static size_t junk_random(uint8_t *buf)
{
    size_t len = rnd(MAX_JUNK_LEN + 1);

    rnd_bytes(buf, len);
    return len;
}

static size_t junk_truncated(uint8_t *buf)
{
    valid_header(buf);
    return rnd(NTP_HEADER_LEN);
}

static size_t junk_trailer(uint8_t *buf)
{
    /* Lengths around the MAC sizes (key id alone, +16, +20) and
       around the minimum extension field (16 octets). */
    static const unsigned interesting[] = {1, 2, 3, 4, 5, 8, 12, 16, 17, 19, 20, 21,
                                           24, 25, 28, 32, 36, 40, 44, 68, 72, 96};
    size_t tlen;

    valid_header(buf);
    if (rnd(2))
        tlen = interesting[rnd(sizeof(interesting) / sizeof(interesting[0]))];
    else
        tlen = 1 + rnd(MAX_JUNK_LEN - NTP_HEADER_LEN);
    rnd_bytes(buf + NTP_HEADER_LEN, tlen);
    return NTP_HEADER_LEN + tlen;
}

static size_t junk_bad_version_mode(uint8_t *buf)
{
    static const uint8_t bad_versions[] = {0, 5, 6, 7};
    static const uint8_t bad_modes[] = {0, 6, 7};
    unsigned leap, version, mode;
    size_t len = NTP_HEADER_LEN;

    valid_header(buf);
    leap = buf[0] >> 6;
    version = (buf[0] >> 3) & 7;
    mode = buf[0] & 7;
    switch (rnd(3)) {
    case 0:
        version = bad_versions[rnd(sizeof(bad_versions))];
        break;
    case 1:
        mode = bad_modes[rnd(sizeof(bad_modes))];
        break;
    default:
        version = bad_versions[rnd(sizeof(bad_versions))];
        mode = bad_modes[rnd(sizeof(bad_modes))];
        break;
    }
    /* Written by hand: PKT_Encode is entitled to refuse or mask these. */
    buf[0] = (uint8_t)(leap << 6 | version << 3 | mode);
    if (rnd(4) == 0) {
        size_t tlen = 4 * (1 + rnd(32));

        rnd_bytes(buf + len, tlen);
        len += tlen;
    }
    return len;
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* NTPv4 header, then a chain of extension fields (type, length, body) in
   which at least one length word lies. */
static size_t junk_ext_fields(uint8_t *buf)
{
    size_t len = NTP_HEADER_LEN;
    unsigned n_fields = 1 + rnd(4), bad = rnd(n_fields);

    valid_header(buf);
    buf[0] = (uint8_t)((buf[0] & 0xc0) | NTP_VERSION << 3 | (buf[0] & 7));
    for (unsigned f = 0; f < n_fields; f++) {
        size_t room = MAX_JUNK_LEN - len, body, flen;

        if (room < 4)
            break;
        body = 4 * (3 + rnd(8));   /* a sane 16..44-octet field */
        if (4 + body > room)
            body = (room - 4) & ~(size_t)3;
        flen = 4 + body;
        put16(buf + len, (unsigned)rng_next() & 0xffff);   /* field type */
        if (f == bad) {
            switch (rnd(6)) {
            case 0:
                put16(buf + len + 2, 0);
                break;
            case 1:
                put16(buf + len + 2, 1 + rnd(15));   /* below the 16 minimum */
                break;
            case 2:
                put16(buf + len + 2, (unsigned)(flen + 1 + rnd(3)));   /* unaligned */
                break;
            case 3:
                put16(buf + len + 2, 0xffff);
                break;
            case 4:
                put16(buf + len + 2, 0xfffc);
                break;
            default:   /* aligned, plausible, but past the end of the datagram */
                put16(buf + len + 2, (unsigned)(flen + 4 * (1 + rnd(64))));
                break;
            }
        } else {
            put16(buf + len + 2, (unsigned)flen);
        }
        rnd_bytes(buf + len + 4, body);
        len += flen;
        /* The lying field is usually the last thing in the packet (the
           decoder must stop at it), sometimes followed by more fields. */
        if (f == bad && rnd(2))
            break;
    }
    /* Sometimes a MAC-sized tail as well. */
    if (rnd(3) == 0 && len + 20 <= MAX_JUNK_LEN) {
        rnd_bytes(buf + len, 20);
        len += 20;
    }
    return len;
}

int main(int argc, char **argv)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    const char *addr = "127.0.0.1";
    unsigned long long port = 0, count = 10000, seed = 1, burst = 100, pause_us = 1000;
    unsigned long long sent = 0, failed = 0;
    uint8_t buf[MAX_JUNK_LEN + 64];
    int fd, opt, last_errno = 0;

    while ((opt = getopt(argc, argv, "s:p:n:S:b:u:h")) != -1) {
        unsigned long long *dst, max;

        switch (opt) {
        case 's':
            addr = optarg;
            continue;
        case 'p':
            dst = &port, max = 65535;
            break;
        case 'n':
            dst = &count, max = 1000000000ULL;
            break;
        case 'S':
            dst = &seed, max = UINT64_MAX;
            break;
        case 'b':
            dst = &burst, max = 1000000000ULL;
            break;
        case 'u':
            dst = &pause_us, max = 1000000ULL;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (parse_ulong(optarg, max, dst) < 0) {
            fprintf(stderr, "ntp_junk: bad value '%s' for -%c\n", optarg, opt);
            return 2;
        }
    }
    if (optind != argc || port == 0 || burst == 0) {
        usage(stderr);
        return 2;
    }

    memset(&ss, 0, sizeof(ss));
    {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

        if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
            sin->sin_family = AF_INET;
            sin->sin_port = htons((uint16_t)port);
            sslen = sizeof(*sin);
        } else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
            sin6->sin6_family = AF_INET6;
            sin6->sin6_port = htons((uint16_t)port);
            sslen = sizeof(*sin6);
        } else {
            fprintf(stderr, "ntp_junk: '%s' is not a numeric address\n", addr);
            return 2;
        }
    }
    /* Unconnected on purpose: a connected socket would report the ICMP
       port unreachable of a server that died as ECONNREFUSED on a later
       send, and we want to keep sending (the caller checks the server). */
    fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("ntp_junk: socket");
        return 2;
    }

    rng_state = seed;
    for (unsigned long long i = 0; i < count; i++) {
        size_t len;

        switch (rnd(5)) {
        case 0:
            len = junk_random(buf);
            break;
        case 1:
            len = junk_truncated(buf);
            break;
        case 2:
            len = junk_trailer(buf);
            break;
        case 3:
            len = junk_bad_version_mode(buf);
            break;
        default:
            len = junk_ext_fields(buf);
            break;
        }
        if (sendto(fd, buf, len, 0, (const struct sockaddr *)&ss, sslen) < 0) {
            failed++;
            last_errno = errno;
        } else {
            sent++;
        }
        if ((i + 1) % burst == 0 && pause_us > 0) {
            struct timespec ts = {(time_t)(pause_us / 1000000),
                                  (long)(pause_us % 1000000) * 1000};

            nanosleep(&ts, NULL);
        }
    }
    close(fd);

    if (failed)
        fprintf(stderr, "ntp_junk: %llu sends failed (last: %s)\n", failed,
                strerror(last_errno));
    printf("sent=%llu\n", sent);
    return sent > 0 || count == 0 ? 0 : 1;
}
