/* conf — see conf.h. */
#include "conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keys.h"
#include "mem.h"
#include "textfile.h"

/* A line of CNF_MAX_LINE characters holds at most this many tokens (each
   needs one character and one separator), so the token array cannot
   overflow and no "too many tokens" error is needed. */
#define MAX_TOKENS (CNF_MAX_LINE / 2 + 1)

typedef struct {
    const char *name;           /* file name for messages */
    int line;                   /* current line, 1-based */
    char *err;
    size_t errlen;
    CNF_Config *cfg;
    char buf[CNF_MAX_LINE + 1]; /* the current line, split in place */
    char *argv[MAX_TOKENS];
} Parser;

static int fail(Parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write "name:line: message" into the caller's buffer. snprintf truncates,
   so a short buffer gets a cut message, never an overrun. Returns -1 so
   handlers can `return fail(...)`. */
static int fail(Parser *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    TXT_VErrorAt(p->err, p->errlen, p->name, (unsigned)p->line, fmt, ap);
    va_end(ap);
    return -1;
}

/* Plain decimal only: strtol would also take leading blanks, a sign, and
   (with base 0) octal/hex, none of which ntp.conf means. Values are small,
   so checking against `max` after every digit also rules out overflow. */
static int parse_number(Parser *p, const char *what, const char *tok, long min, long max,
                        long *out)
{
    long v = 0;
    const char *s;

    for (s = tok; *s; s++) {
        if (*s < '0' || *s > '9')
            break;
        v = v * 10 + (*s - '0');
        if (v > max)
            break;
    }
    if (s == tok || *s || v < min)
        return fail(p, "bad %s '%s' (allowed %ld..%ld)", what, tok, min, max);
    *out = v;
    return 0;
}

/* Scalar directives given twice: the last one wins, as in ntpd. Warning
   about it would need a logger, and conf only returns errors. */
static void set_string(char **slot, const char *value)
{
    free(*slot);
    *slot = MEM_Strdup(value);
}

/* ------------------------------------------------------------------------
 * Host syntax. Only syntax: resolving names is the engine's job.
 */

static int is_ldh(char c)
{
    /* Not isalnum(): that follows the locale, and host names are ASCII. */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-';
}

/* RFC 1123 host name: dot-separated labels of letters, digits and hyphens,
   1..63 characters, not starting or ending with a hyphen, at most 253
   characters in all. One trailing dot (an absolute name) is allowed. */
static int valid_dns_name(const char *s)
{
    size_t len = strlen(s), label = 0, i;

    if (len > 0 && s[len - 1] == '.')
        len--;
    if (len == 0 || len > 253)
        return 0;
    for (i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
        } else {
            if (!is_ldh(s[i]) || (s[i] == '-' && label == 0) || ++label > 63)
                return 0;
        }
    }
    return label > 0 && s[len - 1] != '-';
}

/* Check a server address as written and return a copy for the config (an
   IPv6 address without its brackets, since resolvers do not take them), or
   NULL when it is not a valid address or name. */
static char *parse_host(const char *tok)
{
    unsigned char addr[sizeof(struct in6_addr)];
    size_t len = strlen(tok);

    if (tok[0] == '[') {
        char inner[INET6_ADDRSTRLEN + 1];

        if (len < 3 || tok[len - 1] != ']' || len - 2 >= sizeof(inner))
            return NULL;
        memcpy(inner, tok + 1, len - 2);
        inner[len - 2] = '\0';
        return inet_pton(AF_INET6, inner, addr) == 1 ? MEM_Strdup(inner) : NULL;
    }
    if (strchr(tok, ':'))
        return inet_pton(AF_INET6, tok, addr) == 1 ? MEM_Strdup(tok) : NULL;
    /* Digits and dots only: meant as an IPv4 address, so "1.2.3" or
       "300.1.2.3" is a typo, not a host name to hand to the resolver (which
       might even accept the classic inet_aton short forms). */
    if (strspn(tok, "0123456789.") == len)
        return inet_pton(AF_INET, tok, addr) == 1 ? MEM_Strdup(tok) : NULL;
    return valid_dns_name(tok) ? MEM_Strdup(tok) : NULL;
}

/* ------------------------------------------------------------------------
 * Association options (`server HOST [option...]`), table-driven like the
 * directives so `peer`, `pool` etc. can share them later.
 */

typedef struct {
    const char *name;
    int has_value;
    long min, max;              /* range of the value, when it has one */
    void (*set)(CNF_Assoc *a, long value);
} AssocOption;

static void set_iburst(CNF_Assoc *a, long v)
{
    (void)v;
    a->iburst = 1;
}

static void set_burst(CNF_Assoc *a, long v)
{
    (void)v;
    a->burst = 1;
}

static void set_prefer(CNF_Assoc *a, long v)
{
    (void)v;
    a->prefer = 1;
}

static void set_aport(CNF_Assoc *a, long v)
{
    a->port = (uint16_t)v;
}

static void set_minpoll(CNF_Assoc *a, long v)
{
    a->minpoll = (int)v;
}

static void set_maxpoll(CNF_Assoc *a, long v)
{
    a->maxpoll = (int)v;
}

static void set_version(CNF_Assoc *a, long v)
{
    a->version = (int)v;
}

static void set_key(CNF_Assoc *a, long v)
{
    a->key = (uint32_t)v;
}

static void set_ttl(CNF_Assoc *a, long v)
{
    a->ttl = (int)v;
}

static void set_noselect(CNF_Assoc *a, long v)
{
    (void)v;
    a->noselect = 1;
}

static void set_mode(CNF_Assoc *a, long v)
{
    a->refclock.mode = (unsigned)v;
}

static const AssocOption assoc_options[] = {
    { "iburst", 0, 0, 0, set_iburst },
    { "burst", 0, 0, 0, set_burst },
    { "prefer", 0, 0, 0, set_prefer },
    { "port", 1, 1, 65535, set_aport },
    { "minpoll", 1, CNF_MIN_POLL, CNF_MAX_POLL, set_minpoll },
    { "maxpoll", 1, CNF_MIN_POLL, CNF_MAX_POLL, set_maxpoll },
    { "version", 1, 1, 4, set_version },
    { "key", 1, 1, 65535, set_key },
    { "ttl", 1, 1, 255, set_ttl },
    { "noselect", 0, 0, 0, set_noselect },
    { "mode", 1, 0, 127, set_mode },
};

static const AssocOption *find_assoc_option(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(assoc_options) / sizeof(assoc_options[0]); i++)
        if (strcmp(assoc_options[i].name, name) == 0)
            return &assoc_options[i];
    return NULL;
}

