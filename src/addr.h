/*
 * addr — socket addresses (IPv4/IPv6 + port) as the engine passes them
 * around: comparison, formatting, numeric parsing, and the NTP reference
 * identifier of an address.
 */
#ifndef CNTPD_ADDR_H
#define CNTPD_ADDR_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct {
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } u;
    socklen_t len;    /* 0: no address */
} NTP_Addr;

/* Longest string ADDR_ToString writes, with port and brackets. */
#define ADDR_STRLEN (INET6_ADDRSTRLEN + 10)

/* Parse a numeric IPv4 or IPv6 address (IPv6 may be in brackets); 0 or -1. */
int ADDR_Parse(const char *text, uint16_t port, NTP_Addr *out);

/* Fill from a sockaddr of family AF_INET/AF_INET6; 0 or -1. */
int ADDR_FromSockaddr(const struct sockaddr *sa, socklen_t len, NTP_Addr *out);

int ADDR_Family(const NTP_Addr *a);
uint16_t ADDR_Port(const NTP_Addr *a);
void ADDR_SetPort(NTP_Addr *a, uint16_t port);

/* Equal address and port. */
int ADDR_Equal(const NTP_Addr *a, const NTP_Addr *b);
/* Equal address, any port. */
int ADDR_EqualHost(const NTP_Addr *a, const NTP_Addr *b);

/* "192.0.2.1" or "2001:db8::1" (no port). */
const char *ADDR_HostString(const NTP_Addr *a, char *buf, size_t len);
/* "192.0.2.1:123" or "[2001:db8::1]:123". */
const char *ADDR_ToString(const NTP_Addr *a, char *buf, size_t len);

/* RFC 5905 reference id of a server at this address: the IPv4 address, or
   the first four octets of the MD5 hash of the IPv6 address. Host order. */
uint32_t ADDR_RefId(const NTP_Addr *a);

#endif
