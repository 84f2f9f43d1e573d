#!/usr/bin/env bash
# SNMP writes to cntpPeersVarTable (issue 6) through a real snmpd with a
# write community: createAndGo of a client row pointing at a chronyd on
# 127.0.0.1:123 (the standard port SNMP-created rows poll; the test skips
# when that port is taken) becomes active and reachable with
# cntpPeersConfigured false; createAndWait -> notReady -> address ->
# notInService -> active; notInService suspends (reach reads 0, the row
# stays) and active resumes; a table of bad SETs, each answered with its
# exact RFC 3416 error status and leaving the table as it was (multi-varbind
# requests all-or-nothing); tos maxassoc gives resourceUnavailable; the
# read-only community cannot write; the rows survive a restart of cntpd
# with the same AssocId and settings (state file in statedir); destroy
# removes a row and its AssocId cannot be created again in this run; a
# corrupt state file is moved aside with a log line.
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then skip_test "needs root for chronyd on port 123"; fi
if ss -Huln 'sport = :123' | grep -q .; then
    skip_test "UDP port 123 is in use here; SNMP-created rows poll port 123"
fi

port=$(free_port)
sport=$(free_port)
start_chronyd upstream 123 || fail "chronyd on 127.0.0.1:123 answers"
up2=$(free_port)
start_chronyd upstream2 "$up2" || fail "chronyd upstream 2 answers"

# snmpd with a read-only community "public" and a write community "private"
# for the CISCO-NTP-MIB subtree only, both limited to 127.0.0.1.
check "snmpd (AgentX master, rw community) answers" \
    start_snmpd snmpd "$sport" "rwcommunity private 127.0.0.1 $CNTP_OID"

STATEDIR=$WORK/state
mkdir -p "$STATEDIR"
CONF="port $port
server 127.0.0.1 port $up2 iburst minpoll 3 maxpoll 3
statedir $STATEDIR
tos maxassoc 4
agentx socket $AGENTX_SOCK"
start_cntpd client "$CONF"
check "subtree answers" wait_until 10 cntp_answers

E=$CNTP_PEERS
getv() { snmp_value "$(snmp snmpget -On "$SNMP_AGENT" "$1" 2>&1)"; }
# The settings part of the table (what a SET may change), for before/after.
table() {
    local c
    for c in 2 3 5 8 27 29 30 31; do
        snmp snmpwalk -On -Ox "$SNMP_AGENT" "$E.$c"
    done
}

# ---- createAndGo, pointing at chronyd on 127.0.0.1:123 ------------------------
out=$(sset "$E.27.100" i 4 "$E.3.100" a 127.0.0.1 "$E.8.100" i 3)
check "createAndGo row 100 (client 127.0.0.1): noError ($(reason "$out"))" \
    test "$(reason "$out")" = noError
check "row 100 cntpPeersEntryStatus active(1)" test "$(getv "$E.27.100")" = 1
check "row 100 cntpPeersConfigured false(2)" test "$(getv "$E.2.100")" = 2
check "row 100 cntpPeersMode client(3)" test "$(getv "$E.8.100")" = 3
check "row 100 cntpPeersPeerPort 123" test "$(getv "$E.4.100")" = 123
# Reachable: reach counts polls (64 s apart for SNMP rows), so the first
# poll sets it to 1; the iburst volley fills the clock filter meanwhile.
reachable() {
    [ "$(getv "$E.21.$1")" -ge 1 ] 2>/dev/null && [ "$(getv "$E.26.$1")" -ge 4 ] 2>/dev/null
}
check "row 100 becomes reachable (reach >= 1, >= 4 filter samples within 20 s)" \
    wait_until 20 reachable 100
check "state file lists row 100" grep -q '^row 100 active 3 0 - 127.0.0.1$' "$STATEDIR/snmp-associations"

# ---- createAndWait -> notReady -> address -> notInService -> active ------------
out=$(sset "$E.27.200" i 5)
check "createAndWait row 200: noError ($(reason "$out"))" test "$(reason "$out")" = noError
check "row 200 notReady(3) without an address" test "$(getv "$E.27.200")" = 3
out=$(sset "$E.30.200" i 1 "$E.31.200" x 7f000001 "$E.8.200" i 3)
check "row 200: PeerType ipv4 + PeerName 7f000001 + mode client: noError ($(reason "$out"))" \
    test "$(reason "$out")" = noError