/* Settle minpoll/maxpoll after the options are read (0: not given). */
static int settle_polls(Parser *p, CNF_Assoc *a, int default_min, int default_max)
{
    /* Only one bound given and it crosses the other's default: move the
       default, so the value the operator wrote is the one that holds (as
       chrony does; ntpd instead clamps minpoll down to maxpoll, silently
       ignoring a written `minpoll 12`). Both given and crossed: an error,
       since there is no way to tell which one was meant. */
    if (a->minpoll && a->maxpoll) {
        if (a->minpoll > a->maxpoll)
            return fail(p, "minpoll %d greater than maxpoll %d", a->minpoll, a->maxpoll);
    } else if (a->minpoll) {
        a->maxpoll = a->minpoll > default_max ? a->minpoll : default_max;
    } else if (a->maxpoll) {
        a->minpoll = a->maxpoll < default_min ? a->maxpoll : default_min;
    } else {
        a->minpoll = default_min;
        a->maxpoll = default_max;
    }
    return 0;
}

/* Read the options after the host into `a`, then settle minpoll/maxpoll. */
static int parse_assoc_options(Parser *p, int argc, char **argv, CNF_Assoc *a)
{
    int i;
    int refclock = a->refclock.type != 0;

    /* minpoll/maxpoll are 0 ("not given") until the options are read. */
    for (i = 2; i < argc; i++) {
        const AssocOption *o = find_assoc_option(argv[i]);
        long v = 0;

        if (!o)
            return fail(p, "unknown %s option '%s'", argv[0], argv[i]);
        /* ttl means something only for a broadcast association. */
        if (o->set == set_ttl && a->type != CNF_ASSOC_BROADCAST)
            return fail(p, "option 'ttl' is only valid on broadcast lines");
        if (o->set == set_mode && !refclock)
            return fail(p, "option 'mode' is only valid for a reference clock (127.127.T.U)");
        /* No packets go to a reference clock: the options about packets
           would silently do nothing. */
        if (refclock && (o->set == set_aport || o->set == set_version || o->set == set_key ||
                         o->set == set_burst))
            return fail(p, "option '%s' does not apply to a reference clock", o->name);
        if (o->has_value) {
            if (i + 1 >= argc)
                return fail(p, "missing value for '%s'", o->name);
            if (parse_number(p, o->name, argv[++i], o->min, o->max, &v) < 0)
                return -1;
        }
        o->set(a, v);
    }
    if (refclock)
        return settle_polls(p, a, RCL_DEFAULT_POLL, RCL_DEFAULT_POLL);
    return settle_polls(p, a, CNF_DEFAULT_MINPOLL, CNF_DEFAULT_MAXPOLL);
}

/* ------------------------------------------------------------------------
 * Reference clocks: `server 127.127.T.U` + `fudge 127.127.T.U ...` (ntpd),
 * `refclock NAME unit U ...` (ntpsec), `master [N]` (Cisco).
 */

/* The drivers cntpd has, by config name and ntpd type number. */
static const struct {
    const char *name;
    int type;
} refclock_types[] = {
    { "local", RCL_TYPE_LOCAL },
    { "nmea", RCL_TYPE_NMEA },
    { "pps", RCL_TYPE_PPS },
    { "shm", RCL_TYPE_SHM },
};

static const char *refclock_type_name(int type)
{
    for (size_t i = 0; i < sizeof refclock_types / sizeof refclock_types[0]; i++)
        if (refclock_types[i].type == type)
            return refclock_types[i].name;
    return NULL;
}

/* "127.127.T.U" with decimal T and U: 1 and type/unit, 0 if the text is
   not in 127.127.0.0/16 at all, -1 (message written) if it is but T.U is
   not a driver cntpd has. */
static int parse_refclock_address(Parser *p, const char *text, int *type, int *unit)
{
    struct in_addr a4;

    if (inet_pton(AF_INET, text, &a4) != 1 || !RCL_IsRefclockAddress(ntohl(a4.s_addr), type, unit))
        return 0;
    if (!refclock_type_name(*type))
        return fail(p, "reference clock type %d in %s is not supported (LOCAL 1, NMEA 20, PPS "
                    "22, SHM 28)", *type, text);
    return 1;
}

static CNF_Assoc *find_refclock(CNF_Config *cfg, int type, int unit)
{
    for (size_t i = 0; i < cfg->n_assocs; i++)
        if (cfg->assocs[i].refclock.type == type && cfg->assocs[i].refclock.unit == unit)
            return &cfg->assocs[i];
    return NULL;
}

static void init_refclock(CNF_Assoc *a, int type, int unit, int line)
{
    memset(a, 0, sizeof *a);
    a->type = CNF_ASSOC_SERVER;
    a->refclock.type = type;
    a->refclock.unit = unit;
    a->refclock.stratum = -1;
    a->refclock.baud = type == RCL_TYPE_NMEA ? CNF_DEFAULT_NMEA_BAUD : 0;
    a->version = CNF_DEFAULT_VERSION;
    a->line = line;
    char host[32];
    snprintf(host, sizeof host, "127.127.%d.%d", type, unit);
    a->host = MEM_Strdup(host);
}

static void add_assoc_entry(CNF_Config *cfg, const CNF_Assoc *a)
{
    /* One realloc per association: configs hold a handful, and the struct
       has no capacity field to keep in step. */
    cfg->assocs = MEM_Realloc(cfg->assocs, (cfg->n_assocs + 1) * sizeof(*cfg->assocs));
    cfg->assocs[cfg->n_assocs++] = *a;
}

static int parse_signed_seconds(Parser *p, const char *what, const char *tok, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(tok, &end);
    /* ±1 day: a cable or receiver delay is microseconds to a second; more
       is a typo that would make the clock useless. */
    if (end == tok || *end || errno || !(v >= -86400.0 && v <= 86400.0))
        return fail(p, "bad %s '%s' (seconds, -86400..86400)", what, tok);
    *out = v;
    return 0;
}

/* One fudge-style setting `kw value` shared by `fudge` and `refclock`:
   1 consumed, 0 not a fudge keyword, -1 error. */
