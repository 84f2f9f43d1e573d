#!/usr/bin/env bash
# DISMAN-EVENT-MIB monitors from agent/snmpd.conf.example (issue 7): a
# private snmpd runs the example as it is shipped, apart from three lines
# (agentXSocket: a private socket; agentXPerms: no cntpd group here;
# trap2sink: a private snmptrapd on loopback), which the test checks are the
# only differences. cntpd has one chronyd upstream (minpoll 3, `tos holdover
# 0`); chronyd is killed and, once the reach register is empty (8 polls,
# ~64 s), cntpd is unsynchronised (stratum 16):
#   - the monitor `ntpLostSync` (cntpSysStratum.0 > 15, sampled every 30 s)
#     sends DISMAN-EVENT-MIB::mteTriggerFired to snmptrapd: mteHotTrigger.0
#     = "ntpLostSync", mteHotOID.0 = cntpSysStratum.0, mteHotValue.0 = 16,
#     exact varbind list; a new one, not the start-up firing;
#   - `ntpNotSyncToServer` (cntpSysSrvStatus.0 != 6) fires with value 3;
#   - the wildcarded `ntpPeerUnreachable` (cntpPeersReach == 0, every 60 s)
#     fires for the association's instance with cntpPeersPeerAddress = 127.0.0.1.
# All four monitors are in snmpd's mteTriggerTable. ~2 min.
# SNMPD_CONF_EXAMPLE=FILE runs another example (to see the test fail).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trap_lib.sh"

EXAMPLE=${SNMPD_CONF_EXAMPLE:-$TOP/agent/snmpd.conf.example}
MTE_FIRED=.1.3.6.1.2.1.88.2.0.1       # mteTriggerFired
MTE_HOT=.1.3.6.1.2.1.88.2.1           # mteHotTrigger .1, TargetName .2,
                                      # ContextName .3, OID .4, Value .5 (.0)
MTE_TRIGGER_FREQ=.1.3.6.1.2.1.88.1.2.2.1.11   # mteTriggerFrequency.OWNER.NAME
STRATUM_OID=.$CNTP_SYS.2.0            # cntpSysStratum.0
REACH_COL=.$CNTP_PEERS.21             # cntpPeersReach

up=$(free_port)
port=$(free_port)
sport=$(free_port)
tport=$(free_port)
check "snmptrapd started" start_snmptrapd snmptrapd "$tport"

# snmpd with the example: only these three lines replaced.
dir=$WORK/snmpd
mkdir -p "$dir/persist"
AGENTX_SOCK=$dir/agentx.sock
SNMP_AGENT=127.0.0.1:$sport
SNMPD_LOG=$dir/snmpd.log
sed -e "s|^agentXSocket .*|agentXSocket $AGENTX_SOCK|" \
    -e "s|^agentXPerms .*|agentXPerms 0660 0770|" \
    -e "s|^trap2sink .*|trap2sink 127.0.0.1:$tport public|" "$EXAMPLE" >"$dir/snmpd.conf"
changed=$(diff "$EXAMPLE" "$dir/snmpd.conf" | grep -c '^>')
check "example used as is but for agentXSocket, agentXPerms, trap2sink ($changed lines changed)" \
    test "$changed" -eq 3 -a "$(grep -cE '^(agentXSocket|agentXPerms|trap2sink) ' "$EXAMPLE")" -eq 3
MIBS= SNMP_PERSISTENT_DIR=$dir/persist snmpd -f -Lf "$SNMPD_LOG" -C -c "$dir/snmpd.conf" \
    -p "$dir/snmpd.pid" "udp:$SNMP_AGENT" &
SNMPD_PID=$!
PIDS+=("$SNMPD_PID")
check "snmpd with the example answers" wait_until 10 snmpd_answers
check "snmpd reports no configuration error" \
    bash -c "! grep -iE 'line [0-9]+:|error|unknown|duplicate' '$SNMPD_LOG'"
freqs=$(snmp snmpwalk -On "$SNMP_AGENT" "$MTE_TRIGGER_FREQ" 2>/dev/null |
    sed -n 's/.* = Gauge32: //p' | sort -n | tr '\n' ' ')
check "four monitors in mteTriggerTable, sampled every 30 30 60 60 s ($freqs)" \
    test "$freqs" = "30 30 60 60 "

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

