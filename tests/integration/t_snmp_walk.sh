#!/usr/bin/env bash
# CISCO-NTP-MIB through a real snmpd (private AgentX master on loopback):
# cntpd polls two chronyd servers (minpoll 3, iburst); once synchronised with
# 8 samples per association, a walk of 1.3.6.1.4.1.9.9.168 returns exactly
# the 11 cntpSystem scalars, columns 2..31 of cntpPeersVarTable for each
# association and 8 filter rows (3 columns) per association; the values agree
# with cntpd's own status report of the same moment (stratum, leap, system
# peer, root delay/dispersion, per association stratum, reach, poll, offset,
# delay, dispersion within one 16.16 step); OIDs strictly increase and the
# walk ends; snmpbulkwalk returns the same OIDs; missing instances and
# objects answer noSuchInstance/noSuchObject; snmptable works (MIB names
# when mibs/CISCO-NTP-MIB.my loads). Ends with a clean SIGTERM.
source "$(dirname "$0")/lib.sh"

up1=$(free_port)
up2=$(free_port)
port=$(free_port)
sport=$(free_port)
start_chronyd upstream1 "$up1" || fail "chronyd upstream 1 answers"
start_chronyd upstream2 "$up2" || fail "chronyd upstream 2 answers"
check "snmpd (AgentX master) answers" start_snmpd snmpd "$sport"
start_cntpd client "port $port
server 127.0.0.1 port $up1 iburst minpoll 3 maxpoll 3
server 127.0.0.1 port $up2 iburst minpoll 3 maxpoll 3
agentx socket $AGENTX_SOCK"
check "subtree answers within 10 s of cntpd's start" wait_until 10 cntp_answers

# Ready: synchronised, 8 filter rows (x 3 columns) for both associations.
filter_full() {
    [ "$(snmp snmpwalk -On "$SNMP_AGENT" "$CNTP_FILTER" 2>/dev/null | grep -c ' = ')" -eq 48 ]
}
check "8 filter stages per association within 30 s" wait_until 30 filter_full
check "cntpd synchronised" wait_until 10 cntpd_synchronised

# One walk of the subtree showing the same state as cntpd's status report.
check "a walk between two agreeing status reports" consistent_walk "$CNTPD_PID" "$CNTPD_LOG" "$CNTP_OID"
walk=$WALK before=$STATUS
echo "$walk" >"$WORK/walk.txt"
printf '%s\n' "$before" >"$WORK/status.txt"
check "snmpwalk succeeds without errors (rc $WALK_RC${WALK_ERR:+, $WALK_ERR})" \
    test "$WALK_RC" -eq 0 -a -z "$WALK_ERR"

oids=$(sed -n 's/^\(\.[0-9.]*\) = .*/\1/p' <<<"$walk")
increasing() {
    python3 -c '
import sys
prev = None
for line in sys.stdin:
    cur = [int(x) for x in line.strip().strip(".").split(".")]
    if prev is not None and cur <= prev:
        print("# not increasing:", prev, cur); sys.exit(1)
    prev = cur' <<<"$oids"
}
check "walk OIDs strictly increasing ($(wc -l <<<"$oids") varbinds)" increasing

assocs=$(sed -n 's/.* assoc \([0-9]*\) .*/\1/p' <<<"$before")
check "cntpd reports 2 associations ($(echo $assocs))" test "$(wc -w <<<"$assocs")" -eq 2

missing=()
for c in $(seq 1 11); do
    grep -qx "\.$CNTP_SYS.$c.0" <<<"$oids" || missing+=("cntpSystem.$c.0")