static int parse_fudge_option(Parser *p, RCL_Config *rc, const char *kw, const char *value)
{
    long v;

    if (strcmp(kw, "time1") == 0 || strcmp(kw, "time2") == 0) {
        if (!value)
            return fail(p, "missing value for '%s'", kw);
        return parse_signed_seconds(p, kw, value, kw[4] == '1' ? &rc->time1 : &rc->time2) < 0
                   ? -1 : 1;
    }
    if (strcmp(kw, "stratum") == 0) {
        if (!value)
            return fail(p, "missing value for '%s'", kw);
        if (parse_number(p, kw, value, 0, 15, &v) < 0)
            return -1;
        rc->stratum = (int)v;
        return 1;
    }
    if (strcmp(kw, "refid") == 0) {
        if (!value)
            return fail(p, "missing value for '%s'", kw);
        size_t n = strlen(value);
        if (n < 1 || n > 4)
            return fail(p, "bad refid '%s' (1 to 4 characters)", value);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)value[i] <= 0x20 || (unsigned char)value[i] >= 0x7f)
                return fail(p, "bad refid '%s' (printable ASCII only)", value);
        memcpy(rc->refid, value, n + 1);
        return 1;
    }
    if (strncmp(kw, "flag", 4) == 0 && kw[4] >= '1' && kw[4] <= '4' && !kw[5]) {
        if (!value)
            return fail(p, "missing value for '%s'", kw);
        if (parse_number(p, kw, value, 0, 1, &v) < 0)
            return -1;
        unsigned bit = 1u << (kw[4] - '1');
        rc->flags = v ? rc->flags | bit : rc->flags & ~bit;
        return 1;
    }
    return 0;
}

/* `server 127.127.T.U [options]`. */
static int parse_refclock_server(Parser *p, int argc, char **argv, int type, int unit)
{
    CNF_Assoc a;

    if (find_refclock(p->cfg, type, unit))
        return fail(p, "reference clock %s configured twice", argv[1]);
    init_refclock(&a, type, unit, p->line);
    if (parse_assoc_options(p, argc, argv, &a) < 0) {
        free(a.host);
        return -1;
    }
    /* ntpd's NMEA driver takes its serial speed from mode bits 4-6. */
    if (type == RCL_TYPE_NMEA) {
        static const int speeds[] = { 4800, 9600, 19200, 38400, 57600, 115200 };
        unsigned sel = (a.refclock.mode >> 4) & 7;
        if (sel >= sizeof speeds / sizeof speeds[0]) {
            free(a.host);
            return fail(p, "bad NMEA speed bits in mode %u", a.refclock.mode);
        }
        a.refclock.baud = speeds[sel];
        a.refclock.mode &= 0x0f;
    } else if (type == RCL_TYPE_SHM && a.refclock.mode > 1) {
        /* ntpd's SHM mode: bit 0 makes a unit 2+ segment private. */
        free(a.host);
        return fail(p, "bad SHM mode %u (0, or 1 for a private segment)", a.refclock.mode);
    } else if (a.refclock.mode && type != RCL_TYPE_SHM) {
        free(a.host);
        return fail(p, "option 'mode' is only valid for the NMEA and SHM drivers");
    }
    add_assoc_entry(p->cfg, &a);
    return 0;
}

/* `fudge 127.127.T.U [time1 S] [time2 S] [stratum N] [refid ID] [flagN 0|1]`. */
static int parse_fudge(Parser *p, int argc, char **argv)
{
    int type, unit, r;

    r = parse_refclock_address(p, argv[1], &type, &unit);
    if (r < 0)
        return -1;
    if (r == 0)
        return fail(p, "fudge needs a reference clock address 127.127.T.U, not '%s'", argv[1]);
    CNF_Assoc *a = find_refclock(p->cfg, type, unit);
    if (!a)
        return fail(p, "fudge for %s before its server line", argv[1]);
    for (int i = 2; i < argc; i += 2) {
        r = parse_fudge_option(p, &a->refclock, argv[i], i + 1 < argc ? argv[i + 1] : NULL);
        if (r < 0)
            return -1;
        if (r == 0)
            return fail(p, "unknown fudge option '%s'", argv[i]);
    }
    return 0;
}

/* `refclock NAME [unit U] [path DEV] [baud N] [mode N] [lock 127.127.T.U]
   [precision N] [time1 S] [time2 S] [stratum N] [refid ID] [flagN 0|1]
   [prefer] [noselect] [minpoll N] [maxpoll N]` (ntpsec's syntax). */
static int parse_refclock(Parser *p, int argc, char **argv)
{
    int type = 0;
    long v;

    for (size_t i = 0; i < sizeof refclock_types / sizeof refclock_types[0]; i++)
        if (strcasecmp(refclock_types[i].name, argv[1]) == 0)
            type = refclock_types[i].type;
    if (!type)
        return fail(p, "unknown reference clock '%s' (local, nmea, pps, shm)", argv[1]);

    /* The unit first: it names the clock in later messages. */
    int unit = 0;
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], "unit") == 0) {
            if (parse_number(p, "unit", argv[i + 1], 0, RCL_MAX_UNIT, &v) < 0)
                return -1;
            unit = (int)v;
        }
    }
    if (find_refclock(p->cfg, type, unit))
        return fail(p, "reference clock %s unit %d (127.127.%d.%d) configured twice", argv[1],
                    unit, type, unit);

    CNF_Assoc a;
    init_refclock(&a, type, unit, p->line);
    RCL_Config *rc = &a.refclock;
    for (int i = 2; i < argc; i++) {
        const char *kw = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        int r = parse_fudge_option(p, rc, kw, value);
        if (r < 0)
            goto error;
        if (r > 0) {
            i++;
            continue;
        }
        if (strcmp(kw, "prefer") == 0) {
            a.prefer = 1;
            continue;
        }
        if (strcmp(kw, "noselect") == 0) {
            a.noselect = 1;
            continue;
        }
        if (!value) {
            fail(p, strcmp(kw, "unit") && strcmp(kw, "path") && strcmp(kw, "baud") &&
                    strcmp(kw, "mode") && strcmp(kw, "lock") && strcmp(kw, "precision") &&
                    strcmp(kw, "minpoll") && strcmp(kw, "maxpoll")
                    ? "unknown refclock option '%s'" : "missing value for '%s'", kw);
            goto error;
        }
        i++;
        if (strcmp(kw, "unit") == 0) {
            continue;   /* read above */
        } else if (strcmp(kw, "path") == 0) {
            if (value[0] != '/' || strlen(value) >= sizeof rc->path) {
                fail(p, "bad path '%s' (an absolute path of at most %zu characters)", value,
                     sizeof rc->path - 1);
                goto error;
            }
            snprintf(rc->path, sizeof rc->path, "%s", value);
        } else if (strcmp(kw, "baud") == 0) {
            static const long speeds[] = { 1200, 2400, 4800, 9600, 19200, 38400, 57600,
                                           115200, 230400 };
            int ok = 0;
            if (parse_number(p, "baud", value, 1, 230400, &v) < 0)
                goto error;
            for (size_t k = 0; k < sizeof speeds / sizeof speeds[0]; k++)
                ok |= speeds[k] == v;
            if (!ok) {
                fail(p, "bad baud '%s' (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 "
                     "or 230400)", value);
                goto error;
            }
            rc->baud = (int)v;
        } else if (strcmp(kw, "mode") == 0) {
            if (parse_number(p, "mode", value, 0, 15, &v) < 0)
                goto error;
            rc->mode = (unsigned)v;
        } else if (strcmp(kw, "precision") == 0) {
            /* log2 s, negative: "-20" is about a microsecond. */
            if (value[0] != '-' || parse_number(p, "precision", value + 1, 1, 30, &v) < 0) {
                if (value[0] != '-')
                    fail(p, "bad precision '%s' (log2 s, -30..-1)", value);
                goto error;
            }
            rc->precision = -(int)v;
        } else if (strcmp(kw, "lock") == 0) {
            int lt, lu;
            int r2 = parse_refclock_address(p, value, &lt, &lu);
            if (r2 < 0)
                goto error;
            if (r2 == 0) {
                fail(p, "lock needs a reference clock address 127.127.T.U, not '%s'", value);
                goto error;
            }
            rc->lock_type = lt;
            rc->lock_unit = lu;
        } else if (strcmp(kw, "minpoll") == 0 || strcmp(kw, "maxpoll") == 0) {
            if (parse_number(p, kw, value, CNF_MIN_POLL, CNF_MAX_POLL, &v) < 0)
                goto error;
            *(kw[1] == 'i' ? &a.minpoll : &a.maxpoll) = (int)v;
        } else {
            fail(p, "unknown refclock option '%s'", kw);
            goto error;
        }
    }
    if (type == RCL_TYPE_SHM && rc->mode > 1) {
        fail(p, "bad SHM mode %u (0, or 1 for a private segment)", rc->mode);
        goto error;
    }
    if (rc->mode && type != RCL_TYPE_NMEA && type != RCL_TYPE_SHM) {
        fail(p, "option 'mode' is only valid for the NMEA and SHM drivers");
        goto error;
    }
    if (rc->lock_type && type != RCL_TYPE_PPS) {
        fail(p, "option 'lock' is only valid for the PPS driver");
        goto error;
    }
    if (settle_polls(p, &a, RCL_DEFAULT_POLL, RCL_DEFAULT_POLL) < 0)
        goto error;
    add_assoc_entry(p->cfg, &a);
    return 0;

