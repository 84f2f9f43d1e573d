/* sim_scenario — see sim_scenario.h. The numbers come from the issue; the
   choices it leaves open are commented. */
#include "sim_scenario.h"

#include <stdio.h>
#include <string.h>

/* One-way paths (base s, exponential mean s, loss). */
#define LAN { 100e-6, 100e-6, 0.0 }
#define WAN { 10e-3, 2e-3, 0.0 }
#define LOSSY_LAN { 100e-6, 100e-6, 0.30 }
#define ASYM_UP { 1e-3, 5e-3, 0.0 }
#define ASYM_DOWN { 1e-3, 0.5e-3, 0.0 }

/* A good stratum-1 server: 5 us between its receive and transmit stamps,
   root dispersion 100 us (what a GPS-fed ntpd typically announces). */
/* The same as designators, to add a role or a leap announcement. */
#define SERVER_FIELDS(a, off, U, D)                                           \
    .addr = (a), .offset = (off), .proc = 5e-6, .up = U, .down = D,            \
    .stratum = 1, .root_delay = 0.0, .root_dispersion = 100e-6
#define SERVER(a, off, U, D)                                                  \
    { .addr = (a), .offset = (off), .proc = 5e-6, .up = U, .down = D,          \
      .stratum = 1, .root_delay = 0.0, .root_dispersion = 100e-6 }

/* Not stated for most scenarios: the lan start (10 ms ahead, 20 ppm fast)
   is used throughout, and a frequency random walk of 1e-4 ppm/sqrt(s)
   (about 0.02 ppm over a 40 000 s run: a quiet quartz oscillator). */
#define START .phase = 10e-3, .freq_error = 20.0, .wander = 1e-4

/* A GPS receiver: PPS edges stamped with 1 us jitter (a serial line's DCD
   through pps-ldisc), RMC sentences ending 300 ms + exp(20 ms) after the
   second they name (typical of a u-blox at 9600 bit/s). */
#define GPS_RECEIVER .pps_jitter = 1e-6, .nmea_delay = 0.3, .nmea_jitter = 0.02

#define VM_BUMPS .bump_interval = 5000.0, .bump_size = 0.132, .bump_announced = 1

/* Leap second at the end of 2016 (2016-12-31T23:59:60Z), the last one so
   far. The run starts on 2016-12-30 at 22:20 UTC, so cntpd synchronises and
   hears the announcement 6000 s before the last day of the month begins
   (it must not arm the kernel then), goes through that whole day and
   7600 s past the leap: 100 000 s. The servers announce from
   2016-12-30T00:00Z (two days; ntpd sends LI from the leap file's month,
   chrony only on the last day) until their own UTC midnight. */
#define LEAP_2016 1483228800LL                      /* 2017-01-01T00:00:00Z */
#define LEAP_RUN .epoch = LEAP_2016 - 86400 - 6000, .duration = 100000.0
#define ANNOUNCES(end) .li_from = LEAP_2016 - 2 * 86400, .li_until = (end)
/* A symmetric peer or broadcaster: polls 2^6 s. */
#define ROLE(r) .role = (r), .poll = 6

