/*
 * Unit tests for the drift file functions of discipline
 * (DSC_ReadDriftFile, DSC_WriteDriftFile), each test in its own mkdtemp
 * directory: missing file, valid contents, round trip, atomic replacement
 * (no temporary left behind, the old inode untouched), and corrupt files
 * moved aside to PATH.corrupt with their contents preserved.
 *
 * The rest of discipline.c is not exercised; the clock and scheduler
 * functions it calls are inert fakes below.
 *
 * Blank files, an embedded NUL and a second number far into the file are
 * corrupt too.
 *
 * Links: discipline log mem
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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

#include "clock.h"
#include "discipline.h"
#include "sched.h"

/* ---- fakes: discipline.c's clock and scheduler dependencies -------------- */

int CLK_CanAdjust(void)
{
    return 0;
}

int CLK_SetFrequency(double ppm)
{
    (void)ppm;
    return -1;
}

double CLK_GetFrequency(void)
{
    return 0.0;
}

int CLK_Step(double offset)
{
    (void)offset;
    return -1;
}

SCH_Timer SCH_AddTimer(double delay, SCH_TimerHandler handler, void *arg)
{
    (void)delay, (void)handler, (void)arg;
    return NULL;
}

void SCH_RemoveTimer(SCH_Timer timer)
{
    (void)timer;
}

double SCH_Monotonic(void)
{
    return 0.0;
}

/* ---- helpers ------------------------------------------------------------- */

typedef struct {
    char dir[64];
    char path[128];       /* dir/drift */
    char corrupt[160];    /* dir/drift.corrupt */
    char tmp[160];        /* dir/drift.tmp */
} Paths;

static int setup(void **state)
{
    Paths *p = calloc(1, sizeof *p);

    if (!p)
        return -1;
    snprintf(p->dir, sizeof p->dir, "/tmp/cntpd-test-drift-XXXXXX");
    if (!mkdtemp(p->dir)) {
        free(p);
        return -1;
    }
    snprintf(p->path, sizeof p->path, "%s/drift", p->dir);
    snprintf(p->corrupt, sizeof p->corrupt, "%s.corrupt", p->path);
    snprintf(p->tmp, sizeof p->tmp, "%s.tmp", p->path);
    *state = p;
    return 0;
}

/* Remove everything the test left (files and one level of directories). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char sub[512];

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        if (unlink(sub) < 0 && (errno == EISDIR || errno == EPERM))
            remove_tree(sub);
    }
    closedir(d);
    rmdir(dir);
}

static int teardown(void **state)
{
    Paths *p = *state;

    remove_tree(p->dir);
    free(p);
    return 0;
}

static void write_file(const char *path, const char *content, size_t len)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void write_str(const char *path, const char *content)
{
    write_file(path, content, strlen(content));
}

/* Whole file into buf (NUL-terminated); returns the length, -1 if absent. */
static long read_all(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");

    if (!f)
        return -1;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    return (long)n;
}

static int exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void dbl_near(double a, double b, double eps, const char *expr, const char *file, int line)
{
    if (!(fabs(a - b) <= eps)) {
        print_error("%s: %.17g != %.17g (eps %g)\n", expr, a, b, eps);
        _fail(file, line);
    }
}
#define assert_dbl_near(a, b, eps) dbl_near((a), (b), (eps), #a, __FILE__, __LINE__)

/* ---- tests --------------------------------------------------------------- */

static void test_missing_file(void **state)
{
    Paths *p = *state;
    double ppm = 99.0;
    char path[256];

    assert_int_equal(DSC_ReadDriftFile(p->path, &ppm), 0);
    assert_dbl_near(ppm, 99.0, 0.0);
    /* Missing directory too. */
    snprintf(path, sizeof path, "%s/nodir/drift", p->dir);
    assert_int_equal(DSC_ReadDriftFile(path, &ppm), 0);
    assert_dbl_near(ppm, 99.0, 0.0);
    /* Nothing created, nothing moved. */
    assert_int_equal(count_entries(p->dir), 0);
}

