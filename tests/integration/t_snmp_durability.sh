#!/usr/bin/env bash
# Durability of SNMP row creation (issue 6 acceptance): cntpd killed with
# SIGKILL in the middle of 100 back-to-back createAndGo requests; after a
# restart with the same statedir every row whose SET was acknowledged is
# there, and the state file is valid (read without complaint, nothing
# moved aside as .corrupt). The rows poll 127.0.0.7:123, where nothing
# listens: loopback only, and the test needs no NTP server.
source "$(dirname "$0")/lib.sh"

sport=$(free_port)
port=$(free_port)

# snmpd with a read-only community "public" and a write community "private"
# for the CISCO-NTP-MIB subtree only, both limited to 127.0.0.1.
check "snmpd (AgentX master, rw community) answers" \
    start_snmpd snmpd "$sport" "rwcommunity private 127.0.0.1 $CNTP_OID"

STATEDIR=$WORK/state
mkdir -p "$STATEDIR"
CONF="port $port
statedir $STATEDIR
tos maxassoc 200
agentx socket $AGENTX_SOCK"
start_cntpd first "$CONF"
check "subtree answers" wait_until 10 cntp_answers

E=$CNTP_PEERS
ACKED=$WORK/acked
: >"$ACKED"
# 100 createAndGo requests back to back; an index goes to ACKED only when
# snmpset got a response without error (the acknowledgement).
(
    for i in $(seq 1 100); do
        if out=$(MIBS= snmpset -v2c -c private -t 2 -r 0 -On "$SNMP_AGENT" \
                 "$E.27.$i" i 4 "$E.3.$i" a 127.0.0.7 "$E.8.$i" i 3 2>&1) &&
           ! grep -q '^Reason\|Error' <<<"$out"; then
            echo "$i" >>"$ACKED"
        fi
    done
    echo done >"$WORK/loop-done"
) &
LOOP=$!
PIDS+=("$LOOP")
check "about 50 createAndGo acknowledged" wait_until 60 bash -c '[ "$(wc -l <"$1")" -ge 50 ]' _ "$ACKED"
kill -9 "$CNTPD_PID"
wait "$CNTPD_PID" 2>/dev/null
# Reaped: keep its (now free) PID out of the cleanup's kill list.
keep=()
for p in "${PIDS[@]}"; do [ "$p" = "$CNTPD_PID" ] || keep+=("$p"); done
PIDS=("${keep[@]}")
killed_at=$(wc -l <"$ACKED")
echo "# cntpd killed (SIGKILL) after $killed_at acknowledged createAndGo"
check "the request loop finishes" wait_until 120 test -e "$WORK/loop-done"
wait "$LOOP"
n_acked=$(wc -l <"$ACKED")
check "some requests of the 100 were not acknowledged (cntpd was killed in the middle)" \
    test "$n_acked" -lt 100
check "no acknowledgement once cntpd was dead (at most the one in flight)" \
    test "$n_acked" -le $((killed_at + 1))

start_cntpd second "$CONF"
check "subtree answers after the restart" wait_until 15 cntp_answers
check "state file read without complaint" \
    grep -q "state file .*/snmp-associations: [0-9]* associations created over SNMP" "$CNTPD_LOG"
check "nothing logged as corrupt" bash -c "! grep -q 'corrupt' '$CNTPD_LOG'"
check "no .corrupt file" bash -c "! ls '$STATEDIR' | grep -q corrupt"
walk=$(snmp snmpwalk -On "$SNMP_AGENT" "$E.27")
present=$(sed -n "s/^\.\{0,1\}$E\.27\.\([0-9]*\) = INTEGER: 1$/\1/p" <<<"$walk" | sort -n)
missing=$(comm -23 <(sort -n "$ACKED" | sort) <(sort <<<"$present"))
check "every acknowledged row ($n_acked) is present and active after the restart" \
    test -z "$missing"
[ -z "$missing" ] || echo "# missing: $(tr '\n' ' ' <<<"$missing")"
n_present=$(grep -c . <<<"$present")
n_file=$(grep -c '^row ' "$STATEDIR/snmp-associations")
echo "# $n_present rows after the restart, $n_file in the state file"
check "the walk shows exactly the state file's rows" test "$n_present" -eq "$n_file"
check "at most one unacknowledged row (the SET in flight) came back" \
    test "$n_present" -le $((n_acked + 1))
stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
finish
