#!/usr/bin/env bash
# mib-lint.sh — check the MIB modules in mibs/ with net-snmp and libsmi.
#
#   scripts/mib-lint.sh                   the checks below
#   scripts/mib-lint.sh --reference DIR   also compare CISCO-NTP-MIB with
#                                         Cisco's published module in DIR
#                                         (e.g. ../shared/reference/mibs)
#
# 1. net-snmp: snmptranslate resolves CISCO-NTP-MIB::cntpPeersEntryStatus to
#    .1.3.6.1.4.1.9.9.168.1.2.1.1.27 with nothing on stderr, both from mibs/
#    alone (-M ./mibs: the cut-down base modules are complete) and with
#    mibs/ added to net-snmp's default path (-M +./mibs).
#    The form `-m +CISCO-NTP-MIB` is run too and must print the OID, but
#    its stderr cannot be empty on Debian: `+` appends to net-snmp's
#    compiled-in module list (SNMPv2-MIB, IF-MIB, ...), which Debian does
#    not ship. Only its messages about our modules fail the check.
# 2. libsmi: smilint -l 3 reports nothing for any module in mibs/, with
#    SMIPATH set to mibs/ alone, and every module CISCO-NTP-MIB imports is
#    found in mibs/ (not in a system copy).
#
# Needs snmptranslate (Debian: snmp) and smilint/smiquery/smidump (Debian:
# smitools); scripts/setup.sh installs both. Exits 0 when every check
# passes, 1 when one fails, 2 on bad usage or a missing tool.
set -u

cd "$(dirname "$0")/.." || exit 2
MIBDIR=$PWD/mibs
OID=.1.3.6.1.4.1.9.9.168.1.2.1.1.27
OURS="CISCO-NTP-MIB CISCO-SMI INET-ADDRESS-MIB SNMPv2-SMI SNMPv2-TC SNMPv2-CONF"

REF=
case "${1:-}" in
    "") ;;
    --reference) [ $# -eq 2 ] || { echo "usage: $0 [--reference DIR]" >&2; exit 2; }
                 REF=$(cd "$2" && pwd) || exit 2 ;;
    *) echo "usage: $0 [--reference DIR]" >&2; exit 2 ;;
esac

for t in snmptranslate smilint smiquery smidump; do
    command -v "$t" >/dev/null ||
        { echo "mib-lint: $t not found (run scripts/setup.sh)" >&2; exit 2; }
done

# net-snmp keeps index files in its persistent directory and announces the
# first creation of one on stderr; a private directory with that folder
# already made keeps runs quiet and leaves /var/lib/snmp alone. An empty
# SNMPCONFPATH keeps snmp.conf files (system and ~/.snmp) out of the checks.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/persist/cert_indexes" "$TMP/conf"
export SNMP_PERSISTENT_DIR=$TMP/persist SNMPCONFPATH=$TMP/conf
unset MIBS MIBDIRS MIBFILES

