#!/usr/bin/env bash
# Compare how fast snmpd serves CISCO-NTP-MIB from cntpd (over AgentX) with
# how fast it serves its own objects, on loopback, in one run.
#
#   scripts/bench-snmp.sh [-n "8 64 512"] [-r REPETITIONS] [-t SECONDS] [-G]
#
# Starts a private snmpd (AgentX master, UDP on a free 127.0.0.1 port, its
# AgentX socket in a temporary directory) and one fake NTP server process
# (tests/integration/fake_ntp.py) with as many loopback ports as the
# largest association count. Then for each count N (-n, default 8 64 512):
# starts cntpd with N associations (`server 127.0.0.1 port P iburst minpoll
# 3 maxpoll 3`, one per port), waits until every association has 8 filter
# stages, and measures
#   - cntpd: snmpbulkwalk of 1.3.6.1.4.1.9.9.168 (11 + 30 N + 24 N varbinds),
#   - native: snmpbulkwalk of 1.3.6.1.2.1 (snmpd's own MIB-2: interfaces,
#     IP, TCP/UDP, host resources ...),
# each walked repeatedly for at least -t seconds (default 3) with the same
# max-repetitions (-r, default 10, net-snmp's default), and prints varbinds
# per second for both, the ratio cntpd/native, and cntpd's resident memory
# (VmRSS) after the walks. Target: ratio >= 0.5 and VmRSS < 16 MB at 512.
#
# References, measured in the same run for each N (a second table):
#   - null: tests/tools/agentx_null, the cheapest AgentX subagent possible
#     (a fixed table of 54 x N objects answered from memory, one read and
#     one write per AgentX request), walked through the same snmpd: the
#     best rate any AgentX subagent gets from snmpd's master agent;
#   - snmpd -X: a second snmpd running as an AgentX subagent (all its MIB
#     modules) behind a second, otherwise empty snmpd master (same binary,
#     modules limited with -I so that it serves no MIB-2 itself); walking
#     1.3.6.1.2.1 through it is net-snmp's own subagent code at work;
#   - GETNEXT: cntpd and native walked with snmpwalk (one request per
#     varbind) instead of snmpbulkwalk (-G skips these walks).
# Each reference is printed with its ratio to the native GETBULK rate of
# the same N (GETNEXT: to the native GETNEXT rate).
#
# cntpd runs without CAP_SYS_TIME (it never adjusts the clock: monitor
# only); the fake server only writes timestamps into packets. Only
# 127.0.0.1 is used. Everything started here is stopped on exit, by PID.
#
# CNTPD=path benchmarks that binary instead of building build/cntpd.
# Exit status: 0 measured; 1 a measurement failed; 2 usage or set-up error.
set -u -o pipefail

sizes="8 64 512"
reps=10
seconds=3
cntpd_bin=${CNTPD:-}
getnext=1

# usage, die, need, NOCAP, PIDS, on_exit, free_port, spawn_snmpd, snmp ...
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh" || exit 2
PROG=bench
snmp_timeout=5   # long walks

while getopts "n:r:t:Gh" opt; do
    case $opt in
    G) getnext=0 ;;
    n) sizes=$OPTARG ;;
    r) reps=$OPTARG ;;
    t) seconds=$OPTARG ;;
    h) usage; exit 0 ;;
    *) bad_usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || bad_usage
# shellcheck disable=SC2086   # $sizes: one word per count
need_posint $sizes "$reps" "$seconds"

cd "$top" || exit 2
need " (scripts/setup.sh installs it)" snmpd snmpbulkwalk snmpwalk snmpget setpriv python3

if [ -z "$cntpd_bin" ]; then
    make --no-print-directory -s build/cntpd || die "building cntpd failed"
    cntpd_bin=$top/build/cntpd
fi
[ -x "$cntpd_bin" ] || die "$cntpd_bin is not executable"
make --no-print-directory -s build/tools/agentx_null || die "building agentx_null failed"
null_bin=$top/build/tools/agentx_null

on_exit 130 143   # at exit: stop the PIDS started here, remove $tmp
tmp=$(mktemp -d -t cntpd-bench-snmp.XXXXXX) || die "mktemp failed"
TMPDIRS+=("$tmp")

# ---- snmpd ---------------------------------------------------------------------
sport=$(free_port)
agent=127.0.0.1:$sport
spawn_snmpd "$tmp/snmpd" "$tmp/snmpd/agentx.sock" "$agent"
snmpd_pid=$!
wait_until 10 snmpd_answers_at "$agent" || die "snmpd did not answer on $agent"

