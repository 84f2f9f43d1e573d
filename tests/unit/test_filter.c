/*
 * Unit tests for filter: the RFC 5905 §10 clock filter (ring register,
 * minimum-delay selection, peer dispersion and jitter, "use a sample only
 * once", popcorn spikes, confirmed jumps, offsets compared with the phase
 * corrections made by then, dispersion aging). Expected values are worked out by hand from the RFC
 * formulas: peer dispersion = sum over the stages sorted by delay of
 * disp_i / 2^(i+1), missing stages counting as FLT_MAXDISP; jitter =
 * sqrt(sum (offset_i - offset_0)^2 / (m - 1)) over the m good stages,
 * floored at the precision.
 *
 * Links: filter
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "filter.h"

#define PREC 1e-6        /* system precision passed to the filter */
#define POLL 64.0        /* poll interval, s */
#define JUMP 0.128       /* jump threshold, s */

/* Sum of 16 s * 2^-(i+1) for the missing stages i = k..7. */
#define MISSING(k) (FLT_MAXDISP * (ldexp(1.0, -(k)) - ldexp(1.0, -FLT_STAGES)))

static void dbl_near(double a, double b, double eps, const char *expr, const char *file, int line)
{
    if (!(fabs(a - b) <= eps)) {
        print_error("%s: %.17g != %.17g (eps %g)\n", expr, a, b, eps);
        _fail(file, line);
    }
}
#define assert_dbl_near(a, b, eps) dbl_near((a), (b), (eps), #a, __FILE__, __LINE__)

/* Each test starts with the default frequency tolerance and restores it. */
static int setup(void **state)
{
    (void)state;
    FLT_Phi = FLT_DEFAULT_PHI;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    FLT_Phi = FLT_DEFAULT_PHI;
    return 0;
}

static FLT_Result add(FLT_Filter *f, double offset, double delay, double disp, double now)
{
    return FLT_AddSample(f, offset, delay, disp, 0.0, now, PREC, POLL, JUMP);
}

static void test_default_phi(void **state)
{
    (void)state;
    assert_dbl_near(FLT_DEFAULT_PHI, 15e-6, 0.0);
    assert_dbl_near(FLT_PHI, 15e-6, 0.0);
}

static void test_reset_is_empty(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    assert_int_equal(f.newest, -1);
    assert_int_equal(f.have_sample, 0);
    assert_int_equal(f.spikes, 0);
    assert_int_equal(FLT_ValidStages(&f), 0);
    assert_null(FLT_GetStage(&f, 0));
    assert_dbl_near(FLT_Dispersion(&f, 1000.0), FLT_MAXDISP, 0.0);
}

/* One sample: it is the output; dispersion d/2 + 16 * (1/4 + ... + 1/256)
   = d/2 + 7.9375; jitter floored at the precision. */
static void test_one_sample(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    assert_int_equal(add(&f, 0.0123, 0.020, 0.001, 100.0), FLT_UPDATED);
    assert_int_equal(f.have_sample, 1);
    assert_dbl_near(f.offset, 0.0123, 0.0);
    assert_dbl_near(f.delay, 0.020, 0.0);
    assert_dbl_near(f.epoch, 100.0, 0.0);
    assert_dbl_near(f.dispersion, 0.0005 + 7.9375, 1e-12);
    assert_dbl_near(f.jitter, PREC, 0.0);
    assert_int_equal(FLT_ValidStages(&f), 1);

    const FLT_Stage *s = FLT_GetStage(&f, 0);
    assert_non_null(s);
    assert_dbl_near(s->offset, 0.0123, 0.0);
    assert_dbl_near(s->delay, 0.020, 0.0);
    assert_dbl_near(s->dispersion, 0.001, 0.0);
    assert_dbl_near(s->epoch, 100.0, 0.0);
    assert_null(FLT_GetStage(&f, 1));

    /* Aged peer dispersion: + PHI * (now - epoch), capped at MAXDISP. */
    assert_dbl_near(FLT_Dispersion(&f, 100.0), 7.938, 1e-12);
    assert_dbl_near(FLT_Dispersion(&f, 1100.0), 7.938 + 15e-6 * 1000.0, 1e-12);
    assert_dbl_near(FLT_Dispersion(&f, 1e7), FLT_MAXDISP, 0.0);
}

/* The output is the sample of least delay, not the newest. */
static void test_min_delay_selected(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    assert_int_equal(add(&f, 0.003, 0.030, 0.001, 0.0), FLT_UPDATED);
    /* Lower delay: becomes the output. |0.001 - 0.003| = 0.002 is not more
       than 3 jitters (jitter = 0.002), so no spike. */
    assert_int_equal(add(&f, 0.001, 0.010, 0.001, 64.0), FLT_UPDATED);
    assert_dbl_near(f.offset, 0.001, 0.0);
    assert_dbl_near(f.delay, 0.010, 0.0);
    assert_dbl_near(f.epoch, 64.0, 0.0);
    /* Higher delays: the output stays with the 0.010 s sample. */
    assert_int_equal(add(&f, 0.002, 0.020, 0.001, 128.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 0.004, 0.011, 0.001, 192.0), FLT_NO_UPDATE);
    assert_dbl_near(f.offset, 0.001, 0.0);
    assert_dbl_near(f.delay, 0.010, 0.0);
    assert_dbl_near(f.epoch, 64.0, 0.0);
    assert_int_equal(FLT_ValidStages(&f), 4);
}

