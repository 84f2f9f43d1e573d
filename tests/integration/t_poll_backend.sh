#!/usr/bin/env bash
# The daemon works with libevent's poll backend (EVENT_NOEPOLL=1): it
# reaches a chronyd over IPv6 and IPv4 and serves time.
source "$(dirname "$0")/lib.sh"

up=$(free_port)
port=$(free_port)
start_chronyd upstream "$up" "bindaddress ::1" "allow ::1" || fail "chronyd upstream answers"
EVENT_NOEPOLL=1 start_cntpd pollbackend "port $port
server ::1 port $up iburst minpoll 3 maxpoll 3
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3"
check "libevent poll backend in use" grep -q "libevent poll backend" "$CNTPD_LOG"
check "IPv6 source reachable" wait_until 15 grep -q "association 1: \[::1\]:$up is reachable" "$CNTPD_LOG"
check "IPv4 source reachable" wait_until 15 grep -q "association 2: 127.0.0.1:$up is reachable" "$CNTPD_LOG"
check "synchronised" wait_until 15 grep -q "synchronised to" "$CNTPD_LOG"
q=$("$TOOLS/ntp_query" -s 127.0.0.1 -p "$port")
check "serves stratum 2 ($q)" grep -q "leap=0 .*stratum=2 " <<<"$q"
stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
finish
