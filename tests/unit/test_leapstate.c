/*
 * Unit tests for leapstate: who decides the leap indicator (leap file over
 * operator over a majority of sources), the 28-day announcement window,
 * and arming the kernel only on the last UTC day of the month.
 *
 * Links: leapstate leapfile mem log textfile
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "leapstate.h"
#include "ntp_time.h"

/* NTP seconds of 2016-12-01 and 2017-01-01 (00:00 UTC): the leap of
   2016-12-31 takes effect at 2017-01-01. */
#define DEC_1_2016 3689539200ULL
#define JAN_1_2017 3692217600ULL
#define DAY 86400ULL

static void test_end_of_month(void **state)
{
    (void)state;
    assert_true(LPS_EndOfMonth(DEC_1_2016 + 5 * DAY) == JAN_1_2017);
    assert_true(LPS_EndOfMonth(JAN_1_2017 - 1) == JAN_1_2017);
    assert_true(LPS_EndOfMonth(JAN_1_2017) == JAN_1_2017 + 31 * DAY);
}

static void test_majority(void **state)
{
    int kernel;

    (void)state;
    LPS_Init(NULL);
    /* 2 of 3 announce insertion on Dec 10: LI set, kernel not armed yet. */
    assert_int_equal(LPS_Decide(2, 0, 3, DEC_1_2016 + 9 * DAY, &kernel), 1);
    assert_int_equal(kernel, 0);
    /* ... and on Dec 31 the kernel is armed. */
    assert_int_equal(LPS_Decide(2, 0, 3, JAN_1_2017 - 3600, &kernel), 1);
    assert_int_equal(kernel, 1);
    /* A deletion by majority. */
    assert_int_equal(LPS_Decide(0, 3, 4, JAN_1_2017 - 3600, &kernel), 2);
    assert_int_equal(kernel, 2);
    LPS_Fini();
}

static void test_minority_ignored(void **state)
{
    int kernel;

    (void)state;
    LPS_Init(NULL);
    assert_int_equal(LPS_Decide(1, 0, 3, JAN_1_2017 - 3600, &kernel), 0);
    assert_int_equal(kernel, 0);
    /* A tie is no majority. */
    assert_int_equal(LPS_Decide(1, 0, 2, JAN_1_2017 - 3600, &kernel), 0);
    assert_int_equal(LPS_Decide(0, 0, 0, JAN_1_2017 - 3600, &kernel), 0);
    LPS_Fini();
}

static void test_announce_window(void **state)
{
    int kernel;

    (void)state;
    LPS_Init(NULL);
    /* More than 28 days before the end of the month: refused. */
    assert_int_equal(LPS_Announce(1, DEC_1_2016 + 1 * DAY), -1);
    assert_int_equal(LPS_Announced(), 0);
    assert_int_equal(LPS_Announce(1, DEC_1_2016 + 10 * DAY), 0);
    assert_int_equal(LPS_Announced(), 1);
    /* The operator's announcement wins over sources that say nothing. */
    assert_int_equal(LPS_Decide(0, 0, 3, DEC_1_2016 + 10 * DAY, &kernel), 1);
    assert_int_equal(kernel, 0);
    assert_int_equal(LPS_Decide(0, 0, 3, JAN_1_2017 - 60, &kernel), 1);
    assert_int_equal(kernel, 1);
    /* After the leap it is over. */
    assert_int_equal(LPS_Decide(0, 0, 3, JAN_1_2017 + 1, &kernel), 0);
    assert_int_equal(LPS_Announced(), 0);
    /* Withdrawing is always allowed. */
    assert_int_equal(LPS_Announce(-1, DEC_1_2016 + 20 * DAY), 0);
    assert_int_equal(LPS_Announce(0, DEC_1_2016 + 1 * DAY), 0);
    assert_int_equal(LPS_Announced(), 0);
    LPS_Fini();
}

static void test_file_wins(void **state)
{
    LEAP_Table t;
    char err[256];
    int kernel;
    /* Two entries: TAI-UTC 36 from 2015-07-01, 37 from 2017-01-01; the file
       expires 2017-06-28 (no hash line: accepted without one). */
    const char *text = "#$ 3676924800\n#@ 3707596800\n"
                       "3644697600 36\n3692217600 37\n";

    (void)state;
    assert_int_equal(LEAP_LoadString(text, "t.list", &t, err, sizeof err), 0);
    LPS_Init(&t);
    /* Sources say nothing; the file announces from 28 days before. */
    assert_int_equal(LPS_Decide(0, 0, 3, DEC_1_2016 + 10 * DAY, &kernel), 1);
    assert_int_equal(kernel, 0);
    assert_int_equal(LPS_Decide(0, 0, 3, JAN_1_2017 - 60, &kernel), 1);
    assert_int_equal(kernel, 1);
    /* A majority announcing a leap the file does not know is ignored. */
    assert_int_equal(LPS_Decide(3, 0, 3, JAN_1_2017 + 20 * DAY, &kernel), 0);
    assert_int_equal(kernel, 0);
    /* Once the file has expired, the sources decide again. */
    assert_int_equal(LPS_Decide(3, 0, 3, 3707596800ULL + 10, &kernel), 1);
    LPS_Fini();
    LEAP_Free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_end_of_month),
        cmocka_unit_test(test_majority),
        cmocka_unit_test(test_minority_ignored),
        cmocka_unit_test(test_announce_window),
        cmocka_unit_test(test_file_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
