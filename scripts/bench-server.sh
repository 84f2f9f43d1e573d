#!/usr/bin/env bash
# Compare cntpd's NTP server throughput with chronyd's, on loopback.
#
#   scripts/bench-server.sh [-d SECONDS] [-c SOCKETS] [-w WINDOW]
#
# Builds cntpd and the test tools, starts chronyd (local stratum 1, no rate
# limiting) and cntpd as servers on two free loopback UDP ports, drives each
# in turn with build/tools/ntp_loadgen using the same duration (default 5 s),
# socket count (-c, default 64) and window (-w, default 4), and prints
# answers/second for both and the ratio cntpd/chronyd.
#
# Neither daemon may touch this machine's clock: both run without
# CAP_SYS_TIME in their bounding set, and chronyd also with -x. Only
# 127.0.0.0/8 is used. Everything started here is stopped on exit, by PID.
#
# CNTPD=path benchmarks that binary instead of building build/cntpd.
#
# Exit status: 0 both measured; 1 cntpd could not be built, started or
# measured (chronyd's figures are still printed); 2 usage error, or the
# tools or chronyd failed.
#
# The loadgen and the server under test share the machine's CPUs, so
# absolute rates depend on the host; the ratio is the useful number. On a
# 2-CPU machine the loadgen uses one CPU by itself; the server under test is
# still the limit as long as its socket queue stays full (recvmmsg returns
# full batches, `lost` requests are RcvbufErrors in /proc/net/snmp), which
# was the case for both servers in the README's runs.
set -u -o pipefail

duration=5
sockets=64
window=4
cntpd_bin=${CNTPD:-}   # another cntpd binary (e.g. build/asan/cntpd): not built here

# usage, die, need, NOCAP, PIDS, on_exit, free_ports, spawn_chronyd ...
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh" || exit 2
PROG=bench

while getopts "d:c:w:h" opt; do
    case $opt in
    d) duration=$OPTARG ;;
    c) sockets=$OPTARG ;;
    w) window=$OPTARG ;;
    h) usage; exit 0 ;;
    *) bad_usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || bad_usage
need_posint "$duration" "$sockets" "$window"

cd "$top" || exit 2

# Both daemons run through lib.sh's NOCAP (no CAP_SYS_TIME); chronyd also -x.
need " (scripts/setup.sh installs chrony)" chronyd
need " (util-linux)" setpriv
need " (used to pick free ports)" python3

on_exit 130 143   # at exit: stop the PIDS started here, remove $tmp
tmp=$(mktemp -d -t cntpd-bench.XXXXXX) || die "mktemp failed"
TMPDIRS+=("$tmp")

# ---- build -----------------------------------------------------------------
# Equivalent to `make build/cntpd tools`, in two steps so that a cntpd that
# does not build yet still leaves the chronyd half of the benchmark usable.
make --no-print-directory tools || die "building the test tools failed"
loadgen=build/tools/ntp_loadgen
[ -x "$loadgen" ] || die "$loadgen missing after make"

cntpd_status=""
if [ -n "$cntpd_bin" ]; then
    [ -x "$cntpd_bin" ] || die "CNTPD=$cntpd_bin is not executable"
elif make --no-print-directory build/cntpd; then
    cntpd_bin=build/cntpd
else
    cntpd_status="build failed"
    echo "bench: building cntpd failed; measuring chronyd only" >&2
fi

# ---- helpers -----------------------------------------------------------------
# Two distinct free UDP ports on 127.0.0.1. (A port could in principle be
# taken again before the daemon binds it; the readiness check catches it.)
read -r chronyd_port cntpd_port < <(free_ports 2) || die "could not find free ports"

show_log() {
    if [ -s "$1" ]; then
        sed 's/^/    /' "$1" >&2
    else
        echo "    (no output)" >&2
    fi
}

# wait_ready NAME PID PORT LOG: wait until the server answers a short loadgen
# probe (each try lasts 1 s); fail early if the process has died. Returns 0
# when it answers, else 1 with `why` saying what went wrong.
why=""
wait_ready() {
    local name=$1 pid=$2 port=$3 log=$4 try
    for try in $(seq 10); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            why="exited at start-up, status $?"
            echo "bench: $name $why; its output:" >&2
            show_log "$log"
            return 1
        fi
        if "$loadgen" -p "$port" -d 1 -c 1 -w 1 >/dev/null 2>&1; then
            return 0
        fi
    done
    why="no answer on 127.0.0.1:$port"
    echo "bench: $name (pid $pid) gave no answer on 127.0.0.1:$port in ~10 s; its output:" >&2
    show_log "$log"
    return 1
}

