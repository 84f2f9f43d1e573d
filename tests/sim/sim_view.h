/*
 * sim_view — what the simulator reads of the engine's state, in one place
 * so it follows the engine's report API as that grows.
 */
#ifndef CNTPD_SIM_VIEW_H
#define CNTPD_SIM_VIEW_H

/* The engine claims synchronisation (system stratum below 16). */
int SIMV_Synced(void);

/* Index (configuration order) of the system peer among `n` servers, or -1
   when there is none. */
int SIMV_SysPeer(int n);

/* System poll exponent (log2 s) and last combined offset (s, server -
   local), for the CSV trace. */
int SIMV_SysPoll(void);
double SIMV_SysOffset(void);

#endif
