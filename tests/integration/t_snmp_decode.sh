#!/usr/bin/env bash
# CISCO-NTP-MIB value encodings as an NMS decodes them. cntpd (monitor-only,
# it changes no clock) polls three fake NTP servers on loopback
# (tests/integration/fake_ntp.py) whose timestamps read -0.25 s, -1.75 s and
# +0.5 s off this machine's clock, so it measures those offsets. Through a
# real snmpd, the raw octets of cntpPeersOffset/Delay/Dispersion and of the
# filter stages, decoded the way LibreNMS does (signed 16-bit integer word +
# unsigned fraction word / 65536; unsigned for dispersion), match cntpd's
# logged values within one 16.16 step, negative ones included (-0.25 s is
# ff ff c0 00). Fields copied from the server's packet come out exactly:
# stratum, precision, leap, refid, reference time, root delay, root
# dispersion.
source "$(dirname "$0")/lib.sh"

# The decoder itself, on known octets.
check "decode ffffc000 = -0.25" test "$(ntp_signed ffffc000)" = -0.250000000
check "decode fffe4000 = -1.75" test "$(ntp_signed fffe4000)" = -1.750000000
check "decode 00008000 = +0.5" test "$(ntp_signed 00008000)" = 0.500000000
check "decode 80000000 = -32768" test "$(ntp_signed 80000000)" = -32768.000000000
check "decode unsigned ffffffff = 65535.99998" test "$(ntp_unsigned ffffffff)" = 65535.999984741

port=$(free_port)
sport=$(free_port)
check "snmpd (AgentX master) answers" start_snmpd snmpd "$sport"
# A: -0.25 s, and every field a server copies into its reply set to a value
# that encodes exactly. B: -1.75 s, leap 1 (second to insert). C: +0.5 s.
start_fake_ntp fakeA -0.25 --stratum 2 --precision -18 --refid FAKE \
    --root-delay 0.0625 --root-dispersion 0.125 || fail "fake server A starts"
portA=$FAKE_PORTS
reftimeA=$(cut -d' ' -f2 "$WORK/fakeA/ports")
start_fake_ntp fakeB -1.75 --leap 1 --refid GPS || fail "fake server B starts"
portB=$FAKE_PORTS
start_fake_ntp fakeC 0.5 || fail "fake server C starts"
portC=$FAKE_PORTS
start_cntpd client "port $port
server 127.0.0.1 port $portA iburst minpoll 3 maxpoll 3
server 127.0.0.1 port $portB iburst minpoll 3 maxpoll 3
server 127.0.0.1 port $portC iburst minpoll 3 maxpoll 3
agentx socket $AGENTX_SOCK"
check "subtree answers within 10 s of cntpd's start" wait_until 10 cntp_answers

# Every association has its 8 filter stages: the iburst (a sample every
# 2 s) is over, samples now come every 8 s, so a walk fits between two.
stages() {
    local a n
    for a in 1 2 3; do
        n=$(snmp snmpwalk -On "$SNMP_AGENT" "$CNTP_FILTER.2.$a" 2>/dev/null | grep -c ' = ')
        [ "$n" -ge 8 ] || return 1
    done
}
check "8 filter stages per association within 30 s" wait_until 30 stages
check "a walk between two agreeing status reports" \
    consistent_walk "$CNTPD_PID" "$CNTPD_LOG" "$CNTP_OID.1"
echo "$WALK" >"$WORK/walk.txt"
printf '%s\n' "$STATUS" >"$WORK/status.txt"

hex() { snmp_hex "$(grep "^\.$1 = " <<<"$WALK" | head -n1)"; }
int() { snmp_value "$(grep "^\.$1 = " <<<"$WALK" | head -n1)"; }
step=$(awk 'BEGIN { printf "%.9f", 1 / 65536 }')

