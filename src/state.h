/*
 * state — the state file of SNMP-created associations (`statedir DIR`,
 * file DIR/STATE_FILE_NAME): which rows of cntpPeersVarTable a manager made,
 * with their AssocId and settings, so they come back after a restart.
 *
 * Text, one row a line, between a header naming the format and a trailer
 * counting the rows, so a file cut short (a crash in the middle of a copy,
 * a full disk) is recognised as such instead of silently losing rows:
 *
 *   cntpd-state 1
 *   stratum S                  (optional: cntpSysStratum as written)
 *   leap +1|-1 AT              (optional: cntpSysLeap announcement)
 *   row ID active|suspended MODE PREFER LOCAL HOST
 *   end N
 *
 * S is 1..15; AT the NTP second the announced leap takes effect (the end
 * of the month it was announced in). MODE is the NTP mode number
 * (1 symmetric active, 3 client, 5 broadcast), PREFER 0 (no) or the order
 * in which prefer was set (smaller: set earlier; the first one set wins,
 * so the order must survive a restart), LOCAL a numeric address or "-" (any), HOST a numeric
 * address or a DNS name, or "-" when none was given yet (a row created
 * with createAndWait). Written atomically: temporary file in the same
 * directory, fsync, rename, fsync of the directory. Pure file code: no
 * logging, errors come back as text for the caller to log.
 */
#ifndef CNTPD_STATE_H
#define CNTPD_STATE_H

#include <stddef.h>
#include <stdint.h>

#define STATE_FILE_NAME "snmp-associations"
#define STATE_HOST_LEN 256        /* host names up to 253 characters */
#define STATE_LOCAL_LEN 64

/* The settings of cntpSystem written over SNMP. */
typedef struct {
    int local_stratum;            /* 0: never written, else 1..15 */
    int leap;                     /* announced leap: +1 insert, -1 delete, 0 none */
    uint64_t leap_at;             /* NTP s the announced leap takes effect */
} STATE_System;

typedef struct {
    uint32_t id;
    int active;                   /* 1 active, 0 suspended (notInService / notReady) */
    int mode;
    uint32_t prefer;              /* 0, or the order prefer was set in (1..2^31-1) */
    char local[STATE_LOCAL_LEN];  /* "" for any */
    char host[STATE_HOST_LEN];    /* "" when none yet */
} STATE_Row;

/* Replace `path` with `sys` (NULL: nothing written) and these rows; 0, or
   -1 with `err` set (the old file is left as it was). */
int STATE_Write(const char *path, const STATE_System *sys, const STATE_Row *rows, size_t n,
                char *err, size_t errlen);

/* Read `path`: 1 and *rows (malloc'ed, caller frees) / *n set; 0 when the
   file does not exist (no rows); -1 when it is corrupt or truncated: it is
   renamed to PATH.corrupt and `err` says what was wrong and where it went;
   `sys` (may be NULL) is zeroed unless the file was read (1); -2 when it cannot be read at all (`err` set, file left alone). */
int STATE_Read(const char *path, STATE_System *sys, STATE_Row **rows, size_t *n, char *err,
               size_t errlen);

/* Parse state-file text (the part of STATE_Read after reading); 0 or -1
   with `err` naming the line. */
int STATE_Parse(const char *text, STATE_System *sys, STATE_Row **rows, size_t *n, char *err,
                size_t errlen);

#endif
