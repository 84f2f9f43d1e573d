/*
 * sim_report — a run's result as one text line, and the acceptance checks
 * of the issue as TAP-like "ok - ..." / "not ok - ..." lines.
 */
#ifndef CNTPD_SIM_REPORT_H
#define CNTPD_SIM_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "sim_run.h"

/* One line (no newline) with every metric of `r`. */
void SIM_FormatResult(const SIM_Result *r, char *buf, size_t len);

/* Print the checks that apply to `r`'s scenario to `out`; adds to *passed
   and *failed. */
void SIM_Check(const SIM_Result *r, FILE *out, int *passed, int *failed);

#endif
