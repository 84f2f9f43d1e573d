/*
 * agentx_null — the cheapest AgentX subagent possible (RFC 2741, written
 * directly on the socket): a fixed table of COLS x ROWS 4-octet strings
 * under a subtree, answered from memory with one read() and one write()
 * per AgentX request, no library, no event loop. scripts/bench-snmp.sh
 * walks it through snmpd to show the best walk rate any AgentX subagent can
 * get from snmpd's master agent, whatever it does inside.
 *
 *   agentx_null -s SOCKET [-o OID] [-c COLS] [-r ROWS]
 *
 * Defaults: OID 1.3.6.1.4.1.8072.9999.9999.168 (NET-SNMP-MIB's playpen),
 * 30 columns, 8 rows. Objects are OID.1.COLUMN.ROW. Runs until the master
 * closes the connection or the process is signalled. Exit status: 0 the
 * master closed the session; 1 protocol or socket error; 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum {
    AX_OPEN = 1, AX_CLOSE = 2, AX_REGISTER = 3, AX_GET = 5, AX_GETNEXT = 6,
    AX_GETBULK = 7, AX_RESPONSE = 18,
    AX_NBO = 0x10,            /* NETWORK_BYTE_ORDER header flag */
    AX_MAX_OID = 128,
    T_OCTETS = 4, T_NOSUCHOBJECT = 128, T_ENDOFMIBVIEW = 130,
};

typedef struct {
    uint32_t sub[AX_MAX_OID];
    int len;
} Oid;

static Oid base;
static uint32_t cols = 30, rows = 8;
static uint32_t session_id;

