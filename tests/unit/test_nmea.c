/*
 * Unit tests for nmea: exact times decoded from each sentence type (the
 * receiver samples are published ones — u-blox's protocol specification
 * and the classic NMEA reference examples — with their own checksums),
 * checksum failures, garbage, every split point of a stream, cut and
 * overlong lines, midnight, year and leap-second rollovers, the two-digit
 * year pivot, invalid fixes, mode selection and one sample per second.
 *
 * Expected Unix times were computed independently of nmea.c, in Python:
 *   python3 -c 'import calendar,datetime as d; print(calendar.timegm(
 *       d.datetime.strptime("2002-12-09 08:35:59","%Y-%m-%d %H:%M:%S").timetuple()))'
 *   2002-12-09 08:35:59 1039422959    2002-12-09 09:27:25 1039426045
 *   2002-12-09 09:23:21 1039425801    2002-09-16 08:27:10 1032164830
 *   1994-03-23 12:35:19 764426119     1994-03-23 22:54:44 764463284
 *   2002-07-04 20:15:30 1025813730    1999-12-31 23:59:59 946684799
 *   2000-01-01 00:00:00 946684800     2024-02-29 12:00:00 1709208000
 *   1980-01-01 00:00:00 315532800     2079-12-31 00:00:00 3471206400
 *   2016-12-31 23:59:59 1483228799    2017-01-01 00:00:00 1483228800
 *   2002-12-09 10:00:00 1039428000    2002-12-09 11:00:00 1039431600
 *
 * Links: nmea
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmea.h"

/* Published sentences (checksums as published). */
#define UBX_RMC "$GPRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A*57\r\n"
#define UBX_GGA "$GPGGA,092725.00,4717.11399,N,00833.91590,E,1,08,1.01,499.6,M,48.0,M,,*5B\r\n"
#define UBX_GLL "$GPGLL,4717.11364,N,00833.91565,E,092321.00,A,A*60\r\n"
#define UBX_ZDA "$GPZDA,082710.00,16,09,2002,00,00*64\r\n"
#define UBX_NOFIX_RMC "$GPRMC,,V,,,,,,,,,,N*53\r\n"
#define CLASSIC_RMC "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n"
#define CLASSIC_GGA "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"
#define CLASSIC_GLL "$GPGLL,4916.45,N,12311.12,W,225444,A,*1D\r\n"
#define CLASSIC_ZDA "$GPZDA,201530.00,04,07,2002,00,00*60\r\n"
#define GSV "$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74\r\n"
#define GSA "$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39\r\n"

/* One finished result of a feed. */
typedef struct {
    NMEA_Result r;
    NMEA_Time t;
} Rec;

#define MAX_RECS 64

/* "$BODY*HH\r\n" with the XOR checksum of BODY (a static buffer). */
static const char *sentence(const char *body)
{
    static char buf[4][512];
    static int next;
    unsigned sum = 0;
    char *out = buf[next++ % 4];

    for (const char *c = body; *c; c++)
        sum ^= (unsigned char)*c;
    snprintf(out, sizeof(buf[0]), "$%s*%02X\r\n", body, sum);
    return out;
}

/* Feed `len` octets; the finished results go to recs (count returned). */
static int feed(NMEA_Parser *p, const char *s, size_t len, Rec *recs, int max)
{
    int n = 0;

    for (size_t i = 0; i < len; i++) {
        NMEA_Time t;
        NMEA_Result r;

        memset(&t, 0xa5, sizeof(t));   /* stale values must not pass as results */
        r = NMEA_PutByte(p, (unsigned char)s[i], &t);
        if (r == NMEA_MORE)
            continue;
        assert_true(n < max);
        recs[n].r = r;
        recs[n].t = t;
        n++;
    }
    return n;
}

/* Feed one line that must end in exactly one result; returns it. */
static NMEA_Result one(NMEA_Parser *p, const char *line, NMEA_Time *t)
{
    Rec recs[MAX_RECS];
    int n = feed(p, line, strlen(line), recs, MAX_RECS);

    if (n != 1)
        fail_msg("\"%s\": %d results", line, n);
    if (t)
        *t = recs[0].t;
    return recs[0].r;
}

/* The line must give the sample at exactly `seconds` + `ns`. */
static void expect_sample(NMEA_Parser *p, const char *line, unsigned sentence_type,
                          int64_t seconds, long ns)
{
    NMEA_Time t;
    NMEA_Result r = one(p, line, &t);

    if (r != NMEA_SAMPLE)
        fail_msg("\"%s\": %s, not a sample", line, NMEA_ResultName(r));
    assert_int_equal(t.sentence, sentence_type);
    assert_int_equal(t.valid, 1);
    assert_int_equal(t.has_time, 1);
    assert_int_equal(t.seconds, seconds);
    assert_int_equal(t.nanoseconds, ns);
}

