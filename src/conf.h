/*
 * conf — the ntpd-compatible configuration file, parsed once into a plain
 * struct. Owns syntax and value checking: every error names `file:line:`
 * and the daemon exits with status 2 on any of them (see main.c). Host names
 * are only checked for syntax here; resolving them is the engine's job,
 * asynchronously.
 */
#ifndef CNTPD_CONF_H
#define CNTPD_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "ratelimit.h"
#include "refclock.h"

#define CNF_DEFAULT_PORT 123
#define CNF_DEFAULT_MINPOLL 6    /* log2 s: 64 s, as ntpd */
#define CNF_DEFAULT_MAXPOLL 10   /* log2 s: 1024 s */
#define CNF_MIN_POLL 3           /* 8 s */
#define CNF_MAX_POLL 17          /* 36 h */
#define CNF_DEFAULT_VERSION 4    /* NTP version sent to servers */
#define CNF_MAX_FILE_SIZE (16u << 20)   /* octets: larger is not a config file */
#define CNF_DEFAULT_MAXASSOC 64 /* `tos maxassoc` */
#define CNF_MAX_LINE 4096        /* characters per line, without the line end */
#define CNF_DEFAULT_TRAP_HOLDDOWN 300.0   /* s, `trap holddown` */
#define CNF_MAX_TRAP_HIGHPRIORITY 64      /* AssocIds in `trap highpriority ID...` */
#define CNF_MAX_ALARMS 256                /* `alarm` lines */
#define CNF_DEFAULT_MASTER_STRATUM 8      /* `master` without a number (as Cisco's) */
#define CNF_DEFAULT_NMEA_BAUD 4800        /* NMEA 0183's speed, ntpd's default */

typedef enum {
    CNF_ASSOC_SERVER,          /* `server`: client mode */
    CNF_ASSOC_PEER,            /* `peer`: symmetric active */
    CNF_ASSOC_BROADCAST,       /* `broadcast`: we send mode-5 packets there */
} CNF_AssocType;

/* `trap highpriority`: which associations' reachability changes send
   ciscoNtpHighPriorityConnFailure/Restore. */
typedef enum {
    CNF_TRAP_HP_PREFER,        /* prefer sources; all configured ones when none
                                  is preferred (the default) */
    CNF_TRAP_HP_ALL,           /* every configured (config file or SNMP) source */
    CNF_TRAP_HP_NONE,          /* none: only the general notifications */
    CNF_TRAP_HP_LIST,          /* the AssocIds listed */
} CNF_TrapHighPriority;

/* `alarm`: the sampled quantity (agent/alarm.h samples them in µs). */
typedef enum {
    CNF_ALARM_SYS_OFFSET,
    CNF_ALARM_SYS_ROOTDELAY,
    CNF_ALARM_SYS_ROOTDISP,
    CNF_ALARM_SYS_JITTER,
    CNF_ALARM_PEER_OFFSET,
    CNF_ALARM_PEER_DELAY,
    CNF_ALARM_PEER_DISPERSION,
    CNF_ALARM_PEER_JITTER,
    CNF_ALARM_PEER_ROOTDELAY,  /* the root delay the association reports */
    CNF_ALARM_PEER_ROOTDISP,   /* the root dispersion it reports */
} CNF_AlarmObject;

/* `alarm ... startup`: which event the first sample may send (the values
   of RMON-MIB alarmStartupAlarm). */
typedef enum {
    CNF_ALARM_STARTUP_RISING = 1,
    CNF_ALARM_STARTUP_FALLING = 2,
    CNF_ALARM_STARTUP_BOTH = 3,
} CNF_AlarmStartup;

/* `alarm INDEX OBJECT [absolute|delta] interval S rising R falling F
   [startup rising|falling|both]`: an RMON-style threshold alarm. */
typedef struct {
    uint32_t index;            /* alarmIndex, 1..65535, unique */
    CNF_AlarmObject object;
    uint32_t assoc_id;         /* peer.*: the AssocId; 0 for sys.* */
    int delta;                 /* deltaValue sampling; else absoluteValue */
    int interval;              /* s, 1..86400 */
    int32_t rising, falling;   /* thresholds, µs; rising > falling */
    CNF_AlarmStartup startup;  /* default rising */
    int line;
} CNF_Alarm;

