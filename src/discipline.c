/* discipline — see discipline.h. */
#include "discipline.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "filter.h"
#include "log.h"
#include "mem.h"
#include "sched.h"

#define MAX_SAMPLES 16
#define MIN_RUNS_SAMPLES 6        /* below this the runs test says nothing */
#define PHASE_SAMPLES 4           /* newest samples that set the phase */
#define SPIKE_THRESHOLD 0.128     /* s: larger jumps are spikes even with -x */
/* Growth of the frequency estimate's variance with time: how fast a
   typical quartz oscillator's frequency wanders, (ppm)^2 per s. */
#define WANDER_VARIANCE_RATE (0.005 * 0.005)
/* Initial uncertainty of a frequency with no drift file, and of one read
   from a drift file (the oscillator may have been cold or hot since). */
#define NO_DRIFT_SKEW 500.0
#define DRIFT_FILE_SKEW 2.0
/* Poll adjustment after RFC 5905: offsets within PGATE jitters count up,
   larger ones count down twice as fast; LIMIT either way moves the poll. */
#define POLL_GATE 4.0
#define POLL_LIMIT 30

typedef struct {
    double t;     /* scheduler s */
    double raw;   /* s: measured offset + everything we had added then */
    double var;   /* s^2: variance of the measurement */
} Sample;

static DSC_Params params;
static DSC_State state;
static double base_freq;       /* ppm applied at start (drift file or kernel) */
static double freq;            /* ppm relative to base_freq: the estimate */
static double freq_var;        /* ppm^2: its variance */
static double freq_var_time;   /* scheduler s when freq_var was set */
static double slew_rate;       /* ppm relative to base_freq + freq: phase correction */
static double applied_freq;    /* ppm relative to base_freq now in effect */
static double added;           /* s added to the clock by us up to added_time */
static double added_time;
static SCH_Timer slew_end_timer;
static double slew_end_at;     /* scheduler s when the phase correction ends */
/* History of the phase corrections: piecewise linear in time, one point
   per change of the slew rate or step. */
#define PHASE_HISTORY 256
static struct PhasePoint {
    double t;       /* scheduler s */
    double phase;   /* s added by phase corrections up to t */
    double rate;    /* ppm of phase correction from t on */
} phase_hist[PHASE_HISTORY];
static int phase_first, phase_count;
static Sample samples[MAX_SAMPLES];
static int n_samples;
static double spike_start;
static double spike_offset;     /* s, the offset that started the spike */
static int spike_votes;         /* samples agreeing with it */
static unsigned steps;
static int poll_exp, poll_count;
static int updates;

static const char *state_names[] = { "NSET", "FSET", "SYNC", "SPIK" };

const char *DSC_StateName(DSC_State s)
{
    return s <= DSC_STATE_SPIK ? state_names[s] : "?";
}

double DSC_PhaseAt(double t)
{
    if (phase_count == 0)
        return 0.0;
    /* Newest point at or before t (points are in time order). */
    for (int k = phase_count - 1; k >= 0; k--) {
        const struct PhasePoint *pp = &phase_hist[(phase_first + k) % PHASE_HISTORY];
        if (pp->t <= t || k == 0)
            return pp->phase + (t > pp->t ? pp->rate * 1e-6 * (t - pp->t) : 0.0);
    }
    return 0.0;
}

/* Record a change at `now`: `jump` s added at once, then `rate` ppm. */
static void phase_change(double now, double jump, double rate)
{
    double phase = DSC_PhaseAt(now) + jump;
    struct PhasePoint *pp;

    if (phase_count == PHASE_HISTORY) {
        phase_first = (phase_first + 1) % PHASE_HISTORY;
        phase_count--;
    }
    pp = &phase_hist[(phase_first + phase_count++) % PHASE_HISTORY];
    *pp = (struct PhasePoint){ now, phase, rate };
}

/* Bring `added` up to `now` at the frequency correction in effect. */
static void integrate(double now)
{
    if (now > added_time) {
        added += applied_freq * 1e-6 * (now - added_time);
        added_time = now;
    }
}

