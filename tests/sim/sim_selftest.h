/*
 * sim_selftest — checks of the simulator's own parts (scheduler order,
 * clock arithmetic, packet timestamps, random streams), so a bad number
 * from a scenario can be blamed on the engine with confidence.
 */
#ifndef CNTPD_SIM_SELFTEST_H
#define CNTPD_SIM_SELFTEST_H

#include <stdio.h>

/* Print "ok - ..." / "not ok - ..." lines; returns the number failed. */
int SIM_SelfTest(FILE *out, int *passed);

#endif
