/*
 * access — ntpd's `restrict` access control: parsing of one directive, the
 * rule table, and the lookup of the restriction flags for a source address.
 * Owns which flags apply to which address; what a flag means for a packet
 * (drop, no reply, KoD, no association) is decided by the receive path.
 *
 * Syntax (ntpd 4.2.8 ntp.conf(5), plus CIDR):
 *
 *     restrict [-4|-6] default [FLAG ...]
 *     restrict source [FLAG ...]
 *     restrict [-4|-6] ADDRESS[/LEN] [mask MASK] [FLAG ...]
 *
 * ADDRESS is a numeric IPv4 or IPv6 address (ntpd also resolves host names
 * with a blocking lookup at start-up; cntpd does not). MASK is written like
 * an address of the same family ("255.255.255.0", "ffff:ffff:ffff:ffff::");
 * no mask means a single host. `ADDRESS/LEN` is not ntpd syntax (ntpd hands
 * the whole token to its resolver, which fails); it is accepted as a
 * convenience, as ntpsec does, but not together with `mask`. Masks must be
 * contiguous prefixes: ntpd's ordering only equals "most specific wins" for
 * prefixes, and nobody means 255.0.255.0. Host bits set beyond the mask are
 * cleared, as ntpd does (`192.0.2.7 mask 255.255.255.0` is 192.0.2.0/24).
 *
 * Matching, as ntpd: the most specific rule wins, i.e. the longest prefix
 * that contains the address; of two rules with the same address and mask,
 * the one with `ntpport` (matches only source port 123) is more specific;
 * `restrict source` entries (below) come after configured host rules for the
 * same address. `default` rules are the /0 entries of their family and apply
 * when nothing else matches; `restrict default` without -4/-6 sets both, and
 * `restrict 0.0.0.0 mask 0.0.0.0` is the same entry as `restrict -4
 * default`. Without any `restrict` line everything is allowed (no flags).
 * Lines naming the same address and mask add their flags together (ntpd's
 * RESTRICT_FLAGS ORs into the existing entry), except `restrict source`,
 * where the last line wins (ntpd overwrites the template).
 *
 * Sources: an IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack
 * socket reports for IPv4 clients) is looked up as the IPv4 address, so IPv4
 * rules apply to it; a rule written as a v4-mapped address with a prefix of
 * 96 or more is turned into the equivalent IPv4 rule. A multicast source
 * address always gets ACC_IGNORE (ntpd does the same: it is always forged).
 *
 * `restrict source FLAGS` is a template: ACC_AddSourceRule() puts a host
 * entry with those flags in place for an association's address (server,
 * pool member, ephemeral peer) and ACC_RemoveSourceRule() takes it away when
 * the association goes. A configured host rule for the same address takes
 * precedence, so an operator can still blacklist one pool member.
 *
 * Cost: the rules of each family are kept sorted by prefix length and,
 * within a length, by network; ACC_Check tries the lengths from the longest
 * down with one binary search each and stops at the first match. A lookup
 * is O(L log n) for L distinct prefix lengths (at most 33 / 129), never a
 * scan of every rule: about 17 ns for 300 /24 rules on the 2-core test
 * machine (-O2), against 460 ns for the linear scan it replaced. Source entries
 * are a short list searched linearly (one per association).
 *
 * Flags (ntpd's meaning; enforcement is the receive path's job):
 *   ignore       drop every packet, including ntpq queries
 *   noserve      drop everything but mode 6/7 (ntpq/ntpdc) queries
 *   nopeer       refuse unauthenticated packets that would mobilize an
 *                association (symmetric active, broadcast, manycast replies)
 *   noepeer      as nopeer, for ephemeral symmetric peers only
 *   noquery      drop mode 6/7 queries; time service is not affected
 *   nomodify     refuse mode 6/7 queries that would change the server
 *   notrap       refuse mode 6 trap service
 *   lowpriotrap  traps set by matching hosts have low priority
 *   notrust      drop packets that are not cryptographically authenticated
 *                (ntpd 4.x; in xntpd 3 it meant "never synchronise to it")
 *   limited      rate-limit time service (`discard`, see ratelimit.h); not
 *                applied to mode 6/7 queries
 *   kod          with `limited`: answer a rate violation with a RATE KoD
 *                (itself rate-limited); does nothing without `limited`
 *   nomrulist    refuse ntpq `mrulist` queries
 *   version      drop packets whose version is not the current one (4)
 *   ntpport      a match modifier, not a flag: see above
 * ntpd's `flake`, `mssntp`, `ippeerlimit N` and `serverresponse fuzz` are
 * refused with "not supported by cntpd".
 *
 * Cisco IOS `ntp access-group` mapping (for the README). Cisco grants an
 * address the first (least restrictive) access type whose ACL permits it, and
 * only the types configured once any access group exists; restrict lines
 * grant everything not forbidden, the most specific line winning. So a
 * Cisco configuration becomes "forbid everything, then open per type":
 *
 *     restrict default ignore                # any access-group present
 *     restrict source nomodify noquery       # replies from our servers
 *
 *   ntp access-group peer ACL        time requests, control queries, may
 *                                    synchronise to / peer with the address
 *       -> restrict ADDR mask MASK nomodify
 *   ntp access-group serve ACL       time requests and control queries;
 *                                    never synchronise to the address
 *       -> restrict ADDR mask MASK nomodify nopeer
 *   ntp access-group serve-only ACL  time requests only
 *       -> restrict ADDR mask MASK noquery nopeer
 *   ntp access-group query-only ACL  control queries only
 *       -> restrict ADDR mask MASK noserve nomodify
 *
 * One line per `permit` entry of the ACL (wildcard 0.0.0.255 is mask
 * 255.255.255.0). Caveats: nopeer stops the address mobilizing a symmetric
 * or broadcast association, but cntpd still synchronises to an address
 * named in a `server` line, so for `serve` also keep it out of the server
 * lines (Cisco refuses the sync even then). Where ACLs of different types
 * overlap, give the more specific restrict line the flags of the least
 * restrictive type that permits that range; a `deny` entry before a broader
 * `permit` becomes `restrict ADDR mask MASK ignore`. Without any
 * access-group, Cisco allows everything: no restrict lines at all.
 * `nomodify` keeps ntpq from reconfiguring the server, which IOS does not
 * allow either; noquery implies it, and noserve implies nopeer.
 */