/* Apply base_freq + freq + slew_rate to the clock (when it can be). */
static void apply_frequency(double now)
{
    integrate(now);
    if (!CLK_CanAdjust()) {
        applied_freq = 0.0;
        return;
    }
    double want = freq + slew_rate;
    double total = base_freq + want;
    if (total > params.max_frequency)
        total = params.max_frequency;
    else if (total < -params.max_frequency)
        total = -params.max_frequency;
    if (CLK_SetFrequency(total) == 0) {
        applied_freq = total - base_freq;
        /* What is beyond the frequency estimate corrects the phase. */
        phase_change(now, 0.0, applied_freq - freq);
    }
}

static void slew_end(void *arg)
{
    (void)arg;
    slew_end_timer = NULL;
    slew_rate = 0.0;
    apply_frequency(SCH_Monotonic());
}

/* Remove `phase` s (positive: advance the clock) by running the clock
   faster or slower for `duration` s, at most as fast as the frequency
   limit leaves room for. */
static void start_slew(double now, double phase, double duration)
{
    double room = params.max_frequency - fabs(base_freq + freq);

    SCH_RemoveTimer(slew_end_timer);
    slew_end_timer = NULL;
    if (room < 1.0)
        room = 1.0;
    if (duration < 1.0)
        duration = 1.0;
    slew_rate = phase / duration * 1e6;
    if (fabs(slew_rate) > room) {
        slew_rate = copysign(room, slew_rate);
        duration = fabs(phase) / (room * 1e-6);
    }
    apply_frequency(now);
    if (CLK_CanAdjust() && slew_rate != 0.0) {
        slew_end_timer = SCH_AddTimer(duration, slew_end, NULL);
        slew_end_at = now + duration;
    }
    else
        slew_rate = 0.0;
}

void DSC_Init(const DSC_Params *p, int have_drift, double drift_ppm)
{
    params = *p;
    if (params.max_frequency <= 0)
        params.max_frequency = DSC_MAX_FREQUENCY;
    state = have_drift ? DSC_STATE_FSET : DSC_STATE_NSET;
    base_freq = have_drift ? drift_ppm : CLK_GetFrequency();
    if (base_freq > params.max_frequency || base_freq < -params.max_frequency)
        base_freq = copysign(params.max_frequency, base_freq);
    freq = 0.0;
    freq_var = have_drift ? DRIFT_FILE_SKEW * DRIFT_FILE_SKEW : NO_DRIFT_SKEW * NO_DRIFT_SKEW;
    added = 0.0;
    added_time = freq_var_time = SCH_Monotonic();
    applied_freq = slew_rate = 0.0;
    n_samples = 0;
    steps = 0;
    updates = 0;
    phase_first = phase_count = 0;
    poll_exp = params.minpoll;
    poll_count = 0;
    if (have_drift && CLK_CanAdjust())
        CLK_SetFrequency(base_freq);
    LOG(LOGS_INFO, "clock discipline: frequency %+.3f ppm (%s), step threshold %.3f s, "
        "stepout %.0f s, panic %.0f s", base_freq, have_drift ? "drift file" : "kernel",
        params.step_threshold, params.stepout, params.panic);
}

void DSC_Fini(void)
{
    SCH_RemoveTimer(slew_end_timer);
    slew_end_timer = NULL;
}

const DSC_Params *DSC_GetParams(void)
{
    return &params;
}

int DSC_GetPoll(void)
{
    return poll_exp;
}

double DSC_GetFrequency(void)
{
    return base_freq + freq;
}

double DSC_GetResidual(double now)
{
    if (!slew_end_timer || now >= slew_end_at)
        return 0.0;
    return slew_rate * 1e-6 * (slew_end_at - now);
}

DSC_State DSC_GetState(void)
{
    return state;
}

unsigned DSC_GetStepCount(void)
{
    return steps;
}

/* Weighted least squares over the newest `n` samples: value at `now` and
   slope (ppm) with its variance; the residuals' mean square per unit
   weight estimates the noise when there are enough samples. */
