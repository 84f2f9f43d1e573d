/*
 * Unit tests for ntp_time: Unix <-> NTP conversion and rounding, the 2036
 * era rollover, short format, timespec arithmetic and precision.
 *
 * Links: ntp_time
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "ntp_time.h"

/* 2036-02-07T06:28:16Z: NTP era 0 ends, era 1 begins (2^32 - 2208988800). */
#define ROLLOVER_UNIX 2085978496LL
#define Y2026_UNIX 1767225600LL   /* 2026-01-01T00:00:00Z */
#define Y2030_UNIX 1893456000LL   /* 2030-01-01T00:00:00Z */
#define Y2040_UNIX 2208988800LL   /* 2040-01-01T00:00:00Z */
#define Y1980_UNIX 315532800LL    /* 1980-01-01T00:00:00Z */
#define TWO_31 2147483648LL

/* cmocka 1.1.5 only has a float comparison; doubles need their own. */
static void dbl_near(double a, double b, double eps, const char *file, int line)
{
    if (!(fabs(a - b) <= eps)) {
        print_error("%.17g != %.17g (eps %g)\n", a, b, eps);
        _fail(file, line);
    }
}
#define assert_dbl_near(a, b, eps) dbl_near((a), (b), (eps), __FILE__, __LINE__)

static struct timespec mkts(long long sec, long nsec)
{
    struct timespec ts;

    ts.tv_sec = (time_t)sec;
    ts.tv_nsec = nsec;
    return ts;
}

static NTP_Timestamp mknts(uint32_t sec, uint32_t frac)
{
    return (uint64_t)sec << 32 | frac;
}

/* Unix time -> NTP -> Unix with the given pivot; asserts the exact time back. */
static void check_round_trip(long long sec, long nsec, long long pivot)
{
    struct timespec in = mkts(sec, nsec), pv = mkts(pivot, 0), out;

    NTS_ToTimespec(NTS_FromTimespec(&in), &pv, &out);
    assert_int_equal((long long)out.tv_sec, sec);
    assert_int_equal(out.tv_nsec, nsec);
}

/* Small deterministic PRNG (xorshift64*) so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static void test_from_timespec_epochs(void **state)
{
    (void)state;
    struct timespec ts = mkts(0, 0);

    /* The Unix epoch is 2208988800 s (0x83aa7e80) into NTP era 0. */
    assert_int_equal(NTS_FromTimespec(&ts), mknts(0x83aa7e80u, 0));

    /* 1900-01-01 itself is NTP 0. */
    ts = mkts(-(long long)NTP_UNIX_EPOCH_OFFSET, 0);
    assert_int_equal(NTS_FromTimespec(&ts), 0);

    /* The rollover instant is seconds 0 of era 1; one second either side. */
    ts = mkts(ROLLOVER_UNIX, 0);
    assert_int_equal(NTS_FromTimespec(&ts), mknts(0, 0));
    ts = mkts(ROLLOVER_UNIX - 1, 0);
    assert_int_equal(NTS_FromTimespec(&ts), mknts(0xffffffffu, 0));
    ts = mkts(ROLLOVER_UNIX + 1, 0);
    assert_int_equal(NTS_FromTimespec(&ts), mknts(1, 0));
}

static void test_fraction_rounding_to_ntp(void **state)
{
    (void)state;
    struct timespec ts;

    /* Exact binary fractions. */
    ts = mkts(0, 500000000);
    assert_int_equal(NTS_FromTimespec(&ts) & 0xffffffffu, 0x80000000u);
    ts = mkts(0, 250000000);
    assert_int_equal(NTS_FromTimespec(&ts) & 0xffffffffu, 0x40000000u);
    ts = mkts(0, 0);
    assert_int_equal(NTS_FromTimespec(&ts) & 0xffffffffu, 0);

    /* 1 ns = 4.294967296 units -> 4; 3 ns = 12.88 -> 13 (rounded, not truncated). */
    ts = mkts(0, 1);
    assert_int_equal(NTS_FromTimespec(&ts) & 0xffffffffu, 4);
    ts = mkts(0, 3);
    assert_int_equal(NTS_FromTimespec(&ts) & 0xffffffffu, 13);

    /* The largest nanosecond count does not carry into the seconds:
       999999999 ns = 4294967291.7 units -> 4294967292. */
    ts = mkts(100, 999999999);
    NTP_Timestamp t = NTS_FromTimespec(&ts);
    assert_int_equal(t >> 32, (uint32_t)(100 + NTP_UNIX_EPOCH_OFFSET));
    assert_int_equal(t & 0xffffffffu, 4294967292u);
}