check "row 200 notInService(2) once it has an address" test "$(getv "$E.27.200")" = 2
check "row 200 not polling while notInService (reach 0)" test "$(getv "$E.21.200")" = 0
out=$(sset "$E.27.200" i 1)
check "row 200 active: noError ($(reason "$out"))" test "$(reason "$out")" = noError
check "row 200 reachable" wait_until 20 reachable 200

# ---- suspend / resume -----------------------------------------------------------
out=$(sset "$E.27.200" i 2)
check "row 200 notInService: noError ($(reason "$out"))" test "$(reason "$out")" = noError
check "row 200 reads notInService(2)" test "$(getv "$E.27.200")" = 2
check "row 200 suspended: reach 0 and no filter samples" \
    test "$(getv "$E.21.200") $(getv "$E.26.200")" = "0 0"
s=$(status_block "$CNTPD_PID" "$CNTPD_LOG")
check "cntpd's status has no association 200 while suspended" bash -c '! grep -q " assoc 200 " <<<"$1"' _ "$s"
sleep 3
check "still no polls after 3 s (reach 0)" test "$(getv "$E.21.200")" = 0
check "suspension kept in the state file" grep -q '^row 200 suspended 3 0 - 127.0.0.1$' "$STATEDIR/snmp-associations"
out=$(sset "$E.27.200" i 1)
check "row 200 active again: noError ($(reason "$out"))" test "$(reason "$out")" = noError
check "row 200 resumed: reachable again" wait_until 20 reachable 200
out=$(sset "$E.29.200" i 1)
check "cntpPeersPrefPeer true on the active row 200: noError ($(reason "$out"))" \
    test "$(reason "$out")" = noError
check "row 200 cntpPeersPrefPeer true(1)" test "$(getv "$E.29.200")" = 1
out=$(sset "$E.27.1" i 2)
check "config row 1 notInService: noError ($(reason "$out"))" test "$(reason "$out")" = noError
check "config row 1 reads notInService(2)" test "$(getv "$E.27.1")" = 2
out=$(sset "$E.27.1" i 1)
check "config row 1 active again: noError ($(reason "$out"))" test "$(reason "$out")" = noError