typedef struct {
    double value, slope, slope_var;
    int runs_ok;
} Fit;

static void fit_samples(int n, double now, Fit *f)
{
    const Sample *s = &samples[n_samples - n];
    double sw = 0, st = 0, sr = 0;

    for (int i = 0; i < n; i++) {
        double w = 1.0 / s[i].var;
        sw += w;
        st += w * (s[i].t - now);
        sr += w * s[i].raw;
    }
    double tm = st / sw, rm = sr / sw, stt = 0, str = 0;
    for (int i = 0; i < n; i++) {
        double w = 1.0 / s[i].var, dt = s[i].t - now - tm;
        stt += w * dt * dt;
        str += w * dt * (s[i].raw - rm);
    }
    double slope = stt > 0 ? str / stt : 0.0;   /* s/s */

    /* Residuals: chi-square per degree of freedom scales the variances when
       the noise is larger than the jitter said; sign runs test wander. */
    double chi2 = 0;
    int runs = 0, pos = 0, neg = 0, last = 0;
    for (int i = 0; i < n; i++) {
        double res = s[i].raw - (rm + slope * (s[i].t - now - tm));
        int sign = res >= 0 ? 1 : -1;
        chi2 += res * res / s[i].var;
        if (sign != last)
            runs++;
        last = sign;
        if (sign > 0)
            pos++;
        else
            neg++;
    }
    double scale = n > 2 ? fmax(chi2 / (n - 2), 1.0) : 1.0;

    f->value = rm - slope * tm;
    f->slope = slope * 1e6;
    f->slope_var = stt > 0 ? scale / stt * 1e12 : INFINITY;
    f->runs_ok = 1;
    if (n >= MIN_RUNS_SAMPLES) {
        if (pos == 0 || neg == 0) {
            f->runs_ok = 0;
        } else {
            double mu = 2.0 * pos * neg / n + 1.0;
            double var = (mu - 1.0) * (mu - 2.0) / (n - 1.0);
            f->runs_ok = runs >= mu - 2.0 * sqrt(var);
        }
    }
}

static double recent_phase(double now)
{
    int k = n_samples < PHASE_SAMPLES ? n_samples : PHASE_SAMPLES;
    double sw = 0.0, sv = 0.0;

    for (int i = n_samples - k; i < n_samples; i++) {
        double w = 1.0 / samples[i].var;
        sw += w;
        sv += w * (samples[i].raw + freq * 1e-6 * (now - samples[i].t));
    }
    return sv / sw;
}

static void add_sample(double now, double offset, double jitter)
{
    if (n_samples == MAX_SAMPLES) {
        memmove(samples, samples + 1, (MAX_SAMPLES - 1) * sizeof *samples);
        n_samples--;
    }
    double sigma = fmax(jitter, 1e-7);
    samples[n_samples++] = (Sample){ now, offset + added, sigma * sigma };
}

static void adjust_poll(double offset, double jitter)
{
    if (fabs(offset) < POLL_GATE * jitter) {
        poll_count += poll_exp;
        if (poll_count > POLL_LIMIT) {
            poll_count = POLL_LIMIT;
            if (poll_exp < params.maxpoll) {
                poll_count = 0;
                poll_exp++;
            }
        }
    } else {
        poll_count -= 2 * poll_exp;
        if (poll_count < -POLL_LIMIT) {
            poll_count = -POLL_LIMIT;
            if (poll_exp > params.minpoll) {
                poll_count = 0;
                poll_exp--;
            }
        }
    }
}

static void do_step(double now, double offset, const char *why)
{
    integrate(now);
    if (!CLK_CanAdjust()) {
        LOG(LOGS_WARN, "offset %+.6f s would be stepped (%s), but the clock is not "
            "adjusted (monitor-only)", offset, why);
        return;
    }
    if (CLK_Step(offset) < 0) {
        LOG(LOGS_ERR, "stepping the clock by %+.6f s failed", offset);
        return;
    }
    steps++;
    added += offset;
    phase_change(now, offset, applied_freq - freq);
    LOG(LOGS_WARN, "clock stepped by %+.6f s (%s)", offset, why);
}

