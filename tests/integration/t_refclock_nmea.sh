#!/usr/bin/env bash
# The NMEA reference clock (issue 8): nmea_writer.py plays a GPS receiver on
# a pseudo-terminal, writing sentences for the real time (one second at a
# time, time2 = 0.1 s after each second, RMC/GGA/ZDA/GLL from several
# talkers) with line noise, bad checksums, cut and overlong lines and
# invalid fixes mixed in. cntpd (`refclock nmea unit 0 path PTY`) must
# decode exactly the seconds written (each once, none invented), count
# every piece of junk exactly, never crash, select the clock
# (cntpSysSrvStatus syncToRefclock(5), the 127.127.20.0 row with stratum 0,
# refid GPS and the reference time of a written second + time2), survive
# the writer closing the pty (EIO) without spinning, and reopen it.
source "$(dirname "$0")/lib.sh"

sport=$(free_port)
check "snmpd (AgentX master) answers" start_snmpd snmpd "$sport"
getv() { snmp_value "$(snmp snmpget -On "$SNMP_AGENT" "$1" 2>&1)"; }
gethex() { snmp_hex "$(snmp snmpget -On -Ox "$SNMP_AGENT" "$1" 2>&1)"; }
srv_status_is() { test "$(getv "$CNTP_SYS.11.0")" = "$1"; }

gps=$WORK/gps0
state=$WORK/writer.state
python3 "$TOP/tests/integration/nmea_writer.py" --link "$gps" --state "$state" \
    --go "$WORK/go" --go2 "$WORK/go2" --delay 0.1 --seconds 40 --noise-seconds 12 \
    --gap-after 10 --gap 3 >"$WORK/writer.log" 2>&1 &
PIDS+=("$!")
check "the writer's pty exists" wait_until 10 test -e "$gps"

port=$(free_port)
start_cntpd nmea "port $port
agentx socket $AGENTX_SOCK
refclock nmea unit 0 path $gps baud 9600 time2 0.1"
check "the driver opened the pty" wait_until 10 grep -q "127.127.20.0: NMEA on $gps at 9600 bit/s" "$CNTPD_LOG"
touch "$WORK/go"

check "synchronised to 127.127.20.0, stratum 1" \
    wait_until 60 grep -q "synchronised to 127.127.20.0, stratum 1" "$CNTPD_LOG"
check "cntpSysSrvStatus syncToRefclock(5)" wait_until 20 srv_status_is 5
check "cntpSysStratum 1" test "$(getv "$CNTP_SYS.2.0")" = 1
check "cntpSysRefId 'GPS'" test "$(gethex "$CNTP_SYS.6.0")" = 47505300
check "row 1: cntpPeersPeerAddress 127.127.20.0" test "$(getv "$CNTP_PEERS.3.1")" = 127.127.20.0
check "row 1: cntpPeersStratum 0" test "$(getv "$CNTP_PEERS.9.1")" = 0
check "row 1: cntpPeersRefId 'GPS'" test "$(gethex "$CNTP_PEERS.15.1")" = 47505300
# cntpPeersRefTime: NTP seconds of a written valid second, fraction 0.1 s.
reftime=$(gethex "$CNTP_PEERS.16.1")
ref_s=$(( 16#${reftime:0:8} - 2208988800 ))
ref_f=$(( 16#${reftime:8:8} ))
check "row 1: cntpPeersRefTime $reftime is a second the writer sent valid ($ref_s)" \
    grep -qx "second $ref_s valid" "$state"
check "row 1: cntpPeersRefTime fraction is time2 0.1 s ($ref_f / 2^32)" \
    awk -v f="$ref_f" 'BEGIN { d = f / 4294967296 - 0.1; if (d < 0) d = -d; exit !(d < 1e-9) }'
off=$(ntp_signed "$(gethex "$CNTP_PEERS.23.1")")
check "row 1: cntpPeersOffset within 50 ms ($off s)" near "$off" 0 0.05

# ---- the writer closes the pty: EIO once, no spinning, reopened --------------------
check "the line's loss is handed to the refclock layer" \
    wait_until 30 grep -q "refclock 127.127.20.0 (NMEA): .*; reopening in 10 s" "$CNTPD_LOG"
cpu() { awk '{ print $14 + $15 }' "/proc/$CNTPD_PID/stat"; }
c0=$(cpu); sleep 5; c1=$(cpu)
check "no busy loop while the pty is gone (CPU $((c1 - c0)) ticks in 5 s)" test $((c1 - c0)) -lt 50
check "the new pty is opened again" \
    wait_until 20 grep -q "refclock 127.127.20.0 (NMEA): device open" "$CNTPD_LOG"
touch "$WORK/go2"
check "the writer finished" wait_until 60 grep -qx done "$state"
sleep 1

# ---- exact times: every second written valid decoded once, nothing else ------------
grep -o '127.127.20.0: [A-Z]\{5\} [0-9]*\.[0-9]*' "$CNTPD_LOG" | awk '{ print $3 }' >"$WORK/decoded"
sed -n 's/^second \([0-9]*\) valid$/\1.000000000/p' "$state" >"$WORK/written"
check "cntpd decoded $(wc -l <"$WORK/decoded") times, the writer sent $(wc -l <"$WORK/written") valid seconds: the same, in order" \
    cmp -s "$WORK/decoded" "$WORK/written"
invalid=$(sed -n 's/^second \([0-9]*\) invalid$/\1/p' "$state" | wc -l)
check "seconds with an invalid fix ($invalid) gave no time" \
    bash -c "! grep -qFf <(sed -n 's/^second \([0-9]*\) invalid$/ \1./p' '$state') '$CNTPD_LOG'"

# ---- counters since the reopen, exactly what was written ---------------------------
line=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "refclock 127.127.20.0 \(NMEA\)")
echo "# $line"
check "status: running, reopened 1" grep -q "running, .*reopened 1;" <<<"$line"
for name in sample same-second invalid-fix no-date other bad-checksum garbage overlong partial; do
    want=$(sed -n "s/^count $name //p" "$state")
    got=$(field "$line" "$name")
    check "counter $name $got = $want written" test "$got" = "$want"
done
check "counter not-selected 0" test "$(field "$line" not-selected)" = 0
check "counter leap-second 0" test "$(field "$line" leap-second)" = 0
check "still synchronised to it" srv_status_is 5

stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
finish