/* Four samples, no aging (PHI = 0): weights go by delay order, not by
   arrival or by dispersion. Sorted by delay: (delay 0.010, disp 0.040),
   (0.020, 0.030), (0.030, 0.020), (0.040, 0.010):
   0.040/2 + 0.030/4 + 0.020/8 + 0.010/16 + 16 * (1/32 + ... + 1/256)
   = 0.030625 + 0.9375 = 0.968125. */
static void test_dispersion_four_samples(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Phi = 0.0;
    FLT_Reset(&f);
    assert_int_equal(add(&f, 0.001, 0.010, 0.040, 0.0), FLT_UPDATED);
    assert_int_equal(add(&f, 0.001, 0.040, 0.010, 64.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 0.001, 0.030, 0.020, 128.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 0.001, 0.020, 0.030, 192.0), FLT_NO_UPDATE);
    assert_dbl_near(MISSING(4), 0.9375, 1e-15);
    assert_dbl_near(f.dispersion, 0.968125, 1e-12);
    /* Identical offsets: jitter is the precision floor. */
    assert_dbl_near(f.jitter, PREC, 0.0);
    assert_dbl_near(f.offset, 0.001, 0.0);
    assert_dbl_near(f.delay, 0.010, 0.0);
}

/* Eight samples, no aging: no missing stage. Sample k (1..8) has dispersion
   k ms; the first (delay 0.005) stays best, the others sort by delay as
   s5, s3, s8, s7, s2, s6, s4 after s1:
   0.001/2 + 0.005/4 + 0.003/8 + 0.008/16 + 0.007/32 + 0.002/64 + 0.006/128
   + 0.004/256 = 0.0029375. Offsets about the best (0.000): 0.001 (s5),
   -0.002 (s3), 0.003 (s8), 0.001 (s7), -0.001 (s2), 0.002 (s6), 0 (s4):
   jitter = sqrt((1 + 4 + 9 + 1 + 1 + 4 + 0) e-6 / 7) = sqrt(20e-6 / 7). */
static void test_dispersion_jitter_eight_samples(void **state)
{
    static const struct { double offset, delay, disp; } in[8] = {
        { 0.000, 0.005, 0.001 },   /* s1: best */
        { -0.001, 0.050, 0.002 },  /* s2: 6th */
        { -0.002, 0.020, 0.003 },  /* s3: 3rd */
        { 0.000, 0.080, 0.004 },   /* s4: 8th */
        { 0.001, 0.010, 0.005 },   /* s5: 2nd */
        { 0.002, 0.060, 0.006 },   /* s6: 7th */
        { 0.001, 0.040, 0.007 },   /* s7: 5th */
        { 0.003, 0.030, 0.008 },   /* s8: 4th */
    };
    FLT_Filter f;

    (void)state;
    FLT_Phi = 0.0;
    FLT_Reset(&f);
    for (int i = 0; i < 8; i++)
        assert_int_equal(add(&f, in[i].offset, in[i].delay, in[i].disp, 64.0 * i),
                         i == 0 ? FLT_UPDATED : FLT_NO_UPDATE);
    assert_int_equal(FLT_ValidStages(&f), 8);
    assert_dbl_near(f.dispersion, 0.0029375, 1e-15);
    assert_dbl_near(f.jitter, sqrt(20e-6 / 7.0), 1e-15);
    assert_dbl_near(f.jitter, 0.0016903085094570332, 1e-15);
}

/* Jitter over four samples about the best (0.001): differences 0.002,
   -0.003, -0.001: sqrt(14e-6 / 3). A stage with MAXDISP dispersion (lost
   poll) does not count for jitter, nor as a valid stage. */
static void test_jitter_rms_about_best(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    assert_int_equal(add(&f, 0.001, 0.010, 0.001, 0.0), FLT_UPDATED);
    assert_int_equal(add(&f, 0.003, 0.020, 0.001, 64.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, -0.002, 0.030, 0.001, 128.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 0.000, 0.040, 0.001, 192.0), FLT_NO_UPDATE);
    assert_dbl_near(f.jitter, sqrt(14e-6 / 3.0), 1e-15);
    assert_dbl_near(f.jitter, 0.0021602468994692867, 1e-15);

    /* A lost poll: dispersion 16 (20 is clamped to MAXDISP), huge offset and
       the lowest delay; it sorts last and leaves the jitter alone. */
    assert_int_equal(add(&f, 5.0, 0.001, 20.0, 256.0), FLT_NO_UPDATE);
    assert_dbl_near(FLT_GetStage(&f, 0)->dispersion, FLT_MAXDISP, 0.0);
    assert_dbl_near(f.jitter, sqrt(14e-6 / 3.0), 1e-15);
    assert_dbl_near(f.offset, 0.001, 0.0);
    assert_int_equal(FLT_ValidStages(&f), 4);
    assert_non_null(FLT_GetStage(&f, 4));
}