error:
    free(a.host);
    return -1;
}

/* `master [N]`: serve the local clock at stratum N (default 8) when
   nothing better is reachable — Cisco's `ntp master`, ntpd's `server
   127.127.1.0` + `fudge 127.127.1.0 stratum N-1`. */
static int parse_master(Parser *p, int argc, char **argv)
{
    long v = CNF_DEFAULT_MASTER_STRATUM;
    CNF_Assoc a;

    if (argc > 1 && parse_number(p, "stratum", argv[1], 1, 15, &v) < 0)
        return -1;
    if (find_refclock(p->cfg, RCL_TYPE_LOCAL, 0))
        return fail(p, "the local clock (127.127.1.0) is configured twice");
    init_refclock(&a, RCL_TYPE_LOCAL, 0, p->line);
    /* The clock's own stratum; what cntpd serves is one more. */
    a.refclock.stratum = (int)v - 1;
    a.minpoll = a.maxpoll = RCL_DEFAULT_POLL;
    add_assoc_entry(p->cfg, &a);
    return 0;
}

/* A PPS lock must name a reference clock that is configured (anywhere in
   the file). */
static int check_refclock_locks(Parser *p)
{
    CNF_Config *cfg = p->cfg;

    for (size_t i = 0; i < cfg->n_assocs; i++) {
        const RCL_Config *rc = &cfg->assocs[i].refclock;
        if (!rc->lock_type)
            continue;
        const CNF_Assoc *lock = find_refclock(cfg, rc->lock_type, rc->lock_unit);
        if (!lock || lock == &cfg->assocs[i]) {
            p->line = cfg->assocs[i].line;
            return fail(p, "lock 127.127.%d.%d: no such reference clock configured",
                        rc->lock_type, rc->lock_unit);
        }
    }
    return 0;
}

static int parse_assoc(Parser *p, CNF_AssocType type, int argc, char **argv)
{
    CNF_Config *cfg = p->cfg;
    CNF_Assoc a;

    memset(&a, 0, sizeof(a));
    a.type = type;
    a.port = CNF_DEFAULT_PORT;
    a.version = CNF_DEFAULT_VERSION;
    a.ttl = 1;
    a.line = p->line;

    /* `server iburst` would otherwise pass as a host named "iburst". */
    if (find_assoc_option(argv[1]))
        return fail(p, "missing address before '%s'", argv[1]);
    int rtype, runit, r = parse_refclock_address(p, argv[1], &rtype, &runit);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (type != CNF_ASSOC_SERVER)
            return fail(p, "a reference clock (%s) is configured with 'server', not '%s'",
                        argv[1], argv[0]);
        return parse_refclock_server(p, argc, argv, rtype, runit);
    }
    /* The host first, so errors come out in the order they are written. */
    a.host = parse_host(argv[1]);
    if (!a.host)
        return fail(p, "bad address '%s'", argv[1]);
    if (parse_assoc_options(p, argc, argv, &a) < 0) {
        free(a.host);
        return -1;
    }

    add_assoc_entry(cfg, &a);
    return 0;
}

/* ------------------------------------------------------------------------
 * Directives.
 */

static int parse_server(Parser *p, int argc, char **argv)
{
    return parse_assoc(p, CNF_ASSOC_SERVER, argc, argv);
}

static int parse_peer(Parser *p, int argc, char **argv)
{
    return parse_assoc(p, CNF_ASSOC_PEER, argc, argv);
}

/* `broadcast ADDRESS`: a numeric broadcast or multicast address (ntpd
   takes no names here). */
static int parse_broadcast(Parser *p, int argc, char **argv)
{
    struct in6_addr a6;
    struct in_addr a4;
    const char *host = argv[1];
    char buf[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);

    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        host = buf;
    }
    if (inet_pton(AF_INET, host, &a4) != 1 && inet_pton(AF_INET6, host, &a6) != 1)
        return fail(p, "bad broadcast address '%s' (a numeric address is required)", argv[1]);
    return parse_assoc(p, CNF_ASSOC_BROADCAST, argc, argv);
}

static int parse_broadcastclient(Parser *p, int argc, char **argv)
{
    (void)argc, (void)argv;
    p->cfg->broadcastclient = 1;
    return 0;
}

static int parse_port(Parser *p, int argc, char **argv)
{
    long v;

    (void)argc;
    if (parse_number(p, "port", argv[1], 1, 65535, &v) < 0)
        return -1;
    p->cfg->port = (uint16_t)v;
    return 0;
}

