#!/usr/bin/env bash
# The main job: build cntpd and run it the way a network team would see it,
# offline and without ever touching this machine's clock.
#
#   scripts/demo.sh            (or: make demo)
#
# Starts, in a run directory (default ./run, or $CNTPD_RUN):
#   - snmpd (net-snmp) as a private AgentX master: SNMPv2c community
#     "public" on a free 127.0.0.1 UDP port, its AgentX socket in the run
#     directory, no system configuration read;
#   - chronyd as a stratum-1 upstream on a free loopback port (-x, and no
#     CAP_SYS_TIME: it cannot change the clock);
#   - cntpd in the foreground without CAP_SYS_TIME (monitor-only: it
#     measures, selects and serves, never adjusts the clock), polling that
#     upstream, serving NTP on another free loopback port and publishing
#     CISCO-NTP-MIB through snmpd.
# Then every 30 s it prints what an operator sees: the system group
# (snmpget), cntpPeersVarTable (snmptable) and the peers' offset, delay and
# dispersion decoded from their octets as an NMS does, plus cntpd's own
# status line, with MIB names from mibs/ when CISCO-NTP-MIB loads (numeric
# OIDs otherwise), and the commands to query it further. Ctrl-C stops
# everything it started, by PID.
#
# CNTPD=path runs that binary instead of building build/cntpd;
# DEMO_CYCLES=N stops after N reports (default: run until Ctrl-C);
# DEMO_INTERVAL=S changes the 30 s.
set -uo pipefail
# die, need, NOCAP, PIDS, on_exit, free_ports, spawn_snmpd, spawn_chronyd ...
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh" || exit 1
DIE_STATUS=1
cd "$top" || exit 1

need ": run scripts/setup.sh first" chronyd snmpd snmpget snmptable snmpwalk setpriv python3
# CNTPD=path runs that binary instead of building build/cntpd.
cntpd_bin=${CNTPD:-}
if [ -z "$cntpd_bin" ]; then
    make -s build/cntpd tools >/dev/null || die "build failed"
    cntpd_bin=$top/build/cntpd
else
    make -s tools >/dev/null || die "building the tools failed"
fi

run=${CNTPD_RUN:-$top/run}
mkdir -p "$run"
run=$(cd "$run" && pwd)
interval=${DEMO_INTERVAL:-30}
cycles=${DEMO_CYCLES:-0}

# At exit (Ctrl-C: status 0): stop the nap, the daemons (lib.sh's PIDS)
# and remove the socket's directory if one was made.
demo_cleanup() {
    [ -n "${nap_pid:-}" ] && kill "$nap_pid" 2>/dev/null
    stop_started
    echo "demo: stopped (logs in $run)"
}
on_exit 0 0 demo_cleanup

