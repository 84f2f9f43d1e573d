# Shared helpers for integration tests (sourced, bash).
#
# Every test runs in its own temporary directory, starts real programs on
# loopback with random free ports, and cleans up on exit whatever happens:
# only the PIDs it started are killed. Every time daemon runs without
# CAP_SYS_TIME, so no test can change this machine's clock.
#
# Output: one line per check, "ok - NAME" or "not ok - NAME", and a last line
# "TESTNAME: N passed, N failed" that tests/integration/run.sh adds up.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TEST_NAME=$(basename "$0" .sh)
CNTPD=${CNTPD:-$TOP/build/asan/cntpd}
TOOLS=$TOP/build/tools
NOCAP=(setpriv --bounding-set=-sys_time --inh-caps=-sys_time)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cntpd-$TEST_NAME.XXXXXX")
PIDS=()
PASSED=0
FAILED=0
# ASan: fail loudly on any error, and report leaks at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=66}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=67}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
    done
    if [ "${KEEP_WORK:-0}" = 1 ] || [ "$FAILED" -ne 0 ]; then
        echo "# work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# check NAME CMD...: pass if CMD succeeds.
check() {
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

finish() {
    echo "$TEST_NAME: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# A free UDP (default) or TCP port on 127.0.0.1, above 1024.
free_port() {
    python3 - "${1:-udp}" <<'PY'
import socket, sys
t = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
while True:
    s = socket.socket(socket.AF_INET, t)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    # Leave room for tests that use port+1; avoid the top of the range.
    if 1024 < p < 60000:
        print(p)
        break
PY
}

# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
wait_until() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    while [ $SECONDS -lt $end ]; do
        "$@" && return 0
        sleep 0.2
    done
    "$@"
}

# start_chronyd NAME PORT [EXTRA CONFIG LINES...]: chronyd as an NTP server
# (local stratum 1) on 127.0.0.1:PORT, never touching the clock (-x, no
# CAP_SYS_TIME). Sets CHRONYD_PID.
start_chronyd() {
    local name=$1 port=$2; shift 2
    local dir=$WORK/$name
    mkdir -p "$dir"
    {
        echo "port $port"
        echo "bindaddress 127.0.0.1"
        echo "local stratum 1"
        echo "allow 127.0.0.0/8"
        echo "cmdport 0"
        echo "pidfile $dir/chronyd.pid"
        printf '%s\n' "$@"
    } >"$dir/chrony.conf"
    "${NOCAP[@]}" chronyd -x -d -u root -f "$dir/chrony.conf" >"$dir/chronyd.log" 2>&1 &
    CHRONYD_PID=$!
    PIDS+=("$CHRONYD_PID")
    wait_until 10 ntp_answers 127.0.0.1 "$port"
}

# start_cntpd NAME CONFIG-TEXT [OPTIONS...]: cntpd in the foreground with
# that configuration. Sets CNTPD_PID and CNTPD_LOG.
start_cntpd() {
    local name=$1 conf=$2; shift 2
    local dir=$WORK/$name
    mkdir -p "$dir"
    printf '%s\n' "$conf" >"$dir/cntpd.conf"
    # The machine is shared: cntpd's server sockets on loopback only, unless
    # the test chooses its own (appended, so line numbers stay the test's).
    case $conf in
    *"interface listen"*) ;;
    *) printf 'interface listen 127.0.0.1\ninterface listen ::1\n' >>"$dir/cntpd.conf" ;;
    esac
    CNTPD_LOG=$dir/cntpd.log
    "${NOCAP[@]}" ${CNTPD_WRAPPER:-} "$CNTPD" -n -d -c "$dir/cntpd.conf" "$@" >"$CNTPD_LOG" 2>&1 &
    CNTPD_PID=$!
    PIDS+=("$CNTPD_PID")
    wait_until 10 grep -q "event loop:" "$CNTPD_LOG"
}

# stop_pid PID: SIGTERM and wait; returns the process's exit status. The
# reaped PID leaves PIDS: the kernel may give it to another process (pid_max
# can be 32768), which cleanup must never signal.
stop_pid() {
    local pid=$1 rc p keep=()
    kill "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    for p in "${PIDS[@]}"; do
        [ "$p" = "$pid" ] || keep+=("$p")
    done
    PIDS=("${keep[@]}")
    return "$rc"
}

