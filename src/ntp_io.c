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
#include "ntp_time.h"
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

/* How early a batched reply's transmit timestamp (T3) may be, in ns,
   beyond what the single-send path (read the clock, then sendto) already
   has. The replies of one sendmmsg call share one clock reading taken
   just before the call, and the kernel sends them one after another: the
   k-th leaves after the k-1 before it, so its T3 is early by their send
   time. A client then sees its offset early by half that and its delay
   longer by all of it (still inside its delay/2 error bound, but an
   error). Measured on the 2-core loopback benchmark machine: ~3 us per
   datagram (the loopback delivery to the receiving socket included; less
   on a NIC), against a clock precision of ~30 ns, so any sharing costs more
   than the precision. Hence a budget instead: a call carries at most
   1 + TX_STAMP_BUDGET_NS / (measured send time per datagram) replies,
   which bounds the extra T3 error by this budget (10 us: client offsets
   early by at most 5 us, and only under load, when a read returned more
   than one request). CNT.tx_batch_spread_max_ns records the worst actual
   spread (clock reading to sendmmsg's return) of a call with two or more
   replies. */
#define TX_STAMP_BUDGET_NS 10000.0

static NIO_Socket server4, server6;
static uint16_t server_port;

/* Receive buffers shared by all sockets: the loop is single-threaded and
   handlers consume a datagram before the next recvmmsg. */
static uint8_t rx_bufs[RX_BATCH][RX_BUFLEN];
static struct sockaddr_storage rx_addrs[RX_BATCH];
static char rx_cmsgs[RX_BATCH][CMSG_SPACE(sizeof(struct timespec)) + 64];

/* Replies queued while a server socket's batch is handled (NIO_SendReply):
   at most one per datagram read, so RX_BATCH slots. */
static uint8_t tx_bufs[RX_BATCH][NTP_MAX_PACKET_LEN];
static struct sockaddr_storage tx_addrs[RX_BATCH];
static struct iovec tx_iovs[RX_BATCH];
static struct mmsghdr tx_msgs[RX_BATCH];
static int tx_count;
static NIO_Socket tx_sock;   /* whose batch is being handled; NULL: send at once */
static double tx_cost_ns;    /* kernel send time per datagram (EWMA), 0: unknown */

static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Big-endian NTP timestamp into the transmit field (octets 40-47). */
static void put_transmit(uint8_t *pkt, NTP_Timestamp t)
{
    for (int i = 7; i >= 0; i--, t >>= 8)
        pkt[40 + i] = (uint8_t)t;
}

static void send_failed(const struct sockaddr *sa, socklen_t salen)
{
    int err = errno;
    NTP_Addr a;
    char text[ADDR_STRLEN];

    DEBUG_LOG("send to %s failed: %s",
              sa && ADDR_FromSockaddr(sa, salen, &a) == 0 ? ADDR_ToString(&a, text, sizeof text)
                                                          : "peer",
              strerror(err));
    CNT.tx_errors++;
}

/* Replies per sendmmsg call within the budget: 1 until a send was timed. */
static unsigned tx_chunk(void)
{
    double n = tx_cost_ns > 0 ? 1.0 + TX_STAMP_BUDGET_NS / tx_cost_ns : 1.0;

    return n >= RX_BATCH ? RX_BATCH : (unsigned)n;
}

/* Send the queued replies, in calls of at most tx_chunk(), each call's
   replies stamped with one clock reading taken right before it. */
static void tx_flush(void)
{
    for (int off = 0; off < tx_count;) {
        unsigned n = tx_chunk();
        struct timespec now;

        if (n > (unsigned)(tx_count - off))
            n = (unsigned)(tx_count - off);
        uint64_t t0 = monotonic_ns();
        CLK_ReadTime(&now);
        NTP_Timestamp t3 = NTS_FromTimespec(&now);
        for (unsigned i = 0; i < n; i++)
            put_transmit(tx_bufs[off + (int)i], t3);
        int r = sendmmsg(tx_sock->fd, &tx_msgs[off], n, 0);
        uint64_t spread = monotonic_ns() - t0;
        if (r <= 0) {
            /* The first datagram was refused (with r > 0 a later one's
               error comes back from the next call): count it, go on. */
            send_failed(tx_msgs[off].msg_hdr.msg_name, tx_msgs[off].msg_hdr.msg_namelen);
            off++;
            continue;
        }
        /* EWMA over 8 calls; a preempted call only shrinks the next ones. */
        double per = (double)spread / r;
        tx_cost_ns = tx_cost_ns > 0 ? tx_cost_ns + (per - tx_cost_ns) / 8 : per;
        if (r >= 2) {
            CNT.tx_batched += (uint64_t)r;
            if (spread > CNT.tx_batch_spread_max_ns)
                CNT.tx_batch_spread_max_ns = spread;
        }
        CNT.tx_packets += (uint64_t)r;
        CNT.srv_replies += (uint64_t)r;
        off += r;
    }
    tx_count = 0;
}

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
    if (!s->connected)
        tx_sock = s;

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
    /* Replies to this batch (NIO_SendReply) leave now, together. */
    if (tx_count > 0)
        tx_flush();
    tx_sock = NULL;
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
        send_failed(remote ? &remote->u.sa : NULL, remote ? remote->len : 0);
        return -1;
    }
    CNT.tx_packets++;
    return 0;
}

int NIO_SendReply(NIO_Socket sock, const NTP_Addr *remote, void *buf, size_t len)
{
    struct timespec now;

    if (len < NTP_HEADER_LEN || len > NTP_MAX_PACKET_LEN) {
        CNT.tx_errors++;   /* not an NTP packet: a bug of the caller */
        return -1;
    }
    if (sock != tx_sock || sock->connected) {
        CLK_ReadTime(&now);
        put_transmit(buf, NTS_FromTimespec(&now));
        if (NIO_Send(sock, remote, buf, len) < 0)
            return -1;
        CNT.srv_replies++;
        return 0;
    }
    if (tx_count == RX_BATCH)
        tx_flush();   /* not reached: one reply per datagram of the batch */
    memcpy(tx_bufs[tx_count], buf, len);
    memcpy(&tx_addrs[tx_count], &remote->u.sa, remote->len);
    tx_iovs[tx_count] = (struct iovec){ .iov_base = tx_bufs[tx_count], .iov_len = len };
    tx_msgs[tx_count] = (struct mmsghdr){
        .msg_hdr = { .msg_name = &tx_addrs[tx_count], .msg_namelen = remote->len,
                     .msg_iov = &tx_iovs[tx_count], .msg_iovlen = 1 },
    };
    tx_count++;
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
