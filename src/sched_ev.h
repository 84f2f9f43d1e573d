/*
 * sched_ev — sched.h on libevent: the daemon's one event loop. Also owns
 * signal delivery into the loop. Only this file, main.c and agent/ touch
 * libevent.
 */
#ifndef CNTPD_SCHED_EV_H
#define CNTPD_SCHED_EV_H

struct event_base;

void SCH_Init(void);
void SCH_Fini(void);

/* Run until SCH_Quit(); returns 0, or -1 if the loop failed. */
int SCH_Run(void);

/* Call `handler(signo, arg)` from the loop when `signo` arrives. */
typedef void (*SCH_SignalHandler)(int signo, void *arg);
void SCH_AddSignalHandler(int signo, SCH_SignalHandler handler, void *arg);

/* The libevent base, for agent/ (net-snmp descriptors and timers). */
struct event_base *SCH_GetEventBase(void);

/* Name of the libevent backend in use (epoll, poll, ...). */
const char *SCH_BackendName(void);

#endif
