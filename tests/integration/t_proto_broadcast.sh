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
    skip_test "could not set up the namespaces and veth links"

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

# client_checks NAME PID LOG SERVER HOW: the acceptance checks for one
# broadcast client (HOW: "allowed by restrict" or "authenticated").
client_checks() {
    local name=$1 pid=$2 log=$3 server=$4 how=$5 line id sent1 sent2 block
    check "$name: broadcast server $server:123 mobilised ($how)" \
        wait_until 30 grep -q "broadcast server $server:123 mobilised ($how)" "$log"
    check "$name: synchronises to the broadcast server" \
        wait_until 75 grep -q "synchronised to $server" "$log"
    block=$(status_block "$pid" "$log")
    line=$(grep -E " assoc [0-9]+ .* addr $server:123 " <<<"$block" | tail -n1)
    sed 's/^/# /' <<<"$block"
    id=$(sed -n 's/.* assoc \([0-9]*\) .*/\1/p' <<<"$line")
    check "$name: status shows the association as system peer" \
        grep -qE " assoc $id \* " <<<"$line"
    check "$name: reach non-zero ($(field "$line" reach))" \
        test -n "$(field "$line" reach)" -a "$(field "$line" reach)" != 000
    check "$name: stratum of the server, 2 ($(field "$line" stratum))" \
        test "$(field "$line" stratum)" = 2
    check "$name: system stratum 3" grep -qE " system: synchronised .* stratum 3 " <<<"$block"
    # The delay volley: client requests, answered (a delay was measured).
    sent1=$(field "$line" sent)
    check "$name: delay volley sent client requests (sent $sent1)" test "${sent1:-0}" -ge 1
    check "$name: delay measured ($(field "$line" delay) s)" \
        awk -v d="$(field "$line" delay)" 'BEGIN { exit !(d > 0 && d < 0.05) }'
    # One clock for all: broadcast offset (with half the volley's delay)
    # near zero.
    check "$name: offset near zero ($(field "$line" offset) s)" \
        near "$(field "$line" offset)" 0 0.005
    eval "${name}_ID=\$id ${name}_SENT=\$sent1"
}

client_checks restrict "$B1_PID" "$B1_LOG" 10.99.0.1 "allowed by restrict"
client_checks key "$B2_PID" "$B2_LOG" 10.99.1.1 "authenticated"

# The server answered the volleys (requests and replies counted).
line=$(status_line "$A_PID" "$A_LOG" "counters: ")
check "server: answered the clients' requests ($(grep -o 'replies=[0-9]*' <<<"$line"))" \
    grep -q 'replies=[1-9]' <<<"$line"

# After the volley a broadcast client only listens: two broadcasts later
# it has sent nothing more, yet keeps receiving.
sleep 17
for c in restrict:B1 key:B2; do
    name=${c%%:*} ns=${c#*:}
    pid_var=${ns}_PID log_var=${ns}_LOG id_var=${name}_ID sent_var=${name}_SENT
    line=$(status_line "${!pid_var}" "${!log_var}" " assoc ${!id_var} ")
    check "$name: only listens after the volley (sent ${!sent_var} then $(field "$line" sent))" \
        test "$(field "$line" sent)" = "${!sent_var}"
    check "$name: still synchronised, reach $(field "$line" reach)" \
        grep -qE " assoc ${!id_var} \* " <<<"$line"
done

# B3: unauthenticated broadcasts, and its restrict allows no peer.
check "denied: broadcasts arrive but are not mobilised" \
    grep -q "broadcast packet from 10.99.2.1:123: no association, not mobilised (not authenticated, not allowed by restrict)" "$B3_LOG"
check "denied: no association mobilised" bash -c "! grep -q 'mobilised (' '$B3_LOG'"

for c in A:server B1:restrict B2:key B3:denied; do
    pid_var=${c%%:*}_PID
    stop_pid "${!pid_var}"
    check "${c#*:}: clean exit (status $?)" test $? -eq 0
done
finish