# ---- bad SETs: exact error, nothing changed -------------------------------------
# Rows now: 1 (config), 100 and 200 (SNMP, active); tos maxassoc 4, so one
# more row may be created (300 is free).
long=$(printf 'a%.0s' $(seq 300))
cases=(
    "wrongType|RowStatus as a string|$E.27.300 s 4"
    "wrongValue|RowStatus 7 (out of range)|$E.27.300 i 7"
    "wrongValue|RowStatus notReady(3)|$E.27.300 i 3"
    "wrongValue|RowStatus 0|$E.27.300 i 0"
    "wrongType|PeerAddress as an integer|$E.3.100 i 1"
    "wrongValue|PeerAddress 0.0.0.0|$E.27.300 i 4 $E.3.300 a 0.0.0.0"
    "wrongValue|mode symmetricPassive(2)|$E.8.200 i 2"
    "wrongValue|mode server(4)|$E.27.300 i 5 $E.8.300 i 4"
    "wrongValue|mode 9 (out of range)|$E.8.100 i 9"
    "wrongType|mode as a string|$E.8.100 s 3"
    "wrongValue|PrefPeer 3|$E.29.100 i 3"
    "wrongValue|PeerType 3|$E.30.100 i 3"
    "wrongType|PeerType as a string|$E.30.100 s 1"
    "wrongLength|PeerName of 300 octets|$E.31.200 s $long"
    "wrongLength|PeerName ipv4 of 3 octets|$E.27.300 i 4 $E.30.300 i 1 $E.31.300 x 7f0000"
    "wrongLength|PeerName ipv6 of 4 octets|$E.27.300 i 4 $E.30.300 i 2 $E.31.300 x 7f000001"
    "wrongValue|PeerName dns 'bad name!'|$E.27.300 i 4 $E.30.300 i 16 $E.31.300 s bad_name!"
    "noCreation|index 0|$E.27.0 i 4 $E.3.0 a 127.0.0.1"
    "noCreation|index 2147483648|$E.27.2147483648 i 4 $E.3.2147483648 a 127.0.0.1"
    "inconsistentValue|createAndGo on the existing index 100|$E.27.100 i 4 $E.3.100 a 127.0.0.1"
    "inconsistentValue|createAndWait on the existing index 200|$E.27.200 i 5"
    "inconsistentValue|createAndGo without an address|$E.27.300 i 4"
    "inconsistentValue|active on a row that does not exist|$E.27.300 i 1"
    "inconsistentValue|notInService on a row that does not exist|$E.27.300 i 2"
    "inconsistentName|a column of a row that does not exist, no RowStatus|$E.8.300 i 3"
    "inconsistentValue|PeerAddress change of an active row|$E.3.100 a 127.0.0.2"
    "inconsistentValue|mode change of an active row|$E.8.100 i 1"
    "inconsistentValue|PeerName change of an active row|$E.30.200 i 1 $E.31.200 x 7f000002"
    "inconsistentValue|non-local HostAddress 192.0.2.1|$E.27.300 i 5 $E.5.300 a 192.0.2.1"
    "inconsistentValue|PeerAddress and PeerName disagree|$E.27.300 i 4 $E.3.300 a 127.0.0.1 $E.30.300 i 1 $E.31.300 x 7f000002"
    "inconsistentValue|PeerType alone not matching the address|$E.30.100 i 2"
    "notWritable|read-only cntpPeersStratum of row 100|$E.9.100 i 2"
    "notWritable|read-only cntpPeersConfigured of row 1|$E.2.1 i 2"
    "notWritable|read-only cntpPeersReach of row 100|$E.21.100 i 0"
    "noCreation|read-only column of a row that does not exist|$E.9.300 i 2"
    "noCreation|column 32 (no such object)|$E.32.100 i 1"
    "inconsistentValue|destroy of config row 1|$E.27.1 i 6"
    "inconsistentValue|PeerAddress of config row 1|$E.27.1 i 2 $E.3.1 a 127.0.0.3"
    "wrongValue|all-or-nothing: good createAndGo 300 + bad mode on 100|$E.27.300 i 4 $E.3.300 a 127.0.0.1 $E.8.100 i 7"
    "inconsistentValue|all-or-nothing: good createAndGo 300 + createAndGo on 100|$E.27.300 i 4 $E.3.300 a 127.0.0.1 $E.27.100 i 4"
    "inconsistentValue|all-or-nothing: notInService 200 + address change of active 100|$E.27.200 i 2 $E.3.100 a 127.0.0.9"
    "notWritable|read-only scalar cntpSysPrecision (t_snmp_scalars has the writable ones)|$CNTP_SYS.3.0 i 3"
)
bad_sets table "${cases[@]}"
check "$((${#cases[@]})) bad SETs tried (at least 25)" test "${#cases[@]}" -ge 25
check "state file unchanged by the bad SETs (rows 100, 200)" \
    test "$(grep -c '^row ' "$STATEDIR/snmp-associations")" -eq 2

# ---- read-only community ------------------------------------------------------------
before=$(table)
out=$(MIBS= snmpset -v2c -c public -t 3 -r 0 -On "$SNMP_AGENT" "$E.27.300" i 4 "$E.3.300" a 127.0.0.1 2>&1)
r=$(reason "$out")
check "read-only community: $r (noAccess or notWritable)" \
    bash -c '[ "$1" = noAccess ] || [ "$1" = notWritable ]' _ "$r"
check "read-only community: nothing changed" test "$(table)" = "$before"

# ---- tos maxassoc ---------------------------------------------------------------------
out=$(sset "$E.27.300" i 5)
check "createAndWait row 300 (the 4th of tos maxassoc 4): noError ($(reason "$out"))" \
    test "$(reason "$out")" = noError
