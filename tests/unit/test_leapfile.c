/*
 * Unit tests for leapfile: a synthetic leap-seconds.list with a correct
 * SHA-1 (#h) line, what edits keep or break the hash, every load error with
 * its exact "file:line:" prefix, the queries (TAI-UTC, next leap, expiry)
 * and the announcement/kernel-arming windows, times past the 2036 NTP era
 * rollover, and — when tzdata installed it — the real
 * /usr/share/zoneinfo/leap-seconds.list (loaded in place, never copied into
 * the repository).
 *
 * The expected hashes were computed independently of leapfile.c, in Python,
 * by the rule the file headers and ntpd describe (SHA-1 of the digits of the
 * #$ line, the #@ line and the data lines, in file order):
 *
 *   python3 -c 'import hashlib,sys; s="".join(sys.argv[1:]);
 *               h=hashlib.sha1(s.encode()).hexdigest();
 *               print(" ".join(h[i:i+8] for i in range(0,40,8)))' \
 *       3976214400 4054752000 227206080010 228778560011 230368320012 \
 *       369221760013 402338880012 403928640013
 *   -> 3755c14a 413934e0 48d4e4f1 9fc729d8 a2a22b72            (SYNTH_A)
 *   same with 3158352000 4102444800 227206080010 228778560011
 *   -> 58fc4cf9 90348bb4 54eb9c98 0029a50c 8658a5fe            (SYNTH_B)
 *   same with 4291747200 4338748800 369221760037 432336960038
 *   -> 45e67d57 cd1bd22a 8398b01c 67f8bdd8 e563f650            (SYNTH_C)
 *
 * Links: leapfile mem log textfile
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leapfile.h"

#define NAME "t.list"
#ifndef REAL_FILE
#define REAL_FILE "/usr/share/zoneinfo/leap-seconds.list"
#endif

#define DAY 86400u

/* NTP seconds of the dates the tests use (python3 datetime, see above). */
#define NTP_1972_01_01 2272060800u
#define NTP_1972_01_02 2272147200u
#define NTP_1972_07_01 2287785600u
#define NTP_1973_01_01 2303683200u
#define NTP_2016_12_31 3692131200u
#define NTP_2017_01_01 3692217600u
#define NTP_2017_07_01 3707856000u
#define NTP_2027_02_01 4010428800u
#define NTP_2027_03_01 4012848000u
#define NTP_2027_07_01 4023388800u
#define NTP_2028_01_01 4039286400u
#define NTP_2036_01_01 4291747200ull
#define NTP_2037_01_01 4323369600ull

/* An invented table: four insertions, one deletion (2027-07-01), another
   insertion. Line numbers matter for the error tests below. */
static const char SYNTH_A[] =
    "#\tSynthetic leap-seconds.list for cntpd's unit tests: invented values.\n" /* 1 */
    "#\n"                                                                       /* 2 */
    "#$\t3976214400\n"                                                          /* 3 */
    "#\n"                                                                       /* 4 */
    "#@\t4054752000\n"                                                          /* 5 */
    "#\n"                                                                       /* 6 */
    "#NTP Time\tDTAI\tDay Month Year\n"                                         /* 7 */
    "#\n"                                                                       /* 8 */
    "2272060800\t10\t# 1 Jan 1972\n"                                            /* 9 */
    "2287785600\t11\t# 1 Jul 1972\n"                                            /* 10 */
    "2303683200\t12\t# 1 Jan 1973\n"                                            /* 11 */
    "3692217600\t13\t# 1 Jan 2017\n"                                            /* 12 */
    "4023388800\t12\t# 1 Jul 2027 (a deleted second)\n"                         /* 13 */
    "4039286400\t13\t# 1 Jan 2028\n"                                            /* 14 */
    "#\n"                                                                       /* 15 */
    "#h\t3755c14a 413934e0 48d4e4f1 9fc729d8 a2a22b72\n";                       /* 16 */

#define SYNTH_A_UPDATED 3976214400u
#define SYNTH_A_EXPIRES 4054752000u

/* Fourth hash word 0029a50c, written without leading zeros as NIST did. */
#define SYNTH_B_DATA "#$ 3158352000\n#@ 4102444800\n2272060800 10\n2287785600 11\n"
static const char SYNTH_B[] = SYNTH_B_DATA "#h 58fc4cf9 90348bb4 54eb9c98 29a50c 8658a5fe\n";

