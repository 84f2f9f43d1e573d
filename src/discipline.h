/*
 * discipline — steers the local clock to the combined offset that
 * mitigation produces.
 *
 * Method: every update is stored as a "raw offset" r = measured offset +
 * everything cntpd itself has added to the clock since start (frequency
 * correction integrated over time, slews, steps), i.e. the offset a clock
 * left at its start-up frequency would show. A weighted least-squares line
 * through the recent raw offsets gives the frequency correction (its slope)
 * and the current phase error (its value now minus what we added); the
 * window shrinks when the residuals show non-random runs (the clock's
 * frequency wandered). The phase error is removed by running the clock
 * faster or slower for a while (never more than 500 ppm in all), so the
 * amount added is always known exactly. chrony works this way; it reacts
 * much faster than the RFC 5905 PLL/FLL and averages noise better.
 *
 * Steps, spikes and panic follow ntpd: an offset beyond the step threshold
 * (0.128 s; 600 s with -x) is a spike and is ignored until it persists for
 * the stepout interval (900 s) — or, sooner, until the clock filters of the
 * sources have confirmed it with consecutive consistent samples (a real jump
 * of the local clock, e.g. a VM pause); then the clock is stepped once. An
 * offset beyond the panic threshold (1000 s) stops the daemon unless -g
 * allows it for the first adjustment.
 *
 * Signs: offsets are "true minus local" (positive: the local clock is
 * behind and must be advanced); frequencies in ppm, positive: faster.
 */
#ifndef CNTPD_DISCIPLINE_H
#define CNTPD_DISCIPLINE_H

typedef struct {
    double step_threshold;   /* s (tinker step), 0.128; 600 with -x */
    double stepout;          /* s (tinker stepout), 900 */
    double panic;            /* s (tinker panic), 1000; 0 disables the check */
    double max_frequency;    /* ppm, 500 */
    int slew_only;           /* -x */
    int allow_big_first;     /* -g */
    int minpoll, maxpoll;    /* bounds of the system poll, log2 s */
} DSC_Params;

#define DSC_DEFAULT_STEP 0.128
#define DSC_SLEW_ONLY_STEP 600.0
#define DSC_DEFAULT_STEPOUT 900.0
#define DSC_DEFAULT_PANIC 1000.0
#define DSC_MAX_FREQUENCY 500.0

typedef enum {
    DSC_IGNORED,     /* spike (or monitor-only): clock not changed */
    DSC_SLEWED,      /* correction applied gradually */
    DSC_STEPPED,     /* clock stepped */
    DSC_PANIC,       /* offset beyond panic: refused */
} DSC_Result;

typedef enum {
    DSC_STATE_NSET,  /* no frequency known, no update yet */
    DSC_STATE_FSET,  /* frequency from the drift file, no update yet */
    DSC_STATE_SYNC,  /* tracking */
    DSC_STATE_SPIK,  /* an offset beyond the step threshold is being watched */
} DSC_State;

/* Start: `drift_ppm` from the drift file when `have_drift`, else the
   kernel's current frequency is kept. */
void DSC_Init(const DSC_Params *params, int have_drift, double drift_ppm);
void DSC_Fini(void);

const DSC_Params *DSC_GetParams(void);

/* One measurement at scheduler time `now`: `offset` s (brought to now)
   from a source that survived mitigation, with standard error `sigma` s
   (its jitter and how much longer than its shortest its delay was).
   `confirmed_jump` when that source's filter has just accepted a jump
   confirmed by consecutive samples; `sets_poll` for the system peer's
   samples, which alone adjust the poll. Offsets beyond 0.128 s (or the
   step threshold if smaller) are spikes: FLT_JUMP_CONFIRM consecutive
   consistent ones, a confirmed jump, or `stepout` s of them make the
   clock step (or slew, below the step threshold). */
DSC_Result DSC_Update(double now, double offset, double sigma, int confirmed_jump,
                      int sets_poll);

/* The system poll exponent the discipline asks for (log2 s). */
int DSC_GetPoll(void);

/* Frequency correction estimated for the clock (ppm), suitable for the
   drift file: the start-up frequency plus the regression slope, without
   the transient phase correction. */
double DSC_GetFrequency(void);

/* Phase corrections (slews and steps, not the frequency estimate) cntpd
   had added to the clock by scheduler time `t` (s, from start; history
   kept for the last few hundred changes). A sample measured at `t` is
   brought to `now` by subtracting DSC_PhaseAt(now) - DSC_PhaseAt(t). */
double DSC_PhaseAt(double t);

/* Residual phase error still being slewed out (s). */
double DSC_GetResidual(double now);

DSC_State DSC_GetState(void);
const char *DSC_StateName(DSC_State state);
unsigned DSC_GetStepCount(void);

/* Drift file: read a frequency in ppm (ntpd format: one number). Returns
   1 and sets *ppm, 0 when the file does not exist, -1 when it is corrupt
   (then moved aside to PATH.corrupt with a log line). */
int DSC_ReadDriftFile(const char *path, double *ppm);
/* Write atomically (temp file, fsync, rename, fsync of the directory);
   0 or -1 (logged). */
int DSC_WriteDriftFile(const char *path, double ppm);

#endif
