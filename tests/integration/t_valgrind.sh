#!/usr/bin/env bash
# The optimised daemon under valgrind (memcheck): synchronises to chronyd
# (with the local clock as a last resort and an NMEA clock whose device is
# missing, retried), serves clients, survives junk, logs its status and
# exits on SIGTERM with no memory errors and no leaks.
source "$(dirname "$0")/lib.sh"

up=$(free_port)
port=$(free_port)
start_chronyd upstream "$up" || fail "chronyd upstream answers"
CNTPD=$TOP/build/cntpd CNTPD_WRAPPER="valgrind --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite,indirect --log-file=$WORK/valgrind.log" \
    start_cntpd vg "port $port
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3
master 10
refclock nmea path $WORK/no-such-tty noselect"
check "synchronised under valgrind" wait_until 30 grep -q "synchronised to 127.0.0.1" "$CNTPD_LOG"
check "the local clock is measured (reachable)" \
    wait_until 30 grep -q "127.127.1.0 is reachable" "$CNTPD_LOG"
check "the missing NMEA device is reported" grep -q "no-such-tty" "$CNTPD_LOG"
check "answers under valgrind" wait_until 10 ntp_answers 127.0.0.1 "$port"
"$TOOLS/ntp_junk" -s 127.0.0.1 -p "$port" -n 1000 -S 7 >/dev/null
kill -USR1 "$CNTPD_PID"
check "answers after junk" wait_until 10 ntp_answers 127.0.0.1 "$port"
stop_pid "$CNTPD_PID"
rc=$?
check "exit status 0 under valgrind (got $rc)" test $rc -eq 0
check "no valgrind errors" grep -q "ERROR SUMMARY: 0 errors" "$WORK/valgrind.log"
check "no leaks" bash -c "grep -q 'definitely lost: 0 bytes' '$WORK/valgrind.log' || grep -q 'All heap blocks were freed' '$WORK/valgrind.log'"
finish
