/*
 * sim_refclock — simulated reference clock hardware under cntpd's real
 * drivers: a GPS receiver's NMEA sentences arrive on a real pseudo-terminal
 * (the NMEA driver opens it as a serial line), its pulse per second comes
 * through a PPS_Ops implementation (the PPS driver's RFC 2783 layer
 * swapped out), and a gpsd-like writer fills an NTP shared-memory segment
 * that lives in this process (the SHM driver's attach swapped out).
 *
 * Every true UTC second T (elapsed k, no leap second in these scenarios):
 *   - PPS: an edge stamped with the local clock's reading at T plus
 *     N(0, pps_jitter);
 *   - NMEA: "$GPRMC" naming T, ending nmea_delay + exp(nmea_jitter) s
 *     after T (a receiver computes and sends its fix after the second);
 *   - SHM: clockTimeStamp T + N(0, shm_noise), receiveTimeStamp the local
 *     clock at T (mode 1, count/valid handshake).
 * Each from its own random stream of the run's seed.
 */
#ifndef CNTPD_SIM_REFCLOCK_H
#define CNTPD_SIM_REFCLOCK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int nmea;             /* a receiver on a pseudo-terminal */
    int pps;              /* its pulse per second */
    int shm;              /* a writer of SHM unit 0 */
    double pps_jitter;    /* s, standard deviation of the edge stamps */
    double nmea_delay;    /* s, least time from the second to the line end */
    double nmea_jitter;   /* s, mean of the exponential extra delay */
    double shm_noise;     /* s, standard deviation of the reference stamps */
} SIMR_Params;

/* Open the devices (before the configuration is parsed: the NMEA line's
   path goes into it). 0, or -1 with the reason in err. */
int SIMR_Init(const SIMR_Params *params, uint64_t seed, int64_t epoch, char *err,
              size_t errlen);

/* The pseudo-terminal's path for `refclock nmea path ...` ("" if none). */
const char *SIMR_NmeaPath(void);

/* Queue the first second's events (after SIMS_Init). */
void SIMR_Start(double duration);

/* Sentences and edges produced, for the report. */
typedef struct {
    unsigned long sentences, edges, shm_writes;
} SIMR_Stats;
const SIMR_Stats *SIMR_GetStats(void);

void SIMR_Fini(void);

#endif