/* Past the NTP era 0 rollover (2036-02-07): a leap and an expiry > 2^32. */
static const char SYNTH_C[] = "#$ 4291747200\n"
                              "#@ 4338748800\n"
                              "3692217600 37\n"
                              "4323369600 38\n"
                              "#h 45e67d57 cd1bd22a 8398b01c 67f8bdd8 e563f650\n";

/* Header for error snippets: #$ on line 1, #@ on line 2, entries from 3. */
#define HDR "#$ 3976214400\n#@ 4054752000\n"

static char errbuf[1024];

/* ------------------------------------------------------------------------
 * Helpers
 */

static int is_zeroed(const LEAP_Table *t)
{
    static const LEAP_Table zero;

    return memcmp(t, &zero, sizeof(zero)) == 0;
}

/* Load `text` that must be accepted. The caller frees `t`. */
static void load_ok(const char *text, LEAP_Table *t)
{
    strcpy(errbuf, "stale");
    if (LEAP_LoadString(text, NAME, t, errbuf, sizeof(errbuf)) != 0)
        fail_msg("unexpected error for \"%s\": %s", text, errbuf);
    assert_string_equal(errbuf, "");
    assert_true(t->n > 0);
}

/* Load `text` that must fail with exactly `msg` and leave `t` zeroed. */
static void load_err(const char *text, const char *msg)
{
    LEAP_Table t;

    memset(&t, 0xa5, sizeof(t));
    errbuf[0] = '\0';
    if (LEAP_LoadString(text, NAME, &t, errbuf, sizeof(errbuf)) != -1)
        fail_msg("no error for \"%s\" (expected \"%s\")", text, msg);
    if (strcmp(errbuf, msg) != 0)
        fail_msg("for \"%s\":\n  got      \"%s\"\n  expected \"%s\"", text, errbuf, msg);
    assert_true(is_zeroed(&t));
    LEAP_Free(&t);
}

/* `text` with the first occurrence of `from` replaced by `to`, in a static
   buffer (built aside first, so edit(edit(...)) works). */
static const char *edit(const char *text, const char *from, const char *to)
{
    static char out[4096];
    char tmp[sizeof(out)];
    const char *at = strstr(text, from);
    size_t head;

    assert_non_null(at);
    head = (size_t)(at - text);
    assert_true(strlen(text) - strlen(from) + strlen(to) < sizeof(tmp));
    memcpy(tmp, text, head);
    strcpy(tmp + head, to);
    strcat(tmp, at + strlen(from));
    strcpy(out, tmp);
    return out;
}

/* `text` with every "\n" turned into "\r\n" and every tab into two spaces
   (static): whitespace only, so the hash must still match. */
static const char *reformat(const char *text)
{
    static char out[8192];
    size_t o = 0;

    for (; *text; text++) {
        assert_true(o + 3 < sizeof(out));
        if (*text == '\n') {
            out[o++] = ' ';     /* trailing blank too */
            out[o++] = '\r';
            out[o++] = '\n';
        } else if (*text == '\t') {
            out[o++] = ' ';
            out[o++] = ' ';
        } else {
            out[o++] = *text;
        }
    }
    out[o] = '\0';
    return out;
}

static const char *temp_file(const char *data, size_t len)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof(path), "/tmp/test_leapfile.XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

/* ------------------------------------------------------------------------
 * Loading good files
 */

static void test_synthetic_ok(void **state)
{
    LEAP_Table t;

    (void)state;
    load_ok(SYNTH_A, &t);
    assert_int_equal(t.n, 6);
    assert_int_equal(t.hash_ok, 1);
    assert_int_equal(t.updated, SYNTH_A_UPDATED);
    assert_int_equal(t.expires, SYNTH_A_EXPIRES);
    assert_int_equal(t.entries[0].ntp_seconds, NTP_1972_01_01);
    assert_int_equal(t.entries[0].tai_utc, 10);
    assert_int_equal(t.entries[3].ntp_seconds, NTP_2017_01_01);
    assert_int_equal(t.entries[3].tai_utc, 13);
    assert_int_equal(t.entries[4].ntp_seconds, NTP_2027_07_01);
    assert_int_equal(t.entries[4].tai_utc, 12);
    assert_int_equal(t.entries[5].ntp_seconds, NTP_2028_01_01);
    assert_int_equal(t.entries[5].tai_utc, 13);
    LEAP_Free(&t);
    assert_true(is_zeroed(&t));
}