static void expect_result(NMEA_Parser *p, const char *line, NMEA_Result want)
{
    NMEA_Result r = one(p, line, NULL);

    if (r != want)
        fail_msg("\"%s\": %s, expected %s", line, NMEA_ResultName(r), NMEA_ResultName(want));
}

static uint64_t total(const NMEA_Parser *p)
{
    uint64_t sum = 0;

    for (int r = NMEA_SAMPLE; r < NMEA_RESULTS; r++)
        sum += p->count[r];
    return sum;
}

/* ------------------------------------------------------------------------ */

static void test_published_rmc_zda(void **state)
{
    NMEA_Parser p;
    NMEA_Time t;

    (void)state;
    NMEA_Init(&p, 0);
    expect_sample(&p, UBX_RMC, NMEA_RMC, 1039422959, 0);
    expect_sample(&p, CLASSIC_RMC, NMEA_RMC, 764426119, 0);
    expect_sample(&p, UBX_ZDA, NMEA_ZDA, 1032164830, 0);
    expect_sample(&p, CLASSIC_ZDA, NMEA_ZDA, 1025813730, 0);
    assert_int_equal(one(&p, UBX_RMC, &t), NMEA_SAMPLE);
    assert_string_equal(t.talker, "GP");
    assert_int_equal(p.count[NMEA_SAMPLE], 5);
    assert_int_equal(total(&p), 5);
}

static void test_published_gga_gll_need_a_date(void **state)
{
    NMEA_Parser p;

    (void)state;
    NMEA_Init(&p, 0);
    /* No date yet: decoded, valid, but no sample. */
    expect_result(&p, UBX_GGA, NMEA_NO_DATE);
    expect_result(&p, UBX_GLL, NMEA_NO_DATE);
    expect_result(&p, CLASSIC_GLL, NMEA_NO_DATE);
    assert_int_equal(p.count[NMEA_NO_DATE], 3);

    /* The u-blox samples were taken on 2002-12-09 (their RMC's date). */
    expect_sample(&p, sentence("GPRMC,092300.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A"),
                  NMEA_RMC, 1039425780, 0);
    expect_sample(&p, UBX_GLL, NMEA_GLL, 1039425801, 0);
    expect_sample(&p, UBX_GGA, NMEA_GGA, 1039426045, 0);

    /* The classic ones on 1994-03-23. */
    expect_sample(&p, CLASSIC_RMC, NMEA_RMC, 764426119, 0);
    expect_result(&p, CLASSIC_GGA, NMEA_SAME_SECOND);   /* RMC gave 12:35:19 */
    /* 22:54:44 is more than NMEA_DATE_MAX_AGE after the RMC's 12:35:19. */
    expect_result(&p, CLASSIC_GLL, NMEA_NO_DATE);
    expect_sample(&p, sentence("GPRMC,225400,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"),
                  NMEA_RMC, 764463240, 0);
    expect_sample(&p, CLASSIC_GLL, NMEA_GLL, 764463284, 0);
}

static void test_talkers(void **state)
{
    static const char *const talkers[] = {"GP", "GN", "GL", "GA", "GB", "BD", "GQ", "QZ", "GI"};
    NMEA_Parser p;
    char body[128];

    (void)state;
    NMEA_Init(&p, 0);
    for (size_t i = 0; i < sizeof(talkers) / sizeof(talkers[0]); i++) {
        NMEA_Time t;
        snprintf(body, sizeof(body), "%sRMC,1200%02zu.00,A,4717.1,N,00833.9,E,0.0,0.0,290224,,,A",
                 talkers[i], i);
        assert_int_equal(one(&p, sentence(body), &t), NMEA_SAMPLE);
        assert_string_equal(t.talker, talkers[i]);
        assert_int_equal(t.seconds, 1709208000 + (int64_t)i);
        snprintf(body, sizeof(body), "%sGGA,1200%02zu.50,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,",
                 talkers[i], i);
        assert_int_equal(one(&p, sentence(body), &t), NMEA_SAME_SECOND);
        assert_int_equal(t.nanoseconds, 500000000);
    }
}

static void test_fractions(void **state)
{
    NMEA_Parser p;

    (void)state;
    NMEA_Init(&p, 0);
    expect_sample(&p, sentence("GNZDA,235959.5,31,12,1999,00,00"), NMEA_ZDA, 946684799, 500000000);
    expect_sample(&p, sentence("GNZDA,000000.123456789123,01,01,2000,00,00"), NMEA_ZDA, 946684800,
                  123456789);
    expect_sample(&p, sentence("GNZDA,000001.,01,01,2000,00,00"), NMEA_ZDA, 946684801, 0);
    expect_sample(&p, sentence("GNZDA,000002.007,01,01,2000,00,00"), NMEA_ZDA, 946684802, 7000000);
    expect_sample(&p, sentence("GNGGA,000003.999999999,4717.1,N,00833.9,E,2,08,1.0,499.6,M,48.0,M,,"),
                  NMEA_GGA, 946684803, 999999999);
}