static void test_jitter_floor(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    assert_int_equal(FLT_AddSample(&f, 0.5, 0.010, 0.001, 0.0, 0.0, 1e-3, POLL, JUMP), FLT_UPDATED);
    assert_int_equal(FLT_AddSample(&f, 0.5001, 0.020, 0.001, 0.0, 64.0, 1e-3, POLL, JUMP),
                     FLT_NO_UPDATE);
    /* RMS 1e-4 is below the precision 1e-3: floored. */
    assert_dbl_near(f.jitter, 1e-3, 0.0);
}

/* Stages age at PHI between shifts; the newest has no age. */
static void test_dispersion_aging(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    assert_int_equal(add(&f, 0.0, 0.010, 0.001, 0.0), FLT_UPDATED);
    assert_int_equal(add(&f, 0.0, 0.020, 0.002, 1000.0), FLT_NO_UPDATE);
    assert_dbl_near(f.last_shift, 1000.0, 0.0);
    assert_dbl_near(FLT_GetStage(&f, 0)->dispersion, 0.002, 0.0);
    assert_dbl_near(FLT_GetStage(&f, 1)->dispersion, 0.001 + 0.015, 1e-15);
    /* 0.016/2 + 0.002/4 + 16 * (1/8 + ... + 1/256) = 0.0085 + 3.9375. */
    assert_dbl_near(MISSING(2), 3.9375, 1e-15);
    assert_dbl_near(f.dispersion, 3.946, 1e-12);

    /* Aging accumulates over several shifts: 300 s more since the last. */
    assert_int_equal(add(&f, 0.0, 0.030, 0.003, 1300.0), FLT_NO_UPDATE);
    assert_dbl_near(FLT_GetStage(&f, 2)->dispersion, 0.001 + 15e-6 * 1300.0, 1e-15);
    assert_dbl_near(FLT_GetStage(&f, 1)->dispersion, 0.002 + 15e-6 * 300.0, 1e-15);
    assert_dbl_near(FLT_GetStage(&f, 0)->dispersion, 0.003, 0.0);
}

/* A stage aged up to MAXDISP is capped there and stops being valid. */
static void test_aging_caps_and_invalidates(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    assert_int_equal(add(&f, 0.0, 0.010, 15.9, 0.0), FLT_UPDATED);
    assert_int_equal(FLT_ValidStages(&f), 1);
    /* 10000 s at 15 ppm adds 0.15 s: 16.05 -> capped at 16. */
    add(&f, 0.0, 0.020, 0.001, 10000.0);
    assert_dbl_near(FLT_GetStage(&f, 1)->dispersion, FLT_MAXDISP, 0.0);
    assert_int_equal(FLT_ValidStages(&f), 1);
}

/* FLT_PHI is the tinker dispersion: a changed value changes the aging. */
static void test_aging_follows_phi(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Phi = 1e-4;
    FLT_Reset(&f);
    add(&f, 0.0, 0.010, 0.001, 0.0);
    add(&f, 0.0, 0.020, 0.001, 100.0);
    assert_dbl_near(FLT_GetStage(&f, 1)->dispersion, 0.001 + 0.01, 1e-15);
    assert_dbl_near(FLT_Dispersion(&f, 200.0), f.dispersion + 1e-4 * 200.0, 1e-15);
}

/* Samples lost only (dispersion >= MAXDISP): nothing to use. */
static void test_only_lost_samples(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    assert_int_equal(add(&f, 0.1, 0.010, FLT_MAXDISP, 0.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 0.1, 0.010, 100.0, 64.0), FLT_NO_UPDATE);
    assert_int_equal(f.have_sample, 0);
    assert_int_equal(FLT_ValidStages(&f), 0);
    assert_non_null(FLT_GetStage(&f, 1));
    assert_null(FLT_GetStage(&f, 2));
    assert_dbl_near(FLT_Dispersion(&f, 64.0), FLT_MAXDISP, 0.0);
}

/* "Use a sample only once": the best sample is the one already in use
   (same epoch), or older than it. */
