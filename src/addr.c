/* addr — see addr.h. */
#include "addr.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

int ADDR_Parse(const char *text, uint16_t port, NTP_Addr *out)
{
    char buf[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(text);

    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, text, &out->u.in4.sin_addr) == 1) {
        out->u.in4.sin_family = AF_INET;
        out->u.in4.sin_port = htons(port);
        out->len = sizeof out->u.in4;
        return 0;
    }
    if (n >= 2 && text[0] == '[' && text[n - 1] == ']' && n - 2 < sizeof buf) {
        memcpy(buf, text + 1, n - 2);
        buf[n - 2] = '\0';
        text = buf;
    }
    if (inet_pton(AF_INET6, text, &out->u.in6.sin6_addr) == 1) {
        out->u.in6.sin6_family = AF_INET6;
        out->u.in6.sin6_port = htons(port);
        out->len = sizeof out->u.in6;
        return 0;
    }
    memset(out, 0, sizeof *out);
    return -1;
}

int ADDR_FromSockaddr(const struct sockaddr *sa, socklen_t len, NTP_Addr *out)
{
    memset(out, 0, sizeof *out);
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        memcpy(&out->u.in4, sa, sizeof out->u.in4);
        out->len = sizeof out->u.in4;
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        memcpy(&out->u.in6, sa, sizeof out->u.in6);
        out->len = sizeof out->u.in6;
        return 0;
    }
    return -1;
}

int ADDR_Family(const NTP_Addr *a)
{
    return a->len ? a->u.sa.sa_family : AF_UNSPEC;
}

uint16_t ADDR_Port(const NTP_Addr *a)
{
    switch (ADDR_Family(a)) {
    case AF_INET: return ntohs(a->u.in4.sin_port);
    case AF_INET6: return ntohs(a->u.in6.sin6_port);
    }
    return 0;
}

void ADDR_SetPort(NTP_Addr *a, uint16_t port)
{
    if (ADDR_Family(a) == AF_INET)
        a->u.in4.sin_port = htons(port);
    else if (ADDR_Family(a) == AF_INET6)
        a->u.in6.sin6_port = htons(port);
}

int ADDR_EqualHost(const NTP_Addr *a, const NTP_Addr *b)
{
    if (ADDR_Family(a) != ADDR_Family(b))
        return 0;
    switch (ADDR_Family(a)) {
    case AF_INET:
        return a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
    case AF_INET6:
        return memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0 &&
               a->u.in6.sin6_scope_id == b->u.in6.sin6_scope_id;
    }
    return 1;
}

int ADDR_Equal(const NTP_Addr *a, const NTP_Addr *b)
{
    return ADDR_EqualHost(a, b) && ADDR_Port(a) == ADDR_Port(b);
}

const char *ADDR_HostString(const NTP_Addr *a, char *buf, size_t len)
{
    const void *src = ADDR_Family(a) == AF_INET ? (const void *)&a->u.in4.sin_addr
                                                : (const void *)&a->u.in6.sin6_addr;

    if (!a->len || !inet_ntop(ADDR_Family(a), src, buf, len))
        snprintf(buf, len, "?");
    return buf;
}

const char *ADDR_ToString(const NTP_Addr *a, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN];

    ADDR_HostString(a, host, sizeof host);
    if (ADDR_Family(a) == AF_INET6)
        snprintf(buf, len, "[%s]:%u", host, ADDR_Port(a));
    else
        snprintf(buf, len, "%s:%u", host, ADDR_Port(a));
    return buf;
}

uint32_t ADDR_RefId(const NTP_Addr *a)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (ADDR_Family(a) == AF_INET)
        return ntohl(a->u.in4.sin_addr.s_addr);
    if (ADDR_Family(a) != AF_INET6)
        return 0;
    /* RFC 5905 §7.3: the first 32 bits of the MD5 hash of the IPv6 address. */
    if (!EVP_Digest(&a->u.in6.sin6_addr, 16, md, &mdlen, EVP_md5(), NULL) || mdlen < 4)
        return 0;
    return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
}