/* Whitespace, comments and line endings are outside the hash. */
static void test_hash_ignores_layout(void **state)
{
    LEAP_Table t;

    (void)state;
    load_ok(reformat(SYNTH_A), &t);
    assert_int_equal(t.hash_ok, 1);
    assert_int_equal(t.n, 6);
    LEAP_Free(&t);

    /* Digits in comments are not hashed either. */
    load_ok(edit(SYNTH_A, "# 1 Jan 2017", "# 2 Feb 2018 99"), &t);
    assert_int_equal(t.hash_ok, 1);
    LEAP_Free(&t);

    /* Nor in plain comment lines, nor are blank lines or leading blanks. */
    load_ok(edit(SYNTH_A, "#\n2272060800", "# 12345\n\n   \n  2272060800"), &t);
    assert_int_equal(t.hash_ok, 1);
    LEAP_Free(&t);

    /* A comment after the #@ value is outside the hash too. */
    load_ok(edit(SYNTH_A, "4054752000\n", "4054752000  # 28 June 2028 (1)\n"), &t);
    assert_int_equal(t.hash_ok, 1);
    LEAP_Free(&t);

    /* The #h line may sit anywhere, e.g. first (it is itself not hashed). */
    load_ok(edit(edit(SYNTH_A, "#h\t3755c14a 413934e0 48d4e4f1 9fc729d8 a2a22b72\n", ""),
                 "#\tSynthetic", "#h 3755c14a 413934e0 48d4e4f1 9fc729d8 a2a22b72\n#\tSynthetic"),
            &t);
    assert_int_equal(t.hash_ok, 1);
    LEAP_Free(&t);

    /* No final newline. */
    load_ok("#@ 4054752000\n2272060800 10", &t);
    assert_int_equal(t.n, 1);
    LEAP_Free(&t);
}

/* NIST wrote each 32-bit word without leading zeros: parse numbers. */
static void test_hash_word_formats(void **state)
{
    LEAP_Table t;

    (void)state;
    load_ok(SYNTH_B, &t);
    assert_int_equal(t.hash_ok, 1);
    assert_int_equal(t.n, 2);
    LEAP_Free(&t);

    load_ok(edit(SYNTH_B, " 29a50c ", " 0029a50c "), &t);
    assert_int_equal(t.hash_ok, 1);
    LEAP_Free(&t);

    load_ok(edit(SYNTH_B, "58fc4cf9 90348bb4", "58FC4CF9\t90348Bb4"), &t);
    assert_int_equal(t.hash_ok, 1);
    LEAP_Free(&t);

    /* The word with its zeros at the wrong end is another number. */
    load_err(edit(SYNTH_B, " 29a50c ", " 29a50c00 "),
             NAME ":5: hash mismatch (file corrupt or edited)");
}

/* ntpd accepts a file without #h (and logs "no hash signature"). */
static void test_no_hash_line(void **state)
{
    LEAP_Table t;

    (void)state;
    load_ok(SYNTH_B_DATA, &t);
    assert_int_equal(t.hash_ok, 0);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.updated, 3158352000u);
    assert_int_equal(t.expires, 4102444800u);
    LEAP_Free(&t);

    /* #$ is optional: updated stays 0. */
    load_ok("#@ 4054752000\n2272060800 10\n", &t);
    assert_int_equal(t.updated, 0);
    assert_int_equal(t.hash_ok, 0);
    LEAP_Free(&t);

    /* "#hello" is a comment, not a hash line. */
    load_ok("#hello\n#@ 4054752000\n2272060800 10\n", &t);
    assert_int_equal(t.hash_ok, 0);
    LEAP_Free(&t);

    /* Signs on TAI-UTC are allowed (and not hashed). */
    load_ok("#@ 4054752000\n2272060800 +1\n2287785600 0\n2303683200 -1\n", &t);
    assert_int_equal(t.entries[0].tai_utc, 1);
    assert_int_equal(t.entries[2].tai_utc, -1);
    LEAP_Free(&t);
}

static void test_hash_mismatch(void **state)
{
    static const char msg[] = NAME ":16: hash mismatch (file corrupt or edited)";

    (void)state;
    /* Expiry pushed by one second. */
    load_err(edit(SYNTH_A, "4054752000", "4054752001"), msg);
    /* Last update changed. */
    load_err(edit(SYNTH_A, "3976214400", "3976214401"), msg);
    /* A leap moved by six months (still a valid table). */
    load_err(edit(SYNTH_A, "3692217600", "3707856000"), msg);
    /* A line dropped. */
    load_err(edit(SYNTH_A, "4039286400\t13\t# 1 Jan 2028\n", ""),
             NAME ":15: hash mismatch (file corrupt or edited)");
    /* An edit that breaks the structure is reported as that, not as a
       hash mismatch. */
    load_err(edit(SYNTH_A, "2303683200\t12", "2303683201\t2"),
             NAME ":11: date 2303683201 is not 00:00:00 UTC on the 1st of a month");
    /* One bit of the hash itself. */
    load_err(edit(SYNTH_A, "a2a22b72", "a2a22b73"), msg);
}