passed=0
failed=0
ok()   { echo "ok:   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
indent() { sed 's/^/      /'; }

# --- 1. net-snmp -------------------------------------------------------------

translate() {   # description, then snmptranslate arguments
    local what=$1; shift
    snmptranslate "$@" -On CISCO-NTP-MIB::cntpPeersEntryStatus \
        >"$TMP/out" 2>"$TMP/err"
    local rc=$? out
    out=$(cat "$TMP/out")
    echo "      snmptranslate $* -On CISCO-NTP-MIB::cntpPeersEntryStatus"
    echo "      -> ${out:-(nothing)}"
    if [ $rc -eq 0 ] && [ "$out" = "$OID" ] && [ ! -s "$TMP/err" ]; then
        ok "$what"
    else
        fail "$what (exit $rc, stderr below)"
        indent <"$TMP/err"
    fi
}

translate "net-snmp loads CISCO-NTP-MIB from mibs/ alone" \
    -M "$MIBDIR" -m CISCO-NTP-MIB
translate "net-snmp loads CISCO-NTP-MIB with mibs/ added to its path" \
    -M "+$MIBDIR" -m CISCO-NTP-MIB

snmptranslate -M "+$MIBDIR" -m +CISCO-NTP-MIB -On CISCO-NTP-MIB::cntpPeersEntryStatus \
    >"$TMP/out" 2>"$TMP/err"
rc=$?
out=$(cat "$TMP/out")
echo "      snmptranslate -M +$MIBDIR -m +CISCO-NTP-MIB -On CISCO-NTP-MIB::cntpPeersEntryStatus"
echo "      -> ${out:-(nothing)}"
pattern="$MIBDIR|Unknown Object Identifier"
for m in $OURS; do pattern="$pattern|Cannot find module \\($m\\)"; done
if grep -v '^MIB search path: ' "$TMP/err" | grep -E "$pattern" >"$TMP/ours"
   [ $rc -eq 0 ] && [ "$out" = "$OID" ] &&
        [ ! -s "$TMP/ours" ]; then
    ok "net-snmp with -m +CISCO-NTP-MIB ($(wc -l <"$TMP/err") stderr lines, none about our modules:" \
       "they come from net-snmp's compiled-in default list)"
else
    fail "net-snmp with -m +CISCO-NTP-MIB (exit $rc, messages about our modules below)"
    indent <"$TMP/ours"
fi

# --- 2. libsmi ---------------------------------------------------------------

# SMIPATH without a leading or trailing ':' replaces libsmi's search path,
# so the modules smilint knows as SNMPv2-SMI etc. are ours.
export SMIPATH=$MIBDIR
for f in "$MIBDIR"/*; do
    smilint -s -l 3 "$f" >"$TMP/lint" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && [ ! -s "$TMP/lint" ]; then
        ok "smilint -l 3 mibs/${f##*/}: nothing reported"
    else
        fail "smilint -l 3 mibs/${f##*/} (exit $rc)"
        indent <"$TMP/lint"
    fi
done

bad=
for m in $OURS; do
    path=$(smiquery -p CISCO-NTP-MIB module "$m" 2>/dev/null |
           sed -n 's/^ *Pathname: //p')
    case "$path" in "$MIBDIR"/*) ;; *) bad="$bad $m=${path:-not-found}" ;; esac
done
if [ -z "$bad" ]; then
    ok "libsmi takes CISCO-NTP-MIB and every module it imports from mibs/"
else
    fail "libsmi resolves modules outside mibs/:$bad"
fi

# --- optional: compare with Cisco's published module ---------------------------

# Every field but the free text (DESCRIPTION, REFERENCE, ORGANIZATION,
# CONTACT-INFO) must be the same: net-snmp's view of each node under
# ciscoNtpMIB (-Td), net-snmp's tree (-Tp), and libsmi's normalised module
# (smidump -f smiv2, which also carries TCs, groups and compliances).
mask_text() {
    sed -E ':a;N;$!ba;s/(DESCRIPTION|REFERENCE|ORGANIZATION|CONTACT-INFO)([[:space:]]+)"[^"]*"/\1\2"..."/g'
}
views() {   # directory -> writes $TMP/view.<tag>
    local dir=$1 tag=$2
    snmptranslate -M "$dir" -m CISCO-NTP-MIB -Tz 2>/dev/null |
        awk -F'"' '$4 ~ /^1\.3\.6\.1\.4\.1\.9\.9\.168(\.|$)/ {print $2}' | sort >"$TMP/labels.$tag"
    {
        echo "# -Tp"
        snmptranslate -M "$dir" -m CISCO-NTP-MIB -Tp -IR ciscoNtpMIB 2>&1
        echo "# -Td"
        while read -r l; do
            snmptranslate -M "$dir" -m CISCO-NTP-MIB -Td -OS "CISCO-NTP-MIB::$l" 2>&1
        done <"$TMP/labels.$tag"
        echo "# smidump"
        SMIPATH=$dir smidump -f smiv2 CISCO-NTP-MIB 2>&1
    } | mask_text >"$TMP/view.$tag"
}
if [ -n "$REF" ]; then
    views "$REF" ref
    views "$MIBDIR" ours
    n=$(sort -u "$TMP/labels.ref" "$TMP/labels.ours" | wc -l)
    if diff -u "$TMP/view.ref" "$TMP/view.ours" >"$TMP/diff"; then
        ok "CISCO-NTP-MIB matches $REF in every field but the free text ($n nodes)"
    else
        fail "CISCO-NTP-MIB differs from $REF beyond the free text:"
        indent <"$TMP/diff"
    fi
fi

echo "mib-lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