static void test_checksums(void **state)
{
    NMEA_Parser p;
    char line[128];

    (void)state;
    NMEA_Init(&p, 0);
    /* Wrong: the published sentence with its checksum changed. */
    strcpy(line, UBX_RMC);
    strstr(line, "*57")[2] = '8';
    expect_result(&p, line, NMEA_BAD_CHECKSUM);
    /* A body octet changed, checksum kept. */
    strcpy(line, UBX_RMC);
    strstr(line, "083559")[5] = '8';
    expect_result(&p, line, NMEA_BAD_CHECKSUM);
    /* Missing, one digit, three digits, not hex, nothing after '*'. */
    expect_result(&p, "$GPRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A\r\n",
                  NMEA_BAD_CHECKSUM);
    expect_result(&p, "$GPRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A*5\r\n",
                  NMEA_BAD_CHECKSUM);
    expect_result(&p, "$GPRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A*577\r\n",
                  NMEA_BAD_CHECKSUM);
    expect_result(&p, "$GPRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A*5G\r\n",
                  NMEA_BAD_CHECKSUM);
    expect_result(&p, "$GPRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A*\r\n",
                  NMEA_BAD_CHECKSUM);
    expect_result(&p, "$\r\n", NMEA_BAD_CHECKSUM);
    expect_result(&p, "$*00\r\n", NMEA_GARBAGE);   /* right checksum of nothing */
    assert_int_equal(p.count[NMEA_BAD_CHECKSUM], 8);
    assert_int_equal(p.count[NMEA_SAMPLE], 0);
    /* Lower-case hex digits are accepted. */
    strcpy(line, UBX_GGA);
    strstr(line, "*5B")[2] = 'b';
    expect_result(&p, line, NMEA_NO_DATE);
    /* LF alone ends a line as CR LF does. */
    expect_sample(&p, "$GPZDA,082710.00,16,09,2002,00,00*64\n", NMEA_ZDA, 1032164830, 0);
    assert_int_equal(total(&p), 11);
}

/* Every single-octet change of a good sentence is caught: it never yields a
   sample (except upper/lower case of a checksum digit, the same sentence). */
static void test_single_octet_changes_never_sample(void **state)
{
    static const char good[] = UBX_RMC;
    static const unsigned char values[] = {'0', '9', 'A', 'V', 'a', ',', '*', '.', '$', ' ', 0, 0x80,
                                           '\r', 0xff};
    char line[sizeof(good)];
    size_t len = strlen(good);

    (void)state;
    /* Not the final LF: the CR before it already ended the line. */
    for (size_t i = 0; i + 1 < len; i++) {
        for (size_t v = 0; v < sizeof(values); v++) {
            NMEA_Parser p;
            Rec recs[MAX_RECS];
            int n;

            if ((unsigned char)good[i] == values[v])
                continue;
            memcpy(line, good, sizeof(good));
            line[i] = (char)values[v];
            NMEA_Init(&p, 0);
            n = feed(&p, line, len, recs, MAX_RECS);
            for (int k = 0; k < n; k++) {
                if (recs[k].r == NMEA_SAMPLE)
                    fail_msg("octet %zu changed to 0x%02x still gave a sample", i, values[v]);
            }
            /* The next good sentence decodes. */
            expect_sample(&p, UBX_ZDA, NMEA_ZDA, 1032164830, 0);
        }
    }
}

