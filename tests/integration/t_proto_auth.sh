#!/usr/bin/env bash
# Symmetric-key authentication against chronyd, both ways, MD5 and SHA1:
#  - cntpd as client of chronyd with a shared key becomes reachable; with a
#    wrong key chronyd does not answer it (reach stays 0);
#  - chronyd (chronyd -Q) as client of cntpd with a shared key synchronises;
#    with a wrong key cntpd answers with a crypto-NAK and chronyd does not
#    synchronise.
# A bad key reference in the configuration is an exit-2 error.
source "$(dirname "$0")/lib.sh"

sha_hex=c2a1f0e4b7d6938a5e4f1c0b2d3e4f5061728394
cat >"$WORK/cntpd.keys" <<EOF2
42 MD5 cntpdtest
43 SHA1 $sha_hex
44 MD5 wrongsecret
EOF2
cat >"$WORK/chrony.keys" <<EOF2
42 MD5 ASCII:cntpdtest
43 SHA1 HEX:$sha_hex
44 MD5 ASCII:othersecret
EOF2
chmod 600 "$WORK/cntpd.keys" "$WORK/chrony.keys"

up=$(free_port)
start_chronyd upstream "$up" "keyfile $WORK/chrony.keys" || fail "chronyd answers"

# cntpd -> chronyd
for k in 42:MD5 43:SHA1; do
    id=${k%%:*}; type=${k#*:}; port=$(free_port)
    start_cntpd "client$id" "port $port
agentx off
keys $WORK/cntpd.keys
trustedkey 42 43 44
server 127.0.0.1 port $up key $id iburst minpoll 3 maxpoll 3"
    check "$type key $id: cntpd's authenticated association to chronyd is reachable" \
        wait_until 15 grep -q "association 1: 127.0.0.1:$up is reachable" "$CNTPD_LOG"
    check "$type key $id: cntpd synchronises" wait_until 20 grep -q "synchronised to" "$CNTPD_LOG"
    stop_pid "$CNTPD_PID"
done
port=$(free_port)
start_cntpd wrong "port $port
agentx off
keys $WORK/cntpd.keys
trustedkey 42 43 44
server 127.0.0.1 port $up key 44 iburst minpoll 3 maxpoll 3"
sleep 12
line=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "^.* assoc 1 ")
check "wrong key: chronyd does not answer cntpd (reach $(field "$line" reach), received $(field "$line" received))" \
    test "$(field "$line" received)" = 0
stop_pid "$CNTPD_PID"

# chronyd -> cntpd
port=$(free_port)
start_cntpd server "port $port
agentx off
keys $WORK/cntpd.keys
trustedkey 42 43
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3"
check "cntpd synchronises to serve" wait_until 20 grep -q "synchronised to" "$CNTPD_LOG"
query() {   # query KEYID: chronyd -Q against cntpd with that key
    local d=$WORK/q$1; mkdir -p "$d"
    "${NOCAP[@]}" timeout 30 chronyd -Q -u root -t 8 -f /dev/null "keyfile $WORK/chrony.keys" \
        "server 127.0.0.1 port $port iburst key $1" "pidfile $d/pid" "bindcmdaddress /" 2>&1
}
out=$(query 42)
check "MD5: chronyd -Q synchronises to cntpd with key 42" grep -q "System clock wrong by" <<<"$out"
out=$(query 43)
check "SHA1: chronyd -Q synchronises to cntpd with key 43" grep -q "System clock wrong by" <<<"$out"
out=$(query 44)
check "wrong key: chronyd -Q does not synchronise ($(tail -n1 <<<"$out" | cut -c22-))" \
    bash -c "! grep -q 'System clock wrong by' <<<'$out'"
line=$(status_line "$CNTPD_PID" "$CNTPD_LOG" "counters: ")
check "wrong key: cntpd answered with crypto-NAKs ($(sed -n 's/.*\(nak_sent=[0-9]*\).*/\1/p' <<<"$line"))" \
    bash -c "grep -q 'nak_sent=[1-9]' <<<'$line'"
stop_pid "$CNTPD_PID"
check "clean exit (status $?)" test $? -eq 0

# configuration errors
printf 'keys %s\ntrustedkey 42\nserver 127.0.0.1 key 99\n' "$WORK/cntpd.keys" >"$WORK/bad1.conf"
out=$("$CNTPD" -t -c "$WORK/bad1.conf" 2>&1); rc=$?
check "unknown key id: exit 2, '$out'" bash -c "[ $rc -eq 2 ] && grep -q 'bad1.conf:3: key 99 is not in the keys file' <<<'$out'"
printf 'keys %s/missing.keys\n' "$WORK" >"$WORK/bad2.conf"
out=$("$CNTPD" -t -c "$WORK/bad2.conf" 2>&1); rc=$?
check "unreadable keys file: exit 2, '$out'" bash -c "[ $rc -eq 2 ] && grep -q 'missing.keys: cannot read' <<<'$out'"
printf '42 SHA7 abc\n' >"$WORK/bad.keys"
printf 'keys %s\n' "$WORK/bad.keys" >"$WORK/bad3.conf"
out=$("$CNTPD" -t -c "$WORK/bad3.conf" 2>&1); rc=$?
check "bad key type: exit 2 with file:line, '$out'" bash -c "[ $rc -eq 2 ] && grep -q 'bad.keys:1:' <<<'$out'"
printf 'restrict 192.0.2.0 mask 255.0.255.0\n' >"$WORK/bad4.conf"
out=$("$CNTPD" -t -c "$WORK/bad4.conf" 2>&1); rc=$?
check "bad restrict mask: exit 2 with file:line, '$out'" bash -c "[ $rc -eq 2 ] && grep -q 'bad4.conf:1:' <<<'$out'"
finish