static void test_use_sample_once(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    assert_int_equal(add(&f, 0.001, 0.010, 0.001, 0.0), FLT_UPDATED);
    /* Newer and of lower delay but with a dispersion close to MAXDISP. */
    assert_int_equal(add(&f, 0.002, 0.005, 15.99, 10.0), FLT_UPDATED);
    assert_dbl_near(f.epoch, 10.0, 0.0);
    assert_dbl_near(f.offset, 0.002, 0.0);
    /* Same best again (epoch 10 = the one in use). */
    assert_int_equal(add(&f, 0.003, 0.020, 0.001, 20.0), FLT_NO_UPDATE);
    assert_dbl_near(f.epoch, 10.0, 0.0);
    assert_dbl_near(f.offset, 0.002, 0.0);
    /* 2000 s later the epoch-10 stage has aged past MAXDISP: the best is
       now the epoch-0 stage, older than the one in use: not used. */
    assert_int_equal(add(&f, 0.004, 0.030, 0.001, 2000.0), FLT_NO_UPDATE);
    assert_dbl_near(FLT_GetStage(&f, 2)->dispersion, FLT_MAXDISP, 0.0);
    assert_dbl_near(f.epoch, 10.0, 0.0);
    assert_dbl_near(f.offset, 0.002, 0.0);
    assert_dbl_near(f.delay, 0.005, 0.0);
    /* But the peer dispersion and jitter are refreshed: good stages sorted
       s1 (0.001 + 0.03), s3 (0.001 + 15e-6 * 1980), s4 (0.001), then the
       lost one (16) and four missing ones. */
    double d1 = 0.001 + 15e-6 * 2000.0, d3 = 0.001 + 15e-6 * 1980.0, d4 = 0.001;
    assert_dbl_near(f.dispersion, d1 / 2 + d3 / 4 + d4 / 8 + MISSING(3), 1e-12);
    /* Jitter about s1 (0.001): 0.002 and 0.003. */
    assert_dbl_near(f.jitter, sqrt((4e-6 + 9e-6) / 2.0), 1e-15);
}

/* Popcorn spike: register full of samples at ~0.5 s while the offset in use
   is 0 (its sample was shifted out); the new best came less than two poll
   intervals after the one in use: suppressed. The next best, two poll
   intervals after, is accepted. */
static void fill_for_spike(FLT_Filter *f, double poll)
{
    FLT_Reset(f);
    assert_int_equal(FLT_AddSample(f, 0.0, 0.001, 0.001, 0.0, 0.0, PREC, poll, 0.0), FLT_UPDATED);
    for (int k = 1; k <= 7; k++) {
        double off = 0.5 + (k % 2 ? 1e-4 : -1e-4);
        assert_int_equal(FLT_AddSample(f, off, 0.010 + 0.001 * k, 0.001, 0.0, 64.0 * k, PREC, poll,
                                       0.0),
                         FLT_NO_UPDATE);
    }
}

static void test_spike_suppressed_then_accepted(void **state)
{
    FLT_Filter f;

    (void)state;
    fill_for_spike(&f, 64.0);
    /* The epoch-0 stage leaves the ring; best: epoch 64 (delay 0.011),
       64 s < 2 * 64 s after the one in use. */
    assert_int_equal(FLT_AddSample(&f, 0.5, 0.020, 0.001, 0.0, 512.0, PREC, 64.0, 0.0), FLT_SPIKE);
    assert_int_equal(f.spikes, 1);
    assert_dbl_near(f.offset, 0.0, 0.0);
    assert_dbl_near(f.epoch, 0.0, 0.0);
    /* The epoch-64 stage leaves; best: epoch 128 (delay 0.012), exactly
       two poll intervals after: accepted. */
    assert_int_equal(FLT_AddSample(&f, 0.5, 0.021, 0.001, 0.0, 576.0, PREC, 64.0, 0.0),
                     FLT_UPDATED);
    assert_int_equal(f.spikes, 1);
    assert_dbl_near(f.offset, 0.4999, 0.0);
    assert_dbl_near(f.delay, 0.012, 0.0);
    assert_dbl_near(f.epoch, 128.0, 0.0);
}

/* The same data with a 32 s poll interval: 64 s is already two intervals. */
static void test_spike_window_is_two_polls(void **state)
{
    FLT_Filter f;

    (void)state;
    fill_for_spike(&f, 32.0);
    assert_int_equal(FLT_AddSample(&f, 0.5, 0.020, 0.001, 0.0, 512.0, PREC, 32.0, 0.0),
                     FLT_UPDATED);
    assert_int_equal(f.spikes, 0);
    assert_dbl_near(f.offset, 0.5001, 0.0);
    assert_dbl_near(f.epoch, 64.0, 0.0);
}

/* The spike gate is ntpd 4.2.8's (filter.c): the jitter it is judged by
   includes the new sample, so a lone low-delay sample 0.1 s away from a
   tight register is taken as the new output, not suppressed. (The
   discipline, not the filter, treats such a sample as a spike.) */
