#!/usr/bin/env bash
# Daemon life cycle: without -n cntpd detaches, writes its pid file, logs
# to the logfile; SIGHUP reopens the log after rotation; SIGUSR1 logs the
# status; SIGTERM stops it and removes the pid file; a name that cannot be
# resolved is retried without blocking the loop, while a name from
# /etc/hosts (localhost) resolves.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
up=$(free_port)
start_chronyd upstream "$up" || fail "chronyd upstream answers"
log=$WORK/cntpd.log
cat >"$WORK/cntpd.conf" <<EOC
port $port
logfile $log
driftfile $WORK/drift
server localhost port $up iburst minpoll 3 maxpoll 3
server name-that-does-not-exist.invalid iburst
EOC
"${NOCAP[@]}" "$CNTPD" -c "$WORK/cntpd.conf" -p "$WORK/cntpd.pid"
rc=$?
check "detaches with status 0" test $rc -eq 0
check "pid file written" wait_until 5 test -s "$WORK/cntpd.pid"
pid=$(cat "$WORK/cntpd.pid" 2>/dev/null)
PIDS+=("$pid")
check "daemon running as pid $pid" kill -0 "$pid"
check "logs to the logfile" wait_until 5 grep -q "event loop:" "$log"
check "monitor-only without CAP_SYS_TIME, one clear line" \
    test "$(grep -c 'no CAP_SYS_TIME: running monitor-only' "$log")" -eq 1
check "localhost resolved and reachable" wait_until 15 grep -q "localhost (127.0.0.1:$up) is reachable" "$log"
check "unresolvable name retried" wait_until 30 grep -q "cannot resolve name-that-does-not-exist.invalid.*retrying" "$log"
check "loop not blocked: still answers" ntp_answers 127.0.0.1 "$port"

mv "$log" "$log.1"
kill -HUP "$pid"
check "SIGHUP reopens the log file" wait_until 5 grep -q "SIGHUP: log reopened" "$log"
kill -USR1 "$pid"
check "SIGUSR1 logs the status" wait_until 5 grep -q "counters: rx=" "$log"

kill -TERM "$pid"
check "SIGTERM stops the daemon" wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"
check "pid file removed" test ! -e "$WORK/cntpd.pid"
check "stopped cleanly" grep -q "cntpd stopped" "$log"
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$log' '$log.1'"
finish
