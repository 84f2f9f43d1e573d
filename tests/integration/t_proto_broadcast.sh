#!/usr/bin/env bash
# Broadcast mode (issue 5) between cntpd instances in network namespaces the
# test creates (nothing leaves them):
#
#   ns A (server)  chronyd `local stratum 1` on A's 127.0.0.1 as upstream;
#                  cntpd synchronised to it, broadcasting every 8 s on three
#                  links: 10.99.0.255 and 10.99.2.255 unauthenticated,
#                  10.99.1.255 with MD5 key 42.
#   ns B1          cntpd `broadcastclient` + restrict allowing 10.99.0.0/24:
#                  mobilises "broadcast server 10.99.0.1:123 (allowed by
#                  restrict)", measures the delay with a volley of client
#                  requests, synchronises (stratum 3), then only listens.
#   ns B2          the same through key 42 (trustedkey, no restrict line).
#   ns B3          `broadcastclient` with `restrict default nopeer`: the
#                  unauthenticated broadcasts mobilise nothing.
#
# Every daemon runs without CAP_SYS_TIME (monitor-only); all share this
# machine's clock, so a synchronised client's offset must be near zero.
source "$(dirname "$0")/lib.sh"

why=$(netns_unavailable) && skip_test "network namespaces unavailable ($why)"

netns_add A && netns_add B1 && netns_add B2 && netns_add B3 &&
    netns_link "$A" 10.99.0.1/24 "$B1" 10.99.0.2/24 &&
    netns_link "$A" 10.99.1.1/24 "$B2" 10.99.1.2/24 &&
    netns_link "$A" 10.99.2.1/24 "$B3" 10.99.2.2/24 ||
    { fail "set up the namespaces and veth links"; finish; exit 1; }

cat >"$WORK/cntpd.keys" <<EOF2
42 MD5 cntpdbroadcast
EOF2
chmod 600 "$WORK/cntpd.keys"

up=10123   # chronyd's port on A's own loopback
start_chronyd_ns "$A" upstream "$up" || fail "chronyd answers in namespace A"

start_cntpd_ns "$A" server "port 123
agentx off
keys $WORK/cntpd.keys
trustedkey 42
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3
broadcast 10.99.0.255 minpoll 3
broadcast 10.99.1.255 minpoll 3 key 42
broadcast 10.99.2.255 minpoll 3"
A_PID=$CNTPD_PID A_LOG=$CNTPD_LOG

check "server: synchronises to its chronyd upstream" \
    wait_until 45 grep -q "synchronised to 127.0.0.1" "$A_LOG"

# The clients start once the server's broadcasts carry time (a client that
# starts earlier measures its delay against an unsynchronised server).
start_cntpd_ns "$B1" client-restrict "port 123
agentx off
broadcastclient
restrict default nopeer
restrict 10.99.0.0 mask 255.255.255.0"
B1_PID=$CNTPD_PID B1_LOG=$CNTPD_LOG

start_cntpd_ns "$B2" client-key "port 123
agentx off
keys $WORK/cntpd.keys
trustedkey 42
broadcastclient"
B2_PID=$CNTPD_PID B2_LOG=$CNTPD_LOG

start_cntpd_ns "$B3" client-denied "port 123
agentx off
broadcastclient
restrict default nopeer"
B3_PID=$CNTPD_PID B3_LOG=$CNTPD_LOG

# assoc_line PID LOG SERVER: the status line of the association with
# SERVER:123 (asks cntpd for a status report).
assoc_line() {
    status_block "$1" "$2" | grep -E " assoc [0-9]+ .* addr $3:123 " | tail -n1
}

# volley_done PID LOG SERVER: the association has sent the 8 requests of
# its delay volley.
volley_done() {
    local line
    line=$(assoc_line "$1" "$2" "$3")
    [ "$(field "$line" sent)" -ge 8 ] 2>/dev/null
}

