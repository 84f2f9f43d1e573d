#!/bin/sh
# sim-report.sh — build the simulator and print one line per scenario with
# its metrics, then the acceptance checks that fail.
#
#   scripts/sim-report.sh [cntpd-sim options, e.g. --duration 80000]
#   scripts/sim-report.sh --seeds 5          seeds 1..5 of every scenario
#
# Columns: rms/max/mean of the true offset (local - true) after a 3000 s
# settle; within1ms = s from the start until |offset| stays below 1 ms
# (never = not by the end); steps = clock steps by the engine; sync = sync
# state changes (stratum 16 <-> synchronised); first = s to the first sync;
# peers = share of time each server (10.0.0.N shown as .N) was system
# peer; extra = per-scenario details (VM bumps: recovery s and steps per
# bump; UDP loss: outages during which sync was lost / outages judged;
# symmetric and broadcast: the engine's association and the peer's on-wire
# checks or the broadcasts and delay volley; leap: insertions by the kernel,
# when relative to true midnight, when it was armed (local month-day time),
# s cntpd still sent LI=1 after the leap second, spike-state entries).
set -eu

cd "$(dirname "$0")/.."
SIM=build/sim/cntpd-sim

make -s sim >&2

printf '%-17s %5s %9s %9s %9s %9s %5s %4s %6s  %-30s %s\n' \
    scenario seed rms max mean within1ms steps sync first peers extra
"$SIM" --all "$@" | awk '
    {
        delete f
        for (i = 2; i <= NF; i++) {
            eq = index($i, "=")
            if (eq > 0)
                f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
        }
        if (!("rms" in f)) {            # a run that failed to complete
            print $1, f["seed"], substr($0, index($0, "FAILED"))
            next
        }
        peers = f["sys_peer"]
        gsub(/10\.0\.0\./, ".", peers)
        sub(/,none:0\.0%/, "", peers)
        extra = ""
        if ("bumps" in f)
            extra = "bumps=" f["bumps"] " recovery=" f["recovery"] " steps=" f["bump_steps"]
        if ("outages" in f)
            extra = "lost_sync_in_outage=" f["lost_sync_in_outage"]
        if ("assoc" in f)
            extra = "assoc=" f["assoc"]
        if ("echo_err" in f)
            extra = extra " bogus=" f["bogus"] " echo_err=" f["echo_err"]
        if ("bcasts" in f)
            extra = extra " bcasts=" f["bcasts"] " volley=" f["volley"]
        if ("leap_inserted" in f) {
            extra = "inserted=" f["leap_inserted"]
            if ("leap_err" in f)
                extra = extra " err=" f["leap_err"]
            extra = extra " armed=" f["armed"]
            if ("li_after_leap" in f)
                extra = extra " li_after=" f["li_after_leap"]
            extra = extra " spikes=" f["spikes"]
        }
        gsub(/10\.0\.0\./, ".", extra)
        if ("holdover" in f)
            extra = extra (extra == "" ? "" : " ") "holdover=" f["holdover"]
        if (index($0, " FAILED: ") > 0)   # cut short (engine panic)
            extra = extra " " substr($0, index($0, "FAILED: "))
        sub(/ wall=[^ ]*$/, "", extra)
        printf "%-17s %5s %9s %9s %9s %9s %5s %4s %6s  %-30s %s\n", $1, f["seed"], f["rms"],
               f["max"], f["mean"], f["within1ms"], f["steps"], f["sync_changes"],
               f["first_sync"], peers, extra
    }'

set +e
checks=$("$SIM" --check "$@" | grep -v '^#')
set -e
echo
echo "$checks" | grep '^not ok' || true
echo "$checks" | tail -n 1
