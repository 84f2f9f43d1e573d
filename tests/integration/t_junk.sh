#!/usr/bin/env bash
# 10 000 random and truncated datagrams: every one is received and either
# answered (a time request, or a mode 6 query that happened to be
# well-formed) or dropped and counted (nothing uncounted), cntpd keeps
# running under ASan and still answers afterwards.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
start_cntpd junk "port $port"
"$TOOLS/ntp_junk" -s 127.0.0.1 -p "$port" -n 10000 -S 4242 -b 20 -u 1000 >"$WORK/junk.out"
check "junk sent ($(cat "$WORK/junk.out"))" grep -q "sent=10000" "$WORK/junk.out"
check "still answers after the junk" wait_until 5 ntp_answers 127.0.0.1 "$port"
line=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "counters: ")
rx=$(field "$line" "counters: rx=" ); rx=$(sed -n 's/.*counters: rx=\([0-9]*\).*/\1/p' <<<"$line")
dropped=$(sed -n 's/.* dropped=\([0-9]*\).*/\1/p' <<<"$line")
requests=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$line")
mode6=$(sed -n 's/.* mode6_answered=\([0-9]*\).*/\1/p' <<<"$line")
malformed=$(sed -n 's/.*(malformed=\([0-9]*\).*/\1/p' <<<"$line")
echo "# $line"
check "all 10 000 datagrams received (rx=$rx)" test "${rx:-0}" -ge 10000
check "every datagram answered or dropped and counted (rx=$rx = dropped $dropped + requests $requests + mode 6 answered $mode6)" \
    test "${rx:-0}" -eq $((${dropped:-0} + ${requests:-0} + ${mode6:-0}))
check "malformed ones counted (malformed=$malformed)" test "${malformed:-0}" -ge 5000
stop_pid "$CNTPD_PID"
check "clean exit on SIGTERM (status $?)" test $? -eq 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$CNTPD_LOG'"
finish
