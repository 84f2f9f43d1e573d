#!/usr/bin/env bash
# -q: cntpd synchronises once to a chronyd, reports what it would do with
# the clock (monitor-only here: without CAP_SYS_TIME it changes nothing) and
# exits with status 0.
source "$(dirname "$0")/lib.sh"

up=$(free_port)
port=$(free_port)
start_chronyd upstream "$up" || fail "chronyd upstream answers"
printf 'port %s\nserver 127.0.0.1 port %s iburst\n' "$port" "$up" >"$WORK/q.conf"
out=$("${NOCAP[@]}" timeout 30 "$CNTPD" -q -c "$WORK/q.conf" 2>&1)
rc=$?
check "-q exits with status 0 (got $rc)" test $rc -eq 0
check "-q reports the offset and leaves the clock alone" \
    grep -q -- "-q: offset .* (monitor-only: clock not changed)" <<<"$out"
finish
