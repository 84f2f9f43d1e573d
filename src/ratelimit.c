/* ratelimit — see ratelimit.h. */
#include "ratelimit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "textfile.h"

#define NIL UINT32_MAX
#define NTP_SHIFT 8       /* ntpd: limit = NTP_SHIFT * head (a full burst) */
#define HEAD_GRACE 2.0    /* ntpd: s taken off every increment */
#define MIN_GRACE 1.0     /* ntpd: s of grace on the guard time */

typedef struct {
    uint8_t addr[16];     /* IPv6, or IPv4 as ::ffff:a.b.c.d */
    uint32_t scope;       /* IPv6 scope id: fe80::1 on two links are two hosts */
    uint32_t hash;        /* of addr + scope, kept to unlink on eviction */
    uint32_t hnext;       /* next in the hash chain */
    uint32_t prev, next;  /* LRU list, prev towards the most recent */
    double last;          /* arrival of the previous packet, s */
    double leak;          /* ntpd's input counter, s */
} Entry;

static Entry *entries;
static uint32_t *buckets;
static uint32_t bucket_mask;
static size_t capacity, used;
static uint32_t lru_head = NIL, lru_tail = NIL;
static double head_s, limit_s, minimum_s;
static uint64_t sip_key[2];
static RL_Stats stats;

/* ------------------------------------------------------------------------
 * `discard`.
 */


/* Plain decimal, as conf.c's parse_number: no sign, blanks or hex. */
static int parse_int(const char *tok, long max, int *out)
{
    long v = 0;
    const char *s;

    for (s = tok; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v > max)
            return -1;
    }
    if (s == tok || *s)
        return -1;
    *out = (int)v;
    return 0;
}

void RL_DefaultConfig(RL_Config *cfg)
{
    cfg->average = RL_DEFAULT_AVERAGE;
    cfg->minimum = RL_DEFAULT_MINIMUM;
    cfg->monitor = RL_DEFAULT_MONITOR;
}

int RL_ParseDiscard(int argc, char *const *argv, RL_Config *cfg, char *err, size_t errlen)
{
    RL_Config c = *cfg;

    if (err && errlen > 0)
        err[0] = '\0';
    if (argc < 2)
        return TXT_Error(err, errlen, "missing argument to 'discard' (expected average, minimum "
                    "or monitor)");
    for (int i = 1; i < argc; i += 2) {
        int *slot, max;

        if (strcmp(argv[i], "average") == 0) {
            slot = &c.average;
            max = RL_MAX_AVERAGE;
        } else if (strcmp(argv[i], "minimum") == 0) {
            slot = &c.minimum;
            max = RL_MAX_MINIMUM;
        } else if (strcmp(argv[i], "monitor") == 0) {
            slot = &c.monitor;
            max = RL_MAX_MONITOR;
        } else {
            return TXT_Error(err, errlen, "unknown discard option '%s' (expected average, minimum "
                        "or monitor)", argv[i]);
        }
        if (i + 1 >= argc)
            return TXT_Error(err, errlen, "missing value for 'discard %s'", argv[i]);
        if (parse_int(argv[i + 1], max, slot) < 0)
            return TXT_Error(err, errlen, "bad discard %s '%s' (allowed 0..%d)", argv[i],
                        argv[i + 1], max);
    }
    *cfg = c;
    return 0;
}

/* ------------------------------------------------------------------------
 * Keys and hashing.
 */

static int make_key(const NTP_Addr *a, uint8_t addr[16], uint32_t *scope)
{
    static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    switch (ADDR_Family(a)) {
    case AF_INET:
        memcpy(addr, v4_mapped, sizeof v4_mapped);
        memcpy(addr + 12, &a->u.in4.sin_addr, 4);
        *scope = 0;
        return 0;
    case AF_INET6:
        memcpy(addr, &a->u.in6.sin6_addr, 16);
        /* A v4-mapped address has no scope; keep it equal to the IPv4 key. */
        *scope = memcmp(addr, v4_mapped, sizeof v4_mapped) == 0 ? 0 : a->u.in6.sin6_scope_id;
        return 0;
    }
    return -1;
}

static uint64_t rotl(uint64_t x, int b)
{
    return x << b | x >> (64 - b);
}

static void sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = rotl(v[1], 13) ^ v[0];
    v[0] = rotl(v[0], 32);
    v[2] += v[3];
    v[3] = rotl(v[3], 16) ^ v[2];
    v[0] += v[3];
    v[3] = rotl(v[3], 21) ^ v[0];
    v[2] += v[1];
    v[1] = rotl(v[1], 17) ^ v[2];
    v[2] = rotl(v[2], 32);
}

/* SipHash-1-3 of the 24 bytes address + scope (+ 4 zero bytes) under a
   random key: the addresses come from the network, and an unkeyed hash
   would let a sender pile spoofed addresses into one chain. */
static uint32_t hash_key(const uint8_t addr[16], uint32_t scope)
{
    uint64_t v[4] = {
        sip_key[0] ^ 0x736f6d6570736575ull, sip_key[1] ^ 0x646f72616e646f6dull,
        sip_key[0] ^ 0x6c7967656e657261ull, sip_key[1] ^ 0x7465646279746573ull,
    };
    uint64_t m[4];

    memcpy(&m[0], addr, 8);
    memcpy(&m[1], addr + 8, 8);
    m[2] = scope;
    m[3] = (uint64_t)24 << 56;    /* the final block: message length */
    for (int i = 0; i < 4; i++) {
        v[3] ^= m[i];
        sip_round(v);
        v[0] ^= m[i];
    }
    v[2] ^= 0xff;
    for (int i = 0; i < 3; i++)
        sip_round(v);
    return (uint32_t)(v[0] ^ v[1] ^ v[2] ^ v[3]);
}