# ntp_answers HOST PORT: one NTP client query gets a valid reply.
ntp_answers() {
    "$TOOLS/ntp_query" -s "$1" -p "$2" -t 1 >/dev/null 2>&1
}

# status_line PID LOG PATTERN: ask cntpd for its status (SIGUSR1) and print
# the newest log line matching PATTERN.
status_line() {
    local pid=$1 log=$2 pattern=$3 before
    before=$(grep -c 'counters:' "$log")
    kill -USR1 "$pid"
    # The count is taken again on every try (a plain `test "$(grep -c ...)"`
    # would be expanded once, before waiting).
    wait_until 5 _log_count_above "$log" 'counters:' "$before" || return 1
    grep -E "$pattern" "$log" | tail -n 1
}

# field LINE NAME: the word after NAME in LINE.
field() {
    sed -n "s/.* $2 \([^ ]*\).*/\1/p" <<<"$1"
}

# ---- SNMP (issue 4): a private snmpd as AgentX master, net-snmp tools ------

CNTP_OID=1.3.6.1.4.1.9.9.168          # ciscoNtpMIB
CNTP_SYS=$CNTP_OID.1.1                # cntpSystem scalars .1 .. .11 (.0)
CNTP_PEERS=$CNTP_OID.1.2.1.1          # cntpPeersVarEntry: .COLUMN.ASSOC
CNTP_FILTER=$CNTP_OID.1.3.2.1         # cntpFilterRegisterEntry: .COLUMN.ASSOC.STAGE

# start_snmpd NAME PORT: net-snmp's snmpd in the foreground as a private
# AgentX master: UDP 127.0.0.1:PORT only, community "public" from 127.0.0.1,
# AgentX socket $WORK/NAME/agentx.sock, no system config files (-C), no
# MIB files loaded (MIBS=). Calling it again with the same NAME restarts on
# the same socket and port. Sets SNMPD_PID, SNMPD_LOG, AGENTX_SOCK and
# SNMP_AGENT (the address to give the tools).
start_snmpd() {
    local name=$1 port=$2; shift 2
    local dir=$WORK/$name
    mkdir -p "$dir/persist"
    AGENTX_SOCK=$dir/agentx.sock
    SNMP_AGENT=127.0.0.1:$port
    SNMPD_LOG=$dir/snmpd.log
    {
        echo "master agentx"
        echo "agentXSocket $AGENTX_SOCK"
        echo "agentXPerms 0660 0770"
        echo "rocommunity public 127.0.0.1"
        echo "dontLogTCPWrappersConnects yes"
        printf '%s\n' "$@"   # extra lines, e.g. a write community
    } >"$dir/snmpd.conf"
    MIBS= SNMP_PERSISTENT_DIR=$dir/persist snmpd -f -Lf "$SNMPD_LOG" -C -c "$dir/snmpd.conf" \
        -p "$dir/snmpd.pid" "udp:$SNMP_AGENT" &
    SNMPD_PID=$!
    PIDS+=("$SNMPD_PID")
    wait_until 10 snmpd_answers
}

# snmp TOOL ARGS...: a net-snmp tool (snmpget, snmpwalk, ...) as SNMPv2c
# with community public, 2 s timeout, 1 retry, no MIB files unless ARGS
# load some (see cntp_mib_args). ARGS include the agent ("$SNMP_AGENT").
snmp() {
    local tool=$1; shift
    MIBS= "$tool" -v2c -c public -t 2 -r 1 "$@"
}

# snmpd_answers: snmpd itself answers (sysDescr.0).
snmpd_answers() {
    snmp snmpget -t 1 -r 0 -On "$SNMP_AGENT" 1.3.6.1.2.1.1.1.0 2>/dev/null | grep -q STRING
}

# cntp_answers: the subagent's subtree answers through snmpd (cntpSysStratum.0).
cntp_answers() {
    snmp snmpget -t 1 -r 0 -On "$SNMP_AGENT" "$CNTP_SYS.2.0" 2>/dev/null | grep -q INTEGER
}

