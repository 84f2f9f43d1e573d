/* nmea — see nmea.h. */
#include "nmea.h"

#include <stdio.h>
#include <string.h>

/* 82 characters leave room for about 40 fields; more means the line was not
   a sentence. */
#define MAX_FIELDS 48

#define DAY_S 86400

/* A time of day: s since 00:00:00 (86400 for 23:59:60) and the fraction. */
typedef struct {
    int32_t sec;
    long ns;
} TimeOfDay;

static const char *const result_names[NMEA_RESULTS] = {
    [NMEA_MORE] = "more",
    [NMEA_SAMPLE] = "sample",
    [NMEA_SAME_SECOND] = "same-second",
    [NMEA_NOT_SELECTED] = "not-selected",
    [NMEA_INVALID_FIX] = "invalid-fix",
    [NMEA_NO_DATE] = "no-date",
    [NMEA_LEAP_SECOND] = "leap-second",
    [NMEA_OTHER] = "other",
    [NMEA_BAD_CHECKSUM] = "bad-checksum",
    [NMEA_GARBAGE] = "garbage",
    [NMEA_OVERLONG] = "overlong",
    [NMEA_PARTIAL] = "partial",
};

void NMEA_Init(NMEA_Parser *p, unsigned mode)
{
    memset(p, 0, sizeof(*p));
    p->mode = mode & NMEA_ALL;
}

void NMEA_Reset(NMEA_Parser *p)
{
    p->len = 0;
    p->in_line = 0;
    p->noise = 0;
    p->have_date = 0;
    p->have_last = 0;
}

const char *NMEA_ResultName(NMEA_Result r)
{
    return (unsigned)r < NMEA_RESULTS ? result_names[r] : "?";
}

const char *NMEA_SentenceName(unsigned sentence)
{
    switch (sentence) {
    case NMEA_RMC: return "RMC";
    case NMEA_GGA: return "GGA";
    case NMEA_GLL: return "GLL";
    case NMEA_ZDA: return "ZDA";
    default: return "?";
    }
}

