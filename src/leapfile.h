/*
 * leapfile — the IETF/NIST/IERS leap-seconds.list file: parsing, integrity
 * check, and the questions the engine asks of it (TAI-UTC now, the next leap,
 * when to announce it and when to arm the kernel).
 *
 * Owns the file format and its checks; it never reads the clock, logs or
 * touches the kernel: callers pass "now" and act on the answers.
 *
 * File format (as shipped by tzdata in /usr/share/zoneinfo/leap-seconds.list,
 * by IERS and formerly by NIST):
 *
 *     #$  NTP-SECONDS            last update of the file (optional here)
 *     #@  NTP-SECONDS            expiration: the data is known good until then
 *     NTP-SECONDS  TAI-UTC  # comment      one line per change of TAI-UTC
 *     #h  W1 W2 W3 W4 W5         SHA-1 of the data (optional, as in ntpd)
 *
 * '#' followed by whitespace (or nothing) is a comment; '#' followed by any
 * other character is a "special comment" — those above are understood, the
 * rest (e.g. the "#NTP Time  DTAI ..." heading of the IERS file) are ignored.
 * Data lines may have leading whitespace; blank lines are ignored; CRLF is
 * accepted.
 *
 * Hash rule (NIST file header: "the hash computation ignores comments and
 * whitespace characters in data lines. It includes the NTP values of both
 * the last modification time and the expiration time of the file, but not
 * the white space on those lines. The hash line is also ignored"; ntpd's
 * ntp_leapsec.c leapsec_validate() does exactly this): SHA-1 over the
 * decimal digits, in file order, of the #$ line, the #@ line and every data
 * line, each up to the first '#', with nothing between them. The #h line
 * holds the 160-bit digest as five 32-bit words in hex, big-endian; NIST
 * wrote them without leading zeros ("1151a8f"), so each word is 1-8 hex
 * digits and is parsed as a number, never as a fixed-width string.
 *
 * Time values are NTP seconds since 1900-01-01 00:00:00 UTC held in 64 bits
 * and NOT wrapped at NTP eras: the file's numbers pass 2^32 on 2036-02-07
 * (an expiry date will do so within about ten years), so a 32-bit API would
 * misread the first post-2036 file. From a Unix time: (uint64_t)tv_sec +
 * NTP_UNIX_EPOCH_OFFSET (ntp_time.h).
 */
#ifndef CNTPD_LEAPFILE_H
#define CNTPD_LEAPFILE_H

#include <stddef.h>
#include <stdint.h>

#define LEAP_SECONDS_PER_DAY 86400u

/* From this many days before a leap, servers set the leap indicator
   (LEAP_ShouldAnnounce). 28 is the shortest month, so the window never
   reaches back before the first day of the month that ends with the leap:
   a client reading LI as RFC 5905 defines it ("leap second to be inserted
   or deleted in the last minute of the current month") is never wrong. */
#define LEAP_ANNOUNCE_DAYS 28u

/* One line of the file: from `ntp_seconds` (always 00:00:00 UTC on the 1st
   of a month) on, TAI - UTC = `tai_utc` seconds. The leap second itself is
   the last second of the previous day (23:59:60 for an insertion). */
typedef struct {
    uint64_t ntp_seconds;
    int tai_utc;
} LEAP_Entry;

typedef struct {
    LEAP_Entry *entries;   /* strictly increasing dates, TAI-UTC steps of +-1 */
    size_t n;              /* at least 1 after a successful load */
    uint64_t updated;      /* #$ last update; 0 when the file has none */
    uint64_t expires;      /* #@ expiration (required) */
    int hash_ok;           /* 1: #h present and verified; 0: no #h line */
} LEAP_Table;

/* Load a leap-seconds.list file. Returns 0 and fills `t`, or -1 with `err`
   holding "FILE:LINE: message" (or "FILE: message" when the file cannot be
   read). `t` is overwritten without being freed first; after an error it is
   left zeroed (nothing to free). `err` is "" on success, always
   NUL-terminated when errlen > 0, truncated rather than overrun.

   Rejected (each reported at the line concerned; file-level problems at the
   last line): a malformed data, #$, #@ or #h line; a duplicate #$, #@ or #h;
   a date not at 00:00:00 UTC on the 1st of a month; dates not strictly
   increasing; TAI-UTC not changing by exactly +1 or -1 between entries; a
   missing #@; no entries; #@ not after #$; a #h that does not match:
   "hash mismatch (file corrupt or edited)".

   A file without #h is accepted with hash_ok = 0, as ntpd does (it logs
   "no hash signature" and loads the file; a bad or malformed hash makes it
   refuse the file). The caller should log a warning in that case. */
int LEAP_LoadFile(const char *path, LEAP_Table *t, char *err, size_t errlen);

/* Same for text in memory; `name` stands for the file name in messages
   (NULL: "-"). */
int LEAP_LoadString(const char *text, const char *name, LEAP_Table *t, char *err,
                    size_t errlen);

/* Free what `t` holds and zero it. Safe on a zeroed table, twice, and NULL. */
void LEAP_Free(LEAP_Table *t);

/* 1 when `now` is at or after the expiration time (a zeroed table is
   always expired), else 0. After expiry the table is still right about the
   past but a leap may have been announced that it does not know about. */
int LEAP_Expired(const LEAP_Table *t, uint64_t now);

/* TAI - UTC in effect at `now`: the value of the last entry dated at or
   before `now`; 0 when `now` precedes the first entry or the table is
   empty. During an inserted leap second (NTP time repeats the second before
   the entry's date) this is still the old value, as the file header
   prescribes for systems that repeat 23:59:59. */
int LEAP_TaiOffset(const LEAP_Table *t, uint64_t now);

/* The next leap after `now`: returns 1 with *when = the date of the first
   entry after `now` (the first second of the day after the leap; an inserted
   leap second is 23:59:60 just before it, a deleted one is 23:59:59 of the
   day before) and *direction = +1 (insert) or -1 (delete); 0 when the table
   knows none. The first entry is the start of the table, not a leap. Either
   output pointer may be NULL. */
int LEAP_Next(const LEAP_Table *t, uint64_t now, uint64_t *when, int *direction);

/* Announcement policy for a server: 1 when `now` is in the
   LEAP_ANNOUNCE_DAYS days before `leap_at` (a LEAP_Next date), i.e.
   leap_at - 28 d <= now < leap_at; then the leap indicator goes out in
   replies. ntpd 4.2.8 arms the leap from the 1st of that month but sets LI
   only in the last 24 h; chrony sends (and believes) LI only on 30 June and
   31 December. Clients that arm the kernel as soon as they see LI get the
   leap inserted at the end of the wrong day, so this policy relies on
   clients that apply LI at the end of the month (RFC 5905) — see
   LEAP_KernelArmDay for what this host's kernel gets. */
int LEAP_ShouldAnnounce(uint64_t now, uint64_t leap_at);

/* 1 on the last UTC day before `leap_at` (leap_at - 86400 <= now < leap_at,
   leap_at being midnight UTC): the only day to set STA_INS/STA_DEL, because
   the Linux kernel inserts or deletes the second at the end of the UTC day
   on which the flag is set (as ntpd and chrony do). */
int LEAP_KernelArmDay(uint64_t now, uint64_t leap_at);

#endif
