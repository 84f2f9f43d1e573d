#!/usr/bin/env bash
# Run the cmocka unit-test binaries given as arguments; print one line per
# binary and a suite line "unit: N passed, N failed". Exit 1 on any failure.
# Counts come from cmocka's own summary lines ([  PASSED  ] / [  FAILED  ]);
# a binary that crashes or prints no summary counts as one failure.
set -u
suite=$1; shift
passed=0 failed=0
for bin in "$@"; do
    out=$("$bin" 2>&1); rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -n1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -n1)
    p=${p:-0}; f=${f:-0}
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$f" -ne 0 ]; then
        echo "$out" | grep -v '^\[ \(RUN\|       OK\) ' >&2
    fi
    printf '  %-28s %4d passed, %d failed\n' "$(basename "$bin")" "$p" "$f"
    passed=$((passed + p)); failed=$((failed + f))
done
echo "$suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
