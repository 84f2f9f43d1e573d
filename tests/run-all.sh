#!/usr/bin/env bash
# make test: every suite in turn — unit (cmocka under ASan+UBSan),
# simulation, integration (real chronyd, snmpd, monitoring plugins) — with
# per-suite counts and the total as the last line: "N passed, N failed".
# Exit status is non-zero when anything failed. Arguments: unit test binaries.
set -u
cd "$(dirname "$0")/.."
total_p=0 total_f=0
out=$(mktemp "${TMPDIR:-/tmp}/cntpd-suite.XXXXXX")
trap 'rm -f "$out"' EXIT
suite() {
    local name=$1; shift
    echo "== $name"
    # Output goes to a file first (not through tee /dev/stderr, which
    # truncates the log when stderr is a regular file), then to stdout.
    "$@" >"$out" 2>&1
    local rc=$?
    cat "$out"
    local log
    log=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$out" | tail -n1)
    local p f
    p=$(sed -n 's/.*: \([0-9]*\) passed.*/\1/p' <<<"$log")
    f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$log")
    if [ -z "$log" ]; then p=0 f=1; echo "$name: suite printed no summary (exit $rc)"; fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "$name: suite exited $rc"; fi
    total_p=$((total_p + p)); total_f=$((total_f + f))
}
suite unit tests/run-suite.sh unit "$@"
# The MIB: loads offline with net-snmp, lints clean with libsmi, and (when
# the reference copy is beside the checkout) matches Cisco's definitions.
if [ -d ../shared/reference/mibs ]; then
    suite mib-lint scripts/mib-lint.sh --reference ../shared/reference/mibs
else
    suite mib-lint scripts/mib-lint.sh
fi
suite sim build/sim/cntpd-sim --check --seeds 5
suite integration tests/integration/run.sh
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
