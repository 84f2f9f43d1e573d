#!/usr/bin/env bash
# The 15-minute flap acceptance run of issue 7, outside `make test` (which
# must stay under 10 minutes): one source goes down and up for the whole
# run, each phase long enough for its reach register to empty or refill,
# and the NMS must hear at most the damped number of notifications.
#
#   scripts/soak-flap.sh [-d MINUTES] [-p PHASE_S] [-H HOLDDOWN_S]
#
# Starts on loopback, with random free ports, a private snmptrapd, a private
# snmpd (AgentX master, trap2sink v2c to that snmptrapd), one chronyd
# upstream (local stratum 1, -x, no CAP_SYS_TIME) and cntpd (build/asan,
# no CAP_SYS_TIME) with
#     server 127.0.0.1 port P iburst minpoll 3 maxpoll 3
#     trap holddown H                     (-H, default 300: cntpd's default)
# and otherwise cntpd's defaults (`tos holdover 3600`, so sync status rides
# the flaps out on the frequency). Once cntpd is synchronised, chronyd is
# stopped and started again every PHASE_S (-p, default 75: 8 polls of 8 s
# empty the reach register 56..72 s after the stop, and 8 replies refill
# it in ~64 s;
# a down phase is stretched until cntpd has seen the source unreachable)
# for -d minutes (default 15), i.e. floor(60 d / 2 PHASE_S) down/up cycles;
# chronyd then stays up until the hold-down period running at the last
# change has ended (its late notification included) and the notifications
# are counted.
#
# The damped maximum: a hold-down period starts with a notified change and
# lasts H; within it a source gets at most one failure and one restore
# (agent/notify.c). A period only starts when no other runs, so the
# periods' starts are >= H apart, and every notification falls in one; all
# of them lie in the window W from the first stop of chronyd to the count.
# Hence at most floor(W / H) + 1 periods, and per kind at most
#     damped maximum = floor(W / H) + 1
# notifications (HighPriority failure, HighPriority restore; the only
# source is high priority, and the General ones follow its damped state,
# so they obey the same bound). Undamped it would be one of each per cycle.
# ciscoNtpSrvStatusChange is not damped (every change of cntpSysSrvStatus
# is sent); it is counted and must equal cntpd's logged status changes.
#
# Prints the cycles run and seen by cntpd, the notifications per kind at
# snmptrapd, the damped maximum, cntpd's "flaps suppressed" lines, then
# PASS (exit 0) or FAIL (exit 1). Exit 2: usage or set-up error. Only the
# processes started here are stopped, by PID; KEEP_WORK=1 keeps the
# temporary directory (kept anyway on FAIL).
set -u -o pipefail

minutes=15 phase=75 holddown=300
# scripts/lib.sh: synopsis, posint (its other helpers come from
# tests/integration/lib.sh below, which defines the shared names again).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
source "$here/lib.sh" || exit 2
usage() {
    synopsis >&2
    exit 2
}
while getopts "d:p:H:h" opt; do
    case $opt in
    d) minutes=$OPTARG ;;
    p) phase=$OPTARG ;;
    H) holddown=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
for v in "$minutes" "$phase" "$holddown"; do
    posint "$v" || usage
done
duration=$((minutes * 60))
cycles=$((duration / (2 * phase)))
[ "$cycles" -ge 1 ] || { echo "soak-flap: -d $minutes is shorter than one cycle of 2 x $phase s" >&2; exit 2; }

# tests/integration/lib.sh: work directory, cleanup by PID, check/fail,
# daemons on loopback;
# trap_lib.sh: snmptrapd and the decoding of its log.
source "$here/../tests/integration/lib.sh"
source "$here/../tests/integration/trap_lib.sh"
# build/asan/cntpd (or CNTPD=...) and the test tools (ntp_query).
if [ ! -x "$CNTPD" ] || [ ! -x "$TOOLS/ntp_query" ]; then
    make -C "$TOP" -s asan tools >/dev/null || exit 2
fi

