/*
 * mib_modules — the three registered regions of CISCO-NTP-MIB and their
 * OIDs and column numbers, in one place.
 */
#ifndef CNTPD_MIB_MODULES_H
#define CNTPD_MIB_MODULES_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "conf.h"

/* ciscoNtpMIB = 1.3.6.1.4.1.9.9.168 */
#define CNTP_MIB_OID 1, 3, 6, 1, 4, 1, 9, 9, 168
#define CNTP_SYSTEM_OID CNTP_MIB_OID, 1, 1
#define CNTP_PEERS_TABLE_OID CNTP_MIB_OID, 1, 2, 1
#define CNTP_FILTER_TABLE_OID CNTP_MIB_OID, 1, 3, 2

/* cntpSystem scalars */
enum {
    COL_SYS_LEAP = 1,
    COL_SYS_STRATUM,
    COL_SYS_PRECISION,
    COL_SYS_ROOT_DELAY,
    COL_SYS_ROOT_DISPERSION,
    COL_SYS_REFID,
    COL_SYS_REFTIME,
    COL_SYS_POLL,
    COL_SYS_PEER,
    COL_SYS_CLOCK,
    COL_SYS_SRV_STATUS,
};

/* cntpPeersVarEntry columns */
enum {
    COL_PEER_ASSOC_ID = 1,
    COL_PEER_CONFIGURED,
    COL_PEER_PEER_ADDRESS,
    COL_PEER_PEER_PORT,
    COL_PEER_HOST_ADDRESS,
    COL_PEER_HOST_PORT,
    COL_PEER_LEAP,
    COL_PEER_MODE,
    COL_PEER_STRATUM,
    COL_PEER_PEER_POLL,
    COL_PEER_HOST_POLL,
    COL_PEER_PRECISION,
    COL_PEER_ROOT_DELAY,
    COL_PEER_ROOT_DISPERSION,
    COL_PEER_REFID,
    COL_PEER_REFTIME,
    COL_PEER_ORG_TIME,
    COL_PEER_RECEIVE_TIME,
    COL_PEER_TRANSMIT_TIME,
    COL_PEER_UPDATE_TIME,
    COL_PEER_REACH,
    COL_PEER_TIMER,
    COL_PEER_OFFSET,
    COL_PEER_DELAY,
    COL_PEER_DISPERSION,
    COL_PEER_FILTER_VALID,
    COL_PEER_ENTRY_STATUS,
    COL_PEER_UPDATE_TIME_REV1,
    COL_PEER_PREF_PEER,
    COL_PEER_PEER_TYPE,
    COL_PEER_PEER_NAME,
};

/* cntpFilterRegisterEntry columns */
enum {
    COL_FILTER_INDEX = 1,
    COL_FILTER_OFFSET,
    COL_FILTER_DELAY,
    COL_FILTER_DISPERSION,
};

/* TruthValue, RowStatus, InetAddressType values. */
#define TV_TRUE 1
#define TV_FALSE 2
#define ROW_ACTIVE 1
#define ROW_NOT_IN_SERVICE 2
#define ROW_NOT_READY 3
#define ROW_CREATE_AND_GO 4
#define ROW_CREATE_AND_WAIT 5
#define ROW_DESTROY 6
#define INET_TYPE_UNKNOWN 0
#define INET_TYPE_IPV4 1
#define INET_TYPE_IPV6 2
#define INET_TYPE_DNS 16

/* MIB ranges that engine values may exceed. */
#define MIB_PRECISION_MIN (-20)
#define MIB_PRECISION_MAX 20

/* How long one engine snapshot serves table requests (s): a walk sees
   rows from the same moment, and a burst of requests costs one copy. */
#define MIB_CACHE_SECONDS 1

void MIB_InitSystem(void);
void MIB_InitPeers(void);
/* SET on cntpPeersVarTable (mib_peers_set.c), the table's set callback. */
void MIB_PeersSet(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests,
                  const oid *root, size_t root_len);
void MIB_FiniPeers(void);
void MIB_InitFilter(void);
void MIB_FiniFilter(void);
/* The five notifications (mib_notify.c): subscribe to the engine's events
   with the `trap` settings of `cfg`. */
void MIB_InitNotify(const CNF_Config *cfg);
void MIB_FiniNotify(void);

#endif
