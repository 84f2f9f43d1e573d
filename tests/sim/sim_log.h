/*
 * sim_log — the engine's log lines stamped with simulated time.
 *
 * log.c stamps lines with the wall clock, which says nothing in a run that
 * covers hours in milliseconds. With -v/-d the engine logs into an
 * anonymous in-memory file (memfd) that is drained after every scheduler
 * event; each line is printed to stderr with the elapsed time at which it
 * was written instead of the wall-clock stamp.
 */
#ifndef CNTPD_SIM_LOG_H
#define CNTPD_SIM_LOG_H

/* Point the engine's log at the memfd; 0 or -1 (errno). */
int SIML_Init(void);
void SIML_Fini(void);

/* Print what was logged since the last call, stamped with `elapsed`. */
void SIML_Drain(double elapsed);

#endif