# assoc ID SHIFT FAKE-PORT INTEGER-WORD: the offset columns of one association.
assoc() {
    local a=$1 shift_s=$2 p=$3 word=$4 line h v o
    line=$(grep " assoc $a " <<<"$STATUS")
    o=$(field "$line" offset)
    check "assoc $a is the fake server on port $p" test "$(int "$CNTP_PEERS.4.$a")" = "$p"
    h=$(hex "$CNTP_PEERS.23.$a")
    v=$(ntp_signed "$h")
    check "assoc $a: cntpPeersOffset $h decodes to $v = logged $o (within 1/65536 s)" \
        near "$v" "${o:-x}" "$step"
    check "assoc $a: offset $v is the server's shift $shift_s (within 1 ms)" near "$v" "$shift_s" 0.001
    check "assoc $a: integer word of $h is $word" test "${h:0:4}" = "$word"
    h=$(hex "$CNTP_PEERS.24.$a")
    v=$(ntp_signed "$h")
    check "assoc $a: cntpPeersDelay $h = $v = logged $(field "$line" delay)" \
        near "$v" "$(field "$line" delay)" "$step"
    h=$(hex "$CNTP_PEERS.25.$a")
    v=$(ntp_unsigned "$h")
    check "assoc $a: cntpPeersDispersion $h = $v ~ logged $(field "$line" dispersion)" \
        near "$v" "$(field "$line" dispersion)" "$(awk 'BEGIN { print 3 / 65536 }')"
    local bad=() s n=0
    for s in 1 2 3 4 5 6 7 8; do
        h=$(hex "$CNTP_FILTER.2.$a.$s")
        [ -n "$h" ] || continue
        n=$((n + 1))
        # (A first sample may take a few ms: Python answers it cold.)
        near "$(ntp_signed "$h")" "$shift_s" 0.01 || bad+=("$s:$h")
        h=$(hex "$CNTP_FILTER.3.$a.$s")
        near "$(ntp_signed "$h")" 0.01 0.01 || bad+=("$s:delay:$h")
    done
    check "assoc $a: $n filter stages, offsets decode to $shift_s (10 ms), delays 0..20 ms (${bad[*]:-all fine})" \
        test "$n" -eq 8 -a ${#bad[@]} -eq 0
}
assoc 1 -0.25 "$portA" ffff
assoc 2 -1.75 "$portB" fffe
assoc 3 0.5 "$portC" 0000

check "assoc 1: cntpPeersStratum 2" test "$(int "$CNTP_PEERS.9.1")" = 2
check "assoc 1: cntpPeersPrecision -18" test "$(int "$CNTP_PEERS.12.1")" = -18
check "assoc 1: cntpPeersRootDelay 00001000 (0.0625 s)" test "$(hex "$CNTP_PEERS.13.1")" = 00001000
check "assoc 1: cntpPeersRootDispersion 00002000 (0.125 s)" test "$(hex "$CNTP_PEERS.14.1")" = 00002000
check "assoc 1: cntpPeersRefId 46414b45 (FAKE)" test "$(hex "$CNTP_PEERS.15.1")" = 46414b45
check "assoc 1: cntpPeersRefTime $reftimeA (the server's)" test "$(hex "$CNTP_PEERS.16.1")" = "$reftimeA"
check "assoc 1: cntpPeersLeap 0" test "$(int "$CNTP_PEERS.7.1")" = 0
check "assoc 1: cntpPeersPeerPoll 3 (our poll, echoed)" test "$(int "$CNTP_PEERS.10.1")" = 3
check "assoc 2: cntpPeersLeap 1 (add second)" test "$(int "$CNTP_PEERS.7.2")" = 1
check "assoc 2: cntpPeersRefId 47505300 (GPS)" test "$(hex "$CNTP_PEERS.15.2")" = 47505300
# org = the server's transmit time (T3): -0.25 s off, so behind receive (T4).
org=$(hex "$CNTP_PEERS.17.1") rec=$(hex "$CNTP_PEERS.18.1")
check "assoc 1: cntpPeersRec - cntpPeersOrg = 0.25 s (org $org rec $rec)" \
    near "$(python3 -c "print((int('$rec', 16) - int('$org', 16)) / 2**32)")" 0.25 0.001

stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
finish