static void test_spike_gate_uses_new_jitter(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    for (int k = 0; k < 7; k++)
        assert_int_equal(add(&f, k % 2 ? 5e-5 : -5e-5, 0.016 - 0.001 * k, 0.001, 64.0 * k),
                         FLT_UPDATED);
    assert_dbl_near(f.epoch, 384.0, 0.0);
    assert_int_equal(add(&f, 0.1, 0.005, 0.001, 448.0), FLT_UPDATED);
    assert_dbl_near(f.offset, 0.1, 0.0);
}

/* The base register for the jump tests: four samples at `base`, the first
   (delay 0.010) in use. */
static void fill_base(FLT_Filter *f, double base)
{
    FLT_Reset(f);
    assert_int_equal(add(f, base, 0.010, 0.001, 0.0), FLT_UPDATED);
    for (int k = 1; k < 4; k++)
        assert_int_equal(add(f, base, 0.010 + 0.001 * k, 0.001, 64.0 * k), FLT_NO_UPDATE);
}

/* Three consistent samples about 1 s away (higher delays, so none is used
   on its own): the third confirms the jump. The changes against the offset
   in use (0.001) are 0.999, 1.009 and 1.003; the older stages are re-based
   by their median, 1.003 (not the mean 1.00367, not the lowest-delay
   sample's 0.999), and the output is taken afresh from the whole register:
   the re-based stage of least delay, offset 0.001 + 1.003 = 1.004.
   No aging (PHI = 0): 7 stages of 0.001 s and one missing:
   0.001 * (1 - 1/128) + 16/256. Jitter about 1.004: 0 (x3, re-based),
   -0.004, +0.006, 0: sqrt(52e-6 / 6). */
static void test_jump_confirmed(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Phi = 0.0;
    fill_base(&f, 0.001);
    assert_int_equal(add(&f, 1.000, 0.020, 0.001, 256.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 1.010, 0.025, 0.001, 320.0), FLT_NO_UPDATE);
    assert_dbl_near(f.offset, 0.001, 0.0);
    assert_int_equal(FLT_ValidStages(&f), 6);
    assert_int_equal(add(&f, 1.004, 0.030, 0.001, 384.0), FLT_JUMP);
    assert_int_equal(f.have_sample, 1);
    assert_dbl_near(f.offset, 1.004, 1e-12);
    assert_dbl_near(f.delay, 0.010, 0.0);
    assert_dbl_near(f.epoch, 0.0, 0.0);
    assert_dbl_near(f.jitter, sqrt(52e-6 / 6.0), 1e-12);
    assert_dbl_near(f.dispersion, 0.001 * 127.0 / 128.0 + 0.0625, 1e-12);
    /* Nothing dropped: the new samples as they came, the old re-based. */
    assert_int_equal(FLT_ValidStages(&f), 7);
    assert_dbl_near(FLT_GetStage(&f, 0)->offset, 1.004, 0.0);
    assert_dbl_near(FLT_GetStage(&f, 1)->offset, 1.010, 0.0);
    assert_dbl_near(FLT_GetStage(&f, 2)->offset, 1.000, 0.0);
    for (int age = 3; age < 7; age++) {
        assert_dbl_near(FLT_GetStage(&f, age)->offset, 1.004, 1e-12);
        assert_dbl_near(FLT_GetStage(&f, age)->delay, 0.010 + 0.001 * (6 - age), 1e-15);
    }
    assert_null(FLT_GetStage(&f, 7));

    /* Afterwards the filter runs normally: a higher delay changes nothing,
       a lower one is used. */
    assert_int_equal(add(&f, 1.006, 0.015, 0.001, 448.0), FLT_NO_UPDATE);
    assert_dbl_near(f.offset, 1.004, 1e-12);
    assert_int_equal(add(&f, 1.005, 0.005, 0.001, 512.0), FLT_UPDATED);
    assert_dbl_near(f.offset, 1.005, 0.0);
    assert_dbl_near(f.epoch, 512.0, 0.0);
}

/* Changes -0.300, -0.310, -0.305: median -0.305. */
static void test_jump_negative(void **state)
{
    FLT_Filter f;

    (void)state;
    fill_base(&f, 0.0);
    assert_int_equal(add(&f, -0.300, 0.020, 0.001, 256.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, -0.310, 0.030, 0.001, 320.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, -0.305, 0.025, 0.001, 384.0), FLT_JUMP);
    assert_dbl_near(f.offset, -0.305, 1e-15);
    assert_dbl_near(f.delay, 0.010, 0.0);
    assert_int_equal(FLT_ValidStages(&f), 7);
}