# ---- reference: snmpd -X behind a master that serves no MIB-2 itself -------------
rport=$(free_port)
ragent=127.0.0.1:$rport
mkdir -p "$tmp/sub/persist"
spawn_snmpd "$tmp/ref" "$tmp/ref/agentx.sock" "$ragent" -I vacm_conf,vacm_vars,usmConf,snmpEngine
wait_until 10 test -S "$tmp/ref/agentx.sock" || die "the reference snmpd did not start"
printf 'agentXSocket %s\n' "$tmp/ref/agentx.sock" >"$tmp/sub/snmpd.conf"
MIBS='' SNMP_PERSISTENT_DIR=$tmp/sub/persist snmpd -f -X -Lf "$tmp/sub/snmpd.log" -C \
    -c "$tmp/sub/snmpd.conf" -p "$tmp/sub/snmpd.pid" &
PIDS+=("$!")
wait_until 15 eval 'snmp snmpget -On "$ragent" 1.3.6.1.2.1.2.1.0 2>/dev/null | grep -q INTEGER' ||
    die "the snmpd subagent did not answer through the reference snmpd"

# ---- fake NTP servers ------------------------------------------------------------
max=0
for n in $sizes; do [ "$n" -gt "$max" ] && max=$n; done
[ "$max" -le 900 ] || die "at most 900 associations (one descriptor each in the fake server)"
spawn "$tmp/fake.log" python3 tests/integration/fake_ntp.py --shift 0 --count "$max" \
    --ports-file "$tmp/ports"
wait_until 10 test -s "$tmp/ports" || die "the fake NTP server did not start"
mapfile -t ports < <(cut -d' ' -f1 "$tmp/ports")

