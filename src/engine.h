/*
 * engine — wiring of the NTP engine: owns the association table (AssocIds
 * are assigned in order and never reused while the daemon runs), creates
 * associations from the configuration, resolves their names (retrying with
 * back-off), demultiplexes the server sockets, and reports the whole state.
 */
#ifndef CNTPD_ENGINE_H
#define CNTPD_ENGINE_H

#include "conf.h"

/* Open sockets and start every configured association; 0 or -1 (logged). */
int ENG_Init(const CNF_Config *cfg);
void ENG_Fini(void);

/* Log one line per association and one of counters (SIGUSR1, exit). */
void ENG_LogStatus(void);

#endif