static void test_garbage(void **state)
{
    NMEA_Parser p;
    Rec recs[MAX_RECS];
    int n;
    static const char noise[] = "\x00\x00\xff\xfe garbage \x01\x02";
    static const char nul_inside[] = "$GPRMC,0835\x00" "59.00,A*00\r\n";

    (void)state;
    NMEA_Init(&p, 0);
    /* A run of noise counts once, whatever its length. */
    n = feed(&p, noise, sizeof(noise) - 1, recs, MAX_RECS);
    assert_int_equal(n, 1);
    assert_int_equal(recs[0].r, NMEA_GARBAGE);
    /* ... and the sentence after it decodes. */
    expect_sample(&p, UBX_RMC, NMEA_RMC, 1039422959, 0);
    /* A NUL inside a line drops that line. */
    n = feed(&p, nul_inside, sizeof(nul_inside) - 1, recs, MAX_RECS);
    assert_int_equal(n, 1);
    assert_int_equal(recs[0].r, NMEA_GARBAGE);
    /* An 8-bit octet (a wrong speed) too. */
    expect_result(&p, "$GPRMC,08\xe3" "5959.00,A*00\r\n", NMEA_GARBAGE);
    /* Good checksums, bad contents. */
    expect_result(&p, sentence("GPRMC,08a559.00,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,243559.00,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,086059.00,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,083560.00,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,0835,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,083559.0x,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,083559.00,A,4717.1,N,00833.9,E,0.0,0.0,091302,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,083559.00,A,4717.1,N,00833.9,E,0.0,0.0,300223,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,083559.00,A,4717.1,N,00833.9,E,0.0,0.0,001202,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,083559.00,A,4717.1,N,00833.9,E,0.0,0.0,91202,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,083559.00,AA,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,083559.00,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,a"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPRMC,083559.00,A,4717.1,N,00833.9,E,0.0,0.0"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPZDA,082710.00,16,09,02,00,00"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPZDA,082710.00,16,9,2002,00,00"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPZDA,082710.00,31,09,2002,00,00"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPZDA,082710.00,16,09,1979,00,00"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPZDA,082710.00,16,09"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPGGA,092725.00,4717.1,N,00833.9,E,x,08,1.0,499.6,M,48.0,M,,"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPGGA,0927"), NMEA_GARBAGE);
    expect_result(&p, sentence("GPGLL,4717.1,N,00833.9,E,092321.00,Z9,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("gpRMC,083559.00,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_GARBAGE);
    expect_result(&p, sentence("G"), NMEA_GARBAGE);
    expect_result(&p, sentence("GP RMC,083559.00"), NMEA_GARBAGE);
    assert_int_equal(p.count[NMEA_GARBAGE], 27);
    assert_int_equal(p.count[NMEA_SAMPLE], 1);
    /* Well-formed, but no time for us. */
    expect_result(&p, GSV, NMEA_OTHER);
    expect_result(&p, GSA, NMEA_OTHER);
    expect_result(&p, sentence("PUBX,04,073731.00,091202,113851.00,1196,15D,1930035,-2660.664,43"),
                  NMEA_OTHER);
    expect_result(&p, sentence("GPGLL,4916.45,N,12311.12,W"), NMEA_OTHER);   /* NMEA 1.5 */
    expect_result(&p, sentence("GPRMCX,083559.00"), NMEA_OTHER);
    assert_int_equal(p.count[NMEA_OTHER], 5);
    /* Still working. */
    expect_sample(&p, UBX_ZDA, NMEA_ZDA, 1032164830, 0);
    assert_int_equal(total(&p), 34);
}

/* Random octets: counted, never a sample, never a crash; the parser still
   decodes afterwards. */
static void test_random_noise(void **state)
{
    NMEA_Parser p;
    uint32_t x = 12345;

    (void)state;
    NMEA_Init(&p, 0);
    for (int i = 0; i < 200000; i++) {
        NMEA_Time t;
        unsigned char c;
        x = x * 1103515245u + 12345u;
        c = (unsigned char)(x >> 16);
        /* Often the characters that matter to the framing. */
        if ((x >> 8 & 7) == 0)
            c = "$*\r\n,A0G"[x >> 12 & 7];
        assert_int_not_equal(NMEA_PutByte(&p, c, &t), NMEA_SAMPLE);
    }
    assert_true(p.count[NMEA_GARBAGE] > 1000);
    assert_int_equal(p.count[NMEA_SAMPLE], 0);
    {
        Rec recs[MAX_RECS];
        feed(&p, "\r\n", 2, recs, MAX_RECS);
    }
    expect_sample(&p, UBX_ZDA, NMEA_ZDA, 1032164830, 0);
}

/* Every split of a stream into two reads gives the same results and times,
   and so does one octet at a time. */
static void test_every_split_point(void **state)
{
    char stream[2048];
    Rec want[MAX_RECS], got[MAX_RECS];
    int nwant;
    size_t len;

    (void)state;
    /* NULL stands for two NULs and some noise. */
    len = 0;
    {
        const char *parts[] = {"PARTIAL,LINE\r\n", UBX_RMC, GSV, NULL, UBX_GLL, "$GPGGA,0927",
                               CLASSIC_RMC, CLASSIC_GGA, UBX_NOFIX_RMC, UBX_ZDA};
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
            if (!parts[i]) {
                memcpy(stream + len, "\0\0noise", 7);
                len += 7;
                continue;
            }
            memcpy(stream + len, parts[i], strlen(parts[i]));
            len += strlen(parts[i]);
        }
    }
    {
        NMEA_Parser p;
        NMEA_Init(&p, 0);
        nwant = feed(&p, stream, len, want, MAX_RECS);
    }
    /* The reference itself, result by result. */
    assert_int_equal(nwant, 10);
    assert_int_equal(want[0].r, NMEA_GARBAGE);      /* "PARTIAL,LINE": no '$' */
    assert_int_equal(want[1].r, NMEA_SAMPLE);
    assert_int_equal(want[1].t.seconds, 1039422959);
    assert_int_equal(want[2].r, NMEA_OTHER);        /* GSV */
    assert_int_equal(want[3].r, NMEA_GARBAGE);      /* NULs and noise, one run */
    assert_int_equal(want[4].r, NMEA_SAMPLE);       /* GLL dated by the RMC */
    assert_int_equal(want[4].t.seconds, 1039425801);
    assert_int_equal(want[5].r, NMEA_PARTIAL);      /* "$GPGGA,0927" cut by '$' */
    assert_int_equal(want[6].r, NMEA_SAMPLE);
    assert_int_equal(want[6].t.seconds, 764426119);
    assert_int_equal(want[7].r, NMEA_SAME_SECOND);
    assert_int_equal(want[8].r, NMEA_INVALID_FIX);
    assert_int_equal(want[9].r, NMEA_SAMPLE);
    assert_int_equal(want[9].t.seconds, 1032164830);

    for (size_t k = 0; k <= len; k++) {
        NMEA_Parser p;
        int n;
        NMEA_Init(&p, 0);
        n = feed(&p, stream, k, got, MAX_RECS);
        n += feed(&p, stream + k, len - k, got + n, MAX_RECS - n);
        assert_int_equal(n, nwant);
        for (int i = 0; i < n; i++) {
            assert_int_equal(got[i].r, want[i].r);
            if (want[i].r == NMEA_SAMPLE) {
                assert_int_equal(got[i].t.seconds, want[i].t.seconds);
                assert_int_equal(got[i].t.nanoseconds, want[i].t.nanoseconds);
            }
        }
    }
}

