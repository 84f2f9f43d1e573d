/* access — see access.h. */
#include "access.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "textfile.h"

#define NTP_PORT 123

/* ------------------------------------------------------------------------
 * Flag names.
 */

/* In bit order, so ACC_FlagsString lists flags in a stable order. */
static const struct {
    const char *name;
    unsigned bit;
} flag_names[] = {
    { "ignore", ACC_IGNORE },
    { "noserve", ACC_NOSERVE },
    { "nopeer", ACC_NOPEER },
    { "noepeer", ACC_NOEPEER },
    { "noquery", ACC_NOQUERY },
    { "nomodify", ACC_NOMODIFY },
    { "notrap", ACC_NOTRAP },
    { "lowpriotrap", ACC_LOWPRIOTRAP },
    { "notrust", ACC_NOTRUST },
    { "limited", ACC_LIMITED },
    { "kod", ACC_KOD },
    { "nomrulist", ACC_NOMRULIST },
    { "version", ACC_VERSION },
};
#define N_FLAGS (sizeof flag_names / sizeof flag_names[0])

/* ntpd keywords cntpd knows but does not implement: a distinct message, so
   an operator porting an ntp.conf is not told the keyword is a typo. */
static const char *const unsupported[] = { "flake", "mssntp", "ippeerlimit", "serverresponse" };


/* "ignore, noserve, ..., version or ntpport" for the unknown-flag message. */
static void valid_flags(char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < N_FLAGS && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s, ", flag_names[i].name);
        if (n < 0)
            return;
        used += (size_t)n;
    }
    if (used < len)
        snprintf(buf + used, len - used, "or ntpport");
}

/* ------------------------------------------------------------------------
 * Addresses as 32-bit words in host order: IPv4 is word 0, IPv6 words 0..3
 * (most significant first), so masking and comparing is word arithmetic.
 */

enum { FAM_V4, FAM_V6, N_FAMS };

static const int full_len[N_FAMS] = { 32, 128 };
static const int n_words[N_FAMS] = { 1, 4 };

static void v6_words(const struct in6_addr *in6, uint32_t w[4])
{
    const uint8_t *b = in6->s6_addr;

    for (int i = 0; i < 4; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
               (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
}

static int is_v4_mapped(const uint32_t w[4])
{
    return w[0] == 0 && w[1] == 0 && w[2] == 0xffffu;
}

/* The family and words of `a`, with a v4-mapped IPv6 address turned into
   its IPv4 address (dual-stack sockets report IPv4 clients that way).
   -1 when `a` is neither IPv4 nor IPv6. */
static int addr_key(const NTP_Addr *a, int *fam, uint32_t w[4])
{
    memset(w, 0, 4 * sizeof w[0]);
    switch (ADDR_Family(a)) {
    case AF_INET:
        *fam = FAM_V4;
        w[0] = ntohl(a->u.in4.sin_addr.s_addr);
        return 0;
    case AF_INET6:
        v6_words(&a->u.in6.sin6_addr, w);
        if (is_v4_mapped(w)) {
            *fam = FAM_V4;
            w[0] = w[3];
            w[1] = w[2] = w[3] = 0;
        } else {
            *fam = FAM_V6;
        }
        return 0;
    }
    return -1;
}

static void prefix_mask(int fam, int prefix, uint32_t m[4])
{
    memset(m, 0, 4 * sizeof m[0]);
    for (int i = 0; i < n_words[fam]; i++) {
        int bits = prefix - 32 * i;

        if (bits >= 32)
            m[i] = 0xffffffffu;
        else if (bits > 0)
            m[i] = 0xffffffffu << (32 - bits);
    }
}

static int is_multicast(int fam, const uint32_t w[4])
{
    return fam == FAM_V4 ? (w[0] >> 28) == 0xe : (w[0] >> 24) == 0xff;
}

/* Prefix length of a mask given as bytes, or -1 when it is not a run of
   ones followed by zeros. */
static int mask_prefix(const uint8_t *b, size_t n)
{
    int len = 0;
    size_t i = 0;

    for (; i < n && b[i] == 0xff; i++)
        len += 8;
    if (i < n) {
        uint8_t c = b[i++];

        while (c & 0x80) {
            c = (uint8_t)(c << 1);
            len++;
        }
        if (c)
            return -1;
    }
    for (; i < n; i++)
        if (b[i])
            return -1;
    return len;
}

/* Clear the host bits of `a` beyond `prefix`, as ntpd does on input. */
static void clear_host_bits(NTP_Addr *a, int prefix)
{
    if (ADDR_Family(a) == AF_INET) {
        uint32_t m[4];

        prefix_mask(FAM_V4, prefix, m);
        a->u.in4.sin_addr.s_addr &= htonl(m[0]);
    } else {
        uint8_t *b = a->u.in6.sin6_addr.s6_addr;

        for (int i = 0; i < 16; i++) {
            int bits = prefix - 8 * i;

            if (bits <= 0)
                b[i] = 0;
            else if (bits < 8)
                b[i] &= (uint8_t)(0xff << (8 - bits));
        }
    }
}

/* ------------------------------------------------------------------------
 * Parsing.
 */

/* "/LEN": decimal only, 0..max. */
static int parse_len(const char *s, int max)
{
    int v = 0;

    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > max)
            return -1;
    }
    return v;
}

