/*
 * ntp_query — send one NTP client request and print the decoded reply on
 * one line (key=value), for tests that need to see exactly what a server
 * answered. Exit status: 0 valid reply, 1 no reply / invalid reply, 2 usage.
 *
 *   ntp_query -s 127.0.0.1|::1 -p 123 [-v VERSION] [-t TIMEOUT_S] [-m MODE]
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ntp_pkt.h"
#include "ntp_time.h"

int main(int argc, char **argv)
{
    const char *server = "127.0.0.1";
    int port = 123, version = 4, mode = NTP_MODE_CLIENT;
    double timeout = 2.0;
    int c;

    while ((c = getopt(argc, argv, "s:p:v:t:m:")) != -1) {
        switch (c) {
        case 's': server = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'v': version = atoi(optarg); break;
        case 't': timeout = atof(optarg); break;
        case 'm': mode = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: ntp_query -s ADDR -p PORT [-v VERSION] [-t S] [-m MODE]\n");
            return 2;
        }
    }

    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
    struct sockaddr *addr = (struct sockaddr *)&sa;
    socklen_t addrlen = sizeof sa;
    if (inet_pton(AF_INET, server, &sa.sin_addr) != 1) {
        if (inet_pton(AF_INET6, server, &sa6.sin6_addr) != 1) {
            fprintf(stderr, "ntp_query: bad address %s\n", server);
            return 2;
        }
        addr = (struct sockaddr *)&sa6;
        addrlen = sizeof sa6;
    }
    int fd = socket(addr->sa_family, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, addr, addrlen) < 0) {
        perror("ntp_query: socket");
        return 1;
    }

    NTP_Packet req = { .leap = NTP_LEAP_UNSYNC, .version = (uint8_t)version,
                       .mode = (uint8_t)mode, .poll = 6 };
    struct timespec t1, t4;
    uint8_t buf[NTP_MAX_PACKET_LEN];

    clock_gettime(CLOCK_REALTIME, &t1);
    req.transmit = NTS_FromTimespec(&t1);
    PKT_Encode(&req, buf);
    if (send(fd, buf, NTP_HEADER_LEN, 0) != NTP_HEADER_LEN) {
        perror("ntp_query: send");
        return 1;
    }

    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    if (poll(&pfd, 1, (int)(timeout * 1000)) != 1) {
        fprintf(stderr, "ntp_query: no reply within %.1f s\n", timeout);
        return 1;
    }
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    clock_gettime(CLOCK_REALTIME, &t4);

    NTP_Packet r;
    PKT_Status st = n > 0 ? PKT_Decode(buf, (size_t)n, &r) : PKT_ERR_SHORT;
    if (st != PKT_OK) {
        fprintf(stderr, "ntp_query: bad reply: %s\n", PKT_StatusName(st));
        return 1;
    }
    if (r.origin != req.transmit) {
        fprintf(stderr, "ntp_query: reply origin does not match our transmit\n");
        return 1;
    }
    NTP_Timestamp T1 = req.transmit, T4 = NTS_FromTimespec(&t4);
    double offset = (NTS_Diff(r.receive, T1) + NTS_Diff(r.transmit, T4)) / 2.0;
    double delay = NTS_Diff(T4, T1) - NTS_Diff(r.transmit, r.receive);
    char kiss[5] = "";
    if (r.stratum == 0)
        PKT_KissCode(&r, kiss);

    printf("leap=%d version=%d mode=%d stratum=%d poll=%d precision=%d rootdelay=%.6f "
           "rootdisp=%.6f refid=%08x kiss=%s offset=%+.9f delay=%.9f\n",
           r.leap, r.version, r.mode, r.stratum, r.poll, r.precision,
           NTS_ShortToDouble(r.root_delay), NTS_ShortToDouble(r.root_dispersion),
           (unsigned)r.refid, kiss[0] ? kiss : "-", offset, delay);
    return 0;
}
