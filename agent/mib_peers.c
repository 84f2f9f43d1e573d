/* mib_peers — cntpPeersVarTable (1.3.6.1.4.1.9.9.168.1.2.1), one row per
 * association indexed by its AssocId, filled from a copy of the engine's
 * peer reports refreshed at most once a second before a request is read. Rows
 * live in a tdata container (sorted by index), so GET and GETNEXT find a
 * row without scanning the table. Read-only for now (RowStatus creation is
 * issue 6); every readable column is served, the deprecated
 * cntpPeersUpdateTime too. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "mib_modules.h"
#include "mib_values.h"
#include "ntp_pkt.h"

static netsnmp_tdata *table;
static netsnmp_handler_registration *registration;
static netsnmp_table_registration_info *table_info;
static double loaded_at = -1e9;   /* scheduler s of the snapshot in the table */

static void load(void)
{
    PEER_Report *reports;
    size_t n = ENG_GetPeerReports(&reports);

    for (size_t i = 0; i < n; i++) {
        netsnmp_tdata_row *row = netsnmp_tdata_create_row();
        PEER_Report *r = malloc(sizeof *r);
        long index = (long)reports[i].assoc_id;

        if (!row || !r) {
            free(r);
            if (row)
                netsnmp_tdata_delete_row(row);
            break;
        }
        *r = reports[i];
        row->data = r;
        netsnmp_tdata_row_add_index(row, ASN_INTEGER, &index, sizeof index);
        netsnmp_tdata_add_row(table, row);
    }
    free(reports);
}

static void unload(void)
{
    netsnmp_tdata_row *row;

    while ((row = netsnmp_tdata_row_first(table)) != NULL)
        free(netsnmp_tdata_remove_and_delete_row(table, row));
}

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

static void set_value(netsnmp_variable_list *vb, int column, const PEER_Report *r)
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
        set_ipaddress(vb, &r->local);
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
        set_int(vb, ROW_ACTIVE);
        break;
    case COL_PEER_PREF_PEER:
        set_int(vb, r->prefer ? TV_TRUE : TV_FALSE);
        break;
    case COL_PEER_PEER_TYPE:
    case COL_PEER_PEER_NAME: {
        NTP_Addr numeric;
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

static int peers_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                         netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    (void)handler, (void)reginfo;
    if (reqinfo->mode != MODE_GET)
        return SNMP_ERR_NOERROR;
    for (netsnmp_request_info *req = requests; req; req = req->next) {
        const PEER_Report *r = netsnmp_tdata_extract_entry(req);
        netsnmp_table_request_info *info = netsnmp_extract_table_info(req);

        if (!r || !info) {
            netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
            continue;
        }
        set_value(req->requestvb, (int)info->colnum, r);
    }
    return SNMP_ERR_NOERROR;
}

void MIB_InitPeers(void)
{
    static const oid table_oid[] = { CNTP_PEERS_TABLE_OID };
    netsnmp_handler_registration *reg;
    netsnmp_table_registration_info *info;

    table = netsnmp_tdata_create_table("cntpPeersVarTable", 0);
    info = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
    reg = netsnmp_create_handler_registration("cntpPeersVarTable", peers_handler, table_oid,
                                              OID_LENGTH(table_oid), HANDLER_CAN_RONLY);
    if (!table || !info || !reg) {
        snmp_log(LOG_ERR, "cannot register cntpPeersVarTable\n");
        return;
    }
    netsnmp_table_helper_add_indexes(info, ASN_INTEGER, 0);
    info->min_column = COL_PEER_CONFIGURED;
    info->max_column = COL_PEER_PEER_NAME;
    netsnmp_tdata_register(reg, table, info);
    registration = reg;
    table_info = info;

}

void MIB_FiniPeers(void)
{
    if (!table)
        return;
    unload();
    /* Unregistering frees the handler chain, the registration and the
       table's row container, but not the table's own struct and name or
       the index description, which we free here. */
    if (registration)
        netsnmp_tdata_unregister(registration);
    registration = NULL;
    netsnmp_table_registration_info_free(table_info);
    table_info = NULL;
    free(table->name);
    free(table);
    table = NULL;
    loaded_at = -1e9;
}

void MIB_RefreshPeers(double now)
{
    if (!table || now - loaded_at < MIB_CACHE_SECONDS)
        return;
    unload();
    load();
    loaded_at = now;
}