static uint32_t get32(const uint8_t *p, int nbo)
{
    return nbo ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

/* Decode an OID at p (at most n bytes); returns bytes used or -1. */
static int get_oid(const uint8_t *p, size_t n, int nbo, Oid *o, int *include)
{
    if (n < 4)
        return -1;
    int nsub = p[0], prefix = p[1];
    size_t need = 4 + 4 * (size_t)nsub;
    if (n < need || nsub + 5 > AX_MAX_OID)
        return -1;
    if (include)
        *include = p[2];
    o->len = 0;
    if (prefix) {
        const uint32_t pre[4] = { 1, 3, 6, 1 };
        memcpy(o->sub, pre, sizeof pre);
        o->sub[4] = (uint32_t)prefix;
        o->len = 5;
    }
    for (int i = 0; i < nsub; i++)
        o->sub[o->len++] = get32(p + 4 + 4 * i, nbo);
    return (int)need;
}

static size_t put_oid(uint8_t *p, const Oid *o)
{
    int skip = 0;

    if (o->len >= 5 && o->sub[0] == 1 && o->sub[1] == 3 && o->sub[2] == 6 && o->sub[3] == 1 &&
        o->sub[4] > 0 && o->sub[4] < 256)
        skip = 5;
    p[0] = (uint8_t)(o->len - skip);
    p[1] = skip ? (uint8_t)o->sub[4] : 0;
    p[2] = p[3] = 0;
    for (int i = skip; i < o->len; i++)
        put32(p + 4 + 4 * (i - skip), o->sub[i]);
    return 4 + 4 * (size_t)(o->len - skip);
}

static int cmp_oid(const Oid *a, const Oid *b)
{
    for (int i = 0; i < a->len && i < b->len; i++)
        if (a->sub[i] != b->sub[i])
            return a->sub[i] < b->sub[i] ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

static void object(uint32_t k, Oid *o)
{
    *o = base;
    o->sub[o->len++] = 1;
    o->sub[o->len++] = 1 + k / rows;
    o->sub[o->len++] = 1 + k % rows;
}

/* First object > start (>= with include) and < end (end empty: no bound);
   -1 when none. Binary search over the objects in OID order. */
static long next_object(const Oid *start, int include, const Oid *end)
{
    uint32_t lo = 0, hi = cols * rows;
    Oid o;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        object(mid, &o);
        int c = cmp_oid(&o, start);
        if (c < 0 || (c == 0 && !include))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= cols * rows)
        return -1;
    object(lo, &o);
    if (end->len && cmp_oid(&o, end) >= 0)
        return -1;
    return lo;
}

static void header(uint8_t *h, int type, uint32_t sess, uint32_t trans, uint32_t packet,
                   size_t payload)
{
    h[0] = 1, h[1] = (uint8_t)type, h[2] = AX_NBO, h[3] = 0;
    put32(h + 4, sess), put32(h + 8, trans), put32(h + 12, packet);
    put32(h + 16, (uint32_t)payload);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

static uint8_t out[65536];

/* Answer one Get/GetNext PDU (payload p, n bytes). */
static int answer(int fd, int type, int nbo, const uint8_t *hdr, const uint8_t *p, size_t n)
{
    size_t len = 20 + 8;
    size_t off = 0;

    if (hdr[2] & 0x08) {      /* NON_DEFAULT_CONTEXT: skip the context */
        if (n < 4)
            return -1;
        off = 4 + ((get32(p, nbo) + 3) & ~3u);
    }
    memset(out + 20, 0, 8);
    while (off < n) {
        Oid start, end;
        int include, used;
        if ((used = get_oid(p + off, n - off, nbo, &start, &include)) < 0)
            return -1;
        off += (size_t)used;
        if ((used = get_oid(p + off, n - off, nbo, &end, NULL)) < 0)
            return -1;
        off += (size_t)used;
        if (len + 16 + 4 * AX_MAX_OID > sizeof out)
            return -1;
        long k = -1;
        if (type == AX_GETNEXT) {
            k = next_object(&start, include, &end);
        } else {
            k = next_object(&start, 1, &end);
            Oid o;
            if (k >= 0 && (object((uint32_t)k, &o), cmp_oid(&o, &start) != 0))
                k = -1;
        }
        uint8_t *vb = out + len;
        if (k < 0) {
            put16(vb, type == AX_GETNEXT ? T_ENDOFMIBVIEW : T_NOSUCHOBJECT);
            vb[2] = vb[3] = 0;
            len += 4 + put_oid(vb + 4, &start);
        } else {
            Oid o;
            object((uint32_t)k, &o);
            put16(vb, T_OCTETS);
            vb[2] = vb[3] = 0;
            len += 4 + put_oid(vb + 4, &o);
            put32(out + len, 4);
            put32(out + len + 4, (uint32_t)k);
            len += 8;
        }
    }
    header(out, AX_RESPONSE, get32(hdr + 4, nbo), get32(hdr + 8, nbo), get32(hdr + 12, nbo),
           len - 20);
    return write_all(fd, out, len);
}

/* Read one whole PDU into buf; returns its payload length, or -1. */
static long read_pdu(int fd, uint8_t *buf, size_t cap, size_t *have)
{
    for (;;) {
        if (*have >= 20) {
            size_t payload = get32(buf + 16, buf[2] & AX_NBO);
            if (payload > cap - 20)
                return -1;
            if (*have >= 20 + payload)
                return (long)payload;
        }
        ssize_t r = read(fd, buf + *have, cap - *have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        *have += (size_t)r;
    }
}

static uint8_t in[65536 + 20];

int main(int argc, char **argv)
{
    const char *path = NULL, *oidtext = "1.3.6.1.4.1.8072.9999.9999.168";
    int c;

    while ((c = getopt(argc, argv, "s:o:c:r:")) != -1) {
        switch (c) {
        case 's': path = optarg; break;
        case 'o': oidtext = optarg; break;
        case 'c': cols = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'r': rows = (uint32_t)strtoul(optarg, NULL, 10); break;
        default: path = NULL; optind = argc + 1; break;
        }
    }
    if (!path || optind != argc || cols == 0 || rows == 0 || cols > 100000 || rows > 100000) {
        fprintf(stderr, "usage: agentx_null -s SOCKET [-o OID] [-c COLS] [-r ROWS]\n");
        return 2;
    }
    for (const char *s = oidtext; *s && base.len < AX_MAX_OID - 8;) {
        base.sub[base.len++] = (uint32_t)strtoul(s, (char **)&s, 10);
        if (*s == '.')
            s++;
    }

    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (strlen(path) >= sizeof sa.sun_path || fd < 0)
        return 1;
    strcpy(sa.sun_path, path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("agentx_null: connect");
        return 1;
    }

    /* Open: timeout 0 (master default), null id, description. */
    static const char descr[] = "agentx_null";
    size_t dl = sizeof descr - 1, len = 20;
    out[len] = 0, memset(out + len + 1, 0, 3), len += 4;
    memset(out + len, 0, 4), len += 4;                      /* null OID */
    put32(out + len, (uint32_t)dl), len += 4;
    memcpy(out + len, descr, dl), len += (dl + 3) & ~(size_t)3;
    header(out, AX_OPEN, 0, 0, 1, len - 20);
    size_t have = 0;
    long pl;
    if (write_all(fd, out, len) < 0 || (pl = read_pdu(fd, in, sizeof in, &have)) < 0 ||
        in[1] != AX_RESPONSE) {
        fprintf(stderr, "agentx_null: open failed\n");
        return 1;
    }
    session_id = get32(in + 4, in[2] & AX_NBO);
    memmove(in, in + 20 + pl, have - 20 - (size_t)pl), have -= 20 + (size_t)pl;

    /* Register the subtree: timeout 0, priority 127, no range. */
    len = 20;
    out[len] = 0, out[len + 1] = 127, out[len + 2] = 0, out[len + 3] = 0, len += 4;
    len += put_oid(out + len, &base);
    header(out, AX_REGISTER, session_id, 0, 2, len - 20);
    if (write_all(fd, out, len) < 0 || (pl = read_pdu(fd, in, sizeof in, &have)) < 0 ||
        in[1] != AX_RESPONSE || get32(in + 20 + 4, in[2] & AX_NBO) >> 16 != 0) {
        fprintf(stderr, "agentx_null: register failed\n");
        return 1;
    }
    memmove(in, in + 20 + pl, have - 20 - (size_t)pl), have -= 20 + (size_t)pl;
    fprintf(stderr, "agentx_null: session %u, %u objects under %s\n", session_id,
            cols * rows, oidtext);

    for (;;) {
        if ((pl = read_pdu(fd, in, sizeof in, &have)) < 0)
            return have == 0 ? 0 : 1;
        int nbo = in[2] & AX_NBO;
        switch (in[1]) {
        case AX_GET:
        case AX_GETNEXT:
            if (answer(fd, in[1], nbo, in, in + 20, (size_t)pl) < 0) {
                fprintf(stderr, "agentx_null: bad request\n");
                return 1;
            }
            break;
        case AX_CLOSE:
            return 0;
        default:
            break;   /* responses to us, GetBulk (never sent by snmpd) ... */
        }
        memmove(in, in + 20 + pl, have - 20 - (size_t)pl), have -= 20 + (size_t)pl;
    }
}