setup_fail() { echo "soak-flap: set-up failed: $*" >&2; FAILED=1; exit 2; }
now() { date -u +%H:%M:%S; }

up=$(free_port)
port=$(free_port)
sport=$(free_port)
tport=$(free_port)
start_snmptrapd snmptrapd "$tport" || setup_fail "snmptrapd"
start_snmpd_traps snmpd "$sport" "$tport" || setup_fail "snmpd"
start_chronyd upstream "$up" || setup_fail "chronyd"
start_cntpd client "port $port
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3
trap holddown $holddown
agentx socket $AGENTX_SOCK" || setup_fail "cntpd"
wait_until 10 cntp_answers || setup_fail "cntpd's subtree through snmpd"
wait_until 60 trap_count_at_least $TRAP_STATUS 1 || setup_fail "cntpd synchronised (SrvStatusChange)"

echo "# $(now) soak: $cycles down/up cycles of 2 x $phase s (${minutes} min), trap holddown $holddown"
log_count() { grep -c "$1" "$CNTPD_LOG"; }
# peer.c's lines (not "no configured source is reachable").
UNREACH='association [0-9]*: [^ ]* is unreachable' REACH='association [0-9]*: [^ ]* is reachable'
seen() { echo "cntpd so far: $(log_count "$UNREACH") unreachable, $(log_count "$REACH") reachable"; }
seen_at_least() { [ "$(log_count "$1")" -ge "$2" ]; }
t0=$SECONDS t_first=$SECONDS
for ((c = 1; c <= cycles; c++)); do
    # Each phase lasts PHASE_S from its start, and a down phase until cntpd
    # has seen the source unreachable (a poll late: up to ~72 s), so that
    # every cycle is a real flap. The deadlines count from t0, so the
    # start-up of chronyd does not add up over the run.
    stop_pid "$CHRONYD_PID"
    echo "# $(now) +$((SECONDS - t_first)) s: cycle $c down ($(seen))"
    wait_s=$((t0 + (2 * c - 1) * phase - SECONDS))
    [ "$wait_s" -gt 0 ] && sleep "$wait_s"
    if ! seen_at_least "$UNREACH" "$c"; then
        wait_until 60 seen_at_least "$UNREACH" "$c"
        echo "# $(now) +$((SECONDS - t_first)) s: down phase $c extended until cntpd saw it ($(seen))"
        t0=$((SECONDS - (2 * c - 1) * phase))
    fi
    start_chronyd upstream "$up" || setup_fail "chronyd restart"
    last_up=$SECONDS
    echo "# $(now) +$((SECONDS - t_first)) s: cycle $c up ($(seen))"
    wait_s=$((t0 + 2 * c * phase - SECONDS))
    [ "$wait_s" -gt 0 ] && sleep "$wait_s"
done

# chronyd stays up. The last change (reachable) comes within one poll
# (8 s) of last_up; the period running then ends at most H later, and may
# notify late; a period that opens then ends without a change.
wait_s=$((last_up + 20 + holddown + 10 - SECONDS))
echo "# $(now) +$((SECONDS - t_first)) s: flapping over; waiting ${wait_s} s for the hold-down to end"
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
window=$((SECONDS - t_first))
sleep 2   # notifications in flight from cntpd through snmpd to snmptrapd
max=$((window / holddown + 1))

hp_f=$(trap_count $TRAP_HP_FAIL) hp_r=$(trap_count $TRAP_HP_RESTORE)
g_f=$(trap_count $TRAP_GEN_FAIL) g_r=$(trap_count $TRAP_GEN_RESTORE)
st=$(trap_count $TRAP_STATUS)
seen_down=$(log_count "$UNREACH") seen_up=$(log_count "$REACH")
supp_lines=$(grep 'flaps\? suppressed' "$CNTPD_LOG")
supp_total=$(sed -n 's/.*: \([0-9]*\) flaps\? suppressed.*/\1/p' <<<"$supp_lines" | awk '{ s += $1 } END { print s + 0 }')