static int parse_address(const char *tok, int want_family, ACC_Rule *out, int *has_len,
                         char *err, size_t errlen)
{
    char buf[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(tok, '/');
    size_t n = slash ? (size_t)(slash - tok) : strlen(tok);
    int fam, max;

    if (tok[0] == '-')
        return TXT_Error(err, errlen, "unknown option '%s' (expected -4 or -6 before the address)",
                    tok);
    if (n < sizeof buf) {
        memcpy(buf, tok, n);
        buf[n] = '\0';
    }
    if (n >= sizeof buf || ADDR_Parse(buf, 0, &out->addr) < 0)
        return TXT_Error(err, errlen,
                    "bad address '%s' (expected default, source or a numeric IPv4/IPv6 "
                    "address; host names are not resolved)", tok);
    fam = ADDR_Family(&out->addr);
    if (want_family != AF_UNSPEC && fam != want_family)
        return TXT_Error(err, errlen, "'%s' is not an %s address", tok,
                    want_family == AF_INET ? "IPv4 (-4)" : "IPv6 (-6)");
    out->type = ACC_RULE_ADDRESS;
    out->family = fam;
    max = fam == AF_INET ? 32 : 128;
    out->prefix_len = max;
    *has_len = slash != NULL;
    if (slash) {
        int len = parse_len(slash + 1, max);

        if (len < 0)
            return TXT_Error(err, errlen, "bad prefix length '%s' in '%s' (allowed 0..%d)",
                        slash + 1, tok, max);
        out->prefix_len = len;
    }
    return 0;
}

static int parse_mask(const char *tok, ACC_Rule *out, char *err, size_t errlen)
{
    uint8_t b[16];
    int v4 = out->family == AF_INET, len;

    if (inet_pton(v4 ? AF_INET : AF_INET6, tok, b) != 1)
        return TXT_Error(err, errlen, "bad mask '%s' (expected an %s mask like %s)", tok,
                    v4 ? "IPv4" : "IPv6", v4 ? "255.255.255.0" : "ffff:ffff:ffff:ffff::");
    len = mask_prefix(b, v4 ? 4 : 16);
    if (len < 0)
        return TXT_Error(err, errlen, "mask '%s' is not contiguous (only prefix masks are supported)",
                    tok);
    out->prefix_len = len;
    return 0;
}

static int parse_flag(const char *tok, ACC_Rule *out, char *err, size_t errlen)
{
    char list[ACC_ERRLEN];

    for (size_t i = 0; i < N_FLAGS; i++) {
        if (strcmp(tok, flag_names[i].name) == 0) {
            out->flags |= flag_names[i].bit;
            return 0;
        }
    }
    if (strcmp(tok, "ntpport") == 0) {
        if (out->type == ACC_RULE_SOURCE)
            return TXT_Error(err, errlen, "'ntpport' cannot be used with 'restrict source'");
        out->ntpport = 1;
        return 0;
    }
    if (strcmp(tok, "mask") == 0)
        return TXT_Error(err, errlen, out->type == ACC_RULE_ADDRESS
                                     ? "'mask' must directly follow the address"
                                     : "'mask' only follows an address");
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        if (strcmp(tok, unsupported[i]) == 0)
            return TXT_Error(err, errlen, "restrict option '%s' is not supported by cntpd", tok);
    valid_flags(list, sizeof list);
    return TXT_Error(err, errlen, "unknown restrict flag '%s' (expected %s)", tok, list);
}

int ACC_ParseRestrict(int argc, char *const *argv, ACC_Rule *out, char *err, size_t errlen)
{
    int i = 1, family = AF_UNSPEC, has_len = 0;
    const char *tok;

    if (err && errlen > 0)
        err[0] = '\0';
    memset(out, 0, sizeof *out);
    if (i < argc && (strcmp(argv[i], "-4") == 0 || strcmp(argv[i], "-6") == 0))
        family = argv[i++][1] == '4' ? AF_INET : AF_INET6;
    if (i >= argc)
        return TXT_Error(err, errlen, "missing address after 'restrict%s'",
                    family == AF_INET ? " -4" : family == AF_INET6 ? " -6" : "");
    tok = argv[i++];

    if (strcmp(tok, "default") == 0) {
        out->type = ACC_RULE_DEFAULT;
        out->family = family;
    } else if (strcmp(tok, "source") == 0) {
        if (family != AF_UNSPEC)
            return TXT_Error(err, errlen, "-4/-6 cannot be used with 'restrict source'");
        out->type = ACC_RULE_SOURCE;
        out->family = AF_UNSPEC;
    } else if (parse_address(tok, family, out, &has_len, err, errlen) < 0) {
        return -1;
    }

    if (i < argc && strcmp(argv[i], "mask") == 0) {
        if (out->type != ACC_RULE_ADDRESS)
            return TXT_Error(err, errlen, "'mask' only follows an address, not '%s'", tok);
        if (has_len)
            return TXT_Error(err, errlen, "both a prefix length and 'mask' given for '%s'", tok);
        if (++i >= argc)
            return TXT_Error(err, errlen, "missing value for 'mask'");
        if (parse_mask(argv[i++], out, err, errlen) < 0)
            return -1;
    }
    if (out->type == ACC_RULE_ADDRESS)
        clear_host_bits(&out->addr, out->prefix_len);

    for (; i < argc; i++)
        if (parse_flag(argv[i], out, err, errlen) < 0)
            return -1;
    return 0;
}

const char *ACC_RuleWarning(const ACC_Rule *rule)
{
    if ((rule->flags & ACC_KOD) && !(rule->flags & ACC_LIMITED))
        return "kod does nothing without limited";
    return NULL;
}

const char *ACC_FlagsString(unsigned flags, char *buf, size_t len)
{
    size_t used = 0;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (!flags) {
        snprintf(buf, len, "none");
        return buf;
    }
    for (size_t i = 0; i < N_FLAGS && used < len; i++) {
        if (flags & flag_names[i].bit) {
            int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "",
                             flag_names[i].name);
            if (n < 0)
                break;
            used += (size_t)n;
        }
    }
    return buf;
}

