# shellcheck shell=bash
# Shared helpers for the scripts in scripts/ that start daemons (sourced,
# bash): bench-server.sh, bench-snmp.sh, demo.sh; soak-flap.sh takes only
# the usage and option helpers (it runs on tests/integration/lib.sh).
#
# This file owns:
#   - usage and options: the usage text from the script's header comment,
#     die, positive-integer options, "command exists" checks;
#   - processes: the NOCAP prefix (no CAP_SYS_TIME) every time daemon runs
#     through, the PIDs started (stopped on exit by PID, and only those),
#     temporary directories (removed on exit), the exit/signal traps;
#   - loopback helpers: free UDP ports on 127.0.0.1, wait_until;
#   - daemons: chronyd as a stratum-1 server, a private snmpd as AgentX
#     master, the net-snmp tool options, cntpd's SIGUSR1 status report.
#
# Sourcing it defines variables and functions only: no traps, no files, no
# directory change. A script calls on_exit to install the traps.
#
# tests/integration/lib.sh has the tests' own versions of some of these;
# soak-flap.sh sources it after this file, and the names both define
# (free_port, wait_until, NOCAP, PIDS, stop_pid, snmp) mean the same there.

# shellcheck disable=SC2034   # these are for the scripts that source this file
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)   # the repository
PROG=$(basename "$0" .sh)   # prefix of die's message; a script may change it
DIE_STATUS=2                # die's exit status

# ---- usage and options ------------------------------------------------------

die() {
    echo "$PROG: $*" >&2
    exit "$DIE_STATUS"
}

# usage: the script's header comment, from line 2 to the `set -u` line.
usage() {
    sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"
}

# bad_usage: usage on stderr, exit 2.
bad_usage() {
    usage >&2
    exit 2
}

# synopsis: the first "#   " line of the header (the command line).
synopsis() {
    sed -n 's/^#   //p' "$0" | head -n 1
}

# posint V: V is a positive decimal integer (no sign, no leading zero).
posint() {
    [[ $1 =~ ^[1-9][0-9]*$ ]]
}

# need_posint V...: die unless every V is a positive integer.
need_posint() {
    local v
    for v; do
        posint "$v" || die "'$v' is not a positive integer"
    done
}

# need SUFFIX CMD...: die "CMD not foundSUFFIX" for the first CMD that is
# not on PATH, e.g. need " (util-linux)" setpriv.
need() {
    local suffix=$1 cmd
    shift
    for cmd; do
        command -v "$cmd" >/dev/null || die "$cmd not found$suffix"
    done
}

# ---- processes and temporary directories -----------------------------------

# Only ever run a time daemon through this prefix: no CAP_SYS_TIME in its
# bounding set, so even a bug (or a forgotten -x) cannot step or slew this
# machine's clock, nor can anything it starts. `"${NOCAP[@]}" daemon &` is
# a plain command: bash forks and execs setpriv, setpriv execs the daemon,
# and $! is the daemon itself.
NOCAP=(setpriv --bounding-set=-sys_time --inh-caps=-sys_time)

PIDS=()      # the processes started here: stopped on exit, by PID
TMPDIRS=()   # the temporary directories made here: removed on exit

# spawn LOG CMD...: CMD in the background, stdout and stderr to LOG; its
# PID goes into PIDS, and is in $! afterwards as after a plain `CMD &`.
spawn() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 &
    PIDS+=("$!")
}

# spawn_nocap LOG CMD...: spawn, without CAP_SYS_TIME (NOCAP).
spawn_nocap() {
    local log=$1
    shift
    spawn "$log" "${NOCAP[@]}" "$@"
}

# stop_pid PID: SIGTERM, wait, and forget the PID (the kernel may give it to
# another process, which stop_started must never signal); returns the
# process's exit status.
stop_pid() {
    local pid=$1 rc p keep=()
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    for p in "${PIDS[@]}"; do
        [ "$p" = "$pid" ] || keep+=("$p")
    done
    PIDS=("${keep[@]}")
    return "$rc"
}

