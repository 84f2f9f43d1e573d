/*
 * agent — cntpd's AgentX subagent: serves CISCO-NTP-MIB
 * (1.3.6.1.4.1.9.9.168) through the host's snmpd. Owns the net-snmp
 * library inside the daemon: start-up as a subagent, the AgentX connection
 * (reconnecting by itself when snmpd restarts), and net-snmp's descriptors
 * and alarms driven from the one libevent loop (no thread, no polling).
 * The MIB modules (mib_system, mib_peers, mib_filter) read only the engine's
 * snapshot API (engine.h reports) and never keep pointers into the engine.
 */
#ifndef CNTPD_AGENT_H
#define CNTPD_AGENT_H

#include "conf.h"

/* AgentX ping interval (s): how soon a dead master is noticed, and how
   often a lost one is retried (net-snmp's default is 15 s). */
#define AGT_PING_INTERVAL 5

/* Start the subagent when the configuration enables it; 0 or -1. A master
   agent that is not running yet is not an error: the subagent connects
   when it appears. */
int AGT_Init(const CNF_Config *cfg);
void AGT_Fini(void);

#endif
