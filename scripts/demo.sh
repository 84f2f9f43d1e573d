#!/usr/bin/env bash
# The main job: build cntpd and run it against a local upstream, offline,
# without ever touching this machine's clock.
#
# Starts, in a run directory (default ./run, or $CNTPD_RUN):
#   - chronyd as a stratum-1 upstream on a free loopback port (-x, no
#     CAP_SYS_TIME: it never changes the clock);
#   - cntpd in the foreground, monitor-only (no CAP_SYS_TIME), polling that
#     upstream and serving on another free loopback port;
# then prints what cntpd reports (its status lines) and what a client sees
# (ntp_query, check_ntp_time) every 30 s. Ctrl-C stops everything it started.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s build/cntpd tools >/dev/null

run=${CNTPD_RUN:-$top/run}
mkdir -p "$run"
nocap=(setpriv --bounding-set=-sys_time --inh-caps=-sys_time)
pids=()
cleanup() {
    trap - EXIT INT TERM
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "demo: stopped (logs in $run)"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
up=$(free_port)
port=$(free_port)

cat >"$run/chrony.conf" <<EOC
port $up
bindaddress 127.0.0.1
local stratum 1
allow 127.0.0.0/8
cmdport 0
pidfile $run/chronyd.pid
EOC
"${nocap[@]}" chronyd -x -d -u root -f "$run/chrony.conf" >"$run/chronyd.log" 2>&1 &
pids+=($!)

cat >"$run/cntpd.conf" <<EOC
# cntpd demo configuration (written by scripts/demo.sh)
port $port
server 127.0.0.1 port $up iburst minpoll 4 maxpoll 6
driftfile $run/cntpd.drift
agentx off
EOC
"${nocap[@]}" build/cntpd -n -c "$run/cntpd.conf" 2>&1 | tee "$run/cntpd.log" &
pids+=($!)
sleep 1
cntpd_pid=$(pgrep -n -f "build/cntpd -n -c $run/cntpd.conf" || true)
[ -n "$cntpd_pid" ] && pids+=("$cntpd_pid")

echo "demo: chronyd upstream on 127.0.0.1:$up, cntpd serving on 127.0.0.1:$port"
echo "demo: query it yourself: build/tools/ntp_query -s 127.0.0.1 -p $port"
echo "demo: or: /usr/lib/nagios/plugins/check_ntp_time -H 127.0.0.1 -p $port"
echo "demo: status on demand: kill -USR1 $cntpd_pid   (Ctrl-C stops the demo)"
sleep 10
while true; do
    [ -n "$cntpd_pid" ] && kill -USR1 "$cntpd_pid"
    sleep 0.5
    echo "--- client view: $(build/tools/ntp_query -s 127.0.0.1 -p "$port" || echo 'no answer')"
    /usr/lib/nagios/plugins/check_ntp_time -H 127.0.0.1 -p "$port" || true
    sleep 30
done
