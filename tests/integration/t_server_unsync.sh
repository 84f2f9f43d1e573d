#!/usr/bin/env bash
# cntpd with no source: it answers every client version with its own
# version, leap 3 and stratum 16, and real clients (check_ntp_time,
# chronyd -Q) see an unsynchronised server.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
start_cntpd server "port $port"

# lib.sh adds `interface listen 127.0.0.1` and `::1`: nothing else listens.
listening=$(ss -Hlun "sport = :$port" | awk '{ print $4 }' | sort | tr '\n' ' ')
check "server sockets on loopback only ($listening)" \
    test "$listening" = "127.0.0.1:$port [::1]:$port "

for v in 1 2 3 4; do
    q=$("$TOOLS/ntp_query" -s 127.0.0.1 -p "$port" -v "$v")
    check "NTPv$v request answered as v$v, leap 3, stratum 16" \
        grep -q "leap=3 version=$v mode=4 stratum=16 " <<<"$q"
done
q=$("$TOOLS/ntp_query" -s ::1 -p "$port")
check "IPv6 request answered" grep -q "leap=3 version=4 mode=4 stratum=16 " <<<"$q"
q=$("$TOOLS/ntp_query" -s 127.0.0.1 -p "$port" -v 1 -m 0)
check "NTPv1 mode-0 request answered as a client request" grep -q "version=1 mode=4 " <<<"$q"

/usr/lib/nagios/plugins/check_ntp_time -H 127.0.0.1 -p "$port" >"$WORK/check.out" 2>&1
rc=$?
check "check_ntp_time: unsynchronised server is CRITICAL, offset unknown (exit $rc)" \
    grep -q "Offset unknown" "$WORK/check.out"
qdir=$WORK/query; mkdir -p "$qdir"
out=$("${NOCAP[@]}" timeout 30 chronyd -Q -u root -t 10 -f /dev/null \
      "server 127.0.0.1 port $port iburst" "pidfile $qdir/pid" "bindcmdaddress /" 2>&1)
check "chronyd -Q finds no suitable source" grep -q "No suitable source" <<<"$out"

stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
finish
