#!/usr/bin/env bash
# SNMP writes to the cntpSystem scalars (issue 6): cntpSysStratum (1..15,
# stored as the stratum a local-clock source will claim, kept in the state
# file; reading it still gives the system stratum) and cntpSysLeap (only
# while that stratum is 1: addSecond/subtractSecond announce a leap at the
# end of this month, noWarning withdraws). Every refused SET gets its exact
# RFC 3416 status and changes nothing, also together with table varbinds;
# the settings survive a restart. No upstream is needed: cntpd stays
# unsynchronised, so the reads are stratum 16 and leap alarm(3) throughout.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
sport=$(free_port)

# snmpd with a read-only community "public" and a write community "private"
# for the CISCO-NTP-MIB subtree only, both limited to 127.0.0.1.
check "snmpd (AgentX master, rw community) answers" \
    start_snmpd snmpd "$sport" "rwcommunity private 127.0.0.1 $CNTP_OID"

STATEDIR=$WORK/state
mkdir -p "$STATEDIR"
STATE=$STATEDIR/snmp-associations
CONF="port $port
statedir $STATEDIR
agentx socket $AGENTX_SOCK"
start_cntpd scalars "$CONF"
check "subtree answers" wait_until 10 cntp_answers

E=$CNTP_PEERS
LEAP=$CNTP_SYS.1.0
STRATUM=$CNTP_SYS.2.0
getv() { snmp_value "$(snmp snmpget -On "$SNMP_AGENT" "$1" 2>&1)"; }
# What a SET may change: the reads of both scalars, the table's settings,
# the state file.
snapshot() {
    getv "$LEAP"
    getv "$STRATUM"
    snmp snmpwalk -On "$SNMP_AGENT" "$E.27"
    cat "$STATE" 2>/dev/null
}

check "cntpSysStratum reads 16 (unsynchronised)" test "$(getv "$STRATUM")" = 16
check "cntpSysLeap reads alarm(3) (unsynchronised)" test "$(getv "$LEAP")" = 3