/* ------------------------------------------------------------------------
 * Errors
 */

static void test_malformed_data_lines(void **state)
{
    static const char msg[] =
        NAME ":3: malformed line: expected 'NTP-SECONDS TAI-UTC [# comment]'";

    (void)state;
    load_err(HDR "2272060800\n", msg);
    load_err(HDR "2272060800   \n", msg);
    load_err(HDR "2272060800 # 10\n", msg);
    load_err(HDR "2272060800 10 x\n", msg);
    load_err(HDR "2272060800 10 11\n", msg);
    load_err(HDR "2272060800x 10\n", msg);
    load_err(HDR "2272060800 ten\n", msg);
    load_err(HDR "2272060800 10x\n", msg);
    load_err(HDR "2272060800 -\n", msg);
    load_err(HDR "2272060800 1.5\n", msg);
    load_err(HDR "abc 10\n", msg);
    load_err(HDR "-2272060800 10\n", msg);
    load_err(HDR "0x2272060800 10\n", msg);
    load_err(HDR "$ 2272060800 10\n", msg);
    load_err(HDR "99999999999999999999999 10\n", NAME ":3: NTP seconds out of range");
    load_err(HDR "2272060800 32768\n", NAME ":3: TAI-UTC out of range (at most 32767)");
    load_err(HDR "2272060800 -99999999999999999999\n",
             NAME ":3: TAI-UTC out of range (at most 32767)");
}

static void test_malformed_special_lines(void **state)
{
    (void)state;
    load_err("#@ abc\n", NAME ":1: malformed #@ line: expected '#@ NTP-SECONDS'");
    load_err("#@\n", NAME ":1: malformed #@ line: expected '#@ NTP-SECONDS'");
    load_err("#@ 4054752000 x\n", NAME ":1: malformed #@ line: expected '#@ NTP-SECONDS'");
    load_err("#@ -4054752000\n", NAME ":1: malformed #@ line: expected '#@ NTP-SECONDS'");
    load_err("#@ 99999999999999999999999\n", NAME ":1: NTP seconds out of range");
    load_err("#\n#$ 12x\n", NAME ":2: malformed #$ line: expected '#$ NTP-SECONDS'");
    load_err("#$\n", NAME ":1: malformed #$ line: expected '#$ NTP-SECONDS'");
    load_err(HDR "#@ 4054752000\n", NAME ":3: duplicate #@ line (first on line 2)");
    load_err(HDR "2272060800 10\n#$ 3976214400\n", NAME ":4: duplicate #$ line (first on line 1)");
}

static void test_malformed_hash_lines(void **state)
{
    static const char msg[] = NAME ":4: malformed #h line: expected 5 hex words (SHA-1)";

    (void)state;
    load_err(HDR "2272060800 10\n#h\n", msg);
    load_err(HDR "2272060800 10\n#h 1 2 3 4\n", msg);
    load_err(HDR "2272060800 10\n#h 1 2 3 4 5 6\n", msg);
    load_err(HDR "2272060800 10\n#h 1 2 3 4 zz\n", msg);
    load_err(HDR "2272060800 10\n#h 1 2 3 4 123456789\n", msg);
    load_err(HDR "2272060800 10\n#h 0x1 2 3 4 5\n", msg);
    load_err(HDR "2272060800 10\n#h 1 2 3 4 5 # comment\n", msg);
    load_err(HDR "2272060800 10\n#h 1,2,3,4,5\n", msg);
    load_err(HDR "2272060800 10\n#h 1 2 3 4 5\n#h 1 2 3 4 5\n",
             NAME ":5: duplicate #h line (first on line 4)");
}

static void test_bad_dates(void **state)
{
    (void)state;
    load_err(HDR "2272060801 10\n",
             NAME ":3: date 2272060801 is not 00:00:00 UTC on the 1st of a month");
    load_err(HDR "2272147200 10\n",
             NAME ":3: date 2272147200 is not 00:00:00 UTC on the 1st of a month");
    load_err(HDR "2272060800 10\n2272060800 11\n",
             NAME ":4: date 2272060800 is not after 2272060800 (line 3)");
    load_err(HDR "2287785600 10\n# between\n2272060800 11\n",
             NAME ":5: date 2272060800 is not after 2287785600 (line 3)");
}

