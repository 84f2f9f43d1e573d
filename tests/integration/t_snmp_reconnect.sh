#!/usr/bin/env bash
# The AgentX subagent and a master that comes and goes, without restarting
# cntpd: cntpd started before snmpd exists connects once snmpd appears; when
# snmpd is stopped (SIGTERM) and when it crashes (SIGKILL, leaving its
# socket file behind) and is started again on the same socket and port, the
# CISCO-NTP-MIB subtree answers again within 15 s (measured from the new
# snmpd's start). Ends with a clean SIGTERM.
source "$(dirname "$0")/lib.sh"

LIMIT=15
up=$(free_port)
port=$(free_port)
sport=$(free_port)
start_chronyd upstream "$up" || fail "chronyd upstream answers"

# cntpd first, pointing at the socket snmpd will create (start_snmpd's).
sock=$WORK/snmpd/agentx.sock
mkdir -p "$WORK/snmpd"
start_cntpd client "port $port
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3
agentx socket $sock"
cntpd_pid=$CNTPD_PID
check "cntpd runs without a master agent" kill -0 "$cntpd_pid"

# restart_and_time WHAT: start snmpd and check the subtree answers within
# LIMIT seconds of that start.
restart_and_time() {
    local what=$1 t0 t1 ms
    t0=$EPOCHREALTIME
    check "$what: snmpd answers" start_snmpd snmpd "$sport"
    if wait_until $((LIMIT + 5)) cntp_answers; then
        t1=$EPOCHREALTIME
        ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
        check "$what: subtree answers again after $ms ms (limit ${LIMIT} s)" \
            test "$ms" -le $((LIMIT * 1000))
    else
        fail "$what: subtree answers again within $((LIMIT + 5)) s"
    fi
}

restart_and_time "snmpd started after cntpd"
out=$(snmp snmpwalk -On "$SNMP_AGENT" "$CNTP_OID" 2>&1 | grep -c "^\.$CNTP_OID\.")
check "walk after connecting: $out varbinds (>= 41)" test "$out" -ge 41

for sig in TERM KILL; do
    kill "-$sig" "$SNMPD_PID"
    wait "$SNMPD_PID" 2>/dev/null
    check "SIG$sig: snmpd (pid $SNMPD_PID) is gone" bash -c '! kill -0 "$1" 2>/dev/null' _ "$SNMPD_PID"
    if cntp_answers; then fail "SIG$sig: subtree does not answer without snmpd"
    else pass "SIG$sig: subtree does not answer without snmpd"; fi
    [ "$sig" = KILL ] && check "SIGKILL left the AgentX socket file behind" test -S "$sock"
    sleep 2    # let the subagent notice and start retrying
    restart_and_time "snmpd restarted after SIG$sig"
    check "cntpd is the same process (pid $cntpd_pid)" kill -0 "$cntpd_pid"
done

out=$(snmp snmpwalk -On "$SNMP_AGENT" "$CNTP_OID" 2>&1 | grep -c "^\.$CNTP_OID\.")
check "walk after the restarts: $out varbinds (>= 41)" test "$out" -ge 41
n=$(grep -c 'AgentX subagent connected' "$CNTPD_LOG")
check "cntpd logged 3 AgentX connections ($n)" test "$n" -ge 3
# stratum 2 once synchronised: the values still come from the engine.
out=$(snmp snmpget -On "$SNMP_AGENT" "$CNTP_SYS.2.0" 2>&1)
check "cntpSysStratum is 2 after the restarts ($out)" grep -q "INTEGER: 2$" <<<"$out"

stop_pid "$cntpd_pid"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
finish