# The order cntpd notified in (its log): HighPriority failure and restore
# alternate, starting with a failure and, chronyd being up, ending with a
# restore, so the NMS's last word is right.
hp_seq=$(sed -n 's/.*notification ciscoNtpHighPriorityConn\(Failure\|Restore\).*/\1/p' "$CNTPD_LOG" |
    cut -c1 | tr -d '\n')

echo "# ---- soak-flap result ----"
echo "# duration of flapping: $((last_up + phase - t_first)) s ($cycles down/up cycles of 2 x $phase s), window counted $window s"
echo "# cntpd saw: $seen_down times unreachable, $seen_up times reachable (the first at start-up)"
echo "# notifications at snmptrapd: HighPriorityConnFailure $hp_f, HighPriorityConnRestore $hp_r," \
    "GeneralConnFailure $g_f, GeneralConnRestore $g_r, SrvStatusChange $st"
echo "# damped maximum per kind (trap holddown $holddown, window $window s): floor($window / $holddown) + 1 = $max" \
    "(undamped: $cycles of each)"
echo "# HighPriority sequence in cntpd's log: $hp_seq"
echo "# cntpd's log, reachability and notifications (UTC):"
grep -E "$UNREACH|$REACH|notification ciscoNtp|not notified|suppressed" "$CNTPD_LOG" |
    sed -E 's/^[0-9-]+T([0-9:]+)\.[0-9]+Z [a-z]+: /#   \1 /'
echo "# flaps suppressed, as cntpd logged them ($supp_total in all):"
if [ -n "$supp_lines" ]; then sed 's/^/#   /' <<<"$supp_lines"; else echo "#   (none)"; fi

check "cntpd saw every down phase ($seen_down unreachable for $cycles cycles)" test "$seen_down" -eq "$cycles"
check "cntpd saw every up phase ($seen_up reachable: start-up + $cycles)" test "$seen_up" -eq $((cycles + 1))
for kv in "HighPriorityConnFailure $hp_f" "HighPriorityConnRestore $hp_r" \
    "GeneralConnFailure $g_f" "GeneralConnRestore $g_r"; do
    set -- $kv
    check "$1: $2 <= damped maximum $max" test "$2" -le "$max"
    check "$1: at least one ($2)" test "$2" -ge 1
done
check "General notifications follow the only source's damped state ($g_f/$g_r = $hp_f/$hp_r)" \
    test "$g_f $g_r" = "$hp_f $hp_r"
check "HighPriority failure/restore alternate, failure first, restore last ($hp_seq)" \
    grep -qxE '(FR)+' <<<"$hp_seq"
check "snmptrapd got every HighPriority notification cntpd logged (${#hp_seq})" \
    test "${#hp_seq}" -eq $((hp_f + hp_r))
check "SrvStatusChange: one per logged status change ($st, $(log_count 'notification ciscoNtpSrvStatusChange'))" \
    test "$st" -eq "$(log_count 'notification ciscoNtpSrvStatusChange')"
if [ "$cycles" -gt "$max" ]; then
    check "the log says how many flaps were suppressed ($supp_total)" test "$supp_total" -ge 1
fi
# Every down/up cycle is either heard by the NMS (a failure, at once or
# late at a period's end) or one of the flaps logged as suppressed.
check "every cycle notified or logged as suppressed ($hp_f notified + $supp_total suppressed = $cycles)" \
    test $((hp_f + supp_total)) -eq "$cycles"
stop_pid "$CNTPD_PID"
rc=$?
check "cntpd exits cleanly (status $rc, ASan)" test "$rc" -eq 0

finish
if [ "$FAILED" -eq 0 ]; then
    echo "PASS: $cycles flaps in ${minutes} min -> $hp_f/$hp_r HighPriority and $g_f/$g_r General failure/restore notifications (damped maximum $max each), $supp_total flaps suppressed"
    exit 0
fi
echo "FAIL: $FAILED check(s) failed"
exit 1
