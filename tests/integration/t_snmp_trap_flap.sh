#!/usr/bin/env bash
# Flap damping of the CISCO-NTP-MIB notifications (`trap holddown 150`),
# real snmpd and snmptrapd on loopback. The only chronyd upstream (minpoll
# 3) goes down and up twice, each phase long enough for the reach register
# to empty (~64 s) or get a reply: the first down/up is notified
# (HighPriority + General failure, then both restores), the second falls in
# the same hold-down period and is only logged; when the period ends cntpd
# logs "1 flap suppressed" with the reach register, and snmptrapd has seen
# exactly one failure/restore pair of each kind.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trap_lib.sh"

up=$(free_port)
port=$(free_port)
sport=$(free_port)
tport=$(free_port)
check "snmptrapd started" start_snmptrapd snmptrapd "$tport"
check "snmpd (AgentX master, trap sink) answers" start_snmpd_traps snmpd "$sport" "$tport"
start_chronyd upstream "$up" || fail "chronyd upstream answers"
start_cntpd client "port $port
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3
tos holdover 0
trap holddown 150
agentx socket $AGENTX_SOCK"
check "subtree answers within 10 s of cntpd's start" wait_until 10 cntp_answers
check "association reachable within 20 s" wait_until 20 grep -q "is reachable" "$CNTPD_LOG"

log_count() { grep -c "$1" "$CNTPD_LOG"; }
log_count_at_least() { [ "$(log_count "$1")" -ge "$2" ]; }

# Cycle 1: notified.
stop_pid "$CHRONYD_PID"
check "down 1: GeneralConnFailure within 100 s" wait_until 100 trap_count_at_least $TRAP_GEN_FAIL 1
t_period=$SECONDS
start_chronyd upstream "$up" || fail "chronyd answers again (1)"
check "up 1: GeneralConnRestore within 30 s" wait_until 30 trap_count_at_least $TRAP_GEN_RESTORE 1

# Cycle 2, inside the same 150 s period: logged, not notified.
stop_pid "$CHRONYD_PID"
check "down 2: cntpd sees the association unreachable again within 100 s" \
    wait_until 100 log_count_at_least "is unreachable" 2
check "down 2 logged as not notified" grep -q "unreachable, reach 000 (00000000): not notified (flapping" "$CNTPD_LOG"
echo "# second failure $((SECONDS - t_period)) s into the period"
start_chronyd upstream "$up" || fail "chronyd answers again (2)"
check "up 2: cntpd sees the association reachable again within 30 s" \
    wait_until 30 log_count_at_least "is reachable" 3

left=$((150 - (SECONDS - t_period) + 15))
check "hold-down end logs '1 flap suppressed' with the reach register" \
    wait_until "$left" grep -qE "association [0-9]+ \(127\.0\.0\.1\): 1 flap suppressed in the 150 s hold-down \(1 failure, 1 restore not notified\); reach register now [0-7]{3} \([01]{8}\), reachable" "$CNTPD_LOG"
grep "flap suppressed" "$CNTPD_LOG" | sed 's/^/# /'

counts="$(trap_count $TRAP_HP_FAIL) $(trap_count $TRAP_HP_RESTORE) $(trap_count $TRAP_GEN_FAIL) $(trap_count $TRAP_GEN_RESTORE)"
check "one pair of each kind at snmptrapd for two flaps (HP fail/restore, general fail/restore: $counts)" \
    test "$counts" = "1 1 1 1"

stop_pid "$CNTPD_PID"
rc=$?
check "cntpd exits cleanly (status $rc, ASan)" test "$rc" -eq 0
finish
