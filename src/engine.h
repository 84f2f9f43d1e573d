/*
 * engine — wiring of the NTP engine: owns the association table (AssocIds
 * are assigned in order, or chosen by an SNMP manager through the control
 * API of control.h, and never reused while the daemon runs), creates
 * associations from the configuration, resolves their names (retrying with
 * back-off), demultiplexes the server sockets, runs mitigation after every
 * new sample and hands the result to the discipline, keeps the system
 * variables, the drift file and the holdover, and reports the whole state
 * as copies (the snapshot API agent/ and the simulator read).
 */
#ifndef CNTPD_ENGINE_H
#define CNTPD_ENGINE_H

#include <stddef.h>

#include "conf.h"
#include "discipline.h"
#include "peer.h"
#include "sysvars.h"

#define ENG_DEFAULT_HOLDOVER 3600.0   /* s */
/* How often selection runs even without new samples, so that sources that
   stop answering are noticed (s). */
#define ENG_HOUSEKEEPING_INTERVAL 4.0
#define ENG_DRIFT_WRITE_INTERVAL 3600.0

/* Checks across lines and files (keys and leap files, key references):
   0, or -1 with "file:line: message" in `err` (exit status 2). */
int ENG_CheckConfig(const CNF_Config *cfg, char *err, size_t errlen);

/* Open sockets and start every configured association; 0 or -1 (logged). */
int ENG_Init(const CNF_Config *cfg);
void ENG_Fini(void);

/* Non-zero exit status the daemon should end with (panic), after SCH_Run
   returned; 0 normally. */
int ENG_ExitStatus(void);

/* Log one line per association and one of counters (SIGUSR1, exit). */
void ENG_LogStatus(void);

typedef struct {
    SYS_Vars sys;              /* root dispersion aged to the report time */
    DSC_State discipline_state;
    double frequency;          /* ppm */
    double residual;           /* s still being slewed */
    unsigned steps;
    int synchronised;
    int holdover;              /* synchronised, but no source selectable now */
    int monitor_only;
    size_t n_assocs;
} ENG_SystemReport;

void ENG_GetSystemReport(ENG_SystemReport *report);

/* Copies of every association's report in AssocId order; returns the
   count and sets *reports to a malloc'ed array the caller frees. */
size_t ENG_GetPeerReports(PEER_Report **reports);

#endif
