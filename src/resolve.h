/*
 * resolve — asynchronous host name resolution (never blocks the loop).
 * The daemon's implementation uses libevent's evdns (resolv.conf and
 * /etc/hosts); numeric addresses are answered at once.
 */
#ifndef CNTPD_RESOLVE_H
#define CNTPD_RESOLVE_H

#include <stdint.h>

#include "addr.h"

/* `addr` is NULL on failure, with `error` saying why. */
typedef void (*RES_Handler)(const NTP_Addr *addr, const char *error, void *arg);

typedef struct RES_Request_Record *RES_Request;

void RES_Init(void);
void RES_Fini(void);

/* Resolve `name` to one address (the first, IPv4 preferred over IPv6 only
   in the resolver's own order) with `port`. The handler runs later from the
   loop, never inside this call. Returns a handle for RES_Cancel. */
RES_Request RES_Resolve(const char *name, uint16_t port, RES_Handler handler, void *arg);

/* Cancel a pending request: its handler will not run. */
void RES_Cancel(RES_Request req);

#endif
