/*
 * ntp_loadgen — closed-loop NTP client load generator for benchmarking a
 * server on loopback.
 *
 *   ntp_loadgen [-s ADDR] -p PORT [-d SECONDS] [-c SOCKETS] [-w WINDOW]
 *
 * Each of the -c sockets is bound to its own source address (127.0.0.2,
 * 127.0.0.3, ...; all of 127.0.0.0/8 is loopback on Linux) so a server that
 * keeps per-client state sees many clients, not one. Every socket keeps -w
 * requests in flight: a reply, or 100 ms without one (counted as lost), frees
 * the slot and the next request goes out at once. The offered load therefore
 * follows the server's speed instead of overrunning its receive buffer, and
 * answers/second measures what the server can sustain.
 *
 * Every request carries a random 64-bit transmit timestamp; a reply is
 * matched to its request by the origin timestamp the server echoes. Replies
 * that fail to decode, are not mode 4, are kiss-o'-death (stratum 0: not a
 * time answer, so a rate-limiting server must not score with them) or match
 * no outstanding request (including replies arriving after their 100 ms
 * timeout) count as invalid.
 *
 * Output, one line on stdout:
 *   sent=N answered=N lost=N invalid=N seconds=S rate=R
 * where seconds is the measured sending phase and rate = answered/seconds.
 * After the sending phase, outstanding requests get their full timeout to be
 * answered, so sent = answered + lost. Exit status 1 when nothing was
 * answered, 2 on usage or set-up errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ntp_pkt.h"
#include "ntp_time.h"

#define TIMEOUT_NS 100000000ULL      /* per-request timeout: 100 ms */
#define SWEEP_NS 10000000ULL         /* how often timeouts are checked */
#define MAX_SOCKETS 16384            /* 127.0.0.2 .. well inside /8 */
#define MAX_WINDOW 1024
#define BATCH 32                     /* datagrams per recvmmsg/sendmmsg */
#define RECV_LEN 2048                /* > NTP_MAX_PACKET_LEN: see oversize replies */

typedef struct {
    NTP_Timestamp xmt;   /* transmit timestamp of the request in flight */
    uint64_t deadline;   /* monotonic ns after which it is lost */
    int busy;
} Slot;

typedef struct {
    int fd;
    unsigned n_busy;
    Slot *slots;         /* window entries */
} Source;

typedef struct {
    uint64_t sent, answered, lost, invalid;
} Counters;

static Source *sources;
static unsigned n_sources, window;
static Counters cnt;
static uint64_t rng_state;