# A UNIX socket path must fit in 108 bytes; fall back to /tmp if not.
sock=$run/agentx.sock
if [ ${#sock} -ge 100 ]; then
    sockdir=$(mktemp -d -t cntpd-demo.XXXXXX) || die "mktemp failed"
    TMPDIRS+=("$sockdir")
    sock=$sockdir/agentx.sock
fi

read -r up port sport < <(free_ports 3)
agent=127.0.0.1:$sport

# Every time daemon (chronyd, cntpd) runs through lib.sh's NOCAP: no
# CAP_SYS_TIME in its bounding set, so neither it nor anything it starts
# can set or slew the clock.

# ---- snmpd: a private AgentX master -------------------------------------------
spawn_snmpd "$run" "$sock" "$agent"

# ---- chronyd: the upstream ---------------------------------------------------
spawn_chronyd "$run" "$up"

# ---- cntpd ---------------------------------------------------------------------
cat >"$run/cntpd.conf" <<EOF
# cntpd demo configuration (written by scripts/demo.sh): works offline.
port $port
interface listen 127.0.0.1
interface listen ::1
server 127.0.0.1 port $up iburst minpoll 4 maxpoll 6
driftfile $run/cntpd.drift
agentx socket $sock
EOF
wait_until 10 snmpd_answers_at "$agent" || die "snmpd did not start; see $run/snmpd.log"
spawn_nocap "$run/cntpd.log" "$cntpd_bin" -n -c "$run/cntpd.conf"
cntpd_pid=$!
sleep 1
kill -0 "$cntpd_pid" 2>/dev/null ||
    { echo "demo: cntpd exited; its log:" >&2; cat "$run/cntpd.log" >&2; exit 1; }

# Names from mibs/ when the module loads, numeric OIDs otherwise.
if MIBS= snmptranslate -M "+$top/mibs" -m CISCO-NTP-MIB -On CISCO-NTP-MIB::cntpSystem \
        >/dev/null 2>&1; then
    mib=(-M "+$top/mibs" -m CISCO-NTP-MIB)
    sysobj=(cntpSysLeap cntpSysStratum cntpSysPrecision cntpSysRootDelay cntpSysRootDispersion
            cntpSysRefId cntpSysRefTime cntpSysPoll cntpSysPeer cntpSysClock cntpSysSrvStatus)
    sysoids=("${sysobj[@]/#/CISCO-NTP-MIB::}")
    sysoids=("${sysoids[@]/%/.0}")
    names=1
else
    mib=()
    sysoids=()
    for i in $(seq 1 11); do sysoids+=("1.3.6.1.4.1.9.9.168.1.1.$i.0"); done
    names=0
fi
cols=$(tput cols 2>/dev/null || echo 120)
[ "$cols" -ge 80 ] 2>/dev/null || cols=120

echo "demo: snmpd (AgentX master) on udp:$agent, AgentX socket $sock"
echo "demo: chronyd upstream on 127.0.0.1:$up; cntpd (pid $cntpd_pid) serving NTP on 127.0.0.1:$port"
wait_until 20 cntp_answers_at "$agent" ||
    echo "demo: the CISCO-NTP-MIB subtree does not answer yet (see $run/cntpd.log)"
mibopt=""
[ "$names" = 1 ] && mibopt=" -M +$top/mibs -m CISCO-NTP-MIB"
cat <<EOF
demo: query it yourself (Ctrl-C stops the demo):
  snmpwalk -v2c -c public$mibopt $agent 1.3.6.1.4.1.9.9.168
  snmptable -v2c -c public$mibopt -Cw $cols $agent CISCO-NTP-MIB::cntpPeersVarTable
  snmpget -v2c -c public$mibopt $agent ${sysoids[1]}
  build/tools/ntp_query -s 127.0.0.1 -p $port
  kill -USR1 $cntpd_pid     # status lines in $run/cntpd.log
EOF
[ "$names" = 1 ] ||
    echo "demo: (mibs/CISCO-NTP-MIB.my does not load here: numeric OIDs, and snmptable needs it)"

# signed16.16 / unsigned16.16 octets (hex) -> seconds, as LibreNMS decodes them.
decode() {
    local kind=$1 h=$2 w f
    [ ${#h} -eq 8 ] || { echo "?"; return; }
    w=$((16#${h:0:4})) f=$((16#${h:4:4}))
    [ "$kind" = signed ] && [ "$w" -ge 32768 ] && w=$((w - 65536))
    awk -v w="$w" -v f="$f" 'BEGIN { printf "%+.6f", w + f / 65536 }'
}

# The peers' quality columns, decoded: one line per association.
peer_summary() {
    local walk a addr port stratum reach off del disp
    walk=$(snmp snmpwalk -On -Ox "$agent" 1.3.6.1.4.1.9.9.168.1.2.1.1 2>/dev/null) || return
    val() { sed -n "s/^\.1\.3\.6\.1\.4\.1\.9\.9\.168\.1\.2\.1\.1\.$1\.$2 = [A-Za-z0-9-]*: //p" <<<"$walk" | tr -d ' '; }
    printf '  %-6s %-21s %-7s %-6s %-11s %-10s %-10s\n' assoc peer stratum reach offset/s delay/s disp/s
    for a in $(sed -n 's/^\.1\.3\.6\.1\.4\.1\.9\.9\.168\.1\.2\.1\.1\.2\.\([0-9]*\) = .*/\1/p' <<<"$walk"); do
        addr=$(val 3 "$a") port=$(val 4 "$a") stratum=$(val 9 "$a") reach=$(val 21 "$a")
        off=$(decode signed "$(val 23 "$a")") del=$(decode signed "$(val 24 "$a")")
        disp=$(decode unsigned "$(val 25 "$a")")
        printf '  %-6s %-21s %-7s %-6s %-11s %-10s %-10s\n' "$a" "$addr:$port" "$stratum" \
            "$(printf '%03o' "$reach" 2>/dev/null)" "$off" "$del" "$disp"
    done
}

# Sleep in the background and wait for it, so a signal to this script
# alone (kill -INT) is handled at once, not after the sleep.
# Once the sleep is over and reaped its PID is forgotten: it may be reused.
nap() { sleep "$1" & nap_pid=$!; wait "$nap_pid"; nap_pid=; }
nap 8   # iburst: the first samples arrive within a few seconds
n=0
while :; do
    n=$((n + 1))
    echo
    echo "=============== $(date '+%Y-%m-%d %H:%M:%S')  report $n (every ${interval} s) ==============="
    if ! kill -0 "$cntpd_pid" 2>/dev/null; then
        echo "demo: cntpd has exited; its log:"
        tail -n 20 "$run/cntpd.log"
        exit 1
    fi
    echo "--- cntpd's own status (SIGUSR1):"
    cntpd_report "$cntpd_pid" "$run/cntpd.log" 3 | grep -v counters: | sed 's/^[^ ]* [a-z]*: /  /'
    echo "--- snmpget of the system group (cntpSystem):"
    snmp snmpget "${mib[@]}" "$agent" "${sysoids[@]}" 2>&1 | sed 's/^/  /'
    echo "--- snmptable of cntpPeersVarTable:"
    if [ "$names" = 1 ]; then
        snmp snmptable "${mib[@]}" -Ci -Cw "$cols" "$agent" CISCO-NTP-MIB::cntpPeersVarTable 2>&1 |
            sed 's/^/  /'
    else
        snmp snmpwalk -On "$agent" 1.3.6.1.4.1.9.9.168.1.2.1 2>&1 | sed 's/^/  /'
    fi
    echo "--- the same peers as an NMS decodes them (16.16 octets -> seconds):"
    peer_summary
    echo "--- what an NTP client sees: $(build/tools/ntp_query -s 127.0.0.1 -p "$port" 2>&1 || true)"
    [ "$cycles" -gt 0 ] && [ "$n" -ge "$cycles" ] && exit 0
    nap "$interval"
done
