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
    CNTPD_LOG=$dir/cntpd.log
    "${NOCAP[@]}" ${CNTPD_WRAPPER:-} "$CNTPD" -n -d -c "$dir/cntpd.conf" "$@" >"$CNTPD_LOG" 2>&1 &
    CNTPD_PID=$!
    PIDS+=("$CNTPD_PID")
    wait_until 10 grep -q "event loop:" "$CNTPD_LOG"
}

# stop_pid PID: SIGTERM and wait; returns the process's exit status.
stop_pid() {
    local pid=$1
    kill "$pid" 2>/dev/null
    wait "$pid"
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
    wait_until 5 test "$(grep -c 'counters:' "$log")" -gt "$before" || return 1
    grep -E "$pattern" "$log" | tail -n 1
}

# field LINE NAME: the word after NAME in LINE.
field() {
    sed -n "s/.* $2 \([^ ]*\).*/\1/p" <<<"$1"
}