/* Forget the raw offsets: the clock itself jumped, so the line through
   them no longer describes it. The frequency estimate stays. */
static void forget_samples(void)
{
    n_samples = 0;
}

static DSC_Result correct(double now, double offset, double jitter, const char *why)
{
    int first = state == DSC_STATE_NSET || state == DSC_STATE_FSET;

    if (fabs(offset) > params.step_threshold) {
        forget_samples();
        do_step(now, offset, why);
        state = DSC_STATE_SYNC;
        poll_exp = params.minpoll;
        poll_count = 0;
        return CLK_CanAdjust() ? DSC_STEPPED : DSC_IGNORED;
    }
    /* Slew-only (-x) or below the step threshold: remove it as fast as
       the frequency limit allows. */
    forget_samples();
    add_sample(now, offset, jitter);
    start_slew(now, offset, 0.0);
    if (!first)
        LOG(LOGS_WARN, "slewing %+.6f s at up to %.0f ppm (%s)", offset,
            params.max_frequency, why);
    state = DSC_STATE_SYNC;
    return CLK_CanAdjust() ? DSC_SLEWED : DSC_IGNORED;
}

DSC_Result DSC_Update(double now, double offset, double sigma, int confirmed_jump,
                      int sets_poll)
{
    int first = state == DSC_STATE_NSET || state == DSC_STATE_FSET;
    double spike_threshold = fmin(SPIKE_THRESHOLD, params.step_threshold);
    char why[160];

    integrate(now);
    updates++;

    if (params.panic > 0 && fabs(offset) > params.panic && !(first && params.allow_big_first)) {
        LOG(LOGS_ERR, "offset %+.3f s exceeds the panic threshold %.0f s: set the clock by "
            "hand or start with -g", offset, params.panic);
        return DSC_PANIC;
    }

    if (fabs(offset) > spike_threshold) {
        if (first) {
            snprintf(why, sizeof why, "initial offset %+.6f s", offset);
            return correct(now, offset, sigma, why);
        }
        if (state != DSC_STATE_SPIK) {
            state = DSC_STATE_SPIK;
            spike_start = now;
            spike_offset = offset;
            spike_votes = 1;
            LOG(LOGS_WARN, "offset %+.3f s exceeds %s threshold %.3f s: spike ignored; will %s if "
                "it persists %.0f s or the sources confirm it", offset,
                params.slew_only ? "spike" : "step", spike_threshold,
                fabs(offset) > params.step_threshold ? "step" : "slew", params.stepout);
        } else if (fabs(offset - spike_offset) < spike_threshold / 2.0) {
            spike_votes++;
        } else {
            /* A different offset: a new spike candidate. */
            spike_offset = offset;
            spike_votes = 1;
        }
        if (confirmed_jump || spike_votes >= FLT_JUMP_CONFIRM ||
            now - spike_start >= params.stepout) {
            if (confirmed_jump || spike_votes >= FLT_JUMP_CONFIRM)
                snprintf(why, sizeof why, "jump confirmed by %d consecutive samples after %.0f s",
                         spike_votes >= FLT_JUMP_CONFIRM ? spike_votes : FLT_JUMP_CONFIRM,
                         now - spike_start);
            else
                snprintf(why, sizeof why, "spike persisted %.0f s", now - spike_start);
            return correct(now, offset, sigma, why);
        }
        return DSC_IGNORED;
    }

    if (state == DSC_STATE_SPIK)
        LOG(LOGS_INFO, "spike over after %.0f s: offset back to %+.6f s", now - spike_start,
            offset);

    add_sample(now, offset, sigma);

    /* Largest window whose residuals look random. */
    Fit fit;
    int n = n_samples;
    for (;;) {
        fit_samples(n, now, &fit);
        if (fit.runs_ok || n <= MIN_RUNS_SAMPLES)
            break;
        n = n * 3 / 4;
    }
    if (n < n_samples) {
        memmove(samples, samples + (n_samples - n), (size_t)n * sizeof *samples);
        n_samples = n;
    }

    /* Frequency: the fit's slope combined with the previous estimate,
       each weighted by the inverse of its variance; the previous one's
       variance grows with time because the oscillator wanders. */
    if (n_samples >= 2) {
        double old_var = freq_var + WANDER_VARIANCE_RATE * (now - freq_var_time);
        double w_old = 1.0 / old_var, w_fit = 1.0 / fit.slope_var;
        freq = (freq * w_old + fit.slope * w_fit) / (w_old + w_fit);
        freq_var = fmin(old_var, fit.slope_var);
        freq_var_time = now;
        if (base_freq + freq > params.max_frequency)
            freq = params.max_frequency - base_freq;
        else if (base_freq + freq < -params.max_frequency)
            freq = -params.max_frequency - base_freq;
    }

    /* Phase: the newest few samples, each carried to now along the
       frequency estimate, averaged by weight, less what we have added so
       far. A short window here follows the wandering oscillator; the long
       one above only sets the frequency. The correction is spread over
       half a poll interval so the next measurement sees its result. */
    double phase = recent_phase(now) - added;
    start_slew(now, phase, ldexp(1.0, poll_exp) / 2.0);
    DEBUG_LOG("discipline: offset %+.9f sigma %.9f phase %+.9f freq %+.6f ppm (sd %.6f) "
              "window %d poll %d", offset, sigma, phase, base_freq + freq, sqrt(freq_var),
              n_samples, poll_exp);

    state = DSC_STATE_SYNC;
    if (sets_poll)
        adjust_poll(phase, sigma);

    return CLK_CanAdjust() ? DSC_SLEWED : DSC_IGNORED;
}

