/*
 * clock_sys — the real system clock (CLOCK_REALTIME through clock_gettime
 * and clock_adjtime). The system calls go through a replaceable table so the
 * unit tests can check exactly what would be asked of the kernel without
 * ever changing this machine's clock.
 */
#ifndef CNTPD_CLOCK_SYS_H
#define CNTPD_CLOCK_SYS_H

#include <sys/timex.h>
#include <time.h>

typedef struct {
    int (*gettime)(clockid_t id, struct timespec *ts);
    int (*adjtime)(clockid_t id, struct timex *tx);
    int (*capget_sys_time)(void);   /* 1 if CAP_SYS_TIME is effective */
} CLK_SysCalls;

/* Replace the system-call layer (tests); NULL restores the real one. */
void CLK_SysSetCalls(const CLK_SysCalls *calls);

#endif
