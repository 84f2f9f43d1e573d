# Helpers for the notification tests (issue 7), sourced after lib.sh: a
# private snmpd whose trap sink is a private snmptrapd, both on loopback,
# and the notifications decoded from snmptrapd's log by OID and varbind.

NOTIFS=$CNTP_OID.0                    # ciscoNtpMIBNotifs.N
TRAP_STATUS=1 TRAP_HP_FAIL=2 TRAP_HP_RESTORE=3 TRAP_GEN_FAIL=4 TRAP_GEN_RESTORE=5
SNMP_TRAP_OID=.1.3.6.1.6.3.1.1.4.1.0
SRV_STATUS_OID=.$CNTP_SYS.11.0        # cntpSysSrvStatus.0
PEER_ADDR_OID=.$CNTP_PEERS.3          # cntpPeersPeerAddress.ASSOC

# start_snmptrapd NAME PORT: snmptrapd on udp:127.0.0.1:PORT accepting
# every v2c notification, one line per notification in TRAPS_LOG:
# "TRAP vb|vb|..." with numeric OIDs. Sets SNMPTRAPD_PID and TRAPS_LOG.
start_snmptrapd() {
    local name=$1 port=$2
    local dir=$WORK/$name
    mkdir -p "$dir/persist"
    TRAPS_LOG=$dir/traps.log
    : >"$TRAPS_LOG"
    {
        echo "disableAuthorization yes"
        echo 'format2 TRAP %V|%v\n'
    } >"$dir/snmptrapd.conf"
    MIBS= SNMP_PERSISTENT_DIR=$dir/persist snmptrapd -f -On -Lf "$TRAPS_LOG" -C \
        -c "$dir/snmptrapd.conf" -p "$dir/snmptrapd.pid" "udp:127.0.0.1:$port" \
        >"$dir/snmptrapd.out" 2>&1 &
    SNMPTRAPD_PID=$!
    PIDS+=("$SNMPTRAPD_PID")
    wait_until 10 grep -q "NET-SNMP version" "$TRAPS_LOG"
}

# start_snmpd_traps NAME PORT TRAPPORT: as lib.sh's start_snmpd (private
# AgentX master), with a v2c trap sink at 127.0.0.1:TRAPPORT.
start_snmpd_traps() {
    local name=$1 port=$2 tport=$3
    local dir=$WORK/$name
    mkdir -p "$dir/persist"
    AGENTX_SOCK=$dir/agentx.sock
    SNMP_AGENT=127.0.0.1:$port
    SNMPD_LOG=$dir/snmpd.log
    {
        echo "master agentx"
        echo "agentXSocket $AGENTX_SOCK"
        echo "agentXPerms 0660 0770"
        echo "rocommunity public 127.0.0.1"
        echo "trap2sink 127.0.0.1:$tport public"
        echo "dontLogTCPWrappersConnects yes"
    } >"$dir/snmpd.conf"
    MIBS= SNMP_PERSISTENT_DIR=$dir/persist snmpd -f -Lf "$SNMPD_LOG" -C -c "$dir/snmpd.conf" \
        -p "$dir/snmpd.pid" "udp:$SNMP_AGENT" &
    SNMPD_PID=$!
    PIDS+=("$SNMPD_PID")
    wait_until 10 snmpd_answers
}

# traps KIND: the notification lines of ciscoNtpMIBNotifs.KIND, in order.
traps() {
    grep -E "^TRAP .*\\|$SNMP_TRAP_OID = OID: \\.$NOTIFS\\.$1(\\||\$)" "$TRAPS_LOG"
}

# trap_count KIND
trap_count() {
    traps "$1" | wc -l
}

# trap_count_at_least KIND N
trap_count_at_least() {
    [ "$(trap_count "$1")" -ge "$2" ]
}

# varbind LINE OID: the value of varbind OID in a notification line.
varbind() {
    tr '|' '\n' <<<"${1#TRAP }" | sed -n "s/^${2//./\\.} = [A-Za-z0-9-]*: //p"
}

# varbind_oids LINE: the varbind OIDs of a notification line, space-separated.
varbind_oids() {
    tr '|' '\n' <<<"${1#TRAP }" | sed -n 's/^\(\.[0-9.]*\) = .*/\1/p' | tr '\n' ' ' | sed 's/ $//'
}

# nth_trap KIND N: the Nth notification of that kind (1-based).
nth_trap() {
    traps "$1" | sed -n "${2}p"
}
