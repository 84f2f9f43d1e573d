/* resolve_ev — resolve.h on libevent's evdns. */
#include "resolve.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "sched.h"
#include "sched_ev.h"

struct RES_Request_Record {
    struct evdns_getaddrinfo_request *pending;
    SCH_Timer deliver;           /* numeric answers are delivered from a timer */
    RES_Handler handler;
    void *arg;
    uint16_t port;
    NTP_Addr addr;
    char error[128];
    int done;
};

static struct evdns_base *dns;

void RES_Init(void)
{
    dns = evdns_base_new(SCH_GetEventBase(), EVDNS_BASE_INITIALIZE_NAMESERVERS);
    if (!dns) {
        /* No resolv.conf: names in /etc/hosts still work. */
        dns = evdns_base_new(SCH_GetEventBase(), 0);
        if (!dns)
            LOG_Fatal(1, "cannot initialise the DNS resolver");
        evdns_base_load_hosts(dns, NULL);
    }
}

void RES_Fini(void)
{
    if (dns)
        evdns_base_free(dns, 1);
    dns = NULL;
}

static void deliver(void *arg)
{
    RES_Request r = arg;

    r->deliver = NULL;
    r->handler(r->addr.len ? &r->addr : NULL, r->error, r->arg);
    free(r);
}

static void dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
    RES_Request r = arg;

    r->pending = NULL;
    if (result == EVUTIL_EAI_CANCEL) {
        if (res)
            evutil_freeaddrinfo(res);
        free(r);
        return;
    }
    if (result != 0 || !res) {
        snprintf(r->error, sizeof r->error, "%s", evutil_gai_strerror(result));
    } else if (ADDR_FromSockaddr(res->ai_addr, res->ai_addrlen, &r->addr) == 0) {
        ADDR_SetPort(&r->addr, r->port);
    } else {
        snprintf(r->error, sizeof r->error, "no IPv4 or IPv6 address");
    }
    if (res)
        evutil_freeaddrinfo(res);
    /* evdns may call back synchronously from evdns_getaddrinfo (hosts
       file, cache); a zero-delay timer keeps "never inside the call". */
    r->deliver = SCH_AddTimer(0.0, deliver, r);
}

RES_Request RES_Resolve(const char *name, uint16_t port, RES_Handler handler, void *arg)
{
    RES_Request r = MEM_New(struct RES_Request_Record);
    struct evutil_addrinfo hints;

    r->handler = handler;
    r->arg = arg;
    r->port = port;
    if (ADDR_Parse(name, port, &r->addr) == 0) {
        r->deliver = SCH_AddTimer(0.0, deliver, r);
        return r;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    r->pending = evdns_getaddrinfo(dns, name, NULL, &hints, dns_cb, r);
    return r;
}

void RES_Cancel(RES_Request r)
{
    if (!r)
        return;
    if (r->pending) {
        /* The callback runs with EVUTIL_EAI_CANCEL and frees r. */
        evdns_getaddrinfo_cancel(r->pending);
        return;
    }
    SCH_RemoveTimer(r->deliver);
    free(r);
}
