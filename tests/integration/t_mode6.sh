#!/usr/bin/env bash
# NTP mode 6 (ntpq's control protocol) against real clients: cntpd
# synchronised to a chronyd (local stratum 1) on loopback answers
# check_ntp_peer (OK, with the offset, jitter and stratum cntpd measured)
# and the ntpq code of python3-ntp (`peers` table with chronyd as '*',
# system and peer variables, a peer response in two fragments); write
# opcodes, unknown associations and variables get ntpd's error codes;
# malformed mode 6 packets are dropped and counted; `restrict 127.0.0.1
# noquery` refuses queries but still serves time.
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
Q=(timeout 20 "$PY" "$TOP/tests/integration/mode6_query.py")
PEER=/usr/lib/nagios/plugins/check_ntp_peer

up=$(free_port)
port=$(free_port)
start_chronyd upstream "$up" || fail "chronyd upstream answers"
start_cntpd client "port $port
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3"

syspeer() { grep -q "assoc 1 \* 127.0.0.1" <<<"$(status_line "$CNTPD_PID" "$CNTPD_LOG" "assoc 1 ")"; }
check "cntpd selects chronyd" wait_until 60 syspeer

# --- check_ntp_peer, exactly as a Nagios service would run it ------------
out=$("$PEER" -H 127.0.0.1 -p "$port" -w 0.5 -c 1 -W 4 -C 6 -j 100 -k 200 2>&1)
rc=$?
line=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "assoc 1 ")
echo "# $out"
echo "# $line"
check "check_ntp_peer: OK (exit $rc)" test "$rc" -eq 0
check "check_ntp_peer: NTP OK, stratum=1 (chronyd's)" grep -q "^NTP OK: .*stratum=1|" <<<"$out"
# Its offset (s) and jitter (ms) against cntpd's own report of assoc 1 (s):
# the same filter output, so equal unless a poll came in between (8 s).
poff=$(sed -n 's/.*Offset \([-0-9.e+]*\) secs.*/\1/p' <<<"$out")
pjit=$(sed -n 's/.*jitter=\([-0-9.e+]*\),.*/\1/p' <<<"$out")
roff=$(field "$line" offset)
rjit=$(field "$line" jitter)
check "check_ntp_peer offset $poff s = cntpd's $roff s (within 0.2 ms)" \
    awk -v a="${poff:-x}" -v b="${roff:-y}" 'BEGIN { d = a - b; exit !(a != "x" && (d < 0 ? -d : d) < 0.0002) }'
check "check_ntp_peer jitter $pjit ms = cntpd's $rjit s (within 0.2 ms)" \
    awk -v a="${pjit:-x}" -v b="${rjit:-y}" 'BEGIN { d = a - b * 1000; exit !(a != "x" && a > 0 && (d < 0 ? -d : d) < 0.2) }'
out=$("$PEER" -H 127.0.0.1 -p "$port" -w 0.5 -c 1 -W 0 -C 0 2>&1)
check "check_ntp_peer: stratum 1 beyond -C 0 is CRITICAL (exit $?)" grep -q "^NTP CRITICAL" <<<"$out"

# --- ntpq's code (python3-ntp) --------------------------------------------
peers=$("${Q[@]}" peers 127.0.0.1 "$port" 2>&1)
echo "$peers" | sed 's/^/# /'
check "ntpq peers: chronyd is '*', unicast, stratum 1" \
    grep -Eq '^\*127\.0\.0\.1 +\.\.\.\. +1 u ' <<<"$peers"
sysv=$("${Q[@]}" rv 127.0.0.1 "$port" 0 2>&1)
check "system variables: stratum 2, refid 127.0.0.1, peer 1, leap 0" \
    bash -c 'grep -qx stratum=2 <<<"$1" && grep -qx refid=127.0.0.1 <<<"$1" &&
             grep -qx peer=1 <<<"$1" && grep -qx leap=0 <<<"$1" &&
             grep -q "^version=cntpd " <<<"$1"' _ "$sysv"
