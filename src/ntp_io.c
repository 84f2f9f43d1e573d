/* ntp_io — see ntp_io.h. */
#include "ntp_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "counters.h"
#include "log.h"
#include "mem.h"
#include "ntp_pkt.h"
#include "sched.h"

/* Datagrams read per recvmmsg call: enough to drain a burst of client
   requests in one wake-up without holding the loop for long. */
#define RX_BATCH 32
/* One octet more than the largest packet we accept, to see truncation. */
#define RX_BUFLEN (NTP_MAX_PACKET_LEN + 1)

struct NIO_Socket_Record {
    int fd;
    int family;
    int connected;
    NIO_RxHandler handler;
    void *arg;
};

static NIO_Socket server4, server6;
static uint16_t server_port;

/* Receive buffers shared by all sockets: the loop is single-threaded and
   handlers consume a datagram before the next recvmmsg. */
static uint8_t rx_bufs[RX_BATCH][RX_BUFLEN];
static struct sockaddr_storage rx_addrs[RX_BATCH];
static char rx_cmsgs[RX_BATCH][CMSG_SPACE(sizeof(struct timespec)) + 64];

static void socket_readable(int fd, void *arg)
{
    NIO_Socket s = arg;
    struct mmsghdr msgs[RX_BATCH];
    struct iovec iovs[RX_BATCH];

    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < RX_BATCH; i++) {
        iovs[i].iov_base = rx_bufs[i];
        iovs[i].iov_len = RX_BUFLEN;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &rx_addrs[i];
        msgs[i].msg_hdr.msg_namelen = sizeof rx_addrs[i];
        msgs[i].msg_hdr.msg_control = rx_cmsgs[i];
        msgs[i].msg_hdr.msg_controllen = sizeof rx_cmsgs[i];
    }

    int n = recvmmsg(fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
        return;

    struct timespec fallback;
    CLK_ReadTime(&fallback);

    for (int i = 0; i < n; i++) {
        NIO_Datagram d = { .sock = s, .data = rx_bufs[i], .len = msgs[i].msg_len };

        CNT.rx_packets++;
        d.rx_time = fallback;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
             c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
                memcpy(&d.rx_time, CMSG_DATA(c), sizeof d.rx_time);
        }
        if (ADDR_FromSockaddr((struct sockaddr *)&rx_addrs[i], msgs[i].msg_hdr.msg_namelen,
                              &d.remote) < 0) {
            CNT.rx_bad_address++;
            continue;
        }
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC || d.len > NTP_MAX_PACKET_LEN) {
            CNT.rx_too_long++;
            continue;
        }
        s->handler(&d, s->arg);
    }
}

static int open_socket(int family, int type_flags)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC | type_flags, 0);
    int on = 1;

    if (fd < 0)
        return -1;
    /* Kernel receive timestamps: the time the packet arrived, not when the
       loop got round to it, which is what T4 (and server T2) must be. */
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0)
        LOG(LOGS_WARN, "SO_TIMESTAMPNS unavailable, receive times taken in user space: %s",
            strerror(errno));
    return fd;
}

static NIO_Socket wrap(int fd, int family, int connected, NIO_RxHandler handler, void *arg)
{
    NIO_Socket s = MEM_New(struct NIO_Socket_Record);

    s->fd = fd;
    s->family = family;
    s->connected = connected;
    s->handler = handler;
    s->arg = arg;
    SCH_AddFdHandler(fd, socket_readable, s);
    return s;
}

static NIO_Socket open_server(int family, uint16_t port, const char *bind_addr,
                              NIO_RxHandler handler, void *arg)
{
    NTP_Addr local;
    char text[ADDR_STRLEN];
    int on = 1;

    if (bind_addr) {
        if (ADDR_Parse(bind_addr, port, &local) < 0 || ADDR_Family(&local) != family)
            return NULL;
    } else {
        ADDR_Parse(family == AF_INET ? "0.0.0.0" : "::", port, &local);
    }

    int fd = open_socket(family, 0);
    if (fd < 0) {
        LOG(LOGS_WARN, "cannot open %s NTP socket: %s", family == AF_INET ? "IPv4" : "IPv6",
            strerror(errno));
        return NULL;
    }
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    /* `broadcast` associations send from the NTP port to a broadcast
       address, which the kernel refuses without this. */
    if (family == AF_INET)
        setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
    if (bind(fd, &local.u.sa, local.len) < 0) {
        LOG(LOGS_ERR, "cannot bind NTP socket to %s: %s", ADDR_ToString(&local, text, sizeof text),
            strerror(errno));
        close(fd);
        return NULL;
    }
    LOG(LOGS_INFO, "listening on %s", ADDR_ToString(&local, text, sizeof text));
    return wrap(fd, family, 0, handler, arg);
}

int NIO_Init(uint16_t port, const char *bind4, const char *bind6, NIO_RxHandler handler,
             void *arg)
{
    server_port = port;
    server4 = bind4 && !*bind4 ? NULL : open_server(AF_INET, port, bind4, handler, arg);
    server6 = bind6 && !*bind6 ? NULL : open_server(AF_INET6, port, bind6, handler, arg);
    return server4 || server6 ? 0 : -1;
}

void NIO_Close(NIO_Socket sock)
{
    if (!sock)
        return;
    SCH_RemoveFdHandler(sock->fd);
    close(sock->fd);
    free(sock);
}

void NIO_Fini(void)
{
    NIO_Close(server4);
    NIO_Close(server6);
    server4 = server6 = NULL;
}

uint16_t NIO_ServerPort(void)
{
    return server_port;
}

NIO_Socket NIO_ServerSocket(int family)
{
    return family == AF_INET ? server4 : family == AF_INET6 ? server6 : NULL;
}

NIO_Socket NIO_OpenClient(const NTP_Addr *remote, const NTP_Addr *local, NIO_RxHandler handler,
                          void *arg)
{
    char text[ADDR_STRLEN];
    int family = ADDR_Family(remote);
    int fd = open_socket(family, 0);

    /* A chosen source address (cntpPeersHostAddress, for multi-homed
       hosts): bind it with an ephemeral port before connecting. */
    if (fd >= 0 && local && local->len && ADDR_Family(local) == family) {
        NTP_Addr src = *local;
        ADDR_SetPort(&src, 0);
        if (bind(fd, &src.u.sa, src.len) < 0) {
            LOG(LOGS_WARN, "cannot send from %s: %s", ADDR_HostString(&src, text, sizeof text),
                strerror(errno));
            close(fd);
            return NULL;
        }
    }
    if (fd < 0 || connect(fd, &remote->u.sa, remote->len) < 0) {
        LOG(LOGS_WARN, "cannot open a socket to %s: %s",
            ADDR_ToString(remote, text, sizeof text), strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    return wrap(fd, family, 1, handler, arg);
}

int NIO_Send(NIO_Socket sock, const NTP_Addr *remote, const void *buf, size_t len)
{
    ssize_t n;

    if (sock->connected)
        n = send(sock->fd, buf, len, 0);
    else
        n = sendto(sock->fd, buf, len, 0, &remote->u.sa, remote->len);
    if (n < 0) {
        char text[ADDR_STRLEN];
        DEBUG_LOG("send to %s failed: %s",
                  remote ? ADDR_ToString(remote, text, sizeof text) : "peer", strerror(errno));
        CNT.tx_errors++;
        return -1;
    }
    CNT.tx_packets++;
    return 0;
}

int NIO_LocalAddress(NIO_Socket sock, NTP_Addr *local)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (!sock || getsockname(sock->fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return ADDR_FromSockaddr((struct sockaddr *)&ss, len, local);
}