static void new_key(void)
{
    if (getrandom(sip_key, sizeof sip_key, GRND_NONBLOCK) == (ssize_t)sizeof sip_key)
        return;
    /* No entropy yet (early boot): a guessable key only costs speed under
       a targeted flood, never correctness. */
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    sip_key[0] = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec;
    sip_key[1] = (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&ts;
}

/* ------------------------------------------------------------------------
 * The table: entries[] in a hash table (chains through hnext) and on a
 * doubly linked LRU list, most recently seen at lru_head.
 */

static void lru_unlink(uint32_t i)
{
    Entry *e = &entries[i];

    if (e->prev != NIL)
        entries[e->prev].next = e->next;
    else
        lru_head = e->next;
    if (e->next != NIL)
        entries[e->next].prev = e->prev;
    else
        lru_tail = e->prev;
}

static void lru_push_front(uint32_t i)
{
    Entry *e = &entries[i];

    e->prev = NIL;
    e->next = lru_head;
    if (lru_head != NIL)
        entries[lru_head].prev = i;
    lru_head = i;
    if (lru_tail == NIL)
        lru_tail = i;
}

static void hash_unlink(uint32_t i)
{
    uint32_t *p = &buckets[entries[i].hash & bucket_mask];

    while (*p != i)
        p = &entries[*p].hnext;
    *p = entries[i].hnext;
}

static uint32_t find(const uint8_t addr[16], uint32_t scope, uint32_t h)
{
    for (uint32_t i = buckets[h & bucket_mask]; i != NIL; i = entries[i].hnext) {
        const Entry *e = &entries[i];

        if (e->hash == h && e->scope == scope && memcmp(e->addr, addr, 16) == 0)
            return i;
    }
    return NIL;
}

/* A fresh entry for a new source: a free one, else the least recently seen. */
static uint32_t take_entry(void)
{
    uint32_t i;

    if (used < capacity)
        return (uint32_t)used++;
    i = lru_tail;
    lru_unlink(i);
    hash_unlink(i);
    stats.evictions++;
    return i;
}

void RL_Init(size_t cap, int average_log2, int minimum)
{
    size_t nb = 1;

    RL_Fini();
    if (cap == 0)
        cap = RL_DEFAULT_CAPACITY;
    if (cap > RL_MAX_CAPACITY)
        cap = RL_MAX_CAPACITY;
    if (average_log2 < 0)
        average_log2 = 0;
    if (average_log2 > RL_MAX_AVERAGE)
        average_log2 = RL_MAX_AVERAGE;
    if (minimum < 0)
        minimum = 0;
    if (minimum > RL_MAX_MINIMUM)
        minimum = RL_MAX_MINIMUM;

    /* At most one entry per bucket on average when full. */
    while (nb < cap)
        nb <<= 1;
    capacity = cap;
    entries = MEM_Malloc(cap * sizeof *entries);
    buckets = MEM_Malloc(nb * sizeof *buckets);
    memset(buckets, 0xff, nb * sizeof *buckets);    /* all NIL */
    bucket_mask = (uint32_t)(nb - 1);
    head_s = (double)(1u << average_log2);
    limit_s = NTP_SHIFT * head_s;
    minimum_s = minimum;
    new_key();
    stats.capacity = cap;
    stats.memory = cap * sizeof *entries + nb * sizeof *buckets;
}

RL_Result RL_Check(const NTP_Addr *a, double now)
{
    uint8_t addr[16];
    uint32_t scope, h, i;
    double dt, next;
    Entry *e;

    if (!entries)
        return RL_OK;
    stats.checks++;
    if (make_key(a, addr, &scope) < 0) {
        stats.ok++;
        return RL_OK;
    }
    h = hash_key(addr, scope);
    i = find(addr, scope, h);
    if (i == NIL) {
        i = take_entry();
        e = &entries[i];
        memcpy(e->addr, addr, 16);
        e->scope = scope;
        e->hash = h;
        e->hnext = buckets[h & bucket_mask];
        buckets[h & bucket_mask] = i;
        e->last = now;
        e->leak = 0.0;
        lru_push_front(i);
        stats.new_sources++;
        stats.entries = used;
        stats.ok++;
        return RL_OK;
    }

    e = &entries[i];
    dt = now - e->last;
    if (!(dt > 0.0))        /* backwards (or NaN): no time passed */
        dt = 0.0;
    e->last = now;
    if (i != lru_head) {
        lru_unlink(i);
        lru_push_front(i);
    }

    /* ntp_monitor(): drain by the headway, then charge one increment if
       both thresholds hold; otherwise, if this is the first violation since
       the bucket was last below the ceiling, allow one KoD and push the
       bucket above the ceiling by one increment, so the next KoD needs more
       than `head` seconds of draining. */
    e->leak -= dt;
    if (e->leak < 0.0)
        e->leak = 0.0;
    next = e->leak + head_s;
    if (dt + MIN_GRACE >= minimum_s && next < limit_s) {
        e->leak = next - HEAD_GRACE;
        stats.ok++;
        return RL_OK;
    }
    stats.limited++;
    if (e->leak < limit_s) {
        e->leak = limit_s + head_s;
        stats.kod++;
        return RL_LIMITED_KOD;
    }
    return RL_LIMITED;
}

void RL_GetStats(RL_Stats *out)
{
    *out = stats;
}

void RL_Fini(void)
{
    free(entries);
    free(buckets);
    entries = NULL;
    buckets = NULL;
    capacity = used = 0;
    lru_head = lru_tail = NIL;
    memset(&stats, 0, sizeof stats);
}