done
check "all 11 cntpSystem scalars (${missing[*]:-none missing})" test ${#missing[@]} -eq 0

missing=()
for a in $assocs; do
    for c in $(seq 2 31); do
        grep -qx "\.$CNTP_PEERS.$c.$a" <<<"$oids" || missing+=("$c.$a")
    done
done
check "cntpPeersVarTable columns 2..31 for every association (${missing[*]:-none missing})" \
    test ${#missing[@]} -eq 0

missing=()
for a in $assocs; do
    for c in 2 3 4; do
        for s in $(seq 1 8); do
            grep -qx "\.$CNTP_FILTER.$c.$a.$s" <<<"$oids" || missing+=("$c.$a.$s")
        done
    done
done
check "cntpFilterRegisterTable: 8 rows x 3 columns per association (${missing[*]:-none missing})" \
    test ${#missing[@]} -eq 0
check "nothing else in the subtree (119 varbinds, got $(wc -l <<<"$oids"))" \
    test "$(wc -l <<<"$oids")" -eq $((11 + 2 * 30 + 2 * 24))

# The walk ends: the next object after its last one is outside the subtree.
last=$(tail -n1 <<<"$oids")
next=$(snmp snmpgetnext -On "$SNMP_AGENT" "$last" 2>&1 | head -n1)
check "getnext after the last OID leaves the subtree (${next%% = *})" \
    bash -c '! grep -q "^\.'"$CNTP_OID"'\." <<<"$1"' _ "$next"

bulk=$(snmp snmpbulkwalk -On "$SNMP_AGENT" "$CNTP_OID" 2>"$WORK/bulk.err" |
       sed -n 's/^\(\.[0-9.]*\) = .*/\1/p')
check "snmpbulkwalk returns the same OIDs as snmpwalk" \
    test "$bulk" = "$oids" -a ! -s "$WORK/bulk.err"

# ---- values against cntpd's status report of the same moment -----------------
get() { grep "^\.$1 = " <<<"$walk" | head -n1; }
int() { snmp_value "$(get "$1")"; }
sys=$(grep 'system: ' <<<"$before")
check "cntpSysStratum = $(field "$sys" stratum)" test "$(int "$CNTP_SYS.2.0")" = "$(field "$sys" stratum)"
check "cntpSysLeap = $(field "$sys" leap)" test "$(int "$CNTP_SYS.1.0")" = "$(field "$sys" leap)"
check "cntpSysPeer = system peer $(field "$sys" peer)" \
    test "$(int "$CNTP_SYS.9.0")" = "$(field "$sys" peer)" -a "$(field "$sys" peer)" != 0
check "cntpSysPoll = $(field "$sys" poll)" test "$(int "$CNTP_SYS.8.0")" = "$(field "$sys" poll)"
rdelay=$(sed -n 's/.* root delay \([^ ]*\) .*/\1/p' <<<"$sys")
rdisp=$(sed -n 's/.* root dispersion \([^ ]*\) .*/\1/p' <<<"$sys")
v=$(ntp_signed "$(snmp_hex "$(get "$CNTP_SYS.4.0")")")
check "cntpSysRootDelay $v = $rdelay" near "$v" "$rdelay" "$(awk 'BEGIN{print 1/65536 + 1e-6}')"
v=$(ntp_unsigned "$(snmp_hex "$(get "$CNTP_SYS.5.0")")")
check "cntpSysRootDispersion $v ~ $rdisp" near "$v" "$rdisp" "$(awk 'BEGIN{print 3/65536}')"
refid=$(sed -n 's/.* refid \([0-9a-f]*\) .*/\1/p' <<<"$sys")
check "cntpSysRefId octets = refid $refid" test "$(snmp_hex "$(get "$CNTP_SYS.6.0")")" = "$refid"
clock=$(snmp_hex "$(get "$CNTP_SYS.10.0")")
check "cntpSysClock is now (NTP seconds $((16#${clock:0:8})))" \
    test $(( 16#${clock:0:8} - 2208988800 - $(date +%s) )) -le 0 -a \
         $(( 16#${clock:0:8} - 2208988800 - $(date +%s) )) -ge -60

step=$(awk 'BEGIN { printf "%.9f", 1 / 65536 }')
for a in $assocs; do
    line=$(grep " assoc $a " <<<"$before")
    addr=$(field "$line" addr)
    check "assoc $a: cntpPeersPeerAddress/Port = $addr" \
        test "$(int "$CNTP_PEERS.3.$a"):$(int "$CNTP_PEERS.4.$a")" = "$addr"
    check "assoc $a: cntpPeersStratum = $(field "$line" stratum)" \
        test "$(int "$CNTP_PEERS.9.$a")" = "$(field "$line" stratum)"
    reach=$(field "$line" reach)
    check "assoc $a: cntpPeersReach = $((8#$reach)) (octal $reach)" \
        test "$(int "$CNTP_PEERS.21.$a")" = "$((8#$reach))"
    check "assoc $a: cntpPeersHostPoll = $(field "$line" poll)" \
        test "$(int "$CNTP_PEERS.11.$a")" = "$(field "$line" poll)"
    check "assoc $a: cntpPeersFilterValidEntries = 8" test "$(int "$CNTP_PEERS.26.$a")" = 8
    check "assoc $a: cntpPeersEntryStatus active(1)" test "$(int "$CNTP_PEERS.27.$a")" = 1
    check "assoc $a: cntpPeersConfigured true(1)" test "$(int "$CNTP_PEERS.2.$a")" = 1
    check "assoc $a: cntpPeersMode client(3)" test "$(int "$CNTP_PEERS.8.$a")" = 3
    check "assoc $a: cntpPeersPeerType ipv4(1), PeerName 7f000001" \
        test "$(int "$CNTP_PEERS.30.$a") $(snmp_hex "$(get "$CNTP_PEERS.31.$a")")" = "1 7f000001"
    v=$(ntp_signed "$(snmp_hex "$(get "$CNTP_PEERS.23.$a")")")
    check "assoc $a: cntpPeersOffset $v = $(field "$line" offset) (1/65536 s)" \
        near "$v" "$(field "$line" offset)" "$step"
    v=$(ntp_signed "$(snmp_hex "$(get "$CNTP_PEERS.24.$a")")")
    check "assoc $a: cntpPeersDelay $v = $(field "$line" delay)" \
        near "$v" "$(field "$line" delay)" "$step"
    v=$(ntp_unsigned "$(snmp_hex "$(get "$CNTP_PEERS.25.$a")")")
    check "assoc $a: cntpPeersDispersion $v ~ $(field "$line" dispersion) (grows 15 us/s)" \
        near "$v" "$(field "$line" dispersion)" "$(awk 'BEGIN{print 3/65536}')"
done
sysline=$(grep " assoc $(field "$sys" peer) " <<<"$before")
check "the system peer is marked '*' in the status" grep -q "assoc [0-9]* \* " <<<"$sysline"

# ---- missing instances and objects -------------------------------------------
out=$(snmp snmpget -On "$SNMP_AGENT" "$CNTP_PEERS.2.999" 2>&1)
check "GET cntpPeersConfigured.999: noSuchInstance ($out)" grep -q "No Such Instance" <<<"$out"
out=$(snmp snmpget -On "$SNMP_AGENT" "$CNTP_SYS.12.0" 2>&1)
check "GET cntpSystem.12.0: noSuchObject ($out)" grep -q "No Such Object" <<<"$out"
out=$(snmp snmpget -On "$SNMP_AGENT" "$CNTP_SYS.2.1" 2>&1)
check "GET cntpSysStratum.1: noSuchInstance ($out)" grep -q "No Such Instance" <<<"$out"
out=$(snmp snmpget -On "$SNMP_AGENT" "$CNTP_FILTER.2.1.9" 2>&1)
check "GET cntpFilterPeersOffset.1.9: noSuchInstance ($out)" grep -q "No Such Instance" <<<"$out"
out=$(snmp snmpget -On "$SNMP_AGENT" "$CNTP_PEERS.1.1" 2>&1)
check "GET cntpPeersAssocId.1 (not-accessible index): no such object/instance ($out)" \
    grep -q "No Such" <<<"$out"

# ---- snmptable ----------------------------------------------------------------
if mib=$(cntp_mib_args); then
    # shellcheck disable=SC2086
    table=$(snmp snmptable $mib -Cf , -CH -Ci "$SNMP_AGENT" CISCO-NTP-MIB::cntpPeersVarTable 2>&1)
    echo "$table" >"$WORK/snmptable.txt"
    rows=$(grep -cE "^($(echo $assocs | tr " " "|")),true,127.0.0.1," <<<"$table")
    check "snmptable CISCO-NTP-MIB::cntpPeersVarTable: 2 rows ($rows)" test "$rows" -eq 2
    # shellcheck disable=SC2086
    out=$(snmp snmpget $mib "$SNMP_AGENT" CISCO-NTP-MIB::cntpSysStratum.0 2>&1)
    check "MIB names: $out" grep -q "^CISCO-NTP-MIB::cntpSysStratum.0 = INTEGER: $(field "$sys" stratum)" <<<"$out"
else
    echo "ok - snmptable # SKIP mibs/CISCO-NTP-MIB.my does not load"
fi

stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
check "snmpd logged no AgentX error" bash -c "! grep -qi 'agentx.*error\|error.*agentx' '$SNMPD_LOG'"
finish