/* Stages of a lost poll (MAXDISP) are not re-based. */
static void test_jump_rebases_only_good_stages(void **state)
{
    FLT_Filter f;

    (void)state;
    fill_base(&f, 0.0);
    assert_int_equal(add(&f, 0.0, 0.001, FLT_MAXDISP, 200.0), FLT_NO_UPDATE);
    add(&f, 0.5, 0.020, 0.001, 256.0);
    add(&f, 0.5, 0.020, 0.001, 320.0);
    assert_int_equal(add(&f, 0.5, 0.020, 0.001, 384.0), FLT_JUMP);
    assert_dbl_near(FLT_GetStage(&f, 3)->offset, 0.0, 0.0);   /* the lost poll */
    for (int age = 4; age < 8; age++)
        assert_dbl_near(FLT_GetStage(&f, age)->offset, 0.5, 0.0);
    assert_dbl_near(f.offset, 0.5, 0.0);
    assert_int_equal(FLT_ValidStages(&f), 7);
}

/* A stage already at the new level (taken after the jump, but before a
   sample at the old level broke the run) must not be moved again: only
   stages at the old level are re-based. Sequence after the base (0.0):
   1.0, 0.0, 1.0, 1.0, 1.0 -> the last confirms a jump of 1.0; the 0.0
   stage becomes 1.0, the early 1.0 stage stays 1.0 (not 2.0). */
static void test_jump_rebases_old_level_only(void **state)
{
    FLT_Filter f;

    (void)state;
    fill_base(&f, 0.0);
    assert_int_equal(add(&f, 1.0, 0.030, 0.001, 256.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 0.0, 0.030, 0.001, 320.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 1.0, 0.030, 0.001, 384.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 1.0, 0.030, 0.001, 448.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 1.0, 0.030, 0.001, 512.0), FLT_JUMP);
    assert_dbl_near(FLT_GetStage(&f, 3)->offset, 1.0, 0.0);   /* was 0.0 */
    assert_dbl_near(FLT_GetStage(&f, 4)->offset, 1.0, 0.0);   /* already 1.0 */
    for (int age = 5; age < 8; age++)
        assert_dbl_near(FLT_GetStage(&f, age)->offset, 1.0, 0.0);
    assert_dbl_near(f.offset, 1.0, 0.0);
    assert_dbl_near(f.jitter, PREC, 0.0);
}

/* Beyond the threshold but spread 0.1 >= 0.128 / 2: not a jump. */
static void test_jump_inconsistent(void **state)
{
    FLT_Filter f;

    (void)state;
    fill_base(&f, 0.0);
    assert_int_equal(add(&f, 1.00, 0.030, 0.001, 256.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 1.10, 0.030, 0.001, 320.0), FLT_NO_UPDATE);
    assert_int_equal(add(&f, 1.05, 0.030, 0.001, 384.0), FLT_NO_UPDATE);
    assert_dbl_near(f.offset, 0.0, 0.0);
    assert_int_equal(FLT_ValidStages(&f), 7);
}

/* Spread exactly threshold / 2 does not count; half that does. Offsets and
   threshold are binary fractions, so the comparison is exact. */
static void test_jump_spread_boundary(void **state)
{
    FLT_Filter f;
    const double thr = 0.25;

    (void)state;
    fill_base(&f, 0.0);
    assert_int_equal(FLT_AddSample(&f, 1.0, 0.030, 0.001, 0.0, 256.0, PREC, POLL, thr),
                     FLT_NO_UPDATE);
    assert_int_equal(FLT_AddSample(&f, 1.125, 0.030, 0.001, 0.0, 320.0, PREC, POLL, thr),
                     FLT_NO_UPDATE);
    assert_int_equal(FLT_AddSample(&f, 1.0625, 0.030, 0.001, 0.0, 384.0, PREC, POLL, thr),
                     FLT_NO_UPDATE);
    assert_dbl_near(f.offset, 0.0, 0.0);

    fill_base(&f, 0.0);
    assert_int_equal(FLT_AddSample(&f, 1.0, 0.030, 0.001, 0.0, 256.0, PREC, POLL, thr),
                     FLT_NO_UPDATE);
    assert_int_equal(FLT_AddSample(&f, 1.0625, 0.031, 0.001, 0.0, 320.0, PREC, POLL, thr),
                     FLT_NO_UPDATE);
    assert_int_equal(FLT_AddSample(&f, 1.03125, 0.032, 0.001, 0.0, 384.0, PREC, POLL, thr),
                     FLT_JUMP);
    /* Re-based by the median change 1.03125; the base stage is the best. */
    assert_dbl_near(f.offset, 1.03125, 0.0);
}

/* Not beyond the threshold on one side for all three: no jump. */
static void test_jump_needs_all_three(void **state)
{
    FLT_Filter f;

    (void)state;
    fill_base(&f, 0.0);
    add(&f, 1.0, 0.030, 0.001, 256.0);
    add(&f, 1.0, 0.030, 0.001, 320.0);
    assert_int_equal(add(&f, 0.1, 0.030, 0.001, 384.0), FLT_NO_UPDATE);
    assert_dbl_near(f.offset, 0.0, 0.0);

    /* Both sides beyond the threshold. */
    fill_base(&f, 0.0);
    add(&f, 0.2, 0.030, 0.001, 256.0);
    add(&f, -0.2, 0.030, 0.001, 320.0);
    assert_int_equal(add(&f, 0.2, 0.030, 0.001, 384.0), FLT_NO_UPDATE);
    assert_int_equal(FLT_ValidStages(&f), 7);
}

