/*
 * filter — the RFC 5905 §10 clock filter of one association: an 8-stage
 * shift register of (offset, delay, dispersion, epoch) samples from which
 * the sample with the lowest delay is chosen, the peer dispersion (weighted
 * sum) and peer jitter (RMS of offset differences) computed, and popcorn
 * spikes suppressed. The register is a ring; its contents and the position
 * of the newest stage are kept for cntpFilterRegisterTable.
 *
 * Times (`now`, epochs) are scheduler seconds (monotonic); offsets are
 * "server minus local" in s (positive: the local clock is behind).
 */
#ifndef CNTPD_FILTER_H
#define CNTPD_FILTER_H

#define FLT_STAGES 8
/* s/s: frequency tolerance, the rate dispersion grows at (tinker
   dispersion, 15 ppm by default). */
extern double FLT_Phi;
#define FLT_PHI FLT_Phi
#define FLT_DEFAULT_PHI 15e-6
#define FLT_SGATE 3.0          /* popcorn spike gate, in peer jitters */
#define FLT_MAXDISP 16.0       /* s */
#define FLT_JUMP_CONFIRM 3     /* consecutive consistent samples that prove a jump */

typedef struct {
    double offset;       /* s */
    double delay;        /* s, round trip */
    double dispersion;   /* s, grows with age at FLT_PHI */
    double epoch;        /* scheduler s when the sample arrived */
    double phase;        /* s of phase corrections made to the local clock
                            by then (DSC_PhaseAt), so samples taken before
                            and after a slew or step compare correctly */
    int valid;           /* 0 for never-filled stages */
} FLT_Stage;

typedef struct {
    FLT_Stage stage[FLT_STAGES];   /* ring */
    int newest;                    /* index of the newest stage, -1 when empty */
    double last_shift;             /* scheduler s of the last shift (dispersion aging) */

    /* Peer variables from the last accepted sample. */
    int have_sample;
    double offset, delay, dispersion, jitter;
    double epoch;                  /* epoch of the sample the variables came from */
    double phase;                  /* its phase (see FLT_Stage) */

    unsigned spikes;               /* popcorn spikes suppressed */
} FLT_Filter;

typedef enum {
    FLT_NO_UPDATE,     /* sample stored; no newer best sample to use */
    FLT_UPDATED,       /* peer variables changed: run selection */
    FLT_SPIKE,         /* best sample is a popcorn spike: ignored */
    FLT_JUMP,          /* the last FLT_JUMP_CONFIRM samples agree on an offset more
                          than the jump threshold away from the old one: older
                          stages were re-based by the jump and the peer
                          variables taken afresh (a real step of one of the
                          clocks) */
} FLT_Result;

void FLT_Reset(FLT_Filter *f);

/* Shift a new sample in at scheduler time `now`, when the local clock's
   phase corrections so far amounted to `phase` s (offsets are compared as
   offset + phase: what they would have been without our corrections). `precision` is the system
   precision (s) used as the floor for jitter; `poll_interval` (s) bounds
   how long a spike may be suppressed (RFC 5905: twice the poll interval);
   `jump_threshold` (s, 0 disables) is the offset change that counts as a
   jump once confirmed. */
FLT_Result FLT_AddSample(FLT_Filter *f, double offset, double delay, double dispersion,
                         double phase, double now, double precision,
                         double poll_interval, double jump_threshold);

/* Number of stages holding a real sample (dispersion below MAXDISP). */
int FLT_ValidStages(const FLT_Filter *f);

/* The `age`-th most recent stage (0 = newest), or NULL past the filled
   ones. Its dispersion is as of the last shift (FLT_Dispersion ages the
   peer's). */
const FLT_Stage *FLT_GetStage(const FLT_Filter *f, int age);

/* Peer dispersion aged to `now` (s). */
double FLT_Dispersion(const FLT_Filter *f, double now);

#endif
