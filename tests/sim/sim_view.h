/*
 * sim_view — what the simulator reads of the engine's state, in one place
 * so it follows the engine's report API as that grows.
 */
#ifndef CNTPD_SIM_VIEW_H
#define CNTPD_SIM_VIEW_H

/* The engine claims synchronisation (system stratum below 16). */
int SIMV_Synced(void);

/* Synchronised but holding over (no source selectable now). */
int SIMV_Holdover(void);

/* Among the `n` simulated servers (configuration order): which is the
   system peer (*sys_peer, -1 none, SIMV_REFCLOCK a reference clock) and
   which were combined by the last selection (combined[i] = 1 for
   candidates and the system peer). Returns the number of associations. */
#define SIMV_REFCLOCK (-2)
int SIMV_Peers(int n, int *sys_peer, unsigned char *combined);

/* The sample the system peer's clock filter uses now: its offset (s,
   server - local) and when it arrived (elapsed s). Returns the server
   index, or -1 without a system peer. */
int SIMV_SysPeerSample(int n, double *offset, double *elapsed);

/* Scheduler time (s) of the last clock update (SYS reference time). */
double SIMV_ReferenceMono(void);

/* AssocId of the system peer, 0 if none. */
unsigned SIMV_SysPeerId(void);

/* System poll exponent (log2 s) and last combined offset (s, server -
   local), for the CSV trace. */
int SIMV_SysPoll(void);
double SIMV_SysOffset(void);

/* The engine's association with server `i` (by address): its mode (a
   PEER_Report mode: NTP_Mode sent, or PEER_MODE_BCLIENT), -1 when none;
   *configured from the config file (else mobilised by a packet). */
int SIMV_AssocMode(int i, int *configured);

/* Discipline state (DSC_State) and the leap indicator cntpd sends. */
int SIMV_DisciplineState(void);
int SIMV_SysLeap(void);

#endif