/* Threshold 0 disables jump detection. */
static void test_jump_disabled(void **state)
{
    FLT_Filter f;

    (void)state;
    fill_base(&f, 0.0);
    for (int k = 0; k < 3; k++)
        assert_int_equal(FLT_AddSample(&f, 1.0, 0.030, 0.001, 0.0, 256.0 + 64.0 * k, PREC, POLL,
                                       0.0),
                         FLT_NO_UPDATE);
    assert_dbl_near(f.offset, 0.0, 0.0);
    assert_int_equal(FLT_ValidStages(&f), 7);
}

static FLT_Result addp(FLT_Filter *f, double offset, double delay, double phase, double now)
{
    return FLT_AddSample(f, offset, delay, 0.001, phase, now, PREC, POLL, JUMP);
}

/* Samples are compared as offset + phase. We stepped the clock +0.5 s
   between the first sample (offset 0.5) and the others (offset 0.0, phase
   0.5): they agree, so the jitter is the precision floor and there is no
   jump. The output keeps its raw offset and its phase. */
static void test_phase_compares_uncorrected(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    assert_int_equal(addp(&f, 0.5, 0.010, 0.0, 0.0), FLT_UPDATED);
    assert_dbl_near(f.phase, 0.0, 0.0);
    assert_int_equal(addp(&f, 0.0, 0.020, 0.5, 64.0), FLT_NO_UPDATE);
    assert_dbl_near(f.jitter, PREC, 0.0);
    assert_int_equal(addp(&f, 0.0, 0.021, 0.5, 128.0), FLT_NO_UPDATE);
    assert_int_equal(addp(&f, 0.0, 0.022, 0.5, 192.0), FLT_NO_UPDATE);
    assert_dbl_near(f.offset, 0.5, 0.0);
    assert_dbl_near(f.phase, 0.0, 0.0);
    assert_dbl_near(FLT_GetStage(&f, 0)->phase, 0.5, 0.0);
    assert_dbl_near(FLT_GetStage(&f, 3)->phase, 0.0, 0.0);

    /* A new best after the step: raw offset and phase are taken over. */
    assert_int_equal(addp(&f, 0.001, 0.005, 0.5, 256.0), FLT_UPDATED);
    assert_dbl_near(f.offset, 0.001, 0.0);
    assert_dbl_near(f.phase, 0.5, 0.0);
    /* Jitter about 0.501: four stages at 0.5. */
    assert_dbl_near(f.jitter, 0.001, 1e-12);
}

/* The same raw offsets without the phase would be a jump of -0.5 s... */
static void test_phase_without_it_is_a_jump(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    addp(&f, 0.5, 0.010, 0.0, 0.0);
    addp(&f, 0.0, 0.020, 0.0, 64.0);
    addp(&f, 0.0, 0.021, 0.0, 128.0);
    assert_int_equal(addp(&f, 0.0, 0.022, 0.0, 192.0), FLT_JUMP);
    assert_dbl_near(f.offset, 0.0, 0.0);
}

/* ...and unchanged raw offsets after our +0.5 s step mean the other clock
   moved by +0.5 s: a jump, the old stage re-based to 1.0 (its phase 0). */
static void test_phase_reveals_jump(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    addp(&f, 0.5, 0.010, 0.0, 0.0);
    addp(&f, 0.5, 0.020, 0.5, 64.0);
    addp(&f, 0.5, 0.021, 0.5, 128.0);
    assert_int_equal(addp(&f, 0.5, 0.022, 0.5, 192.0), FLT_JUMP);
    assert_dbl_near(f.offset + f.phase, 1.0, 1e-15);
    assert_dbl_near(FLT_GetStage(&f, 3)->offset, 1.0, 1e-15);
}

/* The spike gate compares offset + phase too: in the spike scenario with
   the register's raw offsets at ~0 but phase 0.5 the best is 0.5 s away
   from the offset in use (0, phase 0): suppressed. With phase 0 the same
   raw offsets agree with it. */
static void test_phase_in_spike_gate(void **state)
{
    FLT_Filter f;

    (void)state;
    for (int with_phase = 0; with_phase < 2; with_phase++) {
        double ph = with_phase ? 0.5 : 0.0;
        FLT_Reset(&f);
        assert_int_equal(FLT_AddSample(&f, 0.0, 0.001, 0.001, 0.0, 0.0, PREC, 64.0, 0.0),
                         FLT_UPDATED);
        for (int k = 1; k <= 7; k++)
            FLT_AddSample(&f, k % 2 ? 1e-4 : -1e-4, 0.010 + 0.001 * k, 0.001, ph, 64.0 * k,
                          PREC, 64.0, 0.0);
        FLT_Result r = FLT_AddSample(&f, 0.0, 0.020, 0.001, ph, 512.0, PREC, 64.0, 0.0);
        assert_int_equal(r, with_phase ? FLT_SPIKE : FLT_UPDATED);
    }
}