static void test_fraction_rounding_from_ntp(void **state)
{
    (void)state;
    struct timespec pv = mkts(Y2026_UNIX, 0), out;
    uint32_t s = (uint32_t)(Y2026_UNIX + NTP_UNIX_EPOCH_OFFSET);

    NTS_ToTimespec(mknts(s, 0x80000000u), &pv, &out);
    assert_int_equal((long long)out.tv_sec, Y2026_UNIX);
    assert_int_equal(out.tv_nsec, 500000000);

    /* 1 unit = 0.23 ns -> 0; 4 units = 0.93 ns -> 1; 3 units = 0.698 -> 1;
       2 units = 0.466 -> 0. */
    NTS_ToTimespec(mknts(s, 1), &pv, &out);
    assert_int_equal(out.tv_nsec, 0);
    NTS_ToTimespec(mknts(s, 2), &pv, &out);
    assert_int_equal(out.tv_nsec, 0);
    NTS_ToTimespec(mknts(s, 3), &pv, &out);
    assert_int_equal(out.tv_nsec, 1);
    NTS_ToTimespec(mknts(s, 4), &pv, &out);
    assert_int_equal(out.tv_nsec, 1);

    /* The top fraction (1 s - 0.23 ns) rounds to a whole second: the result
       must be normalised, carrying into tv_sec. */
    NTS_ToTimespec(mknts(s, 0xffffffffu), &pv, &out);
    assert_int_equal((long long)out.tv_sec, Y2026_UNIX + 1);
    assert_int_equal(out.tv_nsec, 0);

    /* ...including across the era rollover (era 0's last fraction). */
    pv = mkts(ROLLOVER_UNIX, 0);
    NTS_ToTimespec(mknts(0xffffffffu, 0xffffffffu), &pv, &out);
    assert_int_equal((long long)out.tv_sec, ROLLOVER_UNIX);
    assert_int_equal(out.tv_nsec, 0);
}

static void test_nanosecond_round_trip(void **state)
{
    (void)state;

    /* 2^-32 s (0.23 ns) is finer than half a nanosecond, so Unix -> NTP ->
       Unix is exact for every nanosecond value. */
    static const long edge[] = {0, 1, 2, 3, 499999999, 500000000, 500000001, 999999998,
                                999999999};
    for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
        check_round_trip(Y2026_UNIX, edge[i], Y2026_UNIX);

    for (int i = 0; i < 200000; i++) {
        long nsec = (long)(rng() % 1000000000u);
        long long sec = Y2026_UNIX + (long long)(rng() % 100000000u) - 50000000;
        check_round_trip(sec, nsec, Y2026_UNIX);
    }
}

static void test_from_timespec_unnormalised(void **state)
{
    (void)state;
    /* Defensive: tv_nsec outside [0, 1e9) is carried into the seconds. */
    struct timespec a = mkts(1, -1), b = mkts(0, 999999999);
    assert_int_equal(NTS_FromTimespec(&a), NTS_FromTimespec(&b));
    a = mkts(0, 1500000000);
    b = mkts(1, 500000000);
    assert_int_equal(NTS_FromTimespec(&a), NTS_FromTimespec(&b));
}

