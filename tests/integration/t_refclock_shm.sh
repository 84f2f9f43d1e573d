#!/usr/bin/env bash
# The SHM reference clock (ntpd's driver 28, what gpsd writes) end to end:
# tests/tools/ntp_shmwriter writes samples 25 ms ahead of the system clock
# into the segment of a free unit; cntpd (monitor-only, that refclock its
# only source, fudged refid and time1) reaches cntpSysSrvStatus
# syncToRefclock(5) through a real snmpd, and the cntpPeersVarTable row
# shows 127.127.28.U, stratum 0, the fudged refid and an offset of 25 ms +
# time1. The writer stops and removes its segment: the reach register
# empties, cntpd notices the segment is gone and attaches a new one. A
# writer started again (40 ms behind) is picked up without restarting
# cntpd: reachable again, offset -40 ms + time1, syncToRefclock.
#
# Segments are system-wide: the unit is chosen at random in 8..199 (gpsd
# running as root creates 0..7; the unit tests use 200..254) among those
# with no segment, and only that key's segment is removed at the end.
source "$(dirname "$0")/lib.sh"

command -v ipcs >/dev/null && command -v ipcrm >/dev/null || skip_test "no ipcs/ipcrm"

UNIT= KEY=
for _ in $(seq 50); do
    u=$((8 + RANDOM % 192))
    k=$(printf '0x%08x' $((0x4e545030 + u)))
    if ! ipcs -m | awk -v k="$k" 'tolower($1) == k { f = 1 } END { exit !f }'; then
        UNIT=$u KEY=$k
        break
    fi
done
[ -n "$UNIT" ] || skip_test "no free SHM unit in 8..199"
echo "# SHM unit $UNIT (key $KEY)"

shm_cleanup() {
    cleanup
    # The key was free at the start: whatever is there now is this test's.
    [ -n "$KEY" ] && ipcrm -M "$KEY" 2>/dev/null
    return 0
}
trap shm_cleanup EXIT

TIME1=0.005        # fudge time1, s, added to every offset
REFID=GPS1         # fudged refid (hex 47505331)

# start_writer NAME OFFSET: the test writer, removing its segment at exit.
start_writer() {
    "$TOOLS/ntp_shmwriter" -u "$UNIT" -o "$2" -j 0.0002 -q -r >"$WORK/$1.log" 2>&1 &
    WRITER_PID=$!
    PIDS+=("$WRITER_PID")
}

port=$(free_port)
sport=$(free_port)
check "snmpd (AgentX master) answers" start_snmpd snmpd "$sport"
start_writer writer1 0.025
start_cntpd shm "port $port
agentx socket $AGENTX_SOCK
server 127.127.28.$UNIT minpoll 3 maxpoll 3
fudge 127.127.28.$UNIT refid $REFID time1 $TIME1"
check "subtree answers" wait_until 15 cntp_answers

get() { snmp snmpget -On -Oqv "$SNMP_AGENT" "$1" 2>/dev/null; }
srv_status() { get "$CNTP_SYS.11.0"; }
is_status() { [ "$(srv_status)" = "$1" ]; }

check "cntpSysSrvStatus syncToRefclock(5) within 90 s" wait_until 90 is_status 5
check "cntpSysStratum 1" test "$(get "$CNTP_SYS.2.0")" = 1

# The row whose cntpPeersPeerAddress is 127.127.28.UNIT.
ASSOC=$(snmp snmpwalk -On "$SNMP_AGENT" "$CNTP_PEERS.3" 2>/dev/null |
        sed -n "s/^\.[0-9.]*\.\([0-9]*\) = IpAddress: 127\.127\.28\.$UNIT\$/\1/p")
check "a cntpPeersVarTable row with address 127.127.28.$UNIT (assoc ${ASSOC:-none})" test -n "$ASSOC"
ASSOC=${ASSOC:-0}

col_hex() { snmp_hex "$(snmp snmpget -On -Ox "$SNMP_AGENT" "$CNTP_PEERS.$1.$ASSOC" 2>/dev/null)"; }
offset_now() { ntp_signed "$(col_hex 23)"; }
reach() { get "$CNTP_PEERS.21.$ASSOC"; }
reach_nonzero() { [[ "$(reach)" =~ ^[1-9][0-9]*$ ]]; }
offset_near() { near "$(offset_now)" "$1" 0.002; }

check "row stratum 0 ($(get "$CNTP_PEERS.9.$ASSOC"))" test "$(get "$CNTP_PEERS.9.$ASSOC")" = 0
refid=$(col_hex 15)
check "row refid $REFID ($refid)" test "$refid" = 47505331
want1=$(awk -v t="$TIME1" 'BEGIN { printf "%.6f", 0.025 + t }')
check "row offset $want1 s within 2 ms" wait_until 30 offset_near "$want1"
echo "# cntpPeersOffset $(offset_now) s"
check "row reach non-zero ($(reach))" reach_nonzero
sys=$(status_block "$CNTPD_PID" "$CNTPD_LOG")
echo "$sys" | sed 's/^/# /'
check "status report: the SHM driver's counters show samples" \
    grep -Eq "refclock 127.127.28.$UNIT \\(SHM\\): running, .*shm key $KEY ticks [0-9]+ samples [1-9]" <<<"$sys"

# The writer stops and removes its segment.
stop_pid "$WRITER_PID"
check "writer removed its segment" grep -q "segment removed" "$WORK/writer1.log"
reach_zero() { [ "$(reach)" = 0 ]; }
check "reach register empties (8 polls of 8 s) after the writer stops" wait_until 110 reach_zero
check "cntpd noticed the removed segment and attached a new one" \
    grep -q "was removed by its writer; attaching again" "$CNTPD_LOG"
check "a segment exists again under $KEY (cntpd's)" \
    bash -c "ipcs -m | awk -v k='$KEY' 'tolower(\$1) == k { f = 1 } END { exit !f }'"
echo "# cntpSysSrvStatus with the source unreachable: $(srv_status)"

# A new writer, 40 ms behind this time: picked up without restarting cntpd.
start_writer writer2 -0.040
check "reachable again after the writer restarts" wait_until 60 reach_nonzero
want2=$(awk -v t="$TIME1" 'BEGIN { printf "%.6f", -0.040 + t }')
check "row offset $want2 s within 2 ms" wait_until 90 offset_near "$want2"
echo "# cntpPeersOffset $(offset_now) s"
check "cntpSysSrvStatus syncToRefclock(5) again" wait_until 90 is_status 5
check "cntpd is the same process" kill -0 "$CNTPD_PID"

stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
stop_pid "$WRITER_PID"
finish
