/*
 * ntp_io — NTP sockets: the server sockets on the local NTP port (IPv4 and
 * IPv6) and one connected socket per client association on an ephemeral
 * port (so off-path attackers must guess the port, as with chrony).
 * Every received datagram carries the kernel's receive timestamp
 * (SO_TIMESTAMPNS), read in batches with recvmmsg; server replies to one
 * such batch leave together with sendmmsg (NIO_SendReply). The simulator
 * provides its own implementation of this interface.
 */
#ifndef CNTPD_NTP_IO_H
#define CNTPD_NTP_IO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"

typedef struct NIO_Socket_Record *NIO_Socket;

/* One received datagram; `rx_time` is on the local clock (CLOCK_REALTIME
   as stamped by the kernel, or read right after receipt if the kernel gave
   none). */
typedef struct {
    NIO_Socket sock;
    NTP_Addr remote;
    struct timespec rx_time;
    const uint8_t *data;
    size_t len;
} NIO_Datagram;

typedef void (*NIO_RxHandler)(const NIO_Datagram *dgram, void *arg);

/* Open the server sockets on `port` (0.0.0.0 and [::]; `bind4`/`bind6`
   restrict them to one address when non-NULL, "" opens none for that
   family) and deliver their datagrams to `handler`. Returns 0, or -1 with
   a logged reason when neither family could be bound. */
int NIO_Init(uint16_t port, const char *bind4, const char *bind6, NIO_RxHandler handler,
             void *arg);
void NIO_Fini(void);

/* Local port the server sockets are bound to. */
uint16_t NIO_ServerPort(void);

/* A socket connected to `remote` for a client association, sending from
   `local` (address only; NULL or len 0: the kernel chooses); NULL on error
   (logged). */
NIO_Socket NIO_OpenClient(const NTP_Addr *remote, const NTP_Addr *local, NIO_RxHandler handler,
                          void *arg);
void NIO_Close(NIO_Socket sock);

/* Send on `sock` (a server socket needs `remote`; a connected one ignores
   it). Returns 0, or -1 (logged at debug level: a send failure is a lost
   packet, not an error of ours). */
int NIO_Send(NIO_Socket sock, const NTP_Addr *remote, const void *buf, size_t len);

/* Send a server reply (an NTP packet of `len` >= 48 octets) whose transmit
   timestamp (octets 40-47) ntp_io writes itself, as late as it can: right
   before the datagram goes to the kernel. Replies made while a batch read
   from a server socket is being handled are queued and sent together with
   sendmmsg when the batch is done, sharing one clock reading per sendmmsg
   call; ntp_io.c bounds how early that makes a reply's timestamp. Only for
   packets whose MAC, if any, does not cover the transmit timestamp (none,
   or a crypto-NAK). A datagram the kernel takes counts in CNT.tx_packets
   and CNT.srv_replies, a refused one in CNT.tx_errors; so the return
   value (0, or -1 when refused at once) says nothing about a queued one. */
int NIO_SendReply(NIO_Socket sock, const NTP_Addr *remote, void *buf, size_t len);

/* Local address and port of `sock` (the source address the kernel chose
   for a client socket); 0 or -1. */
int NIO_LocalAddress(NIO_Socket sock, NTP_Addr *local);

/* The server socket of the family of `remote` (for replies and symmetric
   modes); NULL when that family is not open. */
NIO_Socket NIO_ServerSocket(int family);

#endif
