/*
 * Unit tests for state (the state file of SNMP-created associations), each
 * file test in its own mkdtemp directory: no file, round trip of every
 * field, atomic replacement (no temporary left behind), and corrupt files
 * (truncated, bad header, bad rows, duplicate ids, end count mismatch, NUL
 * byte) refused and moved aside to PATH.corrupt with their contents kept.
 *
 * Links: state
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "state.h"

typedef struct {
    char dir[64];
    char path[128];
} Ctx;

static int setup(void **state)
{
    Ctx *c = calloc(1, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "/tmp/test_state.XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    snprintf(c->path, sizeof c->path, "%s/%s", c->dir, STATE_FILE_NAME);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    Ctx *c = *state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->dir);
    assert_int_equal(system(cmd), 0);
    free(c);
    return 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_missing_file(void **state)
{
    Ctx *c = *state;
    STATE_Row *rows;
    size_t n;
    char err[256];
    assert_int_equal(STATE_Read(c->path, NULL, &rows, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    assert_null(rows);
}

static void test_round_trip(void **state)
{
    Ctx *c = *state;
    STATE_Row in[3] = {
        { .id = 7, .active = 1, .mode = 3, .prefer = 1, .host = "127.0.0.1" },
        { .id = 100, .active = 0, .mode = 1, .local = "192.0.2.1", .host = "ntp.example.org" },
        { .id = 2147483647, .active = 0, .mode = 5, .host = "" },
    };
    STATE_Row *out;
    size_t n;
    char err[256], tmp[160];

    assert_int_equal(STATE_Write(c->path, NULL, in, 3, err, sizeof err), 0);
    snprintf(tmp, sizeof tmp, "%s.tmp", c->path);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(STATE_Read(c->path, NULL, &out, &n, err, sizeof err), 1);
    assert_int_equal(n, 3);
    assert_memory_equal(in, out, sizeof in);
    free(out);

    /* Replaced, not appended. */
    assert_int_equal(STATE_Write(c->path, NULL, in, 1, err, sizeof err), 0);
    assert_int_equal(STATE_Read(c->path, NULL, &out, &n, err, sizeof err), 1);
    assert_int_equal(n, 1);
    free(out);
    assert_int_equal(STATE_Write(c->path, NULL, NULL, 0, err, sizeof err), 0);
    assert_int_equal(STATE_Read(c->path, NULL, &out, &n, err, sizeof err), 1);
    assert_int_equal(n, 0);
    free(out);
}

/* cntpSystem settings (stratum, announced leap) and the prefer order. */
static void test_system_round_trip(void **state)
{
    Ctx *c = *state;
    STATE_System sys = { .local_stratum = 1, .leap = -1, .leap_at = 3999999999ULL }, got;
    STATE_Row in[2] = {
        { .id = 3, .active = 1, .mode = 3, .prefer = 17, .host = "127.0.0.1" },
        { .id = 4, .active = 1, .mode = 3, .prefer = 2, .host = "127.0.0.2" },
    };
    STATE_Row *out;
    size_t n;
    char err[256];

    assert_int_equal(STATE_Write(c->path, &sys, in, 2, err, sizeof err), 0);
    assert_int_equal(STATE_Read(c->path, &got, &out, &n, err, sizeof err), 1);
    assert_int_equal(n, 2);
    assert_memory_equal(in, out, sizeof in);
    assert_int_equal(got.local_stratum, 1);
    assert_int_equal(got.leap, -1);
    assert_true(got.leap_at == 3999999999ULL);
    free(out);

    /* Nothing written: nothing read back. */
    sys = (STATE_System){ .local_stratum = 15 };
    assert_int_equal(STATE_Write(c->path, &sys, NULL, 0, err, sizeof err), 0);
    assert_int_equal(STATE_Read(c->path, &got, &out, &n, err, sizeof err), 1);
    assert_int_equal(got.local_stratum, 15);
    assert_int_equal(got.leap, 0);
    free(out);

    /* A file of the first step (prefer 0/1, no system lines) still reads. */
    write_text(c->path, "cntpd-state 1\nrow 5 active 3 1 - 127.0.0.1\nend 1\n");
    assert_int_equal(STATE_Read(c->path, &got, &out, &n, err, sizeof err), 1);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].prefer, 1);
    assert_int_equal(got.local_stratum, 0);
    free(out);
}