static void test_read_valid(void **state)
{
    static const struct { const char *text; double value; } ok[] = {
        { "12.345\n", 12.345 },
        { "-7.5", -7.5 },
        { "0\n", 0.0 },
        { "  3.25 \n", 3.25 },
        { "500.000\n", 500.0 },
        { "-500\n", -500.0 },
        { "1e2\n", 100.0 },
        { "-0.001\r\n", -0.001 },
    };
    Paths *p = *state;

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double ppm = 99.0;
        write_str(p->path, ok[i].text);
        if (DSC_ReadDriftFile(p->path, &ppm) != 1)
            fail_msg("\"%s\" not read as a drift value", ok[i].text);
        assert_dbl_near(ppm, ok[i].value, 0.0);
        /* A good file stays where it is. */
        assert_true(exists(p->path));
        assert_false(exists(p->corrupt));
    }
}

static void test_write_read_round_trip(void **state)
{
    static const double values[] = { 12.345, -3.5, 0.0, 499.999, -499.999, 0.001 };
    Paths *p = *state;
    char buf[128];

    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        double ppm = 1e9;
        assert_int_equal(DSC_WriteDriftFile(p->path, values[i]), 0);
        assert_int_equal(DSC_ReadDriftFile(p->path, &ppm), 1);
        assert_dbl_near(ppm, values[i], 1e-12);
    }
    /* One number on one line. */
    assert_true(read_all(p->path, buf, sizeof buf) > 0);
    assert_non_null(strchr(buf, '\n'));
    assert_string_equal(strchr(buf, '\n'), "\n");
    assert_dbl_near(strtod(buf, NULL), 0.001, 1e-12);

    /* The file keeps ntpd's millippm resolution at least. */
    double ppm;
    assert_int_equal(DSC_WriteDriftFile(p->path, 12.3456), 0);
    assert_int_equal(DSC_ReadDriftFile(p->path, &ppm), 1);
    assert_dbl_near(ppm, 12.3456, 5e-4 + 1e-12);
}

/* Written through a temporary and rename: nothing but the file is left,
   and a hard link to the old file still shows the old contents (the old
   inode was replaced, not rewritten in place). */
static void test_write_atomic(void **state)
{
    Paths *p = *state;
    char old_link[200], buf[128];
    struct stat before, after;
    double ppm;

    assert_int_equal(DSC_WriteDriftFile(p->path, 1.5), 0);
    assert_false(exists(p->tmp));
    assert_int_equal(count_entries(p->dir), 1);

    snprintf(old_link, sizeof old_link, "%s/old", p->dir);
    assert_int_equal(link(p->path, old_link), 0);
    assert_int_equal(stat(p->path, &before), 0);
    char old_content[128];
    assert_true(read_all(p->path, old_content, sizeof old_content) > 0);

    assert_int_equal(DSC_WriteDriftFile(p->path, -2.25), 0);
    assert_int_equal(stat(p->path, &after), 0);
    assert_true(before.st_ino != after.st_ino);
    assert_true(read_all(old_link, buf, sizeof buf) > 0);
    assert_string_equal(buf, old_content);
    assert_int_equal(DSC_ReadDriftFile(p->path, &ppm), 1);
    assert_dbl_near(ppm, -2.25, 0.0);
    assert_false(exists(p->tmp));
    assert_int_equal(count_entries(p->dir), 2);   /* drift and old */

    /* A stale temporary from a crash does not get in the way. */
    write_str(p->tmp, "garbage from a crash");
    assert_int_equal(DSC_WriteDriftFile(p->path, 4.0), 0);
    assert_false(exists(p->tmp));
    assert_int_equal(DSC_ReadDriftFile(p->path, &ppm), 1);
    assert_dbl_near(ppm, 4.0, 0.0);
}