typedef struct {
    CNF_AssocType type;
    char *host;        /* numeric address or host name, as written (but an
                          IPv6 address loses its [brackets]) */
    uint16_t port;     /* remote port, default 123 */
    int iburst;
    int burst;
    int prefer;
    int minpoll;       /* log2 s */
    int maxpoll;       /* log2 s */
    int version;       /* NTP version to send, 1..4 (default 4) */
    uint32_t key;      /* symmetric key id (`key N`), 0: none */
    int ttl;           /* broadcast: IP TTL / hop limit (`ttl N`), default 1 */
    int noselect;      /* `noselect`: measured and reported, never selected */
    /* A reference clock (`server 127.127.T.U` + `fudge`, `refclock NAME`,
       `master N`): refclock.type set, host "127.127.T.U". */
    RCL_Config refclock;
    int line;          /* line in the config file, for messages */
} CNF_Assoc;

typedef struct {
    char *path;        /* file the config came from ("-" or a name for strings) */
    CNF_Assoc *assocs;
    size_t n_assocs;
    uint16_t port;     /* local NTP port (`port N`), default 123 */
    /* `interface listen ADDRESS`: the server sockets bind these (numeric,
       at most one per family); when either is set, a family without one
       gets no server socket. NULL both: the wildcard addresses. */
    char *listen4, *listen6;
    char *driftfile;   /* NULL: none */
    char *logfile;     /* NULL: syslog / stderr */
    int broadcastclient;    /* `broadcastclient`: listen for mode-5 servers */
    int agentx_enabled;     /* `agentx off` clears it; default on */
    char *agentx_socket;    /* NULL: net-snmp's default */

    /* `tinker` (ntpd names and units); negative: not set, use the default. */
    double tinker_step;       /* s, step threshold (0.128; 600 with -x) */
    double tinker_stepout;    /* s, how long a spike must persist (900) */
    double tinker_panic;      /* s, panic threshold (1000); 0 disables it */
    double tinker_dispersion; /* ppm, dispersion growth rate PHI (15) */

    /* `tos`; 0 (or negative for maxdist): not set. */
    int tos_minsane;          /* survivors needed to synchronise (1) */
    int tos_minclock;         /* cluster keeps at least this many (3) */
    int tos_maxclock;         /* candidates at most (10) */
    double tos_maxdist;       /* s, root distance threshold (1.5) */
    double tos_holdover;      /* s, stay synchronised without a source (3600) */
    int tos_maxassoc;         /* configured + SNMP-created associations at most (64) */

    /* `trap` (SNMP notifications, sent through the AgentX master). */
    double trap_holddown;     /* s, flap hold-down; negative: not set (300) */
    CNF_TrapHighPriority trap_highpriority;
    uint32_t *trap_hp_ids;    /* CNF_TRAP_HP_LIST: the AssocIds */
    size_t n_trap_hp_ids;

    /* `alarm` lines, in file order. */
    CNF_Alarm *alarms;
    size_t n_alarms;

    /* `statedir DIR`: where SNMP-created associations are kept across
       restarts; NULL: they are not kept. */
    char *statedir;

    /* Authentication: `keys FILE` (loaded and checked against every key
       reference by the engine), `trustedkey` ids. */
    char *keysfile;
    int keysfile_line;
    uint32_t *trustedkeys;
    size_t n_trustedkeys;
    int trustedkey_line;

    /* Rate limiting: `discard` values (defaults when absent). */
    RL_Config discard;

    /* Access control: every `restrict` line, parsed. */
    ACC_Rule *restricts;
    size_t n_restricts;

    char *leapfile;          /* `leapfile FILE` (IETF leap-seconds.list) */
    int leapfile_line;

    /* "file:line: message" lines for things accepted but worth a word
       (ignored ntpd directives, ineffective flags); main logs them. */
    char **warnings;
    size_t n_warnings;
} CNF_Config;

/* Parse a file. Returns 0 and fills `cfg`, or -1 with `err` holding
   "file:line: message" (or "file: message" when the file cannot be read).
   `cfg` is overwritten without being freed first; after an error it is left
   zeroed (nothing to free). `err` is always NUL-terminated when errlen > 0
   and is truncated, never overrun, when the message does not fit. */
int CNF_ParseFile(const char *path, CNF_Config *cfg, char *err, size_t errlen);

/* Parse configuration text; `name` stands for the file name in messages
   (NULL: "-"). Same contract as CNF_ParseFile. */
int CNF_ParseString(const char *text, const char *name, CNF_Config *cfg, char *err,
                    size_t errlen);

/* Is `host` a server address as a config line takes it: a numeric IPv4
   or IPv6 address (without brackets) or an RFC 1123 host name, and not a
   reference clock's pseudo address 127.127.T.U? 1 or 0. */
int CNF_ValidHost(const char *host);

/* Free everything `cfg` holds and zero it. Safe on a zeroed config, twice,
   and on NULL. */
void CNF_Free(CNF_Config *cfg);

#endif
