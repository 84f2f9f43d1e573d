#!/usr/bin/env bash
# Run every integration test (tests/integration/t_*.sh, or those named as
# arguments) a few at a time — they mostly wait for real daemons — and
# print each one's output in order, then "integration: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
jobs=${INTEGRATION_JOBS:-4}
out=$(mktemp -d "${TMPDIR:-/tmp}/cntpd-integration.XXXXXX")
trap 'rm -rf "$out"' EXIT

if [ $# -gt 0 ]; then
    tests=("$@")
else
    # The slowest tests first, so they overlap the many short ones instead
    # of running on after them (the suite's wall time is about the longest
    # test's, not the sum).
    slow=(t_snmp_trap_flap t_snmp_alarm t_snmp_disman t_refclock_shm t_refclock_local t_snmp_trap
          t_proto_symmetric t_proto_ratelimit t_client_chrony t_refclock_nmea t_snmp_set
          t_proto_broadcast t_proto_auth)
    tests=()
    for name in "${slow[@]}"; do
        [ -f "$here/$name.sh" ] && tests+=("$here/$name.sh")
    done
    for t in "$here"/t_*.sh; do
        case " ${slow[*]} " in *" $(basename "$t" .sh) "*) ;; *) tests+=("$t") ;; esac
    done
fi

running=0
for t in "${tests[@]}"; do
    name=$(basename "$t" .sh)
    ( start=$SECONDS; bash "$t" >"$out/$name.log" 2>&1; echo "rc=$? seconds=$((SECONDS - start))" >"$out/$name.rc" ) &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

passed=0 failed=0
for t in "${tests[@]}"; do
    name=$(basename "$t" .sh)
    sed 's/^/  /' "$out/$name.log"
    line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" "$out/$name.log" | tail -n1)
    p=$(sed -n 's/.*: \([0-9]*\) passed.*/\1/p' <<<"$line")
    f=$(sed -n 's/.* \([0-9]*\) failed$/\1/p' <<<"$line")
    read -r rc secs < <(sed 's/rc=\([0-9]*\) seconds=\([0-9]*\)/\1 \2/' "$out/$name.rc")
    if [ -z "$line" ]; then
        p=0 f=1
        echo "  not ok - $name ended without a summary line (exit $rc)"
    elif [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
        f=1
        echo "  not ok - $name exited $rc"
    fi
    echo "  ($name: ${secs}s)"
    passed=$((passed + p)); failed=$((failed + f))
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