# Is a leap for the end of this month announceable now (within the 28 days
# before it)? Decides whether the announcement checks expect success.
in_window=$(python3 -c '
import datetime as d
n = d.datetime.now(d.timezone.utc)
e = d.datetime(n.year + (n.month == 12), n.month % 12 + 1, 1, tzinfo=d.timezone.utc)
print(1 if (e - n).total_seconds() <= 28 * 86400 else 0)')

# ---- bad SETs: exact status, nothing changed ---------------------------------------
cases=(
    "wrongType|cntpSysStratum as a string|$STRATUM s 1"
    "wrongType|cntpSysStratum as a Gauge32|$STRATUM u 1"
    "wrongValue|cntpSysStratum 0|$STRATUM i 0"
    "wrongValue|cntpSysStratum 16|$STRATUM i 16"
    "wrongValue|cntpSysStratum -1|$STRATUM i -1"
    "wrongType|cntpSysLeap as a string|$LEAP s 1"
    "wrongValue|cntpSysLeap alarm(3)|$LEAP i 3"
    "wrongValue|cntpSysLeap 4|$LEAP i 4"
    "wrongValue|cntpSysLeap -1|$LEAP i -1"
    "inconsistentValue|cntpSysLeap addSecond without stratum 1|$LEAP i 1"
    "inconsistentValue|cntpSysLeap subtractSecond with stratum 2 in the same PDU|$STRATUM i 2 $LEAP i 2"
    "notWritable|cntpSysPrecision|$CNTP_SYS.3.0 i -20"
    "notWritable|cntpSysPeer|$CNTP_SYS.9.0 i 1"
    "notWritable|cntpSysRefId|$CNTP_SYS.6.0 x 7f000001"
    "wrongValue|all-or-nothing: good stratum 1 + leap alarm(3)|$STRATUM i 1 $LEAP i 3"
    "inconsistentName|all-or-nothing: good stratum 1 + column of a missing row|$STRATUM i 1 $E.8.999 i 3"
    "wrongValue|all-or-nothing: good createAndGo 50 + stratum 0|$E.27.50 i 4 $E.3.50 a 127.0.0.1 $STRATUM i 0"
)
bad_sets snapshot "${cases[@]}"
check "no state file written by refused SETs" test ! -e "$STATE"

# ---- cntpSysStratum ---------------------------------------------------------------------
out=$(sset "$STRATUM" i 5)
check "cntpSysStratum 5: noError ($(reason "$out"))" test "$(reason "$out")" = noError
check "cntpSysStratum still reads the system stratum 16" test "$(getv "$STRATUM")" = 16
check "state file keeps stratum 5" grep -qx 'stratum 5' "$STATE"
check "cntpd logged the local stratum" grep -q "local stratum 5 set over SNMP" "$CNTPD_LOG"
bad_sets snapshot "inconsistentValue|cntpSysLeap addSecond with stratum 5|$LEAP i 1"

# ---- cntpSysLeap ------------------------------------------------------------------------
if [ "$in_window" = 1 ]; then
    out=$(sset "$STRATUM" i 1 "$LEAP" i 1)
    check "stratum 1 + cntpSysLeap addSecond in one PDU: noError ($(reason "$out"))" \
        test "$(reason "$out")" = noError
    check "state file: stratum 1 and the leap" \
        bash -c 'grep -qx "stratum 1" "$1" && grep -q "^leap +1 [0-9]*$" "$1"' _ "$STATE"
    check "cntpd logged the announcement" grep -q "leap second insertion at the end of this month announced over SNMP" "$CNTPD_LOG"
    check "cntpSysLeap still reads alarm(3) while unsynchronised" test "$(getv "$LEAP")" = 3
    bad_sets snapshot "inconsistentValue|stratum 3 while a leap is announced|$STRATUM i 3"
    out=$(sset "$LEAP" i 0)
    check "cntpSysLeap noWarning withdraws: noError ($(reason "$out"))" test "$(reason "$out")" = noError
    check "state file: no leap line after the withdrawal" bash -c '! grep -q "^leap" "$1"' _ "$STATE"
    out=$(sset "$LEAP" i 2)
    check "cntpSysLeap subtractSecond: noError ($(reason "$out"))" test "$(reason "$out")" = noError
    check "state file: leap -1" grep -q '^leap -1 [0-9]*$' "$STATE"
    out=$(sset "$STRATUM" i 4 "$LEAP" i 0)
    check "stratum 4 with the withdrawal in the same PDU: noError ($(reason "$out"))" \
        test "$(reason "$out")" = noError
    out=$(sset "$STRATUM" i 1 "$LEAP" i 2)
    check "stratum 1 + subtractSecond again: noError ($(reason "$out"))" test "$(reason "$out")" = noError
else
    out=$(sset "$STRATUM" i 1)
    check "cntpSysStratum 1: noError ($(reason "$out"))" test "$(reason "$out")" = noError
    bad_sets snapshot "inconsistentValue|cntpSysLeap addSecond outside the 28 days before the month end|$LEAP i 1"
fi

# ---- read-only community ------------------------------------------------------------------
before=$(snapshot)
out=$(MIBS= snmpset -v2c -c public -t 3 -r 0 -On "$SNMP_AGENT" "$STRATUM" i 7 2>&1)
r=$(reason "$out")
check "read-only community: $r (noAccess or notWritable)" \
    bash -c '[ "$1" = noAccess ] || [ "$1" = notWritable ]' _ "$r"
check "read-only community: nothing changed" test "$(snapshot)" = "$before"

# ---- restart: the settings come back ------------------------------------------------------
cp "$STATE" "$WORK/state-before"
stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
start_cntpd scalars2 "$CONF"
check "subtree answers after the restart" wait_until 15 cntp_answers
check "restart: local stratum 1 read from the state file" \
    grep -q "state file: local stratum 1 (cntpSysStratum)" "$CNTPD_LOG"
if [ "$in_window" = 1 ]; then
    check "restart: the leap announcement is back" \
        grep -q "state file: leap second deletion at the end of this month announced" "$CNTPD_LOG"
    bad_sets snapshot "inconsistentValue|after the restart: stratum 2 while the leap is announced|$STRATUM i 2"
fi
out=$(sset "$STRATUM" i 1)
check "a SET after the restart: noError ($(reason "$out"))" test "$(reason "$out")" = noError
check "state file rewritten as it was" cmp -s "$STATE" "$WORK/state-before"
check "reads unchanged after all that: stratum 16, leap alarm(3)" \
    test "$(getv "$STRATUM") $(getv "$LEAP")" = "16 3"
stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
finish
