/*
 * sim_sched — src/sched.h on virtual time, plus what the simulator itself
 * needs to drive a run.
 *
 * Time is a double count of seconds. The scheduler's clock (what
 * SCH_Monotonic returns) starts at SIM_MONO_START, as if the host had been
 * up for a day, so no engine code sees a monotonic time near zero; "elapsed"
 * is seconds since the start of the run and is the true time axis of every
 * metric. Events due at the same time run in the order they were added
 * (a binary heap keyed on (time, sequence number)), so a run is a pure
 * function of its seed.
 */
#ifndef CNTPD_SIM_SCHED_H
#define CNTPD_SIM_SCHED_H

#include "sched.h"

#define SIM_MONO_START 86400.0   /* s, SCH_Monotonic() at elapsed 0 */

/* Empty queue, elapsed 0. */
void SIMS_Init(void);
/* Drop every pending timer (the engine must be finished first). */
void SIMS_Fini(void);

/* Seconds since the start of the run (true time axis). */
double SIMS_Elapsed(void);

/* Run events in time order until `elapsed` (inclusive), then leave the
   clock at `elapsed`; returns early if SCH_Quit was called. Returns the
   number of events run. */
unsigned long SIMS_RunUntil(double elapsed);

/* Add a timer at an absolute elapsed time (simulator events: packets,
   samples, bumps; no rounding drift over long runs). */
SCH_Timer SIMS_AddAt(double elapsed, SCH_TimerHandler handler, void *arg);

/* Called after every event (log draining); NULL for none. */
void SIMS_SetAfterEvent(void (*hook)(double elapsed));

/* Timers pending now (for leak checks and debugging). */
unsigned SIMS_Pending(void);

/* Descriptors: the engine's SCH_AddFdHandler registrations are kept (a
   reference clock's serial line is a real pseudo-terminal in the
   simulator); the simulator writes to the other end and calls
   SIMS_FdsReady at the simulated instant the data arrives: every watched
   descriptor's handler runs (one with nothing to read gets EAGAIN).
   Returns how many ran. */
int SIMS_FdsReady(void);

#endif