# cntp_mib_args: print the tool options that load CISCO-NTP-MIB from
# mibs/ (for names and snmptable), or nothing and fail when it does not load.
cntp_mib_args() {
    MIBS= snmptranslate -M "+$TOP/mibs" -m CISCO-NTP-MIB -On \
        CISCO-NTP-MIB::cntpPeersEntryStatus >/dev/null 2>&1 || return 1
    echo "-M +$TOP/mibs -m CISCO-NTP-MIB"
}

# snmp_value LINE: the value part of one tool output line ("OID = TYPE: V").
snmp_value() {
    sed -e 's/^[^=]* = //' -e 's/^[A-Za-z0-9-]*: //' -e 's/ *$//' <<<"$1"
}

# snmp_hex LINE: the octets of an OCTET STRING line printed with -Ox, as
# lower-case hex without separators ("ffffc000").
snmp_hex() {
    snmp_value "$1" | tr -d ' \n' | tr 'A-F' 'a-f'
}

# ntp_signed HEX8 / ntp_unsigned HEX8: decode an NTPSignedTimeValue /
# NTPUnsignedTimeValue (4 octets, 16.16, network order) the way an NMS such
# as LibreNMS does: the integer word as a signed (resp. unsigned) 16-bit
# number plus the fraction word / 65536. Prints seconds with 9 decimals.
ntp_signed() {
    local h=$1 w f
    w=$((16#${h:0:4})) f=$((16#${h:4:4}))
    [ "$w" -ge 32768 ] && w=$((w - 65536))
    awk -v w="$w" -v f="$f" 'BEGIN { printf "%.9f\n", w + f / 65536 }'
}
ntp_unsigned() {
    local h=$1
    awk -v w="$((16#${h:0:4}))" -v f="$((16#${h:4:4}))" 'BEGIN { printf "%.9f\n", w + f / 65536 }'
}

# near A B TOL: |A - B| <= TOL (decimal numbers).
near() {
    awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

# status_block PID LOG: ask cntpd for its status (SIGUSR1) and print that
# whole report: the `system:` line, every `assoc N` line, `counters:`.
status_block() {
    local pid=$1 log=$2 before
    before=$(grep -c 'counters:' "$log")
    kill -USR1 "$pid"
    # (A function, so the count is taken again at every try.)
    wait_until 5 _log_count_above "$log" 'counters:' "$before" || return 1
    awk -v n="$before" '/ system: /{ if (seen == n) on = 1 } on { print }
        / counters: /{ seen++; if (on) exit }' "$log"
}

# cntpd_synchronised: cntpd's status report (SIGUSR1) says synchronised.
cntpd_synchronised() {
    status_block "$CNTPD_PID" "$CNTPD_LOG" | grep -q 'system: synchronised'
}

# first_assoc: the AssocId of cntpd's first association, from its report.
first_assoc() {
    status_block "$CNTPD_PID" "$CNTPD_LOG" | sed -n 's/.* assoc \([0-9]*\) .*/\1/p' | head -n1
}

# sset ARGS...: snmpset with the write community "private" (the SNMP write
# tests' snmpd has it); prints the tool's output.
sset() { MIBS= snmpset -v2c -c private -t 3 -r 0 -On "$SNMP_AGENT" "$@" 2>&1; }

# reason OUTPUT: the error status snmpset reported, or "noError".
reason() {
    local r
    r=$(sed -n 's/^Reason: \([A-Za-z]*\).*/\1/p' <<<"$1" | head -n1)
    echo "${r:-noError}"
}

# bad_sets SNAPSHOT CASE...: each CASE "STATUS|WHAT|SNMPSET-ARGS" must be
# refused with exactly that RFC 3416 status and change nothing that the
# function SNAPSHOT prints (one pass/fail line each; a failure shows the
# tool's output).
bad_sets() {
    local snapshot=$1 c want what args out got after before
    shift
    before=$("$snapshot")
    for c in "$@"; do
        IFS='|' read -r want what args <<<"$c"
        # shellcheck disable=SC2086
        out=$(sset $args)
        got=$(reason "$out")
        after=$("$snapshot")
        if [ "$got" = "$want" ] && [ "$after" = "$before" ]; then
            pass "bad SET: $what -> $want"
        else
            fail "bad SET: $what -> want $want, got $got$([ "$after" = "$before" ] || echo ', CHANGED')"
            echo "$out" | sed 's/^/#   /'
            before=$after
        fi
    done
}

# consistent_walk PID LOG OID [TOOL-OPTIONS...]: walk OID (numeric OIDs,
# octet strings in hex) between two status reports of cntpd (status_block)
# that agree apart from the counters and the dispersions, which grow every
# second; so the walk, whose snapshot is at most 1 s old (hence the pause),
# shows the state of those reports. Up to 5 tries (samples arrive every
# poll). Sets WALK (the tool's output), WALK_RC, WALK_ERR (its stderr) and
# STATUS (the report before the walk); fails when no two reports agreed.
consistent_walk() {
    local pid=$1 log=$2 oid=$3 after try
    shift 3
    for try in 1 2 3 4 5; do
        STATUS=$(status_block "$pid" "$log")
        sleep 1.2
        WALK=$(snmp snmpwalk -On -Ox "$@" "$SNMP_AGENT" "$oid" 2>"$WORK/walk.err")
        WALK_RC=$?
        WALK_ERR=$(cat "$WORK/walk.err")
        after=$(status_block "$pid" "$log")
        [ "$(_status_state "$STATUS")" = "$(_status_state "$after")" ] && return 0
        echo "# cntpd's state changed during walk $try; again"
    done
    return 1
}

# _status_state REPORT: the part of a status report that changes only when
# a sample arrives or the selection runs.
_status_state() {
    sed -E 's/^.*(system:|assoc [0-9]+ )/\1/; s/ (sent|received|rejected) [0-9]+//g
            s/root dispersion [0-9.]+//; s/ dispersion [0-9.]+//' <<<"$1" | grep -v 'counters:'
}

# _log_count_above LOG PATTERN N: more than N lines of LOG match PATTERN.
_log_count_above() {
    [ "$(grep -c "$2" "$1")" -gt "$3" ]
}

# start_fake_ntp NAME SHIFT [OPTIONS...]: tests/integration/fake_ntp.py, an
# NTP server on 127.0.0.1 whose clock reads SHIFT seconds off this machine's
# (it only writes timestamps; it changes no clock). OPTIONS as the script's
# (--count N, --stratum N, --refid XXXX, ...). Sets FAKE_PID and FAKE_PORTS
# (the ports it listens on, one per association to configure).
start_fake_ntp() {
    local name=$1 shift_s=$2; shift 2
    local dir=$WORK/$name
    mkdir -p "$dir"
    python3 "$TOP/tests/integration/fake_ntp.py" --shift "$shift_s" \
        --ports-file "$dir/ports" "$@" >"$dir/fake.log" 2>&1 &
    FAKE_PID=$!
    PIDS+=("$FAKE_PID")
    wait_until 10 test -s "$dir/ports" || return 1
    FAKE_PORTS=$(cut -d' ' -f1 "$dir/ports")
}

# ---- Network namespaces (broadcast and other multi-host tests) -----------
#
# Namespaces are created by the test itself, named after it and its PID, and
# deleted at exit whatever happens (after the daemons in them are killed).
# Addresses exist only inside them; veth pairs are created directly inside
# the namespaces, so nothing is added to the host's own network stack.

NETNS=()

# netns_unavailable: print why network namespaces (with veth pairs) cannot
# be used here (and succeed), or nothing and fail when they can.
netns_unavailable() {
    local probe=cntpd-probe-$$
    if [ "$(id -u)" != 0 ]; then echo "not root"; return 0; fi
    if ! command -v ip >/dev/null; then echo "no ip(8) command"; return 0; fi
    if ! ip netns add "$probe" 2>"$WORK/netns-probe.err"; then
        echo "ip netns add failed: $(head -n1 "$WORK/netns-probe.err")"; return 0
    fi
    if ! ip netns exec "$probe" ip link set lo up 2>"$WORK/netns-probe.err"; then
        ip netns del "$probe" 2>/dev/null
        echo "ip netns exec failed: $(head -n1 "$WORK/netns-probe.err")"; return 0
    fi
    if ! ip -n "$probe" link add veth0 type veth peer name veth1 2>"$WORK/netns-probe.err"; then
        ip netns del "$probe" 2>/dev/null
        echo "no veth pairs: $(head -n1 "$WORK/netns-probe.err")"; return 0
    fi
    ip netns del "$probe" 2>/dev/null
    return 1
}

# skip_test REASON: report the whole test as skipped (no check counted) and
# exit 0.
skip_test() {
    echo "# SKIP: $TEST_NAME: $*"
    finish
    exit 0
}

# _netns_cleanup: the EXIT trap once a namespace exists: the daemons first
# (so nothing lives on in a deleted namespace), then the namespaces.
_netns_cleanup() {
    local ns
    cleanup
    for ns in "${NETNS[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
}

# netns_add VAR: create a namespace with a unique name (test, PID, count),
# loopback up; its name goes into VAR.
netns_add() {
    local ns=cntpd-${TEST_NAME#t_}-$$-${#NETNS[@]}
    ip netns add "$ns" || return 1
    NETNS+=("$ns")
    trap _netns_cleanup EXIT
    ip -n "$ns" link set lo up || return 1
    printf -v "$1" '%s' "$ns"
}

# netns_link NS1 ADDR1/LEN NS2 ADDR2/LEN: a veth pair between two
# namespaces (interface "vethN" at each end, N the number of links so far
# in NS1), with those addresses (and their broadcast addresses), up.
netns_link() {
    local ns1=$1 a1=$2 ns2=$3 a2=$4 n
    n=$(ip -n "$ns1" -o link show type veth | wc -l)
    local i1=veth$n i2
    i2=veth$(ip -n "$ns2" -o link show type veth | wc -l)
    ip -n "$ns1" link add "$i1" type veth peer name "$i2" netns "$ns2" || return 1
    ip -n "$ns1" addr add "$a1" brd + dev "$i1" || return 1
    ip -n "$ns2" addr add "$a2" brd + dev "$i2" || return 1
    ip -n "$ns1" link set "$i1" up && ip -n "$ns2" link set "$i2" up
}

# ns_ntp_answers NS HOST PORT: from inside NS, one NTP query gets a reply.
ns_ntp_answers() {
    ip netns exec "$1" "$TOOLS/ntp_query" -s "$2" -p "$3" -t 1 >/dev/null 2>&1
}

# start_chronyd_ns NS NAME PORT [EXTRA CONFIG LINES...]: as start_chronyd,
# but inside namespace NS (on its 127.0.0.1). Sets CHRONYD_PID.
start_chronyd_ns() {
    local ns=$1 name=$2 port=$3; shift 3
    local dir=$WORK/$name
    mkdir -p "$dir"
    {
        echo "port $port"
        echo "bindaddress 127.0.0.1"
        echo "local stratum 1"
        echo "allow 127.0.0.0/8"
        echo "cmdport 0"
        echo "pidfile $dir/chronyd.pid"
        printf '%s\n' "$@"
    } >"$dir/chrony.conf"
    ip netns exec "$ns" "${NOCAP[@]}" chronyd -x -d -u root -f "$dir/chrony.conf" \
        >"$dir/chronyd.log" 2>&1 &
    CHRONYD_PID=$!
    PIDS+=("$CHRONYD_PID")
    wait_until 10 ns_ntp_answers "$ns" 127.0.0.1 "$port"
}

# start_cntpd_ns NS NAME CONFIG-TEXT [OPTIONS...]: as start_cntpd, but
# inside namespace NS (`ip netns exec` execs, so the PID is cntpd's). Sets
# CNTPD_PID and CNTPD_LOG.
start_cntpd_ns() {
    local ns=$1 name=$2 conf=$3; shift 3
    local dir=$WORK/$name
    mkdir -p "$dir"
    printf '%s\n' "$conf" >"$dir/cntpd.conf"
    CNTPD_LOG=$dir/cntpd.log
    ip netns exec "$ns" "${NOCAP[@]}" "$CNTPD" -n -d -c "$dir/cntpd.conf" "$@" \
        >"$CNTPD_LOG" 2>&1 &
    CNTPD_PID=$!
    PIDS+=("$CNTPD_PID")
    wait_until 10 grep -q "event loop:" "$CNTPD_LOG"
}
