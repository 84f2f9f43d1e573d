#!/usr/bin/env bash
# cntpd as a client of a real chronyd (local stratum 1, loopback, -x):
# iburst gets the first 4 replies within 10 s, the reach register fills to
# 0377 after 8 polls, the measured offset is within 1 ms (both read the same
# clock), and cntpd, synchronised, then serves stratum 2 to check_ntp_time
# and to `chronyd -Q`. Ends with a clean SIGTERM (ASan checks at exit).
source "$(dirname "$0")/lib.sh"

up=$(free_port)
port=$(free_port)
start_chronyd upstream "$up" || fail "chronyd upstream answers"
start_cntpd client "port $port
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3"

sleep 10
line=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "^.* assoc 1 ")
received=$(field "$line" received)
check "iburst: at least 4 replies within 10 s (got ${received:-none})" test "${received:-0}" -ge 4

reach_full() {
    line=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "^.* assoc 1 ")
    [ "$(field "$line" reach)" = 377 ]
}
check "reach register fills to 0377" wait_until 100 reach_full
offset=$(field "$line" offset)
check "offset to chronyd within 1 ms (${offset:-none})" \
    awk -v o="${offset:-9}" 'BEGIN { exit !(o < 0.001 && o > -0.001) }'
sys=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "system: ")
check "system synchronised at stratum 2" grep -q "system: synchronised leap 0 stratum 2 " <<<"$sys"
check "chronyd is the system peer" grep -q "assoc 1 \* 127.0.0.1" <<<"$(grep 'assoc 1 ' "$CNTPD_LOG" | tail -n1)"

q=$("$TOOLS/ntp_query" -s 127.0.0.1 -p "$port")
check "served: leap 0 stratum 2 refid 127.0.0.1 ($q)" \
    grep -q "leap=0 version=4 mode=4 stratum=2 .*refid=7f000001" <<<"$q"
check "check_ntp_time gets a valid answer" \
    /usr/lib/nagios/plugins/check_ntp_time -H 127.0.0.1 -p "$port" -w 0.5 -c 1
qdir=$WORK/query; mkdir -p "$qdir"
out=$("${NOCAP[@]}" timeout 30 chronyd -Q -u root -t 10 -f /dev/null \
      "server 127.0.0.1 port $port iburst" "pidfile $qdir/pid" "bindcmdaddress /" 2>&1)
check "chronyd -Q synchronises to cntpd" grep -q "System clock wrong by" <<<"$out"

stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
finish