check "system status: leap 0, source NTP, sync event (0x06..)" grep -Eq '^rstatus=0x06[0-9a-f]{2}$' <<<"$sysv"
pv=$("${Q[@]}" rv 127.0.0.1 "$port" 1 2>&1)
octets=$(sed -n 's/^octets=//p' <<<"$pv")
check "peer variables: srcadr, srcport $up, reach in hex, hmode 3, filters" \
    bash -c 'grep -qx srcadr=127.0.0.1 <<<"$1" && grep -qx "srcport=$2" <<<"$1" &&
             grep -Eqx "reach=0x[0-9a-f]+" <<<"$1" && grep -qx hmode=3 <<<"$1" &&
             grep -q "^filtdisp=" <<<"$1"' _ "$pv" "$up"
check "peer status: configured, reachable, sys.peer (0x96..)" grep -Eq '^rstatus=0x96[0-9a-f]{2}$' <<<"$pv"
check "peer variables came in more than one fragment ($octets octets) and reassembled" \
    test "${octets:-0}" -gt 468
rv=$("${Q[@]}" rv 127.0.0.1 "$port" 1 offset jitter 2>&1)
check "requested variables only" test "$(grep -c = <<<"$rv")" -eq 4   # + rstatus, octets

# --- errors ----------------------------------------------------------------
err() { "${Q[@]}" "$@" 2>&1 >/dev/null; }
check "unknown association: error 4" grep -q "Server error code BADASSOC" <<<"$(err rv 127.0.0.1 "$port" 4242)"
check "unknown variable: error 5" grep -q "Server error code UNKNOWNVAR" <<<"$(err rv 127.0.0.1 "$port" 1 bogus)"
# WRITEVAR (opcode 3), version 2, sequence 7, association 0, count 6:
# "leap=0" padded to 8 octets.
out=$("${Q[@]}" raw 127.0.0.1 "$port" 1603000700000000000000066c6561703d300000)
check "writevar refused with error 1 (permission) ($out)" grep -q "^16c3000701000000" <<<"$out"

# --- junk mode 6 is dropped and counted ------------------------------------
before=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "counters: ")
m0=$(sed -n 's/.* mode6_malformed=\([0-9]*\).*/\1/p' <<<"$before")
junk=(
    16                                   # 1 octet
    160100000000000000000000             # too short: 11 octets below
    1681000100000000000000000000         # response bit set (and 14 octets)
    168100010000000000000000             # response bit set
    162100010000000000000000             # more bit set
    160100010000000000040000             # nonzero offset
    160100010000000000000010             # count 16, no data
    0601000100000000000000000000000000   # version 0 (and 17 octets)
    3e0100010000000000000000             # version 7
    1601000100000000000001d8             # count 472 > 468
)
junk[1]=${junk[1]:0:22}
answered=0
for j in "${junk[@]}"; do
    r=$("${Q[@]}" raw 127.0.0.1 "$port" "$j")
    [ "$r" = timeout ] || { answered=$((answered + 1)); echo "# answered $j: $r"; }
done
after=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "counters: ")
m1=$(sed -n 's/.* mode6_malformed=\([0-9]*\).*/\1/p' <<<"$after")
echo "# $after"
check "junk mode 6: none answered ($answered)" test "$answered" -eq 0
check "junk mode 6: all ${#junk[@]} counted as malformed ($m0 -> $m1)" test "$((m1 - m0))" -eq "${#junk[@]}"
check "still answers mode 6 after the junk" bash -c '"$@" >/dev/null' _ "${Q[@]}" stat 127.0.0.1 "$port"
stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"

# --- noquery ----------------------------------------------------------------
port2=$(free_port)
start_cntpd noquery "port $port2
restrict 127.0.0.1 noquery
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3"
out=$("${Q[@]}" stat 127.0.0.1 "$port2" 2>&1)
check "noquery: no answer ($out)" grep -q "timed out" <<<"$out"
check "noquery: check_ntp_peer gets nothing" bash -c "! '$PEER' -H 127.0.0.1 -p $port2 -t 3 >/dev/null 2>&1"
check "noquery: time is still served" ntp_answers 127.0.0.1 "$port2"
line=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "counters: ")
denied=$(sed -n 's/.* mode6_denied=\([0-9]*\).*/\1/p' <<<"$line")
check "noquery: refused queries counted (mode6_denied=$denied)" test "${denied:-0}" -ge 3
stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
finish
