/*
 * pps — a pulse-per-second source: open a device, capture one edge of the
 * pulse, read the latest captured edge (its time and the source's count
 * of such edges) without waiting, close.
 *
 * The implementation is a replaceable ops table: the real one is the
 * RFC 2783 API over a kernel PPS device (pps_rfc2783.c, /dev/ppsN); the
 * unit tests and the simulator install their own to supply edges, since a
 * kernel PPS device exists only where a pulse is wired to the machine.
 *
 * Times are those of the clock the source stamps edges with: for a kernel
 * device CLOCK_REALTIME, the system clock cntpd disciplines (UTC, Unix
 * epoch).
 */
#ifndef CNTPD_PPS_H
#define CNTPD_PPS_H

#include <stddef.h>
#include <time.h>

/* Which edge of the pulse marks the second: RFC 2783's assert (usually
   the rising edge) or clear. */
typedef enum {
    PPS_EDGE_ASSERT,
    PPS_EDGE_CLEAR,
} PPS_Edge;

typedef struct {
    /* The source's count of captured edges of the selected kind; it grows
       by one per edge (a kernel device counts in 32 bits and wraps). 0:
       none captured yet. */
    unsigned long sequence;
    struct timespec time;      /* when the latest one happened */
} PPS_Event;

/* An implementation. `open` returns its handle, or NULL with a one-line
   reason (without the path) in err; `fetch` must not wait for an edge:
   0 and *ev (possibly the same edge as last time), or -1 with a reason. */
typedef struct {
    const char *name;
    void *(*open)(const char *path, PPS_Edge edge, char *err, size_t err_len);
    int (*fetch)(void *handle, PPS_Event *ev, char *err, size_t err_len);
    void (*close)(void *handle);
} PPS_Ops;

/* The RFC 2783 implementation (kernel PPS devices). */
extern const PPS_Ops PPS_Rfc2783Ops;

/* Install the implementation sources opened from now on use; NULL: the
   RFC 2783 one (the default). An open source keeps the one it was opened
   with. */
void PPS_SetOps(const PPS_Ops *ops);
const PPS_Ops *PPS_GetOps(void);

typedef struct PPS_Source_Record *PPS_Source;

/* Open `path` capturing `edge`: the source, or NULL with "PATH: reason"
   in err. */
PPS_Source PPS_Open(const char *path, PPS_Edge edge, char *err, size_t err_len);
/* The latest captured edge, without waiting: 0, or -1 with "PATH: reason"
   in err. */
int PPS_Fetch(PPS_Source src, PPS_Event *ev, char *err, size_t err_len);
/* NULL is ignored. */
void PPS_Close(PPS_Source src);

#endif
