/* ntp_ctlmsg — see ntp_ctlmsg.h. */
#include "ntp_ctlmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "filter.h"
#include "ntp_pkt.h"
#include "refclock.h"

#define MAX_LINE 72               /* ntpd's MAXDATALINELEN */
#define MAX_NAME 32               /* longer names are unknown anyway */
#define MS 1e3                    /* s -> ms */

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* ---- requests and responses ------------------------------------------- */

NCM_ParseStatus NCM_ParseRequest(const uint8_t *buf, size_t len, NCM_Request *req)
{
    size_t count, padded;

    memset(req, 0, sizeof *req);
    if (len < NCM_HEADER_LEN)
        return NCM_PARSE_SHORT;
    if ((buf[0] & 7) != NTP_MODE_CONTROL)
        return NCM_PARSE_MODE;
    req->version = buf[0] >> 3 & 7;
    if (req->version < NTP_MIN_VERSION || req->version > NTP_VERSION)
        return NCM_PARSE_VERSION;
    /* A response must never be answered (two servers could be made to
       bounce packets forever); requests are never fragmented. */
    if (buf[1] & (NCM_RESPONSE | NCM_ERROR | NCM_MORE))
        return NCM_PARSE_NOT_REQUEST;
    if (get16(buf + 8) != 0)
        return NCM_PARSE_OFFSET;
    count = get16(buf + 10);
    /* ntpq and check_ntp_peer pad requests to 4 octets (ntpd drops the
       others); a MAC may follow, which a read-only server ignores. */
    padded = NCM_HEADER_LEN + ((count + 3) & ~(size_t)3);
    if (count > NCM_MAX_DATA || len % 4 != 0 || len < padded || len > padded + NCM_MAX_TRAILER)
        return NCM_PARSE_LENGTH;
    req->opcode = buf[1] & NCM_OPCODE_MASK;
    req->sequence = get16(buf + 2);
    req->assoc_id = get16(buf + 6);
    req->data = buf + NCM_HEADER_LEN;
    req->count = count;
    return NCM_PARSE_OK;
}

const char *NCM_ParseStatusName(NCM_ParseStatus s)
{
    switch (s) {
    case NCM_PARSE_OK: return "ok";
    case NCM_PARSE_SHORT: return "shorter than the header";
    case NCM_PARSE_MODE: return "not mode 6";
    case NCM_PARSE_VERSION: return "bad version";
    case NCM_PARSE_NOT_REQUEST: return "response or fragment bits set";
    case NCM_PARSE_OFFSET: return "nonzero offset";
    case NCM_PARSE_LENGTH: return "bad count or length";
    }
    return "?";
}

static void put_header(const NCM_Request *req, int leap, uint8_t flags, uint16_t status,
                       size_t offset, size_t count, uint8_t *out)
{
    out[0] = (uint8_t)((leap & 3) << 6 | (req->version & 7) << 3 | NTP_MODE_CONTROL);
    out[1] = (uint8_t)(NCM_RESPONSE | flags | (req->opcode & NCM_OPCODE_MASK));
    put16(out + 2, req->sequence);
    put16(out + 4, status);
    put16(out + 6, req->assoc_id);
    put16(out + 8, (uint16_t)offset);
    put16(out + 10, (uint16_t)count);
}

size_t NCM_EncodeError(const NCM_Request *req, int leap, int error, uint8_t *out)
{
    put_header(req, leap, NCM_ERROR, (uint16_t)((error & 0xff) << 8), 0, 0, out);
    return NCM_HEADER_LEN;
}

size_t NCM_FragmentCount(size_t len)
{
    return len == 0 ? 1 : (len + NCM_MAX_DATA - 1) / NCM_MAX_DATA;
}

size_t NCM_ReplyOctets(size_t len)
{
    /* Every fragment but the last carries 468 octets (a multiple of 4). */
    return NCM_FragmentCount(len) * NCM_HEADER_LEN + ((len + 3) & ~(size_t)3);
}

