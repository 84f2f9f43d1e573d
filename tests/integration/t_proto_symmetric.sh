#!/usr/bin/env bash
# Symmetric mode with a real chronyd, in both directions:
#  - cntpd `peer` -> chronyd: both associations become reachable and cntpd
#    synchronises to chronyd (stratum 1);
#  - chronyd `peer` -> cntpd with no cntpd configuration for it: cntpd
#    mobilises a symmetric passive association only because a restrict line
#    allows that address (an unlisted address does not get one), and both
#    sides see each other.
source "$(dirname "$0")/lib.sh"

chrony_reach() {   # chrony_reach SOCKET: reach (octal) of the first source
    chronyc -h "$1" -n -c sources 2>/dev/null | head -n1 | cut -d, -f6
}

# 1. cntpd actively peers with chronyd.
up=$(free_port); port=$(free_port)
mkdir -m 700 "$WORK/c1"
start_chronyd c1 "$up" "bindcmdaddress $WORK/c1/chronyd.sock" \
    "peer 127.0.0.1 port $port minpoll 3 maxpoll 3" || fail "chronyd answers"
start_cntpd a1 "port $port
agentx off
peer 127.0.0.1 port $up minpoll 3 maxpoll 3 iburst"
check "cntpd's symmetric active association reaches chronyd" \
    wait_until 40 grep -q "association 1: 127.0.0.1:$up is reachable" "$CNTPD_LOG"
check "cntpd synchronises to its chronyd peer" wait_until 60 grep -q "synchronised to 127.0.0.1" "$CNTPD_LOG"
chrony_sees() { r=$(chrony_reach "$1"); [ -n "$r" ] && [ "$r" != 0 ]; }
check "chronyd sees cntpd as a reachable peer" wait_until 40 chrony_sees "$WORK/c1/chronyd.sock" ||
    chronyc -h "$WORK/c1/chronyd.sock" -n ntpdata | sed 's/^/# /'
stop_pid "$CNTPD_PID"
check "clean exit (status $?)" test $? -eq 0

# 2. chronyd actively peers with cntpd, which has no line for it.
up2=$(free_port); port2=$(free_port)
mkdir -m 700 "$WORK/c2"
start_cntpd p2 "port $port2
agentx off
restrict default nopeer
restrict 127.0.0.1"
start_chronyd c2 "$up2" "bindcmdaddress $WORK/c2/chronyd.sock" \
    "peer 127.0.0.1 port $port2 minpoll 3 maxpoll 3" || fail "chronyd answers"
check "cntpd mobilises a passive association allowed by restrict" \
    wait_until 30 grep -q "symmetric passive 127.0.0.1:$up2 mobilised (allowed by restrict)" "$CNTPD_LOG"
check "the passive association becomes reachable" \
    wait_until 30 grep -q "127.0.0.1:$up2 is reachable" "$CNTPD_LOG"
check "chronyd sees cntpd answer as a peer" wait_until 40 chrony_sees "$WORK/c2/chronyd.sock" ||
    chronyc -h "$WORK/c2/chronyd.sock" -n ntpdata | sed 's/^/# /'
stop_pid "$CNTPD_PID"
check "clean exit (status $?)" test $? -eq 0

# 3. The same, but the address is not allowed: no association.
port3=$(free_port)
start_cntpd p3 "port $port3
agentx off
restrict default nopeer"
"$TOOLS/ntp_query" -s 127.0.0.1 -p "$port3" -m 1 -t 1 >/dev/null 2>&1
sleep 1
check "no association mobilised for an unauthenticated, unallowed peer" \
    bash -c "! grep -q 'info: association .* mobilised' '$CNTPD_LOG'"
stop_pid "$CNTPD_PID"
finish