static void test_bad_steps(void **state)
{
    (void)state;
    load_err(HDR "2272060800 10\n2287785600 12\n",
             NAME ":4: TAI-UTC goes from 10 to 12: must change by exactly 1");
    load_err(HDR "2272060800 10\n2287785600 10\n",
             NAME ":4: TAI-UTC goes from 10 to 10: must change by exactly 1");
    load_err(HDR "2272060800 10\n2287785600 8\n",
             NAME ":4: TAI-UTC goes from 10 to 8: must change by exactly 1");
}

static void test_file_level_errors(void **state)
{
    (void)state;
    load_err("", NAME ":1: missing #@ expiration line");
    load_err("#$ 3976214400\n2272060800 10\n# end\n", NAME ":3: missing #@ expiration line");
    load_err(HDR, NAME ":2: no leap second entries");
    load_err(HDR "# nothing\n\n", NAME ":4: no leap second entries");
    load_err("#$ 4054752000\n#@ 3976214400\n2272060800 10\n",
             NAME ":2: expiration 3976214400 is not after the last update 4054752000 (line 1)");
    load_err("#$ 4054752000\n#@ 4054752000\n2272060800 10\n",
             NAME ":2: expiration 4054752000 is not after the last update 4054752000 (line 1)");
    /* A line error wins over later file-level problems. */
    load_err("2272060800 x\n",
             NAME ":1: malformed line: expected 'NTP-SECONDS TAI-UTC [# comment]'");
}

static void test_error_buffer(void **state)
{
    LEAP_Table t;
    char small[8];

    (void)state;
    /* Truncated, never overrun, always terminated. */
    memset(small, 'x', sizeof(small));
    assert_int_equal(LEAP_LoadString("2272060800 x\n", NAME, &t, small, sizeof(small)), -1);
    assert_string_equal(small, "t.list:");
    assert_int_equal(LEAP_LoadString("2272060800 x\n", NAME, &t, NULL, 0), -1);
    assert_true(is_zeroed(&t));

    /* No name: "-". */
    assert_int_equal(LEAP_LoadString("", NULL, &t, errbuf, sizeof(errbuf)), -1);
    assert_string_equal(errbuf, "-:1: missing #@ expiration line");

    /* Free: zeroed, twice, NULL. */
    LEAP_Free(&t);
    LEAP_Free(&t);
    LEAP_Free(NULL);
}

