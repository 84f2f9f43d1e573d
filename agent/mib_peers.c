/* mib_peers — cntpPeersVarTable (1.3.6.1.4.1.9.9.168.1.2.1), one row per
 * association indexed by its AssocId, filled from the shared snapshot of the
 * engine's peer reports (mib_snapshot) through the sorted-array handler
 * (mib_table), so GET and GETNEXT find a row by binary search; every
 * readable column is served, the deprecated cntpPeersUpdateTime too.
 * Suspended rows (notInService, notReady) are listed with their settings.
 * Writes (RowStatus creation, writable columns) are in mib_peers_set.c. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <arpa/inet.h>
#include <string.h>

#include "engine.h"
#include "mib_modules.h"
#include "mib_snapshot.h"
#include "mib_table.h"
#include "mib_values.h"
#include "ntp_pkt.h"

static netsnmp_handler_registration *registration;

static void set_octets(netsnmp_variable_list *vb, const void *data, size_t len)
{
    snmp_set_var_typed_value(vb, ASN_OCTET_STR, data, len);
}

static void set_int(netsnmp_variable_list *vb, long v)
{
    snmp_set_var_typed_integer(vb, ASN_INTEGER, v);
}

/* IpAddress of an association: IPv4 only (0.0.0.0 for IPv6 and unresolved
   peers, whose real address is in cntpPeersPeerType/PeerName). */
static void set_ipaddress(netsnmp_variable_list *vb, const NTP_Addr *a)
{
    in_addr_t ip = ADDR_Family(a) == AF_INET ? a->u.in4.sin_addr.s_addr : 0;
    snmp_set_var_typed_value(vb, ASN_IPADDRESS, &ip, 4);
}

