#!/usr/bin/env bash
# cntpd's RMON-style threshold alarm (issue 7 item 3) through a real snmpd
# (AgentX master, trap2sink v2c) to a real snmptrapd, on loopback. The
# upstream is tests/integration/fake_ntp.py, restarted on the same port
# with another --shift to move the measured offset (no clock is changed):
#   shift 0      -> no event (startup rising, |offset| < 5 ms)
#   shift 8 ms   -> one risingAlarm (alarmValue >= 5000 us)
#   shift 0      -> one fallingAlarm (alarmValue <= 1000 us)
# with `alarm 1 peer.offset.1 interval 2 rising 5000 falling 1000`, each
# decoded from snmptrapd's output by OID and varbinds; cntpd logs each.
# The upstream always reports root delay 2 ms and root dispersion 3 ms:
# `alarm 2 peer.rootdelay.1` (rising 1500) and `alarm 3 peer.rootdisp.1`
# (rising 2500) send one risingAlarm each at their first sample (startup
# rising), alarmVariable cntpPeersRootDelay.1 / cntpPeersRootDispersion.1,
# and nothing more.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trap_lib.sh"

RISING=.1.3.6.1.2.1.16.0.1 FALLING=.1.3.6.1.2.1.16.0.2
ALARM_ENTRY=.1.3.6.1.2.1.16.3.1.1

ROOT="--root-delay 0.002 --root-dispersion 0.003"
up=$(free_port)
port=$(free_port)
sport=$(free_port)
tport=$(free_port)
check "snmptrapd started" start_snmptrapd snmptrapd "$tport"
check "snmpd (AgentX master, trap sink) answers" start_snmpd_traps snmpd "$sport" "$tport"
check "fake upstream (shift 0) started" start_fake_ntp up0 0 --port "$up" $ROOT
fake=$FAKE_PID
start_cntpd client "port $port
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3
alarm 1 peer.offset.1 interval 2 rising 5000 falling 1000
alarm 2 peer.rootdelay.1 interval 2 rising 1500 falling 500
alarm 3 peer.rootdisp.1 interval 2 rising 2500 falling 1000
agentx socket $AGENTX_SOCK"
check "subtree answers within 10 s of cntpd's start" wait_until 10 cntp_answers
check "alarm configured (logged)" grep -qF "alarm 1: peer.offset.1 (absolute sampling of |offset|, us) every 2 s, rising 5000, falling 1000, startup rising" "$CNTPD_LOG"

# alarm_traps NOTIFICATION-OID [INDEX]: the notifications of that alarm
# (default 1), by snmpTrapOID.0 and alarmIndex.
alarm_traps() {
    local i=${2:-1}
    grep -E "^TRAP .*\\|$SNMP_TRAP_OID = OID: ${1//./\\.}(\\||\$)" "$TRAPS_LOG" |
        grep -E "\\|${ALARM_ENTRY//./\\.}\\.1\\.$i = INTEGER: $i(\\||\$)"
}
alarm_count() { alarm_traps "$1" "${2:-1}" | wc -l; }          # OID [INDEX]
alarm_count_is() { [ "$(alarm_count "$1" "${3:-1}")" -eq "$2" ]; }  # OID N [INDEX]

check "a peer sample within 20 s" wait_until 20 grep -q "peer.offset.1\|assoc 1" "$CNTPD_LOG"
sleep 20
check "no alarm while the offset is ~0" test "$(alarm_count $RISING)$(alarm_count $FALLING)" = 00

