/*
 * sim_metrics — the per-second samples of a run and the numbers computed
 * from them (see sim_run.h for their meaning).
 */
#ifndef CNTPD_SIM_METRICS_H
#define CNTPD_SIM_METRICS_H

#include <stdio.h>

#include "sim_run.h"

/* Room for samples at elapsed 0, 1, ..., duration; `settle` (s) starts
   the measurement-noise statistics; `csv` (may be NULL) gets one line per
   sample. */
void SIMM_Init(double duration, double settle, int n_servers, FILE *csv);
void SIMM_Fini(void);

/* Take the sample of the current (whole) second. */
void SIMM_Sample(void);

/* After every scheduler event: catches sync changes and system peers that
   last less than a second between samples. */
void SIMM_AfterEvent(void);

/* A driver step happened (hooked from sim_clock). */
void SIMM_Step(double offset, double elapsed);

/* Compute everything from the samples into `res` (scenario fields, bumps'
   times and outage times must already be filled in). */
void SIMM_Finish(SIM_Result *res);

#endif
