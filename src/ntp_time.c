/* ntp_time — see ntp_time.h. */

#include "ntp_time.h"

#include <math.h>
#include <stdint.h>

#define TWO_32 4294967296.0        /* 2^32: units of the 32-bit fraction per second */
#define NSEC_PER_SEC 1000000000LL

/* Split a possibly out-of-range (sec, nsec) pair into a normalised one with
   0 <= nsec < 1e9, carrying whole seconds into sec. */
static void normalise(int64_t *sec, int64_t *nsec)
{
    int64_t carry = *nsec / NSEC_PER_SEC;

    *sec += carry;
    *nsec -= carry * NSEC_PER_SEC;
    if (*nsec < 0) {
        *nsec += NSEC_PER_SEC;
        *sec -= 1;
    }
}

NTP_Timestamp NTS_FromTimespec(const struct timespec *ts)
{
    int64_t sec = ts->tv_sec, nsec = ts->tv_nsec;
    uint64_t frac;

    normalise(&sec, &nsec);

    /* nsec * 2^32 / 1e9, rounded to nearest. nsec < 1e9 so the product fits
       in 62 bits, and the largest nsec (999999999) gives 2^32 - 4, so the
       rounding never carries into the seconds; check anyway. */
    frac = (((uint64_t)nsec << 32) + NSEC_PER_SEC / 2) / NSEC_PER_SEC;
    if (frac > UINT32_MAX) {
        frac -= (uint64_t)1 << 32;
        sec += 1;
    }

    /* Unsigned arithmetic wraps modulo 2^32, which is exactly how the era
       number is dropped (also for times before 1970 or after 2036). */
    uint32_t ntp_sec = (uint32_t)((uint64_t)sec + NTP_UNIX_EPOCH_OFFSET);
    return ((uint64_t)ntp_sec << 32) | frac;
}

void NTS_ToTimespec(NTP_Timestamp t, const struct timespec *pivot, struct timespec *out)
{
    uint32_t t_sec = (uint32_t)(t >> 32);
    uint64_t frac = t & 0xffffffffu;

    /* The pivot in NTP seconds counted from era 0 (may be negative before 1900
       or above 2^32 after 2036). */
    int64_t p = (int64_t)pivot->tv_sec + (int64_t)NTP_UNIX_EPOCH_OFFSET;

    /* Signed distance from the pivot to the timestamp modulo 2^32, brought
       into [-2^31, 2^31): this picks the era nearest the pivot. Done in
       unsigned arithmetic to avoid relying on implementation-defined
       narrowing to int32_t. */
    uint32_t d = t_sec - (uint32_t)(uint64_t)p;
    int64_t delta = d >= 0x80000000u ? (int64_t)d - (int64_t)0x100000000LL : (int64_t)d;

    int64_t sec = p + delta - (int64_t)NTP_UNIX_EPOCH_OFFSET;

    /* frac * 1e9 / 2^32, rounded to nearest; the top fractions round to 1e9
       and carry into the seconds. (2^32 - 1) * 1e9 fits in 63 bits. */
    int64_t nsec = (int64_t)((frac * NSEC_PER_SEC + ((uint64_t)1 << 31)) >> 32);
    if (nsec >= NSEC_PER_SEC) {
        nsec -= NSEC_PER_SEC;
        sec += 1;
    }

    out->tv_sec = (time_t)sec;
    out->tv_nsec = (long)nsec;
}

/* Signed 64-bit 32.32 value -> double seconds, without relying on the
   implementation-defined uint64_t -> int64_t conversion, and keeping the
   fraction's precision by converting seconds and fraction separately. */
static double fixed_to_double(uint64_t d)
{
    int neg = (d >> 63) != 0;
    uint64_t m = neg ? (uint64_t)0 - d : d;   /* magnitude; 2^63 stays 2^63 */
    double v = (double)(m >> 32) + (double)(m & 0xffffffffu) / TWO_32;

    return neg ? -v : v;
}

double NTS_Diff(NTP_Timestamp a, NTP_Timestamp b)
{
    /* Modulo-2^64 difference read as signed: correct across an era boundary
       because both operands lose the same era bits. */
    return fixed_to_double(a - b);
}

NTP_Timestamp NTS_Add(NTP_Timestamp t, double s)
{
    if (!isfinite(s))
        return t;

    /* s = whole + frac with 0 <= frac < 1. The whole seconds only matter
       modulo 2^32 (the era wraps), which fmod computes exactly. */
    double whole = floor(s);
    double frac = s - whole;
    double wmod = fmod(whole, TWO_32);

    if (wmod < 0)
        wmod += TWO_32;

    uint64_t secs = (uint64_t)wmod;                          /* 0 .. 2^32-1 */
    uint64_t fu = (uint64_t)floor(frac * TWO_32 + 0.5);      /* 0 .. 2^32 */

    return t + (secs << 32) + fu;
}

uint32_t NTS_ShortFromDouble(double s)
{
    /* !(s > 0) also catches NaN. */
    if (!(s > 0.0))
        return 0;
    if (s >= 65536.0)
        return 0xffffffffu;

    double v = floor(s * 65536.0 + 0.5);   /* units of 2^-16 s, rounded */

    /* Just below 65536 s the rounding can reach 2^32: saturate too. */
    if (v >= TWO_32)
        return 0xffffffffu;
    return (uint32_t)v;
}

double NTS_ShortToDouble(uint32_t v)
{
    return (double)v / 65536.0;
}

double TS_Diff(const struct timespec *a, const struct timespec *b)
{
    /* Subtract seconds and nanoseconds separately so that large absolute
       times do not eat the nanoseconds' precision. */
    return (double)((int64_t)a->tv_sec - (int64_t)b->tv_sec)
           + (double)((int64_t)a->tv_nsec - (int64_t)b->tv_nsec) / 1e9;
}

void TS_AddDouble(const struct timespec *ts, double s, struct timespec *out)
{
    int64_t sec = ts->tv_sec, nsec = ts->tv_nsec;

    /* Beyond ~2^61 s (and for NaN/inf) the addition would overflow time_t:
       leave ts unchanged rather than invoke undefined behaviour. */
    if (isfinite(s) && fabs(s) < 2305843009213693952.0) {
        /* floor() so the fractional part is never negative: -0.25 s is
           -1 s + 750000000 ns. */
        double whole = floor(s);
        int64_t ns = (int64_t)floor((s - whole) * 1e9 + 0.5);   /* 0 .. 1e9 */

        sec += (int64_t)whole;
        nsec += ns;
    }
    normalise(&sec, &nsec);

    /* Written last so that out may alias ts. */
    out->tv_sec = (time_t)sec;
    out->tv_nsec = (long)nsec;
}

int NTS_PrecisionToLog2(double seconds)
{
    /* The wire field is a signed octet: results are clamped to its range,
       with 0 (or less, or NaN) as the infinitely fine end and +inf as the
       coarse end. */
    if (!(seconds > 0.0))
        return INT8_MIN;
    if (isinf(seconds))
        return INT8_MAX;

    /* seconds = m * 2^e with 0.5 <= m < 1, so 2^(e-1) <= seconds < 2^e:
       the smallest n with 2^n >= seconds is e - 1 when m is exactly 0.5
       (a power of two), else e. */
    int e;
    double m = frexp(seconds, &e);
    int n = m == 0.5 ? e - 1 : e;

    if (n < INT8_MIN)
        return INT8_MIN;
    if (n > INT8_MAX)
        return INT8_MAX;
    return n;
}