# root_alarm INDEX COLUMN NAME LOW HIGH: alarm INDEX sent one risingAlarm
# at its first sample with alarmVariable cntpPeers<COLUMN>.1 and a value
# in LOW..HIGH us.
root_alarm() {
    local i=$1 col=$2 name=$3 lo=$4 hi=$5 line value
    check "$name.1: one risingAlarm (alarm $i, startup rising)" alarm_count_is $RISING 1 "$i"
    line=$(alarm_traps $RISING "$i" | head -n1)
    check "$name.1: varbinds ($(varbind_oids "$line"))" \
        test "$(varbind_oids "$line")" = ".1.3.6.1.2.1.1.3.0 $SNMP_TRAP_OID $ALARM_ENTRY.1.$i $ALARM_ENTRY.3.$i $ALARM_ENTRY.4.$i $ALARM_ENTRY.5.$i $ALARM_ENTRY.7.$i"
    check "$name.1: alarmVariable.$i = .$CNTP_PEERS.$col.1 ($(varbind "$line" $ALARM_ENTRY.3.$i))" \
        test "$(varbind "$line" $ALARM_ENTRY.3.$i)" = ".$CNTP_PEERS.$col.1"
    value=$(varbind "$line" $ALARM_ENTRY.5.$i)
    check "$name.1: alarmValue.$i in $lo..$hi us ($value)" test "${value:-0}" -ge "$lo" -a "${value:-0}" -le "$hi"
    check "$name.1: rising event logged in words" \
        grep -q "alarm $i: $name.1 rose to [0-9]* us, at or above the rising threshold" "$CNTPD_LOG"
}
root_alarm 2 13 peer.rootdelay 1900 2100        # cntpPeersRootDelay, 2 ms on the wire
root_alarm 3 14 peer.rootdisp 2900 3100         # cntpPeersRootDispersion, 3 ms

stop_pid "$fake"
check "fake upstream (shift +8 ms) started" start_fake_ntp up8 0.008 --port "$up" $ROOT
fake=$FAKE_PID
check "risingAlarm within 100 s" wait_until 100 alarm_count_is $RISING 1
line=$(alarm_traps $RISING | head -n1)
check "risingAlarm varbinds ($(varbind_oids "$line"))" \
    test "$(varbind_oids "$line")" = ".1.3.6.1.2.1.1.3.0 $SNMP_TRAP_OID $ALARM_ENTRY.1.1 $ALARM_ENTRY.3.1 $ALARM_ENTRY.4.1 $ALARM_ENTRY.5.1 $ALARM_ENTRY.7.1"
check "alarmVariable.1 = cntpPeersOffset.1 ($(varbind "$line" $ALARM_ENTRY.3.1))" \
    test "$(varbind "$line" $ALARM_ENTRY.3.1)" = ".$CNTP_PEERS.23.1"
value=$(varbind "$line" $ALARM_ENTRY.5.1)
check "alarmValue.1 >= 5000 and near 8000 us ($value)" test "${value:-0}" -ge 5000 -a "${value:-0}" -le 12000
check "alarmRisingThreshold.1 = 5000" test "$(varbind "$line" $ALARM_ENTRY.7.1)" = 5000
check "alarmSampleType.1 = absoluteValue(1)" test "$(varbind "$line" $ALARM_ENTRY.4.1)" = 1
check "rising event logged in words" grep -q "alarm 1: peer.offset.1 rose to [0-9]* us, at or above the rising threshold of 5000 us; sending risingAlarm" "$CNTPD_LOG"
sleep 20
check "still one risingAlarm while the offset stays high" alarm_count_is $RISING 1

stop_pid "$fake"
check "fake upstream (shift 0) restarted" start_fake_ntp up0b 0 --port "$up" $ROOT
fake=$FAKE_PID
check "fallingAlarm within 100 s" wait_until 100 alarm_count_is $FALLING 1
line=$(alarm_traps $FALLING | head -n1)
check "fallingAlarm varbinds ($(varbind_oids "$line"))" \
    test "$(varbind_oids "$line")" = ".1.3.6.1.2.1.1.3.0 $SNMP_TRAP_OID $ALARM_ENTRY.1.1 $ALARM_ENTRY.3.1 $ALARM_ENTRY.4.1 $ALARM_ENTRY.5.1 $ALARM_ENTRY.8.1"
value=$(varbind "$line" $ALARM_ENTRY.5.1)
check "alarmValue.1 <= 1000 us ($value)" test "${value:-9999}" -le 1000
check "alarmFallingThreshold.1 = 1000" test "$(varbind "$line" $ALARM_ENTRY.8.1)" = 1000
check "falling event logged in words" grep -q "alarm 1: peer.offset.1 fell to [0-9]* us, at or below the falling threshold of 1000 us; sending fallingAlarm" "$CNTPD_LOG"
sleep 10
check "exactly one of each" test "$(alarm_count $RISING)$(alarm_count $FALLING)" = 11
check "root delay and dispersion alarms: nothing after their first event" \
    test "$(alarm_count $RISING 2)$(alarm_count $FALLING 2)$(alarm_count $RISING 3)$(alarm_count $FALLING 3)" = 1010

check "cntpd exits cleanly" stop_pid "$CNTPD_PID"
finish
