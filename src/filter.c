/* filter — see filter.h. Follows the reference code of RFC 5905 §A.5.2
   (clock_filter), with the register kept as a ring instead of shifted. */
#include "filter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double FLT_Phi = FLT_DEFAULT_PHI;

void FLT_Reset(FLT_Filter *f)
{
    memset(f, 0, sizeof *f);
    f->newest = -1;
    f->dispersion = FLT_MAXDISP;
    for (int i = 0; i < FLT_STAGES; i++)
        f->stage[i].dispersion = FLT_MAXDISP;
}

const FLT_Stage *FLT_GetStage(const FLT_Filter *f, int age)
{
    if (f->newest < 0 || age < 0 || age >= FLT_STAGES)
        return NULL;
    const FLT_Stage *s = &f->stage[(f->newest - age + FLT_STAGES) % FLT_STAGES];
    return s->valid ? s : NULL;
}

int FLT_ValidStages(const FLT_Filter *f)
{
    int n = 0;

    for (int i = 0; i < FLT_STAGES; i++)
        if (f->stage[i].valid && f->stage[i].dispersion < FLT_MAXDISP)
            n++;
    return n;
}

double FLT_Dispersion(const FLT_Filter *f, double now)
{
    if (!f->have_sample)
        return FLT_MAXDISP;
    return fmin(f->dispersion + FLT_PHI * (now - f->epoch), FLT_MAXDISP);
}

static int by_distance(const void *a, const void *b)
{
    const FLT_Stage *x = *(const FLT_Stage *const *)a, *y = *(const FLT_Stage *const *)b;
    /* Sort key: delay, but samples with MAXDISP dispersion (lost polls) go
       last whatever their delay, as RFC 5905's sort on distance does. */
    int xbad = x->dispersion >= FLT_MAXDISP, ybad = y->dispersion >= FLT_MAXDISP;

    if (xbad != ybad)
        return xbad - ybad;
    return (x->delay > y->delay) - (x->delay < y->delay);
}

/* Offset as it would have been without our phase corrections. */
static double uncorrected(const FLT_Stage *s)
{
    return s->offset + s->phase;
}

/* Do the newest FLT_JUMP_CONFIRM stages, all newer than the sample in use,
   agree with each other and sit more than `threshold` away from the
   current offset on the same side? Then a clock really moved. */
static int jump_confirmed(const FLT_Filter *f, double threshold)
{
    double lo = INFINITY, hi = -INFINITY;

    if (threshold <= 0 || !f->have_sample)
        return 0;
    for (int age = 0; age < FLT_JUMP_CONFIRM; age++) {
        const FLT_Stage *s = FLT_GetStage(f, age);
        if (!s || s->epoch <= f->epoch || s->dispersion >= FLT_MAXDISP)
            return 0;
        lo = fmin(lo, uncorrected(s) - (f->offset + f->phase));
        hi = fmax(hi, uncorrected(s) - (f->offset + f->phase));
    }
    return (lo > threshold || hi < -threshold) && hi - lo < threshold / 2.0;
}