int DSC_ReadDriftFile(const char *path, double *ppm)
{
    FILE *f = fopen(path, "r");
    char buf[4096], *end;

    if (!f) {
        if (errno != ENOENT)
            LOG(LOGS_WARN, "cannot read drift file %s: %s", path, strerror(errno));
        return 0;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    int failed = ferror(f);
    int more = !failed && fgetc(f) != EOF;
    fclose(f);
    if (failed) {
        /* A read error (or a directory) is not a corrupt file: leave it. */
        LOG(LOGS_WARN, "cannot read drift file %s: %s", path, strerror(errno ? errno : EIO));
        return 0;
    }
    buf[n] = '\0';
    errno = 0;
    double v = strtod(buf, &end);
    int parsed = end != buf;
    while (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')
        end++;
    /* One number and nothing else: no embedded NUL (strlen stops there),
       nothing past it, within the kernel's frequency range. */
    if (!parsed || more || strlen(buf) != n || *end != '\0' || errno || !isfinite(v) ||
        fabs(v) > DSC_MAX_FREQUENCY) {
        char aside[4096];
        snprintf(aside, sizeof aside, "%s.corrupt", path);
        if (rename(path, aside) == 0)
            LOG(LOGS_ERR, "drift file %s is corrupt: moved aside to %s, starting without it",
                path, aside);
        else
            LOG(LOGS_ERR, "drift file %s is corrupt and cannot be moved aside (%s): ignoring it",
                path, strerror(errno));
        return -1;
    }
    *ppm = v;
    return 1;
}

int DSC_WriteDriftFile(const char *path, double ppm)
{
    char tmp[4096], dir[4096];
    int fd;

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(dir, sizeof dir, "%s", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto fail;
    char line[64];
    int len = snprintf(line, sizeof line, "%.3f\n", ppm);
    if (write(fd, line, (size_t)len) != len || fsync(fd) < 0) {
        close(fd);
        unlink(tmp);
        goto fail;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        goto fail;
    }
    /* The rename is durable only once the directory is synced. */
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
fail:
    LOG(LOGS_ERR, "cannot write drift file %s: %s", path, strerror(errno));
    return -1;
}