# client_checks NAME PID LOG SERVER HOW: the acceptance checks for one
# broadcast client (HOW: "allowed by restrict" or "authenticated").
client_checks() {
    local name=$1 pid=$2 log=$3 server=$4 how=$5 line block
    check "$name: broadcast server $server:123 mobilised ($how)" \
        wait_until 20 grep -q "association [0-9]*: broadcast server $server:123 mobilised ($how)" "$log"
    check "$name: synchronises to the broadcast server" \
        wait_until 40 grep -q "synchronised to $server" "$log"
    block=$(status_block "$pid" "$log")
    sed 's/^/# /' <<<"$block"
    line=$(grep -E " assoc [0-9]+ .* addr $server:123 " <<<"$block" | tail -n1)
    check "$name: status shows the association as system peer" grep -qE " assoc [0-9]+ \* " <<<"$line"
    check "$name: reach non-zero ($(field "$line" reach))" \
        test -n "$(field "$line" reach)" -a "$(field "$line" reach)" != 000
    check "$name: stratum of the server, 2 ($(field "$line" stratum))" \
        test "$(field "$line" stratum)" = 2
    check "$name: system synchronised, stratum 3" \
        grep -qE " system: synchronised .* stratum 3 " <<<"$block"
    check "$name: delay volley sent client requests (sent $(field "$line" sent))" \
        test "$(field "$line" sent)" -ge 1
    check "$name: delay measured ($(field "$line" delay) s)" \
        awk -v d="$(field "$line" delay)" 'BEGIN { exit !(d > 0 && d < 0.05) }'
    # One clock for all: broadcast offsets (with half the volley's delay)
    # are near zero.
    check "$name: offset near zero ($(field "$line" offset) s)" \
        near "$(field "$line" offset)" 0 0.005
}

client_checks restrict "$B1_PID" "$B1_LOG" 10.99.0.1 "allowed by restrict"
client_checks key "$B2_PID" "$B2_LOG" 10.99.1.1 "authenticated"

# After the volley a broadcast client only listens: two broadcasts later it
# has sent nothing more, yet received more and is still synchronised.
# listen_checks NAME PID LOG SERVER BEFORE (BEFORE: its earlier assoc_line).
listen_checks() {
    local name=$1 before=$5 line
    line=$(assoc_line "$2" "$3" "$4")
    check "$name: only listens after the volley (sent $(field "$before" sent) then $(field "$line" sent))" \
        test -n "$(field "$line" sent)" -a "$(field "$line" sent)" = "$(field "$before" sent)"
    check "$name: keeps receiving broadcasts (received $(field "$before" received) then $(field "$line" received))" \
        test "$(field "$line" received)" -ge $(($(field "$before" received) + 2))
    check "$name: still the system peer, reach $(field "$line" reach)" \
        grep -qE " assoc [0-9]+ \* " <<<"$line"
}
wait_until 20 volley_done "$B1_PID" "$B1_LOG" 10.99.0.1
wait_until 20 volley_done "$B2_PID" "$B2_LOG" 10.99.1.1
before1=$(assoc_line "$B1_PID" "$B1_LOG" 10.99.0.1)
before2=$(assoc_line "$B2_PID" "$B2_LOG" 10.99.1.1)
sleep 17   # broadcasts every 8 s
listen_checks restrict "$B1_PID" "$B1_LOG" 10.99.0.1 "$before1"
listen_checks key "$B2_PID" "$B2_LOG" 10.99.1.1 "$before2"

# The server answered the volleys: 8 requests from each client.
line=$(status_line "$A_PID" "$A_LOG" "counters: ")
check "server: answered the volleys ($(grep -o 'replies=[0-9]*' <<<"$line"))" \
    test "$(sed -n 's/.* replies=\([0-9]*\).*/\1/p' <<<"$line")" -ge 16

# B3: unauthenticated broadcasts that its restrict lines do not allow.
check "denied: broadcasts arrive but mobilise nothing" \
    grep -q "broadcast packet from 10.99.2.1:123: no association, not mobilised (not authenticated, not allowed by restrict)" "$B3_LOG"
check "denied: no association" bash -c "! grep -q 'association [0-9]*: .* mobilised' '$B3_LOG'"

stop_pid "$A_PID"
check "server: clean exit (status $?)" test $? -eq 0
stop_pid "$B1_PID"
check "restrict: clean exit (status $?)" test $? -eq 0
stop_pid "$B2_PID"
check "key: clean exit (status $?)" test $? -eq 0
stop_pid "$B3_PID"
check "denied: clean exit (status $?)" test $? -eq 0
finish