size_t NCM_EncodeFragment(const NCM_Request *req, int leap, uint16_t status,
                          const uint8_t *data, size_t len, size_t index, uint8_t *out)
{
    size_t n = NCM_FragmentCount(len), offset = index * NCM_MAX_DATA, count, total;

    if (index >= n)
        return 0;
    count = len - offset < NCM_MAX_DATA ? len - offset : NCM_MAX_DATA;
    put_header(req, leap, index + 1 < n ? NCM_MORE : 0, status, offset, count, out);
    if (count)
        memcpy(out + NCM_HEADER_LEN, data + offset, count);
    total = NCM_HEADER_LEN + count;
    while (total % 4)
        out[total++] = 0;
    return total;
}

/* ---- status words ------------------------------------------------------ */

uint16_t NCM_SystemStatus(int leap, int source, unsigned n_events, int last_event)
{
    if (n_events > 15)
        n_events = 15;
    return (uint16_t)((leap & 3) << 14 | (source & 0x3f) << 8 | n_events << 4 |
                      (last_event & 0xf));
}

int NCM_ClockSource(int refclock_type)
{
    switch (refclock_type) {
    case 0: return NCM_SRC_NTP;
    case RCL_TYPE_LOCAL: return NCM_SRC_LOCAL;
    case RCL_TYPE_PPS: return NCM_SRC_ATOM;
    case RCL_TYPE_NMEA:
    case RCL_TYPE_SHM: return NCM_SRC_UHF;
    }
    return NCM_SRC_UNSPEC;
}

int NCM_SelectCode(PEER_SelStatus sel, int refclock_type)
{
    switch (sel) {
    case PEER_SEL_REJECT: return NCM_SEL_REJECT;
    case PEER_SEL_FALSETICK: return NCM_SEL_FALSETICK;
    case PEER_SEL_EXCESS: return NCM_SEL_EXCESS;
    case PEER_SEL_OUTLIER: return NCM_SEL_OUTLIER;
    case PEER_SEL_CANDIDATE: return NCM_SEL_CANDIDATE;
    case PEER_SEL_SYSPEER:
        return refclock_type == RCL_TYPE_PPS ? NCM_SEL_PPSPEER : NCM_SEL_SYSPEER;
    }
    return NCM_SEL_REJECT;
}

uint16_t NCM_PeerStatus(const PEER_Report *r, unsigned n_events, int last_event)
{
    unsigned hi = (unsigned)NCM_SelectCode(r->select, r->refclock_type);

    if (r->configured)
        hi |= NCM_PST_CONFIG;
    if (r->key) {
        hi |= NCM_PST_AUTHENABLE;
        /* With a key every packet accepted carried a valid MAC: the ones
           in the reach register were authentic. */
        if (r->reach)
            hi |= NCM_PST_AUTHENTIC;
    }
    if (r->reach)
        hi |= NCM_PST_REACH;
    if (r->mode == NTP_MODE_BROADCAST)
        hi |= NCM_PST_BCAST;
    if (n_events > 15)
        n_events = 15;
    return (uint16_t)(hi << 8 | n_events << 4 | (last_event & 0xf));
}

void NCM_PutAssoc(uint8_t *out, uint16_t assoc_id, uint16_t status)
{
    put16(out, assoc_id);
    put16(out + 2, status);
}

/* ---- text -------------------------------------------------------------- */

void NCM_TextInit(NCM_Text *t, char *buf, size_t size)
{
    memset(t, 0, sizeof *t);
    t->buf = buf;
    t->size = size;
}

