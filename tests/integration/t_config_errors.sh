#!/usr/bin/env bash
# Every configuration error stops cntpd with exit status 2 and a message
# "file:line: message" naming the right line; -t accepts a good file.
source "$(dirname "$0")/lib.sh"

# expect_error NAME EXPECTED-MESSAGE-REGEX CONFIG-TEXT
expect_error() {
    local name=$1 want=$2 text=$3 f=$WORK/$1.conf rc
    printf '%s\n' "$text" >"$f"
    out=$("${NOCAP[@]}" "$CNTPD" -n -c "$f" 2>&1)
    rc=$?
    if [ $rc -eq 2 ] && grep -qE "^$f:$want" <<<"$out"; then
        pass "$name: exit 2, '$(head -n1 <<<"$out" | sed "s|$WORK/||")'"
    else
        fail "$name: exit $rc, output: $out"
    fi
}

expect_error unknown-directive "3: unknown directive 'frobnicate'" "# comment

frobnicate yes"
expect_error bad-address "1: bad address '300.1.2.3'" "server 300.1.2.3 iburst"
expect_error bad-ipv6 "2: bad address '2001:db8::zz'" "port 12345
server 2001:db8::zz"
expect_error bad-port-number "1: bad port 'seventy'" "port seventy"
expect_error port-out-of-range "1: bad port '70000'" "port 70000"
expect_error bad-minpoll "1: bad minpoll '2'" "server 127.0.0.1 minpoll 2"
expect_error bad-version "1: bad version '5'" "server 127.0.0.1 version 5"
expect_error unknown-server-option "1: .*'fast'" "server 127.0.0.1 fast"
expect_error bad-tinker "1: bad tinker step 'x'" "tinker step x"
expect_error bad-tos "1: unknown tos option 'bogus'" "tos bogus 1"

out=$("$CNTPD" -c /nonexistent/cntpd.conf 2>&1); rc=$?
check "unreadable file: exit 2 and 'file: cannot read' ($out)" \
    bash -c "[ $rc -eq 2 ] && grep -q '^/nonexistent/cntpd.conf: cannot read' <<<'$out'"
out=$("$CNTPD" -Z 2>&1); rc=$?
check "unknown option: exit 2 with usage" bash -c "[ $rc -eq 2 ] && grep -q usage <<<'$out'"

printf 'port 12345\nserver 127.0.0.1 iburst\nserver ntp.example.org\ndriftfile %s/drift\n' \
    "$WORK" >"$WORK/good.conf"
out=$("$CNTPD" -t -c "$WORK/good.conf" 2>&1); rc=$?
check "-t accepts a good configuration ($out)" test $rc -eq 0
finish
