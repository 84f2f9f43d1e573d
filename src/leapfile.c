/* leapfile — see leapfile.h. */
#include "leapfile.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mem.h"
#include "textfile.h"

/* The real file is about 5 kB; anything this big is not a leap file, and
   reading it whole must not be a way to make the daemon allocate without
   bound. */
#define MAX_FILE_SIZE (1024 * 1024)

#define SHA1_LEN 20

/* Days from 1900-01-01 (NTP) to 1970-01-01 (Unix). */
#define NTP_UNIX_DAYS 25567

/* TAI-UTC fits ntpd's int16_t; anything larger is a corrupt line. */
#define MAX_TAI_UTC 32767

typedef struct {
    const char *name;
    char *err;
    size_t errlen;

    /* Digits fed to SHA-1 (see the hash rule in leapfile.h), collected and
       hashed once at the end: the file is small and this keeps the digest
       code to one call. */
    char *digits;
    size_t n_digits, cap_digits;

    size_t cap_entries;
} Parser;

static int fail(Parser *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(Parser *p, unsigned line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    TXT_VErrorAt(p->err, p->errlen, p->name, line, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *skip_ws(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return s;
}

/* Digits of `s` up to the first '#' or the end. */
static void hash_digits(Parser *p, const char *s)
{
    for (; *s && *s != '#'; s++) {
        if (!isdigit((unsigned char)*s))
            continue;
        if (p->n_digits == p->cap_digits) {
            p->cap_digits = p->cap_digits ? 2 * p->cap_digits : 512;
            p->digits = MEM_Realloc(p->digits, p->cap_digits);
        }
        p->digits[p->n_digits++] = *s;
    }
}

/* Unsigned decimal at *s. Returns 0 and advances *s, -1 when there is no
   digit, -2 when the value does not fit in 64 bits. */
static int parse_u64(const char **s, uint64_t *out)
{
    const char *c = *s;
    uint64_t v = 0;

    if (!isdigit((unsigned char)*c))
        return -1;
    for (; isdigit((unsigned char)*c); c++) {
        unsigned d = (unsigned)(*c - '0');

        if (v > (UINT64_MAX - d) / 10)
            return -2;
        v = v * 10 + d;
    }
    *s = c;
    *out = v;
    return 0;
}

/* The end of a value: end of line, or whitespace then end of line or a
   comment. */
static int at_value_end(const char *s)
{
    s = skip_ws(s);
    return *s == '\0' || *s == '#';
}

/* "#$ N" / "#@ N" after the two marker characters. 0, -1 malformed, -2 too
   large. */
static int parse_special_value(const char *s, uint64_t *out)
{
    int r;

    s = skip_ws(s);
    r = parse_u64(&s, out);
    if (r != 0)
        return r;
    return at_value_end(s) ? 0 : -1;
}

/* "#h W1 W2 W3 W4 W5" after "#h": five 1-8 digit hex words, big-endian. */
static int parse_hash(const char *s, unsigned char out[SHA1_LEN])
{
    int w, i;

    for (w = 0; w < 5; w++) {
        uint32_t v = 0;
        int nd = 0;

        if (w > 0 && !isspace((unsigned char)*s))
            return -1;
        s = skip_ws(s);
        for (; isxdigit((unsigned char)*s); s++, nd++) {
            int c = tolower((unsigned char)*s);

            if (nd == 8)
                return -1;
            v = (v << 4) | (uint32_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
        }
        if (nd == 0)
            return -1;
        for (i = 0; i < 4; i++)
            out[4 * w + i] = (unsigned char)(v >> (24 - 8 * i));
    }
    return *skip_ws(s) == '\0' ? 0 : -1;
}

/* Day of the month (1-31) of NTP day number `days` (days since 1900-01-01),
   by the proleptic Gregorian calendar (H. Hinnant's civil_from_days). */
static unsigned day_of_month(uint64_t days)
{
    int64_t z = (int64_t)days - NTP_UNIX_DAYS + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    return doy - (153 * mp + 2) / 5 + 1;
}

static int data_line(Parser *p, LEAP_Table *t, const char *s, unsigned line,
                     unsigned *prev_line)
{
    static const char expected[] = "expected 'NTP-SECONDS TAI-UTC [# comment]'";
    const char *c = skip_ws(s);
    uint64_t when;
    long tai;
    int neg = 0, r;

    r = parse_u64(&c, &when);
    if (r == -2)
        return fail(p, line, "NTP seconds out of range");
    if (r != 0 || !isspace((unsigned char)*c))
        return fail(p, line, "malformed line: %s", expected);
    c = skip_ws(c);
    if (*c == '+' || *c == '-')
        neg = *c++ == '-';
    if (!isdigit((unsigned char)*c))
        return fail(p, line, "malformed line: %s", expected);
    for (tai = 0; isdigit((unsigned char)*c); c++) {
        if (tai <= MAX_TAI_UTC)
            tai = tai * 10 + (*c - '0');
    }
    if (!at_value_end(c))
        return fail(p, line, "malformed line: %s", expected);
    if (tai > MAX_TAI_UTC)
        return fail(p, line, "TAI-UTC out of range (at most %d)", MAX_TAI_UTC);
    if (neg)
        tai = -tai;

    /* Leap seconds happen only at the end of a UTC month (ITU-R TF.460);
       ntpd refuses any other transition time too. */
    if (when % LEAP_SECONDS_PER_DAY != 0 || day_of_month(when / LEAP_SECONDS_PER_DAY) != 1)
        return fail(p, line, "date %" PRIu64 " is not 00:00:00 UTC on the 1st of a month", when);
    if (t->n > 0) {
        const LEAP_Entry *prev = &t->entries[t->n - 1];

        if (when <= prev->ntp_seconds)
            return fail(p, line, "date %" PRIu64 " is not after %" PRIu64 " (line %u)", when,
                        prev->ntp_seconds, *prev_line);
        if (tai - prev->tai_utc != 1 && tai - prev->tai_utc != -1)
            return fail(p, line, "TAI-UTC goes from %d to %ld: must change by exactly 1",
                        prev->tai_utc, tai);
    }

    if (t->n == p->cap_entries) {
        p->cap_entries = p->cap_entries ? 2 * p->cap_entries : 32;
        t->entries = MEM_Realloc(t->entries, p->cap_entries * sizeof(*t->entries));
    }
    t->entries[t->n].ntp_seconds = when;
    t->entries[t->n].tai_utc = (int)tai;
    t->n++;
    *prev_line = line;
    hash_digits(p, s);
    return 0;
}

/* #$ or #@: value into *out, duplicate check against *seen_line. */
static int special_value(Parser *p, const char *s, unsigned line, uint64_t *out,
                         unsigned *seen_line)
{
    char mark = s[1];
    int r;

    if (*seen_line)
        return fail(p, line, "duplicate #%c line (first on line %u)", mark, *seen_line);
    r = parse_special_value(s + 2, out);
    if (r == -2)
        return fail(p, line, "NTP seconds out of range");
    if (r != 0)
        return fail(p, line, "malformed #%c line: expected '#%c NTP-SECONDS'", mark, mark);
    *seen_line = line;
    hash_digits(p, s + 2);
    return 0;
}

static int parse(const char *buf, size_t len, const char *name, LEAP_Table *out, char *err,
                 size_t errlen)
{
    Parser p = { .name = name ? name : "-", .err = err, .errlen = errlen };
    LEAP_Table t = { 0 };
    unsigned char want[SHA1_LEN], got[SHA1_LEN];
    unsigned line = 0, entry_line = 0, updated_line = 0, expires_line = 0, hash_line = 0;
    char *lb = NULL;
    size_t lcap = 0, pos = 0;
    int r = -1;

    if (err && errlen > 0)
        err[0] = '\0';
    memset(out, 0, sizeof(*out));

    const char *s;
    size_t n;
    while (TXT_NextLine(buf, len, &pos, &s, &n)) {
        line++;
        if (memchr(s, '\0', n)) {
            fail(&p, line, "NUL byte in line");
            goto done;
        }
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            n--;                /* trailing blanks and the CR of CRLF */
        if (n + 1 > lcap) {
            lcap = n + 1 > 256 ? n + 1 : 256;
            lb = MEM_Realloc(lb, lcap);
        }
        memcpy(lb, s, n);
        lb[n] = '\0';

        if (lb[0] == '#') {
            if (lb[1] == '$') {
                if (special_value(&p, lb, line, &t.updated, &updated_line) < 0)
                    goto done;
            } else if (lb[1] == '@') {
                if (special_value(&p, lb, line, &t.expires, &expires_line) < 0)
                    goto done;
            } else if (lb[1] == 'h' && (lb[2] == '\0' || isspace((unsigned char)lb[2]))) {
                if (hash_line) {
                    fail(&p, line, "duplicate #h line (first on line %u)", hash_line);
                    goto done;
                }
                if (parse_hash(lb + 2, want) < 0) {
                    fail(&p, line, "malformed #h line: expected 5 hex words (SHA-1)");
                    goto done;
                }
                hash_line = line;
            }
            /* Anything else after '#' is a comment, including special
               comments this parser does not know ("#NTP Time ..."). */
            continue;
        }
        if (*skip_ws(lb) == '\0')
            continue;
        if (data_line(&p, &t, lb, line, &entry_line) < 0)
            goto done;
    }

    if (line == 0)
        line = 1;       /* file-level errors name the last line */
    if (!expires_line) {
        fail(&p, line, "missing #@ expiration line");
        goto done;
    }
    if (t.n == 0) {
        fail(&p, line, "no leap second entries");
        goto done;
    }
    if (hash_line) {
        unsigned int md_len = 0;

        /* EVP_Digest accepts a NULL buffer only with length 0, which cannot
           happen here: #@ contributed at least one digit. */
        if (!EVP_Digest(p.digits, p.n_digits, got, &md_len, EVP_sha1(), NULL) ||
            md_len != SHA1_LEN) {
            fail(&p, hash_line, "cannot compute SHA-1 (OpenSSL)");
            goto done;
        }
        if (memcmp(got, want, SHA1_LEN) != 0) {
            fail(&p, hash_line, "hash mismatch (file corrupt or edited)");
            goto done;
        }
        t.hash_ok = 1;
    }
    if (updated_line && t.expires <= t.updated) {
        fail(&p, expires_line, "expiration %" PRIu64 " is not after the last update %" PRIu64
             " (line %u)", t.expires, t.updated, updated_line);
        goto done;
    }

    *out = t;
    memset(&t, 0, sizeof(t));
    r = 0;

done:
    LEAP_Free(&t);
    free(p.digits);
    free(lb);
    return r;
}

int LEAP_LoadString(const char *text, const char *name, LEAP_Table *t, char *err,
                    size_t errlen)
{
    return parse(text, strlen(text), name, t, err, errlen);
}

int LEAP_LoadFile(const char *path, LEAP_Table *t, char *err, size_t errlen)
{
    char *text;
    size_t len;
    int r, e;

    memset(t, 0, sizeof(*t));
    if (err && errlen > 0)
        err[0] = '\0';
    e = TXT_ReadFile(path, MAX_FILE_SIZE, 0, &text, &len);
    if (e == EFBIG)
        return TXT_Error(err, errlen, "%s: too large (over %d bytes)", path, MAX_FILE_SIZE);
    if (e)
        return TXT_Error(err, errlen, "%s: cannot read: %s", path, strerror(e));
    r = parse(text ? text : "", len, path, t, err, errlen);
    free(text);
    return r;
}

void LEAP_Free(LEAP_Table *t)
{
    if (!t)
        return;
    free(t->entries);
    memset(t, 0, sizeof(*t));
}

int LEAP_Expired(const LEAP_Table *t, uint64_t now)
{
    return now >= t->expires;
}

int LEAP_TaiOffset(const LEAP_Table *t, uint64_t now)
{
    size_t i;

    for (i = t->n; i > 0; i--) {
        if (t->entries[i - 1].ntp_seconds <= now)
            return t->entries[i - 1].tai_utc;
    }
    return 0;
}

int LEAP_Next(const LEAP_Table *t, uint64_t now, uint64_t *when, int *direction)
{
    size_t i;

    for (i = 1; i < t->n; i++) {
        if (t->entries[i].ntp_seconds > now) {
            if (when)
                *when = t->entries[i].ntp_seconds;
            if (direction)
                *direction = t->entries[i].tai_utc - t->entries[i - 1].tai_utc;
            return 1;
        }
    }
    return 0;
}

int LEAP_ShouldAnnounce(uint64_t now, uint64_t leap_at)
{
    uint64_t window = (uint64_t)LEAP_ANNOUNCE_DAYS * LEAP_SECONDS_PER_DAY;

    /* Written as a distance so a leap_at smaller than the window cannot
       wrap around. */
    return now < leap_at && leap_at - now <= window;
}

int LEAP_KernelArmDay(uint64_t now, uint64_t leap_at)
{
    return now < leap_at && leap_at - now <= LEAP_SECONDS_PER_DAY;
}