void NMEA_FormatCounters(const NMEA_Parser *p, char *buf, size_t len)
{
    size_t used = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (int r = NMEA_SAMPLE; r < NMEA_RESULTS && used < len; r++) {
        int n = snprintf(buf + used, len - used, "%s%s %llu", used ? " " : "", result_names[r],
                         (unsigned long long)p->count[r]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* ---- Fields ---- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Exactly `n` decimal digits at s into *v. */
static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

/* A whole field of 1..9 decimal digits. */
static int whole_number(const char *s, int *v)
{
    size_t n = strlen(s);

    return n >= 1 && n <= 9 && digits(s, (int)n, v);
}

static int leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (unsigned)((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1);
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int valid_date(int y, int m, int d)
{
    return m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* hhmmss[.f...]: second 60 only at 23:59 (a leap second). Fraction digits
   past the ninth (below 1 ns) are checked but dropped. */
static int parse_time(const char *s, TimeOfDay *t)
{
    int hh, mm, ss;
    long ns = 0, scale = 100000000;

    if (!digits(s, 2, &hh) || !digits(s + 2, 2, &mm) || !digits(s + 4, 2, &ss))
        return 0;
    if (hh > 23 || mm > 59 || ss > 60 || (ss == 60 && (hh != 23 || mm != 59)))
        return 0;
    s += 6;
    if (*s == '.') {
        for (s++; is_digit(*s); s++) {
            ns += (*s - '0') * scale;
            scale /= 10;
        }
    }
    if (*s != '\0')
        return 0;
    t->sec = hh * 3600 + mm * 60 + ss;
    t->ns = ns;
    return 1;
}

/* RMC's ddmmyy: years 80..99 are 19yy, 00..79 20yy (GPS began in 1980). */
static int parse_ddmmyy(const char *s, int64_t *day)
{
    int d, m, y;

    if (strlen(s) != 6 || !digits(s, 2, &d) || !digits(s + 2, 2, &m) || !digits(s + 4, 2, &y))
        return 0;
    y += y >= 80 ? 1900 : 2000;
    if (!valid_date(y, m, d))
        return 0;
    *day = days_from_civil(y, m, d);
    return 1;
}

/* A one-letter status or mode field: the letter, 0 when empty, -1 when
   anything else. */
static int letter(const char *s)
{
    if (s[0] == '\0')
        return 0;
    if (s[0] < 'A' || s[0] > 'Z' || s[1] != '\0')
        return -1;
    return s[0];
}

/* ---- Sentences ---- */

/* A valid time sentence of `type` at time of day `tod`; `day` < 0 when the
   sentence names no date. Learns the date, dates GGA/GLL, applies the mode,
   the leap second and one sample per second. */
static NMEA_Result valid_time(NMEA_Parser *p, NMEA_Time *out, const TimeOfDay *tod, int64_t day)
{
    int selected = p->mode == 0 || (p->mode & out->sentence);

    out->valid = 1;
    if (day >= 0) {
        p->have_date = 1;
        p->date_day = day;
        p->date_tod = tod->sec;
    } else if (p->have_date) {
        /* The day before, of or after the dated sentence, whichever puts
           this time closest to it. */
        int64_t dated = p->date_day * DAY_S + p->date_tod, best = -1, best_diff = 0;
        for (int k = -1; k <= 1; k++) {
            int64_t t = (p->date_day + k) * DAY_S + tod->sec;
            int64_t diff = t > dated ? t - dated : dated - t;
            if (best < 0 || diff < best_diff) {
                best = p->date_day + k;
                best_diff = diff;
            }
        }
        if (best_diff <= NMEA_DATE_MAX_AGE)
            day = best;
    }
    if (day >= 0) {
        out->has_time = 1;
        /* 23:59:60 is reported as the 23:59:59 it follows. */
        out->seconds = day * DAY_S + (tod->sec == DAY_S ? DAY_S - 1 : tod->sec);
        out->nanoseconds = tod->ns;
    }
    if (!selected)
        return NMEA_NOT_SELECTED;
    if (day < 0)
        return NMEA_NO_DATE;
    if (tod->sec == DAY_S)
        return NMEA_LEAP_SECOND;
    if (p->have_last && out->seconds == p->last_second)
        return NMEA_SAME_SECOND;
    p->have_last = 1;
    p->last_second = out->seconds;
    return NMEA_SAMPLE;
}

/* $--RMC,hhmmss.ss,A,llll.ll,a,yyyyy.yy,a,x.x,x.x,ddmmyy,x.x,a[,m[,s]] */
static NMEA_Result decode_rmc(NMEA_Parser *p, char **f, int nf, NMEA_Time *out)
{
    int status, mode = 0;
    TimeOfDay tod;
    int64_t day;

    if (nf < 10 || (status = letter(f[2])) < 0 || (nf > 12 && (mode = letter(f[12])) < 0))
        return NMEA_GARBAGE;
    if (status != 'A' || mode == 'N')
        return NMEA_INVALID_FIX;
    if (!parse_time(f[1], &tod) || !parse_ddmmyy(f[9], &day))
        return NMEA_GARBAGE;
    return valid_time(p, out, &tod, day);
}

/* $--ZDA,hhmmss.ss,dd,mm,yyyy,zh,zm (zone fields: local time, ignored) */
static NMEA_Result decode_zda(NMEA_Parser *p, char **f, int nf, NMEA_Time *out)
{
    int d, m, y;
    TimeOfDay tod;

    if (nf < 5)
        return NMEA_GARBAGE;
    if (!f[1][0] || !f[2][0] || !f[3][0] || !f[4][0])
        return NMEA_INVALID_FIX;
    if (!parse_time(f[1], &tod) || strlen(f[2]) != 2 || !digits(f[2], 2, &d) ||
        strlen(f[3]) != 2 || !digits(f[3], 2, &m) || strlen(f[4]) != 4 || !digits(f[4], 4, &y) ||
        y < 1980 || !valid_date(y, m, d))
        return NMEA_GARBAGE;
    return valid_time(p, out, &tod, days_from_civil(y, m, d));
}

/* $--GGA,hhmmss.ss,llll.ll,a,yyyyy.yy,a,q,nn,h.h,a.a,M,g.g,M,x.x,nnnn */
static NMEA_Result decode_gga(NMEA_Parser *p, char **f, int nf, NMEA_Time *out)
{
    int quality = 0;
    TimeOfDay tod;

    if (nf < 7 || (f[6][0] && !whole_number(f[6], &quality)))
        return NMEA_GARBAGE;
    if (quality == 0)
        return NMEA_INVALID_FIX;
    if (!parse_time(f[1], &tod))
        return NMEA_GARBAGE;
    return valid_time(p, out, &tod, -1);
}

/* $--GLL,llll.ll,a,yyyyy.yy,a,hhmmss.ss,A[,m] (NMEA 1.5 stops after the
   longitude: no time) */
static NMEA_Result decode_gll(NMEA_Parser *p, char **f, int nf, NMEA_Time *out)
{
    int status, mode = 0;
    TimeOfDay tod;

    if (nf < 7)
        return NMEA_OTHER;
    if ((status = letter(f[6])) < 0 || (nf > 7 && (mode = letter(f[7])) < 0))
        return NMEA_GARBAGE;
    if (status != 'A' || mode == 'N')
        return NMEA_INVALID_FIX;
    if (!parse_time(f[5], &tod))
        return NMEA_GARBAGE;
    return valid_time(p, out, &tod, -1);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* A complete line, '$' included, CR/LF not. */
static NMEA_Result end_line(NMEA_Parser *p, NMEA_Time *out)
{
    char *s = p->line, *fields[MAX_FIELDS], *q;
    size_t n = p->len, alen;
    int hi, lo, nf = 0;
    unsigned sum = 0, type;

    /* "*hh" ends every sentence we use: the XOR of the octets between
       '$' and '*'. */
    if (n < 4 || s[n - 3] != '*' || (hi = hex_value(s[n - 2])) < 0 || (lo = hex_value(s[n - 1])) < 0)
        return NMEA_BAD_CHECKSUM;
    for (size_t i = 1; i < n - 3; i++)
        sum ^= (unsigned char)s[i];
    if (sum != (unsigned)(hi << 4 | lo))
        return NMEA_BAD_CHECKSUM;
    s[n - 3] = '\0';

    for (q = s + 1;;) {
        if (nf == MAX_FIELDS)
            return NMEA_GARBAGE;
        fields[nf++] = q;
        q = strchr(q, ',');
        if (!q)
            break;
        *q++ = '\0';
    }

    /* Address: talker (2) + type (3), upper-case letters and digits;
       proprietary ones start with P. */
    alen = strlen(fields[0]);
    if (alen < 2)
        return NMEA_GARBAGE;
    for (size_t i = 0; i < alen; i++) {
        char c = fields[0][i];
        if (!(c >= 'A' && c <= 'Z') && !is_digit(c))
            return NMEA_GARBAGE;
    }
    if (alen != 5 || fields[0][0] == 'P')
        return NMEA_OTHER;
    q = fields[0] + 2;
    if (!strcmp(q, "RMC"))
        type = NMEA_RMC;
    else if (!strcmp(q, "GGA"))
        type = NMEA_GGA;
    else if (!strcmp(q, "GLL"))
        type = NMEA_GLL;
    else if (!strcmp(q, "ZDA"))
        type = NMEA_ZDA;
    else
        return NMEA_OTHER;

    memset(out, 0, sizeof(*out));
    out->sentence = type;
    memcpy(out->talker, fields[0], 2);
    switch (type) {
    case NMEA_RMC: return decode_rmc(p, fields, nf, out);
    case NMEA_ZDA: return decode_zda(p, fields, nf, out);
    case NMEA_GGA: return decode_gga(p, fields, nf, out);
    default: return decode_gll(p, fields, nf, out);
    }
}

static NMEA_Result counted(NMEA_Parser *p, NMEA_Result r)
{
    if (r != NMEA_MORE)
        p->count[r]++;
    return r;
}

NMEA_Result NMEA_PutByte(NMEA_Parser *p, unsigned char c, NMEA_Time *out)
{
    NMEA_Result r = NMEA_MORE;

    if (c == '$') {
        if (p->in_line)
            r = NMEA_PARTIAL;
        p->in_line = 1;
        p->noise = 0;
        p->line[0] = '$';
        p->len = 1;
        return counted(p, r);
    }
    if (c == '\r' || c == '\n') {
        p->noise = 0;
        if (!p->in_line)
            return NMEA_MORE;   /* the LF after CR, or an empty line */
        p->in_line = 0;
        p->line[p->len] = '\0';
        return counted(p, end_line(p, out));
    }
    if (!p->in_line) {
        /* Noise between sentences: counted once per run. */
        if (p->noise)
            return NMEA_MORE;
        p->noise = 1;
        return counted(p, NMEA_GARBAGE);
    }
    if (c < 0x20 || c > 0x7e) {
        /* NUL, other control or 8-bit octets (a wrong speed): the line is
           corrupt; skip to the next '$' or line end. */
        p->in_line = 0;
        p->noise = 1;
        return counted(p, NMEA_GARBAGE);
    }
    if (p->len >= NMEA_MAX_LINE) {
        p->in_line = 0;
        p->noise = 1;
        return counted(p, NMEA_OVERLONG);
    }
    p->line[p->len++] = (char)c;
    return NMEA_MORE;
}