static int parse_driftfile(Parser *p, int argc, char **argv)
{
    (void)argc;
    set_string(&p->cfg->driftfile, argv[1]);
    return 0;
}

static int parse_logfile(Parser *p, int argc, char **argv)
{
    (void)argc;
    set_string(&p->cfg->logfile, argv[1]);
    return 0;
}

/* `agentx off` | `agentx socket PATH`. PATH goes to net-snmp as its master
   agent address; a tcp: one is checked here so a typo in the port fails at
   start-up rather than as a silent reconnect loop later. */
static int parse_agentx(Parser *p, int argc, char **argv)
{
    CNF_Config *cfg = p->cfg;

    if (strcmp(argv[1], "off") == 0 && argc == 2) {
        cfg->agentx_enabled = 0;
        return 0;
    }
    if (strcmp(argv[1], "socket") == 0 && argc == 3) {
        const char *addr = argv[2];

        if (strncmp(addr, "tcp:", 4) == 0) {
            const char *colon = strrchr(addr + 4, ':');
            long v;

            if (!colon || colon == addr + 4)
                return fail(p, "bad agentx socket '%s' (expected tcp:HOST:PORT)", addr);
            if (parse_number(p, "agentx port", colon + 1, 1, 65535, &v) < 0)
                return -1;
        }
        /* A later `agentx socket` after `agentx off` turns it back on:
           the last directive wins. */
        cfg->agentx_enabled = 1;
        set_string(&cfg->agentx_socket, addr);
        return 0;
    }
    if (strcmp(argv[1], "socket") == 0 && argc == 2)
        return fail(p, "missing argument to 'agentx socket'");
    return fail(p, "bad agentx arguments (expected 'off' or 'socket PATH')");
}

/* A non-negative decimal number with an optional fraction ("0.128",
   "900", "1e-3" is not ntp.conf syntax and is refused). */
static int parse_seconds(Parser *p, const char *what, const char *tok, double min, double max,
                         double *out)
{
    const char *s = tok;
    double v = 0, scale = 1;
    int digits = 0;

    for (; *s >= '0' && *s <= '9'; s++, digits++)
        v = v * 10 + (*s - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, digits++)
            v += (*s - '0') * (scale /= 10);
    if (!digits || *s || v < min || v > max)
        return fail(p, "bad %s '%s' (allowed %g..%g)", what, tok, min, max);
    *out = v;
    return 0;
}

/* `tinker KEY VALUE [KEY VALUE ...]`: the clock discipline's knobs. */
static int parse_tinker(Parser *p, int argc, char **argv)
{
    static const struct {
        const char *name;
        double min, max;
        size_t offset;
    } keys[] = {
        { "step", 0.0, 3600.0, offsetof(CNF_Config, tinker_step) },
        { "stepout", 1.0, 86400.0, offsetof(CNF_Config, tinker_stepout) },
        { "panic", 0.0, 1e6, offsetof(CNF_Config, tinker_panic) },
        { "dispersion", 0.0, 1000.0, offsetof(CNF_Config, tinker_dispersion) },
    };

    if (argc % 2 == 0)
        return fail(p, "tinker '%s' needs a value", argv[argc - 1]);
    for (int i = 1; i < argc; i += 2) {
        size_t k;
        for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (strcmp(argv[i], keys[k].name) == 0)
                break;
        if (k == sizeof keys / sizeof keys[0])
            return fail(p, "unknown tinker option '%s' (expected step, stepout, panic or "
                        "dispersion)", argv[i]);
        char what[32];
        snprintf(what, sizeof what, "tinker %s", keys[k].name);
        if (parse_seconds(p, what, argv[i + 1], keys[k].min, keys[k].max,
                          (double *)((char *)p->cfg + keys[k].offset)) < 0)
            return -1;
    }
    return 0;
}

/* `tos KEY VALUE [KEY VALUE ...]`: the mitigation's knobs. */
static int parse_tos(Parser *p, int argc, char **argv)
{
    CNF_Config *cfg = p->cfg;

    if (argc % 2 == 0)
        return fail(p, "tos '%s' needs a value", argv[argc - 1]);
    for (int i = 1; i < argc; i += 2) {
        long v;
        if (strcmp(argv[i], "maxdist") == 0) {
            if (parse_seconds(p, "tos maxdist", argv[i + 1], 0.001, 16.0, &cfg->tos_maxdist) < 0)
                return -1;
            continue;
        }
        if (strcmp(argv[i], "holdover") == 0) {
            if (parse_seconds(p, "tos holdover", argv[i + 1], 0.0, 604800.0,
                              &cfg->tos_holdover) < 0)
                return -1;
            continue;
        }
        if (strcmp(argv[i], "maxassoc") == 0) {
            if (parse_number(p, "tos maxassoc", argv[i + 1], 1, 4096, &v) < 0)
                return -1;
            cfg->tos_maxassoc = (int)v;
            continue;
        }
        int *slot = strcmp(argv[i], "minsane") == 0 ? &cfg->tos_minsane
                    : strcmp(argv[i], "minclock") == 0 ? &cfg->tos_minclock
                    : strcmp(argv[i], "maxclock") == 0 ? &cfg->tos_maxclock : NULL;
        if (!slot)
            return fail(p, "unknown tos option '%s' (expected minsane, minclock, maxclock, "
                        "maxdist, holdover or maxassoc)", argv[i]);
        char what[32];
        snprintf(what, sizeof what, "tos %s", argv[i]);
        if (parse_number(p, what, argv[i + 1], 1, 64, &v) < 0)
            return -1;
        *slot = (int)v;
    }
    if (cfg->tos_minclock && cfg->tos_maxclock && cfg->tos_minclock > cfg->tos_maxclock)
        return fail(p, "tos minclock %d greater than maxclock %d", cfg->tos_minclock,
                    cfg->tos_maxclock);
    return 0;
}

static void warn(Parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record "name:line: message" for main to log (conf itself never logs). */
static void warn(Parser *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    int n = snprintf(msg, sizeof msg, "%s:%d: ", p->name, p->line);

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof msg)
        vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    p->cfg->warnings = MEM_Realloc(p->cfg->warnings,
                                   (p->cfg->n_warnings + 1) * sizeof(*p->cfg->warnings));
    p->cfg->warnings[p->cfg->n_warnings++] = MEM_Strdup(msg);
}

static int parse_keys(Parser *p, int argc, char **argv)
{
    (void)argc;
    set_string(&p->cfg->keysfile, argv[1]);
    p->cfg->keysfile_line = p->line;
    return 0;
}