static void expect_corrupt(Ctx *c, const char *text)
{
    STATE_Row *rows;
    size_t n;
    char err[512], aside[160], back[512] = "";

    write_text(c->path, text);
    assert_int_equal(STATE_Read(c->path, NULL, &rows, &n, err, sizeof err), -1);
    assert_null(rows);
    assert_non_null(strstr(err, "moved aside"));
    assert_int_equal(access(c->path, F_OK), -1);
    snprintf(aside, sizeof aside, "%s.corrupt", c->path);
    FILE *f = fopen(aside, "r");
    assert_non_null(f);
    size_t len = fread(back, 1, sizeof back - 1, f);
    fclose(f);
    back[len] = '\0';
    assert_string_equal(back, text);
}

static void test_corrupt_files(void **state)
{
    Ctx *c = *state;
    static const char *const bad[] = {
        "",
        "cntpd-state 1\n",                                  /* no end line */
        "cntpd-state 1\nrow 1 active 3 0 - 127.0.0.1\n",   /* cut short */
        "cntpd-state 1\nrow 1 active 3 0 - 127.0.0.1\nend 1", /* no line end */
        "cntpd-state 2\nend 0\n",
        "cntpd-state 1\nrow 1 active 3 0 - 127.0.0.1\nend 2\n",
        "cntpd-state 1\nrow 0 active 3 0 - 127.0.0.1\nend 1\n",
        "cntpd-state 1\nrow 1 active 4 0 - 127.0.0.1\nend 1\n",
        "cntpd-state 1\nrow 1 running 3 0 - 127.0.0.1\nend 1\n",
        "cntpd-state 1\nrow 1 active 3 0 - -\nend 1\n",     /* active, no host */
        "cntpd-state 1\nrow 1 active 3 0 -\nend 1\n",
        "cntpd-state 1\nrow 1 active 3 0 - a\nrow 1 active 3 0 - b\nend 2\n",
        "cntpd-state 1\nend 0\nrow 1 active 3 0 - a\n",
        "cntpd-state 1\nrow 2147483648 active 3 0 - a\nend 1\n",
        "cntpd-state 1\nrow 1 active 3 01 - a\nend 1\n",         /* prefer order */
        "cntpd-state 1\nrow 1 active 3 2147483648 - a\nend 1\n",
        "cntpd-state 1\nrow 1 active 3 -1 - a\nend 1\n",
        "cntpd-state 1\nstratum 0\nend 0\n",
        "cntpd-state 1\nstratum 16\nend 0\n",
        "cntpd-state 1\nstratum 1\nstratum 2\nend 0\n",
        "cntpd-state 1\nstratum 1 2\nend 0\n",
        "cntpd-state 1\nrow 1 active 3 0 - a\nstratum 1\nend 1\n", /* after the rows */
        "cntpd-state 1\nleap +2 3900000000\nend 0\n",
        "cntpd-state 1\nleap +1\nend 0\n",
        "cntpd-state 1\nleap -1 0\nend 0\n",
        "cntpd-state 1\nleap 1 3900000000\nend 0\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_corrupt(c, bad[i]);
}

static void test_nul_byte(void **state)
{
    Ctx *c = *state;
    STATE_Row *rows;
    size_t n;
    char err[512];
    FILE *f = fopen(c->path, "w");
    assert_non_null(f);
    fwrite("cntpd-state 1\n\0end 0\n", 1, 21, f);
    fclose(f);
    assert_int_equal(STATE_Read(c->path, NULL, &rows, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "NUL"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_system_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_byte, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