static void test_files(void **state)
{
    LEAP_Table t;
    const char *path;
    char expect[512];
    char *big;
    size_t big_len = 1024 * 1024 + 1;

    (void)state;
    path = temp_file(SYNTH_A, sizeof(SYNTH_A) - 1);
    strcpy(errbuf, "stale");
    assert_int_equal(LEAP_LoadFile(path, &t, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(errbuf, "");
    assert_int_equal(t.n, 6);
    assert_int_equal(t.hash_ok, 1);
    LEAP_Free(&t);
    unlink(path);

    /* Errors name the path. */
    path = temp_file(SYNTH_A, sizeof(SYNTH_A) - 3);     /* last hex digit and newline cut */
    assert_int_equal(LEAP_LoadFile(path, &t, errbuf, sizeof(errbuf)), -1);
    snprintf(expect, sizeof(expect), "%s:16: hash mismatch (file corrupt or edited)", path);
    assert_string_equal(errbuf, expect);
    assert_true(is_zeroed(&t));
    unlink(path);

    /* A NUL byte is reported, not taken for the end of the file. */
    static const char nul[] = HDR "2272060800 10\n# a\000b\n";
    path = temp_file(nul, sizeof(nul) - 1);
    assert_int_equal(LEAP_LoadFile(path, &t, errbuf, sizeof(errbuf)), -1);
    snprintf(expect, sizeof(expect), "%s:4: NUL byte in line", path);
    assert_string_equal(errbuf, expect);
    assert_true(is_zeroed(&t));
    unlink(path);

    /* Missing. */
    assert_int_equal(LEAP_LoadFile("/nonexistent/leap-seconds.list", &t, errbuf,
                                   sizeof(errbuf)), -1);
    assert_string_equal(errbuf,
                        "/nonexistent/leap-seconds.list: cannot read: No such file or directory");
    assert_true(is_zeroed(&t));

    /* Over 1 MiB: refused before parsing. */
    big = malloc(big_len);
    assert_non_null(big);
    memset(big, '\n', big_len);
    memcpy(big, SYNTH_A, sizeof(SYNTH_A) - 1);
    path = temp_file(big, big_len);
    assert_int_equal(LEAP_LoadFile(path, &t, errbuf, sizeof(errbuf)), -1);
    snprintf(expect, sizeof(expect), "%s: too large (over 1048576 bytes)", path);
    assert_string_equal(errbuf, expect);
    assert_true(is_zeroed(&t));
    unlink(path);

    /* Exactly 1 MiB is fine (the reader grows its buffer several times). */
    path = temp_file(big, big_len - 1);
    if (LEAP_LoadFile(path, &t, errbuf, sizeof(errbuf)) != 0)
        fail_msg("%s", errbuf);
    assert_int_equal(t.hash_ok, 1);
    LEAP_Free(&t);
    unlink(path);
    free(big);
}

/* ------------------------------------------------------------------------
 * Queries
 */

static void test_tai_offset(void **state)
{
    LEAP_Table t;

    (void)state;
    load_ok(SYNTH_A, &t);
    assert_int_equal(LEAP_TaiOffset(&t, 0), 0);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_1972_01_01 - 1), 0);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_1972_01_01), 10);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_1972_07_01 - 1), 10);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_1972_07_01), 11);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_2017_01_01 - 1), 12);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_2017_01_01), 13);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_2027_07_01 - 1), 13);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_2027_07_01), 12);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_2028_01_01), 13);
    assert_int_equal(LEAP_TaiOffset(&t, UINT64_MAX), 13);
    LEAP_Free(&t);

    /* Empty (zeroed) table. */
    assert_int_equal(LEAP_TaiOffset(&t, NTP_2017_01_01), 0);
}

static void test_next(void **state)
{
    LEAP_Table t;
    uint64_t when = 0;
    int dir = 0;

    (void)state;
    load_ok(SYNTH_A, &t);

    /* Before the table: the first change, not the table's start. */
    assert_int_equal(LEAP_Next(&t, 0, &when, &dir), 1);
    assert_int_equal(when, NTP_1972_07_01);
    assert_int_equal(dir, 1);
    assert_int_equal(LEAP_Next(&t, NTP_1972_07_01 - 1, &when, &dir), 1);
    assert_int_equal(when, NTP_1972_07_01);

    /* At the date the leap is past. */
    assert_int_equal(LEAP_Next(&t, NTP_1972_07_01, &when, &dir), 1);
    assert_int_equal(when, NTP_1973_01_01);
    assert_int_equal(dir, 1);

    /* A deletion. */
    assert_int_equal(LEAP_Next(&t, NTP_2017_01_01, &when, &dir), 1);
    assert_int_equal(when, NTP_2027_07_01);
    assert_int_equal(dir, -1);
    assert_int_equal(LEAP_Next(&t, NTP_2027_07_01 - 1, &when, &dir), 1);
    assert_int_equal(dir, -1);
    assert_int_equal(LEAP_Next(&t, NTP_2027_07_01, &when, &dir), 1);
    assert_int_equal(when, NTP_2028_01_01);
    assert_int_equal(dir, 1);

    /* None after the last; outputs untouched. */
    when = 7;
    dir = 7;
    assert_int_equal(LEAP_Next(&t, NTP_2028_01_01, &when, &dir), 0);
    assert_int_equal(when, 7);
    assert_int_equal(dir, 7);

    /* Either output may be NULL. */
    assert_int_equal(LEAP_Next(&t, NTP_2017_01_01, NULL, NULL), 1);
    LEAP_Free(&t);

    /* Empty table and a one-entry table know no leap. */
    assert_int_equal(LEAP_Next(&t, 0, &when, &dir), 0);
    load_ok("#@ 4054752000\n2272060800 10\n", &t);
    assert_int_equal(LEAP_Next(&t, 0, &when, &dir), 0);
    LEAP_Free(&t);
}

static void test_expired(void **state)
{
    LEAP_Table t;

    (void)state;
    load_ok(SYNTH_A, &t);
    assert_int_equal(LEAP_Expired(&t, NTP_2017_01_01), 0);
    assert_int_equal(LEAP_Expired(&t, SYNTH_A_EXPIRES - 1), 0);
    assert_int_equal(LEAP_Expired(&t, SYNTH_A_EXPIRES), 1);
    assert_int_equal(LEAP_Expired(&t, UINT64_MAX), 1);
    LEAP_Free(&t);
    assert_int_equal(LEAP_Expired(&t, 0), 1);
}