/* A sentence cut anywhere (the receiver reset, octets lost) and followed by
   a good one: the cut part is counted, the good one decodes exactly. */
static void test_cut_anywhere(void **state)
{
    static const char cut[] = UBX_RMC;
    size_t len = strlen(cut);

    (void)state;
    /* Cut anywhere before the CR. */
    for (size_t k = 0; k + 2 < len; k++) {
        NMEA_Parser p;
        Rec recs[MAX_RECS];
        int n;

        NMEA_Init(&p, 0);
        n = feed(&p, cut, k, recs, MAX_RECS);
        assert_int_equal(n, 0);
        n = feed(&p, UBX_ZDA, strlen(UBX_ZDA), recs, MAX_RECS);
        if (k == 0) {
            assert_int_equal(n, 1);
        } else {
            assert_int_equal(n, 2);
            assert_int_equal(recs[0].r, NMEA_PARTIAL);
        }
        assert_int_equal(recs[n - 1].r, NMEA_SAMPLE);
        assert_int_equal(recs[n - 1].t.seconds, 1032164830);
        assert_int_equal(total(&p), (uint64_t)n);
    }
}

static void test_overlong(void **state)
{
    NMEA_Parser p;
    char body[128], line[512];
    Rec recs[MAX_RECS];
    const char *s;
    int n;

    (void)state;
    NMEA_Init(&p, 0);
    /* Exactly 80 characters from '$' to the last checksum digit (82 with
       CR LF): accepted. The GGA body is padded in its age field. */
    strcpy(body, "GPGGA,092725.00,4717.11399,N,00833.91590,E,1,08,1.01,499.6,M,48.0,M,,");
    while (strlen(body) < 80 - 4)
        strcat(body, "0");
    s = sentence(body);
    assert_int_equal(strlen(s), 82);
    expect_result(&p, s, NMEA_NO_DATE);
    /* One more: overlong, counted once, whatever follows on that line. */
    strcat(body, "0");
    s = sentence(body);
    assert_int_equal(strlen(s), 83);
    expect_result(&p, s, NMEA_OVERLONG);
    snprintf(line, sizeof(line), "$GPRMC,%0300d*00\r\n", 0);
    expect_result(&p, line, NMEA_OVERLONG);
    /* An overlong line followed directly by a sentence (its CR LF lost). */
    snprintf(line, sizeof(line), "$GPTXT,%0120d%s", 7, UBX_RMC);
    n = feed(&p, line, strlen(line), recs, MAX_RECS);
    assert_int_equal(n, 2);
    assert_int_equal(recs[0].r, NMEA_OVERLONG);
    assert_int_equal(recs[1].r, NMEA_SAMPLE);
    assert_int_equal(recs[1].t.seconds, 1039422959);
    assert_int_equal(p.count[NMEA_OVERLONG], 3);
    assert_int_equal(total(&p), 5);
}

