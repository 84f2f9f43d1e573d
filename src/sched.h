/*
 * sched — timers and descriptor readiness for the engine.
 *
 * The engine schedules work only through this interface, so the daemon runs
 * it on libevent (sched_ev.c) and the simulator on virtual time. Delays are
 * in seconds of the monotonic scheduler clock, which is not the disciplined
 * clock: a clock step does not move timers.
 */
#ifndef CNTPD_SCHED_H
#define CNTPD_SCHED_H

typedef struct SCH_Timer_Record *SCH_Timer;
typedef void (*SCH_TimerHandler)(void *arg);
typedef void (*SCH_FdHandler)(int fd, void *arg);

/* Run `handler(arg)` once after `delay` s (>= 0). The handle is valid until
   the handler starts or SCH_RemoveTimer is called; handlers that keep the
   handle must forget it when they run. */
SCH_Timer SCH_AddTimer(double delay, SCH_TimerHandler handler, void *arg);

/* Cancel a pending timer; NULL is ignored. */
void SCH_RemoveTimer(SCH_Timer timer);

/* Call `handler(fd, arg)` whenever `fd` is readable, until removed. */
void SCH_AddFdHandler(int fd, SCH_FdHandler handler, void *arg);
void SCH_RemoveFdHandler(int fd);

/* Seconds of the scheduler's monotonic clock (arbitrary origin). */
double SCH_Monotonic(void);

/* Ask the loop to return (clean shutdown). */
void SCH_Quit(void);

#endif
