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
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/trap_lib.sh"

RISING=.1.3.6.1.2.1.16.0.1 FALLING=.1.3.6.1.2.1.16.0.2
ALARM_ENTRY=.1.3.6.1.2.1.16.3.1.1

up=$(free_port)
port=$(free_port)
sport=$(free_port)
tport=$(free_port)
check "snmptrapd started" start_snmptrapd snmptrapd "$tport"
check "snmpd (AgentX master, trap sink) answers" start_snmpd_traps snmpd "$sport" "$tport"
check "fake upstream (shift 0) started" start_fake_ntp up0 0 --port "$up"
fake=$FAKE_PID
start_cntpd client "port $port
server 127.0.0.1 port $up iburst minpoll 3 maxpoll 3
alarm 1 peer.offset.1 interval 2 rising 5000 falling 1000
agentx socket $AGENTX_SOCK"
check "subtree answers within 10 s of cntpd's start" wait_until 10 cntp_answers
check "alarm configured (logged)" grep -qF "alarm 1: peer.offset.1 (absolute sampling of |offset|, us) every 2 s, rising 5000, falling 1000, startup rising" "$CNTPD_LOG"

alarm_traps() {
    grep -E "^TRAP .*\\|$SNMP_TRAP_OID = OID: ${1//./\\.}(\\||\$)" "$TRAPS_LOG"
}
alarm_count() { alarm_traps "$1" | wc -l; }
alarm_count_is() { [ "$(alarm_count "$1")" -eq "$2" ]; }

check "a peer sample within 20 s" wait_until 20 grep -q "peer.offset.1\|assoc 1" "$CNTPD_LOG"
sleep 20
check "no alarm while the offset is ~0" test "$(alarm_count $RISING)$(alarm_count $FALLING)" = 00

stop_pid "$fake"
check "fake upstream (shift +8 ms) started" start_fake_ntp up8 0.008 --port "$up"
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
check "fake upstream (shift 0) restarted" start_fake_ntp up0b 0 --port "$up"
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

check "cntpd exits cleanly" stop_pid "$CNTPD_PID"
finish
