/*
 * shmtime — the NTP shared-memory time segment (ntpd's driver 28), as
 * written by gpsd and other time sources and read by ntpd, chrony and
 * cntpd. Owns the segment's layout, attaching to it (System V IPC), the
 * reader's side of the handshake and the checks on what was read, and the
 * writer's side (for the test writer and the unit tests).
 *
 * The segment (the layout every implementation shares, native ints and
 * time_t of the machine, so 96 bytes on 64-bit Linux):
 *   mode       0: the writer only uses `valid`; 1: the writer also bumps
 *              `count` before and after it changes the timestamps
 *   count      update counter (mode 1)
 *   clockTimeStampSec/USec      what the reference said the time was
 *   receiveTimeStampSec/USec    the system clock when it said so
 *   leap       NTP leap indicator (0 none, 1 insert, 2 delete, 3 unsynced)
 *   precision  log2 s of the reference
 *   nsamples   unused by readers
 *   valid      set by the writer when a sample is ready, cleared by the
 *              reader that took it
 *   clockTimeStampNSec, receiveTimeStampNSec   the same instants in ns,
 *              added later; old writers leave them 0, so they are used
 *              only when they agree with the µs fields (see SHM_Decode)
 *   dummy[8]   reserved
 *
 * Segment key 0x4e545030 + unit ("NTP0", "NTP1", ...); units 0 and 1 are
 * private (0600: root's gpsd and a root daemon), 2 and above world-writable
 * (0666) unless asked to be private.
 */
#ifndef CNTPD_SHMTIME_H
#define CNTPD_SHMTIME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define SHM_KEY_BASE 0x4e545030
#define SHM_MAX_AGE 5.0        /* s: a sample received longer ago is stale (ntpd's limit) */
#define SHM_FUTURE_SLACK 1.0   /* s: a receive time this far ahead of now is bogus */
#define SHM_DEFAULT_MAX_DELTA 14400.0  /* s: |reference - receive| beyond this is bogus
                                          (ntpd's default, fudge time2 changes it) */

typedef struct {
    int mode;
    int count;
    time_t clockTimeStampSec;
    int clockTimeStampUSec;
    time_t receiveTimeStampSec;
    int receiveTimeStampUSec;
    int leap;
    int precision;
    int nsamples;
    int valid;
    unsigned clockTimeStampNSec;
    unsigned receiveTimeStampNSec;
    int dummy[8];
} SHM_Time;

/* An attached segment. */
typedef struct {
    volatile SHM_Time *seg;   /* NULL: not attached */
    int shmid;
    key_t key;
} SHM_Segment;

/* Attach to the segment of `unit` (0..255), creating it when missing with
   permissions 0600 (`private_seg`, and always for units 0 and 1) or 0666.
   0, or -1 with a sentence in `err` (a segment of another size, no
   permission, ...). */
int SHM_Attach(SHM_Segment *s, int unit, int private_seg, char *err, size_t errlen);
void SHM_Detach(SHM_Segment *s);

/* Segments from somewhere other than System V IPC: the simulator's
   in-process memory. With a provider set, SHM_Attach takes the segment of
   `unit` from it (NULL: no such segment), SHM_Detach only forgets it, and
   a segment stays current. NULL restores System V shared memory. */
void SHM_SetProvider(volatile SHM_Time *(*provider)(int unit));

/* Does the segment's key still name the segment attached? 0 when a writer
   removed it (IPC_RMID) — it lives on while attached, but a restarted
   writer creates a new one under the key — so the reader should attach
   again. */
int SHM_IsCurrent(const SHM_Segment *s);

typedef enum {
    SHM_OK,          /* a sample, in *out */
    SHM_NOT_READY,   /* valid 0: nothing new */
    SHM_TORN,        /* the writer changed the segment while it was read;
                        valid left set so the completed sample is read next */
    SHM_BAD_MODE,    /* mode neither 0 nor 1 */
    SHM_BOGUS,       /* impossible fields: µs outside 0..999999, time <= 0,
                        leap outside 0..3, reference and receive times
                        further apart than the limit */
    SHM_STALE,       /* receive time more than SHM_MAX_AGE s ago (or ahead
                        of now by more than SHM_FUTURE_SLACK) */
    SHM_UNSYNC,      /* leap 3: the writer says it is not synchronised */
} SHM_Status;

typedef struct {
    struct timespec ref;      /* clockTimeStamp */
    struct timespec local;    /* receiveTimeStamp */
    int leap;
    int precision;            /* log2 s as written */
    int mode;
    int used_ns;              /* 1: the ns fields were used */
} SHM_Sample;

/* Read the segment: the handshake, then SHM_Decode. `valid` is cleared
   when a sample was taken (whatever its verdict) and left alone otherwise.
   `now` is the local clock (CLK_ReadTime), `max_delta` s the limit on
   |reference - receive| (0: none). */
SHM_Status SHM_Read(volatile SHM_Time *seg, const struct timespec *now, double max_delta,
                    SHM_Sample *out);

/* The verdict on a copy of the segment taken with count `count_before`
   and `count_after`, `valid_after` read after the copy (1 if still set). */
SHM_Status SHM_Decode(const SHM_Time *copy, int count_before, int count_after, int valid_after,
                      const struct timespec *now, double max_delta, SHM_Sample *out);

/* Write one sample as gpsd does (valid off, count bumped, fields, count
   bumped, valid on; mode 0 writers leave count alone). */
void SHM_Write(volatile SHM_Time *seg, int mode, const struct timespec *ref,
               const struct timespec *local, int leap, int precision);

const char *SHM_StatusName(SHM_Status st);

#endif
