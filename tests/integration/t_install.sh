#!/usr/bin/env bash
# `make install` into a DESTDIR (PREFIX=/usr, then the default /usr/local):
# the daemon, the MIB modules (which load from there), the man pages (clean
# under groff -ww, documenting every option of `cntpd -h` and every
# directive and server option the parser accepts), the example
# configuration (passes `cntpd -t`), the systemd unit (unprivileged user
# cntpd with CAP_SYS_TIME and CAP_NET_BIND_SERVICE only, NoNewPrivileges,
# after snmpd and network-online; `systemd-analyze verify` clean when
# available) and the sysusers.d entry. Installs the existing build/cntpd
# (make -o: never rebuilds it) and touches nothing outside the DESTDIR.
source "$(dirname "$0")/lib.sh"

check "build/cntpd exists (make builds it before the tests)" test -x "$TOP/build/cntpd"
root=$WORK/root
out=$(make -s -C "$TOP" -o build/cntpd install DESTDIR="$root" PREFIX=/usr 2>&1)
check "make install DESTDIR=... PREFIX=/usr succeeds${out:+ ($out)}" test $? -eq 0

check "sbin/cntpd installed, executable, runs (-V)" \
    bash -c '"$1" -V | grep -q "^cntpd "' _ "$root/usr/sbin/cntpd"
missing=()
for f in "$TOP"/mibs/*; do
    cmp -s "$f" "$root/usr/share/cntpd/mibs/$(basename "$f")" || missing+=("$(basename "$f")")
done
check "every file of mibs/ in share/cntpd/mibs (${missing[*]:-all there})" test ${#missing[@]} -eq 0
out=$(MIBS= snmptranslate -M "$root/usr/share/cntpd/mibs" -m CISCO-NTP-MIB -On \
      CISCO-NTP-MIB::cntpPeersOffset 2>&1)
check "CISCO-NTP-MIB loads from the installed directory alone ($out)" \
    test "$out" = .1.3.6.1.4.1.9.9.168.1.2.1.1.23

for page in man8/cntpd.8 man5/cntpd.conf.5; do
    f=$root/usr/share/man/$page
    check "$page installed" test -s "$f"
    warn=$(groff -man -ww -z "$f" 2>&1)
    check "$page: groff -man -ww reports nothing${warn:+ ($warn)}" test -z "$warn"
done
# Every option in the usage text is documented in cntpd(8).
text8=$(MANWIDTH=200 man -l "$root/usr/share/man/man8/cntpd.8" 2>/dev/null)
undocumented=()
for opt in $("$root/usr/sbin/cntpd" -h | grep -oE '^ +-[A-Za-z]' | tr -d ' '); do
    grep -qE "^ +$opt( |$)" <<<"$text8" || undocumented+=("$opt")
done
check "cntpd(8) documents every option of cntpd -h (${undocumented[*]:-all})" \
    test ${#undocumented[@]} -eq 0
# Every directive and association option the parser knows is in cntpd.conf(5).
text5=$(MANWIDTH=200 man -l "$root/usr/share/man/man5/cntpd.conf.5" 2>/dev/null)
undocumented=()
for d in $(sed -n 's/^ *{ "\([a-z]*\)", [0-9-]*, [0-9-]*, parse_.*/\1/p' "$TOP/src/conf.c"); do
    grep -qE "^ {7}$d( |$)" <<<"$text5" || undocumented+=("$d")
done
check "cntpd.conf(5) documents every directive of src/conf.c (${undocumented[*]:-all})" \
    test ${#undocumented[@]} -eq 0
undocumented=()
for o in $(sed -n 's/^ *{ "\([a-z]*\)", [01], .*, set_[a-z]* },$/\1/p' "$TOP/src/conf.c"); do
    grep -qE "^ {14}$o( |,|$)" <<<"$text5" || undocumented+=("$o")
done
check "cntpd.conf(5) documents every server option of src/conf.c (${undocumented[*]:-all})" \
    test ${#undocumented[@]} -eq 0

ex=$root/usr/share/doc/cntpd/cntpd.conf.example
check "example configuration installed" test -s "$ex"
out=$("$root/usr/sbin/cntpd" -t -c "$ex" 2>&1)
check "cntpd -t accepts the example ($out)" test $? -eq 0

unit=$root/usr/lib/systemd/system/cntpd.service
check "systemd unit installed" test -s "$unit"
key() { sed -n "s/^$1=//p" "$unit"; }
check "unit: ExecStart=/usr/sbin/cntpd -n -c /etc/cntpd.conf" \
    test "$(key ExecStart)" = "/usr/sbin/cntpd -n -c /etc/cntpd.conf"
check "unit: User=cntpd" test "$(key User)" = cntpd
check "unit: AmbientCapabilities=CAP_SYS_TIME CAP_NET_BIND_SERVICE" \
    test "$(key AmbientCapabilities)" = "CAP_SYS_TIME CAP_NET_BIND_SERVICE"
check "unit: CapabilityBoundingSet=CAP_SYS_TIME CAP_NET_BIND_SERVICE" \
    test "$(key CapabilityBoundingSet)" = "CAP_SYS_TIME CAP_NET_BIND_SERVICE"
check "unit: NoNewPrivileges=yes" test "$(key NoNewPrivileges)" = yes
check "unit: After= snmpd.service and network-online.target" \
    bash -c 'grep -qw snmpd.service <<<"$1" && grep -qw network-online.target <<<"$1"' _ "$(key After)"
check "unit: no @...@ left" bash -c '! grep -q "@[A-Z]*@" "$1"' _ "$unit"
sysusers=$root/usr/lib/sysusers.d/cntpd.conf
check "sysusers.d entry creates user cntpd" grep -qE '^u cntpd ' "$sysusers"

if command -v systemd-analyze >/dev/null; then
    # Verify a copy whose ExecStart points into the DESTDIR (the real path
    # does not exist here); any message is a failure.
    mkdir -p "$WORK/verify"
    sed "s|/usr/sbin/cntpd|$root/usr/sbin/cntpd|g" "$unit" >"$WORK/verify/cntpd.service"
    out=$(systemd-analyze verify --man=no "$WORK/verify/cntpd.service" 2>&1)
    check "systemd-analyze verify: clean${out:+ ($out)}" test $? -eq 0 -a -z "$out"
else
    echo "ok - systemd-analyze verify # SKIP not installed"
fi
if command -v systemd-sysusers >/dev/null; then
    out=$(systemd-sysusers --dry-run --root="$root" "$sysusers" 2>&1)
    check "systemd-sysusers --dry-run accepts it" grep -q "Creating user 'cntpd'" <<<"$out"
fi

# The default PREFIX is /usr/local; nothing may land outside DESTDIR.
root2=$WORK/root2
make -s -C "$TOP" -o build/cntpd install DESTDIR="$root2" >/dev/null 2>&1
check "default PREFIX: /usr/local/sbin/cntpd and a unit pointing at it" \
    grep -q "^ExecStart=/usr/local/sbin/cntpd " "$root2/usr/local/lib/systemd/system/cntpd.service"
check "default PREFIX: man pages under /usr/local/share/man" \
    test -s "$root2/usr/local/share/man/man8/cntpd.8"
check "default PREFIX: nothing outside usr/local" \
    test "$(ls "$root2")" = usr -a "$(ls "$root2/usr")" = local
finish