static const SIM_Scenario scenarios[] = {
    {
        .name = "lan",
        .summary = "one server, 0.1 ms + exp(0.1 ms) each way",
        .n_servers = 1,
        .servers = { SERVER("10.0.0.1", 0.0, LAN, LAN) },
        START, .bad_server = -1,
    },
    {
        .name = "lan-4",
        .summary = "lan with four servers",
        .n_servers = 4,
        .servers = { SERVER("10.0.0.1", 0.0, LAN, LAN), SERVER("10.0.0.2", 0.0, LAN, LAN),
                     SERVER("10.0.0.3", 0.0, LAN, LAN), SERVER("10.0.0.4", 0.0, LAN, LAN) },
        START, .bad_server = -1,
    },
    {
        .name = "wan",
        .summary = "one server, 10 ms + exp(2 ms) each way",
        .n_servers = 1,
        .servers = { SERVER("10.0.0.1", 0.0, WAN, WAN) },
        START, .bad_server = -1,
    },
    {
        .name = "asym-jitter",
        .summary = "one server, up 1 ms + exp(5 ms), down 1 ms + exp(0.5 ms)",
        .n_servers = 1,
        .servers = { SERVER("10.0.0.1", 0.0, ASYM_UP, ASYM_DOWN) },
        START, .bad_server = -1,
    },
    {
        .name = "vm-bumps",
        .summary = "lan; local clock jumps +132 ms about every 5000 s",
        .n_servers = 1,
        .servers = { SERVER("10.0.0.1", 0.0, LAN, LAN) },
        START, VM_BUMPS, .bad_server = -1,
    },
    {
        /* The same jumps, but silent: a clocksource glitch rather than a
           hypervisor setting the clock, so nothing tells cntpd; it sees the
           jump at its next poll and confirms it with a burst. */
        .name = "vm-glitch",
        .summary = "vm-bumps, but the jumps are not announced to cntpd",
        .n_servers = 1,
        .servers = { SERVER("10.0.0.1", 0.0, LAN, LAN) },
        START, .bump_interval = 5000.0, .bump_size = 0.132, .bump_announced = 0,
        .bad_server = -1,
    },
    {
        .name = "vm-bumps-x",
        .summary = "vm-bumps with -x (slew only)",
        .n_servers = 1,
        .servers = { SERVER("10.0.0.1", 0.0, LAN, LAN) },
        START, VM_BUMPS, .slew_only = 1, .bad_server = -1,
    },
    {
        /* One server: a single upstream that drops UDP is the case the
           operators complain about; with more servers an outage of one is
           hidden by the others. The outage hits everything ("total"). */
        .name = "udp-loss",
        .summary = "lan, 30 % loss each way, 20 min total outage every 3 h",
        .n_servers = 1,
        .servers = { SERVER("10.0.0.1", 0.0, LOSSY_LAN, LOSSY_LAN) },
        .outage = { .first = 10800.0, .period = 10800.0, .length = 1200.0 },
        START, .bad_server = -1,
    },
    {
        /* The bad server is the last configured: the first sample to
           arrive comes from a random server (the first polls are spread
           over 0.5 s), so its position is not what is being tested. */
        .name = "falseticker",
        .summary = "lan, four servers, 10.0.0.4 is 0.5 s ahead",
        .n_servers = 4,
        .servers = { SERVER("10.0.0.1", 0.0, LAN, LAN), SERVER("10.0.0.2", 0.0, LAN, LAN),
                     SERVER("10.0.0.3", 0.0, LAN, LAN), SERVER("10.0.0.4", 0.5, LAN, LAN) },
        START, .bad_server = 3,
    },
    {
        .name = "cold-start",
        .summary = "lan, 2 s ahead and 50 ppm fast, no drift file",
        .n_servers = 1,
        .servers = { SERVER("10.0.0.1", 0.0, LAN, LAN) },
        .phase = 2.0, .freq_error = 50.0, .wander = 1e-4, .bad_server = -1,
    },
    {
        /* cntpd configured with the peer; the other side, a primary
           server, answers as a symmetric passive peer (mobilised by
           cntpd's first packet). */
        .name = "symmetric",
        .summary = "lan, `peer 10.0.0.1`: a stratum-1 symmetric passive peer",
        .config = "peer 10.0.0.1\n",
        .n_servers = 1,
        .servers = { { SERVER_FIELDS("10.0.0.1", 0.0, LAN, LAN), ROLE(SIMN_SYM_PASSIVE) } },
        START, .bad_server = -1,
    },
    {
        /* No line for the peer: it calls cntpd (symmetric active) and the
           restrict line lets cntpd mobilise a passive association. */
        .name = "symmetric-passive",
        .summary = "lan, a stratum-1 symmetric active peer; cntpd mobilises (restrict)",
        .config = "restrict 10.0.0.0 mask 255.255.255.0\n",
        .n_servers = 1,
        .servers = { { SERVER_FIELDS("10.0.0.1", 0.0, LAN, LAN), ROLE(SIMN_SYM_ACTIVE) } },
        START, .bad_server = -1,
    },
    {
        /* A broadcast client: mobilised by the first mode-5 packet, it
           measures the delay with a client-mode volley, then listens. */
        .name = "broadcast",
        .summary = "lan, a stratum-1 broadcaster every 64 s; `broadcastclient`",
        .config = "broadcastclient\nrestrict 10.0.0.0 mask 255.255.255.0\n",
        .n_servers = 1,
        .servers = { { SERVER_FIELDS("10.0.0.1", 0.0, LAN, LAN), ROLE(SIMN_BROADCAST) } },
        START, .bad_server = -1,
    },
    {
        .name = "leap",
        .summary = "lan, three servers announce and insert 2016-12-31T23:59:60Z",
        .n_servers = 3,
        .servers = { { SERVER_FIELDS("10.0.0.1", 0.0, LAN, LAN), ANNOUNCES(LEAP_2016) },
                     { SERVER_FIELDS("10.0.0.2", 0.0, LAN, LAN), ANNOUNCES(LEAP_2016) },
                     { SERVER_FIELDS("10.0.0.3", 0.0, LAN, LAN), ANNOUNCES(LEAP_2016) } },
        LEAP_RUN, .leap_at = LEAP_2016, .leap_month_end = LEAP_2016,
        START, .bad_server = -1,
    },
    {
        /* The same month end without a leap second: one server of three
           announces one anyway. */
        .name = "leap-minority",
        .summary = "lan, one of three servers falsely announces a leap at the end of 2016",
        .n_servers = 3,
        .servers = { SERVER("10.0.0.1", 0.0, LAN, LAN), SERVER("10.0.0.2", 0.0, LAN, LAN),
                     { SERVER_FIELDS("10.0.0.3", 0.0, LAN, LAN), ANNOUNCES(LEAP_2016) } },
        LEAP_RUN, .leap_month_end = LEAP_2016,
        START, .bad_server = -1,
    },
    {
        .name = "refclock-pps",
        .summary = "GPS receiver: NMEA on a serial line (noselect) numbering PPS edges "
                   "(1 us jitter)",
        .config = "refclock nmea path @NMEA@ baud 9600 time2 0.3 refid NMEA noselect\n"
                  "refclock pps path /dev/pps0 lock 127.127.20.0 prefer\n",
        .refclock = { .nmea = 1, .pps = 1, GPS_RECEIVER },
        START, .bad_server = -1,
    },
    {
        .name = "refclock-shm",
        .summary = "SHM segment (gpsd) with 1 us noise on the reference stamps",
        .config = "refclock shm unit 0 refid GPS\n",
        .refclock = { .shm = 1, .shm_noise = 1e-6 },
        START, .bad_server = -1,
    },
};

int SIM_ScenarioCount(void)
{
    return (int)(sizeof scenarios / sizeof scenarios[0]);
}

const SIM_Scenario *SIM_ScenarioGet(int i)
{
    return i >= 0 && i < SIM_ScenarioCount() ? &scenarios[i] : NULL;
}

const SIM_Scenario *SIM_ScenarioFind(const char *name, int slew_only)
{
    if (slew_only) {
        char x[64];
        snprintf(x, sizeof x, "%s-x", name);
        for (int i = 0; i < SIM_ScenarioCount(); i++)
            if (!strcmp(scenarios[i].name, x))
                return &scenarios[i];
    }
    for (int i = 0; i < SIM_ScenarioCount(); i++)
        if (!strcmp(scenarios[i].name, name))
            return &scenarios[i];
    return NULL;
}