static void test_era_rollover_pivots(void **state)
{
    (void)state;
    /* Pivots on both sides of the rollover, near and far (2026, 2040). */
    static const long long pivots[] = {
        Y2026_UNIX, ROLLOVER_UNIX - 1, ROLLOVER_UNIX, ROLLOVER_UNIX + 1, Y2040_UNIX,
    };
    /* Times just before, at and just after 2036-02-07T06:28:16Z. */
    static const long long times[] = {
        ROLLOVER_UNIX - 86400, ROLLOVER_UNIX - 1, ROLLOVER_UNIX, ROLLOVER_UNIX + 1,
        ROLLOVER_UNIX + 86400,
    };
    static const long nsecs[] = {0, 1, 500000000, 999999999};

    for (size_t p = 0; p < sizeof(pivots) / sizeof(pivots[0]); p++)
        for (size_t t = 0; t < sizeof(times) / sizeof(times[0]); t++)
            for (size_t n = 0; n < sizeof(nsecs) / sizeof(nsecs[0]); n++)
                check_round_trip(times[t], nsecs[n], pivots[p]);

    /* Directly from wire values: seconds 0xffffffff is era 0's last second,
       seconds 1 is era 1's second second, whichever side the pivot is on. */
    struct timespec pv = mkts(Y2026_UNIX, 0), out;
    NTS_ToTimespec(mknts(0xffffffffu, 0), &pv, &out);
    assert_int_equal((long long)out.tv_sec, ROLLOVER_UNIX - 1);
    NTS_ToTimespec(mknts(1, 0), &pv, &out);
    assert_int_equal((long long)out.tv_sec, ROLLOVER_UNIX + 1);

    pv = mkts(Y2040_UNIX, 0);
    NTS_ToTimespec(mknts(0xffffffffu, 0), &pv, &out);
    assert_int_equal((long long)out.tv_sec, ROLLOVER_UNIX - 1);
    NTS_ToTimespec(mknts(1, 0), &pv, &out);
    assert_int_equal((long long)out.tv_sec, ROLLOVER_UNIX + 1);
}

static void test_era_far_from_rollover(void **state)
{
    (void)state;
    /* Times well inside one era: a 2040 pivot still maps 2030 and 1980 to
       era 0 (both within 68 years), and a 2026 pivot maps 2040 to era 1. */
    check_round_trip(Y2030_UNIX, 123456789, Y2040_UNIX);
    check_round_trip(Y1980_UNIX, 0, Y2040_UNIX);
    check_round_trip(Y2040_UNIX, 987654321, Y2026_UNIX);
    check_round_trip(Y2026_UNIX, 5, Y2026_UNIX);
    check_round_trip(Y2026_UNIX, 5, Y2040_UNIX);

    /* Era 2 (2172) from a pivot in that era. */
    long long era2 = ROLLOVER_UNIX + 4294967296LL + 1000;
    check_round_trip(era2, 1, era2 - 5000);
}

static void test_era_window_edges(void **state)
{
    (void)state;
    /* The chosen time lies in [pivot - 2^31, pivot + 2^31). */
    long long pivot = Y2026_UNIX;

    check_round_trip(pivot + TWO_31 - 1, 0, pivot);
    check_round_trip(pivot - TWO_31, 0, pivot);

    /* One second past the forward edge wraps back a whole era. */
    struct timespec in = mkts(pivot + TWO_31, 0), pv = mkts(pivot, 0), out;
    NTS_ToTimespec(NTS_FromTimespec(&in), &pv, &out);
    assert_int_equal((long long)out.tv_sec, pivot + TWO_31 - 4294967296LL);
}