# fired NAME: the mteTriggerFired lines of monitor NAME, in order.
fired() {
    grep -E "^TRAP .*\\|$SNMP_TRAP_OID = OID: ${MTE_FIRED//./\\.}\\|" "$TRAPS_LOG" |
        grep -F "|$MTE_HOT.1.0 = STRING: \"$1\"|"
}
fired_count() {
    fired "$1" | wc -l
}
fired_more_than() {
    [ "$(fired_count "$1")" -gt "$2" ]
}
# A firing at snmpd's first sample of cntpd (before it synchronised) is
# possible; the one that counts comes after the loss of sync.
lost0=$(fired_count ntpLostSync)
status0=$(fired_count ntpNotSyncToServer)
reach0=$(fired_count ntpPeerUnreachable)
echo "# before the upstream stops: ntpLostSync $lost0, ntpNotSyncToServer $status0, ntpPeerUnreachable $reach0"
check "no ntpPeerUnreachable while the upstream answers" test "$reach0" -eq 0

# Upstream down: reach empties after 8 polls of 8 s; cntpd is then
# unsynchronised (holdover 0) and the next 30 s sample sees stratum 16.
stop_pid "$chrony_pid"
t0=$SECONDS
check "ntpLostSync mteTriggerFired within 115 s of stopping chronyd" \
    wait_until 115 fired_more_than ntpLostSync "$lost0"
[ "$(fired_count ntpLostSync)" -gt "$lost0" ] && echo "# ntpLostSync fired $((SECONDS - t0)) s after chronyd stopped"
check "cntpd logs the loss of sync" grep -q 'lost synchronisation' "$CNTPD_LOG"
line=$(fired ntpLostSync | tail -n1)
echo "# $line"
check "mteHotTrigger.0 = ntpLostSync" test "$(varbind "$line" "$MTE_HOT.1.0")" = '"ntpLostSync"'
check "mteHotOID.0 = cntpSysStratum.0 ($(varbind "$line" "$MTE_HOT.4.0"))" \
    test "$(varbind "$line" "$MTE_HOT.4.0")" = "$STRATUM_OID"
check "mteHotValue.0 = 16 ($(varbind "$line" "$MTE_HOT.5.0"))" \
    test "$(varbind "$line" "$MTE_HOT.5.0")" = 16
check "varbinds: sysUpTime.0 snmpTrapOID.0 mteHotTrigger/TargetName/ContextName/OID/Value.0 ($(varbind_oids "$line"))" \
    test "$(varbind_oids "$line")" = ".1.3.6.1.2.1.1.3.0 $SNMP_TRAP_OID $MTE_HOT.1.0 $MTE_HOT.2.0 $MTE_HOT.3.0 $MTE_HOT.4.0 $MTE_HOT.5.0"
check "cntpSysStratum.0 reads 16 now" \
    test "$(snmp_value "$(snmp snmpget -On "$SNMP_AGENT" "${STRATUM_OID#.}" 2>/dev/null)")" = 16

check "ntpNotSyncToServer fired too" wait_until 5 fired_more_than ntpNotSyncToServer "$status0"
line=$(fired ntpNotSyncToServer | tail -n1)
check "ntpNotSyncToServer: mteHotValue.0 = notSynchronized(3) ($(varbind "$line" "$MTE_HOT.5.0"))" \
    test "$(varbind "$line" "$MTE_HOT.5.0")" = 3

# The per-association monitor samples every 60 s.
check "ntpPeerUnreachable fired within 65 s more" wait_until 65 fired_more_than ntpPeerUnreachable 0
line=$(fired ntpPeerUnreachable | tail -n1)
echo "# $line"
check "ntpPeerUnreachable: mteHotOID.0 = cntpPeersReach.$assoc ($(varbind "$line" "$MTE_HOT.4.0"))" \
    test "$(varbind "$line" "$MTE_HOT.4.0")" = "$REACH_COL.$assoc"
check "ntpPeerUnreachable: mteHotValue.0 = 0" test "$(varbind "$line" "$MTE_HOT.5.0")" = 0
check "ntpPeerUnreachable: cntpPeersPeerAddress.$assoc = 127.0.0.1 ($(varbind "$line" "$PEER_ADDR_OID.$assoc"))" \
    test "$(varbind "$line" "$PEER_ADDR_OID.$assoc")" = 127.0.0.1
check "ntpLostSync fired once after the loss ($(fired_count ntpLostSync) in all)" \
    test "$(fired_count ntpLostSync)" -eq $((lost0 + 1))

stop_pid "$CNTPD_PID"
rc=$?
check "cntpd exits cleanly (status $rc, ASan)" test "$rc" -eq 0
finish
