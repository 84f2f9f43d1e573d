#!/usr/bin/env bash
# Rate limiting, both sides:
#  - cntpd with `restrict default kod limited` and `discard`: a flood from one
#    address gets RATE kiss-o'-death replies while another address polling
#    politely is still served (counters checked);
#  - chronyd with `ratelimit` dropping most replies: cntpd raises its poll
#    interval instead of hammering it.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
start_cntpd limited "port $port
agentx off
restrict default kod limited
discard average 3 minimum 2"
# The flood: one socket on 127.0.0.2 with 32 requests in flight.
"$TOOLS/ntp_loadgen" -s 127.0.0.1 -p "$port" -c 1 -w 32 -d 2 >"$WORK/flood.out" 2>&1
echo "# flood: $(cat "$WORK/flood.out")"
kods=0
for i in 1 2 3; do
    q=$("$TOOLS/ntp_query" -s 127.0.0.1 -p "$port" -t 1) && grep -q "kiss=RATE" <<<"$q" && kods=$((kods + 1))
done
line=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "counters: ")
echo "# $line"
check "the flooding address is limited (limited > 200)" \
    bash -c "[ \$(sed -n 's/.* limited=\([0-9]*\).*/\1/p' <<<'$line') -gt 200 ]"
check "it gets RATE kiss-o'-death replies (kod_sent > 0)" \
    bash -c "[ \$(sed -n 's/.* kod_sent=\([0-9]*\).*/\1/p' <<<'$line') -gt 0 ]"
check "KoDs are themselves rate-limited (kod_sent < 100)" \
    bash -c "[ \$(sed -n 's/.* kod_sent=\([0-9]*\).*/\1/p' <<<'$line') -lt 100 ]"
# Another address (127.0.0.9) asking politely is still served.
served=0
for i in 1 2 3; do
    python3 - "$port" <<'PY' && served=$((served + 1))
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.9", 0)); s.settimeout(1)
req = bytes([0x23]) + bytes(39) + struct.pack("!Q", int(time.time() * 2**32) & (2**64 - 1))
s.sendto(req, ("127.0.0.1", int(sys.argv[1])))
r = s.recv(100)
sys.exit(0 if r[1] != 0 and r[24:32] == req[40:48] else 1)
PY
    sleep 3
done
check "another address is still served while the first is limited ($served of 3)" test "$served" -eq 3
stop_pid "$CNTPD_PID"
check "clean exit (status $?)" test $? -eq 0

# chronyd dropping most of our requests.
up=$(free_port); port=$(free_port)
start_chronyd limiter "$up" "ratelimit interval 5 burst 1 leak 3" || fail "chronyd answers"
start_cntpd backoff "port $port
agentx off
server 127.0.0.1 port $up minpoll 3 maxpoll 8"
check "cntpd raises its poll interval against a rate-limiting server" \
    wait_until 150 grep -q "answered only .* poll interval raised" "$CNTPD_LOG"
stop_pid "$CNTPD_PID"
finish
