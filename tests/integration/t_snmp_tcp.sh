#!/usr/bin/env bash
# `agentx socket tcp:HOST:PORT`: the subagent reaches a master agent that
# listens for AgentX on TCP, and the subtree answers through it.
source "$(dirname "$0")/lib.sh"

snmp_port=$(free_port)
ax_port=$(free_port tcp)
dir=$WORK/snmpd; mkdir -p "$dir/persist"
cat >"$dir/snmpd.conf" <<EOC
master agentx
agentXSocket tcp:127.0.0.1:$ax_port
rocommunity public 127.0.0.1
EOC
MIBS= SNMP_PERSISTENT_DIR=$dir/persist snmpd -f -Lf "$dir/snmpd.log" -C -c "$dir/snmpd.conf" \
    -p "$dir/snmpd.pid" "udp:127.0.0.1:$snmp_port" &
PIDS+=("$!")
SNMP_AGENT=127.0.0.1:$snmp_port
check "snmpd answers" wait_until 10 snmpd_answers

port=$(free_port)
start_cntpd tcp "port $port
agentx socket tcp:127.0.0.1:$ax_port"
check "subagent connected over TCP" wait_until 15 grep -q "AgentX subagent connected" "$CNTPD_LOG"
stratum() { snmpget -v2c -c public -On -Oqv "$SNMP_AGENT" .1.3.6.1.4.1.9.9.168.1.1.2.0 2>/dev/null; }
stratum_is_16() { [ "$(stratum)" = 16 ]; }
check "cntpSysStratum answers through the TCP master" wait_until 10 stratum_is_16
stop_pid "$CNTPD_PID"
check "clean exit (status $?)" test $? -eq 0
finish