static int parse_trustedkey(Parser *p, int argc, char **argv)
{
    CNF_Config *cfg = p->cfg;
    /* Heap, not stack: the id space is 65535 entries (256 KiB). */
    uint32_t *ids = MEM_Calloc(KEY_MAX_ID, sizeof *ids);
    size_t n;
    char err[256];

    if (KEY_ParseIdList(argc - 1, argv + 1, ids, KEY_MAX_ID, &n, err, sizeof err) < 0) {
        free(ids);
        return fail(p, "%s", err);
    }
    /* Several trustedkey lines add up, as in ntpd. */
    cfg->trustedkeys = MEM_Realloc(cfg->trustedkeys,
                                   (cfg->n_trustedkeys + n) * sizeof(*cfg->trustedkeys));
    if (n)
        memcpy(cfg->trustedkeys + cfg->n_trustedkeys, ids, n * sizeof ids[0]);
    free(ids);
    cfg->n_trustedkeys += n;
    cfg->trustedkey_line = p->line;
    return 0;
}

/* `interface listen ADDRESS`: bind the NTP server sockets to this address
   only (ntpd's `interface` takes more forms; cntpd takes the one that
   keeps a server off other interfaces: with any listen address, only the
   listed ones are used). */
static int parse_interface(Parser *p, int argc, char **argv)
{
    CNF_Config *cfg = p->cfg;
    struct in_addr a4;
    struct in6_addr a6;

    (void)argc;
    if (strcmp(argv[1], "listen") != 0)
        return fail(p, "'interface %s' is not supported (only 'interface listen ADDRESS')",
                    argv[1]);
    if (inet_pton(AF_INET, argv[2], &a4) == 1) {
        if (cfg->listen4)
            return fail(p, "a second IPv4 listen address '%s' (one per family)", argv[2]);
        set_string(&cfg->listen4, argv[2]);
    } else if (inet_pton(AF_INET6, argv[2], &a6) == 1) {
        if (cfg->listen6)
            return fail(p, "a second IPv6 listen address '%s' (one per family)", argv[2]);
        set_string(&cfg->listen6, argv[2]);
    } else {
        return fail(p, "bad listen address '%s' (a numeric IPv4 or IPv6 address)", argv[2]);
    }
    return 0;
}

/* `requestkey N` / `controlkey N` authorise ntpdc/ntpq changes, which
   cntpd does not implement (remote control is SNMP here). */
static int parse_ignored_key(Parser *p, int argc, char **argv)
{
    long v;

    (void)argc;
    if (parse_number(p, argv[0], argv[1], 1, KEY_MAX_ID, &v) < 0)
        return -1;
    warn(p, "'%s' ignored: cntpd's mode 6 is read-only and it has no mode 7 (configure over "
         "SNMP)", argv[0]);
    return 0;
}

/* `trap holddown SECONDS` | `trap highpriority prefer|all|none|ASSOCID...`:
   cntpd's SNMP notifications (sent to snmpd's trap sinks). ntpd's `trap
   HOST [port N] [interface A]` names a mode-6 trap receiver, which cntpd
   does not have: accepted with a warning so an ntp.conf still loads. */
static int parse_trap(Parser *p, int argc, char **argv)
{
    CNF_Config *cfg = p->cfg;

    if (strcmp(argv[1], "holddown") == 0) {
        if (argc != 3)
            return fail(p, "'trap holddown' takes one value (seconds)");
        return parse_seconds(p, "trap holddown", argv[2], 0.0, 86400.0, &cfg->trap_holddown);
    }
    if (strcmp(argv[1], "highpriority") == 0) {
        if (argc < 3)
            return fail(p, "missing argument to 'trap highpriority' (expected prefer, all, "
                        "none or association ids)");
        free(cfg->trap_hp_ids);
        cfg->trap_hp_ids = NULL;
        cfg->n_trap_hp_ids = 0;
        if (argc == 3 && strcmp(argv[2], "prefer") == 0) {
            cfg->trap_highpriority = CNF_TRAP_HP_PREFER;
            return 0;
        }
        if (argc == 3 && strcmp(argv[2], "all") == 0) {
            cfg->trap_highpriority = CNF_TRAP_HP_ALL;
            return 0;
        }
        if (argc == 3 && strcmp(argv[2], "none") == 0) {
            cfg->trap_highpriority = CNF_TRAP_HP_NONE;
            return 0;
        }
        if (argc - 2 > CNF_MAX_TRAP_HIGHPRIORITY)
            return fail(p, "too many association ids in 'trap highpriority' (at most %d)",
                        CNF_MAX_TRAP_HIGHPRIORITY);
        cfg->trap_hp_ids = MEM_Malloc((size_t)(argc - 2) * sizeof(*cfg->trap_hp_ids));
        for (int i = 2; i < argc; i++) {
            long v;
            /* AssocIds are 1..65535 (NTPAssocIdentifier of the MIB). */
            if (parse_number(p, "trap highpriority association id", argv[i], 1, 65535, &v) < 0)
                return -1;
            cfg->trap_hp_ids[cfg->n_trap_hp_ids++] = (uint32_t)v;
        }
        cfg->trap_highpriority = CNF_TRAP_HP_LIST;
        return 0;
    }
    if (CNF_ValidHost(argv[1]) || argv[1][0] == '[') {
        warn(p, "'trap %s' ignored: cntpd has no mode 6 trap receivers (its notifications go "
             "to snmpd's trap sinks)", argv[1]);
        return 0;
    }
    return fail(p, "bad trap arguments (expected 'holddown SECONDS' or 'highpriority "
                "prefer|all|none|ASSOCID...')");
}

/* A signed decimal threshold (µs) in Integer32's range. */
static int parse_threshold(Parser *p, const char *what, const char *tok, int32_t *out)
{
    const char *digits = tok[0] == '-' ? tok + 1 : tok;
    long v;

    if (parse_number(p, what, digits, 0, digits != tok ? 2147483648L : 2147483647L, &v) < 0)
        return fail(p, "bad %s '%s' (allowed -2147483648..2147483647)", what, tok);
    *out = (int32_t)(digits != tok ? -v : v);   /* -2147483648 fits */
    return 0;
}

static const struct {
    const char *name;          /* peer objects: followed by ".ASSOCID" */
    CNF_AlarmObject object;
    int peer;
} alarm_objects[] = {
    { "sys.offset", CNF_ALARM_SYS_OFFSET, 0 },
    { "sys.rootdelay", CNF_ALARM_SYS_ROOTDELAY, 0 },
    { "sys.rootdisp", CNF_ALARM_SYS_ROOTDISP, 0 },
    { "sys.jitter", CNF_ALARM_SYS_JITTER, 0 },
    { "peer.offset", CNF_ALARM_PEER_OFFSET, 1 },
    { "peer.delay", CNF_ALARM_PEER_DELAY, 1 },
    { "peer.dispersion", CNF_ALARM_PEER_DISPERSION, 1 },
    { "peer.jitter", CNF_ALARM_PEER_JITTER, 1 },
    { "peer.rootdelay", CNF_ALARM_PEER_ROOTDELAY, 1 },
    { "peer.rootdisp", CNF_ALARM_PEER_ROOTDISP, 1 },
};