# run_load NAME PID PORT LOG: one measured run; prints the loadgen line and
# sets `result`. Fails if the server died under load or answered nothing.
result=""
run_load() {
    local name=$1 pid=$2 port=$3 log=$4 rc
    result=$("$loadgen" -p "$port" -d "$duration" -c "$sockets" -w "$window")
    rc=$?
    echo "  $name: $result"
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "bench: $name died under load; its output:" >&2
        show_log "$log"
        return 1
    fi
    case $rc in
    0) ;;
    1) echo "bench: $name answered nothing under load" >&2; return 1 ;;
    *) echo "bench: ntp_loadgen failed (status $rc)" >&2; return 1 ;;
    esac
}

field() {   # field KEY LINE -> value of KEY=... in a loadgen line
    sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}

echo "bench: $duration s per server, $sockets sockets x $window requests in flight"

# ---- chronyd -----------------------------------------------------------------
# No driftfile and no ratelimit: chronyd answers every request it can.
spawn_chronyd "$tmp" "$chronyd_port"
chronyd_pid=$!   # setpriv execs chronyd, so this is chronyd's own PID
wait_ready chronyd "$chronyd_pid" "$chronyd_port" "$tmp/chronyd.log" ||
    die "chronyd did not come up"

# Cross-check with an independent client that this really is an NTP server
# giving sane time: chronyd -Q only prints an offset for a usable source.
probe=$("${NOCAP[@]}" chronyd -Q -t 5 \
        "server 127.0.0.1 port $chronyd_port iburst minpoll -6 maxpoll -6" \
        "pidfile $tmp/probe.pid" "cmdport 0" "bindcmdaddress /" 2>&1 |
        sed -n 's/.*System clock wrong by \(.*\) seconds.*/\1/p')
[ -n "$probe" ] || die "chronyd -Q got no usable answer from the chronyd server"
echo "bench: chronyd server up on port $chronyd_port (offset seen by chronyd -Q: $probe s)"

run_load chronyd "$chronyd_pid" "$chronyd_port" "$tmp/chronyd.log" ||
    die "chronyd benchmark failed"
chronyd_line=$result

# ---- cntpd -------------------------------------------------------------------
cntpd_line=""
if [ -z "$cntpd_status" ]; then
    printf 'port %s\ninterface listen 127.0.0.1\n' "$cntpd_port" >"$tmp/cntpd.conf"
    spawn_nocap "$tmp/cntpd.log" "$cntpd_bin" -n -x -c "$tmp/cntpd.conf"
    cntpd_pid=$!
    if ! wait_ready cntpd "$cntpd_pid" "$cntpd_port" "$tmp/cntpd.log"; then
        cntpd_status=$why
    else
        echo "bench: cntpd server up on port $cntpd_port"
        if run_load cntpd "$cntpd_pid" "$cntpd_port" "$tmp/cntpd.log"; then
            cntpd_line=$result
        else
            cntpd_status="failed under load"
        fi
    fi
fi

# ---- report ------------------------------------------------------------------
echo
printf '%-8s %12s %10s %8s %8s\n' server answers/s answered lost invalid
for name in cntpd chronyd; do
    line=$([ $name = cntpd ] && echo "$cntpd_line" || echo "$chronyd_line")
    if [ -n "$line" ]; then
        printf '%-8s %12s %10s %8s %8s\n' $name "$(field rate "$line")" \
            "$(field answered "$line")" "$(field lost "$line")" "$(field invalid "$line")"
    else
        printf '%-8s %12s\n' $name "n/a ($cntpd_status)"
    fi
done
if [ -n "$cntpd_line" ]; then
    awk -v a="$(field rate "$cntpd_line")" -v b="$(field rate "$chronyd_line")" \
        'BEGIN { printf "ratio cntpd/chronyd: %.2f\n", (b > 0 ? a / b : 0) }'
    exit 0
fi
echo "ratio cntpd/chronyd: n/a"
exit 1
