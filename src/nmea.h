/*
 * nmea — a parser for the time in NMEA 0183 sentences, fed byte by byte as
 * they come from a serial line (pure: no I/O, no clock).
 *
 * Owns line framing ($ ... *hh CR LF, at most 82 characters with CR LF),
 * checksums, the decoding of RMC, ZDA, GGA and GLL from any talker (GP, GN,
 * GL, GA, BD, ...), fix validity, sentence selection, the calendar date for
 * the sentences that carry none, one time per second, and a counter for
 * every way a line can end.
 *
 * Dates: RMC and ZDA carry one (RMC's two-digit year is 19yy for 80..99,
 * else 20yy: no GPS receiver can name a date before 1980). GGA and GLL name
 * only the time of day: they take their date from the most recent valid RMC
 * or ZDA (whether or not those are selected), as the day among the day
 * before, that day and the day after which puts them closest to that dated
 * sentence — so a GGA at 00:00:00 after an RMC at 23:59:59 is on the next
 * day, and a GGA sent just before its second's RMC (SiRF order) is on the
 * RMC's day. When that puts them more than NMEA_DATE_MAX_AGE s (of sentence
 * time) from the dated sentence, or no date came yet, they have no date
 * (NMEA_NO_DATE) and give no sample.
 *
 * Validity: RMC and GLL status A (and an NMEA 2.3 mode indicator other than
 * N), GGA fix quality > 0; ZDA has no status: empty time or date fields mean
 * the receiver has no time. Second 60 (an inserted leap second, only at
 * 23:59:60) is decoded but never a sample: the Unix epoch has no number for
 * it, and the kernel's clock repeats 23:59:59 or not depending on whether it
 * was armed.
 */
#ifndef CNTPD_NMEA_H
#define CNTPD_NMEA_H

#include <stddef.h>
#include <stdint.h>

/* Sentence types, as ntpd's `mode` bits (same values as RCL_NMEA_*). */
#define NMEA_RMC 0x1u
#define NMEA_GGA 0x2u
#define NMEA_GLL 0x4u
#define NMEA_ZDA 0x8u
#define NMEA_ALL 0xfu

/* Characters from '$' through the checksum's second digit: NMEA 0183 allows
   82 with CR LF. */
#define NMEA_MAX_LINE 80

/* s of sentence time for which a date from RMC/ZDA dates GGA/GLL. */
#define NMEA_DATE_MAX_AGE 3600

/* How a byte fed to the parser ended (each result but NMEA_MORE counts once
   in NMEA_Parser.count[]). */
typedef enum {
    NMEA_MORE = 0,        /* nothing finished with this byte */
    NMEA_SAMPLE,          /* a valid, selected time: the sample of its second */
    NMEA_SAME_SECOND,     /* valid and selected, but its second already gave one */
    NMEA_NOT_SELECTED,    /* valid time of a sentence type the mode excludes */
    NMEA_INVALID_FIX,     /* the receiver says the fix (or time) is not valid */
    NMEA_NO_DATE,         /* valid GGA/GLL, but no recent RMC/ZDA date */
    NMEA_LEAP_SECOND,     /* valid 23:59:60: no sample (see above) */
    NMEA_OTHER,           /* well-formed sentence with no time for us (GSV, ...) */
    NMEA_BAD_CHECKSUM,    /* checksum missing, malformed or wrong */
    NMEA_GARBAGE,         /* noise between sentences, a control or non-ASCII
                             octet inside one, a bad address or bad fields */
    NMEA_OVERLONG,        /* more than NMEA_MAX_LINE characters: dropped */
    NMEA_PARTIAL,         /* a sentence cut short by the next '$' */
    NMEA_RESULTS
} NMEA_Result;

/* What a time sentence said. Written for the results from NMEA_SAMPLE to
   NMEA_LEAP_SECOND (for NMEA_INVALID_FIX only sentence and talker);
   `seconds`/`nanoseconds` only mean something when `has_time` (for
   NMEA_LEAP_SECOND they are the 23:59:59 it follows). */
typedef struct {
    unsigned sentence;    /* NMEA_RMC, NMEA_GGA, NMEA_GLL or NMEA_ZDA */
    char talker[3];       /* "GP", "GN", ... */
    int valid;            /* the receiver's fix/time is valid */
    int has_time;         /* date and time known */
    int64_t seconds;      /* UTC, s since the Unix epoch, of the second named */
    long nanoseconds;     /* the time field's fraction of that second (ns) */
} NMEA_Time;

typedef struct {
    unsigned mode;        /* NMEA_* bits selected; 0: all */
    /* The line being read. */
    char line[NMEA_MAX_LINE + 1];
    size_t len;
    int in_line;          /* after a '$' */
    int noise;            /* in a run of octets already counted (noise,
                             rest of an overlong or corrupt line) */
    /* The most recent valid date: day (since 1970-01-01) and s of that day
       of the sentence that gave it. */
    int have_date;
    int64_t date_day;
    int32_t date_tod;
    /* Unix second of the last NMEA_SAMPLE. */
    int have_last;
    int64_t last_second;
    uint64_t count[NMEA_RESULTS];
} NMEA_Parser;

/* Start a parser: counters zero, `mode` NMEA_* bits (0: every type). */
void NMEA_Init(NMEA_Parser *p, unsigned mode);

/* Forget the stream (partial line, date, last second) but keep the
   counters: after the device was reopened. */
void NMEA_Reset(NMEA_Parser *p);

/* Feed one octet. NMEA_MORE, or how a line (or a run of noise) ended, with
   *out written as described at NMEA_Time. */
NMEA_Result NMEA_PutByte(NMEA_Parser *p, unsigned char c, NMEA_Time *out);

/* Short name of a result for reports ("sample", "bad-checksum", ...). */
const char *NMEA_ResultName(NMEA_Result r);

/* "RMC", "GGA", "GLL", "ZDA" or "?". */
const char *NMEA_SentenceName(unsigned sentence);

/* One line "sample N same-second N ..." of the counters into buf. */
void NMEA_FormatCounters(const NMEA_Parser *p, char *buf, size_t len);

#endif