/* `alarm INDEX OBJECT [absolute|delta] interval S rising R falling F
   [startup rising|falling|both]` (keywords after OBJECT in any order). */
static int parse_alarm(Parser *p, int argc, char **argv)
{
    CNF_Config *cfg = p->cfg;
    CNF_Alarm a;
    long v;
    size_t k;
    int have_interval = 0, have_rising = 0, have_falling = 0, have_type = 0,
        have_startup = 0;

    memset(&a, 0, sizeof a);
    a.line = p->line;
    a.startup = CNF_ALARM_STARTUP_RISING;
    if (parse_number(p, "alarm index", argv[1], 1, 65535, &v) < 0)
        return -1;
    a.index = (uint32_t)v;
    for (size_t i = 0; i < cfg->n_alarms; i++)
        if (cfg->alarms[i].index == a.index)
            return fail(p, "alarm %u already defined on line %d", a.index, cfg->alarms[i].line);
    for (k = 0; k < sizeof alarm_objects / sizeof alarm_objects[0]; k++) {
        size_t n = strlen(alarm_objects[k].name);

        if (strncmp(argv[2], alarm_objects[k].name, n) != 0)
            continue;
        if (!alarm_objects[k].peer && argv[2][n] == '\0')
            break;
        if (alarm_objects[k].peer && argv[2][n] == '.') {
            if (parse_number(p, "alarm association id", argv[2] + n + 1, 1, 65535, &v) < 0)
                return -1;
            a.assoc_id = (uint32_t)v;
            break;
        }
    }
    if (k == sizeof alarm_objects / sizeof alarm_objects[0])
        return fail(p, "bad alarm object '%s' (expected sys.offset, sys.rootdelay, "
                    "sys.rootdisp, sys.jitter, or peer.offset, peer.delay, peer.dispersion, "
                    "peer.jitter, peer.rootdelay, peer.rootdisp followed by .ASSOCID)", argv[2]);
    a.object = alarm_objects[k].object;

    for (int i = 3; i < argc; i++) {
        const char *kw = argv[i];

        if (strcmp(kw, "absolute") == 0 || strcmp(kw, "delta") == 0) {
            if (have_type++)
                return fail(p, "alarm sample type given twice");
            a.delta = kw[0] == 'd';
            continue;
        }
        if (i + 1 >= argc)
            return fail(p, "missing value after '%s' in alarm", kw);
        if (strcmp(kw, "interval") == 0) {
            if (have_interval++)
                return fail(p, "alarm interval given twice");
            if (parse_number(p, "alarm interval", argv[++i], 1, 86400, &v) < 0)
                return -1;
            a.interval = (int)v;
        } else if (strcmp(kw, "rising") == 0) {
            if (have_rising++)
                return fail(p, "alarm rising threshold given twice");
            if (parse_threshold(p, "alarm rising threshold", argv[++i], &a.rising) < 0)
                return -1;
        } else if (strcmp(kw, "falling") == 0) {
            if (have_falling++)
                return fail(p, "alarm falling threshold given twice");
            if (parse_threshold(p, "alarm falling threshold", argv[++i], &a.falling) < 0)
                return -1;
        } else if (strcmp(kw, "startup") == 0) {
            const char *w = argv[++i];

            if (have_startup++)
                return fail(p, "alarm startup given twice");
            if (strcmp(w, "rising") == 0)
                a.startup = CNF_ALARM_STARTUP_RISING;
            else if (strcmp(w, "falling") == 0)
                a.startup = CNF_ALARM_STARTUP_FALLING;
            else if (strcmp(w, "both") == 0)
                a.startup = CNF_ALARM_STARTUP_BOTH;
            else
                return fail(p, "bad alarm startup '%s' (expected rising, falling or both)", w);
        } else {
            return fail(p, "unknown alarm keyword '%s' (expected absolute, delta, interval, "
                        "rising, falling or startup)", kw);
        }
    }
    if (!have_interval || !have_rising || !have_falling)
        return fail(p, "alarm %u needs interval, rising and falling", a.index);
    if (a.rising <= a.falling)
        return fail(p, "alarm %u: rising threshold %ld must be greater than falling "
                    "threshold %ld", a.index, (long)a.rising, (long)a.falling);
    if (cfg->n_alarms >= CNF_MAX_ALARMS)
        return fail(p, "too many alarms (at most %d)", CNF_MAX_ALARMS);
    cfg->alarms = MEM_Realloc(cfg->alarms, (cfg->n_alarms + 1) * sizeof(*cfg->alarms));
    cfg->alarms[cfg->n_alarms++] = a;
    return 0;
}

static int parse_restrict(Parser *p, int argc, char **argv)
{
    CNF_Config *cfg = p->cfg;
    ACC_Rule rule;
    char err[ACC_ERRLEN];
    const char *w;

    if (ACC_ParseRestrict(argc, argv, &rule, err, sizeof err) < 0)
        return fail(p, "%s", err);
    if ((w = ACC_RuleWarning(&rule)) != NULL)
        warn(p, "%s", w);
    cfg->restricts = MEM_Realloc(cfg->restricts, (cfg->n_restricts + 1) * sizeof(*cfg->restricts));
    cfg->restricts[cfg->n_restricts++] = rule;
    return 0;
}

static int parse_discard(Parser *p, int argc, char **argv)
{
    char err[256];

    if (RL_ParseDiscard(argc, argv, &p->cfg->discard, err, sizeof err) < 0)
        return fail(p, "%s", err);
    return 0;
}

static int parse_statedir(Parser *p, int argc, char **argv)
{
    (void)argc;
    set_string(&p->cfg->statedir, argv[1]);
    return 0;
}

static int parse_leapfile(Parser *p, int argc, char **argv)
{
    (void)argc;
    set_string(&p->cfg->leapfile, argv[1]);
    p->cfg->leapfile_line = p->line;
    return 0;
}

/* Directive table: adding a directive means a handler and one line here.
   The argument counts are checked before the handler runs. */
typedef struct {
    const char *name;
    int min_args;               /* arguments after the name */
    int max_args;               /* -1: any number; the handler checks */
    int (*handler)(Parser *p, int argc, char **argv);
} Directive;