static void test_midnight_and_year(void **state)
{
    NMEA_Parser p;

    (void)state;
    NMEA_Init(&p, 0);
    /* RMC, then GGA and GLL across midnight into a new year and century. */
    expect_sample(&p, sentence("GPRMC,235959.00,A,4717.1,N,00833.9,E,0.0,0.0,311299,,,A"), NMEA_RMC,
                  946684799, 0);
    expect_sample(&p, sentence("GPGGA,000000.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,"), NMEA_GGA,
                  946684800, 0);
    expect_sample(&p, sentence("GPGLL,4717.1,N,00833.9,E,000001.00,A,A"), NMEA_GLL, 946684801, 0);
    /* The new day's RMC for a second GLL already gave. */
    expect_result(&p, sentence("GPRMC,000001.00,A,4717.1,N,00833.9,E,0.0,0.0,010100,,,A"),
                  NMEA_SAME_SECOND);

    /* SiRF order: each second's GGA comes before its RMC; at midnight the
       GGA still carries the old day's date until RMC arrives. */
    NMEA_Init(&p, NMEA_GGA);
    expect_result(&p, sentence("GPGGA,235958.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,"),
                  NMEA_NO_DATE);
    expect_result(&p, sentence("GPRMC,235958.00,A,4717.1,N,00833.9,E,0.0,0.0,300624,,,A"),
                  NMEA_NOT_SELECTED);
    expect_sample(&p, sentence("GPGGA,235959.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,"), NMEA_GGA,
                  1719791999, 0);
    expect_result(&p, sentence("GPRMC,235959.00,A,4717.1,N,00833.9,E,0.0,0.0,300624,,,A"),
                  NMEA_NOT_SELECTED);
    expect_sample(&p, sentence("GPGGA,000000.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,"), NMEA_GGA,
                  1719792000, 0);
    expect_result(&p, sentence("GPRMC,000000.00,A,4717.1,N,00833.9,E,0.0,0.0,010724,,,A"),
                  NMEA_NOT_SELECTED);
    expect_sample(&p, sentence("GPGGA,000001.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,"), NMEA_GGA,
                  1719792001, 0);

    /* A date an hour or more away does not date GGA. */
    NMEA_Init(&p, 0);
    expect_sample(&p, sentence("GPRMC,100000.00,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_RMC,
                  1039428000, 0);
    expect_result(&p, sentence("GPGGA,110001.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,"),
                  NMEA_NO_DATE);
    expect_sample(&p, sentence("GPGGA,110000.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,"), NMEA_GGA,
                  1039431600, 0);

    /* Two-digit years: 80..99 are 19yy, 00..79 20yy; leap days. */
    expect_sample(&p, sentence("GPRMC,000000,A,4717.1,N,00833.9,E,0.0,0.0,010180,,,A"), NMEA_RMC,
                  315532800, 0);
    expect_sample(&p, sentence("GPRMC,000000,A,4717.1,N,00833.9,E,0.0,0.0,311279,,,A"), NMEA_RMC,
                  3471206400, 0);
    expect_sample(&p, sentence("GPRMC,120000,A,4717.1,N,00833.9,E,0.0,0.0,290224,,,A"), NMEA_RMC,
                  1709208000, 0);
    expect_sample(&p, sentence("GPZDA,120000,29,02,2000,00,00"), NMEA_ZDA, 951825600, 0);
    expect_result(&p, sentence("GPZDA,120000,29,02,2100,00,00"), NMEA_GARBAGE);
}

static void test_leap_second(void **state)
{
    NMEA_Parser p;
    NMEA_Time t;

    (void)state;
    NMEA_Init(&p, 0);
    expect_sample(&p, sentence("GPRMC,235959.00,A,4717.1,N,00833.9,E,0.0,0.0,311216,,,A"), NMEA_RMC,
                  1483228799, 0);
    assert_int_equal(one(&p, sentence("GPRMC,235960.00,A,4717.1,N,00833.9,E,0.0,0.0,311216,,,A"), &t),
                     NMEA_LEAP_SECOND);
    assert_int_equal(t.seconds, 1483228799);
    assert_int_equal(one(&p, sentence("GPGGA,235960.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,"), &t),
                     NMEA_LEAP_SECOND);
    expect_sample(&p, sentence("GPGGA,000000.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,"), NMEA_GGA,
                  1483228800, 0);
    assert_int_equal(p.count[NMEA_LEAP_SECOND], 2);
}

static void test_invalid_fix(void **state)
{
    NMEA_Parser p;
    NMEA_Time t;

    (void)state;
    NMEA_Init(&p, 0);
    assert_int_equal(one(&p, UBX_NOFIX_RMC, &t), NMEA_INVALID_FIX);
    assert_int_equal(t.sentence, NMEA_RMC);
    assert_int_equal(t.valid, 0);
    assert_int_equal(t.has_time, 0);
    /* Status V; status A with mode N; empty status. */
    expect_result(&p, sentence("GPRMC,083559.00,V,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_INVALID_FIX);
    expect_result(&p, sentence("GPRMC,083559.00,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,N"), NMEA_INVALID_FIX);
    expect_result(&p, sentence("GPRMC,083559.00,,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_INVALID_FIX);
    /* GGA quality 0 or empty. */
    expect_result(&p, sentence("GPGGA,092725.00,4717.1,N,00833.9,E,0,00,99.9,,,,,,"), NMEA_INVALID_FIX);
    expect_result(&p, sentence("GPGGA,,,,,,,00,99.99,,,,,,"), NMEA_INVALID_FIX);
    /* GLL status V, or A with mode N. */
    expect_result(&p, sentence("GPGLL,,,,,092321.00,V,N"), NMEA_INVALID_FIX);
    expect_result(&p, sentence("GPGLL,4717.1,N,00833.9,E,092321.00,A,N"), NMEA_INVALID_FIX);
    /* ZDA with empty fields. */
    expect_result(&p, sentence("GPZDA,,,,,00,00"), NMEA_INVALID_FIX);
    expect_result(&p, sentence("GPZDA,082710.00,,,,00,00"), NMEA_INVALID_FIX);
    assert_int_equal(p.count[NMEA_INVALID_FIX], 10);
    /* An invalid RMC's date does not date GGA. */
    expect_result(&p, sentence("GPRMC,092724.00,V,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_INVALID_FIX);
    expect_result(&p, UBX_GGA, NMEA_NO_DATE);
    /* Other NMEA 2.3 modes with status A are valid (D: differential). */
    expect_sample(&p, sentence("GPRMC,092724.00,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,D"), NMEA_RMC,
                  1039426044, 0);
    expect_sample(&p, sentence("GPGGA,092725.00,4717.1,N,00833.9,E,2,08,1.0,499.6,M,48.0,M,,"), NMEA_GGA,
                  1039426045, 0);
    expect_sample(&p, sentence("GPGGA,092726.00,4717.1,N,00833.9,E,6,08,1.0,499.6,M,48.0,M,,"), NMEA_GGA,
                  1039426046, 0);
    assert_int_equal(p.count[NMEA_SAMPLE], 3);
}

static void test_mode_selection(void **state)
{
    NMEA_Parser p;
    NMEA_Time t;

    (void)state;
    /* RMC only. */
    NMEA_Init(&p, NMEA_RMC);
    expect_result(&p, UBX_ZDA, NMEA_NOT_SELECTED);
    expect_result(&p, CLASSIC_GGA, NMEA_NOT_SELECTED);
    expect_result(&p, CLASSIC_GLL, NMEA_NOT_SELECTED);
    expect_sample(&p, UBX_RMC, NMEA_RMC, 1039422959, 0);
    assert_int_equal(p.count[NMEA_NOT_SELECTED], 3);

    /* ZDA only: the time of an unselected RMC is still reported. */
    NMEA_Init(&p, NMEA_ZDA);
    assert_int_equal(one(&p, UBX_RMC, &t), NMEA_NOT_SELECTED);
    assert_int_equal(t.has_time, 1);
    assert_int_equal(t.seconds, 1039422959);
    expect_sample(&p, UBX_ZDA, NMEA_ZDA, 1032164830, 0);

    /* GLL | GGA, dated by the unselected RMC. */
    NMEA_Init(&p, NMEA_GLL | NMEA_GGA);
    expect_result(&p, sentence("GPRMC,092300.00,A,4717.1,N,00833.9,E,0.0,0.0,091202,,,A"), NMEA_NOT_SELECTED);
    expect_sample(&p, UBX_GLL, NMEA_GLL, 1039425801, 0);
    expect_sample(&p, UBX_GGA, NMEA_GGA, 1039426045, 0);
    expect_result(&p, UBX_ZDA, NMEA_NOT_SELECTED);

    /* Mode bits above the sentence bits (ntpd's speed bits) are ignored. */
    NMEA_Init(&p, 0x10 | NMEA_RMC);
    assert_int_equal(p.mode, NMEA_RMC);
    NMEA_Init(&p, 0x10);
    expect_sample(&p, UBX_ZDA, NMEA_ZDA, 1032164830, 0);
}

static void test_one_sample_per_second(void **state)
{
    NMEA_Parser p;

    (void)state;
    NMEA_Init(&p, 0);
    /* u-blox order: RMC, GGA, GLL, ZDA of the same second. */
    expect_sample(&p, sentence("GNRMC,120000.00,A,4717.1,N,00833.9,E,0.0,0.0,290224,,,A"), NMEA_RMC,
                  1709208000, 0);
    expect_result(&p, sentence("GNGGA,120000.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,"),
                  NMEA_SAME_SECOND);
    expect_result(&p, sentence("GNGLL,4717.1,N,00833.9,E,120000.00,A,A"), NMEA_SAME_SECOND);
    expect_result(&p, sentence("GNZDA,120000.00,29,02,2024,00,00"), NMEA_SAME_SECOND);
    /* A 10 Hz receiver: the first sentence of each second. */
    expect_sample(&p, sentence("GNZDA,120001.00,29,02,2024,00,00"), NMEA_ZDA, 1709208001, 0);
    expect_result(&p, sentence("GNZDA,120001.10,29,02,2024,00,00"), NMEA_SAME_SECOND);
    expect_result(&p, sentence("GNZDA,120001.90,29,02,2024,00,00"), NMEA_SAME_SECOND);
    expect_sample(&p, sentence("GNZDA,120002.00,29,02,2024,00,00"), NMEA_ZDA, 1709208002, 0);
    assert_int_equal(p.count[NMEA_SAMPLE], 3);
    assert_int_equal(p.count[NMEA_SAME_SECOND], 5);
    /* After a reset (the device reopened) the same second is a sample
       again; the counters stay. */
    NMEA_Reset(&p);
    /* Reset forgets the date, */
    expect_result(&p, sentence("GNGGA,120002.00,4717.1,N,00833.9,E,1,08,1.0,499.6,M,48.0,M,,"),
                  NMEA_NO_DATE);
    /* and the second. */
    expect_sample(&p, sentence("GNZDA,120002.00,29,02,2024,00,00"), NMEA_ZDA, 1709208002, 0);
    assert_int_equal(p.count[NMEA_SAMPLE], 4);
    assert_int_equal(p.count[NMEA_SAME_SECOND], 5);
}

static void test_reset_drops_partial_line(void **state)
{
    NMEA_Parser p;
    Rec recs[MAX_RECS];

    (void)state;
    NMEA_Init(&p, 0);
    assert_int_equal(feed(&p, UBX_RMC, 30, recs, MAX_RECS), 0);
    NMEA_Reset(&p);
    /* The rest of the old line is noise now, not a sentence. */
    assert_int_equal(feed(&p, UBX_RMC + 30, strlen(UBX_RMC) - 30, recs, MAX_RECS), 1);
    assert_int_equal(recs[0].r, NMEA_GARBAGE);
    expect_sample(&p, UBX_ZDA, NMEA_ZDA, 1032164830, 0);
}

static void test_counters_line(void **state)
{
    NMEA_Parser p;
    char buf[512];

    (void)state;
    NMEA_Init(&p, 0);
    expect_sample(&p, UBX_RMC, NMEA_RMC, 1039422959, 0);
    expect_result(&p, UBX_NOFIX_RMC, NMEA_INVALID_FIX);
    expect_result(&p, "$GPRMC*00\r\n", NMEA_BAD_CHECKSUM);
    expect_result(&p, "junk\r\n", NMEA_GARBAGE);
    NMEA_FormatCounters(&p, buf, sizeof(buf));
    assert_string_equal(buf, "sample 1 same-second 0 not-selected 0 invalid-fix 1 no-date 0 "
                             "leap-second 0 other 0 bad-checksum 1 garbage 1 overlong 0 partial 0");
    /* Truncated to the buffer, always terminated. */
    NMEA_FormatCounters(&p, buf, 10);
    assert_string_equal(buf, "sample 1 ");
    assert_string_equal(NMEA_ResultName(NMEA_PARTIAL), "partial");
    assert_string_equal(NMEA_SentenceName(NMEA_GLL), "GLL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_rmc_zda),
        cmocka_unit_test(test_published_gga_gll_need_a_date),
        cmocka_unit_test(test_talkers),
        cmocka_unit_test(test_fractions),
        cmocka_unit_test(test_checksums),
        cmocka_unit_test(test_single_octet_changes_never_sample),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_random_noise),
        cmocka_unit_test(test_every_split_point),
        cmocka_unit_test(test_cut_anywhere),
        cmocka_unit_test(test_overlong),
        cmocka_unit_test(test_midnight_and_year),
        cmocka_unit_test(test_leap_second),
        cmocka_unit_test(test_invalid_fix),
        cmocka_unit_test(test_mode_selection),
        cmocka_unit_test(test_one_sample_per_second),
        cmocka_unit_test(test_reset_drops_partial_line),
        cmocka_unit_test(test_counters_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