FLT_Result FLT_AddSample(FLT_Filter *f, double offset, double delay, double dispersion,
                         double phase, double now, double precision,
                         double poll_interval, double jump_threshold)
{
    /* Age every stored stage by the time since the last shift. */
    double aging = f->newest >= 0 ? FLT_PHI * (now - f->last_shift) : 0.0;

    for (int i = 0; i < FLT_STAGES; i++)
        if (f->stage[i].valid)
            f->stage[i].dispersion = fmin(f->stage[i].dispersion + aging, FLT_MAXDISP);
    f->last_shift = now;

    f->newest = (f->newest + 1) % FLT_STAGES;
    f->stage[f->newest] = (FLT_Stage){ offset, delay, fmin(dispersion, FLT_MAXDISP), now, phase,
                                       1 };

    int jumped = jump_confirmed(f, jump_threshold);
    if (jumped) {
        /* A clock moved: re-base the older stages by the jump (the median
           of the new samples' change), so their delays and dispersions still
           count and the peer stays selectable, and take the output afresh. */
        double d[FLT_JUMP_CONFIRM];
        for (int age = 0; age < FLT_JUMP_CONFIRM; age++)
            d[age] = uncorrected(FLT_GetStage(f, age)) - (f->offset + f->phase);
        for (int i = 1; i < FLT_JUMP_CONFIRM; i++)
            for (int j = i; j > 0 && d[j - 1] > d[j]; j--) {
                double t = d[j];
                d[j] = d[j - 1];
                d[j - 1] = t;
            }
        double jump = d[FLT_JUMP_CONFIRM / 2];
        for (int age = FLT_JUMP_CONFIRM; age < FLT_STAGES; age++) {
            FLT_Stage *st = &f->stage[(f->newest - age + FLT_STAGES) % FLT_STAGES];
            /* Only stages still at the old level: one taken after the jump
               (a suppressed spike) already shows it. */
            if (st->valid && st->dispersion < FLT_MAXDISP &&
                fabs(uncorrected(st) - (f->offset + f->phase)) < jump_threshold / 2.0)
                st->offset += jump;
        }
        f->have_sample = 0;
    }

    const FLT_Stage *sorted[FLT_STAGES];
    int n = 0;
    for (int i = 0; i < FLT_STAGES; i++)
        if (f->stage[i].valid)
            sorted[n++] = &f->stage[i];
    qsort(sorted, n, sizeof sorted[0], by_distance);

    int m = 0;
    while (m < n && sorted[m]->dispersion < FLT_MAXDISP)
        m++;

    /* Peer dispersion: stages weighted 1/2, 1/4, ... in distance order,
       missing stages counting as MAXDISP. Jitter: RMS of the offsets of the
       good stages about the best one, floored at the clock precision. */
    double disp = 0.0, jit = 0.0;
    for (int i = FLT_STAGES - 1; i >= 0; i--) {
        double d = i < n ? sorted[i]->dispersion : FLT_MAXDISP;
        disp = 0.5 * (disp + d);
        if (i < m)
            jit += (uncorrected(sorted[i]) - uncorrected(sorted[0])) *
                   (uncorrected(sorted[i]) - uncorrected(sorted[0]));
    }
    if (m == 0)
        return FLT_NO_UPDATE;

    const FLT_Stage *best = sorted[0];
    double jitter = fmax(m > 1 ? sqrt(jit / (m - 1)) : 0.0, precision);

    /* Use a sample only once, never one older than the last used. */
    if (f->have_sample && best->epoch <= f->epoch) {
        f->dispersion = disp;
        f->jitter = jitter;
        return FLT_NO_UPDATE;
    }

    /* Popcorn spike (as ntpd 4.2.8): a new best sample farther from the
       one in use than FLT_SGATE times the jitter *including it*, following
       the last update too soon, is suppressed; after two poll intervals a
       persistent change is accepted. Because the spike raises the jitter it
       is judged by, this catches a spike only when the register already
       holds several samples near it; the discipline weights every sample
       by its delay and confirms large offsets itself, which is where
       outliers are really handled (gating on the previous jitter instead
       delayed legitimate changes in the simulator). */
    if (f->have_sample && m > 1 &&
        fabs(uncorrected(best) - (f->offset + f->phase)) > FLT_SGATE * jitter &&
        best->epoch - f->epoch < 2.0 * poll_interval) {
        f->spikes++;
        return FLT_SPIKE;
    }

    f->have_sample = 1;
    f->offset = best->offset;
    f->delay = best->delay;
    f->dispersion = disp;
    f->jitter = jitter;
    f->epoch = best->epoch;
    f->phase = best->phase;
    return jumped ? FLT_JUMP : FLT_UPDATED;
}