static const Directive directives[] = {
    { "server", 1, -1, parse_server },
    { "peer", 1, -1, parse_peer },
    { "broadcast", 1, -1, parse_broadcast },
    { "broadcastclient", 0, 0, parse_broadcastclient },
    { "port", 1, 1, parse_port },
    { "driftfile", 1, 1, parse_driftfile },
    { "logfile", 1, 1, parse_logfile },
    { "agentx", 1, 2, parse_agentx },
    { "tinker", 2, -1, parse_tinker },
    { "keys", 1, 1, parse_keys },
    { "trustedkey", 1, -1, parse_trustedkey },
    { "requestkey", 1, 1, parse_ignored_key },
    { "controlkey", 1, 1, parse_ignored_key },
    { "restrict", 1, -1, parse_restrict },
    { "leapfile", 1, 1, parse_leapfile },
    { "discard", 2, -1, parse_discard },
    { "tos", 2, -1, parse_tos },
    { "statedir", 1, 1, parse_statedir },
    { "trap", 1, -1, parse_trap },
    { "alarm", 2, -1, parse_alarm },
    { "fudge", 1, -1, parse_fudge },
    { "refclock", 1, -1, parse_refclock },
    { "master", 0, 1, parse_master },
    { "interface", 2, 2, parse_interface },
};

/* ------------------------------------------------------------------------
 * Lines.
 */

static int is_blank(char c)
{
    /* \r too: a stray CR (old Mac line ends, or mid-line) is just space. */
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Parse p->buf, `len` characters (it may hold NUL bytes read from a file). */
static int parse_line(Parser *p, size_t len)
{
    const Directive *d = NULL;
    char *s = p->buf;
    int argc = 0, nargs;
    size_t i;

    /* `#` starts a comment anywhere, as in ntpd. Control characters before
       it are refused: a NUL would silently cut the line short, and the
       others mean a binary or corrupted file. */
    for (i = 0; i < len && s[i] != '#'; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c < 0x20 && !is_blank(s[i])) || c == 0x7f)
            return fail(p, "invalid character 0x%02x", c);
    }
    s[i] = '\0';

    while (*s) {
        while (is_blank(*s))
            s++;
        if (!*s)
            break;
        p->argv[argc++] = s;
        while (*s && !is_blank(*s))
            s++;
        if (*s)
            *s++ = '\0';
    }
    if (argc == 0)
        return 0;

    for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
        if (strcmp(directives[i].name, p->argv[0]) == 0) {
            d = &directives[i];
            break;
        }
    }
    if (!d)
        return fail(p, "unknown directive '%s'", p->argv[0]);
    nargs = argc - 1;
    if (nargs < d->min_args)
        return fail(p, "missing argument to '%s'", d->name);
    if (d->max_args >= 0 && nargs > d->max_args)
        return fail(p, "too many arguments to '%s'", d->name);
    return d->handler(p, argc, p->argv);
}

static int parse_text(Parser *p, const char *text, size_t len)
{
    const char *line;
    size_t n, pos = 0;

    while (TXT_NextLine(text, len, &pos, &line, &n)) {
        p->line++;
        /* Refuse rather than split: the tail of a long line parsed as a line
           of its own could mean something else entirely. */
        if (n > CNF_MAX_LINE)
            return fail(p, "line too long (more than %d characters)", CNF_MAX_LINE);
        memcpy(p->buf, line, n);
        p->buf[n] = '\0';
        if (parse_line(p, n) < 0)
            return -1;
    }
    return 0;
}

static int parse(const char *text, size_t len, const char *name, CNF_Config *cfg, char *err,
                 size_t errlen)
{
    Parser *p;
    int r;

    memset(cfg, 0, sizeof(*cfg));
    cfg->path = MEM_Strdup(name);
    cfg->port = CNF_DEFAULT_PORT;
    cfg->agentx_enabled = 1;
    cfg->tinker_step = cfg->tinker_stepout = cfg->tinker_panic = cfg->tinker_dispersion = -1.0;
    cfg->tos_maxdist = cfg->tos_holdover = -1.0;
    cfg->trap_holddown = -1.0;
    RL_DefaultConfig(&cfg->discard);

    /* On the heap: the line buffer and token array are ~20 KiB. */
    p = MEM_New(Parser);
    p->name = name;
    p->err = err;
    p->errlen = errlen;
    p->cfg = cfg;
    r = parse_text(p, text, len);
    if (r == 0)
        r = check_refclock_locks(p);
    free(p);
    if (r < 0)
        CNF_Free(cfg);
    return r;
}

/* ------------------------------------------------------------------------
 * Public functions.
 */

int CNF_ParseString(const char *text, const char *name, CNF_Config *cfg, char *err,
                    size_t errlen)
{
    if (err && errlen > 0)
        err[0] = '\0';
    return parse(text, strlen(text), name ? name : "-", cfg, err, errlen);
}

int CNF_ParseFile(const char *path, CNF_Config *cfg, char *err, size_t errlen)
{
    char *text;
    size_t len;
    int r, e;

    if (err && errlen > 0)
        err[0] = '\0';
    memset(cfg, 0, sizeof(*cfg));
    e = TXT_ReadFile(path, CNF_MAX_FILE_SIZE, 0, &text, &len);
    if (e)
        return TXT_Error(err, errlen, "%s: cannot read: %s", path, strerror(e));
    r = parse(text ? text : "", len, path, cfg, err, errlen);
    free(text);
    return r;
}

int CNF_ValidHost(const char *host)
{
    char *copy;
    struct in_addr a4;

    if (host[0] == '[')
        return 0;
    copy = parse_host(host);
    free(copy);
    /* 127.127.T.U names a reference clock, never a server to poll. */
    if (copy && inet_pton(AF_INET, host, &a4) == 1 &&
        RCL_IsRefclockAddress(ntohl(a4.s_addr), NULL, NULL))
        return 0;
    return copy != NULL;
}

void CNF_Free(CNF_Config *cfg)
{
    size_t i;

    if (!cfg)
        return;
    for (i = 0; i < cfg->n_assocs; i++)
        free(cfg->assocs[i].host);
    free(cfg->assocs);
    free(cfg->path);
    free(cfg->driftfile);
    free(cfg->logfile);
    free(cfg->agentx_socket);
    free(cfg->listen4);
    free(cfg->listen6);
    free(cfg->keysfile);
    free(cfg->trustedkeys);
    free(cfg->restricts);
    free(cfg->leapfile);
    free(cfg->statedir);
    free(cfg->trap_hp_ids);
    free(cfg->alarms);
    for (i = 0; i < cfg->n_warnings; i++)
        free(cfg->warnings[i]);
    free(cfg->warnings);
    memset(cfg, 0, sizeof(*cfg));
}