static void set_value(netsnmp_variable_list *vb, int column, const PEER_Report *r,
                      const CTL_Row *row)
{
    uint8_t buf[8];

    switch (column) {
    case COL_PEER_CONFIGURED:
        set_int(vb, r->configured ? TV_TRUE : TV_FALSE);
        break;
    case COL_PEER_PEER_ADDRESS:
        set_ipaddress(vb, &r->addr);
        break;
    case COL_PEER_PEER_PORT:
        set_int(vb, r->addr.len ? ADDR_Port(&r->addr) : 123);
        break;
    case COL_PEER_HOST_ADDRESS:
        /* The source address asked for, else the socket's. */
        set_ipaddress(vb, row->spec.local.len ? &row->spec.local : &r->local);
        break;
    case COL_PEER_HOST_PORT:
        /* Integer32 (1..65535): a socket not open yet reports the NTP port. */
        set_int(vb, r->local.len && ADDR_Port(&r->local) ? ADDR_Port(&r->local) : 123);
        break;
    case COL_PEER_LEAP:
        set_int(vb, r->leap);
        break;
    case COL_PEER_MODE:
        set_int(vb, r->mode);
        break;
    case COL_PEER_STRATUM:
        set_int(vb, r->stratum);
        break;
    case COL_PEER_PEER_POLL:
        set_int(vb, MIBV_Clamp(r->ppoll, -20, 20));
        break;
    case COL_PEER_HOST_POLL:
        set_int(vb, MIBV_Clamp(r->hpoll, -20, 20));
        break;
    case COL_PEER_PRECISION:
        set_int(vb, MIBV_Clamp(r->precision, MIB_PRECISION_MIN, MIB_PRECISION_MAX));
        break;
    case COL_PEER_ROOT_DELAY:
        MIBV_SignedTime(r->root_delay, buf);
        set_octets(vb, buf, 4);
        break;
    case COL_PEER_ROOT_DISPERSION:
        MIBV_UnsignedTime(r->root_dispersion, buf);
        set_octets(vb, buf, 4);
        break;
    case COL_PEER_REFID:
        MIBV_RefId(r->refid, buf);
        set_octets(vb, buf, 4);
        break;
    case COL_PEER_REFTIME:
        MIBV_Timestamp(r->reference_time, buf);
        set_octets(vb, buf, 8);
        break;
    case COL_PEER_ORG_TIME:
        MIBV_Timestamp(r->org, buf);
        set_octets(vb, buf, 8);
        break;
    case COL_PEER_RECEIVE_TIME:
        MIBV_Timestamp(r->rec, buf);
        set_octets(vb, buf, 8);
        break;
    case COL_PEER_TRANSMIT_TIME:
        MIBV_Timestamp(r->xmt, buf);
        set_octets(vb, buf, 8);
        break;
    case COL_PEER_UPDATE_TIME:
        /* Deprecated Integer32 (0..2147483647): NTP seconds no longer fit
           since 1968, so this carries them modulo 2^31; the Rev1 column
           has all 32 bits. */
        set_int(vb, (long)((r->last_update >> 32) & 0x7fffffff));
        break;
    case COL_PEER_UPDATE_TIME_REV1:
        snmp_set_var_typed_integer(vb, ASN_UNSIGNED, (long)(r->last_update >> 32));
        break;
    case COL_PEER_REACH:
        set_int(vb, r->reach);
        break;
    case COL_PEER_TIMER:
        set_int(vb, r->hpoll >= 0 && r->hpoll < 31 ? 1L << r->hpoll : 0);
        break;
    case COL_PEER_OFFSET:
        MIBV_SignedTime(r->offset, buf);
        set_octets(vb, buf, 4);
        break;
    case COL_PEER_DELAY:
        MIBV_SignedTime(r->delay, buf);
        set_octets(vb, buf, 4);
        break;
    case COL_PEER_DISPERSION:
        MIBV_UnsignedTime(r->dispersion, buf);
        set_octets(vb, buf, 4);
        break;
    case COL_PEER_FILTER_VALID:
        snmp_set_var_typed_integer(vb, ASN_GAUGE, FLT_ValidStages(&r->filter));
        break;
    case COL_PEER_ENTRY_STATUS:
        set_int(vb, row->active ? ROW_ACTIVE : row->spec.host[0] ? ROW_NOT_IN_SERVICE
                                                                   : ROW_NOT_READY);
        break;
    case COL_PEER_PREF_PEER:
        /* What the row asks for; whether it won is in cntpd's status log. */
        set_int(vb, row->spec.prefer ? TV_TRUE : TV_FALSE);
        break;
    case COL_PEER_PEER_TYPE:
    case COL_PEER_PEER_NAME: {
        NTP_Addr numeric;
        if (!r->host[0]) {
            /* A row made with createAndWait, no address yet. */
            if (column == COL_PEER_PEER_TYPE)
                set_int(vb, INET_TYPE_UNKNOWN);
            else
                set_octets(vb, "", 0);
            break;
        }
        int is_name = ADDR_Parse(r->host, 0, &numeric) < 0;
        int type = is_name ? INET_TYPE_DNS
                   : ADDR_Family(&numeric) == AF_INET6 ? INET_TYPE_IPV6 : INET_TYPE_IPV4;
        if (column == COL_PEER_PEER_TYPE)
            set_int(vb, type);
        else if (is_name)
            set_octets(vb, r->host, strlen(r->host));
        else if (type == INET_TYPE_IPV6)
            set_octets(vb, &numeric.u.in6.sin6_addr, 16);
        else
            set_octets(vb, &numeric.u.in4.sin_addr, 4);
        break;
    }
    }
}

static size_t count(void)
{
    return MIBS_PeerCount();
}

static void row_index(size_t row, long idx[MIBT_MAX_INDEX])
{
    idx[0] = (long)MIBS_Peer(row)->assoc_id;
}

static int value(size_t row, int column, netsnmp_variable_list *vb)
{
    set_value(vb, column, MIBS_Peer(row), MIBS_Row(row));
    return 0;
}

static MIBT_Table peers_table = {
    .name = "cntpPeersVarTable",
    .n_index = 1,
    .min_column = COL_PEER_CONFIGURED,
    .max_column = COL_PEER_PEER_NAME,
    .count = count,
    .index = row_index,
    .value = value,
    .refresh = MIBS_Refresh,
    .set = MIB_PeersSet,
};

void MIB_InitPeers(void)
{
    static const oid table_oid[] = { CNTP_PEERS_TABLE_OID };

    registration = MIBT_Register(&peers_table, table_oid, OID_LENGTH(table_oid));
    if (!registration)
        snmp_log(LOG_ERR, "cannot register cntpPeersVarTable\n");
}

void MIB_FiniPeers(void)
{
    if (registration)
        netsnmp_unregister_handler(registration);
    registration = NULL;
    MIBS_Fini();
}