/* Ring: after 11 samples, ages 0..7 are samples 11..4; age 8 and negative
   ages are NULL. */
static void test_get_stage_ring_wrap(void **state)
{
    FLT_Filter f;

    (void)state;
    FLT_Reset(&f);
    for (int k = 1; k <= 11; k++) {
        FLT_AddSample(&f, 0.001 * k, 0.010 + 0.001 * k, 0.001, 0.0, 64.0 * k, PREC, POLL, 0.0);
        int filled = k < FLT_STAGES ? k : FLT_STAGES;
        assert_int_equal(FLT_ValidStages(&f), filled);
        assert_non_null(FLT_GetStage(&f, filled - 1));
        if (filled < FLT_STAGES)
            assert_null(FLT_GetStage(&f, filled));
    }
    assert_int_equal(f.newest, (11 - 1) % FLT_STAGES);
    for (int age = 0; age < FLT_STAGES; age++) {
        const FLT_Stage *s = FLT_GetStage(&f, age);
        assert_non_null(s);
        assert_dbl_near(s->offset, 0.001 * (11 - age), 1e-15);
        assert_dbl_near(s->epoch, 64.0 * (11 - age), 0.0);
        assert_dbl_near(s->delay, 0.010 + 0.001 * (11 - age), 1e-15);
    }
    assert_null(FLT_GetStage(&f, FLT_STAGES));
    assert_null(FLT_GetStage(&f, -1));
    /* Samples 1..3 (the lowest delays) are gone: the output is sample 4
       (offset 0.004), the best of what is left. */
    assert_dbl_near(f.offset, 0.004, 1e-15);
    assert_dbl_near(f.epoch, 256.0, 0.0);
}

/* Randomised (seeded) cross-check of the dispersion and jitter formulas
   against a direct evaluation over a separately kept list of samples
   (PHI = 0, 8+ samples, distinct delays). */
static void test_random_against_formula(void **state)
{
    FLT_Filter f;
    unsigned seed = 12345;
    int checked = 0;

    (void)state;
    FLT_Phi = 0.0;
    for (int round = 0; round < 200; round++) {
        double off[32], del[32], disp[32];
        FLT_Result last = FLT_NO_UPDATE;
        int n = 8 + (int)(rand_r(&seed) % 20);

        FLT_Reset(&f);
        for (int k = 0; k < n; k++) {
            off[k] = (rand_r(&seed) % 2001 - 1000) * 1e-6;
            /* Distinct delays: a random permutation-like key plus k. */
            del[k] = 0.010 + (rand_r(&seed) % 1000) * 1e-5 + k * 1e-9;
            disp[k] = (rand_r(&seed) % 1000 + 1) * 1e-5;
            last = FLT_AddSample(&f, off[k], del[k], disp[k], 0.0, 64.0 * k, PREC, POLL, 0.0);
        }
        /* The last 8: selection sort by delay. */
        int idx[8];
        for (int i = 0; i < 8; i++)
            idx[i] = n - 8 + i;
        for (int i = 0; i < 8; i++)
            for (int j = i + 1; j < 8; j++)
                if (del[idx[j]] < del[idx[i]]) {
                    int t = idx[i];
                    idx[i] = idx[j];
                    idx[j] = t;
                }
        double want_disp = 0, sq = 0;
        for (int i = 0; i < 8; i++) {
            want_disp += disp[idx[i]] / (double)(2 << i);
            sq += (off[idx[i]] - off[idx[0]]) * (off[idx[i]] - off[idx[0]]);
        }
        double want_jit = fmax(sqrt(sq / 7.0), PREC);
        /* The spike path leaves the peer variables alone; compare only when
           the last call was not a spike. */
        if (last != FLT_SPIKE) {
            assert_dbl_near(f.dispersion, want_disp, 1e-12);
            assert_dbl_near(f.jitter, want_jit, 1e-12);
            checked++;
        }
    }
    assert_true(checked > 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_phi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_sample, setup, teardown),
        cmocka_unit_test_setup_teardown(test_min_delay_selected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispersion_four_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispersion_jitter_eight_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jitter_rms_about_best, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jitter_floor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispersion_aging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aging_caps_and_invalidates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aging_follows_phi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_lost_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_use_sample_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spike_suppressed_then_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spike_window_is_two_polls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spike_gate_uses_new_jitter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jump_confirmed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jump_negative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jump_inconsistent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jump_spread_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jump_needs_all_three, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jump_disabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jump_rebases_only_good_stages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jump_rebases_old_level_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phase_compares_uncorrected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phase_without_it_is_a_jump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phase_reveals_jump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phase_in_spike_gate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_stage_ring_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_against_formula, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
