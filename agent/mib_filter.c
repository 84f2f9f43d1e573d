/* mib_filter — cntpFilterRegisterTable (1.3.6.1.4.1.9.9.168.1.3.2): the clock
 * filter stages of every association, indexed by (AssocId, stage 1..8).
 * Stage N is ring slot N-1 of the association's filter: samples are written
 * from index 1 upwards and wrap from 8 back to 1, as the MIB describes;
 * stages that hold no sample yet have no row. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdlib.h>

#include "engine.h"
#include "filter.h"
#include "mib_modules.h"
#include "mib_values.h"

static netsnmp_tdata *table;
static netsnmp_handler_registration *registration;
static netsnmp_table_registration_info *table_info;
static double loaded_at = -1e9;   /* scheduler s of the snapshot in the table */

static void load(void)
{
    PEER_Report *reports;
    size_t n = ENG_GetPeerReports(&reports);

    for (size_t i = 0; i < n; i++) {
        for (int slot = 0; slot < FLT_STAGES; slot++) {
            const FLT_Stage *st = &reports[i].filter.stage[slot];
            if (!st->valid)
                continue;
            netsnmp_tdata_row *row = netsnmp_tdata_create_row();
            FLT_Stage *copy = malloc(sizeof *copy);
            long assoc = (long)reports[i].assoc_id, index = slot + 1;
            if (!row || !copy) {
                free(copy);
                if (row)
                    netsnmp_tdata_delete_row(row);
                goto out;
            }
            *copy = *st;
            row->data = copy;
            netsnmp_tdata_row_add_index(row, ASN_INTEGER, &assoc, sizeof assoc);
            netsnmp_tdata_row_add_index(row, ASN_INTEGER, &index, sizeof index);
            netsnmp_tdata_add_row(table, row);
        }
    }
out:
    free(reports);
}

static void unload(void)
{
    netsnmp_tdata_row *row;

    while ((row = netsnmp_tdata_row_first(table)) != NULL)
        free(netsnmp_tdata_remove_and_delete_row(table, row));
}

static int filter_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                          netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    uint8_t buf[4];

    (void)handler, (void)reginfo;
    if (reqinfo->mode != MODE_GET)
        return SNMP_ERR_NOERROR;
    for (netsnmp_request_info *req = requests; req; req = req->next) {
        const FLT_Stage *st = netsnmp_tdata_extract_entry(req);
        netsnmp_table_request_info *info = netsnmp_extract_table_info(req);

        if (!st || !info) {
            netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
            continue;
        }
        switch (info->colnum) {
        case COL_FILTER_OFFSET:
            MIBV_SignedTime(st->offset, buf);
            break;
        case COL_FILTER_DELAY:
            MIBV_SignedTime(st->delay, buf);
            break;
        case COL_FILTER_DISPERSION:
            MIBV_UnsignedTime(st->dispersion, buf);
            break;
        default:
            netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
            continue;
        }
        snmp_set_var_typed_value(req->requestvb, ASN_OCTET_STR, buf, 4);
    }
    return SNMP_ERR_NOERROR;
}

void MIB_InitFilter(void)
{
    static const oid table_oid[] = { CNTP_FILTER_TABLE_OID };
    netsnmp_handler_registration *reg;
    netsnmp_table_registration_info *info;

    table = netsnmp_tdata_create_table("cntpFilterRegisterTable", 0);
    info = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
    reg = netsnmp_create_handler_registration("cntpFilterRegisterTable", filter_handler,
                                              table_oid, OID_LENGTH(table_oid),
                                              HANDLER_CAN_RONLY);
    if (!table || !info || !reg) {
        snmp_log(LOG_ERR, "cannot register cntpFilterRegisterTable\n");
        return;
    }
    netsnmp_table_helper_add_indexes(info, ASN_INTEGER, ASN_INTEGER, 0);
    info->min_column = COL_FILTER_OFFSET;
    info->max_column = COL_FILTER_DISPERSION;
    netsnmp_tdata_register(reg, table, info);
    registration = reg;
    table_info = info;

}

void MIB_FiniFilter(void)
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

void MIB_RefreshFilter(double now)
{
    if (!table || now - loaded_at < MIB_CACHE_SECONDS)
        return;
    unload();
    load();
    loaded_at = now;
}
