/*
 * ratelimit — per-source rate limiting of the server, ntpd's `limited` /
 * `discard` (ntp_monitor.c's MRU list), and the `discard` directive.
 * Owns the per-address state (a fixed-capacity table) and the decision
 * "answer / drop / may send a RATE KoD"; the caller decides which packets
 * are subject to it (those whose ACC flags have ACC_LIMITED; ntpd never
 * limits mode 6/7 queries) and whether a KoD goes out (ACC_KOD).
 *
 * `discard [average A] [minimum M] [monitor P]` (ntpd 4.2.8 accopt.html,
 * ntp_monitor.c, include/ntp.h):
 *   average A  minimum average headway, log2 s, default 3 (8 s); the
 *              "headway increment" head = 2^A
 *   minimum M  guard time: minimum spacing of two packets, in seconds
 *              (not log2, whatever some vendor guides say: ntpd compares it
 *              with the interval in seconds), default 2 (NTP_MINPKT)
 *   monitor P  ntpd: how likely a new source is recorded when the MRU list
 *              is full (preemption age, default 3000). Accepted for ntp.conf
 *              compatibility and ignored: cntpd always records the new
 *              source and evicts the least recently seen one.
 *
 * The leaky bucket, exactly ntpd's except for time resolution. Per source a
 * counter `leak` (seconds). For every packet after the first, dt seconds
 * after the previous one from the same address:
 *     leak = max(0, leak - dt); next = leak + head; limit = 8 * head
 *     if dt + 1 >= M and next < limit:  answer;  leak = next - 2
 *     else if leak < limit:             limited, KoD allowed; leak = limit + head
 *     else:                             limited, no KoD; leak unchanged
 * The "+ 1" and "- 2" are ntpd's 1-s grace on the guard time and 2-s grace
 * on the increment. With the defaults an idle source may send 15 packets
 * 2 s apart (an iburst of 8 passes easily), and in the long run one packet
 * per head - 2 = 6 s; packets less than M - 1 = 1 s apart are always
 * limited. The first packet of a source is always answered.
 *
 * ntpd rounds dt to whole seconds before all of this; cntpd uses the exact
 * dt. Both decide identically for whole-second spacing (the unit tests run
 * ntpd's code side by side). Otherwise: ntpd's guard passes dt >= M - 1.5
 * (0.5 s by default), cntpd's dt >= M - 1; and a source sending more often
 * than every 0.5 s never drains its bucket in ntpd (every interval rounds to
 * 0), so it gets one KoD ever, where cntpd drains it and repeats the KoD
 * every 2^A s while the flood lasts.
 *
 * KoD rate limit: a limited packet may get a KoD only while leak < limit;
 * giving one sets leak to limit + head, so the next KoD to that address is
 * possible only after more than head = 2^A seconds (8 s by default), however
 * fast packets arrive. A KoD is no larger than the request, so spoofing the
 * victim's address gains at most one small packet per 8 s per address.
 * (ntpd's rate.html says "one per guard time"; its code, copied here, does
 * one per average headway.)
 *
 * Memory: RL_Init allocates `capacity` entries and a power-of-two hash
 * table once; RL_Check never allocates. A new source takes a free entry or
 * evicts the least recently seen one (LRU list), so spoofed sources cannot
 * grow memory, only push out idle entries: a source is remembered as long
 * as fewer than `capacity` other addresses are seen between two of its
 * packets (8192 entries: an abuser at one packet per second stays tracked
 * under a flood of 8000 new addresses per second). Lookup hashes the
 * address with SipHash keyed from getrandom(), so remote senders cannot
 * aim addresses at one hash chain; per packet cost is O(1).
 *
 * Addresses: the whole address is the key, not the port (ntpd: otherwise
 * ntpdate from cron evades `limited`); an IPv4-mapped IPv6 address is the
 * same source as the IPv4 address; IPv6 is keyed on all 128 bits, as ntpd.
 *
 * Time is passed in (seconds on any monotonic scale), so tests are
 * deterministic. Time running backwards counts as dt = 0.
 */
#ifndef CNTPD_RATELIMIT_H
#define CNTPD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define RL_DEFAULT_CAPACITY 8192
#define RL_MAX_CAPACITY (1u << 24)
#define RL_DEFAULT_AVERAGE 3      /* log2 s */
#define RL_DEFAULT_MINIMUM 2      /* s */
#define RL_DEFAULT_MONITOR 3000   /* ntpd's mon_age; unused */
#define RL_MAX_AVERAGE 17         /* log2 s, NTP's maximum poll */
#define RL_MAX_MINIMUM 3600       /* s */
#define RL_MAX_MONITOR 1000000

typedef enum {
    RL_OK,              /* answer normally */
    RL_LIMITED,         /* over the limit: drop */
    RL_LIMITED_KOD,     /* over the limit: drop, or send a RATE KoD if the
                           source's restrict flags have `kod` */
} RL_Result;

/* The `discard` directive's values. */
typedef struct {
    int average;        /* log2 s */
    int minimum;        /* s */
    int monitor;        /* accepted, unused */
} RL_Config;

typedef struct {
    uint64_t checks;        /* RL_Check calls */
    uint64_t ok;
    uint64_t limited;       /* RL_LIMITED + RL_LIMITED_KOD */
    uint64_t kod;           /* RL_LIMITED_KOD */
    uint64_t new_sources;   /* entries (re)initialised for an unknown address */
    uint64_t evictions;     /* of them, taken from the least recently seen */
    size_t entries;         /* in use, <= capacity */
    size_t capacity;
    size_t memory;          /* bytes allocated by RL_Init, fixed until RL_Fini */
} RL_Stats;

/* Defaults: average 3, minimum 2, monitor 3000. */
void RL_DefaultConfig(RL_Config *cfg);

/* Parse one `discard` line already split into tokens; argv[0] is "discard".
   Options not given keep their value in `cfg` (so several lines combine, the
   last value winning, as in ntpd); `cfg` is only changed on success.
   Returns 0, or -1 with a message in `err` without the "file:line: "
   prefix. */
int RL_ParseDiscard(int argc, char *const *argv, RL_Config *cfg, char *err, size_t errlen);

/* Allocate the table and set the limits (0 capacity: the default; capacity
   above RL_MAX_CAPACITY is clamped; average and minimum are clamped to their
   ranges). Forgets every source; may be called again. */
void RL_Init(size_t capacity, int average_log2, int minimum_s);

/* Account one packet from `a` arriving at `now` (seconds) and decide. Before
   RL_Init (rate limiting not configured) always RL_OK. */
RL_Result RL_Check(const NTP_Addr *a, double now);

void RL_GetStats(RL_Stats *out);

/* Free the table; RL_Check answers RL_OK until the next RL_Init. */
void RL_Fini(void);

#endif