static void test_write_failure(void **state)
{
    Paths *p = *state;
    char path[256], tmp[300];

    /* Directory missing. */
    snprintf(path, sizeof path, "%s/nodir/drift", p->dir);
    assert_int_equal(DSC_WriteDriftFile(path, 1.0), -1);
    assert_int_equal(count_entries(p->dir), 0);

    /* The path is a directory: the rename fails; the temporary is removed. */
    assert_int_equal(mkdir(p->path, 0755), 0);
    assert_int_equal(DSC_WriteDriftFile(p->path, 1.0), -1);
    snprintf(tmp, sizeof tmp, "%s.tmp", p->path);
    assert_false(exists(tmp));
    assert_int_equal(count_entries(p->dir), 1);
}

/* Corrupt contents: -1, the file moved to PATH.corrupt byte for byte. */
static void check_corrupt(const Paths *p, const char *content, size_t len)
{
    char buf[512];
    double ppm = 42.0;

    write_file(p->path, content, len);
    if (DSC_ReadDriftFile(p->path, &ppm) != -1)
        fail_msg("corrupt drift file \"%.*s\" accepted", (int)len, content);
    assert_dbl_near(ppm, 42.0, 0.0);
    assert_false(exists(p->path));
    assert_true(exists(p->corrupt));
    assert_int_equal(read_all(p->corrupt, buf, sizeof buf), (long)len);
    assert_memory_equal(buf, content, len);
    /* Next start: no drift file. */
    assert_int_equal(DSC_ReadDriftFile(p->path, &ppm), 0);
    assert_dbl_near(ppm, 42.0, 0.0);
}

static void test_corrupt_moved_aside(void **state)
{
    static const char *const bad[] = {
        "abc", "abc\n", "", "1e9", "1e9\n", "12 13", "12 13\n", "12.5abc\n",
        "nan\n", "inf\n", "-inf", "500.001\n", "-1000\n", "0x\n", "12\n13\n",
    };
    Paths *p = *state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_corrupt(p, bad[i], strlen(bad[i]));
}

/* A new corrupt file replaces an older PATH.corrupt. */
static void test_corrupt_replaces_previous(void **state)
{
    Paths *p = *state;
    char buf[64];
    double ppm;

    write_str(p->corrupt, "older\n");
    write_str(p->path, "newer\n");
    assert_int_equal(DSC_ReadDriftFile(p->path, &ppm), -1);
    assert_int_equal(read_all(p->corrupt, buf, sizeof buf), 6);
    assert_string_equal(buf, "newer\n");
    assert_false(exists(p->path));
}

/* A file of blanks only ("\n", "   \n") holds no number: corrupt. The
   code skips the trailing blanks before checking that strtod consumed
   anything (end == buf), so such a file is read as a valid 0 ppm. */
static void test_blank_file_is_corrupt(void **state)
{
    static const char *const blank[] = { "\n", "   \n", "\t\r\n" };
    Paths *p = *state;

    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++)
        check_corrupt(p, blank[i], strlen(blank[i]));
}

/* "12<NUL>3\n" is not one number; the reader stops at the NUL and accepts
   12 ppm. */
static void test_embedded_nul_is_corrupt(void **state)
{
    Paths *p = *state;

    check_corrupt(p, "12\0003\n", 5);
}

/* "ntpd format: one number": a second number after more than 127 bytes of
   blanks is not seen (the reader looks at the first 127 bytes only) and the
   file is accepted as valid. */
static void test_long_file_second_number(void **state)
{
    Paths *p = *state;
    char content[256];
    double ppm = 42.0;

    memset(content, ' ', sizeof content);
    memcpy(content, "12.5", 4);
    memcpy(content + 200, "13\n", 3);
    write_file(p->path, content, 203);
    assert_int_equal(DSC_ReadDriftFile(p->path, &ppm), -1);
    assert_dbl_near(ppm, 42.0, 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_read_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_moved_aside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_replaces_previous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blank_file_is_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_embedded_nul_is_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_file_second_number, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