static void usage(FILE *f)
{
    fprintf(f, "usage: ntp_loadgen [-s ADDR] -p PORT [-d SECONDS] [-c SOCKETS] "
               "[-w WINDOW]\n"
               "  -s ADDR     server IPv4 address (default 127.0.0.1)\n"
               "  -p PORT     server UDP port\n"
               "  -d SECONDS  duration of the sending phase (default 5)\n"
               "  -c N        source sockets, bound to 127.0.0.2.. (default 64)\n"
               "  -w N        requests in flight per socket (default 4)\n");
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    /* Monotonic: the wall clock may be stepped by the daemon under test
       (it is not allowed to here, but the tool should not care). */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* splitmix64: fast and good enough that origins never collide in practice;
   a libc rand() would be too short (31 bits) to make matching by origin
   trustworthy. */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(void)
{
    if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
        rng_state = now_ns() ^ ((uint64_t)getpid() << 32);
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end != '\0' || *s == '-' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* A client request as a real NTPv4 client sends it: only the transmit
   timestamp matters to the server, which echoes it as the origin. */
static NTP_Timestamp build_request(uint8_t *buf)
{
    NTP_Packet p;
    NTP_Timestamp xmt;

    do {
        xmt = rng_next();
    } while (xmt == 0);   /* zero transmit is invalid on the wire */

    memset(&p, 0, sizeof(p));
    p.leap = NTP_LEAP_UNSYNC;
    p.version = NTP_VERSION;
    p.mode = NTP_MODE_CLIENT;
    p.stratum = NTP_STRATUM_UNSPEC;
    p.poll = 6;
    p.precision = -20;
    p.transmit = xmt;
    PKT_Encode(&p, buf);
    return xmt;
}

/* Fill every free slot of `src` with a new request. Slots whose send fails
   (EAGAIN when the socket buffer is full) stay free and are retried on the
   next sweep. */
static void refill(Source *src, uint64_t now)
{
    uint8_t bufs[BATCH][NTP_HEADER_LEN];
    struct iovec iov[BATCH];
    struct mmsghdr msgs[BATCH];
    unsigned idx[BATCH];
    unsigned i, n;
    int r;

    i = 0;
    while (src->n_busy < window) {
        n = 0;
        for (; i < window && n < BATCH; i++) {
            if (src->slots[i].busy)
                continue;
            src->slots[i].xmt = build_request(bufs[n]);
            iov[n].iov_base = bufs[n];
            iov[n].iov_len = NTP_HEADER_LEN;
            memset(&msgs[n], 0, sizeof(msgs[n]));
            msgs[n].msg_hdr.msg_iov = &iov[n];
            msgs[n].msg_hdr.msg_iovlen = 1;
            idx[n++] = i;
        }
        if (n == 0)
            return;
        r = sendmmsg(src->fd, msgs, n, MSG_DONTWAIT);
        if (r <= 0) {
            /* ECONNREFUSED: an ICMP port unreachable from an earlier
               request (server not up, or gone); the error is consumed by
               this call, so just try again on the next sweep. */
            if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS &&
                errno != ECONNREFUSED && errno != EINTR)
                perror("ntp_loadgen: sendmmsg");
            return;
        }
        for (int k = 0; k < r; k++) {
            src->slots[idx[k]].busy = 1;
            src->slots[idx[k]].deadline = now + TIMEOUT_NS;
        }
        src->n_busy += (unsigned)r;
        cnt.sent += (uint64_t)r;
        if ((unsigned)r < n)
            return;   /* socket buffer full: wait for the next sweep */
    }
}

static void handle_reply(Source *src, const uint8_t *buf, size_t len)
{
    NTP_Packet p;

    if (PKT_Decode(buf, len, &p) != PKT_OK || p.mode != NTP_MODE_SERVER ||
        p.stratum == NTP_STRATUM_UNSPEC) {
        cnt.invalid++;
        return;
    }
    for (unsigned i = 0; i < window; i++) {
        if (src->slots[i].busy && src->slots[i].xmt == p.origin) {
            src->slots[i].busy = 0;
            src->n_busy--;
            cnt.answered++;
            return;
        }
    }
    cnt.invalid++;   /* late (already timed out), duplicated or forged */
}

static void drain_socket(Source *src, uint64_t now, int sending)
{
    static uint8_t bufs[BATCH][RECV_LEN];
    struct iovec iov[BATCH];
    struct mmsghdr msgs[BATCH];
    int r;

    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = RECV_LEN;
            memset(&msgs[i], 0, sizeof(msgs[i]));
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        r = recvmmsg(src->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            /* EAGAIN: drained. ECONNREFUSED (ICMP port unreachable) is
               cleared by reporting it; the requests simply time out. */
            break;
        }
        for (int i = 0; i < r; i++) {
            if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
                cnt.invalid++;   /* bigger than any NTP packet */
            else
                handle_reply(src, bufs[i], msgs[i].msg_len);
        }
        if (r < BATCH)
            break;
    }
    if (sending)
        refill(src, now);
}

/* Requests past their deadline are lost; their slots become free. */
static uint64_t expire(uint64_t now)
{
    uint64_t busy = 0;

    for (unsigned s = 0; s < n_sources; s++) {
        Source *src = &sources[s];

        for (unsigned i = 0; i < window && src->n_busy > 0; i++) {
            if (src->slots[i].busy && now >= src->slots[i].deadline) {
                src->slots[i].busy = 0;
                src->n_busy--;
                cnt.lost++;
            }
        }
        busy += src->n_busy;
    }
    return busy;
}