static void test_announce_window(void **state)
{
    const uint64_t leap = NTP_2017_01_01;
    const uint64_t window = 28ull * DAY;

    (void)state;
    assert_int_equal(LEAP_ShouldAnnounce(leap - window - 1, leap), 0);
    assert_int_equal(LEAP_ShouldAnnounce(leap - window, leap), 1);  /* 2016-12-04 00:00 */
    assert_int_equal(leap - window, 3689798400u);
    assert_int_equal(LEAP_ShouldAnnounce(leap - DAY, leap), 1);
    assert_int_equal(LEAP_ShouldAnnounce(leap - 1, leap), 1);       /* 23:59:59 and :60 */
    assert_int_equal(LEAP_ShouldAnnounce(leap, leap), 0);
    assert_int_equal(LEAP_ShouldAnnounce(leap + 1, leap), 0);

    /* In the shortest month the window starts exactly on the 1st: LI is
       never sent in the month before the one that ends with the leap. */
    assert_int_equal(LEAP_ShouldAnnounce(NTP_2027_02_01 - 1, NTP_2027_03_01), 0);
    assert_int_equal(LEAP_ShouldAnnounce(NTP_2027_02_01, NTP_2027_03_01), 1);

    /* No wrap-around near zero. */
    assert_int_equal(LEAP_ShouldAnnounce(0, 100), 1);
    assert_int_equal(LEAP_ShouldAnnounce(0, 0), 0);
    assert_int_equal(LEAP_ShouldAnnounce(UINT64_MAX, 100), 0);
}

static void test_kernel_arm_day(void **state)
{
    const uint64_t leap = NTP_2017_01_01;

    (void)state;
    assert_int_equal(leap - DAY, NTP_2016_12_31);
    assert_int_equal(LEAP_KernelArmDay(NTP_2016_12_31 - 1, leap), 0);  /* 30 Dec 23:59:59 */
    assert_int_equal(LEAP_KernelArmDay(NTP_2016_12_31, leap), 1);      /* 31 Dec 00:00:00 */
    assert_int_equal(LEAP_KernelArmDay(leap - 1, leap), 1);
    assert_int_equal(LEAP_KernelArmDay(leap, leap), 0);
    assert_int_equal(LEAP_KernelArmDay(leap + DAY, leap), 0);
    assert_int_equal(LEAP_KernelArmDay(0, 10), 1);
    assert_int_equal(LEAP_KernelArmDay(5, 0), 0);
}

/* Times past 2^32 (NTP era 1, from 2036-02-07) are kept whole. */
static void test_past_2036(void **state)
{
    LEAP_Table t;
    uint64_t when = 0;
    int dir = 0;

    (void)state;
    load_ok(SYNTH_C, &t);
    assert_int_equal(t.hash_ok, 1);
    assert_true(t.expires > UINT32_MAX);
    assert_int_equal(t.expires, 4338748800ull);
    assert_int_equal(t.entries[1].ntp_seconds, NTP_2037_01_01);
    assert_int_equal(LEAP_Next(&t, NTP_2036_01_01, &when, &dir), 1);
    assert_int_equal(when, NTP_2037_01_01);
    assert_int_equal(dir, 1);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_2037_01_01 - 1), 37);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_2037_01_01), 38);
    assert_int_equal(LEAP_Expired(&t, NTP_2037_01_01), 0);
    assert_int_equal(LEAP_KernelArmDay(NTP_2037_01_01 - DAY, when), 1);
    LEAP_Free(&t);

    /* 2037-01-01 + 1 s is still rejected as a transition time. */
    load_err("#@ 4338748800\n4323369601 38\n",
             NAME ":2: date 4323369601 is not 00:00:00 UTC on the 1st of a month");
}

/* ------------------------------------------------------------------------
 * The real file (tzdata)
 */