static void test_diff(void **state)
{
    (void)state;
    struct timespec a = mkts(Y2026_UNIX, 250000000), b = mkts(Y2026_UNIX - 3, 750000000);
    NTP_Timestamp ta = NTS_FromTimespec(&a), tb = NTS_FromTimespec(&b);

    assert_dbl_near(NTS_Diff(ta, tb), 2.5, 1e-9);
    assert_dbl_near(NTS_Diff(tb, ta), -2.5, 1e-9);
    assert_dbl_near(NTS_Diff(ta, ta), 0.0, 0.0);

    /* One unit of fraction is resolved exactly. */
    assert_dbl_near(NTS_Diff(ta + 1, ta), 1.0 / 4294967296.0, 0.0);
    assert_dbl_near(NTS_Diff(ta, ta + 1), -1.0 / 4294967296.0, 0.0);

    /* Large differences (decades) up to the 68-year limit. */
    assert_dbl_near(NTS_Diff(mknts(0x7fffffffu, 0), 0), 2147483647.0, 0.0);
    assert_dbl_near(NTS_Diff(0, mknts(0x7fffffffu, 0)), -2147483647.0, 0.0);
}

static void test_diff_across_era(void **state)
{
    (void)state;
    /* a in era 1 (wire seconds 1), b in era 0 (wire seconds 0xffffffff). */
    struct timespec a = mkts(ROLLOVER_UNIX + 1, 250000000);
    struct timespec b = mkts(ROLLOVER_UNIX - 1, 500000000);
    NTP_Timestamp ta = NTS_FromTimespec(&a), tb = NTS_FromTimespec(&b);

    assert_true(ta < tb);   /* numerically smaller on the wire */
    assert_dbl_near(NTS_Diff(ta, tb), 1.75, 1e-9);
    assert_dbl_near(NTS_Diff(tb, ta), -1.75, 1e-9);

    /* A year apart across the boundary. */
    a = mkts(ROLLOVER_UNIX + 86400LL * 200, 0);
    b = mkts(ROLLOVER_UNIX - 86400LL * 165, 0);
    assert_dbl_near(NTS_Diff(NTS_FromTimespec(&a), NTS_FromTimespec(&b)), 86400.0 * 365, 0.0);
}

static void test_add(void **state)
{
    (void)state;
    NTP_Timestamp t = mknts(1000, 0x80000000u);   /* 1000.5 */

    assert_int_equal(NTS_Add(t, 1.25), mknts(1001, 0xc0000000u));
    assert_int_equal(NTS_Add(t, -0.75), mknts(999, 0xc0000000u));
    assert_int_equal(NTS_Add(t, -1000.5), 0);
    assert_int_equal(NTS_Add(t, 0.0), t);
    assert_int_equal(NTS_Add(t, NAN), t);
    assert_int_equal(NTS_Add(t, INFINITY), t);

    /* Wraps within the era like the wire: forwards across the rollover and
       backwards below zero. */
    assert_int_equal(NTS_Add(mknts(0xffffffffu, 0x80000000u), 1.0), mknts(0, 0x80000000u));
    assert_int_equal(NTS_Add(mknts(1, 0), -2.0), mknts(0xffffffffu, 0));
    assert_int_equal(NTS_Add(mknts(5, 0), 4294967296.0), mknts(5, 0));

    /* Add and Diff are inverse for a spread of values. */
    for (int i = 0; i < 10000; i++) {
        NTP_Timestamp base = rng();
        double s = ((double)(int64_t)(rng() >> 1) / 4611686018427387904.0 - 1.0) * 1e6;
        assert_dbl_near(NTS_Diff(NTS_Add(base, s), base), s, 1e-9);
    }
}