static int open_source(unsigned i, const struct sockaddr_in *server, int ep)
{
    struct sockaddr_in local;
    struct epoll_event ev;
    int fd;

    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("ntp_loadgen: socket (raise the open-file limit for large -c)");
        return -1;
    }
    memset(&local, 0, sizeof(local));
    local.sin_family = AF_INET;
    local.sin_port = 0;
    local.sin_addr.s_addr = htonl(0x7f000002u + i);
    if (bind(fd, (const struct sockaddr *)&local, sizeof(local)) < 0) {
        fprintf(stderr, "ntp_loadgen: bind 127.x source %u: %s\n", i, strerror(errno));
        close(fd);
        return -1;
    }
    /* Connected: the kernel then drops datagrams from anyone but the
       server, and plain sendmmsg/recvmmsg need no addresses. */
    if (connect(fd, (const struct sockaddr *)server, sizeof(*server)) < 0) {
        perror("ntp_loadgen: connect");
        close(fd);
        return -1;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u32 = i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        perror("ntp_loadgen: epoll_ctl");
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    struct sockaddr_in server;
    struct epoll_event events[64];
    const char *addr = "127.0.0.1";
    unsigned long port = 0, duration = 5, n_socks = 64, win = 4;
    uint64_t start, end, stop_sending, now, last_sweep, busy;
    double seconds;
    int ep, opt;

    while ((opt = getopt(argc, argv, "s:p:d:c:w:h")) != -1) {
        switch (opt) {
        case 's':
            addr = optarg;
            break;
        case 'p':
            if (parse_uint(optarg, 1, 65535, &port) < 0) {
                fprintf(stderr, "ntp_loadgen: bad port '%s'\n", optarg);
                return 2;
            }
            break;
        case 'd':
            if (parse_uint(optarg, 1, 86400, &duration) < 0) {
                fprintf(stderr, "ntp_loadgen: bad duration '%s'\n", optarg);
                return 2;
            }
            break;
        case 'c':
            if (parse_uint(optarg, 1, MAX_SOCKETS, &n_socks) < 0) {
                fprintf(stderr, "ntp_loadgen: -c must be 1..%d\n", MAX_SOCKETS);
                return 2;
            }
            break;
        case 'w':
            if (parse_uint(optarg, 1, MAX_WINDOW, &win) < 0) {
                fprintf(stderr, "ntp_loadgen: -w must be 1..%d\n", MAX_WINDOW);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || port == 0) {
        usage(stderr);
        return 2;
    }
    memset(&server, 0, sizeof(server));
    server.sin_family = AF_INET;
    server.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &server.sin_addr) != 1) {
        fprintf(stderr, "ntp_loadgen: '%s' is not an IPv4 address\n", addr);
        return 2;
    }

    rng_seed();
    n_sources = (unsigned)n_socks;
    window = (unsigned)win;
    sources = calloc(n_sources, sizeof(*sources));
    if (!sources) {
        perror("ntp_loadgen: calloc");
        return 2;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("ntp_loadgen: epoll_create1");
        return 2;
    }
    for (unsigned i = 0; i < n_sources; i++) {
        sources[i].slots = calloc(window, sizeof(Slot));
        if (!sources[i].slots) {
            perror("ntp_loadgen: calloc");
            return 2;
        }
        sources[i].fd = open_source(i, &server, ep);
        if (sources[i].fd < 0)
            return 2;
    }

    start = now_ns();
    stop_sending = start + (uint64_t)duration * 1000000000ULL;
    for (unsigned i = 0; i < n_sources; i++)
        refill(&sources[i], start);
    last_sweep = start;
    end = 0;

    for (;;) {
        int n, sending, timeout_ms;

        now = now_ns();
        sending = now < stop_sending;
        if (!sending && end == 0)
            end = now;
        if (now - last_sweep >= SWEEP_NS || !sending) {
            busy = expire(now);
            last_sweep = now;
            /* Done once every request of the sending phase has either been
               answered or had its full timeout. */
            if (!sending && busy == 0)
                break;
            if (sending) {
                for (unsigned i = 0; i < n_sources; i++)
                    if (sources[i].n_busy < window)
                        refill(&sources[i], now);
            }
        }
        /* Wake at least every sweep interval so timeouts are noticed while
           the server is silent. */
        timeout_ms = (int)(SWEEP_NS / 1000000ULL);
        if (sending && stop_sending - now < SWEEP_NS)
            timeout_ms = (int)((stop_sending - now + 999999) / 1000000);
        n = epoll_wait(ep, events, (int)(sizeof(events) / sizeof(events[0])), timeout_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("ntp_loadgen: epoll_wait");
            return 2;
        }
        if (n > 0)
            now = now_ns();
        for (int k = 0; k < n; k++)
            drain_socket(&sources[events[k].data.u32], now, now < stop_sending);
    }

    seconds = (double)(end - start) / 1e9;
    printf("sent=%llu answered=%llu lost=%llu invalid=%llu seconds=%.3f rate=%.1f\n",
           (unsigned long long)cnt.sent, (unsigned long long)cnt.answered,
           (unsigned long long)cnt.lost, (unsigned long long)cnt.invalid, seconds,
           seconds > 0 ? (double)cnt.answered / seconds : 0.0);

    for (unsigned i = 0; i < n_sources; i++) {
        close(sources[i].fd);
        free(sources[i].slots);
    }
    free(sources);
    close(ep);
    return cnt.answered > 0 ? 0 : 1;
}