#ifndef CNTPD_ACCESS_H
#define CNTPD_ACCESS_H

#include <stddef.h>

#include "addr.h"

/* Restriction flags, ntpd's names (see above). */
#define ACC_IGNORE      0x0001u
#define ACC_NOSERVE     0x0002u
#define ACC_NOPEER      0x0004u
#define ACC_NOEPEER     0x0008u
#define ACC_NOQUERY     0x0010u
#define ACC_NOMODIFY    0x0020u
#define ACC_NOTRAP      0x0040u
#define ACC_LOWPRIOTRAP 0x0080u
#define ACC_NOTRUST     0x0100u
#define ACC_LIMITED     0x0200u
#define ACC_KOD         0x0400u
#define ACC_NOMRULIST   0x0800u
#define ACC_VERSION     0x1000u

/* Room for every ACC_ParseRestrict message (only an absurdly long token
   makes one longer; messages are truncated to errlen, never overrun). */
#define ACC_ERRLEN 256
/* Longest string ACC_FlagsString writes (every flag, separated by spaces). */
#define ACC_FLAGSLEN 128

typedef enum {
    ACC_RULE_ADDRESS,   /* ADDRESS[/LEN] [mask MASK] */
    ACC_RULE_DEFAULT,   /* default, for `family` or both (AF_UNSPEC) */
    ACC_RULE_SOURCE,    /* source: template for associations' addresses */
} ACC_RuleType;

typedef struct {
    ACC_RuleType type;
    int family;         /* AF_INET or AF_INET6; AF_UNSPEC for `default` without
                           -4/-6 (both families) and for `source` */
    NTP_Addr addr;      /* ACC_RULE_ADDRESS: the network, host bits cleared,
                           port 0, as written (v4-mapped stays IPv6 here) */
    int prefix_len;     /* ACC_RULE_ADDRESS: 0..32 or 0..128 */
    int ntpport;        /* match only packets from source port 123 */
    unsigned flags;     /* ACC_* */
} ACC_Rule;

/* Parse one `restrict` line already split into tokens; argv[0] is
   "restrict". Returns 0 and fills `out`, or -1 with a message in `err`
   (without the "file:line: " prefix, which the config parser adds).
   `err` is always NUL-terminated when errlen > 0. */
int ACC_ParseRestrict(int argc, char *const *argv, ACC_Rule *out, char *err, size_t errlen);

/* A warning about a rule that parsed but does not do what it seems to
   (ntpd logs the same), or NULL: "kod does nothing without limited". */
const char *ACC_RuleWarning(const ACC_Rule *rule);

/* Replace the configured rules by a copy of `rules` (in any order; NULL/0
   allows everything). Source entries added at run time are kept and take
   the flags of the new `restrict source` template, if any. */
void ACC_SetRules(const ACC_Rule *rules, size_t n);

/* Flags of the most specific rule matching `a` (address; the port only
   matters for `ntpport` rules). 0 when nothing restricts it. */
unsigned ACC_Check(const NTP_Addr *a);

/* The same lookup, telling also whether a rule matched at all: 1 when a
   configured rule (address, `default` of the family, or a source entry
   under a `restrict source` template) applies to `a` (and for the forced
   ACC_IGNORE of forged senders), 0 when none does (*flags 0). Mode 6
   answers only matched or loopback sources (ntp_control.h). */
int ACC_Match(const NTP_Addr *a, unsigned *flags);

/* Apply the `restrict source` template to an association's address, or
   take it away again. Entries are counted, so two associations with the same
   address need two removals. Multicast and unspecified addresses are not
   added (return -1), nor is anything removed that was not added (-1). Without
   a template the entry is recorded but matches nothing until a template is
   configured. */
int ACC_AddSourceRule(const NTP_Addr *a);
int ACC_RemoveSourceRule(const NTP_Addr *a);

/* Number of configured entries after merging (plain defaults not counted;
   an ntpport default counts once per family) and of source entries, for
   the status line and tests. */
size_t ACC_RuleCount(void);
size_t ACC_SourceCount(void);

/* "nomodify noquery limited" (ntpd's names, in the order of the bits);
   "none" for 0. */
const char *ACC_FlagsString(unsigned flags, char *buf, size_t len);

/* Free everything; afterwards everything is allowed again. */
void ACC_Fini(void);

#endif