static void test_real_file(void **state)
{
    LEAP_Table t;
    const LEAP_Entry *last;
    uint64_t when = 0;
    size_t i, k2017 = 0;
    int dir = 0;

    (void)state;
    if (access(REAL_FILE, R_OK) != 0) {
        print_message("[ SKIP     ] " REAL_FILE " not installed (Debian package tzdata)\n");
        skip();
    }
    strcpy(errbuf, "stale");
    if (LEAP_LoadFile(REAL_FILE, &t, errbuf, sizeof(errbuf)) != 0)
        fail_msg("%s", errbuf);
    assert_string_equal(errbuf, "");
    assert_int_equal(t.hash_ok, 1);
    assert_true(t.n >= 28);
    assert_int_equal(t.entries[0].ntp_seconds, NTP_1972_01_01);
    assert_int_equal(t.entries[0].tai_utc, 10);
    assert_true(t.updated > 0);
    assert_true(t.expires > t.updated);

    for (i = 0; i < t.n; i++) {
        if (t.entries[i].ntp_seconds == NTP_2017_01_01)
            k2017 = i;
    }
    assert_true(k2017 > 0);
    assert_int_equal(t.entries[k2017].tai_utc, 37);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_2017_01_01 - 1), 36);
    assert_int_equal(LEAP_TaiOffset(&t, NTP_2017_01_01), 37);
    assert_int_equal(LEAP_Next(&t, NTP_2017_01_01 - 1, &when, &dir), 1);
    assert_int_equal(when, NTP_2017_01_01);
    assert_int_equal(dir, 1);

    /* Today's file (tzdata 2025b) ends with 2017. Should IERS announce a
       new leap, the file grows; say so rather than fail obscurely. */
    last = &t.entries[t.n - 1];
    if (k2017 != t.n - 1)
        fail_msg("%s has entries after 2017-01-01 (last: %llu, TAI-UTC %d): a new leap "
                 "second was announced; update this test", REAL_FILE,
                 (unsigned long long)last->ntp_seconds, last->tai_utc);
    assert_int_equal(last->ntp_seconds, NTP_2017_01_01);
    assert_int_equal(last->tai_utc, 37);
    assert_int_equal(LEAP_Next(&t, NTP_2017_01_01, &when, &dir), 0);
    assert_int_equal(LEAP_Next(&t, t.expires, &when, &dir), 0);
    LEAP_Free(&t);
}

/* The real file, with whitespace reformatted, still verifies; with its
   expiry bumped by one second (a typical hand edit) it is refused. Both
   copies live only in /tmp. */
static void test_real_file_edited(void **state)
{
    LEAP_Table t;
    FILE *f;
    char *text, *at, expect[512];
    const char *path, *copy;
    long len;

    (void)state;
    if (access(REAL_FILE, R_OK) != 0) {
        print_message("[ SKIP     ] " REAL_FILE " not installed (Debian package tzdata)\n");
        skip();
    }
    f = fopen(REAL_FILE, "r");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    assert_true(len > 0 && len < 8000);
    rewind(f);
    text = calloc(1, (size_t)len + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    fclose(f);

    copy = reformat(text);
    path = temp_file(copy, strlen(copy));
    assert_int_equal(LEAP_LoadFile(path, &t, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(t.hash_ok, 1);
    LEAP_Free(&t);
    unlink(path);

    /* Last digit of the #@ value + 1 (mod 10). */
    at = strstr(text, "\n#@");
    assert_non_null(at);
    at += 3;
    while (*at == ' ' || *at == '\t')
        at++;
    while (at[1] >= '0' && at[1] <= '9')
        at++;
    assert_true(*at >= '0' && *at <= '9');
    *at = (char)('0' + (*at - '0' + 1) % 10);
    path = temp_file(text, (size_t)len);
    assert_int_equal(LEAP_LoadFile(path, &t, errbuf, sizeof(errbuf)), -1);
    snprintf(expect, sizeof(expect), "%s:", path);
    assert_memory_equal(errbuf, expect, strlen(expect));
    assert_non_null(strstr(errbuf, ": hash mismatch (file corrupt or edited)"));
    assert_true(is_zeroed(&t));
    unlink(path);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthetic_ok),
        cmocka_unit_test(test_hash_ignores_layout),
        cmocka_unit_test(test_hash_word_formats),
        cmocka_unit_test(test_no_hash_line),
        cmocka_unit_test(test_hash_mismatch),
        cmocka_unit_test(test_malformed_data_lines),
        cmocka_unit_test(test_malformed_special_lines),
        cmocka_unit_test(test_malformed_hash_lines),
        cmocka_unit_test(test_bad_dates),
        cmocka_unit_test(test_bad_steps),
        cmocka_unit_test(test_file_level_errors),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_tai_offset),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_announce_window),
        cmocka_unit_test(test_kernel_arm_day),
        cmocka_unit_test(test_past_2036),
        cmocka_unit_test(test_real_file),
        cmocka_unit_test(test_real_file_edited),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