out=$(sset "$E.27.301" i 4 "$E.3.301" a 127.0.0.1)
check "createAndGo row 301 beyond tos maxassoc 4: resourceUnavailable ($(reason "$out"))" \
    test "$(reason "$out")" = resourceUnavailable
out=$(sset "$E.27.300" i 6)
check "destroy of the notReady row 300: noError ($(reason "$out"))" test "$(reason "$out")" = noError
out=$(sset "$E.27.300" i 5)
check "AssocId 300 not created again in this run: inconsistentValue ($(reason "$out"))" \
    test "$(reason "$out")" = inconsistentValue

# ---- restart: the rows come back ------------------------------------------------------
settings() {
    local c
    for c in 2 3 8 27 29 30 31; do
        snmp snmpget -On -Ox "$SNMP_AGENT" "$E.$c.100" "$E.$c.200"
    done
}
before=$(settings)
stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
start_cntpd client2 "$CONF"
check "subtree answers after the restart" wait_until 15 cntp_answers
check "rows 100 and 200 back with the same index and settings" test "$(settings)" = "$before"
check "cntpd logged the state file it loaded" grep -q "state file .*: 2 associations created over SNMP" "$CNTPD_LOG"
check "row 100 reachable after the restart" wait_until 20 reachable 100

# ---- destroy ----------------------------------------------------------------------------
out=$(sset "$E.27.100" i 6)
check "destroy row 100: noError ($(reason "$out"))" test "$(reason "$out")" = noError
out=$(snmp snmpget -On "$SNMP_AGENT" "$E.27.100" 2>&1)
check "row 100 gone (noSuchInstance)" grep -q "No Such Instance" <<<"$out"
s=$(status_block "$CNTPD_PID" "$CNTPD_LOG")
check "no association 100 in cntpd's status" bash -c '! grep -q " assoc 100 " <<<"$1"' _ "$s"
check "row 100 gone from the state file" bash -c "! grep -q '^row 100 ' '$STATEDIR/snmp-associations'"
out=$(sset "$E.27.100" i 4 "$E.3.100" a 127.0.0.1)
check "destroyed AssocId 100 not reused in this run: inconsistentValue ($(reason "$out"))" \
    test "$(reason "$out")" = inconsistentValue

# ---- host address, prefer order, destroy stops the polls -----------------------------
# A second upstream on 127.0.0.6:123 (all of 127/8 is local; chronyd holds
# only 127.0.0.1:123) that logs the source of every request it answers.
cat >"$WORK/ntp_counter.py" <<'PY'
#!/usr/bin/env python3
"""An NTP server on ADDR:PORT that logs the source of every request.

    ntp_counter.py ADDR PORT LOGFILE

Answers client requests (mode 3) as a stratum-1 server with this machine's
clock (it only reads the time, never sets it) and appends one line per
request to LOGFILE: the sender's address and port. Tests count those lines
to see who polls and when polling stops.
"""
import socket
import struct
import sys
import time

NTP_EPOCH = 2208988800


def stamp():
    ns = time.time_ns()
    sec, rem = divmod(ns, 1_000_000_000)
    return ((sec + NTP_EPOCH) & 0xFFFFFFFF) << 32 | (rem << 32) // 1_000_000_000


def main():
    addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    with open(log, "a", buffering=1) as out:
        out.write("ready\n")
        while True:
            data, peer = s.recvfrom(2048)
            rx = stamp()
            if len(data) < 48 or data[0] & 7 != 3:
                continue
            out.write("%s %d\n" % peer)
            version = (data[0] >> 3) & 7
            xmt = data[40:48]
            reply = struct.pack("!BBbbII4sQ8sQQ", (version << 3) | 4, 1, data[2], -20, 0, 0,
                                b"CNT\0", rx & ~0xFFFFFFFF, xmt, rx, stamp())
            s.sendto(reply, peer)


if __name__ == "__main__":
    main()