static void test_short_format(void **state)
{
    (void)state;
    assert_int_equal(NTS_ShortFromDouble(0.0), 0);
    assert_int_equal(NTS_ShortFromDouble(1.0), 0x00010000u);
    assert_int_equal(NTS_ShortFromDouble(1.5), 0x00018000u);
    assert_int_equal(NTS_ShortFromDouble(0.25), 0x00004000u);
    assert_int_equal(NTS_ShortFromDouble(65535.5), 0xffff8000u);
    /* 2^-16 s is one unit; half a unit rounds up, a third rounds down. */
    assert_int_equal(NTS_ShortFromDouble(1.0 / 65536), 1);
    assert_int_equal(NTS_ShortFromDouble(0.5 / 65536), 1);
    assert_int_equal(NTS_ShortFromDouble(0.33 / 65536), 0);

    /* Negative values (and NaN) give 0. */
    assert_int_equal(NTS_ShortFromDouble(-0.0), 0);
    assert_int_equal(NTS_ShortFromDouble(-1e-9), 0);
    assert_int_equal(NTS_ShortFromDouble(-5.0), 0);
    assert_int_equal(NTS_ShortFromDouble(-INFINITY), 0);
    assert_int_equal(NTS_ShortFromDouble(NAN), 0);

    /* At or above 65536 s saturates, as does anything rounding up to it. */
    assert_int_equal(NTS_ShortFromDouble(65536.0), 0xffffffffu);
    assert_int_equal(NTS_ShortFromDouble(65537.0), 0xffffffffu);
    assert_int_equal(NTS_ShortFromDouble(1e30), 0xffffffffu);
    assert_int_equal(NTS_ShortFromDouble(INFINITY), 0xffffffffu);
    assert_int_equal(NTS_ShortFromDouble(65535.9999999), 0xffffffffu);

    assert_dbl_near(NTS_ShortToDouble(0), 0.0, 0.0);
    assert_dbl_near(NTS_ShortToDouble(0x00018000u), 1.5, 0.0);
    assert_dbl_near(NTS_ShortToDouble(0xffffffffu), 65536.0 - 1.0 / 65536, 0.0);
}

static void test_short_round_trip(void **state)
{
    (void)state;
    /* Every short value survives to double and back exactly. */
    for (int i = 0; i < 100000; i++) {
        uint32_t v = (uint32_t)rng();
        assert_int_equal(NTS_ShortFromDouble(NTS_ShortToDouble(v)), v);
    }
    assert_int_equal(NTS_ShortFromDouble(NTS_ShortToDouble(0xffffffffu)), 0xffffffffu);
    assert_int_equal(NTS_ShortFromDouble(NTS_ShortToDouble(1)), 1);

    /* And a double comes back within half a unit (2^-17 s). */
    for (int i = 0; i < 100000; i++) {
        double s = (double)(rng() % 65536000000ULL) / 1e6;
        assert_dbl_near(NTS_ShortToDouble(NTS_ShortFromDouble(s)), s, 1.0 / 131072 + 1e-12);
    }
}

static void test_ts_diff(void **state)
{
    (void)state;
    struct timespec a = mkts(10, 100), b = mkts(9, 900000000);

    /* Nanoseconds borrow: 10.0000001 - 9.9 = 0.1000001. */
    assert_dbl_near(TS_Diff(&a, &b), 0.1000001, 1e-12);
    assert_dbl_near(TS_Diff(&b, &a), -0.1000001, 1e-12);
    assert_dbl_near(TS_Diff(&a, &a), 0.0, 0.0);

    /* Negative seconds (before 1970) and large absolute times keep the
       nanoseconds. */
    a = mkts(-1, 500000000);
    b = mkts(0, 0);
    assert_dbl_near(TS_Diff(&a, &b), -0.5, 0.0);
    a = mkts(ROLLOVER_UNIX, 1);
    b = mkts(ROLLOVER_UNIX, 0);
    assert_dbl_near(TS_Diff(&a, &b), 1e-9, 1e-18);
}

static void check_add(long long sec, long nsec, double s, long long esec, long ensec)
{
    struct timespec ts = mkts(sec, nsec), out;

    TS_AddDouble(&ts, s, &out);
    assert_int_equal((long long)out.tv_sec, esec);
    assert_int_equal(out.tv_nsec, ensec);
}