# stop_started: SIGTERM to every process in PIDS, 3 s each to exit, then
# SIGKILL; reap them; remove the temporary directories.
stop_started() {
    local pid _
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    PIDS=()
    [ ${#TMPDIRS[@]} -eq 0 ] || rm -rf "${TMPDIRS[@]}"
    TMPDIRS=()
}

# on_exit INT_STATUS TERM_STATUS [FUNC]: at exit run FUNC (default
# stop_started; a script's own FUNC calls stop_started), once, with SIGINT
# and SIGTERM ignored meanwhile; SIGINT and SIGTERM exit with these statuses.
on_exit() {
    _exit_func=${3:-stop_started}
    trap _at_exit EXIT
    # shellcheck disable=SC2064   # the statuses are fixed now
    trap "exit $1" INT
    # shellcheck disable=SC2064
    trap "exit $2" TERM
}
_at_exit() {
    trap - EXIT
    trap '' INT TERM
    "$_exit_func"
}

# ---- loopback helpers ----------------------------------------------------------

# free_ports N: N distinct free UDP ports on 127.0.0.1 (above 1024, below
# 60000), on one line. The sockets are held until all are found, so no
# two are the same; a port could in principle be taken again before the
# daemon binds it (the scripts' readiness checks catch that).
free_ports() {
    python3 - "${1:-1}" <<'PY'
import socket, sys
held, ports = [], []
while len(ports) < int(sys.argv[1]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    held.append(s)
    if 1024 < p < 60000:
        ports.append(p)
print(*ports)
PY
}

# free_port: one free UDP port on 127.0.0.1.
free_port() {
    free_ports 1
}

# wait_until SECONDS CMD...: run CMD every 0.2 s until it succeeds, for at
# most SECONDS; the status of the last try.
wait_until() {
    local end=$((SECONDS + $1))
    shift
    while [ $SECONDS -lt $end ]; do
        "$@" && return 0
        sleep 0.2
    done
    "$@"
}

# ---- daemons ---------------------------------------------------------------------

# spawn_chronyd DIR PORT: chronyd as an NTP server, local stratum 1, on
# 127.0.0.1:PORT, answering 127.0.0.0/8 only, with no command port and no
# socket under /run/chrony (which a system chronyd owns); -x and NOCAP, so
# it cannot touch the clock. DIR/chrony.conf, DIR/chronyd.log,
# DIR/chronyd.pid. Its PID in $! (and PIDS).
spawn_chronyd() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    cat >"$dir/chrony.conf" <<EOF
port $port
bindaddress 127.0.0.1
local stratum 1
allow 127.0.0.0/8
cmdport 0
bindcmdaddress /
pidfile $dir/chronyd.pid
EOF
    spawn_nocap "$dir/chronyd.log" chronyd -x -d -u root -f "$dir/chrony.conf"
}

# spawn_snmpd DIR SOCKET ADDR [SNMPD-OPTIONS...]: net-snmp's snmpd in the
# foreground as a private AgentX master: SNMPv2c community "public" from
# 127.0.0.1 only, on udp:ADDR (127.0.0.1:PORT), its AgentX socket SOCKET;
# no system configuration (-C), no MIB files (MIBS=). DIR/snmpd.conf,
# DIR/snmpd.log, DIR/snmpd.pid, DIR/snmp-persist. Its PID in $! (and PIDS).
spawn_snmpd() {
    local dir=$1 sock=$2 addr=$3
    shift 3
    mkdir -p "$dir/snmp-persist"
    cat >"$dir/snmpd.conf" <<EOF
# private snmpd, AgentX master for cntpd (written by scripts/$(basename "$0"))
master agentx
agentXSocket $sock
agentXPerms 0660 0770
rocommunity public 127.0.0.1
dontLogTCPWrappersConnects yes
EOF
    MIBS='' SNMP_PERSISTENT_DIR=$dir/snmp-persist snmpd -f -Lf "$dir/snmpd.log" -C \
        -c "$dir/snmpd.conf" "$@" -p "$dir/snmpd.pid" "udp:$addr" &
    PIDS+=("$!")
}

# snmp TOOL ARGS...: a net-snmp tool (snmpget, snmpwalk, ...) as SNMPv2c,
# community public, $snmp_timeout s timeout, 1 retry, no MIB files unless
# ARGS load some. ARGS include the agent's address.
snmp_timeout=2   # a script may change it
snmp() {
    local tool=$1
    shift
    MIBS='' "$tool" -v2c -c public -t "$snmp_timeout" -r 1 "$@"
}

# snmpd_answers_at ADDR: snmpd at ADDR answers (sysDescr.0).
snmpd_answers_at() {
    snmp snmpget -On "$1" 1.3.6.1.2.1.1.1.0 >/dev/null 2>&1
}

# cntp_answers_at ADDR: cntpd's CISCO-NTP-MIB subtree answers through the
# snmpd at ADDR (cntpSysStratum.0).
cntp_answers_at() {
    snmp snmpget -On "$1" 1.3.6.1.4.1.9.9.168.1.1.2.0 2>/dev/null | grep -q INTEGER
}

# cntpd_report PID LOG SECONDS: ask cntpd for its status (SIGUSR1), wait at
# most SECONDS for the report in LOG, and print the last whole report in
# LOG (the `system:` line to `counters:`); fails if none came in time
# (the previous report, if any, is printed then).
cntpd_report() {
    local pid=$1 log=$2 before rc
    before=$(grep -c 'counters:' "$log")
    kill -USR1 "$pid"
    wait_until "$3" _more_reports "$log" "$before"
    rc=$?
    awk '/ system: /{ blk = "" } { blk = blk $0 "\n" } / counters: /{ last = blk }
         END { printf "%s", last }' "$log"
    return "$rc"
}
_more_reports() {   # LOG N: more than N reports in LOG
    [ "$(grep -c 'counters:' "$1")" -gt "$2" ]
}