# cpu PID: user + system CPU time of a process so far, in clock ticks.
cpu() {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
cpu_note=""

# walk_rate OID [AGENT [getnext]]: walk OID (at AGENT, default snmpd's)
# repeatedly for at least $seconds s, with GETBULK or, given "getnext",
# GETNEXT; prints "VARBINDS-PER-WALK WALKS RATE".
walk_rate() {
    local oid=$1 at=${2:-$agent} t0 t1 n=0 walks=0 count
    local walk=(snmpbulkwalk -Cr"$reps")
    [ "${3:-}" = getnext ] && walk=(snmpwalk)
    t0=$EPOCHREALTIME
    while :; do
        count=$(snmp "${walk[@]}" -On "$at" "$oid" 2>>"$tmp/walk.err" | grep -c ' = ')
        n=$((n + count)) walks=$((walks + 1))
        t1=$EPOCHREALTIME
        awk -v a="$t0" -v b="$t1" -v s="$seconds" 'BEGIN { exit !(b - a >= s) }' && break
    done
    awk -v n="$n" -v w="$walks" -v a="$t0" -v b="$t1" \
        'BEGIN { printf "%d %d %.0f\n", n / w, w, n / (b - a) }'
}

# full_filters LOG N: cntpd's last status report shows N associations
# with 8 samples received each.
full_filters() {
    local log=$1 n=$2 report
    report=$(cntpd_report "$cntpd_pid" "$log" 5) || return 1
    [ "$(grep -cE ' assoc [0-9]+ .* received ([8-9]|[1-9][0-9]+) ' <<<"$report")" -eq "$n" ]
}

echo "bench: snmpd on $agent; max-repetitions $reps; at least $seconds s of walks per figure"
printf '\n%6s %9s %12s %9s %12s %7s %9s\n' assocs varbinds cntpd-vb/s native-vb native-vb/s ratio VmRSS
status=0
refs=""
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
for n in $sizes; do
    conf=$tmp/cntpd-$n.conf log=$tmp/cntpd-$n.log
    {
        echo "port $(free_port)"
        echo "interface listen 127.0.0.1"
        echo "agentx socket $tmp/snmpd/agentx.sock"
        for ((i = 0; i < n; i++)); do
            echo "server 127.0.0.1 port ${ports[i]} iburst minpoll 3 maxpoll 3"
        done
    } >"$conf"
    spawn_nocap "$log" "$cntpd_bin" -n -c "$conf"
    cntpd_pid=$!
    if ! wait_until 15 cntp_answers_at "$agent"; then
        echo "bench: cntpd ($n associations) never answered through snmpd; its log:" >&2
        tail -n 20 "$log" >&2
        status=1
        break
    fi
    # iburst: 8 samples 2 s apart.
    wait_until 45 full_filters "$log" "$n" ||
        echo "bench: not every association has 8 samples yet; measuring anyway" >&2
    c0=$(cpu "$cntpd_pid") s0=$(cpu "$snmpd_pid") t0=$EPOCHREALTIME
    read -r cvb cwalks crate < <(walk_rate 1.3.6.1.4.1.9.9.168)
    c1=$(cpu "$cntpd_pid") s1=$(cpu "$snmpd_pid") t1=$EPOCHREALTIME
    cpu_note+=$(awk -v n="$n" -v c="$((c1 - c0))" -v s="$((s1 - s0))" -v a="$t0" -v b="$t1" \
        'BEGIN { printf "  %d associations: walking for %.1f s used %.2f s CPU in cntpd, %.2f s in snmpd\n", n, b - a, c / 100, s / 100 }')$'\n'
    read -r nvb nwalks nrate < <(walk_rate 1.3.6.1.2.1)
    rss=$(awk '/^VmRSS:/ { printf "%.1f MB", $2 / 1024 }' "/proc/$cntpd_pid/status")
    expect=$((11 + 54 * n))
    ratio=$(awk -v a="$crate" -v b="$nrate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf '%6d %9d %12d %9d %12d %7s %9s\n' "$n" "$cvb" "$crate" "$nvb" "$nrate" "$ratio" "$rss"
    [ "$cvb" -eq "$expect" ] ||
        echo "bench: expected $expect varbinds in the subtree at $n associations, walked $cvb" >&2
    last_ratio=$ratio last_rss=$rss last_n=$n
    gcrate=- gnrate=- gratio=-
    if [ "$getnext" -eq 1 ]; then
        read -r _ _ gcrate < <(walk_rate 1.3.6.1.4.1.9.9.168 "$agent" getnext)
        read -r _ _ gnrate < <(walk_rate 1.3.6.1.2.1 "$agent" getnext)
        gratio=$(ratio_of "$gcrate" "$gnrate")
    fi
    stop_pid "$cntpd_pid"

    # The references: the null subagent (54 x N objects) through the same
    # snmpd, and snmpd -X through the reference master.
    "$null_bin" -s "$tmp/snmpd/agentx.sock" -c 54 -r "$n" 2>>"$tmp/null.log" &
    null_pid=$!
    PIDS+=("$null_pid")
    null_oid=1.3.6.1.4.1.8072.9999.9999.168
    if wait_until 10 eval 'snmp snmpget -On "$agent" $null_oid.1.1.1 2>/dev/null | grep -q STRING'; then
        read -r xvb _ xrate < <(walk_rate $null_oid)
    else
        echo "bench: agentx_null did not answer through snmpd" >&2
        xvb=0 xrate=0 status=1
    fi
    stop_pid "$null_pid"
    read -r svb _ srate < <(walk_rate 1.3.6.1.2.1 "$ragent")
    refs+=$(printf '%6d %9d %11d %6s %9d %11d %6s %11s %12s %6s' "$n" "$xvb" "$xrate" \
        "$(ratio_of "$xrate" "$nrate")" "$svb" "$srate" "$(ratio_of "$srate" "$nrate")" \
        "$gcrate" "$gnrate" "$gratio")$'\n'
    # Give snmpd a moment to drop the subagent's registrations.
    sleep 1
done
[ -s "$tmp/walk.err" ] && { echo "bench: walk errors:" >&2; sort -u "$tmp/walk.err" | head >&2; status=1; }
echo
echo "references (ratios to the native rate above; GETNEXT: cntpd/native, both with snmpwalk):"
printf '%6s %9s %11s %6s %9s %11s %6s %11s %12s %6s\n' assocs null-vb null-vb/s ratio \
    snmpd-X-vb snmpd-X-vb/s ratio next-cntpd next-native ratio
printf '%s' "$refs"
echo
printf '%s' "$cpu_note"
if [ "$status" -eq 0 ]; then
    met() { awk -v v="$1" -v t="$3" "BEGIN { exit !(v $2 t) }" && echo met || echo MISSED; }
    echo "at $last_n associations: cntpd/native $last_ratio (target >= 0.5: $(met "$last_ratio" '>=' 0.5))," \
         "cntpd VmRSS $last_rss (target < 16 MB: $(met "${last_rss% MB}" '<' 16))"
fi
exit "$status"