static void test_ts_add_double(void **state)
{
    (void)state;
    check_add(10, 500000000, 0.6, 11, 100000000);
    check_add(10, 500000000, -0.75, 9, 750000000);
    check_add(10, 500000000, -10.75, -1, 750000000);
    check_add(10, 500000000, -0.5, 10, 0);
    check_add(10, 0, -1e-9, 9, 999999999);
    check_add(10, 999999999, 1e-9, 11, 0);
    check_add(0, 0, -0.25, -1, 750000000);
    check_add(5, 5, 0.0, 5, 5);
    check_add(5, 5, -0.0, 5, 5);
    check_add(Y2026_UNIX, 0, 86400.0 * 365 * 20, Y2026_UNIX + 86400LL * 365 * 20, 0);

    /* Non-finite values leave the time unchanged. */
    check_add(7, 7, NAN, 7, 7);
    check_add(7, 7, INFINITY, 7, 7);

    /* out may alias ts. */
    struct timespec ts = mkts(3, 900000000);
    TS_AddDouble(&ts, 0.2, &ts);
    assert_int_equal((long long)ts.tv_sec, 4);
    assert_int_equal(ts.tv_nsec, 100000000);

    /* Always normalised, and TS_Diff recovers the increment. */
    for (int i = 0; i < 100000; i++) {
        long long sec = Y2026_UNIX + (long long)(rng() % 1000);
        struct timespec in = mkts(sec, (long)(rng() % 1000000000)), out;
        double s = ((double)(rng() % 2000000000000ULL) - 1e12) / 1e9;   /* +-1000 s */
        TS_AddDouble(&in, s, &out);
        assert_in_range(out.tv_nsec, 0, 999999999);
        assert_dbl_near(TS_Diff(&out, &in), s, 1e-6);
    }
}

static void test_precision_to_log2(void **state)
{
    (void)state;
    assert_int_equal(NTS_PrecisionToLog2(1e-6), -19);   /* 2^-20 < 1e-6 <= 2^-19 */
    assert_int_equal(NTS_PrecisionToLog2(1e-9), -29);
    assert_int_equal(NTS_PrecisionToLog2(1e-3), -9);
    assert_int_equal(NTS_PrecisionToLog2(1.0), 0);
    assert_int_equal(NTS_PrecisionToLog2(1.5), 1);
    assert_int_equal(NTS_PrecisionToLog2(0.5), -1);
    assert_int_equal(NTS_PrecisionToLog2(0.3), -1);
    assert_int_equal(NTS_PrecisionToLog2(0.25), -2);
    /* Exact powers of two are their own log; a hair above rounds up. */
    assert_int_equal(NTS_PrecisionToLog2(ldexp(1.0, -20)), -20);
    assert_int_equal(NTS_PrecisionToLog2(nextafter(ldexp(1.0, -20), 1.0)), -19);
    assert_int_equal(NTS_PrecisionToLog2(nextafter(ldexp(1.0, -20), 0.0)), -20);
    assert_int_equal(NTS_PrecisionToLog2(64.0), 6);

    /* Clamped to the signed octet of the wire field. */
    assert_int_equal(NTS_PrecisionToLog2(0.0), -128);
    assert_int_equal(NTS_PrecisionToLog2(-1.0), -128);
    assert_int_equal(NTS_PrecisionToLog2(NAN), -128);
    assert_int_equal(NTS_PrecisionToLog2(1e-300), -128);
    assert_int_equal(NTS_PrecisionToLog2(1e300), 127);
    assert_int_equal(NTS_PrecisionToLog2(INFINITY), 127);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_timespec_epochs),
        cmocka_unit_test(test_fraction_rounding_to_ntp),
        cmocka_unit_test(test_fraction_rounding_from_ntp),
        cmocka_unit_test(test_nanosecond_round_trip),
        cmocka_unit_test(test_from_timespec_unnormalised),
        cmocka_unit_test(test_era_rollover_pivots),
        cmocka_unit_test(test_era_far_from_rollover),
        cmocka_unit_test(test_era_window_edges),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_diff_across_era),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_short_format),
        cmocka_unit_test(test_short_round_trip),
        cmocka_unit_test(test_ts_diff),
        cmocka_unit_test(test_ts_add_double),
        cmocka_unit_test(test_precision_to_log2),
    };

    return cmocka_run_group_tests_name("ntp_time", tests, NULL, NULL);
}
