#!/usr/bin/env bash
# The LOCAL reference clock (issue 8): cntpd with only `master 5` serves
# stratum 5 (chronyd -Q takes it; ntp_query sees refid LOCL) and SNMP shows
# cntpSysSrvStatus syncToLocal(4) with the 127.127.1.0 row. With a real
# upstream as well, the local clock is only a last resort: cntpd follows
# chronyd (syncToRemoteServer(6)), and falls back to the local clock
# (syncToLocal(4), stratum 8) when chronyd stops answering.
source "$(dirname "$0")/lib.sh"

sport=$(free_port)
check "snmpd (AgentX master) answers" start_snmpd snmpd "$sport"

getv() { snmp_value "$(snmp snmpget -On "$SNMP_AGENT" "$1" 2>&1)"; }
gethex() { snmp_hex "$(snmp snmpget -On -Ox "$SNMP_AGENT" "$1" 2>&1)"; }
srv_status_is() { test "$(getv "$CNTP_SYS.11.0")" = "$1"; }

# ---- master 5 alone ---------------------------------------------------------------
port=$(free_port)
start_cntpd local "port $port
agentx socket $AGENTX_SOCK
master 5"
check "subtree answers" wait_until 10 cntp_answers
check "synchronised to the local clock within 20 s" \
    wait_until 20 grep -q "synchronised to 127.127.1.0, stratum 5" "$CNTPD_LOG"

q=$("$TOOLS/ntp_query" -s 127.0.0.1 -p "$port")
check "serves leap 0, stratum 5, refid LOCL ($q)" \
    grep -q "leap=0 version=4 mode=4 stratum=5 .* refid=4c4f434c " <<<"$q"

qdir=$WORK/query; mkdir -p "$qdir"
out=$("${NOCAP[@]}" timeout 30 chronyd -Q -u root -t 20 -f /dev/null \
      "server 127.0.0.1 port $port iburst maxsamples 4" "pidfile $qdir/pid" "bindcmdaddress /" \
      "logdir $qdir" "log measurements" 2>&1)
check "chronyd -Q takes cntpd as a source" grep -q "System clock wrong by" <<<"$out"
# measurements.log: date time address leap stratum ...
check "chronyd -Q measured stratum 5" \
    awk '$3 == "127.0.0.1" && $5 == 5 { ok = 1 } END { exit !ok }' "$qdir/measurements.log"

check "cntpSysSrvStatus syncToLocal(4)" wait_until 10 srv_status_is 4
check "cntpSysStratum 5" test "$(getv "$CNTP_SYS.2.0")" = 5
check "cntpSysRefId 'LOCL'" test "$(gethex "$CNTP_SYS.6.0")" = 4c4f434c
check "row 1: cntpPeersPeerAddress 127.127.1.0" test "$(getv "$CNTP_PEERS.3.1")" = 127.127.1.0
check "row 1: cntpPeersPeerType ipv4(1)" test "$(getv "$CNTP_PEERS.30.1")" = 1
check "row 1: cntpPeersPeerName 127.127.1.0" test "$(gethex "$CNTP_PEERS.31.1")" = 7f7f0100
check "row 1: cntpPeersStratum 4 (the clock's own; cntpd serves one more)" \
    test "$(getv "$CNTP_PEERS.9.1")" = 4
check "row 1: cntpPeersConfigured true(1)" test "$(getv "$CNTP_PEERS.2.1")" = 1
check "row 1: cntpPeersRefId 'LOCL'" test "$(gethex "$CNTP_PEERS.15.1")" = 4c4f434c
reach=$(getv "$CNTP_PEERS.21.1")
check "row 1: reach is non-zero ($reach)" test "${reach:-0}" -gt 0
stop_pid "$CNTPD_PID"

# ---- a real upstream plus master 8: the local clock is the last resort ------------
uport=$(free_port)
start_chronyd upstream "$uport" "local stratum 3"
up_pid=$CHRONYD_PID
port=$(free_port)
start_cntpd fallback "port $port
agentx socket $AGENTX_SOCK
server 127.0.0.1 port $uport iburst minpoll 3 maxpoll 3
master"
check "synchronised to chronyd (stratum 4), not the local clock" \
    wait_until 30 grep -q "synchronised to 127.0.0.1, stratum 4" "$CNTPD_LOG"
check "cntpSysSrvStatus syncToRemoteServer(6)" wait_until 10 srv_status_is 6
line=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "assoc 2 ")
check "the local clock is measured but not selected ($line)" grep -q "assoc 2   127.127.1.0" <<<"$line"

stop_pid "$up_pid"
# Eight unanswered polls at 8 s empty the reach register.
check "falls back to the local clock when chronyd is gone" \
    wait_until 120 grep -q "system peer changed to 127.127.1.0" "$CNTPD_LOG"
check "cntpSysSrvStatus syncToLocal(4)" wait_until 10 srv_status_is 4
check "cntpSysStratum 8 (master without a number)" test "$(getv "$CNTP_SYS.2.0")" = 8
q=$("$TOOLS/ntp_query" -s 127.0.0.1 -p "$port")
check "serves stratum 8 ($q)" grep -q "leap=0 version=4 mode=4 stratum=8 " <<<"$q"

stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
finish