static void text_put(NCM_Text *t, const char *s, size_t n)
{
    if (t->len + n > t->size) {
        t->overflow = 1;
        n = t->size - t->len;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

void NCM_TextItem(NCM_Text *t, const char *fmt, ...)
{
    char item[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(item, sizeof item, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof item)
        n = sizeof item - 1;
    if (t->items++) {
        text_put(t, ",", 1);
        t->line++;
        if ((size_t)n + t->line + 1 >= MAX_LINE) {
            text_put(t, "\r\n", 2);
            t->line = 0;
        } else {
            text_put(t, " ", 1);
            t->line++;
        }
    }
    text_put(t, item, (size_t)n);
    t->line += (size_t)n;
}

void NCM_TextEnd(NCM_Text *t)
{
    text_put(t, "\r\n", 2);
}

/* ---- variables --------------------------------------------------------- */

static void put_ts(NCM_Text *t, const char *name, NTP_Timestamp ts)
{
    NCM_TextItem(t, "%s=0x%08x.%08x", name, (unsigned)(ts >> 32), (unsigned)(ts & 0xffffffffu));
}

/* ntpd: a refid is an address (dotted quad) at strata 2..15; at strata 0
   and 1 (reference clocks, kiss codes) and 16 (INIT, ...) it is up to four
   ASCII characters, unprintable ones, blanks and commas shown as '.'. */
static void put_refid(NCM_Text *t, int stratum, uint32_t refid)
{
    char text[5];
    size_t n = 0;

    if (stratum > 1 && stratum < NTP_STRATUM_UNSYNC) {
        NCM_TextItem(t, "refid=%u.%u.%u.%u", refid >> 24, refid >> 16 & 0xff, refid >> 8 & 0xff,
                     refid & 0xff);
        return;
    }
    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned c = refid >> shift & 0xff;

        if (!c)
            break;
        text[n++] = c > 0x20 && c < 0x7f && c != ',' ? (char)c : '.';
    }
    text[n] = '\0';
    NCM_TextItem(t, "refid=%s", text);
}

/* A variable: its name, whether the default READVAR set includes it, and
   how it is written (`ctx` is an NCM_System or a PEER_Report). */
typedef struct {
    const char *name;
    int dflt;
    void (*put)(NCM_Text *t, const char *name, const void *ctx);
} Var;

#define SYS(ctx) ((const NCM_System *)(ctx))

static void s_version(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=\"%s\"", n, SYS(c)->version); }
static void s_processor(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=\"%s\"", n, SYS(c)->processor); }
static void s_system(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=\"%s\"", n, SYS(c)->system); }
static void s_leap(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%d", n, SYS(c)->leap); }
static void s_stratum(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%d", n, SYS(c)->stratum); }
static void s_precision(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%d", n, SYS(c)->precision); }
static void s_rootdelay(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%.3f", n, SYS(c)->root_delay * MS); }
static void s_rootdisp(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%.3f", n, SYS(c)->root_dispersion * MS); }
static void s_refid(NCM_Text *t, const char *n, const void *c) { (void)n; put_refid(t, SYS(c)->stratum, SYS(c)->refid); }
static void s_reftime(NCM_Text *t, const char *n, const void *c) { put_ts(t, n, SYS(c)->reftime); }
static void s_clock(NCM_Text *t, const char *n, const void *c) { put_ts(t, n, SYS(c)->clock); }
static void s_peer(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%u", n, (unsigned)SYS(c)->peer); }
static void s_tc(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%d", n, SYS(c)->poll); }
static void s_offset(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%.6f", n, SYS(c)->offset * MS); }
static void s_frequency(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%.6f", n, SYS(c)->frequency); }
static void s_jitter(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%.6f", n, SYS(c)->jitter * MS); }

/* ntpd's names and order (ntp_control.c sys_var[]); offset, sys_jitter in
   ms, frequency in ppm. */
static const Var sys_vars[] = {
    { "version", 1, s_version },
    { "processor", 1, s_processor },
    { "system", 1, s_system },
    { "leap", 1, s_leap },
    { "stratum", 1, s_stratum },
    { "precision", 1, s_precision },
    { "rootdelay", 1, s_rootdelay },
    { "rootdisp", 1, s_rootdisp },
    { "refid", 1, s_refid },
    { "reftime", 1, s_reftime },
    { "clock", 1, s_clock },
    { "peer", 1, s_peer },
    { "tc", 1, s_tc },
    { "offset", 1, s_offset },
    { "frequency", 1, s_frequency },
    { "sys_jitter", 1, s_jitter },
};

#define PR(ctx) ((const PEER_Report *)(ctx))

static void put_addr(NCM_Text *t, const char *name, const NTP_Addr *a)
{
    char text[ADDR_STRLEN];

    NCM_TextItem(t, "%s=%s", name, a->len ? ADDR_HostString(a, text, sizeof text) : "0.0.0.0");
}

/* The host as configured, when it is a name rather than the address. */
static int has_name(const PEER_Report *r)
{
    NTP_Addr a;

    return r->host[0] && ADDR_Parse(r->host, 0, &a) < 0;
}

/* The mode of the peer's packets, where the association type fixes it:
   a server answers a client, a broadcaster broadcasts. */
static int peer_mode(const PEER_Report *r)
{
    if (!r->received)
        return -1;
    if (r->mode == NTP_MODE_CLIENT)
        return NTP_MODE_SERVER;
    if (r->mode == PEER_MODE_BCLIENT)
        return NTP_MODE_BROADCAST;
    return -1;
}

static void p_srcadr(NCM_Text *t, const char *n, const void *c) { put_addr(t, n, &PR(c)->addr); }
static void p_srcport(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%u", n, PR(c)->addr.len ? ADDR_Port(&PR(c)->addr) : 0u); }
static void p_srchost(NCM_Text *t, const char *n, const void *c)
{
    if (has_name(PR(c)))
        NCM_TextItem(t, "%s=\"%.200s\"", n, PR(c)->host);
}
static void p_dstadr(NCM_Text *t, const char *n, const void *c) { put_addr(t, n, &PR(c)->local); }
static void p_dstport(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%u", n, PR(c)->local.len ? ADDR_Port(&PR(c)->local) : 0u); }
static void p_leap(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%d", n, PR(c)->leap); }
static void p_stratum(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%d", n, PR(c)->stratum); }
static void p_precision(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%d", n, PR(c)->precision); }
static void p_rootdelay(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%.3f", n, PR(c)->root_delay * MS); }
static void p_rootdisp(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%.3f", n, PR(c)->root_dispersion * MS); }
static void p_refid(NCM_Text *t, const char *n, const void *c) { (void)n; put_refid(t, PR(c)->stratum, PR(c)->refid); }
static void p_reftime(NCM_Text *t, const char *n, const void *c) { put_ts(t, n, PR(c)->reference_time); }
static void p_org(NCM_Text *t, const char *n, const void *c) { put_ts(t, n, PR(c)->org); }
static void p_rec(NCM_Text *t, const char *n, const void *c) { put_ts(t, n, PR(c)->rec); }
static void p_xmt(NCM_Text *t, const char *n, const void *c) { put_ts(t, n, PR(c)->xmt); }
/* ntpd sends reach in hex; ntpq shows it in octal. */
static void p_reach(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=0x%x", n, PR(c)->reach); }
static void p_unreach(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%u", n, PR(c)->unreach); }
static void p_hmode(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%d", n, PR(c)->mode); }
static void p_pmode(NCM_Text *t, const char *n, const void *c)
{
    int m = peer_mode(PR(c));

    if (m >= 0)
        NCM_TextItem(t, "%s=%d", n, m);
}
static void p_hpoll(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%d", n, PR(c)->hpoll); }
static void p_ppoll(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%d", n, PR(c)->ppoll); }
static void p_keyid(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%u", n, (unsigned)PR(c)->key); }
static void p_offset(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%.6f", n, PR(c)->offset * MS); }
static void p_delay(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%.6f", n, PR(c)->delay * MS); }
static void p_dispersion(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%.6f", n, PR(c)->dispersion * MS); }
static void p_jitter(NCM_Text *t, const char *n, const void *c) { NCM_TextItem(t, "%s=%.6f", n, PR(c)->jitter * MS); }

/* The 8 filter stages, newest first, " %.2f" ms each as ntpd; a stage
   without a sample reads as ntpd's empty stage (0, 0, 16 s dispersion). */
enum { F_DELAY, F_OFFSET, F_DISP };
static void put_filter(NCM_Text *t, const char *name, const PEER_Report *r, int what)
{
    char text[FLT_STAGES * 12 + 1];
    size_t len = 0;

    for (int age = 0; age < FLT_STAGES; age++) {
        const FLT_Stage *s = FLT_GetStage(&r->filter, age);
        double v = what == F_DELAY ? (s ? s->delay : 0.0)
                 : what == F_OFFSET ? (s ? s->offset : 0.0)
                 : (s ? s->dispersion : FLT_MAXDISP);
        int n = snprintf(text + len, sizeof text - len, " %.2f", v * MS);

        if (n < 0 || (size_t)n >= sizeof text - len)
            break;
        len += (size_t)n;
    }
    text[len] = '\0';
    NCM_TextItem(t, "%s=%s", name, text);
}
static void p_filtdelay(NCM_Text *t, const char *n, const void *c) { put_filter(t, n, PR(c), F_DELAY); }
static void p_filtoffset(NCM_Text *t, const char *n, const void *c) { put_filter(t, n, PR(c), F_OFFSET); }
static void p_filtdisp(NCM_Text *t, const char *n, const void *c) { put_filter(t, n, PR(c), F_DISP); }

/* ntpd's names and order (peer_var[]); org and xmt only on request, as
   ntpd's default list leaves them out. */
static const Var peer_vars[] = {
    { "srcadr", 1, p_srcadr },
    { "srcport", 1, p_srcport },
    { "srchost", 1, p_srchost },
    { "dstadr", 1, p_dstadr },
    { "dstport", 1, p_dstport },
    { "leap", 1, p_leap },
    { "stratum", 1, p_stratum },
    { "precision", 1, p_precision },
    { "rootdelay", 1, p_rootdelay },
    { "rootdisp", 1, p_rootdisp },
    { "refid", 1, p_refid },
    { "reftime", 1, p_reftime },
    { "org", 0, p_org },
    { "rec", 1, p_rec },
    { "xmt", 0, p_xmt },
    { "reach", 1, p_reach },
    { "unreach", 1, p_unreach },
    { "hmode", 1, p_hmode },
    { "pmode", 1, p_pmode },
    { "hpoll", 1, p_hpoll },
    { "ppoll", 1, p_ppoll },
    { "keyid", 1, p_keyid },
    { "offset", 1, p_offset },
    { "delay", 1, p_delay },
    { "dispersion", 1, p_dispersion },
    { "jitter", 1, p_jitter },
    { "filtdelay", 1, p_filtdelay },
    { "filtoffset", 1, p_filtoffset },
    { "filtdisp", 1, p_filtdisp },
};

#define MAX_VARS 64

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Mark in `want` the variables `list` names; returns how many items it
   had, or -1 with *error. */
static int parse_list(const Var *vars, size_t n_vars, const uint8_t *list, size_t count,
                      int want[MAX_VARS], int *error)
{
    size_t i = 0;
    int items = 0;

    while (i < count && list[i]) {
        size_t start, end, next;

        /* One item: up to the next comma (or the end). */
        for (next = i; next < count && list[next] && list[next] != ','; next++)
            ;
        start = i;
        while (start < next && is_space(list[start]))
            start++;
        for (end = start; end < next && list[end] != '='; end++)
            ;
        while (end > start && is_space(list[end - 1]))
            end--;
        i = next < count && list[next] == ',' ? next + 1 : next;
        if (end == start)
            continue;
        for (size_t k = start; k < end; k++) {
            if (list[k] <= 0x20 || list[k] >= 0x7f) {
                *error = NCM_ERR_BADFMT;
                return -1;
            }
        }
        size_t len = end - start, v;

        for (v = 0; v < n_vars; v++)
            if (len < MAX_NAME && strlen(vars[v].name) == len &&
                memcmp(vars[v].name, list + start, len) == 0)
                break;
        if (v == n_vars) {
            *error = NCM_ERR_UNKNOWNVAR;
            return -1;
        }
        want[v] = 1;
        items++;
    }
    return items;
}

static int put_vars(const Var *vars, size_t n_vars, const void *ctx, const uint8_t *list,
                    size_t count, NCM_Text *t, int *error)
{
    int want[MAX_VARS] = { 0 };
    int items = parse_list(vars, n_vars, list, count, want, error);

    if (items < 0)
        return -1;
    for (size_t v = 0; v < n_vars; v++)
        if (items ? want[v] : vars[v].dflt)
            vars[v].put(t, vars[v].name, ctx);
    NCM_TextEnd(t);
    return 0;
}

int NCM_SystemVars(const NCM_System *s, const uint8_t *list, size_t count, NCM_Text *t,
                   int *error)
{
    return put_vars(sys_vars, sizeof sys_vars / sizeof sys_vars[0], s, list, count, t, error);
}

int NCM_PeerVars(const PEER_Report *r, const uint8_t *list, size_t count, NCM_Text *t,
                 int *error)
{
    return put_vars(peer_vars, sizeof peer_vars / sizeof peer_vars[0], r, list, count, t, error);
}

/* ---- budget ------------------------------------------------------------ */

/* The address as 16 octets, IPv4 as v4-mapped (so both forms are one
   source); 0, or -1 for no address. */
static int addr_octets(const NTP_Addr *a, uint8_t out[16])
{
    switch (ADDR_Family(a)) {
    case AF_INET:
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a->u.in4.sin_addr, 4);
        return 0;
    case AF_INET6:
        memcpy(out, &a->u.in6.sin6_addr, 16);
        return 0;
    }
    return -1;
}

int NCM_IsLoopback(const NTP_Addr *a)
{
    static const uint8_t v6_loopback[16] = { [15] = 1 };
    static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };
    uint8_t o[16];

    if (addr_octets(a, o) < 0)
        return 0;
    return memcmp(o, v6_loopback, 16) == 0 || (memcmp(o, v4_mapped, 12) == 0 && o[12] == 127);
}

void NCM_BudgetInit(NCM_Budget *b, uint64_t key0, uint64_t key1, double src_rate,
                    double src_burst, double all_rate, double all_burst)
{
    memset(b, 0, sizeof *b);
    b->key[0] = key0;
    b->key[1] = key1;
    b->src_rate = src_rate;
    b->src_burst = src_burst;
    b->all_rate = all_rate;
    b->all_burst = all_burst;
    b->all.tokens = all_burst;
    b->all.last = 0.0;
}

/* A keyed mix of the address (not cryptographic: a collision only gives a
   source a fresh bucket, and the shared bucket still bounds the total). */
static size_t slot_of(const NCM_Budget *b, const uint8_t o[16])
{
    uint64_t w0, w1, h;

    memcpy(&w0, o, 8);
    memcpy(&w1, o + 8, 8);
    h = (w0 ^ b->key[0]) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    h = (h ^ w1 ^ b->key[1]) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)(h % NCM_BUDGET_SLOTS);
}

static double refill(NCM_Bucket *k, double rate, double burst, double now)
{
    if (now > k->last) {
        k->tokens += rate * (now - k->last);
        if (k->tokens > burst)
            k->tokens = burst;
    }
    /* Time running backwards refills nothing. */
    k->last = now > k->last ? now : k->last;
    return k->tokens;
}

int NCM_BudgetTake(NCM_Budget *b, const NTP_Addr *a, size_t octets, double now)
{
    uint8_t o[16];
    size_t i;

    if (addr_octets(a, o) < 0)
        return 0;
    i = slot_of(b, o);
    if (!b->slot[i].used || memcmp(b->slot[i].addr, o, 16) != 0) {
        memcpy(b->slot[i].addr, o, 16);
        b->slot[i].used = 1;
        b->slot[i].bucket.tokens = b->src_burst;
        b->slot[i].bucket.last = now;
    }
    if (refill(&b->slot[i].bucket, b->src_rate, b->src_burst, now) < (double)octets ||
        refill(&b->all, b->all_rate, b->all_burst, now) < (double)octets)
        return 0;
    b->slot[i].bucket.tokens -= (double)octets;
    b->all.tokens -= (double)octets;
    return 1;
}