PY
COUNTER_LOG=$WORK/counter.log
python3 "$WORK/ntp_counter.py" 127.0.0.6 123 "$COUNTER_LOG" &
PIDS+=("$!")
check "packet-counting upstream on 127.0.0.6:123 runs" wait_until 10 grep -qs ready "$COUNTER_LOG"
polls_from() { grep -c "^$1 " "$COUNTER_LOG"; }
# Row 200 (client of 127.0.0.1) asked for prefer before the restart; row
# 400 asks for it now, so 200 stays the preferred one.
out=$(sset "$E.27.400" i 4 "$E.3.400" a 127.0.0.6 "$E.8.400" i 3 "$E.5.400" a 127.0.0.5 "$E.29.400" i 1)
check "createAndGo row 400 (client 127.0.0.6, HostAddress 127.0.0.5, prefer): noError ($(reason "$out"))" \
    test "$(reason "$out")" = noError
check "row 400 reachable: replies come back to 127.0.0.5" wait_until 20 reachable 400
check "the upstream sees row 400's polls from 127.0.0.5" test "$(polls_from 127.0.0.5)" -ge 4
check "... and none of them from 127.0.0.1" bash -c '! grep -q "^127.0.0.1 " "$1"' _ "$COUNTER_LOG"
check "cntpPeersHostAddress of row 400 reads 127.0.0.5 (the socket's address)" \
    test "$(getv "$E.5.400")" = 127.0.0.5
check "state file keeps row 400's host address" grep -q '^row 400 active 3 [0-9]* 127.0.0.5 127.0.0.6$' "$STATEDIR/snmp-associations"
# prefer: the first row set wins; the status log marks the preferred one.
prefer_of() { grep -E " assoc $1 " <<<"$2" | grep -c ' prefer'; }
s=$(status_block "$CNTPD_PID" "$CNTPD_LOG")
check "both rows read cntpPeersPrefPeer true(1)" test "$(getv "$E.29.200") $(getv "$E.29.400")" = "1 1"
check "prefer set first on row 200: it is the preferred association, 400 is not" \
    test "$(prefer_of 200 "$s") $(prefer_of 400 "$s")" = "1 0"
out=$(sset "$E.29.200" i 2)
check "cntpPeersPrefPeer false on row 200: noError ($(reason "$out"))" test "$(reason "$out")" = noError
s=$(status_block "$CNTPD_PID" "$CNTPD_LOG")
check "row 400 takes over as the preferred association" \
    test "$(prefer_of 200 "$s") $(prefer_of 400 "$s")" = "0 1"
out=$(sset "$E.29.200" i 1)
check "cntpPeersPrefPeer true on row 200 again: noError ($(reason "$out"))" test "$(reason "$out")" = noError
s=$(status_block "$CNTPD_PID" "$CNTPD_LOG")
check "row 400, set earlier now, stays preferred" \
    test "$(prefer_of 200 "$s") $(prefer_of 400 "$s")" = "0 1"
# Row 400 restarted with prefer, so it is in its iburst volley (8 polls 2 s
# apart): polls must be arriving right up to the destroy and stop after it.
n=$(polls_from 127.0.0.5)
check "row 400 still polling just before the destroy" \
    wait_until 10 bash -c '[ "$(grep -c "^127.0.0.5 " "$1")" -gt "$2" ]' _ "$COUNTER_LOG" "$n"
out=$(sset "$E.27.400" i 6)
check "destroy row 400: noError ($(reason "$out"))" test "$(reason "$out")" = noError
n=$(polls_from 127.0.0.5)
sleep 7
check "no poll from row 400 in the 7 s after the destroy (volley would send 3)" \
    test "$(polls_from 127.0.0.5)" -eq "$n"
s=$(status_block "$CNTPD_PID" "$CNTPD_LOG")
check "row 200 is the preferred association again" test "$(prefer_of 200 "$s")" = 1

stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"

# ---- a corrupt state file is moved aside ------------------------------------------------
head -c 20 "$STATEDIR/snmp-associations" >"$STATEDIR/cut" && mv "$STATEDIR/cut" "$STATEDIR/snmp-associations"
start_cntpd client3 "$CONF"
check "truncated state file: logged" grep -q "state file: .* is corrupt .*moved aside" "$CNTPD_LOG"
check "truncated state file moved to .corrupt" test -s "$STATEDIR/snmp-associations.corrupt"
check "cntpd runs on with its config-file row" wait_until 10 cntp_answers
stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
finish