/* ------------------------------------------------------------------------
 * The table.
 */

typedef struct {
    uint32_t net[4];       /* masked network address */
    uint32_t mask[4];
    int prefix;
    int ntpport;
    unsigned flags;
} Rule;

/* The rules of one prefix length: rules[start .. start + count), sorted by
   network, so a lookup is one binary search per distinct length. */
typedef struct {
    int prefix;
    uint32_t mask[4];
    size_t start, count;
} Group;

typedef struct {
    Rule *rules;           /* sorted by cmp_rule */
    size_t n;
    Group groups[129];     /* longest prefix first */
    size_t n_groups;
    unsigned def_flags;    /* the /0 entry: `default` */
    int has_default;       /* a `default` line (or /0 rule) exists */
} Table;

typedef struct {
    int fam;
    uint32_t w[4];
    unsigned refs;
} Source;

static Table tables[N_FAMS];
static int have_template;
static unsigned template_flags;
static Source *sources;
static size_t n_sources, cap_sources;

static int cmp_net(const uint32_t a[4], const uint32_t b[4])
{
    for (int i = 0; i < 4; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Longer prefix first (more specific); within a length by network, for the
   binary search; of one network, ntpport first (ntpd's documented
   tie-break: more specific than the same address and mask without it). */
static int cmp_rule(const void *pa, const void *pb)
{
    const Rule *a = pa, *b = pb;
    int c;

    if (a->prefix != b->prefix)
        return a->prefix > b->prefix ? -1 : 1;
    if ((c = cmp_net(a->net, b->net)) != 0)
        return c;
    if (a->ntpport != b->ntpport)
        return a->ntpport ? -1 : 1;
    return 0;
}

static void build_groups(Table *t)
{
    t->n_groups = 0;
    for (size_t i = 0; i < t->n; i++) {
        Group *g = &t->groups[t->n_groups];

        if (i == 0 || t->rules[i].prefix != t->rules[i - 1].prefix) {
            g->prefix = t->rules[i].prefix;
            memcpy(g->mask, t->rules[i].mask, sizeof g->mask);
            g->start = i;
            g->count = 0;
            t->n_groups++;
        }
        t->groups[t->n_groups - 1].count++;
    }
}

/* The rule of group `g` matching w (and the port), or NULL. */
static const Rule *match_group(const Table *t, const Group *g, const uint32_t w[4],
                               uint16_t port)
{
    uint32_t key[4];
    size_t lo = g->start, hi = g->start + g->count;

    for (int i = 0; i < 4; i++)
        key[i] = w[i] & g->mask[i];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (cmp_net(t->rules[mid].net, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < g->start + g->count && cmp_net(t->rules[lo].net, key) == 0; lo++)
        if (!t->rules[lo].ntpport || port == NTP_PORT)
            return &t->rules[lo];
    return NULL;
}

/* Append an entry to the table of `fam` (equal ones are merged after
   sorting); /0 without ntpport is the family's default entry. */
static void add_entry(int fam, const uint32_t w[4], int prefix, int ntpport, unsigned flags)
{
    Table *t = &tables[fam];
    Rule r;

    if (prefix == 0 && !ntpport) {
        t->def_flags |= flags;
        t->has_default = 1;
        return;
    }
    memset(&r, 0, sizeof r);
    prefix_mask(fam, prefix, r.mask);
    for (int i = 0; i < 4; i++)
        r.net[i] = w[i] & r.mask[i];
    r.prefix = prefix;
    r.ntpport = ntpport != 0;
    r.flags = flags;
    t->rules[t->n++] = r;
}

static void add_address_rule(const ACC_Rule *in)
{
    uint32_t w[4];
    int fam, prefix = in->prefix_len;

    if (in->family != ADDR_Family(&in->addr) || addr_key(&in->addr, &fam, w) < 0)
        return;
    /* A v4-mapped rule: the IPv4 rule it stands for (addr_key mapped the
       address; the prefix loses the 96 bits of ::ffff:). Shorter v4-mapped
       prefixes stay IPv6 rules, which v4-mapped sources never reach. */
    if (in->family == AF_INET6 && fam == FAM_V4) {
        if (prefix < 96) {
            fam = FAM_V6;
            v6_words(&in->addr.u.in6.sin6_addr, w);
        } else {
            prefix -= 96;
        }
    }
    if (prefix >= 0 && prefix <= full_len[fam])
        add_entry(fam, w, prefix, in->ntpport, in->flags);
}

static void free_tables(void)
{
    for (int f = 0; f < N_FAMS; f++) {
        free(tables[f].rules);
        memset(&tables[f], 0, sizeof tables[f]);
    }
    have_template = 0;
    template_flags = 0;
}

void ACC_SetRules(const ACC_Rule *rules, size_t n)
{
    static const uint32_t zero[4];

    free_tables();
    /* n bounds the entries of each family (a `default` makes one per family). */
    if (n > 0) {
        tables[FAM_V4].rules = MEM_Malloc(n * sizeof(Rule));
        tables[FAM_V6].rules = MEM_Malloc(n * sizeof(Rule));
    }
    for (size_t i = 0; i < n; i++) {
        const ACC_Rule *r = &rules[i];

        switch (r->type) {
        case ACC_RULE_DEFAULT:
            for (int f = 0; f < N_FAMS; f++)
                if (r->family == AF_UNSPEC || r->family == (f == FAM_V4 ? AF_INET : AF_INET6))
                    add_entry(f, zero, 0, r->ntpport, r->flags);
            break;
        case ACC_RULE_SOURCE:
            have_template = 1;
            template_flags = r->flags;
            break;
        case ACC_RULE_ADDRESS:
            add_address_rule(r);
            break;
        }
    }
    for (int f = 0; f < N_FAMS; f++) {
        Table *t = &tables[f];
        size_t kept = 0;

        if (t->n > 1)
            qsort(t->rules, t->n, sizeof(Rule), cmp_rule);
        /* Equal address, mask and ntpport: one entry with the flags ORed
           (sorting made them neighbours; O(n log n) for long blocklists). */
        for (size_t i = 0; i < t->n; i++) {
            if (kept > 0 && cmp_rule(&t->rules[kept - 1], &t->rules[i]) == 0)
                t->rules[kept - 1].flags |= t->rules[i].flags;
            else
                t->rules[kept++] = t->rules[i];
        }
        t->n = kept;
        build_groups(t);
    }
}

static Source *find_source(int fam, const uint32_t w[4])
{
    for (size_t i = 0; i < n_sources; i++)
        if (sources[i].fam == fam && memcmp(sources[i].w, w, sizeof sources[i].w) == 0)
            return &sources[i];
    return NULL;
}

int ACC_Match(const NTP_Addr *a, unsigned *flags)
{
    const Table *t;
    uint32_t w[4];
    int fam, sources_done = !have_template;
    uint16_t port;

    /* No sender (cannot be answered anyway) or a forged multicast one. */
    if (addr_key(a, &fam, w) < 0 || is_multicast(fam, w)) {
        *flags = ACC_IGNORE;
        return 1;
    }
    port = ADDR_Port(a);
    t = &tables[fam];
    for (size_t i = 0; i < t->n_groups; i++) {
        const Group *g = &t->groups[i];
        const Rule *r;

        /* Source entries are host entries ranked after configured host
           rules: check them when the search leaves the full-length rules. */
        if (!sources_done && g->prefix < full_len[fam]) {
            sources_done = 1;
            if (find_source(fam, w)) {
                *flags = template_flags;
                return 1;
            }
        }
        if ((r = match_group(t, g, w, port)) != NULL) {
            *flags = r->flags;
            return 1;
        }
    }
    if (!sources_done && find_source(fam, w)) {
        *flags = template_flags;
        return 1;
    }
    *flags = t->def_flags;
    return t->has_default;
}

unsigned ACC_Check(const NTP_Addr *a)
{
    unsigned flags;

    ACC_Match(a, &flags);
    return flags;
}

int ACC_AddSourceRule(const NTP_Addr *a)
{
    uint32_t w[4];
    int fam;
    Source *s;

    if (addr_key(a, &fam, w) < 0 || is_multicast(fam, w) ||
        (w[0] | w[1] | w[2] | w[3]) == 0)
        return -1;
    s = find_source(fam, w);
    if (s) {
        s->refs++;
        return 0;
    }
    if (n_sources == cap_sources) {
        cap_sources = cap_sources ? 2 * cap_sources : 8;
        sources = MEM_Realloc(sources, cap_sources * sizeof *sources);
    }
    s = &sources[n_sources++];
    s->fam = fam;
    memcpy(s->w, w, sizeof s->w);
    s->refs = 1;
    return 0;
}

int ACC_RemoveSourceRule(const NTP_Addr *a)
{
    uint32_t w[4];
    int fam;
    Source *s;

    if (addr_key(a, &fam, w) < 0 || !(s = find_source(fam, w)))
        return -1;
    if (--s->refs == 0)
        *s = sources[--n_sources];
    return 0;
}

size_t ACC_RuleCount(void)
{
    return tables[FAM_V4].n + tables[FAM_V6].n;
}

size_t ACC_SourceCount(void)
{
    return n_sources;
}

void ACC_Fini(void)
{
    free_tables();
    free(sources);
    sources = NULL;
    n_sources = cap_sources = 0;
}
