#!/usr/bin/env bash
# CISCO-NTP-MIB notifications through a real snmpd (AgentX master, trap2sink
# v2c) to a real snmptrapd, on loopback. cntpd has one chronyd upstream
# (minpoll 3, no prefer: with `trap highpriority prefer`, the default, every
# configured source is high priority when none is preferred; `tos holdover
# 0`: sync is lost as soon as no source is selectable):
#   synchronised   -> ciscoNtpSrvStatusChange, cntpSysSrvStatus.0 = 6
#   chronyd killed -> once the reach register is empty (8 polls, ~64 s):
#                     ciscoNtpHighPriorityConnFailure (cntpPeersPeerAddress.1
#                     = 127.0.0.1), ciscoNtpGeneralConnFailure (no objects),
#                     ciscoNtpSrvStatusChange = 3
#   chronyd again  -> ciscoNtpGeneralConnRestore and ...HighPriorityConnRestore
#                     with cntpPeersPeerAddress.1 = 127.0.0.1, then
#                     ciscoNtpSrvStatusChange = 6
# Each decoded from snmptrapd's output by notification OID and varbinds
# (sysUpTime.0, snmpTrapOID.0 first); exactly one of each failure/restore;
# cntpd logs each in words; clean ASan exit.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trap_lib.sh"

up=$(free_port)
port=$(free_port)
sport=$(free_port)
tport=$(free_port)
check "snmptrapd started" start_snmptrapd snmptrapd "$tport"
check "snmpd (AgentX master, trap sink) answers" start_snmpd_traps snmpd "$sport" "$tport"
start_chronyd upstream "$up" || fail "chronyd upstream answers"
chrony_pid=$CHRONYD_PID
start_cntpd client "port $port
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3
tos holdover 0
agentx socket $AGENTX_SOCK"
check "subtree answers within 10 s of cntpd's start" wait_until 10 cntp_answers

check "cntpd synchronised within 40 s" wait_until 40 cntpd_synchronised
assoc=$(first_assoc)
check "one association ($assoc)" test -n "$assoc"

# status_trap_with VALUE N: at least N SrvStatusChange notifications carry VALUE.
status_trap_with() {
    [ "$(traps $TRAP_STATUS | while read -r l; do varbind "$l" "$SRV_STATUS_OID"; done |
        grep -cx "$1")" -ge "$2" ]
}
check "ciscoNtpSrvStatusChange with syncToRemoteServer(6)" wait_until 15 status_trap_with 6 1
line=$(traps $TRAP_STATUS | tail -n1)
check "SrvStatusChange varbinds: sysUpTime.0 snmpTrapOID.0 cntpSysSrvStatus.0 ($(varbind_oids "$line"))" \
    test "$(varbind_oids "$line")" = ".1.3.6.1.2.1.1.3.0 $SNMP_TRAP_OID $SRV_STATUS_OID"
check "no failure notification while the upstream answers" \
    test "$(trap_count $TRAP_GEN_FAIL)$(trap_count $TRAP_HP_FAIL)" = 00

# Upstream down: the reach register empties after 8 polls of 8 s.
stop_pid "$chrony_pid"
t0=$SECONDS
check "ciscoNtpGeneralConnFailure within 100 s of stopping chronyd" \
    wait_until 100 trap_count_at_least $TRAP_GEN_FAIL 1
echo "# general failure after $((SECONDS - t0)) s"
check "ciscoNtpHighPriorityConnFailure too" wait_until 5 trap_count_at_least $TRAP_HP_FAIL 1
line=$(nth_trap $TRAP_HP_FAIL 1)
check "HighPriorityConnFailure: cntpPeersPeerAddress.$assoc = 127.0.0.1 ($(varbind "$line" "$PEER_ADDR_OID.$assoc"))" \
    test "$(varbind "$line" "$PEER_ADDR_OID.$assoc")" = 127.0.0.1
check "HighPriorityConnFailure varbinds ($(varbind_oids "$line"))" \
    test "$(varbind_oids "$line")" = ".1.3.6.1.2.1.1.3.0 $SNMP_TRAP_OID $PEER_ADDR_OID.$assoc"
line=$(nth_trap $TRAP_GEN_FAIL 1)
check "GeneralConnFailure has no objects ($(varbind_oids "$line"))" \
    test "$(varbind_oids "$line")" = ".1.3.6.1.2.1.1.3.0 $SNMP_TRAP_OID"
check "ciscoNtpSrvStatusChange with notSynchronized(3)" wait_until 30 status_trap_with 3 1
check "no restore while the upstream is down" \
    test "$(trap_count $TRAP_GEN_RESTORE)$(trap_count $TRAP_HP_RESTORE)" = 00

# Upstream back on the same port.
start_chronyd upstream "$up" || fail "chronyd upstream answers again"
check "ciscoNtpGeneralConnRestore within 30 s of restarting chronyd" \
    wait_until 30 trap_count_at_least $TRAP_GEN_RESTORE 1
check "ciscoNtpHighPriorityConnRestore too" wait_until 5 trap_count_at_least $TRAP_HP_RESTORE 1
line=$(nth_trap $TRAP_GEN_RESTORE 1)
check "GeneralConnRestore: cntpPeersPeerAddress.$assoc = 127.0.0.1 ($(varbind "$line" "$PEER_ADDR_OID.$assoc"))" \
    test "$(varbind "$line" "$PEER_ADDR_OID.$assoc")" = 127.0.0.1
line=$(nth_trap $TRAP_HP_RESTORE 1)
check "HighPriorityConnRestore: cntpPeersPeerAddress.$assoc = 127.0.0.1 ($(varbind "$line" "$PEER_ADDR_OID.$assoc"))" \
    test "$(varbind "$line" "$PEER_ADDR_OID.$assoc")" = 127.0.0.1
check "ciscoNtpSrvStatusChange with syncToRemoteServer(6) again" wait_until 40 status_trap_with 6 2

counts="$(trap_count $TRAP_HP_FAIL) $(trap_count $TRAP_HP_RESTORE) $(trap_count $TRAP_GEN_FAIL) $(trap_count $TRAP_GEN_RESTORE)"
check "exactly one of each failure and restore ($counts)" test "$counts" = "1 1 1 1"
for n in ciscoNtpGeneralConnFailure ciscoNtpHighPriorityConnFailure ciscoNtpGeneralConnRestore \
         ciscoNtpHighPriorityConnRestore ciscoNtpSrvStatusChange; do
    check "cntpd logs 'notification $n'" grep -q "notification $n" "$CNTPD_LOG"
done

stop_pid "$CNTPD_PID"
rc=$?
check "cntpd exits cleanly (status $rc, ASan)" test "$rc" -eq 0
finish
